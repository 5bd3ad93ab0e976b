"""A member suggests a term through a modal, a moderator approves it, and the server finds it at once and
after a restart; a member without permission is refused. All through the real bot process and the fake."""

from __future__ import annotations

import asyncio

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

    # The review channel is deleted: status says so, new suggestions wait, and a new channel gets them.
    fake.guild.channels.remove(review)
    await fake.dispatch("CHANNEL_DELETE", review.payload())
    status = await _wait_for_status(fake, "review channel was deleted")
    assert "Waiting for review: 0" in status
    opened = await fake.invoke_command("suggest")
    receipt = await fake.submit_modal(
        opened, {"Name": "Consignment stock", "Definition": DEFINITION.replace("supplier", "owner"), "Module": "2"}
    )
    assert "saved and will be posted" in receipt.content
    status = await _wait_for_status(fake, "Waiting for review: 1 (1 not posted yet)")
    replacement = fake.add_channel("glossary-review-2")
    await fake.dispatch("CHANNEL_CREATE", replacement.payload())
    setup = await fake.invoke_command("glossary setup", {"review_channel": str(replacement.id)}, user=fake.owner)
    assert "Posted 1 waiting suggestion" in setup.content
    assert (await _queue_message(fake, replacement.id)).embed["title"] == "New term: Consignment stock"


async def _wait_for_status(fake: FakeDiscord, text: str) -> str:
    for _ in range(50):
        status = await fake.invoke_command("glossary status", user=fake.owner)
        description = status.embed["description"]
        if text in description:
            return str(description)
        await asyncio.sleep(0.1)
    raise AssertionError(f"/glossary status never said {text!r}: {description}")


async def _queue_message(fake: FakeDiscord, channel_id: int):
    await fake.wait_for(lambda: bool(fake.channel_messages(channel_id)), 5.0, "a post in the review channel")
    return fake.channel_messages(channel_id)[-1]


async def test_forms_opened_before_a_restart_are_accepted_after_it(fake: FakeDiscord, launcher: Launcher) -> None:
    """A member fills in /suggest and a moderator the rejection form while the bot restarts: nothing is lost."""
    review = fake.add_channel("glossary-review")
    await launcher.start()
    await fake.invoke_command("glossary setup", {"review_channel": str(review.id)}, user=fake.owner)

    opened = await fake.invoke_command("suggest")
    assert opened.type == MODAL and opened.modal["custom_id"] == "tk:md:sg"
    await launcher.restart()  # the member is still typing
    receipt = await fake.submit_modal(
        opened, {"Name": "Vendor managed inventory", "Definition": DEFINITION, "Module": "2"}
    )
    assert receipt.ephemeral and "waiting for the moderators" in receipt.content
    queued = await _queue_message(fake, review.id)

    rejecting = await fake.click(queued, "tk:sq:no:1", user=fake.owner)
    assert rejecting.type == MODAL and rejecting.modal["custom_id"] == "tk:md:rj:1"
    await launcher.restart()
    decided = await fake.submit_modal(rejecting, {"Reason": "Covered by the bundled entry."}, user=fake.owner)
    assert decided.type == UPDATE_MESSAGE
    assert fake.message(queued.id).custom_ids == [], "decided: no buttons left"
    status = await fake.invoke_command("glossary status", user=fake.owner)
    assert "Waiting for review: 0" in status.embed["description"]
