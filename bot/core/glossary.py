"""Read and check the glossary source files in `data/glossary/`."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.ids import SLUG_MAX, is_slug
from bot.core.modules import MODULES
from bot.core.normalize import normalize, slugify

# Limits that keep every entry comfortably inside Discord's embed limits.
NAME_MAX = 100  # an autocomplete choice name is at most 100 characters
ALIAS_MAX = 100
DEFINITION_MIN_WORDS = 12
DEFINITION_MAX_WORDS = 130
DEFINITION_MAX = 1000
EXAMPLE_MAX = 1000
RELATED_MIN = 2
RELATED_MAX = 5
ALIASES_MAX = 12
_ALLOWED_KEYS = {"id", "name", "aliases", "definition", "example", "related"}
_Bad = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Term:
    """One glossary entry, with related terms resolved to slugs."""

    slug: str
    name: str
    module: str
    definition: str
    example: str = ""
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason the glossary source cannot be loaded."""

    file: str
    entry: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}" if self.entry else self.file
        return f"{where}: {self.reason}"


class GlossaryError(Exception):
    """The glossary source is malformed; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in the glossary:\n{shown}{more}")


@dataclass(slots=True)
class _Draft:
    file: str
    slug: str
    name: str
    module: str
    definition: str
    example: str
    aliases: list[str]
    related: list[str] = field(default_factory=list)


def source_files(directory: Path) -> list[Path]:
    """Return the glossary source files in load order."""
    return sorted(directory.glob("*.toml"))


def content_hash(files: Iterable[Path]) -> str:
    """Return a hash of the names and bytes of the source files."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def load_glossary(directory: Path) -> list[Term]:
    """Parse and check every source file; raise GlossaryError listing all problems."""
    files = source_files(directory)
    problems: list[Problem] = []
    if not files:
        raise GlossaryError([Problem(str(directory), "", "no *.toml glossary files found")])
    drafts: list[_Draft] = []
    for path in files:
        drafts.extend(_read_file(path, problems))
    terms = _link(drafts, problems)
    if problems:
        raise GlossaryError(problems)
    return terms


def _read_file(path: Path, problems: list[Problem]) -> list[_Draft]:
    name = path.name
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(name, "", f"not valid TOML: {exc}"))
        return []
    module = doc.get("module")
    if module not in MODULES:
        problems.append(Problem(name, "", f"`module` must be one of the 30 module names, got {module!r}"))
        return []
    prefix = f"{MODULES.index(module) + 1:02d}-"
    if not name.startswith(prefix):
        problems.append(Problem(name, "", f"file name should start with {prefix!r} for module {module!r}"))
    extra = set(doc) - {"module", "terms"}
    if extra:
        problems.append(Problem(name, "", f"unknown top-level keys: {', '.join(sorted(extra))}"))
    entries = doc.get("terms", [])
    if not isinstance(entries, list):
        problems.append(Problem(name, "", "`terms` must be an array of tables ([[terms]])"))
        return []
    drafts = []
    for index, entry in enumerate(entries, start=1):
        draft = _read_entry(name, module, index, entry, problems)
        if draft is not None:
            drafts.append(draft)
    return drafts


