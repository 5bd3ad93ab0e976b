"""Term of the day: when each server's post is due and which term it gets, with no Discord imports.

Everything here is a pure function of its arguments (the current instant comes in as `now`, an
aware datetime), so the scheduler's rules can be tested with a fake clock:

- a server posts once per *local* date, at its wall-clock time in its IANA time zone; a time that
  does not exist on a spring-forward day posts at the first valid instant after the gap, a time
  that happens twice on a fall-back day posts at its first occurrence;
- a post the bot could not make on time (it was offline) is caught up the same local day, within
  the server's catch-up window; after that the day is marked missed, never posted the next day;
- once a day's first attempt has started, failed attempts are retried with exponential backoff
  until the local day ends; a server Discord refuses (403/404) is retried only hourly;
- the term order is a per-server shuffle derived from a hash of (server, cycle, slug): stable
  across restarts, different per server and per cycle, with no repeats inside a cycle.
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from bot.core.errors import UserFacingError
from bot.core.timezones import day_end, local_date, local_instant

HEADING = "Term of the day"
MARKER_PREFIX = f"{HEADING} · "
CATCH_UP_DEFAULT = timedelta(hours=6)
CATCH_UP_MAX = timedelta(hours=23)
PROBLEM_RETRY = timedelta(hours=1)  # after a 403/404: try again this much later, not sooner
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(minutes=30)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_M64 = (1 << 64) - 1
_TIME = re.compile(r"^\s*(\d{1,2})\s*:\s*(\d{2})\s*$")
_MARKER = re.compile(re.escape(MARKER_PREFIX) + r"(\d{4}-\d{2}-\d{2})\b")


class ScheduleError(UserFacingError, ValueError):
    """A schedule setting the user typed cannot be used; the message says how to fix it."""


class PostStatus(StrEnum):
    """Where a server's post for one local date stands."""

    SENDING = "sending"  # intent recorded; whether Discord has the message is not known yet
    FAILED = "failed"  # an attempt failed and Discord certainly has no message; retry later
    POSTED = "posted"
    MISSED = "missed"  # the day passed without a post


OPEN = frozenset({PostStatus.SENDING, PostStatus.FAILED})


class Action(StrEnum):
    """What the scheduler should do for a server now."""

    IDLE = "idle"  # disabled
    WAIT = "wait"  # nothing to do before `Decision.wake_at`
    POST = "post"  # choose (or reuse) the day's term and send it
    RECONCILE = "reconcile"  # look in the channel for an unconfirmed post before anything else
    MISS = "miss"  # record the day as missed
    DONE = "done"  # (manual posts only) this local date already has its post


class FailureKind(StrEnum):
    """How a failed Discord call should be retried."""

    PERMANENT = "permanent"  # 403/404 and other refusals: record the problem, retry hourly
    TRANSIENT = "transient"  # 429 and the like: nothing was sent; retry with backoff
    UNCERTAIN = "uncertain"  # 5xx, network, timeout: a message may exist; look before resending


class DeliveryError(Exception):
    """A Discord call failed; `kind` says how to retry and the message is fit for /totd status."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class ServerSchedule:
    """One server's term-of-the-day settings, with its current delivery problem if any."""

    guild_id: int
    channel_id: int
    post_time: time
    timezone: str
    catch_up: timedelta = CATCH_UP_DEFAULT
    role_id: int | None = None
    module: str | None = None
    threads: bool = False
    enabled: bool = True
    active_from: datetime = EPOCH  # scheduled instants before this are not owed (set on setup)
    problem: str | None = None
    problem_since: datetime | None = None
    blocked_until: datetime | None = None  # after a 403/404, no attempt before this instant

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Return the server's time zone."""
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class PostRecord:
    """One server's post for one local date (the table has exactly one row per server and date)."""

    guild_id: int
    local_date: date
    status: PostStatus
    slug: str | None = None
    cycle: int = 0
    channel_id: int | None = None
    message_id: int | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    posted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The scheduler's next step for one server."""

    action: Action
    local_date: date | None = None
    wake_at: datetime | None = None  # for WAIT: when to look again
    reason: str = ""


# -- settings the user types ----------------------------------------------------------


def parse_post_time(text: str) -> time:
    """Read "HH:MM" in 24-hour time, e.g. "08:30" or "17:45"."""
    match = _TIME.match(text)
    if match is None or not (0 <= int(match[1]) <= 23 and 0 <= int(match[2]) <= 59):
        raise ScheduleError("Give the time as HH:MM in 24-hour format, for example 08:30 or 17:45.")
    return time(int(match[1]), int(match[2]))


