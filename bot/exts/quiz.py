"""/quiz: multiple-choice questions in a channel (with points) or as personal practice.

The rules (generation, grading, points) are in `bot.core.quiz`; one answer per member is enforced
by the database. Public questions close at a stored time: a light loop, started in `cog_load`,
closes overdue ones (also those that fell due while the bot was offline) and reveals the tally.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
from datetime import datetime, timedelta
from typing import Any

import discord
from discord import app_commands, ui
from discord.ext import commands

from bot.client import TermiBot
from bot.core.glossary import Term
from bot.core.modules import MODULES, module_number
from bot.core.quiz import (
    LETTERS,
    QUESTION_SECONDS_DEFAULT,
    QUESTION_SECONDS_MAX,
    QUESTION_SECONDS_MIN,
    AskedQuestion,
    Question,
    QuizBank,
    QuizError,
    QuizMode,
    Tally,
    points_for,
    tally,
)
from bot.errors import SafeItem, UserFacingError
from bot.exts._study import AddToDeckButton, learner_settings
from bot.exts._ui import (
    BRAND,
    FIELD_MAX,
    STUDY_ROW,
    clip,
    module_choices,
    module_label,
    module_or_error,
)

log = logging.getLogger(__name__)
CHECK_EVERY = 60.0  # seconds between looks for overdue questions when none is about to close
CLOSE_BATCH = 25
GIVE_UP_AFTER = timedelta(days=1)  # a tally Discord keeps refusing to show is dropped after this
PRACTICE_KEPT = timedelta(days=7)  # answered or not, a practice question is useless after this
PRUNE_EVERY = timedelta(hours=1)
RIGHT = discord.Colour.green()
WRONG = discord.Colour.red()
CLOSED = discord.Colour.light_grey()
_MODE_CODES = {"d": QuizMode.DEFINITION, "t": QuizMode.TERM, "r": None}
_NAMES_SHOWN = 30


def _mode_code(mode: QuizMode | None) -> str:
    return {QuizMode.DEFINITION: "d", QuizMode.TERM: "t"}.get(mode, "r") if mode else "r"


def _letter(index: int) -> str:
    return LETTERS[index] if 0 <= index < len(LETTERS) else "?"


# -- rendering ------------------------------------------------------------------------


def question_embed(bank: QuizBank, asked: AskedQuestion) -> discord.Embed:
    """Render an open question: the prompt and the four lettered options."""
    question = asked.question
    term = bank.term(question.slug)
    assert term is not None
    if question.mode is QuizMode.DEFINITION:
        title = f"Which definition matches “{term.name}”?"
        description = ""
    else:
        title = "Which term does this definition describe?"
        description = "> " + clip(bank.prompt(question), 1500).replace("\n", "\n> ")
    if asked.public and asked.closes_at is not None:
        description += (
            f"\n\nCloses {discord.utils.format_dt(asked.closes_at, 'R')}. One answer each: "
            "only you see whether you were right, and everyone sees the tally at the end."
        )
    else:
        description += "\n\nPractice question: only you see it, and it earns no points."
    embed = discord.Embed(title=clip(title, 256), description=description.strip(), colour=BRAND)
    embed.set_author(name=f"Quiz · {module_label(term.module)}")
    inline = question.mode is QuizMode.TERM
    for index, text in enumerate(bank.option_texts(question)):
        embed.add_field(name=_letter(index), value=clip(text, 900), inline=inline)
    return embed


def answer_view(asked: AskedQuestion, *, counts: tuple[int, ...] | None = None) -> ui.View:
    """Return the four answer buttons (disabled, with the counts, once the question closed)."""
    view = ui.View(timeout=None)
    for index in range(len(asked.question.options)):
        label = _letter(index) if counts is None else f"{_letter(index)} · {counts[index]}"
        style = discord.ButtonStyle.primary
        if counts is not None:
            style = discord.ButtonStyle.success if index == asked.question.answer else discord.ButtonStyle.secondary
        view.add_item(AnswerButton(asked.id, index, label, style=style, disabled=counts is not None))
    return view


def definition_field(embed: discord.Embed, term: Term) -> None:
    """Add the full definition (and example) of the answer."""
    embed.add_field(name=clip(f"{term.name}", 256), value=clip(term.definition, FIELD_MAX), inline=False)
    if term.example:
        embed.add_field(name="Example / formula", value=clip(term.example, FIELD_MAX), inline=False)


def result_embed(bank: QuizBank, question: Question, choice: int, *, public: bool) -> discord.Embed:
    """Tell the answerer whether they were right, with the full definition of the answer."""
    term = bank.term(question.slug)
    assert term is not None
    right = question.is_correct(choice)
    if right:
        title = f"✅ Right! The answer is {_letter(question.answer)}: {term.name}"
    else:
        picked = bank.term(question.options[choice])
        picked_name = f" ({picked.name})" if picked is not None and question.mode is QuizMode.TERM else ""
        answer = f"{_letter(question.answer)}: {term.name}"
        title = f"❌ Not quite: you chose {_letter(choice)}{picked_name}; the answer is {answer}"
    embed = discord.Embed(title=clip(title, 256), colour=RIGHT if right else WRONG)
    definition_field(embed, term)
    if public:
        embed.set_footer(text=("+1 point on the server leaderboard · " if right else "") + "The tally shows at the end")
    return embed


def closed_embed(bank: QuizBank, asked: AskedQuestion, result: Tally, winners: list[int]) -> discord.Embed:
    """Render a closed public question: the answer, the tally and who got it right (they answered in public)."""
    question = asked.question
    term = bank.term(question.slug)
    embed = discord.Embed(colour=CLOSED)
    name = term.name if term is not None else question.slug
    embed.title = clip(f"Closed · the answer was {_letter(question.answer)}: {name}", 256)
    lines = []
    for index in range(len(question.options)):
        mark = " ✅" if index == question.answer else ""
        lines.append(f"**{_letter(index)}** · {result.counts[index]} answer(s){mark}")
    embed.description = "\n".join(lines) + f"\n\n{result.right} of {result.total} right."
    if term is not None:
        embed.set_author(name=f"Quiz · {module_label(term.module)}")
        definition_field(embed, term)
    if winners:
        shown = " ".join(f"<@{user_id}>" for user_id in winners[:_NAMES_SHOWN])
        more = f" and {len(winners) - _NAMES_SHOWN} more" if len(winners) > _NAMES_SHOWN else ""
        embed.add_field(name="Right (+1 point each)", value=clip(shown + more, FIELD_MAX), inline=False)
    return embed


# -- buttons --------------------------------------------------------------------------


def _quiz_cog(interaction: discord.Interaction[TermiBot]) -> Quiz:
    cog = interaction.client.get_cog("Quiz")
    if not isinstance(cog, Quiz):
        raise UserFacingError("Quizzes are not available right now. Please try again later.")
    return cog


class AnswerButton(
    SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:qz:a:(?P<question>\d{1,18}):(?P<choice>[0-3])"
):
    """One of a question's four answers; the question id and option are all it needs (no client state)."""

    def __init__(
        self,
        question_id: int,
        choice: int,
        label: str | None = None,
        *,
        style: discord.ButtonStyle = discord.ButtonStyle.primary,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            ui.Button(
                label=label or _letter(choice),
                style=style,
                custom_id=f"tk:qz:a:{question_id}:{choice}",
                disabled=disabled,
            )
        )
        self.question_id = question_id
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> AnswerButton:
        return cls(int(match["question"]), int(match["choice"]))

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        await _quiz_cog(interaction).answer(interaction, self.question_id, self.choice)


class QuizMeButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:qz:me:(?P<slug>[^:]{1,90})"):
    """A practice question on one term, for whoever clicks (on the term-of-the-day post)."""

    def __init__(self, slug: str, *, row: int | None = None) -> None:
        super().__init__(
            ui.Button(
                label="Quiz me", emoji="❓", style=discord.ButtonStyle.primary, custom_id=f"tk:qz:me:{slug}", row=row
            )
        )
        self.slug = slug

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> QuizMeButton:
        return cls(match["slug"])

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        await _quiz_cog(interaction).practice(interaction, slug=self.slug)


class NextQuestionButton(
    SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:qz:next:(?P<module>\d{1,2}):(?P<mode>[dtr])"
):
    """Another practice question with the same module and mode, in place of the answered one."""

    def __init__(self, module: int, mode: str) -> None:
        super().__init__(
            ui.Button(label="Next question", style=discord.ButtonStyle.primary, custom_id=f"tk:qz:next:{module}:{mode}")
        )
        self.module = module
        self.mode = mode

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> NextQuestionButton:
        return cls(int(match["module"]), match["mode"])

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        module = MODULES[self.module - 1] if 1 <= self.module <= len(MODULES) else None
        await _quiz_cog(interaction).practice(interaction, module=module, mode=_MODE_CODES[self.mode], edit=True)


# -- the closing loop -----------------------------------------------------------------


