"""Claims under contention: many tasks, and several processes on one PostgreSQL, claiming the same work."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.quiz import Question, QuizMode
from bot.core.schedule import Pick, PostStatus
from bot.db.postgres import PoolLimits, PostgresDatabase
from bot.db.repositories import Storage
from bot.services.glossary import GlossaryService
from bot.services.totd import TotdScheduler
from tests.clock import FakeClock
from tests.test_totd_scheduler import FakeDelivery, berlin

NOW = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
FIRST_DAY = date(2026, 11, 25)
ROUNDS = 100
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(storage: Storage) -> Storage:
    return storage


async def test_many_tasks_claim_one_post_and_exactly_one_wins_every_time(db: Storage):
    for n in range(ROUNDS):
        day = FIRST_DAY + timedelta(days=n)
        results = await asyncio.gather(
            *(db.totd_begin(1, day, Pick(f"term-{task}", 0), 100 + task, NOW) for task in range(12))
        )
        assert results.count(True) == 1, f"day {day}: {results.count(True)} winners"
        row = await db.totd_post(1, day)
        winner = results.index(True)
        assert row is not None and (row.status, row.slug, row.channel_id) == (
            PostStatus.SENDING,
            f"term-{winner}",
            100 + winner,
        )


async def test_many_tasks_close_one_question_and_exactly_one_wins_every_time(db: Storage):
    question = Question("kanban", QuizMode.DEFINITION, ("kanban", "kaizen", "backlog", "eoq"), 0)
    for _ in range(ROUNDS):
        asked = await db.quiz_create(
            question, public=True, guild_id=1, channel_id=2, asked_by=3, now=NOW, closes_at=NOW + timedelta(minutes=1)
        )
        results = await asyncio.gather(*(db.quiz_close(asked, NOW + timedelta(minutes=2)) for _ in range(12)))
        assert results.count(True) == 1
    assert await db.quiz_overdue(NOW + timedelta(days=1), 500) == []


async def test_holds_are_granted_when_free_and_free_again_afterwards(db: Storage):
    for _ in range(3):
        async with db.totd_hold(1) as server, db.quiz_hold(1) as question:
            assert (server, question) == (True, True)


async def test_a_question_close_is_held_by_one_process_at_a_time(pg_url: str):
    async with await PostgresDatabase.open(pg_url) as one, await PostgresDatabase.open(pg_url) as two:
        async with one.quiz_hold(5) as mine, two.quiz_hold(5) as theirs, two.totd_hold(5) as unrelated:
            assert (mine, theirs, unrelated) == (True, False, True)
        async with two.quiz_hold(5) as theirs:
            assert theirs is True


CLAIMER = """
import asyncio, sys
from datetime import UTC, date, datetime, timedelta
from bot.core.schedule import Pick
from bot.db.postgres import PoolLimits, PostgresDatabase

async def main(url, name):
    db = await PostgresDatabase.open(url, limits=PoolLimits(max_size=8))
    print("ready", flush=True)
    now = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
    while (line := await asyncio.to_thread(sys.stdin.readline)).strip():  # one day per line, both at once
        day = date(2026, 11, 25) + timedelta(days=int(line))
        results = await asyncio.gather(*(db.totd_begin(1, day, Pick(name, 0), 100, now) for _ in range(8)))
        print(results.count(True), flush=True)
    await db.close()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def _python(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        *args,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_two_processes_claim_the_same_posts_and_exactly_one_wins_every_time(pg_url: str):
    procs = [await _python(CLAIMER, pg_url, name) for name in ("one", "two")]
    wins = [0, 0]
    try:
        for proc in procs:  # both connected before either claims
            assert proc.stdout is not None
            assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"ready\n"
        for n in range(ROUNDS):
            order = procs if n % 2 else procs[::-1]  # neither always hears first
            for proc in order:
                assert proc.stdin is not None
                proc.stdin.write(f"{n}\n".encode())
            await asyncio.gather(*(proc.stdin.drain() for proc in order if proc.stdin))
            counts = [int(await asyncio.wait_for(proc.stdout.readline(), 30)) for proc in procs if proc.stdout]
            assert sum(counts) == 1, f"day {n}: {counts} winners"
            wins = [w + c for w, c in zip(wins, counts, strict=True)]
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"\n")
        outputs = await asyncio.gather(*(asyncio.wait_for(proc.communicate(), 60) for proc in procs))
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    assert min(wins) > 0, f"one process won every day ({wins}): they did not really contend"
    async with await PostgresDatabase.open(pg_url) as db:
        history = await db.totd_history(1, ROUNDS + 10)
    assert len(history) == ROUNDS and {row.slug for row in history} <= {"one", "two"}


