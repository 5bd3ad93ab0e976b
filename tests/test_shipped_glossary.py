"""Every shipped glossary file loads, and the glossary is as big as the issues promise."""

from collections import Counter

import pytest

from bot.config import default_glossary_dir
from bot.core.glossary import Term, load_glossary
from bot.core.modules import MODULES
from bot.core.normalize import normalize

PARTS = {1: MODULES[0:15], 2: MODULES[15:30]}


@pytest.fixture(scope="module")
def terms() -> list[Term]:
    return load_glossary(default_glossary_dir())


def test_every_module_has_at_least_100_terms(terms: list[Term]):
    counts = Counter(t.module for t in terms)
    short = {m: counts[m] for m in MODULES if counts[m] < 100}
    assert not short, f"modules under 100 terms: {short}"


@pytest.mark.parametrize("part", [1, 2])
def test_each_half_has_at_least_2400_terms(terms: list[Term], part: int):
    """Modules 1-15 grew from 1,479 and 16-30 from 1,708 entries by over 1,000 each."""
    assert sum(1 for t in terms if t.module in PARTS[part]) >= 2400


def test_whole_glossary_over_5000(terms: list[Term]):
    assert len(terms) >= 5000


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
