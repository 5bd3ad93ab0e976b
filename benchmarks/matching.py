"""Speed, accuracy and memory of /term resolution and autocomplete.

Prints figures side by side for the shipped glossary and a synthetic 100,000-term glossary,
against difflib.get_close_matches as the baseline. Run: python benchmarks/matching.py
"""

from __future__ import annotations

import asyncio
import difflib
import random
import resource
import string
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.config import default_glossary_dir
from bot.core.glossary import Term
from bot.core.matching import Indexed, Matcher
from bot.core.normalize import normalize
from bot.db import Database
from bot.services.glossary import GlossaryService

NONSENSE = [
    "pizza recipe",
    "how do i bake bread",
    "football scores",
    "weather tomorrow",
    "purple elephant",
    "guitar chords",
    "taylor swift",
    "quantum chromodynamics",
    "knitting needles",
    "banana split",
    "hello there",
    "xyzzy",
    "asdfgh",
    "qwerty uiop",
    "lol",
    "birthday party",
    "netflix password",
    "dragon slayer",
    "moon landing hoax",
    "chess opening",
    "volcano eruption",
    "poetry slam",
    "skateboard tricks",
    "jazz saxophone",
    "horoscope",
    "wedding dress",
    "cat videos",
    "sourdough starter",
    "mountain bike",
    "ice cream flavours",
    "haiku about rain",
    "zebra stripes",
    "tennis racket",
    "opera singer",
    "surfboard wax",
    "pirate ship",
    "magic tricks",
    "garden gnome",
    "yoga poses",
    "ukulele",
]


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def timed(fn: Callable[[str], object], queries: Sequence[str], repeat: int = 1) -> tuple[float, float, float]:
    """Return p50 ms, p99 ms and queries per second."""
    samples = []
    start = time.perf_counter()
    for _ in range(repeat):
        for query in queries:
            t0 = time.perf_counter()
            fn(query)
            samples.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    p50, p99 = percentiles(samples)
    return p50, p99, len(samples) / total


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "double", "replace"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]


def labelled_queries(terms: Sequence[Term], rng: random.Random, count: int = 600) -> list[tuple[str, str, str]]:
    """(query, expected slug, kind): typos, plurals, word order, abbreviations, punctuation, case."""
    out: list[tuple[str, str, str]] = []
    pool = [t for t in terms if len(t.name) >= 4]
    for term in rng.sample(pool, min(count, len(pool))):
        words = term.name.split()
        kind = rng.choice(["typo", "plural", "order", "alias", "punct", "case"])
        if kind == "typo":
            longest = max(range(len(words)), key=lambda i: len(words[i]))
            words[longest] = typo(words[longest].lower(), rng)
            query = " ".join(words)
        elif kind == "plural":
            query = term.name + ("es" if term.name.endswith(("s", "x", "ch", "sh")) else "s")
        elif kind == "order" and len(words) >= 2:
            rng.shuffle(words)
            query = " ".join(words)
        elif kind == "alias" and term.aliases:
            query = rng.choice(term.aliases)
        elif kind == "punct":
            query = term.name.replace(" ", "-") + "?"
        else:
            kind = "case"
            query = term.name.upper()
        out.append((query, term.slug, kind))
    return out


def synthetic(n: int, rng: random.Random) -> list[Indexed]:
    vocab = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 11))) for _ in range(6000)]
    seen: set[str] = set()
    out: list[Indexed] = []
    while len(out) < n:
        name = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 4)))
        key = normalize(name)
        if key in seen:
            continue
        seen.add(key)
        out.append(Indexed(f"t{len(out)}", name.capitalize()))
    return out


