"""SIGTERM in the middle of a burst: every interaction gets an answer, and no lookup count is lost."""

from __future__ import annotations

import asyncio
import sqlite3

from tests.e2e.harness import BotConfig, Launcher
from tests.fakediscord import FakeDiscord

BURST = 40


async def test_sigterm_during_a_burst_answers_everything_and_keeps_every_count(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig
) -> None:
    bot = await launcher.start()
    handles = [await fake.start_command("term", {"name": "backlog"}) for _ in range(BURST)]
    decks = [await fake.start_command("deck add", {"term": "EOQ"}, user=fake.owner) for _ in range(10)]
    stopping = asyncio.create_task(bot.terminate(timeout=20.0))
    late = [await fake.start_command("term", {"name": "EOQ"}) for _ in range(5)]  # may arrive after the signal
    replies = [await handle.response(timeout=15.0) for handle in [*handles, *late]]
    deck_replies = [await handle.response(timeout=15.0) for handle in decks]
    assert await stopping == 0
    assert all(r.ephemeral and ("deck" in r.content or "restarting" in r.content) for r in deck_replies)

    cards = [reply for reply in replies if reply.message is not None and reply.message.embeds]
    retry = [reply for reply in replies if "restarting" in reply.content]
    assert len(cards) + len(retry) == BURST + 5, "every interaction got a card or a polite 'try again'"
    assert all(reply.ephemeral for reply in retry)
    for stage in ("1/4", "2/4", "3/4", "4/4"):
        await bot.wait_for_log(rf"Shutdown {stage}")
    with sqlite3.connect(bot_config.database) as db:
        (counted,) = db.execute("SELECT coalesce(sum(count), 0) FROM lookups").fetchone()
    assert counted == len(cards), "each answered lookup was counted once, none lost at shutdown"
