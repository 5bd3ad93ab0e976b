"""Term-of-the-day settings and history on a real SQLite file, and the migration from version 1."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import pytest

from bot.core.glossary import Term
from bot.core.schedule import CycleState, Pick, PostStatus, ServerSchedule
from bot.db import Database
from bot.db.database import migrations
from bot.db.repositories import Storage


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here that takes `db` runs against SQLite and against PostgreSQL."""
    return storage


NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
DAY = date(2026, 11, 25)


def schedule(guild_id: int = 1, **kw: object) -> ServerSchedule:
    base = ServerSchedule(
        guild_id=guild_id,
        channel_id=100 + guild_id,
        post_time=time(8, 30),
        timezone="Europe/Berlin",
        catch_up=timedelta(hours=4),
        role_id=555,
        module="Lean",
        threads=True,
        active_from=NOW - timedelta(days=3),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


async def test_settings_round_trip_and_update_clears_the_problem(db: Database):
    assert await db.totd_settings(1) is None
    await db.totd_save_settings(schedule(), NOW)
    assert await db.totd_settings(1) == schedule()
    await db.totd_set_problem(1, "I am missing Embed Links", NOW + timedelta(hours=1), NOW)
    changed = schedule(channel_id=999, role_id=None, module=None, threads=False, timezone="America/New_York")
    await db.totd_save_settings(changed, NOW + timedelta(minutes=5))
    stored = await db.totd_settings(1)
    assert stored == changed
    assert stored is not None and stored.problem is None and stored.blocked_until is None


async def test_a_problem_keeps_its_first_occurrence_until_it_changes_or_clears(db: Database):
    await db.totd_save_settings(schedule(), NOW)
    later = NOW + timedelta(hours=1)
    await db.totd_set_problem(1, "403", NOW + timedelta(hours=1), NOW)
    await db.totd_set_problem(1, "403", later + timedelta(hours=1), later)
    stored = await db.totd_settings(1)
    assert stored is not None
    assert (stored.problem, stored.problem_since, stored.blocked_until) == ("403", NOW, later + timedelta(hours=1))
    await db.totd_set_problem(1, "404", later, later)
    stored = await db.totd_settings(1)
    assert stored is not None and (stored.problem, stored.problem_since) == ("404", later)
    await db.totd_clear_problem(1, later)
    stored = await db.totd_settings(1)
    assert stored is not None and (stored.problem, stored.problem_since, stored.blocked_until) == (None, None, None)


async def test_enable_and_disable(db: Database):
    assert not await db.totd_set_enabled(1, False, NOW)
    await db.totd_save_settings(schedule(), NOW)
    assert await db.totd_set_enabled(1, False, NOW)
    stored = await db.totd_settings(1)
    assert stored is not None and not stored.enabled


async def test_one_row_per_server_and_local_date(db: Database):
    pick = Pick("kanban", 0)
    assert await db.totd_begin(1, DAY, pick, 101, NOW)
    assert not await db.totd_begin(1, DAY, Pick("kaizen", 0), 101, NOW)  # the intent is already recorded
    assert await db.totd_begin(1, DAY + timedelta(days=1), pick, 101, NOW)
    assert await db.totd_begin(2, DAY, pick, 102, NOW)
    row = await db.totd_post(1, DAY)
    assert row is not None
    assert (row.status, row.slug, row.cycle, row.channel_id, row.message_id) == (
        PostStatus.SENDING,
        "kanban",
        0,
        101,
        None,
    )


async def test_attempts_retries_and_posting(db: Database):
    await db.totd_begin(1, DAY, Pick("kanban", 2), 101, NOW)
    retry_at = NOW + timedelta(seconds=30)
    await db.totd_mark_retry(1, DAY, PostStatus.FAILED, retry_at, "429", NOW)
    await db.totd_mark_retry(1, DAY, PostStatus.SENDING, retry_at, "503", NOW)
    row = await db.totd_post(1, DAY)
    assert row is not None
    assert (row.status, row.attempts, row.next_attempt_at, row.last_error) == (PostStatus.SENDING, 2, retry_at, "503")
    assert not await db.totd_retake(1, DAY, PostStatus.FAILED, Pick("kanban", 2), 101, NOW)  # it is 'sending' now
    await db.totd_mark_retry(1, DAY, PostStatus.FAILED, retry_at, "403", NOW)
    assert await db.totd_retake(1, DAY, PostStatus.FAILED, Pick("kaizen", 2), 103, NOW)
    await db.totd_mark_posted(1, DAY, 103, 777, NOW + timedelta(minutes=1), note="thread failed")
    row = await db.totd_post(1, DAY)
    assert row is not None
    assert (row.status, row.slug, row.channel_id, row.message_id, row.next_attempt_at, row.last_error) == (
        PostStatus.POSTED,
        "kaizen",
        103,
        777,
        None,
        "thread failed",
    )
    assert row.posted_at == NOW + timedelta(minutes=1)


async def test_missed_days_never_overwrite_a_post(db: Database):
    await db.totd_mark_missed(1, DAY - timedelta(days=1), "offline", NOW)
    await db.totd_begin(1, DAY, Pick("kanban", 0), 101, NOW)
    await db.totd_mark_posted(1, DAY, 101, 5, NOW)
    await db.totd_mark_missed(1, DAY, "late", NOW)
    assert (await db.totd_post(1, DAY)).status is PostStatus.POSTED  # type: ignore[union-attr]
    await db.totd_begin(1, DAY + timedelta(days=1), Pick("kaizen", 0), 101, NOW)
    await db.totd_mark_missed(1, DAY + timedelta(days=1), "retries ran out", NOW)
    closed = await db.totd_post(1, DAY + timedelta(days=1))
    assert closed is not None and (closed.status, closed.slug) == (PostStatus.MISSED, "kaizen")
    missed = await db.totd_post(1, DAY - timedelta(days=1))
    assert missed is not None and (missed.status, missed.slug, missed.last_error) == (
        PostStatus.MISSED,
        None,
        "offline",
    )


async def test_history_latest_and_last_posted(db: Database):
    for offset, status in ((0, "posted"), (1, "posted"), (2, "missed")):
        day = DAY + timedelta(days=offset)
        if status == "posted":
            await db.totd_begin(1, day, Pick(f"t{offset}", 0), 101, NOW)
            await db.totd_mark_posted(1, day, 101, offset + 1, NOW)
        else:
            await db.totd_mark_missed(1, day, "offline", NOW)
    latest = await db.totd_latest(1)
    last = await db.totd_last_posted(1)
    assert latest is not None and latest.local_date == DAY + timedelta(days=2)
    assert last is not None and last.local_date == DAY + timedelta(days=1)
    assert [r.local_date for r in await db.totd_history(1, 10)] == [DAY + timedelta(days=n) for n in (2, 1, 0)]
    assert await db.totd_latest(2) is None


async def test_cycle_state_counts_posts_not_misses_and_remembers_skips(db: Database):
    assert await db.totd_cycle_state(1) == CycleState()
    await db.totd_begin(1, DAY, Pick("a", 0), 101, NOW)
    await db.totd_mark_posted(1, DAY, 101, 1, NOW)
    await db.totd_begin(1, DAY + timedelta(days=1), Pick("b", 1), 101, NOW)
    await db.totd_begin(1, DAY + timedelta(days=2), Pick("c", 1), 101, NOW)
    await db.totd_mark_missed(1, DAY + timedelta(days=2), "midnight", NOW)
    await db.totd_skip(1, DAY + timedelta(days=1), Pick("b", 1), Pick("d", 1), NOW)
    state = await db.totd_cycle_state(1)
    assert state == CycleState(1, frozenset({"d"}), frozenset({"b"}))
    # A skip is recorded once per cycle; a date without a row is fine (skip before the post).
    await db.totd_skip(1, DAY + timedelta(days=5), Pick("b", 1), Pick("e", 1), NOW)
    assert (await db.totd_cycle_state(1)).skipped == frozenset({"b"})


async def test_schedules_page_through_enabled_servers_with_their_latest_record(db: Database):
    for guild_id in range(1, 251):
        await db.totd_save_settings(schedule(guild_id), NOW)
    await db.totd_set_enabled(7, False, NOW)
    for guild_id in (3, 150):
        for offset in (0, 1):
            await db.totd_begin(guild_id, DAY + timedelta(days=offset), Pick("x", 0), 1, NOW)
    seen: list[int] = []
    after = 0
    while True:
        page = await db.totd_schedules(after, 100)
        seen += [s.guild_id for s, _ in page]
        for s, latest in page:
            if s.guild_id in (3, 150):
                assert latest is not None and latest.local_date == DAY + timedelta(days=1)
            else:
                assert latest is None
        if len(page) < 100:
            break
        after = page[-1][0].guild_id
    assert seen == [g for g in range(1, 251) if g != 7]


async def test_settings_reset_the_backoff_of_an_unfinished_day(db: Database):
    await db.totd_save_settings(schedule(), NOW)
    await db.totd_begin(1, DAY, Pick("kanban", 0), 101, NOW)
    await db.totd_mark_retry(1, DAY, PostStatus.FAILED, NOW + timedelta(hours=1), "403", NOW)
    await db.totd_save_settings(schedule(), NOW)
    row = await db.totd_post(1, DAY)
    assert row is not None and row.next_attempt_at is None and row.status is PostStatus.FAILED


async def test_an_unconfirmed_post_survives_a_crash(tmp_path: Path):
    path = tmp_path / "crash.db"
    db = await Database.open(path)
    await db.totd_begin(1, DAY, Pick("kanban", 0), 101, NOW)
    await db.close()  # the process dies here, between sending and recording
    async with await Database.open(path) as reopened:
        row = await reopened.totd_latest(1)
        assert row is not None and row.status is PostStatus.SENDING


async def test_migrating_a_version_1_database_with_data_loses_nothing(tmp_path: Path):
    path = tmp_path / "v1.db"
    old = await Database.open(path, migrate_to=1)
    assert await old.version() == 1
    term = Term("kanban", "Kanban", "Lean", "A signalling method in pull systems.", aliases=("kanban card",))
    await old.replace_glossary([term], "hash-1")
    await old.record_usage({"kanban": 2}, {"flux capacitor": ("Flux capacitor", 1)})
    await old.set_meta("command_hash:1:global", "abc")
    await old.close()

    async with await Database.open(path) as db:
        assert await db.version() == len(migrations()) >= 2
        assert await db.load_terms() == [term]
        assert await db.lookup_counts() == (2, 1)
        assert await db.top_misses(5) == [("Flux capacitor", 1)]
        assert await db.get_meta("command_hash:1:global") == "abc"
        assert await db.get_meta("glossary_hash") == "hash-1"
        assert [hit.slug for hit in (await db.search("pull", limit=5))[0]] == ["kanban"]
        await db.totd_save_settings(schedule(), NOW)
        assert await db.totd_settings(1) == schedule()


@pytest.mark.parametrize("status", ["bogus", "POSTED"])
async def test_the_status_column_only_takes_known_values(db: Database, status: str):
    await db.totd_begin(1, DAY, Pick("kanban", 0), 101, NOW)
    with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError), match="(?i)check constraint"):
        await db.totd_mark_retry(1, DAY, SimpleNamespace(value=status), NOW, "x", NOW)  # type: ignore[arg-type]
