"""Member suggestions for the glossary: the draft's rules, its life cycle and duplicate detection (no Discord)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rapidfuzz import fuzz

from bot.core.errors import UserFacingError
from bot.core.glossary import (
    ALIAS_MAX,
    ALIASES_MAX,
    DEFINITION_MAX,
    DEFINITION_MAX_WORDS,
    DEFINITION_MIN_WORDS,
    EXAMPLE_MAX,
    NAME_MAX,
)
from bot.core.matching import Resolution
from bot.core.modules import find_module
from bot.core.normalize import normalize, scrub

ALIASES_TEXT_MAX = 400  # the modal's aliases field: comma-separated
SIMILAR = 75.0  # spelling similarity (0-100) of two names that makes us ask "is this the same term?"


class State(StrEnum):
    """Where a suggestion is in its life: drafted, queued for moderators, then decided once."""

    DRAFT = "draft"  # written, waiting for the member to confirm past a near-duplicate warning
    OPEN = "open"  # in the review queue
    APPROVED = "approved"
    REJECTED = "rejected"
    DISCARDED = "discarded"  # the member dropped the draft


TRANSITIONS: Mapping[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.OPEN, State.DISCARDED}),
    State.OPEN: frozenset({State.APPROVED, State.REJECTED}),
    State.APPROVED: frozenset(),
    State.REJECTED: frozenset(),
    State.DISCARDED: frozenset(),
}


class SuggestionError(UserFacingError):
    """A suggestion the member must fix, or one that can no longer change; the message says why."""


def check_transition(current: State, new: State) -> None:
    """Refuse a move the life cycle does not allow (e.g. approving twice, or a decided suggestion)."""
    if new not in TRANSITIONS[current]:
        if current in (State.APPROVED, State.REJECTED):
            raise SuggestionError(f"This suggestion was already {current.value}; nothing changed.")
        raise SuggestionError(f"A {current.value} suggestion cannot become {new.value}.")


@dataclass(frozen=True, slots=True)
class Draft:
    """The text of a suggestion: a new term, or (with `target`) a correction of an existing one."""

    name: str
    definition: str
    module: str
    aliases: tuple[str, ...] = ()
    example: str = ""
    target: str | None = None  # slug of the term a correction replaces


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A stored suggestion and its decision."""

    id: int
    guild_id: int
    user_id: int | None  # None once the member ran /forgetme (credit becomes anonymous)
    draft: Draft
    state: State
    created_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    queue_channel_id: int | None = None
    queue_message_id: int | None = None


def split_aliases(text: str) -> tuple[str, ...]:
    """Split the aliases field (commas or new lines), dropping blanks and repeats."""
    parts = [" ".join(part.split()) for chunk in text.splitlines() for part in chunk.split(",")]
    seen: dict[str, str] = {}
    for part in parts:
        if part and normalize(part) not in seen:
            seen[normalize(part)] = part
    return tuple(seen.values())


def parse_draft(
    name: str, definition: str, aliases: str, example: str, module: str, *, target: str | None = None
) -> Draft:
    """Check a modal's fields with the limits `termiknowledge validate` applies; raise listing every problem."""
    name = " ".join(scrub(name).split())
    definition = " ".join(scrub(definition).split())
    example = scrub(example).strip()
    alias_list = split_aliases(scrub(aliases))
    problems: list[str] = []
    if not name or not normalize(name):
        problems.append("the name needs letters or digits")
    elif len(name) > NAME_MAX:
        problems.append(f"the name is {len(name)} characters; at most {NAME_MAX}")
    words = len(definition.split())
    if not DEFINITION_MIN_WORDS <= words <= DEFINITION_MAX_WORDS:
        problems.append(f"the definition has {words} words; write {DEFINITION_MIN_WORDS}-{DEFINITION_MAX_WORDS}")
    if len(definition) > DEFINITION_MAX:
        problems.append(f"the definition is {len(definition)} characters; at most {DEFINITION_MAX}")
    if name and normalize(definition).startswith(normalize(name) + " "):
        problems.append("the definition starts with the term itself; start with what the thing is")
    if len(example) > EXAMPLE_MAX:
        problems.append(f"the example is {len(example)} characters; at most {EXAMPLE_MAX}")
    if len(alias_list) > ALIASES_MAX:
        problems.append(f"{len(alias_list)} aliases; at most {ALIASES_MAX}")
    for alias in alias_list:
        if len(alias) > ALIAS_MAX:
            problems.append(f"the alias “{alias[:40]}…” is longer than {ALIAS_MAX} characters")
        elif not normalize(alias):
            problems.append(f"the alias “{alias}” has no letters or digits")
        elif normalize(alias) == normalize(name):
            problems.append(f"the alias “{alias}” repeats the name")
    chosen = find_module(module) if module.strip() else None
    if chosen is None:
        problems.append("the module must be one of the 30 module names or numbers (1-30)")
    if problems:
        raise SuggestionError("Please fix: " + "; ".join(problems) + ". Nothing was submitted.")
    assert chosen is not None
    return Draft(name, definition, chosen, alias_list, example, target)


