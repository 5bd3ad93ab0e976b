"""The site's pages as plain data, built from the glossary with no I/O and no Discord imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.glossary import Term
from bot.core.modules import MODULES
from bot.core.normalize import compact, fold, normalize
from bot.site.urls import module_path, term_path

# Words too common to help a search; the browser drops the same ones (they ship in the index).
STOPWORDS = (
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "its",
    "of", "on", "or", "that", "the", "their", "this", "to", "which", "with",
)  # fmt: skip
SEARCH_INDEX_VERSION = 1
SQUEEZED_MAX = 16


@dataclass(frozen=True, slots=True)
class Link:
    """A link to a page: the text to show and the page's path from the site root."""

    name: str
    path: str


@dataclass(frozen=True, slots=True)
class ModulePage:
    """One module: its number, name and terms in syllabus order."""

    number: int
    name: str
    path: str
    terms: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class TermPage:
    """One term with everything its page shows."""

    term: Term
    path: str
    module: Link
    module_number: int
    related: tuple[Link, ...]
    previous: Link | None
    next: Link | None

    @property
    def example_label(self) -> str:
        """Say "Formula" for an example that is one, else "Example"."""
        return "Formula" if "=" in self.term.example else "Example"


@dataclass(frozen=True, slots=True)
class LetterGroup:
    """The terms whose names start with one letter (or `#` for digits and symbols)."""

    letter: str
    anchor: str
    terms: tuple[Link, ...]


@dataclass(frozen=True, slots=True)
class SiteModel:
    """Every page of the site."""

    terms: tuple[TermPage, ...]
    modules: tuple[ModulePage, ...]
    letters: tuple[LetterGroup, ...]

    def pages(self) -> list[str]:
        """Return every HTML page's path from the site root, index first."""
        return ["", *(m.path for m in self.modules), *(t.path for t in self.terms)]


def sort_key(name: str) -> tuple[str, str]:
    """Order names A–Z ignoring case, accents and punctuation."""
    return fold(name), name


def letter_of(name: str) -> str:
    """Return the A–Z letter a name is listed under, or `#`."""
    first = fold(name)[:1].upper()
    return first if "A" <= first <= "Z" else "#"


def build_model(terms: Sequence[Term]) -> SiteModel:
    """Arrange the glossary into pages; raise ValueError on a duplicate slug or a dangling related term."""
    by_slug: dict[str, Term] = {}
    for term in terms:
        if term.slug in by_slug:
            raise ValueError(f"two terms share the slug {term.slug!r}")
        by_slug[term.slug] = term
    links = {slug: Link(term.name, term_path(slug)) for slug, term in by_slug.items()}
    in_module: dict[str, list[Term]] = {module: [] for module in MODULES}
    for term in terms:
        in_module[term.module].append(term)
    modules = tuple(
        ModulePage(number, name, module_path(name), tuple(links[t.slug] for t in in_module[name]))
        for number, name in enumerate(MODULES, start=1)
    )
    pages: list[TermPage] = []
    for page in modules:
        members = in_module[page.name]
        for index, term in enumerate(members):
            missing = [slug for slug in term.related if slug not in links]
            if missing:
                raise ValueError(f"{term.name!r} is related to unknown slugs {missing}")
            pages.append(
                TermPage(
                    term=term,
                    path=links[term.slug].path,
                    module=Link(page.name, page.path),
                    module_number=page.number,
                    related=tuple(links[slug] for slug in term.related),
                    previous=links[members[index - 1].slug] if index > 0 else None,
                    next=links[members[index + 1].slug] if index + 1 < len(members) else None,
                )
            )
    groups: dict[str, list[Link]] = {}
    for term in sorted(terms, key=lambda t: sort_key(t.name)):
        groups.setdefault(letter_of(term.name), []).append(links[term.slug])
    letters = tuple(
        LetterGroup(letter, "letter-" + ("other" if letter == "#" else letter.lower()), tuple(group))
        for letter, group in sorted(groups.items(), key=lambda item: (item[0] != "#", item[0]))
    )
    return SiteModel(tuple(pages), modules, letters)


def _keys(term: Term) -> list[str]:
    """Squeezed names and aliases (`s&op` -> `sop`), as the bot's matcher squeezes them."""
    keys: dict[str, None] = {}
    for text in (term.name, *term.aliases):
        for key in (compact(fold(text)), compact(normalize(text))):
            # Long squeezed names only repeat what the name field finds already.
            if key and len(key) <= SQUEEZED_MAX:
                keys[key] = None
    return list(keys)


def _definition_words(term: Term, skip: set[str]) -> list[str]:
    """Distinct words of the definition worth searching, in order of first use."""
    words: dict[str, None] = {}
    for word in fold(term.definition).split():
        if word not in skip and len(word) > 2:
            words[word] = None
    return list(words)


def search_index(model: SiteModel) -> dict[str, object]:
    """Return the browser's search data: one compact row per term, module names and stopwords.

    A row is `[name, aliases, squeezed keys, definition words, module number, slug]`;
    the browser folds names and aliases the same way `fold` does and indexes them with MiniSearch.
    """
    stop = set(STOPWORDS)
    rows: list[list[object]] = []
    for page in model.terms:
        term = page.term
        named = set(fold(" ".join((term.name, *term.aliases))).split())
        rows.append(
            [
                term.name,
                " | ".join(term.aliases),
                " ".join(_keys(term)),
                " ".join(_definition_words(term, stop | named)),
                page.module_number,
                term.slug,
            ]
        )
    return {
        "version": SEARCH_INDEX_VERSION,
        "modules": list(MODULES),
        "stopwords": list(STOPWORDS),
        "terms": rows,
    }
