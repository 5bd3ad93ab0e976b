"""PostgreSQL: the storage for several bot processes sharing one database (DATABASE_URL)."""

from __future__ import annotations

from types import TracebackType

from bot.core.timezones import Clock, utc_now
from bot.db.postgres._connect import PoolLimits, create_pool, migrate, redacted
from bot.db.postgres.community import CommunityQueries
from bot.db.postgres.glossary import GlossaryQueries
from bot.db.postgres.quiz import QuizQueries
from bot.db.postgres.totd import TotdQueries

__all__ = ["PoolLimits", "PostgresDatabase", "redacted"]


class PostgresDatabase(GlossaryQueries, TotdQueries, QuizQueries, CommunityQueries):
    """The bot's PostgreSQL database, opened with `open` and closed with `close`; queries by feature live in mixins."""

    @classmethod
    async def open(
        cls, url: str, *, limits: PoolLimits | None = None, clock: Clock = utc_now, migrate_to: int | None = None
    ) -> PostgresDatabase:
        """Connect, then apply pending migrations in one transaction (a newer schema is refused untouched)."""
        pool = await create_pool(url, limits or PoolLimits())
        try:
            await migrate(pool, redacted(url), migrate_to)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, redacted(url), clock)

    async def close(self) -> None:
        """Release the claims and close the pool."""
        await self._close_claims()
        await self._pool.close()

    async def __aenter__(self) -> PostgresDatabase:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def version(self) -> int:
        """Return the schema version (the highest applied migration)."""
        return int(await self._pool.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))
