"""The term-of-the-day rules as pure functions of (now, settings, history), driven by a fake clock."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.schedule import (
    CATCH_UP_DEFAULT,
    EPOCH,
    Action,
    CycleState,
    PostRecord,
    PostStatus,
    ScheduleError,
    ServerSchedule,
    catch_up_deadline,
    check_catch_up,
    cycle_order,
    decide,
    marker_date,
    next_post_at,
    parse_post_time,
    pick_term,
    post_marker,
    retry_delay,
    scheduled_at,
)
from bot.core.timezones import ZoneDirectory, day_end, local_date, local_instant

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    """An instant given as wall-clock time in a zone, converted to UTC."""
    return datetime(*args, tzinfo=tz, fold=fold).astimezone(UTC)


def server(zone: str = "Europe/Berlin", at: str = "08:30", guild_id: int = 1, **kw: object) -> ServerSchedule:
    return ServerSchedule(guild_id=guild_id, channel_id=10, post_time=parse_post_time(at), timezone=zone, **kw)  # type: ignore[arg-type]


def posted(day: date, guild_id: int = 1, slug: str = "kanban") -> PostRecord:
    return PostRecord(guild_id, day, PostStatus.POSTED, slug, message_id=99)


def simulate(schedule: ServerSchedule, start: datetime, end: datetime) -> list[tuple[date, datetime]]:
    """Run the decisions the way the loop does (jumping to each wake time) and post instantly."""
    now, latest, posts = start, None, []
    for _ in range(10_000):
        if now >= end:
            break
        decision = decide(now, schedule, latest)
        assert decision.local_date is not None
        if decision.action is Action.WAIT:
            assert decision.wake_at is not None and decision.wake_at > now
            now = min(decision.wake_at, end)
        elif decision.action is Action.POST:
            posts.append((decision.local_date, now))
            latest = posted(decision.local_date, schedule.guild_id)
        elif decision.action is Action.MISS:
            latest = PostRecord(schedule.guild_id, decision.local_date, PostStatus.MISSED)
        else:  # pragma: no cover - nothing else is expected without failures
            raise AssertionError(decision)
    return posts


# -- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("08:30", time(8, 30)), ("8:05", time(8, 5)), (" 23:59 ", time(23, 59))]
)
def test_post_time_accepts_24_hour_hh_mm(text, expected):
    assert parse_post_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "8.30", "8:30 pm", "0830", "", "ab:cd", "-1:30"])
def test_post_time_rejects_anything_else_with_a_friendly_message(text):
    with pytest.raises(ScheduleError, match="HH:MM in 24-hour format"):
        parse_post_time(text)


def test_catch_up_window_is_one_to_twenty_three_hours():
    assert check_catch_up(6) == timedelta(hours=6)
    for bad in (0, 24):
        with pytest.raises(ScheduleError):
            check_catch_up(bad)


def test_zone_directory_resolves_any_case_and_spaces_and_completes_within_discord_limits():
    zones = ZoneDirectory.from_system()
    assert zones.resolve("europe/berlin") == "Europe/Berlin"
    assert zones.resolve("America/New York") == "America/New_York"
    assert zones.resolve("Mars/Olympus_Mons") is None
    assert zones.resolve("Factory") is None
    assert zones.complete("berl") == ["Europe/Berlin"]
    assert zones.complete("new_y")[0] == "America/New_York"
    for query in ("", "a", "america", "e"):
        choices = zones.complete(query)
        assert 0 < len(choices) <= 25
        assert all(len(name) <= 100 and zones.resolve(name) == name for name in choices)
    assert zones.complete("")[:3] == ["UTC", "Europe/London", "Europe/Berlin"]


# -- local time and daylight saving ------------------------------------------------------------


def test_berlin_posts_at_the_same_wall_clock_time_in_summer_and_winter():
    schedule = server("Europe/Berlin", "08:30")
    assert scheduled_at(schedule, date(2026, 7, 1)) == utc(2026, 7, 1, 6, 30)
    assert scheduled_at(schedule, date(2026, 12, 1)) == utc(2026, 12, 1, 7, 30)


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_utc", "expected_wall"),
    [
        # Spring forward: 02:00-03:00 does not exist; post at 03:00, the first valid instant.
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0), time(3, 0)),
        (BERLIN, date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0), time(3, 0)),
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0), time(3, 0)),
        # Fall back: 02:00-03:00 (Berlin) and 01:00-02:00 (New York) happen twice; take the first.
        (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30), time(2, 30)),
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30), time(1, 30)),
        # The minutes around the transitions are ordinary.
        (BERLIN, date(2026, 3, 29), time(3, 0), utc(2026, 3, 29, 1, 0), time(3, 0)),
        (BERLIN, date(2026, 3, 29), time(1, 59), utc(2026, 3, 29, 0, 59), time(1, 59)),
        (NEW_YORK, date(2026, 11, 1), time(2, 0), utc(2026, 11, 1, 7, 0), time(2, 0)),
    ],
)
def test_dst_gaps_post_after_the_gap_and_repeated_times_post_at_the_first(tz, day, wall, expected_utc, expected_wall):
    instant = local_instant(day, wall, tz)
    assert instant == expected_utc
    assert instant.astimezone(tz).time() == expected_wall
    assert instant.astimezone(tz).date() == day


def test_a_zone_whose_midnight_does_not_exist_starts_its_day_after_the_gap():
    santiago = ZoneInfo("America/Santiago")  # springs forward at 00:00 to 01:00
    start = local_instant(date(2026, 9, 6), time(0, 0), santiago)
    assert start.astimezone(santiago).replace(tzinfo=None) == datetime(2026, 9, 6, 1, 0)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "UTC"]),
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_every_local_time_resolves_to_that_date_at_or_just_after_the_wall_time(zone, day, minutes):
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, time(minutes // 60, minutes % 60))
    instant = local_instant(day, wall.time(), tz)
    seen = instant.astimezone(tz).replace(tzinfo=None)
    assert seen.date() == day
    if seen != wall:  # only in a gap: then it is the transition, and a second earlier is before the wall time
        assert seen > wall
        assert (instant - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) < wall
    else:  # an existing time: never the second occurrence of a repeated one
        assert (instant - timedelta(hours=1)).astimezone(tz).replace(tzinfo=None) != wall


@pytest.mark.parametrize(
    ("zone", "wall", "start", "days", "dst_day"),
    [
        ("Europe/Berlin", "02:30", date(2026, 3, 28), 3, date(2026, 3, 29)),
        ("Europe/Berlin", "02:30", date(2026, 10, 24), 3, date(2026, 10, 25)),
        ("America/New_York", "02:30", date(2026, 3, 7), 3, date(2026, 3, 8)),
        ("America/New_York", "01:30", date(2026, 10, 31), 3, date(2026, 11, 1)),
        ("Europe/Berlin", "08:30", date(2026, 3, 28), 3, date(2026, 3, 29)),
    ],
)
def test_across_dst_changes_each_local_date_gets_exactly_one_post(zone, wall, start, days, dst_day):
    tz = ZoneInfo(zone)
    begin = local_instant(start, time(0, 0), tz)
    schedule = server(zone, wall, active_from=begin)
    posts = simulate(schedule, begin, local_instant(start + timedelta(days=days), time(0, 0), tz))
    assert [day for day, _ in posts] == [start + timedelta(days=n) for n in range(days)]
    for day, instant in posts:
        assert instant == scheduled_at(schedule, day)
        assert local_date(instant, tz) == day
    assert dst_day in {day for day, _ in posts}


def test_fall_back_never_posts_again_when_the_time_repeats():
    schedule = server("Europe/Berlin", "02:30")
    day = date(2026, 10, 25)
    second = local(BERLIN, 2026, 10, 25, 2, 30, fold=1)
    assert second == utc(2026, 10, 25, 1, 30)
    decision = decide(second, schedule, posted(day))
    assert decision.action is Action.WAIT
    assert decision.wake_at == scheduled_at(schedule, day + timedelta(days=1))


def test_two_servers_in_different_zones_post_at_their_own_local_times():
    berlin = server("Europe/Berlin", "08:30", guild_id=1)
    new_york = server("America/New_York", "08:30", guild_id=2)
    now = utc(2026, 11, 25, 7, 30)  # 08:30 in Berlin, 02:30 in New York
    yesterday = posted(date(2026, 11, 24))
    assert decide(now, berlin, yesterday).action is Action.POST
    ny = decide(now, new_york, yesterday)
    assert ny.action is Action.WAIT
    assert ny.wake_at == utc(2026, 11, 25, 13, 30)


# -- midnight, catch-up and missed days ----------------------------------------------------------


def test_a_post_at_midnight_belongs_to_the_new_local_date():
    schedule = server("Europe/Berlin", "00:00")
    assert decide(local(BERLIN, 2026, 11, 24, 23, 59, 59), schedule, posted(date(2026, 11, 24))).action is Action.WAIT
    decision = decide(local(BERLIN, 2026, 11, 25, 0, 0), schedule, posted(date(2026, 11, 24)))
    assert (decision.action, decision.local_date) == (Action.POST, date(2026, 11, 25))


def test_the_local_date_not_the_utc_date_decides():
    schedule = server("Pacific/Auckland", "08:00")  # UTC+13 in November
    now = utc(2026, 11, 24, 19, 0)  # still the 24th in UTC
    decision = decide(now, schedule, posted(date(2026, 11, 24)))
    assert (decision.action, decision.local_date) == (Action.POST, date(2026, 11, 25))


def test_catch_up_posts_late_the_same_day_within_the_window():
    schedule = server("Europe/Berlin", "08:30", catch_up=timedelta(hours=6))
    yesterday = posted(date(2026, 11, 24))
    late = local(BERLIN, 2026, 11, 25, 14, 29)
    assert decide(late, schedule, yesterday).action is Action.POST
    too_late = local(BERLIN, 2026, 11, 25, 14, 30)
    decision = decide(too_late, schedule, yesterday)
    assert (decision.action, decision.local_date) == (Action.MISS, date(2026, 11, 25))


def test_catch_up_never_spills_into_the_next_local_day():
    schedule = server("Europe/Berlin", "23:30", catch_up=timedelta(hours=6))
    day = date(2026, 11, 25)
    assert catch_up_deadline(schedule, day) == day_end(day, BERLIN) == local(BERLIN, 2026, 11, 26, 0, 0)
    assert decide(local(BERLIN, 2026, 11, 25, 23, 59), schedule, posted(date(2026, 11, 24))).action is Action.POST
    # Back at 00:10 the next day: the 25th is missed, and the 26th waits for 23:30, not now.
    after = local(BERLIN, 2026, 11, 26, 0, 10)
    decision = decide(after, schedule, posted(date(2026, 11, 24)))
    assert (decision.action, decision.local_date) == (Action.MISS, date(2026, 11, 25))
    missed = PostRecord(1, date(2026, 11, 25), PostStatus.MISSED)
    decision = decide(after, schedule, missed)
    assert (decision.action, decision.wake_at) == (Action.WAIT, local(BERLIN, 2026, 11, 26, 23, 30))


def test_a_missed_day_is_recorded_then_the_next_day_is_awaited():
    schedule = server("America/New_York", "09:00", catch_up=timedelta(hours=2))
    now = local(NEW_YORK, 2026, 11, 25, 12, 0)
    decision = decide(now, schedule, posted(date(2026, 11, 24)))
    assert decision == replace(decision, action=Action.MISS, local_date=date(2026, 11, 25))
    after = decide(now, schedule, PostRecord(1, date(2026, 11, 25), PostStatus.MISSED))
    assert after.action is Action.WAIT
    assert after.wake_at == local(NEW_YORK, 2026, 11, 26, 9, 0)


def test_days_lost_while_offline_are_not_posted_late():
    schedule = server("Europe/Berlin", "08:30")
    long_ago = posted(date(2026, 11, 20))
    now = local(BERLIN, 2026, 11, 25, 7, 0)  # back before today's post time
    first = decide(now, schedule, long_ago)
    assert (first.action, first.local_date) == (Action.MISS, date(2026, 11, 24))
    second = decide(now, schedule, PostRecord(1, date(2026, 11, 24), PostStatus.MISSED))
    assert (second.action, second.wake_at) == (Action.WAIT, local(BERLIN, 2026, 11, 25, 8, 30))


def test_setup_after_todays_time_starts_tomorrow():
    now = local(BERLIN, 2026, 11, 25, 10, 0)
    schedule = server("Europe/Berlin", "08:30", active_from=now)
    decision = decide(now, schedule, None)
    assert (decision.action, decision.wake_at) == (Action.WAIT, local(BERLIN, 2026, 11, 26, 8, 30))
    before = local(BERLIN, 2026, 11, 25, 7, 0)
    early = decide(before, server(active_from=before), None)
    assert (early.action, early.wake_at) == (Action.WAIT, local(BERLIN, 2026, 11, 25, 8, 30))


def test_a_disabled_server_is_idle():
    assert decide(utc(2026, 11, 25, 12), server(enabled=False), None).action is Action.IDLE
    assert next_post_at(utc(2026, 11, 25, 12), server(enabled=False), None) is None


# -- retries, refusals and reconciliation ------------------------------------------------------


def test_backoff_doubles_from_thirty_seconds_up_to_thirty_minutes():
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1800, 1800]
    assert retry_delay(0) == timedelta(0)
    assert retry_delay(10_000) == timedelta(minutes=30)


def test_a_failed_attempt_waits_for_its_backoff_then_posts_again():
    schedule = server("Europe/Berlin", "08:30")
    now = local(BERLIN, 2026, 11, 25, 8, 31)
    row = PostRecord(
        1, date(2026, 11, 25), PostStatus.FAILED, "kanban", attempts=1, next_attempt_at=now + timedelta(seconds=30)
    )
    waiting = decide(now, schedule, row)
    assert (waiting.action, waiting.wake_at) == (Action.WAIT, now + timedelta(seconds=30))
    assert decide(now + timedelta(seconds=30), schedule, row).action is Action.POST


def test_retries_continue_past_the_catch_up_window_until_local_midnight():
    schedule = server("Europe/Berlin", "08:30", catch_up=timedelta(hours=1))
    row = PostRecord(1, date(2026, 11, 25), PostStatus.FAILED, "kanban", attempts=5)
    assert decide(local(BERLIN, 2026, 11, 25, 23, 0), schedule, row).action is Action.POST
    late_retry = replace(row, next_attempt_at=local(BERLIN, 2026, 11, 26, 0, 20))
    waiting = decide(local(BERLIN, 2026, 11, 25, 23, 55), schedule, late_retry)
    assert waiting.wake_at == local(BERLIN, 2026, 11, 26, 0, 0)  # never past the day
    over = decide(local(BERLIN, 2026, 11, 26, 0, 0), schedule, late_retry)
    assert (over.action, over.local_date) == (Action.MISS, date(2026, 11, 25))


def test_an_unconfirmed_post_is_reconciled_before_anything_else():
    schedule = server("Europe/Berlin", "08:30")
    sending = PostRecord(1, date(2026, 11, 25), PostStatus.SENDING, "kanban")
    assert decide(local(BERLIN, 2026, 11, 25, 8, 31), schedule, sending).action is Action.RECONCILE
    # Also from an earlier day (a crash before midnight): look, but never send it late.
    old = replace(sending, local_date=date(2026, 11, 24))
    decision = decide(local(BERLIN, 2026, 11, 25, 7, 0), schedule, old)
    assert (decision.action, decision.local_date) == (Action.RECONCILE, date(2026, 11, 24))


def test_a_refused_server_waits_an_hour_and_then_the_catch_up_window_decides():
    now = local(BERLIN, 2026, 11, 25, 8, 30)
    schedule = server("Europe/Berlin", "08:30", catch_up=timedelta(hours=2), blocked_until=now + timedelta(hours=1))
    yesterday = posted(date(2026, 11, 24))
    waiting = decide(now, schedule, yesterday)
    assert (waiting.action, waiting.wake_at) == (Action.WAIT, now + timedelta(hours=1))
    assert decide(now + timedelta(hours=1), schedule, yesterday).action is Action.POST
    blocked_long = replace(schedule, blocked_until=now + timedelta(hours=5))
    assert decide(now, blocked_long, yesterday).wake_at == now + timedelta(hours=2)
    assert decide(now + timedelta(hours=2), blocked_long, yesterday).action is Action.MISS


def test_an_admin_post_ignores_the_clock_but_never_posts_twice_a_day():
    schedule = server("Europe/Berlin", "08:30", blocked_until=utc(2030, 1, 1))
    early = local(BERLIN, 2026, 11, 25, 6, 0)
    decision = decide(early, schedule, posted(date(2026, 11, 24)), manual=True)
    assert (decision.action, decision.local_date) == (Action.POST, date(2026, 11, 25))
    assert decide(early, schedule, posted(date(2026, 11, 25)), manual=True).action is Action.DONE
    missed = PostRecord(1, date(2026, 11, 25), PostStatus.MISSED)
    assert decide(early, schedule, missed, manual=True).action is Action.POST
    backing_off = PostRecord(1, date(2026, 11, 25), PostStatus.FAILED, "x", next_attempt_at=utc(2030, 1, 1))
    assert decide(early, schedule, backing_off, manual=True).action is Action.POST


def test_next_post_time_for_status():
    schedule = server("Europe/Berlin", "08:30", catch_up=timedelta(hours=1))
    now = local(BERLIN, 2026, 11, 25, 12, 0)
    assert next_post_at(now, schedule, posted(date(2026, 11, 24))) == local(BERLIN, 2026, 11, 26, 8, 30)
    assert next_post_at(local(BERLIN, 2026, 11, 25, 8, 40), schedule, posted(date(2026, 11, 24))) == local(
        BERLIN, 2026, 11, 25, 8, 40
    )


# -- term order ----------------------------------------------------------------------------


def run_days(
    guild_id: int, eligible: list[str], days: int, state: CycleState | None = None
) -> tuple[list[str], CycleState]:
    """Post `days` terms the way the scheduler does, keeping the cycle state as the database would."""
    state = state or CycleState()
    picks = []
    for _ in range(days):
        pick = pick_term(guild_id, eligible, state)
        assert pick is not None
        picks.append(pick.slug)
        if pick.cycle != state.cycle:
            state = CycleState(pick.cycle)
        state = replace(state, used=state.used | {pick.slug})
    return picks, state


GLOSSARY = [f"term-{n:03d}" for n in range(120)]


def test_no_repeats_until_every_term_was_posted_then_a_new_shuffle():
    picks, state = run_days(7, GLOSSARY, 2 * len(GLOSSARY))
    first, second = picks[: len(GLOSSARY)], picks[len(GLOSSARY) :]
    assert sorted(first) == sorted(GLOSSARY) == sorted(second)
    assert first != second  # each cycle is shuffled afresh
    assert first != sorted(GLOSSARY)
    assert state.cycle == 1


def test_the_order_is_stable_across_restarts_and_different_per_server():
    assert run_days(7, GLOSSARY, 30)[0] == run_days(7, GLOSSARY, 30)[0]
    assert cycle_order(7, 0, GLOSSARY) == cycle_order(7, 0, list(reversed(GLOSSARY)))
    assert run_days(7, GLOSSARY, 30)[0] != run_days(8, GLOSSARY, 30)[0]
    assert run_days(7, GLOSSARY, 10)[0] == cycle_order(7, 0, GLOSSARY)[:10]


def test_new_terms_join_the_current_cycle_and_removed_terms_are_skipped():
    picks, state = run_days(3, GLOSSARY[:60], 30)
    grown = [*GLOSSARY[:60], "new-term"]
    removed = set(cycle_order(3, 0, GLOSSARY[:60])[30:35])
    shrunk = [slug for slug in grown if slug not in removed]
    rest, state = run_days(3, shrunk, len(shrunk) - 30, state)
    assert "new-term" in rest
    assert not removed & set(rest)
    assert sorted(picks + rest) == sorted(shrunk)
    assert state.cycle == 0


def test_module_focus_only_posts_that_module_without_repeats():
    procurement = [slug for slug in GLOSSARY if slug.endswith(("1", "2"))]
    _, state = run_days(5, GLOSSARY, 10)
    picks, state = run_days(5, procurement, len(procurement) - len(state.used & set(procurement)), state)
    assert set(picks) <= set(procurement)
    assert len(picks) == len(set(picks))
    nxt = pick_term(5, procurement, state)
    assert nxt is not None and nxt.cycle == state.cycle + 1  # all posted: the focus starts a new cycle


def test_a_skipped_term_goes_to_the_end_of_the_cycle():
    eligible = GLOSSARY[:10]
    order = cycle_order(9, 0, eligible)
    state = CycleState(0, frozenset(), frozenset({order[0]}))
    picks, _ = run_days(9, eligible, 10, state)
    assert picks == [*order[1:], order[0]]
    assert pick_term(9, ["only"], CycleState(), exclude={"only"}) is None


def test_a_thousand_servers_each_get_their_own_shuffle_and_post_once_per_day():
    zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]
    start, end = utc(2026, 11, 24, 0, 0), utc(2026, 11, 27, 0, 0)
    servers = [server(zones[n % 5], "08:30", guild_id=1_000 + n, active_from=start) for n in range(1000)]
    firsts = {pick_term(s.guild_id, GLOSSARY, CycleState()).slug for s in servers}  # type: ignore[union-attr]
    assert len(firsts) > 100  # spread over the glossary, not one term everywhere
    for schedule in servers:
        posts = simulate(schedule, start, end)
        days = [day for day, _ in posts]
        assert len(days) == len(set(days))
        for day, instant in posts:
            assert instant.astimezone(schedule.zone).time() == time(8, 30)
            assert local_date(instant, schedule.zone) == day


def test_a_thousand_servers_due_at_the_same_instant_are_all_due():
    now = utc(2026, 11, 25, 7, 30)
    servers = [server("Europe/Berlin", "08:30", guild_id=n) for n in range(1000)]
    decisions = [decide(now, s, posted(date(2026, 11, 24), s.guild_id)) for s in servers]
    assert all(d.action is Action.POST and d.local_date == date(2026, 11, 25) for d in decisions)
    rng = random.Random(4)
    shuffled = rng.sample(servers, 50)
    yesterday = posted(date(2026, 11, 24))
    assert all(decide(now - timedelta(seconds=1), s, yesterday).action is Action.WAIT for s in shuffled)


# -- the marker ----------------------------------------------------------------------------


def test_the_footer_marker_round_trips_and_ignores_other_footers():
    day = date(2026, 11, 25)
    assert post_marker(day) == "Term of the day · 2026-11-25"
    assert marker_date(post_marker(day)) == day
    assert marker_date("TermiKnowledge · /term to look up another") is None
    assert marker_date(None) is None
    assert marker_date("Term of the day · 2026-13-45") is None


def test_defaults():
    schedule = server()
    assert schedule.catch_up == CATCH_UP_DEFAULT
    assert schedule.active_from == EPOCH
