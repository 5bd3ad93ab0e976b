"""/review, /deck and /study: personal spaced-repetition flashcards over the shared glossary.

FSRS (through `bot.core.review`) schedules every card; the database keeps each card's state and
version, so a rating applies exactly once even after a double click or a restart. Everything
here is ephemeral: a learner's deck is their own business.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import discord
from discord import app_commands, ui
from discord.ext import commands

from bot.client import TermiBot
from bot.core.glossary import Term
from bot.core.modules import MODULES, module_number
from bot.core.progress import LearnerDay
from bot.core.review import (
    LEARN_AHEAD,
    LEECH_LAPSES,
    NEW_PER_DAY_MAX,
    RETENTION_MAX,
    RETENTION_MIN,
    REVIEWS_PER_DAY_MAX,
    CardState,
    Grade,
    Reviewer,
    ReviewError,
    StudyCard,
    StudySettings,
    check_limits,
    check_retention,
    choose_next,
    format_interval,
)
from bot.core.timezones import ZoneDirectory
from bot.errors import SafeItem, UserFacingError
from bot.exts._study import AddToDeckButton, bold_name, learner_settings
from bot.exts._ui import BRAND, FIELD_MAX, clip, module_choices, module_label, module_or_error, quote_user_text

GRADE_STYLES = {
    Grade.AGAIN: discord.ButtonStyle.danger,
    Grade.HARD: discord.ButtonStyle.secondary,
    Grade.GOOD: discord.ButtonStyle.success,
    Grade.EASY: discord.ButtonStyle.primary,
}
LEECHES_SHOWN = 15


# -- rendering ------------------------------------------------------------------------


def _counts_line(learning: int, review: int, new: int, settings: StudySettings, new_today: int) -> str:
    new_left = max(0, min(new, settings.new_per_day - new_today))
    return f"{learning} learning · {review} to review today · {new_left} new left today"


def front_embed(term: Term, card: StudyCard, counts: str) -> discord.Embed:
    """Render the front of a card: the term, to recall before revealing."""
    embed = discord.Embed(
        title=clip(term.name, 256),
        description="What does it mean? Recall it, then reveal the definition and rate yourself honestly.",
        colour=BRAND,
    )
    kind = "New card" if card.state is CardState.NEW else "Review"
    embed.set_author(name=f"{kind} · {module_label(term.module)}")
    embed.set_footer(text=counts)
    return embed


def back_embed(term: Term, card: StudyCard, counts: str) -> discord.Embed:
    """Render the back of a card: definition, example and aliases."""
    embed = discord.Embed(title=clip(term.name, 256), description=clip(term.definition, 4096), colour=BRAND)
    embed.set_author(name=f"Review · {module_label(term.module)}")
    if term.example:
        embed.add_field(name="Example / formula", value=clip(term.example, FIELD_MAX), inline=False)
    if term.aliases:
        embed.add_field(name="Also known as", value=clip(", ".join(term.aliases), FIELD_MAX), inline=False)
    if card.leech:
        embed.add_field(
            name="Leech",
            value=f"You have forgotten this card {card.lapses} times. Try linking it to an example you know, "
            "or `/deck remove` it for now.",
            inline=False,
        )
    embed.set_footer(text=counts)
    return embed


def front_view(card: StudyCard) -> ui.View:
    """Return the button that turns the card over."""
    view = ui.View(timeout=None)
    view.add_item(RevealButton(card.card_id, card.reps))
    return view


def back_view(card: StudyCard, previews: dict[Grade, Any]) -> ui.View:
    """Return the four rating buttons, each labelled with the interval it would give."""
    view = ui.View(timeout=None)
    for grade in Grade:
        label = f"{grade.name.title()} · {format_interval(previews[grade])}"
        view.add_item(RateButton(card.card_id, card.reps, grade, label))
    return view


# -- buttons --------------------------------------------------------------------------


def _review_cog(interaction: discord.Interaction[TermiBot]) -> Review:
    cog = interaction.client.get_cog("Review")
    if not isinstance(cog, Review):
        raise UserFacingError("Reviews are not available right now. Please try again later.")
    return cog


class RevealButton(
    SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:rv:show:(?P<card>\d{1,18}):(?P<reps>\d{1,6})"
):
    """Show the back of a card (the card id and version are all it needs)."""

    def __init__(self, card_id: int, reps: int) -> None:
        super().__init__(
            ui.Button(
                label="Show definition", style=discord.ButtonStyle.primary, custom_id=f"tk:rv:show:{card_id}:{reps}"
            )
        )
        self.card_id = card_id
        self.reps = reps

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> RevealButton:
        return cls(int(match["card"]), int(match["reps"]))

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        await _review_cog(interaction).reveal(interaction, self.card_id, self.reps)


class RateButton(
    SafeItem,
    ui.DynamicItem[ui.Button[Any]],
    template=r"tk:rv:rate:(?P<card>\d{1,18}):(?P<reps>\d{1,6}):(?P<grade>[1-4])",
):
    """Rate a card Again, Hard, Good or Easy; it applies only to the version of the card it names."""

    def __init__(self, card_id: int, reps: int, grade: Grade, label: str | None = None) -> None:
        super().__init__(
            ui.Button(
                label=label or grade.name.title(),
                style=GRADE_STYLES[grade],
                custom_id=f"tk:rv:rate:{card_id}:{reps}:{int(grade)}",
            )
        )
        self.card_id = card_id
        self.reps = reps
        self.grade = grade

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> RateButton:
        return cls(int(match["card"]), int(match["reps"]), Grade(int(match["grade"])))

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        await _review_cog(interaction).rate(interaction, self.card_id, self.reps, self.grade)


# -- the cog --------------------------------------------------------------------------


class Review(commands.Cog):
    """Spaced-repetition review of the learner's own deck."""

    help_section = (
        "\n**Review (spaced repetition)**\n"
        "`/deck add module|term` — put terms in your personal deck (or press **Add to my deck** on any term).\n"
        "`/review` — your due cards one at a time: recall, reveal, then rate Again/Hard/Good/Easy. "
        "FSRS schedules the next review.\n"
        "`/deck list`, `/deck remove` — see or trim your deck.\n"
        "`/study settings` — your time zone (it decides when your day starts), desired retention "
        "and daily limits (20 new, 200 reviews by default).\n"
    )

    deck = app_commands.Group(name="deck", description="Your personal review deck")
    study = app_commands.Group(name="study", description="Your study settings")

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot
        self.zones = ZoneDirectory(())
        self.fuzz = True  # FSRS's interval fuzz (random); tests turn it off for exact intervals

    async def cog_load(self) -> None:
        # Reading the zone list touches ~600 files: keep it off the event loop.
        self.zones = await asyncio.to_thread(ZoneDirectory.from_system)

    # -- the review session ---------------------------------------------------------------

    @app_commands.command(name="review", description="Review the cards in your deck that are due")
    async def review(self, interaction: discord.Interaction[TermiBot]) -> None:
        embed, view = await self._next_card(interaction, interaction.user.id)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def _next_card(
        self, interaction: discord.Interaction[TermiBot], user_id: int, note: str = ""
    ) -> tuple[discord.Embed, ui.View]:
        """Return the front of the learner's next card, or a summary when nothing is due."""
        settings, day = await learner_settings(self.bot, user_id, interaction.guild_id)
        now = self.bot.clock()
        db = self.bot.db
        queue = await db.study_queue(user_id, day.start)
        card = choose_next(queue, settings, now, day.end)
        learning, review, new = await db.study_due_counts(user_id, now + LEARN_AHEAD, day.end)
        counts = _counts_line(learning, review, new, settings, queue.new_today)
        if card is not None:
            term = self.bot.glossary.get(card.slug)
            assert term is not None  # the queue only holds cards of terms in the glossary
            embed = front_embed(term, card, counts)
            if note:
                embed.description = f"{note}\n\n{embed.description}"
            return embed, front_view(card)
        embed = self._done_embed(queue.learning, queue.review, learning + review + new, settings, day, note)
        return embed, ui.View(timeout=None)

    def _done_embed(
        self,
        learning: StudyCard | None,
        review: StudyCard | None,
        waiting: int,
        settings: StudySettings,
        day: LearnerDay,
        note: str,
    ) -> discord.Embed:
        lines = [note] if note else []
        if learning is None and review is None and waiting == 0:
            lines.append(
                "Your deck is empty. Add terms with `/deck add module:…` or the **Add to my deck** button "
                "under any term."
            )
            return discord.Embed(title="Nothing to review", description="\n\n".join(lines), colour=BRAND)
        lines.append("You're done for now. 🎉")
        upcoming = [c.due for c in (learning, review) if c is not None and c.due is not None]
        if upcoming:
            lines.append(f"Next card due {discord.utils.format_dt(min(upcoming), 'R')}.")
        if waiting:
            lines.append(
                f"Daily limits: {settings.new_per_day} new and {settings.reviews_per_day} reviews; "
                "change them with `/study settings`."
            )
        embed = discord.Embed(title="All caught up", description="\n".join(lines), colour=BRAND)
        embed.set_footer(text=f"Your day: {day.date.isoformat()} ({day.zone})")
        return embed

    async def _own_card(self, interaction: discord.Interaction[TermiBot], card_id: int) -> StudyCard:
        card = await self.bot.db.study_card(card_id)
        if card is None or card.user_id != interaction.user.id:
            raise UserFacingError("That card is not in your deck any more. Run `/review` to carry on.")
        return card

    async def reveal(self, interaction: discord.Interaction[TermiBot], card_id: int, reps: int) -> None:
        """Turn a card over: show its definition and the four rating buttons."""
        card = await self._own_card(interaction, card_id)
        if card.reps != reps:  # a stale message: the card was rated since
            embed, view = await self._next_card(interaction, card.user_id, "That card was already rated.")
            await interaction.response.edit_message(embed=embed, view=view)
            return
        term = self.bot.glossary.get(card.slug)
        if term is None:
            raise UserFacingError("That term has left the glossary. Run `/review` to carry on.")
        settings, day = await learner_settings(self.bot, card.user_id, interaction.guild_id)
        now = self.bot.clock()
        previews = Reviewer(settings.retention, fuzz=False).preview(card, now)
        learning, review, new = await self.bot.db.study_due_counts(card.user_id, now + LEARN_AHEAD, day.end)
        queue_new_today = (await self.bot.db.study_queue(card.user_id, day.start)).new_today
        counts = _counts_line(learning, review, new, settings, queue_new_today)
        await interaction.response.edit_message(embed=back_embed(term, card, counts), view=back_view(card, previews))

    async def rate(self, interaction: discord.Interaction[TermiBot], card_id: int, reps: int, grade: Grade) -> None:
        """Apply a rating once, then show the next card."""
        card = await self._own_card(interaction, card_id)
        note = ""
        if card.reps == reps:
            settings, day = await learner_settings(self.bot, card.user_id, interaction.guild_id)
            now = self.bot.clock()
            result = Reviewer(settings.retention, fuzz=self.fuzz).review(card, grade, now)
            if not await self.bot.db.study_record_review(card, result.card, int(grade), now, day.date):
                note = "That card was already rated."
            elif result.became_leech:
                term = self.bot.glossary.get(card.slug)
                name = bold_name(term.name) if term else "That card"
                note = (
                    f"⚠️ {name} is now a **leech**: forgotten {LEECH_LAPSES} times. "
                    "It stays in your deck, flagged in `/deck list`; a new example of your own often helps."
                )
        else:
            note = "That card was already rated."
        embed, view = await self._next_card(interaction, card.user_id, note)
        await interaction.response.edit_message(embed=embed, view=view)

    # -- the deck -------------------------------------------------------------------------

    @deck.command(name="add", description="Add a module's terms, or one term, to your deck")
    @app_commands.describe(module="Every term of this module", term="One term")
    async def deck_add(
        self, interaction: discord.Interaction[TermiBot], module: str | None = None, term: str | None = None
    ) -> None:
        slugs, what = self._pick(module, term)
        added = await self.bot.db.study_add_cards(interaction.user.id, slugs, self.bot.clock())
        already = len(slugs) - added
        text = f"Added {added} card(s) from {what} to your deck"
        text += f" ({already} already there)." if already else "."
        settings = await self.bot.db.study_settings(interaction.user.id)
        text += f" New cards come {settings.new_per_day} a day in `/review`."
        await interaction.response.send_message(text, ephemeral=True)

    @deck.command(name="remove", description="Remove a module's terms, or one term, from your deck")
    @app_commands.describe(module="Every term of this module", term="One term")
    async def deck_remove(
        self, interaction: discord.Interaction[TermiBot], module: str | None = None, term: str | None = None
    ) -> None:
        slugs, what = self._pick(module, term)
        removed = await self.bot.db.study_remove_cards(interaction.user.id, slugs)
        text = f"Removed {removed} card(s) of {what} from your deck." if removed else f"{what} isn't in your deck."
        await interaction.response.send_message(text, ephemeral=True)

    def _pick(self, module: str | None, term: str | None) -> tuple[list[str], str]:
        """Resolve the options of /deck add|remove to slugs and a description of them."""
        glossary = self.bot.glossary
        if (module is None) == (term is None):
            raise UserFacingError("Give either a `module` or a `term`.")
        if module is not None:
            found = module_or_error(module)
            assert found is not None
            return [t.slug for t in glossary.module_terms(found)], module_label(found)
        assert term is not None
        resolution = glossary.resolve(term)
        chosen = glossary.get(resolution.match.slug) if resolution.match else None
        if chosen is None:
            hint = ", ".join(m.name for m in resolution.suggestions[:3])
            raise UserFacingError(
                f"I couldn't find “{quote_user_text(term, 60)}”." + (f" Did you mean: {hint}?" if hint else "")
            )
        return [chosen.slug], bold_name(chosen.name)

    @deck.command(name="list", description="What is in your deck, by module, and your leeches")
    async def deck_list(self, interaction: discord.Interaction[TermiBot]) -> None:
        cards = await self.bot.db.study_cards(interaction.user.id)
        if not cards:
            await interaction.response.send_message(
                "Your deck is empty. Add terms with `/deck add module:…` or **Add to my deck** under any term.",
                ephemeral=True,
            )
            return
        glossary = self.bot.glossary
        by_module: Counter[str] = Counter()
        states: Counter[CardState] = Counter()
        leeches = []
        for card in cards:
            term = glossary.get(card.slug)
            if term is None:
                continue
            by_module[term.module] += 1
            states[card.state] += 1
            if card.leech:
                leeches.append(term.name)
        lines = [
            f"`{module_number(m):2d}` {m} · {by_module[m]}/{len(glossary.module_terms(m))}"
            for m in MODULES
            if by_module[m]
        ]
        embed = discord.Embed(title="Your deck", description="\n".join(lines) or "No cards.", colour=BRAND)
        embed.add_field(
            name="Cards",
            value=f"{sum(states.values())} in all · {states[CardState.NEW]} new · "
            f"{states[CardState.LEARNING] + states[CardState.RELEARNING]} learning · {states[CardState.REVIEW]} review",
            inline=False,
        )
        if leeches:
            shown = ", ".join(discord.utils.escape_markdown(name) for name in leeches[:LEECHES_SHOWN])
            more = f" and {len(leeches) - LEECHES_SHOWN} more" if len(leeches) > LEECHES_SHOWN else ""
            embed.add_field(name=f"Leeches ({len(leeches)})", value=clip(shown + more, FIELD_MAX), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @deck_add.autocomplete("module")
    @deck_remove.autocomplete("module")
    async def module_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return module_choices(current)

    @deck_add.autocomplete("term")
    @deck_remove.autocomplete("term")
    async def term_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c.label, value=c.slug) for c in self.bot.glossary.complete(current)]

    # -- settings -------------------------------------------------------------------------

    @study.command(name="settings", description="Your time zone, desired retention and daily limits")
    @app_commands.describe(
        timezone="Your time zone, e.g. Europe/Berlin: your study day starts at your midnight",
        retention=f"Desired retention in % ({RETENTION_MIN:.0%}-{RETENTION_MAX:.0%}); higher means more reviews",
        new_per_day=f"New cards a day (0-{NEW_PER_DAY_MAX}; default 20)",
        reviews_per_day=f"Reviews a day (0-{REVIEWS_PER_DAY_MAX}; default 200)",
    )
    async def settings(
        self,
        interaction: discord.Interaction[TermiBot],
        timezone: str | None = None,
        retention: app_commands.Range[int, 70, 97] | None = None,
        new_per_day: app_commands.Range[int, 0, NEW_PER_DAY_MAX] | None = None,
        reviews_per_day: app_commands.Range[int, 0, REVIEWS_PER_DAY_MAX] | None = None,
    ) -> None:
        user_id = interaction.user.id
        current = await self.bot.db.study_settings(user_id)
        changed = current
        if timezone is not None:
            zone = self.zones.resolve(timezone)
            if zone is None:
                raise UserFacingError(
                    f"I don't know the time zone “{quote_user_text(timezone, 60)}”. "
                    "Pick one from the list, e.g. Europe/Berlin or America/New_York."
                )
            changed = StudySettings(zone, changed.retention, changed.new_per_day, changed.reviews_per_day)
        try:
            retention_value = check_retention(retention / 100) if retention is not None else changed.retention
            limits = check_limits(
                new_per_day if new_per_day is not None else changed.new_per_day,
                reviews_per_day if reviews_per_day is not None else changed.reviews_per_day,
            )
        except ReviewError as exc:
            raise UserFacingError(str(exc)) from exc
        changed = StudySettings(changed.timezone, retention_value, *limits)
        if changed != current:
            await self.bot.db.study_save_settings(user_id, changed, self.bot.clock())
        _, day = await learner_settings(self.bot, user_id, interaction.guild_id)
        await interaction.response.send_message(
            embed=self._settings_embed(changed, day, saved=changed != current), ephemeral=True
        )

    def _settings_embed(self, settings: StudySettings, day: LearnerDay, *, saved: bool) -> discord.Embed:
        embed = discord.Embed(title="Your study settings" + (" (saved)" if saved else ""), colour=BRAND)
        where = "yours" if settings.timezone else "this server's, until you set yours" if day.zone != "UTC" else "UTC"
        embed.add_field(name="Time zone", value=f"{day.zone} ({where})", inline=False)
        embed.add_field(name="Today", value=day.date.isoformat(), inline=True)
        embed.add_field(name="Desired retention", value=f"{settings.retention:.0%}", inline=True)
        embed.add_field(
            name="Daily limits", value=f"{settings.new_per_day} new · {settings.reviews_per_day} reviews", inline=True
        )
        return embed

    @settings.autocomplete("timezone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in self.zones.complete(current[:64])]


async def setup(bot: TermiBot) -> None:
    """Register the cog and its persistent buttons (including "Add to my deck" on term cards)."""
    bot.add_dynamic_items(RevealButton, RateButton, AddToDeckButton)
    await bot.add_cog(Review(bot))
