"""Decks, reviews, study days and quizzes (migration 0003)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime

import aiosqlite

from bot.core.review import CardState, Queue, StudyCard, StudySettings
from bot.db._store import Store, stamp
from bot.db.rows import CARD_COLUMNS, SQLITE, card_from_row


class StudyQueries(Store):
    """Every write that must not double-count is one transaction guarded by a constraint or a version check."""

    async def study_settings(self, user_id: int) -> StudySettings:
        """Return a learner's review settings (the defaults when never set)."""
        async with self._reader.execute(
            "SELECT timezone, retention, new_per_day, reviews_per_day FROM study_settings WHERE user_id = ?",
            (user_id,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return StudySettings()
        return StudySettings(row[0], float(row[1]), int(row[2]), int(row[3]))

    async def study_save_settings(self, user_id: int, settings: StudySettings, now: datetime) -> None:
        """Store a learner's review settings."""
        await self._write(
            "INSERT INTO study_settings (user_id, timezone, retention, new_per_day, reviews_per_day, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone, "
            "retention = excluded.retention, new_per_day = excluded.new_per_day, "
            "reviews_per_day = excluded.reviews_per_day, updated_at = excluded.updated_at",
            (
                user_id,
                settings.timezone,
                settings.retention,
                settings.new_per_day,
                settings.reviews_per_day,
                stamp(now),
            ),
        )

    async def study_server_zone(self, guild_id: int | None) -> str | None:
        """Return the time zone a server's term of the day uses, if it has one."""
        if guild_id is None:
            return None
        try:
            async with self._reader.execute(
                "SELECT timezone FROM totd_settings WHERE guild_id = ?", (guild_id,)
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.OperationalError:  # no term-of-the-day table in this database
            return None
        return str(row[0]) if row and row[0] else None

    async def study_add_cards(self, user_id: int, slugs: Sequence[str], now: datetime) -> int:
        """Add terms to a learner's deck as new cards, in the given order; return how many were not there yet."""
        rows = [(user_id, slug, stamp(now)) for slug in dict.fromkeys(slugs)]
        # executemany sums the rows each insert changed, so the ones already there count zero.
        async with (
            self._transaction() as conn,
            conn.executemany(
                "INSERT INTO study_cards (user_id, slug, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id, slug) DO NOTHING",
                rows,
            ) as cursor,
        ):
            return max(cursor.rowcount, 0)

    async def study_remove_cards(self, user_id: int, slugs: Sequence[str]) -> int:
        """Remove terms from a learner's deck (their review history stays); return how many were removed."""
        rows = [(user_id, slug) for slug in dict.fromkeys(slugs)]
        async with (
            self._transaction() as conn,
            conn.executemany("DELETE FROM study_cards WHERE user_id = ? AND slug = ?", rows) as cursor,
        ):
            return max(cursor.rowcount, 0)

    async def study_card(self, card_id: int) -> StudyCard | None:
        """Return one card by id."""
        async with self._reader.execute(
            f"SELECT {CARD_COLUMNS} FROM study_cards c WHERE card_id = ?", (card_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return card_from_row(SQLITE, row) if row else None

    async def study_cards(self, user_id: int) -> list[StudyCard]:
        """Return every card in a learner's deck, in the order added."""
        async with self._reader.execute(
            f"SELECT {CARD_COLUMNS} FROM study_cards c WHERE user_id = ? ORDER BY card_id", (user_id,)
        ) as cursor:
            return [card_from_row(SQLITE, row) async for row in cursor]

    async def study_queue(self, user_id: int, day_start: datetime) -> Queue:
        """Return the first learning, review and new card of a learner's deck and today's counts.

        Cards whose term left the glossary are skipped (the join with `terms`).
        """
        # One query per state, each walking the (user_id, state, due) index in order with no sort: new
        # cards all have a NULL due, so "due, card_id" is the order they were added in.
        first = (
            f"SELECT {CARD_COLUMNS} FROM study_cards c JOIN terms t ON t.slug = c.slug "
            "WHERE c.user_id = ? AND c.state = ? ORDER BY c.due, c.card_id LIMIT 1"
        )
        found: dict[CardState, StudyCard | None] = {}
        for state in CardState:
            async with self._reader.execute(first, (user_id, int(state))) as cursor:
                row = await cursor.fetchone()
            found[state] = card_from_row(SQLITE, row) if row else None
        learning = [c for c in (found[CardState.LEARNING], found[CardState.RELEARNING]) if c is not None]
        cards = [
            min(learning, key=lambda c: c.due or datetime.max.replace(tzinfo=UTC)) if learning else None,
            found[CardState.REVIEW],
            found[CardState.NEW],
        ]
        async with self._reader.execute(
            "SELECT coalesce(sum(prev_state = 0), 0), coalesce(sum(prev_state = 2), 0) FROM study_reviews "
            "WHERE user_id = ? AND reviewed_at >= ?",
            (user_id, stamp(day_start)),
        ) as cursor:
            row = await cursor.fetchone()
        new_today, reviews_today = (int(row[0]), int(row[1])) if row else (0, 0)
        return Queue(cards[0], cards[1], cards[2], new_today, reviews_today)

    async def study_due_counts(self, user_id: int, learning_until: datetime, day_end: datetime) -> tuple[int, int, int]:
        """Return how many learning cards are due, review cards are due today, and new cards wait."""
        # Each count is a range of the (user_id, state, due) index, so only the cards counted are read.
        count = (
            "(SELECT count(*) FROM study_cards c JOIN terms t ON t.slug = c.slug WHERE c.user_id = ? AND c.state = ?"
        )
        until, end = stamp(learning_until), stamp(day_end)
        async with self._reader.execute(
            f"SELECT {count} AND c.due <= ?) + {count} AND c.due <= ?), {count} AND c.due < ?), {count})",
            (user_id, 1, until, user_id, 3, until, user_id, 2, end, user_id, 0),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)

    async def study_record_review(
        self, before: StudyCard, after: StudyCard, grade: int, now: datetime, day: date
    ) -> bool:
        """Save a review if the card is still at the version it was reviewed from; False if it moved on."""
        async with self._transaction() as conn:
            async with conn.execute(
                "UPDATE study_cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, last_review = ?, "
                "reps = ?, lapses = ?, leech = ? WHERE card_id = ? AND user_id = ? AND reps = ?",
                (
                    int(after.state),
                    after.step,
                    after.stability,
                    after.difficulty,
                    stamp(after.due),
                    stamp(after.last_review),
                    after.reps,
                    after.lapses,
                    int(after.leech),
                    before.card_id,
                    before.user_id,
                    before.reps,
                ),
            ) as cursor:
                if cursor.rowcount != 1:
                    return False
            await conn.execute(
                "INSERT INTO study_reviews (user_id, card_id, slug, grade, prev_state, state, reviewed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (before.user_id, before.card_id, before.slug, grade, int(before.state), int(after.state), stamp(now)),
            )
            await self._study_activity(conn, before.user_id, before.slug, now, day)
        return True

    async def _study_activity(
        self, conn: aiosqlite.Connection, user_id: int, slug: str, now: datetime, day: date
    ) -> None:
        await conn.execute(
            "INSERT INTO study_days (user_id, local_date) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (user_id, day.isoformat()),
        )
        await conn.execute(
            "INSERT INTO study_seen (user_id, slug, first_seen) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (user_id, slug, stamp(now)),
        )

    async def study_days(self, user_id: int) -> list[date]:
        """Return the local dates a learner studied on, oldest first."""
        async with self._reader.execute(
            "SELECT local_date FROM study_days WHERE user_id = ? ORDER BY local_date", (user_id,)
        ) as cursor:
            return [date.fromisoformat(row[0]) async for row in cursor]

    async def study_seen(self, user_id: int) -> set[str]:
        """Return the slugs a learner has met in a review or a quiz."""
        async with self._reader.execute("SELECT slug FROM study_seen WHERE user_id = ?", (user_id,)) as cursor:
            return {row[0] async for row in cursor}

    async def study_forget(self, user_id: int) -> int:
        """Delete everything the study features store about a member; return the number of rows removed."""
        removed = 0
        statements = (
            "DELETE FROM study_cards WHERE user_id = ?",
            "DELETE FROM study_reviews WHERE user_id = ?",
            "DELETE FROM study_days WHERE user_id = ?",
            "DELETE FROM study_seen WHERE user_id = ?",
            "DELETE FROM study_settings WHERE user_id = ?",
            "DELETE FROM quiz_answers WHERE user_id = ?",
            # Their practice questions are theirs alone; public ones stay (others answered them), unnamed.
            "DELETE FROM quiz_questions WHERE asked_by = ? AND public = 0",
            "UPDATE quiz_questions SET asked_by = NULL WHERE asked_by = ?",
        )
        async with self._transaction() as conn:
            for statement in statements:
                async with conn.execute(statement, (user_id,)) as cursor:
                    removed += max(cursor.rowcount, 0)
        return removed