class QuestionCloser:
    """Close public questions when their time is up; woken early when a new question is posted."""

    def __init__(self, cog: Quiz) -> None:
        self._cog = cog
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pruned_at: datetime | None = None

    def start(self) -> None:
        """Start the loop (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="quiz-closer")

    async def stop(self) -> None:
        """Stop the loop and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Look again now (a question with a nearer closing time was posted)."""
        self._wake.set()

    async def _run(self) -> None:
        bot = self._cog.bot
        await bot.wait_until_ready()
        while True:
            self._wake.clear()
            try:
                await self._cog.close_due()
                await self._prune()
                next_close = await bot.db.quiz_next_close()
            except Exception:
                log.exception("Closing quiz questions failed; trying again later")
                next_close = None
            delay = CHECK_EVERY
            if next_close is not None:
                delay = min(CHECK_EVERY, max(0.5, (next_close - bot.clock()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _prune(self) -> None:
        now = self._cog.bot.clock()
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            pruned = await self._cog.bot.db.quiz_prune_practice(now - PRACTICE_KEPT)
            if pruned:
                log.info("Deleted %d practice question(s) older than %s", pruned, PRACTICE_KEPT)


# -- the cog --------------------------------------------------------------------------


MODE_CHOICES = [
    app_commands.Choice(name="Pick the definition (you're shown a term)", value=QuizMode.DEFINITION.value),
    app_commands.Choice(name="Pick the term (you're shown a definition)", value=QuizMode.TERM.value),
]


class Quiz(commands.Cog):
    """Multiple-choice questions over the glossary."""

    help_section = (
        "\n**Quizzes**\n"
        "`/quiz [module] [mode]` — a question with four answers for the whole channel: one answer each, "
        "only you see if you were right, the tally shows when it closes, right answers earn leaderboard "
        "points. Add `practice:True` for a private question just for you.\n"
    )

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot
        self.rng = random.Random()
        self.bank = QuizBank(())
        self.closer = QuestionCloser(self)

    async def cog_load(self) -> None:
        terms = self.bot.glossary.syllabus()
        # A few thousand terms to index: off the event loop.
        self.bank = await asyncio.to_thread(QuizBank, terms)
        # The one closing loop starts here, never in on_ready (which fires again on every reconnect).
        self.closer.start()

    async def cog_unload(self) -> None:
        await self.closer.stop()

    def totd_post_items(self, term: Term) -> list[ui.Item[Any]]:
        """Buttons for the term-of-the-day post ("Add to my deck" comes with the term card itself)."""
        return [QuizMeButton(term.slug, row=STUDY_ROW)]

    # -- commands -------------------------------------------------------------------------

    @app_commands.command(name="quiz", description="A multiple-choice question on the glossary")
    @app_commands.describe(
        module="Only terms from this module",
        mode="Show a term and pick its definition, or the other way round (default: either)",
        practice="Only you see the question (no points)",
        seconds="How long a channel question stays open (default 60)",
    )
    @app_commands.choices(mode=MODE_CHOICES)
    async def quiz(
        self,
        interaction: discord.Interaction[TermiBot],
        module: str | None = None,
        mode: app_commands.Choice[str] | None = None,
        practice: bool = False,
        seconds: app_commands.Range[int, QUESTION_SECONDS_MIN, QUESTION_SECONDS_MAX] = QUESTION_SECONDS_DEFAULT,
    ) -> None:
        quiz_mode = QuizMode(mode.value) if mode else None
        await self._quiz(interaction, self._module(module), quiz_mode, practice, seconds)

    async def _quiz(
        self,
        interaction: discord.Interaction[TermiBot],
        module: str | None,
        mode: QuizMode | None,
        practice: bool,
        seconds: int,
    ) -> None:
        if practice or interaction.guild_id is None:
            await self.practice(interaction, module=module, mode=mode)
            return
        question = self._make(mode=mode, module=module)
        now = self.bot.clock()
        channel_id = interaction.channel_id
        question_id = await self.bot.db.quiz_create(
            question,
            public=True,
            guild_id=interaction.guild_id,
            channel_id=channel_id,
            asked_by=interaction.user.id,
            now=now,
            closes_at=now + timedelta(seconds=seconds),
        )
        asked = await self._asked(question_id)
        callback = await interaction.response.send_message(
            embed=question_embed(self.bank, asked), view=answer_view(asked)
        )
        message_id = callback.message_id
        if message_id is None:  # Discord normally says; ask for the message otherwise
            message_id = (await interaction.original_response()).id
        if channel_id is not None:
            await self.bot.db.quiz_set_message(question_id, channel_id, message_id)
        self.closer.wake()

    @quiz.autocomplete("module")
    async def module_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return module_choices(current)

    def _module(self, value: str | None) -> str | None:
        return module_or_error(value)

    def _make(self, *, mode: QuizMode | None, module: str | None = None, slug: str | None = None) -> Question:
        try:
            return self.bank.question(self.rng, mode=mode, module=module, slug=slug)
        except QuizError as exc:
            raise UserFacingError(str(exc)) from exc

    async def _asked(self, question_id: int) -> AskedQuestion:
        asked = await self.bot.db.quiz_get(question_id)
        if asked is None:
            raise UserFacingError("That question no longer exists.")
        return asked

    async def practice(
        self,
        interaction: discord.Interaction[TermiBot],
        *,
        module: str | None = None,
        mode: QuizMode | None = None,
        slug: str | None = None,
        edit: bool = False,
    ) -> None:
        """Ask the member a question only they see; `edit` replaces the message the click came from."""
        question = self._make(mode=mode, module=module, slug=slug)
        question_id = await self.bot.db.quiz_create(
            question,
            public=False,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            asked_by=interaction.user.id,
            now=self.bot.clock(),
            closes_at=None,
        )
        asked = await self._asked(question_id)
        embed, view = question_embed(self.bank, asked), answer_view(asked)
        if edit:
            await interaction.response.edit_message(embed=embed, view=view)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def answer(self, interaction: discord.Interaction[TermiBot], question_id: int, choice: int) -> None:
        """Record a member's answer (once) and tell them, and only them, how they did."""
        asked = await self._asked(question_id)
        user_id = interaction.user.id
        if not asked.public and asked.asked_by != user_id:
            raise UserFacingError("This practice question belongs to someone else: try `/quiz practice:True`.")
        if self.bank.term(asked.question.slug) is None:
            raise UserFacingError("The term of this question has left the glossary, so it can't be graded.")
        now = self.bot.clock()
        if not asked.is_open(now):
            await self._already_closed(interaction, asked)
            return
        correct = asked.question.is_correct(choice)
        _, day = await learner_settings(self.bot, user_id, interaction.guild_id)
        accepted = await self.bot.db.quiz_answer(
            asked, user_id, choice, correct, points_for(correct, asked.public), now, day.date
        )
        if not accepted:
            previous = await self.bot.db.quiz_choice(question_id, user_id)
            if previous is None:
                await self._already_closed(interaction, asked)
                return
            raise UserFacingError(
                f"You already answered {_letter(previous)}: one answer per member. "
                "The tally shows when the question closes."
            )
        embed = result_embed(self.bank, asked.question, choice, public=asked.public)
        view = ui.View(timeout=None)
        view.add_item(AddToDeckButton(asked.question.slug))
        if asked.public:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
            return
        # Practice: replace the question with the result, and offer the next one.
        term = self.bank.term(asked.question.slug)
        assert term is not None
        view.add_item(NextQuestionButton(module_number(term.module), _mode_code(asked.question.mode)))
        await interaction.response.edit_message(embed=embed, view=view)

    async def _already_closed(self, interaction: discord.Interaction[TermiBot], asked: AskedQuestion) -> None:
        term = self.bank.term(asked.question.slug)
        name = f": {term.name}" if term is not None else ""
        raise UserFacingError(f"This question has closed. The answer was {_letter(asked.question.answer)}{name}.")

    # -- closing --------------------------------------------------------------------------

    async def close_due(self) -> int:
        """Close every public question whose time is up, revealing its tally; return how many closed."""
        now = self.bot.clock()
        closed = 0
        while True:
            overdue = await self.bot.db.quiz_overdue(now, CLOSE_BATCH)
            progressed = False
            for asked in overdue:
                if await self._close(asked, now):
                    closed += 1
                    progressed = True
            if len(overdue) < CLOSE_BATCH or not progressed:
                return closed

    async def _close(self, asked: AskedQuestion, now: datetime) -> bool:
        """Reveal one question's tally, then mark it closed; False to try again on the next round."""
        answers = await self.bot.db.quiz_answers(asked.id)
        result = tally(asked.question, [choice for _, choice in answers])
        winners = [user_id for user_id, choice in answers if choice == asked.question.answer]
        if asked.channel_id is not None and asked.message_id is not None:
            message = self.bot.get_partial_messageable(asked.channel_id).get_partial_message(asked.message_id)
            try:
                await message.edit(
                    embed=closed_embed(self.bank, asked, result, winners), view=answer_view(asked, counts=result.counts)
                )
            except (discord.NotFound, discord.Forbidden) as exc:
                log.info("Quiz question %s: its message is gone or out of reach (%s)", asked.id, exc.status)
            except (discord.HTTPException, OSError) as exc:
                if asked.closes_at is not None and now - asked.closes_at < GIVE_UP_AFTER:
                    log.warning("Quiz question %s: could not reveal the tally yet: %s", asked.id, exc)
                    return False
                log.warning("Quiz question %s: giving up revealing the tally: %s", asked.id, exc)
        return await self.bot.db.quiz_close(asked.id, now)


async def setup(bot: TermiBot) -> None:
    """Register the cog and its persistent buttons."""
    bot.add_dynamic_items(AnswerButton, QuizMeButton, NextQuestionButton)
    await bot.add_cog(Quiz(bot))