def format_post_time(value: time) -> str:
    """Return "HH:MM"."""
    return f"{value.hour:02d}:{value.minute:02d}"


def check_catch_up(hours: int) -> timedelta:
    """Return a catch-up window of whole hours between 1 and 23."""
    window = timedelta(hours=hours)
    if not timedelta(hours=1) <= window <= CATCH_UP_MAX:
        raise ScheduleError("The catch-up window must be between 1 and 23 hours.")
    return window


def scheduled_at(schedule: ServerSchedule, day: date) -> datetime:
    """Return when a server's post for a local date is due."""
    return local_instant(day, schedule.post_time, schedule.zone)


def catch_up_deadline(schedule: ServerSchedule, day: date) -> datetime:
    """Return the last moment a day's first attempt may start: the catch-up window, cut at local midnight."""
    return min(scheduled_at(schedule, day) + schedule.catch_up, day_end(day, schedule.zone))


# -- the decision -----------------------------------------------------------------------


def decide(now: datetime, schedule: ServerSchedule, latest: PostRecord | None, *, manual: bool = False) -> Decision:
    """Decide what to do for one server, given its most recent post record.

    `manual` is an admin's "post now": it ignores the clock time, the catch-up window, backoff
    and the hourly wait after a refusal, but still never posts twice for one local date.
    """
    if not schedule.enabled:
        return Decision(Action.IDLE, reason="disabled")
    tz = schedule.zone
    today = local_date(now, tz)
    if latest is not None and latest.status in OPEN:
        return _open_day(now, schedule, latest, today, manual=manual)
    if manual:
        if latest is not None and latest.local_date >= today and latest.status is PostStatus.POSTED:
            return Decision(Action.DONE, latest.local_date, reason="already posted")
        if latest is not None and latest.local_date > today:
            return Decision(Action.DONE, latest.local_date, reason="a later date is recorded")
        return Decision(Action.POST, today, reason="posted by an admin")

    if latest is not None and latest.local_date >= today:
        day = latest.local_date + timedelta(days=1)
    else:
        yesterday = today - timedelta(days=1)
        owed = scheduled_at(schedule, yesterday) >= schedule.active_from
        if owed and (latest is None or latest.local_date < yesterday):
            return Decision(Action.MISS, yesterday, reason="I was offline from post time to the end of the day.")
        day = today
    due = scheduled_at(schedule, day)
    for _ in range(400):  # a first post is owed only from setup on (bounded if the clock ran backwards)
        if due >= schedule.active_from:
            break
        day += timedelta(days=1)
        due = scheduled_at(schedule, day)
    if now < due:
        return Decision(Action.WAIT, day, due, "not yet time")
    deadline = catch_up_deadline(schedule, day)
    if now >= deadline:
        return Decision(Action.MISS, day, reason="I could not post within the catch-up window.")
    if schedule.blocked_until is not None and now < schedule.blocked_until:
        return Decision(Action.WAIT, day, min(schedule.blocked_until, deadline), "waiting after a refusal")
    return Decision(Action.POST, day, reason="due")


def _open_day(now: datetime, schedule: ServerSchedule, row: PostRecord, today: date, *, manual: bool) -> Decision:
    """Finish an attempt under way (SENDING) or failed (FAILED) before anything else."""
    end = day_end(row.local_date, schedule.zone)
    if row.local_date < today or now >= end:
        # The day is over: find out whether an unconfirmed post went out, never send it late.
        if row.status is PostStatus.FAILED:
            return Decision(Action.MISS, row.local_date, reason="Retries ran out at local midnight.")
        if not manual and row.next_attempt_at is not None and now < row.next_attempt_at:
            return Decision(Action.WAIT, row.local_date, row.next_attempt_at, "backing off")
        return Decision(Action.RECONCILE, row.local_date, reason="unconfirmed post from an earlier day")
    action = Action.RECONCILE if row.status is PostStatus.SENDING else Action.POST
    if manual:
        return Decision(action, row.local_date, reason="posted by an admin")
    waits = [t for t in (row.next_attempt_at, schedule.blocked_until) if t is not None and now < t]
    if waits:
        return Decision(Action.WAIT, row.local_date, min(max(waits), end), "backing off")
    return Decision(action, row.local_date, reason="retry")


