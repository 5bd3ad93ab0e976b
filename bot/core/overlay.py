"""A server's own terms on top of the bundled glossary: a small matcher consulted with the big one (no Discord)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.glossary import Term
from bot.core.matching import CHOICES_MAX, SUGGESTIONS_MAX, Choice, Indexed, Matcher, Resolution


@dataclass(frozen=True, slots=True)
class ServerTerm:
    """A term approved in one server: new, or (`overrides`) a correction of the bundled term with its slug."""

    guild_id: int
    term: Term
    overrides: bool
    credit_user_id: int | None  # None: anonymous (the member ran /forgetme)
    approved_by: int
    approved_at: datetime
    base_hash: str = ""  # hash of the bundled text the correction was made against
    suggestion_id: int | None = None


def term_hash(term: Term) -> str:
    """Return a short hash of a term's text, to notice when a bundled term a server overrides changes."""
    digest = hashlib.sha256()
    for part in (term.name, term.module, term.definition, term.example, *term.aliases):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


class Overlay:
    """One server's terms, with their own matcher; built again whenever the server's terms change."""

    def __init__(self, terms: Iterable[ServerTerm]) -> None:
        self.terms = {t.term.slug: t for t in terms}
        self._matcher = Matcher(Indexed(t.term.slug, t.term.name, t.term.aliases) for t in self.terms.values())

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, slug: str) -> ServerTerm | None:
        """Return the server's term with that slug."""
        return self.terms.get(slug)

    def resolve(self, query: str, bundled: Resolution) -> Resolution:
        """Combine this server's answer with the bundled one: exact beats fuzzy, and the server wins a tie."""
        own = self._matcher.resolve(query)
        for found in (own, bundled):
            if found.match is not None and found.match.score >= 100.0:
                return found
        confident = [r for r in (own, bundled) if r.match is not None]
        if confident:
            return max(confident, key=lambda r: r.match.score if r.match else 0.0)
        merged = {m.slug: m for m in (*own.suggestions, *bundled.suggestions)}
        return Resolution(None, tuple(merged.values())[:SUGGESTIONS_MAX])

    def complete(self, query: str, bundled: Sequence[Choice]) -> list[Choice]:
        """Put the server's matching terms first, then the bundled choices, each slug once."""
        own = self._matcher.complete(query) if query.strip() else []
        merged = {c.slug: c for c in (*own, *bundled)}
        return list(merged.values())[:CHOICES_MAX]

    def search(self, text: str) -> list[ServerTerm]:
        """Return the server's terms whose name, aliases or definition hold every word of the text."""
        words = text.casefold().split()
        if not words:
            return []
        hits = []
        for server_term in self.terms.values():
            term = server_term.term
            haystack = " ".join((term.name, *term.aliases, term.definition)).casefold()
            if all(word in haystack for word in words):
                hits.append(server_term)
        return hits
