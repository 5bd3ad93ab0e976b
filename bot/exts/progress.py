"""/progress and /leaderboard.

A learner's own progress is shown to them only; about anyone else the bot shows only what they
did in public (quiz points in this server).
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import TermiBot
from bot.core.modules import module_number
from bot.core.progress import ModuleProgress, Streak, bar, month_start
from bot.exts._install import server_only
from bot.exts._ui import BRAND, clip

LEADERBOARD_SIZE = 10
PERIODS = [
    app_commands.Choice(name="This month", value="month"),
    app_commands.Choice(name="All time", value="all"),
]
_NAME_WIDTH = 30


def progress_lines(rows: list[ModuleProgress]) -> str:
    """Render the 30 modules at a glance: mastery bar, then seen / in deck / mature."""
    lines = []
    for row in rows:
        name = clip(row.module, _NAME_WIDTH)
        lines.append(
            f"`{module_number(row.module):2d}` `{bar(row.mastery)}` {row.mastery:4.0%} **{name}** · "
            f"{row.seen}/{row.terms} seen · {row.in_deck} deck · {row.mature} mature"
        )
    return "\n".join(lines)


def streak_text(value: Streak) -> str:
    """Describe a streak in a few words."""
    if value.current == 0:
        return f"No streak yet today (best {value.best} day(s)). One review or quiz answer starts it."
    today = "" if value.studied_today else " · study today to keep it"
    return f"🔥 {value.current} day(s) in a row (best {value.best}){today}"


class Progress(commands.Cog):
    """Progress by module, streaks, the server leaderboard and deleting one's data."""

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot

    @app_commands.command(name="progress", description="Your streak and progress in each module")
    @app_commands.describe(member="Someone else: you'll see only what they did in public here")
    async def progress(self, interaction: discord.Interaction[TermiBot], member: discord.User | None = None) -> None:
        if member is not None and member.id != interaction.user.id:
            await interaction.response.send_message(await self._public_only(interaction, member), ephemeral=True)
            return
        embed = await self._own_progress(interaction)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def _own_progress(self, interaction: discord.Interaction[TermiBot]) -> discord.Embed:
        report = await self.bot.study.progress(interaction.user.id, interaction.guild_id)
        rows, day, due = report.rows, report.day, report.due
        embed = discord.Embed(title="Your progress", description=progress_lines(rows), colour=BRAND)
        embed.add_field(name="Streak", value=streak_text(report.streak), inline=False)
        total = sum(r.terms for r in rows)
        embed.add_field(
            name="Glossary",
            value=f"{sum(r.seen for r in rows)}/{total} seen · {sum(r.in_deck for r in rows)} in deck · "
            f"{sum(r.mature for r in rows)} mature",
            inline=True,
        )
        embed.add_field(
            name="Due today", value=f"{due.learning + due.review} to review · {due.new} new waiting", inline=True
        )
        if report.leeches:
            embed.add_field(name="Leeches", value=f"{report.leeches} (see `/deck list`)", inline=True)
        embed.set_footer(text=f"Mature = interval over 21 days · your day: {day.date.isoformat()} ({day.zone})")
        return embed

    async def _public_only(self, interaction: discord.Interaction[TermiBot], member: discord.User) -> str:
        name = discord.utils.escape_markdown(member.display_name)
        private = f"{name}'s study progress is private."
        if interaction.guild_id is None:
            return private
        zone = await self._server_zone(interaction.guild_id)
        month, rank = await self.bot.db.quiz_standing(
            interaction.guild_id, member.id, month_start(self.bot.clock(), zone)
        )
        ever, _ = await self.bot.db.quiz_standing(interaction.guild_id, member.id, None)
        ranked = f" (#{rank})" if rank else ""
        return f"{private} In public quizzes here: {month} point(s) this month{ranked}, {ever} all time."

    async def _server_zone(self, guild_id: int) -> str:
        return await self.bot.db.study_server_zone(guild_id) or "UTC"

    @app_commands.command(name="leaderboard", description="This server's public quiz points")
    @app_commands.describe(period="This month (default) or all time")
    @app_commands.choices(period=PERIODS)
    @server_only
    async def leaderboard(
        self, interaction: discord.Interaction[TermiBot], period: app_commands.Choice[str] | None = None
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        monthly = period is None or period.value == "month"
        zone = await self._server_zone(guild_id)
        since = month_start(self.bot.clock(), zone) if monthly else None
        rows = await self.bot.db.quiz_leaderboard(guild_id, since, LEADERBOARD_SIZE)
        title = "Leaderboard · this month" if monthly else "Leaderboard · all time"
        medals = {1: "🥇", 2: "🥈", 3: "🥉"}
        lines = [
            f"{medals.get(i, f'`{i:2d}`')} <@{user_id}> · {points} pt" for i, (user_id, points) in enumerate(rows, 1)
        ]
        if not lines:
            lines = ["No points yet. Start a question with `/quiz`: every right answer scores a point."]
        if all(user_id != interaction.user.id for user_id, _ in rows):
            points, rank = await self.bot.db.quiz_standing(guild_id, interaction.user.id, since)
            if rank:
                lines.append(f"\nYou: #{rank} with {points} pt")
        embed = discord.Embed(title=title, description="\n".join(lines), colour=BRAND)
        embed.set_footer(
            text="Points: right answers to public /quiz questions" + (f" · month in {zone}" if monthly else "")
        )
        await interaction.response.send_message(embed=embed)


async def setup(bot: TermiBot) -> None:
    """Register the cog."""
    await bot.add_cog(Progress(bot))
