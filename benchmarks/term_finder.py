"""Speed of "Explain terms": finding every glossary term in a 2,000-character message.

Prints p50/p99/max per message for the shipped glossary and a synthetic 100,000-term glossary (names of
one to five words drawn from a supply chain vocabulary, each with an acronym), plus the index build time
and memory. Run: python benchmarks/term_finder.py
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Sequence

from bot.config import default_glossary_dir
from bot.core.finder import TermFinder
from bot.core.glossary import load_glossary
from bot.core.matching import Indexed

MESSAGE_CHARS = 2000
RUNS = 2000
_FILLER = (
    "we should look at the plan for next week because the numbers from the plant do not add up and the team "
    "wants to know why the orders keep slipping while the warehouse is full of the wrong items"
)
_VOCAB = (
    "safety stock lead time order quantity demand forecast capacity planning inventory turnover kanban backlog "
    "master production schedule material requirements cycle count supplier carrier freight warehouse slotting "
    "replenishment reorder point service level bullwhip effect takt throughput bottleneck routing yield scrap"
)
FILLER = _FILLER.split()
VOCAB = _VOCAB.split()


def synthetic_terms(count: int, rng: random.Random) -> list[Indexed]:
    """Return `count` made-up terms built from real vocabulary, so keys share words as real ones do."""
    terms, seen = [], set()
    while len(terms) < count:
        words = [rng.choice(VOCAB) for _ in range(rng.randint(1, 5))] + [f"x{len(terms)}"]
        name = " ".join(words).capitalize()
        if name in seen:
            continue
        seen.add(name)
        acronym = "".join(w[0] for w in words).upper() + str(len(terms))
        terms.append(Indexed(f"t{len(terms)}", name, (acronym,)))
    return terms


def message(rng: random.Random, phrases: Sequence[str]) -> str:
    """A chat message of about 2,000 characters: filler with a term every few words and some punctuation."""
    parts: list[str] = []
    size = 0
    while size < MESSAGE_CHARS:
        part = rng.choice(phrases) if rng.random() < 0.2 else rng.choice(FILLER)
        if rng.random() < 0.05:
            part += rng.choice([".", ",", "?", "!"])
        parts.append(part)
        size += len(part) + 1
    return " ".join(parts)[:MESSAGE_CHARS]


def measure(label: str, terms: list[Indexed], rng: random.Random) -> None:
    started = time.perf_counter()
    finder = TermFinder(terms)
    build = time.perf_counter() - started
    tracemalloc.start()
    TermFinder(terms)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    gc.collect()
    phrases = [t.name for t in rng.sample(terms, min(500, len(terms)))]
    phrases += [t.aliases[0] for t in terms[:200] if t.aliases]
    messages = [message(rng, phrases) for _ in range(RUNS)]
    every_word = " ".join(t.name for t in terms[:400])[:MESSAGE_CHARS]
    messages += [every_word] * 50
    times, cpu = [], []
    found = 0
    for text in messages:
        started, started_cpu = time.perf_counter(), time.thread_time()
        result = finder.find(text)
        cpu.append(time.thread_time() - started_cpu)
        times.append(time.perf_counter() - started)
        found += len(result.terms)
    times.sort()
    cpu.sort()
    p50 = statistics.median(times) * 1000
    p99 = times[int(len(times) * 0.99)] * 1000
    print(
        f"{label:<28} keys {len(finder):>7,}  build {build:5.2f} s  index memory {peak / 2**20:5.1f} MiB\n"
        f"{'':<28} per 2,000-char message: p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {times[-1] * 1000:.2f} ms "
        f"(CPU time: p99 {cpu[int(len(cpu) * 0.99)] * 1000:.2f} ms; wall time includes waiting for a shared core)  "
        f"{found / len(messages):.1f} terms found on average"
    )


def main() -> None:
    rng = random.Random(16)
    shipped = [Indexed(t.slug, t.name, t.aliases) for t in load_glossary(default_glossary_dir())]
    measure(f"shipped glossary ({len(shipped):,})", shipped, rng)
    measure("synthetic (100,000 terms)", synthetic_terms(100_000, rng), rng)


if __name__ == "__main__":
    main()
