"""Keep the layers honest: the core never imports Discord, SQL stays in bot/db."""

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_core_has_no_discord_or_database_imports():
    for path in (BOT / "core").rglob("*.py"):
        bad = {name for name in imports(path) if name.split(".")[0] in {"discord", "aiosqlite", "sqlite3"}}
        bad |= {name for name in imports(path) if name.startswith(("bot.db", "bot.exts", "bot.client"))}
        assert not bad, f"{path.name} imports {bad}"


def test_sql_lives_only_in_the_database_package():
    for path in BOT.rglob("*.py"):
        if "db" in path.relative_to(BOT).parts:
            continue
        assert not SQL.search(path.read_text(encoding="utf-8")), f"SQL found in {path.relative_to(BOT)}"


def test_package_import_has_no_side_effects():
    source = (BOT / "__init__.py").read_text(encoding="utf-8")
    assert imports(BOT / "__init__.py") == set(), source


def test_site_builder_has_no_discord_or_database_imports():
    # The site is built from the glossary files alone: no bot, no database, no network.
    for path in (BOT / "site").rglob("*.py"):
        bad = {name for name in imports(path) if name.split(".")[0] in {"discord", "aiosqlite", "sqlite3"}}
        bad |= {name for name in imports(path) if name.startswith(("bot.db", "bot.exts", "bot.client", "bot.service"))}
        assert not bad, f"{path.name} imports {bad}"
    # bot.config imports the URL helpers; they must stay light (no Jinja2 at bot start-up).
    assert imports(BOT / "site" / "urls.py") <= {"__future__", "urllib.parse", "bot.core.modules", "bot.core.normalize"}
