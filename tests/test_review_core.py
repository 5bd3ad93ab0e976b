"""The review wrapper around fsrs: states, lapses and leeches, limits, the next card, and sane intervals."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.review import (
    LEARN_AHEAD,
    LEECH_LAPSES,
    MAXIMUM_INTERVAL_DAYS,
    CardState,
    Grade,
    Queue,
    Reviewer,
    ReviewError,
    StudyCard,
    StudySettings,
    check_limits,
    check_retention,
    choose_next,
    format_interval,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY_END = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)


def new_card(card_id: int = 1) -> StudyCard:
    return StudyCard(card_id, 42, f"term-{card_id}")


def graduate(reviewer: Reviewer, card: StudyCard, now: datetime) -> StudyCard:
    """Take a new card to the review state with Good, Good."""
    card = reviewer.review(card, Grade.GOOD, now).card
    return reviewer.review(card, Grade.GOOD, card.due or now).card


def test_a_new_card_goes_through_learning_steps():
    reviewer = Reviewer(fuzz=False)
    first = reviewer.review(new_card(), Grade.GOOD, NOW).card
    assert first.state is CardState.LEARNING and first.step == 1
    assert first.due == NOW + timedelta(minutes=10) and first.last_review == NOW and first.reps == 1
    again = reviewer.review(first, Grade.AGAIN, NOW + timedelta(minutes=10)).card
    assert again.state is CardState.LEARNING and again.due == NOW + timedelta(minutes=11)
    easy = reviewer.review(new_card(), Grade.EASY, NOW).card
    assert easy.state is CardState.REVIEW and easy.interval is not None and easy.interval >= timedelta(days=1)


def test_preview_matches_the_review_it_predicts():
    reviewer = Reviewer(fuzz=False)
    card = graduate(reviewer, new_card(), NOW)
    later = (card.due or NOW) + timedelta(hours=3)
    previews = reviewer.preview(card, later)
    for grade in Grade:
        after = reviewer.review(card, grade, later).card
        assert after.due is not None and after.due - later == previews[grade]
    assert previews[Grade.AGAIN] < previews[Grade.HARD] <= previews[Grade.GOOD] <= previews[Grade.EASY]


def test_lapses_count_only_forgotten_review_cards_and_the_eighth_makes_a_leech():
    reviewer = Reviewer(fuzz=False)
    card = reviewer.review(new_card(), Grade.AGAIN, NOW).card  # learning: not a lapse
    assert card.lapses == 0
    card = graduate(reviewer, card, card.due or NOW)
    flagged = []
    for _ in range(LEECH_LAPSES + 1):
        assert card.state is CardState.REVIEW
        result = reviewer.review(card, Grade.AGAIN, card.due or NOW)
        assert result.lapsed and result.card.state is CardState.RELEARNING
        flagged.append(result.became_leech)
        card = reviewer.review(result.card, Grade.GOOD, result.card.due or NOW).card
    assert card.lapses == LEECH_LAPSES + 1 and card.leech
    assert flagged == [False] * (LEECH_LAPSES - 1) + [True, False], "flagged once, on the eighth lapse"


def test_retention_bounds_and_effect():
    assert check_retention(0.7) == 0.7 and check_retention(0.97) == 0.97
    for bad in (0.69, 0.98, 1.0, 0.0):
        with pytest.raises(ReviewError):
            check_retention(bad)
    with pytest.raises(ReviewError):
        Reviewer(0.5)
    relaxed = graduate(Reviewer(0.8, fuzz=False), new_card(), NOW)
    strict = graduate(Reviewer(0.95, fuzz=False), new_card(), NOW)
    assert relaxed.interval is not None and strict.interval is not None
    assert strict.interval < relaxed.interval, "higher retention, shorter intervals"


def test_limits_bounds():
    assert check_limits(0, 0) == (0, 0)
    assert check_limits(20, 200) == (20, 200)
    for new, reviews in ((-1, 10), (501, 10), (10, 10000)):
        with pytest.raises(ReviewError):
            check_limits(new, reviews)


def test_times_must_be_aware_and_any_zone_works():
    reviewer = Reviewer(fuzz=False)
    with pytest.raises(ReviewError):
        reviewer.review(new_card(), Grade.GOOD, datetime(2026, 3, 2, 9))
    berlin = NOW.astimezone(ZoneInfo("Europe/Berlin"))
    assert reviewer.review(new_card(), Grade.GOOD, berlin).card == reviewer.review(new_card(), Grade.GOOD, NOW).card


def card_due(state: CardState, due: datetime, card_id: int = 1) -> StudyCard:
    return replace(new_card(card_id), state=state, due=due, last_review=due - timedelta(days=1), stability=1.0)


def test_next_card_order_learning_then_reviews_then_new():
    settings = StudySettings()
    learning = card_due(CardState.LEARNING, NOW, 1)
    review = card_due(CardState.REVIEW, NOW - timedelta(days=1), 2)
    fresh = new_card(3)
    assert choose_next(Queue(learning, review, fresh, 0, 0), settings, NOW, DAY_END) == learning
    soon = replace(learning, due=NOW + timedelta(minutes=5))
    assert choose_next(Queue(soon, review, fresh, 0, 0), settings, NOW, DAY_END) == review
    assert choose_next(Queue(soon, None, fresh, 0, 0), settings, NOW, DAY_END) == fresh
    assert choose_next(Queue(soon, None, None, 0, 0), settings, NOW, DAY_END) == soon, "learn ahead when idle"
    later = replace(learning, due=NOW + LEARN_AHEAD + timedelta(seconds=1))
    assert choose_next(Queue(later, None, None, 0, 0), settings, NOW, DAY_END) is None


def test_a_review_due_later_today_is_due_now_but_not_one_due_tomorrow():
    settings = StudySettings()
    tonight = card_due(CardState.REVIEW, DAY_END - timedelta(minutes=1))
    assert choose_next(Queue(None, tonight, None, 0, 0), settings, NOW, DAY_END) == tonight
    tomorrow = card_due(CardState.REVIEW, DAY_END)
    assert choose_next(Queue(None, tomorrow, None, 0, 0), settings, NOW, DAY_END) is None


def test_daily_limits_hold_new_and_review_cards_back_but_not_learning():
    settings = StudySettings(new_per_day=2, reviews_per_day=3)
    review = card_due(CardState.REVIEW, NOW - timedelta(hours=1), 2)
    fresh = new_card(3)
    assert choose_next(Queue(None, review, fresh, 0, 3), settings, NOW, DAY_END) == fresh
    assert choose_next(Queue(None, review, fresh, 2, 3), settings, NOW, DAY_END) is None
    learning = card_due(CardState.RELEARNING, NOW, 1)
    assert choose_next(Queue(learning, review, fresh, 2, 3), settings, NOW, DAY_END) == learning
    none_new = StudySettings(new_per_day=0)
    assert choose_next(Queue(None, None, fresh, 0, 0), none_new, NOW, DAY_END) is None


def test_format_interval():
    assert format_interval(timedelta(seconds=20)) == "<1m"
    assert format_interval(timedelta(minutes=10)) == "10m"
    assert format_interval(timedelta(hours=5)) == "5h"
    assert format_interval(timedelta(days=3)) == "3d"
    assert format_interval(timedelta(days=75)) == "2.5mo"
    assert format_interval(timedelta(days=730)) == "2.0y"


@pytest.mark.parametrize("retention", [0.7, 0.9, 0.97])
def test_thousands_of_simulated_reviews_keep_intervals_sane(retention: float):
    """A learner who recalls with FSRS's own predicted probability, 250 cards over two simulated years."""
    rng = random.Random(2026)
    reviewer = Reviewer(retention, fuzz=False)
    cards = [new_card(i) for i in range(250)]
    now = NOW
    reviews = 0
    end = NOW + timedelta(days=730)
    while now < end:
        for index, card in enumerate(cards):
            if card.due is not None and card.due > now:
                continue
            recall = 0.9 if card.stability is None else _retrievability(card, now)
            roll = rng.random()
            grade = Grade.AGAIN if roll > recall else (Grade.HARD if roll > recall - 0.1 else Grade.GOOD)
            if rng.random() < 0.05 and grade is Grade.GOOD:
                grade = Grade.EASY
            before = card
            card = reviewer.review(card, grade, now).card
            cards[index] = card
            reviews += 1
            assert card.due is not None and card.last_review == now and card.due > now
            assert card.reps == before.reps + 1
            assert card.stability is not None and card.stability > 0
            assert card.difficulty is not None and 1.0 <= card.difficulty <= 10.0
            interval = card.due - now
            assert interval <= timedelta(days=MAXIMUM_INTERVAL_DAYS)
            if card.state is CardState.REVIEW:
                assert interval >= timedelta(days=1) and interval.seconds == 0, "review intervals are whole days"
            else:
                assert interval <= timedelta(days=1), "learning steps are short"
            if before.state is CardState.REVIEW and grade is Grade.AGAIN:
                assert card.state is CardState.RELEARNING and card.lapses == before.lapses + 1
        now += timedelta(hours=6)
    assert reviews > 2000
    mature = [c for c in cards if c.state is CardState.REVIEW and c.interval and c.interval > timedelta(days=21)]
    assert len(mature) > len(cards) / 2, "after two years most cards are mature"
    longest = max(c.interval for c in cards if c.interval)
    if retention >= 0.9:
        # At low retention FSRS may reach the cap within two years; the cap is what keeps it sane.
        assert longest < timedelta(days=MAXIMUM_INTERVAL_DAYS)


def _retrievability(card: StudyCard, now: datetime) -> float:
    assert card.last_review is not None and card.stability is not None
    elapsed = max(0.0, (now - card.last_review).total_seconds() / 86400)
    decay = -0.1542
    factor = 0.9 ** (1 / decay) - 1
    return math.pow(1 + factor * elapsed / card.stability, decay)


def test_good_every_time_makes_intervals_grow():
    reviewer = Reviewer(fuzz=False)
    card = graduate(reviewer, new_card(), NOW)
    intervals = []
    for _ in range(12):
        assert card.interval is not None
        intervals.append(card.interval)
        card = reviewer.review(card, Grade.GOOD, card.due or NOW).card
    assert intervals == sorted(intervals) and intervals[-1] > intervals[0] * 20
