"""Export the glossary (bundled, a server's own, or both) and a learner's deck as CSV, JSON or an Anki deck."""

from __future__ import annotations

import hashlib
import html
import tempfile
from collections.abc import Sequence
from pathlib import Path

import genanki  # type: ignore[import-untyped]

from bot.core.exchange import Entry, to_csv, to_json
from bot.core.glossary import Term
from bot.db.repositories import StudyRepository
from bot.services.glossary import GlossaryService

FORMATS = ("csv", "json", "anki")
SCOPES = ("bundled", "server", "all")
_CSS = ".card { font-family: sans-serif; font-size: 18px; text-align: left; } .name { font-size: 26px; }"


def stable_id(key: str) -> int:
    """Return a stable 31-bit id for a key, so re-importing a deck updates it instead of duplicating it."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") >> 1 | 1 << 30


MODEL = genanki.Model(
    stable_id("termiknowledge:model:term:v1"),
    "TermiKnowledge term",
    fields=[{"name": "Slug"}, {"name": "Name"}, {"name": "Definition"}, {"name": "Example"}, {"name": "Module"}],
    templates=[
        {
            "name": "Term → definition",
            "qfmt": '<div class="name">{{Name}}</div>',
            "afmt": "{{FrontSide}}<hr id=answer>{{Definition}}<br><br><i>{{Example}}</i><br><small>{{Module}}</small>",
        }
    ],
    css=_CSS,
    sort_field_index=1,
)


def note_guid(term: Term, guild_id: int | None) -> str:
    """Return a note's stable guid: the same term in the same place is the same note on every export."""
    place = f"server:{guild_id}" if guild_id is not None else "bundled"
    return str(genanki.guid_for("termiknowledge", place, term.slug))


def apkg_bytes(entries: Sequence[Entry], deck_name: str, deck_key: str, guild_id: int | None = None) -> bytes:
    """Build an Anki package (.apkg) with one note per term; ids are derived from `deck_key` and slugs."""
    deck = genanki.Deck(stable_id(f"termiknowledge:deck:{deck_key}"), deck_name)
    for entry in entries:
        term = entry.term
        where = guild_id if entry.source == "server" else None
        fields = [term.slug, html.escape(term.name), html.escape(term.definition), html.escape(term.example),
                  html.escape(term.module)]  # fmt: skip
        deck.add_note(genanki.Note(model=MODEL, fields=fields, guid=note_guid(term, where), tags=[_tag(term.module)]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deck.apkg"
        genanki.Package(deck).write_to_file(str(path), timestamp=0.0)
        return path.read_bytes()


def render(fmt: str, entries: Sequence[Entry], deck_name: str, deck_key: str, guild_id: int | None = None) -> bytes:
    """Render entries in one of FORMATS."""
    if fmt == "csv":
        return to_csv(entries).encode("utf-8")
    if fmt == "json":
        return to_json(entries).encode("utf-8")
    if fmt == "anki":
        return apkg_bytes(entries, deck_name, deck_key, guild_id)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def extension(fmt: str) -> str:
    """Return the file extension of a format."""
    return {"csv": "csv", "json": "json", "anki": "apkg"}[fmt]


def glossary_entries(glossary: GlossaryService, scope: str, guild_id: int | None) -> list[Entry]:
    """Return the terms of a scope: the bundled glossary, a server's own terms, or both (server text wins)."""
    own = glossary.server_terms(guild_id) if guild_id is not None else []
    if scope == "server":
        return [Entry(t.term, "server") for t in own]
    bundled = [Entry(t) for t in glossary.syllabus()]
    if scope == "bundled":
        return bundled
    overrides = {t.term.slug: t.term for t in own if t.overrides}
    merged = [Entry(overrides[e.term.slug], "server") if e.term.slug in overrides else e for e in bundled]
    return merged + [Entry(t.term, "server") for t in own if not t.overrides]


async def deck_entries(
    db: StudyRepository, glossary: GlossaryService, user_id: int, guild_id: int | None
) -> list[Entry]:
    """Return the terms in a learner's deck (as this server shows them), in the order they were added."""
    entries = []
    for card in await db.study_cards(user_id):
        term = glossary.get(card.slug, guild_id)
        if term is not None:
            own = glossary.server_term(card.slug, guild_id) if guild_id is not None else None
            entries.append(Entry(term, "server" if own is not None else "bundled"))
    return entries


def _tag(module: str) -> str:
    return "termiknowledge::" + "_".join("".join(c if c.isalnum() else " " for c in module).split())
