"""Open the storage backend the settings choose: PostgreSQL with DATABASE_URL, else SQLite at DATABASE_PATH."""

from __future__ import annotations

from bot.config import Settings
from bot.core.timezones import Clock, utc_now
from bot.db.database import Database
from bot.db.repositories import Storage


async def open_storage(settings: Settings, *, clock: Clock = utc_now) -> Storage:
    """Open (creating and migrating as needed) the configured database."""
    if settings.database_url:
        from bot.db.postgres import PostgresDatabase  # asyncpg is imported only when PostgreSQL is in use

        return await PostgresDatabase.open(settings.database_url, clock=clock)
    return await Database.open(settings.database_path, clock=clock)


def describe(settings: Settings) -> str:
    """Name the configured database for messages (never with a password)."""
    if settings.database_url:
        from bot.db.postgres import redacted

        return redacted(settings.database_url)
    return str(settings.database_path)
