"""Time zones and local days, with no Discord imports: wall-clock dates, DST-safe instants, zone names."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, aware, in UTC (the production clock; tests inject their own)."""
    return datetime.now(UTC)


# Zones offered first when nothing is typed yet: the communities we expect, then the rest alphabetically.
_COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Amsterdam",
    "Europe/Madrid",
    "Europe/Warsaw",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
)


def _zone_key(text: str) -> str:
    return "_".join(text.strip().split()).casefold()


class ZoneDirectory:
    """The IANA time zone names the bot accepts, for validation and autocomplete."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(sorted(names))
        self._by_key = {_zone_key(name): name for name in self.names}

    @classmethod
    @functools.cache
    def from_system(cls) -> ZoneDirectory:
        """Build from the zones installed with Python's tzdata (slow: call it once, off the event loop)."""
        names = zoneinfo.available_timezones() - {"Factory", "localtime"}
        return cls(n for n in names if not n.startswith(("posix/", "right/")))

    def resolve(self, text: str) -> str | None:
        """Return the canonical spelling of a zone name typed in any case, with spaces for underscores."""
        return self._by_key.get(_zone_key(text))

    def complete(self, text: str, limit: int = 25) -> list[str]:
        """Return up to `limit` zone names for autocomplete: city prefixes first, then any substring."""
        key = _zone_key(text)
        if not key:
            return [name for name in _COMMON_ZONES if _zone_key(name) in self._by_key][:limit]
        exact: list[str] = []
        city: list[str] = []
        prefix: list[str] = []
        inside: list[str] = []
        for name in self.names:
            folded = name.casefold()
            if folded == key:
                exact.append(name)
            elif folded.rsplit("/", 1)[-1].startswith(key):
                city.append(name)
            elif folded.startswith(key):
                prefix.append(name)
            elif key in folded:
                inside.append(name)
        return [*exact, *city, *prefix, *inside][:limit]


def zone_or_utc(name: str | None) -> zoneinfo.ZoneInfo:
    """Return the named IANA zone, or UTC when it is missing or unknown."""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return zoneinfo.ZoneInfo("UTC")


def _wall(instant: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def local_date(now: datetime, tz: zoneinfo.ZoneInfo) -> date:
    """Return the date on the wall clocks of a time zone at an instant."""
    return now.astimezone(tz).date()


def local_instant(day: date, at: time, tz: zoneinfo.ZoneInfo) -> datetime:
    """Return the UTC instant of a wall-clock time on a local date.

    A time that happens twice (fall back) resolves to its first occurrence; a time that does not
    exist (spring forward) resolves to the first valid instant after the gap, i.e. the transition.
    """
    wall = datetime.combine(day, at)
    candidates = [wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
    real = [instant for instant in candidates if _wall(instant, tz) == wall]
    if real:
        return min(real)
    # In a gap the two folds straddle the transition; find it to the second by bisection.
    low, high = (int(c.timestamp()) for c in sorted(candidates))
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), tz) > wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def day_start(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    """Return the first instant of a local date."""
    return local_instant(day, time(0, 0), tz)


def day_end(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    """Return the first instant after a local date."""
    return day_start(day + timedelta(days=1), tz)
