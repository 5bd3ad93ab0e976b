"""Numbered migration scripts shipped as package data: one finder for both backends."""

from __future__ import annotations

import re
from importlib import resources

from bot.db.errors import DatabaseError

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def numbered_scripts(package: str) -> list[tuple[int, str]]:
    """Return the `NNNN_name.sql` scripts of a package in order; they must be numbered 1..n without gaps."""
    found = []
    for entry in resources.files(package).iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def newer_schema(where: str, current: int, known: int, setting: str) -> DatabaseError:
    """Return the refusal of a schema written by a newer TermiKnowledge (both backends; nothing changed)."""
    return DatabaseError(
        f"the database at {where} was written by a newer TermiKnowledge (schema version {current}; this one "
        f"knows up to {known}). Upgrade the bot, or point {setting} at another database; nothing was changed."
    )
