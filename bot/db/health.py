"""Read-only inspection of a SQLite database file for `termiknowledge doctor` (never migrates or writes)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    """What a read-only look at the database found."""

    version: int
    integrity: list[str]  # ["ok"] when healthy
    glossary_hash: str | None = None
    terms: int = 0
    totd_channels: list[tuple[int, int, bool]] = field(default_factory=list)  # (server, channel, threads)


def inspect_database(path: Path, *, newest: int, timeout: float = 2.0) -> DatabaseHealth:
    """Open `path` read-only and report its version, integrity, glossary and term-of-the-day channels.

    Raises sqlite3.Error when the file cannot be read (not a database, locked, unreadable).
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > newest:
            return DatabaseHealth(version, [])
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
        if version == 0:
            return DatabaseHealth(version, integrity)
        row = conn.execute("SELECT value FROM meta WHERE key = 'glossary_hash'").fetchone()
        terms = int(conn.execute("SELECT count(*) FROM terms").fetchone()[0])
        channels: list[tuple[int, int, bool]] = []
        if version >= 2:
            query = "SELECT guild_id, channel_id, threads FROM totd_settings WHERE enabled = 1 ORDER BY guild_id"
            channels = [(int(g), int(c), bool(t)) for g, c, t in conn.execute(query)]
        return DatabaseHealth(version, integrity, row[0] if row else None, terms, channels)
    finally:
        conn.close()
