"""Term-of-the-day settings, the once-per-local-date post records and skips (migration 0002)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime

from bot.core.schedule import CycleState, Pick, PostRecord, PostStatus, ServerSchedule, format_post_time
from bot.db._store import Store, stamp
from bot.db.rows import SQLITE, TOTD_POSTS, TOTD_SETTINGS, record_from_row, schedule_from_row


class TotdQueries(Store):
    """Queries of the term of the day; instants come from the caller (the bot's injectable clock)."""

    @asynccontextmanager
    async def totd_hold(self, guild_id: int) -> AsyncIterator[bool]:
        """Hold a server's term-of-the-day work across processes; yields False while another process holds it."""
        async with self.hold(f"totd:{guild_id}") as held:
            yield held

    async def totd_settings(self, guild_id: int) -> ServerSchedule | None:
        """Return a server's term-of-the-day settings, enabled or not."""
        async with self._reader.execute(
            f"SELECT {TOTD_SETTINGS} FROM totd_settings s WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return schedule_from_row(SQLITE, row) if row else None

    async def totd_save_settings(self, schedule: ServerSchedule, now: datetime) -> None:
        """Store a server's settings, clear its delivery problem and let an unfinished day retry at once."""
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO totd_settings (guild_id, channel_id, post_time, timezone, catch_up_minutes, role_id, "
                "module, threads, enabled, active_from, problem, problem_since, blocked_until, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "post_time = excluded.post_time, timezone = excluded.timezone, "
                "catch_up_minutes = excluded.catch_up_minutes, role_id = excluded.role_id, "
                "module = excluded.module, threads = excluded.threads, enabled = excluded.enabled, "
                "active_from = excluded.active_from, problem = NULL, problem_since = NULL, "
                "blocked_until = NULL, updated_at = excluded.updated_at",
                (
                    schedule.guild_id,
                    schedule.channel_id,
                    format_post_time(schedule.post_time),
                    schedule.timezone,
                    int(schedule.catch_up.total_seconds() // 60),
                    schedule.role_id,
                    schedule.module,
                    int(schedule.threads),
                    int(schedule.enabled),
                    stamp(schedule.active_from),
                    stamp(now),
                ),
            )
            await conn.execute(
                "UPDATE totd_posts SET next_attempt_at = NULL, updated_at = ? "
                "WHERE guild_id = ? AND status IN ('sending', 'failed')",
                (stamp(now), schedule.guild_id),
            )

    async def totd_set_enabled(self, guild_id: int, enabled: bool, now: datetime) -> bool:
        """Turn a server's posts on or off; False if it was never set up."""
        written = await self._write(
            "UPDATE totd_settings SET enabled = ?, updated_at = ? WHERE guild_id = ?",
            (int(enabled), stamp(now), guild_id),
        )
        return written.rowcount > 0

    async def totd_set_problem(self, guild_id: int, problem: str, blocked_until: datetime, now: datetime) -> None:
        """Record a delivery problem (kept since its first occurrence) and when to try again."""
        await self._write(
            "UPDATE totd_settings SET problem_since = CASE WHEN problem IS ? THEN coalesce(problem_since, ?) "
            "ELSE ? END, problem = ?, blocked_until = ?, updated_at = ? WHERE guild_id = ?",
            (problem, stamp(now), stamp(now), problem, stamp(blocked_until), stamp(now), guild_id),
        )

    async def totd_clear_problem(self, guild_id: int, now: datetime) -> None:
        """Forget a server's delivery problem once a post went through."""
        await self._write(
            "UPDATE totd_settings SET problem = NULL, problem_since = NULL, blocked_until = NULL, updated_at = ? "
            "WHERE guild_id = ? AND (problem IS NOT NULL OR blocked_until IS NOT NULL)",
            (stamp(now), guild_id),
        )

    async def totd_schedules(self, after: int, limit: int) -> list[tuple[ServerSchedule, PostRecord | None]]:
        """Return a page of enabled servers after a guild id, each with its most recent post record."""
        async with self._reader.execute(
            f"SELECT {TOTD_SETTINGS}, {TOTD_POSTS} FROM totd_settings s "
            "LEFT JOIN totd_posts p ON p.guild_id = s.guild_id "
            "AND p.local_date = (SELECT max(local_date) FROM totd_posts WHERE guild_id = s.guild_id) "
            "WHERE s.enabled = 1 AND s.guild_id > ? ORDER BY s.guild_id LIMIT ?",
            (after, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        width = TOTD_SETTINGS.count(",") + 1
        return [(schedule_from_row(SQLITE, row[:width]), record_from_row(SQLITE, row[width:])) for row in rows]

    async def totd_latest(self, guild_id: int) -> PostRecord | None:
        """Return a server's post record with the latest local date."""
        return await self._totd_record("WHERE guild_id = ? ORDER BY local_date DESC LIMIT 1", (guild_id,))

    async def totd_post(self, guild_id: int, day: date) -> PostRecord | None:
        """Return a server's post record for one local date."""
        return await self._totd_record("WHERE guild_id = ? AND local_date = ?", (guild_id, day.isoformat()))

    async def totd_last_posted(self, guild_id: int) -> PostRecord | None:
        """Return a server's most recent successful post."""
        return await self._totd_record(
            "WHERE guild_id = ? AND status = 'posted' ORDER BY local_date DESC LIMIT 1", (guild_id,)
        )

    async def totd_history(self, guild_id: int, limit: int) -> list[PostRecord]:
        """Return a server's post records, newest first."""
        async with self._reader.execute(
            f"SELECT {TOTD_POSTS} FROM totd_posts p WHERE guild_id = ? ORDER BY local_date DESC LIMIT ?",
            (guild_id, limit),
        ) as cursor:
            return [record async for row in cursor if (record := record_from_row(SQLITE, row)) is not None]

    async def _totd_record(self, where: str, params: tuple[object, ...]) -> PostRecord | None:
        async with self._reader.execute(f"SELECT {TOTD_POSTS} FROM totd_posts p {where}", params) as cursor:
            row = await cursor.fetchone()
        return record_from_row(SQLITE, row) if row else None

    async def totd_begin(self, guild_id: int, day: date, pick: Pick, channel_id: int, now: datetime) -> bool:
        """Record the intent to post a term for a date (status 'sending'); False if the date has a row already."""
        written = await self._write(
            "INSERT INTO totd_posts (guild_id, local_date, status, slug, cycle, channel_id, created_at, updated_at) "
            "VALUES (?, ?, 'sending', ?, ?, ?, ?, ?) ON CONFLICT (guild_id, local_date) DO NOTHING",
            (guild_id, day.isoformat(), pick.slug, pick.cycle, channel_id, stamp(now), stamp(now)),
        )
        return written.rowcount == 1

    async def totd_retake(
        self, guild_id: int, day: date, expected: PostStatus, pick: Pick, channel_id: int, now: datetime
    ) -> bool:
        """Move a date's row from `expected` back to 'sending' for another attempt; False if it changed meanwhile."""
        written = await self._write(
            "UPDATE totd_posts SET status = 'sending', slug = ?, cycle = ?, channel_id = ?, message_id = NULL, "
            "next_attempt_at = NULL, updated_at = ? WHERE guild_id = ? AND local_date = ? AND status = ?",
            (pick.slug, pick.cycle, channel_id, stamp(now), guild_id, day.isoformat(), expected.value),
        )
        return written.rowcount == 1

    async def totd_mark_posted(
        self, guild_id: int, day: date, channel_id: int, message_id: int, now: datetime, note: str | None = None
    ) -> None:
        """Record that Discord has the date's post."""
        await self._write(
            "UPDATE totd_posts SET status = 'posted', channel_id = ?, message_id = ?, posted_at = ?, "
            "next_attempt_at = NULL, last_error = ?, updated_at = ? WHERE guild_id = ? AND local_date = ?",
            (channel_id, message_id, stamp(now), note, stamp(now), guild_id, day.isoformat()),
        )

    async def totd_mark_retry(
        self, guild_id: int, day: date, status: PostStatus, next_attempt_at: datetime, error: str, now: datetime
    ) -> None:
        """Count a failed attempt and set when to try again ('sending' when a post may exist, else 'failed')."""
        await self._write(
            "UPDATE totd_posts SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
            "updated_at = ? WHERE guild_id = ? AND local_date = ?",
            (status.value, stamp(next_attempt_at), error[:500], stamp(now), guild_id, day.isoformat()),
        )

    async def totd_mark_missed(self, guild_id: int, day: date, reason: str, now: datetime) -> None:
        """Record a date as missed (a posted date stays posted)."""
        await self._write(
            "INSERT INTO totd_posts (guild_id, local_date, status, last_error, created_at, updated_at) "
            "VALUES (?, ?, 'missed', ?, ?, ?) ON CONFLICT (guild_id, local_date) DO UPDATE SET status = 'missed', "
            "next_attempt_at = NULL, last_error = excluded.last_error, updated_at = excluded.updated_at "
            "WHERE totd_posts.status IN ('sending', 'failed')",
            (guild_id, day.isoformat(), reason[:500], stamp(now), stamp(now)),
        )

    async def totd_cycle_state(self, guild_id: int) -> CycleState:
        """Return a server's current cycle, the terms it used and the terms skipped in it."""
        async with self._reader.execute(
            "SELECT coalesce(max(cycle), 0) FROM totd_posts WHERE guild_id = ? AND slug IS NOT NULL", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        cycle = int(row[0]) if row else 0
        async with self._reader.execute(
            "SELECT slug FROM totd_posts WHERE guild_id = ? AND cycle = ? AND slug IS NOT NULL "
            "AND status IN ('sending', 'failed', 'posted')",
            (guild_id, cycle),
        ) as cursor:
            used = frozenset([r[0] async for r in cursor])
        async with self._reader.execute(
            "SELECT slug FROM totd_skips WHERE guild_id = ? AND cycle = ?", (guild_id, cycle)
        ) as cursor:
            skipped = frozenset([r[0] async for r in cursor])
        return CycleState(cycle, used, skipped)

    async def totd_skip(self, guild_id: int, day: date, skipped: Pick, replacement: Pick, now: datetime) -> None:
        """Put a skipped term at the end of its cycle and give the date's row (if any) the replacement."""
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO totd_skips (guild_id, cycle, slug, local_date) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id, cycle, slug) DO NOTHING",
                (guild_id, skipped.cycle, skipped.slug, day.isoformat()),
            )
            await conn.execute(
                "UPDATE totd_posts SET slug = ?, cycle = ?, updated_at = ? WHERE guild_id = ? AND local_date = ?",
                (replacement.slug, replacement.cycle, stamp(now), guild_id, day.isoformat()),
            )
