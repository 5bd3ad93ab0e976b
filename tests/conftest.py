"""Shared fixtures: a small valid glossary, a real SQLite file, the service built on both."""

from __future__ import annotations

import os
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.db import Database
from bot.db.repositories import Storage
from bot.services.glossary import GlossaryService
from tests.pgserver import PgServer, fresh_database

FIXTURE_GLOSSARY = {
    "02-all-about-inventory.toml": """
        module = "All About Inventory"

        [[terms]]
        name = "Safety stock"
        aliases = ["SS", "buffer stock"]
        definition = "A quantity of inventory held above expected demand during the replenishment lead time, to protect service against variation in demand and supply."
        example = "SS = z × σLT, where z is the safety factor and σLT the standard deviation of demand over the lead time."
        related = ["Economic order quantity", "Backlog"]

        [[terms]]
        name = "Safety lead time"
        definition = "A planning margin that releases and schedules orders earlier than the plain lead time would require, so that they arrive before they are needed."
        related = ["Safety stock", "Backlog"]

        [[terms]]
        name = "Inventory turnover"
        aliases = ["inventory turns", "stock turn"]
        definition = "A ratio of how many times the average inventory is sold or used during a period, usually annual cost of goods sold divided by average inventory value."
        example = "Cost of goods sold 1,200,000 / average inventory 200,000 = 6 turns a year."
        related = ["Safety stock", "Economic order quantity"]
    """,
    "05-sales-operations-planning.toml": """
        module = "Sales & Operations Planning"

        [[terms]]
        name = "Sales and operations planning"
        aliases = ["S&OP", "SOP"]
        definition = "A monthly cross-functional decision process in which executives reconcile the demand plan, the supply plan and the financial plan at product family level over a horizon of 18 months or more."
        related = ["Backlog", "Master production schedule"]
    """,
    "06-master-scheduling.toml": """
        module = "Master Scheduling"

        [[terms]]
        name = "Master production schedule"
        aliases = ["MPS"]
        definition = "A plan stating which end items or options will be produced, in what quantities and in which periods, that drives material and capacity planning."
        related = ["Sales and operations planning", "Backlog"]
    """,
    "08-demand-management.toml": """
        module = "Demand Management"

        [[terms]]
        name = "Backlog"
        aliases = ["order backlog", "open order book"]
        definition = "All customer orders that have been received but not yet shipped, whatever their due dates; in planning it is a measure of demand already committed."
        example = "A machine builder with 40 orders accepted and not yet shipped has a backlog of 40 orders."
        related = ["Master production schedule", "Sales and operations planning"]
    """,
    "13-order-quantities.toml": """
        module = "Order Quantities"

        [[terms]]
        name = "Economic order quantity"
        aliases = ["EOQ", "economic lot size"]
        definition = "A fixed order size that minimises the sum of annual ordering cost and annual carrying cost for an item with steady, known demand."
        example = "EOQ = sqrt(2 × D × S / H), where D = annual demand, S = cost per order, H = annual carrying cost per unit."
        related = ["Economic production quantity", "Safety stock"]

        [[terms]]
        name = "Economic production quantity"
        aliases = ["EPQ"]
        definition = "A batch size for an item made in-house that balances setup cost against carrying cost while allowing for inventory building up gradually during the run."
        related = ["Economic order quantity", "Safety stock"]
    """,
    "22-lean.toml": """
        module = "Lean"

        [[terms]]
        name = "Kanban"
        aliases = ["kanban card"]
        definition = "A signalling method in pull systems in which a card, bin or electronic signal authorises production or movement of a fixed quantity of an item."
        related = ["Kaizen", "Safety stock"]

        [[terms]]
        name = "Kaizen"
        aliases = ["continuous improvement event"]
        definition = "A practice of small, frequent, employee-driven improvements to a process, often run as a short focused workshop on one area."
        related = ["Kanban", "Backlog"]
    """,
}


def write_glossary(directory: Path, files: dict[str, str] = FIXTURE_GLOSSARY) -> Path:
    """Write glossary source files into a directory and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (directory / name).write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return directory


@pytest.fixture
def glossary_dir(tmp_path: Path) -> Path:
    return write_glossary(tmp_path / "glossary")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "data" / "tk.db")
    yield database
    await database.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """The SQLite database, for tests of what only SQLite has (its file, its connections)."""
    database = await Database.open(tmp_path / "data" / "tk.db")
    yield database
    await database.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A real PostgreSQL server for the whole run; skipped, saying why, only where none is installed."""
    try:
        server = PgServer.start()
    except FileNotFoundError:
        if os.environ.get("TK_REQUIRE_POSTGRES"):
            raise
        pytest.skip("PostgreSQL is not installed (Debian package `postgresql`; .ci/run installs it)")
    yield server
    server.stop()


@pytest.fixture
async def pg_url(pg_server: PgServer) -> str:
    """The URL of a fresh, migrated PostgreSQL database of this test's own."""
    return await fresh_database(pg_server)


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """Each storage backend in turn: tests using it must pass on both."""
    if request.param == "sqlite":
        opened: Storage = await Database.open(tmp_path / "data" / "tk.db")
    else:
        from bot.db.postgres import PostgresDatabase

        opened = await PostgresDatabase.open(await fresh_database(request.getfixturevalue("pg_server")))
    yield opened
    await opened.close()


@pytest.fixture
async def service(db: Database, glossary_dir: Path) -> GlossaryService:
    loaded, _ = await GlossaryService.load(db, glossary_dir)
    return loaded


SITE_BASE_URL = "https://glossary.example.org/tk"


@pytest.fixture(scope="session")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static site built once from the shipped glossary (read-only for the tests that share it)."""
    from bot.config import default_glossary_dir
    from bot.core.glossary import load_glossary
    from bot.site.build import build_site

    out = tmp_path_factory.mktemp("site") / "public"
    build_site(load_glossary(default_glossary_dir()), out, SITE_BASE_URL)
    return out
