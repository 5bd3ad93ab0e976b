"""Speed of the study features' hot paths: making a quiz question and picking a learner's next card.

The glossary is the shipped one (about 3,000 terms) when it loads, else a synthetic one of 3,000
terms over the 30 modules. The learner has all 3,000 terms in a deck, in a mix of states, in a
database that also holds 50 other learners with 3,000 cards each. "Next card" is what /review and
every rating click do: the queue query (first learning, review and new card and today's counts)
plus the pure choice. Target: p99 under 5 ms for each. Run: python benchmarks/study.py
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import default_glossary_dir
from bot.core.glossary import GlossaryError, Term, load_glossary
from bot.core.modules import MODULES
from bot.core.progress import learner_day
from bot.core.quiz import QuizBank
from bot.core.review import Grade, Reviewer, StudySettings, choose_next
from bot.db import Database

LEARNER = 1
OTHERS = 50
CARDS = 3000
RUNS = 3000
TARGET_MS = 5.0
NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def glossary() -> tuple[list[Term], str]:
    try:
        return load_glossary(default_glossary_dir()), "shipped glossary"
    except GlossaryError:
        rng = random.Random(1)
        words = ["stock", "order", "lead", "time", "demand", "supply", "plan", "cost", "batch", "lot", "review"]
        terms = []
        for i in range(CARDS):
            module = MODULES[i % len(MODULES)]
            definition = " ".join(rng.choice(words) for _ in range(rng.randint(12, 120)))
            terms.append(Term(f"term-{i}", f"Term {i} {rng.choice(words)}", module, definition))
        return terms, "synthetic glossary (the shipped one does not load right now)"


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


def report(label: str, samples: list[float]) -> bool:
    p50, p99, worst = percentiles(samples)
    ok = p99 < TARGET_MS
    print(f"{label:<44} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   max {worst:6.3f} ms   {'OK' if ok else 'SLOW'}")
    return ok


def bench_quiz(terms: list[Term]) -> bool:
    started = time.perf_counter()
    bank = QuizBank(terms)
    print(f"QuizBank built over {len(bank)} terms in {(time.perf_counter() - started) * 1000:.0f} ms (once per start)")
    rng = random.Random(7)
    whole, module = [], []
    for i in range(RUNS):
        started = time.perf_counter()
        bank.question(rng)
        whole.append(time.perf_counter() - started)
        started = time.perf_counter()
        bank.question(rng, module=MODULES[i % len(MODULES)])
        module.append(time.perf_counter() - started)
    return report("quiz question, whole glossary", whole) & report("quiz question, one module", module)


async def fill(db: Database, terms: list[Term]) -> None:
    """A deck of every term per learner; the learner's cards in a realistic mix of states."""
    slugs = [t.slug for t in terms[:CARDS]]
    for user in range(LEARNER, LEARNER + OTHERS + 1):
        await db.study_add_cards(user, slugs, NOW - timedelta(days=120))
    reviewer = Reviewer(fuzz=False)
    rng = random.Random(3)
    cards = await db.study_cards(LEARNER)
    # Two thirds studied at some point in the last 120 days, the rest still new.
    for card in cards[: len(cards) * 2 // 3]:
        when = NOW - timedelta(days=rng.uniform(0, 120))
        after = reviewer.review(card, rng.choice(list(Grade)), when).card
        await db.study_record_review(card, after, 3, when, when.date())


async def bench_next_card(terms: list[Term]) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        async with await Database.open(Path(tmp) / "bench.db") as db:
            await db.replace_glossary(terms, "bench")
            started = time.perf_counter()
            await fill(db, terms)
            print(f"Database: {OTHERS + 1} learners x {CARDS} cards, filled in {time.perf_counter() - started:.1f} s")
            settings = StudySettings()
            day = learner_day(NOW, "Europe/Berlin")
            samples = []
            shown = None
            for _ in range(RUNS):
                started = time.perf_counter()
                queue = await db.study_queue(LEARNER, day.start)
                shown = choose_next(queue, settings, NOW, day.end)
                samples.append(time.perf_counter() - started)
            assert shown is not None
            counts = []
            for _ in range(RUNS // 3):
                started = time.perf_counter()
                await db.study_due_counts(LEARNER, NOW + timedelta(minutes=20), day.end)
                counts.append(time.perf_counter() - started)
            ok = report("next due card (queue query + choice)", samples)
            report("due counts for the card footer (not in target)", counts)
            return ok


def main() -> int:
    terms, source = glossary()
    print(f"{len(terms)} terms from the {source}; {RUNS} runs each; Python {sys.version.split()[0]}")
    ok = bench_quiz(terms)
    ok = asyncio.run(bench_next_card(terms)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
