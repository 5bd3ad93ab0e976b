"""Order full-text search hits the way a learner expects: the term they named first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from bot.core.normalize import compact, normalize
from bot.core.query import query_keys

H = TypeVar("H")

EXACT, NAME, ALIAS, TEXT = range(4)


def search_tier(query: str, name: str, aliases: Sequence[str]) -> int:
    """Return how a term answers a search: EXACT name or alias, every word in its NAME or an ALIAS, or TEXT only.

    Words compare after normalising (case, plurals, spelling); the last query word may be
    unfinished, as in full-text search, so it only has to start a word.
    """
    keys = query_keys(query)
    wanted = {keys.whole, keys.core, compact(keys.core)}
    texts = [normalize(text) for text in (name, *aliases)]
    if any(text in wanted or compact(text) in wanted for text in texts):
        return EXACT
    words = keys.core.split()
    if not words:
        return TEXT
    *whole_words, last = words
    for tier, text in ((NAME, texts[0]), *((ALIAS, alias) for alias in texts[1:])):
        own = text.split()
        if all(word in own for word in whole_words) and any(word.startswith(last) for word in own):
            return tier
    return TEXT


def rank_hits(query: str, hits: Sequence[H], texts: Callable[[H], tuple[str, Sequence[str]]]) -> list[H]:
    """Order hits by tier (exact, name, alias, definition), keeping their relevance order within a tier."""
    tiers = [search_tier(query, *texts(hit)) for hit in hits]
    order = sorted(range(len(hits)), key=tiers.__getitem__)  # stable: bm25 order within a tier
    return [hits[index] for index in order]
