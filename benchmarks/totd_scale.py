"""Term of the day at scale: 1,000 servers with the same post time, against a fake Discord.

Runs the real scheduler (real SQLite file, real decisions, real bookkeeping) with a fake
delivery that answers after a simulated network latency, and prints:

- the longest single event-loop callback while the round runs (how long the loop is blocked),
  and the worst lag seen by a 1 ms ticker task (what a command arriving meanwhile would wait);
- how long the decision pass takes and how long the whole round takes until every server posted.

Two runs: unthrottled (the scheduler's own overhead) and with the production rate limit
(REQUESTS_PER_SECOND, to stay inside Discord's global limit), which sets the real round time.

Run: python benchmarks/totd_scale.py [--servers 1000] [--terms 3000] [--latency-ms 80]
"""

from __future__ import annotations

import argparse
import asyncio
import asyncio.events
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from bot.core.glossary import Term
from bot.core.modules import MODULES
from bot.core.schedule import ServerSchedule
from bot.db import Database
from bot.services.glossary import GlossaryService
from bot.services.totd import CONCURRENCY, REQUESTS_PER_SECOND, TotdScheduler
from bot.services.totd_outcomes import RateLimiter, Sent

POST_AT = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # 08:30 in Berlin


class FakeDelivery:
    """Discord at a fixed latency: every call waits for the shared rate limiter, as the real one does."""

    def __init__(self, latency: float, limiter: RateLimiter | None) -> None:
        self.latency = latency
        self.limiter = limiter
        self.sent = 0
        self.ids = iter(range(10**12, 10**13))

    async def check(self, schedule: ServerSchedule) -> None:
        return None

    async def find(self, schedule: ServerSchedule, channel_id: int, day: date) -> int | None:
        return None

    async def send(self, schedule: ServerSchedule, term: Term, day: date) -> Sent:
        if self.limiter is not None:
            await self.limiter.wait()
        await asyncio.sleep(self.latency)
        self.sent += 1
        return Sent(schedule.channel_id, next(self.ids))

    async def replace(self, schedule: ServerSchedule, channel_id: int, message_id: int, term: Term, day: date) -> bool:
        return True


class CallbackTimer:
    """Time every event-loop callback (asyncio.Handle._run): wall time, and CPU time of the loop's thread.

    The machine may be shared, so wall time includes waits for the CPU; CPU time is what the
    callback itself cost.
    """

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._original: Callable[[Any], None] | None = None

    def __enter__(self) -> CallbackTimer:
        original = asyncio.events.Handle._run
        self._original = original
        wall, cpu = self.wall, self.cpu

        def timed(handle: Any) -> None:
            start, start_cpu = time.perf_counter(), time.thread_time()
            try:
                original(handle)
            finally:
                cpu.append(time.thread_time() - start_cpu)
                wall.append(time.perf_counter() - start)

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign]


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    """Sleep 1 ms at a time and record how late each wake-up is."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - start - 0.001)


def synthetic_terms(count: int) -> list[Term]:
    """Terms spread over the 30 modules, each with two related terms."""
    terms = []
    for n in range(count):
        module = MODULES[n % len(MODULES)]
        related = (f"term-{(n + 1) % count:05d}", f"term-{(n + 2) % count:05d}")
        definition = f"Definition number {n} of a supply chain idea, long enough to look like the real thing."
        terms.append(Term(f"term-{n:05d}", f"Term {n:05d}", module, definition, related=related))
    return terms


async def run(servers: int, terms: int, latency: float, rate: float | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="totd-bench-") as tmp:
        db = await Database.open(Path(tmp) / "bench.db")
        try:
            glossary_terms = synthetic_terms(terms)
            await db.replace_glossary(glossary_terms, "bench")
            glossary = GlossaryService(db, glossary_terms, [])
            now = POST_AT - timedelta(days=1)
            delivery = FakeDelivery(latency, RateLimiter(rate) if rate else None)
            scheduler = TotdScheduler(db, glossary, delivery, lambda: now)
            for guild_id in range(1, servers + 1):
                await scheduler.configure(
                    ServerSchedule(guild_id, 10_000 + guild_id, clock_time(8, 30), "Europe/Berlin")
                )
            now = POST_AT
            lags: list[float] = []
            stop = asyncio.Event()
            tick = asyncio.create_task(ticker(lags, stop))
            await asyncio.sleep(0.05)  # let the ticker settle
            with CallbackTimer() as timer:
                start = time.perf_counter()
                report = await scheduler.run_round()
                decided = time.perf_counter() - start
                await scheduler.drain()
                total = time.perf_counter() - start
            stop.set()
            await tick
            if report.started != servers or delivery.sent != servers:
                raise RuntimeError(f"expected {servers} posts, got {report} and {delivery.sent} sent")
            return {
                "decided": decided,
                "total": total,
                "wall_max": max(timer.wall),
                "wall_p999": statistics.quantiles(timer.wall, n=1000)[998],
                "cpu_max": max(timer.cpu),
                "cpu_p999": statistics.quantiles(timer.cpu, n=1000)[998],
                "callbacks": len(timer.wall),
                "lag_max": max(lags),
                "lag_p99": statistics.quantiles(lags, n=100)[98],
            }
        finally:
            await db.close()


async def main(args: argparse.Namespace) -> None:
    print("# Term of the day: one round for servers that share a post time")
    print(
        f"{args.servers} servers at 08:30 Europe/Berlin, {args.terms} terms, fake Discord latency "
        f"{args.latency_ms:.0f} ms, concurrency {CONCURRENCY}"
    )
    for label, rate in (("unthrottled", None), (f"rate limit {REQUESTS_PER_SECOND:g} requests/s", REQUESTS_PER_SECOND)):
        figures = await run(args.servers, args.terms, args.latency_ms / 1000, rate)
        print(f"\n## {label}")
        print(f"decision pass (read, decide, start posts): {figures['decided'] * 1000:8.1f} ms")
        print(f"whole round until every server posted:     {figures['total']:8.2f} s")
        print(
            f"event-loop callbacks, CPU time:  max {figures['cpu_max'] * 1000:6.2f} ms, "
            f"99.9th percentile {figures['cpu_p999'] * 1000:.2f} ms"
        )
        print(
            f"event-loop callbacks, wall time: max {figures['wall_max'] * 1000:6.2f} ms, "
            f"99.9th percentile {figures['wall_p999'] * 1000:.2f} ms (includes waiting for a shared CPU)"
        )
        print(f"1 ms ticker lag: p99 {figures['lag_p99'] * 1000:.2f} ms, max {figures['lag_max'] * 1000:.2f} ms")
        print(f"callbacks run: {figures['callbacks']:,}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--terms", type=int, default=3000)
    parser.add_argument("--latency-ms", type=float, default=80.0)
    asyncio.run(main(parser.parse_args()))
