"""The term card as a view model: what every rendering of a term shows (embed, CLI, review, quiz, web)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.glossary import Term
from bot.core.modules import module_number


@dataclass(frozen=True, slots=True)
class TermCard:
    """A term ready to render: plain text, no markup, not yet cut to any limit."""

    slug: str
    name: str
    definition: str
    example: str | None
    aliases: tuple[str, ...]
    module: str  # "7. Material Requirements Planning"
    related: tuple[tuple[str, str], ...]  # (slug, name) of the related terms still in the glossary
    url: str | None = None  # the term's page on the published web glossary, if there is one


def term_card(term: Term, name_of: Callable[[str], str | None], url: str | None = None) -> TermCard:
    """Build a term's card; `name_of` turns a related slug into a name (None when it left the glossary)."""
    related = tuple((slug, name) for slug in term.related if (name := name_of(slug)) is not None)
    return TermCard(
        slug=term.slug,
        name=term.name,
        definition=term.definition,
        example=term.example,
        aliases=term.aliases,
        module=f"{module_number(term.module)}. {term.module}",
        related=related,
        url=url,
    )


def card_text(card: TermCard, width: int = 88) -> str:
    """Render a card as plain text for a terminal."""
    lines = [card.name, "=" * min(len(card.name), width), *textwrap.wrap(card.definition, width)]
    if card.example:
        lines += ["", "Example / formula:"]
        lines += textwrap.wrap(card.example, width, initial_indent="  ", subsequent_indent="  ")
    if card.aliases:
        lines += ["", "Also known as: " + ", ".join(card.aliases)]
    lines.append(f"Module: {card.module}")
    if card.related:
        lines.append("Related: " + ", ".join(name for _, name in card.related))
    if card.url:
        lines.append(f"Web: {card.url}")
    return "\n".join(lines)
