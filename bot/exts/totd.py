"""/totd: a glossary term posted every day in each server, at the server's local time.

The rules are in `bot.core.schedule`, the loop and bookkeeping in `_totd_scheduler`, the
Discord calls in `_totd_delivery`; this cog turns commands into calls and outcomes into replies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import TermiBot
from bot.core.schedule import (
    DeliveryError,
    PostRecord,
    PostStatus,
    ScheduleError,
    ServerSchedule,
    check_catch_up,
    format_post_time,
    parse_post_time,
)
from bot.core.timezones import ZoneDirectory
from bot.errors import UserFacingError
from bot.exts._install import SERVER_CONTEXTS, SERVER_INSTALLS, server_only
from bot.exts._totd_delivery import DiscordDelivery, missing_permissions
from bot.exts._ui import BRAND, FIELD_MAX, clip, module_choices, module_label, module_or_error, quote_user_text
from bot.services.totd import REQUESTS_PER_SECOND, TotdScheduler
from bot.services.totd_outcomes import Outcome, OutcomeKind, RateLimiter, Status

T = TypeVar("T")


class ManageServerRequiredError(app_commands.CheckFailure, UserFacingError):
    """The member needs the Manage Server permission for this subcommand."""


def manage_server_only() -> Callable[[T], T]:
    """Let only members with Manage Server run a subcommand, and tell others why, ephemerally."""

    async def predicate(interaction: discord.Interaction[Any]) -> bool:
        if interaction.permissions.manage_guild:
            return True
        raise ManageServerRequiredError(
            "You need the **Manage Server** permission to change the term of the day. "
            "Anyone can see today's term with `/totd show`."
        )

    return app_commands.check(predicate)


def when(instant: datetime) -> str:
    """Render an instant as a Discord timestamp in the reader's own zone, e.g. "<t:…:F> (<t:…:R>)"."""
    return f"{discord.utils.format_dt(instant, 'F')} ({discord.utils.format_dt(instant, 'R')})"


def message_link(guild_id: int, channel_id: int | None, message_id: int | None) -> str:
    """Return a jump link to a message, or an empty string when it is unknown."""
    if channel_id is None or message_id is None:
        return ""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def describe_outcome(outcome: Outcome, guild_id: int) -> str:
    """Tell an admin how /totd post or /totd skip went."""
    link = message_link(guild_id, outcome.channel_id, outcome.message_id)
    retry = f" I'll try again {discord.utils.format_dt(outcome.retry_at, 'R')}." if outcome.retry_at else ""
    kind = outcome.kind
    if kind is OutcomeKind.POSTED:
        note = f"\nNote: {outcome.detail}" if outcome.detail else ""
        return f"Posted today's term: {link}{note}"
    if kind is OutcomeKind.FOUND:
        return f"Today's term was already in the channel: {link}"
    if kind is OutcomeKind.REPLACED:
        return f"Replaced today's term: {link}\nThe skipped term goes to the end of the cycle."
    if kind is OutcomeKind.ALREADY:
        return f"Today's term is already posted: {link}\nUse `/totd skip` to replace it."
    if kind is OutcomeKind.PROBLEM:
        return f"I couldn't post: {outcome.detail}{retry} After fixing it, run `/totd setup` to retry at once."
    if kind is OutcomeKind.RETRYING:
        return f"Discord had a problem: {outcome.detail}{retry}"
    if kind is OutcomeKind.BUSY:
        return "Today's post is still being delivered (or retried after an error); check `/totd status` in a moment."
    if kind is OutcomeKind.NO_TERMS:
        return outcome.detail or "There are no terms to post."
    if kind is OutcomeKind.NOT_SET_UP:
        return "The term of the day isn't set up here yet: run `/totd setup` first."
    if kind is OutcomeKind.DISABLED:
        return "The term of the day is turned off here: run `/totd setup` to turn it back on."
    if kind is OutcomeKind.MISSED:
        return "Today's post was missed."
    return "Nothing to do right now."


