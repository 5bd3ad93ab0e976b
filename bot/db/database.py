"""The SQLite database: connection, migrations and every query the bot runs."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from bot.core.glossary import Term
from bot.core.quiz import AskedQuestion, Question, QuizMode
from bot.core.review import CardState, Queue, StudyCard, StudySettings
from bot.core.schedule import CycleState, Pick, PostRecord, PostStatus, ServerSchedule, format_post_time

log = logging.getLogger(__name__)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


class DatabaseError(RuntimeError):
    """The database file cannot be opened or used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A full-text search result."""

    slug: str
    name: str
    snippet: str


def migrations() -> list[tuple[int, str]]:
    """Return the numbered migration scripts shipped with the package, in order."""
    found = []
    for entry in resources.files("bot.db.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fts_query(text: str) -> str:
    """Turn free text into a safe FTS5 query: every word required, the last one as a prefix."""
    words = _FTS_TOKEN.findall(text.casefold())[:12]
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class Database:
    """One aiosqlite connection, opened with `Database.open` and closed with `close`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._conn = connection
        self.path = path
        self._tx_lock = asyncio.Lock()  # see _transaction

    @classmethod
    async def open(cls, path: Path, *, busy_timeout: float = 5.0) -> Database:
        """Open (creating if needed) and migrate the database at `path`; wait up to `busy_timeout` s for locks."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open the database at {path}: {exc}") from exc
        db = cls(conn, path)
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await db.migrate()
        except sqlite3.Error as exc:
            await conn.close()
            raise DatabaseError(_explain(path, exc)) from exc
        return db

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def version(self) -> int:
        """Return the schema version (`PRAGMA user_version`)."""
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, target: int | None = None) -> None:
        """Apply every migration above the current version, each in its own transaction."""
        current = await self.version()
        for number, script in migrations():
            if number <= current or (target is not None and number > target):
                continue
            log.info("Applying database migration %04d", number)
            await self._conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one transaction; the lock keeps two tasks' transactions off the one connection."""
        async with self._tx_lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _write(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run one write statement, never inside another task's open transaction on the shared connection."""
        async with self._tx_lock:
            await self._conn.execute(sql, params)

    # -- meta -------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """Return a stored setting of the bot itself."""
        async with self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Store a setting of the bot itself."""
        await self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- glossary ---------------------------------------------------------------------

    async def replace_glossary(self, terms: Sequence[Term], content_hash: str) -> None:
        """Swap in a new glossary in one transaction; statistics are untouched."""
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM related")
            await conn.execute("DELETE FROM aliases")
            await conn.execute("DELETE FROM terms")
            await conn.execute("DELETE FROM terms_fts")
            await conn.executemany(
                "INSERT INTO terms (slug, name, module, definition, example, position) VALUES (?, ?, ?, ?, ?, ?)",
                [(t.slug, t.name, t.module, t.definition, t.example, i) for i, t in enumerate(terms)],
            )
            await conn.executemany(
                "INSERT INTO aliases (slug, alias, position) VALUES (?, ?, ?)",
                [(t.slug, a, i) for t in terms for i, a in enumerate(t.aliases)],
            )
            await conn.executemany(
                "INSERT INTO related (slug, related_slug, position) VALUES (?, ?, ?)",
                [(t.slug, r, i) for t in terms for i, r in enumerate(t.related)],
            )
            await conn.executemany(
                "INSERT INTO terms_fts (slug, name, aliases, definition) VALUES (?, ?, ?, ?)",
                [(t.slug, t.name, " ".join(t.aliases), t.definition) for t in terms],
            )
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ('glossary_hash', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (content_hash,),
            )

    async def load_terms(self) -> list[Term]:
        """Return every term in glossary order, with aliases and related slugs."""
        aliases: dict[str, list[str]] = {}
        async with self._conn.execute("SELECT slug, alias FROM aliases ORDER BY slug, position") as cursor:
            async for slug, alias in cursor:
                aliases.setdefault(slug, []).append(alias)
        related: dict[str, list[str]] = {}
        async with self._conn.execute("SELECT slug, related_slug FROM related ORDER BY slug, position") as cursor:
            async for slug, other in cursor:
                related.setdefault(slug, []).append(other)
        terms = []
        async with self._conn.execute(
            "SELECT slug, name, module, definition, example FROM terms ORDER BY position"
        ) as cursor:
            async for slug, name, module, definition, example in cursor:
                terms.append(
                    Term(
                        slug=slug,
                        name=name,
                        module=module,
                        definition=definition,
                        example=example,
                        aliases=tuple(aliases.get(slug, ())),
                        related=tuple(related.get(slug, ())),
                    )
                )
        return terms

    async def search(self, text: str, *, limit: int, offset: int = 0) -> tuple[list[SearchHit], int]:
        """Rank terms by full-text relevance (name over aliases over definition)."""
        query = fts_query(text)
        if not query:
            return [], 0
        async with self._conn.execute("SELECT count(*) FROM terms_fts WHERE terms_fts MATCH ?", (query,)) as cursor:
            row = await cursor.fetchone()
        total = int(row[0]) if row else 0
        hits = []
        async with self._conn.execute(
            "SELECT slug, name, snippet(terms_fts, 3, '**', '**', '…', 16) FROM terms_fts "
            "WHERE terms_fts MATCH ? ORDER BY bm25(terms_fts, 0.0, 10.0, 5.0, 1.0) LIMIT ? OFFSET ?",
            (query, limit, offset),
        ) as cursor:
            async for slug, name, snippet in cursor:
                hits.append(SearchHit(slug, name, snippet))
        return hits, total

    # -- statistics -------------------------------------------------------------------

    async def record_lookup(self, slug: str) -> None:
        """Count one successful lookup of a term."""
        await self._write(
            "INSERT INTO lookups (slug, count, last_seen) VALUES (?, 1, ?) "
            "ON CONFLICT (slug) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
            (slug, _now()),
        )

    async def record_miss(self, query_key: str, query: str) -> None:
        """Count a query that matched nothing, for the admins' gap report."""
        await self._write(
            "INSERT INTO misses (query_key, query, count, last_seen) VALUES (?, ?, 1, ?) "
            "ON CONFLICT (query_key) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen",
            (query_key, query[:200], _now()),
        )

    async def popular(self, limit: int) -> list[str]:
        """Return the most looked-up slugs that are still in the glossary."""
        async with self._conn.execute(
            "SELECT l.slug FROM lookups l JOIN terms t USING (slug) ORDER BY l.count DESC, l.slug LIMIT ?",
            (limit,),
        ) as cursor:
            return [row[0] async for row in cursor]

    async def top_misses(self, limit: int) -> list[tuple[str, int]]:
        """Return the most frequent queries that matched nothing."""
        async with self._conn.execute(
            "SELECT query, count FROM misses ORDER BY count DESC, last_seen DESC LIMIT ?", (limit,)
        ) as cursor:
            return [(row[0], int(row[1])) async for row in cursor]

    async def lookup_counts(self) -> tuple[int, int]:
        """Return (total lookups, total misses)."""
        async with self._conn.execute(
            "SELECT (SELECT coalesce(sum(count), 0) FROM lookups), (SELECT coalesce(sum(count), 0) FROM misses)"
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    # -- term of the day ----------------------------------------------------------------
    # Settings per server, one row per server and local date (the exactly-once key) and the
    # terms admins skipped. Instants are passed in by the caller (the bot's injectable clock).

    async def totd_settings(self, guild_id: int) -> ServerSchedule | None:
        """Return a server's term-of-the-day settings, enabled or not."""
        async with self._conn.execute(
            f"SELECT {_TOTD_SETTINGS} FROM totd_settings s WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _schedule_from_row(row) if row else None

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
                    _iso(schedule.active_from),
                    _iso(now),
                ),
            )
            await conn.execute(
                "UPDATE totd_posts SET next_attempt_at = NULL, updated_at = ? "
                "WHERE guild_id = ? AND status IN ('sending', 'failed')",
                (_iso(now), schedule.guild_id),
            )

    async def totd_set_enabled(self, guild_id: int, enabled: bool, now: datetime) -> bool:
        """Turn a server's posts on or off; False if it was never set up."""
        async with self._conn.execute(
            "UPDATE totd_settings SET enabled = ?, updated_at = ? WHERE guild_id = ?",
            (int(enabled), _iso(now), guild_id),
        ) as cursor:
            return cursor.rowcount > 0

    async def totd_set_problem(self, guild_id: int, problem: str, blocked_until: datetime, now: datetime) -> None:
        """Record a delivery problem (kept since its first occurrence) and when to try again."""
        await self._write(
            "UPDATE totd_settings SET problem_since = CASE WHEN problem IS ? THEN coalesce(problem_since, ?) "
            "ELSE ? END, problem = ?, blocked_until = ?, updated_at = ? WHERE guild_id = ?",
            (problem, _iso(now), _iso(now), problem, _iso(blocked_until), _iso(now), guild_id),
        )

    async def totd_clear_problem(self, guild_id: int, now: datetime) -> None:
        """Forget a server's delivery problem once a post went through."""
        await self._write(
            "UPDATE totd_settings SET problem = NULL, problem_since = NULL, blocked_until = NULL, updated_at = ? "
            "WHERE guild_id = ? AND (problem IS NOT NULL OR blocked_until IS NOT NULL)",
            (_iso(now), guild_id),
        )

    async def totd_schedules(self, after: int, limit: int) -> list[tuple[ServerSchedule, PostRecord | None]]:
        """Return a page of enabled servers after a guild id, each with its most recent post record."""
        async with self._conn.execute(
            f"SELECT {_TOTD_SETTINGS}, {_TOTD_POSTS} FROM totd_settings s "
            "LEFT JOIN totd_posts p ON p.guild_id = s.guild_id "
            "AND p.local_date = (SELECT max(local_date) FROM totd_posts WHERE guild_id = s.guild_id) "
            "WHERE s.enabled = 1 AND s.guild_id > ? ORDER BY s.guild_id LIMIT ?",
            (after, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        width = _TOTD_SETTINGS.count(",") + 1
        return [(_schedule_from_row(row[:width]), _record_from_row(row[width:])) for row in rows]

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
        async with self._conn.execute(
            f"SELECT {_TOTD_POSTS} FROM totd_posts p WHERE guild_id = ? ORDER BY local_date DESC LIMIT ?",
            (guild_id, limit),
        ) as cursor:
            return [record async for row in cursor if (record := _record_from_row(row)) is not None]

    async def _totd_record(self, where: str, params: tuple[object, ...]) -> PostRecord | None:
        async with self._conn.execute(f"SELECT {_TOTD_POSTS} FROM totd_posts p {where}", params) as cursor:
            row = await cursor.fetchone()
        return _record_from_row(row) if row else None

    async def totd_begin(self, guild_id: int, day: date, pick: Pick, channel_id: int, now: datetime) -> bool:
        """Record the intent to post a term for a date (status 'sending'); False if the date has a row already."""
        async with self._conn.execute(
            "INSERT INTO totd_posts (guild_id, local_date, status, slug, cycle, channel_id, created_at, updated_at) "
            "VALUES (?, ?, 'sending', ?, ?, ?, ?, ?) ON CONFLICT (guild_id, local_date) DO NOTHING",
            (guild_id, day.isoformat(), pick.slug, pick.cycle, channel_id, _iso(now), _iso(now)),
        ) as cursor:
            return cursor.rowcount == 1

    async def totd_retake(
        self, guild_id: int, day: date, expected: PostStatus, pick: Pick, channel_id: int, now: datetime
    ) -> bool:
        """Move a date's row from `expected` back to 'sending' for another attempt; False if it changed meanwhile."""
        async with self._conn.execute(
            "UPDATE totd_posts SET status = 'sending', slug = ?, cycle = ?, channel_id = ?, message_id = NULL, "
            "next_attempt_at = NULL, updated_at = ? WHERE guild_id = ? AND local_date = ? AND status = ?",
            (pick.slug, pick.cycle, channel_id, _iso(now), guild_id, day.isoformat(), expected.value),
        ) as cursor:
            return cursor.rowcount == 1

    async def totd_mark_posted(
        self, guild_id: int, day: date, channel_id: int, message_id: int, now: datetime, note: str | None = None
    ) -> None:
        """Record that Discord has the date's post."""
        await self._write(
            "UPDATE totd_posts SET status = 'posted', channel_id = ?, message_id = ?, posted_at = ?, "
            "next_attempt_at = NULL, last_error = ?, updated_at = ? WHERE guild_id = ? AND local_date = ?",
            (channel_id, message_id, _iso(now), note, _iso(now), guild_id, day.isoformat()),
        )

    async def totd_mark_retry(
        self, guild_id: int, day: date, status: PostStatus, next_attempt_at: datetime, error: str, now: datetime
    ) -> None:
        """Count a failed attempt and set when to try again ('sending' when a post may exist, else 'failed')."""
        await self._write(
            "UPDATE totd_posts SET status = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
            "updated_at = ? WHERE guild_id = ? AND local_date = ?",
            (status.value, _iso(next_attempt_at), error[:500], _iso(now), guild_id, day.isoformat()),
        )

    async def totd_mark_missed(self, guild_id: int, day: date, reason: str, now: datetime) -> None:
        """Record a date as missed (a posted date stays posted)."""
        await self._write(
            "INSERT INTO totd_posts (guild_id, local_date, status, last_error, created_at, updated_at) "
            "VALUES (?, ?, 'missed', ?, ?, ?) ON CONFLICT (guild_id, local_date) DO UPDATE SET status = 'missed', "
            "next_attempt_at = NULL, last_error = excluded.last_error, updated_at = excluded.updated_at "
            "WHERE totd_posts.status IN ('sending', 'failed')",
            (guild_id, day.isoformat(), reason[:500], _iso(now), _iso(now)),
        )

    async def totd_cycle_state(self, guild_id: int) -> CycleState:
        """Return a server's current cycle, the terms it used and the terms skipped in it."""
        async with self._conn.execute(
            "SELECT coalesce(max(cycle), 0) FROM totd_posts WHERE guild_id = ? AND slug IS NOT NULL", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        cycle = int(row[0]) if row else 0
        async with self._conn.execute(
            "SELECT slug FROM totd_posts WHERE guild_id = ? AND cycle = ? AND slug IS NOT NULL "
            "AND status IN ('sending', 'failed', 'posted')",
            (guild_id, cycle),
        ) as cursor:
            used = frozenset([r[0] async for r in cursor])
        async with self._conn.execute(
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
                (replacement.slug, replacement.cycle, _iso(now), guild_id, day.isoformat()),
            )

    # -- study ----------------------------------------------------------------------------
    # Decks, reviews, study days and quizzes (migration 0003). Instants come from the caller's
    # clock; every write that must not double-count is one transaction guarded by a constraint
    # or a version check, and reports through rowcount whether it took effect.

    async def study_settings(self, user_id: int) -> StudySettings:
        """Return a learner's review settings (the defaults when never set)."""
        async with self._conn.execute(
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
                _stamp(now),
            ),
        )

    async def study_server_zone(self, guild_id: int | None) -> str | None:
        """Return the time zone a server's term of the day uses, if it has one."""
        if guild_id is None:
            return None
        try:
            async with self._conn.execute(
                "SELECT timezone FROM totd_settings WHERE guild_id = ?", (guild_id,)
            ) as cursor:
                row = await cursor.fetchone()
        except sqlite3.OperationalError:  # no term-of-the-day table in this database
            return None
        return str(row[0]) if row and row[0] else None

    async def study_add_cards(self, user_id: int, slugs: Sequence[str], now: datetime) -> int:
        """Add terms to a learner's deck as new cards, in the given order; return how many were not there yet."""
        rows = [(user_id, slug, _stamp(now)) for slug in dict.fromkeys(slugs)]
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
        async with self._conn.execute(
            f"SELECT {_CARD_COLUMNS} FROM study_cards c WHERE card_id = ?", (card_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _card_from_row(row) if row else None

    async def study_cards(self, user_id: int) -> list[StudyCard]:
        """Return every card in a learner's deck, in the order added."""
        async with self._conn.execute(
            f"SELECT {_CARD_COLUMNS} FROM study_cards c WHERE user_id = ? ORDER BY card_id", (user_id,)
        ) as cursor:
            return [_card_from_row(row) async for row in cursor]

    async def study_queue(self, user_id: int, day_start: datetime) -> Queue:
        """Return the first learning, review and new card of a learner's deck and today's counts.

        Cards whose term left the glossary are skipped (the join with `terms`).
        """
        # One query per state, each walking the (user_id, state, due) index in order with no sort: new
        # cards all have a NULL due, so "due, card_id" is the order they were added in.
        first = (
            f"SELECT {_CARD_COLUMNS} FROM study_cards c JOIN terms t ON t.slug = c.slug "
            "WHERE c.user_id = ? AND c.state = ? ORDER BY c.due, c.card_id LIMIT 1"
        )
        found: dict[CardState, StudyCard | None] = {}
        for state in CardState:
            async with self._conn.execute(first, (user_id, int(state))) as cursor:
                row = await cursor.fetchone()
            found[state] = _card_from_row(row) if row else None
        learning = [c for c in (found[CardState.LEARNING], found[CardState.RELEARNING]) if c is not None]
        cards = [
            min(learning, key=lambda c: c.due or datetime.max.replace(tzinfo=UTC)) if learning else None,
            found[CardState.REVIEW],
            found[CardState.NEW],
        ]
        async with self._conn.execute(
            "SELECT coalesce(sum(prev_state = 0), 0), coalesce(sum(prev_state = 2), 0) FROM study_reviews "
            "WHERE user_id = ? AND reviewed_at >= ?",
            (user_id, _stamp(day_start)),
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
        until, end = _stamp(learning_until), _stamp(day_end)
        async with self._conn.execute(
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
                    _stamp(after.due),
                    _stamp(after.last_review),
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
                (before.user_id, before.card_id, before.slug, grade, int(before.state), int(after.state), _stamp(now)),
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
            (user_id, slug, _stamp(now)),
        )

    async def study_days(self, user_id: int) -> list[date]:
        """Return the local dates a learner studied on, oldest first."""
        async with self._conn.execute(
            "SELECT local_date FROM study_days WHERE user_id = ? ORDER BY local_date", (user_id,)
        ) as cursor:
            return [date.fromisoformat(row[0]) async for row in cursor]

    async def study_seen(self, user_id: int) -> set[str]:
        """Return the slugs a learner has met in a review or a quiz."""
        async with self._conn.execute("SELECT slug FROM study_seen WHERE user_id = ?", (user_id,)) as cursor:
            return {row[0] async for row in cursor}

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
        async with self._conn.execute(
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
                _stamp(now),
                _stamp(closes_at),
            ),
        ) as cursor:
            assert cursor.lastrowid is not None
            return int(cursor.lastrowid)

    async def quiz_set_message(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Remember which message shows a question, so it can be edited when it closes."""
        await self._write(
            "UPDATE quiz_questions SET channel_id = ?, message_id = ? WHERE id = ?",
            (channel_id, message_id, question_id),
        )

    async def quiz_get(self, question_id: int) -> AskedQuestion | None:
        """Return a stored question."""
        async with self._conn.execute(
            f"SELECT {_QUESTION_COLUMNS} FROM quiz_questions q WHERE id = ?", (question_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _question_from_row(row) if row else None

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
                (user_id, choice, int(correct), points, _stamp(now), asked.id, _stamp(now), user_id),
            ) as cursor:
                if cursor.rowcount != 1:
                    return False
            await self._study_activity(conn, user_id, asked.question.slug, now, day)
        return True

    async def quiz_choice(self, question_id: int, user_id: int) -> int | None:
        """Return the option a member chose on a question, if they answered it."""
        async with self._conn.execute(
            "SELECT choice FROM quiz_answers WHERE question_id = ? AND user_id = ?", (question_id, user_id)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def quiz_answers(self, question_id: int) -> list[tuple[int, int]]:
        """Return (member, option) for every answer to a question, first answer first."""
        async with self._conn.execute(
            "SELECT user_id, choice FROM quiz_answers WHERE question_id = ? ORDER BY answered_at, user_id",
            (question_id,),
        ) as cursor:
            return [(int(row[0]), int(row[1])) async for row in cursor]

    async def quiz_overdue(self, now: datetime, limit: int) -> list[AskedQuestion]:
        """Return open public questions whose time is up, oldest first."""
        async with self._conn.execute(
            f"SELECT {_QUESTION_COLUMNS} FROM quiz_questions q WHERE closed_at IS NULL AND closes_at IS NOT NULL "
            "AND closes_at <= ? ORDER BY closes_at LIMIT ?",
            (_stamp(now), limit),
        ) as cursor:
            return [_question_from_row(row) async for row in cursor]

    async def quiz_next_close(self) -> datetime | None:
        """Return when the next open question closes."""
        async with self._conn.execute(
            "SELECT min(closes_at) FROM quiz_questions WHERE closed_at IS NULL AND closes_at IS NOT NULL"
        ) as cursor:
            row = await cursor.fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def quiz_close(self, question_id: int, now: datetime) -> bool:
        """Close a question; False if it was closed already (whoever closes it reveals the tally)."""
        async with self._conn.execute(
            "UPDATE quiz_questions SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (_stamp(now), question_id)
        ) as cursor:
            return cursor.rowcount == 1

    async def quiz_prune_practice(self, before: datetime) -> int:
        """Delete practice questions (and their answers) asked before an instant; return how many."""
        # Practice answers earn no points and the streak and "seen" live elsewhere: nothing is lost.
        async with self._conn.execute(
            "DELETE FROM quiz_questions WHERE public = 0 AND created_at < ?", (_stamp(before),)
        ) as cursor:
            return max(cursor.rowcount, 0)

    async def quiz_leaderboard(self, guild_id: int, since: datetime | None, limit: int) -> list[tuple[int, int]]:
        """Return (member, points) for a server's best public quiz scores since an instant (or ever)."""
        async with self._conn.execute(
            "SELECT user_id, sum(points) AS total FROM quiz_answers WHERE guild_id = ? AND points > 0 "
            "AND answered_at >= ? GROUP BY user_id ORDER BY total DESC, min(answered_at), user_id LIMIT ?",
            (guild_id, _stamp(since) if since else "", limit),
        ) as cursor:
            return [(int(row[0]), int(row[1])) async for row in cursor]

    async def quiz_standing(self, guild_id: int, user_id: int, since: datetime | None) -> tuple[int, int | None]:
        """Return a member's public quiz points in a server since an instant (or ever) and their rank."""
        bound = _stamp(since) if since else ""
        async with self._conn.execute(
            "WITH totals AS (SELECT user_id, sum(points) AS total FROM quiz_answers "
            "WHERE guild_id = ? AND points > 0 AND answered_at >= ? GROUP BY user_id) "
            "SELECT total, (SELECT count(*) FROM totals o WHERE o.total > t.total) + 1 FROM totals t "
            "WHERE user_id = ?",
            (guild_id, bound, user_id),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, None)

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


_TOTD_SETTINGS = (
    "s.guild_id, s.channel_id, s.post_time, s.timezone, s.catch_up_minutes, s.role_id, s.module, s.threads, "
    "s.enabled, s.active_from, s.problem, s.problem_since, s.blocked_until"
)
_TOTD_POSTS = (
    "p.guild_id, p.local_date, p.status, p.slug, p.cycle, p.channel_id, p.message_id, p.attempts, "
    "p.next_attempt_at, p.last_error, p.posted_at"
)


def _iso(instant: datetime | None) -> str | None:
    return instant.astimezone(UTC).isoformat() if instant is not None else None


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _schedule_from_row(row: Sequence[Any]) -> ServerSchedule:
    hour, minute = (int(part) for part in row[2].split(":"))
    return ServerSchedule(
        guild_id=int(row[0]),
        channel_id=int(row[1]),
        post_time=time(hour, minute),
        timezone=row[3],
        catch_up=timedelta(minutes=int(row[4])),
        role_id=row[5],
        module=row[6],
        threads=bool(row[7]),
        enabled=bool(row[8]),
        active_from=datetime.fromisoformat(row[9]),
        problem=row[10],
        problem_since=_instant(row[11]),
        blocked_until=_instant(row[12]),
    )


def _record_from_row(row: Sequence[Any]) -> PostRecord | None:
    if row[0] is None:  # the LEFT JOIN found no post yet
        return None
    return PostRecord(
        guild_id=int(row[0]),
        local_date=date.fromisoformat(row[1]),
        status=PostStatus(row[2]),
        slug=row[3],
        cycle=int(row[4]),
        channel_id=row[5],
        message_id=row[6],
        attempts=int(row[7]),
        next_attempt_at=_instant(row[8]),
        last_error=row[9],
        posted_at=_instant(row[10]),
    )


def _explain(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"the database at {path} is locked by another program (is a second bot running?): {text}"
    if "not a database" in text or "malformed" in text:
        return f"the file at {path} is not a usable TermiKnowledge database ({text}); move it away to start afresh"
    if "readonly" in text or "unable to open" in text:
        return f"cannot write the database at {path} ({text}); check the folder's permissions or set DATABASE_PATH"
    return f"database error at {path}: {text}"


# -- study rows -----------------------------------------------------------------------

_CARD_COLUMNS = (
    "c.card_id, c.user_id, c.slug, c.state, c.step, c.stability, c.difficulty, c.due, c.last_review, "
    "c.reps, c.lapses, c.leech"
)
_QUESTION_COLUMNS = (
    "q.id, q.mode, q.slug, q.options, q.answer, q.public, q.guild_id, q.channel_id, q.message_id, q.asked_by, "
    "q.created_at, q.closes_at, q.closed_at"
)


def _stamp(instant: datetime | None) -> str | None:
    # Fixed width (always microseconds, always +00:00): text order is time order in SQL comparisons.
    return instant.astimezone(UTC).isoformat(timespec="microseconds") if instant is not None else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _card_from_row(row: Sequence[Any]) -> StudyCard:
    return StudyCard(
        card_id=int(row[0]),
        user_id=int(row[1]),
        slug=row[2],
        state=CardState(int(row[3])),
        step=row[4],
        stability=row[5],
        difficulty=row[6],
        due=_moment(row[7]),
        last_review=_moment(row[8]),
        reps=int(row[9]),
        lapses=int(row[10]),
        leech=bool(row[11]),
    )


def _question_from_row(row: Sequence[Any]) -> AskedQuestion:
    question = Question(row[2], QuizMode(row[1]), tuple(json.loads(row[3])), int(row[4]))
    created = _moment(row[10])
    assert created is not None
    return AskedQuestion(
        id=int(row[0]),
        question=question,
        public=bool(row[5]),
        guild_id=row[6],
        channel_id=row[7],
        message_id=row[8],
        asked_by=row[9],
        created_at=created,
        closes_at=_moment(row[11]),
        closed_at=_moment(row[12]),
    )
