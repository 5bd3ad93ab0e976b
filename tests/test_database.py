import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.core.glossary import load_glossary
from bot.db import Database, DatabaseError
from bot.db.database import fts_query, migrations
from bot.db.repositories import Storage
from bot.services.glossary import GlossaryService
from tests.conftest import FIXTURE_GLOSSARY, write_glossary

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "glossary"


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here that takes `db` runs against SQLite and against PostgreSQL."""
    return storage


async def test_migrates_an_empty_file_to_the_latest_version(tmp_path: Path):
    path = tmp_path / "nested" / "dir" / "tk.db"
    async with await Database.open(path) as db:
        assert await db.version() == len(migrations())
    async with aiosqlite.connect(path) as raw:
        mode = await (await raw.execute("PRAGMA journal_mode")).fetchone()
        tables = {row[0] for row in await (await raw.execute("SELECT name FROM sqlite_master")).fetchall()}
    assert mode == ("wal",)
    assert {"terms", "aliases", "related", "terms_fts", "lookups", "misses", "meta"} <= tables


async def test_reopening_does_not_reapply_migrations(tmp_path: Path):
    path = tmp_path / "tk.db"
    async with await Database.open(path) as db:
        await db.set_meta("k", "v")
    async with await Database.open(path) as db:
        assert await db.get_meta("k") == "v"


def test_migrations_are_numbered_without_gaps():
    numbers = [n for n, _ in migrations()]
    assert numbers == list(range(1, len(numbers) + 1))


async def test_replace_and_load_round_trip(db: Database, glossary_dir: Path):
    terms = load_glossary(glossary_dir)
    await db.replace_glossary(terms, "hash1")
    assert await db.load_terms() == terms
    assert await db.get_meta("glossary_hash") == "hash1"


async def test_reload_keeps_statistics(tmp_path: Path, db: Database, glossary_dir: Path):
    service, report = await GlossaryService.load(db, glossary_dir)
    assert report.reloaded and report.terms == len(service)
    service.record("eoq", service.resolve("eoq"))
    service.record("zzzz nothing", service.resolve("zzzz nothing"))
    assert service.pending_stats == 2 and await service.flush_stats() == 2 and service.pending_stats == 0
    changed = dict(FIXTURE_GLOSSARY)
    changed["22-lean.toml"] = changed["22-lean.toml"].replace("A practice of small", "A habit of small")
    write_glossary(glossary_dir, changed)
    service2, report2 = await GlossaryService.load(db, glossary_dir)
    assert report2.reloaded
    assert service2.get("kaizen") is not None and service2.get("kaizen").definition.startswith("A habit")
    assert await db.lookup_counts() == (1, 1)
    assert await db.popular(5) == ["economic-order-quantity"]
    assert await db.top_misses(5) == [("zzzz nothing", 1)]


async def test_unchanged_source_is_not_reloaded(db: Database, glossary_dir: Path):
    await GlossaryService.load(db, glossary_dir)
    _, report = await GlossaryService.load(db, glossary_dir)
    assert not report.reloaded


async def test_malformed_source_keeps_previous_glossary(db: Database, glossary_dir: Path):
    first, _ = await GlossaryService.load(db, glossary_dir)
    (glossary_dir / "22-lean.toml").write_text('module = "Lean"\n[[terms]\nbroken', encoding="utf-8")
    second, report = await GlossaryService.load(db, glossary_dir)
    assert not report.reloaded
    assert any("22-lean.toml" in p and "not valid TOML" in p for p in report.problems)
    assert len(second) == len(first)
    assert second.resolve("kanban").match is not None


async def test_malformed_source_without_previous_glossary_raises(db: Database, tmp_path: Path):
    bad = write_glossary(tmp_path / "bad", {"22-lean.toml": 'module = "Lean"\n[[terms]]\nname = "x"\n'})
    with pytest.raises(Exception, match="problem"):
        await GlossaryService.load(db, bad)


async def test_full_text_search_ranks_names_first(service: GlossaryService):
    hits, total = await service.search("safety", page=0, per_page=10)
    assert total >= 2
    assert {h.slug for h in hits[:2]} == {"safety-stock", "safety-lead-time"}
    assert all("**" in h.snippet or h.snippet for h in hits)


async def test_search_pages_and_prefix(service: GlossaryService):
    first, total = await service.search("inventor", page=0, per_page=1)
    second, _ = await service.search("inventor", page=1, per_page=1)
    assert total >= 2 and first[0].slug != second[0].slug


@pytest.mark.parametrize("text", ['"', "*", "AND OR NOT", "(", "🍕", "", "a" * 500, "name:kanban", "NEAR(a b)"])
async def test_search_never_raises_on_odd_input(service: GlossaryService, text: str):
    hits, total = await service.search(text, page=0, per_page=5)
    assert total >= len(hits)


def test_fts_query_quotes_words():
    assert fts_query('safety "stock') == '"safety" "stock"*'
    assert fts_query("***") == ""


async def test_not_a_database_file_gives_a_clear_error(tmp_path: Path):
    path = tmp_path / "tk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="not a usable TermiKnowledge database"):
        await Database.open(path)


async def test_unwritable_location_gives_a_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="cannot open"):
        await Database.open(blocker / "sub" / "tk.db")


async def test_locked_database_gives_a_clear_error(tmp_path: Path):
    path = tmp_path / "locked.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError, match="locked by another program"):
            await Database.open(path, busy_timeout=0.1)
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_rolled_back_transaction_never_takes_other_writes_with_it(db: Database, glossary_dir: Path):
    terms = load_glossary(glossary_dir)
    broken = [*terms, terms[0]]  # a duplicate slug fails the swap halfway, so it rolls back
    results = await asyncio.gather(
        db.replace_glossary(broken, "bad"),
        *(db.record_usage({"backlog": 1}, {}) for _ in range(25)),
        db.replace_glossary(terms, "good"),
        return_exceptions=True,
    )
    assert isinstance(results[0], (sqlite3.IntegrityError, asyncpg.UniqueViolationError))
    assert not any(isinstance(r, BaseException) for r in results[1:])
    assert await db.lookup_counts() == (25, 0)
    assert await db.get_meta("glossary_hash") == "good"


async def test_the_daily_post_claim_survives_another_tasks_rollback(sqlite_db: Database):
    """totd_begin once ran on the raw connection: inside another task's BEGIN … ROLLBACK it was lost."""
    from datetime import UTC, date, datetime

    from bot.core.schedule import Pick

    entered = asyncio.Event()

    async def failing_transaction() -> None:
        async with sqlite_db._transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('doomed', 'x')")
            entered.set()
            await asyncio.sleep(0.05)  # the claim below is issued while this transaction is open
            raise RuntimeError("roll back")

    async def claim() -> bool:
        await entered.wait()
        return await sqlite_db.totd_begin(
            1, date(2026, 5, 9), Pick("kanban", 0), 3, datetime(2026, 5, 9, 6, 30, tzinfo=UTC)
        )

    rolled, claimed = await asyncio.gather(failing_transaction(), claim(), return_exceptions=True)
    assert isinstance(rolled, RuntimeError) and claimed is True
    assert await sqlite_db.get_meta("doomed") is None
    row = await sqlite_db.totd_latest(1)
    assert row is not None and row.slug == "kanban", "the claim must not be rolled back with the other transaction"


