"""Every shipped glossary file loads, and the glossary is as big as the issues promise."""

from collections import Counter

import pytest

from bot.config import default_glossary_dir
from bot.core.glossary import Term, load_glossary
from bot.core.modules import MODULES
from bot.core.normalize import normalize

PARTS = {1: MODULES[0:10], 2: MODULES[10:20], 3: MODULES[20:30]}


@pytest.fixture(scope="module")
def terms() -> list[Term]:
    return load_glossary(default_glossary_dir())


def test_every_module_has_at_least_60_terms(terms: list[Term]):
    counts = Counter(t.module for t in terms)
    short = {m: counts[m] for m in MODULES if counts[m] < 60}
    assert not short, f"modules under 60 terms: {short}"


@pytest.mark.parametrize("part", [1, 2, 3])
def test_each_part_has_at_least_1000_terms(terms: list[Term], part: int):
    assert sum(1 for t in terms if t.module in PARTS[part]) >= 1000


def test_whole_glossary_over_3000(terms: list[Term]):
    assert len(terms) >= 3000


def test_entries_have_the_promised_shape(terms: list[Term]):
    for term in terms:
        assert 2 <= len(term.related) <= 5, term.name
        assert 12 <= len(term.definition.split()) <= 130, term.name
        assert not normalize(term.definition).startswith(normalize(term.name) + " "), term.name


def test_anchor_terms_exist(terms: list[Term]):
    names = {normalize(t.name) for t in terms} | {normalize(a) for t in terms for a in t.aliases}
    for must in [
        "Backlog",
        "Economic order quantity",
        "Sales and operations planning",
        "Safety stock",
        "Kanban",
        "Bill of material",
        "Master production schedule",
        "Reorder point",
        "Incoterms",
        "ISO 9001",
    ]:
        assert normalize(must) in names, must
