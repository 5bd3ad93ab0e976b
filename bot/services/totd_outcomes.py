"""What the term-of-the-day service promises and returns: the Discord seam, outcomes and the rate limiter."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from bot.core.glossary import Term
from bot.core.schedule import PostRecord, PostStatus, ServerSchedule


@dataclass(frozen=True, slots=True)
class Sent:
    """Where a post landed, and a note if part of it (the thread) did not work."""

    channel_id: int
    message_id: int
    note: str | None = None


class Delivery(Protocol):
    """What the scheduler needs from Discord; every method raises DeliveryError on failure."""

    async def check(self, schedule: ServerSchedule) -> None:
        """Raise unless the bot can post in the server's channel (a local check, no request)."""

    async def find(self, schedule: ServerSchedule, channel_id: int, day: date) -> int | None:
        """Return the id of the bot's post for a date among the channel's recent messages."""

    async def send(self, schedule: ServerSchedule, term: Term, day: date) -> Sent:
        """Post a term for a date (and open its thread if the server wants one)."""

    async def replace(self, schedule: ServerSchedule, channel_id: int, message_id: int, term: Term, day: date) -> bool:
        """Show another term in a posted message; False if the message is gone."""


class OutcomeKind(StrEnum):
    """How an attempt ended, for logs and for the admin who asked."""

    POSTED = "posted"
    FOUND = "found"  # an unconfirmed post turned out to be in the channel
    REPLACED = "replaced"  # /totd skip edited the day's post
    ALREADY = "already"  # the date has its post
    RETRYING = "retrying"
    PROBLEM = "problem"  # Discord refused; retried hourly or after /totd setup
    MISSED = "missed"
    BUSY = "busy"  # another attempt for the date is under way
    NO_TERMS = "no_terms"
    NOT_SET_UP = "not_set_up"
    DISABLED = "disabled"
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one step for one server."""

    kind: OutcomeKind
    day: date | None = None
    detail: str = ""
    channel_id: int | None = None
    message_id: int | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RoundReport:
    """What one pass over all servers did."""

    servers: int
    started: int
    next_wake: datetime | None


@dataclass(frozen=True, slots=True)
class Status:
    """Everything /totd status shows."""

    schedule: ServerSchedule
    latest: PostRecord | None
    last_posted: PostRecord | None
    next_at: datetime | None


class RateLimiter:
    """Space calls evenly at most `per_second` a second, first come first served."""

    def __init__(self, per_second: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / per_second
        self._monotonic = monotonic
        self._next = 0.0

    async def wait(self) -> None:
        """Return when the caller may make its call."""
        now = self._monotonic()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


def missed_reason(reason: str, latest: PostRecord | None, schedule: ServerSchedule) -> str:
    """Say why a day was missed, with the last error or the server's problem when there is one."""
    if latest is not None and latest.status is PostStatus.FAILED and latest.last_error:
        return f"{reason} Last error: {latest.last_error}"
    if schedule.problem:
        return f"{reason} Problem: {schedule.problem}"
    return reason
