"""SQLite and PostgreSQL side by side: /term resolution, stats writes, review-card fetch, a term-of-the-day round.

PostgreSQL is a throwaway server started from Debian's `postgresql` package in a temp folder (as the
tests do), or the database at --url. Prints, for each backend:

- /term resolution p50/p99 (in memory: the backend must not change it);
- statistics flushes per second (each a batch of 20 lookup counts), from 1 and from 8 concurrent writers;
- the next review card (the queue query) p50/p99 with 200 learners x 500 cards;
- a 10,000-server term-of-the-day round: SQLite in one process (its supported set-up), PostgreSQL in
  two processes that both see every server: decision pass time, posts per second, duplicates (must be 0),
  then the same round under the bot's term-of-the-day rate (25/s per process, or split by shard share) on 1,000 servers.

Run: python benchmarks/backends.py [--url postgresql://...] [--servers 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import default_glossary_dir
from bot.core.glossary import Term, load_glossary
from bot.core.schedule import ServerSchedule
from bot.db import Database
from bot.db.postgres import PoolLimits, PostgresDatabase
from bot.db.repositories import Storage
from bot.services.glossary import GlossaryService
from bot.services.totd import REQUESTS_PER_SECOND, TotdScheduler
from bot.services.totd_outcomes import RateLimiter, Sent

POST_AT = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LEARNERS, CARDS = 200, 500


def pct(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:7.3f} ms   p99 {p99 * 1000:7.3f} ms"


async def bench_term(db: Storage, glossary_dir: Path) -> str:
    service, _ = await GlossaryService.load(db, glossary_dir)
    rng = random.Random(1)
    names = [t.name for t in service.syllabus()]
    queries = [rng.choice(names) for _ in range(2000)] + ["econmic order quanity", "pizza recipe"] * 200
    samples = []
    for query in queries:
        started = time.perf_counter()
        service.resolve(query)
        samples.append(time.perf_counter() - started)
    return pct(samples)


async def bench_stats(db: Storage, writers: int, seconds: float = 3.0) -> float:
    slugs = [f"term-{n}" for n in range(500)]
    done = 0
    deadline = time.perf_counter() + seconds

    async def writer(seed: int) -> None:
        nonlocal done
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            await db.record_usage({rng.choice(slugs): 1 for _ in range(20)}, {})
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(writers)))
    return done / (time.perf_counter() - started)


async def bench_review(db: Storage, terms: list[Term]) -> str:
    slugs = [t.slug for t in terms[:CARDS]]
    filled = time.perf_counter()
    await asyncio.gather(*(db.study_add_cards(user, slugs, NOW - timedelta(days=30)) for user in range(LEARNERS)))
    print(f"      ({LEARNERS} learners x {len(slugs)} cards filled in {time.perf_counter() - filled:.1f} s)")
    rng = random.Random(2)
    samples = []
    for _ in range(600):
        user = rng.randrange(LEARNERS)
        started = time.perf_counter()
        await db.study_queue(user, NOW - timedelta(hours=12))
        samples.append(time.perf_counter() - started)
    return pct(samples)


class Delivery:
    """Discord at a fixed latency, behind this process's share of the global rate limit."""

    def __init__(self, latency: float, rate: float | None) -> None:
        self.latency, self.limiter = latency, RateLimiter(rate) if rate else None
        self.sent: list[int] = []

    async def check(self, schedule: ServerSchedule) -> None:
        return None

    async def find(self, schedule: ServerSchedule, channel_id: int, day: date) -> int | None:
        return None

    async def send(self, schedule: ServerSchedule, term: Term, day: date) -> Sent:
        if self.limiter is not None:
            await self.limiter.wait()
        await asyncio.sleep(self.latency)
        self.sent.append(schedule.guild_id)
        return Sent(schedule.channel_id, 10**12 + schedule.guild_id)

    async def replace(self, schedule: ServerSchedule, channel_id: int, message_id: int, term: Term, day: date) -> bool:
        return True


async def set_up_servers(db: Storage, servers: int) -> None:
    before = POST_AT - timedelta(days=1)
    for first in range(1, servers + 1, 200):
        await asyncio.gather(
            *(
                db.totd_save_settings(
                    ServerSchedule(g, 10**6 + g, clock_time(8, 30), "Europe/Berlin", active_from=before), before
                )
                for g in range(first, min(first + 200, servers + 1))
            )
        )


