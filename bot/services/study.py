"""Studying as a use case: the learner's day, reviews with FSRS, the deck, settings and progress; no Discord.

Each method returns a plain outcome that the review and progress extensions render; a member's
mistake is a `UserFacingError`. Ratings apply exactly once: the database checks the card's version.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import timedelta

from bot.core.errors import UserFacingError
from bot.core.glossary import Term
from bot.core.modules import MODULES
from bot.core.progress import LearnerDay, ModuleProgress, Streak, learner_day, learner_zone_name, module_progress
from bot.core.progress import streak as streak_of
from bot.core.review import (
    LEARN_AHEAD,
    CardState,
    Grade,
    Reviewer,
    StudyCard,
    StudySettings,
    check_limits,
    check_retention,
    choose_next,
)
from bot.core.timezones import Clock, ZoneDirectory
from bot.db.repositories import StudyRepository
from bot.services.glossary import GlossaryService

ALREADY_RATED = "That card was already rated."


class UnknownZoneError(UserFacingError):
    """A time zone name the bot does not know (the extension quotes it back safely)."""

    def __init__(self, text: str) -> None:
        super().__init__("I don't know that time zone. Pick one from the list, e.g. Europe/Berlin or America/New_York.")
        self.text = text


class UnknownTermError(UserFacingError):
    """A term that matched nothing confidently, with the closest names as a hint."""

    def __init__(self, text: str, hint: str) -> None:
        super().__init__("I couldn't find that term." + (f" Did you mean: {hint}?" if hint else ""))
        self.text = text
        self.hint = hint


@dataclass(frozen=True, slots=True)
class DueCounts:
    """How much is waiting for a learner today."""

    learning: int
    review: int
    new: int
    new_left: int

    def line(self) -> str:
        """Return "3 learning · 10 to review today · 5 new left today"."""
        return f"{self.learning} learning · {self.review} to review today · {self.new_left} new left today"


@dataclass(frozen=True, slots=True)
class NextCard:
    """The front of the next card to study, or (card None) a summary of a finished session."""

    card: StudyCard | None
    term: Term | None
    counts: DueCounts
    settings: StudySettings
    day: LearnerDay
    note: str = ""  # e.g. ALREADY_RATED
    upcoming: list[StudyCard] = field(default_factory=list)  # learning/review cards due later (when done)
    new_leech: Term | None = None  # the card just rated became a leech

    @property
    def deck_empty(self) -> bool:
        """Whether the learner has nothing at all to study."""
        return (
            self.card is None
            and not self.upcoming
            and self.counts.learning + self.counts.review == 0
            and (self.counts.new == 0)
        )


@dataclass(frozen=True, slots=True)
class CardBack:
    """The back of a card: the term, the rating previews and the counts."""

    card: StudyCard
    term: Term
    previews: dict[Grade, timedelta]
    counts: DueCounts


@dataclass(frozen=True, slots=True)
class DeckSummary:
    """What a learner's deck holds."""

    by_module: Counter[str]
    states: Counter[CardState]
    leeches: list[str]


@dataclass(frozen=True, slots=True)
class Progress:
    """A learner's progress by module, streak and what is due."""

    rows: list[ModuleProgress]
    streak: Streak
    due: DueCounts
    leeches: int
    day: LearnerDay