def draft_keys(draft: Draft) -> list[str]:
    """Return the normalised name and aliases, the keys that must stay unique."""
    return [key for key in dict.fromkeys(normalize(text) for text in (draft.name, *draft.aliases)) if key]


@dataclass(frozen=True, slots=True)
class Duplicates:
    """What a draft collides with: exact clashes refuse it, similar terms are pointed out first."""

    exact: tuple[tuple[str, str, str], ...] = ()  # (text typed, slug, name of the term that owns it)
    pending: tuple[tuple[str, int], ...] = ()  # (text typed, id of an open suggestion with that name/alias)
    similar: tuple[tuple[str, str], ...] = ()  # (slug, name) of terms that look like the suggested name

    @property
    def blocking(self) -> bool:
        """Whether the draft cannot be submitted at all."""
        return bool(self.exact or self.pending)


def find_duplicates(
    draft: Draft,
    resolve: Callable[[str], Resolution],
    open_keys: Mapping[str, int],
    *,
    own_suggestion: int | None = None,
) -> Duplicates:
    """Check each name and alias against the glossary (via `resolve`) and against open suggestions' keys.

    An exact (score 100) hit on another term blocks; a correction may keep its own term's names.
    A near spelling of another term's name (the matcher's candidates, compared letter by letter) is only
    pointed out, since near names are sometimes distinct terms.
    """
    exact: list[tuple[str, str, str]] = []
    pending: list[tuple[str, int]] = []
    for text in (draft.name, *draft.aliases):
        found = resolve(text)
        match = found.match
        if match is not None and match.score >= 100.0 and match.slug != draft.target:
            exact.append((text, match.slug, match.name))
        other = open_keys.get(normalize(text))
        if other is not None and other != own_suggestion:
            pending.append((text, other))
    similar: list[tuple[str, str]] = []
    if not exact:
        found = resolve(draft.name)
        candidates = [found.match] if found.match is not None else list(found.suggestions)
        similar = [
            (m.slug, m.name)
            for m in candidates
            if m.slug != draft.target and fuzz.ratio(normalize(draft.name), normalize(m.name)) >= SIMILAR
        ][:3]
    return Duplicates(tuple(exact), tuple(pending), tuple(similar))


def describe_duplicates(found: Duplicates) -> str:
    """Say in one friendly paragraph what a draft collides with."""
    lines = []
    for text, _, name in found.exact:
        lines.append(f"“{text}” is already in the glossary as **{name}**")
    for text, number in found.pending:
        lines.append(f"“{text}” is already suggested (suggestion #{number}, waiting for review)")
    if lines:
        return "; ".join(lines) + ". Look it up with `/term`, and use “Suggest a correction” on its card to improve it."
    names = ", ".join(f"**{name}**" for _, name in found.similar)
    return f"This looks close to {names}. If yours is a different term, submit it anyway."


def open_key_index(suggestions: Iterable[Suggestion]) -> dict[str, int]:
    """Map every name and alias key of open suggestions to the suggestion's id."""
    index: dict[str, int] = {}
    for suggestion in suggestions:
        if suggestion.state is State.OPEN:
            for key in draft_keys(suggestion.draft):
                index.setdefault(key, suggestion.id)
    return index
