import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.matching import CHOICE_NAME_MAX, CHOICES_MAX, Indexed, Matcher

TERMS = [
    Indexed("economic-order-quantity", "Economic order quantity", ("EOQ", "economic lot size")),
    Indexed("economic-production-quantity", "Economic production quantity", ("EPQ",)),
    Indexed("backlog", "Backlog", ("order backlog",)),
    Indexed("sales-and-operations-planning", "Sales and operations planning", ("S&OP", "SOP")),
    Indexed("standard-operating-procedure", "Standard operating procedure", ()),
    Indexed("safety-stock", "Safety stock", ("SS", "buffer stock")),
    Indexed("safety-lead-time", "Safety lead time", ()),
    Indexed("safety-factor", "Safety factor", ()),
    Indexed("kanban", "Kanban", ()),
    Indexed("kaizen", "Kaizen", ()),
    Indexed("purchase-order", "Purchase order", ("PO",)),
    Indexed("period-order-quantity", "Period order quantity", ("POQ",)),
    Indexed("bill-of-material", "Bill of material", ("BOM", "bill of materials")),
    Indexed("material-requirements-planning", "Material requirements planning", ("MRP",)),
    Indexed("manufacturing-resource-planning", "Manufacturing resource planning", ("MRP II",)),
    Indexed("lead-time", "Lead time", ()),
    Indexed("labor-productivity", "Labor productivity", ()),
    Indexed("x" * 90, "A" + " very long name" * 6, ("zzlong alias",)),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(TERMS)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("backlog", "backlog"),
        ("Backlogs", "backlog"),
        ("BACKLOG", "backlog"),
        ("econmic order quanity", "economic-order-quantity"),
        ("economic order quantities", "economic-order-quantity"),
        ("quantity economic order", "economic-order-quantity"),
        ("eoq", "economic-order-quantity"),
        ("E.O.Q.", "economic-order-quantity"),
        ("S and OP", "sales-and-operations-planning"),
        ("s & op", "sales-and-operations-planning"),
        ("S&OP", "sales-and-operations-planning"),
        ("sop", "sales-and-operations-planning"),
        ("kanbna", "kanban"),
        ("bills of materials", "bill-of-material"),
        ("mrp ii", "manufacturing-resource-planning"),
        ("MRPII", "manufacturing-resource-planning"),
        ("labour productivity", "labor-productivity"),
        ("what is the backlog", "backlog"),
        ("purchase ordr", "purchase-order"),
        ("safety-stock", "safety-stock"),  # the slug an autocomplete choice sends
    ],
)
def test_confident_matches(matcher: Matcher, query: str, slug: str):
    resolution = matcher.resolve(query)
    assert resolution.match is not None, resolution
    assert resolution.match.slug == slug


@pytest.mark.parametrize("query", ["safety", "eqo", "economic"])
def test_ambiguous_queries_ask(matcher: Matcher, query: str):
    resolution = matcher.resolve(query)
    assert resolution.match is None
    assert 1 <= len(resolution.suggestions) <= 5


def test_ambiguous_prefix_lists_all_candidates(matcher: Matcher):
    slugs = {m.slug for m in matcher.resolve("safety").suggestions}
    assert slugs == {"safety-stock", "safety-lead-time", "safety-factor"}


def test_acronym_typo_suggests_the_acronym(matcher: Matcher):
    assert [m.slug for m in matcher.resolve("eqo").suggestions][:1] == ["economic-order-quantity"]


@pytest.mark.parametrize("query", ["pizza recipe", "zzz", "q", "xyzzy plugh", "🍕🍕", "@everyone", "**bold**", ""])
def test_nonsense_has_no_confident_match(matcher: Matcher, query: str):
    assert matcher.resolve(query).match is None


def test_short_queries_do_not_match_long_terms_fuzzily(matcher: Matcher):
    # WRatio would score "ss" highly against any name containing "ss"; we must not.
    for query in ["ss", "po", "ls"]:
        resolution = matcher.resolve(query)
        if resolution.match is not None:
            assert query in {"ss", "po"}
            assert resolution.match.slug in {"safety-stock", "purchase-order"}


def test_autocomplete_prefix_first(matcher: Matcher):
    labels = [c.label for c in matcher.complete("saf")]
    assert labels[:3] == ["Safety factor", "Safety lead time", "Safety stock"]


def test_autocomplete_word_prefix_and_alias(matcher: Matcher):
    slugs = [c.slug for c in matcher.complete("order quan")]
    assert "economic-order-quantity" in slugs and "period-order-quantity" in slugs
    choices = matcher.complete("eo")
    assert choices[0].slug == "economic-order-quantity"
    assert "EOQ" in choices[0].label


