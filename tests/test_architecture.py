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


def runtime_imports(path: Path) -> set[str]:
    """Modules imported when the file runs (imports under `if TYPE_CHECKING:` do not count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for child in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_services_have_no_discord_and_call_no_extension():
    for path in (BOT / "services").rglob("*.py"):
        bad = {name for name in imports(path) if name.split(".")[0] in {"discord", "aiosqlite", "sqlite3"}}
        bad |= {name for name in imports(path) if name.startswith(("bot.exts", "bot.client", "bot.runner"))}
        assert not bad, f"{path.name} imports {bad}"


def test_no_import_cycles_inside_the_package():
    modules = {module_name(path): path for path in BOT.rglob("*.py")}
    graph = {name: {m for m in runtime_imports(path) if m in modules and m != name} for name, path in modules.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycle = [*trail[trail.index(other) :], other] if other in trail else [name, other]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if other not in state:
                visit(other, [*trail, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_file_in_the_package_is_over_450_lines():
    long = {str(p.relative_to(BOT)): n for p in BOT.rglob("*.py") if (n := len(p.read_text().splitlines())) > 450}
    assert long == {}


def test_cogs_and_components_call_services_not_each_other():
    for path in (BOT / "exts").rglob("*.py"):
        assert "get_cog(" not in path.read_text(encoding="utf-8"), f"{path.name} reaches into another cog"


def test_site_builder_has_no_discord_or_database_imports():
    # The site is built from the glossary files alone: no bot, no database, no network.
    for path in (BOT / "site").rglob("*.py"):
        bad = {name for name in imports(path) if name.split(".")[0] in {"discord", "aiosqlite", "sqlite3"}}
        bad |= {name for name in imports(path) if name.startswith(("bot.db", "bot.exts", "bot.client", "bot.service"))}
        assert not bad, f"{path.name} imports {bad}"
    # bot.config imports the URL helpers; they must stay light (no Jinja2 at bot start-up).
    assert imports(BOT / "site" / "urls.py") <= {"__future__", "urllib.parse", "bot.core.modules", "bot.core.normalize"}
