"""Rows to domain objects, shared by both backends.

Both store the same columns; they differ only in how an instant or a date comes back (ISO text from SQLite,
native values from PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.core.glossary import Term
from bot.core.overlay import ServerTerm
from bot.core.quiz import AskedQuestion, Question, QuizMode
from bot.core.review import CardState, StudyCard
from bot.core.schedule import PostRecord, PostStatus, ServerSchedule
from bot.core.suggestions import Draft, State, Suggestion
from bot.db._store import moment


@dataclass(frozen=True, slots=True)
class Codec:
    """How a backend returns instants (None stays None) and dates."""

    instant: Callable[[Any], datetime | None]
    day: Callable[[Any], date]

    def required(self, value: Any) -> datetime:
        """Read an instant that the schema never leaves empty."""
        instant = self.instant(value)
        assert instant is not None
        return instant


def _native(value: Any) -> Any:
    return value


SQLITE = Codec(moment, date.fromisoformat)
POSTGRES = Codec(_native, _native)

TOTD_SETTINGS = (
    "s.guild_id, s.channel_id, s.post_time, s.timezone, s.catch_up_minutes, s.role_id, s.module, s.threads, "
    "s.enabled, s.active_from, s.problem, s.problem_since, s.blocked_until"
)

TOTD_POSTS = (
    "p.guild_id, p.local_date, p.status, p.slug, p.cycle, p.channel_id, p.message_id, p.attempts, "
    "p.next_attempt_at, p.last_error, p.posted_at"
)

CARD_COLUMNS = (
    "c.card_id, c.user_id, c.slug, c.state, c.step, c.stability, c.difficulty, c.due, c.last_review, "
    "c.reps, c.lapses, c.leech"
)

QUESTION_COLUMNS = (
    "q.id, q.mode, q.slug, q.options, q.answer, q.public, q.guild_id, q.channel_id, q.message_id, q.asked_by, "
    "q.created_at, q.closes_at, q.closed_at"
)

SUGGESTION_COLUMNS = (
    "id, guild_id, user_id, target_slug, name, definition, aliases, example, module, state, created_at, "
    "decided_by, decided_at, reason, queue_channel_id, queue_message_id"
)

TERM_COLUMNS = (
    "guild_id, slug, name, module, definition, example, aliases, related, overrides, base_hash, credit_user_id, "
    "suggestion_id, approved_by, approved_at"
)


def schedule_from_row(codec: Codec, row: Sequence[Any]) -> ServerSchedule:
    """Read a term-of-the-day settings row (TOTD_SETTINGS)."""
    hour, minute = (int(part) for part in row[2].split(":"))
    return ServerSchedule(
        guild_id=int(row[0]),
        channel_id=int(row[1]),
        post_time=time(hour, minute),
        timezone=row[3],
        catch_up=timedelta(minutes=int(row[4])),
        role_id=row[5],
        module=row[6],
        threads=bool(row[7]),
        enabled=bool(row[8]),
        active_from=codec.required(row[9]),
        problem=row[10],
        problem_since=codec.instant(row[11]),
        blocked_until=codec.instant(row[12]),
    )


def record_from_row(codec: Codec, row: Sequence[Any]) -> PostRecord | None:
    """Read a daily post row (TOTD_POSTS); None for the empty side of a LEFT JOIN."""
    if row[0] is None:
        return None
    return PostRecord(
        guild_id=int(row[0]),
        local_date=codec.day(row[1]),
        status=PostStatus(row[2]),
        slug=row[3],
        cycle=int(row[4]),
        channel_id=row[5],
        message_id=row[6],
        attempts=int(row[7]),
        next_attempt_at=codec.instant(row[8]),
        last_error=row[9],
        posted_at=codec.instant(row[10]),
    )


def card_from_row(codec: Codec, row: Sequence[Any]) -> StudyCard:
    """Read a review card row (CARD_COLUMNS)."""
    return StudyCard(
        card_id=int(row[0]),
        user_id=int(row[1]),
        slug=row[2],
        state=CardState(int(row[3])),
        step=row[4],
        stability=row[5],
        difficulty=row[6],
        due=codec.instant(row[7]),
        last_review=codec.instant(row[8]),
        reps=int(row[9]),
        lapses=int(row[10]),
        leech=bool(row[11]),
    )


def question_from_row(codec: Codec, row: Sequence[Any]) -> AskedQuestion:
    """Read a quiz question row (QUESTION_COLUMNS)."""
    question = Question(row[2], QuizMode(row[1]), tuple(json.loads(row[3])), int(row[4]))
    return AskedQuestion(
        id=int(row[0]),
        question=question,
        public=bool(row[5]),
        guild_id=row[6],
        channel_id=row[7],
        message_id=row[8],
        asked_by=row[9],
        created_at=codec.required(row[10]),
        closes_at=codec.instant(row[11]),
        closed_at=codec.instant(row[12]),
    )


def suggestion_from_row(codec: Codec, row: Sequence[Any]) -> Suggestion:
    """Read a suggestion row (SUGGESTION_COLUMNS)."""
    draft = Draft(row[4], row[5], row[8], tuple(json.loads(row[6])), row[7], row[3])
    return Suggestion(
        id=int(row[0]),
        guild_id=int(row[1]),
        user_id=row[2],
        draft=draft,
        state=State(row[9]),
        created_at=codec.required(row[10]),
        decided_by=row[11],
        decided_at=codec.instant(row[12]),
        reason=row[13],
        queue_channel_id=row[14],
        queue_message_id=row[15],
    )


def server_term_from_row(codec: Codec, row: Sequence[Any]) -> ServerTerm:
    """Read a server term row (TERM_COLUMNS)."""
    term = Term(
        slug=row[1],
        name=row[2],
        module=row[3],
        definition=row[4],
        example=row[5],
        aliases=tuple(json.loads(row[6])),
        related=tuple(json.loads(row[7])),
    )
    approved = codec.required(row[13])
    return ServerTerm(int(row[0]), term, bool(row[8]), row[10], int(row[12]), approved, row[9], row[11])
