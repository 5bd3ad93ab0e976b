"""The site's page model, URL scheme and search index, on the small fixture glossary."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.core.glossary import Term, load_glossary
from bot.core.modules import MODULES
from bot.site.model import STOPWORDS, build_model, letter_of, search_index
from bot.site.urls import is_site_url, module_path, term_path, term_url
from tests.conftest import write_glossary


@pytest.fixture
def terms(tmp_path: Path) -> list[Term]:
    return load_glossary(write_glossary(tmp_path / "g"))


def test_term_url_joins_the_site_and_the_slug():
    assert term_url("https://example.org", "backlog") == "https://example.org/terms/backlog/"
    assert term_url("https://example.org/tk/", "backlog") == "https://example.org/tk/terms/backlog/"
    assert term_url(None, "backlog") is None
    assert term_url("", "backlog") is None
    assert term_url("  ", "backlog") is None


def test_term_url_and_page_path_agree_and_are_quoted():
    assert term_url("https://x.org", "a b/c") == "https://x.org/" + term_path("a b/c")
    assert term_path("a b/c") == "terms/a%20b%2Fc/"
    assert module_path("Demand Management") == "modules/08-demand-management/"
    assert module_path("Sales & Operations Planning") == "modules/05-sales-and-operations-planning/"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("https://example.org", True),
        ("http://127.0.0.1:8000/glossary/", True),
        ("ftp://example.org", False),
        ("example.org", False),
        ("https://", False),
        ("https://example.org/?q=1", False),
        ("https://example.org/#top", False),
        ("https://exa mple.org", False),
    ],
)
def test_site_url_validation(text: str, ok: bool):
    assert is_site_url(text) is ok


def test_settings_read_and_check_site_url():
    assert Settings.from_env({}).site_url is None
    assert Settings.from_env({"SITE_URL": " https://tk.example.org/ "}).site_url == "https://tk.example.org/"
    with pytest.raises(ConfigError, match="SITE_URL"):
        Settings.from_env({"SITE_URL": "tk.example.org"})


def test_slugs_are_stable_across_a_rename_with_id(terms: list[Term]):
    backlog = next(t for t in terms if t.slug == "backlog")
    renamed = replace(backlog, name="Order backlog (open orders)")
    model = build_model([renamed if t is backlog else t for t in terms])
    page = next(p for p in model.terms if p.term.slug == "backlog")
    assert page.path == "terms/backlog/"
    assert page.term.name == "Order backlog (open orders)"
    # Every page that links to the renamed term still links to the same path, under the new name.
    linking = [p for p in model.terms if "backlog" in p.term.related]
    assert linking
    for other in linking:
        assert any(
            link.path == "terms/backlog/" and link.name == "Order backlog (open orders)" for link in other.related
        )


def test_every_related_link_resolves_to_a_page(terms: list[Term]):
    model = build_model(terms)
    paths = {p.path for p in model.terms}
    for page in model.terms:
        assert len(page.related) == len(page.term.related)
        for link in page.related:
            assert link.path in paths


def test_dangling_related_slug_and_duplicate_slug_are_refused(terms: list[Term]):
    broken = [replace(terms[0], related=("no-such-term",)), *terms[1:]]
    with pytest.raises(ValueError, match="no-such-term"):
        build_model(broken)
    with pytest.raises(ValueError, match="share the slug"):
        build_model([*terms, terms[0]])


def test_previous_and_next_follow_syllabus_order(terms: list[Term]):
    model = build_model(terms)
    inventory = [p for p in model.terms if p.term.module == "All About Inventory"]
    assert [p.term.name for p in inventory] == ["Safety stock", "Safety lead time", "Inventory turnover"]
    assert inventory[0].previous is None
    assert inventory[0].next is not None and inventory[0].next.name == "Safety lead time"
    assert inventory[1].previous is not None and inventory[1].previous.name == "Safety stock"
    assert inventory[2].next is None


def test_modules_are_all_thirty_in_order_with_their_terms(terms: list[Term]):
    model = build_model(terms)
    assert [m.name for m in model.modules] == list(MODULES)
    assert [m.number for m in model.modules] == list(range(1, 31))
    by_name = {m.name: m for m in model.modules}
    assert [link.name for link in by_name["Order Quantities"].terms] == [
        "Economic order quantity",
        "Economic production quantity",
    ]
    assert by_name["Forecasting"].terms == ()
    assert sum(len(m.terms) for m in model.modules) == len(terms)


def test_letters_list_every_term_once_a_to_z(terms: list[Term]):
    model = build_model(terms)
    listed = [link.name for group in model.letters for link in group.terms]
    assert sorted(listed) == sorted(t.name for t in terms)
    assert [g.letter for g in model.letters] == ["B", "E", "I", "K", "M", "S"]
    assert [link.name for link in model.letters[-1].terms] == [
        "Safety lead time",
        "Safety stock",
        "Sales and operations planning",
    ]
    assert letter_of("5S") == "#"
    assert letter_of("Écart") == "E"


def test_pages_lists_index_modules_and_terms_without_repeats(terms: list[Term]):
    model = build_model(terms)
    pages = model.pages()
    assert pages[0] == ""
    assert len(pages) == len(set(pages)) == 1 + 30 + len(terms)
    assert all(re.fullmatch(r"(modules|terms)/[a-z0-9-]+/", p) for p in pages[1:])


def test_search_index_rows(terms: list[Term]):
    index = search_index(build_model(terms))
    assert index["stopwords"] == list(STOPWORDS)
    assert index["modules"] == list(MODULES)
    rows = {row[0]: row for row in index["terms"]}
    _, aliases, keys, words, module, slug = rows["Sales and operations planning"]
    assert aliases == "S&OP | SOP"
    assert "sop" in keys.split()  # `s&op` squeezed, as the bot's matcher does
    assert module == 5 and slug == "sales-and-operations-planning"
    # Definition words: folded, distinct, without stopwords or the name's own words.
    listed = words.split()
    assert "monthly" in listed and "executives" in listed
    assert len(listed) == len(set(listed))
    assert not set(listed) & {"and", "the", "sales", "planning", "a"}
    eoq = rows["Economic order quantity"]
    assert "eoq" in eoq[2].split() and "economiclotsize" in eoq[2].split()


def test_shipped_term_urls_do_not_move():
    """Links already shared must keep working: these addresses are the contract with the bot's cards."""
    from bot.config import default_glossary_dir

    slugs = {t.name: t.slug for t in load_glossary(default_glossary_dir())}
    base = "https://glossary.example.org"
    assert term_url(base, slugs["Economic order quantity"]) == f"{base}/terms/economic-order-quantity/"
    assert term_url(base, slugs["Sales and operations planning"]) == f"{base}/terms/sales-and-operations-planning/"
    assert term_url(base, slugs["Just-in-time"]) == f"{base}/terms/just-in-time/"
    assert term_url(base, slugs["ISO 9001"]) == f"{base}/terms/iso-9001/"
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) for slug in slugs.values())
