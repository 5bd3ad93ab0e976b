"""Embeds and persistent buttons shared by the glossary features."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from bot.core.cards import TermCard
from bot.core.glossary import Term
from bot.core.modules import MODULES, find_module, module_number
from bot.core.normalize import scrub
from bot.errors import PersistentView, SafeItem, UserFacingError, reply_ephemeral
from bot.exts._install import FORCED_PRIVATE_TEXT, post_refusal
from bot.exts._study import AddToDeckButton
from bot.exts._suggest import SuggestFixButton

if TYPE_CHECKING:
    from bot.client import TermiBot
    from bot.services.glossary import GlossaryService

log = logging.getLogger(__name__)
BRAND = discord.Colour.from_rgb(46, 134, 171)
BUTTON_LABEL_MAX = 80
FIELD_MAX = 1024
STUDY_ROW = 1  # study buttons ("Add to my deck", "Quiz me") go below the related terms


def clip(text: str, limit: int) -> str:
    """Shorten text to a limit, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quote_user_text(text: str, limit: int = 100) -> str:
    """Make user-typed text safe to echo: no markdown, no mentions, bounded length."""
    text = " ".join(scrub(text).split())
    text = discord.utils.escape_mentions(discord.utils.escape_markdown(clip(text, limit)))
    return text or "(empty)"


def card_embed(
    card: TermCard,
    *,
    heading: str | None = None,
    sections: Sequence[str] = ("example", "aliases", "module", "related"),
) -> discord.Embed:
    """Render a term card as an embed that fits Discord's limits, with the chosen sections as fields."""
    embed = discord.Embed(
        title=clip(card.name, 256), description=clip(card.definition, 4096), colour=BRAND, url=card.url
    )
    if heading:
        embed.set_author(name=clip(heading, 256))
    if "example" in sections and card.example:
        embed.add_field(name="Example / formula", value=clip(card.example, FIELD_MAX), inline=False)
    if "aliases" in sections and card.aliases:
        embed.add_field(name="Also known as", value=clip(", ".join(card.aliases), FIELD_MAX), inline=False)
    if "module" in sections:
        embed.add_field(name="Module", value=card.module, inline=True)
    if "related" in sections and card.related:
        embed.add_field(name="Related", value=clip(", ".join(name for _, name in card.related), FIELD_MAX), inline=True)
    return embed


def term_embed(
    term: Term, glossary: GlossaryService, *, heading: str | None = None, guild_id: int | None = None
) -> discord.Embed:
    """Render a term's full card, as /term shows it; a server's own term is marked and credited."""
    embed = card_embed(glossary.card(term), heading=heading)
    own = glossary.server_term(term.slug, guild_id) if guild_id is not None else None
    if own is None:
        embed.set_footer(text="TermiKnowledge · /term to look up another")
        return embed
    by = f"<@{own.credit_user_id}>" if own.credit_user_id is not None else "a former member"
    kind = "Community correction" if own.overrides else "Community term"
    embed.add_field(name=kind, value=f"Suggested by {by} and approved in this server", inline=False)
    embed.set_footer(text=f"{kind} of this server · /term to look up another")
    return embed


class TermButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:(?P<kind>rel|pick):(?P<slug>[^:]{1,90})"):
    """Open a term: a related term only for whoever clicked ("rel"), a "did you mean" pick for all ("pick")."""

    def __init__(self, slug: str, label: str, *, pick: bool = False) -> None:
        kind, style = ("pick", discord.ButtonStyle.primary) if pick else ("rel", discord.ButtonStyle.secondary)
        super().__init__(ui.Button(label=clip(label, BUTTON_LABEL_MAX), style=style, custom_id=f"tk:{kind}:{slug}"))
        self.slug = slug
        self.pick = pick

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> TermButton:
        return cls(match["slug"], getattr(item, "label", None) or match["slug"], pick=match["kind"] == "pick")

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        await show_term(interaction, self.slug, ephemeral=not self.pick)


class PostTermButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:post:(?P<slug>[^:]{1,90})"):
    """On a card only the learner sees: post it for everyone where they are, when they may post there."""

    def __init__(self, slug: str, *, row: int | None = STUDY_ROW) -> None:
        super().__init__(
            ui.Button(
                label="Post in channel",
                emoji="📣",
                style=discord.ButtonStyle.secondary,
                custom_id=f"tk:post:{slug}",
                row=row,
            )
        )
        self.slug = slug

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> PostTermButton:
        return cls(match["slug"])

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        glossary = interaction.client.glossary
        term = glossary.get(self.slug, interaction.guild_id)
        if term is None:
            await reply_ephemeral(interaction, "That term is no longer in the glossary. Try `/term` or `/search`.")
            return
        refusal = post_refusal(interaction)
        if refusal is not None:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        heading = f"Shared by {interaction.user.display_name}"
        embed = term_embed(term, glossary, heading=heading, guild_id=interaction.guild_id)
        sent = await interaction.response.send_message(embed=embed, view=card_view(term, glossary))
        if sent.is_ephemeral():  # the server made the answer private after all (external apps limited)
            await interaction.followup.send(FORCED_PRIVATE_TEXT, ephemeral=True)


def term_view(
    term: Term, glossary: GlossaryService, *, deck: bool = True, post: bool = False, fix: bool = False
) -> ui.View:
    """Buttons for a term's related terms, then "Add to my deck", and "Suggest a correction" below them.

    `post` adds "Post in channel", for cards that only the learner sees.
    """
    view = PersistentView()
    for slug, name in glossary.card(term).related[:5]:
        view.add_item(TermButton(slug, name))
    if deck:
        view.add_item(AddToDeckButton(term.slug, row=STUDY_ROW))
    if post:
        view.add_item(PostTermButton(term.slug))
    if fix:
        view.add_item(SuggestFixButton(term.slug, row=STUDY_ROW + 1))
    return view


def card_view(term: Term, glossary: GlossaryService, *, post: bool = False) -> ui.View:
    """Return a looked-up card's buttons; a server's own term cannot go into a deck (decks hold shipped terms)."""
    return term_view(term, glossary, deck=glossary.bundled(term.slug) is not None, post=post, fix=True)


async def show_term(interaction: discord.Interaction[TermiBot], slug: str, *, ephemeral: bool) -> None:
    """Send a term's card (a private one with "Post in channel"), or a friendly note if it left the glossary."""
    glossary = interaction.client.glossary
    term = glossary.get(slug, interaction.guild_id)
    if term is None:
        await reply_ephemeral(interaction, "That term is no longer in the glossary. Try `/term` or `/search`.")
        return
    await interaction.response.send_message(
        embed=term_embed(term, glossary, guild_id=interaction.guild_id),
        view=card_view(term, glossary, post=ephemeral),
        ephemeral=ephemeral,
    )


def module_label(module: str) -> str:
    """Return "7. Material Requirements Planning"."""
    return f"{module_number(module)}. {module}"


def module_choices(current: str) -> list[discord.app_commands.Choice[str]]:
    """Autocomplete for module options: by number or any part of the name."""
    text = current.strip().casefold()
    picked = [
        name
        for number, name in enumerate(MODULES, start=1)
        if not text or text == str(number) or text in name.casefold() or text in f"{number}. {name}".casefold()
    ]
    return [discord.app_commands.Choice(name=module_label(name), value=name) for name in picked[:25]]


def module_or_error(value: str | None) -> str | None:
    """Resolve a module option (name, number or prefix); None when empty; a friendly error when unknown."""
    if value is None or not value.strip():
        return None
    module = find_module(value)
    if module is None:
        raise UserFacingError(
            f"I don't know the module “{quote_user_text(value, 60)}”. "
            "Pick one from the list, or give its number (1-30)."
        )
    return module