def status_embed(status: Status, guild_id: int, glossary_name: Callable[[str], str | None]) -> discord.Embed:
    """Render /totd status."""
    schedule = status.schedule
    embed = discord.Embed(title="Term of the day · status", colour=BRAND)
    embed.add_field(name="Channel", value=f"<#{schedule.channel_id}>", inline=True)
    embed.add_field(name="Time", value=f"{format_post_time(schedule.post_time)} {schedule.timezone}", inline=True)
    embed.add_field(name="Catch-up window", value=f"{schedule.catch_up.total_seconds() / 3600:g} h", inline=True)
    if not schedule.enabled:
        upcoming = "Turned off (`/totd setup` turns it back on)"
    elif status.next_at is not None:
        upcoming = when(status.next_at)
    else:
        upcoming = "Unknown"
    embed.add_field(name="Next post", value=upcoming, inline=False)
    embed.add_field(name="Last post", value=_record_line(status.last_posted, guild_id, glossary_name), inline=False)
    latest = status.latest
    if latest is not None and latest.status is not PostStatus.POSTED:
        embed.add_field(name="Latest day", value=_record_line(latest, guild_id, glossary_name), inline=False)
    embed.add_field(name="Role to ping", value=f"<@&{schedule.role_id}>" if schedule.role_id else "Nobody", inline=True)
    embed.add_field(name="Module focus", value=module_label(schedule.module) if schedule.module else "All", inline=True)
    embed.add_field(name="Threads", value="On" if schedule.threads else "Off", inline=True)
    if schedule.problem:
        since = f" (since {discord.utils.format_dt(schedule.problem_since, 'R')})" if schedule.problem_since else ""
        retry = (
            f"\nNext try {discord.utils.format_dt(schedule.blocked_until, 'R')}, or at once after `/totd setup`."
            if schedule.blocked_until
            else ""
        )
        problem = f"{schedule.problem}{since}{retry}"
    else:
        problem = "None"
    embed.add_field(name="Delivery problem", value=clip(problem, FIELD_MAX), inline=False)
    return embed


def _record_line(record: PostRecord | None, guild_id: int, glossary_name: Callable[[str], str | None]) -> str:
    if record is None:
        return "None yet"
    name = (glossary_name(record.slug) or record.slug) if record.slug else None
    parts = [record.local_date.isoformat(), record.status.value]
    if name:
        parts.append(name)
    line = " · ".join(parts)
    link = message_link(guild_id, record.channel_id, record.message_id)
    if link and record.status is PostStatus.POSTED:
        line += f" · {link}"
    if record.last_error:
        line += f"\n{record.last_error}"
    if record.status is not PostStatus.POSTED and record.next_attempt_at is not None:
        line += f"\nNext try {discord.utils.format_dt(record.next_attempt_at, 'R')}"
    return clip(line, FIELD_MAX)


def _text_channel(channel: object) -> discord.TextChannel:
    if isinstance(channel, discord.TextChannel):
        return channel
    raise UserFacingError("I can only post in a text channel: run this in one, or pick one with `channel`.")


