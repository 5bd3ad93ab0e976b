"""Reach PostgreSQL: check the URL, open a bounded pool, apply numbered migrations, explain failures."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import asyncpg

from bot.db._migrations import newer_schema, numbered_scripts
from bot.db.errors import DatabaseError

log = logging.getLogger(__name__)
# Serialises migrations between processes that start together (any constant that is ours).
_MIGRATION_LOCK = 0x746B_6D69_6772  # "tkmigr"
SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """How much of the server one bot process may use, and how long one statement may run."""

    min_size: int = 1
    max_size: int = 10
    statement_timeout: float = 5.0  # seconds; a command must still answer inside Discord's 3-second window
    connect_timeout: float = 10.0


def redacted(url: str) -> str:
    """Return the URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def check_url(url: str) -> None:
    """Refuse a DATABASE_URL the bot cannot use, saying what the right form is."""
    form = "postgresql://user:password@host:5432/dbname"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DatabaseError(f"DATABASE_URL {redacted(url)!r} is not a valid address ({exc}); use {form}") from None
    if parts.scheme not in SCHEMES:
        raise DatabaseError(f"DATABASE_URL must start with postgresql://, got {redacted(url)!r}; use {form}")
    if not parts.hostname:
        raise DatabaseError(f"DATABASE_URL {redacted(url)!r} names no host; use {form}")
    if not unquote(parts.path.lstrip("/")):
        raise DatabaseError(f"DATABASE_URL {redacted(url)!r} names no database; use {form}")
    if port == 0:
        raise DatabaseError(f"DATABASE_URL {redacted(url)!r} has port 0; use {form}")


def migrations() -> list[tuple[int, str]]:
    """Return PostgreSQL's own numbered migration scripts, in order."""
    return numbered_scripts("bot.db.postgres.migrations")


async def create_pool(url: str, limits: PoolLimits) -> asyncpg.Pool:
    """Open the pool, turning every way of failing to connect into one clear DatabaseError."""
    check_url(url)
    where = redacted(url)
    settings = {
        "statement_timeout": str(int(limits.statement_timeout * 1000)),
        "lock_timeout": str(int(limits.statement_timeout * 1000)),
        "idle_in_transaction_session_timeout": "60000",
        "timezone": "UTC",
    }
    if "application_name=" not in url:  # an operator's own name (per process, say) wins
        settings["application_name"] = "termiknowledge"
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=limits.min_size,
            max_size=limits.max_size,
            timeout=limits.connect_timeout,
            command_timeout=limits.statement_timeout + 1.0,
            max_inactive_connection_lifetime=300.0,
            server_settings=settings,
        )
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as exc:
        raise DatabaseError(
            f"PostgreSQL at {where} refused the user name or password ({exc}); check the credentials in DATABASE_URL"
        ) from None
    except asyncpg.InvalidCatalogNameError as exc:
        raise DatabaseError(f"PostgreSQL at {where} has no such database ({exc}); create it first") from None
    except (ConnectionRefusedError, socket.gaierror) as exc:
        raise DatabaseError(
            f"cannot reach PostgreSQL at {where} ({exc.strerror or exc}); is the server running and the address right?"
        ) from None
    except TimeoutError:
        raise DatabaseError(
            f"PostgreSQL at {where} did not answer within {limits.connect_timeout:.0f} s; check the address"
        ) from None
    except OSError as exc:
        raise DatabaseError(f"cannot reach PostgreSQL at {where}: {exc}") from None
    except asyncpg.PostgresError as exc:
        raise DatabaseError(f"PostgreSQL at {where} refused the connection: {exc}") from None
    except (ValueError, asyncpg.ClientConfigurationError) as exc:
        raise DatabaseError(f"DATABASE_URL {where!r} is not usable: {exc}") from None
    assert pool is not None
    return pool


async def migrate(pool: asyncpg.Pool, where: str, target: int | None = None) -> int:
    """Apply every pending migration in one transaction under a lock; refuse a newer schema untouched."""
    shipped = migrations()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        current = int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))
        if current > len(shipped):
            raise newer_schema(where, current, len(shipped), "DATABASE_URL")
        for number, script in shipped:
            if number <= current or (target is not None and number > target):
                continue
            log.info("Applying PostgreSQL migration %04d", number)
            try:
                await conn.execute(script)
            except asyncpg.PostgresError as exc:
                raise DatabaseError(
                    f"PostgreSQL migration {number:04d} failed at {where} ({exc}); nothing was changed"
                ) from exc
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", number)
            current = number
    return current
