"""Suggestions from members, the moderators' decisions and each server's live terms (no Discord)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.glossary import Term
from bot.core.ids import SLUG_MAX, is_slug
from bot.core.normalize import slugify
from bot.core.overlay import ServerTerm, term_hash
from bot.core.suggestions import (
    Draft,
    Duplicates,
    State,
    Suggestion,
    SuggestionError,
    check_transition,
    describe_duplicates,
    draft_keys,
    find_duplicates,
    open_key_index,
)
from bot.core.timezones import Clock
from bot.db.repositories import CommunityRepository, Gap, ReviewSetup
from bot.services.glossary import GlossaryService

log = logging.getLogger(__name__)
DEFAULT_PER_DAY = 5


def may_moderate(manage_guild: bool, role_ids: Iterable[int], setup: ReviewSetup | None) -> bool:
    """Whether a member may decide suggestions: Manage Server, or the server's moderator role."""
    if manage_guild:
        return True
    return setup is not None and setup.role_id is not None and setup.role_id in set(role_ids)


@dataclass(frozen=True, slots=True)
class Submitted:
    """A stored suggestion, and what it looks like (a draft waits for the member to confirm)."""

    suggestion: Suggestion
    duplicates: Duplicates


class CommunityService:
    """Take suggestions, queue them, apply moderators' decisions once, and keep the overlays current."""

    def __init__(
        self, db: CommunityRepository, glossary: GlossaryService, clock: Clock, *, per_day: int = DEFAULT_PER_DAY
    ) -> None:
        self.db = db
        self.glossary = glossary
        self.clock = clock
        self.per_day = per_day
        self._waiting: set[int] = set()  # members with an outcome still to tell them

    async def load(self) -> int:
        """Load every server's terms into the glossary's overlays; return how many."""
        by_guild: dict[int, list[ServerTerm]] = {}
        for server_term in await self.db.server_terms():
            by_guild.setdefault(server_term.guild_id, []).append(server_term)
        for guild_id, terms in by_guild.items():
            self.glossary.set_server_terms(guild_id, terms)
        self._waiting = await self.db.suggestion_users_unnotified()
        return sum(len(terms) for terms in by_guild.values())

    async def _refresh(self, guild_id: int) -> None:
        self.glossary.set_server_terms(guild_id, await self.db.server_terms(guild_id))

    # -- members ----------------------------------------------------------------------

    async def duplicates(self, guild_id: int, draft: Draft, *, own: int | None = None) -> Duplicates:
        """Check a draft against the glossary as this server sees it and its open suggestions."""
        queued = await self.db.suggestions_in(guild_id, (State.OPEN,))
        return find_duplicates(
            draft, lambda text: self.glossary.resolve(text, guild_id), open_key_index(queued), own_suggestion=own
        )

    async def submit(self, guild_id: int, user_id: int, draft: Draft) -> Submitted:
        """Queue a suggestion, or keep it as a draft when it looks like an existing term; refuse clashes."""
        now = self.clock()
        if await self.db.suggestion_count_since(guild_id, user_id, now - timedelta(days=1)) >= self.per_day:
            raise SuggestionError(
                f"You have sent {self.per_day} suggestions in the last 24 hours, the most this server takes a day. "
                "Thank you! Please try again tomorrow."
            )
        if draft.target is not None and self.glossary.get(draft.target, guild_id) is None:
            raise SuggestionError("That term is no longer in the glossary, so there is nothing to correct.")
        found = await self.duplicates(guild_id, draft)
        if found.blocking:
            raise SuggestionError(describe_duplicates(found) + " Nothing was submitted.")
        state = State.DRAFT if found.similar and draft.target is None else State.OPEN
        suggestion = await self.db.suggestion_create(guild_id, user_id, draft, state, now)
        return Submitted(suggestion, found)

    async def confirm(self, suggestion_id: int, user_id: int) -> Suggestion:
        """Send a draft to the queue after the member saw the similar terms."""
        suggestion = await self._owned(suggestion_id, user_id)
        check_transition(suggestion.state, State.OPEN)
        found = await self.duplicates(suggestion.guild_id, suggestion.draft)
        if found.blocking:
            raise SuggestionError(describe_duplicates(found) + " Nothing was submitted.")
        if not await self.db.suggestion_move(suggestion_id, State.DRAFT, State.OPEN, self.clock()):
            raise SuggestionError("This suggestion was already sent or dropped.")
        return await self._get(suggestion_id)

    async def discard(self, suggestion_id: int, user_id: int) -> None:
        """Drop a draft the member decided not to send."""
        suggestion = await self._owned(suggestion_id, user_id)
        check_transition(suggestion.state, State.DISCARDED)
        await self.db.suggestion_move(suggestion_id, State.DRAFT, State.DISCARDED, self.clock())

    async def _owned(self, suggestion_id: int, user_id: int) -> Suggestion:
        suggestion = await self._get(suggestion_id)
        if suggestion.user_id != user_id:
            raise SuggestionError("This suggestion belongs to someone else.")
        return suggestion

    async def _get(self, suggestion_id: int) -> Suggestion:
        suggestion = await self.db.suggestion_get(suggestion_id)
        if suggestion is None:
            raise SuggestionError("That suggestion no longer exists.")
        return suggestion

    async def get(self, suggestion_id: int) -> Suggestion:
        """Return a suggestion, or a friendly error."""
        return await self._get(suggestion_id)

    async def mark_queued(self, suggestion: Suggestion, channel_id: int, message_id: int) -> None:
        """Remember the queue message of a suggestion."""
        await self.db.suggestion_set_queue_message(suggestion.id, channel_id, message_id)

    # -- moderators -------------------------------------------------------------------

    async def setup(self, guild_id: int) -> ReviewSetup | None:
        """Return the server's review settings."""
        return await self.db.community_settings(guild_id)

    async def configure(self, setup: ReviewSetup) -> None:
        """Store the review channel and moderator role."""
        await self.db.community_save_settings(setup, self.clock())

    async def report_channel_problem(self, guild_id: int, problem: str | None) -> None:
        """Record that the review channel cannot be used (or works again)."""
        await self.db.community_set_problem(guild_id, problem, self.clock())

    async def queue(self, guild_id: int) -> list[Suggestion]:
        """Return the suggestions waiting for a decision."""
        return await self.db.suggestions_in(guild_id, (State.OPEN,))

    async def approve(
        self, suggestion_id: int, guild_id: int, moderator_id: int, edited: Draft | None = None
    ) -> tuple[Suggestion, ServerTerm]:
        """Make a suggestion live in its server, once; an edit replaces its text first."""
        suggestion = await self._get(suggestion_id)
        if suggestion.guild_id != guild_id:
            raise SuggestionError("That suggestion belongs to another server.")
        check_transition(suggestion.state, State.APPROVED)
        draft = suggestion.draft if edited is None else replace(edited, target=suggestion.draft.target)
        found = await self.duplicates(guild_id, draft, own=suggestion_id)
        if found.exact:
            raise SuggestionError(describe_duplicates(found) + " Edit the suggestion so its names are unique.")
        now = self.clock()
        server_term = self._server_term(suggestion, draft, moderator_id, now)
        if edited is not None and not await self.db.suggestion_move(
            suggestion_id, State.OPEN, State.OPEN, now, draft=draft
        ):
            raise SuggestionError("Someone else decided this suggestion first; nothing changed.")
        if not await self.db.suggestion_approve(suggestion_id, server_term, draft_keys(draft)):
            raise SuggestionError("Someone else decided this suggestion first; nothing changed.")
        await self._refresh(guild_id)
        if suggestion.user_id is not None:
            self._waiting.add(suggestion.user_id)
        return await self._get(suggestion_id), server_term

    async def reject(self, suggestion_id: int, guild_id: int, moderator_id: int, reason: str) -> Suggestion:
        """Turn a suggestion down with a reason, once."""
        suggestion = await self._get(suggestion_id)
        if suggestion.guild_id != guild_id:
            raise SuggestionError("That suggestion belongs to another server.")
        check_transition(suggestion.state, State.REJECTED)
        moved = await self.db.suggestion_move(
            suggestion_id, State.OPEN, State.REJECTED, self.clock(), actor=moderator_id, reason=reason
        )
        if not moved:
            raise SuggestionError("Someone else decided this suggestion first; nothing changed.")
        if suggestion.user_id is not None:
            self._waiting.add(suggestion.user_id)
        return await self._get(suggestion_id)

    def _server_term(self, suggestion: Suggestion, draft: Draft, moderator_id: int, now: datetime) -> ServerTerm:
        guild_id = suggestion.guild_id
        target = draft.target
        bundled = self.glossary.bundled(target) if target else None
        current = self.glossary.get(target, guild_id) if target else None
        slug = target if target else self._new_slug(draft.name, guild_id)
        related = current.related if current is not None else ()
        term = Term(slug, draft.name, draft.module, draft.definition, draft.example, draft.aliases, related)
        return ServerTerm(
            guild_id=guild_id,
            term=term,
            overrides=bundled is not None,
            credit_user_id=suggestion.user_id,
            approved_by=moderator_id,
            approved_at=now,
            base_hash=term_hash(bundled) if bundled is not None else "",
            suggestion_id=suggestion.id,
        )

    def _new_slug(self, name: str, guild_id: int) -> str:
        base = slugify(name)[: SLUG_MAX - 4].strip("-") or "term"
        slug, number = base, 2
        while not is_slug(slug) or self.glossary.get(slug, guild_id) is not None:
            slug, number = f"{base}-{number}", number + 1
        return slug

    async def remove(self, guild_id: int, slug: str) -> bool:
        """Remove a server term (a correction's removal brings the bundled text back)."""
        removed = await self.db.server_term_remove(guild_id, slug)
        if removed:
            await self._refresh(guild_id)
        return removed

    def changed_overrides(self, guild_id: int) -> list[tuple[ServerTerm, Term | None]]:
        """Return the corrections whose bundled term changed (or left) since they were approved."""
        out = []
        for server_term in self.glossary.server_terms(guild_id):
            if not server_term.overrides:
                continue
            bundled = self.glossary.bundled(server_term.term.slug)
            if bundled is None or term_hash(bundled) != server_term.base_hash:
                out.append((server_term, bundled))
        return out

    async def gaps(self, guild_id: int | None, days: int | None, limit: int = 15) -> list[Gap]:
        """Return the most frequent misses of the last `days` days (all time when None)."""
        await self.glossary.flush_stats()  # the last few seconds' misses count too
        since = self.clock() - timedelta(days=days) if days else None
        return await self.db.server_gaps(guild_id, since, limit)

    # -- outcomes and privacy ---------------------------------------------------------

    def has_news(self, user_id: int) -> bool:
        """Whether a member has an outcome waiting (cheap; checked on every command)."""
        return user_id in self._waiting

    async def outcomes(self, user_id: int) -> list[Suggestion]:
        """Return a member's undelivered outcomes."""
        return await self.db.suggestions_unnotified(user_id)

    async def delivered(self, user_id: int, suggestions: list[Suggestion]) -> None:
        """Record that the outcomes reached the member."""
        await self.db.suggestion_set_notified([s.id for s in suggestions], True)
        if not await self.db.suggestions_unnotified(user_id):
            self._waiting.discard(user_id)

    async def undelivered(self, user_id: int, suggestions: list[Suggestion]) -> None:
        """Record that the outcomes could not reach the member (told on their next command instead)."""
        await self.db.suggestion_set_notified([s.id for s in suggestions], False)
        self._waiting.add(user_id)

    async def forget(self, user_id: int) -> int:
        """Remove a member from suggestions; their approved terms stay, credited anonymously."""
        changed = await self.db.community_forget(user_id)
        self._waiting.discard(user_id)
        for guild_id in {t.guild_id for t in await self.db.server_terms() if t.credit_user_id is None}:
            await self._refresh(guild_id)
        return changed
