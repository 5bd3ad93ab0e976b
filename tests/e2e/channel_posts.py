"""Ways to make the running bot post a message to a channel on its own, for the channel-post failure scenarios.

The glossary features only answer interactions (callbacks and follow-ups); the term of the day
posts to channels and registers its trigger at the end of this file. Another feature adds one so:

    async def totd_post_now(fake: FakeDiscord, bot: BotProcess) -> None:
        # configure the feature if needed, then make the bot post once to fake.guild.channel
        await fake.invoke_command("totd post", user=fake.owner)

    CHANNEL_POSTERS["term of the day"] = totd_post_now

test_failures.py then checks, for each trigger, that a 403 and a 404 on
POST /channels/{channel_id}/messages are logged, leave the bot running, and that the bot
answers the next command and posts successfully on the next try.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.e2e.harness import BotProcess
from tests.fakediscord import FakeDiscord

ChannelPostTrigger = Callable[[FakeDiscord, BotProcess], Awaitable[object]]

CHANNEL_POSTERS: dict[str, ChannelPostTrigger] = {}


async def totd_post_now(fake: FakeDiscord, bot: BotProcess) -> None:
    """Set up the term of the day (again) as the owner and post today's term with /totd post."""
    for command, options in (("totd setup", {"time": "08:30", "timezone": "Europe/Berlin"}), ("totd post", {})):
        handle = await fake.start_command(command, options, user=fake.owner)
        await handle.followup(timeout=10.0)


CHANNEL_POSTERS["term of the day"] = totd_post_now
