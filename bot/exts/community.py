"""/suggest and the moderators' /glossary commands: review queue, server terms, overrides and gaps."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import TermiBot
from bot.core.suggestions import SuggestionError
from bot.db.repositories import ReviewSetup
from bot.errors import PersistentView, ShuttingDownError, modal_values, report
from bot.exts._export import send_file
from bot.exts._install import SERVER_CONTEXTS, SERVER_INSTALLS, server_only
from bot.exts._moderation import ReviewButton, approve_edited, post_waiting, reject_with_reason, require_moderator
from bot.exts._queue import outcome_text, safe
from bot.exts._suggest import DraftButton, SuggestFixButton, SuggestGapButton, SuggestModal, submit_suggestion
from bot.services.export import FORMATS, SCOPES, extension, glossary_entries, render

log = logging.getLogger(__name__)
PERIODS = {"7d": 7, "30d": 30, "90d": 90, "all": None}
GAPS_SHOWN = 15
FORM_PREFIX = "tk:md:"
_FORM = re.compile(r"tk:md:(?:sg|fix:(?P<slug>[a-z0-9-]{1,90})|(?P<decision>ed|rj):(?P<id>\d{1,12}))")
_MESSAGE_RESPONSES = (
    discord.InteractionResponseType.channel_message,
    discord.InteractionResponseType.deferred_channel_message,
    discord.InteractionResponseType.deferred_message_update,
    discord.InteractionResponseType.message_update,
)


async def submit_form(interaction: discord.Interaction[TermiBot], form: str, values: dict[str, str]) -> None:
    """Answer a submitted form by what its custom id names."""
    match = _FORM.fullmatch(form)
    if match is None:
        raise SuggestionError("That form is out of date; please open it again.")
    if match["decision"] == "ed":
        await approve_edited(interaction, int(match["id"]), values)
    elif match["decision"] == "rj":
        await reject_with_reason(interaction, int(match["id"]), values.get("reason", ""))
    else:  # a new term, or a correction of the term named by its slug
        await submit_suggestion(interaction, values, match["slug"])


def _require_manage_server(interaction: discord.Interaction[TermiBot]) -> int:
    if interaction.guild_id is None:
        raise SuggestionError("That command only works inside a server.")
    if not interaction.permissions.manage_guild:
        raise SuggestionError("You need the **Manage Server** permission for that. Nothing changed.")
    return interaction.guild_id


class Community(commands.Cog):
    """Members suggest terms and corrections; moderators review them; servers grow their own glossary."""

    glossary = app_commands.Group(
        name="glossary",
        description="This server's glossary: review queue, server terms, gaps (moderators)",
        guild_only=True,
        allowed_contexts=SERVER_CONTEXTS,
        allowed_installs=SERVER_INSTALLS,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: TermiBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # Server terms must be live before the first command is answered.
        loaded = await self.bot.community.load()
        log.info("Loaded %d server term(s)", loaded)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[TermiBot]) -> None:
        # The forms are stateless (bot/errors.py: StatelessModal): every submit is answered here, by its custom
        # id, so a form opened before a restart or by another process is not lost.
        data: dict[str, Any] = dict(interaction.data or {})
        form = str(data.get("custom_id", ""))
        if interaction.type is not discord.InteractionType.modal_submit or not form.startswith(FORM_PREFIX):
            return
        try:
            if self.bot.shutting_down:
                raise ShuttingDownError
            await submit_form(interaction, form, modal_values(data))
        except Exception as exc:
            await report(interaction, exc, f"form {form}")

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction[TermiBot], _: Any) -> None:
        # Outcomes that could not go by DM are told on the member's next command.
        community = self.bot.community
        user_id = interaction.user.id
        if not community.has_news(user_id) or interaction.response.type not in _MESSAGE_RESPONSES:
            return
        outcomes = await community.outcomes(user_id)
        if not outcomes:
            await community.delivered(user_id, [])
            return
        text = "\n".join(outcome_text(s) for s in outcomes[:5])
        try:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.info("Could not tell %s about their suggestions: %s", user_id, exc)
            return
        await community.delivered(user_id, outcomes[:5])

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        # Queued suggestions stay in the database; /glossary status says why nothing new is posted.
        setup = await self.bot.community.setup(channel.guild.id)
        if setup is not None and setup.channel_id == channel.id:
            await self.bot.community.report_channel_problem(
                channel.guild.id, "The review channel was deleted; pick another with /glossary setup."
            )

    @app_commands.command(name="suggest", description="Suggest a new glossary term for this server")
    @server_only
    async def suggest(self, interaction: discord.Interaction[TermiBot]) -> None:
        await interaction.response.send_modal(SuggestModal())

    @glossary.command(name="setup", description="Pick the review channel and moderator role (Manage Server)")
    @app_commands.describe(
        review_channel="Where suggestions are posted for review",
        moderator_role="Members with this role may approve or reject (Manage Server always can)",
    )
    async def setup_command(
        self,
        interaction: discord.Interaction[TermiBot],
        review_channel: discord.TextChannel,
        moderator_role: discord.Role | None = None,
    ) -> None:
        guild_id = _require_manage_server(interaction)
        if moderator_role is not None and moderator_role.is_default():
            raise SuggestionError("Pick a moderators' role, not @everyone. Nothing changed.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        role_id = moderator_role.id if moderator_role else None
        await self.bot.community.configure(ReviewSetup(guild_id, review_channel.id, role_id))
        posted = await post_waiting(self.bot, guild_id)
        who = f"Manage Server and {moderator_role.mention}" if moderator_role else "members with Manage Server"
        await interaction.followup.send(
            f"Suggestions now go to {review_channel.mention}; {who} can review them."
            + (f" Posted {posted} waiting suggestion(s)." if posted else ""),
            ephemeral=True,
        )

    @glossary.command(name="status", description="Review queue, server terms and problems (Manage Server)")
    async def status(self, interaction: discord.Interaction[TermiBot]) -> None:
        guild_id = _require_manage_server(interaction)
        community = self.bot.community
        setup = await community.setup(guild_id)
        queued = await community.queue(guild_id)
        lines = []
        if setup is None or setup.channel_id is None:
            lines.append("Review channel: not set. Use `/glossary setup`.")
        else:
            role = f"<@&{setup.role_id}>" if setup.role_id else "none (Manage Server only)"
            lines.append(f"Review channel: <#{setup.channel_id}> · moderator role: {role}")
        if setup is not None and setup.problem:
            lines.append(f"⚠️ Problem: {setup.problem} Queued suggestions are kept and posted once it works.")
        unposted = sum(1 for s in queued if s.queue_message_id is None)
        lines.append(f"Waiting for review: {len(queued)} ({unposted} not posted yet)")
        terms = self.bot.glossary.server_terms(guild_id)
        fixes = sum(1 for t in terms if t.overrides)
        lines.append(f"Server terms: {len(terms) - fixes} new, {fixes} correction(s) of bundled terms")
        changed = community.changed_overrides(guild_id)
        if changed:
            lines.append(f"Corrections to re-check: {len(changed)} (see `/glossary overrides`)")
        embed = discord.Embed(title="Community glossary", description="\n".join(lines))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @glossary.command(name="overrides", description="Corrections whose bundled term changed since (Manage Server)")
    async def overrides(self, interaction: discord.Interaction[TermiBot]) -> None:
        guild_id = _require_manage_server(interaction)
        changed = self.bot.community.changed_overrides(guild_id)
        if not changed:
            await interaction.response.send_message(
                "No correction needs a look: the bundled terms this server corrects have not changed.", ephemeral=True
            )
            return
        lines = []
        for server_term, bundled in changed[:20]:
            what = "was removed from the bundled glossary" if bundled is None else "changed in the bundled glossary"
            lines.append(f"**{safe(server_term.term.name, 100)}** (`{server_term.term.slug}`) {what}")
        await interaction.response.send_message(
            "These corrections were made against older bundled text; compare them, then keep them or "
            "`/glossary remove` them:\n" + "\n".join(lines),
            ephemeral=True,
        )

    @glossary.command(name="remove", description="Remove one of this server's terms or corrections (moderators)")
    @app_commands.describe(term="The server term to remove (a correction's removal restores the bundled text)")
    async def remove(self, interaction: discord.Interaction[TermiBot], term: app_commands.Range[str, 1, 100]) -> None:
        guild_id = await require_moderator(interaction)
        found = self.bot.glossary.resolve(term, guild_id).match
        server_term = self.bot.glossary.server_term(found.slug, guild_id) if found else None
        if server_term is None:
            raise SuggestionError(f"“{safe(term, 100)}” is not one of this server's own terms. Nothing changed.")
        await self.bot.community.remove(guild_id, server_term.term.slug)
        back = " The bundled text is back." if server_term.overrides else ""
        await interaction.response.send_message(
            f"Removed **{safe(server_term.term.name, 100)}** from this server's glossary.{back}", ephemeral=True
        )

    @remove.autocomplete("term")
    async def remove_autocomplete(
        self, interaction: discord.Interaction[TermiBot], current: str
    ) -> list[app_commands.Choice[str]]:
        terms = self.bot.glossary.server_terms(interaction.guild_id) if interaction.guild_id else []
        text = current.casefold()
        return [
            app_commands.Choice(name=t.term.name[:100], value=t.term.slug)
            for t in terms
            if text in t.term.name.casefold()
        ][:25]

    @glossary.command(name="gaps", description="What members looked up and didn't find (Manage Server)")
    @app_commands.describe(period="How far back to count (default: 30 days)")
    @app_commands.choices(period=[app_commands.Choice(name=k, value=k) for k in PERIODS])
    async def gaps(self, interaction: discord.Interaction[TermiBot], period: str = "30d") -> None:
        guild_id = _require_manage_server(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.community.gaps(guild_id, PERIODS.get(period, 30), GAPS_SHOWN)
        if not found:
            await interaction.followup.send(
                "No misses recorded in this period: the glossary had an answer.", ephemeral=True
            )
            return
        lines = [
            f"`{g.count:4d}×` {safe(g.query, 80)} · first {g.first_day} · last "
            + (f"<t:{int(g.last_seen.timestamp())}:R>" if g.last_seen else "?")
            for g in found
        ]
        view = PersistentView()
        for gap in found[:GAPS_SHOWN]:
            view.add_item(SuggestGapButton(gap.query, f"Suggest “{gap.query[:60]}”"))
        embed = discord.Embed(title=f"Glossary gaps ({period})", description="\n".join(lines))
        await interaction.followup.send(embed=embed, view=view, ephemeral=True)

    @glossary.command(name="export", description="Download the glossary as CSV, JSON or an Anki deck (Manage Server)")
    @app_commands.describe(
        format="csv or json for spreadsheets and scripts, anki for an .apkg deck",
        scope="bundled: the shipped glossary; server: this server's own terms; all: both (default)",
    )
    @app_commands.choices(
        format=[app_commands.Choice(name=f, value=f) for f in FORMATS],
        scope=[app_commands.Choice(name=s, value=s) for s in SCOPES],
    )
    async def export(self, interaction: discord.Interaction[TermiBot], format: str, scope: str = "all") -> None:
        guild_id = _require_manage_server(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        entries = glossary_entries(self.bot.glossary, scope, guild_id)
        if not entries:
            await interaction.followup.send("This server has no terms of its own yet.", ephemeral=True)
            return
        key = f"server:{guild_id}:{scope}" if scope != "bundled" else "bundled"
        data = await asyncio.to_thread(render, format, entries, "TermiKnowledge glossary", key, guild_id)
        await send_file(interaction, data, f"termiknowledge-{scope}.{extension(format)}", f"{len(entries)} terms")


async def setup(bot: TermiBot) -> None:
    """Register the cog and its persistent buttons."""
    bot.add_dynamic_items(ReviewButton, DraftButton, SuggestFixButton, SuggestGapButton)
    await bot.add_cog(Community(bot))
