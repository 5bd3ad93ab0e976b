"""Term of the day on Discord: the post, the channel check and the calls the scheduler makes.

Every failure leaves here as a `DeliveryError` whose kind tells the scheduler how to retry:
403/404 and other refusals are permanent (retried hourly), 429 is transient (nothing was
sent), 5xx and network errors are uncertain (a message may exist, so look before resending).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, cast

import aiohttp
import discord
from discord import ui

from bot.core.glossary import Term
from bot.core.ids import post_nonce
from bot.core.schedule import HEADING, DeliveryError, FailureKind, ServerSchedule, marker_date, post_marker
from bot.exts._ui import STUDY_ROW, clip, term_embed, term_view
from bot.exts.quiz import QuizMeButton
from bot.services.totd_outcomes import RateLimiter, Sent

if TYPE_CHECKING:
    from bot.client import TermiBot
    from bot.services.glossary import GlossaryService

log = logging.getLogger(__name__)
HISTORY_LIMIT = 50  # recent messages searched for an unconfirmed post (one request)
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440  # a day: the thread stays open until the next post
_NETWORK_ERRORS = (discord.HTTPException, discord.RateLimited, aiohttp.ClientError, OSError)
_REQUIRED = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    # Needed to look for an unconfirmed post before resending, which keeps posts exactly-once.
    ("read_message_history", "Read Message History"),
)
_THREADS = ("create_public_threads", "Create Public Threads")


def missing_permissions(permissions: discord.Permissions, *, threads: bool) -> list[str]:
    """Return the names of the permissions the bot lacks to post (and open threads) in a channel."""
    needed = [*_REQUIRED, _THREADS] if threads else list(_REQUIRED)
    return [label for flag, label in needed if not getattr(permissions, flag)]


def post_embed(term: Term, glossary: GlossaryService, day: date) -> discord.Embed:
    """Render a term as the day's post; the footer marks the local date for reconciliation."""
    embed = term_embed(term, glossary, heading=HEADING)
    embed.set_footer(text=post_marker(day))
    return embed


def post_view(term: Term, glossary: GlossaryService, extras: Sequence[ui.Item[Any]] = ()) -> ui.View:
    """Return the post's buttons: related terms in the first row, study actions (`extras`) in the second."""
    view = term_view(term, glossary)
    for item in extras:
        item.row = STUDY_ROW
        try:
            view.add_item(item)
        except ValueError:  # the row is full (5 buttons): the post still goes out
            log.warning("No room for button %s on the term of the day", getattr(item, "custom_id", item))
            break
    return view


class _RoleId:
    """A role reference whose id serialises as a string, as Discord's API schema wants snowflakes."""

    def __init__(self, role_id: int) -> None:
        self.id = str(role_id)


def post_mentions(role_id: int | None) -> discord.AllowedMentions:
    """Allow a ping for the configured role only, never @everyone, users or anyone else."""
    if role_id is None:
        return discord.AllowedMentions.none()
    roles = cast(list[discord.abc.Snowflake], [_RoleId(role_id)])
    return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


def classify(exc: BaseException, doing: str) -> DeliveryError:
    """Turn a discord.py or network exception into a DeliveryError an admin can act on."""
    if isinstance(exc, discord.NotFound):
        return DeliveryError(FailureKind.PERMANENT, f"Discord says the channel is gone (404) when I {doing}.")
    if isinstance(exc, discord.Forbidden):
        return DeliveryError(
            FailureKind.PERMANENT, f"Discord refused (403: {clip(exc.text, 100)}) when I {doing}; check my permissions."
        )
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(FailureKind.TRANSIENT, f"Rate limited for {exc.retry_after:.0f} s when I {doing}.")
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            return DeliveryError(FailureKind.TRANSIENT, f"Rate limited by Discord when I {doing}.")
        if exc.status >= 500:
            return DeliveryError(FailureKind.UNCERTAIN, f"Discord had an error ({exc.status}) when I {doing}.")
        return DeliveryError(
            FailureKind.PERMANENT, f"Discord rejected the request ({exc.status}: {clip(exc.text, 100)}) when I {doing}."
        )
    reason = type(exc).__name__
    return DeliveryError(FailureKind.UNCERTAIN, f"The connection to Discord failed when I {doing}: {reason}.")


