"""The storage interfaces the services depend on, one per feature.

SQLite (`bot.db.Database`) and PostgreSQL (`bot.db.postgres.PostgresDatabase`) implement all of them,
so services and extensions never know which one is in use (`Storage`, opened by `bot.db.storage`).
The contract is the docstring of each method; `tests/test_repositories.py` checks both classes
against every protocol, and the storage tests run against both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.core.glossary import Term
from bot.core.overlay import ServerTerm
from bot.core.quiz import AskedQuestion, Question
from bot.core.review import Queue, StudyCard, StudySettings
from bot.core.schedule import CycleState, Pick, PostRecord, PostStatus, ServerSchedule
from bot.core.suggestions import Draft, State, Suggestion


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A full-text search result."""

    slug: str
    name: str
    snippet: str


@dataclass(frozen=True, slots=True)
class ReviewSetup:
    """Where a server's suggestions go for review, and who may decide them."""

    guild_id: int
    channel_id: int | None
    role_id: int | None = None
    problem: str | None = None  # why the review channel cannot be used (deleted, no access)


@dataclass(frozen=True, slots=True)
class Gap:
    """A query that found nothing: how often, first seen (UTC day) and last seen."""

    key: str
    query: str
    count: int
    first_day: str
    last_seen: datetime | None


class GlossaryRepository(Protocol):
    """The glossary, its search and lookup statistics, and the bot's own settings."""

    async def get_meta(self, key: str) -> str | None:
        """Return a stored setting of the bot itself."""
        ...

    async def set_meta(self, key: str, value: str) -> None:
        """Store a setting of the bot itself."""
        ...

    async def replace_glossary(self, terms: Sequence[Term], content_hash: str) -> None:
        """Swap in a new glossary in one transaction; statistics are untouched."""
        ...

    async def load_terms(self) -> list[Term]:
        """Return every term in glossary order, with aliases and related slugs."""
        ...

    async def search(self, text: str, *, limit: int, offset: int = 0) -> tuple[list[SearchHit], int]:
        """Rank terms by full-text relevance (name over aliases over definition)."""
        ...

    async def record_usage(self, lookups: Mapping[str, int], misses: Mapping[str, tuple[str, int]]) -> None:
        """Add a batch of lookup counts (by slug) and miss counts (by query key: shown query, count) at once."""
        ...

    async def popular(self, limit: int) -> list[str]:
        """Return the most looked-up slugs that are still in the glossary."""
        ...

    async def top_misses(self, limit: int) -> list[tuple[str, int]]:
        """Return the most frequent queries that matched nothing."""
        ...

    async def lookup_counts(self) -> tuple[int, int]:
        """Return (total lookups, total misses)."""
        ...


class TotdRepository(Protocol):
    """Term-of-the-day settings and the once-per-local-date post records."""

    def totd_hold(self, guild_id: int) -> AbstractAsyncContextManager[bool]:
        """Hold a server's term-of-the-day work across processes; yields False while another process holds it."""
        ...

    async def totd_settings(self, guild_id: int) -> ServerSchedule | None:
        """Return a server's term-of-the-day settings, enabled or not."""
        ...

    async def totd_save_settings(self, schedule: ServerSchedule, now: datetime) -> None:
        """Store a server's settings, clear its delivery problem and let an unfinished day retry at once."""
        ...

    async def totd_set_enabled(self, guild_id: int, enabled: bool, now: datetime) -> bool:
        """Turn a server's posts on or off; False if it was never set up."""
        ...

    async def totd_set_problem(self, guild_id: int, problem: str, blocked_until: datetime, now: datetime) -> None:
        """Record a delivery problem (kept since its first occurrence) and when to try again."""
        ...

    async def totd_clear_problem(self, guild_id: int, now: datetime) -> None:
        """Forget a server's delivery problem once a post went through."""
        ...

    async def totd_schedules(self, after: int, limit: int) -> list[tuple[ServerSchedule, PostRecord | None]]:
        """Return a page of enabled servers after a guild id, each with its most recent post record."""
        ...

    async def totd_latest(self, guild_id: int) -> PostRecord | None:
        """Return a server's post record with the latest local date."""
        ...

    async def totd_post(self, guild_id: int, day: date) -> PostRecord | None:
        """Return a server's post record for one local date."""
        ...

    async def totd_last_posted(self, guild_id: int) -> PostRecord | None:
        """Return a server's most recent successful post."""
        ...

    async def totd_history(self, guild_id: int, limit: int) -> list[PostRecord]:
        """Return a server's post records, newest first."""
        ...

    async def totd_begin(self, guild_id: int, day: date, pick: Pick, channel_id: int, now: datetime) -> bool:
        """Record the intent to post a term for a date (status 'sending'); False if the date has a row already."""
        ...

    async def totd_retake(
        self, guild_id: int, day: date, expected: PostStatus, pick: Pick, channel_id: int, now: datetime
    ) -> bool:
        """Move a date's row from `expected` back to 'sending' for another attempt; False if it changed meanwhile."""
        ...

    async def totd_mark_posted(
        self, guild_id: int, day: date, channel_id: int, message_id: int, now: datetime, note: str | None = None
    ) -> None:
        """Record that Discord has the date's post."""
        ...

    async def totd_mark_retry(
        self, guild_id: int, day: date, status: PostStatus, next_attempt_at: datetime, error: str, now: datetime
    ) -> None:
        """Count a failed attempt and set when to try again ('sending' when a post may exist, else 'failed')."""
        ...

    async def totd_mark_missed(self, guild_id: int, day: date, reason: str, now: datetime) -> None:
        """Record a date as missed (a posted date stays posted)."""
        ...

    async def totd_cycle_state(self, guild_id: int) -> CycleState:
        """Return a server's current cycle, the terms it used and the terms skipped in it."""
        ...

    async def totd_skip(self, guild_id: int, day: date, skipped: Pick, replacement: Pick, now: datetime) -> None:
        """Put a skipped term at the end of its cycle and give the date's row (if any) the replacement."""
        ...


