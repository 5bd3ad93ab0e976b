"""Where commands are offered (server install, user install; servers, DMs, group DMs) and where the bot may post.

Every command is offered everywhere by default (the command tree's defaults, set in bot/client.py): a learner
who adds TermiKnowledge to their account can look terms up and study in any server, in DMs with the bot and
in group DMs. Server features (term of the day, public quizzes, the leaderboard) are marked `server_only`:
Discord offers them only in servers that added the bot, and the tree refuses them politely if one is reached
anywhere else (an old client, a stale command list).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

T = TypeVar("T")

EVERYWHERE_INSTALLS = app_commands.AppInstallationType(guild=True, user=True)
EVERYWHERE_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
SERVER_INSTALLS = app_commands.AppInstallationType(guild=True, user=False)
SERVER_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)

SERVER_ONLY_TEXT = (
    "That works only in a server that has added TermiKnowledge: the term of the day, public quizzes and "
    "the leaderboard belong to a server. Here you can still use `/term`, `/search`, `/browse`, `/random`, "
    "`/review`, `/deck`, `/progress`, a practice `/quiz` and **Apps → Explain terms** on any message."
)
FORCED_PRIVATE_TEXT = (
    "This server shows the answers of apps you added yourself only to you, so I couldn't post it for "
    "everyone. Ask a server admin to add TermiKnowledge to the server, or to let members use external apps."
)


def server_only(func: T) -> T:
    """Offer a command only in servers that installed the bot (guild install, guild context)."""
    decorators: list[Callable[[Any], Any]] = [
        app_commands.guild_only(),
        app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False),
        app_commands.allowed_installs(guilds=True, users=False),
    ]
    for decorator in decorators:
        func = decorator(func)
    return func


def is_server_only(command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu) -> bool:
    """Whether a command (or its top-level group) is offered only where a server installed the bot."""
    root = command.root_parent or command if isinstance(command, app_commands.Command) else command
    installs = root.allowed_installs
    return installs is not None and installs.guild and not installs.user


def post_refusal(interaction: discord.Interaction[Any]) -> str | None:
    """Why the learner may not post a card for everyone where they are, or None when they may.

    In DMs and group DMs the learner can always share; in a server it takes their own permission to send
    messages (in threads: to send messages in threads) and, when only the learner (not the server) added the
    bot, permission to use external apps and embed links, which Discord checks on the learner's behalf.
    """
    if interaction.guild_id is None:
        return None
    permissions = interaction.permissions
    channel = interaction.channel
    in_thread = isinstance(channel, discord.Thread) or getattr(channel, "type", None) in (
        discord.ChannelType.public_thread,
        discord.ChannelType.private_thread,
        discord.ChannelType.news_thread,
    )
    if in_thread and not permissions.send_messages_in_threads:
        return "You can't send messages in this thread, so I can't post the card here for you."
    if not in_thread and not permissions.send_messages:
        return "You can't send messages in this channel, so I can't post the card here for you."
    if not interaction.is_guild_integration():
        if not permissions.use_external_apps:
            return FORCED_PRIVATE_TEXT
        if not permissions.embed_links:
            return "You can't embed links in this channel, and a term card is an embed, so I can't post it here."
    return None
