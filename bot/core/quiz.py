"""Multiple-choice questions over the glossary: generation with plausible distractors, and grading.

A question shows either a term and asks for its definition (`QuizMode.DEFINITION`) or a definition
and asks for its term (`QuizMode.TERM`). Distractors come from the answer's module when it has
enough terms, are the candidates closest in length to the answer's text (so length gives nothing
away), are never a synonym or alias of the answer and never repeat a text already on offer.
Everything random goes through the `random.Random` the caller passes in.
"""

from __future__ import annotations

import random
import re
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.errors import UserFacingError
from bot.core.glossary import Term
from bot.core.normalize import compact, normalize

OPTIONS = 4
LETTERS = "ABCD"
NEAREST = 6  # distractors are drawn from this many candidates closest in length, for variety
POINTS_CORRECT = 1  # per right answer to a public question
QUESTION_SECONDS_DEFAULT = 60
QUESTION_SECONDS_MIN = 15
QUESTION_SECONDS_MAX = 900  # 15 min: inside the lifetime of the interaction that posted it
MASK = "▢▢▢"
# Wording that says two terms are one and the same; what follows is compared with the other's names.
_SAME = re.compile(
    r"\b(?:same(?: \w+){0,2} as|synonym(?:ous)?(?: with| of| for)?|also (?:called|known as)|"
    r"another name for|equivalent to|identical to|short for|abbreviation (?:of|for)|see)\b"
)
_TAIL_WORDS = 6


class QuizMode(StrEnum):
    """What a question shows and what it asks for."""

    DEFINITION = "definition"  # show a term, pick its definition
    TERM = "term"  # show a definition, pick its term


class QuizError(UserFacingError, ValueError):
    """No question can be made from what was asked; the message says why."""


@dataclass(frozen=True, slots=True)
class Question:
    """A generated question: the answer's slug, the four options (slugs) and where the answer is."""

    slug: str
    mode: QuizMode
    options: tuple[str, ...]
    answer: int

    def is_correct(self, choice: int) -> bool:
        """Return whether an option index is the right answer."""
        if not 0 <= choice < len(self.options):
            raise QuizError(f"there is no option {choice}")
        return choice == self.answer


@dataclass(frozen=True, slots=True)
class Tally:
    """How a closed question was answered: answers per option and how many were right."""

    counts: tuple[int, ...]
    answer: int

    @property
    def total(self) -> int:
        """Return the number of answers."""
        return sum(self.counts)

    @property
    def right(self) -> int:
        """Return the number of right answers."""
        return self.counts[self.answer]


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """A question as stored: where it was asked, by whom, and when it closes."""

    id: int
    question: Question
    public: bool
    guild_id: int | None
    channel_id: int | None
    message_id: int | None
    asked_by: int | None
    created_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None

    def is_open(self, now: datetime) -> bool:
        """Return whether answers are still accepted at `now`."""
        return self.closed_at is None and (self.closes_at is None or now < self.closes_at)


def points_for(correct: bool, public: bool) -> int:
    """Return the leaderboard points an answer earns (only right answers to public questions count)."""
    return POINTS_CORRECT if correct and public else 0


def tally(question: Question, choices: Iterable[int]) -> Tally:
    """Count the answers given to each option."""
    counts = [0] * len(question.options)
    for choice in choices:
        if 0 <= choice < len(counts):
            counts[choice] += 1
    return Tally(tuple(counts), question.answer)


def check_seconds(seconds: int) -> int:
    """Return a question's time limit if it is within the allowed range."""
    if not QUESTION_SECONDS_MIN <= seconds <= QUESTION_SECONDS_MAX:
        raise QuizError(f"The time limit must be between {QUESTION_SECONDS_MIN} and {QUESTION_SECONDS_MAX} seconds.")
    return seconds


def mask_term(definition: str, term: Term) -> str:
    """Hide the term's own name and aliases inside its definition, so the prompt does not give it away."""
    lowered = definition.casefold()
    names = sorted({n for n in (term.name, *term.aliases) if len(n) >= 2}, key=len, reverse=True)
    names = [n for n in names if n.casefold() in lowered]  # most definitions never name their term
    if not names:
        return definition
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?:s|es)?(?!\w)", re.IGNORECASE)
    return pattern.sub(MASK, definition)


