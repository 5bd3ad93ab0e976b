"""/forgetme: a member deletes everything the bot stores about their studying, after a confirmation."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord import app_commands, ui
from discord.ext import commands

from bot.client import TermiBot
from bot.errors import PersistentView, SafeItem


class ForgetButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:forget:(?P<user>\d{1,20}):(?P<ok>[yn])"):
    """Confirm or cancel /forgetme; only the member it was made for can use it."""

    def __init__(self, user_id: int, confirm: bool) -> None:
        super().__init__(
            ui.Button(
                label="Delete my study data" if confirm else "Cancel",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"tk:forget:{user_id}:{'y' if confirm else 'n'}",
            )
        )
        self.user_id = user_id
        self.confirm = confirm

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> ForgetButton:
        return cls(int(match["user"]), match["ok"] == "y")

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("This button is for someone else.", ephemeral=True)
            return
        if not self.confirm:
            await interaction.response.edit_message(content="Nothing was deleted.", embed=None, view=None)
            return
        removed = await interaction.client.study.forget(self.user_id)
        removed += await interaction.client.community.forget(self.user_id)
        await interaction.response.edit_message(
            content=f"Done: your study data is deleted ({removed} record(s)). Your deck, reviews, streak, "
            "settings and quiz answers and points are gone, and your glossary suggestions no longer name you; "
            "you can start afresh any time.",
            embed=None,
            view=None,
        )


class Privacy(commands.Cog):
    """What a member can do about their own data."""

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot

    @app_commands.command(name="forgetme", description="Delete all your study data (asks for confirmation)")
    async def forgetme(self, interaction: discord.Interaction[TermiBot]) -> None:
        view = PersistentView()
        view.add_item(ForgetButton(interaction.user.id, confirm=True))
        view.add_item(ForgetButton(interaction.user.id, confirm=False))
        await interaction.response.send_message(
            "This deletes your deck, review history, streak, study settings and quiz answers, including your "
            "leaderboard points, in every server. It can't be undone. Go ahead?",
            view=view,
            ephemeral=True,
        )


async def setup(bot: TermiBot) -> None:
    """Register the cog and the /forgetme confirmation buttons."""
    bot.add_dynamic_items(ForgetButton)
    await bot.add_cog(Privacy(bot))
