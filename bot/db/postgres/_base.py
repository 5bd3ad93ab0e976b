"""The pool every PostgreSQL query group shares, and claims that hold across processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from bot.core.timezones import Clock

log = logging.getLogger(__name__)


def affected(status: str) -> int:
    """Return the row count of a command status such as 'UPDATE 3' or 'INSERT 0 1'."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PgStore:
    """A bounded pool; every statement runs on its own connection or inside one explicit transaction."""

    def __init__(self, pool: asyncpg.Pool, where: str, clock: Clock) -> None:
        self._pool = pool
        self.where = where
        self.clock = clock
        # Session-level advisory locks live on one connection: if this process dies, the server
        # drops the connection and with it every claim, so another process can take over at once.
        self._claims: asyncpg.Connection | None = None
        self._claims_lock = asyncio.Lock()

    def connection(self) -> Any:
        """Lend one pooled connection (`async with db.connection() as conn`), e.g. for a bulk copy."""
        return self._pool.acquire()

    async def _claim_conn(self) -> asyncpg.Connection:
        if self._claims is None or self._claims.is_closed():
            self._claims = await self._pool.acquire()
        return self._claims

    async def _drop_claims(self) -> None:
        conn, self._claims = self._claims, None
        if conn is not None:
            try:
                await self._pool.release(conn)
            except (asyncpg.PostgresError, OSError):  # a broken connection: its locks died with it
                conn.terminate()

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        """Hold a claim on `name` across every process sharing the database; yield False if another holds it."""
        async with self._claims_lock:
            conn = await self._claim_conn()
            try:
                held = bool(await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name))
            except (asyncpg.PostgresError, OSError):
                await self._drop_claims()
                raise
        try:
            yield held
        finally:
            if held:
                async with self._claims_lock:
                    try:
                        await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", name)
                    except (asyncpg.PostgresError, OSError) as exc:
                        log.warning("Could not release the claim %s (%s); dropping its connection", name, exc)
                        if conn is self._claims:
                            await self._drop_claims()

    async def _close_claims(self) -> None:
        async with self._claims_lock:
            await self._drop_claims()
