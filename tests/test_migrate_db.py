"""`termiknowledge migrate-db`: a populated SQLite file copied into PostgreSQL, checked through the repositories."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.core.glossary import Term
from bot.core.overlay import ServerTerm
from bot.core.quiz import Question, QuizMode
from bot.core.review import CardState, StudySettings
from bot.core.schedule import Pick, PostStatus, ServerSchedule
from bot.core.suggestions import Draft, State
from bot.db import Database
from bot.db.errors import DuplicateKeyError
from bot.db.postgres import PostgresDatabase
from bot.db.repositories import ReviewSetup, Storage
from bot.services.glossary import GlossaryService
from tests.pgserver import PASSWORD, PgServer, empty_database
from tests.test_cli import run

NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
DAY = date(2026, 11, 25)
GUILD, ALICE, BOB = 7, 11, 12
QUESTION = Question("kanban", QuizMode.DEFINITION, ("kanban", "kaizen", "backlog", "economic-order-quantity"), 0)


async def populate(db: Storage, glossary_dir: Path) -> None:
    """Some of everything the bot stores: glossary, statistics, term of the day, decks, reviews, quizzes, community."""
    service, _ = await GlossaryService.load(db, glossary_dir)
    await db.record_usage({"kanban": 3, "backlog": 1}, {"flux capacitor": ("Flux capacitor", 2)})
    await db.set_meta("command_hash:1:global", "abc")
    schedule = ServerSchedule(GUILD, 70, time(8, 30), "Europe/Berlin", active_from=NOW - timedelta(days=9))
    await db.totd_save_settings(schedule, NOW - timedelta(days=9))
    for n in range(5):
        day = DAY - timedelta(days=n)
        await db.totd_begin(GUILD, day, Pick(service.syllabus()[n].slug, 0), 70, NOW - timedelta(days=n))
        if n:
            await db.totd_mark_posted(GUILD, day, 70, 9000 + n, NOW - timedelta(days=n))
    await db.totd_mark_missed(GUILD, DAY - timedelta(days=6), "offline", NOW)
    await db.totd_skip(GUILD, DAY, Pick("kaizen", 0), Pick("kanban", 0), NOW)
    await db.study_save_settings(ALICE, StudySettings("Asia/Tokyo", 0.85, 10, 100), NOW)
    await db.study_add_cards(ALICE, ["backlog", "kanban", "kaizen"], NOW)
    await db.study_add_cards(BOB, ["kanban"], NOW)
    card = (await db.study_cards(ALICE))[0]
    after = replace(card, state=CardState.REVIEW, reps=1, due=NOW + timedelta(days=3), last_review=NOW, stability=3.2)
    assert await db.study_record_review(card, after, 3, NOW, DAY)
    for public, user in ((True, ALICE), (True, BOB), (False, ALICE)):
        asked_id = await db.quiz_create(
            QUESTION,
            public=public,
            guild_id=GUILD,
            channel_id=70,
            asked_by=user,
            now=NOW,
            closes_at=NOW + timedelta(minutes=1) if public else None,
        )
        asked = await db.quiz_get(asked_id)
        assert asked is not None
        await db.quiz_answer(asked, user, 0, True, 10 if public else 0, NOW, DAY)
        if public:
            await db.quiz_close(asked_id, NOW + timedelta(minutes=2))
    await populate_community(db)


async def populate_community(db: Storage) -> None:
    """A review queue, suggestions in every state, a server term with its keys, misses over two days."""
    await db.community_save_settings(ReviewSetup(GUILD, 71, 72), NOW)
    await db.community_set_problem(GUILD, "the review channel was deleted", NOW)
    vmi = Draft("Vendor managed inventory", "The supplier keeps the customer's stock.", "Lean", ("VMI", "VMI stock"))
    opened = await db.suggestion_create(GUILD, ALICE, vmi, State.OPEN, NOW)
    await db.suggestion_set_queue_message(opened.id, 71, 9100)
    term = Term("vendor-managed-inventory", vmi.name, vmi.module, vmi.definition, aliases=vmi.aliases)
    live = ServerTerm(GUILD, term, False, ALICE, BOB, NOW + timedelta(minutes=5), "", opened.id)
    assert await db.suggestion_approve(opened.id, live, ["vendor managed inventory", "vmi", "vmi stock"])
    await db.suggestion_create(GUILD, BOB, Draft("Kan", "A draft.", "Lean", target="kanban"), State.DRAFT, NOW)
    rejected = await db.suggestion_create(GUILD, BOB, Draft("Muda", "Waste.", "Lean"), State.OPEN, NOW)
    assert await db.suggestion_move(rejected.id, State.OPEN, State.REJECTED, NOW, actor=ALICE, reason="a duplicate")
    await db.suggestion_set_notified([opened.id], True)
    await db.record_server_misses([(GUILD, "drop shipping", "Drop shipping", 2)], NOW - timedelta(days=1))
    await db.record_server_misses([(GUILD, "drop shipping", "drop shipping", 1), (8, "x dock", "X dock", 4)], NOW)


async def snapshot(db: Storage) -> dict[str, object]:
    """What the services can read back, through the repository methods only."""
    return {
        "terms": [t.slug for t in await db.load_terms()],
        "counts": await db.lookup_counts(),
        "popular": await db.popular(5),
        "misses": await db.top_misses(5),
        "meta": (await db.get_meta("command_hash:1:global"), await db.get_meta("glossary_hash")),
        "settings": await db.totd_settings(GUILD),
        "history": await db.totd_history(GUILD, 20),
        "cycle": await db.totd_cycle_state(GUILD),
        "study": await db.study_settings(ALICE),
        "cards": await db.study_cards(ALICE) + await db.study_cards(BOB),
        "queue": await db.study_queue(ALICE, NOW - timedelta(hours=1)),
        "days": await db.study_days(ALICE),
        "seen": await db.study_seen(ALICE),
        "board": await db.quiz_leaderboard(GUILD, None, 10),
        "standing": await db.quiz_standing(GUILD, BOB, None),
        "questions": [await db.quiz_get(i) for i in (1, 2, 3)],
        "answers": [await db.quiz_answers(i) for i in (1, 2, 3)],
        "search": [h.slug for h in (await db.search("stock", limit=5))[0]],
        "review": await db.community_settings(GUILD),
        "suggestions": await db.suggestions_in(GUILD, list(State)),
        "unnotified": (await db.suggestion_users_unnotified(), await db.suggestions_unnotified(BOB)),
        "server_terms": await db.server_terms(),
        "gaps": await db.server_gaps(None, None, 10),
    }


def migrate(tmp_path: Path, source: Path, target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(tmp_path, "migrate-db", "--from", f"sqlite://{source}", "--to", target, *extra)


async def test_a_populated_sqlite_file_arrives_whole_in_postgresql(
    tmp_path: Path, glossary_dir: Path, pg_server: PgServer
):
    source = tmp_path / "old.db"
    async with await Database.open(source) as lite:
        await populate(lite, glossary_dir)
        before = await snapshot(lite)
    raw = sqlite3.connect(source)
    expected = {
        name: raw.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not name.startswith(("sqlite_", "terms_fts"))
    }
    raw.close()
    target = await empty_database(pg_server)
    done = migrate(tmp_path, source, target)
    assert done.returncode == 0, done.stderr
    assert "row counts verified" in done.stdout and PASSWORD not in done.stdout
    printed = {line.split()[0]: int(line.split()[1]) for line in done.stdout.splitlines() if line.endswith(" rows")}
    assert printed == {name: count for name, count in expected.items() if count} | {
        name: 0 for name, count in expected.items() if not count
    }
    community = ("suggestions", "server_terms", "server_term_keys", "server_misses", "community_settings")
    assert all(
        printed[name] > 0 for name in ("terms", "totd_posts", "study_cards", "quiz_answers", "lookups", *community)
    )
    async with await PostgresDatabase.open(target) as pg:
        assert await snapshot(pg) == before
        # Numbering carries on after the copied ids.
        new_id = await pg.quiz_create(
            QUESTION, public=False, guild_id=None, channel_id=None, asked_by=BOB, now=NOW, closes_at=None
        )
        assert new_id == 4
        [row] = [r for r in await pg.totd_history(GUILD, 20) if r.local_date == DAY]
        assert (row.status, row.slug) == (PostStatus.SENDING, "kanban")
        assert (await pg.suggestion_create(GUILD, BOB, Draft("Muri", "Overburden.", "Lean"), State.DRAFT, NOW)).id == 4
        # The copied keys still guard the server's names: a second owner of "VMI" is refused.
        clash = await pg.suggestion_create(GUILD, BOB, Draft("VMI", "Another.", "Lean"), State.OPEN, NOW)
        other = ServerTerm(GUILD, Term("vmi", "VMI", "Lean", "Another."), False, BOB, ALICE, NOW)
        with pytest.raises(DuplicateKeyError):
            await pg.suggestion_approve(clash.id, other, ["vmi"])

    # A second run would overwrite what the bot now stores there: refused unless asked for.
    again = migrate(tmp_path, source, target)
    assert again.returncode == 2 and "not empty" in again.stderr and "--overwrite" in again.stderr
    async with await PostgresDatabase.open(target) as pg:
        assert await pg.quiz_get(4) is not None, "a refused run changed nothing"
    forced = migrate(tmp_path, source, target, "--overwrite")
    assert forced.returncode == 0, forced.stderr
    async with await PostgresDatabase.open(target) as pg:
        assert await pg.quiz_get(4) is None and await snapshot(pg) == before


async def test_tables_postgresql_lacks_are_refused_and_nothing_is_copied(tmp_path: Path, pg_server: PgServer):
    source = tmp_path / "odd.db"
    await (await Database.open(source)).close()
    raw = sqlite3.connect(source)
    raw.execute("CREATE TABLE glossary_votes (x INTEGER)")
    raw.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    raw.commit()
    raw.close()
    target = await empty_database(pg_server)
    done = migrate(tmp_path, source, target)
    assert done.returncode == 2 and "glossary_votes" in done.stderr and "nothing was copied" in done.stderr
    conn = await asyncpg.connect(target)
    try:
        assert await conn.fetchval("SELECT count(*) FROM meta") == 0
    finally:
        await conn.close()


async def test_a_broken_json_value_stops_the_copy(tmp_path: Path, pg_server: PgServer):
    source = tmp_path / "broken.db"
    async with await Database.open(source) as lite:
        await lite.suggestion_create(GUILD, ALICE, Draft("Muda", "Waste.", "Lean"), State.OPEN, NOW)
    raw = sqlite3.connect(source)
    raw.execute("UPDATE suggestions SET aliases = '[\"muda'")
    raw.commit()
    raw.close()
    target = await empty_database(pg_server)
    done = migrate(tmp_path, source, target)
    assert done.returncode == 2 and "suggestions:" in done.stderr and "nothing was copied" in done.stderr
    conn = await asyncpg.connect(target)
    try:
        assert await conn.fetchval("SELECT count(*) FROM suggestions") == 0
    finally:
        await conn.close()


def test_a_wrong_source_is_explained(tmp_path: Path, pg_url: str):
    for source, message in (
        ("mysql://x/y", "--from must be sqlite:///"),
        (f"sqlite://{tmp_path}/none.db", "no SQLite"),
    ):
        done = run(tmp_path, "migrate-db", "--from", source, "--to", pg_url)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert subprocess.run([sys.executable, "-m", "bot", "migrate-db"], capture_output=True).returncode == 2
