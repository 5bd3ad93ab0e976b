"""Approve / Edit / Reject on a queued suggestion; permission is checked again on every click and submit."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import ui

from bot.core.suggestions import State, Suggestion, SuggestionError
from bot.errors import PersistentView, SafeItem, StatelessModal
from bot.exts._forms import draft_from, draft_inputs
from bot.exts._queue import post_failed, suggestion_embed, tell_member
from bot.services.community import may_moderate

if TYPE_CHECKING:
    from bot.client import TermiBot

log = logging.getLogger(__name__)
_LABELS = {"ok": ("Approve", discord.ButtonStyle.success), "ed": ("Edit", discord.ButtonStyle.primary)}
_LABELS["no"] = ("Reject", discord.ButtonStyle.danger)


def member_role_ids(user: discord.abc.User) -> list[int]:
    """Return the role ids of the member in the interaction (from the payload; no cache needed)."""
    return [int(role) for role in getattr(user, "_roles", ())]


async def require_moderator(interaction: discord.Interaction[TermiBot]) -> int:
    """Return the server id if the member may decide suggestions there; refuse everyone else."""
    guild_id = interaction.guild_id
    if guild_id is None:
        raise SuggestionError("Suggestions are reviewed inside a server.")
    setup = await interaction.client.community.setup(guild_id)
    if not may_moderate(interaction.permissions.manage_guild, member_role_ids(interaction.user), setup):
        raise SuggestionError(
            "Only moderators can review suggestions: you need Manage Server or this server's moderator role. "
            "Nothing changed."
        )
    return guild_id


def queue_view(suggestion: Suggestion) -> ui.View | None:
    """Approve / Edit / Reject for an open suggestion; nothing once it is decided."""
    if suggestion.state is not State.OPEN:
        return None
    view = PersistentView()
    for action in ("ok", "ed", "no"):
        view.add_item(ReviewButton(action, suggestion.id))
    return view


def _current(bot: TermiBot, suggestion: Suggestion) -> Any:
    target = suggestion.draft.target
    return bot.glossary.get(target, suggestion.guild_id) if target else None


async def post_to_queue(bot: TermiBot, suggestion: Suggestion) -> bool:
    """Post a suggestion in its server's review channel; False (and the problem recorded) if it cannot go out."""
    community = bot.community
    setup = await community.setup(suggestion.guild_id)
    if setup is None or setup.channel_id is None:
        return False
    channel = bot.get_partial_messageable(setup.channel_id, guild_id=suggestion.guild_id)
    view = queue_view(suggestion) or PersistentView()
    try:
        message = await channel.send(
            embed=suggestion_embed(suggestion, _current(bot, suggestion)),
            view=view,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException as exc:
        await post_failed(bot, suggestion, exc)
        return False
    await community.mark_queued(suggestion, setup.channel_id, message.id)
    if setup.problem:
        await community.report_channel_problem(suggestion.guild_id, None)  # the channel works again
    return True


async def post_waiting(bot: TermiBot, guild_id: int) -> int:
    """Post every open suggestion not shown in the current review channel (never posted, or the channel changed)."""
    setup = await bot.community.setup(guild_id)
    channel_id = setup.channel_id if setup is not None else None
    posted = 0
    for suggestion in await bot.community.queue(guild_id):
        shown = suggestion.queue_message_id is not None and suggestion.queue_channel_id == channel_id
        if not shown and await post_to_queue(bot, suggestion):
            posted += 1
    return posted


async def show_decision(interaction: discord.Interaction[TermiBot], suggestion: Suggestion) -> None:
    """Replace the queue message with the decision (no buttons left), so nobody else can act on it."""
    embed = suggestion_embed(
        suggestion, None if suggestion.state is State.APPROVED else _current(interaction.client, suggestion)
    )
    await interaction.response.edit_message(embed=embed, view=None)
    if await tell_member(interaction.client, suggestion):
        log.info("Told member about suggestion %s", suggestion.id)


class ReviewButton(SafeItem, ui.DynamicItem[ui.Button[Any]], template=r"tk:sq:(?P<action>ok|ed|no):(?P<id>\d{1,12})"):
    """A moderator's decision on a queued suggestion (persistent: works after restarts)."""

    def __init__(self, action: str, suggestion_id: int) -> None:
        label, style = _LABELS[action]
        super().__init__(ui.Button(label=label, style=style, custom_id=f"tk:sq:{action}:{suggestion_id}"))
        self.action = action
        self.suggestion_id = suggestion_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> ReviewButton:
        return cls(match["action"], int(match["id"]))

    async def run(self, interaction: discord.Interaction[TermiBot]) -> None:
        guild_id = await require_moderator(interaction)
        community = interaction.client.community
        suggestion = await community.get(self.suggestion_id)
        if suggestion.state is not State.OPEN:
            await show_decision(interaction, suggestion)  # refresh a stale queue message
            return
        if self.action == "ok":
            decided, _ = await community.approve(self.suggestion_id, guild_id, interaction.user.id)
            await show_decision(interaction, decided)
        elif self.action == "ed":
            await interaction.response.send_modal(EditModal(suggestion))
        else:
            await interaction.response.send_modal(RejectModal(suggestion))


class EditModal(StatelessModal):
    """The suggestion's text, for a moderator to fix before approving it (`tk:md:ed:<id>`)."""

    def __init__(self, suggestion: Suggestion) -> None:
        super().__init__(title="Edit and approve", custom_id=f"tk:md:ed:{suggestion.id}")
        for item in draft_inputs(suggestion.draft, strict=False):
            self.add_item(item)


class RejectModal(StatelessModal):
    """Ask for the reason the member will read (`tk:md:rj:<id>`)."""

    def __init__(self, suggestion: Suggestion) -> None:
        super().__init__(title="Reject suggestion", custom_id=f"tk:md:rj:{suggestion.id}")
        self.add_item(
            ui.TextInput(
                label="Reason (the member sees it)", custom_id="reason", style=discord.TextStyle.paragraph,
                min_length=3, max_length=500,
            )
        )  # fmt: skip


async def approve_edited(
    interaction: discord.Interaction[TermiBot], suggestion_id: int, values: dict[str, str]
) -> None:
    """Approve a suggestion with the text a moderator sent in the edit form."""
    guild_id = await require_moderator(interaction)
    community = interaction.client.community
    suggestion = await community.get(suggestion_id)
    draft = draft_from(values, suggestion.draft.target)
    decided, _ = await community.approve(suggestion_id, guild_id, interaction.user.id, draft)
    await show_decision(interaction, decided)


async def reject_with_reason(interaction: discord.Interaction[TermiBot], suggestion_id: int, reason: str) -> None:
    """Reject a suggestion with the reason a moderator sent in the rejection form."""
    guild_id = await require_moderator(interaction)
    decided = await interaction.client.community.reject(
        suggestion_id, guild_id, interaction.user.id, " ".join(reason.split())
    )
    await show_decision(interaction, decided)
