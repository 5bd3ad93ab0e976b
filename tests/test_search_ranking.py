"""Search ranking of issue #12: the exact name or alias first, then name hits, then definition hits."""

from pathlib import Path

import pytest

from bot.core.ranking import ALIAS, EXACT, NAME, TEXT, rank_hits, search_tier
from bot.db import Database
from bot.services import glossary as service_module
from bot.services.glossary import GlossaryService
from tests.conftest import write_glossary

GLOSSARY = {
    "02-all-about-inventory.toml": """
        module = "All About Inventory"

        [[terms]]
        name = "Statistical safety stock"
        definition = "Safety stock sized from measured variability: safety stock equals the safety factor times the standard deviation of demand over the lead time, so safety stock follows service."
        related = ["Safety stock", "Buffer"]

        [[terms]]
        name = "Buffer"
        aliases = ["stock safety margin"]
        definition = "Any protection against variation, such as safety stock, safety stock time or spare capacity; safety stock is the most common buffer in inventory planning."
        related = ["Safety stock", "Statistical safety stock"]

        [[terms]]
        name = "Cycle stock"
        definition = "The part of inventory that depletes between replenishments, as opposed to safety stock held against variation in demand and in supply over the lead time."
        related = ["Safety stock", "Buffer"]

        [[terms]]
        name = "Safety stock"
        aliases = ["SS", "reserve stock"]
        definition = "A quantity of inventory held above expected demand over the replenishment lead time, to protect service against variation in demand and supply."
        related = ["Cycle stock", "Buffer"]
    """,
}


@pytest.fixture
async def service(db: Database, tmp_path: Path) -> GlossaryService:
    loaded, _ = await GlossaryService.load(db, write_glossary(tmp_path / "glossary", GLOSSARY))
    return loaded


async def test_exact_name_ranks_first_then_names_then_definitions(service: GlossaryService):
    by_bm25, _ = await service.db.search("safety stock", limit=10)
    # The premise: plain bm25 puts the longer name that repeats the words above the exact one.
    assert by_bm25[0].slug != "safety-stock"
    hits, total = await service.search("safety stock", page=0, per_page=10)
    assert total == 4
    assert [h.slug for h in hits] == ["safety-stock", "statistical-safety-stock", "buffer", "cycle-stock"]


async def test_exact_alias_ranks_first(service: GlossaryService):
    hits, _ = await service.search("reserve stock", page=0, per_page=10)
    assert hits[0].slug == "safety-stock"


async def test_pages_follow_the_new_order(service: GlossaryService):
    pages = [(await service.search("safety stock", page=page, per_page=1))[0] for page in range(4)]
    assert [hit.slug for page in pages for hit in page] == [
        "safety-stock",
        "statistical-safety-stock",
        "buffer",
        "cycle-stock",
    ]
    assert (await service.search("safety stock", page=4, per_page=1))[0] == []


@pytest.mark.parametrize("per_page", [1, 2, 3])
async def test_pages_past_the_reordered_hits_neither_repeat_nor_skip(
    service: GlossaryService, monkeypatch: pytest.MonkeyPatch, per_page: int
):
    monkeypatch.setattr(service_module, "SEARCH_RERANK", 3)
    seen = []
    for page in range(4):
        hits, total = await service.search("safety stock", page=page, per_page=per_page)
        seen += [hit.slug for hit in hits]
    assert total == 4
    assert sorted(seen) == sorted({"safety-stock", "statistical-safety-stock", "buffer", "cycle-stock"})
    assert seen[0] == "safety-stock"


@pytest.mark.parametrize(
    ("query", "name", "aliases", "tier"),
    [
        ("safety stock", "Safety stock", (), EXACT),
        ("Safety Stocks", "Safety stock", (), EXACT),
        ("the safety stock", "Safety stock", (), EXACT),
        ("ss", "Safety stock", ("SS",), EXACT),
        ("s&op", "Sales and operations planning", ("S&OP",), EXACT),
        ("safety stock", "Statistical safety stock", (), NAME),
        ("stock safety", "Statistical safety stock", (), NAME),
        ("safety sto", "Statistical safety stock", (), NAME),  # the last word may be unfinished
        ("safety stock", "Buffer", ("stock safety margin",), ALIAS),
        ("safety stock", "Cycle stock", (), TEXT),
        ("safety sto", "Safety factor", (), TEXT),  # every word must be there
        ("", "Safety stock", (), TEXT),
    ],
)
def test_search_tier(query: str, name: str, aliases: tuple[str, ...], tier: int):
    assert search_tier(query, name, aliases) == tier


def test_rank_hits_keeps_relevance_order_within_a_tier():
    hits = ["Cycle stock", "Statistical safety stock", "Safety stock in transit", "Safety stock", "Buffer"]
    ranked = rank_hits("safety stock", hits, lambda name: (name, ()))
    assert ranked == ["Safety stock", "Statistical safety stock", "Safety stock in transit", "Cycle stock", "Buffer"]
