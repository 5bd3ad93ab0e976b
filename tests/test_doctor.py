"""`termiknowledge doctor`: the permission arithmetic, and the command as an operator runs it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.doctor import ADMINISTRATOR, ALL_PERMISSIONS, channel_permissions
from tests.test_cli import run

GUILD, BOT, ROLE = 10, 20, 30
VIEW, SEND, EMBED = 1 << 10, 1 << 11, 1 << 14


def guild(everyone: int, role: int = 0, owner: int = 99) -> dict:
    return {
        "id": str(GUILD),
        "owner_id": str(owner),
        "roles": [{"id": str(GUILD), "permissions": str(everyone)}, {"id": str(ROLE), "permissions": str(role)}],
    }


def channel(*overwrites: tuple[int, int, int]) -> dict:
    return {
        "permission_overwrites": [{"id": str(i), "type": 0, "allow": str(a), "deny": str(d)} for i, a, d in overwrites]
    }


MEMBER = {"roles": [str(ROLE)]}


def test_roles_add_up_and_overwrites_apply_everyone_then_roles_then_member():
    assert channel_permissions(guild(VIEW, SEND), MEMBER, channel(), BOT) == VIEW | SEND
    denied = channel((GUILD, 0, VIEW | SEND))
    assert channel_permissions(guild(VIEW, SEND), MEMBER, denied, BOT) == 0
    role_back = channel((GUILD, 0, VIEW | SEND), (ROLE, VIEW | SEND, 0))
    assert channel_permissions(guild(VIEW, SEND), MEMBER, role_back, BOT) == VIEW | SEND
    member_no = channel((ROLE, EMBED, 0), (BOT, 0, SEND))
    assert channel_permissions(guild(VIEW | SEND), MEMBER, member_no, BOT) == VIEW | EMBED


def test_owners_and_administrators_have_everything():
    assert channel_permissions(guild(0, owner=BOT), MEMBER, channel((GUILD, 0, VIEW)), BOT) == ALL_PERMISSIONS
    assert channel_permissions(guild(0, ADMINISTRATOR), MEMBER, channel((BOT, 0, VIEW)), BOT) == ALL_PERMISSIONS


def test_doctor_on_a_fresh_machine_and_on_a_used_database(tmp_path: Path):
    fresh = run(tmp_path, "doctor")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "does not exist yet" in fresh.stdout and "DISCORD_TOKEN not set" in fresh.stdout
    assert run(tmp_path, "term", "backlog").returncode == 0  # creates and fills the database
    used = run(tmp_path, "doctor")
    assert used.returncode == 0 and "All good." in used.stdout
    assert "integrity check: ok" in used.stdout and "glossary loaded and current" in used.stdout


def test_doctor_reports_a_newer_or_broken_database_without_touching_it(tmp_path: Path):
    path = tmp_path / "tk.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    newer = run(tmp_path, "doctor")
    assert newer.returncode == 1 and "PROBLEM  schema version 99 is newer" in newer.stdout
    path.write_bytes(b"not a database at all" * 50)
    broken = run(tmp_path, "doctor")
    assert broken.returncode == 1 and "PROBLEM" in broken.stdout and "Traceback" not in broken.stderr
    assert path.read_bytes() == b"not a database at all" * 50
