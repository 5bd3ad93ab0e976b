"""The glossary as the bot and the CLI use it: the database plus an in-memory matcher."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.core.cards import TermCard, term_card
from bot.core.finder import Findings, TermFinder
from bot.core.glossary import GlossaryError, Term, content_hash, load_glossary, source_files
from bot.core.matching import CHOICES_MAX, Choice, Indexed, Matcher, Resolution
from bot.core.modules import MODULES
from bot.core.normalize import scrub
from bot.core.overlay import Overlay, ServerTerm
from bot.core.query import clean_query
from bot.core.ranking import rank_hits
from bot.db.repositories import GlossaryRepository, SearchHit
from bot.services.overlays import ServerMisses, search_with_overlay
from bot.site.urls import term_url

log = logging.getLogger(__name__)

SEARCH_RERANK = 200  # full-text hits re-ordered so the named term comes first; later pages keep bm25 order


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What happened to the glossary source on start."""

    reloaded: bool
    terms: int
    problems: tuple[str, ...] = ()


class GlossaryService:
    """Look terms up, autocomplete, search and browse; count lookups and misses."""

    def __init__(
        self, db: GlossaryRepository, terms: list[Term], starters: list[str], site_url: str | None = None
    ) -> None:
        self.db = db
        self.site_url = site_url
        self._terms = {term.slug: term for term in terms}
        self._by_module: dict[str, list[Term]] = {module: [] for module in MODULES}
        for term in terms:
            self._by_module[term.module].append(term)
        self._matcher = Matcher(Indexed(t.slug, t.name, t.aliases) for t in terms)
        self._finder = TermFinder(Indexed(t.slug, t.name, t.aliases) for t in terms)
        self._starters = starters
        self._lookups: Counter[str] = Counter()
        self._misses: dict[str, tuple[str, int]] = {}
        # Each server's own terms, consulted only for that server: the bundled path stays as it was.
        self._overlays: dict[int, Overlay] = {}
        self._server_finders: dict[int, tuple[Overlay, TermFinder]] = {}
        self.server_misses = ServerMisses()

    @classmethod
    async def load(
        cls, db: GlossaryRepository, source: Path, *, site_url: str | None = None
    ) -> tuple[GlossaryService, LoadReport]:
        """Sync the database with the source files when they changed, then build the index.

        A malformed source leaves the previous glossary in place; with no previous glossary
        the GlossaryError propagates.
        """
        report = LoadReport(reloaded=False, terms=0)
        new_hash = await asyncio.to_thread(_source_hash, source)
        if new_hash is None or new_hash != await db.get_meta("glossary_hash"):
            try:
                parsed = await asyncio.to_thread(load_glossary, source)
            except GlossaryError as exc:
                problems = tuple(str(p) for p in exc.problems)
                if not await db.get_meta("glossary_hash"):
                    raise
                log.error("Glossary source has %d problem(s); keeping the previous glossary", len(problems))
                for problem in problems[:20]:
                    log.error("  %s", problem)
                report = LoadReport(reloaded=False, terms=0, problems=problems)
            else:
                assert new_hash is not None
                await db.replace_glossary(parsed, new_hash)
                log.info("Loaded %d glossary terms from %s", len(parsed), source)
                report = LoadReport(reloaded=True, terms=len(parsed))
        terms = await db.load_terms()
        service = cls(db, terms, await db.popular(CHOICES_MAX), site_url)
        return service, LoadReport(report.reloaded, len(terms), report.problems)

    def __len__(self) -> int:
        return len(self._terms)

    def get(self, slug: str, guild_id: int | None = None) -> Term | None:
        """Return a term by slug; in a server, its own version first."""
        overlay = self._overlays.get(guild_id) if guild_id is not None else None
        if overlay is not None and (own := overlay.get(slug)) is not None:
            return own.term
        return self._terms.get(slug)

    def set_server_terms(self, guild_id: int, terms: list[ServerTerm]) -> None:
        """Replace a server's overlay (after an approval or a removal); live for its next lookup."""
        if terms:
            self._overlays[guild_id] = Overlay(terms)
        else:
            self._overlays.pop(guild_id, None)

    def overlay_of(self, guild_id: int) -> Overlay | None:
        """Return a server's overlay (a new object whenever its terms change), if it has terms of its own."""
        return self._overlays.get(guild_id)

    def server_term(self, slug: str, guild_id: int | None) -> ServerTerm | None:
        """Return the server's own term (new or correction) with that slug."""
        overlay = self._overlays.get(guild_id) if guild_id is not None else None
        return overlay.get(slug) if overlay is not None else None

    def server_terms(self, guild_id: int) -> list[ServerTerm]:
        """Return a server's own terms."""
        overlay = self._overlays.get(guild_id)
        return list(overlay.terms.values()) if overlay is not None else []

    def bundled(self, slug: str) -> Term | None:
        """Return the bundled term with that slug, ignoring any server's version."""
        return self._terms.get(slug)

    def card(self, term: Term) -> TermCard:
        """Return a term's card (its related terms named, those that left the glossary dropped)."""
        return term_card(term, self._name_of, term_url(self.site_url, term.slug))

    def _name_of(self, slug: str) -> str | None:
        term = self._terms.get(slug)
        return term.name if term is not None else None

    def resolve(self, query: str, guild_id: int | None = None) -> Resolution:
        """Match a query without touching the database (fast; safe in autocomplete)."""
        query = scrub(query[:200])
        bundled = self._matcher.resolve(query)
        overlay = self._overlays.get(guild_id) if guild_id is not None else None
        return bundled if overlay is None else overlay.resolve(query, bundled)

    def find_terms(self, text: str, guild_id: int | None = None) -> Findings:
        """Return the terms named in free text (a message), in order of appearance (fast; no database).

        In a server with terms of its own, they are found too (and a correction under its new name).
        """
        overlay = self._overlays.get(guild_id) if guild_id is not None else None
        if overlay is None or guild_id is None:
            return self._finder.find(text)
        cached = self._server_finders.get(guild_id)
        if cached is None or cached[0] is not overlay:  # built once per version of the server's terms
            own = [Indexed(t.term.slug, t.term.name, t.term.aliases) for t in overlay.terms.values()]
            rest = [Indexed(t.slug, t.name, t.aliases) for t in self._terms.values() if t.slug not in overlay.terms]
            cached = (overlay, TermFinder([*own, *rest]))  # the server's names first: the first owner wins
            self._server_finders[guild_id] = cached
        return cached[1].find(text)

    def complete(self, query: str, guild_id: int | None = None) -> list[Choice]:
        """Return autocomplete choices; an empty query offers popular or core terms."""
        choices = self._matcher.complete(query[:200], self.starters())
        overlay = self._overlays.get(guild_id) if guild_id is not None else None
        return choices if overlay is None else overlay.complete(query[:200], choices)

    def starters(self) -> list[str]:
        """Return the terms to offer before anything is typed: popular first, then core terms."""
        firsts = [terms[0].slug for terms in self._by_module.values() if terms]
        seconds = [terms[1].slug for terms in self._by_module.values() if len(terms) > 1]
        return list(dict.fromkeys([*self._starters, *firsts, *seconds]))[:CHOICES_MAX]

    def record(self, query: str, resolution: Resolution, guild_id: int | None = None) -> None:
        """Count a lookup, or a miss when nothing was close, in memory; `flush_stats` writes the counts."""
        query = scrub(query)
        if resolution.match is not None:
            self._lookups[resolution.match.slug] += 1
        elif not resolution.suggestions and (key := clean_query(query)[:200]):
            shown, count = self._misses.get(key, (query, 0))
            self._misses[key] = (shown, count + 1)
            if guild_id is not None:
                self.server_misses.count(guild_id, key, query)

    @property
    def pending_stats(self) -> int:
        """Return how many lookups and misses are counted but not written yet."""
        return sum(self._lookups.values()) + sum(count for _, count in self._misses.values())

    async def flush_stats(self) -> int:
        """Write the counted lookups and misses in one transaction; return how many; keep them if it fails.

        Statistics never cost a learner an answer: they are counted in memory on the hot path and written
        in batches (on a timer and at shutdown), so a learner's own write never queues behind them.
        """
        await self.server_misses.flush(self.db)  # the same misses, counted per server for the gap report
        lookups, misses = self._lookups, self._misses
        if not lookups and not misses:
            return 0
        self._lookups, self._misses = Counter(), {}
        written = sum(lookups.values()) + sum(count for _, count in misses.values())
        try:
            await self.db.record_usage(lookups, misses)
        except Exception as exc:  # any backend; statistics must never take the bot down
            log.warning("Could not write %d statistics yet (kept for the next try): %s", written, exc)
            self._lookups.update(lookups)
            for key, (shown, count) in misses.items():
                _, newer = self._misses.get(key, (shown, 0))
                self._misses[key] = (shown, count + newer)
            return 0
        return written

    def module_terms(self, module: str) -> list[Term]:
        """Return a module's terms in glossary order (core vocabulary first)."""
        return self._by_module.get(module, [])

    def syllabus(self) -> list[Term]:
        """Return every term in syllabus order: module by module, core vocabulary first."""
        return [term for terms in self._by_module.values() for term in terms]

    def module_counts(self) -> Counter[str]:
        """Return the number of terms in each module."""
        return Counter({module: len(terms) for module, terms in self._by_module.items()})

    def random_term(self, rng: random.Random, module: str | None = None, guild_id: int | None = None) -> Term | None:
        """Pick a random term, optionally from one module; in a server, its own terms are in the draw."""
        pool = self.module_terms(module) if module else list(self._terms.values())
        own = [t.term for t in self.server_terms(guild_id)] if guild_id is not None else []
        if own:
            mine = {t.slug: t for t in own if module is None or t.module == module}
            pool = [*(mine.pop(t.slug, t) for t in pool), *mine.values()]
        return rng.choice(pool) if pool else None

    async def search(
        self, text: str, *, page: int, per_page: int, guild_id: int | None = None
    ) -> tuple[list[SearchHit], int]:
        """Full-text search, one page at a time; returns the hits and the total count.

        A server's own terms come first; then the exact name or alias, then name hits, alias hits and
        definition hits, each in bm25 order.
        """
        text = scrub(text)
        overlay = self._overlays.get(guild_id) if guild_id is not None else None
        if overlay is None:
            return await self._ranked(text, limit=per_page, offset=page * per_page)
        return await search_with_overlay(self._ranked, overlay, text, page=page, per_page=per_page)

    async def _ranked(self, text: str, *, limit: int, offset: int) -> tuple[list[SearchHit], int]:
        if offset >= SEARCH_RERANK:
            return await self.db.search(text, limit=limit, offset=offset)
        hits, total = await self.db.search(text, limit=SEARCH_RERANK)
        shown = rank_hits(text, hits, self._texts)[offset : offset + limit]
        if len(shown) < limit and total > SEARCH_RERANK:  # a page that straddles the re-ordered hits
            more, _ = await self.db.search(text, limit=limit - len(shown), offset=SEARCH_RERANK)
            shown += more
        return shown, total

    def _texts(self, hit: SearchHit) -> tuple[str, tuple[str, ...]]:
        term = self._terms.get(hit.slug)
        return (hit.name, term.aliases if term else ())


def _source_hash(source: Path) -> str | None:
    files = source_files(source) if source.is_dir() else []
    return content_hash(files) if files else None
