"""Static site build: time and sizes for the shipped glossary and for a 5,000-term glossary.

The 5,000-term glossary is the shipped one plus synthetic variants of its entries (new names, slugs
and related links within the copy), so pages have realistic lengths. Run from the project root:
    .venv/bin/python benchmarks/site_build.py
"""

from __future__ import annotations

import gzip
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import default_glossary_dir
from bot.core.glossary import Term, load_glossary
from bot.site.build import SEARCH_INDEX, build_site

TARGET = 5_000


def grown(terms: list[Term], size: int) -> list[Term]:
    """The glossary plus renamed copies of its entries (related to the originals), up to `size` terms."""
    out = list(terms)
    copy = 1
    while len(out) < size:
        suffix = f"variant {copy}"
        for term in terms[: size - len(out)]:
            out.append(
                replace(
                    term,
                    slug=f"{term.slug}-variant-{copy}",
                    name=f"{term.name} ({suffix})",
                    aliases=tuple(f"{alias} ({suffix})" for alias in term.aliases),
                )
            )
        copy += 1
    return out


def measure(label: str, terms: list[Term]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        started = time.perf_counter()
        report = build_site(terms, out, "https://glossary.example.org/")
        seconds = time.perf_counter() - started
        index = (out / SEARCH_INDEX).read_bytes()
        home = (out / "index.html").read_bytes()
        page_sizes = sorted(p.stat().st_size for p in (out / "terms").glob("*/index.html"))
        print(f"{label}: {len(terms):,} terms")
        print(f"  build time        {seconds:6.2f} s  ({report.pages:,} pages, {report.files:,} files)")
        print(f"  total size        {report.total_bytes / 1e6:6.2f} MB")
        packed = len(gzip.compress(index)) / 1e3
        print(f"  search index      {report.index_bytes / 1e3:6.0f} kB  ({packed:.0f} kB gzipped)")
        print(f"  index.html        {len(home) / 1e3:6.0f} kB  ({len(gzip.compress(home)) / 1e3:.0f} kB gzipped)")
        print(f"  term page median  {page_sizes[len(page_sizes) // 2] / 1e3:6.1f} kB")


def main() -> None:
    shipped = load_glossary(default_glossary_dir())
    measure("shipped glossary", shipped)
    measure("synthetic glossary", grown(shipped, TARGET))


if __name__ == "__main__":
    main()
