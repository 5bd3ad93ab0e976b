"""Suggest -> review queue -> approve -> live server term, through the real commands, buttons and modals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.db.repositories import ReviewSetup
from bot.services.community import CommunityService
from bot.services.glossary import GlossaryService
from tests.interactions import GUILD_ID, USER_ID, Call, ChannelApi, Harness, harness

REVIEW_CHANNEL = 900000000000000077
MOD_ROLE = 900000000000000088
MODERATOR = 900000000000000011
MEMBER = 900000000000000012
MANAGE_GUILD = str(1 << 5)
EXTENSIONS = ("bot.exts.glossary", "bot.exts.community", "bot.exts.privacy", "bot.exts.help", "bot.exts.explain")
VMI = {
    "Name": "Vendor managed inventory",
    "Definition": "An arrangement in which the supplier monitors the customer's stock and decides when and how "
    "much to replenish, within agreed limits.",
    "Other names": "VMI, supplier managed inventory",
    "Example": "",
    "Module": "2",
}


class CommunityHarness(Harness):
    api: ChannelApi


@pytest.fixture
async def h(tmp_path: Path, service: GlossaryService) -> AsyncIterator[CommunityHarness]:
    async with _harness(tmp_path, service) as running:
        yield running


def _harness(tmp_path: Path, service: GlossaryService, per_day: int = 5):
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def run() -> AsyncIterator[CommunityHarness]:
        api = ChannelApi()
        settings = Settings(
            token="x", database_path=tmp_path / "tk.db", glossary_dir=tmp_path / "g", suggestions_per_day=per_day
        )
        async with harness(settings, service, EXTENSIONS, http=api.request) as base:
            base.__class__ = CommunityHarness
            base.api = api  # type: ignore[attr-defined]
            await base.bot.community.configure(ReviewSetup(GUILD_ID, REVIEW_CHANNEL, MOD_ROLE))
            yield base  # type: ignore[misc]
            assert not api.errors, api.errors

    return run()


async def eventually(check, timeout: float = 3.0) -> None:
    """Wait for work a handler does after answering (a DM, say)."""
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def suggest(h: Harness, values: dict[str, str], *, user: int = USER_ID) -> Call:
    modal = await h.command("suggest", user=user)
    assert modal.body["type"] == 9  # a modal, validated against the spec by the recorder
    assert [row["components"][0]["label"].split(" ")[0] for row in modal.body["data"]["components"]] == [
        "Name", "Definition", "Other", "Example", "Module"
    ]  # fmt: skip
    return await h.submit_modal(modal, values, user=user)


def queue_message(h: CommunityHarness) -> Call:
    posts = [c for c in h.api.calls if c.method == "POST" and c.path == f"/channels/{REVIEW_CHANNEL}/messages"]
    assert posts, "nothing was posted in the review channel"
    return posts[-1]


async def test_suggest_queue_approve_makes_the_term_live_at_once(h: CommunityHarness):
    receipt = await suggest(h, VMI)
    assert receipt.ephemeral and "waiting for the moderators" in receipt.data["content"]
    queued = queue_message(h)
    assert queued.body["allowed_mentions"] == {"parse": []}
    assert queued.custom_ids == ["tk:sq:ok:1", "tk:sq:ed:1", "tk:sq:no:1"]
    assert queued.embeds[0]["title"] == "New term: Vendor managed inventory"

    before = await h.command("term", name="vendor managed inventory")
    assert before.ephemeral and "couldn't find" in before.data["content"]

    done = await h.click(queued, "tk:sq:ok:1", user=MODERATOR, roles=(MOD_ROLE,))
    assert done.body["type"] == 7  # the queue message is updated in place
    assert done.data["components"] == []  # no buttons left for a second moderator
    decision = {f["name"]: f["value"] for f in done.embeds[0]["fields"]}["Decision"]
    assert decision.startswith(f"Approved by <@{MODERATOR}>")
    await eventually(lambda: h.api.dms and not h.bot.community.has_news(USER_ID))
    assert [user for user, _ in h.api.dms] == [USER_ID]
    assert "was approved" in h.api.dms[0][1]["content"]

    card = await h.command("term", name="VMI")
    assert not card.ephemeral and card.embeds[0]["title"] == "Vendor managed inventory"
    assert card.custom_ids == ["tk:sg:fix:vendor-managed-inventory"]  # decks hold shipped terms only
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert fields["Community term"] == f"Suggested by <@{USER_ID}> and approved in this server"
    choices = await h.autocomplete("term", "name", "vendor man")

    assert choices[0] == {"name": "Vendor managed inventory", "value": "vendor-managed-inventory"}
    found = await h.command("search", text="replenish supplier")
    follow = await h.next_call()
    assert "Vendor managed inventory" in follow.embeds[0]["description"]
    assert found.body["type"] == 5


async def test_a_member_without_permission_cannot_approve_and_nothing_changes(h: CommunityHarness):
    await suggest(h, VMI)
    queued = queue_message(h)
    refused = await h.click(queued, "tk:sq:ok:1", user=MEMBER)
    assert refused.ephemeral and "Only moderators" in refused.data["content"]
    refused = await h.click(queued, "tk:sq:no:1", user=MEMBER)
    assert refused.ephemeral and "Only moderators" in refused.data["content"]
    assert (await h.bot.community.get(1)).state.value == "open"
    assert h.bot.glossary.resolve("VMI", GUILD_ID).match is None
    # Manage Server alone is enough, without the role.
    done = await h.click(queued, "tk:sq:ok:1", user=MODERATOR, permissions=MANAGE_GUILD)
    assert done.body["type"] == 7
    # A second click on the stale message does not approve twice: it just shows the decision.
    again = await h.click(queued, "tk:sq:ok:1", user=MODERATOR + 1, permissions=MANAGE_GUILD)
    assert again.body["type"] == 7 and f"<@{MODERATOR}>" in str(again.embeds[0]["fields"])


async def test_reject_with_a_reason_is_told_on_the_next_command_when_dms_are_closed(h: CommunityHarness):
    h.api.dms_closed.add(USER_ID)
    await suggest(h, VMI)
    queued = queue_message(h)
    modal = await h.click(queued, "tk:sq:no:1", user=MODERATOR, roles=(MOD_ROLE,))
    assert modal.body["type"] == 9
    done = await h.submit_modal(
        modal, {"Reason": "Please cite a <@&1> source **first**"}, message=queued, user=MODERATOR, roles=(MOD_ROLE,)
    )
    assert done.body["type"] == 7
    reason = {f["name"]: f["value"] for f in done.embeds[0]["fields"]}["Decision"]
    assert "\\*\\*first\\*\\*" in reason  # markdown from the moderator's text is escaped

    def dm_tried() -> bool:
        return any(
            int(c.path.split("/")[2]) in h.api.dm_channels for c in h.api.calls if c.path.startswith("/channels/")
        )

    await eventually(lambda: dm_tried() and h.bot.community.has_news(USER_ID))
    assert h.api.dms == []
    await h.command("term", name="backlog")
    notice = await h.next_call()
    assert notice.ephemeral and "was not accepted" in notice.data["content"]
    await eventually(lambda: not h.bot.community.has_news(USER_ID))
    await h.command("term", name="backlog")
    await h.settle()
    assert h.recorder.queue.empty()  # told once


async def test_exact_duplicates_are_refused_and_similar_names_asked_first(h: CommunityHarness):
    refused = await suggest(h, {**VMI, "Name": "Safety stock", "Other names": ""})
    assert refused.ephemeral and "already in the glossary as **Safety stock**" in refused.data["content"]
    refused = await suggest(h, {**VMI, "Other names": "EOQ"})
    assert "already in the glossary as **Economic order quantity**" in refused.data["content"]
    await suggest(h, VMI)
    pending = await suggest(h, {**VMI, "Name": "Vendor-managed stock", "Other names": "VMI"}, user=MEMBER)
    assert "already suggested (suggestion #1" in pending.data["content"]
    close = await suggest(h, {**VMI, "Name": "Safety stocks level", "Other names": ""}, user=MEMBER)
    assert "looks close to **Safety stock**" in close.data["content"]
    assert close.custom_ids == ["tk:sg:y:2", "tk:sg:n:2"]
    sent = await h.click(close, "tk:sg:y:2", user=MEMBER)
    assert "Suggestion #2" in sent.data["content"]
    assert len([c for c in h.api.calls if c.path == f"/channels/{REVIEW_CHANNEL}/messages"]) == 2


async def test_bad_fields_get_a_clear_message_and_the_daily_limit_holds(tmp_path: Path, service: GlossaryService):
    async with _harness(tmp_path, service, per_day=1) as h:
        bad = await suggest(h, {**VMI, "Definition": "Too short to be a definition.", "Module": "99"})
        assert bad.ephemeral
        assert "6 words; write 12-130" in bad.data["content"] and "module" in bad.data["content"]
        await suggest(h, VMI)
        limited = await suggest(h, {**VMI, "Name": "Consignment stock", "Other names": ""})
        assert "most this server takes a day" in limited.data["content"]


async def test_correction_from_the_card_overrides_the_bundled_text_in_this_server_only(h: CommunityHarness):
    card = await h.command("term", name="backlog")
    modal = await h.click(card, "tk:sg:fix:backlog", user=MEMBER)
    assert modal.body["data"]["title"] == "Suggest a correction"
    fields = {
        row["components"][0]["label"]: row["components"][0].get("value") for row in modal.body["data"]["components"]
    }
    assert fields["Name"] == "Backlog"
    new_definition = (
        "All customer orders received but not yet shipped, whatever their due dates; planners read it as demand "
        "already committed and as a lead indicator of capacity needs."
    )
    await h.submit_modal(modal, {"Definition": new_definition}, message=card, user=MEMBER)
    queued = queue_message(h)
    assert queued.embeds[0]["title"] == "Correction: Backlog"
    changes = {f["name"]: f["value"] for f in queued.embeds[0]["fields"]}["Definition (changes)"]
    assert "__" in changes and "~~" in changes
    await h.click(queued, "tk:sq:ok:1", user=MODERATOR, permissions=MANAGE_GUILD)
    assert h.bot.glossary.get("backlog", GUILD_ID).definition == new_definition  # type: ignore[union-attr]
    assert h.bot.glossary.get("backlog", GUILD_ID + 1).definition != new_definition  # type: ignore[union-attr]
    shown = await h.command("term", name="order backlog")
    assert shown.embeds[0]["description"] == new_definition
    removed = await h.command("glossary", sub="remove", term="backlog", user=MODERATOR, roles=(MOD_ROLE,))
    assert "bundled text is back" in removed.data["content"]
    assert h.bot.glossary.get("backlog", GUILD_ID).definition != new_definition  # type: ignore[union-attr]


async def test_edit_then_approve_and_the_term_survives_a_restart(tmp_path: Path, h: CommunityHarness):
    await suggest(h, VMI)
    queued = queue_message(h)
    modal = await h.click(queued, "tk:sq:ed:1", user=MODERATOR, roles=(MOD_ROLE,))
    await h.submit_modal(modal, {"Name": "Vendor-managed inventory"}, message=queued, user=MODERATOR, roles=(MOD_ROLE,))
    record = await h.bot.community.get(1)
    assert record.draft.name == "Vendor-managed inventory" and record.decided_by == MODERATOR
    # A restart: a fresh service over the same database file finds the term before any command.
    again, _ = await GlossaryService.load(h.bot.glossary.db, tmp_path / "glossary")
    restarted = CommunityService(again.db, again, h.bot.clock)  # type: ignore[arg-type]
    assert await restarted.load() == 1
    assert again.resolve("VMI", GUILD_ID).match.slug == "vendor-managed-inventory"  # type: ignore[union-attr]
    assert again.complete("vendor", GUILD_ID)[0].slug == "vendor-managed-inventory"
    assert again.resolve("VMI").match is None  # other servers and DMs are untouched


async def test_forgetme_makes_credit_anonymous(h: CommunityHarness):
    await suggest(h, VMI)
    await h.click(queue_message(h), "tk:sq:ok:1", user=MODERATOR, permissions=MANAGE_GUILD)
    await h.bot.community.forget(USER_ID)
    card = await h.command("term", name="VMI")
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert fields["Community term"].startswith("Suggested by a former member")
    assert (await h.bot.community.get(1)).user_id is None


async def test_status_reports_a_deleted_review_channel_and_keeps_the_queue(h: CommunityHarness):
    h.api.fail_next["POST /channels/{channel_id}/messages"] = 404
    receipt = await suggest(h, VMI)
    assert "saved and will be posted" in receipt.data["content"]
    status = await h.command("glossary", sub="status", user=MODERATOR, permissions=MANAGE_GUILD)
    text = status.embeds[0]["description"]
    assert "review channel was deleted" in text and "Waiting for review: 1 (1 not posted yet)" in text
    assert [s.id for s in await h.bot.community.queue(GUILD_ID)] == [1]
    refused = await h.command("glossary", sub="status", user=MEMBER)
    assert refused.ephemeral and "Manage Server" in refused.data["content"]


async def test_glossary_export_and_deck_export_send_files_that_parse_back(tmp_path: Path, service: GlossaryService):
    from bot.core.exchange import from_csv, from_json

    async with _harness(tmp_path, service) as h:
        await h.bot.load_extension("bot.exts.review")
        await suggest(h, VMI)
        await h.click(queue_message(h), "tk:sq:ok:1", user=MODERATOR, permissions=MANAGE_GUILD)
        await h.command("glossary", sub="export", format="csv", scope="all", user=MODERATOR, permissions=MANAGE_GUILD)
        sent = await h.next_call()
        assert sent.ephemeral and list(sent.files) == ["termiknowledge-all.csv"]
        entries = from_csv(sent.files["termiknowledge-all.csv"].decode())
        assert len(entries) == len(service) + 1
        assert entries[-1].source == "server" and entries[-1].term.aliases == ("VMI", "supplier managed inventory")
        await h.command(
            "glossary", sub="export", format="json", scope="server", user=MODERATOR, permissions=MANAGE_GUILD
        )
        sent = await h.next_call()
        assert [e.term.name for e in from_json(sent.files["termiknowledge-server.json"].decode())] == [VMI["Name"]]
        refused = await h.command("glossary", sub="export", format="csv", user=MEMBER)
        assert refused.ephemeral and "Manage Server" in refused.data["content"]

        await h.command("deck", sub="add", term="backlog", user=MEMBER)
        await h.settle()
        await h.command("deck", sub="export", format="anki", user=MEMBER)
        sent = await h.next_call()
        data = sent.files["my-deck.apkg"]
        assert data[:2] == b"PK"  # a zip; test_exchange opens the collection inside


async def test_gap_report_lists_server_misses_with_a_button_that_opens_the_modal(h: CommunityHarness):
    for _ in range(3):
        await h.command("term", name="drop shipping")
    await h.command("term", name="cross docking")
    await h.settle()
    report = await h.command("glossary", sub="gaps", user=MODERATOR, permissions=MANAGE_GUILD)
    assert report.body["type"] == 5  # deferred: the counts come from the database
    shown = await h.next_call()
    lines = shown.embeds[0]["description"].splitlines()
    assert lines[0].startswith("`   3×` drop shipping · first ") and "cross docking" in lines[1]
    assert shown.custom_ids == ["tk:sg:gap:drop shipping", "tk:sg:gap:cross docking"]
    modal = await h.click(shown, "tk:sg:gap:drop shipping", user=MEMBER)
    assert modal.body["type"] == 9
    assert modal.body["data"]["components"][0]["components"][0]["value"] == "drop shipping"


async def test_review_channel_text_is_sanitised(h: CommunityHarness):
    await suggest(h, {**VMI, "Name": "Vendor @everyone **inventory**", "Other names": f"<@&{MOD_ROLE}>"})
    queued = queue_message(h)
    embed = queued.embeds[0]
    assert "@\u200beveryone" in embed["title"] and "\\*\\*inventory\\*\\*" in embed["title"]
    aliases = {f["name"]: f["value"] for f in embed["fields"]}["Also known as"]
    assert f"<@&{MOD_ROLE}>" not in aliases
    assert queued.body["allowed_mentions"] == {"parse": []}


async def test_explain_terms_finds_a_server_term_in_that_server_only(h: CommunityHarness):
    await suggest(h, VMI)
    await h.click(queue_message(h), "tk:sq:ok:1", user=MODERATOR, roles=(MOD_ROLE,))
    message = {"content": "Our vendor managed inventory deal cut the backlog."}
    here = await h.message_command("Explain terms", message)
    listed = here.embeds[0]["description"]
    assert here.ephemeral and "Vendor managed inventory" in listed and "Backlog" in listed
    elsewhere = await h.message_command("Explain terms", message, context=1)  # a DM: no server, no server terms
    assert "Vendor managed inventory" not in elsewhere.embeds[0]["description"]
    assert "Backlog" in elsewhere.embeds[0]["description"]
