"""Cost of server terms on lookups: /term resolve and autocomplete with and without a server overlay.

Loads the shipped glossary, builds a server overlay of --server-terms terms (half new, half corrections
of bundled terms) and times the same queries three ways: no server (DMs), a server without terms of
its own (the bundled path), and the server with the overlay. Prints microseconds per call.

    .venv/bin/python benchmarks/overlay.py [--server-terms 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import default_glossary_dir  # noqa: E402
from bot.core.glossary import Term, load_glossary  # noqa: E402
from bot.core.overlay import ServerTerm  # noqa: E402
from bot.core.quiz import QuizBank  # noqa: E402
from bot.services.glossary import GlossaryService  # noqa: E402

QUERIES = ("eoq", "safety stok", "what is the bullwhip effect", "inventory turns", "xylophone tuning", "kanban")
PREFIXES = ("inv", "safety", "econ", "ka", "bullw", "dem")
GUILD = 1


def timed(call, items, rounds: int) -> float:
    runs = []
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            call(item)
        runs.append((time.perf_counter() - started) / len(items) * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-terms", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    terms = load_glossary(default_glossary_dir())
    service = GlossaryService(None, terms, [])  # type: ignore[arg-type]  # lookups never touch the database
    now = datetime.now(UTC)
    own = []
    for index in range(args.server_terms):
        if index % 2:
            base = terms[index * 7 % len(terms)]
            term = Term(base.slug, base.name, base.module, base.definition + " (server)", base.example, base.aliases)
            own.append(ServerTerm(GUILD, term, True, 5, 6, now))
        else:
            term = Term(f"local-{index}", f"Local practice {index}", terms[0].module, "x")
            own.append(ServerTerm(GUILD, term, False, 5, 6, now))
    started = time.perf_counter()
    service.set_server_terms(GUILD, own)
    build_ms = (time.perf_counter() - started) * 1e3
    print(f"{len(terms)} bundled terms; overlay of {len(own)} server terms built in {build_ms:.1f} ms")
    bank = QuizBank(terms)
    started = time.perf_counter()
    bank.layered([t.term for t in own])
    print(f"quiz bank for the server: {(time.perf_counter() - started) * 1e3:.1f} ms layered on the shared one")
    print(f"{'':28}{'resolve µs':>12}{'complete µs':>13}")
    cases = (("no server (DM)", None), ("server without own terms", GUILD + 1), ("server with overlay", GUILD))
    for label, guild in cases:
        resolve = timed(lambda q, g=guild: service.resolve(q, g), QUERIES, args.rounds)
        complete = timed(lambda q, g=guild: service.complete(q, g), PREFIXES, args.rounds)
        print(f"{label:28}{resolve:12.0f}{complete:13.0f}")


if __name__ == "__main__":
    main()
