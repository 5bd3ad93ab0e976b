"""The term-of-the-day runtime with a fake clock, a real database and a fake Discord channel."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.glossary import Term
from bot.core.schedule import (
    PROBLEM_RETRY,
    DeliveryError,
    FailureKind,
    Pick,
    PostStatus,
    ServerSchedule,
    cycle_order,
)
from bot.db import Database
from bot.db.repositories import Storage
from bot.services.glossary import GlossaryService
from bot.services.totd import TotdScheduler
from bot.services.totd_outcomes import OutcomeKind, RateLimiter, Sent
from tests.clock import FakeClock

DAY = date(2026, 11, 25)
POST_AT = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # 08:30 in Berlin


@dataclass
class Message:
    id: int
    day: date
    slug: str
    guild_id: int


@dataclass
class FakeDelivery:
    """A Discord that keeps posts per channel and fails on request."""

    channels: dict[int, list[Message]] = field(default_factory=dict)
    refuse: dict[int, DeliveryError] = field(default_factory=dict)  # guild -> check() failure
    failures: dict[int, list[DeliveryError | BaseException]] = field(default_factory=dict)  # guild -> send()
    exists_despite_error: bool = False  # a 5xx after Discord created the message
    hang: set[int] = field(default_factory=set)  # guilds whose send never returns
    release: asyncio.Event = field(default_factory=asyncio.Event)
    calls: list[tuple[str, int]] = field(default_factory=list)
    concurrent: int = 0
    most_concurrent: int = 0
    on_send: Callable[[int], None] | None = None
    appended: asyncio.Event = field(default_factory=asyncio.Event)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def posts(self, guild_id: int | None = None) -> list[Message]:
        return [m for ms in self.channels.values() for m in ms if guild_id is None or m.guild_id == guild_id]

    async def check(self, schedule: ServerSchedule) -> None:
        self.calls.append(("check", schedule.guild_id))
        if schedule.guild_id in self.refuse:
            raise self.refuse[schedule.guild_id]

    async def find(self, schedule: ServerSchedule, channel_id: int, day: date) -> int | None:
        self.calls.append(("find", schedule.guild_id))
        return next((m.id for m in self.channels.get(channel_id, []) if m.day == day), None)

    async def send(self, schedule: ServerSchedule, term: Term, day: date) -> Sent:
        self.calls.append(("send", schedule.guild_id))
        self.concurrent += 1
        self.most_concurrent = max(self.most_concurrent, self.concurrent)
        try:
            await asyncio.sleep(0.002)  # a real call takes a while, so posts overlap
            pending = self.failures.get(schedule.guild_id)
            message = Message(next(self.ids), day, term.slug, schedule.guild_id)
            if pending:
                error = pending.pop(0)
                if self.exists_despite_error:
                    self.channels.setdefault(schedule.channel_id, []).append(message)
                raise error
            self.channels.setdefault(schedule.channel_id, []).append(message)
            self.appended.set()
            if self.on_send:  # the post is in the channel now, even if the call then hangs
                self.on_send(schedule.guild_id)
            if schedule.guild_id in self.hang:
                await self.release.wait()
            return Sent(schedule.channel_id, message.id)
        finally:
            self.concurrent -= 1

    async def replace(self, schedule: ServerSchedule, channel_id: int, message_id: int, term: Term, day: date) -> bool:
        self.calls.append(("replace", schedule.guild_id))
        for message in self.channels.get(channel_id, []):
            if message.id == message_id:
                message.slug = term.slug
                return True
        return False


def berlin(guild_id: int = 1, **kw: object) -> ServerSchedule:
    fields: dict[str, object] = {
        "guild_id": guild_id,
        "channel_id": 100 + guild_id,
        "post_time": time(8, 30),
        "timezone": "Europe/Berlin",
    }
    fields.update(kw)
    return ServerSchedule(**fields)  # type: ignore[arg-type]


@pytest.fixture
def db(storage: Storage) -> Storage:
    """The scheduler's rules hold on either backend: every test here runs on SQLite and on PostgreSQL."""
    return storage


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(POST_AT - timedelta(hours=2))


