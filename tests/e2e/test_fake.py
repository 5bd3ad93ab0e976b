"""The fake itself, driven by discord.py's own HTTP client in-process: errors look like Discord's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import discord
import pytest
from discord.http import HTTPClient, Route, handle_message_parameters

from bot.core.ids import post_nonce
from tests.e2e.conftest import ErrorExpectations
from tests.fakediscord import CHANNEL_MESSAGE_POST, GLOBAL_COMMANDS, FakeDiscord


@pytest.fixture
async def http(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[HTTPClient]:
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    client = HTTPClient(asyncio.get_running_loop())
    await client.static_login(fake.token)
    try:
        yield client
    finally:
        await client.close()


def _post(content: str = "hello", **kwargs: object) -> object:
    return handle_message_parameters(content, allowed_mentions=discord.AllowedMentions.none(), **kwargs)


async def test_channel_post_failures_arrive_as_discord_py_errors(fake: FakeDiscord, http: HTTPClient) -> None:
    channel = fake.guild.channel.id
    fake.fail(CHANNEL_MESSAGE_POST, 403)
    with pytest.raises(discord.Forbidden) as forbidden:
        await http.send_message(channel, params=_post())
    assert forbidden.value.code == 50013

    fake.fail(CHANNEL_MESSAGE_POST, 404)
    with pytest.raises(discord.NotFound) as missing:
        await http.send_message(channel, params=_post())
    assert missing.value.code == 10003

    limited = fake.fail(CHANNEL_MESSAGE_POST, 429, retry_after=0.05)
    sent = await http.send_message(channel, params=_post("after a rate limit"))
    assert limited.exhausted
    assert [r.status for r in fake.requests_to(CHANNEL_MESSAGE_POST)] == [403, 404, 429, 200]
    assert fake.channel_messages()[-1].content == "after a rate limit"
    assert sent["id"] == str(fake.channel_messages()[-1].id)

    with pytest.raises(discord.NotFound):
        await http.send_message(123, params=_post())


async def test_an_enforced_nonce_returns_the_message_already_created(fake: FakeDiscord, http: HTTPClient) -> None:
    """Like Discord: a create request repeating a recent nonce with enforce_nonce gets the first message back."""
    channel = fake.guild.channel.id
    nonce = post_nonce(fake.guild.id, channel, date(2026, 11, 25))
    first = await http.send_message(channel, params=_post("first", nonce=nonce))
    again = await http.send_message(channel, params=_post("second", nonce=nonce))
    other = await http.send_message(channel, params=_post("third"))  # no nonce: always a new message
    assert again["id"] == first["id"] and again["content"] == "first"
    assert [m.content for m in fake.channel_messages()] == ["first", "third"]
    assert other["id"] != first["id"]
    sent = fake.requests_to(CHANNEL_MESSAGE_POST)
    assert [r.body.get("enforce_nonce") for r in sent] == [True, True, None]


async def test_bodies_breaking_discord_limits_are_refused_and_recorded(
    fake: FakeDiscord, http: HTTPClient, expect_errors: ErrorExpectations
) -> None:
    expect_errors.fake_problems(r"embeds/0/title", r"custom_id 'same' is used twice")
    if fake.spec is not None:  # without the spec only the limits the fake knows itself are checked
        too_long = discord.Embed(title="x" * 257)
        with pytest.raises(discord.HTTPException) as invalid:
            await http.send_message(fake.guild.channel.id, params=_post(embed=too_long))
        assert invalid.value.status == 400 and invalid.value.code == 50035
        assert any("embeds/0/title" in problem for problem in fake.problems)

    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="a", custom_id="same"))
    view.add_item(discord.ui.Button(label="b", custom_id="same"))
    with pytest.raises(discord.HTTPException):
        await http.send_message(fake.guild.channel.id, params=_post(view=view))

    assert any("custom_id 'same' is used twice" in problem for problem in fake.problems)
    assert not fake.channel_messages()


async def test_commands_are_invoked_only_as_registered(fake: FakeDiscord, http: HTTPClient) -> None:
    option = {"name": "name", "description": "d", "type": 3, "required": True, "max_length": 5}
    await http.bulk_upsert_global_commands(
        fake.application_id, [{"name": "t", "description": "d", "options": [option]}]
    )
    assert fake.requests_to(GLOBAL_COMMANDS)[0].status == 200

    with pytest.raises(AssertionError, match="not registered"):
        await fake.start_command("nope")
    with pytest.raises(AssertionError, match="has no option"):
        await fake.start_command("t", {"name": "x", "other": 1})
    with pytest.raises(AssertionError, match="needs option 'name'"):
        await fake.start_command("t")
    with pytest.raises(AssertionError, match="1?-5 characters"):
        await fake.start_command("t", {"name": "too long"})
    with pytest.raises(AssertionError, match="has no autocomplete"):
        await fake.start_command("t", {"name": "x"}, focused="name")


async def test_a_wrong_token_is_refused(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    client = HTTPClient(asyncio.get_running_loop())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.static_login("wrong")
    finally:
        await client.close()


async def test_unknown_routes_are_reported(
    fake: FakeDiscord, http: HTTPClient, expect_errors: ErrorExpectations
) -> None:
    expect_errors.fake_problems(r"GET /guilds/\d+/emojis, which the fake does not implement")
    with pytest.raises(discord.NotFound):
        await http.get_all_custom_emojis(fake.guild.id)
    assert fake.problems
