"""/term (exact, alias, typo, ambiguous, unknown) and its autocomplete, through the real bot process."""

from __future__ import annotations

import sqlite3

from tests.e2e import glossary_fixture as glossary
from tests.e2e.harness import BotConfig, BotProcess
from tests.fakediscord import FakeDiscord

CHANNEL_MESSAGE, AUTOCOMPLETE_RESULT = 4, 8
CHOICES_MAX = 25


async def test_exact_name_shows_the_term_card_publicly(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.invoke_command("term", {"name": glossary.EXACT[0]})

    assert reply.type == CHANNEL_MESSAGE
    assert not reply.ephemeral
    embed = reply.embed
    assert embed["title"] == "Backlog"
    assert embed["description"].startswith("All customer orders")
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Module"] == "6. Master Scheduling"
    assert fields["Also known as"] == "order backlog"
    related = [b for b in reply.buttons if b["custom_id"].startswith("tk:rel:")]  # other features add their own
    assert [b["custom_id"] for b in related] == ["tk:rel:master-production-schedule", "tk:rel:safety-capacity"]
    assert [b["label"] for b in related] == ["Master production schedule", "Safety capacity"]
    assert reply.data["allowed_mentions"] == {"parse": []}, "the bot never pings"


async def test_alias_and_typo_land_on_the_term(fake: FakeDiscord, bot: BotProcess) -> None:
    by_alias = await fake.invoke_command("term", {"name": glossary.ALIAS[0]})
    by_typo = await fake.invoke_command("term", {"name": glossary.TYPO[0]})

    for reply in (by_alias, by_typo):
        assert reply.embed["title"] == "Economic order quantity"
        assert not reply.ephemeral
        assert "tk:rel:ordering-cost" in reply.custom_ids
    example = next(f for f in by_alias.embed["fields"] if f["name"] == "Example / formula")
    assert example["value"].startswith("EOQ = sqrt(2 × D × S / H)")


async def test_ambiguous_query_asks_with_did_you_mean_buttons(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.invoke_command("term", {"name": glossary.AMBIGUOUS})

    assert reply.ephemeral
    assert not reply.embeds
    assert "Did you mean" in reply.content and "safety" in reply.content
    assert {b["custom_id"] for b in reply.buttons} == {f"tk:pick:{s}" for s in glossary.AMBIGUOUS_SLUGS}
    assert all(b["style"] == 1 for b in reply.buttons)


async def test_unknown_term_gets_a_friendly_ephemeral_note_and_is_counted(
    fake: FakeDiscord, bot: BotProcess, bot_config: BotConfig
) -> None:
    reply = await fake.invoke_command("term", {"name": glossary.UNKNOWN})

    assert reply.type == CHANNEL_MESSAGE
    assert reply.data["flags"] == 64
    assert reply.ephemeral
    assert "couldn't find" in reply.content and glossary.UNKNOWN in reply.content
    assert "/search" in reply.content
    assert not reply.buttons

    # The miss is written after the answer: stop the bot cleanly, then read what it stored.
    assert await bot.terminate() == 0
    with sqlite3.connect(bot_config.database) as db:
        misses = db.execute("SELECT query, count FROM misses").fetchall()
    assert misses == [(glossary.UNKNOWN, 1)]


async def test_user_text_is_quoted_harmlessly(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.invoke_command("term", {"name": "@everyone **zzqx**"})

    assert reply.ephemeral
    assert "@everyone" not in reply.content.replace("@\u200beveryone", "")
    assert "\\*\\*zzqx\\*\\*" in reply.content


async def test_autocomplete_offers_at_most_25_prefix_matches(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.autocomplete("term", "name", glossary.PARTIAL)

    assert reply.type == AUTOCOMPLETE_RESULT
    choices = reply.choices
    assert len(choices) == CHOICES_MAX, "more than 25 names start with the text: exactly 25 are offered"
    assert all(choice["name"].startswith("Inventory ") for choice in choices)
    assert all(len(choice["name"]) <= 100 and len(choice["value"]) <= 100 for choice in choices)
    assert len({choice["value"] for choice in choices}) == CHOICES_MAX


async def test_autocomplete_forgives_a_typo(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.autocomplete("term", "name", glossary.TYPO_PARTIAL)

    choices = reply.choices
    assert 1 <= len(choices) <= CHOICES_MAX
    assert choices[0] == {"name": "Inventory turnover", "value": "inventory-turnover"}
    assert all(choice["name"].startswith("Inventory ") for choice in choices)

    # Choosing a suggestion sends its value (the slug), which /term must resolve.
    chosen = await fake.invoke_command("term", {"name": choices[0]["value"]})
    assert chosen.embed["title"] == "Inventory turnover"


async def test_module_autocomplete_for_browse(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.autocomplete("browse", "module", "inv")

    assert {"name": "2. All About Inventory", "value": "All About Inventory"} in reply.choices
    assert len(reply.choices) <= CHOICES_MAX


async def test_term_works_in_a_direct_message(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.invoke_command("term", {"name": "kaizen costs"}, dm=True)
    assert reply.ephemeral

    reply = await fake.invoke_command("term", {"name": "MPS"}, dm=True)
    assert reply.embed["title"] == "Master production schedule"
    assert "guild_id" not in reply.interaction.payload
