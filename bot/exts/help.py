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
    "**Apps → Explain terms** (right-click or long-press any message) — every glossary term in it, "
    "just for you, with **Add all to my deck**. **Post in channel** on a private card shares it.\n"
    "\n**Term of the day**\n"
    "`/today` — today's term of the day in this server.\n"
    "Admins (Manage Server): `/totd setup time timezone [channel]` posts a term every day at that "
    "local time; also `/totd status`, `/totd post` (post now), `/totd skip` (another term today) "
    "and `/totd disable`.\n"
    "\n**Quizzes**\n"
    "`/quiz [module] [mode]` — a question with four answers for the whole channel: one answer each, "
    "only you see if you were right, the tally shows when it closes, right answers earn leaderboard "
    "points. Add `practice:True` for a private question just for you.\n"
    "\n**Review (spaced repetition)**\n"
    "`/deck add module|term` — put terms in your personal deck (or press **Add to my deck** on any term).\n"
    "`/review` — your due cards one at a time: recall, reveal, then rate Again/Hard/Good/Easy. "
    "FSRS schedules the next review.\n"
    "`/deck list`, `/deck remove` — see or trim your deck.\n"
    "`/study settings` — your time zone (it decides when your day starts), desired retention "
    "and daily limits (20 new, 200 reviews by default).\n"
    "\n**Progress**\n"
    "`/progress` — your streak and the 30 modules at a glance (only you see it).\n"
    "`/leaderboard [period]` — this server's public quiz points, this month or all time.\n"
    "\n**Your data**\n"
    "`/forgetme` — delete all your study data (asks first).\n"
    "\n**Anywhere**\n"
    "Add TermiKnowledge to your own account to look terms up, explain messages and study in any server, "
    "in DMs and in group DMs. The term of the day, channel quizzes and the leaderboard need a server that "
    "added the bot.\n"
)


class Help(commands.Cog):
    """Explain the bot."""

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What TermiKnowledge does and how to use it")
    async def help(self, interaction: discord.Interaction[TermiBot]) -> None:
        text = HELP_TEXT
        if self.bot.settings.site_url:
            text += f"\n**On the web**\nEvery term, searchable, with a page to share: {self.bot.settings.site_url}\n"
        embed = discord.Embed(title="TermiKnowledge", description=text, colour=BRAND)
        embed.set_footer(text=f"{len(self.bot.glossary)} terms in 30 modules")
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: TermiBot) -> None:
    """Register the cog."""
    await bot.add_cog(Help(bot))
