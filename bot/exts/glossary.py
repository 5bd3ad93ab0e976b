"""/term, /search, /browse and /random."""

from __future__ import annotations

import math
import random
import re
from typing import Any

import discord
from discord import app_commands, ui
from discord.ext import commands

from bot.client import TermiBot
from bot.core.ids import custom_id
from bot.core.modules import MODULES, module_number
from bot.errors import PersistentView, SafeItem, UserFacingError
from bot.exts._ui import (
    BRAND,
    PostTermButton,
    TermButton,
    card_view,
    clip,
    module_choices,
    module_label,
    module_or_error,
    quote_user_text,
    show_term,
    term_embed,
)

SEARCH_PAGE = 8
BROWSE_PAGE = 15
SEARCH_MAX = 80  # keeps the query inside a button's 100-character custom id


# -- search pages ---------------------------------------------------------------------


async def search_page(
    bot: TermiBot, text: str, page: int, guild_id: int | None = None
) -> tuple[discord.Embed, ui.View | None]:
    """Build one page of full-text search results."""
    hits, total = await bot.glossary.search(text, page=page, per_page=SEARCH_PAGE, guild_id=guild_id)
    shown = quote_user_text(text, SEARCH_MAX)
    if total == 0:
        embed = discord.Embed(
            title="No results",
            description=f"Nothing in the glossary mentions “{shown}”. "
            "Try fewer or different words, or `/browse` a module.",
            colour=BRAND,
        )
        return embed, None
    pages = math.ceil(total / SEARCH_PAGE)
    page = min(page, pages - 1)
    if not hits:
        hits, total = await bot.glossary.search(text, page=page, per_page=SEARCH_PAGE, guild_id=guild_id)
    lines = [f"**{discord.utils.escape_markdown(hit.name)}**: {clip(hit.snippet, 160)}" for hit in hits]
    embed = discord.Embed(title=clip(f"Search: {text.strip()}", 256), description="\n".join(lines), colour=BRAND)
    embed.set_footer(text=f"Page {page + 1} of {pages} · {total} result(s)")
    view = PersistentView()
    view.add_item(OpenTermSelect.build([(hit.slug, hit.name) for hit in hits], f"tk:sopen:{page}"))
    if pages > 1:
        view.add_item(SearchPageButton(text, max(page - 1, 0), "Previous", disabled=page == 0))
        view.add_item(SearchPageButton(text, min(page + 1, pages - 1), "Next", disabled=page >= pages - 1))
    return embed, view


class SearchPageButton(
    SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:search:(?P<page>\d{1,4}):(?P<text>.{1,80})"
):
    """Turn a page of search results."""

    def __init__(self, text: str, page: int, label: str = "Go", *, disabled: bool = False) -> None:
        super().__init__(
            ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id(f"tk:search:{page}:", " ".join(text.split())[:SEARCH_MAX]),
                disabled=disabled,
            )
        )
        self.text = text
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> SearchPageButton:
        return cls(match["text"], int(match["page"]), getattr(item, "label", None) or "Go")

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        embed, view = await search_page(interaction.client, self.text, self.page, interaction.guild_id)
        await interaction.response.edit_message(embed=embed, view=view)


# -- browse pages ---------------------------------------------------------------------


def overview_embed(bot: TermiBot) -> tuple[discord.Embed, ui.View]:
    """List the 30 modules with their term counts."""
    counts = bot.glossary.module_counts()
    lines = [f"`{number:2d}` {name} · {counts[name]} terms" for number, name in enumerate(MODULES, start=1)]
    embed = discord.Embed(title="Glossary modules", description="\n".join(lines), colour=BRAND)
    embed.set_footer(text=f"{len(bot.glossary)} terms · /browse module:<name or number> to open one")
    view = PersistentView()
    view.add_item(BrowsePageButton(1, 0, "Start with module 1"))
    return embed, view


def browse_page(bot: TermiBot, module: str, page: int) -> tuple[discord.Embed, ui.View]:
    """Build one page of a module's terms."""
    terms = bot.glossary.module_terms(module)
    number = module_number(module)
    pages = max(1, math.ceil(len(terms) / BROWSE_PAGE))
    page = max(0, min(page, pages - 1))
    chunk = terms[page * BROWSE_PAGE : (page + 1) * BROWSE_PAGE]
    lines = [f"**{t.name}**: {clip(t.definition, 110)}" for t in chunk] or ["No terms in this module yet."]
    embed = discord.Embed(title=module_label(module), description="\n".join(lines), colour=BRAND)
    embed.set_footer(text=f"Page {page + 1} of {pages} · {len(terms)} terms")
    view = PersistentView()
    if chunk:
        view.add_item(OpenTermSelect.build([(t.slug, t.name) for t in chunk], f"tk:bopen:{number}:{page}"))
    if pages > 1:  # one page needs no paging, and two buttons may not share a custom id
        view.add_item(BrowsePageButton(number, max(page - 1, 0), "Previous", disabled=page == 0))
        view.add_item(BrowsePageButton(number, min(page + 1, pages - 1), "Next", disabled=page >= pages - 1))
    if number < len(MODULES):
        view.add_item(BrowsePageButton(number + 1, 0, f"Module {number + 1}", suffix="m"))
    return embed, view


