"""The `termiknowledge` command: run the bot, or use the glossary offline."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot import cli_exchange
from bot.config import ConfigError, Settings, load_settings
from bot.core.cards import card_text
from bot.core.glossary import GlossaryError, load_glossary
from bot.core.modules import MODULES
from bot.core.normalize import scrub
from bot.db import DatabaseError
from bot.db.storage import describe, open_storage
from bot.doctor import Report, check_channels, check_configuration, check_database
from bot.services.glossary import GlossaryService
from bot.site.urls import is_site_url

NO_TOKEN_HELP = """\
TermiKnowledge needs a Discord bot token to connect, and none was found.

To get one: open https://discord.com/developers/applications, create an application,
open its "Bot" page, press "Reset Token" and copy the token. Put it in a file named
.env in the folder you run the bot from (see .env.example), as DISCORD_TOKEN=<token>,
or export DISCORD_TOKEN in your shell. Then invite the bot with the "bot" and
"applications.commands" scopes (the README lists the permissions) and run
`termiknowledge run` again.

No token? The glossary works offline too:
  termiknowledge term backlog
  termiknowledge search "safety stock"
"""

BAD_TOKEN_HELP = """\
Discord rejected the token in DISCORD_TOKEN. It may be mistyped, revoked or reset.
Open https://discord.com/developers/applications, choose your application, open "Bot",
press "Reset Token", and put the new token in .env as DISCORD_TOKEN=<token>.
The offline commands (`termiknowledge term ...`, `termiknowledge search ...`) work meanwhile.
"""


@asynccontextmanager
async def _glossary(settings: Settings) -> AsyncIterator[GlossaryService]:
    """Open the database, load the glossary, and close the database afterwards."""
    db = await open_storage(settings)
    try:
        service, report = await GlossaryService.load(db, settings.glossary_dir, site_url=settings.site_url)
        for problem in report.problems[:10]:
            print(f"warning: {problem}", file=sys.stderr)
        yield service
    finally:
        await db.close()


async def _term(settings: Settings, query: str) -> int:
    async with _glossary(settings) as service:
        resolution = service.resolve(query)
        service.record(query, resolution)
        await service.flush_stats()
        if resolution.match is not None:
            term = service.get(resolution.match.slug)
            assert term is not None
            print(card_text(service.card(term)))
            return 0
        if resolution.suggestions:
            print(f"No exact match for {query.strip()[:100]!r}. Did you mean:")
            for match in resolution.suggestions:
                print(f"  - {match.name}")
            return 1
        print(f"No term matches {query.strip()[:100]!r}. Try: termiknowledge search {query.strip()[:40]!r}")
        return 1


async def _search(settings: Settings, text: str) -> int:
    async with _glossary(settings) as service:
        hits, total = await service.search(text, page=0, per_page=10)
        if not hits:
            print(f"Nothing in the glossary mentions {text.strip()[:100]!r}.")
            return 1
        print(f"{total} result(s) for {text.strip()[:100]!r}" + (", showing the first 10:" if total > 10 else ":"))
        for hit in hits:
            print(f"  - {hit.name}: {hit.snippet.replace('**', '')}")
        return 0


async def _stats(settings: Settings) -> int:
    async with _glossary(settings) as service:
        counts = service.module_counts()
        lookups, misses = await service.db.lookup_counts()
        print(f"Database: {describe(settings)}")
        print(f"Terms: {len(service)} in {sum(1 for c in counts.values() if c)} modules")
        print(f"Lookups: {lookups}   Misses: {misses}")
        top = await service.db.top_misses(10)
        if top:
            print("Most frequent misses (terms learners looked for and did not find):")
            for query, count in top:
                print(f"  {count:5d}  {query}")
        return 0


def _validate(settings: Settings) -> int:
    try:
        terms = load_glossary(settings.glossary_dir)
    except GlossaryError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    counts = dict.fromkeys(MODULES, 0)
    for term in terms:
        counts[term.module] += 1
    for number, (module, count) in enumerate(counts.items(), start=1):
        print(f"{number:2d}. {module:<45} {count:5d}")
    print(f"OK: {len(terms)} terms in {sum(1 for c in counts.values() if c)} modules")
    return 0


def _site(settings: Settings, out_dir: Path, base_url: str | None) -> int:
    from bot.site.build import SiteError, build_site  # Jinja2 is imported only to build the site

    base = base_url or settings.site_url
    if base is not None and not is_site_url(base):
        print(f"--base-url must be an http:// or https:// address, got {base!r}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    terms = load_glossary(settings.glossary_dir)
    try:
        report = build_site(terms, out_dir, base)
    except SiteError as exc:
        print(exc, file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    print(
        f"Wrote {report.pages} pages ({report.files} files, {report.total_bytes / 1e6:.1f} MB; "
        f"search index {report.index_bytes / 1e3:.0f} kB) to {out_dir} in {seconds:.1f} s"
    )
    if base is None:
        print(
            "No --base-url or SITE_URL given: canonical links and the sitemap use root-relative addresses.\n"
            "Pass the address the folder will be published at for absolute ones.",
            file=sys.stderr,
        )
    print(f"Preview: python3 -m http.server --directory {out_dir} 8000, then open http://127.0.0.1:8000/")
    return 0


def _doctor(settings: Settings) -> int:
    report = Report()
    check_configuration(settings, report)
    channels = check_database(settings, report)
    if channels and settings.token:
        asyncio.run(_doctor_discord(settings, channels, report))
    elif channels:
        report.note("set DISCORD_TOKEN to also check the bot's permissions in these channels")
    print("\n".join(report.lines))
    print(f"{report.problems} problem(s) found" if report.problems else "All good.")
    return 1 if report.problems else 0


async def _doctor_discord(settings: Settings, channels: list[tuple[int, int, bool]], report: Report) -> None:
    import discord  # only the doctor's Discord check needs the client library
    from discord.http import Route

    from bot.exts._totd_delivery import missing_permissions

    if settings.api_base:
        Route.BASE = settings.api_base
    async with discord.Client(intents=discord.Intents.none()) as client:
        try:
            await client.login(settings.token or "")
        except discord.LoginFailure:
            report.problem("Discord rejected DISCORD_TOKEN")
            return
        except (discord.HTTPException, OSError) as exc:
            report.problem(f"cannot reach Discord: {exc}")
            return
        assert client.user is not None

        async def fetch(kind: str, ident: int, guild_id: int | None) -> Any:
            try:
                if kind == "guild":
                    return await client.http.get_guild(ident)
                if kind == "member":
                    assert guild_id is not None
                    return await client.http.get_member(guild_id, ident)
                return await client.http.get_channel(ident)
            except discord.NotFound:
                raise LookupError(f"the {kind} is gone (deleted, or the bot was removed)") from None
            except discord.Forbidden:
                raise LookupError(f"Discord refuses to show the {kind}: the bot has no access") from None

        def lacking(value: int, threads: bool) -> list[str]:
            return missing_permissions(discord.Permissions(value), threads=threads)

        await check_channels(channels, fetch, client.user.id, lacking, report)


async def _prepare(settings: Settings) -> None:
    async with _glossary(settings) as service:
        terms = len(service)
    print(f"Glossary ready: {terms} terms in {describe(settings)}", file=sys.stderr)


async def _migrate_db(source: str, target: str, overwrite: bool) -> int:
    from bot.db.postgres import redacted
    from bot.db.transfer import migrate_db

    started = time.perf_counter()
    copied = await migrate_db(source, target, overwrite=overwrite)
    for table in copied:
        print(f"  {table.table:<16} {table.rows:>9} rows")
    total = sum(table.rows for table in copied)
    print(
        f"Copied {total} rows in {len(copied)} tables to {redacted(target)} in {time.perf_counter() - started:.1f} s; "
        "row counts verified. Set DATABASE_URL to this address to use it."
    )
    return 0


def _run(settings: Settings) -> int:
    if settings.token is None:
        asyncio.run(_prepare(settings))  # first-start set-up happens even without a token
        print(NO_TOKEN_HELP, file=sys.stderr)
        return 2
    from bot.runner import TokenRejectedError, run  # discord.py is imported only to connect

    try:
        asyncio.run(run(settings))
    except TokenRejectedError:
        print(BAD_TOKEN_HELP, file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen sub-command."""
    parser = argparse.ArgumentParser(prog="termiknowledge", description="TermiKnowledge glossary bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="connect to Discord and run the bot (the default)")
    term = sub.add_parser("term", help="look a term up offline")
    term.add_argument("query", nargs="+")
    search = sub.add_parser("search", help="full-text search of the glossary offline")
    search.add_argument("text", nargs="+")
    sub.add_parser("validate", help="check the glossary source files")
    sub.add_parser("stats", help="show glossary size, lookups and the most frequent misses")
    sub.add_parser("doctor", help="check configuration, database, glossary and (with a token) channel permissions")
    site = sub.add_parser("site", help="write the glossary as a static web site")
    site.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="folder to write (emptied if an earlier build)")
    site.add_argument("--base-url", help="address the folder is published at (default: SITE_URL)")
    cli_exchange.add_parsers(sub)
    move = sub.add_parser("migrate-db", help="copy the SQLite database into PostgreSQL (to scale out)")
    move.add_argument("--from", dest="source", required=True, metavar="sqlite:///PATH", help="the SQLite file")
    move.add_argument("--to", dest="target", required=True, metavar="postgresql://...", help="the PostgreSQL database")
    move.add_argument("--overwrite", action="store_true", help="replace the contents of a PostgreSQL database in use")
    # Arguments that are not valid UTF-8 arrive with lone surrogates; show them as U+FFFD instead of crashing.
    args = parser.parse_args([scrub(arg) for arg in (sys.argv[1:] if argv is None else argv)])
    try:
        settings = load_settings()
        if args.command == "validate":
            return _validate(settings)
        if args.command == "doctor":
            return _doctor(settings)
        if args.command == "site":
            return _site(settings, args.out_dir, args.base_url)
        if args.command == "term":
            return asyncio.run(_term(settings, " ".join(args.query)))
        if args.command == "search":
            return asyncio.run(_search(settings, " ".join(args.text)))
        if args.command == "stats":
            return asyncio.run(_stats(settings))
        if args.command in ("gaps", "export", "import"):
            return asyncio.run(cli_exchange.run(settings, args))
        if args.command == "migrate-db":
            return asyncio.run(_migrate_db(args.source, args.target, args.overwrite))
        return _run(settings)
    except ConfigError as exc:
        print(f"Configuration problem: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"Database problem: {exc}", file=sys.stderr)
        return 2
    except GlossaryError as exc:
        print(f"The glossary could not be loaded and there is no earlier copy to fall back on.\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