class DiscordDelivery:
    """The scheduler's `Delivery`, with discord.py; every request waits for the shared rate limiter."""

    def __init__(self, bot: TermiBot, limiter: RateLimiter) -> None:
        self._bot = bot
        self._limiter = limiter

    def render(self, term: Term, day: date) -> tuple[discord.Embed, ui.View]:
        """Return the embed and buttons of a day's post."""
        glossary = self._bot.glossary
        return post_embed(term, glossary, day), post_view(term, glossary, [QuizMeButton(term.slug)])

    def _guild(self, guild_id: int) -> discord.Guild:
        guild = self._bot.get_guild(guild_id)
        if guild is None:
            raise DeliveryError(FailureKind.PERMANENT, "I am not in this server any more.")
        if guild.unavailable:
            raise DeliveryError(FailureKind.TRANSIENT, "The server is unavailable on Discord right now.")
        return guild

    def channel(self, guild_id: int, channel_id: int) -> tuple[discord.TextChannel, discord.Permissions]:
        """Return a server's text channel and the bot's permissions there, or raise a permanent DeliveryError."""
        guild = self._guild(guild_id)
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise DeliveryError(
                FailureKind.PERMANENT,
                f"The channel I post in (<#{channel_id}>) was deleted or I cannot see it; "
                "run /totd setup with another channel.",
            )
        if guild.me is None:
            raise DeliveryError(FailureKind.TRANSIENT, "Discord has not told me my roles in this server yet.")
        return channel, channel.permissions_for(guild.me)

    async def check(self, schedule: ServerSchedule) -> None:
        """Raise unless the bot may post (and open threads) in the server's channel."""
        channel, permissions = self.channel(schedule.guild_id, schedule.channel_id)
        missing = missing_permissions(permissions, threads=schedule.threads)
        if missing:
            raise DeliveryError(FailureKind.PERMANENT, f"I am missing {_join(missing)} in {channel.mention}.")

    async def find(self, schedule: ServerSchedule, channel_id: int, day: date) -> int | None:
        """Return the id of the bot's post for a date among the channel's recent messages."""
        if self._guild(schedule.guild_id).get_channel(channel_id) is None:
            return None  # a deleted channel holds no post: sending again (elsewhere) cannot double it
        channel, permissions = self.channel(schedule.guild_id, channel_id)
        if not (permissions.view_channel and permissions.read_message_history):
            raise DeliveryError(
                FailureKind.PERMANENT,
                f"I need View Channel and Read Message History in {channel.mention} to check for today's post.",
            )
        me = self._bot.user.id if self._bot.user else None
        await self._limiter.wait()
        try:
            async for message in channel.history(limit=HISTORY_LIMIT):
                if message.author.id == me and any(marker_date(e.footer.text) == day for e in message.embeds):
                    return message.id
        except _NETWORK_ERRORS as exc:
            raise classify(exc, f"read recent messages in {channel.mention}") from exc
        return None

    async def send(self, schedule: ServerSchedule, term: Term, day: date) -> Sent:
        """Post a term for a date, pinging only the configured role, and open its thread if wanted."""
        channel, _ = self.channel(schedule.guild_id, schedule.channel_id)
        notes = []
        role_id = schedule.role_id
        if role_id is not None and channel.guild.get_role(role_id) is None:
            notes.append("The role to ping no longer exists; run /totd setup to pick another.")
            role_id = None
        embed, view = self.render(term, day)
        await self._limiter.wait()
        try:
            message = await channel.send(
                content=f"<@&{role_id}>" if role_id is not None else None,
                embed=embed,
                view=view,
                allowed_mentions=post_mentions(role_id),
                nonce=post_nonce(schedule.guild_id, channel.id, day),  # discord.py sends enforce_nonce with it
            )
        except _NETWORK_ERRORS as exc:
            raise classify(exc, f"post in {channel.mention}") from exc
        if schedule.threads:
            await self._limiter.wait()
            try:
                await message.create_thread(name=clip(term.name, 100), auto_archive_duration=THREAD_ARCHIVE_MINUTES)
            except _NETWORK_ERRORS as exc:
                notes.append(f"The post went out but its thread did not: {classify(exc, 'open a thread')}")
        return Sent(channel.id, message.id, " ".join(notes) or None)

    async def replace(self, schedule: ServerSchedule, channel_id: int, message_id: int, term: Term, day: date) -> bool:
        """Show another term in a posted message (and rename its thread); False if the message is gone."""
        channel, _ = self.channel(schedule.guild_id, channel_id)
        embed, view = self.render(term, day)
        await self._limiter.wait()
        try:
            await channel.get_partial_message(message_id).edit(embed=embed, view=view)
        except discord.NotFound:
            return False
        except _NETWORK_ERRORS as exc:
            raise classify(exc, f"edit today's post in {channel.mention}") from exc
        thread = channel.guild.get_thread(message_id)  # a post's thread has the post's id
        if thread is not None:
            await self._limiter.wait()
            try:
                await thread.edit(name=clip(term.name, 100))
            except _NETWORK_ERRORS as exc:
                log.info("Could not rename the thread of post %s: %s", message_id, exc)
        return True


def _join(names: list[str]) -> str:
    if len(names) == 1:
        return f"the {names[0]} permission"
    return "the " + ", ".join(names[:-1]) + f" and {names[-1]} permissions"