@pytest.fixture
def fake() -> FakeDelivery:
    return FakeDelivery()


@pytest.fixture
async def scheduler(db: Database, service: GlossaryService, fake: FakeDelivery, clock: FakeClock):
    runner = TotdScheduler(db, service, fake, clock)
    yield runner
    await runner.stop()


async def round_(scheduler: TotdScheduler) -> None:
    await scheduler.run_round()
    await scheduler.drain()


async def test_posts_once_at_the_local_time(scheduler, fake, clock, db):
    await scheduler.configure(berlin())
    await round_(scheduler)
    assert fake.posts() == []
    report = await scheduler.run_round()
    assert report.next_wake == POST_AT
    clock.now = POST_AT
    await round_(scheduler)
    clock.advance(minutes=5)
    await round_(scheduler)
    [post] = fake.posts()
    assert post.day == DAY
    row = await db.totd_post(1, DAY)
    assert row is not None and (row.status, row.message_id, row.slug) == (PostStatus.POSTED, post.id, post.slug)
    clock.now = POST_AT + timedelta(days=1)
    await round_(scheduler)
    assert [p.day for p in fake.posts()] == [DAY, DAY + timedelta(days=1)]
    assert fake.posts()[0].slug != fake.posts()[1].slug


async def test_a_crash_between_sending_and_recording_never_posts_twice(db, service, fake, clock):
    clock.now = POST_AT
    first = TotdScheduler(db, service, fake, clock)
    await first.configure(berlin())
    clock.advance(seconds=1)
    fake.hang.add(1)  # the message reaches the channel, then the process dies before recording it
    await first.run_round()
    await asyncio.wait_for(fake.appended.wait(), 5)
    await first.stop()
    row = await db.totd_latest(1)
    assert row is not None and row.status is PostStatus.SENDING

    fake.hang.clear()
    clock.advance(seconds=30)
    restarted = TotdScheduler(db, service, fake, clock)
    await round_(restarted)
    assert len(fake.posts()) == 1
    row = await db.totd_latest(1)
    assert row is not None and (row.status, row.message_id) == (PostStatus.POSTED, fake.posts()[0].id)
    assert ("send", 1) in fake.calls and fake.calls[-1] == ("find", 1)


async def test_a_crash_after_recording_the_intent_but_before_sending_posts_on_restart(db, service, fake, clock):
    clock.now = POST_AT
    scheduler = TotdScheduler(db, service, fake, clock)
    await scheduler.configure(berlin())
    first = cycle_order(1, 0, [t.slug for m in service.module_counts() for t in service.module_terms(m)])[0]
    await db.totd_begin(1, DAY, Pick(first, 0), 101, clock())
    clock.advance(minutes=1)
    await round_(scheduler)
    assert [call for call, _ in fake.calls] == ["find", "check", "send"]
    assert [(m.day, m.slug) for m in fake.posts()] == [(DAY, first)]
    await scheduler.stop()


async def test_a_403_is_recorded_retried_hourly_and_cleared_by_setup(scheduler, fake, clock, db):
    clock.now = POST_AT - timedelta(minutes=1)
    await scheduler.configure(berlin(catch_up=timedelta(hours=6)))
    fake.refuse[1] = DeliveryError(FailureKind.PERMANENT, "I am missing the Embed Links permission in #study.")
    clock.now = POST_AT
    await round_(scheduler)
    stored = await db.totd_settings(1)
    assert stored is not None and stored.problem == "I am missing the Embed Links permission in #study."
    assert stored.blocked_until == POST_AT + PROBLEM_RETRY
    assert await db.totd_latest(1) is None  # nothing was sent, so no intent either
    checks = len(fake.calls)
    for _ in range(5):  # no retry storm: rounds within the hour make no calls
        clock.advance(minutes=10)
        await round_(scheduler)
    assert len(fake.calls) == checks
    status = await scheduler.status(1)
    assert status is not None and status.next_at == POST_AT + PROBLEM_RETRY
    # The admin fixes the channel and runs setup again: posting resumes at once.
    del fake.refuse[1]
    await scheduler.configure(berlin(catch_up=timedelta(hours=6)))
    await round_(scheduler)
    assert len(fake.posts()) == 1
    stored = await db.totd_settings(1)
    assert stored is not None and stored.problem is None


