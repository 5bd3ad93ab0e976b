"""Quizzes as a use case: ask, answer once, close with a tally; no Discord here.

One answer per member and one close per question are enforced by the database; this service
decides what may happen and returns plain outcomes that the quiz extension renders.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.errors import UserFacingError
from bot.core.quiz import LETTERS, AskedQuestion, QuizBank, QuizMode, Tally, points_for, tally
from bot.core.timezones import Clock
from bot.db.repositories import QuizRepository
from bot.services.glossary import GlossaryService
from bot.services.study import StudyService

log = logging.getLogger(__name__)
CHECK_EVERY = 60.0  # seconds between looks for overdue questions when none is about to close
CLOSE_BATCH = 25
GIVE_UP_AFTER = timedelta(days=1)  # a tally Discord keeps refusing to show is dropped after this
PRACTICE_KEPT = timedelta(days=7)  # answered or not, a practice question is useless after this
PRUNE_EVERY = timedelta(hours=1)


def letter(index: int) -> str:
    """Return the option letter A-D (or '?')."""
    return LETTERS[index] if 0 <= index < len(LETTERS) else "?"


@dataclass(frozen=True, slots=True)
class Answered:
    """A member's accepted answer."""

    asked: AskedQuestion
    choice: int
    correct: bool


@dataclass(frozen=True, slots=True)
class Closing:
    """What a closed public question reveals."""

    asked: AskedQuestion
    result: Tally
    winners: list[int]


class QuizService:
    """Make, store, grade and close multiple-choice questions over the glossary."""

    def __init__(
        self, db: QuizRepository, glossary: GlossaryService, study: StudyService, clock: Clock, rng: random.Random
    ) -> None:
        self._db = db
        self._study = study
        self._glossary = glossary
        self._clock = clock
        self.rng = rng
        self.bank = QuizBank(())
        self._pruned_at: datetime | None = None
        self._server_banks: dict[int, tuple[object, QuizBank]] = {}  # guild -> (its overlay, layered bank)

    async def prepare(self) -> None:
        """Index the glossary for distractors (a few thousand terms: off the event loop)."""
        self.bank = await asyncio.to_thread(QuizBank, self._glossary.syllabus())

    def bank_for(self, guild_id: int | None) -> QuizBank:
        """Return the bank a server quizzes from: the shared one, with the server's own terms layered on top."""
        overlay = self._glossary.overlay_of(guild_id) if guild_id is not None else None
        if overlay is None or guild_id is None:
            self._server_banks.pop(guild_id or 0, None)
            return self.bank
        cached = self._server_banks.get(guild_id)
        if cached is None or cached[0] is not overlay:  # the server's terms changed since it was built
            cached = (overlay, self.bank.layered([t.term for t in overlay.terms.values()]))
            self._server_banks[guild_id] = cached
        return cached[1]

    async def ask(
        self,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        mode: QuizMode | None = None,
        module: str | None = None,
        slug: str | None = None,
        closes_in: timedelta | None = None,
    ) -> AskedQuestion:
        """Store a new question: public (closing after `closes_in`) or, without it, practice for one member."""
        question = self.bank_for(guild_id).question(self.rng, mode=mode, module=module, slug=slug)
        now = self._clock()
        question_id = await self._db.quiz_create(
            question,
            public=closes_in is not None,
            guild_id=guild_id,
            channel_id=channel_id,
            asked_by=user_id,
            now=now,
            closes_at=now + closes_in if closes_in is not None else None,
        )
        return await self.get(question_id)

    async def get(self, question_id: int) -> AskedQuestion:
        """Return a stored question, or tell the member it is gone."""
        asked = await self._db.quiz_get(question_id)
        if asked is None:
            raise UserFacingError("That question no longer exists.")
        return asked

    async def shown_in(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Remember which message shows a public question, so its tally can be revealed there."""
        await self._db.quiz_set_message(question_id, channel_id, message_id)

    async def answer(self, question_id: int, user_id: int, guild_id: int | None, choice: int) -> Answered:
        """Record a member's one answer while the question is open; a notice explains every refusal."""
        asked = await self.get(question_id)
        if not asked.public and asked.asked_by != user_id:
            raise UserFacingError("This practice question belongs to someone else: try `/quiz practice:True`.")
        if self.bank_for(asked.guild_id).term(asked.question.slug) is None:
            raise UserFacingError("The term of this question has left the glossary, so it can't be graded.")
        now = self._clock()
        if not asked.is_open(now):
            raise self._closed(asked)
        correct = asked.question.is_correct(choice)
        _, day = await self._study.learner(user_id, guild_id)
        points = points_for(correct, asked.public)
        if not await self._db.quiz_answer(asked, user_id, choice, correct, points, now, day.date):
            previous = await self._db.quiz_choice(question_id, user_id)
            if previous is None:
                raise self._closed(asked)
            raise UserFacingError(
                f"You already answered {letter(previous)}: one answer per member. "
                "The tally shows when the question closes."
            )
        return Answered(asked, choice, correct)

    def _closed(self, asked: AskedQuestion) -> UserFacingError:
        question = asked.question
        term = self.bank_for(asked.guild_id).term(question.slug)
        name = f": {term.name}" if term is not None else ""
        return UserFacingError(f"This question has closed. The answer was {letter(question.answer)}{name}.")

    # -- closing ------------------------------------------------------------------------

    async def overdue(self) -> list[Closing]:
        """Return the next batch of public questions whose time is up, each with its tally."""
        closings = []
        for asked in await self._db.quiz_overdue(self._clock(), CLOSE_BATCH):
            answers = await self._db.quiz_answers(asked.id)
            result = tally(asked.question, [choice for _, choice in answers])
            winners = [user_id for user_id, choice in answers if choice == asked.question.answer]
            closings.append(Closing(asked, result, winners))
        return closings

    @asynccontextmanager
    async def closing(self, question_id: int) -> AsyncIterator[bool]:
        """Hold a question's close across processes; yield False if another process has it or it closed."""
        async with self._db.quiz_hold(question_id) as held:
            asked = await self._db.quiz_get(question_id) if held else None
            yield asked is not None and asked.closed_at is None

    def may_retry(self, asked: AskedQuestion) -> bool:
        """Whether a tally Discord refused to show is worth another try (not after a day)."""
        return asked.closes_at is not None and self._clock() - asked.closes_at < GIVE_UP_AFTER

    async def mark_closed(self, question_id: int) -> bool:
        """Close a question once; False if it was closed already."""
        return await self._db.quiz_close(question_id, self._clock())

    async def seconds_to_next_close(self) -> float:
        """Return how long the closing loop may sleep."""
        next_close = await self._db.quiz_next_close()
        if next_close is None:
            return CHECK_EVERY
        return min(CHECK_EVERY, max(0.5, (next_close - self._clock()).total_seconds()))

    async def prune(self) -> int:
        """Delete old practice questions, at most once an hour; return how many went."""
        now = self._clock()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return 0
        self._pruned_at = now
        pruned = await self._db.quiz_prune_practice(now - PRACTICE_KEPT)
        if pruned:
            log.info("Deleted %d practice question(s) older than %s", pruned, PRACTICE_KEPT)
        return pruned
