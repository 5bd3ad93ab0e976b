"""/search, /browse with paging and the term menu, and /random."""

from __future__ import annotations

import re

from tests.e2e import glossary_fixture as glossary
from tests.e2e.conftest import ErrorExpectations
from tests.e2e.harness import BotProcess
from tests.fakediscord import FakeDiscord

CHANNEL_MESSAGE, UPDATE_MESSAGE = 4, 7
ORDER_QUANTITIES = {"Economic order quantity", "Ordering cost", "Carrying cost"}


def _page(embed: dict) -> tuple[int, int]:
    found = re.match(r"Page (\d+) of (\d+)", embed["footer"]["text"])
    assert found, embed["footer"]
    return int(found[1]), int(found[2])


async def test_search_pages_through_results(fake: FakeDiscord, bot: BotProcess) -> None:
    first = await fake.invoke_command("search", {"text": glossary.SEARCH_WORD})

    assert first.ephemeral
    assert first.embed["title"] == f"Search: {glossary.SEARCH_WORD}"
    assert _page(first.embed) == (1, 5)
    assert fake.message(first.message.id).button("Previous")["disabled"]
    next_id = first.message.button("Next")["custom_id"]
    assert next_id == f"tk:search:1:{glossary.SEARCH_WORD}"
    first_lines = first.embed["description"]

    second = await fake.click(first, next_id)

    assert second.type == UPDATE_MESSAGE, "paging edits the results in place"
    assert second.message.id == first.message.id
    assert _page(second.embed) == (2, 5)
    assert second.embed["description"] != first_lines
    assert not second.message.button("Previous")["disabled"]

    menu = next(c for c in second.message.leaf_components() if c["type"] == 3)
    slug = menu["options"][0]["value"]
    opened = await fake.select(second, menu["custom_id"], [slug])
    assert opened.type == CHANNEL_MESSAGE and opened.ephemeral
    assert opened.embed["title"] == menu["options"][0]["label"]


async def test_search_without_results_says_so(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.invoke_command("search", {"text": "zeppelin"})

    assert reply.ephemeral
    assert reply.embed["title"] == "No results"
    assert not reply.custom_ids


async def test_browse_lists_modules_and_pages_through_one(fake: FakeDiscord, bot: BotProcess) -> None:
    overview = await fake.invoke_command("browse")
    assert overview.ephemeral
    assert overview.embed["title"] == "Glossary modules"
    assert "`13` Order Quantities · 3 terms" in overview.embed["description"]

    module = await fake.invoke_command("browse", {"module": glossary.BROWSE_MODULE})
    assert module.embed["title"] == "2. All About Inventory"
    assert _page(module.embed) == (1, 3)
    assert module.embed["description"].startswith("**Safety stock**")

    page2 = await fake.click(module, module.message.button("Next")["custom_id"])
    assert page2.type == UPDATE_MESSAGE
    assert _page(page2.embed) == (2, 3)
    page3 = await fake.click(page2, page2.message.button("Next")["custom_id"])
    assert _page(page3.embed) == (3, 3)
    assert fake.message(module.message.id).button("Next")["disabled"]
    back = await fake.click(page3, page3.message.button("Previous")["custom_id"])
    assert _page(back.embed) == (2, 3)
    assert back.message.button("Module 3")["custom_id"] == "tk:browse:3:0:m"


async def test_browse_a_module_that_fits_on_one_page(fake: FakeDiscord, bot: BotProcess) -> None:
    reply = await fake.invoke_command("browse", {"module": "Order Quantities"})

    assert reply.embed["title"] == "13. Order Quantities"
    assert _page(reply.embed) == (1, 1)
    assert reply.message.button("Module 14")["custom_id"] == "tk:browse:14:0:m"
    assert not any(b.get("label") in {"Previous", "Next"} for b in reply.message.buttons)


async def test_browse_rejects_an_unknown_module_kindly(
    fake: FakeDiscord, bot: BotProcess, expect_errors: ErrorExpectations
) -> None:
    reply = await fake.invoke_command("browse", {"module": "Underwater basket weaving"})

    assert reply.ephemeral
    assert "I don't know the module" in reply.content


async def test_random_shows_a_term_from_the_chosen_module(
    fake: FakeDiscord, bot: BotProcess, expect_errors: ErrorExpectations
) -> None:
    anywhere = await fake.invoke_command("random")
    assert not anywhere.ephemeral
    assert anywhere.embed["author"]["name"] == "Random term"

    for _ in range(3):
        reply = await fake.invoke_command("random", {"module": "13"})
        assert reply.embed["title"] in ORDER_QUANTITIES

    empty = await fake.invoke_command("random", {"module": "Lean"})
    assert empty.ephemeral
    assert empty.content == "That module has no terms yet."
