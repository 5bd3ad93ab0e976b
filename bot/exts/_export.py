"""Sending exports as attachments, shared by /glossary export and /deck export."""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

import discord

from bot.services.export import deck_entries, extension, render

if TYPE_CHECKING:
    from bot.client import TermiBot

ATTACHMENT_MAX = 8 * 1024 * 1024  # within the smallest upload limit a server can have, with headroom


async def send_file(interaction: discord.Interaction[TermiBot], data: bytes, filename: str, what: str) -> None:
    """Send an export as an ephemeral attachment (after a deferral), or say why it cannot go."""
    if len(data) > ATTACHMENT_MAX:
        await interaction.followup.send(
            f"The file would be {len(data) / 1e6:.1f} MB, more than Discord takes. Ask the bot's operator for "
            "`termiknowledge export`, or pick a smaller scope.",
            ephemeral=True,
        )
        return
    await interaction.followup.send(
        f"Here you go: {what}.", file=discord.File(io.BytesIO(data), filename=filename), ephemeral=True
    )


async def export_deck(interaction: discord.Interaction[TermiBot], fmt: str) -> None:
    """Send a learner their own deck (as this server shows its terms)."""
    bot = interaction.client
    await interaction.response.defer(ephemeral=True, thinking=True)
    entries = await deck_entries(bot.db, bot.glossary, interaction.user.id, interaction.guild_id)
    if not entries:
        await interaction.followup.send("Your deck is empty: add terms with `/deck add` first.", ephemeral=True)
        return
    key = f"user:{interaction.user.id}"
    data = await asyncio.to_thread(render, fmt, entries, "My TermiKnowledge deck", key, interaction.guild_id)
    await send_file(interaction, data, f"my-deck.{extension(fmt)}", f"your {len(entries)} cards")
