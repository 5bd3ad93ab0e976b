"""Copy a SQLite database into PostgreSQL (`termiknowledge migrate-db`): every table, in one transaction.

The tables are found, not listed: every table of the SQLite file must have a PostgreSQL counterpart
(else nothing is copied, so nothing is silently left behind), and values are converted by the
PostgreSQL column's type. Row counts are compared inside the transaction before it commits.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import asyncpg

from bot.db.database import Database
from bot.db.errors import DatabaseError
from bot.db.postgres import PostgresDatabase

# FTS5's index is rebuilt by PostgreSQL's generated tsvector column; SQLite's own bookkeeping is not data.
_SKIPPED = ("sqlite_", "terms_fts")
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "timestamp with time zone": lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v,
    "date": lambda v: date.fromisoformat(v) if isinstance(v, str) else v,
    "boolean": bool,
    "bigint": int,
    "integer": int,
    "double precision": float,
    "text": str,
    "jsonb": lambda v: json.dumps(json.loads(v)),  # SQLite keeps JSON as text; a broken value stops the copy
}


@dataclass(frozen=True, slots=True)
class Copied:
    """One table copied: its name and row count (equal on both sides)."""

    table: str
    rows: int


def sqlite_path(url: str) -> Path:
    """Return the file a sqlite:///path URL (or a plain path) names."""
    if url.startswith("sqlite://"):
        url = url.removeprefix("sqlite://")
    elif "://" in url:
        raise DatabaseError(f"--from must be sqlite:///path/to/file.db, got {url!r}")
    if not url:
        raise DatabaseError("--from names no file; use sqlite:///path/to/file.db")
    return Path(url).expanduser()


async def migrate_db(source: str, target: str, *, overwrite: bool = False) -> list[Copied]:
    """Copy every table of the SQLite database at `source` into the PostgreSQL database at `target`."""
    path = sqlite_path(source)
    if not path.is_file():
        raise DatabaseError(f"there is no SQLite database at {path}")
    # Bring the file to the current schema first, exactly as starting the bot would.
    await (await Database.open(path)).close()
    async with (
        await PostgresDatabase.open(target) as pg,
        aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as lite,
        pg.connection() as conn,
        conn.transaction(),
    ):
        columns = await _pg_columns(conn)
        tables = await _sqlite_tables(lite)
        unknown = sorted(set(tables) - set(columns))
        if unknown:
            raise DatabaseError(
                f"the SQLite database has tables this PostgreSQL schema lacks ({', '.join(unknown)}); "
                "upgrade TermiKnowledge before migrating; nothing was copied"
            )
        order = await _dependency_order(conn, list(columns))
        filled = [(t, n) for t in order if (n := int(await conn.fetchval(f'SELECT count(*) FROM "{t}"')))]
        if filled and not overwrite:
            shown = ", ".join(f"{t} ({n})" for t, n in filled[:6])
            raise DatabaseError(
                f"the PostgreSQL database is not empty: {shown}. Pass --overwrite to replace its contents "
                "with the SQLite file's; nothing was copied"
            )
        if filled:
            await conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in order) + " RESTART IDENTITY CASCADE")
        copied = [await _copy(lite, conn, table, columns[table]) for table in order if table in tables]
        await _after_copy(conn, columns)
    return copied


async def _pg_columns(conn: asyncpg.Connection) -> dict[str, dict[str, str]]:
    rows = await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND is_generated = 'NEVER' AND table_name <> 'schema_migrations' "
        "ORDER BY table_name, ordinal_position"
    )
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
    return found


async def _sqlite_tables(lite: aiosqlite.Connection) -> list[str]:
    async with lite.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") as cursor:
        names = [str(row[0]) async for row in cursor]
    return [name for name in names if not name.startswith(_SKIPPED)]


async def _dependency_order(conn: asyncpg.Connection, tables: list[str]) -> list[str]:
    """Order tables so each comes after the tables its foreign keys point at."""
    edges = await conn.fetch(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint "
        "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    )
    parents = {table: {e["parent"] for e in edges if e["child"] == table} for table in tables}
    order: list[str] = []
    while len(order) < len(tables):
        ready = sorted(t for t in tables if t not in order and parents[t] <= set(order))
        if not ready:
            raise DatabaseError("the PostgreSQL schema has a cycle of foreign keys; cannot order the copy")
        order.extend(ready)
    return order


async def _copy(lite: aiosqlite.Connection, conn: asyncpg.Connection, table: str, types: dict[str, str]) -> Copied:
    async with lite.execute(f'SELECT * FROM "{table}" LIMIT 0') as cursor:
        have = [d[0] for d in cursor.description]
    names = [name for name in have if name in types]
    missing = sorted(set(have) - set(types))
    if missing:
        raise DatabaseError(f"{table}: PostgreSQL has no column {', '.join(missing)}; nothing was copied")
    converters = [_CONVERT.get(types[name], lambda v: v) for name in names]
    selected = ", ".join(f'"{name}"' for name in names)
    records = []
    try:
        async with lite.execute(f'SELECT {selected} FROM "{table}"') as cursor:
            async for row in cursor:
                records.append(tuple(None if v is None else f(v) for f, v in zip(converters, row, strict=True)))
    except (sqlite3.Error, ValueError) as exc:
        raise DatabaseError(f"{table}: a value could not be read or converted ({exc}); nothing was copied") from exc
    if records:
        await conn.copy_records_to_table(table, columns=names, records=records)
    count = int(await conn.fetchval(f'SELECT count(*) FROM "{table}"'))
    if count != len(records):
        raise DatabaseError(f"{table}: {len(records)} rows read but {count} written; nothing was copied")
    return Copied(table, count)


async def _after_copy(conn: asyncpg.Connection, columns: dict[str, dict[str, str]]) -> None:
    """Carry on numbering after the copied ids, and rebuild what SQLite kept elsewhere (the alias text)."""
    identities = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND is_identity = 'YES'"
    )
    for row in identities:
        table, column = row["table_name"], row["column_name"]
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f'coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
        )
    if "alias_text" in columns.get("terms", {}):
        await conn.execute(
            "UPDATE terms SET alias_text = coalesce((SELECT string_agg(alias, ' ' ORDER BY position) "
            "FROM aliases WHERE aliases.slug = terms.slug), '')"
        )