class StudyService:
    """Reviews, the deck, settings and progress of one learner at a time."""

    def __init__(self, db: StudyRepository, glossary: GlossaryService, clock: Clock) -> None:
        self._db = db
        self._glossary = glossary
        self._clock = clock
        self.zones = ZoneDirectory(())
        self.fuzz = True  # FSRS's interval fuzz (random); tests turn it off for exact intervals

    async def prepare(self) -> None:
        """Read the time zone list (about 600 files, read once per process: off the event loop)."""
        self.zones = await asyncio.to_thread(ZoneDirectory.from_system)

    async def learner(self, user_id: int, guild_id: int | None) -> tuple[StudySettings, LearnerDay]:
        """Return a learner's settings and current day (their zone, else the server's, else UTC)."""
        settings = await self._db.study_settings(user_id)
        server = None if settings.timezone else await self._db.study_server_zone(guild_id)
        return settings, learner_day(self._clock(), learner_zone_name(settings.timezone, server))

    async def _counts(self, user_id: int, settings: StudySettings, day: LearnerDay) -> DueCounts:
        learning, review, new = await self._db.study_due_counts(user_id, self._clock() + LEARN_AHEAD, day.end)
        new_today = (await self._db.study_queue(user_id, day.start)).new_today
        return DueCounts(learning, review, new, max(0, min(new, settings.new_per_day - new_today)))

    # -- reviewing ------------------------------------------------------------------------

    async def next_card(self, user_id: int, guild_id: int | None, note: str = "") -> NextCard:
        """Return the learner's next card, or a summary when nothing is due."""
        settings, day = await self.learner(user_id, guild_id)
        queue = await self._db.study_queue(user_id, day.start)
        card = choose_next(queue, settings, self._clock(), day.end)
        learning, review, new = await self._db.study_due_counts(user_id, self._clock() + LEARN_AHEAD, day.end)
        counts = DueCounts(learning, review, new, max(0, min(new, settings.new_per_day - queue.new_today)))
        if card is not None:
            term = self._glossary.get(card.slug)
            assert term is not None  # the queue only holds cards of terms in the glossary
            return NextCard(card, term, counts, settings, day, note)
        upcoming = [c for c in (queue.learning, queue.review) if c is not None]
        return NextCard(None, None, counts, settings, day, note, upcoming)

    async def _own_card(self, user_id: int, card_id: int) -> StudyCard:
        card = await self._db.study_card(card_id)
        if card is None or card.user_id != user_id:
            raise UserFacingError("That card is not in your deck any more. Run `/review` to carry on.")
        return card

    async def reveal(self, user_id: int, guild_id: int | None, card_id: int, reps: int) -> CardBack | NextCard:
        """Turn a card over; a stale message (rated since) moves on to the next card."""
        card = await self._own_card(user_id, card_id)
        if card.reps != reps:
            return await self.next_card(user_id, guild_id, ALREADY_RATED)
        term = self._glossary.get(card.slug)
        if term is None:
            raise UserFacingError("That term has left the glossary. Run `/review` to carry on.")
        settings, day = await self.learner(user_id, guild_id)
        previews = Reviewer(settings.retention, fuzz=False).preview(card, self._clock())
        return CardBack(card, term, previews, await self._counts(user_id, settings, day))

    async def rate(self, user_id: int, guild_id: int | None, card_id: int, reps: int, grade: Grade) -> NextCard:
        """Apply a rating once, then return the next card (with a note for a repeat or a new leech)."""
        card = await self._own_card(user_id, card_id)
        if card.reps == reps:
            settings, day = await self.learner(user_id, guild_id)
            now = self._clock()
            result = Reviewer(settings.retention, fuzz=self.fuzz).review(card, grade, now)
            if await self._db.study_record_review(card, result.card, int(grade), now, day.date):
                following = await self.next_card(user_id, guild_id)
                if result.became_leech:
                    return replace(following, new_leech=self._glossary.get(card.slug))
                return following
        return await self.next_card(user_id, guild_id, ALREADY_RATED)

    # -- the deck -------------------------------------------------------------------------

    def pick(self, module: str | None, term: str | None) -> tuple[list[str], str | Term]:
        """Resolve "a module or a term" to slugs and what they are (a module name or the term)."""
        if (module is None) == (term is None):
            raise UserFacingError("Give either a `module` or a `term`.")
        if module is not None:
            return [t.slug for t in self._glossary.module_terms(module)], module
        assert term is not None
        resolution = self._glossary.resolve(term)
        chosen = self._glossary.get(resolution.match.slug) if resolution.match else None
        if chosen is None:
            hint = ", ".join(m.name for m in resolution.suggestions[:3])
            raise UnknownTermError(term, hint)
        return [chosen.slug], chosen

    async def add_cards(self, user_id: int, slugs: list[str]) -> tuple[int, StudySettings]:
        """Add terms to a learner's deck; return how many were new there, and their settings."""
        added = await self._db.study_add_cards(user_id, slugs, self._clock())
        return added, await self._db.study_settings(user_id)

    async def remove_cards(self, user_id: int, slugs: list[str]) -> int:
        """Remove terms from a learner's deck; return how many were there."""
        return await self._db.study_remove_cards(user_id, slugs)

    async def deck(self, user_id: int) -> DeckSummary | None:
        """Summarise a learner's deck by module and state; None when it is empty."""
        cards = await self._db.study_cards(user_id)
        if not cards:
            return None
        by_module: Counter[str] = Counter()
        states: Counter[CardState] = Counter()
        leeches = []
        for card in cards:
            term = self._glossary.get(card.slug)
            if term is None:
                continue
            by_module[term.module] += 1
            states[card.state] += 1
            if card.leech:
                leeches.append(term.name)
        return DeckSummary(by_module, states, leeches)

    # -- settings and progress --------------------------------------------------------------

    async def save_settings(
        self,
        user_id: int,
        guild_id: int | None,
        *,
        timezone: str | None = None,
        retention_percent: int | None = None,
        new_per_day: int | None = None,
        reviews_per_day: int | None = None,
    ) -> tuple[StudySettings, LearnerDay, bool]:
        """Change what was given; return the settings, the learner's day and whether anything was saved."""
        current = await self._db.study_settings(user_id)
        zone = current.timezone
        if timezone is not None:
            zone = self.zones.resolve(timezone)
            if zone is None:
                raise UnknownZoneError(timezone)
        retention = check_retention(retention_percent / 100) if retention_percent is not None else current.retention
        limits = check_limits(
            new_per_day if new_per_day is not None else current.new_per_day,
            reviews_per_day if reviews_per_day is not None else current.reviews_per_day,
        )
        changed = StudySettings(zone, retention, *limits)
        if changed != current:
            await self._db.study_save_settings(user_id, changed, self._clock())
        _, day = await self.learner(user_id, guild_id)
        return changed, day, changed != current

    async def progress(self, user_id: int, guild_id: int | None) -> Progress:
        """Return a learner's progress in every module, streak and what is due today."""
        settings, day = await self.learner(user_id, guild_id)
        cards = await self._db.study_cards(user_id)
        seen = await self._db.study_seen(user_id)
        term_modules = {term.slug: term.module for term in self._glossary.syllabus()}
        rows = module_progress(MODULES, term_modules, seen, cards)
        current = streak_of(await self._db.study_days(user_id), day.date)
        due = await self._counts(user_id, settings, day)
        return Progress(rows, current, due, sum(1 for c in cards if c.leech), day)

    async def forget(self, user_id: int) -> int:
        """Delete everything stored about a member's studying; return the number of records removed."""
        return await self._db.study_forget(user_id)
