"""What only PostgreSQL has: its address, its server's refusals, its own migrations and its search."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from bot.config import ConfigError, Settings
from bot.db import Database, DatabaseError
from bot.db.postgres import PostgresDatabase
from bot.db.postgres import _connect as connect
from bot.services.glossary import GlossaryService
from tests.pgserver import PASSWORD, PgServer, empty_database, free_port
from tests.test_cli import run


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://tk:pw@127.0.0.1/tk", "must start with postgresql://"),
        ("postgresql://tk:pw@127.0.0.1:5432/", "names no database"),
        ("postgresql://tk:pw@:5432/tk", "names no host"),
        ("postgresql://tk:pw@127.0.0.1:port/tk", "not a valid address"),
    ],
)
async def test_a_wrong_url_is_explained_without_its_password(url: str, message: str):
    with pytest.raises(DatabaseError, match=message) as caught:
        await PostgresDatabase.open(url)
    assert "pw@" not in str(caught.value)


async def test_a_refused_connection_is_explained():
    url = f"postgresql://tk:secret@127.0.0.1:{free_port()}/tk"
    with pytest.raises(DatabaseError, match="cannot reach PostgreSQL at postgresql://tk:\\*\\*\\*@127.0.0.1") as caught:
        await PostgresDatabase.open(url)
    assert "secret" not in str(caught.value)


async def test_bad_credentials_and_a_missing_database_are_explained(pg_server: PgServer):
    with pytest.raises(DatabaseError, match="refused the user name or password") as caught:
        await PostgresDatabase.open(pg_server.url(password="wrong-password"))
    assert "wrong-password" not in str(caught.value)
    with pytest.raises(DatabaseError, match="no such database"):
        await PostgresDatabase.open(pg_server.url("no_such_db"))


async def test_migrations_are_numbered_and_recorded(pg_url: str):
    async with await PostgresDatabase.open(pg_url) as db:
        assert await db.version() == len(connect.migrations()) >= 1
    conn = await asyncpg.connect(pg_url)
    try:
        versions = [row[0] for row in await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await conn.close()
    assert versions == list(range(1, len(connect.migrations()) + 1))


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row[0] for row in rows}


async def test_a_database_from_a_newer_version_is_refused_untouched(pg_server: PgServer):
    url = await empty_database(pg_server)
    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ)")
    await conn.execute("INSERT INTO schema_migrations VALUES (99, now())")
    await conn.execute("CREATE TABLE future (x INTEGER)")
    await conn.close()
    with pytest.raises(DatabaseError, match="newer TermiKnowledge"):
        await PostgresDatabase.open(url)
    assert await _tables(url) == {"schema_migrations", "future"}


async def test_a_failing_migration_leaves_nothing_half_done(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch):
    url = await empty_database(pg_server)
    shipped = connect.migrations()
    broken = [*shipped, (len(shipped) + 1, "CREATE TABLE half_done (x INTEGER); SELECT 1 / 0;")]
    monkeypatch.setattr(connect, "migrations", lambda: broken)
    with pytest.raises(DatabaseError, match="failed .*nothing was changed"):
        await PostgresDatabase.open(url)
    assert await _tables(url) == set()  # not even the migrations before the broken one
    monkeypatch.setattr(connect, "migrations", lambda: shipped)
    async with await PostgresDatabase.open(url) as db:
        assert await db.version() == len(shipped)


async def test_two_processes_starting_together_migrate_once(pg_server: PgServer):
    import asyncio

    url = await empty_database(pg_server)
    opened = await asyncio.gather(*(PostgresDatabase.open(url) for _ in range(4)))
    for db in opened:
        assert await db.version() == len(connect.migrations())
        await db.close()


QUERIES = ["safety", "stock", "order quantity", "econ", "pull", "inventory turns", "plan", "demand", "zzz", "the"]


async def test_search_ranks_like_sqlite(pg_url: str, tmp_path: Path, glossary_dir: Path):
    """Same words required, last one a prefix, name over aliases over definition: the same hits in the same order."""
    async with await Database.open(tmp_path / "tk.db") as lite, await PostgresDatabase.open(pg_url) as pg:
        await GlossaryService.load(lite, glossary_dir)
        await GlossaryService.load(pg, glossary_dir)
        for query in QUERIES:
            lite_hits, lite_total = await lite.search(query, limit=10)
            pg_hits, pg_total = await pg.search(query, limit=10)
            if query == "the":  # a stop word: PostgreSQL's English dictionary drops it, so it finds nothing
                assert pg_total == 0 and pg_hits == []
                continue
            assert pg_total == lite_total, query
            assert {h.slug for h in pg_hits} == {h.slug for h in lite_hits}, query
            # The weights rank a match in the name first; among definition-only matches the two
            # engines' length formulas (bm25, ts_rank) may order ties differently.
            assert pg_hits[:1] == [] or pg_hits[0].slug == lite_hits[0].slug, query
            for hit in pg_hits:
                assert len(hit.snippet) < 400, hit


async def test_search_uses_the_gin_index(pg_url: str):
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in await conn.fetch(
                "EXPLAIN SELECT slug FROM terms WHERE document @@ to_tsquery('english', 'safety & stock:*')"
            )
        )
    finally:
        await conn.close()
    assert "terms_document" in plan


def test_settings_choose_the_backend_and_the_shards():
    base = {"DATABASE_PATH": "/tmp/x.db"}
    assert Settings.from_env(base).database_url is None
    chosen = Settings.from_env({**base, "DATABASE_URL": "postgresql://tk:pw@db:5432/tk"})
    assert chosen.database_url == "postgresql://tk:pw@db:5432/tk"
    with pytest.raises(ConfigError, match="DATABASE_URL must be a postgresql://") as caught:
        Settings.from_env({**base, "DATABASE_URL": "mysql://tk:pw@db/tk"})
    assert "pw" not in str(caught.value)
    sharded = Settings.from_env({**base, "SHARD_COUNT": "4", "SHARD_IDS": "2, 3"})
    assert (sharded.shard_count, sharded.shard_ids, sharded.syncs_commands) == (4, (2, 3), False)
    assert sharded.owns_guild(2 << 22) and not sharded.owns_guild(1 << 22)
    assert sharded.shard_share == 0.5  # this process sends at half of the bot's term-of-the-day rate
    first = Settings.from_env({**base, "SHARD_COUNT": "2", "SHARD_IDS": "0"})
    assert first.syncs_commands and first.owns_guild(0) and not first.owns_guild(1 << 22)
    every = Settings.from_env({**base, "SHARD_COUNT": "2"})
    assert every.shard_ids == (0, 1) and every.syncs_commands
    unsharded = Settings.from_env(base)
    assert unsharded.shard_count is None and unsharded.syncs_commands and unsharded.owns_guild(12345)
    assert unsharded.shard_share == every.shard_share == 1.0
    for bad in (
        {"SHARD_COUNT": "0"},
        {"SHARD_COUNT": "two"},
        {"SHARD_IDS": "0"},
        {"SHARD_COUNT": "2", "SHARD_IDS": "2"},
    ):
        with pytest.raises(ConfigError, match="SHARD_"):
            Settings.from_env({**base, **bad})


def test_the_cli_uses_postgresql_and_explains_its_refusals(tmp_path: Path, pg_url: str, pg_server: PgServer):
    found = run(tmp_path, "term", "eoq", env={"DATABASE_URL": pg_url})
    assert found.returncode == 0, found.stderr
    assert "Economic order quantity" in found.stdout and not (tmp_path / "tk.db").exists()
    stats = run(tmp_path, "stats", env={"DATABASE_URL": pg_url})
    assert "Lookups: 1" in stats.stdout and PASSWORD not in stats.stdout and "***" in stats.stdout
    refused = run(tmp_path, "term", "eoq", env={"DATABASE_URL": pg_server.url(password="nope")})
    assert refused.returncode == 2 and "refused the user name or password" in refused.stderr
    assert "Traceback" not in refused.stderr
