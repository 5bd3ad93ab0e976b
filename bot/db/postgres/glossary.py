"""The glossary, its full-text search (tsvector + GIN), lookup statistics and the bot's settings."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.core.glossary import Term
from bot.db.postgres._base import PgStore
from bot.db.repositories import SearchHit

_WORD = re.compile(r"\w+", re.UNICODE)
# ts_rank's weights are listed {D, C, B, A}: name 10, aliases 5, definition 1, as SQLite's bm25 weights.
_WEIGHTS = "'{0, 0.1, 0.5, 1.0}'"
_HEADLINE = "StartSel=**, StopSel=**, MaxWords=16, MinWords=6, ShortWord=2, MaxFragments=1, FragmentDelimiter=…"


def ts_query(text: str) -> str:
    """Turn free text into a safe to_tsquery text: every word required, the last one as a prefix."""
    words = [word.replace("_", " ") for word in _WORD.findall(text.casefold())[:12]]
    words = [w for word in words for w in word.split()]
    if not words:
        return ""
    quoted = [f"'{word}'" for word in words]
    quoted[-1] += ":*"
    return " & ".join(quoted)


class GlossaryQueries(PgStore):
    """The glossary is replaced in one transaction; statistics are upserts that add up."""

    async def get_meta(self, key: str) -> str | None:
        """Return a stored setting of the bot itself."""
        value = await self._pool.fetchval("SELECT value FROM meta WHERE key = $1", key)
        return str(value) if value is not None else None

    async def set_meta(self, key: str, value: str) -> None:
        """Store a setting of the bot itself."""
        await self._pool.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key,
            value,
        )

    async def replace_glossary(self, terms: Sequence[Term], content_hash: str) -> None:
        """Swap in a new glossary in one transaction; statistics are untouched."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM related")
            await conn.execute("DELETE FROM aliases")
            await conn.execute("DELETE FROM terms")
            await conn.copy_records_to_table(
                "terms",
                columns=("slug", "name", "module", "definition", "example", "position", "alias_text"),
                records=[
                    (t.slug, t.name, t.module, t.definition, t.example, i, " ".join(t.aliases))
                    for i, t in enumerate(terms)
                ],
            )
            await conn.copy_records_to_table(
                "aliases",
                columns=("slug", "alias", "position"),
                records=[(t.slug, a, i) for t in terms for i, a in enumerate(t.aliases)],
            )
            await conn.copy_records_to_table(
                "related",
                columns=("slug", "related_slug", "position"),
                records=[(t.slug, r, i) for t in terms for i, r in enumerate(t.related)],
            )
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ('glossary_hash', $1) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                content_hash,
            )

    async def load_terms(self) -> list[Term]:
        """Return every term in glossary order, with aliases and related slugs."""
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            aliases: dict[str, list[str]] = {}
            for slug, alias in await conn.fetch("SELECT slug, alias FROM aliases ORDER BY slug, position"):
                aliases.setdefault(slug, []).append(alias)
            related: dict[str, list[str]] = {}
            for slug, other in await conn.fetch("SELECT slug, related_slug FROM related ORDER BY slug, position"):
                related.setdefault(slug, []).append(other)
            rows = await conn.fetch("SELECT slug, name, module, definition, example FROM terms ORDER BY position")
        return [
            Term(
                slug=row["slug"],
                name=row["name"],
                module=row["module"],
                definition=row["definition"],
                example=row["example"],
                aliases=tuple(aliases.get(row["slug"], ())),
                related=tuple(related.get(row["slug"], ())),
            )
            for row in rows
        ]

    async def search(self, text: str, *, limit: int, offset: int = 0) -> tuple[list[SearchHit], int]:
        """Rank terms by full-text relevance (name over aliases over definition)."""
        query = ts_query(text)
        if not query:
            return [], 0
        async with self._pool.acquire() as conn:
            total = int(
                await conn.fetchval("SELECT count(*) FROM terms WHERE document @@ to_tsquery('english', $1)", query)
            )
            if total == 0:  # also a query of stop words only, which matches nothing
                return [], 0
            rows = await conn.fetch(
                "SELECT slug, name, ts_headline('english', definition, q, $4) AS snippet "
                "FROM terms, to_tsquery('english', $1) AS q WHERE document @@ q "
                f"ORDER BY ts_rank({_WEIGHTS}, document, q) DESC, position LIMIT $2 OFFSET $3",
                query,
                limit,
                offset,
                _HEADLINE,
            )
        return [SearchHit(row["slug"], row["name"], row["snippet"]) for row in rows], total

    async def record_usage(self, lookups: Mapping[str, int], misses: Mapping[str, tuple[str, int]]) -> None:
        """Add a batch of lookup counts (by slug) and miss counts (by query key: shown query, count) at once."""
        now = self.clock()
        async with self._pool.acquire() as conn, conn.transaction():
            if lookups:
                await conn.execute(
                    "INSERT INTO lookups (slug, count, last_seen) "
                    "SELECT slug, n, $3 FROM unnest($1::text[], $2::bigint[]) AS u (slug, n) ORDER BY slug "
                    "ON CONFLICT (slug) DO UPDATE SET count = lookups.count + excluded.count, "
                    "last_seen = excluded.last_seen",
                    list(lookups),
                    list(lookups.values()),
                    now,
                )
            if misses:
                keys = sorted(misses)  # one order in every process, so concurrent flushes never deadlock
                await conn.execute(
                    "INSERT INTO misses (query_key, query, count, last_seen) "
                    "SELECT k, q, n, $4 FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u (k, q, n) "
                    "ON CONFLICT (query_key) DO UPDATE SET count = misses.count + excluded.count, "
                    "last_seen = excluded.last_seen",
                    keys,
                    [misses[key][0][:200] for key in keys],
                    [misses[key][1] for key in keys],
                    now,
                )

    async def popular(self, limit: int) -> list[str]:
        """Return the most looked-up slugs that are still in the glossary."""
        rows = await self._pool.fetch(
            "SELECT l.slug FROM lookups l JOIN terms t USING (slug) ORDER BY l.count DESC, l.slug LIMIT $1", limit
        )
        return [row[0] for row in rows]

    async def top_misses(self, limit: int) -> list[tuple[str, int]]:
        """Return the most frequent queries that matched nothing."""
        rows = await self._pool.fetch(
            "SELECT query, count FROM misses ORDER BY count DESC, last_seen DESC LIMIT $1", limit
        )
        return [(row[0], int(row[1])) for row in rows]

    async def lookup_counts(self) -> tuple[int, int]:
        """Return (total lookups, total misses)."""
        row = await self._pool.fetchrow(
            "SELECT (SELECT coalesce(sum(count), 0) FROM lookups), (SELECT coalesce(sum(count), 0) FROM misses)"
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)