async def test_the_read_connection_refuses_every_write(sqlite_db: Database):
    for sql in (
        "INSERT INTO meta (key, value) VALUES ('k', 'v')",
        "UPDATE meta SET value = 'v'",
        "DELETE FROM meta",
    ):
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await sqlite_db._reader.execute(sql)


def test_no_write_statement_runs_on_the_read_connection():
    """Every INSERT/UPDATE/DELETE in bot/db is issued through `_write` or inside `_transaction`."""
    import re

    root = Path(__file__).resolve().parents[1] / "bot" / "db"
    offenders = []
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"self\._reader\.execute\(\s*(?:f?\")([A-Z]+)", text):
            if match.group(1) in {"INSERT", "UPDATE", "DELETE", "REPLACE"}:
                offenders.append(f"{path.name}: {match.group(0)[:60]}")
    assert offenders == []


async def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path):
    path = tmp_path / "newer.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE future (x)")
    raw.execute("PRAGMA user_version = 99")
    raw.commit()
    raw.close()
    with pytest.raises(DatabaseError, match="newer TermiKnowledge"):
        await Database.open(path)
    raw = sqlite3.connect(path)
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert raw.execute("PRAGMA user_version").fetchone() == (99,) and tables == {"future"}
    raw.close()


async def test_a_folder_as_database_path_gives_a_clear_error(tmp_path: Path):
    with pytest.raises(DatabaseError, match="is a folder"):
        await Database.open(tmp_path)


async def test_reads_do_not_wait_for_another_process_lock(sqlite_db: Database, glossary_dir: Path):
    await GlossaryService.load(sqlite_db, glossary_dir)
    other = sqlite3.connect(sqlite_db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert len(await sqlite_db.load_terms()) > 0
        assert loop.time() - started < 1.0
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await sqlite_db.record_usage({"backlog": 1}, {})
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_statistics_that_cannot_be_written_are_kept_for_the_next_flush(sqlite_db: Database, glossary_dir: Path):
    service, _ = await GlossaryService.load(sqlite_db, glossary_dir)
    for _ in range(3):
        service.record("eoq", service.resolve("eoq"))
    service.record("flux capacitor", service.resolve("flux capacitor"))
    other = sqlite3.connect(sqlite_db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        assert await service.flush_stats() == 0
        service.record("eoq", service.resolve("eoq"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert service.pending_stats == 5
    assert await service.flush_stats() == 5
    assert await sqlite_db.lookup_counts() == (4, 1)
    assert await sqlite_db.top_misses(5) == [("flux capacitor", 1)]


async def test_a_healthy_database_passes_integrity_check_with_a_plain_ok(tmp_path: Path):
    """SQLite 3.40 reported false NULL values on the WITHOUT ROWID glossary link tables."""
    from datetime import UTC, date, datetime, timedelta

    from bot.core.quiz import Question, QuizMode
    from bot.core.schedule import Pick

    now = datetime(2026, 5, 9, 6, 30, tzinfo=UTC)
    path = tmp_path / "tk.db"
    async with await Database.open(path) as db:
        service, _ = await GlossaryService.load(db, SHIPPED)
        service.record("eoq", service.resolve("eoq"))
        service.record("flux capacitor", service.resolve("flux capacitor"))
        await service.flush_stats()
        await db.set_meta("k", "v")
        await db.totd_begin(1, date(2026, 5, 9), Pick("kanban", 0), 3, now)
        await db.study_add_cards(7, ["kanban", "backlog"], now)
        question = Question("kanban", QuizMode.DEFINITION, ("kanban", "backlog", "safety-stock", "eoq"), 0)
        asked = await db.quiz_get(
            await db.quiz_create(
                question,
                public=True,
                guild_id=1,
                channel_id=3,
                asked_by=7,
                now=now,
                closes_at=now + timedelta(minutes=1),
            )
        )
        assert asked is not None
        assert await db.quiz_answer(asked, 7, 0, True, 1, now, date(2026, 5, 9))  # study_days, study_seen too
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        raw.close()