def _read_entry(file: str, module: str, index: int, entry: object, problems: list[Problem]) -> _Draft | None:
    label = f"entry #{index}"
    if not isinstance(entry, dict):
        problems.append(Problem(file, label, "entry must be a table"))
        return None
    raw_name = entry.get("name")
    if isinstance(raw_name, str) and raw_name.strip():
        label = f"entry #{index} ({raw_name.strip()!r})"
    before = len(problems)

    def bad(reason: str) -> None:
        problems.append(Problem(file, label, reason))

    unknown = set(entry) - _ALLOWED_KEYS
    if unknown:
        bad(f"unknown keys: {', '.join(sorted(unknown))}")
    name = _text(entry, "name", bad, required=True)
    definition = _text(entry, "definition", bad, required=True)
    example = _text(entry, "example", bad, required=False)
    aliases = _text_list(entry, "aliases", bad)
    related = _text_list(entry, "related", bad)
    slug = _text(entry, "id", bad, required=False) or slugify(name)
    if name and not is_slug(slug):
        source = f"id {slug!r}" if "id" in entry else f"the id made from the name ({slug!r})"
        bad(
            f"{source} must be 1-{SLUG_MAX} lowercase letters, digits and inner hyphens, "
            "to fit Discord's button ids; give a shorter `id`"
        )
    if name and len(name) > NAME_MAX:
        bad(f"name is {len(name)} characters; at most {NAME_MAX}")
    if name and not normalize(name):
        bad("name has no letters or digits")
    for alias in aliases:
        if len(alias) > ALIAS_MAX:
            bad(f"alias {alias!r} is longer than {ALIAS_MAX} characters")
        elif not normalize(alias):
            bad(f"alias {alias!r} has no letters or digits")
    if len(aliases) > ALIASES_MAX:
        bad(f"{len(aliases)} aliases; at most {ALIASES_MAX}")
    if definition:
        words = len(definition.split())
        if not DEFINITION_MIN_WORDS <= words <= DEFINITION_MAX_WORDS:
            bad(f"definition has {words} words; write {DEFINITION_MIN_WORDS}-{DEFINITION_MAX_WORDS}")
        if len(definition) > DEFINITION_MAX:
            bad(f"definition is {len(definition)} characters; at most {DEFINITION_MAX}")
        if name and normalize(definition).startswith(normalize(name) + " "):
            bad("definition starts with the term itself; start with what the thing is")
    if len(example) > EXAMPLE_MAX:
        bad(f"example is {len(example)} characters; at most {EXAMPLE_MAX}")
    if not RELATED_MIN <= len(related) <= RELATED_MAX:
        bad(f"{len(related)} related terms; give {RELATED_MIN}-{RELATED_MAX}")
    if len(problems) > before:
        return None
    return _Draft(file, slug, name, module, definition, example, aliases, related)


def _text(entry: dict[str, object], key: str, bad: _Bad, *, required: bool) -> str:
    value = entry.get(key)
    if value is None:
        if required:
            bad(f"missing `{key}`")
        return ""
    if not isinstance(value, str):
        bad(f"`{key}` must be a string")
        return ""
    value = " ".join(value.split()) if key != "example" else value.strip()
    if required and not value:
        bad(f"`{key}` is empty")
    return value


def _text_list(entry: dict[str, object], key: str, bad: _Bad) -> list[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        bad(f"`{key}` must be a list of strings")
        return []
    return [" ".join(item.split()) for item in value]


def _link(drafts: list[_Draft], problems: list[Problem]) -> list[Term]:
    """Check uniqueness across the glossary and resolve related names to slugs."""
    owner: dict[str, _Draft] = {}
    slugs: dict[str, _Draft] = {}
    for draft in drafts:
        if draft.slug in slugs:
            other = slugs[draft.slug]
            problems.append(
                Problem(draft.file, draft.name, f"id {draft.slug!r} is also used by {other.name!r} in {other.file}")
            )
        slugs[draft.slug] = draft
        keys = [(draft.name, "name")] + [(alias, "alias") for alias in draft.aliases]
        seen_here: set[str] = set()
        for text, kind in keys:
            key = normalize(text)
            if key in seen_here:
                problems.append(
                    Problem(draft.file, draft.name, f"{kind} {text!r} repeats another name or alias of the same term")
                )
                continue
            seen_here.add(key)
            if key in owner:
                other = owner[key]
                problems.append(
                    Problem(draft.file, draft.name, f"{kind} {text!r} collides with {other.name!r} in {other.file}")
                )
                continue
            owner[key] = draft
    terms = []
    for draft in drafts:
        related: list[str] = []
        for text in draft.related:
            target = owner.get(normalize(text))
            if target is None:
                problems.append(Problem(draft.file, draft.name, f"related term {text!r} is not in the glossary"))
            elif target is draft:
                problems.append(Problem(draft.file, draft.name, f"related term {text!r} is the term itself"))
            elif target.slug in related:
                problems.append(Problem(draft.file, draft.name, f"related term {text!r} is listed twice"))
            else:
                related.append(target.slug)
        terms.append(
            Term(
                slug=draft.slug,
                name=draft.name,
                module=draft.module,
                definition=draft.definition,
                example=draft.example,
                aliases=tuple(draft.aliases),
                related=tuple(related),
            )
        )
    return terms
