"""Decks, reviews, study days and settings, in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import asyncpg

from bot.core.review import CardState, Queue, StudyCard, StudySettings
from bot.db.postgres._base import PgStore, affected
from bot.db.rows import CARD_COLUMNS, POSTGRES, card_from_row


class StudyQueries(PgStore):
    """Every write that must not double-count is one transaction guarded by a constraint or a version check."""

    async def study_settings(self, user_id: int) -> StudySettings:
        """Return a learner's review settings (the defaults when never set)."""
        row = await self._pool.fetchrow(
            "SELECT timezone, retention, new_per_day, reviews_per_day FROM study_settings WHERE user_id = $1", user_id
        )
        if row is None:
            return StudySettings()
        return StudySettings(row[0], float(row[1]), int(row[2]), int(row[3]))

    async def study_save_settings(self, user_id: int, settings: StudySettings, now: datetime) -> None:
        """Store a learner's review settings."""
        await self._pool.execute(
            "INSERT INTO study_settings (user_id, timezone, retention, new_per_day, reviews_per_day, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone, "
            "retention = excluded.retention, new_per_day = excluded.new_per_day, "
            "reviews_per_day = excluded.reviews_per_day, updated_at = excluded.updated_at",
            user_id,
            settings.timezone,
            settings.retention,
            settings.new_per_day,
            settings.reviews_per_day,
            now,
        )

    async def study_server_zone(self, guild_id: int | None) -> str | None:
        """Return the time zone a server's term of the day uses, if it has one."""
        if guild_id is None:
            return None
        zone = await self._pool.fetchval("SELECT timezone FROM totd_settings WHERE guild_id = $1", guild_id)
        return str(zone) if zone else None

    async def study_add_cards(self, user_id: int, slugs: Sequence[str], now: datetime) -> int:
        """Add terms to a learner's deck as new cards, in the given order; return how many were not there yet."""
        status = await self._pool.execute(
            "INSERT INTO study_cards (user_id, slug, added_at) "
            "SELECT $1, slug, $3 FROM unnest($2::text[]) WITH ORDINALITY AS u (slug, n) ORDER BY n "
            "ON CONFLICT (user_id, slug) DO NOTHING",
            user_id,
            list(dict.fromkeys(slugs)),
            now,
        )
        return affected(status)

    async def study_remove_cards(self, user_id: int, slugs: Sequence[str]) -> int:
        """Remove terms from a learner's deck (their review history stays); return how many were removed."""
        status = await self._pool.execute(
            "DELETE FROM study_cards WHERE user_id = $1 AND slug = ANY($2::text[])", user_id, list(set(slugs))
        )
        return affected(status)

    async def study_card(self, card_id: int) -> StudyCard | None:
        """Return one card by id."""
        row = await self._pool.fetchrow(f"SELECT {CARD_COLUMNS} FROM study_cards c WHERE card_id = $1", card_id)
        return card_from_row(POSTGRES, row) if row else None

    async def study_cards(self, user_id: int) -> list[StudyCard]:
        """Return every card in a learner's deck, in the order added."""
        rows = await self._pool.fetch(
            f"SELECT {CARD_COLUMNS} FROM study_cards c WHERE user_id = $1 ORDER BY card_id", user_id
        )
        return [card_from_row(POSTGRES, row) for row in rows]

    async def study_queue(self, user_id: int, day_start: datetime) -> Queue:
        """Return the first learning, review and new card of a learner's deck and today's counts.

        Cards whose term left the glossary are skipped (the join with `terms`).
        """
        first = (
            f"SELECT {CARD_COLUMNS} FROM study_cards c JOIN terms t ON t.slug = c.slug "
            "WHERE c.user_id = $1 AND c.state = $2 ORDER BY c.due NULLS FIRST, c.card_id LIMIT 1"
        )
        found: dict[CardState, StudyCard | None] = {}
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            for state in CardState:
                row = await conn.fetchrow(first, user_id, int(state))
                found[state] = card_from_row(POSTGRES, row) if row else None
            counts = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE prev_state = 0), count(*) FILTER (WHERE prev_state = 2) "
                "FROM study_reviews WHERE user_id = $1 AND reviewed_at >= $2",
                user_id,
                day_start,
            )
        learning = [c for c in (found[CardState.LEARNING], found[CardState.RELEARNING]) if c is not None]
        cards = [
            min(learning, key=lambda c: c.due or datetime.max.replace(tzinfo=UTC)) if learning else None,
            found[CardState.REVIEW],
            found[CardState.NEW],
        ]
        new_today, reviews_today = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        return Queue(cards[0], cards[1], cards[2], new_today, reviews_today)

    async def study_due_counts(self, user_id: int, learning_until: datetime, day_end: datetime) -> tuple[int, int, int]:
        """Return how many learning cards are due, review cards are due today, and new cards wait."""
        row = await self._pool.fetchrow(
            "SELECT count(*) FILTER (WHERE c.state IN (1, 3) AND c.due <= $2), "
            "count(*) FILTER (WHERE c.state = 2 AND c.due < $3), count(*) FILTER (WHERE c.state = 0) "
            "FROM study_cards c JOIN terms t ON t.slug = c.slug WHERE c.user_id = $1",
            user_id,
            learning_until,
            day_end,
        )
        return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)

    async def study_record_review(
        self, before: StudyCard, after: StudyCard, grade: int, now: datetime, day: date
    ) -> bool:
        """Save a review if the card is still at the version it was reviewed from; False if it moved on."""
        async with self._pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                "UPDATE study_cards SET state = $1, step = $2, stability = $3, difficulty = $4, due = $5, "
                "last_review = $6, reps = $7, lapses = $8, leech = $9 "
                "WHERE card_id = $10 AND user_id = $11 AND reps = $12",
                int(after.state),
                after.step,
                after.stability,
                after.difficulty,
                after.due,
                after.last_review,
                after.reps,
                after.lapses,
                after.leech,
                before.card_id,
                before.user_id,
                before.reps,
            )
            if affected(status) != 1:
                return False
            await conn.execute(
                "INSERT INTO study_reviews (user_id, card_id, slug, grade, prev_state, state, reviewed_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                before.user_id,
                before.card_id,
                before.slug,
                grade,
                int(before.state),
                int(after.state),
                now,
            )
            await _study_activity(conn, before.user_id, before.slug, now, day)
        return True

    async def study_days(self, user_id: int) -> list[date]:
        """Return the local dates a learner studied on, oldest first."""
        rows = await self._pool.fetch(
            "SELECT local_date FROM study_days WHERE user_id = $1 ORDER BY local_date", user_id
        )
        return [row[0] for row in rows]

    async def study_seen(self, user_id: int) -> set[str]:
        """Return the slugs a learner has met in a review or a quiz."""
        rows = await self._pool.fetch("SELECT slug FROM study_seen WHERE user_id = $1", user_id)
        return {row[0] for row in rows}

    async def study_forget(self, user_id: int) -> int:
        """Delete everything the study features store about a member; return the number of rows removed."""
        removed = 0
        statements = (
            "DELETE FROM study_cards WHERE user_id = $1",
            "DELETE FROM study_reviews WHERE user_id = $1",
            "DELETE FROM study_days WHERE user_id = $1",
            "DELETE FROM study_seen WHERE user_id = $1",
            "DELETE FROM study_settings WHERE user_id = $1",
            "DELETE FROM quiz_answers WHERE user_id = $1",
            # Their practice questions are theirs alone; public ones stay (others answered them), unnamed.
            "DELETE FROM quiz_questions WHERE asked_by = $1 AND NOT public",
            "UPDATE quiz_questions SET asked_by = NULL WHERE asked_by = $1",
        )
        async with self._pool.acquire() as conn, conn.transaction():
            for statement in statements:
                removed += affected(await conn.execute(statement, user_id))
        return removed


async def _study_activity(conn: asyncpg.Connection, user_id: int, slug: str, now: datetime, day: date) -> None:
    await conn.execute(
        "INSERT INTO study_days (user_id, local_date) VALUES ($1, $2) ON CONFLICT DO NOTHING", user_id, day
    )
    await conn.execute(
        "INSERT INTO study_seen (user_id, slug, first_seen) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        user_id,
        slug,
        now,
    )
