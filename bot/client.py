"""The bot class: extension loading, command sync and the one app-command error handler."""

from __future__ import annotations

import hashlib
import json
import logging
import pkgutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import bot.exts
from bot.config import Settings
from bot.db import Database
from bot.service import GlossaryService

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def extension_names() -> list[str]:
    """Every module in bot.exts except helpers whose name starts with `_`."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(bot.exts.__path__, f"{bot.exts.__name__}.")
        if not info.name.rsplit(".", 1)[-1].startswith("_")
    )


class UserFacingError(Exception):
    """An error whose message is meant for the user, shown ephemerally as is."""


# Discord's API names permissions after guilds; its app calls a guild a server.
_PERMISSION_NAMES = {"manage_guild": "Manage Server", "view_channel": "View Channels"}


def _permission_names(permissions: list[str]) -> str:
    return ", ".join(_PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in permissions)


def _is_user_facing(error: BaseException) -> bool:
    return isinstance(error, UserFacingError) or isinstance(getattr(error, "original", None), UserFacingError)


def describe_error(error: BaseException) -> str:
    """Turn an exception into a short, friendly message for the user."""
    original = getattr(error, "original", None) or getattr(error, "__cause__", None) or error
    if isinstance(error, UserFacingError) or isinstance(original, UserFacingError):
        return str(original if isinstance(original, UserFacingError) else error)
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {_permission_names(error.missing_permissions)} permission to do that."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = _permission_names(error.missing_permissions)
        return f"I am missing the {needed} permission here. Ask a server admin to grant it."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command only works inside a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(original, sqlite3.OperationalError):
        return "The glossary database is busy right now. Please try again in a moment."
    if isinstance(original, discord.Forbidden):
        return "Discord refused that action: I may be missing a permission in this channel."
    return "Something went wrong on my side. It has been logged; please try again."


async def reply_ephemeral(interaction: discord.Interaction[Any], message: str) -> None:
    """Answer ephemerally, as a follow-up when the response was already sent."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException as exc:
        log.warning("Could not send an error reply for interaction %s: %s", interaction.id, exc)


class ReplyingTree(app_commands.CommandTree["TermiBot"]):
    """A command tree whose errors become ephemeral replies and log lines, never tracebacks in chat."""

    async def on_error(self, interaction: discord.Interaction[TermiBot], error: app_commands.AppCommandError) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.CheckFailure) or _is_user_facing(error):
            log.info("/%s by %s refused: %s", command, interaction.user.id, describe_error(error))
        else:
            log.error(
                "Error in /%s (guild %s, user %s)", command, interaction.guild_id, interaction.user.id, exc_info=error
            )
        await reply_ephemeral(interaction, describe_error(error))


class TermiBot(commands.Bot):
    """The TermiKnowledge bot; dependencies are created by the runner and passed in."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        glossary: GlossaryService,
        clock: Clock = utc_now,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            tree_cls=ReplyingTree,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.db = db
        self.glossary = glossary
        self.clock = clock

    async def setup_hook(self) -> None:
        for name in extension_names():
            await self.load_extension(name)
        await self.sync_commands()

    async def sync_commands(self) -> bool:
        """Sync slash commands only when their definition changed since the last sync."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        scope = f"guild:{guild.id}" if guild else "global"
        key = f"command_hash:{self.application_id}:{scope}"
        if await self.db.get_meta(key) == digest:
            log.info("Slash commands unchanged (%s); not syncing", scope)
            return False
        synced = await self.tree.sync(guild=guild)
        await self.db.set_meta(key, digest)
        log.info("Synced %d slash commands (%s)", len(synced), scope)
        return True

    async def on_ready(self) -> None:
        # Fires again after every reconnect: log only, never start work here.
        log.info("Connected as %s to %d server(s)", self.user, len(self.guilds))
