"""Start the bot: own the database and the client in one place, stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

import discord
from discord.http import Route

from bot.client import TermiBot
from bot.config import Settings
from bot.db import Database
from bot.service import GlossaryService

log = logging.getLogger(__name__)


class TokenRejectedError(Exception):
    """Discord refused the configured token."""


async def run(settings: Settings) -> None:
    """Connect to Discord and serve until closed or signalled."""
    discord.utils.setup_logging(level=getattr(logging, settings.log_level))
    if settings.api_base:
        # The test harness points the client at a fake Discord on loopback.
        Route.BASE = settings.api_base
    async with await Database.open(settings.database_path) as db:
        glossary, report = await GlossaryService.load(db, settings.glossary_dir)
        log.info("Glossary ready: %d terms (reloaded from source: %s)", report.terms, report.reloaded)
        async with TermiBot(settings=settings, db=db, glossary=glossary) as bot:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            try:
                await bot.start(settings.token or "")
            except discord.LoginFailure as exc:
                raise TokenRejectedError(str(exc)) from exc
            finally:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)
    log.info("Stopped cleanly")
