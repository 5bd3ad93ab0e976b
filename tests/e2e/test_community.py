"""A member suggests a term through a modal, a moderator approves it, and the server finds it at once and
after a restart; a member without permission is refused. All through the real bot process and the fake."""

from __future__ import annotations

from tests.e2e.harness import Launcher
from tests.fakediscord import FakeDiscord

MODAL, UPDATE_MESSAGE, CHANNEL_MESSAGE = 9, 7, 4
MANAGE_GUILD = 1 << 5
DEFINITION = (
    "An arrangement in which the supplier monitors the customer's stock and decides when and how much to "
    "replenish, within agreed limits."
)


async def test_suggest_approve_and_find_the_term_at_once_and_after_a_restart(
    fake: FakeDiscord, launcher: Launcher
) -> None:
    review = fake.add_channel("glossary-review")
    mods = fake.add_role("Glossary moderators")
    moderator = fake.add_user("moderator", roles=[mods])
    bystander = fake.add_user("bystander")
    await launcher.start()

    setup = await fake.invoke_command(
        "glossary setup", {"review_channel": str(review.id), "moderator_role": str(mods.id)}, user=fake.owner
    )
    assert setup.ephemeral and "Suggestions now go to" in setup.content

    opened = await fake.invoke_command("suggest")
    assert opened.type == MODAL
    labels = [row["components"][0]["label"] for row in opened.modal["components"]]
    assert labels[0] == "Name" and labels[-1].startswith("Module")
    receipt = await fake.submit_modal(
        opened,
        {"Name": "Vendor managed inventory", "Definition": DEFINITION, "Other names": "VMI", "Module": "2"},
    )
    assert receipt.type == CHANNEL_MESSAGE and receipt.ephemeral
    assert "waiting for the moderators" in receipt.content

    queued = await _queue_message(fake, review.id)
    assert queued.custom_ids == ["tk:sq:ok:1", "tk:sq:ed:1", "tk:sq:no:1"]
    assert queued.embed["title"] == "New term: Vendor managed inventory"

    refused = await fake.click(queued, "tk:sq:ok:1", user=bystander)
    assert refused.ephemeral and "Only moderators" in refused.content
    assert fake.message(queued.id).custom_ids == queued.custom_ids, "nothing changed"

    approved = await fake.click(queued, "tk:sq:ok:1", user=moderator)
    assert approved.type == UPDATE_MESSAGE
    assert fake.message(queued.id).custom_ids == [], "no buttons left for a second moderator"

    for attempt in ("now", "after a restart"):
        card = await fake.invoke_command("term", {"name": "VMI"})
        assert not card.ephemeral, attempt
        assert card.embed["title"] == "Vendor managed inventory", attempt
        assert any(f["name"] == "Community term" for f in card.embed["fields"]), attempt
        choices = await fake.autocomplete("term", "name", "vendor mana")
        assert choices.choices[0]["value"] == "vendor-managed-inventory", attempt
        if attempt == "now":
            await launcher.restart()


async def _queue_message(fake: FakeDiscord, channel_id: int):
    await fake.wait_for(lambda: bool(fake.channel_messages(channel_id)), 5.0, "a post in the review channel")
    return fake.channel_messages(channel_id)[-1]