HOLDER = """
import asyncio, sys
from bot.db.postgres import PostgresDatabase

async def main(url):
    db = await PostgresDatabase.open(url)
    async with db.totd_hold(7) as held:
        print("held" if held else "refused", flush=True)
        await asyncio.sleep(600)

asyncio.run(main(sys.argv[1]))
"""


async def test_a_hold_is_exclusive_and_dies_with_its_process(pg_url: str):
    holder = await _python(HOLDER, pg_url)
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(holder.stdout.readline(), 30)
        assert line.strip() == b"held"
        async with await PostgresDatabase.open(pg_url) as db:
            async with db.totd_hold(7) as held:
                assert held is False, "two processes held the same server"
            async with db.totd_hold(8) as other:
                assert other is True, "a hold on one server blocked another"
            os.kill(holder.pid, signal.SIGKILL)
            await holder.wait()
            deadline = time.monotonic() + 10
            while True:  # the server notices the dropped connection and frees the claim
                async with db.totd_hold(7) as held:
                    if held:
                        break
                assert time.monotonic() < deadline, "the dead process's claim was never released"
                await asyncio.sleep(0.05)
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()


async def test_two_schedulers_on_one_database_post_each_server_once_every_day(pg_url: str, glossary_dir: Path):
    """A rolling restart or overlapping shard ranges: two processes see every server; one post each, 100 days."""
    servers = 6
    clock = FakeClock(NOW)
    fake = FakeDelivery()  # one Discord both processes talk to
    limits = PoolLimits(max_size=6)
    async with (
        await PostgresDatabase.open(pg_url, limits=limits) as one,
        await PostgresDatabase.open(pg_url, limits=limits) as two,
    ):
        glossary_one, _ = await GlossaryService.load(one, glossary_dir)
        glossary_two, _ = await GlossaryService.load(two, glossary_dir)
        first = TotdScheduler(one, glossary_one, fake, clock)
        second = TotdScheduler(two, glossary_two, fake, clock)
        for guild in range(1, servers + 1):
            await first.configure(berlin(guild, active_from=NOW - timedelta(days=1)))
        for n in range(ROUNDS):
            clock.now = NOW + timedelta(days=n, minutes=1)
            await asyncio.gather(first.run_round(), second.run_round())
            await asyncio.gather(first.drain(), second.drain())
            day = FIRST_DAY + timedelta(days=n)
            posted = [m.guild_id for m in fake.posts() if m.day == day]
            assert sorted(posted) == list(range(1, servers + 1)), f"day {day}: {sorted(posted)}"
            for guild in (1, servers):
                row = await one.totd_post(guild, day)
                assert row is not None and row.status is PostStatus.POSTED
        await first.stop()
        await second.stop()


async def test_a_scheduler_leaves_servers_of_other_shards_alone(db: Storage, glossary_dir: Path):
    clock = FakeClock(NOW)
    fake = FakeDelivery()
    glossary, _ = await GlossaryService.load(db, glossary_dir)
    mine = {guild for guild in range(1, 9) if guild % 2 == 0}
    scheduler = TotdScheduler(db, glossary, fake, clock, owns=lambda guild: guild in mine)
    for guild in range(1, 9):
        await scheduler.configure(berlin(guild))
    clock.advance(minutes=1)
    report = await scheduler.run_round()
    await scheduler.drain()
    await scheduler.stop()
    assert report.servers == len(mine)
    assert {m.guild_id for m in fake.posts()} == mine