async def test_a_403_on_send_is_retried_hourly_until_it_works(scheduler, fake, clock, db):
    await scheduler.configure(berlin())
    fake.failures[1] = [DeliveryError(FailureKind.PERMANENT, "Discord refused (403: Missing Access)")]
    clock.now = POST_AT
    await round_(scheduler)
    row = await db.totd_latest(1)
    assert row is not None and (row.status, row.attempts) == (PostStatus.FAILED, 1)
    assert row.next_attempt_at == POST_AT + PROBLEM_RETRY
    clock.advance(minutes=59)
    await round_(scheduler)
    assert fake.posts() == []
    clock.advance(minutes=1)
    await round_(scheduler)
    assert len(fake.posts()) == 1
    assert (await db.totd_settings(1)).problem is None  # type: ignore[union-attr]


async def test_a_5xx_backs_off_and_looks_before_resending(scheduler, fake, clock, db):
    await scheduler.configure(berlin())
    fake.exists_despite_error = True  # Discord created the message, then answered 503
    fake.failures[1] = [DeliveryError(FailureKind.UNCERTAIN, "Discord had an error (503)")]
    clock.now = POST_AT
    await round_(scheduler)
    row = await db.totd_latest(1)
    assert row is not None and (row.status, row.attempts) == (PostStatus.SENDING, 1)
    assert row.next_attempt_at == POST_AT + timedelta(seconds=30)
    clock.advance(seconds=29)
    await round_(scheduler)
    assert fake.calls.count(("find", 1)) == 0
    clock.advance(seconds=1)
    await round_(scheduler)
    assert len(fake.posts()) == 1  # found, not sent again
    row = await db.totd_latest(1)
    assert row is not None and row.status is PostStatus.POSTED and row.message_id == fake.posts()[0].id


async def test_transient_errors_back_off_exponentially_within_the_day(scheduler, fake, clock, db):
    await scheduler.configure(berlin())
    fake.failures[1] = [DeliveryError(FailureKind.TRANSIENT, "Rate limited") for _ in range(3)]
    clock.now = POST_AT
    waits = []
    for _ in range(4):
        await round_(scheduler)
        row = await db.totd_latest(1)
        assert row is not None
        if row.status is PostStatus.POSTED:
            break
        assert row.next_attempt_at is not None
        waits.append((row.next_attempt_at - clock()).total_seconds())
        clock.now = row.next_attempt_at
    assert waits == [30, 60, 120]
    assert len(fake.posts()) == 1


async def test_a_timeout_counts_as_uncertain(db, service, fake, clock):
    fake.hang.add(1)
    scheduler = TotdScheduler(db, service, fake, clock, call_timeout=0.05)
    await scheduler.configure(berlin())
    clock.now = POST_AT
    await round_(scheduler)
    row = await db.totd_latest(1)
    assert row is not None and row.status is PostStatus.SENDING and "did not answer" in (row.last_error or "")
    fake.hang.clear()
    fake.release.set()
    clock.advance(seconds=30)
    await round_(scheduler)
    assert len(fake.posts()) == 1  # the hung send did reach the channel: found, not resent
    await scheduler.stop()