def test_autocomplete_typo_falls_back_to_fuzzy(matcher: Matcher):
    assert matcher.complete("econmic")[0].slug in {"economic-order-quantity", "economic-production-quantity"}


def test_autocomplete_empty_uses_starters(matcher: Matcher):
    choices = matcher.complete("", starters=["kanban", "missing-slug", "backlog"])
    assert [c.slug for c in choices] == ["kanban", "backlog"]


def test_long_names_are_clipped_in_choices(matcher: Matcher):
    choice = matcher.complete("zzlong")[0]
    assert len(choice.label) <= CHOICE_NAME_MAX and choice.label.endswith("…")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_query_is_safe(query: str):
    matcher = Matcher(TERMS)
    resolution = matcher.resolve(query)
    assert len(resolution.suggestions) <= 5
    assert resolution.match is None or resolution.match.slug in {t.slug for t in TERMS}
    choices = matcher.complete(query)
    assert len(choices) <= CHOICES_MAX
    for choice in choices:
        assert 1 <= len(choice.label) <= CHOICE_NAME_MAX
        assert 1 <= len(choice.slug) <= 100
    assert len({c.slug for c in choices}) == len(choices)


def test_mentions_and_markdown_never_reach_labels(matcher: Matcher):
    for query in ["@everyone", "<@123>", "**eoq**", "`eoq`"]:
        for choice in matcher.complete(query):
            assert not re.search(r"@everyone|<@", choice.label)


def test_a_kind_of_a_term_suggests_that_term_first():
    """'steel drum' is not in the glossary, but 'drum' is: the term the last words name comes first."""
    matcher = Matcher(
        [
            Indexed("drum", "Drum", ()),
            Indexed("drum-dbr", "Drum (DBR)", ("drum-buffer-rope drum",)),
            Indexed("tachograph", "Tachograph", ()),
            Indexed("digital-thread", "Digital thread", ()),
        ]
    )
    steel = matcher.resolve("steel drum")
    assert steel.match is None and [m.slug for m in steel.suggestions][:1] == ["drum"]
    digital = matcher.resolve("digital tachograph")
    assert digital.match is None and [m.slug for m in digital.suggestions][:1] == ["tachograph"]
    assert matcher.resolve("drum").match is not None and matcher.resolve("drum").match.slug == "drum"


def test_an_edition_year_after_a_name_finds_the_term_unless_the_year_is_part_of_a_name():
    matcher = Matcher(
        [
            Indexed("incoterms", "Incoterms", ()),
            Indexed("iso-9001", "ISO 9001", ()),
            Indexed("imo-2020", "IMO 2020", ()),
            Indexed("international-maritime-organization", "International Maritime Organization", ("IMO",)),
        ]
    )
    for query, slug in [
        ("Incoterms 2020", "incoterms"),
        ("ISO 9001:2015", "iso-9001"),
        ("iso 9001 2015 definition", "iso-9001"),
        ("IMO 2020", "imo-2020"),
        ("imo", "international-maritime-organization"),
    ]:
        found = matcher.resolve(query).match
        assert found is not None and found.slug == slug, query


def test_a_real_word_in_place_of_a_names_word_asks_instead_of_answering():
    """'arrival date' is not a typo for 'Arrival rate', nor 'unplanned order' for 'Planned order'."""
    matcher = Matcher(
        [
            Indexed("arrival-rate", "Arrival rate", ()),
            Indexed("promise-date", "Promise date", ()),
            Indexed("planned-order", "Planned order", ()),
            Indexed("unplanned-issue", "Unplanned issue", ()),
            Indexed("1-10-100-rule", "1-10-100 rule", ()),
            Indexed("lot-size", "Lot size", ()),
            Indexed("transfer-batch", "Transfer batch", ("transfer batch sizes",)),
        ]
    )
    for query, suggested in [("arrival date", "arrival-rate"), ("unplanned order", "planned-order")]:
        found = matcher.resolve(query)
        assert found.match is None, query
        assert suggested in [m.slug for m in found.suggestions], query
    assert matcher.resolve("arival rate").match.slug == "arrival-rate"  # a typo is still corrected
    assert matcher.resolve("what is a 1-10-100 rule?").match.slug == "1-10-100-rule"  # "a 1" is no acronym
    assert matcher.resolve("Lot sizes").match.slug == "lot-size"  # an inflected word is the same word
