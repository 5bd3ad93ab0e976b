"""Term of the day end to end: set up by slash command, posted on time, restart-safe, a 403 reported.

The bot runs as `termiknowledge run` against the fake Discord. Time travel uses the one setting
made for it, CLOCK_START: each process's clock starts at the given instant and runs on normally.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.harness import BotConfig, BotProcess, Launcher
from tests.fakediscord import CHANNEL_MESSAGE_POST, FakeDiscord, FakeMessage

SET_UP_AT = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
POST_AT = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
MARKER = "Term of the day · 2026-11-25"


async def set_up(fake: FakeDiscord, **options: object) -> FakeMessage:
    """Run /totd setup as the server owner and return the bot's (deferred) answer."""
    handle = await fake.start_command(
        "totd setup", {"time": "08:30", "timezone": "Europe/Berlin", **options}, user=fake.owner
    )
    deferral = await handle.response()
    assert deferral.ephemeral
    return await handle.followup()


async def start_at(launcher: Launcher, bot_config: BotConfig, instant: datetime) -> BotProcess:
    """(Re)start the bot with its clock at `instant`."""
    bot_config.extra_env["CLOCK_START"] = instant.isoformat()
    if launcher.current is None:
        return await launcher.start()
    return await launcher.restart()


async def test_setup_by_slash_command_then_the_post_arrives_once_even_across_restarts(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig
) -> None:
    await start_at(launcher, bot_config, SET_UP_AT)
    answer = await set_up(fake)
    assert answer.ephemeral
    assert "every day at **08:30** (Europe/Berlin)" in answer.content
    assert f"<t:{int(POST_AT.timestamp())}:F>" in answer.content
    assert fake.requests_to(CHANNEL_MESSAGE_POST) == []

    # Offline at 08:30, back five seconds later: today's term is caught up at once.
    bot = await start_at(launcher, bot_config, POST_AT + timedelta(seconds=5))
    request = await bot.until(fake.wait_for_request(CHANNEL_MESSAGE_POST, timeout=15.0), 20.0)
    assert request.status == 200
    [post] = fake.channel_messages()
    assert post.author.id == fake.bot_user.id
    assert post.embed["author"]["name"] == "Term of the day"
    assert post.embed["footer"]["text"] == MARKER
    assert post.embed["title"] and post.embed["description"]
    assert any(c.startswith("tk:rel:") for c in post.custom_ids)  # other features may add buttons
    assert post.content == ""
    assert request.body["allowed_mentions"] == {"parse": []}

    # Restart right after the post (the row may not even be recorded yet): no second post.
    bot = await start_at(launcher, bot_config, POST_AT + timedelta(seconds=30))
    await bot.wait_for_log(r"Term of the day: 1 server\(s\) set up", timeout=15.0)
    shown = await fake.invoke_command("today")
    assert shown.ephemeral
    assert shown.embed["title"] == post.embed["title"]
    assert shown.embed["footer"]["text"] == MARKER
    status = await fake.invoke_command("totd status", user=fake.owner)
    fields = {f["name"]: f["value"] for f in status.embed["fields"]}
    assert fields["Last post"].startswith("2026-11-25 · posted · ")
    assert fields["Delivery problem"] == "None"
    assert len(fake.requests_to(CHANNEL_MESSAGE_POST)) == 1
    assert len(fake.channel_messages()) == 1


async def test_a_403_on_the_channel_is_recorded_in_status_and_not_retried_at_once(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig
) -> None:
    await start_at(launcher, bot_config, SET_UP_AT)
    await set_up(fake)
    failure = fake.fail(CHANNEL_MESSAGE_POST, 403)

    bot = await start_at(launcher, bot_config, POST_AT + timedelta(seconds=5))
    refused = await bot.until(fake.wait_for_request(CHANNEL_MESSAGE_POST, timeout=15.0), 20.0)
    assert failure.exhausted and refused.status == 403
    await bot.wait_for_log(r"WARNING .*Term of the day for guild \d+ on 2026-11-25 failed .*403")

    status = await fake.invoke_command("totd status", user=fake.owner)
    assert status.ephemeral
    fields = {f["name"]: f["value"] for f in status.embed["fields"]}
    assert "Discord refused (403" in fields["Delivery problem"]
    assert "Next try <t:" in fields["Delivery problem"]
    assert "2026-11-25 · failed" in fields["Latest day"]
    assert bot.returncode is None
    assert len(fake.requests_to(CHANNEL_MESSAGE_POST)) == 1  # waits an hour, or for /totd setup

    # The admin fixes it and runs setup again: the post goes out now.
    await set_up(fake)
    posted = await bot.until(fake.wait_for_request(CHANNEL_MESSAGE_POST, count=2, timeout=15.0), 20.0)
    assert posted.status == 200
    assert [m.embed["footer"]["text"] for m in fake.channel_messages()] == [MARKER]


async def test_only_a_manager_may_change_it_and_everyone_may_look(fake: FakeDiscord, bot: BotProcess) -> None:
    # Discord offers /totd only to members with Manage Server (the server-side check is tested in process).
    with pytest.raises(AssertionError, match="needs permissions"):
        await fake.invoke_command("totd setup", {"time": "08:30", "timezone": "Europe/Berlin"})
    nothing = await fake.invoke_command("today")
    assert nothing.ephemeral and "no term of the day" in nothing.content
    choices = await fake.autocomplete("totd setup", "timezone", "new y", {"time": "08:30"}, user=fake.owner)
    assert choices.choices[0]["value"] == "America/New_York"
    assert re.search(r"Term of the day", (await fake.invoke_command("help")).embed["description"])


async def _doctor(fake: FakeDiscord, bot_config: BotConfig) -> tuple[int, str]:
    from tests.e2e.harness import termiknowledge_command

    process = await asyncio.create_subprocess_exec(
        *termiknowledge_command(),
        "doctor",
        env=bot_config.environment(fake),
        cwd=bot_config.workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_doctor_checks_the_channels_permissions_with_the_token(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig
) -> None:
    await start_at(launcher, bot_config, SET_UP_AT)
    await set_up(fake)
    await launcher.close()

    code, out = await _doctor(fake, bot_config)
    assert code == 0, out
    assert "term of the day set up in 1 server(s)" in out and "the bot can post there" in out
    assert fake.token not in out

    fake.fail("GET /channels/{channel_id}", 404)  # the channel was deleted
    code, out = await _doctor(fake, bot_config)
    assert code == 1 and "PROBLEM" in out and "the channel is gone" in out, out
