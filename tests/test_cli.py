"""The `termiknowledge` command as a user runs it, in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_glossary


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DEV_GUILD_ID"}}
    base.update({"DATABASE_PATH": str(tmp_path / "tk.db"), "GLOSSARY_DIR": str(write_glossary(tmp_path / "g"))})
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=base, cwd=tmp_path, timeout=60
    )


def test_console_script_is_installed():
    assert shutil.which("termiknowledge", path=str(Path(sys.executable).parent)) is not None


def test_term_prints_the_definition(tmp_path: Path):
    result = run(tmp_path, "term", "econmic", "order", "quanity")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Economic order quantity\n")
    assert "EOQ = sqrt(2 × D × S / H)" in result.stdout
    assert "Module: 13. Order Quantities" in result.stdout


def test_term_did_you_mean_and_miss(tmp_path: Path):
    ambiguous = run(tmp_path, "term", "safety")
    assert ambiguous.returncode == 1
    assert "Did you mean" in ambiguous.stdout and "Safety stock" in ambiguous.stdout
    miss = run(tmp_path, "term", "pizza")
    assert miss.returncode == 1 and "termiknowledge search" in miss.stdout
    stats = run(tmp_path, "stats")
    assert "Misses: 1" in stats.stdout and "pizza" in stats.stdout


def test_search(tmp_path: Path):
    result = run(tmp_path, "search", "safety")
    assert result.returncode == 0
    assert "Safety stock" in result.stdout


def test_validate_reports_counts_and_problems(tmp_path: Path):
    ok = run(tmp_path, "validate")
    assert ok.returncode == 0 and "OK: 10 terms" in ok.stdout
    bad = write_glossary(tmp_path / "bad", {"22-lean.toml": 'module = "Lean"\n[[terms]]\nname = "Kanban"\n'})
    result = run(tmp_path, "validate", env={"GLOSSARY_DIR": str(bad)})
    assert result.returncode == 1
    assert "22-lean.toml: entry #1 ('Kanban'): missing `definition`" in result.stderr


def test_run_without_token_explains_and_exits_nonzero(tmp_path: Path):
    result = run(tmp_path, "run")
    assert result.returncode == 2
    assert "needs a Discord bot token" in result.stderr and "Traceback" not in result.stderr
    assert "Glossary ready: 10 terms" in result.stderr
    assert (tmp_path / "tk.db").is_file()
    bare = run(tmp_path)
    assert bare.returncode == 2 and "needs a Discord bot token" in bare.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"), [("DEV_GUILD_ID", "abc", "DEV_GUILD_ID"), ("LOG_LEVEL", "LOUD", "LOG_LEVEL")]
)
def test_bad_settings_are_explained(tmp_path: Path, name: str, value: str, message: str):
    result = run(tmp_path, "term", "eoq", env={name: value})
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_unusable_database_is_explained(tmp_path: Path):
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 50)
    result = run(tmp_path, "term", "eoq", env={"DATABASE_PATH": str(tmp_path / "junk.db")})
    assert result.returncode == 2
    assert "not a usable TermiKnowledge database" in result.stderr and "Traceback" not in result.stderr


def test_dotenv_is_read_but_environment_wins(tmp_path: Path):
    (tmp_path / ".env").write_text("LOG_LEVEL=LOUD\n")
    assert run(tmp_path, "term", "eoq").returncode == 2
    assert run(tmp_path, "term", "eoq", env={"LOG_LEVEL": "INFO"}).returncode == 0


def test_arguments_that_are_not_utf8_get_an_answer_not_a_traceback(tmp_path: Path):
    base = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DEV_GUILD_ID"}}
    base.update({"DATABASE_PATH": str(tmp_path / "tk.db"), "GLOSSARY_DIR": str(write_glossary(tmp_path / "g"))})
    result = subprocess.run(
        [sys.executable, "-m", "bot", "term", b"caf\xe9 latte"],  # Latin-1 bytes, invalid UTF-8
        capture_output=True,
        env=base,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1 and b"Traceback" not in result.stderr, result.stderr
    assert "caf\ufffd latte" in result.stdout.decode()


def test_a_database_from_a_newer_version_is_refused_by_the_cli_and_run(tmp_path: Path):
    import sqlite3

    db = sqlite3.connect(tmp_path / "tk.db")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    for args in (("term", "backlog"), ("run",)):
        result = run(tmp_path, *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "newer TermiKnowledge" in result.stderr and "nothing was changed" in result.stderr


def test_a_folder_as_database_path_gets_a_clear_message(tmp_path: Path):
    (tmp_path / "folder").mkdir()
    result = run(tmp_path, "run", env={"DATABASE_PATH": str(tmp_path / "folder")})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is a folder" in result.stderr
