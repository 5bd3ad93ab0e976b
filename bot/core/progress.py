"""A learner's day, streak and mastery per module, with no Discord imports.

Days are the learner's own: a review at 00:30 in Tokyo counts for the Tokyo date, whatever the
server's or the bot's zone. Each study day is recorded as the local date when the activity happened,
so a later change of zone never rewrites the past.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.core.review import CardState, StudyCard
from bot.core.timezones import day_end, day_start, local_date, zone_or_utc

MATURE_DAYS = 21  # a card is mature once its interval is over this many days
BAR_WIDTH = 10
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LearnerDay:
    """A learner's current local date and its bounds as UTC instants."""

    date: date
    start: datetime
    end: datetime
    zone: str


def learner_zone_name(own: str | None, server: str | None) -> str:
    """Return the zone that decides a learner's day: theirs, else the server's, else UTC."""
    for name in (own, server):
        if name and zone_or_utc(name).key == name:
            return name
    return "UTC"


def learner_day(now: datetime, zone_name: str) -> LearnerDay:
    """Return the learner's local date at `now` and when it starts and ends (DST-safe)."""
    tz = zone_or_utc(zone_name)
    today = local_date(now, tz)
    return LearnerDay(today, day_start(today, tz), day_end(today, tz), tz.key)


def month_start(now: datetime, zone_name: str) -> datetime:
    """Return the first instant of the current month in a zone, as UTC."""
    tz = zone_or_utc(zone_name)
    today = local_date(now, tz)
    return day_start(today.replace(day=1), tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Streak:
    """Days in a row with at least one review or quiz answer."""

    current: int
    best: int
    studied_today: bool


def streak(days: Iterable[date], today: date) -> Streak:
    """Compute the streak from the local dates a learner studied on.

    A streak still counts while today is not over: it is alive if the learner studied today or
    yesterday, and a whole missed day resets it to zero.
    """
    unique = sorted(set(days))
    best = run = 0
    previous: date | None = None
    for day in unique:
        run = run + 1 if previous is not None and day - previous == ONE_DAY else 1
        best = max(best, run)
        previous = day
    # Dates after "today" appear only if the learner moved west; they don't extend today's streak.
    past = [day for day in unique if day <= today]
    current = 0
    if past and today - past[-1] <= ONE_DAY:
        current = 1
        for later, earlier in zip(reversed(past), reversed(past[:-1]), strict=False):
            if later - earlier != ONE_DAY:
                break
            current += 1
    studied_today = bool(past) and past[-1] == today
    return Streak(current, best, studied_today)


def is_mature(card: StudyCard) -> bool:
    """Return whether a card's interval is over `MATURE_DAYS` days."""
    interval = card.interval
    return card.state is CardState.REVIEW and interval is not None and interval > timedelta(days=MATURE_DAYS)


@dataclass(frozen=True, slots=True)
class ModuleProgress:
    """One module's numbers for one learner."""

    module: str
    terms: int
    seen: int
    in_deck: int
    mature: int

    @property
    def mastery(self) -> float:
        """Return the share of the module's terms that are mature, 0 to 1."""
        return self.mature / self.terms if self.terms else 0.0


def module_progress(
    modules: Sequence[str],
    term_modules: Mapping[str, str],
    seen: Iterable[str],
    cards: Iterable[StudyCard],
) -> list[ModuleProgress]:
    """Count, per module in syllabus order, the terms seen, in the deck and mature."""
    terms = dict.fromkeys(modules, 0)
    seen_counts = dict.fromkeys(modules, 0)
    deck = dict.fromkeys(modules, 0)
    mature = dict.fromkeys(modules, 0)
    for module in term_modules.values():
        if module in terms:
            terms[module] += 1
    for slug in set(seen):
        found = term_modules.get(slug)
        if found is not None and found in seen_counts:
            seen_counts[found] += 1
    for card in cards:
        found = term_modules.get(card.slug)
        if found is None or found not in deck:
            continue  # a term that left the glossary
        deck[found] += 1
        mature[found] += int(is_mature(card))
    return [ModuleProgress(m, terms[m], seen_counts[m], deck[m], mature[m]) for m in modules]


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """Draw a fraction as a bar of filled and empty blocks."""
    fraction = min(1.0, max(0.0, fraction))
    filled = round(fraction * width)
    if filled == 0 and fraction > 0:
        filled = 1  # any progress at all shows
    return "█" * filled + "░" * (width - filled)
