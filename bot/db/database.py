"""The SQLite database: opening, migrations, the glossary and lookup statistics."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import aiosqlite

from bot.core.glossary import Term
from bot.core.timezones import Clock, utc_now
from bot.db._migrations import newer_schema, numbered_scripts
from bot.db._store import stamp
from bot.db.community import CommunityQueries
from bot.db.errors import DatabaseError
from bot.db.quiz import QuizQueries
from bot.db.repositories import SearchHit
from bot.db.totd import TotdQueries

log = logging.getLogger(__name__)
_FTS_TOKEN = re.compile(r"\w+", re.UNICODE)


def migrations() -> list[tuple[int, str]]:
    """Return the numbered migration scripts shipped with the package, in order."""
    return numbered_scripts("bot.db.migrations")


def _prepare_folder(path: Path) -> None:
    if path.is_dir():
        raise DatabaseError(f"DATABASE_PATH {path} is a folder; point it at a file such as {path / 'tk.db'}")
    path.parent.mkdir(parents=True, exist_ok=True)


async def _version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _migrate(conn: aiosqlite.Connection, path: Path, target: int | None) -> None:
    """Apply every migration above the current version, each in its own transaction; refuse a newer schema."""
    current = await _version(conn)
    shipped = migrations()
    if current > len(shipped):
        raise newer_schema(str(path), current, len(shipped), "DATABASE_PATH")
    for number, script in shipped:
        if number <= current or (target is not None and number > target):
            continue
        log.info("Applying database migration %04d", number)
        await conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")


def fts_query(text: str) -> str:
    """Turn free text into a safe FTS5 query: every word required, the last one as a prefix."""
    words = _FTS_TOKEN.findall(text.casefold())[:12]
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class Database(TotdQueries, QuizQueries, CommunityQueries):
    """The bot's database, opened with `Database.open` and closed with `close`; queries by feature live in mixins."""

    @classmethod
    async def open(
        cls, path: Path, *, busy_timeout: float = 1.5, clock: Clock = utc_now, migrate_to: int | None = None
    ) -> Database:
        """Open (creating if needed) and migrate the database at `path`.

        `busy_timeout` is how long a write waits for another process's lock: short enough that a command
        still answers inside Discord's 3-second window. `migrate_to` stops at an older version (tests).
        """
        try:
            await asyncio.to_thread(_prepare_folder, path)
            writer = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open the database at {path}: {exc}") from exc
        reader: aiosqlite.Connection | None = None
        try:
            await writer.execute("PRAGMA journal_mode = WAL")
            await writer.execute("PRAGMA foreign_keys = ON")
            await writer.execute("PRAGMA synchronous = NORMAL")
            await _migrate(writer, path, migrate_to)
            reader = await aiosqlite.connect(path, timeout=busy_timeout, isolation_level=None)
            await reader.execute("PRAGMA query_only = ON")  # every write goes through the writer's lock
        except (sqlite3.Error, DatabaseError) as exc:
            for conn in (writer, reader):
                if conn is not None:
                    await conn.close()
            if isinstance(exc, DatabaseError):
                raise
            raise DatabaseError(_explain(path, exc)) from exc
        return cls(reader, writer, path, clock)

    async def close(self) -> None:
        """Close both connections."""
        await self._reader.close()
        await self._writer.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def version(self) -> int:
        """Return the schema version (`PRAGMA user_version`)."""
        return await _version(self._reader)

    # -- meta -------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        """Return a stored setting of the bot itself."""
        async with self._reader.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
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
        async with self._reader.execute("SELECT slug, alias FROM aliases ORDER BY slug, position") as cursor:
            async for slug, alias in cursor:
                aliases.setdefault(slug, []).append(alias)
        related: dict[str, list[str]] = {}
        async with self._reader.execute("SELECT slug, related_slug FROM related ORDER BY slug, position") as cursor:
            async for slug, other in cursor:
                related.setdefault(slug, []).append(other)
        terms = []
        async with self._reader.execute(
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
        async with self._reader.execute("SELECT count(*) FROM terms_fts WHERE terms_fts MATCH ?", (query,)) as cursor:
            row = await cursor.fetchone()
        total = int(row[0]) if row else 0
        hits = []
        async with self._reader.execute(
            "SELECT slug, name, snippet(terms_fts, 3, '**', '**', '…', 16) FROM terms_fts "
            "WHERE terms_fts MATCH ? ORDER BY bm25(terms_fts, 0.0, 10.0, 5.0, 1.0) LIMIT ? OFFSET ?",
            (query, limit, offset),
        ) as cursor:
            async for slug, name, snippet in cursor:
                hits.append(SearchHit(slug, name, snippet))
        return hits, total

    # -- statistics -------------------------------------------------------------------

    async def record_usage(self, lookups: Mapping[str, int], misses: Mapping[str, tuple[str, int]]) -> None:
        """Add a batch of lookup counts (by slug) and miss counts (by query key: shown query, count) at once."""
        now = stamp(self.clock())
        async with self._transaction() as conn:
            await conn.executemany(
                "INSERT INTO lookups (slug, count, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (slug) DO UPDATE SET count = count + excluded.count, last_seen = excluded.last_seen",
                [(slug, count, now) for slug, count in lookups.items()],
            )
            await conn.executemany(
                "INSERT INTO misses (query_key, query, count, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (query_key) DO UPDATE SET count = count + excluded.count, last_seen = excluded.last_seen",
                [(key, query[:200], count, now) for key, (query, count) in misses.items()],
            )

    async def popular(self, limit: int) -> list[str]:
        """Return the most looked-up slugs that are still in the glossary."""
        async with self._reader.execute(
            "SELECT l.slug FROM lookups l JOIN terms t USING (slug) ORDER BY l.count DESC, l.slug LIMIT ?",
            (limit,),
        ) as cursor:
            return [row[0] async for row in cursor]

    async def top_misses(self, limit: int) -> list[tuple[str, int]]:
        """Return the most frequent queries that matched nothing."""
        async with self._reader.execute(
            "SELECT query, count FROM misses ORDER BY count DESC, last_seen DESC LIMIT ?", (limit,)
        ) as cursor:
            return [(row[0], int(row[1])) async for row in cursor]

    async def lookup_counts(self) -> tuple[int, int]:
        """Return (total lookups, total misses)."""
        async with self._reader.execute(
            "SELECT (SELECT coalesce(sum(count), 0) FROM lookups), (SELECT coalesce(sum(count), 0) FROM misses)"
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)


def _explain(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"the database at {path} is locked by another program (is a second bot running?): {text}"
    if "not a database" in text or "malformed" in text:
        return f"the file at {path} is not a usable TermiKnowledge database ({text}); move it away to start afresh"
    if "readonly" in text or "unable to open" in text:
        return f"cannot write the database at {path} ({text}); check the folder's permissions or set DATABASE_PATH"
    return f"database error at {path}: {text}"
