"""The fields of a term draft, shared by the member's suggestion form and the moderator's edit form."""

from __future__ import annotations

from typing import Any

import discord
from discord import ui

from bot.core.suggestions import Draft, parse_draft

FIELDS = ("name", "definition", "aliases", "example", "module")  # the inputs' custom ids, in order


def draft_inputs(draft: Draft, *, strict: bool) -> list[ui.TextInput[Any]]:
    """Return the five inputs of a term draft, prefilled; `strict` adds the limits of a member's suggestion."""
    return [
        ui.TextInput(
            label="Name", custom_id="name", default=draft.name or None, max_length=100,
            placeholder="e.g. Vendor managed inventory" if strict else None,
        ),
        ui.TextInput(
            label="Definition (12-130 words)" if strict else "Definition", custom_id="definition",
            style=discord.TextStyle.paragraph, default=draft.definition or None, min_length=20 if strict else None,
            max_length=1000,
        ),
        ui.TextInput(
            label="Other names (comma-separated, optional)" if strict else "Aliases (comma-separated)",
            custom_id="aliases", default=", ".join(draft.aliases) or None, required=False, max_length=400,
        ),
        ui.TextInput(
            label="Example or formula (optional)" if strict else "Example or formula", custom_id="example",
            style=discord.TextStyle.paragraph, default=draft.example or None, required=False, max_length=1000,
        ),
        ui.TextInput(
            label="Module (name or number 1-30)" if strict else "Module", custom_id="module",
            default=draft.module or None, max_length=60,
        ),
    ]  # fmt: skip


def draft_from(values: dict[str, str], target: str | None) -> Draft:
    """Check a submitted draft with the glossary's limits."""
    return parse_draft(*(values.get(field, "") for field in FIELDS), target=target)
