"""The connection and transaction discipline that every table group shares."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite


class Store:
    """One aiosqlite connection shared by every task, with a lock that keeps writes from interleaving."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._conn = connection
        self.path = path
        self._tx_lock = asyncio.Lock()

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


def stamp(instant: datetime | None) -> str | None:
    """Store an instant as text; fixed width (microseconds, +00:00) so text order is time order in SQL."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds") if instant is not None else None


def moment(text: str | None) -> datetime | None:
    """Read an instant stored by `stamp`."""
    return datetime.fromisoformat(text) if text else None