async def worker(url: str, glossary_dir: str, start_at: float, rate: float | None, shard: int, shards: int) -> None:
    """One bot process's round (run by the benchmark as a subprocess)."""
    db: Storage = (
        await PostgresDatabase.open(url, limits=PoolLimits(max_size=20))
        if url.startswith("postgresql")
        else await Database.open(Path(url))
    )
    glossary, _ = await GlossaryService.load(db, Path(glossary_dir))
    delivery = Delivery(0.02, rate)
    scheduler = TotdScheduler(
        db, glossary, delivery, lambda: POST_AT + timedelta(minutes=1), owns=lambda guild: guild % shards == shard
    )
    await asyncio.sleep(max(0.0, start_at - time.time()))
    started = time.perf_counter()
    report = await scheduler.run_round()
    decided = time.perf_counter() - started
    await scheduler.drain()
    total = time.perf_counter() - started
    await db.close()
    print(json.dumps({"decided": decided, "total": total, "servers": report.servers, "sent": delivery.sent}))


def round_across(
    url: str, glossary_dir: Path, processes: int, rate: float | None, sharded: bool
) -> tuple[float, float, int, int]:
    start_at = time.time() + 3.0
    shards = processes if sharded else 1

    def shard_of(n: int) -> list[str]:
        return [str(n % shards), str(shards)]

    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, str(glossary_dir), str(start_at), str(rate or 0), *shard_of(n)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    results = [json.loads(proc.communicate(timeout=1800)[0]) for proc in procs]
    sent = [guild for result in results for guild in result["sent"]]
    duplicates = len(sent) - len(set(sent))
    decided = max(r["decided"] for r in results)
    total = max(r["total"] for r in results)
    return decided, total, len(set(sent)), duplicates


async def fresh(kind: str, tmp: Path, url: str | None) -> tuple[Storage, str]:
    if kind == "sqlite":
        path = tmp / f"bench-{time.monotonic_ns()}.db"
        return await Database.open(path), str(path)
    import asyncpg

    assert url is not None
    name = f"bench_{time.monotonic_ns()}"
    admin = await asyncpg.connect(url)
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    target = url.rsplit("/", 1)[0] + "/" + name
    return await PostgresDatabase.open(target), target


async def bench(kind: str, tmp: Path, url: str | None, servers: int) -> None:
    glossary_dir = default_glossary_dir()
    terms = load_glossary(glossary_dir)
    print(f"\n== {kind} ==")
    db, address = await fresh(kind, tmp, url)
    try:
        print(f"  /term resolution (in memory)        {await bench_term(db, glossary_dir)}")
        for writers in (1, 8):
            rate = await bench_stats(db, writers)
            print(f"  stats flushes/s, {writers} writer(s)        {rate:8.0f}  (x20 lookups each)")
        print(f"  next review card (queue query)      {await bench_review(db, terms)}")
    finally:
        await db.close()
    # SQLite: one process, its supported set-up. PostgreSQL: two processes that both see every server
    # (a rolling deploy, overlapping shard ranges), then two with disjoint shards (the normal case).
    runs = [(1, False)] if kind == "sqlite" else [(2, False), (2, True)]
    for processes, sharded in runs:
        for count, rate in ((servers, None), (min(servers, 1000), REQUESTS_PER_SECOND)):
            db, address = await fresh(kind, tmp, url)
            await GlossaryService.load(db, glossary_dir)
            await set_up_servers(db, count)
            await db.close()
            # Sharded processes split the bot's term-of-the-day rate by their share of the shards, as the bot does.
            share = rate / processes if rate and sharded else rate
            decided, total, posted, duplicates = round_across(address, glossary_dir, processes, share, sharded)
            limit = f"{share:.1f}/s per process" if share else "no rate limit, 20 ms per call"
            who = "disjoint shards" if sharded else "all see every server"
            print(
                f"  term of the day, {count} servers, {processes} process(es) ({who}), {limit}:\n"
                f"      decision pass {decided:5.2f} s, round {total:6.1f} s, {posted / total:6.1f} posts/s, "
                f"{posted} posted, {duplicates} duplicates"
            )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, glossary_dir, start_at, rate, shard, shards = sys.argv[2:8]
        asyncio.run(worker(url, glossary_dir, float(start_at), float(rate) or None, int(shard), int(shards)))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="a PostgreSQL server's admin database (default: start a throwaway one)")
    parser.add_argument("--servers", type=int, default=10_000)
    args = parser.parse_args()
    server = None
    url = args.url
    if url is None:
        from tests.pgserver import PgServer

        server = PgServer.start()
        url = server.url()
    try:
        with tempfile.TemporaryDirectory(prefix="tk-backends-") as tmp:
            for kind in ("sqlite", "postgresql"):
                asyncio.run(bench(kind, Path(tmp), url, args.servers))
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
