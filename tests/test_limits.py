"""Whatever text arrives, what the bot builds stays inside Discord's limits."""

from __future__ import annotations

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.cards import TermCard, term_card
from bot.core.glossary import Term
from bot.exts._ui import clip, quote_user_text, term_embed, term_view

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
