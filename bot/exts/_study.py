"""The "Add to my deck" button, on every term card and the term of the day."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from bot.errors import SafeItem, reply_ephemeral

if TYPE_CHECKING:
    from bot.client import TermiBot

DECK_BUTTON_LABEL = "Add to my deck"


def bold_name(name: str) -> str:
    """Return a term name in bold, with any markdown in it escaped."""
    return f"**{discord.utils.escape_markdown(name)}**"


class AddToDeckButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:deck:(?P<slug>[^:]{1,90})"):
    """Put a term in the clicker's review deck (on every term card and the term of the day)."""

    def __init__(self, slug: str, *, row: int | None = None) -> None:
        super().__init__(
            ui.Button(
                label=DECK_BUTTON_LABEL,
                emoji="➕",
                style=discord.ButtonStyle.success,
                custom_id=f"tk:deck:{slug}",
                row=row,
            )
        )
        self.slug = slug

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> AddToDeckButton:
        return cls(match["slug"])

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        term = interaction.client.glossary.get(self.slug)
        if term is None:
            await reply_ephemeral(interaction, "That term is no longer in the glossary.")
            return
        added, _ = await interaction.client.study.add_cards(interaction.user.id, [term.slug])
        if added:
            text = f"Added {bold_name(term.name)} to your deck. It comes up as a new card in `/review`."
        else:
            text = f"{bold_name(term.name)} is already in your deck. `/review` shows it when it is due."
        await reply_ephemeral(interaction, text)
