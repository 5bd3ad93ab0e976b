"""Settings read once from the environment and an optional `.env` file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dotenv import dotenv_values

from bot.site.urls import is_site_url

_PACKAGE_DIR = Path(__file__).resolve().parent
_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class ConfigError(ValueError):
    """A setting has a value the bot cannot use."""


def default_database_path(environ: Mapping[str, str]) -> Path:
    """Return the per-user data file, outside any source tree."""
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "termiknowledge" / "termiknowledge.db"


def default_glossary_dir() -> Path:
    """Return the shipped glossary: inside the installed package, else the source tree's `data/`."""
    installed = _PACKAGE_DIR / "_glossary"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "data" / "glossary"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot is configured with."""

    token: str | None
    database_path: Path
    glossary_dir: Path
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    # Only for the test harness: the REST base URL of a fake Discord on loopback.
    api_base: str | None = None
    # Only for end-to-end tests: the bot's clock starts at this instant and runs on from there.
    clock_start: datetime | None = None
    # Where the static glossary site is published (`termiknowledge site`), for links to term pages.
    site_url: str | None = None
    # How many suggestions one member may send per server in 24 hours (SUGGESTIONS_PER_DAY).
    suggestions_per_day: int = 5
    # postgresql://user:password@host:port/dbname: PostgreSQL instead of the SQLite file (several processes).
    database_url: str | None = None
    # Sharding: how many shards the bot has in all, and the ones this process runs (None: one connection).
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @property
    def syncs_commands(self) -> bool:
        """Whether this process syncs slash commands: only the one running shard 0 does."""
        return self.shard_ids is None or 0 in self.shard_ids

    @property
    def shard_share(self) -> float:
        """Return the share of the bot's shards this process runs, to split per-bot limits (Discord's global rate)."""
        if self.shard_count is None or self.shard_ids is None:
            return 1.0
        return len(self.shard_ids) / self.shard_count

    def owns_guild(self, guild_id: int) -> bool:
        """Whether a server's events reach this process (Discord's rule: (id >> 22) % shard count)."""
        if self.shard_count is None or self.shard_ids is None:
            return True
        return (guild_id >> 22) % self.shard_count in self.shard_ids

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from a mapping of environment variables."""
        token = (environ.get("DISCORD_TOKEN") or "").strip() or None
        db = environ.get("DATABASE_PATH", "").strip()
        glossary = environ.get("GLOSSARY_DIR", "").strip()
        guild = environ.get("DEV_GUILD_ID", "").strip()
        if guild and not guild.isdigit():
            raise ConfigError(f"DEV_GUILD_ID must be a server id (digits only), got {guild!r}")
        level = (environ.get("LOG_LEVEL") or "INFO").strip().upper()
        if level not in _LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
        clock_start = _clock_start(environ.get("CLOCK_START", "").strip())
        site_url = (environ.get("SITE_URL") or "").strip() or None
        if site_url is not None and not is_site_url(site_url):
            raise ConfigError(f"SITE_URL must be an http:// or https:// address, got {site_url!r}")
        per_day = (environ.get("SUGGESTIONS_PER_DAY") or "5").strip()
        if not per_day.isdigit() or not 1 <= int(per_day) <= 100:
            raise ConfigError(f"SUGGESTIONS_PER_DAY must be a whole number from 1 to 100, got {per_day!r}")
        shard_count, shard_ids = _shards(environ.get("SHARD_COUNT", "").strip(), environ.get("SHARD_IDS", "").strip())
        return cls(
            token=token,
            database_path=Path(db).expanduser() if db else default_database_path(environ),
            glossary_dir=Path(glossary).expanduser() if glossary else default_glossary_dir(),
            dev_guild_id=int(guild) if guild else None,
            log_level=level,
            api_base=(environ.get("DISCORD_API_BASE") or "").strip().rstrip("/") or None,
            clock_start=clock_start,
            site_url=site_url,
            suggestions_per_day=int(per_day),
            database_url=_database_url(environ.get("DATABASE_URL", "").strip()),
            shard_count=shard_count,
            shard_ids=shard_ids,
        )


def _database_url(text: str) -> str | None:
    if not text:
        return None
    if not text.startswith(("postgresql://", "postgres://")):
        shown = text.split("@")[-1]  # never echo a password
        raise ConfigError(
            f"DATABASE_URL must be a postgresql://user:password@host:port/dbname address, got ...{shown!r}; "
            "leave it unset to use the SQLite file at DATABASE_PATH"
        )
    return text


def _shards(count_text: str, ids_text: str) -> tuple[int | None, tuple[int, ...] | None]:
    if not count_text:
        if ids_text:
            raise ConfigError("SHARD_IDS needs SHARD_COUNT (the total number of shards of the bot)")
        return None, None
    if not count_text.isdigit() or int(count_text) < 1:
        raise ConfigError(f"SHARD_COUNT must be a whole number of at least 1, got {count_text!r}")
    count = int(count_text)
    if not ids_text:
        return count, tuple(range(count))
    parts = [part.strip() for part in ids_text.split(",")]
    if not all(part.isdigit() for part in parts):
        raise ConfigError(f"SHARD_IDS must be shard numbers separated by commas, such as 0,1; got {ids_text!r}")
    ids = tuple(sorted({int(part) for part in parts}))
    if ids[-1] >= count:
        raise ConfigError(f"SHARD_IDS {ids_text!r} names shard {ids[-1]}, but shards run from 0 to {count - 1}")
    return count, ids


def _clock_start(text: str) -> datetime | None:
    if not text:
        return None
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ConfigError(f"CLOCK_START must be an ISO 8601 instant with its UTC offset, got {text!r}")
    return start


def load_settings(env_file: Path = Path(".env")) -> Settings:
    """Read `.env` (if present) under the real environment, which wins."""
    values: dict[str, str] = {}
    if env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return Settings.from_env(values)
