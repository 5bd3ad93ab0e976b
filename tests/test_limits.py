"""Whatever text arrives, what the bot builds stays inside Discord's limits."""

from __future__ import annotations

import re
from datetime import date

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.cards import TermCard, term_card
from bot.core.glossary import Term
from bot.core.ids import NONCE_MAX, post_nonce
from bot.exts._ui import clip, quote_user_text, term_embed, term_view
from tests.fakediscord.schema import load_spec

text = st.text(min_size=1, max_size=5000)


class _Glossary:
    def __init__(self, terms: dict[str, Term]) -> None:
        self.terms = terms

    def get(self, slug: str) -> Term | None:
        return self.terms.get(slug)

    def card(self, term: Term) -> TermCard:
        return term_card(term, lambda slug: self.terms[slug].name if slug in self.terms else None)


@settings(max_examples=150, deadline=None)
@given(
    name=text,
    definition=text,
    example=st.text(max_size=5000),
    aliases=st.lists(st.text(min_size=1, max_size=300), max_size=30),
    heading=st.none() | text,
)
def test_term_embed_fits_any_content(name, definition, example, aliases, heading):
    related = {f"r{i}": Term(f"r{i}", "R" * 300, "Lean", "d") for i in range(5)}
    term = Term("slug", name, "Lean", definition, example, tuple(aliases), tuple(related))
    embed = term_embed(term, _Glossary(related), heading=heading)  # type: ignore[arg-type]
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.value or "") <= 1024 and len(f.name or "") <= 256 for f in embed.fields)
    view = term_view(term, _Glossary(related))  # type: ignore[arg-type]
    assert len(view.children) == 6  # five related terms, then "Add to my deck"
    for item in view.children:
        button = item.item if isinstance(item, discord.ui.DynamicItem) else item
        assert isinstance(button, discord.ui.Button)
        assert len(button.label or "") <= 80 and len(button.custom_id or "") <= 100


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_echoed_user_text_cannot_ping_or_format(raw: str):
    shown = quote_user_text(raw)
    assert len(shown) <= 200  # 100 characters, each escaped at most once
    assert "@everyone" not in shown and "@here" not in shown
    for mark in ("**", "__", "~~", "`"):
        assert mark not in shown.replace("\\" + mark[0], "")


def test_clip():
    assert clip("abc", 5) == "abc"
    assert clip("abcdef", 5) == "abcd…"


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200).filter(lambda t: t.split()), st.integers(0, 9999))
def test_search_page_ids_fit_discord_counting_utf16_and_parse_back(text: str, page: int):
    from bot.core.ids import utf16_len
    from bot.exts.glossary import SearchPageButton

    button = SearchPageButton(text, page)
    assert utf16_len(button.custom_id) <= 100
    match = re.fullmatch(SearchPageButton.__discord_ui_compiled_template__, button.custom_id)  # type: ignore[attr-defined]
    assert match is not None and int(match["page"]) == page


def test_an_emoji_query_is_cut_by_utf16_units_not_code_points():
    from bot.core.ids import clip_utf16, custom_id, utf16_len

    query = "🍕" * 92
    assert len(query) == 92 and utf16_len(query) == 184
    made = custom_id("tk:search:0:", query)
    assert utf16_len(made) <= 100 and made.endswith("🍕")
    assert clip_utf16("a🍕", 2) == "a"  # never half a surrogate pair


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('id = "' + "x" * 91 + '"', "must be 1-90"),
        ('id = "safety:stock"', "must be 1-90"),
        ('id = "Safety-Stock"', "must be 1-90"),
        ("", "the id made from the name"),
    ],
)
def test_ids_that_would_break_button_ids_fail_validation(tmp_path, entry: str, problem: str):
    from bot.core.glossary import GlossaryError, load_glossary
    from tests.conftest import FIXTURE_GLOSSARY, write_glossary

    files = dict(FIXTURE_GLOSSARY)
    long_name = "A very long term name " * 5
    name = long_name[:99] if not entry else "Safety stock long"
    files["22-lean.toml"] += f'''
        [[terms]]
        name = "{name.strip()}"
        {entry}
        definition = "A made-up entry whose id would not fit a button's custom id, used to test the validator only."
        related = ["Kanban", "Kaizen"]
    '''
    with pytest.raises(GlossaryError) as caught:
        load_glossary(write_glossary(tmp_path / "g", files))
    assert any(problem in str(p) for p in caught.value.problems), caught.value.problems


def test_the_daily_post_nonce_is_stable_distinct_and_fits_discord():
    day = date(2026, 11, 25)
    nonce = post_nonce(1234567890123456789, 987654321098765432, day)
    assert nonce == post_nonce(1234567890123456789, 987654321098765432, day)  # every attempt, process, restart
    others = {
        post_nonce(1234567890123456780, 987654321098765432, day),
        post_nonce(1234567890123456789, 987654321098765430, day),
        post_nonce(1234567890123456789, 987654321098765432, date(2026, 11, 26)),
    }
    assert nonce not in others and len(others) == 3
    assert len(nonce) <= NONCE_MAX
    spec = load_spec()
    if spec is not None:  # the string form Discord accepts for a message's nonce
        body = {"content": "x", "nonce": nonce, "enforce_nonce": True}
        assert spec.errors("post", "/channels/{channel_id}/messages", body) == []
        assert spec.errors("post", "/channels/{channel_id}/messages", {**body, "nonce": nonce + "xx"})
