"""SIGTERM: the bot closes the gateway and the database cleanly and exits 0 within a few seconds."""

from __future__ import annotations

import sqlite3
import time

from tests.e2e.harness import BotConfig, BotProcess
from tests.fakediscord import FakeDiscord

# discord.py closes with 1000, but on aiohttp 3.14 its reader task wakes first and sends 4000.
CLEAN_CLOSE_CODES = {1000, 4000}


async def test_sigterm_closes_everything_and_exits_zero(
    fake: FakeDiscord, bot: BotProcess, bot_config: BotConfig
) -> None:
    await fake.invoke_command("term", {"name": "backlog"})  # something to write to the database
    started = time.perf_counter()

    code = await bot.terminate(timeout=5.0)

    assert code == 0, bot.tail()
    assert time.perf_counter() - started < 5.0
    assert "Stopped cleanly" in bot.lines[-1]
    await fake.wait_for(lambda: not fake.gateway.ready, 1.0, "the gateway connection to close")
    assert len(fake.gateway.close_codes) == 1
    assert fake.gateway.close_codes[0] in CLEAN_CLOSE_CODES, "the bot closes the gateway with a close frame"
    # The last connection to close checkpoints the WAL and removes it: the database was closed.
    assert not bot_config.database.with_name(bot_config.database.name + "-wal").exists()
    # (No PRAGMA integrity_check: SQLite 3.40.1 reports false NULLs in WITHOUT ROWID tables.)
    with sqlite3.connect(bot_config.database) as db:
        assert db.execute("SELECT count FROM lookups WHERE slug = 'backlog'").fetchone() == (1,)