async def test_one_hung_or_broken_server_does_not_delay_the_others(scheduler, fake, clock, db):
    for guild_id in range(1, 11):
        await scheduler.configure(berlin(guild_id))
    fake.hang.add(3)
    fake.failures[5] = [RuntimeError("a bug in one server's path")]
    others = set(range(1, 11)) - {3, 5}
    done = asyncio.Event()
    fake.on_send = lambda _: done.set() if {m.guild_id for m in fake.posts()} >= others | {3} else None
    clock.now = POST_AT
    await scheduler.run_round()
    await asyncio.wait_for(done.wait(), 20)  # liveness, not speed: the hung server never finishes
    assert {m.guild_id for m in fake.posts()} == others | {3}
    fake.release.set()
    await scheduler.drain()
    row = await db.totd_latest(5)
    assert row is not None and row.status is PostStatus.SENDING and "RuntimeError" in (row.last_error or "")


async def test_posting_concurrency_is_bounded(db, service, fake, clock):
    scheduler = TotdScheduler(db, service, fake, clock, concurrency=4)
    for guild_id in range(1, 41):
        await scheduler.configure(berlin(guild_id))
    clock.now = POST_AT
    await round_(scheduler)
    assert len(fake.posts()) == 40
    assert 1 < fake.most_concurrent <= 4
    await scheduler.stop()


async def test_a_thousand_servers_post_once_each(db, service, fake, clock):
    scheduler = TotdScheduler(db, service, fake, clock)
    clock.now = POST_AT - timedelta(hours=12)
    zones = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata"]
    for guild_id in range(1, 1001):
        await scheduler.configure(berlin(guild_id, timezone=zones[guild_id % 4]))
    clock.now = POST_AT - timedelta(hours=12)
    for _ in range(16):  # every three hours for two days: each post within its catch-up window
        await round_(scheduler)
        clock.advance(hours=3)
    per_server = {g: sorted(m.day for m in fake.posts(g)) for g in range(1, 1001)}
    assert all(days == [DAY, DAY + timedelta(days=1)] for days in per_server.values())
    assert sum(map(len, per_server.values())) == len(fake.posts())
    await scheduler.stop()


async def test_no_repeats_across_a_full_pass_of_the_glossary(scheduler, fake, clock, service):
    await scheduler.configure(berlin())
    slugs = [t.slug for m in service.module_counts() for t in service.module_terms(m)]
    clock.now = POST_AT
    for _ in range(2 * len(slugs)):
        await round_(scheduler)
        clock.advance(days=1)
    posted = [m.slug for m in fake.posts()]
    assert posted[: len(slugs)] == cycle_order(1, 0, slugs)
    assert sorted(posted[len(slugs) :]) == sorted(slugs)


async def test_module_focus_posts_only_that_module(scheduler, fake, clock, service):
    await scheduler.configure(berlin(module="Order Quantities"))
    clock.now = POST_AT
    for _ in range(4):
        await round_(scheduler)
        clock.advance(days=1)
    names = {m.slug for m in fake.posts()}
    assert names == {t.slug for t in service.module_terms("Order Quantities")}
    assert len(fake.posts()) == 4


async def test_catch_up_after_downtime_and_a_missed_day(scheduler, fake, clock, db):
    clock.now = POST_AT - timedelta(days=3)
    await scheduler.configure(berlin(catch_up=timedelta(hours=2)))
    clock.now = POST_AT + timedelta(hours=3)  # offline through yesterday and past today's window
    await round_(scheduler)
    assert fake.posts() == []
    assert [(r.local_date, r.status) for r in await db.totd_history(1, 5)] == [
        (DAY, PostStatus.MISSED),
        (DAY - timedelta(days=1), PostStatus.MISSED),
    ]
    clock.now = POST_AT + timedelta(days=1, hours=1)  # back within tomorrow's window
    await round_(scheduler)
    assert [m.day for m in fake.posts()] == [DAY + timedelta(days=1)]


