"""/review, /deck and /study: personal spaced-repetition flashcards over the shared glossary.

FSRS (through `bot.core.review`) schedules every card; the database keeps each card's state and
version, so a rating applies exactly once even after a double click or a restart. Everything
here is ephemeral: a learner's deck is their own business.
"""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands, ui
from discord.ext import commands

from bot.client import TermiBot
from bot.core.cards import TermCard
from bot.core.glossary import Term
from bot.core.modules import MODULES, module_number
from bot.core.progress import LearnerDay
from bot.core.review import (
    LEECH_LAPSES,
    NEW_PER_DAY_MAX,
    RETENTION_MAX,
    RETENTION_MIN,
    REVIEWS_PER_DAY_MAX,
    CardState,
    Grade,
    StudyCard,
    StudySettings,
    format_interval,
)
from bot.errors import PersistentView, SafeItem, UserFacingError
from bot.exts._export import export_deck
from bot.exts._study import AddToDeckButton, bold_name
from bot.exts._ui import (
    BRAND,
    FIELD_MAX,
    card_embed,
    clip,
    module_choices,
    module_label,
    module_or_error,
    quote_user_text,
)
from bot.services.export import FORMATS
from bot.services.study import NextCard, UnknownTermError, UnknownZoneError

GRADE_STYLES = {
    Grade.AGAIN: discord.ButtonStyle.danger,
    Grade.HARD: discord.ButtonStyle.secondary,
    Grade.GOOD: discord.ButtonStyle.success,
    Grade.EASY: discord.ButtonStyle.primary,
}
LEECHES_SHOWN = 15


# -- rendering ------------------------------------------------------------------------


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


def back_embed(card_view: TermCard, card: StudyCard, counts: str) -> discord.Embed:
    """Render the back of a card: definition, example and aliases."""
    embed = card_embed(card_view, heading=f"Review · {card_view.module}", sections=("example", "aliases"))
    if card.leech:
        embed.add_field(
            name="Leech",
            value=f"You have forgotten this card {card.lapses} times. Try linking it to an example you know, "
            "or `/deck remove` it for now.",
            inline=False,
        )
    embed.set_footer(text=counts)
    return embed


def back_view(card: StudyCard, previews: dict[Grade, Any]) -> ui.View:
    """Return the four rating buttons, each labelled with the interval it would give."""
    view = PersistentView()
    for grade in Grade:
        label = f"{grade.name.title()} · {format_interval(previews[grade])}"
        view.add_item(RateButton(card.card_id, card.reps, grade, label))
    return view


# -- buttons --------------------------------------------------------------------------


def front(next_card: NextCard) -> tuple[discord.Embed, ui.View]:
    """Render the front of the next card, or the summary when the session is done."""
    note = next_card.note
    if next_card.new_leech is not None:
        note = (
            f"⚠️ {bold_name(next_card.new_leech.name)} is now a **leech**: forgotten {LEECH_LAPSES} times. "
            "It stays in your deck, flagged in `/deck list`; a new example of your own often helps."
        )
    if next_card.card is not None and next_card.term is not None:
        embed = front_embed(next_card.term, next_card.card, next_card.counts.line())
        if note:
            embed.description = f"{note}\n\n{embed.description}"
        view = PersistentView()
        view.add_item(RevealButton(next_card.card.card_id, next_card.card.reps))
        return embed, view
    return done_embed(next_card, note), PersistentView()


def done_embed(next_card: NextCard, note: str) -> discord.Embed:
    """Render the end of a session: an empty deck, or when the next card is due."""
    lines = [note] if note else []
    if next_card.deck_empty:
        lines.append(
            "Your deck is empty. Add terms with `/deck add module:…` or the **Add to my deck** button under any term."
        )
        return discord.Embed(title="Nothing to review", description="\n\n".join(lines), colour=BRAND)
    lines.append("You're done for now. 🎉")
    upcoming = [c.due for c in next_card.upcoming if c.due is not None]
    if upcoming:
        lines.append(f"Next card due {discord.utils.format_dt(min(upcoming), 'R')}.")
    counts, settings = next_card.counts, next_card.settings
    if counts.learning + counts.review + counts.new:
        lines.append(
            f"Daily limits: {settings.new_per_day} new and {settings.reviews_per_day} reviews; "
            "change them with `/study settings`."
        )
    embed = discord.Embed(title="All caught up", description="\n".join(lines), colour=BRAND)
    embed.set_footer(text=f"Your day: {next_card.day.date.isoformat()} ({next_card.day.zone})")
    return embed


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
        study = interaction.client.study
        shown = await study.reveal(interaction.user.id, interaction.guild_id, self.card_id, self.reps)
        if isinstance(shown, NextCard):  # a stale message: the card was rated since
            embed, view = front(shown)
        else:
            embed = back_embed(interaction.client.glossary.card(shown.term), shown.card, shown.counts.line())
            view = back_view(shown.card, shown.previews)
        await interaction.response.edit_message(embed=embed, view=view)


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
        study = interaction.client.study
        following = await study.rate(interaction.user.id, interaction.guild_id, self.card_id, self.reps, self.grade)
        embed, view = front(following)
        await interaction.response.edit_message(embed=embed, view=view)


