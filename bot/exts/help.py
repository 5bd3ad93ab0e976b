"""/help: what the bot does and how to use it."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import TermiBot
from bot.exts._ui import BRAND

HELP_TEXT = (
    "I explain supply chain terms the way the CIOP certification uses them, "
    "and help you study them.\n\n"
    "**Look things up**\n"
    "`/term name` — a term's definition, example and related terms. Typos, plurals and "
    "abbreviations work: `/term eoq`, `/term s&op`, `/term econmic order quanity`.\n"
    "`/search text` — find words inside names and definitions.\n"
    "`/browse [module]` — page through the 30 modules.\n"
    "`/random [module]` — a random term to test yourself.\n"
)


class Help(commands.Cog):
    """Explain the bot."""

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What TermiKnowledge does and how to use it")
    async def help(self, interaction: discord.Interaction[TermiBot]) -> None:
        text = HELP_TEXT + "".join(getattr(cog, "help_section", "") for cog in self.bot.cogs.values())
        embed = discord.Embed(title="TermiKnowledge", description=text, colour=BRAND)
        embed.set_footer(text=f"{len(self.bot.glossary)} terms in 30 modules")
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: TermiBot) -> None:
    """Register the cog."""
    await bot.add_cog(Help(bot))
