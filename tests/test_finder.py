"""The term finder behind "Explain terms": longest match, word boundaries, common words, case rules."""

from __future__ import annotations

import pytest

from bot.config import default_glossary_dir
from bot.core.finder import FOUND_MAX, TermFinder, clean_message
from bot.core.glossary import load_glossary
from bot.core.matching import Indexed

TERMS = [
    Indexed("safety-stock", "Safety stock", ("SS", "buffer stock")),
    Indexed("stock", "Stock", ()),  # everyday English: only "safety stock" counts
    Indexed("safety-inventory", "Safety inventory", ()),
    Indexed("safety-lead-time", "Safety lead time", ()),
    Indexed("lead-time", "Lead time", ("LT",)),
    Indexed("economic-order-quantity", "Economic order quantity", ("EOQ",)),
    Indexed("sales-and-operations-planning", "Sales and operations planning", ("S&OP",)),
    Indexed("purchase-order", "Purchase order", ("PO",)),
    Indexed("modified-atmosphere-packaging", "Modified atmosphere packaging", ("MAP",)),
    Indexed("kanban", "Kanban", ("kanban card",)),
    Indexed("push-system", "Push system", ("push",)),  # an everyday word as an alias
    Indexed("inventory", "Inventory", ()),
    Indexed("item", "Item", ()),  # an everyday word as a name
    Indexed("labor-efficiency", "Labour efficiency", ()),
    Indexed("as-is", "As is", ()),  # function words only
    Indexed("centre-of-gravity-method", "Centre-of-gravity method", ()),
]


@pytest.fixture(scope="module")
def finder() -> TermFinder:
    return TermFinder(TERMS)


def names(finder: TermFinder, text: str) -> list[str]:
    return [found.name for found in finder.find(text).terms]


def test_longest_match_wins(finder: TermFinder):
    assert names(finder, "We hold safety stock for that.") == ["Safety stock"]
    assert names(finder, "safety lead time and lead time") == ["Safety lead time", "Lead time"]
    assert names(finder, "Stock levels; safety stock") == ["Safety stock"]


def test_order_of_appearance_and_no_duplicates(finder: TermFinder):
    found = finder.find("EOQ, then kanban, then the EOQ again and a kanban card")
    assert [f.name for f in found.terms] == ["Economic order quantity", "Kanban"]
    assert found.terms[0].via == "EOQ" and found.more == 0


def test_no_match_inside_words_or_across_sentences(finder: TermFinder):
    assert names(finder, "stockpile restocking kanbanize") == []
    assert names(finder, "We need more safety. Inventory is fine.") == ["Inventory"]
    assert names(finder, "safety\ninventory") == ["Inventory"]
    assert names(finder, "safety inventory") == ["Safety inventory"]


def test_normalisation_like_the_matcher(finder: TermFinder):
    assert names(finder, "our EOQs and the S&OP meeting") == [
        "Economic order quantity",
        "Sales and operations planning",
    ]
    assert names(finder, "SAFETY-STOCKS!") == ["Safety stock"]
    assert names(finder, "labor efficiencies, centre of gravity method") == [
        "Labour efficiency",
        "Centre-of-gravity method",
    ]
    assert names(finder, "eoq") == ["Economic order quantity"]  # a long acronym in lower case still counts


def test_short_and_everyday_acronyms_need_capitals(finder: TermFinder):
    assert names(finder, "po box, map of the city, ss") == []
    assert names(finder, "Raise a PO and two POs; MAP trays") == ["Purchase order", "Modified atmosphere packaging"]
    assert names(finder, "lt") == [] and names(finder, "LT") == ["Lead time"]


def test_common_words_do_not_flood(finder: TermFinder):
    assert names(finder, "push the item as is to the inventory") == ["Inventory"]
    assert names(finder, "push system") == ["Push system"]  # the full name still counts


def test_code_links_mentions_are_ignored(finder: TermFinder):
    text = (
        "<@123456789012345678> @everyone see https://example.org/safety-stock and <#123456789012345678>\n"
        "```python\nkanban = EOQ\n```\n"
        "[the EOQ page](https://example.org/lead-time) <:kanban:123456789012345678> <t:1700000000:R>"
    )
    assert names(finder, text) == ["Economic order quantity"]
    assert "everyone" not in clean_message(text)


@pytest.mark.parametrize("text", ["", "   ", "🙂🚚📦", "\u200b", "```\nonly code\n```", "\ud800 lone surrogate"])
def test_nothing_to_find(finder: TermFinder, text: str):
    found = finder.find(text)
    assert found.terms == () and found.more == 0


def test_bounded_when_every_word_is_a_term():
    terms = [Indexed(f"term-{i}", f"Zq{i}x", ()) for i in range(100)]
    finder = TermFinder(terms)
    text = " ".join([f"zq{i}x" for i in range(100)] * 40)
    found = finder.find(text)
    assert len(found.terms) == FOUND_MAX and found.more == 100 - FOUND_MAX
    assert [f.slug for f in found.terms] == [f"term-{i}" for i in range(FOUND_MAX)]


def test_first_owner_of_a_shared_key_wins():
    finder = TermFinder([Indexed("a", "Alpha", ("shared key",)), Indexed("b", "Beta", ("shared key",))])
    assert [f.slug for f in finder.find("a shared key").terms] == ["a"]


def test_shipped_glossary_message():
    glossary = load_glossary(default_glossary_dir())
    finder = TermFinder(Indexed(t.slug, t.name, t.aliases) for t in glossary)
    text = (
        "Our safety stock is too high because the lead time from the supplier keeps slipping, "
        "so the MRP run recommends expediting. Should we raise the EOQ or talk about it at S&OP?"
    )
    found = [f.name for f in finder.find(text).terms]
    assert found[:2] == ["Safety stock", "Lead time"]
    assert "Material requirements planning" in found and "Economic order quantity" in found
    assert "Sales and operations planning" in found
    chatter = "I think we should go to the store and get a coffee, then talk about what happened last night."
    assert finder.find(chatter).terms == ()