async def test_post_now_counts_as_todays_post(scheduler, fake, clock, db):
    await scheduler.configure(berlin())
    outcome = await scheduler.post_now(1)
    assert outcome.kind is OutcomeKind.POSTED and outcome.day == DAY
    again = await scheduler.post_now(1)
    assert again.kind is OutcomeKind.ALREADY and again.message_id == outcome.message_id
    clock.now = POST_AT
    await round_(scheduler)
    assert len(fake.posts()) == 1
    assert (await scheduler.post_now(99)).kind is OutcomeKind.NOT_SET_UP


async def test_skip_edits_todays_post_and_the_skipped_term_comes_back_last(scheduler, fake, clock, db, service):
    await scheduler.configure(berlin(module="Lean"))  # two terms: kanban and kaizen
    first = await scheduler.post_now(1)
    [post] = fake.posts()
    skipped = post.slug
    outcome = await scheduler.skip(1)
    assert outcome.kind is OutcomeKind.REPLACED and outcome.message_id == first.message_id
    assert post.slug != skipped and len(fake.posts()) == 1
    row = await db.totd_post(1, DAY)
    assert row is not None and row.slug == post.slug
    clock.now = POST_AT + timedelta(days=1)
    await round_(scheduler)
    assert fake.posts()[-1].slug == skipped  # back, at the end of the cycle


async def test_skip_before_the_post_posts_another_term_now(scheduler, fake, db, service):
    await scheduler.configure(berlin())
    order = cycle_order(1, 0, [t.slug for m in service.module_counts() for t in service.module_terms(m)])
    outcome = await scheduler.skip(1)
    assert outcome.kind is OutcomeKind.POSTED
    assert [m.slug for m in fake.posts()] == [order[1]]
    assert (await db.totd_cycle_state(1)).skipped == {order[0]}
    assert (await scheduler.skip(1)).kind is OutcomeKind.REPLACED


async def test_skip_after_the_post_was_deleted_posts_again(scheduler, fake, clock):
    await scheduler.configure(berlin())
    await scheduler.post_now(1)
    fake.channels.clear()
    outcome = await scheduler.skip(1)
    assert outcome.kind is OutcomeKind.POSTED
    assert len(fake.posts()) == 1


async def test_disable_stops_posts_and_setup_turns_them_back_on(scheduler, fake, clock):
    await scheduler.configure(berlin())
    assert await scheduler.disable(1)
    clock.now = POST_AT
    await round_(scheduler)
    assert fake.posts() == []
    assert (await scheduler.post_now(1)).kind is OutcomeKind.DISABLED
    clock.advance(minutes=1)
    await scheduler.configure(berlin())  # after today's time: the next post is tomorrow's
    status = await scheduler.status(1)
    assert status is not None and status.next_at == POST_AT + timedelta(days=1)


async def test_the_loop_starts_once_posts_when_due_and_wakes_on_demand(db, service, fake, clock):
    scheduler = TotdScheduler(db, service, fake, clock, tick=30)
    posted = asyncio.Event()
    fake.on_send = lambda _: posted.set()
    await scheduler.configure(berlin())
    ready = asyncio.Event()
    scheduler.start(ready.wait)
    task = scheduler._loop
    scheduler.start(ready.wait)
    assert scheduler._loop is task and scheduler.running
    ready.set()
    clock.now = POST_AT  # the wall clock jumps (a resumed laptop): the next look posts
    scheduler.wake()
    await asyncio.wait_for(posted.wait(), 5)
    await scheduler.stop()
    assert not scheduler.running


async def test_rate_limiter_spaces_calls_evenly(monkeypatch):
    ticks = iter([0.0, 0.0, 0.0, 10.0])
    slept: list[float] = []
    limiter = RateLimiter(4, monotonic=lambda: next(ticks))

    async def no_sleep(delay: float) -> None:
        slept.append(delay)

    monkeypatch.setattr(asyncio, "sleep", no_sleep)
    for _ in range(4):
        await limiter.wait()
    assert slept == [0.25, 0.5]