def _display_key(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class _Entry:
    term: Term
    keys: frozenset[str]  # normalized and compacted name and aliases
    same_tails: tuple[str, ...]  # what follows "same as", "also called"… in the definition
    masked: str  # the definition with the term's own names hidden, as questions show it
    name_key: str
    definition_key: str  # of the masked definition: two texts that look the same count as one

    def length(self, mode: QuizMode) -> int:
        """Return the length of the text this term shows as an option in `mode`."""
        return len(self.term.definition) if mode is QuizMode.DEFINITION else len(self.term.name)


class QuizBank:
    """The glossary prepared for fast question generation (build once per glossary load)."""

    def __init__(self, terms: Sequence[Term]) -> None:
        self._entries: dict[str, _Entry] = {}
        self._by_module: dict[str, list[_Entry]] = {}
        for term in terms:
            keys = {normalize(n) for n in (term.name, *term.aliases)}
            keys |= {compact(k) for k in keys}
            keys.discard("")
            masked = mask_term(term.definition, term)
            entry = _Entry(
                term=term,
                keys=frozenset(keys),
                same_tails=tuple(_tails(term.definition)),
                masked=masked,
                name_key=_display_key(term.name),
                definition_key=_display_key(masked),
            )
            self._entries[term.slug] = entry
            self._by_module.setdefault(term.module, []).append(entry)
        # Every term sorted by the length of each text a question can show, for the cross-module fallback.
        self._by_length: dict[QuizMode, list[_Entry]] = {}
        self._lengths: dict[QuizMode, list[int]] = {}
        for mode in QuizMode:
            ordered = sorted(self._entries.values(), key=lambda e: (e.length(mode), e.term.slug))
            self._by_length[mode] = ordered
            self._lengths[mode] = [e.length(mode) for e in ordered]

    def __len__(self) -> int:
        return len(self._entries)

    def layered(self, terms: Sequence[Term]) -> QuizBank:
        """Return a bank with these terms added (replacing any with the same slug), sharing the rest with this one.

        For a server's own terms: only the new terms are indexed, so it costs milliseconds, not a full build.
        """
        extra = QuizBank(terms)
        replaced = set(extra._entries)
        bank = QuizBank(())
        bank._entries = {**self._entries, **extra._entries}
        bank._by_module = {m: [e for e in es if e.term.slug not in replaced] for m, es in self._by_module.items()}
        for module, entries in extra._by_module.items():
            bank._by_module.setdefault(module, []).extend(entries)
        for mode in QuizMode:
            ordered = [e for e in self._by_length[mode] if e.term.slug not in replaced]
            for entry in extra._by_length[mode]:
                insort(ordered, entry, key=lambda e, m=mode: (e.length(m), e.term.slug))  # type: ignore[misc]
            bank._by_length[mode] = ordered
            bank._lengths[mode] = [e.length(mode) for e in ordered]
        return bank

    def term(self, slug: str) -> Term | None:
        """Return a term of the bank by slug."""
        entry = self._entries.get(slug)
        return entry.term if entry else None

    def question(
        self,
        rng: random.Random,
        *,
        mode: QuizMode | None = None,
        module: str | None = None,
        slug: str | None = None,
    ) -> Question:
        """Make a question about `slug` (or a random term of `module`, or of the whole glossary)."""
        if slug is not None:
            answer = self._entries.get(slug)
            if answer is None:
                raise QuizError("That term is no longer in the glossary.")
        else:
            pool = self._by_module.get(module, []) if module else list(self._entries.values())
            if not pool:
                raise QuizError("There are no terms to ask about here yet.")
            answer = rng.choice(pool)
        chosen_mode = mode if mode is not None else rng.choice(list(QuizMode))
        distractors = self._distractors(answer, chosen_mode, rng)
        if len(distractors) < OPTIONS - 1:
            raise QuizError("The glossary has too few distinct terms to make a question.")
        options = [answer.term.slug, *(d.term.slug for d in distractors)]
        rng.shuffle(options)
        return Question(answer.term.slug, chosen_mode, tuple(options), options.index(answer.term.slug))

    def prompt(self, question: Question) -> str:
        """Return what the question shows: the term's name, or its definition with the name hidden."""
        entry = self._require(question.slug)
        return entry.term.name if question.mode is QuizMode.DEFINITION else entry.masked

    def option_texts(self, question: Question) -> list[str]:
        """Return the text of each option (definitions or names, according to the mode)."""
        entries = [self._require(slug) for slug in question.options]
        return [e.masked if question.mode is QuizMode.DEFINITION else e.term.name for e in entries]

    def _require(self, slug: str) -> _Entry:
        entry = self._entries.get(slug)
        if entry is None:
            raise QuizError("A term in this question is no longer in the glossary.")
        return entry

    def _distractors(self, answer: _Entry, mode: QuizMode, rng: random.Random) -> list[_Entry]:
        target = answer.length(mode)
        taken = {_shown_key(answer, mode)}
        same_module = [e for e in self._by_module.get(answer.term.module, []) if e is not answer]
        same_module.sort(key=lambda e: (abs(e.length(mode) - target), e.term.slug))
        chosen = self._draw(answer, mode, same_module, taken, rng, OPTIONS - 1)
        if len(chosen) < OPTIONS - 1:
            # A small module: fill up with the glossary's terms closest in length.
            excluded = {e.term.slug for e in chosen} | {answer.term.slug}
            nearest = (e for e in self._nearest(mode, target) if e.term.slug not in excluded)
            chosen += self._draw(answer, mode, nearest, taken, rng, OPTIONS - 1 - len(chosen))
        return chosen

    def _draw(
        self,
        answer: _Entry,
        mode: QuizMode,
        candidates: Iterable[_Entry],
        taken: set[str],
        rng: random.Random,
        wanted: int,
    ) -> list[_Entry]:
        """Pick `wanted` acceptable candidates at random among the nearest acceptable ones."""
        pool: list[_Entry] = []
        pool_keys: set[str] = set()
        for entry in candidates:
            key = _shown_key(entry, mode)
            if key in taken or key in pool_keys or _synonyms(answer, entry):
                continue
            pool.append(entry)
            pool_keys.add(key)
            if len(pool) >= max(NEAREST, wanted):
                break
        picked: list[_Entry] = []
        for entry in rng.sample(pool, len(pool)):
            key = _shown_key(entry, mode)
            # Two candidates may be synonyms of each other: keep only one of them.
            if key in taken or any(_synonyms(entry, other) for other in picked):
                continue
            picked.append(entry)
            taken.add(key)
            if len(picked) == wanted:
                break
        return picked

    def _nearest(self, mode: QuizMode, target: int) -> Iterator[_Entry]:
        """Yield every term, nearest in length to `target` first."""
        entries, lengths = self._by_length[mode], self._lengths[mode]
        right = bisect_left(lengths, target)
        left = right - 1
        while left >= 0 or right < len(entries):
            if right >= len(entries) or (left >= 0 and target - lengths[left] <= lengths[right] - target):
                yield entries[left]
                left -= 1
            else:
                yield entries[right]
                right += 1


def _shown_key(entry: _Entry, mode: QuizMode) -> str:
    return entry.definition_key if mode is QuizMode.DEFINITION else entry.name_key


def _tails(definition: str) -> Iterator[str]:
    """Yield the normalized words after each "same as"-like phrase of a definition."""
    lowered = definition.casefold()  # cheap; only the few tails found get the full normalisation
    for match in _SAME.finditer(lowered):
        words = normalize(lowered[match.end() : match.end() + 120]).split()[:_TAIL_WORDS]
        if words:
            yield " ".join(words)


def _names_in(tails: Sequence[str], keys: frozenset[str]) -> bool:
    return any(tail == key or tail.startswith(key + " ") for tail in tails for key in keys)


def _synonyms(a: _Entry, b: _Entry) -> bool:
    """Return whether two terms share a name or alias, or one's definition says it is the other."""
    if a.keys & b.keys:
        return True
    return _names_in(a.same_tails, b.keys) or _names_in(b.same_tails, a.keys)
