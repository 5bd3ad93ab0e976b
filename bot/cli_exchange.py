"""`termiknowledge gaps`, `export` and `import`: the community glossary for maintainers, offline."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.core.exchange import Entry, ExchangeError, diff, from_csv, from_json, from_toml, to_toml
from bot.core.glossary import Term
from bot.core.ids import SLUG_MAX
from bot.core.normalize import slugify
from bot.core.overlay import ServerTerm, term_hash
from bot.core.suggestions import SuggestionError, draft_keys, find_duplicates, parse_draft
from bot.core.timezones import utc_now
from bot.db import Database
from bot.services.community import CommunityService
from bot.services.export import glossary_entries, render
from bot.services.glossary import GlossaryService

IMPORTER = 0  # approved_by for terms imported from a file (no Discord member)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the sub-commands."""
    gaps = sub.add_parser("gaps", help="the most frequent lookups that found nothing, per server")
    gaps.add_argument("--server", type=int, help="only this server id")
    gaps.add_argument("--days", type=int, help="only the last N days")
    gaps.add_argument("--limit", type=int, default=25)
    export = sub.add_parser("export", help="write the glossary as CSV, JSON, an Anki deck or data/ TOML")
    export.add_argument("--format", choices=("csv", "json", "anki", "toml"), required=True)
    export.add_argument("out", type=Path, metavar="OUT", help="file to write (a folder for toml)")
    export.add_argument("--server", type=int, help="a server's own terms (with toml: what to upstream)")
    export.add_argument("--scope", choices=("bundled", "server", "all"), help="default: server with --server")
    imp = sub.add_parser("import", help="load terms from a CSV/JSON/TOML file into a server (dry run first)")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--server", type=int, required=True, help="the server id whose terms to add or change")
    imp.add_argument("--apply", action="store_true", help="apply the changes (without it: only show them)")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one of the sub-commands."""
    async with await Database.open(settings.database_path) as db:
        glossary, _ = await GlossaryService.load(db, settings.glossary_dir)
        community = CommunityService(db, glossary, utc_now)
        await community.load()
        if args.command == "gaps":
            return await _gaps(community, args)
        if args.command == "export":
            return _export(glossary, args)
        return await _import(db, glossary, community, args)


async def _gaps(community: CommunityService, args: argparse.Namespace) -> int:
    found = await community.gaps(args.server, args.days, max(1, args.limit))
    if not found:
        print("No misses recorded" + (f" in server {args.server}" if args.server else "") + ".")
        return 0
    print(f"{'count':>6}  {'first seen':<10}  {'last seen':<16}  query")
    for gap in found:
        last = gap.last_seen.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if gap.last_seen else "?"
        print(f"{gap.count:6d}  {gap.first_day:<10}  {last:<16}  {gap.query}")
    return 0


def _export(glossary: GlossaryService, args: argparse.Namespace) -> int:
    scope = args.scope or ("server" if args.server else "bundled")
    if scope != "bundled" and args.server is None:
        print("--scope server/all needs --server ID", file=sys.stderr)
        return 2
    entries = glossary_entries(glossary, scope, args.server)
    if args.format == "toml":
        return _export_toml(glossary, [e.term for e in entries if e.source == "server"], args.out)
    key = f"server:{args.server}:{scope}" if args.server else "bundled"
    data = render(args.format, entries, "TermiKnowledge glossary", key, args.server)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"Wrote {len(entries)} terms to {args.out} ({len(data) / 1e3:.0f} kB)")
    return 0


def _export_toml(glossary: GlossaryService, terms: list[Term], out: Path) -> int:
    if not terms:
        print("That server has no approved terms to upstream.", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    files = to_toml(terms, lambda slug: t.name if (t := glossary.bundled(slug)) else None)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    print(f"Wrote {len(terms)} terms in {len(files)} file(s) to {out}; merge them into data/glossary/ "
          "(add related terms where marked) and run `termiknowledge validate`.")  # fmt: skip
    return 0


def read_entries(path: Path) -> list[Entry]:
    """Read an export by its extension."""
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return from_csv(text)
    if suffix == ".json":
        return from_json(text)
    if suffix == ".toml":
        return from_toml(text)
    raise ExchangeError(f"{path.name}: use a .csv, .json or .toml file")


async def _import(
    db: Database, glossary: GlossaryService, community: CommunityService, args: argparse.Namespace
) -> int:
    try:
        entries = read_entries(args.file)
        planned = plan_import(glossary, args.server, entries, utc_now())
    except (ExchangeError, SuggestionError, OSError) as exc:
        print(f"Cannot import {args.file}: {exc}", file=sys.stderr)
        return 2
    current = [glossary.get(t.term.slug, args.server) for t in planned]
    changes = diff([t for t in current if t is not None], [t.term for t in planned])
    for change in changes:
        detail = f" ({', '.join(change.fields)})" if change.fields else ""
        print(f"{change.kind:>6}  {change.slug}  {change.name}{detail}")
    counts = {kind: sum(c.kind == kind for c in changes) for kind in ("add", "change", "same")}
    print(f"{counts['add']} to add, {counts['change']} to change, {counts['same']} unchanged in server {args.server}")
    todo = [t for t, c in zip(planned, changes, strict=True) if c.kind != "same"]
    if not args.apply:
        print("Dry run: nothing was written. Run again with --apply to apply these changes in one transaction.")
        return 0
    try:
        await db.server_terms_import(args.server, [(t, draft_keys_of(t.term)) for t in todo])
    except SuggestionError as exc:
        print(f"Nothing was imported: {exc}", file=sys.stderr)
        return 1
    await community.load()
    print(f"Imported {len(todo)} term(s) into server {args.server}.")
    return 0


def draft_keys_of(term: Term) -> list[str]:
    """Return the unique name and alias keys of a term."""
    return draft_keys(parse_draft(term.name, term.definition, ", ".join(term.aliases), term.example, term.module))


def plan_import(glossary: GlossaryService, guild_id: int, entries: list[Entry], now: datetime) -> list[ServerTerm]:
    """Validate every entry like a suggestion (limits, no clash with another term); raise listing the first problems."""
    problems: list[str] = []
    planned: list[ServerTerm] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries, start=1):
        term = entry.term
        try:
            draft = parse_draft(term.name, term.definition, ", ".join(term.aliases), term.example, term.module)
        except SuggestionError as exc:
            problems.append(f"#{index} {term.name!r}: {exc}")
            continue
        slug = term.slug or glossary_slug(term.name)
        found = find_duplicates(replace(draft, target=slug), lambda q: glossary.resolve(q, guild_id), {})
        if found.exact:
            clashes = ", ".join(f"{text!r} belongs to {name!r}" for text, _, name in found.exact)
            problems.append(f"#{index} {term.name!r}: {clashes}")
        for key in draft_keys(draft):
            if seen.setdefault(key, slug) != slug:
                problems.append(f"#{index} {term.name!r}: {key!r} repeats another entry of the file")
        bundled = glossary.bundled(slug)
        related = tuple(r for r in term.related if glossary.get(r, guild_id) is not None)
        final = Term(slug, draft.name, draft.module, draft.definition, draft.example, draft.aliases, related)
        planned.append(ServerTerm(guild_id, final, bundled is not None, None, IMPORTER, now,
                                  term_hash(bundled) if bundled else ""))  # fmt: skip
    if problems:
        raise SuggestionError(f"{len(problems)} problem(s): " + " | ".join(problems[:10]))
    return planned


def glossary_slug(name: str) -> str:
    """Return the id a name gets."""
    return slugify(name)[:SLUG_MAX].strip("-")
