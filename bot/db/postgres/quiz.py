"""Quiz questions and answers, in PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime

from bot.core.quiz import AskedQuestion, Question
from bot.db.postgres._base import affected
from bot.db.postgres.study import StudyQueries, _study_activity
from bot.db.rows import POSTGRES, QUESTION_COLUMNS, question_from_row


class QuizQueries(StudyQueries):
    """One answer per member and one close per question, each guarded by the database."""

    @asynccontextmanager
    async def quiz_hold(self, question_id: int) -> AsyncIterator[bool]:
        """Hold the closing of a question in this process; False while another process closes it."""
        async with self.hold(f"quiz:{question_id}") as held:
            yield held

    async def quiz_create(
        self,
        question: Question,
        *,
        public: bool,
        guild_id: int | None,
        channel_id: int | None,
        asked_by: int,
        now: datetime,
        closes_at: datetime | None,
    ) -> int:
        """Store a new question and return its id."""
        question_id = await self._pool.fetchval(
            "INSERT INTO quiz_questions (guild_id, channel_id, asked_by, public, mode, slug, options, answer, "
            "created_at, closes_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            guild_id,
            channel_id,
            asked_by,
            public,
            question.mode.value,
            question.slug,
            json.dumps(list(question.options)),
            question.answer,
            now,
            closes_at,
        )
        return int(question_id)

    async def quiz_set_message(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Remember which message shows a question, so it can be edited when it closes."""
        await self._pool.execute(
            "UPDATE quiz_questions SET channel_id = $1, message_id = $2 WHERE id = $3",
            channel_id,
            message_id,
            question_id,
        )

    async def quiz_get(self, question_id: int) -> AskedQuestion | None:
        """Return a stored question."""
        row = await self._pool.fetchrow(f"SELECT {QUESTION_COLUMNS} FROM quiz_questions q WHERE id = $1", question_id)
        return question_from_row(POSTGRES, row) if row else None

    async def quiz_answer(
        self, asked: AskedQuestion, user_id: int, choice: int, correct: bool, points: int, now: datetime, day: date
    ) -> bool:
        """Record a member's one answer while the question is open; False if they answered or it closed."""
        async with self._pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                "INSERT INTO quiz_answers (question_id, user_id, guild_id, choice, correct, points, answered_at) "
                "SELECT id, $1::bigint, guild_id, $2::integer, $3::boolean, $4::integer, $5::timestamptz "
                "FROM quiz_questions WHERE id = $6 AND closed_at IS NULL "
                "AND (closes_at IS NULL OR closes_at > $5) AND (public OR asked_by = $1) "
                "ON CONFLICT (question_id, user_id) DO NOTHING",
                user_id,
                choice,
                correct,
                points,
                now,
                asked.id,
            )
            if affected(status) != 1:
                return False
            await _study_activity(conn, user_id, asked.question.slug, now, day)
        return True

    async def quiz_choice(self, question_id: int, user_id: int) -> int | None:
        """Return the option a member chose on a question, if they answered it."""
        choice = await self._pool.fetchval(
            "SELECT choice FROM quiz_answers WHERE question_id = $1 AND user_id = $2", question_id, user_id
        )
        return int(choice) if choice is not None else None

    async def quiz_answers(self, question_id: int) -> list[tuple[int, int]]:
        """Return (member, option) for every answer to a question, first answer first."""
        rows = await self._pool.fetch(
            "SELECT user_id, choice FROM quiz_answers WHERE question_id = $1 ORDER BY answered_at, user_id",
            question_id,
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def quiz_overdue(self, now: datetime, limit: int) -> list[AskedQuestion]:
        """Return open public questions whose time is up, oldest first."""
        rows = await self._pool.fetch(
            f"SELECT {QUESTION_COLUMNS} FROM quiz_questions q WHERE closed_at IS NULL AND closes_at IS NOT NULL "
            "AND closes_at <= $1 ORDER BY closes_at LIMIT $2",
            now,
            limit,
        )
        return [question_from_row(POSTGRES, row) for row in rows]

    async def quiz_next_close(self) -> datetime | None:
        """Return when the next open question closes."""
        found: datetime | None = await self._pool.fetchval(
            "SELECT min(closes_at) FROM quiz_questions WHERE closed_at IS NULL AND closes_at IS NOT NULL"
        )
        return found

    async def quiz_close(self, question_id: int, now: datetime) -> bool:
        """Close a question; False if it was closed already (whoever closes it reveals the tally)."""
        status = await self._pool.execute(
            "UPDATE quiz_questions SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL", now, question_id
        )
        return affected(status) == 1

    async def quiz_prune_practice(self, before: datetime) -> int:
        """Delete practice questions (and their answers) asked before an instant; return how many."""
        status = await self._pool.execute("DELETE FROM quiz_questions WHERE NOT public AND created_at < $1", before)
        return affected(status)

    async def quiz_leaderboard(self, guild_id: int, since: datetime | None, limit: int) -> list[tuple[int, int]]:
        """Return (member, points) for a server's best public quiz scores since an instant (or ever)."""
        rows = await self._pool.fetch(
            "SELECT user_id, sum(points) AS total FROM quiz_answers WHERE guild_id = $1 AND points > 0 "
            "AND ($2::timestamptz IS NULL OR answered_at >= $2) GROUP BY user_id "
            "ORDER BY total DESC, min(answered_at), user_id LIMIT $3",
            guild_id,
            since,
            limit,
        )
        return [(int(row[0]), int(row[1])) for row in rows]

    async def quiz_standing(self, guild_id: int, user_id: int, since: datetime | None) -> tuple[int, int | None]:
        """Return a member's public quiz points in a server since an instant (or ever) and their rank."""
        row = await self._pool.fetchrow(
            "WITH totals AS (SELECT user_id, sum(points) AS total FROM quiz_answers "
            "WHERE guild_id = $1 AND points > 0 AND ($2::timestamptz IS NULL OR answered_at >= $2) GROUP BY user_id) "
            "SELECT total, (SELECT count(*) FROM totals o WHERE o.total > t.total) + 1 FROM totals t "
            "WHERE user_id = $3",
            guild_id,
            since,
            user_id,
        )
        return (int(row[0]), int(row[1])) if row else (0, None)