def mixed_queries(names: Sequence[str], rng: random.Random, n: int = 400) -> list[str]:
    queries = []
    for name in rng.sample(list(names), min(n, len(names))):
        words = name.lower().split()
        choice = rng.random()
        if choice < 0.4:
            words[0] = typo(words[0], rng)
        elif choice < 0.6 and len(words) > 1:
            words.reverse()
        queries.append(" ".join(words))
    return queries + [rng.choice(NONSENSE) for _ in range(n // 10)]


def prefixes(names: Sequence[str], rng: random.Random, n: int = 1000) -> list[str]:
    out = []
    for name in rng.sample(list(names), min(n, len(names))):
        text = name.lower()
        out.append(text[: rng.randint(1, min(len(text), 12))])
    return out


def bench_index(label: str, entries: list[Indexed], rng: random.Random) -> None:
    t0 = time.perf_counter()
    matcher = Matcher(entries)
    build = time.perf_counter() - t0
    names = [e.name for e in entries]
    lowered = [n.lower() for n in names]
    queries = mixed_queries(names, rng)
    partial = prefixes(names, rng)
    reps = 3 if len(entries) < 10_000 else 1
    r50, r99, rqps = timed(matcher.resolve, queries, reps)
    a50, a99, aqps = timed(matcher.complete, partial, reps)
    base_queries = queries[: 200 if len(entries) < 10_000 else 25]
    d50, d99, dqps = timed(lambda q: difflib.get_close_matches(q.lower(), lowered, n=5, cutoff=0.6), base_queries)
    print(f"\n## {label}: {len(entries):,} terms (index built in {build * 1000:.0f} ms)")
    print(f"{'operation':<34}{'p50 ms':>10}{'p99 ms':>10}{'queries/s':>12}")
    print(f"{'/term resolve (mixed queries)':<34}{r50:>10.3f}{r99:>10.3f}{rqps:>12,.0f}")
    print(f"{'autocomplete (1-12 char prefixes)':<34}{a50:>10.3f}{a99:>10.3f}{aqps:>12,.0f}")
    print(f"{'difflib.get_close_matches':<34}{d50:>10.3f}{d99:>10.3f}{dqps:>12,.0f}")
    print(f"speed-up over difflib (resolve, mean): {rqps / dqps:,.0f}x")


async def load_shipped() -> tuple[list[Term], float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        db = await Database.open(path)
        await GlossaryService.load(db, default_glossary_dir())
        cold = time.perf_counter() - t0
        await db.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        db = await Database.open(path)
        _, report = await GlossaryService.load(db, default_glossary_dir())
        warm = time.perf_counter() - t0
        assert not report.reloaded
        terms = await db.load_terms()
        await db.close()
    return terms, cold, warm, rss


def main() -> None:
    rng = random.Random(20261125)
    terms, cold, warm, rss = asyncio.run(load_shipped())
    print("# TermiKnowledge matching benchmark")
    print(
        f"Python {sys.version.split()[0]}; shipped glossary: {len(terms):,} terms, "
        f"{sum(len(t.aliases) for t in terms):,} aliases"
    )
    print(
        f"start-up to 'glossary loaded': first start {cold * 1000:.0f} ms (parse, validate, write SQLite, index); "
        f"later starts {warm * 1000:.0f} ms"
    )
    print(f"peak memory (max RSS) after loading the shipped glossary: {rss / 1024:.1f} MB")

    matcher = Matcher(Indexed(t.slug, t.name, t.aliases) for t in terms)
    labelled = labelled_queries(terms, rng)
    by_kind: dict[str, list[bool]] = {}
    for query, slug, kind in labelled:
        result = matcher.resolve(query)
        by_kind.setdefault(kind, []).append(result.match is not None and result.match.slug == slug)
    hits = sum(sum(v) for v in by_kind.values())
    print(
        f"\ntop-1 accuracy on {len(labelled)} labelled queries: {hits / len(labelled):.1%}  "
        + ", ".join(f"{k} {sum(v) / len(v):.0%} (n={len(v)})" for k, v in sorted(by_kind.items()))
    )
    gibberish = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 14))) for _ in range(200)]
    nonsense = NONSENSE + gibberish
    rejected = sum(matcher.resolve(q).match is None for q in nonsense)
    silent = sum(not matcher.resolve(q).suggestions and matcher.resolve(q).match is None for q in nonsense)
    print(
        f"nonsense correctly rejected (no confident match): {rejected / len(nonsense):.1%} of {len(nonsense)}; "
        f"with no suggestions at all: {silent / len(nonsense):.1%}"
    )
    failures = [(q, s) for q, s, _ in labelled if (r := matcher.resolve(q)).match is None or r.match.slug != s]
    if failures:
        print("sample misses:", "; ".join(f"{q!r}->{s}" for q, s in failures[:8]))

    bench_index("shipped glossary", [Indexed(t.slug, t.name, t.aliases) for t in terms], rng)
    bench_index("synthetic glossary", synthetic(100_000, rng), rng)
    print(
        f"\npeak memory (max RSS) at the end, with the 100,000-term index: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB"
    )


if __name__ == "__main__":
    main()
