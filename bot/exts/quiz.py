"""/quiz: multiple-choice questions in a channel (with points) or as personal practice.

The rules (generation, grading, points) are in `bot.core.quiz`; one answer per member is enforced
by the database. Public questions close at a stored time: a light loop, started in `cog_load`,
closes overdue ones (also those that fell due while the bot was offline) and reveals the tally.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import discord
from discord import app_commands, ui
from discord.ext import commands

from bot.client import TermiBot
from bot.core.cards import term_card
from bot.core.glossary import Term
from bot.core.modules import MODULES, module_number
from bot.core.quiz import (
    QUESTION_SECONDS_DEFAULT,
    QUESTION_SECONDS_MAX,
    QUESTION_SECONDS_MIN,
    AskedQuestion,
    Question,
    QuizBank,
    QuizMode,
    Tally,
)
from bot.errors import PersistentView, SafeItem
from bot.exts._study import AddToDeckButton
from bot.exts._ui import (
    BRAND,
    FIELD_MAX,
    card_embed,
    clip,
    module_choices,
    module_label,
    module_or_error,
)
from bot.services.periodic import Periodic
from bot.services.quiz import CHECK_EVERY, CLOSE_BATCH, Closing, letter

log = logging.getLogger(__name__)
RIGHT = discord.Colour.green()
WRONG = discord.Colour.red()
CLOSED = discord.Colour.light_grey()
_MODE_CODES = {"d": QuizMode.DEFINITION, "t": QuizMode.TERM, "r": None}
_NAMES_SHOWN = 30


def _mode_code(mode: QuizMode | None) -> str:
    return {QuizMode.DEFINITION: "d", QuizMode.TERM: "t"}.get(mode, "r") if mode else "r"


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
        embed.add_field(name=letter(index), value=clip(text, 900), inline=inline)
    return embed


def answer_view(asked: AskedQuestion, *, counts: tuple[int, ...] | None = None) -> ui.View:
    """Return the four answer buttons (disabled, with the counts, once the question closed)."""
    view = PersistentView()
    for index in range(len(asked.question.options)):
        label = letter(index) if counts is None else f"{letter(index)} · {counts[index]}"
        style = discord.ButtonStyle.primary
        if counts is not None:
            style = discord.ButtonStyle.success if index == asked.question.answer else discord.ButtonStyle.secondary
        view.add_item(AnswerButton(asked.id, index, label, style=style, disabled=counts is not None))
    return view


def definition_field(embed: discord.Embed, term: Term) -> None:
    """Add the full definition (and example) of the answer, as fields of the card's embed."""
    card = card_embed(term_card(term, lambda _: None), sections=("example",))
    embed.add_field(name=card.title or "", value=clip(card.description or "", FIELD_MAX), inline=False)
    for field in card.fields:
        embed.add_field(name=field.name or "", value=field.value or "", inline=False)


def result_embed(bank: QuizBank, question: Question, choice: int, *, public: bool) -> discord.Embed:
    """Tell the answerer whether they were right, with the full definition of the answer."""
    term = bank.term(question.slug)
    assert term is not None
    right = question.is_correct(choice)
    if right:
        title = f"✅ Right! The answer is {letter(question.answer)}: {term.name}"
    else:
        picked = bank.term(question.options[choice])
        picked_name = f" ({picked.name})" if picked is not None and question.mode is QuizMode.TERM else ""
        answer = f"{letter(question.answer)}: {term.name}"
        title = f"❌ Not quite: you chose {letter(choice)}{picked_name}; the answer is {answer}"
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
    embed.title = clip(f"Closed · the answer was {letter(question.answer)}: {name}", 256)
    lines = []
    for index in range(len(question.options)):
        mark = " ✅" if index == question.answer else ""
        lines.append(f"**{letter(index)}** · {result.counts[index]} answer(s){mark}")
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


PRACTICE_HERE = (
    "Questions for the whole channel (with points) need a server that has added TermiKnowledge, "
    "so here is a practice question just for you."
)


async def send_question(
    interaction: discord.Interaction[TermiBot], asked: AskedQuestion, *, edit: bool = False, note: str | None = None
) -> None:
    """Show a practice question to the member only (replacing the clicked message when `edit`)."""
    bank = interaction.client.quiz.bank_for(asked.guild_id)
    embed, view = question_embed(bank, asked), answer_view(asked)
    if edit:
        await interaction.response.edit_message(embed=embed, view=view)
    elif note:
        await interaction.response.send_message(note, embed=embed, view=view, ephemeral=True)
    else:
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


async def ask_practice(
    interaction: discord.Interaction[TermiBot],
    *,
    module: str | None = None,
    mode: QuizMode | None = None,
    slug: str | None = None,
    edit: bool = False,
    note: str | None = None,
) -> None:
    """Ask the member a question only they see."""
    asked = await interaction.client.quiz.ask(
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        mode=mode,
        module=module,
        slug=slug,
    )
    await send_question(interaction, asked, edit=edit, note=note)


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
                label=label or letter(choice),
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
        service = interaction.client.quiz
        answered = await service.answer(self.question_id, interaction.user.id, interaction.guild_id, self.choice)
        asked = answered.asked
        bank = service.bank_for(asked.guild_id)
        embed = result_embed(bank, asked.question, self.choice, public=asked.public)
        view = PersistentView()
        if interaction.client.glossary.bundled(asked.question.slug) is not None:  # decks hold shipped terms
            view.add_item(AddToDeckButton(asked.question.slug))
        if asked.public:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
            return
        # Practice: replace the question with the result, and offer the next one.
        term = bank.term(asked.question.slug)
        assert term is not None
        view.add_item(NextQuestionButton(module_number(term.module), _mode_code(asked.question.mode)))
        await interaction.response.edit_message(embed=embed, view=view)


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
        await ask_practice(interaction, slug=self.slug)


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
        await ask_practice(interaction, module=module, mode=_MODE_CODES[self.mode], edit=True)


