"""User install, "Explain terms" and "Post in channel" through the real bot process and the fake Discord.

Where the fake sends interactions from: the server that added the bot ("guild"), a DM with the bot ("dm",
context 1), a group DM ("group", context 2, no guild, the learner as the only authorising owner), and a
server that never added the bot ("external": the bot is not a member there and gets no events; Discord
makes every answer private unless the member may use external apps).
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import BotProcess
from tests.fakediscord import FakeDiscord
from tests.fakediscord.payloads import EVERYONE_PERMISSIONS, USE_EXTERNAL_APPS

EVERYWHERE = ([0, 1], [0, 1, 2])
SERVER_ONLY = ([0], [0])


async def test_commands_are_synced_for_both_install_types(fake: FakeDiscord, bot: BotProcess) -> None:
    commands = fake.registered_commands()
    synced = {name: (c["integration_types"], c["contexts"]) for name, c in commands.items()}
    for name in ("term", "search", "random", "browse", "help", "review", "deck", "progress", "quiz", "Explain terms"):
        assert synced[name] == EVERYWHERE, name
    for name in ("totd", "today", "leaderboard"):
        assert synced[name] == SERVER_ONLY, name
    assert commands["Explain terms"]["type"] == 3


@pytest.mark.parametrize("where", ["dm", "group", "external"])
async def test_lookups_answer_in_dms_group_dms_and_other_servers(
    fake: FakeDiscord, bot: BotProcess, where: str
) -> None:
    fake.external_guild.member(fake.user).permissions = EVERYONE_PERMISSIONS | USE_EXTERNAL_APPS
    term = await fake.invoke_command("term", {"name": "eoq"}, where=where)
    assert term.embed["title"] == "Economic order quantity" and not term.ephemeral
    results = await fake.invoke_command("search", {"text": "inventory"}, where=where)
    assert results.ephemeral and results.embed["title"].startswith("Search")
    opened = await fake.select(results, "tk:sopen:0", [results.message.component("tk:sopen:0")["options"][0]["value"]])
    assert opened.ephemeral and "tk:post:" in " ".join(opened.custom_ids)
    assert (await fake.invoke_command("help", where=where)).ephemeral
    browse = await fake.invoke_command("browse", where=where)
    assert browse.embed["title"] == "Glossary modules"
    random = await fake.invoke_command("random", where=where)
    assert random.embed["title"]


async def test_another_server_that_limits_external_apps_gets_private_answers(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    reply = await fake.invoke_command("term", {"name": "backlog"}, where="external")
    assert reply.ephemeral, "Discord made the public card private"
    assert reply.embed["title"] == "Backlog"
    opened = await fake.click(reply, "tk:rel:master-production-schedule")
    refused = await fake.click(opened, "tk:post:master-production-schedule")
    assert refused.ephemeral and "external apps" in refused.content
    quiz = await fake.invoke_command("quiz", where="external")
    assert quiz.ephemeral and "need a server" in quiz.content


async def test_server_features_are_not_offered_outside_the_server(fake: FakeDiscord, bot: BotProcess) -> None:
    for where in ("dm", "group", "external"):
        for command in ("today", "leaderboard"):
            with pytest.raises(AssertionError, match="not available|not offered"):
                await fake.invoke_command(command, where=where)
    board = await fake.invoke_command("leaderboard")
    assert "Leaderboard" in board.embed["title"]


@pytest.mark.parametrize("where", ["guild", "dm", "group", "external"])
async def test_explain_terms_on_a_message(fake: FakeDiscord, bot: BotProcess, where: str) -> None:
    target = fake.user_message(
        "@everyone our safety stock is low and the EOQ looks off; check the backlog <@1> "
        "https://example.org/reorder-point ```mps = 1```",
        where=where,
    )
    reply = await fake.invoke_message_command("Explain terms", target, where=where)
    assert reply.ephemeral
    lines = reply.embed["description"].split("\n")
    assert [line.split("**")[1] for line in lines] == ["Safety stock", "Economic order quantity", "Backlog"]
    assert reply.data["allowed_mentions"] == {"parse": []}
    assert reply.custom_ids == ["tk:xopen:0", "tk:xdeck"]
    opened = await fake.select(reply, "tk:xopen:0", ["backlog"])
    assert opened.ephemeral and opened.embed["title"] == "Backlog"
    added = await fake.click(reply, "tk:xdeck")
    assert added.ephemeral and "Added 3 term(s) to your deck" in added.content
    if where != "external":
        posted = await fake.click(opened, "tk:post:backlog")
        assert not posted.ephemeral and posted.embed["title"] == "Backlog"
        assert posted.embed["author"]["name"] == "Shared by Learner"


async def test_explain_terms_with_nothing_to_explain(fake: FakeDiscord, bot: BotProcess) -> None:
    for content in ("", "🙂🙂🙂", "lol see you tomorrow"):
        reply = await fake.invoke_message_command("Explain terms", fake.user_message(content), where="group")
        assert reply.ephemeral and not reply.embeds
        assert "glossary terms" in reply.content or "no text" in reply.content


async def test_explain_terms_on_a_long_message_of_terms_stays_within_limits(fake: FakeDiscord, bot: BotProcess) -> None:
    names = "Safety stock, Backlog, EOQ, MPS, holding cost, ROP, order point, buffer stock, " * 50
    reply = await fake.invoke_message_command("Explain terms", fake.user_message(names[:4000]))
    assert reply.ephemeral and len(reply.embed["description"]) <= 4096
    assert len(reply.message.component("tk:xopen:0")["options"]) <= 25
