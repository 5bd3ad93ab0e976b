"""Suggestions, the review queue's settings, server terms and per-server misses (migration 0004)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.overlay import ServerTerm
from bot.core.suggestions import Draft, State, Suggestion
from bot.db._store import Store, moment, stamp
from bot.db.errors import APPROVAL_CLASH, DuplicateKeyError, import_clash
from bot.db.repositories import Gap, ReviewSetup
from bot.db.rows import SQLITE, SUGGESTION_COLUMNS, TERM_COLUMNS, server_term_from_row, suggestion_from_row

__all__ = ["CommunityQueries", "DuplicateKeyError"]


class CommunityQueries(Store):
    """Each decision is one guarded transaction: a suggestion leaves `open` exactly once."""

    # -- review queue settings ------------------------------------------------------------

    async def community_settings(self, guild_id: int) -> ReviewSetup | None:
        """Return a server's review-queue settings."""
        async with self._reader.execute(
            "SELECT review_channel_id, moderator_role_id, channel_problem FROM community_settings WHERE guild_id = ?",
            (guild_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return ReviewSetup(guild_id, row[0], row[1], row[2]) if row else None

    async def community_save_settings(self, setup: ReviewSetup, now: datetime) -> None:
        """Store a server's review channel and moderator role, clearing any reported problem."""
        await self._write(
            "INSERT INTO community_settings (guild_id, review_channel_id, moderator_role_id, channel_problem, "
            "updated_at) VALUES (?, ?, ?, NULL, ?) ON CONFLICT (guild_id) DO UPDATE SET "
            "review_channel_id = excluded.review_channel_id, moderator_role_id = excluded.moderator_role_id, "
            "channel_problem = NULL, updated_at = excluded.updated_at",
            (setup.guild_id, setup.channel_id, setup.role_id, stamp(now)),
        )

    async def community_set_problem(self, guild_id: int, problem: str | None, now: datetime) -> None:
        """Record (or clear) why the review channel cannot be used."""
        await self._write(
            "UPDATE community_settings SET channel_problem = ?, updated_at = ? WHERE guild_id = ?",
            (problem, stamp(now), guild_id),
        )

    # -- suggestions ----------------------------------------------------------------------

    async def suggestion_create(
        self, guild_id: int, user_id: int, draft: Draft, state: State, now: datetime
    ) -> Suggestion:
        """Store a new suggestion (a draft, or straight into the queue) and return it."""
        written = await self._write(
            "INSERT INTO suggestions (guild_id, user_id, target_slug, name, definition, aliases, example, module, "
            "state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                user_id,
                draft.target,
                draft.name,
                draft.definition,
                json.dumps(list(draft.aliases)),
                draft.example,
                draft.module,
                state.value,
                stamp(now),
            ),
        )
        assert written.lastrowid is not None
        return Suggestion(written.lastrowid, guild_id, user_id, draft, state, now)

    async def suggestion_get(self, suggestion_id: int) -> Suggestion | None:
        """Return one suggestion."""
        async with self._reader.execute(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE id = ?", (suggestion_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return suggestion_from_row(SQLITE, row) if row else None

    async def suggestions_in(self, guild_id: int, states: Sequence[State]) -> list[Suggestion]:
        """Return a server's suggestions in the given states, oldest first."""
        marks = ", ".join("?" for _ in states)
        async with self._reader.execute(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE guild_id = ? AND state IN ({marks}) ORDER BY id",
            (guild_id, *(s.value for s in states)),
        ) as cursor:
            return [suggestion_from_row(SQLITE, row) async for row in cursor]

    async def suggestion_count_since(self, guild_id: int, user_id: int, since: datetime) -> int:
        """Count a member's submitted suggestions in a server since an instant (drafts they dropped not included)."""
        async with self._reader.execute(
            "SELECT count(*) FROM suggestions WHERE guild_id = ? AND user_id = ? AND created_at >= ? "
            "AND state NOT IN ('draft', 'discarded')",
            (guild_id, user_id, stamp(since)),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

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
        async with self._transaction() as conn:
            return await _move(conn, suggestion_id, old, new, now, actor, reason, draft)

    async def suggestion_set_queue_message(self, suggestion_id: int, channel_id: int, message_id: int) -> None:
        """Remember where a suggestion's queue message is."""
        await self._write(
            "UPDATE suggestions SET queue_channel_id = ?, queue_message_id = ? WHERE id = ?",
            (channel_id, message_id, suggestion_id),
        )

    async def suggestion_approve(self, suggestion_id: int, server_term: ServerTerm, keys: Sequence[str]) -> bool:
        """Approve an open suggestion and make its term live in one transaction; False if already decided.

        Raises DuplicateKeyError (and changes nothing) when another server term owns a name or alias.
        """
        term = server_term.term
        try:
            async with self._transaction() as conn:
                moved = await _move(
                    conn, suggestion_id, State.OPEN, State.APPROVED, server_term.approved_at,
                    server_term.approved_by, None, None,
                )  # fmt: skip
                if not moved:
                    return False
                await conn.execute(
                    "DELETE FROM server_terms WHERE guild_id = ? AND slug = ?", (server_term.guild_id, term.slug)
                )
                await _insert_term(conn, server_term)
                await conn.executemany(
                    "INSERT INTO server_term_keys (guild_id, key, slug) VALUES (?, ?, ?)",
                    [(server_term.guild_id, key, term.slug) for key in keys],
                )
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(APPROVAL_CLASH) from exc
        return True

    async def server_terms_import(self, guild_id: int, terms: Sequence[tuple[ServerTerm, Sequence[str]]]) -> None:
        """Add or replace many server terms (with their name and alias keys) in one transaction, or none."""
        try:
            async with self._transaction() as conn:
                for server_term, keys in terms:
                    await conn.execute(
                        "DELETE FROM server_terms WHERE guild_id = ? AND slug = ?", (guild_id, server_term.term.slug)
                    )
                    await _insert_term(conn, server_term)
                    await conn.executemany(
                        "INSERT INTO server_term_keys (guild_id, key, slug) VALUES (?, ?, ?)",
                        [(guild_id, key, server_term.term.slug) for key in keys],
                    )
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(import_clash(exc)) from exc

    async def suggestions_unnotified(self, user_id: int) -> list[Suggestion]:
        """Return a member's decided suggestions whose outcome has not reached them yet."""
        async with self._reader.execute(
            f"SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE user_id = ? AND notified = 0 ORDER BY id",
            (user_id,),
        ) as cursor:
            return [suggestion_from_row(SQLITE, row) async for row in cursor]

    async def suggestion_users_unnotified(self) -> set[int]:
        """Return the members who have an outcome waiting for them."""
        async with self._reader.execute(
            "SELECT DISTINCT user_id FROM suggestions WHERE notified = 0 AND user_id IS NOT NULL"
        ) as cursor:
            return {int(row[0]) async for row in cursor}

    async def suggestion_set_notified(self, suggestion_ids: Sequence[int], notified: bool) -> None:
        """Mark outcomes as delivered (or still to deliver)."""
        async with self._transaction() as conn:
            await conn.executemany(
                "UPDATE suggestions SET notified = ? WHERE id = ?", [(int(notified), i) for i in suggestion_ids]
            )

    async def community_forget(self, user_id: int) -> int:
        """Remove a member from suggestions and credits (drafts deleted, the rest anonymous); return rows changed."""
        statements = (
            "DELETE FROM suggestions WHERE user_id = ? AND state IN ('draft', 'discarded')",
            "UPDATE suggestions SET user_id = NULL, notified = 1 WHERE user_id = ?",
            "UPDATE server_terms SET credit_user_id = NULL WHERE credit_user_id = ?",
        )
        changed = 0
        async with self._transaction() as conn:
            for statement in statements:
                async with conn.execute(statement, (user_id,)) as cursor:
                    changed += max(cursor.rowcount, 0)
        return changed

    # -- server terms ---------------------------------------------------------------------

    async def server_terms(self, guild_id: int | None = None) -> list[ServerTerm]:
        """Return one server's terms, or every server's when `guild_id` is None."""
        where, params = ("WHERE guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
        async with self._reader.execute(
            f"SELECT {TERM_COLUMNS} FROM server_terms {where} ORDER BY guild_id, approved_at, slug", params
        ) as cursor:
            return [server_term_from_row(SQLITE, row) async for row in cursor]

    async def server_term_remove(self, guild_id: int, slug: str) -> bool:
        """Remove one server term (its names and aliases go with it); False when there was none."""
        written = await self._write("DELETE FROM server_terms WHERE guild_id = ? AND slug = ?", (guild_id, slug))
        return written.rowcount > 0

    # -- gaps -----------------------------------------------------------------------------

    async def record_server_misses(self, rows: Sequence[tuple[int, str, str, int]], now: datetime) -> None:
        """Add miss counts per (server, query key, shown query, count) to today's row."""
        day, at = now.astimezone(UTC).date().isoformat(), stamp(now)
        await self._executemany(
            "INSERT INTO server_misses (guild_id, query_key, day, query, count, last_seen) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (guild_id, query_key, day) DO UPDATE SET count = count + excluded.count, "
            "last_seen = excluded.last_seen",
            [(guild, key, day, query[:200], count, at) for guild, key, query, count in rows],
        )

    async def server_gaps(self, guild_id: int | None, since: datetime | None, limit: int) -> list[Gap]:
        """Return the most frequent misses (in one server, or all), counted since an instant."""
        clauses: list[str] = []
        params: list[object] = []
        if guild_id is not None:
            clauses.append("guild_id = ?")
            params.append(guild_id)
        if since is not None:
            clauses.append("day >= ?")
            params.append(since.astimezone(UTC).date().isoformat())
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        async with self._reader.execute(
            f"SELECT query_key, max(query), sum(count), min(day), max(last_seen) FROM server_misses {where} "
            "GROUP BY query_key ORDER BY sum(count) DESC, max(last_seen) DESC LIMIT ?",
            (*params, limit),
        ) as cursor:
            return [Gap(row[0], row[1], int(row[2]), row[3], moment(row[4])) async for row in cursor]

    async def _executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if rows:
            async with self._transaction() as conn:
                await conn.executemany(sql, rows)


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
    decided = new in (State.APPROVED, State.REJECTED)
    sets = ["state = ?"]
    params: list[object] = [new.value]
    if decided:
        sets += ["decided_by = ?", "decided_at = ?", "reason = ?", "notified = 0"]
        params += [actor, stamp(now), reason]
    if draft is not None:
        sets += ["name = ?", "definition = ?", "aliases = ?", "example = ?", "module = ?"]
        params += [draft.name, draft.definition, json.dumps(list(draft.aliases)), draft.example, draft.module]
    async with conn.execute(
        f"UPDATE suggestions SET {', '.join(sets)} WHERE id = ? AND state = ?",
        (*params, suggestion_id, old.value),
    ) as cursor:
        return bool(cursor.rowcount == 1)


async def _insert_term(conn: Any, server_term: ServerTerm) -> None:
    term = server_term.term
    await conn.execute(
        f"INSERT INTO server_terms ({TERM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            server_term.guild_id,
            term.slug,
            term.name,
            term.module,
            term.definition,
            term.example,
            json.dumps(list(term.aliases)),
            json.dumps(list(term.related)),
            int(server_term.overrides),
            server_term.base_hash,
            server_term.credit_user_id,
            server_term.suggestion_id,
            server_term.approved_by,
            stamp(server_term.approved_at),
        ),
    )