class StudyRepository(Protocol):
    """Decks, reviews, study days and settings."""

    async def study_settings(self, user_id: int) -> StudySettings:
        """Return a learner's review settings (the defaults when never set)."""
        ...

    async def study_save_settings(self, user_id: int, settings: StudySettings, now: datetime) -> None:
        """Store a learner's review settings."""
        ...

    async def study_server_zone(self, guild_id: int | None) -> str | None:
        """Return the time zone a server's term of the day uses, if it has one."""
        ...

    async def study_add_cards(self, user_id: int, slugs: Sequence[str], now: datetime) -> int:
        """Add terms to a learner's deck as new cards, in the given order; return how many were not there yet."""
        ...

    async def study_remove_cards(self, user_id: int, slugs: Sequence[str]) -> int:
        """Remove terms from a learner's deck (their review history stays); return how many were removed."""
        ...

    async def study_card(self, card_id: int) -> StudyCard | None:
        """Return one card by id."""
        ...

    async def study_cards(self, user_id: int) -> list[StudyCard]:
        """Return every card in a learner's deck, in the order added."""
        ...

    async def study_queue(self, user_id: int, day_start: datetime) -> Queue:
        """Return the first learning, review and new card of a learner's deck and today's counts."""
        ...

    async def study_due_counts(self, user_id: int, learning_until: datetime, day_end: datetime) -> tuple[int, int, int]:
        """Return how many learning cards are due, review cards are due today, and new cards wait."""
        ...

    async def study_record_review(
        self, before: StudyCard, after: StudyCard, grade: int, now: datetime, day: date
    ) -> bool:
        """Save a review if the card is still at the version it was reviewed from; False if it moved on."""
        ...

    async def study_days(self, user_id: int) -> list[date]:
        """Return the local dates a learner studied on, oldest first."""
        ...

    async def study_seen(self, user_id: int) -> set[str]:
        """Return the slugs a learner has met in a review or a quiz."""
        ...

    async def study_forget(self, user_id: int) -> int:
        """Delete everything the study features store about a member; return the number of rows removed."""
        ...


