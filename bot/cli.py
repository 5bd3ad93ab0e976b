"""The `termiknowledge` command: run the bot, or use the glossary offline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.config import ConfigError, load_settings
from bot.core.glossary import GlossaryError, load_glossary
from bot.core.modules import MODULES


def _validate() -> int:
    settings = load_settings()
    try:
        terms = load_glossary(settings.glossary_dir)
    except GlossaryError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    counts = {module: 0 for module in MODULES}
    for term in terms:
        counts[term.module] += 1
    for number, (module, count) in enumerate(counts.items(), start=1):
        print(f"{number:2d}. {module:<45} {count:5d}")
    print(f"OK: {len(terms)} terms in {sum(1 for c in counts.values() if c)} modules")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen sub-command."""
    parser = argparse.ArgumentParser(prog="termiknowledge")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("validate", help="check the glossary source files")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            return _validate()
    except ConfigError as exc:
        print(f"Configuration problem: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0