class TermOfTheDay(commands.Cog):
    """Post one glossary term every day in each server that sets it up."""

    # Discord hides the admin group from members without Manage Server; every subcommand still checks it.
    totd = app_commands.Group(
        name="totd",
        description="Term of the day: one glossary term posted every day (admins)",
        guild_only=True,
        allowed_contexts=SERVER_CONTEXTS,
        allowed_installs=SERVER_INSTALLS,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot
        self.delivery = DiscordDelivery(bot, RateLimiter(REQUESTS_PER_SECOND * bot.settings.shard_share))
        self.scheduler = TotdScheduler(bot.db, bot.glossary, self.delivery, bot.clock, owns=bot.settings.owns_guild)
        self.zones = ZoneDirectory(())

    async def cog_load(self) -> None:
        # Reading the zone list touches ~600 files: keep it off the event loop.
        self.zones = await asyncio.to_thread(ZoneDirectory.from_system)
        # The one scheduler loop starts here, never in on_ready (which fires again on every reconnect).
        self.scheduler.start(self.bot.wait_until_ready)

    async def cog_unload(self) -> None:
        await self.scheduler.stop()

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Removed from a server: stop trying to post there (setup turns it back on if re-invited).
        await self.scheduler.disable(guild.id)

    # -- commands -------------------------------------------------------------------------

    @totd.command(name="setup", description="Post a term every day in a channel at a local time (Manage Server)")
    @app_commands.rename(post_time="time", zone="timezone", catch_up="catch_up_hours")
    @app_commands.describe(
        channel="The channel to post in (default: this one)",
        post_time="Local time, 24-hour HH:MM, e.g. 08:30",
        zone="Time zone, e.g. Europe/Berlin or America/New_York",
        role="A role to ping with each post (members who opted in); nobody else is pinged",
        module="Only post terms from this module (e.g. for a study month)",
        threads="Open a discussion thread under each post",
        catch_up="If I was offline at post time, post up to this many hours late the same day (default 6)",
    )
    @manage_server_only()
    async def setup_command(
        self,
        interaction: discord.Interaction[TermiBot],
        post_time: app_commands.Range[str, 1, 10],
        zone: app_commands.Range[str, 1, 64],
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        module: str | None = None,
        threads: bool = False,
        catch_up: app_commands.Range[int, 1, 23] = 6,
    ) -> None:
        guild = interaction.guild
        assert guild is not None  # the group is guild-only
        channel = channel or _text_channel(interaction.channel)
        try:
            at = parse_post_time(post_time)
            window = check_catch_up(catch_up)
        except ScheduleError as exc:
            raise UserFacingError(str(exc)) from exc
        name = self.zones.resolve(zone)
        if name is None:
            raise UserFacingError(
                f"I don't know the time zone “{quote_user_text(zone, 64)}”. Pick one from the list: "
                "IANA names such as Europe/Berlin, America/New_York or Asia/Kolkata."
            )
        focus = self._module(module)
        if role is not None and role.is_default():
            raise UserFacingError("I never ping @everyone. Pick a role members opt into, or leave `role` out.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        saved = await self.scheduler.configure(
            ServerSchedule(
                guild_id=guild.id,
                channel_id=channel.id,
                post_time=at,
                timezone=name,
                catch_up=window,
                role_id=role.id if role else None,
                module=focus,
                threads=threads,
            )
        )
        status = await self.scheduler.status(guild.id)
        lines = [
            f"Term of the day is on: every day at **{format_post_time(at)}** ({name}) in {channel.mention}.",
        ]
        if status is not None and status.next_at is not None:
            lines.append(f"Next post: {when(status.next_at)}. Use `/totd post` to post today's term now.")
        lines.append(f"Ping: {role.mention if role else 'nobody'} · Module: {module_label(focus) if focus else 'all'}")
        lines.append(f"Threads: {'on' if threads else 'off'} · Catch-up window: {catch_up} h")
        lines += self._setup_warnings(saved, channel, role)
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    def _module(self, value: str | None) -> str | None:
        module = module_or_error(value)
        if module is not None and not self.bot.glossary.module_terms(module):
            raise UserFacingError(f"{module_label(module)} has no terms yet; pick another module or leave it out.")
        return module

    def _setup_warnings(
        self, schedule: ServerSchedule, channel: discord.TextChannel, role: discord.Role | None
    ) -> list[str]:
        """Say now what would stop the first post, rather than at post time."""
        warnings = []
        try:
            _, permissions = self.delivery.channel(schedule.guild_id, schedule.channel_id)
        except DeliveryError as exc:
            return [f"⚠️ {exc}"]
        missing = missing_permissions(permissions, threads=schedule.threads)
        if missing:
            warnings.append(
                f"⚠️ I can't post there yet: I'm missing {', '.join(missing)} in {channel.mention}. "
                "Fix it and I'll retry within the hour (or run `/totd setup` again)."
            )
        if role is not None and not role.mentionable and not permissions.mention_everyone:
            warnings.append(
                f"⚠️ {role.mention} can't be mentioned by me: make it mentionable, or give me "
                "the Mention @everyone, @here and All Roles permission (I still only ping that role)."
            )
        return warnings

    @setup_command.autocomplete("zone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in self.zones.complete(current[:64])]

    @setup_command.autocomplete("module")
    async def module_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return module_choices(current)

    @app_commands.command(name="today", description="Today's term of the day in this server")
    @server_only
    async def today(self, interaction: discord.Interaction[TermiBot]) -> None:
        await self._show_today(interaction)

    @totd.command(name="show", description="Today's term of the day in this server")
    async def show(self, interaction: discord.Interaction[TermiBot]) -> None:
        await self._show_today(interaction)

    async def _show_today(self, interaction: discord.Interaction[TermiBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        schedule, record, next_at = await self.scheduler.today(guild_id)
        if schedule is None:
            await interaction.response.send_message(
                "This server has no term of the day yet. An admin can start one with `/totd setup`.", ephemeral=True
            )
            return
        if record is not None and record.status is PostStatus.POSTED and record.slug is not None:
            term = self.bot.glossary.get(record.slug)
            if term is None:
                raise UserFacingError("Today's term has since left the glossary. Try `/random` instead.")
            embed, view = self.delivery.render(term, record.local_date)
            link = message_link(guild_id, record.channel_id, record.message_id)
            await interaction.response.send_message(
                f"Posted in <#{record.channel_id}>: {link}" if link else None, embed=embed, view=view, ephemeral=True
            )
            return
        if not schedule.enabled:
            text = "The term of the day is turned off in this server."
        elif next_at is not None:
            text = f"Today's term isn't out yet. Next post: {when(next_at)}."
        else:
            text = "Today's term isn't out yet."
        await interaction.response.send_message(text, ephemeral=True)

    @totd.command(name="status", description="Channel, time, next post and delivery problems (Manage Server)")
    @manage_server_only()
    async def status(self, interaction: discord.Interaction[TermiBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        status = await self.scheduler.status(guild_id)
        if status is None:
            raise UserFacingError("The term of the day isn't set up here yet: run `/totd setup`.")
        embed = status_embed(status, guild_id, self._term_name)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    def _term_name(self, slug: str) -> str | None:
        term = self.bot.glossary.get(slug)
        return term.name if term else None

    @totd.command(name="disable", description="Stop posting the term of the day here (Manage Server)")
    @manage_server_only()
    async def disable(self, interaction: discord.Interaction[TermiBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        if not await self.scheduler.disable(guild_id):
            raise UserFacingError("The term of the day isn't set up here, so there is nothing to turn off.")
        await interaction.response.send_message(
            "The term of the day is off. Nothing is deleted: `/totd setup` turns it back on.", ephemeral=True
        )

    @totd.command(name="post", description="Post today's term now; it counts as today's post (Manage Server)")
    @manage_server_only()
    async def post(self, interaction: discord.Interaction[TermiBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.scheduler.post_now(guild_id)
        await interaction.followup.send(describe_outcome(outcome, guild_id), ephemeral=True)

    @totd.command(name="skip", description="Replace today's term with another one (Manage Server)")
    @manage_server_only()
    async def skip(self, interaction: discord.Interaction[TermiBot]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.scheduler.skip(guild_id)
        await interaction.followup.send(describe_outcome(outcome, guild_id), ephemeral=True)


async def setup(bot: TermiBot) -> None:
    """Register the cog (its buttons are the glossary's persistent related-term buttons)."""
    await bot.add_cog(TermOfTheDay(bot))