def next_post_at(now: datetime, schedule: ServerSchedule, latest: PostRecord | None) -> datetime | None:
    """Return when the next post (or attempt) will happen, for /totd status; `now` if it is due."""
    for _ in range(4):
        decision = decide(now, schedule, latest)
        if decision.action is Action.IDLE:
            return None
        if decision.action is Action.WAIT:
            return decision.wake_at
        if decision.action is not Action.MISS or decision.local_date is None:
            return now
        latest = PostRecord(schedule.guild_id, decision.local_date, PostStatus.MISSED)
    return None


def retry_delay(attempts: int) -> timedelta:
    """Return the exponential backoff after `attempts` failed attempts: 30 s, 1 min, 2 min… up to 30 min."""
    if attempts <= 0:
        return timedelta(0)
    return min(RETRY_FIRST * (1 << min(attempts - 1, 16)), RETRY_MAX)


# -- the term order ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CycleState:
    """A server's progress through its current pass over the glossary."""

    cycle: int = 0
    used: frozenset[str] = frozenset()  # posted (or being posted) in this cycle
    skipped: frozenset[str] = frozenset()  # skipped by an admin in this cycle: they go last


@dataclass(frozen=True, slots=True)
class Pick:
    """The term chosen for a day and the cycle it belongs to."""

    slug: str
    cycle: int


@lru_cache(maxsize=65_536)
def _slug_seed(slug: str) -> int:
    return int.from_bytes(hashlib.blake2b(slug.encode(), digest_size=8).digest(), "big")


def _cycle_salt(guild_id: int, cycle: int) -> tuple[int, int]:
    digest = hashlib.blake2b(f"{guild_id}:{cycle}".encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "big"), int.from_bytes(digest[8:], "big") | 1


def shuffle_key(guild_id: int, cycle: int, slug: str) -> int:
    """Return a term's place in a server's shuffled cycle: stable across restarts and machines.

    Each slug's hash is computed once; a server and cycle then only cost an XOR and a multiply
    by an odd number modulo 2**64 (a bijection), which keeps a pick over thousands of terms
    near a millisecond instead of one hash per term per pick.
    """
    mask, odd = _cycle_salt(guild_id, cycle)
    return ((_slug_seed(slug) ^ mask) * odd) & _M64


def cycle_order(guild_id: int, cycle: int, slugs: Iterable[str]) -> list[str]:
    """Return the slugs in the order a server's cycle posts them."""
    mask, odd = _cycle_salt(guild_id, cycle)
    return sorted(slugs, key=lambda slug: ((_slug_seed(slug) ^ mask) * odd) & _M64)


def pick_term(guild_id: int, eligible: Sequence[str], state: CycleState, exclude: Collection[str] = ()) -> Pick | None:
    """Choose the next term: the first unposted one in this cycle's shuffle, or start a new cycle.

    Terms added to the glossary join the current cycle at their shuffled place; removed terms
    simply are not eligible any more; skipped terms go to the end of the cycle.
    """
    cycle = state.cycle
    remaining = [slug for slug in eligible if slug not in state.used and slug not in exclude]
    skipped = state.skipped
    if not remaining:
        cycle += 1
        skipped = frozenset()
        remaining = [slug for slug in eligible if slug not in exclude]
    if not remaining:
        return None
    fresh = [slug for slug in remaining if slug not in skipped] if skipped else remaining
    mask, odd = _cycle_salt(guild_id, cycle)
    best = min(fresh or remaining, key=lambda slug: ((_slug_seed(slug) ^ mask) * odd) & _M64)
    return Pick(best, cycle)


# -- the marker in each post ----------------------------------------------------------


def pick_replacement(guild_id: int, eligible: Sequence[str], state: CycleState, current: Pick) -> Pick | None:
    """Pick the term that replaces a skipped one; the skipped term goes to the end of its cycle."""
    same = current.cycle == state.cycle
    after_skip = CycleState(
        current.cycle,
        (state.used - {current.slug}) if same else frozenset(),
        (state.skipped if same else frozenset()) | {current.slug},
    )
    return pick_term(guild_id, eligible, after_skip, exclude={current.slug})


def post_marker(day: date) -> str:
    """Return the footer that marks a server's post for a local date, e.g. "Term of the day · 2026-11-25"."""
    return f"{MARKER_PREFIX}{day.isoformat()}"


def marker_date(text: str | None) -> date | None:
    """Return the date in a post's footer marker, if the text carries one."""
    match = _MARKER.search(text or "")
    if match is None:
        return None
    try:
        return date.fromisoformat(match[1])
    except ValueError:
        return None
