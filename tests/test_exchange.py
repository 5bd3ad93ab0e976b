"""Exports opened and read back (CSV, JSON, TOML, Anki .apkg), and the import/export/gaps CLI."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.exchange import Entry, ExchangeError, diff, from_csv, from_json, from_toml, to_csv, to_json, to_toml
from bot.core.glossary import Term, load_glossary
from bot.core.suggestions import Draft
from bot.db import Database
from bot.services.community import CommunityService
from bot.services.export import apkg_bytes, glossary_entries, stable_id
from bot.services.glossary import GlossaryService
from tests.conftest import write_glossary

GUILD, MEMBER, MOD = 11, 21, 31
DEFINITION = "An arrangement in which the supplier monitors the customer's stock and decides when to replenish it."
VMI = Draft("Vendor managed inventory", DEFINITION, "All About Inventory", ("VMI",))


def test_csv_and_json_parse_back_to_the_same_entries(service: GlossaryService):
    entries = glossary_entries(service, "bundled", None)
    assert len(entries) == len(service) == 10
    tricky = Entry(
        Term("x-1", 'Quote "and" comma, semi', "Lean", "Line\nbreak; and, commas", "é ✓", ("a", "b")), "server"
    )
    for rows in (entries, [*entries, tricky]):
        assert from_csv(to_csv(rows)) == rows
        assert from_json(to_json(rows)) == rows
    with pytest.raises(ExchangeError):
        from_json("[]")
    with pytest.raises(ExchangeError):
        from_csv("name,definition\nx,y\n")


def test_toml_is_in_the_data_glossary_format(service: GlossaryService, tmp_path: Path):
    terms = service.syllabus()
    files = to_toml(terms, lambda slug: t.name if (t := service.get(slug)) else None)
    assert "13-order-quantities.toml" in files and "05-sales-and-operations-planning.toml" in files
    folder = tmp_path / "roundtrip"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert load_glossary(folder) == terms  # the loader takes it back unchanged, related terms and all
    back = [e.term.name for name in sorted(files) for e in from_toml(files[name])]
    assert sorted(back) == sorted(t.name for t in terms)


def test_apkg_is_a_zip_with_a_collection_holding_the_notes(service: GlossaryService, tmp_path: Path):
    entries = glossary_entries(service, "bundled", None)
    data = apkg_bytes(entries, "TermiKnowledge glossary", "bundled")
    path = tmp_path / "deck.apkg"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as archive:
        assert "collection.anki2" in archive.namelist()
        archive.extract("collection.anki2", tmp_path)
    with sqlite3.connect(tmp_path / "collection.anki2") as conn:
        notes = conn.execute("SELECT guid, flds, tags FROM notes ORDER BY id").fetchall()
        decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
    assert len(notes) == len(entries)
    fields = {row[1].split("\x1f")[0]: row[1].split("\x1f") for row in notes}
    assert fields["economic-order-quantity"][1] == "Economic order quantity"
    assert fields["economic-order-quantity"][2].startswith("A fixed order size")
    assert str(stable_id("termiknowledge:deck:bundled")) in decks
    # Stable ids: a second export has the same deck id and note guids, so Anki updates instead of duplicating.
    again = tmp_path / "again"
    again.mkdir()
    with zipfile.ZipFile(__import__("io").BytesIO(apkg_bytes(entries, "renamed", "bundled"))) as archive:
        archive.extract("collection.anki2", again)
    with sqlite3.connect(again / "collection.anki2") as conn:
        assert sorted(r[0] for r in conn.execute("SELECT guid FROM notes")) == sorted(r[0] for r in notes)
        assert str(stable_id("termiknowledge:deck:bundled")) in json.loads(
            conn.execute("SELECT decks FROM col").fetchone()[0]
        )


async def test_all_scope_puts_server_text_over_the_bundled_one(db: Database, service: GlossaryService):
    community = CommunityService(db, service, lambda: datetime(2026, 12, 1, tzinfo=UTC))
    submitted = await community.submit(GUILD, MEMBER, VMI)
    await community.approve(submitted.suggestion.id, GUILD, MOD)
    fix = Draft("Kanban", DEFINITION.replace("supplier", "kanban loop"), "Lean", ("kanban card",), "", "kanban")
    submitted = await community.submit(GUILD, MEMBER, fix)
    await community.approve(submitted.suggestion.id, GUILD, MOD)
    everything = glossary_entries(service, "all", GUILD)
    assert len(everything) == len(service) + 1
    kanban = next(e for e in everything if e.term.slug == "kanban")
    assert kanban.source == "server" and "kanban loop" in kanban.term.definition
    assert {e.term.slug for e in glossary_entries(service, "server", GUILD)} == {"vendor-managed-inventory", "kanban"}
    changes = diff(service.syllabus(), [e.term for e in everything])
    assert {(c.kind, c.slug) for c in changes if c.kind != "same"} == {
        ("change", "kanban"),
        ("add", "vendor-managed-inventory"),
    }


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DEV_GUILD_ID"}}
    env.update({"DATABASE_PATH": str(tmp_path / "tk.db"), "GLOSSARY_DIR": str(tmp_path / "g")})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )


def test_cli_import_dry_run_then_apply_then_export_and_gaps(tmp_path: Path):
    write_glossary(tmp_path / "g")
    source = tmp_path / "server.json"
    rows = [Entry(Term("vendor-managed-inventory", VMI.name, VMI.module, DEFINITION, "", ("VMI",)), "server")]
    source.write_text(to_json(rows), encoding="utf-8")
    dry = cli(tmp_path, "import", str(source), "--server", str(GUILD))
    assert dry.returncode == 0, dry.stderr
    assert "add  vendor-managed-inventory" in dry.stdout and "Dry run: nothing was written" in dry.stdout
    assert "No approved" not in cli(tmp_path, "export", "--format", "json", "--server", str(GUILD), "out.json").stderr
    assert json.loads((tmp_path / "out.json").read_text())["terms"] == []  # the dry run wrote nothing
    applied = cli(tmp_path, "import", str(source), "--server", str(GUILD), "--apply")
    assert applied.returncode == 0 and "Imported 1 term(s)" in applied.stdout, applied.stderr
    again = cli(tmp_path, "import", str(source), "--server", str(GUILD))
    assert "0 to add, 0 to change, 1 unchanged" in again.stdout

    clash = tmp_path / "clash.csv"
    clash.write_text(to_csv([Entry(Term("", "Stock buffer", "Lean", DEFINITION, "", ("EOQ",)))]), encoding="utf-8")
    refused = cli(tmp_path, "import", str(clash), "--server", str(GUILD), "--apply")
    assert refused.returncode == 2 and "'EOQ' belongs to 'Economic order quantity'" in refused.stderr

    exported = cli(tmp_path, "export", "--format", "toml", "--server", str(GUILD), "upstream")
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "upstream" / "02-all-about-inventory.toml").read_text()
    assert from_toml(text)[0].term.name == "Vendor managed inventory" and "TODO before merging" in text
    anki = cli(tmp_path, "export", "--format", "anki", "--scope", "all", "--server", str(GUILD), "all.apkg")
    assert anki.returncode == 0 and "Wrote 11 terms" in anki.stdout
    assert zipfile.is_zipfile(tmp_path / "all.apkg")

    async def miss() -> None:
        async with await Database.open(tmp_path / "tk.db") as db:
            await db.record_server_misses([(GUILD, "drop shipping", "drop shipping", 4)], datetime.now(UTC))

    asyncio.run(miss())
    gaps = cli(tmp_path, "gaps", "--server", str(GUILD))
    assert gaps.returncode == 0 and "     4  " in gaps.stdout and "drop shipping" in gaps.stdout
