"""The one error path: every failure of a command or a component becomes a friendly ephemeral reply.

Domain code (core, services) raises `UserFacingError` (or a subclass) with a message meant for the
member; anything else is a bug, logged with its traceback and answered with a generic apology.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from typing import Any

import aiohttp
import discord
from discord import app_commands, ui

from bot.core.errors import UserFacingError

__all__ = [
    "PersistentView",
    "SafeItem",
    "ServerOnlyError",
    "ShuttingDownError",
    "StatelessModal",
    "UserFacingError",
    "describe_error",
    "modal_values",
    "reply_ephemeral",
    "report",
]
log = logging.getLogger(__name__)

# Discord's API names permissions after guilds; its app calls a guild a server.
_PERMISSION_NAMES = {"manage_guild": "Manage Server", "view_channel": "View Channels"}
RESTARTING = "I'm restarting right now. Please try again in a few seconds."


class ShuttingDownError(app_commands.CheckFailure, UserFacingError):
    """The bot stopped taking new interactions because it is shutting down."""

    def __init__(self) -> None:
        super().__init__(RESTARTING)


class ServerOnlyError(app_commands.CheckFailure, UserFacingError):
    """A server feature was reached where no server installed the bot (a DM, a group DM, a user install)."""


def _permission_names(permissions: list[str]) -> str:
    return ", ".join(_PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in permissions)


def _original(error: BaseException) -> BaseException:
    return getattr(error, "original", None) or getattr(error, "__cause__", None) or error


def is_user_facing(error: BaseException) -> bool:
    """Whether the error is the member's situation (logged at INFO) rather than a bug (logged at ERROR)."""
    return isinstance(error, UserFacingError | app_commands.CheckFailure) or isinstance(
        _original(error), UserFacingError
    )


def describe_error(error: BaseException) -> str:
    """Turn an exception into a short, friendly message for the user."""
    original = _original(error)
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
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        # Discord refused, or the connection went away (for instance while the bot shuts down): log, never raise.
        log.warning("Could not send an error reply for interaction %s: %s", interaction.id, exc)


async def report(interaction: discord.Interaction[Any], error: BaseException, where: str) -> None:
    """Log an error (INFO for the member's situation, ERROR with traceback for a bug) and reply ephemerally."""
    if is_user_facing(error):
        log.info("%s by %s refused: %s", where, interaction.user.id, describe_error(error))
    else:
        log.error("Error in %s (guild %s, user %s)", where, interaction.guild_id, interaction.user.id, exc_info=error)
    await reply_ephemeral(interaction, describe_error(error))


class PersistentView(ui.View):
    """A view of `DynamicItem`s only: never kept in memory after sending.

    discord.py would store every sent view with buttons in its view store for good (timeout None), one per
    message: memory that grows with every card. Clicks on dynamic items are routed by their custom id
    through the registered templates instead, so the view itself is not needed after sending.
    """

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_dispatchable(self) -> bool:
        return False


class StatelessModal(ui.Modal):
    """A form answered by its custom id alone, so one opened before a restart can still be sent after it.

    discord.py keeps only unfinished modals in its store and answers a submit only from there; this one
    reports itself finished, so the store never holds it and every submit reaches the listener that routes
    `tk:md:` ids by their text (bot/exts/community.py). Its inputs carry stable custom ids: the keys of
    `modal_values`.
    """

    def __init__(self, *, title: str, custom_id: str) -> None:
        super().__init__(title=title, custom_id=custom_id, timeout=None)

    def is_finished(self) -> bool:
        return True


def modal_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Return the text of a modal submit by input custom id (inputs sit in action rows or in labels)."""
    found: dict[str, str] = {}
    stack: list[Any] = list(data.get("components") or [])
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        if "custom_id" in node and "value" in node:
            found[str(node["custom_id"])] = str(node["value"] or "")
        stack.extend(node.get("components") or [])
        if node.get("component") is not None:
            stack.append(node["component"])
    return found


class SafeItem:
    """Base of every persistent component: `run` does the work; failures take the one error path.

    Subclass it together with `ui.DynamicItem[...]` (this class first) and implement `run`.
    """

    custom_id: str

    async def callback(self, interaction: discord.Interaction[Any]) -> Any:
        try:
            if getattr(interaction.client, "shutting_down", False):
                raise ShuttingDownError
            await self.run(interaction)
        except Exception as exc:
            await report(interaction, exc, f"component {getattr(self, 'custom_id', '?')}")

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        """Handle a click or a choice."""
        raise NotImplementedError
