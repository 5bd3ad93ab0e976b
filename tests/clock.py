"""A wall clock that tests move by hand, injected as the bot's `clock`."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """Returns `now`, which the test sets or advances."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
