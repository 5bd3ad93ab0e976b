"""The moderators' queue: the suggestion embed (sanitised), posting it, and telling the member the outcome."""

from __future__ import annotations

import difflib
import logging
from typing import TYPE_CHECKING

import discord
from discord.http import Route

from bot.core.glossary import Term
from bot.core.suggestions import State, Suggestion

if TYPE_CHECKING:
    from bot.client import TermiBot

log = logging.getLogger(__name__)
QUEUE_COLOUR = discord.Colour.from_rgb(230, 160, 40)
DONE_COLOUR = {State.APPROVED: discord.Colour.green(), State.REJECTED: discord.Colour.red()}
FIELD_MAX = 1024


def safe(text: str, limit: int) -> str:
    """Member text shown to others: markdown and mentions escaped, then cut to fit."""
    text = discord.utils.escape_mentions(discord.utils.escape_markdown(text.strip()))
    return (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") or "(empty)"


def word_diff(old: str, new: str, limit: int = FIELD_MAX) -> str:
    """Show a change word by word: removed words struck through, added words underlined (both escaped)."""
    a, b = old.split(), new.split()
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            parts.append("~~" + safe(" ".join(a[i1:i2]), 300) + "~~")
        if op in ("insert", "replace"):
            parts.append("__" + safe(" ".join(b[j1:j2]), 300) + "__")
        if op == "equal":
            parts.append(safe(" ".join(a[i1:i2]), 300))
    text = " ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suggestion_embed(suggestion: Suggestion, current: Term | None) -> discord.Embed:
    """Render a suggestion for the review channel; a correction shows what changes against the current text."""
    draft = suggestion.draft
    kind = "Correction" if draft.target else "New term"
    embed = discord.Embed(
        title=safe(f"{kind}: {draft.name}", 256),
        description=safe(draft.definition, 4000) if current is None else None,
        colour=DONE_COLOUR.get(suggestion.state, QUEUE_COLOUR),
    )
    if current is not None:
        if current.name != draft.name:
            embed.add_field(name="Name", value=word_diff(current.name, draft.name), inline=False)
        embed.add_field(
            name="Definition (changes)", value=word_diff(current.definition, draft.definition), inline=False
        )
        if current.example != draft.example:
            embed.add_field(name="Example (changes)", value=word_diff(current.example, draft.example), inline=False)
    elif draft.example:
        embed.add_field(name="Example / formula", value=safe(draft.example, FIELD_MAX), inline=False)
    if draft.aliases:
        embed.add_field(name="Also known as", value=safe(", ".join(draft.aliases), FIELD_MAX), inline=False)
    embed.add_field(name="Module", value=safe(draft.module, 200), inline=True)
    by = f"<@{suggestion.user_id}>" if suggestion.user_id is not None else "a former member"
    embed.add_field(name="Suggested by", value=by, inline=True)
    if suggestion.state in (State.APPROVED, State.REJECTED) and suggestion.decided_at is not None:
        stamp = int(suggestion.decided_at.timestamp())
        verdict = f"{suggestion.state.value.title()} by <@{suggestion.decided_by}> <t:{stamp}:f>"
        if suggestion.reason:
            verdict += f"\nReason: {safe(suggestion.reason, 800)}"
        embed.add_field(name="Decision", value=verdict, inline=False)
    embed.set_footer(text=f"Suggestion #{suggestion.id} · {suggestion.state.value}")
    return embed


async def post_failed(bot: TermiBot, suggestion: Suggestion, exc: discord.HTTPException) -> None:
    """Record why a suggestion could not reach the review channel; it stays queued and is posted later."""
    if isinstance(exc, discord.NotFound):
        problem = "The review channel was deleted; pick another with /glossary setup."
    elif isinstance(exc, discord.Forbidden):
        problem = "I may not post in the review channel; give me View Channel and Send Messages there."
    else:
        log.warning("Could not post suggestion %s: %s", suggestion.id, exc)
        return
    await bot.community.report_channel_problem(suggestion.guild_id, problem)


def outcome_text(suggestion: Suggestion) -> str:
    """Say what happened to a member's suggestion."""
    name = safe(suggestion.draft.name, 100)
    if suggestion.state is State.APPROVED:
        return f"Your suggestion **{name}** was approved: it is now in this server's glossary. Thank you!"
    reason = f" Reason: {safe(suggestion.reason, 500)}" if suggestion.reason else ""
    return f"Your suggestion **{name}** was not accepted.{reason}"


async def tell_member(bot: TermiBot, suggestion: Suggestion) -> bool:
    """Send the outcome by DM; if DMs are closed it waits for the member's next command."""
    if suggestion.user_id is None:
        return False
    # Marked delivered first, so the member's next command cannot tell them a second time meanwhile.
    await bot.community.delivered(suggestion.user_id, [suggestion])
    try:
        # Opened by hand so the recipient goes as a string snowflake, as Discord's API documents it.
        dm = await bot.http.request(
            Route("POST", "/users/@me/channels"), json={"recipient_id": str(suggestion.user_id)}
        )
        channel = bot.get_partial_messageable(int(dm["id"]), type=discord.ChannelType.private)
        await channel.send(outcome_text(suggestion), allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.info("Could not DM the outcome of suggestion %s (%s); will tell on next command", suggestion.id, exc)
        await bot.community.undelivered(suggestion.user_id, [suggestion])
        return False
    return True
