"""Glossary entries in and out: CSV, JSON and data/glossary TOML, parsed back and compared (no Discord)."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.core.glossary import Term
from bot.core.modules import MODULES

COLUMNS = ("slug", "name", "module", "definition", "example", "aliases", "related", "source")
ALIAS_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class Entry:
    """One exported term: the term, and where it comes from ("bundled", or "server" for a server's own)."""

    term: Term
    source: str = "bundled"


class ExchangeError(ValueError):
    """A file to import is not a glossary export; the message says where."""


def to_csv(entries: Iterable[Entry]) -> str:
    """Write entries as CSV with a header; aliases and related slugs joined with "; "."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        t = entry.term
        writer.writerow(
            [t.slug, t.name, t.module, t.definition, t.example, ALIAS_SEPARATOR.join(t.aliases),
             ALIAS_SEPARATOR.join(t.related), entry.source]
        )  # fmt: skip
    return out.getvalue()


def from_csv(text: str) -> list[Entry]:
    """Read entries written by `to_csv`."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or tuple(reader.fieldnames[: len(COLUMNS)]) != COLUMNS:
        raise ExchangeError(f"the CSV header must be {','.join(COLUMNS)}")
    entries = []
    for number, row in enumerate(reader, start=2):
        if any(row.get(column) is None for column in COLUMNS):
            raise ExchangeError(f"line {number}: missing columns")
        entries.append(
            Entry(
                Term(
                    slug=row["slug"],
                    name=row["name"],
                    module=row["module"],
                    definition=row["definition"],
                    example=row["example"],
                    aliases=_split(row["aliases"]),
                    related=_split(row["related"]),
                ),
                row["source"] or "bundled",
            )
        )
    return entries


def to_json(entries: Iterable[Entry]) -> str:
    """Write entries as a JSON array of objects."""
    rows = [
        {
            "slug": e.term.slug,
            "name": e.term.name,
            "module": e.term.module,
            "definition": e.term.definition,
            "example": e.term.example,
            "aliases": list(e.term.aliases),
            "related": list(e.term.related),
            "source": e.source,
        }
        for e in entries
    ]
    return json.dumps({"format": "termiknowledge-glossary", "version": 1, "terms": rows}, ensure_ascii=False, indent=1)


def from_json(text: str) -> list[Entry]:
    """Read entries written by `to_json`."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExchangeError(f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != "termiknowledge-glossary":
        raise ExchangeError("not a TermiKnowledge glossary export (no format marker)")
    entries = []
    for index, row in enumerate(doc.get("terms", []), start=1):
        try:
            term = Term(
                slug=str(row["slug"]),
                name=str(row["name"]),
                module=str(row["module"]),
                definition=str(row["definition"]),
                example=str(row.get("example", "")),
                aliases=tuple(str(a) for a in row.get("aliases", [])),
                related=tuple(str(r) for r in row.get("related", [])),
            )
        except (KeyError, TypeError) as exc:
            raise ExchangeError(f"term #{index}: missing or malformed field {exc}") from exc
        entries.append(Entry(term, str(row.get("source", "bundled"))))
    return entries


def to_toml(terms: Sequence[Term], name_of: Callable[[str], str | None]) -> dict[str, str]:
    """Write terms as data/glossary TOML, one text per module file name ("02-….toml"), ready for a pull request.

    Related terms are written by name, as the source files hold them; a term with fewer than two
    gets a reminder comment, since the validator asks for 2-5.
    """
    by_module: dict[str, list[Term]] = {}
    for term in terms:
        by_module.setdefault(term.module, []).append(term)
    files = {}
    for module, chunk in by_module.items():
        number = MODULES.index(module) + 1 if module in MODULES else 0
        lines = [f"module = {_q(module)}", ""]
        for term in chunk:
            lines += ["[[terms]]", f"name = {_q(term.name)}"]
            if term.aliases:
                lines.append("aliases = [" + ", ".join(_q(a) for a in term.aliases) + "]")
            lines.append(f"definition = {_q(term.definition)}")
            if term.example:
                lines.append(f"example = {_q(term.example)}")
            related = [name for slug in term.related if (name := name_of(slug)) is not None]
            if len(related) < 2:
                lines.append("# TODO before merging: name 2-5 related terms")
            lines += ["related = [" + ", ".join(_q(r) for r in related) + "]", ""]
        slug = module.lower().replace("&", "and")
        stem = "-".join("".join(c if c.isalnum() else " " for c in slug).split())
        files[f"{number:02d}-{stem}.toml"] = "\n".join(lines)
    return files


def from_toml(text: str) -> list[Entry]:
    """Read one data/glossary TOML file's entries (related stay as names; the loader links them)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExchangeError(f"not valid TOML: {exc}") from exc
    module = str(doc.get("module", ""))
    entries = []
    for row in doc.get("terms", []):
        name = str(row.get("name", ""))
        entries.append(
            Entry(
                Term(
                    slug=str(row.get("id", "")),
                    name=name,
                    module=module,
                    definition=" ".join(str(row.get("definition", "")).split()),
                    example=str(row.get("example", "")).strip(),
                    aliases=tuple(str(a) for a in row.get("aliases", [])),
                    related=tuple(str(r) for r in row.get("related", [])),
                )
            )
        )
    return entries


@dataclass(frozen=True, slots=True)
class Change:
    """One line of an import's dry run."""

    kind: str  # "add", "change" or "same"
    slug: str
    name: str
    fields: tuple[str, ...] = ()  # what changes, for "change"


def diff(current: Iterable[Term], incoming: Iterable[Term]) -> list[Change]:
    """Compare incoming terms with the current ones by slug: what would be added or changed."""
    now = {t.slug: t for t in current}
    changes = []
    for term in incoming:
        old = now.get(term.slug)
        if old is None:
            changes.append(Change("add", term.slug, term.name))
            continue
        fields = tuple(
            name
            for name in ("name", "module", "definition", "example", "aliases", "related")
            if getattr(old, name) != getattr(term, name)
        )
        changes.append(Change("change" if fields else "same", term.slug, term.name, fields))
    return changes


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string
