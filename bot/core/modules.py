"""The 30 CIOP modules, in syllabus order."""

from __future__ import annotations

MODULES: tuple[str, ...] = (
    "Introduction to Supply Chain Management",
    "All About Inventory",
    "Production Planning System",
    "Strategic Business Planning",
    "Sales & Operations Planning",
    "Master Scheduling",
    "Material Requirements Planning",
    "Demand Management",
    "Capacity Management",
    "Forecasting",
    "Production Activity Control",
    "Procurement",
    "Order Quantities",
    "Independent Demand Ordering Systems",
    "Warehouse Management",
    "Transportation Management",
    "Supplier Relationship Management (SRM)",
    "Customer Relationship Management (CRM)",
    "Introduction to Quality",
    "Introduction to Packaging",
    "Introduction to Process",
    "Lean",
    "Six Sigma",
    "Total Quality Management",
    "Theory of Constraints",
    "Supply Chain Technologies",
    "Supply Chain Techniques",
    "Industry 4.0",
    "International Standards",
    "Supply Chain Risk, Safety and Security",
)


def module_number(name: str) -> int:
    """Return the 1-based syllabus number of a module name."""
    return MODULES.index(name) + 1


def find_module(text: str) -> str | None:
    """Resolve a module from its exact name, its number or a case-insensitive prefix."""
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(MODULES):
        return MODULES[int(text) - 1]
    lowered = text.casefold()
    for name in MODULES:
        if name.casefold() == lowered:
            return name
    starts = [name for name in MODULES if name.casefold().startswith(lowered)] if lowered else []
    return starts[0] if len(starts) == 1 else None
