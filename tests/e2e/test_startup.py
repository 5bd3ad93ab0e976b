"""Start-up: login, gateway identify, command sync, and no second global sync when nothing changed."""

from __future__ import annotations

from tests.e2e.harness import BotConfig, Launcher
from tests.fakediscord import APPLICATION_INFO, CURRENT_USER, GATEWAY_BOT, GLOBAL_COMMANDS, GUILD_COMMANDS, FakeDiscord

GUILDS_INTENT = 1 << 0
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
STRING = 3
GLOSSARY_COMMANDS = {"term", "search", "browse", "random", "help"}


def _options(command: dict) -> dict[str, dict]:
    return {option["name"]: option for option in command.get("options", [])}


async def test_start_logs_in_identifies_and_syncs_the_commands(fake: FakeDiscord, launcher: Launcher) -> None:
    await launcher.start()

    login = fake.requests_to(CURRENT_USER)
    assert len(login) == 1
    assert login[0].headers["Authorization"] == f"Bot {fake.token}"
    assert login[0].headers["User-Agent"].startswith("DiscordBot (")
    assert fake.requests_to(APPLICATION_INFO)
    assert fake.requests_to(GATEWAY_BOT), "the bot should ask the configured API for its gateway"

    connection = fake.gateway.connections[0]
    assert connection.request.path == "/gateway"
    assert connection.request.query["v"] == "10"
    assert connection.request.query["encoding"] == "json"
    assert connection.compress == "zlib-stream", "frames were sent zlib-compressed and the bot read them"
    identify = next(p for p in connection.received if p["op"] == 2)
    assert identify["d"]["token"] == fake.token
    assert identify["d"]["intents"] & GUILDS_INTENT
    assert not identify["d"]["intents"] & PRIVILEGED_INTENTS, "no privileged intents: the README promises none"
    assert fake.gateway.identifies == 1
    assert fake.gateway.heartbeats >= 1

    syncs = fake.requests_to(GLOBAL_COMMANDS)
    assert len(syncs) == 1 and syncs[0].status == 200
    assert not fake.requests_to(GUILD_COMMANDS)
    commands = fake.registered_commands()
    assert set(commands) >= GLOSSARY_COMMANDS

    term = _options(commands["term"])["name"]
    assert term["type"] == STRING and term["required"] and term["autocomplete"]
    assert (term["min_length"], term["max_length"]) == (1, 100)
    search = _options(commands["search"])["text"]
    assert search["type"] == STRING and search["required"]
    assert search["max_length"] == 80, "the query must fit in a paging button's custom id"
    for name in ("browse", "random"):
        module = _options(commands[name])["module"]
        assert module["type"] == STRING and not module.get("required") and module["autocomplete"]
    assert not _options(commands["help"])
    for command in commands.values():
        if command["type"] == 1:  # slash commands; a context menu's description is empty, as Discord requires
            assert 1 <= len(command["description"]) <= 100
        else:
            assert command["description"] == ""


async def test_second_start_with_the_same_commands_does_not_sync_again(fake: FakeDiscord, launcher: Launcher) -> None:
    await launcher.start()
    assert len(fake.requests_to(GLOBAL_COMMANDS)) == 1

    second = await launcher.restart()

    await second.wait_for_log(r"Slash commands unchanged \(global\); not syncing")
    assert fake.gateway.identifies == 2
    assert len(fake.requests_to(GLOBAL_COMMANDS)) == 1, "an unchanged command set must not be PUT again"
    reply = await fake.invoke_command("term", {"name": "backlog"})
    assert reply.embed["title"] == "Backlog"


async def test_dev_guild_gets_the_commands_instead_of_global_scope(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig
) -> None:
    bot_config.extra_env["DEV_GUILD_ID"] = str(fake.guild.id)
    await launcher.start()

    assert not fake.requests_to(GLOBAL_COMMANDS)
    sync = fake.requests_to(GUILD_COMMANDS)
    assert len(sync) == 1 and sync[0].params["guild_id"] == str(fake.guild.id)
    assert set(fake.registered_commands(fake.guild.id)) >= GLOSSARY_COMMANDS
    handle = await fake.start_command("term", {"name": "EOQ"})
    assert handle.payload["data"]["guild_id"] == str(fake.guild.id)
    reply = await handle.response()
    assert reply.embed["title"] == "Economic order quantity"


async def test_a_rejected_token_stops_the_bot_with_help(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig
) -> None:
    bot_config.extra_env["DISCORD_TOKEN"] = "not-the-token"
    bot = await launcher.start(wait_ready=False)

    assert await bot.wait() == 1
    assert "Discord rejected the token" in bot.log
    assert fake.requests_to(CURRENT_USER)[0].status == 401
    assert not fake.gateway.connections
