"""A small, valid glossary written to a temp folder for the end-to-end suite.

The shipped glossary in data/glossary/ changes while it is being written, so the e2e
scenarios run against this one: every term here exists for a scenario to find.
"""

from __future__ import annotations

from pathlib import Path

# Queries the scenarios use, next to the answers they expect.
EXACT = ("Backlog", "backlog")
ALIAS = ("EOQ", "economic-order-quantity")
TYPO = ("econmic order quanity", "economic-order-quantity")
AMBIGUOUS = "safety"
AMBIGUOUS_SLUGS = {"safety-stock", "safety-lead-time", "safety-capacity"}
UNKNOWN = "xylophone tuning"
SEARCH_WORD = "inventory"  # appears in more definitions than one search page holds
BROWSE_MODULE = "All About Inventory"  # more terms than one browse page holds
PARTIAL = "inven"  # prefixes more than 25 names
TYPO_PARTIAL = "invntory turn"

# Generated "Inventory ..." terms: enough to overflow a /browse page (15) and autocomplete (25).
_INVENTORY_KINDS = (
    "accuracy",
    "adjustment",
    "aging",
    "allocation",
    "balance",
    "buffer",
    "carrying rate",
    "class",
    "control",
    "cost",
    "count",
    "days of supply",
    "deployment",
    "forecast",
    "investment",
    "issue",
    "ledger",
    "location",
    "management",
    "model",
    "policy",
    "position",
    "receipt",
    "record",
    "reserve",
    "review",
    "shrinkage",
    "status",
    "transfer",
    "turnover",
    "valuation",
)


def _inventory_terms() -> list[str]:
    names = [f"Inventory {kind}" for kind in _INVENTORY_KINDS]
    entries = []
    for index, name in enumerate(names):
        related = [names[(index + 1) % len(names)], names[(index + 2) % len(names)]]
        entries.append(
            _entry(
                name,
                f"A planning notion about stock on hand: this entry describes the {name.lower()} used when "
                "a company tracks the inventory it holds across its warehouses and stores.",
                related,
            )
        )
    return entries


def _entry(name: str, definition: str, related: list[str], aliases: tuple[str, ...] = (), example: str = "") -> str:
    lines = ["[[terms]]", f"name = {_q(name)}"]
    if aliases:
        lines.append("aliases = [" + ", ".join(_q(a) for a in aliases) + "]")
    lines.append(f"definition = {_q(definition)}")
    if example:
        lines.append(f"example = {_q(example)}")
    lines.append("related = [" + ", ".join(_q(r) for r in related) + "]")
    return "\n".join(lines) + "\n"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _file(module: str, entries: list[str]) -> str:
    return f"module = {_q(module)}\n\n" + "\n".join(entries)


FILES: dict[str, str] = {
    "02-all-about-inventory.toml": _file(
        "All About Inventory",
        [
            _entry(
                "Safety stock",
                "A quantity of inventory held on top of expected demand during the replenishment lead time, "
                "so that variation in demand or supply does not cause a stockout.",
                ["Reorder point", "Safety lead time"],
                aliases=("buffer stock",),
                example="Safety stock = z × σ(demand over lead time), where z is the service factor.",
            ),
            _entry(
                "Safety lead time",
                "An element of planning that schedules orders to arrive earlier than the date they are needed, "
                "protecting against supplier delays instead of holding extra quantity.",
                ["Safety stock", "Lead time"],
            ),
            _entry(
                "Safety capacity",
                "A reserve of production capacity kept unused in the plan so that a work centre can absorb "
                "surges in demand or breakdowns without missing customer dates.",
                ["Safety stock", "Backlog"],
            ),
            *_inventory_terms(),
        ],
    ),
    "06-master-scheduling.toml": _file(
        "Master Scheduling",
        [
            _entry(
                "Backlog",
                "All customer orders that have been received but not yet shipped, whether or not they are late; "
                "a growing backlog signals demand above capacity.",
                ["Master production schedule", "Safety capacity"],
                aliases=("order backlog",),
            ),
            _entry(
                "Master production schedule",
                "A statement of which end items a plant will build, in what quantities and in which periods, "
                "that drives material requirements planning and capacity checks.",
                ["Backlog", "Lead time"],
                aliases=("MPS",),
            ),
        ],
    ),
    "13-order-quantities.toml": _file(
        "Order Quantities",
        [
            _entry(
                "Economic order quantity",
                "A fixed order size that minimises the combined yearly cost of placing orders and carrying "
                "inventory when demand is steady and known.",
                ["Ordering cost", "Carrying cost", "Reorder point"],
                aliases=("EOQ",),
                example="EOQ = sqrt(2 × D × S / H), with D the annual demand, S the cost per order "
                "and H the yearly holding cost per unit.",
            ),
            _entry(
                "Ordering cost",
                "The expense of placing and receiving one replenishment order, such as purchasing paperwork, "
                "inspection and handling, regardless of how many units it contains.",
                ["Economic order quantity", "Carrying cost"],
            ),
            _entry(
                "Carrying cost",
                "The yearly expense of keeping inventory on hand, including capital tied up, storage, insurance, "
                "obsolescence and shrinkage, usually stated as a percentage of item value.",
                ["Economic order quantity", "Ordering cost"],
                aliases=("holding cost",),
            ),
        ],
    ),
    "14-independent-demand-ordering-systems.toml": _file(
        "Independent Demand Ordering Systems",
        [
            _entry(
                "Reorder point",
                "A stock level that triggers a new replenishment order when on-hand plus on-order inventory "
                "falls to it, set to cover demand during the lead time plus safety stock.",
                ["Safety stock", "Lead time", "Economic order quantity"],
                aliases=("ROP", "order point"),
            ),
            _entry(
                "Lead time",
                "A span of time between recognising the need for an order and receiving the goods, including "
                "order preparation, supplier processing, transit and receiving.",
                ["Reorder point", "Safety lead time"],
            ),
        ],
    ),
}


def write_fixture_glossary(directory: Path) -> Path:
    """Write the fixture glossary's TOML files into `directory` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory
