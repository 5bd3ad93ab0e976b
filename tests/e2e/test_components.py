"""Related-term and did-you-mean buttons, including on messages sent before the bot restarted."""

from __future__ import annotations

from tests.e2e import glossary_fixture as glossary
from tests.e2e.harness import BotProcess, Launcher
from tests.fakediscord import FakeDiscord

CHANNEL_MESSAGE = 4


async def test_related_term_button_opens_the_term_for_the_clicker(fake: FakeDiscord, bot: BotProcess) -> None:
    card = await fake.invoke_command("term", {"name": "EOQ"})
    other = fake.add_user("classmate")

    opened = await fake.click(card, "tk:rel:carrying-cost", user=other)

    assert opened.type == CHANNEL_MESSAGE
    assert opened.ephemeral, "a related term opens for the clicker only"
    assert opened.embed["title"] == "Carrying cost"
    assert opened.message is not card.message
    assert "tk:rel:economic-order-quantity" in opened.custom_ids
    assert opened.interaction.payload["member"]["user"]["id"] == str(other.id)
    assert fake.message(card.message.id).embed["title"] == "Economic order quantity", "the card is unchanged"


async def test_did_you_mean_button_posts_the_chosen_term(fake: FakeDiscord, bot: BotProcess) -> None:
    question = await fake.invoke_command("term", {"name": glossary.AMBIGUOUS})

    picked = await fake.click(question, "tk:pick:safety-stock")

    assert picked.type == CHANNEL_MESSAGE
    assert not picked.ephemeral, "the chosen term is posted as /term would have"
    assert picked.embed["title"] == "Safety stock"
    related = {custom_id for custom_id in picked.custom_ids if custom_id.startswith("tk:rel:")}
    assert related == {"tk:rel:reorder-point", "tk:rel:safety-lead-time"}


async def test_buttons_keep_working_after_a_restart(fake: FakeDiscord, launcher: Launcher) -> None:
    await launcher.start()
    card = await fake.invoke_command("term", {"name": "reorder point"})
    question = await fake.invoke_command("term", {"name": glossary.AMBIGUOUS})

    await launcher.restart()
    assert fake.gateway.identifies == 2

    related = await fake.click(card, "tk:rel:lead-time")
    assert related.embed["title"] == "Lead time"
    assert related.ephemeral
    picked = await fake.click(question, "tk:pick:safety-lead-time")
    assert picked.embed["title"] == "Safety lead time"
    assert not picked.ephemeral
    # A button on a card sent by the new process chains on.
    chained = await fake.click(related, "tk:rel:reorder-point")
    assert chained.embed["title"] == "Reorder point"
