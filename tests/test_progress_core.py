"""A learner's day across time zones, DST and midnight; streaks; mastery per module."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.modules import MODULES
from bot.core.progress import bar, is_mature, learner_day, learner_zone_name, module_progress, month_start, streak
from bot.core.review import CardState, StudyCard
from bot.core.timezones import zone_or_utc


def test_zone_falls_back_from_own_to_server_to_utc():
    assert learner_zone_name("Asia/Tokyo", "Europe/Berlin") == "Asia/Tokyo"
    assert learner_zone_name(None, "Europe/Berlin") == "Europe/Berlin"
    assert learner_zone_name(None, None) == "UTC"
    assert learner_zone_name("Not/AZone", "Also/Bad") == "UTC"
    assert learner_zone_name("Not/AZone", "America/New_York") == "America/New_York"
    assert zone_or_utc("../../etc/passwd").key == "UTC"


def test_the_day_turns_at_the_learners_midnight():
    before = learner_day(datetime(2026, 6, 1, 21, 59, tzinfo=UTC), "Europe/Berlin")  # 23:59 in Berlin
    after = learner_day(datetime(2026, 6, 1, 22, 0, tzinfo=UTC), "Europe/Berlin")  # 00:00 in Berlin
    assert before.date == date(2026, 6, 1) and after.date == date(2026, 6, 2)
    assert after.start == datetime(2026, 6, 1, 22, 0, tzinfo=UTC) == before.end
    utc = learner_day(datetime(2026, 6, 1, 22, 0, tzinfo=UTC), "UTC")
    assert utc.date == date(2026, 6, 1)
    tokyo = learner_day(datetime(2026, 6, 1, 15, 0, tzinfo=UTC), "Asia/Tokyo")  # 00:00 on the 2nd in Tokyo
    assert tokyo.date == date(2026, 6, 2) and tokyo.start == datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),  # spring forward
        ("Europe/Berlin", date(2026, 10, 25), 25),  # fall back
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
        ("Europe/Berlin", date(2026, 6, 15), 24),
    ],
)
def test_dst_days_are_23_or_25_hours_long(zone: str, day: date, hours: int):
    noon = learner_day(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), zone)
    assert noon.date == day
    assert noon.end - noon.start == timedelta(hours=hours)


def test_a_day_whose_midnight_does_not_exist_starts_at_the_first_instant_after_the_gap():
    # Santiago springs forward at local midnight: 2026-09-06 starts at 01:00 local (04:00 UTC).
    day = learner_day(datetime(2026, 9, 6, 12, tzinfo=UTC), "America/Santiago")
    assert day.date == date(2026, 9, 6)
    assert day.start == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert learner_day(day.start - timedelta(seconds=1), "America/Santiago").date == date(2026, 9, 5)
    # Beirut does the same on 2026-03-29.
    beirut = learner_day(datetime(2026, 3, 29, 6, tzinfo=UTC), "Asia/Beirut")
    assert beirut.start == datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert beirut.end - beirut.start == timedelta(hours=23)


def test_month_start_is_in_the_zone():
    assert month_start(datetime(2026, 7, 31, 23, tzinfo=UTC), "Asia/Tokyo") == datetime(2026, 7, 31, 15, tzinfo=UTC)
    assert month_start(datetime(2026, 7, 31, 23, tzinfo=UTC), "UTC") == datetime(2026, 7, 1, tzinfo=UTC)


D = date(2026, 5, 10)


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=o) for o in offsets]


def test_streak_counts_days_in_a_row():
    assert streak([], D).current == 0
    s = streak(days(-2, -1, 0), D)
    assert (s.current, s.best, s.studied_today) == (3, 3, True)
    assert streak(days(-2, -1, 0, 0, -1), D).current == 3, "several sessions a day count once"


def test_streak_is_alive_until_the_end_of_today_and_a_missed_day_resets_it():
    alive = streak(days(-3, -2, -1), D)
    assert (alive.current, alive.studied_today) == (3, False)
    broken = streak(days(-4, -3, -2), D)
    assert broken.current == 0 and broken.best == 3
    restarted = streak(days(-6, -5, -4, -3, -1, 0), D)
    assert (restarted.current, restarted.best) == (2, 4)


def test_dates_ahead_of_today_after_moving_west_do_not_count():
    s = streak(days(-1, 0, 1), D)
    assert s.current == 2 and s.studied_today


def test_streak_follows_the_learners_day_not_utc():
    """Reviews at 23:30 and 00:30 Tokyo time are two days; in UTC they are the same date."""
    first = datetime(2026, 5, 9, 14, 30, tzinfo=UTC)  # 23:30 on the 9th in Tokyo
    second = datetime(2026, 5, 9, 15, 30, tzinfo=UTC)  # 00:30 on the 10th in Tokyo
    tokyo = [learner_day(t, "Asia/Tokyo").date for t in (first, second)]
    utc = [learner_day(t, "UTC").date for t in (first, second)]
    assert streak(tokyo, learner_day(second, "Asia/Tokyo").date).current == 2
    assert streak(utc, learner_day(second, "UTC").date).current == 1


def test_streak_over_a_dst_change_has_no_gap():
    # Every evening at 22:30 Berlin time through the spring-forward night.
    moments = [datetime(2026, 3, d, 21, 30, tzinfo=UTC) for d in (27, 28)] + [datetime(2026, 3, 29, 20, 30, tzinfo=UTC)]
    dates = [learner_day(t, "Europe/Berlin").date for t in moments]
    assert dates == [date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29)]
    assert streak(dates, date(2026, 3, 30)).current == 3


def reviewed(slug: str, interval_days: float, state: CardState = CardState.REVIEW) -> StudyCard:
    last = datetime(2026, 5, 1, tzinfo=UTC)
    return StudyCard(1, 7, slug, state=state, last_review=last, due=last + timedelta(days=interval_days), reps=3)


def test_mature_means_an_interval_over_21_days():
    assert not is_mature(reviewed("a", 21))
    assert is_mature(reviewed("a", 22))
    assert not is_mature(reviewed("a", 40, CardState.RELEARNING))
    assert not is_mature(StudyCard(1, 7, "new"))


def test_module_progress_counts_per_module_in_syllabus_order():
    term_modules = {"a": MODULES[0], "b": MODULES[0], "c": MODULES[0], "d": MODULES[0], "e": MODULES[21]}
    cards = [reviewed("a", 30), reviewed("b", 5), replace(reviewed("e", 50)), reviewed("gone", 90)]
    rows = module_progress(MODULES, term_modules, {"a", "b", "c", "gone"}, cards)
    assert [r.module for r in rows] == list(MODULES)
    first, lean = rows[0], rows[21]
    assert (first.terms, first.seen, first.in_deck, first.mature) == (4, 3, 2, 1)
    assert first.mastery == 0.25
    assert (lean.terms, lean.seen, lean.in_deck, lean.mature, lean.mastery) == (1, 0, 1, 1, 1.0)
    assert rows[5].mastery == 0.0 and rows[5].terms == 0


def test_bar():
    assert bar(0) == "░" * 10
    assert bar(0.01) == "█" + "░" * 9, "any progress shows"
    assert bar(0.5) == "█" * 5 + "░" * 5
    assert bar(1.7) == "█" * 10
    assert bar(-1) == "░" * 10
