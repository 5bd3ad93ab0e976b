"""The real app commands and buttons, driven through discord.py with raw payloads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.services.glossary import GlossaryService
from tests.interactions import APP_ID, Harness, harness

EMBED_LIMITS = {"title": 256, "description": 4096}


@pytest.fixture
async def h(tmp_path: Path, service: GlossaryService) -> AsyncIterator[Harness]:
    settings = Settings(token="x", database_path=tmp_path / "tk.db", glossary_dir=tmp_path / "g")
    async with harness(settings, service) as running:
        yield running


def assert_fits(embed: dict) -> None:
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    assert len(embed.get("title", "")) <= 256
    assert len(embed.get("description", "")) <= 4096
    assert len(embed.get("fields", [])) <= 25
    for field in embed.get("fields", []):
        assert len(field["name"]) <= 256 and len(field["value"]) <= 1024
        total += len(field["name"]) + len(field["value"])
    total += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    assert total <= 6000


async def test_term_exact_posts_public_embed_with_related_buttons(h: Harness):
    call = await h.command("term", name="backlog")
    assert call.path.endswith("/callback") and call.body["type"] == 4
    assert not call.ephemeral
    embed = call.embeds[0]
    assert embed["title"] == "Backlog"
    assert "received but not yet shipped" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Module"] == "8. Demand Management"
    assert "order backlog" in fields["Also known as"]
    assert "Example / formula" in fields
    assert call.custom_ids == [
        "tk:rel:master-production-schedule",
        "tk:rel:sales-and-operations-planning",
        "tk:deck:backlog",  # "Add to my deck", in a second row
        "tk:sg:fix:backlog",  # "Suggest a correction", in a third row
    ]
    assert [len(row["components"]) for row in call.data["components"]] == [2, 1, 1]
    assert call.data["allowed_mentions"] == {"parse": []}
    assert_fits(embed)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("eoq", "Economic order quantity"),
        ("econmic order quanity", "Economic order quantity"),
        ("S and OP", "Sales and operations planning"),
        ("Backlogs", "Backlog"),
    ],
)
async def test_term_aliases_and_typos(h: Harness, query: str, title: str):
    call = await h.command("term", name=query)
    assert call.embeds[0]["title"] == title


async def test_ambiguous_term_offers_did_you_mean_buttons(h: Harness):
    call = await h.command("term", name="safety")
    assert call.ephemeral
    assert "Did you mean" in call.data["content"]
    assert set(call.custom_ids) == {"tk:pick:safety-stock", "tk:pick:safety-lead-time"}
    picked = await h.click(call, "tk:pick:safety-stock")
    assert picked.embeds[0]["title"] == "Safety stock" and not picked.ephemeral


async def test_unknown_term_is_friendly_ephemeral_and_recorded(h: Harness, service: GlossaryService):
    call = await h.command("term", name="@everyone **pizza** 🍕")
    assert call.ephemeral
    content = call.data["content"]
    assert "/search" in content and "@everyone" not in content.replace("@\u200beveryone", "")
    assert "\\*\\*pizza\\*\\*" in content
    await h.settle()
    assert await service.flush_stats() == 1
    assert await service.db.top_misses(5) == [("@everyone **pizza** 🍕", 1)]


async def test_related_button_opens_term_for_clicker_only(h: Harness):
    call = await h.command("term", name="backlog")
    opened = await h.click(call, "tk:rel:master-production-schedule")
    assert opened.ephemeral
    assert opened.embeds[0]["title"] == "Master production schedule"


async def test_button_for_a_removed_term_is_friendly(h: Harness):
    call = await h.command("term", name="backlog")
    call.data["components"][0]["components"][0]["custom_id"] = "tk:rel:gone-term"
    answer = await h.click(call, "tk:rel:gone-term")
    assert answer.ephemeral and "no longer in the glossary" in answer.data["content"]


async def test_autocomplete_partial_typo_and_empty(h: Harness):
    choices = await h.autocomplete("term", "name", "saf")
    assert [c["name"] for c in choices] == ["Safety lead time", "Safety stock"]
    assert all(c["value"] for c in choices)
    typo = await h.autocomplete("term", "name", "econmic")
    assert typo[0]["value"].startswith("economic-")
    empty = await h.autocomplete("term", "name", "")
    assert 1 <= len(empty) <= 25
    long = await h.autocomplete("term", "name", "x" * 500)
    assert len(long) <= 25


async def test_choice_value_resolves_to_the_term(h: Harness):
    call = await h.command("term", name="inventory-turnover")
    assert call.embeds[0]["title"] == "Inventory turnover"


async def test_search_pages_and_opens(h: Harness):
    deferred = await h.command("search", text="order")
    assert deferred.body["type"] == 5 and deferred.ephemeral
    call = await h.next_call()
    assert call.method == "POST" and call.path.startswith(f"/webhooks/{APP_ID}/")
    assert call.ephemeral
    assert "Search: order" in call.embeds[0]["title"]
    select_id = call.custom_ids[0]
    assert select_id.startswith("tk:sopen:")
    option = call.data["components"][0]["components"][0]["options"][0]["value"]
    opened = await h.click(call, select_id, values=[option])
    assert opened.ephemeral and opened.embeds


async def test_search_with_no_hits(h: Harness):
    await h.command("search", text="zzzqqq")
    call = await h.next_call()
    assert call.ephemeral and call.embeds[0]["title"] == "No results"


async def test_browse_overview_module_and_paging(h: Harness):
    overview = await h.command("browse")
    assert overview.embeds[0]["title"] == "Glossary modules"
    assert "Order Quantities · 2 terms" in overview.embeds[0]["description"]
    module = await h.click(overview, "tk:browse:1:0")
    assert module.body["type"] == 7  # the message is edited in place
    page = await h.command("browse", module="13")
    assert page.embeds[0]["title"] == "13. Order Quantities"
    assert "Economic order quantity" in page.embeds[0]["description"]
    nxt = await h.click(page, "tk:browse:14:0:m")
    assert nxt.data["embeds"][0]["title"] == "14. Independent Demand Ordering Systems"


async def test_browse_unknown_module_is_friendly(h: Harness):
    call = await h.command("browse", module="Basket weaving")
    assert call.ephemeral and "don't know the module" in call.data["content"]


async def test_random_term_from_module(h: Harness):
    call = await h.command("random", module="Lean")
    assert call.embeds[0]["title"] in {"Kanban", "Kaizen"}
    assert call.embeds[0]["author"]["name"] == "Random term"


async def test_module_autocomplete(h: Harness):
    choices = await h.autocomplete("browse", "module", "proc")
    names = [c["name"] for c in choices]
    assert "12. Procurement" in names and "21. Introduction to Process" in names


async def test_help_is_ephemeral(h: Harness):
    call = await h.command("help")
    assert call.ephemeral and "/term" in call.embeds[0]["description"]


async def test_command_error_is_ephemeral_not_a_traceback(h: Harness, monkeypatch: pytest.MonkeyPatch):
    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(h.bot.glossary, "resolve", boom)
    call = await h.command("term", name="backlog")
    assert call.ephemeral
    assert "Something went wrong" in call.data["content"] and "secret" not in call.data["content"]


async def test_a_lone_surrogate_gets_one_friendly_miss_and_is_recorded_readably(h: Harness, service: GlossaryService):
    call = await h.command("term", name="pizza \ud800 slice")
    assert call.ephemeral and "couldn't find" in call.data["content"]
    await h.settle()
    assert h.recorder.queue.empty(), "no second 'Something went wrong' reply"
    assert await service.flush_stats() == 1
    assert await service.db.top_misses(5) == [("pizza \ufffd slice", 1)]
    searched = await h.command("search", text="\udfff kanban")
    assert searched.body["type"] == 5  # deferred, then answered without an error
    follow = await h.next_call()
    assert "Something went wrong" not in json.dumps(follow.body)


async def test_cards_link_to_the_web_glossary_and_help_names_it_when_site_url_is_set(
    tmp_path: Path, service: GlossaryService
):
    site = "https://glossary.invalid/tk"
    service.site_url = site
    settings = Settings(token="x", database_path=tmp_path / "tk.db", glossary_dir=tmp_path / "g", site_url=site)
    async with harness(settings, service) as h:
        card = await h.command("term", name="EOQ")
        assert card.embeds[0]["url"] == f"{site}/terms/economic-order-quantity/"
        helped = await h.command("help")
        assert site in helped.embeds[0]["description"]


async def test_cards_have_no_link_without_a_site(h: Harness):
    card = await h.command("term", name="EOQ")
    assert "url" not in card.embeds[0]


async def test_sent_cards_leave_no_view_in_memory_and_their_buttons_still_work(h: Harness):
    for _ in range(5):
        card = await h.command("term", name="backlog")
    store = h.bot._connection._view_store
    assert len(store._synced_message_views) == 0 and len(store._views) == 0  # nothing kept per message
    opened = await h.click(card, card.custom_ids[0])
    assert opened.embeds and opened.ephemeral
