"""Suggestions, the review queue's settings, server terms and per-server misses in PostgreSQL (migration 0002)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bot.core.overlay import ServerTerm
from bot.core.suggestions import Draft, State, Suggestion
from bot.db.errors import APPROVAL_CLASH, DuplicateKeyError, import_clash
from bot.db.postgres._base import PgStore, affected
from bot.db.repositories import Gap, ReviewSetup
from bot.db.rows import POSTGRES, SUGGESTION_COLUMNS, TERM_COLUMNS, server_term_from_row, suggestion_from_row

# Text is ordered byte by byte, as SQLite does, whatever the database's collation.
_TERM_ORDER = 'guild_id, approved_at, slug COLLATE "C"'


class CommunityQueries(PgStore):
    """Each decision is one guarded transaction: a suggestion leaves `open` exactly once, in any process."""

    # -- review queue settings ------------------------------------------------------------

    async def community_settings(self, guild_id: int) -> ReviewSetup | None:
        """Return a server's review-queue settings."""
        row = await self._pool.fetchrow(
            "SELECT review_channel_id, moderator_role_id, channel_problem FROM community_settings WHERE guild_id = $1",
            guild_id,
        )
        return ReviewSetup(guild_id, row[0], row[1], row[2]) if row else None

    async def community_save_settings(self, setup: ReviewSetup, now: datetime) -> None:
        """Store a server's review channel and moderator role, clearing any reported problem."""
        await self._pool.execute(
            "INSERT INTO community_settings (guild_id, review_channel_id, moderator_role_id, channel_problem, "
            "updated_at) VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (guild_id) DO UPDATE SET "
            "review_channel_id = excluded.review_channel_id, moderator_role_id = excluded.moderator_role_id, "
            "channel_problem = NULL, updated_at = excluded.updated_at",
            setup.guild_id,
            setup.channel_id,
            setup.role_id,
            now,
        )

    async def community_set_problem(self, guild_id: int, problem: str | None, now: datetime) -> None:
        """Record (or clear) why the review channel cannot be used."""
        await self._pool.execute(
            "UPDATE community_settings SET channel_problem = $1, updated_at = $2 WHERE guild_id = $3",
            problem,
            now,
            guild_id,
        )

    # -- suggestions ----------------------------------------------------------------------

    async def suggestion_create(
        self, guild_id: int, user_id: int, draft: Draft, state: State, now: datetime
    ) -> Suggestion:
        """Store a new suggestion (a draft, or straight into the queue) and return it."""
        new_id = await self._pool.fetchval(
            "INSERT INTO suggestions (guild_id, user_id, target_slug, name, definition, aliases, example, module, "
            "state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            guild_id,
            user_id,
            draft.target,
            draft.name,
            draft.definition,
            json.dumps(list(draft.aliases)),
            draft.example,
            draft.module,
            state.value,
            now,
        )
        return Suggestion(int(new_id), guild_id, user_id, draft, state, now)

    async def suggestion_get(self, suggestion_id: int) -> Suggestion | None:
        """Return one suggestion."""
        row = await self._pool.fetchrow(f"SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE id = $1", suggestion_id)
        return suggestion_from_row(POSTGRES, row) if row else None

    async def suggestions_in(self, guild_id: int, states: Sequence[State]) -> list[Suggestion]:
        """Return a server's suggestions in the given states, oldest first."""
        rows = await self._pool.fetch(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE guild_id = $1 AND state = ANY($2::text[]) ORDER BY id",
            guild_id,
            [s.value for s in states],
        )
        return [suggestion_from_row(POSTGRES, row) for row in rows]

    async def suggestion_count_since(self, guild_id: int, user_id: int, since: datetime) -> int:
        """Count a member's submitted suggestions in a server since an instant (drafts they dropped not included)."""
        count = await self._pool.fetchval(
            "SELECT count(*) FROM suggestions WHERE guild_id = $1 AND user_id = $2 AND created_at >= $3 "
            "AND state NOT IN ('draft', 'discarded')",
            guild_id,
            user_id,
            since,
        )
        return int(count)

    async def suggestion_move(
        self,
        suggestion_id: int,
        old: State,
        new: State,
        now: datetime,
        *,
        actor: int | None = None,
        reason: str | None = None,
        draft: Draft | None = None,
    ) -> bool:
        """Move a suggestion from `old` to `new` only if it is still `old`; False when someone got there first."""
        async with self._pool.acquire() as conn, conn.transaction():
            return await _move(conn, suggestion_id, old, new, now, actor, reason, draft)

    async def suggestion_set_queue_message(self, suggestion_id: int, channel_id: int, message_id: int) -> None:
        """Remember where a suggestion's queue message is."""
        await self._pool.execute(
            "UPDATE suggestions SET queue_channel_id = $1, queue_message_id = $2 WHERE id = $3",
            channel_id,
            message_id,
            suggestion_id,
        )

    async def suggestion_approve(self, suggestion_id: int, server_term: ServerTerm, keys: Sequence[str]) -> bool:
        """Approve an open suggestion and make its term live in one transaction; False if already decided.

        Raises DuplicateKeyError (and changes nothing) when another server term owns a name or alias.
        """
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                moved = await _move(
                    conn, suggestion_id, State.OPEN, State.APPROVED, server_term.approved_at,
                    server_term.approved_by, None, None,
                )  # fmt: skip
                if not moved:
                    return False
                await _replace_term(conn, server_term, keys)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise DuplicateKeyError(APPROVAL_CLASH) from exc
        return True

    async def server_terms_import(self, guild_id: int, terms: Sequence[tuple[ServerTerm, Sequence[str]]]) -> None:
        """Add or replace many server terms (with their name and alias keys) in one transaction, or none."""
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                for server_term, keys in terms:
                    await _replace_term(conn, server_term, keys, guild_id)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise DuplicateKeyError(import_clash(exc)) from exc

    async def suggestions_unnotified(self, user_id: int) -> list[Suggestion]:
        """Return a member's decided suggestions whose outcome has not reached them yet."""
        rows = await self._pool.fetch(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE user_id = $1 AND NOT notified ORDER BY id", user_id
        )
        return [suggestion_from_row(POSTGRES, row) for row in rows]

    async def suggestion_users_unnotified(self) -> set[int]:
        """Return the members who have an outcome waiting for them."""
        rows = await self._pool.fetch(
            "SELECT DISTINCT user_id FROM suggestions WHERE NOT notified AND user_id IS NOT NULL"
        )
        return {int(row[0]) for row in rows}

    async def suggestion_set_notified(self, suggestion_ids: Sequence[int], notified: bool) -> None:
        """Mark outcomes as delivered (or still to deliver)."""
        if suggestion_ids:
            await self._pool.execute(
                "UPDATE suggestions SET notified = $1 WHERE id = ANY($2::bigint[])", notified, list(suggestion_ids)
            )

    async def community_forget(self, user_id: int) -> int:
        """Remove a member from suggestions and credits (drafts deleted, the rest anonymous); return rows changed."""
        statements = (
            "DELETE FROM suggestions WHERE user_id = $1 AND state IN ('draft', 'discarded')",
            "UPDATE suggestions SET user_id = NULL, notified = TRUE WHERE user_id = $1",
            "UPDATE server_terms SET credit_user_id = NULL WHERE credit_user_id = $1",
        )
        changed = 0
        async with self._pool.acquire() as conn, conn.transaction():
            for statement in statements:
                changed += affected(await conn.execute(statement, user_id))
        return changed

    # -- server terms ---------------------------------------------------------------------

    async def server_terms(self, guild_id: int | None = None) -> list[ServerTerm]:
        """Return one server's terms, or every server's when `guild_id` is None."""
        if guild_id is None:
            rows = await self._pool.fetch(f"SELECT {TERM_COLUMNS} FROM server_terms ORDER BY {_TERM_ORDER}")
        else:
            rows = await self._pool.fetch(
                f"SELECT {TERM_COLUMNS} FROM server_terms WHERE guild_id = $1 ORDER BY {_TERM_ORDER}", guild_id
            )
        return [server_term_from_row(POSTGRES, row) for row in rows]

    async def server_term_remove(self, guild_id: int, slug: str) -> bool:
        """Remove one server term (its names and aliases go with it); False when there was none."""
        status = await self._pool.execute("DELETE FROM server_terms WHERE guild_id = $1 AND slug = $2", guild_id, slug)
        return affected(status) > 0

    # -- gaps -----------------------------------------------------------------------------

    async def record_server_misses(self, rows: Sequence[tuple[int, str, str, int]], now: datetime) -> None:
        """Add miss counts per (server, query key, shown query, count) to today's row."""
        if not rows:
            return
        day = now.astimezone(UTC).date()
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO server_misses (guild_id, query_key, day, query, count, last_seen) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (guild_id, query_key, day) DO UPDATE SET "
                "count = server_misses.count + excluded.count, last_seen = excluded.last_seen",
                [(guild, key, day, query[:200], count, now) for guild, key, query, count in rows],
            )

    async def server_gaps(self, guild_id: int | None, since: datetime | None, limit: int) -> list[Gap]:
        """Return the most frequent misses (in one server, or all), counted since an instant."""
        clauses: list[str] = []
        params: list[object] = []
        if guild_id is not None:
            params.append(guild_id)
            clauses.append(f"guild_id = ${len(params)}")
        if since is not None:
            params.append(since.astimezone(UTC).date())
            clauses.append(f"day >= ${len(params)}")
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        params.append(limit)
        rows = await self._pool.fetch(
            f'SELECT query_key, max(query COLLATE "C"), sum(count), min(day), max(last_seen) FROM server_misses '
            f"{where} GROUP BY query_key ORDER BY sum(count) DESC, max(last_seen) DESC LIMIT ${len(params)}",
            *params,
        )
        return [Gap(row[0], row[1], int(row[2]), row[3].isoformat(), row[4]) for row in rows]


