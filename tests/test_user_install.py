"""User install, "Explain terms" and "Post in channel", driven through the real command tree with raw payloads.

Contexts: 0 = a server (installed by the server, or only by the learner: `installed=False`), 1 = a DM with
the bot, 2 = a group DM; in 1 and 2 the payload has no guild at all, only `user` and the learner as the
authorising integration owner, as Discord sends for a user install.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.client import TermiBot, extension_names
from bot.config import Settings
from bot.services.glossary import GlossaryService
from tests.interactions import USER_ID, ChannelApi, Harness, harness

EVERYWHERE = {"integration_types": [0, 1], "contexts": [0, 1, 2]}
SERVER_ONLY = {"integration_types": [0], "contexts": [0]}
EXPECTED = {
    "term": EVERYWHERE,
    "search": EVERYWHERE,
    "random": EVERYWHERE,
    "browse": EVERYWHERE,
    "help": EVERYWHERE,
    "review": EVERYWHERE,
    "deck": EVERYWHERE,
    "study": EVERYWHERE,
    "progress": EVERYWHERE,
    "quiz": EVERYWHERE,
    "forgetme": EVERYWHERE,
    "Explain terms": EVERYWHERE,
    "totd": SERVER_ONLY,
    "today": SERVER_ONLY,
    "leaderboard": SERVER_ONLY,
    "suggest": SERVER_ONLY,
    "glossary": SERVER_ONLY,
}
SEND = discord.Permissions(send_messages=True, embed_links=True, use_application_commands=True)
SEND_EXTERNAL = discord.Permissions(SEND.value | discord.Permissions(use_external_apps=True).value)


@pytest.fixture
async def h(tmp_path: Path, service: GlossaryService) -> AsyncIterator[Harness]:
    settings = Settings(token="x", database_path=tmp_path / "tk.db", glossary_dir=tmp_path / "g")
    api = ChannelApi()
    async with harness(settings, service, tuple(extension_names()), http=api.request) as running:
        yield running
    assert not api.errors, api.errors


def definitions(bot: TermiBot) -> dict[str, dict[str, Any]]:
    return {command.name: command.to_dict(bot.tree) for command in bot.tree.get_commands()}


async def test_synced_install_types_and_contexts_per_command(h: Harness):
    synced = definitions(h.bot)
    assert set(synced) == set(EXPECTED)
    for name, expected in EXPECTED.items():
        got = {"integration_types": synced[name]["integration_types"], "contexts": synced[name]["contexts"]}
        assert got == expected, name
    assert synced["Explain terms"]["type"] == 3  # a message context menu
    for name in ("totd", "today", "leaderboard"):
        assert synced[name]["dm_permission"] is False


@pytest.mark.parametrize("context", [1, 2])
async def test_lookups_work_with_no_guild(h: Harness, context: int):
    term = await h.command("term", name="eoq", context=context)
    assert term.embeds[0]["title"] == "Economic order quantity" and not term.ephemeral
    assert (await h.command("help", context=context)).ephemeral
    assert (await h.command("browse", module="13", context=context)).embeds[0]["title"] == "13. Order Quantities"
    assert (await h.command("random", module="Lean", context=context)).embeds[0]["title"] in {"Kanban", "Kaizen"}
    deferred = await h.command("search", text="order", context=context)
    assert deferred.body["type"] == 5
    assert (await h.next_call()).embeds[0]["title"].startswith("Search")


@pytest.mark.parametrize("context", [1, 2])
async def test_private_study_works_with_no_guild(h: Harness, context: int, service: GlossaryService):
    added = await h.command("deck", sub="add", term="kanban", context=context)
    assert added.ephemeral and "Kanban" in added.data["content"]
    review = await h.command("review", context=context)
    assert review.ephemeral and review.embeds
    progress = await h.command("progress", context=context)
    assert progress.ephemeral and progress.embeds[0]["title"] == "Your progress"
    quiz = await h.command("quiz", context=context)
    assert quiz.ephemeral and quiz.custom_ids[0].startswith("tk:qz:a:")
    assert "need a server" in quiz.data["content"]  # asked for a channel question, got a practice one
    practice = await h.command("quiz", practice=True, context=context)
    assert practice.ephemeral and not practice.data.get("content")


@pytest.mark.parametrize(("context", "installed"), [(1, False), (2, False), (0, False)])
@pytest.mark.parametrize(("command", "sub"), [("today", None), ("leaderboard", None), ("totd", "status")])
async def test_server_features_refuse_politely_elsewhere(
    h: Harness, command: str, sub: str | None, context: int, installed: bool
):
    call = await h.command(command, sub=sub, context=context, installed=installed, permissions="32")
    assert call.ephemeral
    assert "only in a server that has added TermiKnowledge" in call.data["content"]


async def test_server_features_still_work_where_the_server_installed_the_bot(h: Harness):
    call = await h.command("leaderboard")
    assert not call.ephemeral and "Leaderboard" in call.embeds[0]["title"]


async def test_public_quiz_in_a_server_that_did_not_install_the_bot_is_practice(h: Harness):
    call = await h.command("quiz", installed=False, permissions=str(SEND_EXTERNAL.value))
    assert call.ephemeral and "need a server" in call.data["content"]


# -- Explain terms -------------------------------------------------------------------


async def test_explain_terms_lists_terms_in_order_with_menu_and_add_all(h: Harness, service: GlossaryService):
    text = "Our safety stock is high because the EOQ is off; S&OP agreed. Also kanban cards and the backlog."
    call = await h.message_command("Explain terms", {"content": text})
    assert call.body["type"] == 4 and call.ephemeral
    embed = call.embeds[0]
    lines = embed["description"].split("\n")
    assert [line.split("**")[1] for line in lines] == [
        "Safety stock",
        "Economic order quantity",
        "Sales and operations planning",
        "Kanban",
        "Backlog",
    ]
    assert "(EOQ)" in lines[1] and "quantity of inventory held above expected demand" in lines[0]
    assert call.data["allowed_mentions"] == {"parse": []}
    assert call.custom_ids == ["tk:xopen:0", "tk:xdeck"]
    options = call.data["components"][0]["components"][0]["options"]
    assert [o["value"] for o in options][:2] == ["safety-stock", "economic-order-quantity"]
    opened = await h.click(call, "tk:xopen:0", values=["kanban"])
    assert opened.ephemeral and opened.embeds[0]["title"] == "Kanban"
    assert "tk:post:kanban" in opened.custom_ids
    added = await h.click(call, "tk:xdeck")
    assert added.ephemeral and "Added 5 term(s) to your deck" in added.data["content"]
    again = await h.click(call, "tk:xdeck")
    assert "Added 0 term(s) to your deck (5 already there)" in again.data["content"]


@pytest.mark.parametrize("context", [0, 1, 2])
async def test_explain_terms_works_in_every_context(h: Harness, context: int):
    call = await h.message_command("Explain terms", {"content": "what is an MPS?"}, context=context)
    assert call.ephemeral and "Master production schedule" in call.embeds[0]["description"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "no text I can read"),
        ("🙂🚚📦 🎉", "didn't find any glossary terms"),
        ("@everyone <@123456789012345678> look at this", "didn't find any glossary terms"),
        ("```\nsafety_stock = eoq * 2\n```", "didn't find any glossary terms"),
        ("see https://example.org/kanban-backlog", "didn't find any glossary terms"),
    ],
)
async def test_explain_terms_with_nothing_to_explain_is_friendly(h: Harness, content: str, expected: str):
    call = await h.message_command("Explain terms", {"content": content})
    assert call.ephemeral and expected in call.data["content"]
    assert "@everyone" not in call.data["content"]


async def test_explain_terms_reads_rich_embeds_but_not_link_previews(h: Harness):
    embeds = [
        {"type": "rich", "title": "Kaizen week", "description": "We cut the backlog."},
        {"type": "link", "title": "Kanban on a blog", "url": "https://example.org/"},
    ]
    call = await h.message_command("Explain terms", {"content": "", "embeds": embeds})
    names = [line.split("**")[1] for line in call.embeds[0]["description"].split("\n")]
    assert names == ["Kaizen", "Backlog"]


async def test_explain_terms_huge_markdown_message_stays_within_limits(h: Harness, service: GlossaryService):
    names = [t.name for t in service.syllabus()]
    text = ("**" + " · ".join(names) + "** _and_ `code` > quote\n") * 60
    call = await h.message_command("Explain terms", {"content": text[:4000]})
    embed = call.embeds[0]
    assert len(embed["description"]) <= 4096 and call.ephemeral
    assert len(call.data["components"][0]["components"][0]["options"]) == len(names)
    total = len(embed["title"]) + len(embed["description"]) + len(embed["footer"]["text"])
    assert total <= 6000


# -- Post in channel -----------------------------------------------------------------


async def private_card(h: Harness, **where: Any) -> Any:
    card = await h.command("term", name="backlog", **where)
    return await h.click(card, "tk:rel:master-production-schedule", **where)


async def test_post_in_channel_from_a_private_card(h: Harness):
    opened = await private_card(h)
    assert opened.ephemeral and "tk:post:master-production-schedule" in opened.custom_ids
    posted = await h.click(opened, "tk:post:master-production-schedule", permissions=str(SEND.value))
    assert posted.body["type"] == 4 and not posted.ephemeral
    embed = posted.embeds[0]
    assert embed["title"] == "Master production schedule" and embed["author"]["name"] == "Shared by learner"
    assert "tk:post:master-production-schedule" not in posted.custom_ids  # the public card has no post button
    assert posted.data["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize("context", [1, 2])
async def test_post_in_channel_in_dms_and_group_dms(h: Harness, context: int):
    opened = await private_card(h, context=context)
    posted = await h.click(opened, "tk:post:master-production-schedule", context=context)
    assert not posted.ephemeral and posted.embeds[0]["title"] == "Master production schedule"


async def test_post_in_channel_refused_without_send_permission(h: Harness):
    opened = await private_card(h)
    refused = await h.click(opened, "tk:post:master-production-schedule", permissions="0")
    assert refused.ephemeral and "can't send messages in this channel" in refused.data["content"]


async def test_post_in_channel_refused_where_external_apps_are_limited(h: Harness):
    opened = await private_card(h, installed=False)
    refused = await h.click(opened, "tk:post:master-production-schedule", permissions=str(SEND.value), installed=False)
    assert refused.ephemeral and "external apps" in refused.data["content"]
    allowed = await h.click(
        opened, "tk:post:master-production-schedule", permissions=str(SEND_EXTERNAL.value), installed=False
    )
    assert not allowed.ephemeral


async def test_post_in_channel_forced_private_by_discord_says_so(h: Harness):
    opened = await private_card(h)
    h.recorder.force_ephemeral = True
    posted = await h.click(opened, "tk:post:master-production-schedule", permissions=str(SEND.value))
    assert posted.body["type"] == 4
    note = await h.next_call()
    assert note.ephemeral and "only to you" in note.data["content"]


async def test_study_data_follows_the_learner_from_a_dm_into_a_server(h: Harness):
    await h.command("deck", sub="add", term="kanban", context=1)
    in_server = await h.command("deck", sub="list")
    assert "Lean · 1/2" in in_server.embeds[0]["description"]
    elsewhere = await h.command("deck", sub="list", user=USER_ID + 1, context=2)
    assert "Lean · 1/2" not in json.dumps(elsewhere.data)
