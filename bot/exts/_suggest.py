"""The suggestion modal, and the buttons that open it (term cards, gap report) or confirm a draft."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from bot.core.ids import custom_id
from bot.core.suggestions import Draft, State, SuggestionError, describe_duplicates
from bot.errors import PersistentView, SafeItem, StatelessModal
from bot.exts._forms import draft_from, draft_inputs
from bot.exts._moderation import post_to_queue
from bot.exts._queue import safe

if TYPE_CHECKING:
    from bot.client import TermiBot

GAP_QUERY_MAX = 80


class SuggestModal(StatelessModal):
    """Name, definition, aliases, example and module of a new term (`tk:md:sg`) or a correction (`tk:md:fix:`)."""

    def __init__(self, prefill: Draft | None = None, *, target: str | None = None) -> None:
        super().__init__(
            title="Suggest a correction" if target else "Suggest a term",
            custom_id=f"tk:md:fix:{target}" if target else "tk:md:sg",
        )
        for item in draft_inputs(prefill or Draft("", "", ""), strict=True):
            self.add_item(item)


async def submit_suggestion(
    interaction: discord.Interaction[TermiBot], values: dict[str, str], target: str | None
) -> None:
    """Store the suggestion form a member sent, then queue it or first ask about near duplicates."""
    guild_id = interaction.guild_id
    if guild_id is None:
        raise SuggestionError("Suggestions go to a server's moderators: use this inside a server.")
    submitted = await interaction.client.community.submit(guild_id, interaction.user.id, draft_from(values, target))
    suggestion = submitted.suggestion
    if suggestion.state is State.DRAFT:
        view = PersistentView()
        view.add_item(DraftButton(suggestion.id, send=True))
        view.add_item(DraftButton(suggestion.id, send=False))
        await interaction.response.send_message(describe_duplicates(submitted.duplicates), view=view, ephemeral=True)
        return
    await interaction.response.send_message(await receipt(interaction.client, suggestion.id), ephemeral=True)


async def receipt(bot: TermiBot, suggestion_id: int) -> str:
    """Queue an open suggestion and say so to the member."""
    suggestion = await bot.community.get(suggestion_id)
    posted = await post_to_queue(bot, suggestion)
    later = "" if posted else " The moderators' queue isn't reachable right now; it is saved and will be posted."
    return (
        f"Thanks! Suggestion #{suggestion.id} (**{safe(suggestion.draft.name, 100)}**) is waiting for the "
        f"moderators.{later} I'll send you a DM with the outcome (or tell you here if your DMs are closed)."
    )


class DraftButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:sg:(?P<ok>[yn]):(?P<id>\d{1,12})"):
    """Send a draft that looks like an existing term anyway, or drop it."""

    def __init__(self, suggestion_id: int, *, send: bool) -> None:
        label, style = (
            ("Submit anyway", discord.ButtonStyle.primary) if send else ("Drop it", discord.ButtonStyle.secondary)
        )
        super().__init__(ui.Button(label=label, style=style, custom_id=f"tk:sg:{'y' if send else 'n'}:{suggestion_id}"))
        self.suggestion_id = suggestion_id
        self.send = send

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> DraftButton:
        return cls(int(match["id"]), send=match["ok"] == "y")

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        community = interaction.client.community
        if not self.send:
            await community.discard(self.suggestion_id, interaction.user.id)
            await interaction.response.edit_message(content="Dropped; nothing was sent.", view=None)
            return
        await community.confirm(self.suggestion_id, interaction.user.id)
        text = await receipt(interaction.client, self.suggestion_id)
        await interaction.response.edit_message(content=text, view=None)


class SuggestFixButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:sg:fix:(?P<slug>[a-z0-9-]{1,90})"):
    """On a term card: open the suggestion modal filled with the term, to propose a correction."""

    def __init__(self, slug: str, *, row: int | None = None) -> None:
        super().__init__(
            ui.Button(
                label="Suggest a correction",
                style=discord.ButtonStyle.secondary,
                custom_id=f"tk:sg:fix:{slug}",
                row=row,
            )
        )
        self.slug = slug

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> SuggestFixButton:
        return cls(match["slug"])

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        if interaction.guild_id is None:
            raise SuggestionError("Corrections go to a server's moderators: use this button inside a server.")
        term = interaction.client.glossary.get(self.slug, interaction.guild_id)
        if term is None:
            raise SuggestionError("That term is no longer in the glossary.")
        draft = Draft(term.name, term.definition, term.module, term.aliases, term.example, term.slug)
        await interaction.response.send_modal(SuggestModal(draft, target=term.slug))


class SuggestGapButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:sg:gap:(?P<query>.{1,80})"):
    """In the gap report: open the suggestion modal with a missed query as the name."""

    def __init__(self, query: str, label: str = "Suggest") -> None:
        super().__init__(
            ui.Button(
                label=label[:80], style=discord.ButtonStyle.secondary, custom_id=custom_id("tk:sg:gap:", query[:80])
            )
        )
        self.query = query

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> SuggestGapButton:
        return cls(match["query"], getattr(item, "label", None) or "Suggest")

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        await interaction.response.send_modal(SuggestModal(Draft(self.query, "", "")))