class QuizRepository(Protocol):
    """Quiz questions and answers."""

    def quiz_hold(self, question_id: int) -> AbstractAsyncContextManager[bool]:
        """Hold the closing of a question across processes; yields False while another process holds it."""
        ...

    async def quiz_create(
        self,
        question: Question,
        *,
        public: bool,
        guild_id: int | None,
        channel_id: int | None,
        asked_by: int,
        now: datetime,
        closes_at: datetime | None,
    ) -> int:
        """Store a new question and return its id."""
        ...

    async def quiz_set_message(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Remember which message shows a question, so it can be edited when it closes."""
        ...

    async def quiz_get(self, question_id: int) -> AskedQuestion | None:
        """Return a stored question."""
        ...

    async def quiz_answer(
        self, asked: AskedQuestion, user_id: int, choice: int, correct: bool, points: int, now: datetime, day: date
    ) -> bool:
        """Record a member's one answer while the question is open; False if they answered or it closed."""
        ...

    async def quiz_choice(self, question_id: int, user_id: int) -> int | None:
        """Return the option a member chose on a question, if they answered it."""
        ...

    async def quiz_answers(self, question_id: int) -> list[tuple[int, int]]:
        """Return (member, option) for every answer to a question, first answer first."""
        ...

    async def quiz_overdue(self, now: datetime, limit: int) -> list[AskedQuestion]:
        """Return open public questions whose time is up, oldest first."""
        ...

    async def quiz_next_close(self) -> datetime | None:
        """Return when the next open question closes."""
        ...

    async def quiz_close(self, question_id: int, now: datetime) -> bool:
        """Close a question; False if it was closed already (whoever closes it reveals the tally)."""
        ...

    async def quiz_prune_practice(self, before: datetime) -> int:
        """Delete practice questions (and their answers) asked before an instant; return how many."""
        ...

    async def quiz_leaderboard(self, guild_id: int, since: datetime | None, limit: int) -> list[tuple[int, int]]:
        """Return (member, points) for a server's best public quiz scores since an instant (or ever)."""
        ...

    async def quiz_standing(self, guild_id: int, user_id: int, since: datetime | None) -> tuple[int, int | None]:
        """Return a member's public quiz points in a server since an instant (or ever) and their rank."""
        ...


class CommunityRepository(Protocol):
    """Suggestions and their review, each server's own terms, and per-server misses."""

    async def community_settings(self, guild_id: int) -> ReviewSetup | None:
        """Return a server's review-queue settings."""
        ...

    async def community_save_settings(self, setup: ReviewSetup, now: datetime) -> None:
        """Store a server's review channel and moderator role, clearing any reported problem."""
        ...

    async def community_set_problem(self, guild_id: int, problem: str | None, now: datetime) -> None:
        """Record (or clear) why the review channel cannot be used."""
        ...

    async def suggestion_create(
        self, guild_id: int, user_id: int, draft: Draft, state: State, now: datetime
    ) -> Suggestion:
        """Store a new suggestion (a draft, or straight into the queue) and return it."""
        ...

    async def suggestion_get(self, suggestion_id: int) -> Suggestion | None:
        """Return one suggestion."""
        ...

    async def suggestions_in(self, guild_id: int, states: Sequence[State]) -> list[Suggestion]:
        """Return a server's suggestions in the given states, oldest first."""
        ...

    async def suggestion_count_since(self, guild_id: int, user_id: int, since: datetime) -> int:
        """Count a member's submitted suggestions in a server since an instant (drafts they dropped not included)."""
        ...

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
        ...

    async def suggestion_set_queue_message(self, suggestion_id: int, channel_id: int, message_id: int) -> None:
        """Remember where a suggestion's queue message is."""
        ...

    async def suggestion_approve(self, suggestion_id: int, server_term: ServerTerm, keys: Sequence[str]) -> bool:
        """Approve an open suggestion and make its term live in one transaction; False if already decided.

        Raises a SuggestionError (and changes nothing) when another server term owns a name or alias.
        """
        ...

    async def server_terms_import(self, guild_id: int, terms: Sequence[tuple[ServerTerm, Sequence[str]]]) -> None:
        """Add or replace many server terms (with their name and alias keys) in one transaction, or none."""
        ...

    async def suggestions_unnotified(self, user_id: int) -> list[Suggestion]:
        """Return a member's decided suggestions whose outcome has not reached them yet."""
        ...

    async def suggestion_users_unnotified(self) -> set[int]:
        """Return the members who have an outcome waiting for them."""
        ...

    async def suggestion_set_notified(self, suggestion_ids: Sequence[int], notified: bool) -> None:
        """Mark outcomes as delivered (or still to deliver)."""
        ...

    async def community_forget(self, user_id: int) -> int:
        """Remove a member from suggestions and credits (drafts deleted, the rest anonymous); return rows changed."""
        ...

    async def server_terms(self, guild_id: int | None = None) -> list[ServerTerm]:
        """Return one server's terms, or every server's when `guild_id` is None."""
        ...

    async def server_term_remove(self, guild_id: int, slug: str) -> bool:
        """Remove one server term (its names and aliases go with it); False when there was none."""
        ...

    async def record_server_misses(self, rows: Sequence[tuple[int, str, str, int]], now: datetime) -> None:
        """Add miss counts per (server, query key, shown query, count) to today's row."""
        ...

    async def server_gaps(self, guild_id: int | None, since: datetime | None, limit: int) -> list[Gap]:
        """Return the most frequent misses (in one server, or all), counted since an instant."""
        ...


class Storage(GlossaryRepository, TotdRepository, StudyRepository, QuizRepository, CommunityRepository, Protocol):
    """A whole storage backend: every repository, plus its schema version and closing."""

    async def version(self) -> int:
        """Return the schema version."""
        ...

    async def close(self) -> None:
        """Release every connection."""
        ...
