"""What the glossary service needs for server terms: per-server miss counts and search over the overlay."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.core.overlay import Overlay
from bot.core.timezones import Clock, utc_now
from bot.db.repositories import SearchHit

log = logging.getLogger(__name__)
SNIPPET = 160


@runtime_checkable
class ServerMissWriter(Protocol):
    """A backend that keeps misses per server (for the gap report)."""

    async def record_server_misses(self, rows: Sequence[tuple[int, str, str, int]], now: datetime) -> None:
        """Add miss counts per (server, query key, shown query, count) to today's row."""
        ...


class ServerMisses:
    """Misses counted in memory per (server, query key), written in batches with the other statistics."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self.clock = clock
        self._counts: dict[tuple[int, str], tuple[str, int]] = {}

    def count(self, guild_id: int, key: str, query: str) -> None:
        """Count one miss in a server."""
        shown, count = self._counts.get((guild_id, key), (query, 0))
        self._counts[(guild_id, key)] = (shown, count + 1)

    def __len__(self) -> int:
        return sum(count for _, count in self._counts.values())

    async def flush(self, db: object) -> int:
        """Write the counts when the backend keeps them; keep them for the next try if writing fails."""
        counts, self._counts = self._counts, {}
        if not counts or not isinstance(db, ServerMissWriter):
            return 0
        rows = [(guild, key, shown, count) for (guild, key), (shown, count) in counts.items()]
        try:
            await db.record_server_misses(rows, self.clock())
        except Exception as exc:  # statistics must never take the bot down
            log.warning("Could not write %d server misses yet (kept for the next try): %s", len(rows), exc)
            for (guild, key), (shown, count) in counts.items():
                _, newer = self._counts.get((guild, key), (shown, 0))
                self._counts[(guild, key)] = (shown, count + newer)
            return 0
        return sum(count for _, count in counts.values())


async def search_with_overlay(
    bundled: Callable[..., Awaitable[tuple[list[SearchHit], int]]],
    overlay: Overlay,
    text: str,
    *,
    page: int,
    per_page: int,
) -> tuple[list[SearchHit], int]:
    """Search a server's new terms first, then the bundled glossary (its overridden terms under their new name)."""
    own = [
        SearchHit(t.term.slug, t.term.name, _snippet(t.term.definition))
        for t in overlay.search(text)
        if not t.overrides
    ]
    offset = page * per_page
    shown = own[offset : offset + per_page]
    bundled_offset = max(0, offset - len(own))
    room = per_page - len(shown)
    hits, total = await bundled(text, limit=max(room, 1), offset=bundled_offset)
    hits = hits[: max(room, 0)]
    for hit in hits:
        server_term = overlay.get(hit.slug)
        name = server_term.term.name if server_term is not None else hit.name
        shown.append(SearchHit(hit.slug, name, hit.snippet))
    return shown, total + len(own)


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "…"
