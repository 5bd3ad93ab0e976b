"""Apps → "Explain terms": every glossary term in someone's message, privately, with a way to open or study them.

The target message arrives inside the interaction, so this needs no Message Content intent and works wherever
the app is available: servers that added the bot, and anywhere for learners who added it to their account.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands, ui
from discord.ext import commands

from bot.client import TermiBot
from bot.core.finder import Findings
from bot.errors import PersistentView, SafeItem
from bot.exts._study import bold_name
from bot.exts._ui import BRAND, clip
from bot.exts.glossary import OpenTermSelect

if TYPE_CHECKING:
    from bot.services.glossary import GlossaryService

MENU_NAME = "Explain terms"
DESCRIPTION_BUDGET = 3900  # of Discord's 4,096, leaving room for the cut marker
DEFINITION_MAX = 150  # one line of definition per term when there is room
DEFINITION_MIN = 40
OPEN_SELECT_ID = "tk:xopen:0"
ADD_ALL_ID = "tk:xdeck"
NOTHING_FOUND = (
    "I didn't find any glossary terms in that message. If a word puzzles you, try `/term` with it "
    "(typos and abbreviations are fine) or `/search` to look inside definitions."
)
NO_TEXT = "That message has no text I can read (only attachments, stickers or emoji), so there is nothing to explain."


def message_text(message: discord.Message) -> str:
    """Return the readable text of a message: its content, then the text of its rich embeds (not link previews)."""
    parts = [message.content or ""]
    for embed in message.embeds:
        if embed.type != "rich":
            continue
        parts += [embed.title or "", embed.description or ""]
        for field in embed.fields:
            parts += [field.name or "", field.value or ""]
    return "\n".join(part for part in parts if part)


def first_sentence(text: str) -> str:
    """Return the first sentence of a definition (the whole text when it has only one)."""
    match = re.search(r"(?<=[a-z0-9)])\.\s+(?=[A-Z])", text)
    return text[: match.start() + 1] if match else text


def explain_embed(findings: Findings, glossary: GlossaryService, guild_id: int | None = None) -> discord.Embed:
    """List the terms found, one line of definition each, in order of appearance, within Discord's limits."""
    heads = []
    for found in findings.terms:
        head = bold_name(found.name)
        if found.via.casefold() not in found.name.casefold():
            head += f" ({discord.utils.escape_markdown(found.via)})"
        heads.append(head)
    room = (DESCRIPTION_BUDGET - sum(len(head) + 6 for head in heads)) // max(1, len(heads))
    width = max(DEFINITION_MIN, min(DEFINITION_MAX, room))
    lines = []
    for number, (found, head) in enumerate(zip(findings.terms, heads, strict=True), start=1):
        term = glossary.get(found.slug, guild_id)
        definition = first_sentence(term.definition) if term is not None else ""
        lines.append(f"`{number:2d}` {head}: {discord.utils.escape_markdown(clip(definition, width))}")
    count = len(findings.terms)
    embed = discord.Embed(
        title="Terms in this message" if count > 1 else "A term in this message",
        description=clip("\n".join(lines), 4096),
        colour=BRAND,
    )
    footer = f"{count} term(s) in order of appearance · only you can see this"
    if findings.more:
        footer = f"The first {count} of {count + findings.more} terms · only you can see this"
    embed.set_footer(text=footer + " · open one below for the full card")
    return embed


def explain_view(findings: Findings) -> ui.View:
    """Offer a menu to open any of the terms in full, and "Add all to my deck"."""
    view = PersistentView()
    view.add_item(OpenTermSelect.build([(f.slug, f.name) for f in findings.terms], OPEN_SELECT_ID))
    view.add_item(AddAllButton())
    return view


class AddAllButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:xdeck"):
    """Put every term of an explanation into the clicker's deck; the terms are read from the menu beside it."""

    def __init__(self) -> None:
        super().__init__(
            ui.Button(label="Add all to my deck", emoji="➕", style=discord.ButtonStyle.success, custom_id=ADD_ALL_ID)
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> AddAllButton:
        return cls()

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        glossary = interaction.client.glossary
        # Decks hold shipped terms only: a server's own terms are left out.
        slugs = [slug for slug in _menu_values(interaction.message) if glossary.bundled(slug) is not None]
        if not slugs:
            await interaction.response.send_message(
                "Those terms are no longer in the glossary. Try **Explain terms** again.", ephemeral=True
            )
            return
        added, _ = await interaction.client.study.add_cards(interaction.user.id, slugs)
        already = len(slugs) - added
        text = f"Added {added} term(s) to your deck"
        text += f" ({already} already there)." if already else "."
        await interaction.response.send_message(text + " They come up as new cards in `/review`.", ephemeral=True)


def _menu_values(message: discord.Message | None) -> list[str]:
    """Return the option values of the explanation's "open a term" menu (the slugs, in order)."""
    if message is None:
        return []
    for row in message.components:
        for child in getattr(row, "children", []):
            if isinstance(child, discord.SelectMenu) and child.custom_id == OPEN_SELECT_ID:
                return [option.value for option in child.options]
    return []


class Explain(commands.Cog):
    """The "Explain terms" message menu."""

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name=MENU_NAME, callback=self.explain)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def explain(self, interaction: discord.Interaction[TermiBot], message: discord.Message) -> None:
        text = message_text(message)
        findings = self.bot.glossary.find_terms(text, interaction.guild_id)
        if not findings.terms:
            await interaction.response.send_message(NOTHING_FOUND if text.strip() else NO_TEXT, ephemeral=True)
            return
        await interaction.response.send_message(
            embed=explain_embed(findings, self.bot.glossary, interaction.guild_id),
            view=explain_view(findings),
            ephemeral=True,
        )


async def setup(bot: TermiBot) -> None:
    """Register the cog, its menu and the button it creates."""
    bot.add_dynamic_items(AddAllButton)
    await bot.add_cog(Explain(bot))
