"""The term-of-the-day runtime: one loop for every server, exactly-once bookkeeping and retries.

The rules live in `bot.core.schedule`; this module applies them. Discord sits behind the small `Delivery` protocol
(`bot.exts._totd_delivery` implements it with discord.py; tests and the benchmark pass fakes): no discord import here.

Exactly once per server and local date, across processes: under a database hold no other process can take, the intent
is recorded as the date's 'sending' row (primary key (guild_id, local_date)) before the message is sent. A 'sending'
row whose outcome is unknown (crash, timeout, 5xx) is reconciled before anything is resent: the channel's recent
messages are searched for the bot's post carrying that date's footer marker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime
from typing import TypeVar

from bot.core.schedule import (
    OPEN,
    PROBLEM_RETRY,
    Action,
    DeliveryError,
    FailureKind,
    Pick,
    PostRecord,
    PostStatus,
    ServerSchedule,
    decide,
    next_post_at,
    pick_replacement,
    pick_term,
    retry_delay,
)
from bot.core.timezones import Clock, local_date
from bot.db.repositories import TotdRepository
from bot.services.glossary import GlossaryService
from bot.services.periodic import Periodic
from bot.services.totd_outcomes import Delivery, Outcome, OutcomeKind, RoundReport, Status, missed_reason

log = logging.getLogger(__name__)
T = TypeVar("T")


TICK = 30.0  # look at the wall clock at least this often (seconds), so clock jumps are noticed
CONCURRENCY = 16  # servers being posted to at once
CALL_TIMEOUT = 60.0  # one Discord call (discord.py's own retries included) for one server
PAGE = 50  # servers read and decided per step, so a round never blocks the event loop for long
REQUESTS_PER_SECOND = 25.0  # half of Discord's global 50/s, leaving room for commands
HELD_RETRY = 3.0  # seconds until a server another process was posting to is looked at again


class TotdScheduler:
    """Post every server's term of the day: one loop, bounded concurrency, one timeout per call."""

    def __init__(
        self,
        db: TotdRepository,
        glossary: GlossaryService,
        delivery: Delivery,
        clock: Clock,
        *,
        concurrency: int = CONCURRENCY,
        call_timeout: float = CALL_TIMEOUT,
        tick: float = TICK,
        owns: Callable[[int], bool] = lambda _: True,
    ) -> None:
        self._db = db
        self._glossary = glossary
        self._delivery = delivery
        self._clock = clock
        self._slots = asyncio.Semaphore(concurrency)
        self._call_timeout = call_timeout
        self._tick = tick
        self._owns = owns  # the servers on this process's shards; the hold in _act keeps other processes out
        self._locks: dict[int, asyncio.Lock] = {}
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._loop: Periodic | None = None
        self._reported = False
        self._eligible_cache: dict[str | None, list[str]] = {}

    # -- the loop -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the loop task is alive."""
        return self._loop is not None and self._loop.running

    def start(self, before_first_round: Callable[[], Awaitable[object]] | None = None) -> None:
        """Start the one loop (a second call while it runs does nothing)."""
        if not self.running:
            self._loop = Periodic("totd-scheduler", self._step, retry_after=self._tick, before_first=before_first_round)
            self._loop.start()

    async def stop(self) -> None:
        """Stop the loop and any posting in progress."""
        loop, self._loop = self._loop, None
        if loop is not None:
            await loop.stop()
        tasks = list(self._inflight.values())
        for pending in tasks:
            pending.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def wake(self) -> None:
        """Make the loop look at every server now (after a settings change)."""
        if self._loop is not None:
            self._loop.wake()

    async def drain(self) -> None:
        """Wait until every post started by a round has finished."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight.values()), return_exceptions=True)

    async def _step(self) -> float:
        report = await self.run_round()
        if not self._reported:
            log.info("Term of the day: %d server(s) set up, %d post(s) due now", report.servers, report.started)
            self._reported = True
        if report.next_wake is None:
            return self._tick
        until = (report.next_wake - self._clock()).total_seconds() + 0.05  # slack: the clock has reached it by then
        return min(self._tick, max(0.5, until))

    async def run_round(self) -> RoundReport:
        """Decide for every enabled server and start the posts that are due; return when to look again."""
        now = self._clock()
        servers = started = 0
        next_wake: datetime | None = None
        after = 0
        while True:
            page = await self._db.totd_schedules(after, PAGE)
            for schedule, latest in (entry for entry in page if self._owns(entry[0].guild_id)):
                servers += 1
                if schedule.guild_id in self._inflight:
                    continue
                decision = decide(now, schedule, latest)
                if decision.action is Action.WAIT and decision.wake_at is not None:
                    next_wake = decision.wake_at if next_wake is None else min(next_wake, decision.wake_at)
                elif decision.action not in (Action.WAIT, Action.IDLE):
                    self._launch(schedule.guild_id)
                    started += 1
            if len(page) < PAGE:
                break
            after = page[-1][0].guild_id
        return RoundReport(servers, started, next_wake)

    def _launch(self, guild_id: int) -> None:
        task = asyncio.create_task(self._guarded(guild_id), name=f"totd-{guild_id}")
        self._inflight[guild_id] = task
        task.add_done_callback(lambda _: self._inflight.pop(guild_id, None))

    async def _guarded(self, guild_id: int) -> None:
        async with self._slots:
            try:
                outcome = await self._act(guild_id, manual=False)
            except Exception:  # one broken server must never stop the others
                log.exception("Term of the day failed for guild %s", guild_id)
            else:
                log.debug("Term of the day for guild %s: %s", guild_id, outcome)
                if outcome.kind is OutcomeKind.BUSY:  # another process holds it: see soon how it ended
                    asyncio.get_running_loop().call_later(HELD_RETRY, self.wake)

    # -- one server -----------------------------------------------------------------------

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def post_now(self, guild_id: int) -> Outcome:
        """Post today's term now (an admin's /totd post); it counts as today's post."""
        return await self._act(guild_id, manual=True)

    async def _act(self, guild_id: int, *, manual: bool) -> Outcome:
        async with self._lock(guild_id), self._db.totd_hold(guild_id) as held:
            if not held:
                return Outcome(OutcomeKind.BUSY)
            outcome = Outcome(OutcomeKind.NOTHING)
            for _ in range(4):  # closing an earlier day can make today's post due at once
                now = self._clock()
                schedule = await self._db.totd_settings(guild_id)
                if schedule is None:
                    return Outcome(OutcomeKind.NOT_SET_UP)
                latest = await self._db.totd_latest(guild_id)
                decision = decide(now, schedule, latest, manual=manual)
                day = decision.local_date
                if decision.action is Action.IDLE:
                    return Outcome(OutcomeKind.DISABLED)
                if decision.action is Action.WAIT or day is None:
                    return outcome
                if decision.action is Action.DONE:
                    assert latest is not None
                    return Outcome(OutcomeKind.ALREADY, day, channel_id=latest.channel_id, message_id=latest.message_id)
                if decision.action is Action.MISS:
                    reason = missed_reason(decision.reason, latest, schedule)
                    await self._db.totd_mark_missed(guild_id, day, reason, now)
                    log.info("Term of the day for guild %s on %s missed: %s", guild_id, day, decision.reason)
                    outcome = Outcome(OutcomeKind.MISSED, day, decision.reason)
                elif decision.action is Action.RECONCILE:
                    assert latest is not None
                    outcome = await self._reconcile(schedule, latest, now)
                else:
                    row = latest if latest is not None and latest.local_date == day else None
                    outcome = await self._post(schedule, day, row, now)
                closed_other_day = outcome.day != local_date(now, schedule.zone)
                if not (outcome.kind in (OutcomeKind.MISSED, OutcomeKind.FOUND) and closed_other_day):
                    return outcome
            return outcome

    async def _post(
        self, schedule: ServerSchedule, day: date, row: PostRecord | None, now: datetime, pick: Pick | None = None
    ) -> Outcome:
        """Check the channel, record the intent, then send."""
        try:
            await self._call(self._delivery.check(schedule))
        except DeliveryError as exc:
            return await self._refused(schedule, day, row, exc, now)
        pick = pick or await self._choose(schedule, row)
        if pick is None:
            problem = DeliveryError(FailureKind.PERMANENT, "The glossary has no terms to post.")
            return await self._refused(schedule, day, row, problem, now)
        if row is None:
            claimed = await self._db.totd_begin(schedule.guild_id, day, pick, schedule.channel_id, now)
        else:
            claimed = await self._db.totd_retake(schedule.guild_id, day, row.status, pick, schedule.channel_id, now)
        if not claimed:
            return Outcome(OutcomeKind.BUSY, day)
        return await self._send(schedule, day, pick, row.attempts if row else 0)

    async def _send(self, schedule: ServerSchedule, day: date, pick: Pick, attempts: int) -> Outcome:
        """Send the day's post; the intent row must already say 'sending'."""
        term = self._glossary.get(pick.slug)
        assert term is not None  # _choose only picks terms in the glossary
        try:
            sent = await self._call(self._delivery.send(schedule, term, day))
        except DeliveryError as exc:
            return await self._failed(schedule, day, attempts + 1, exc)
        now = self._clock()
        await self._db.totd_mark_posted(schedule.guild_id, day, sent.channel_id, sent.message_id, now, sent.note)
        if schedule.problem is not None or schedule.blocked_until is not None:
            await self._db.totd_clear_problem(schedule.guild_id, now)
        if sent.note:
            log.warning("Term of the day for guild %s posted with a problem: %s", schedule.guild_id, sent.note)
        log.info("Posted the term of the day for guild %s on %s: %s", schedule.guild_id, day, pick.slug)
        return Outcome(OutcomeKind.POSTED, day, sent.note or "", sent.channel_id, sent.message_id)

    async def _failed(self, schedule: ServerSchedule, day: date, attempts: int, exc: DeliveryError) -> Outcome:
        """Record a failed send: hourly after a refusal, else exponential backoff within the day."""
        now = self._clock()
        if exc.kind is FailureKind.PERMANENT:
            retry_at = now + PROBLEM_RETRY
            await self._db.totd_set_problem(schedule.guild_id, str(exc), retry_at, now)
            kind = OutcomeKind.PROBLEM
        else:
            retry_at = now + retry_delay(attempts)
            kind = OutcomeKind.RETRYING
        # After a 5xx, a timeout or a dropped connection the message may exist: stay 'sending' (look first next time).
        status = PostStatus.SENDING if exc.kind is FailureKind.UNCERTAIN else PostStatus.FAILED
        await self._db.totd_mark_retry(schedule.guild_id, day, status, retry_at, str(exc), now)
        log.warning(
            "Term of the day for guild %s on %s failed (%s, attempt %d); next try at %s: %s",
            schedule.guild_id,
            day,
            exc.kind,
            attempts,
            retry_at.isoformat(timespec="seconds"),
            exc,
        )
        return Outcome(kind, day, str(exc), retry_at=retry_at)

    async def _refused(
        self, schedule: ServerSchedule, day: date, row: PostRecord | None, exc: DeliveryError, now: datetime
    ) -> Outcome:
        """Record a failed channel check (nothing was sent) and when to try again."""
        if exc.kind is not FailureKind.PERMANENT:
            retry_at = now + retry_delay((row.attempts if row else 0) + 1)
            if row is not None:
                await self._db.totd_mark_retry(schedule.guild_id, day, row.status, retry_at, str(exc), now)
            return Outcome(OutcomeKind.RETRYING, day, str(exc), retry_at=retry_at)
        retry_at = now + PROBLEM_RETRY
        await self._db.totd_set_problem(schedule.guild_id, str(exc), retry_at, now)
        if row is not None and row.status in OPEN:
            await self._db.totd_mark_retry(schedule.guild_id, day, row.status, retry_at, str(exc), now)
        log.warning("Term of the day for guild %s cannot be posted (next try %s): %s", schedule.guild_id, retry_at, exc)
        return Outcome(OutcomeKind.PROBLEM, day, str(exc), retry_at=retry_at)

    async def _reconcile(self, schedule: ServerSchedule, row: PostRecord, now: datetime) -> Outcome:
        """Settle a 'sending' row: find the post in the channel, or resend today, or mark a past day missed."""
        day = row.local_date
        channel_id = row.channel_id or schedule.channel_id
        past = day < local_date(now, schedule.zone)
        try:
            found = await self._call(self._delivery.find(schedule, channel_id, day))
        except DeliveryError as exc:
            if past and exc.kind is FailureKind.PERMANENT:
                await self._db.totd_mark_missed(schedule.guild_id, day, f"Could not check the channel: {exc}", now)
                return Outcome(OutcomeKind.MISSED, day, str(exc))
            if exc.kind is FailureKind.PERMANENT:
                return await self._refused(schedule, day, row, exc, now)
            return await self._failed(schedule, day, row.attempts + 1, exc)
        if found is not None:
            await self._db.totd_mark_posted(schedule.guild_id, day, channel_id, found, now)
            if schedule.problem is not None or schedule.blocked_until is not None:
                await self._db.totd_clear_problem(schedule.guild_id, now)
            log.info("Term of the day for guild %s on %s was already in the channel", schedule.guild_id, day)
            return Outcome(OutcomeKind.FOUND, day, channel_id=channel_id, message_id=found)
        if past:
            reason = "The post did not go out before the day ended."
            await self._db.totd_mark_missed(schedule.guild_id, day, reason, now)
            return Outcome(OutcomeKind.MISSED, day)
        # Certainly not in the channel: send it again, still under the same intent row.
        failed = PostRecord(row.guild_id, day, PostStatus.FAILED, row.slug, row.cycle, attempts=row.attempts)
        try:
            await self._call(self._delivery.check(schedule))
        except DeliveryError as exc:
            return await self._refused(schedule, day, failed, exc, now)
        pick = await self._choose(schedule, row)
        if pick is None:
            problem = DeliveryError(FailureKind.PERMANENT, "The glossary has no terms to post.")
            return await self._refused(schedule, day, row, problem, now)
        await self._db.totd_retake(schedule.guild_id, day, PostStatus.SENDING, pick, schedule.channel_id, now)
        return await self._send(schedule, day, pick, row.attempts)

    def _eligible(self, module: str | None) -> list[str]:
        """Slugs a server can get: its module focus, or the whole glossary (also if the focus is empty)."""
        # The glossary does not change while the bot runs, so each list is built once.
        if module not in self._eligible_cache:
            focused = [term.slug for term in self._glossary.module_terms(module)] if module else []
            self._eligible_cache[module] = focused or [term.slug for term in self._glossary.syllabus()]
        return self._eligible_cache[module]

    async def _choose(self, schedule: ServerSchedule, row: PostRecord | None) -> Pick | None:
        """Keep the day's term if it has one still in the glossary, else take the next in the cycle."""
        if row is not None and row.slug is not None and self._glossary.get(row.slug) is not None:
            return Pick(row.slug, row.cycle)
        state = await self._db.totd_cycle_state(schedule.guild_id)
        return pick_term(schedule.guild_id, self._eligible(schedule.module), state)

    async def _call(self, awaitable: Awaitable[T]) -> T:
        """Run one Discord call with its own timeout; anything unexpected counts as uncertain."""
        try:
            async with asyncio.timeout(self._call_timeout):
                return await awaitable
        except DeliveryError:
            raise
        except TimeoutError:
            raise DeliveryError(
                FailureKind.UNCERTAIN, f"Discord did not answer within {self._call_timeout:.0f} s."
            ) from None
        except Exception as exc:
            log.exception("Unexpected error while talking to Discord")
            raise DeliveryError(FailureKind.UNCERTAIN, f"Unexpected error: {type(exc).__name__}") from exc

    # -- what the commands ask ----------------------------------------------------------------

    async def configure(self, schedule: ServerSchedule) -> ServerSchedule:
        """Save a server's settings; the first post is owed from the next scheduled time on.

        Re-running setup with the same time and zone keeps today's post owed (so fixing a
        permission still catches up today); a new time or zone starts counting afresh.
        """
        async with self._lock(schedule.guild_id):
            now = self._clock()
            old = await self._db.totd_settings(schedule.guild_id)
            same_time = old is not None and (old.post_time, old.timezone) == (schedule.post_time, schedule.timezone)
            keep = old is not None and old.enabled and same_time
            active_from = old.active_from if keep and old is not None else now
            saved = replace(
                schedule, enabled=True, active_from=active_from, problem=None, problem_since=None, blocked_until=None
            )
            await self._db.totd_save_settings(saved, now)
        self.wake()
        return saved

    async def disable(self, guild_id: int) -> bool:
        """Stop a server's posts (its history stays); False if it was never set up."""
        async with self._lock(guild_id):
            done = await self._db.totd_set_enabled(guild_id, False, self._clock())
        self.wake()
        return done

    async def status(self, guild_id: int) -> Status | None:
        """Return a server's settings, latest and last successful post, and the next post time."""
        schedule = await self._db.totd_settings(guild_id)
        if schedule is None:
            return None
        latest = await self._db.totd_latest(guild_id)
        last_posted = latest if latest and latest.status is PostStatus.POSTED else None
        if last_posted is None:
            last_posted = await self._db.totd_last_posted(guild_id)
        return Status(schedule, latest, last_posted, next_post_at(self._clock(), schedule, latest))

    async def today(self, guild_id: int) -> tuple[ServerSchedule | None, PostRecord | None, datetime | None]:
        """Return a server's settings, its post record for today's local date and the next post time."""
        schedule = await self._db.totd_settings(guild_id)
        if schedule is None:
            return None, None, None
        now = self._clock()
        record = await self._db.totd_post(guild_id, local_date(now, schedule.zone))
        latest = await self._db.totd_latest(guild_id)
        return schedule, record, next_post_at(now, schedule, latest)

    async def skip(self, guild_id: int) -> Outcome:
        """Replace today's term: edit today's post, or post the replacement now if there is none.

        The skipped term is not lost: it goes to the end of the current cycle.
        """
        async with self._lock(guild_id), self._db.totd_hold(guild_id) as held:
            if not held:
                return Outcome(OutcomeKind.BUSY)
            now = self._clock()
            schedule = await self._db.totd_settings(guild_id)
            if schedule is None:
                return Outcome(OutcomeKind.NOT_SET_UP)
            if not schedule.enabled:
                return Outcome(OutcomeKind.DISABLED)
            today = local_date(now, schedule.zone)
            latest = await self._db.totd_latest(guild_id)
            if latest is not None and latest.status in OPEN:
                return Outcome(OutcomeKind.BUSY, latest.local_date, latest.last_error or "")
            row = latest if latest is not None and latest.local_date == today else None
            eligible = self._eligible(schedule.module)
            state = await self._db.totd_cycle_state(guild_id)
            if row is not None and row.slug is not None:
                current: Pick | None = Pick(row.slug, row.cycle)
            else:
                current = pick_term(guild_id, eligible, state)
            if current is None:
                return Outcome(OutcomeKind.NO_TERMS, today)
            replacement = pick_replacement(guild_id, eligible, state, current)
            if replacement is None:
                return Outcome(OutcomeKind.NO_TERMS, today, "There is no other term to show instead.")
            term = self._glossary.get(replacement.slug)
            assert term is not None
            if row is not None and row.status is PostStatus.POSTED and row.message_id is not None:
                channel_id = row.channel_id or schedule.channel_id
                try:
                    edited = await self._call(self._delivery.replace(schedule, channel_id, row.message_id, term, today))
                except DeliveryError as exc:
                    return Outcome(OutcomeKind.PROBLEM, today, str(exc))
                await self._db.totd_skip(guild_id, today, current, replacement, now)
                if edited:
                    return Outcome(OutcomeKind.REPLACED, today, channel_id=channel_id, message_id=row.message_id)
                # The post was deleted: post the replacement as today's term.
                return await self._post(schedule, today, row, now, replacement)
            await self._db.totd_skip(guild_id, today, current, replacement, now)
            return await self._post(schedule, today, row, now, replacement)