class BrowsePageButton(
    SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:browse:(?P<module>\d{1,2}):(?P<page>\d{1,4})(?::\w)?"
):
    """Turn a page of a module's terms."""

    def __init__(self, module: int, page: int, label: str = "Go", *, disabled: bool = False, suffix: str = "") -> None:
        custom_id = f"tk:browse:{module}:{page}" + (f":{suffix}" if suffix else "")
        super().__init__(
            ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id, disabled=disabled)
        )
        self.module = module
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> BrowsePageButton:
        return cls(int(match["module"]), int(match["page"]), getattr(item, "label", None) or "Go")

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        if not 1 <= self.module <= len(MODULES):
            raise UserFacingError("That module does not exist.")
        embed, view = browse_page(interaction.client, MODULES[self.module - 1], self.page)
        await interaction.response.edit_message(embed=embed, view=view)


class OpenTermSelect(SafeItem, ui.DynamicItem[ui.Select[Any]], template=r"tk:(?:sopen|bopen|xopen):[\d:]{1,12}"):
    """A menu of the terms on a page; choosing one shows it to the chooser."""

    def __init__(self, select: ui.Select[Any]) -> None:
        super().__init__(select)

    @classmethod
    def build(cls, options: list[tuple[str, str]], custom_id: str) -> OpenTermSelect:
        select: ui.Select[Any] = ui.Select(
            custom_id=custom_id,
            placeholder="Open a term…",
            options=[discord.SelectOption(label=clip(name, 100), value=slug) for slug, name in options[:25]],
        )
        return cls(select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> OpenTermSelect:
        assert isinstance(item, ui.Select)
        return cls(item)

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        values = self.item.values
        if values:
            await show_term(interaction, values[0], ephemeral=True)


# -- the cog --------------------------------------------------------------------------


class Glossary(commands.Cog):
    """Look up, search, browse and sample the glossary."""

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot
        self.rng = random.Random()

    @app_commands.command(name="term", description="Look up a supply chain term, abbreviation or close spelling")
    @app_commands.describe(name="The term, e.g. backlog, EOQ or S&OP")
    async def term(self, interaction: discord.Interaction[TermiBot], name: app_commands.Range[str, 1, 100]) -> None:
        glossary, guild_id = self.bot.glossary, interaction.guild_id
        resolution = glossary.resolve(name, guild_id)
        if resolution.match is not None:
            term = glossary.get(resolution.match.slug, guild_id)
            assert term is not None
            await interaction.response.send_message(
                embed=term_embed(term, glossary, guild_id=guild_id), view=card_view(term, glossary)
            )
        elif resolution.suggestions:
            view = PersistentView()
            for match in resolution.suggestions[:5]:
                view.add_item(TermButton(match.slug, match.name, pick=True))
            await interaction.response.send_message(
                f"I'm not sure which term you mean by “{quote_user_text(name)}”. Did you mean one of these?",
                view=view,
                ephemeral=True,
            )
        else:
            await interaction.response.send_message(
                f"I couldn't find “{quote_user_text(name)}” in the glossary. "
                "Try `/search` to look inside definitions, or `/browse` a module. "
                "I've noted the miss so the glossary can grow.",
                ephemeral=True,
            )
        glossary.record(name, resolution, guild_id)

    @term.autocomplete("name")
    async def term_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        choices = self.bot.glossary.complete(current, interaction.guild_id)
        return [app_commands.Choice(name=c.label, value=c.slug) for c in choices]

    @app_commands.command(name="search", description="Search names, aliases and definitions")
    @app_commands.describe(text="Words to look for, e.g. reorder point or kanban card")
    async def search(
        self, interaction: discord.Interaction[TermiBot], text: app_commands.Range[str, 1, SEARCH_MAX]
    ) -> None:
        # The database answers in about a millisecond, but a busy file could take longer than 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view = await search_page(self.bot, text, 0, interaction.guild_id)
        if view is None:
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.followup.send(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="browse", description="Page through the glossary by module")
    @app_commands.describe(module="A module name or number (leave empty for the list of modules)")
    async def browse(self, interaction: discord.Interaction[TermiBot], module: str | None = None) -> None:
        chosen = module_or_error(module)
        embed, view = browse_page(self.bot, chosen, 0) if chosen else overview_embed(self.bot)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @app_commands.command(name="random", description="Show a random term, optionally from one module")
    @app_commands.describe(module="A module name or number")
    async def random(self, interaction: discord.Interaction[TermiBot], module: str | None = None) -> None:
        chosen = module_or_error(module)
        guild_id = interaction.guild_id
        term = self.bot.glossary.random_term(self.rng, chosen, guild_id)
        if term is None:
            raise UserFacingError("That module has no terms yet.")
        await interaction.response.send_message(
            embed=term_embed(term, self.bot.glossary, heading="Random term", guild_id=guild_id),
            view=card_view(term, self.bot.glossary),
        )

    @browse.autocomplete("module")
    @random.autocomplete("module")
    async def module_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return module_choices(current)


async def setup(bot: TermiBot) -> None:
    """Register the cog and the persistent components it creates."""
    bot.add_dynamic_items(TermButton, PostTermButton, SearchPageButton, BrowsePageButton, OpenTermSelect)
    await bot.add_cog(Glossary(bot))