async def _move(
    conn: Any,
    suggestion_id: int,
    old: State,
    new: State,
    now: datetime,
    actor: int | None,
    reason: str | None,
    draft: Draft | None,
) -> bool:
    params: list[object] = [new.value]
    sets = ["state = $1"]

    def put(column: str, value: object) -> None:
        params.append(value)
        sets.append(f"{column} = ${len(params)}")

    if new in (State.APPROVED, State.REJECTED):
        put("decided_by", actor)
        put("decided_at", now)
        put("reason", reason)
        sets.append("notified = FALSE")
    if draft is not None:
        put("name", draft.name)
        put("definition", draft.definition)
        put("aliases", json.dumps(list(draft.aliases)))
        put("example", draft.example)
        put("module", draft.module)
    n = len(params)
    status = await conn.execute(
        f"UPDATE suggestions SET {', '.join(sets)} WHERE id = ${n + 1} AND state = ${n + 2}",
        *params,
        suggestion_id,
        old.value,
    )
    return affected(status) == 1


async def _replace_term(conn: Any, server_term: ServerTerm, keys: Sequence[str], guild_id: int | None = None) -> None:
    """Put a server term (and its name and alias keys) in place of any with its slug in its server."""
    guild = server_term.guild_id if guild_id is None else guild_id
    term = server_term.term
    await conn.execute("DELETE FROM server_terms WHERE guild_id = $1 AND slug = $2", guild, term.slug)
    await conn.execute(
        f"INSERT INTO server_terms ({TERM_COLUMNS}) VALUES ({', '.join(f'${n}' for n in range(1, 15))})",
        server_term.guild_id,
        term.slug,
        term.name,
        term.module,
        term.definition,
        term.example,
        json.dumps(list(term.aliases)),
        json.dumps(list(term.related)),
        server_term.overrides,
        server_term.base_hash,
        server_term.credit_user_id,
        server_term.suggestion_id,
        server_term.approved_by,
        server_term.approved_at,
    )
    if keys:
        await conn.executemany(
            "INSERT INTO server_term_keys (guild_id, key, slug) VALUES ($1, $2, $3)",
            [(guild, key, term.slug) for key in keys],
        )
