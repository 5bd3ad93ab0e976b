"""Start the bot: own the database and the client in one place, stop cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from datetime import datetime

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.client import TermiBot, make_bot
from bot.config import Settings
from bot.core.timezones import Clock, utc_now
from bot.db.storage import open_storage
from bot.logs import setup_logging
from bot.services.glossary import GlossaryService

log = logging.getLogger(__name__)


class TokenRejectedError(Exception):
    """Discord refused the configured token."""


async def run(settings: Settings) -> None:
    """Connect to Discord and serve until closed or signalled."""
    setup_logging(settings.log_level, secrets=(settings.token or "",))
    if settings.api_base:
        # The test harness points the client at a fake Discord on loopback.
        Route.BASE = settings.api_base
    db = await open_storage(settings)
    try:
        glossary, report = await GlossaryService.load(db, settings.glossary_dir, site_url=settings.site_url)
        log.info("Glossary ready: %d terms (reloaded from source: %s)", report.terms, report.reloaded)
        # The index lives as long as the process: keep the collector from rescanning it (~13 ms pauses).
        gc.collect()
        gc.freeze()
        clock = started_clock(settings.clock_start) if settings.clock_start else utc_now
        async with make_bot(settings=settings, db=db, glossary=glossary, clock=clock) as bot:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            try:
                await bot.login(settings.token or "")
                if settings.api_base:
                    await _use_configured_gateway(bot)
                await bot.connect()
            except discord.LoginFailure as exc:
                raise TokenRejectedError(str(exc)) from exc
            finally:
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(sig)
    finally:
        await db.close()
    log.info("Stopped cleanly")


async def _use_configured_gateway(bot: TermiBot) -> None:
    """Connect to the gateway that the configured API names (only when DISCORD_API_BASE is set).

    discord.py's unsharded client always dials wss://gateway.discord.gg without asking;
    the fake Discord of the end-to-end tests hands out its loopback gateway in GET /gateway/bot.
    """
    _, url, _ = await bot.http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


def started_clock(start: datetime) -> Clock:
    """Return a clock that reads `start` now and runs on at normal speed (CLOCK_START, for tests)."""
    offset = start - utc_now()
    return lambda: utc_now() + offset
