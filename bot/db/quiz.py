"""Quiz questions and answers (migration 0003)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime

from bot.core.quiz import AskedQuestion, Question
from bot.db._store import stamp
from bot.db.rows import QUESTION_COLUMNS, SQLITE, question_from_row
from bot.db.study import StudyQueries


class QuizQueries(StudyQueries):
    """One answer per member and one close per question, each guarded by the database."""

    @asynccontextmanager
    async def quiz_hold(self, question_id: int) -> AsyncIterator[bool]:
        """Hold the closing of a question across processes; yields False while another process holds it."""
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
        written = await self._write(
            "INSERT INTO quiz_questions (guild_id, channel_id, asked_by, public, mode, slug, options, answer, "
            "created_at, closes_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                channel_id,
                asked_by,
                int(public),
                question.mode.value,
                question.slug,
                json.dumps(list(question.options)),
                question.answer,
                stamp(now),
                stamp(closes_at),
            ),
        )
        assert written.lastrowid is not None
        return written.lastrowid

    async def quiz_set_message(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Remember which message shows a question, so it can be edited when it closes."""
        await self._write(
            "UPDATE quiz_questions SET channel_id = ?, message_id = ? WHERE id = ?",
            (channel_id, message_id, question_id),
        )

    async def quiz_get(self, question_id: int) -> AskedQuestion | None:
        """Return a stored question."""
        async with self._reader.execute(
            f"SELECT {QUESTION_COLUMNS} FROM quiz_questions q WHERE id = ?", (question_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return question_from_row(SQLITE, row) if row else None

    async def quiz_answer(
        self, asked: AskedQuestion, user_id: int, choice: int, correct: bool, points: int, now: datetime, day: date
    ) -> bool:
        """Record a member's one answer while the question is open; False if they answered or it closed."""
        async with self._transaction() as conn:
            async with conn.execute(
                "INSERT INTO quiz_answers (question_id, user_id, guild_id, choice, correct, points, answered_at) "
                "SELECT id, ?, guild_id, ?, ?, ?, ? FROM quiz_questions WHERE id = ? AND closed_at IS NULL "
                "AND (closes_at IS NULL OR closes_at > ?) AND (public = 1 OR asked_by = ?) "
                "ON CONFLICT (question_id, user_id) DO NOTHING",
                (user_id, choice, int(correct), points, stamp(now), asked.id, stamp(now), user_id),
            ) as cursor:
                if cursor.rowcount != 1:
                    return False
            await self._study_activity(conn, user_id, asked.question.slug, now, day)
        return True

    async def quiz_choice(self, question_id: int, user_id: int) -> int | None:
        """Return the option a member chose on a question, if they answered it."""
        async with self._reader.execute(
            "SELECT choice FROM quiz_answers WHERE question_id = ? AND user_id = ?", (question_id, user_id)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def quiz_answers(self, question_id: int) -> list[tuple[int, int]]:
        """Return (member, option) for every answer to a question, first answer first."""
        async with self._reader.execute(
            "SELECT user_id, choice FROM quiz_answers WHERE question_id = ? ORDER BY answered_at, user_id",
            (question_id,),
        ) as cursor:
            return [(int(row[0]), int(row[1])) async for row in cursor]

    async def quiz_overdue(self, now: datetime, limit: int) -> list[AskedQuestion]:
        """Return open public questions whose time is up, oldest first."""
        async with self._reader.execute(
            f"SELECT {QUESTION_COLUMNS} FROM quiz_questions q WHERE closed_at IS NULL AND closes_at IS NOT NULL "
            "AND closes_at <= ? ORDER BY closes_at LIMIT ?",
            (stamp(now), limit),
        ) as cursor:
            return [question_from_row(SQLITE, row) async for row in cursor]

    async def quiz_next_close(self) -> datetime | None:
        """Return when the next open question closes."""
        async with self._reader.execute(
            "SELECT min(closes_at) FROM quiz_questions WHERE closed_at IS NULL AND closes_at IS NOT NULL"
        ) as cursor:
            row = await cursor.fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def quiz_close(self, question_id: int, now: datetime) -> bool:
        """Close a question; False if it was closed already (whoever closes it reveals the tally)."""
        written = await self._write(
            "UPDATE quiz_questions SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (stamp(now), question_id)
        )
        return written.rowcount == 1

    async def quiz_prune_practice(self, before: datetime) -> int:
        """Delete practice questions (and their answers) asked before an instant; return how many."""
        # Practice answers earn no points and the streak and "seen" live elsewhere: nothing is lost.
        written = await self._write("DELETE FROM quiz_questions WHERE public = 0 AND created_at < ?", (stamp(before),))
        return written.rowcount

    async def quiz_leaderboard(self, guild_id: int, since: datetime | None, limit: int) -> list[tuple[int, int]]:
        """Return (member, points) for a server's best public quiz scores since an instant (or ever)."""
        async with self._reader.execute(
            "SELECT user_id, sum(points) AS total FROM quiz_answers WHERE guild_id = ? AND points > 0 "
            "AND answered_at >= ? GROUP BY user_id ORDER BY total DESC, min(answered_at), user_id LIMIT ?",
            (guild_id, stamp(since) if since else "", limit),
        ) as cursor:
            return [(int(row[0]), int(row[1])) async for row in cursor]

    async def quiz_standing(self, guild_id: int, user_id: int, since: datetime | None) -> tuple[int, int | None]:
        """Return a member's public quiz points in a server since an instant (or ever) and their rank."""
        bound = stamp(since) if since else ""
        async with self._reader.execute(
            "WITH totals AS (SELECT user_id, sum(points) AS total FROM quiz_answers "
            "WHERE guild_id = ? AND points > 0 AND answered_at >= ? GROUP BY user_id) "
            "SELECT total, (SELECT count(*) FROM totals o WHERE o.total > t.total) + 1 FROM totals t "
            "WHERE user_id = ?",
            (guild_id, bound, user_id),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, None)