# -- the cog --------------------------------------------------------------------------


class Review(commands.Cog):
    """Spaced-repetition review of the learner's own deck."""

    deck = app_commands.Group(name="deck", description="Your personal review deck")
    study = app_commands.Group(name="study", description="Your study settings")

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        await self.bot.study.prepare()

    @app_commands.command(name="review", description="Review the cards in your deck that are due")
    async def review(self, interaction: discord.Interaction[TermiBot]) -> None:
        embed, view = front(await self.bot.study.next_card(interaction.user.id, interaction.guild_id))
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    # -- the deck -------------------------------------------------------------------------

    @deck.command(name="add", description="Add a module's terms, or one term, to your deck")
    @app_commands.describe(module="Every term of this module", term="One term")
    async def deck_add(
        self, interaction: discord.Interaction[TermiBot], module: str | None = None, term: str | None = None
    ) -> None:
        slugs, what = self._pick(module, term)
        added, settings = await self.bot.study.add_cards(interaction.user.id, slugs)
        already = len(slugs) - added
        text = f"Added {added} card(s) from {what} to your deck"
        text += f" ({already} already there)." if already else "."
        text += f" New cards come {settings.new_per_day} a day in `/review`."
        await interaction.response.send_message(text, ephemeral=True)

    @deck.command(name="remove", description="Remove a module's terms, or one term, from your deck")
    @app_commands.describe(module="Every term of this module", term="One term")
    async def deck_remove(
        self, interaction: discord.Interaction[TermiBot], module: str | None = None, term: str | None = None
    ) -> None:
        slugs, what = self._pick(module, term)
        removed = await self.bot.study.remove_cards(interaction.user.id, slugs)
        text = f"Removed {removed} card(s) of {what} from your deck." if removed else f"{what} isn't in your deck."
        await interaction.response.send_message(text, ephemeral=True)

    def _pick(self, module: str | None, term: str | None) -> tuple[list[str], str]:
        """Resolve the options of /deck add|remove to slugs and a description of them."""
        try:
            slugs, what = self.bot.study.pick(module_or_error(module), term)
        except UnknownTermError as exc:
            hint = f" Did you mean: {exc.hint}?" if exc.hint else ""
            raise UserFacingError(f"I couldn't find “{quote_user_text(exc.text, 60)}”.{hint}") from exc
        return slugs, module_label(what) if isinstance(what, str) else bold_name(what.name)

    @deck.command(name="export", description="Download your deck as CSV, JSON or an Anki deck")
    @app_commands.describe(format="csv or json for spreadsheets, anki for an .apkg deck that updates on re-import")
    @app_commands.choices(format=[app_commands.Choice(name=f, value=f) for f in FORMATS])
    async def deck_export(self, interaction: discord.Interaction[TermiBot], format: str = "anki") -> None:
        await export_deck(interaction, format)

    @deck.command(name="list", description="What is in your deck, by module, and your leeches")
    async def deck_list(self, interaction: discord.Interaction[TermiBot]) -> None:
        summary = await self.bot.study.deck(interaction.user.id)
        if summary is None:
            await interaction.response.send_message(
                "Your deck is empty. Add terms with `/deck add module:…` or **Add to my deck** under any term.",
                ephemeral=True,
            )
            return
        glossary = self.bot.glossary
        by_module, states, leeches = summary.by_module, summary.states, summary.leeches
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
        try:
            settings, day, saved = await self.bot.study.save_settings(
                interaction.user.id,
                interaction.guild_id,
                timezone=timezone,
                retention_percent=retention,
                new_per_day=new_per_day,
                reviews_per_day=reviews_per_day,
            )
        except UnknownZoneError as exc:
            raise UserFacingError(
                f"I don't know the time zone “{quote_user_text(exc.text, 60)}”. "
                "Pick one from the list, e.g. Europe/Berlin or America/New_York."
            ) from exc
        await interaction.response.send_message(embed=self._settings_embed(settings, day, saved=saved), ephemeral=True)

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
        return [app_commands.Choice(name=name, value=name) for name in self.bot.study.zones.complete(current[:64])]


async def setup(bot: TermiBot) -> None:
    """Register the cog and its persistent buttons (including "Add to my deck" on term cards)."""
    bot.add_dynamic_items(RevealButton, RateButton, AddToDeckButton)
    await bot.add_cog(Review(bot))