# -- the cog --------------------------------------------------------------------------


MODE_CHOICES = [
    app_commands.Choice(name="Pick the definition (you're shown a term)", value=QuizMode.DEFINITION.value),
    app_commands.Choice(name="Pick the term (you're shown a definition)", value=QuizMode.TERM.value),
]


class Quiz(commands.Cog):
    """Multiple-choice questions over the glossary; a loop reveals public questions' tallies when they close."""

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot
        self.closer = Periodic(
            "quiz-closer", self._close_step, retry_after=CHECK_EVERY, before_first=bot.wait_until_ready
        )

    async def cog_load(self) -> None:
        await self.bot.quiz.prepare()
        # The one closing loop starts here, never in on_ready (which fires again on every reconnect).
        self.closer.start()

    async def cog_unload(self) -> None:
        await self.closer.stop()

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
        chosen = module_or_error(module)
        # A question for the whole channel needs a server that added the bot (it is closed and scored there).
        if practice or not interaction.is_guild_integration():
            await ask_practice(interaction, module=chosen, mode=quiz_mode, note=None if practice else PRACTICE_HERE)
            return
        asked = await self.bot.quiz.ask(
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            mode=quiz_mode,
            module=chosen,
            closes_in=timedelta(seconds=seconds),
        )
        callback = await interaction.response.send_message(
            embed=question_embed(self.bot.quiz.bank_for(asked.guild_id), asked), view=answer_view(asked)
        )
        message_id = callback.message_id
        if message_id is None:  # Discord normally says; ask for the message otherwise
            message_id = (await interaction.original_response()).id
        if interaction.channel_id is not None:
            await self.bot.quiz.shown_in(asked.id, interaction.channel_id, message_id)
        self.closer.wake()

    @quiz.autocomplete("module")
    async def module_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return module_choices(current)

    # -- closing --------------------------------------------------------------------------

    async def _close_step(self) -> float:
        await self.close_due()
        await self.bot.quiz.prune()
        return await self.bot.quiz.seconds_to_next_close()

    async def close_due(self) -> int:
        """Close every public question whose time is up, revealing its tally; return how many closed."""
        closed = 0
        while True:
            closings = await self.bot.quiz.overdue()
            progressed = False
            for closing in closings:
                async with self.bot.quiz.closing(closing.asked.id) as mine:
                    if not mine:  # another process reveals it (or did)
                        continue
                    if await self._reveal(closing) and await self.bot.quiz.mark_closed(closing.asked.id):
                        closed += 1
                        progressed = True
            if len(closings) < CLOSE_BATCH or not progressed:
                return closed

    async def _reveal(self, closing: Closing) -> bool:
        """Show a question's tally in its message; False to try again on the next round."""
        asked = closing.asked
        if asked.channel_id is None:
            return True
        embed = closed_embed(self.bot.quiz.bank_for(asked.guild_id), asked, closing.result, closing.winners)
        try:
            message_id = asked.message_id or await self._find_question(asked)
            if message_id is None:
                log.info("Quiz question %s: its message was never recorded and is not in the channel", asked.id)
                return True
            message = self.bot.get_partial_messageable(asked.channel_id).get_partial_message(message_id)
            await message.edit(embed=embed, view=answer_view(asked, counts=closing.result.counts))
        except (discord.NotFound, discord.Forbidden) as exc:
            log.info("Quiz question %s: its message is gone or out of reach (%s)", asked.id, exc.status)
        except (discord.HTTPException, OSError) as exc:
            if self.bot.quiz.may_retry(asked):
                log.warning("Quiz question %s: could not reveal the tally yet: %s", asked.id, exc)
                return False
            log.warning("Quiz question %s: giving up revealing the tally: %s", asked.id, exc)
        return True

    async def _find_question(self, asked: AskedQuestion) -> int | None:
        """Find a question whose message id was never stored (a crash right after posting) by its buttons."""
        assert asked.channel_id is not None
        wanted = AnswerButton(asked.id, 0).custom_id
        channel = self.bot.get_partial_messageable(asked.channel_id)
        async for message in channel.history(limit=50):
            rows = [row for row in message.components if isinstance(row, discord.ActionRow)]
            ids = {getattr(child, "custom_id", None) for row in rows for child in row.children}
            if message.author.id == self.bot.application_id and wanted in ids:
                await self.bot.quiz.shown_in(asked.id, asked.channel_id, message.id)
                return message.id
        return None


async def setup(bot: TermiBot) -> None:
    """Register the cog and its persistent buttons."""
    bot.add_dynamic_items(AnswerButton, QuizMeButton, NextQuestionButton)
    await bot.add_cog(Quiz(bot))
