"""The connection and transaction discipline that every table group shares.

Two connections to one SQLite file in WAL mode: a reader that can never write (`PRAGMA query_only`),
and a writer reached only through `_write` and `_transaction`, which hold one lock. So a write can
never land inside another task's open transaction (and be rolled back with it), and reads never
queue behind a write that waits for a lock held by another process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.core.timezones import Clock


@dataclass(frozen=True, slots=True)
class Written:
    """What one write statement changed."""

    rowcount: int
    lastrowid: int | None


class Store:
    """The reader and the writer, shared by every task; queries by feature build on it."""

    def __init__(self, reader: aiosqlite.Connection, writer: aiosqlite.Connection, path: Path, clock: Clock) -> None:
        self._reader = reader
        self._writer = writer
        self.path = path
        self.clock = clock
        self._tx_lock = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one write transaction; the lock keeps every other write out of it."""
        async with self._tx_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        """Hold a claim across processes: always granted, as one SQLite file serves one bot process."""
        yield True

    async def _write(self, sql: str, params: Sequence[object] = ()) -> Written:
        """Run one write statement on its own, never inside another task's transaction."""
        async with self._tx_lock, self._writer.execute(sql, params) as cursor:
            return Written(max(cursor.rowcount, 0), cursor.lastrowid)


def stamp(instant: datetime | None) -> str | None:
    """Store an instant as text; fixed width (microseconds, +00:00) so text order is time order in SQL."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds") if instant is not None else None


def moment(text: str | None) -> datetime | None:
    """Read an instant stored by `stamp`."""
    return datetime.fromisoformat(text) if text else None
