"""Discord failing: 500 and 429 on the interaction callback, 403/404 on callbacks and channel posts.

In every case the bot must log what happened, stay up, and answer the next command.
"""

from __future__ import annotations

import pytest

from tests.e2e.channel_posts import CHANNEL_POSTERS, ChannelPostTrigger
from tests.e2e.conftest import ErrorExpectations
from tests.e2e.harness import BotConfig, BotProcess, Launcher
from tests.fakediscord import CALLBACK, CHANNEL_MESSAGE_POST, FakeDiscord


async def _still_answers(fake: FakeDiscord, bot: BotProcess) -> None:
    assert bot.returncode is None, f"the bot died:\n{bot.tail()}"
    reply = await fake.invoke_command("term", {"name": "kanban card"})  # not in the fixture: an honest miss
    assert reply.ephemeral
    reply = await fake.invoke_command("term", {"name": "ROP"})
    assert reply.embed["title"] == "Reorder point"


async def test_a_500_on_the_callback_is_retried(fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig) -> None:
    bot_config.log_level = "DEBUG"  # discord.py reports a retried 5xx only at debug level
    bot = await launcher.start()
    failure = fake.fail(CALLBACK, 500)

    handle = await fake.start_command("term", {"name": "backlog"})
    reply = await handle.response(timeout=5.0)

    assert failure.exhausted
    assert [r.status for r in handle.requests] == [500, 200]
    assert reply.embed["title"] == "Backlog"
    assert reply.latency >= 1.0, "discord.py waits a second before retrying a 5xx"
    await bot.wait_for_log(rf"Webhook ID {handle.id} with POST .*/callback.* has returned status code 500")
    await _still_answers(fake, bot)
    assert handle.token not in bot.log and fake.token not in bot.log, "tokens are redacted even at DEBUG"
    assert "[redacted]" in bot.log


async def test_a_429_on_the_callback_waits_retry_after(fake: FakeDiscord, bot: BotProcess) -> None:
    failure = fake.fail(CALLBACK, 429, retry_after=0.4)

    handle = await fake.start_command("term", {"name": "EOQ"})
    reply = await handle.response()

    assert failure.exhausted
    assert [r.status for r in handle.requests] == [429, 200]
    retried_after = handle.requests[1].at - handle.requests[0].at
    assert retried_after >= 0.4, f"the retry came {retried_after:.3f} s after the 429"
    assert reply.embed["title"] == "Economic order quantity"
    await bot.wait_for_log(rf"Webhook ID {handle.id} is rate limited\. Retrying in 0\.40 seconds")
    await _still_answers(fake, bot)


@pytest.mark.parametrize(("status", "code"), [(403, 50013), (404, 10062)])
async def test_a_refused_callback_is_logged_and_the_bot_carries_on(
    fake: FakeDiscord, bot: BotProcess, expect_errors: ErrorExpectations, status: int, code: int
) -> None:
    # Both the answer and the error reply that follows it are refused.
    expect_errors(r"Error in /term ")
    fake.fail(CALLBACK, status, times=2)

    handle = await fake.start_command("term", {"name": "backlog"})
    await fake.wait_for(lambda: len(handle.requests) == 2, 5.0, "the answer and the error reply")

    assert [(r.status, r.response["code"]) for r in handle.requests] == [(status, code)] * 2
    await bot.wait_for_log(r"ERROR +bot\.errors Error in /term ")
    await bot.wait_for_log(rf"Could not send an error reply for interaction {handle.id}: {status} ")
    await _still_answers(fake, bot)


def _channel_post_cases() -> list[object]:
    statuses = [(403, 50013), (404, 10003)]
    if not CHANNEL_POSTERS:
        reason = "no feature posts to a channel yet: register a trigger in tests/e2e/channel_posts.py"
        return [pytest.param(None, s, c, marks=pytest.mark.skip(reason=reason), id=str(s)) for s, c in statuses]
    return [pytest.param(t, s, c, id=f"{n}-{s}") for n, t in CHANNEL_POSTERS.items() for s, c in statuses]


@pytest.mark.parametrize(("trigger", "status", "code"), _channel_post_cases())
async def test_a_refused_channel_post_is_logged_and_the_bot_carries_on(
    fake: FakeDiscord, bot: BotProcess, trigger: ChannelPostTrigger, status: int, code: int
) -> None:
    failure = fake.fail(CHANNEL_MESSAGE_POST, status)
    lines_before = len(bot.lines)

    await trigger(fake, bot)
    refused = await fake.wait_for_request(CHANNEL_MESSAGE_POST)

    assert failure.exhausted and refused.status == status and refused.response["code"] == code
    await bot.wait_for_log(
        rf"{status}|{code}|Forbidden|Not ?Found|Missing Permissions|Unknown Channel", after=lines_before
    )
    await _still_answers(fake, bot)
    await trigger(fake, bot)
    posted = await fake.wait_for_request(CHANNEL_MESSAGE_POST, count=2)
    assert posted.status == 200
