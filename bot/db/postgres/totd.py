"""Term-of-the-day settings, the once-per-local-date post records and skips, in PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime

from bot.core.schedule import CycleState, Pick, PostRecord, PostStatus, ServerSchedule, format_post_time
from bot.db.postgres._base import PgStore, affected
from bot.db.rows import POSTGRES, TOTD_POSTS, TOTD_SETTINGS, record_from_row, schedule_from_row


class TotdQueries(PgStore):
    """The (guild_id, local_date) primary key makes the claim of a post one winner across every process."""

    @asynccontextmanager
    async def totd_hold(self, guild_id: int) -> AsyncIterator[bool]:
        """Hold a server's term-of-the-day work in this process; False while another process is at it."""
        async with self.hold(f"totd:{guild_id}") as held:
            yield held

    async def totd_settings(self, guild_id: int) -> ServerSchedule | None:
        """Return a server's term-of-the-day settings, enabled or not."""
        row = await self._pool.fetchrow(f"SELECT {TOTD_SETTINGS} FROM totd_settings s WHERE guild_id = $1", guild_id)
        return schedule_from_row(POSTGRES, row) if row else None

    async def totd_save_settings(self, schedule: ServerSchedule, now: datetime) -> None:
        """Store a server's settings, clear its delivery problem and let an unfinished day retry at once."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO totd_settings (guild_id, channel_id, post_time, timezone, catch_up_minutes, role_id, "
                "module, threads, enabled, active_from, problem, problem_since, blocked_until, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, NULL, $11) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "post_time = excluded.post_time, timezone = excluded.timezone, "
                "catch_up_minutes = excluded.catch_up_minutes, role_id = excluded.role_id, "
                "module = excluded.module, threads = excluded.threads, enabled = excluded.enabled, "
                "active_from = excluded.active_from, problem = NULL, problem_since = NULL, "
                "blocked_until = NULL, updated_at = excluded.updated_at",
                schedule.guild_id,
                schedule.channel_id,
                format_post_time(schedule.post_time),
                schedule.timezone,
                int(schedule.catch_up.total_seconds() // 60),
                schedule.role_id,
                schedule.module,
                schedule.threads,
                schedule.enabled,
                schedule.active_from,
                now,
            )
            await conn.execute(
                "UPDATE totd_posts SET next_attempt_at = NULL, updated_at = $1 "
                "WHERE guild_id = $2 AND status IN ('sending', 'failed')",
                now,
                schedule.guild_id,
            )

    async def totd_set_enabled(self, guild_id: int, enabled: bool, now: datetime) -> bool:
        """Turn a server's posts on or off; False if it was never set up."""
        status = await self._pool.execute(
            "UPDATE totd_settings SET enabled = $1, updated_at = $2 WHERE guild_id = $3", enabled, now, guild_id
        )
        return affected(status) > 0

    async def totd_set_problem(self, guild_id: int, problem: str, blocked_until: datetime, now: datetime) -> None:
        """Record a delivery problem (kept since its first occurrence) and when to try again."""
        await self._pool.execute(
            "UPDATE totd_settings SET problem_since = CASE WHEN problem IS NOT DISTINCT FROM $1 "
            "THEN coalesce(problem_since, $2) ELSE $2 END, problem = $1, blocked_until = $3, updated_at = $2 "
            "WHERE guild_id = $4",
            problem,
            now,
            blocked_until,
            guild_id,
        )

    async def totd_clear_problem(self, guild_id: int, now: datetime) -> None:
        """Forget a server's delivery problem once a post went through."""
        await self._pool.execute(
            "UPDATE totd_settings SET problem = NULL, problem_since = NULL, blocked_until = NULL, updated_at = $1 "
            "WHERE guild_id = $2 AND (problem IS NOT NULL OR blocked_until IS NOT NULL)",
            now,
            guild_id,
        )

    async def totd_schedules(self, after: int, limit: int) -> list[tuple[ServerSchedule, PostRecord | None]]:
        """Return a page of enabled servers after a guild id, each with its most recent post record."""
        rows = await self._pool.fetch(
            f"SELECT {TOTD_SETTINGS}, {TOTD_POSTS} FROM totd_settings s "
            "LEFT JOIN LATERAL (SELECT * FROM totd_posts WHERE guild_id = s.guild_id "
            "ORDER BY local_date DESC LIMIT 1) p ON TRUE "
            "WHERE s.enabled AND s.guild_id > $1 ORDER BY s.guild_id LIMIT $2",
            after,
            limit,
        )
        width = TOTD_SETTINGS.count(",") + 1
        return [(schedule_from_row(POSTGRES, row[:width]), record_from_row(POSTGRES, row[width:])) for row in rows]

    async def totd_latest(self, guild_id: int) -> PostRecord | None:
        """Return a server's post record with the latest local date."""
        return await self._totd_record("WHERE guild_id = $1 ORDER BY local_date DESC LIMIT 1", guild_id)

    async def totd_post(self, guild_id: int, day: date) -> PostRecord | None:
        """Return a server's post record for one local date."""
        return await self._totd_record("WHERE guild_id = $1 AND local_date = $2", guild_id, day)

    async def totd_last_posted(self, guild_id: int) -> PostRecord | None:
        """Return a server's most recent successful post."""
        return await self._totd_record(
            "WHERE guild_id = $1 AND status = 'posted' ORDER BY local_date DESC LIMIT 1", guild_id
        )

    async def totd_history(self, guild_id: int, limit: int) -> list[PostRecord]:
        """Return a server's post records, newest first."""
        rows = await self._pool.fetch(
            f"SELECT {TOTD_POSTS} FROM totd_posts p WHERE guild_id = $1 ORDER BY local_date DESC LIMIT $2",
            guild_id,
            limit,
        )
        return [record for row in rows if (record := record_from_row(POSTGRES, row)) is not None]

    async def _totd_record(self, where: str, *params: object) -> PostRecord | None:
        row = await self._pool.fetchrow(f"SELECT {TOTD_POSTS} FROM totd_posts p {where}", *params)
        return record_from_row(POSTGRES, row) if row else None

    async def totd_begin(self, guild_id: int, day: date, pick: Pick, channel_id: int, now: datetime) -> bool:
        """Record the intent to post a term for a date (status 'sending'); False if the date has a row already."""
        status = await self._pool.execute(
            "INSERT INTO totd_posts (guild_id, local_date, status, slug, cycle, channel_id, created_at, updated_at) "
            "VALUES ($1, $2, 'sending', $3, $4, $5, $6, $6) ON CONFLICT (guild_id, local_date) DO NOTHING",
            guild_id,
            day,
            pick.slug,
            pick.cycle,
            channel_id,
            now,
        )
        return affected(status) == 1

    async def totd_retake(
        self, guild_id: int, day: date, expected: PostStatus, pick: Pick, channel_id: int, now: datetime
    ) -> bool:
        """Move a date's row from `expected` back to 'sending' for another attempt; False if it changed meanwhile."""
        status = await self._pool.execute(
            "UPDATE totd_posts SET status = 'sending', slug = $1, cycle = $2, channel_id = $3, message_id = NULL, "
            "next_attempt_at = NULL, updated_at = $4 WHERE guild_id = $5 AND local_date = $6 AND status = $7",
            pick.slug,
            pick.cycle,
            channel_id,
            now,
            guild_id,
            day,
            expected.value,
        )
        return affected(status) == 1

    async def totd_mark_posted(
        self, guild_id: int, day: date, channel_id: int, message_id: int, now: datetime, note: str | None = None
    ) -> None:
        """Record that Discord has the date's post."""
        await self._pool.execute(
            "UPDATE totd_posts SET status = 'posted', channel_id = $1, message_id = $2, posted_at = $3, "
            "next_attempt_at = NULL, last_error = $4, updated_at = $3 WHERE guild_id = $5 AND local_date = $6",
            channel_id,
            message_id,
            now,
            note,
            guild_id,
            day,
        )

    async def totd_mark_retry(
        self, guild_id: int, day: date, status: PostStatus, next_attempt_at: datetime, error: str, now: datetime
    ) -> None:
        """Count a failed attempt and set when to try again ('sending' when a post may exist, else 'failed')."""
        await self._pool.execute(
            "UPDATE totd_posts SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3, "
            "updated_at = $4 WHERE guild_id = $5 AND local_date = $6",
            status.value,
            next_attempt_at,
            error[:500],
            now,
            guild_id,
            day,
        )

    async def totd_mark_missed(self, guild_id: int, day: date, reason: str, now: datetime) -> None:
        """Record a date as missed (a posted date stays posted)."""
        await self._pool.execute(
            "INSERT INTO totd_posts (guild_id, local_date, status, last_error, created_at, updated_at) "
            "VALUES ($1, $2, 'missed', $3, $4, $4) ON CONFLICT (guild_id, local_date) DO UPDATE SET status = 'missed', "
            "next_attempt_at = NULL, last_error = excluded.last_error, updated_at = excluded.updated_at "
            "WHERE totd_posts.status IN ('sending', 'failed')",
            guild_id,
            day,
            reason[:500],
            now,
        )

    async def totd_cycle_state(self, guild_id: int) -> CycleState:
        """Return a server's current cycle, the terms it used and the terms skipped in it."""
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            cycle = int(
                await conn.fetchval(
                    "SELECT coalesce(max(cycle), 0) FROM totd_posts WHERE guild_id = $1 AND slug IS NOT NULL",
                    guild_id,
                )
            )
            used = await conn.fetch(
                "SELECT slug FROM totd_posts WHERE guild_id = $1 AND cycle = $2 AND slug IS NOT NULL "
                "AND status IN ('sending', 'failed', 'posted')",
                guild_id,
                cycle,
            )
            skipped = await conn.fetch(
                "SELECT slug FROM totd_skips WHERE guild_id = $1 AND cycle = $2", guild_id, cycle
            )
        return CycleState(cycle, frozenset(r[0] for r in used), frozenset(r[0] for r in skipped))

    async def totd_skip(self, guild_id: int, day: date, skipped: Pick, replacement: Pick, now: datetime) -> None:
        """Put a skipped term at the end of its cycle and give the date's row (if any) the replacement."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO totd_skips (guild_id, cycle, slug, local_date) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (guild_id, cycle, slug) DO NOTHING",
                guild_id,
                skipped.cycle,
                skipped.slug,
                day,
            )
            await conn.execute(
                "UPDATE totd_posts SET slug = $1, cycle = $2, updated_at = $3 WHERE guild_id = $4 AND local_date = $5",
                replacement.slug,
                replacement.cycle,
                now,
                guild_id,
                day,
            )
