"""Spaced-repetition review: our small wrapper around the `fsrs` package, with no Discord imports.

`fsrs` (the reference implementation of the algorithm modern Anki uses) decides every interval;
this module adds what a flashcard app needs around it: a "new" state for cards never studied,
learner settings with sensible bounds, daily limits for new cards and reviews, the learner's local
day for cards due "today", and leeches (cards forgotten `LEECH_LAPSES` times).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from fsrs import Card, Rating, Scheduler, State

from bot.core.errors import UserFacingError

RETENTION_DEFAULT = 0.90
RETENTION_MIN = 0.70  # below this FSRS schedules so sparsely that most cards are forgotten
RETENTION_MAX = 0.97  # above this the workload grows steeply for little gain
NEW_PER_DAY_DEFAULT = 20  # Anki's defaults
REVIEWS_PER_DAY_DEFAULT = 200
NEW_PER_DAY_MAX = 500
REVIEWS_PER_DAY_MAX = 9999
LEECH_LAPSES = 8  # Anki's leech threshold
MAXIMUM_INTERVAL_DAYS = 3650
# When nothing else is due, learning cards due within this window are shown early.
LEARN_AHEAD = timedelta(minutes=20)


class ReviewError(UserFacingError, ValueError):
    """A setting or an action the review rules do not allow; the message says why."""


class CardState(IntEnum):
    """Where a card is in its life; the values after NEW are fsrs's own `State` values."""

    NEW = 0
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


class Grade(IntEnum):
    """How well the learner recalled a card (the four answer buttons)."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


@dataclass(frozen=True, slots=True)
class StudyCard:
    """One term in one learner's deck, with its scheduling state."""

    card_id: int
    user_id: int
    slug: str
    state: CardState = CardState.NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None  # None while new
    last_review: datetime | None = None
    reps: int = 0  # reviews so far; also the version a button must name to rate the card
    lapses: int = 0  # times forgotten after reaching the review state
    leech: bool = False

    @property
    def interval(self) -> timedelta | None:
        """Return the time between the last review and the due date, once reviewed."""
        if self.due is None or self.last_review is None:
            return None
        return self.due - self.last_review


@dataclass(frozen=True, slots=True)
class StudySettings:
    """A learner's review settings; `timezone` is None until the learner sets one."""

    timezone: str | None = None
    retention: float = RETENTION_DEFAULT
    new_per_day: int = NEW_PER_DAY_DEFAULT
    reviews_per_day: int = REVIEWS_PER_DAY_DEFAULT


def check_retention(value: float) -> float:
    """Return a desired retention (a fraction) if FSRS handles it sensibly."""
    if not RETENTION_MIN <= value <= RETENTION_MAX:
        raise ReviewError(
            f"Desired retention must be between {RETENTION_MIN:.0%} and {RETENTION_MAX:.0%}: "
            "lower and you forget most cards, higher and the reviews pile up for little gain."
        )
    return round(value, 4)


def check_limits(new_per_day: int, reviews_per_day: int) -> tuple[int, int]:
    """Return daily limits if they are within bounds."""
    if not 0 <= new_per_day <= NEW_PER_DAY_MAX:
        raise ReviewError(f"New cards per day must be between 0 and {NEW_PER_DAY_MAX}.")
    if not 0 <= reviews_per_day <= REVIEWS_PER_DAY_MAX:
        raise ReviewError(f"Reviews per day must be between 0 and {REVIEWS_PER_DAY_MAX}.")
    return new_per_day, reviews_per_day


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """A card after a review, and what the review meant."""

    card: StudyCard
    lapsed: bool  # a card in the review state was forgotten
    became_leech: bool  # this lapse made it a leech


