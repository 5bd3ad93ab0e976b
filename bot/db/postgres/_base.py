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


def alive(conn: asyncpg.Connection) -> bool:
    """Whether a pooled connection still works (asyncpg hands a lost one back to the pool by itself)."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False


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
        if self._claims is not None and not alive(self._claims):
            await self._drop_claims()  # the server dropped it, and every claim on it
        if self._claims is None:
            self._claims = await self._pool.acquire()
        return self._claims

    async def _drop_claims(self) -> None:
        conn, self._claims = self._claims, None
        if conn is not None:
            try:
                await self._pool.release(conn)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):  # broken: its locks died with it
                if alive(conn):
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
                    await self._release(conn, name)

    async def _release(self, conn: asyncpg.Connection, name: str) -> None:
        if self._claims is None or conn is not self._claims or not alive(conn):
            # The link dropped while the claim was held, and the claim with it: another process may have
            # taken over meanwhile (a daily post's intent row and its message nonce keep the post single).
            log.warning("The claim %s was lost with its connection to PostgreSQL", name)
            return
        try:
            await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", name)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            log.warning("Could not release the claim %s (%s); dropping its connection", name, exc)
            await self._drop_claims()

    async def _close_claims(self) -> None:
        async with self._claims_lock:
            await self._drop_claims()
