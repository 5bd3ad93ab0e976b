"""`termiknowledge doctor`: check the configuration, the database, the glossary and (with a token) the channels.

It never changes anything: the database is opened read-only and nothing is migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.core.glossary import GlossaryError, content_hash, load_glossary, source_files
from bot.db.database import migrations
from bot.db.health import DatabaseHealth, inspect_database

ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 53) - 1


@dataclass
class Report:
    """What the doctor found: lines to print, and whether anything needs an operator."""

    lines: list[str] = field(default_factory=list)
    problems: int = 0

    def ok(self, text: str) -> None:
        """Record a healthy finding."""
        self.lines.append(f"  ok       {text}")

    def problem(self, text: str) -> None:
        """Record something the operator must fix."""
        self.lines.append(f"  PROBLEM  {text}")
        self.problems += 1

    def note(self, text: str) -> None:
        """Record a neutral fact."""
        self.lines.append(f"  -        {text}")


def check_configuration(settings: Settings, report: Report) -> None:
    """Report the settings in force (the token only as present or not)."""
    report.lines.append("Configuration")
    report.note(f"DISCORD_TOKEN {'set' if settings.token else 'not set (the offline commands still work)'}")
    report.note(f"DATABASE_PATH {settings.database_path}")
    report.note(f"GLOSSARY_DIR {settings.glossary_dir}")
    report.note(f"SITE_URL {settings.site_url or 'not set'}")
    report.note(f"LOG_LEVEL {settings.log_level}")


def check_database(settings: Settings, report: Report) -> list[tuple[int, int, bool]]:
    """Check the schema version, integrity and glossary; return the term-of-the-day channels to check."""
    report.lines.append("Database")
    path = settings.database_path
    if not path.exists():
        report.note(f"{path} does not exist yet: `termiknowledge run` creates it")
        return []
    if path.is_dir():
        report.problem(f"{path} is a folder; point DATABASE_PATH at a file")
        return []
    try:
        health = inspect_database(path, newest=len(migrations()))
    except sqlite3.Error as exc:
        text = str(exc)
        hint = " (is another copy of the bot writing to it?)" if "locked" in text else ""
        report.problem(f"cannot read {path}: {text}{hint}")
        return []
    return _judge(health, settings, report)


def _judge(health: DatabaseHealth, settings: Settings, report: Report) -> list[tuple[int, int, bool]]:
    newest = len(migrations())
    if health.version > newest:
        report.problem(f"schema version {health.version} is newer than this bot knows ({newest}): upgrade the bot")
        return []
    if health.version < newest:
        report.note(f"schema version {health.version}; the next start migrates it to {newest}")
    else:
        report.ok(f"schema version {health.version} (the newest)")
    if health.integrity == ["ok"]:
        report.ok("integrity check: ok")
    else:
        report.problem(f"integrity check found {len(health.integrity)} problem(s), e.g. {health.integrity[0]}")
    if health.version == 0:
        return []
    files = source_files(settings.glossary_dir) if settings.glossary_dir.is_dir() else []
    if not files:
        report.problem(f"no glossary files in {settings.glossary_dir}")
    elif health.glossary_hash is None:
        report.note("no glossary loaded yet: the next start loads it")
    elif health.glossary_hash == content_hash(files):
        report.ok(f"glossary loaded and current: {health.terms} terms (hash {health.glossary_hash[:12]})")
    else:
        report.note(f"{health.terms} terms loaded; the source changed since, so the next start reloads it")
    try:
        load_glossary(settings.glossary_dir)
    except GlossaryError as exc:
        report.problem(f"the glossary source has {len(exc.problems)} problem(s): run `termiknowledge validate`")
    if health.version >= 2:
        report.note(f"term of the day set up in {len(health.totd_channels)} server(s)")
    return health.totd_channels


def channel_permissions(guild: dict[str, Any], member: dict[str, Any], channel: dict[str, Any], user_id: int) -> int:
    """Compute a member's permissions in a channel from Discord's guild, member and channel objects."""
    if int(guild.get("owner_id") or 0) == user_id:
        return ALL_PERMISSIONS
    guild_id = int(guild["id"])
    roles = {int(role["id"]): int(role["permissions"]) for role in guild.get("roles", [])}
    mine = {int(role_id) for role_id in member.get("roles", [])}
    base = roles.get(guild_id, 0)
    for role_id in mine:
        base |= roles.get(role_id, 0)
    if base & ADMINISTRATOR:
        return ALL_PERMISSIONS
    overwrites = {int(o["id"]): (int(o["allow"]), int(o["deny"])) for o in channel.get("permission_overwrites", [])}
    allow, deny = overwrites.get(guild_id, (0, 0))
    base = (base & ~deny) | allow
    role_allow = role_deny = 0
    for role_id in mine:
        allow, deny = overwrites.get(role_id, (0, 0))
        role_allow |= allow
        role_deny |= deny
    base = (base & ~role_deny) | role_allow
    allow, deny = overwrites.get(user_id, (0, 0))
    return (base & ~deny) | allow


async def check_channels(
    channels: list[tuple[int, int, bool]],
    fetch: Callable[[str, int, int | None], Any],
    bot_id: int,
    missing: Callable[[int, bool], list[str]],
    report: Report,
) -> None:
    """Check that the bot may post in every term-of-the-day channel; `fetch(kind, id, guild)` calls Discord."""
    report.lines.append("Discord")
    for guild_id, channel_id, threads in channels:
        where = f"server {guild_id}, channel {channel_id}"
        try:
            guild = await fetch("guild", guild_id, None)
            member = await fetch("member", bot_id, guild_id)
            channel = await fetch("channel", channel_id, None)
        except LookupError as exc:
            report.problem(f"{where}: {exc}")
            continue
        lacking = missing(channel_permissions(guild, member, channel, bot_id), threads)
        if lacking:
            report.problem(f"{where}: missing {', '.join(lacking)}")
        else:
            report.ok(f"{where}: the bot can post there")
