"""Study storage: the migration keeps existing data, and constraints stop double counting."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.core.quiz import Question, QuizMode
from bot.core.review import CardState, Grade, Reviewer, StudySettings
from bot.db import Database
from bot.db.database import migrations
from bot.db.repositories import Storage
from bot.services.glossary import GlossaryService


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here that takes `db` runs against SQLite and against PostgreSQL."""
    return storage


NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
DAY = date(2026, 5, 10)
ALICE, BOB = 101, 202
GUILD, OTHER_GUILD, CHANNEL = 1, 2, 3
QUESTION = Question("backlog", QuizMode.DEFINITION, ("kanban", "backlog", "kaizen", "safety-stock"), 1)


def study_version() -> int:
    return next(n for n, script in migrations() if "CREATE TABLE study_cards" in script)


async def snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every ordinary table (FTS shadow tables are covered by their virtual table)."""
    async with aiosqlite.connect(path) as conn:
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'terms_fts_%' ORDER BY name"
        ) as cursor:
            tables = [row[0] async for row in cursor]
        found = {}
        for table in tables:
            async with conn.execute(f"SELECT * FROM {table} ORDER BY 1") as cursor:
                found[table] = [tuple(row) async for row in cursor]
        return found


async def test_migrating_from_the_previous_version_loses_nothing(tmp_path: Path, glossary_dir: Path):
    path = tmp_path / "old.db"
    previous = study_version() - 1
    old = await Database.open(path, migrate_to=previous)
    assert await old.version() == previous
    await GlossaryService.load(old, glossary_dir)
    await old.record_usage({"backlog": 1}, {"pizza": ("pizza", 1)})
    await old.set_meta("command_hash:1:global", "abc")
    conn = old._writer
    tables = {row[0] for row in await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "totd_settings" in tables:
        await conn.execute(
            "INSERT INTO totd_settings (guild_id, channel_id, post_time, timezone, active_from, updated_at) "
            "VALUES (1, 3, '08:30', 'Europe/Berlin', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
        )
        await conn.execute(
            "INSERT INTO totd_posts (guild_id, local_date, status, slug, created_at, updated_at) "
            "VALUES (1, '2026-05-09', 'posted', 'kanban', '2026-05-09T06:30:00+00:00', '2026-05-09T06:30:00+00:00')"
        )
    await old.close()
    before = await snapshot(path)
    assert before["terms"] and before["lookups"] and before["misses"]

    async with await Database.open(path) as db:
        assert await db.version() == len(migrations())
        after = await snapshot(path)
        assert {t: rows for t, rows in after.items() if t in before} == before
        assert {"study_cards", "study_reviews", "study_days", "study_seen", "study_settings"} <= set(after)
        assert {"quiz_questions", "quiz_answers"} <= set(after)
        # The migrated database works for both the old and the new features.
        assert await db.popular(5) == ["backlog"]
        assert await db.study_add_cards(ALICE, ["backlog"], NOW) == 1
        if "totd_settings" in before:
            assert await db.study_server_zone(GUILD) == "Europe/Berlin"


async def test_settings_default_roundtrip_and_constraints(db: Database):
    assert await db.study_settings(ALICE) == StudySettings()
    mine = StudySettings("Asia/Tokyo", 0.85, 10, 100)
    await db.study_save_settings(ALICE, mine, NOW)
    assert await db.study_settings(ALICE) == mine
    assert await db.study_settings(BOB) == StudySettings()
    with pytest.raises((sqlite3.IntegrityError, asyncpg.CheckViolationError)):
        await db.study_save_settings(ALICE, StudySettings(None, 0.5, 10, 100), NOW)
    assert await db.study_server_zone(None) is None
    assert await db.study_server_zone(GUILD) is None


async def test_cards_are_added_once_and_removed(service: GlossaryService):
    db = service.db
    assert await db.study_add_cards(ALICE, ["backlog", "kanban", "backlog"], NOW) == 2
    assert await db.study_add_cards(ALICE, ["kanban", "kaizen"], NOW) == 1
    assert [c.slug for c in await db.study_cards(ALICE)] == ["backlog", "kanban", "kaizen"]
    assert await db.study_cards(BOB) == []
    assert await db.study_remove_cards(ALICE, ["kanban", "nope"]) == 1
    assert [c.slug for c in await db.study_cards(ALICE)] == ["backlog", "kaizen"]
    first = (await db.study_cards(ALICE))[0]
    assert await db.study_card(first.card_id) == first
    assert first.due is None and first.reps == 0
    assert await db.study_card(first.card_id + 1000) is None


async def review(db: Database, slug: str, grade: Grade, now: datetime, user: int = ALICE) -> bool:
    card = next(c for c in await db.study_cards(user) if c.slug == slug)
    after = Reviewer(fuzz=False).review(card, grade, now).card
    return await db.study_record_review(card, after, int(grade), now, now.date())


async def test_a_review_applies_once_even_when_clicked_twice_at_the_same_time(service: GlossaryService):
    db = service.db
    await db.study_add_cards(ALICE, ["backlog"], NOW)
    [card] = await db.study_cards(ALICE)
    after = Reviewer(fuzz=False).review(card, Grade.GOOD, NOW).card
    results = await asyncio.gather(*(db.study_record_review(card, after, 3, NOW, DAY) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    [stored] = await db.study_cards(ALICE)
    assert stored == after and stored.reps == 1
    queue = await db.study_queue(ALICE, NOW - timedelta(hours=1))
    assert (queue.new_today, queue.reviews_today) == (1, 0)
    assert await db.study_days(ALICE) == [DAY]
    assert await db.study_seen(ALICE) == {"backlog"}


async def test_queue_orders_cards_counts_today_and_skips_terms_that_left(service: GlossaryService):
    db = service.db
    await db.study_add_cards(ALICE, ["backlog", "kanban", "kaizen", "safety-stock", "old-term"], NOW)
    assert await review(db, "backlog", Grade.EASY, NOW)  # -> review state
    assert await review(db, "kanban", Grade.GOOD, NOW)  # -> learning, due in 10 min
    queue = await db.study_queue(ALICE, NOW - timedelta(hours=1))
    assert queue.learning is not None and queue.learning.slug == "kanban"
    assert queue.review is not None and queue.review.slug == "backlog"
    assert queue.new is not None and queue.new.slug == "kaizen"
    assert (queue.new_today, queue.reviews_today) == (2, 0)
    later = (queue.review.due or NOW) + timedelta(hours=1)
    assert await review(db, "backlog", Grade.GOOD, later)
    tomorrow = await db.study_queue(ALICE, later - timedelta(hours=1))
    assert (tomorrow.new_today, tomorrow.reviews_today) == (0, 1)
    learning, due_review, new = await db.study_due_counts(ALICE, NOW + timedelta(minutes=20), NOW + timedelta(days=1))
    assert (learning, due_review, new) == (1, 0, 2), "old-term is not in the glossary"
    await db.study_remove_cards(ALICE, ["kaizen", "safety-stock"])
    assert (await db.study_queue(ALICE, NOW)).new is None


async def create(db: Database, *, public: bool = True, closes: timedelta | None = timedelta(minutes=1)) -> int:
    return await db.quiz_create(
        QUESTION,
        public=public,
        guild_id=GUILD,
        channel_id=CHANNEL,
        asked_by=ALICE,
        now=NOW,
        closes_at=NOW + closes if closes else None,
    )


async def test_one_answer_per_member_even_at_the_same_instant(db: Database):
    question_id = await create(db)
    asked = await db.quiz_get(question_id)
    assert asked is not None and asked.question == QUESTION and asked.public and asked.closes_at
    same = await asyncio.gather(*(db.quiz_answer(asked, BOB, 1, True, 1, NOW, DAY) for _ in range(4)))
    assert sorted(same) == [False, False, False, True]
    assert await db.quiz_answer(asked, BOB, 0, False, 0, NOW, DAY) is False, "no second answer, not even another one"
    assert await db.quiz_answer(asked, ALICE, 0, False, 0, NOW, DAY)
    assert await db.quiz_answers(question_id) == [(ALICE, 0), (BOB, 1)]
    assert await db.quiz_choice(question_id, BOB) == 1
    assert await db.quiz_choice(question_id, 999) is None
    assert await db.quiz_leaderboard(GUILD, None, 10) == [(BOB, 1)]
    assert await db.study_days(BOB) == [DAY]


async def test_answers_stop_at_the_closing_time_and_practice_is_for_its_owner(db: Database):
    question_id = await create(db)
    asked = await db.quiz_get(question_id)
    assert asked is not None
    late = NOW + timedelta(minutes=1)
    assert await db.quiz_answer(asked, BOB, 1, True, 1, late, DAY) is False
    practice_id = await create(db, public=False, closes=None)
    practice = await db.quiz_get(practice_id)
    assert practice is not None
    assert await db.quiz_answer(practice, BOB, 1, True, 0, NOW, DAY) is False
    assert await db.quiz_answer(practice, ALICE, 1, True, 0, NOW + timedelta(days=30), DAY)


async def test_overdue_questions_close_once(db: Database):
    soon = await create(db, closes=timedelta(seconds=30))
    later = await create(db, closes=timedelta(minutes=5))
    await create(db, public=False, closes=None)
    assert await db.quiz_next_close() == NOW + timedelta(seconds=30)
    assert await db.quiz_overdue(NOW, 10) == []
    overdue = await db.quiz_overdue(NOW + timedelta(minutes=1), 10)
    assert [q.id for q in overdue] == [soon]
    assert await db.quiz_close(soon, NOW + timedelta(minutes=1))
    assert not await db.quiz_close(soon, NOW + timedelta(minutes=2))
    assert await db.quiz_next_close() == NOW + timedelta(minutes=5)
    await db.quiz_set_message(later, CHANNEL, 555)
    stored = await db.quiz_get(later)
    assert stored is not None and stored.message_id == 555
    closed = await db.quiz_get(soon)
    assert closed is not None and closed.closed_at == NOW + timedelta(minutes=1)


async def test_leaderboard_by_server_and_period(db: Database):
    async def point(user: int, when: datetime, guild: int = GUILD, correct: bool = True) -> None:
        question_id = await db.quiz_create(
            QUESTION,
            public=True,
            guild_id=guild,
            channel_id=CHANNEL,
            asked_by=ALICE,
            now=when,
            closes_at=when + timedelta(minutes=1),
        )
        asked = await db.quiz_get(question_id)
        assert asked is not None
        assert await db.quiz_answer(asked, user, 1, correct, int(correct), when, when.date())

    last_month = datetime(2026, 4, 20, tzinfo=UTC)
    for _ in range(3):
        await point(ALICE, last_month)
    await point(BOB, NOW)
    await point(BOB, NOW + timedelta(minutes=2))
    await point(ALICE, NOW, correct=False)
    await point(303, NOW, guild=OTHER_GUILD)
    month = datetime(2026, 5, 1, tzinfo=UTC)
    assert await db.quiz_leaderboard(GUILD, month, 10) == [(BOB, 2)]
    assert await db.quiz_leaderboard(GUILD, None, 10) == [(ALICE, 3), (BOB, 2)]
    assert await db.quiz_standing(GUILD, BOB, None) == (2, 2)
    assert await db.quiz_standing(GUILD, ALICE, month) == (0, None)
    assert await db.quiz_standing(OTHER_GUILD, 303, month) == (1, 1)


async def test_forget_deletes_one_members_data_only(service: GlossaryService):
    db = service.db
    for user in (ALICE, BOB):
        await db.study_add_cards(user, ["backlog", "kanban"], NOW)
        assert await review(db, "backlog", Grade.GOOD, NOW, user)
        await db.study_save_settings(user, StudySettings("Asia/Tokyo"), NOW)
    public_id = await create(db)
    practice_id = await create(db, public=False, closes=None)
    public = await db.quiz_get(public_id)
    assert public is not None
    await db.quiz_answer(public, ALICE, 1, True, 1, NOW, DAY)
    await db.quiz_answer(public, BOB, 1, True, 1, NOW, DAY)

    removed = await db.study_forget(ALICE)

    assert removed >= 9
    assert await db.study_cards(ALICE) == [] and await db.study_days(ALICE) == []
    assert await db.study_seen(ALICE) == set() and await db.study_settings(ALICE) == StudySettings()
    assert await db.quiz_get(practice_id) is None
    kept = await db.quiz_get(public_id)
    assert kept is not None and kept.asked_by is None
    assert await db.quiz_answers(public_id) == [(BOB, 1)]
    assert await db.quiz_leaderboard(GUILD, None, 10) == [(BOB, 1)]
    assert len(await db.study_cards(BOB)) == 2 and await db.study_settings(BOB) == StudySettings("Asia/Tokyo")
    assert await db.study_forget(ALICE) == 0


async def test_card_state_survives_a_reopen(tmp_path: Path, glossary_dir: Path):
    path = tmp_path / "tk.db"
    async with await Database.open(path) as db:
        await GlossaryService.load(db, glossary_dir)
        await db.study_add_cards(ALICE, ["backlog"], NOW)
        assert await review(db, "backlog", Grade.GOOD, NOW)
        [before] = await db.study_cards(ALICE)
    async with await Database.open(path) as db:
        [after] = await db.study_cards(ALICE)
    assert after == before and after.state is CardState.LEARNING
    assert replace(after, step=1) == after


async def test_old_practice_questions_are_pruned_but_public_ones_stay(db: Database):
    practice_id = await create(db, public=False, closes=None)
    public_id = await create(db)
    practice = await db.quiz_get(practice_id)
    assert practice is not None
    await db.quiz_answer(practice, ALICE, 1, True, 0, NOW, DAY)
    assert await db.quiz_prune_practice(NOW) == 0
    assert await db.quiz_prune_practice(NOW + timedelta(seconds=1)) == 1
    assert await db.quiz_get(practice_id) is None and await db.quiz_answers(practice_id) == []
    assert await db.quiz_get(public_id) is not None
    assert await db.study_days(ALICE) == [DAY], "the streak does not depend on the question"
