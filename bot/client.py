"""The bot class: extension loading, command sync and the one app-command error handler."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pkgutil
import random
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import bot.exts
from bot.config import Settings
from bot.core.timezones import Clock, utc_now
from bot.db.repositories import Storage
from bot.errors import ServerOnlyError, ShuttingDownError, report
from bot.exts._install import EVERYWHERE_CONTEXTS, EVERYWHERE_INSTALLS, SERVER_ONLY_TEXT, is_server_only
from bot.services.community import CommunityService
from bot.services.glossary import GlossaryService
from bot.services.periodic import Periodic
from bot.services.quiz import QuizService
from bot.services.study import StudyService

log = logging.getLogger(__name__)
STATS_FLUSH_SECONDS = 5.0  # lookup counts lost on a crash: at most this many seconds' worth
DRAIN_SECONDS = 10.0  # how long a shutdown waits for interactions already being answered
_HANDLER_TASKS = ("CommandTree-invoker", "discord-ui-view-dispatch", "discord.py: on_interaction")


def extension_names() -> list[str]:
    """Every module in bot.exts except helpers whose name starts with `_`."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(bot.exts.__path__, f"{bot.exts.__name__}.")
        if not info.name.rsplit(".", 1)[-1].startswith("_")
    )


async def drain_handlers(seconds: float) -> int:
    """Wait up to `seconds` s until no command or component handler runs; return how many were still running.

    Handlers that start meanwhile (the "I'm restarting" answers to late interactions) are waited for too, so
    none of them loses its HTTP session halfway.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    current = asyncio.current_task()
    while True:
        running = [t for t in asyncio.all_tasks() if t.get_name().startswith(_HANDLER_TASKS) and t is not current]
        left = deadline - loop.time()
        if not running or left <= 0:
            return len(running)
        await asyncio.wait(running, timeout=left)


class ReplyingTree(app_commands.CommandTree["TermiBot"]):
    """A command tree whose errors become ephemeral replies and log lines, never tracebacks in chat."""

    async def interaction_check(self, interaction: discord.Interaction[TermiBot], /) -> bool:
        if interaction.type is discord.InteractionType.autocomplete:
            return True
        if interaction.client.shutting_down:
            raise ShuttingDownError
        command = interaction.command
        if command is not None and is_server_only(command) and not interaction.is_guild_integration():
            raise ServerOnlyError(SERVER_ONLY_TEXT)
        return True

    async def on_error(self, interaction: discord.Interaction[TermiBot], error: app_commands.AppCommandError) -> None:
        command = interaction.command.qualified_name if interaction.command else "?"
        await report(interaction, error, f"/{command}")


class TermiBot(commands.Bot):
    """The TermiKnowledge bot; dependencies are created by the runner and passed in."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: Storage,
        glossary: GlossaryService,
        clock: Clock = utc_now,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        shards: dict[str, Any] = {}
        if isinstance(self, discord.AutoShardedClient) and settings.shard_ids is not None:
            shards = {"shard_count": settings.shard_count, "shard_ids": list(settings.shard_ids)}
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            tree_cls=ReplyingTree,
            allowed_mentions=discord.AllowedMentions.none(),
            # Every command is offered for both install types and in servers, DMs and group DMs, unless it
            # says otherwise (bot/exts/_install.py: server_only).
            allowed_installs=EVERYWHERE_INSTALLS,
            allowed_contexts=EVERYWHERE_CONTEXTS,
            **shards,
        )
        self.settings = settings
        self.db = db
        self.glossary = glossary
        self.clock = clock
        # The use cases the extensions render; each owns no Discord object.
        self.study = StudyService(db, glossary, clock)
        self.quiz = QuizService(db, glossary, self.study, clock, random.Random())
        self.community = CommunityService(db, glossary, clock, per_day=settings.suggestions_per_day)
        self.shutting_down = False
        self._stats = Periodic("stats-flush", self._flush_stats, retry_after=STATS_FLUSH_SECONDS)

    async def setup_hook(self) -> None:
        for name in extension_names():
            await self.load_extension(name)
        if self.settings.syncs_commands:
            await self.sync_commands()
        else:
            log.info("Slash commands are synced by the process running shard 0, not this one")
        self._stats.start()

    async def _flush_stats(self) -> float:
        await self.glossary.flush_stats()
        return STATS_FLUSH_SECONDS

    async def close(self) -> None:
        """Stop in stages: refuse new interactions, finish those in flight, stop loops, write statistics."""
        if self.shutting_down:
            await super().close()
            return
        self.shutting_down = True
        log.info("Shutdown 1/4: new interactions are asked to retry in a moment")
        unfinished = await drain_handlers(DRAIN_SECONDS)
        log.info("Shutdown 2/4: interactions in flight finished (%d left unfinished)", unfinished)
        await self._stats.stop()
        written = await self.glossary.flush_stats()
        log.info("Shutdown 3/4: %d pending statistics written", written)
        # Last: unload the cogs (their loops stop) and close the gateway; the runner then closes the database.
        await super().close()
        log.info("Shutdown 4/4: background loops stopped, Discord connection closed")

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


class ShardedTermiBot(TermiBot, commands.AutoShardedBot):
    """The bot over the shards SHARD_COUNT and SHARD_IDS name, one gateway connection each."""


def make_bot(*, settings: Settings, db: Storage, glossary: GlossaryService, clock: Clock = utc_now) -> TermiBot:
    """Return the sharded bot when shards are configured, else the one-connection bot."""
    cls = ShardedTermiBot if settings.shard_count is not None else TermiBot
    return cls(settings=settings, db=db, glossary=glossary, clock=clock)