class Reviewer:
    """Schedule reviews with FSRS at a learner's desired retention."""

    def __init__(self, retention: float = RETENTION_DEFAULT, *, fuzz: bool = True) -> None:
        self.retention = check_retention(retention)
        self._scheduler = _scheduler(self.retention, fuzz=fuzz)
        # Interval previews (the labels on the buttons) must not depend on the random fuzz.
        self._exact = _scheduler(self.retention, fuzz=False) if fuzz else self._scheduler

    def review(self, card: StudyCard, grade: Grade, now: datetime) -> ReviewResult:
        """Apply one review at `now` and return the rescheduled card."""
        after = _review(self._scheduler, card, grade, now)
        lapsed = card.state is CardState.REVIEW and grade is Grade.AGAIN
        lapses = card.lapses + int(lapsed)
        became_leech = lapsed and lapses >= LEECH_LAPSES and not card.leech
        after = replace(after, lapses=lapses, leech=card.leech or lapses >= LEECH_LAPSES)
        return ReviewResult(after, lapsed, became_leech)

    def preview(self, card: StudyCard, now: datetime) -> dict[Grade, timedelta]:
        """Return the interval each grade would give the card now (without fuzz)."""
        previews = {}
        for grade in Grade:
            after = _review(self._exact, card, grade, now)
            assert after.due is not None
            previews[grade] = after.due - _utc(now)
        return previews


def _scheduler(retention: float, *, fuzz: bool) -> Scheduler:
    return Scheduler(desired_retention=retention, maximum_interval=MAXIMUM_INTERVAL_DAYS, enable_fuzzing=fuzz)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ReviewError("times must be timezone-aware")
    # fsrs insists on the tzinfo being exactly UTC, not merely an offset of zero.
    return instant.astimezone(UTC)


def _review(scheduler: Scheduler, card: StudyCard, grade: Grade, now: datetime) -> StudyCard:
    when = _utc(now)
    if card.state is CardState.NEW:
        # A new card is fsrs's fresh card: learning, step 0, no memory state yet.
        source = Card(card_id=card.card_id, state=State.Learning, step=0, due=when)
    else:
        assert card.due is not None
        source = Card(
            card_id=card.card_id,
            state=State(int(card.state)),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=_utc(card.due),
            last_review=_utc(card.last_review) if card.last_review else None,
        )
    after, _ = scheduler.review_card(source, Rating(int(grade)), review_datetime=when)
    return replace(
        card,
        state=CardState(int(after.state)),
        step=after.step,
        stability=after.stability,
        difficulty=after.difficulty,
        due=after.due,
        last_review=after.last_review,
        reps=card.reps + 1,
    )


@dataclass(frozen=True, slots=True)
class Queue:
    """What a learner could study next: the first card of each kind, and today's counts so far."""

    learning: StudyCard | None  # learning or relearning, earliest due first
    review: StudyCard | None  # review state, earliest due first
    new: StudyCard | None  # never studied, in the order added
    new_today: int  # new cards started today
    reviews_today: int  # review-state cards reviewed today


def choose_next(queue: Queue, settings: StudySettings, now: datetime, day_end: datetime) -> StudyCard | None:
    """Pick the card to show next: due learning cards, reviews, new cards, then learning cards due soon.

    Reviews and new cards count against the learner's daily limits; learning steps never do.
    """
    learning = queue.learning
    if learning is not None and learning.due is not None and learning.due <= now:
        return learning
    review = queue.review
    # Intervals are whole days: a review card due at any time today is due from the day's start, as in Anki.
    if (
        review is not None
        and review.due is not None
        and review.due < day_end
        and queue.reviews_today < settings.reviews_per_day
    ):
        return review
    if queue.new is not None and queue.new_today < settings.new_per_day:
        return queue.new
    # Nothing else to do: show a learning card a little early rather than end the session on a wait (Anki's
    # "learn ahead limit").
    if learning is not None and learning.due is not None and learning.due <= now + LEARN_AHEAD:
        return learning
    return None


def format_interval(interval: timedelta) -> str:
    """Render an interval the way Anki's buttons do: 10m, 3h, 5d, 2.1mo, 1.5y."""
    seconds = max(0.0, interval.total_seconds())
    minutes = seconds / 60
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{minutes:.0f}m"
    hours = minutes / 60
    if hours < 24:
        return f"{hours:.0f}h"
    days = hours / 24
    if days < 30:
        return f"{days:.0f}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"
