"""/totd through the real command tree and the real Discord delivery, with a fake clock.

Interactions are real `discord.Interaction`s built from raw payloads (tests/interactions.py);
the bot's REST calls for channel posts go to a recorder standing in for `HTTPClient.request`,
and every body is checked against Discord's OpenAPI spec when it is available.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import ui

from bot.client import TermiBot
from bot.config import ConfigError, Settings
from bot.core.schedule import Pick, PostStatus, post_marker
from bot.exts._totd_delivery import post_view
from bot.exts.totd import TermOfTheDay
from bot.runner import started_clock
from bot.services.glossary import GlossaryService
from tests.clock import FakeClock
from tests.interactions import (
    BOT_USER,
    CHANNEL_ID,
    GUILD_ID,
    USER_ID,
    Call,
    ChannelApi,
    Harness,
    Recorder,
    harness,
)

POST_AT = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
DAY = date(2026, 11, 25)
BOT_ROLE = 900000000000000010
LEARNERS = 900000000000000011
ADMIN = str(discord.Permissions(manage_guild=True).value)
POSTING = discord.Permissions(
    view_channel=True, send_messages=True, embed_links=True, read_message_history=True, create_public_threads=True
)
_ids = itertools.count(920000000000000000)


def role(role_id: int, name: str, permissions: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": str(permissions),
        "position": 1 if role_id != GUILD_ID else 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
        **extra,
    }


def guild_payload(bot_permissions: discord.Permissions, overwrites: list[dict[str, Any]]) -> dict[str, Any]:
    """A server as GUILD_CREATE describes it: @everyone, the bot's role, a learners role, #study."""
    return {
        "id": str(GUILD_ID),
        "name": "Supply chain study group",
        "icon": None,
        "owner_id": str(USER_ID),
        "roles": [
            role(GUILD_ID, "@everyone"),
            role(BOT_ROLE, "TermiKnowledge", bot_permissions.value, managed=True),
            role(LEARNERS, "learners", mentionable=True),
        ],
        "channels": [
            {
                "id": str(CHANNEL_ID),
                "type": 0,
                "name": "study",
                "position": 0,
                "permission_overwrites": overwrites,
                "nsfw": False,
                "parent_id": None,
            }
        ],
        "members": [
            {
                "user": BOT_USER,
                "roles": [str(BOT_ROLE)],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        ],
        "member_count": 2,
        "features": [],
        "emojis": [],
        "stickers": [],
        "threads": [],
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
    }


class TotdHarness(Harness):
    """The shared interaction harness plus a server in the cache, a fake clock and a channel API."""

    def __init__(self, bot: TermiBot, recorder: Recorder, clock: FakeClock, api: ChannelApi) -> None:
        super().__init__(bot, recorder)
        self.clock = clock
        self.api = api

    @property
    def cog(self) -> TermOfTheDay:
        # load_extension executes the module afresh, so this is not the class imported above.
        cog = self.bot.get_cog("TermOfTheDay")
        assert cog is not None and type(cog).__name__ == "TermOfTheDay"
        return cog  # type: ignore[return-value]

    def server(self, bot_permissions: discord.Permissions = POSTING, deny: discord.Permissions | None = None) -> None:
        overwrites = []
        if deny is not None:
            overwrites.append({"id": str(BOT_ROLE), "type": 0, "allow": "0", "deny": str(deny.value)})
        self.bot._connection._add_guild_from_data(guild_payload(bot_permissions, overwrites))  # type: ignore[arg-type]

    async def totd(self, sub: str, *, permissions: str = ADMIN, **options: Any) -> list[Call]:
        """Run /totd <sub> and return the bot's answers (a deferral is followed by its follow-up)."""
        types = {"channel": 7, "role": 8, "threads": 5, "catch_up_hours": 4}
        opts = [
            {"name": k, "type": types.get(k, 3), "value": str(v) if k in ("channel", "role") else v}
            for k, v in options.items()
        ]
        data: dict[str, Any] = {
            "id": str(next(_ids)),
            "name": "totd",
            "type": 1,
            "options": [{"name": sub, "type": 1, "options": opts}],
        }
        resolved: dict[str, Any] = {}
        guild = self.bot.get_guild(GUILD_ID)
        if "channel" in options and guild is not None:
            channel = guild.get_channel(int(options["channel"]))
            resolved["channels"] = {
                str(options["channel"]): {
                    "id": str(options["channel"]),
                    "type": 0,
                    "name": getattr(channel, "name", "x"),
                    "permissions": "0",
                }
            }
        if "role" in options and guild is not None:
            found = guild.get_role(int(options["role"]))
            assert found is not None
            resolved["roles"] = {str(found.id): role(found.id, found.name, mentionable=found.mentionable)}
        if resolved:
            data["resolved"] = resolved
        first = await self._send(self._base(2, data, permissions=permissions), 5.0)
        answers = [first]
        if first.body.get("type") == 5:  # deferred: wait for the follow-up
            answers.append(await asyncio.wait_for(self.recorder.queue.get(), 5.0))
        return answers

    async def round(self) -> None:
        await self.cog.scheduler.run_round()
        await self.cog.scheduler.drain()


@asynccontextmanager
async def totd_harness(tmp_path: Path, service: GlossaryService, clock: FakeClock) -> AsyncIterator[TotdHarness]:
    settings = Settings(token="x", database_path=tmp_path / "tk.db", glossary_dir=tmp_path / "g")
    api = ChannelApi()
    extensions = ("bot.exts.glossary", "bot.exts.help", "bot.exts.totd")
    async with harness(settings, service, extensions, clock=clock, http=api.request) as base:
        yield TotdHarness(base.bot, base.recorder, clock, api)
        assert not api.errors, api.errors


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(POST_AT - timedelta(hours=1))


@pytest.fixture
async def h(tmp_path: Path, service: GlossaryService, clock: FakeClock) -> AsyncIterator[TotdHarness]:
    async with totd_harness(tmp_path, service, clock) as running:
        running.server()
        yield running


async def setup_berlin(h: TotdHarness, **extra: Any) -> list[Call]:
    return await h.totd("setup", channel=CHANNEL_ID, time="08:30", timezone="Europe/Berlin", **extra)


# -- permissions and validation ---------------------------------------------------------------


@pytest.mark.parametrize("sub", ["setup", "status", "disable", "post", "skip"])
async def test_admin_subcommands_need_manage_server_and_say_so_ephemerally(h: TotdHarness, sub: str):
    options = {"channel": CHANNEL_ID, "time": "08:30", "timezone": "Europe/Berlin"} if sub == "setup" else {}
    [answer] = await h.totd(sub, permissions="0", **options)
    assert answer.ephemeral
    assert "Manage Server" in answer.data["content"]
    assert await h.bot.db.totd_settings(GUILD_ID) is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"time": "8.30", "timezone": "Europe/Berlin"}, "HH:MM in 24-hour format"),
        ({"time": "25:00", "timezone": "Europe/Berlin"}, "HH:MM in 24-hour format"),
        ({"time": "08:30", "timezone": "Europe/Berlim"}, "I don't know the time zone “Europe/Berlim”"),
        ({"time": "08:30", "timezone": "@everyone"}, "I don't know the time zone “@\u200beveryone”"),
        ({"time": "08:30", "timezone": "UTC", "module": "Underwater basket weaving"}, "I don't know the module"),
        ({"time": "08:30", "timezone": "UTC", "role": GUILD_ID}, "I never ping @everyone"),
    ],
)
async def test_setup_rejects_bad_options_with_a_friendly_ephemeral_message(h: TotdHarness, options, expected):
    [answer] = await h.totd("setup", channel=CHANNEL_ID, **options)
    assert answer.ephemeral
    assert expected in answer.data["content"]
    assert await h.bot.db.totd_settings(GUILD_ID) is None


async def test_timezone_and_module_autocomplete(h: TotdHarness):
    def focused(option: str, value: str) -> dict[str, Any]:
        opts = [{"name": option, "type": 3, "value": value, "focused": True}]
        return {
            "id": str(next(_ids)),
            "name": "totd",
            "type": 1,
            "options": [{"name": "setup", "type": 1, "options": opts}],
        }

    call = await h._send(h._base(4, focused("timezone", "berl"), permissions=ADMIN), 5.0)
    assert call.body["data"]["choices"] == [{"name": "Europe/Berlin", "value": "Europe/Berlin"}]
    call = await h._send(h._base(4, focused("timezone", ""), permissions=ADMIN), 5.0)
    assert 0 < len(call.body["data"]["choices"]) <= 25
    call = await h._send(h._base(4, focused("module", "lean"), permissions=ADMIN), 5.0)
    assert [c["value"] for c in call.body["data"]["choices"]] == ["Lean"]


# -- setup, posting, show and status --------------------------------------------------------------


async def test_setup_stores_the_settings_and_tells_the_next_post_time(h: TotdHarness):
    defer, reply = await setup_berlin(h, role=LEARNERS, module="22", threads=True, catch_up_hours=3)
    assert defer.body["type"] == 5 and defer.ephemeral
    assert reply.ephemeral
    content = reply.data["content"]
    assert "every day at **08:30** (Europe/Berlin)" in content
    assert f"<t:{int(POST_AT.timestamp())}:F>" in content
    assert "22. Lean" in content and "Catch-up window: 3 h" in content
    assert "⚠️" not in content
    stored = await h.bot.db.totd_settings(GUILD_ID)
    assert stored is not None
    assert (stored.channel_id, stored.timezone, stored.role_id, stored.module, stored.threads) == (
        CHANNEL_ID,
        "Europe/Berlin",
        LEARNERS,
        "Lean",
        True,
    )
    assert stored.catch_up == timedelta(hours=3)


async def test_setup_warns_about_missing_permissions_right_away(h: TotdHarness):
    h.server(deny=discord.Permissions(embed_links=True, read_message_history=True))
    _, reply = await setup_berlin(h)
    assert "missing Embed Links, Read Message History" in reply.data["content"]


async def test_the_scheduled_post_arrives_with_the_embed_marker_buttons_and_role_ping_only(h: TotdHarness, service):
    await setup_berlin(h, role=LEARNERS, threads=True)
    await h.round()
    assert h.api.posts() == []
    h.clock.now = POST_AT
    await h.round()
    [post] = h.api.posts()
    body = post.body
    embed = body["embeds"][0]
    assert embed["author"]["name"] == "Term of the day"
    assert embed["footer"]["text"] == post_marker(DAY) == "Term of the day · 2026-11-25"
    term = service.get((await h.bot.db.totd_latest(GUILD_ID)).slug)  # type: ignore[union-attr]
    assert embed["title"] == term.name and embed["description"] == term.definition
    assert body["content"] == f"<@&{LEARNERS}>"
    assert body["allowed_mentions"] == {"parse": [], "roles": [str(LEARNERS)]}
    first_row = [c["custom_id"] for c in body["components"][0]["components"]]
    assert first_row == [f"tk:rel:{slug}" for slug in term.related]
    threads = [c for c in h.api.calls if c.path.endswith("/threads")]
    assert [c.body["name"] for c in threads] == [term.name]
    row = await h.bot.db.totd_latest(GUILD_ID)
    assert row is not None and row.status is PostStatus.POSTED and str(row.message_id) == h.api.messages[0]["id"]
    # A second look the same day posts nothing more.
    h.clock.now = POST_AT + timedelta(hours=2)
    await h.round()
    assert len(h.api.posts()) == 1


async def test_without_a_role_the_post_pings_nobody(h: TotdHarness):
    await setup_berlin(h)
    h.clock.now = POST_AT
    await h.round()
    [post] = h.api.posts()
    assert post.body.get("content") in (None, "")
    assert post.body["allowed_mentions"] == {"parse": []}


async def test_show_gives_everyone_the_posted_term(h: TotdHarness):
    [before] = await h.totd("show", permissions="0")
    assert before.ephemeral and "no term of the day" in before.data["content"]
    await setup_berlin(h)
    [waiting] = await h.totd("show", permissions="0")
    assert "isn't out yet" in waiting.data["content"] and f"<t:{int(POST_AT.timestamp())}:F>" in waiting.data["content"]
    h.clock.now = POST_AT
    await h.round()
    [shown] = await h.totd("show", permissions="0")
    posted = h.api.posts()[0].body["embeds"][0]
    assert shown.ephemeral
    assert shown.embeds[0]["title"] == posted["title"]
    assert shown.embeds[0]["footer"]["text"] == "Term of the day · 2026-11-25"
    message_id = h.api.messages[0]["id"]
    assert f"https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{message_id}" in shown.data["content"]


async def test_status_shows_channel_time_zone_next_and_last_post(h: TotdHarness):
    await setup_berlin(h, catch_up_hours=4)
    h.clock.now = POST_AT
    await h.round()
    [answer] = await h.totd("status")
    assert answer.ephemeral
    fields = {f["name"]: f["value"] for f in answer.embeds[0]["fields"]}
    assert fields["Channel"] == f"<#{CHANNEL_ID}>"
    assert fields["Time"] == "08:30 Europe/Berlin"
    assert fields["Catch-up window"] == "4 h"
    tomorrow = int((POST_AT + timedelta(days=1)).timestamp())
    assert fields["Next post"] == f"<t:{tomorrow}:F> (<t:{tomorrow}:R>)"
    assert fields["Last post"].startswith("2026-11-25 · posted · ")
    assert fields["Delivery problem"] == "None"


async def test_missing_permissions_block_the_post_and_show_in_status(h: TotdHarness):
    await setup_berlin(h)
    h.server(deny=discord.Permissions(send_messages=True))
    h.clock.now = POST_AT
    await h.round()
    assert h.api.posts() == []
    [answer] = await h.totd("status")
    fields = {f["name"]: f["value"] for f in answer.embeds[0]["fields"]}
    assert "I am missing the Send Messages" in fields["Delivery problem"]
    retry = int((POST_AT + timedelta(hours=1)).timestamp())
    assert f"Next try <t:{retry}:R>" in fields["Delivery problem"]
    # Fixed, and setup run again: the post goes out at once (still inside the catch-up window).
    h.server()
    await setup_berlin(h)
    await h.round()
    assert len(h.api.posts()) == 1


async def test_a_403_from_discord_is_recorded_not_retried_in_a_storm(h: TotdHarness):
    await setup_berlin(h)
    h.api.fail_next["POST /channels/{channel_id}/messages"] = 403
    h.clock.now = POST_AT
    await h.round()
    for _ in range(3):
        h.clock.now += timedelta(minutes=10)
        await h.round()
    assert len(h.api.posts()) == 1  # the refused attempt only
    [answer] = await h.totd("status")
    fields = {f["name"]: f["value"] for f in answer.embeds[0]["fields"]}
    assert "Discord refused (403" in fields["Delivery problem"]
    assert "2026-11-25 · failed" in fields["Latest day"]
    h.clock.now = POST_AT + timedelta(hours=1)
    await h.round()
    assert len(h.api.posts()) == 2 and len(h.api.messages) == 1


async def test_a_restart_reconciles_an_unconfirmed_post_from_the_channel(h: TotdHarness, service):
    await setup_berlin(h)
    h.clock.now = POST_AT
    await h.round()
    row = await h.bot.db.totd_latest(GUILD_ID)
    assert row is not None
    # Pretend the process died after Discord had the message but before it was recorded.
    await h.bot.db.totd_mark_retry(GUILD_ID, DAY, PostStatus.SENDING, POST_AT, "crash", POST_AT)
    await h.round()
    assert len(h.api.posts()) == 1
    assert [c.method for c in h.api.calls[-1:]] == ["GET"]
    again = await h.bot.db.totd_latest(GUILD_ID)
    assert again is not None and again.status is PostStatus.POSTED and again.message_id == row.message_id


async def test_post_now_then_skip_edits_the_post_with_another_term(h: TotdHarness):
    await setup_berlin(h)
    _, posted = await h.totd("post")
    assert posted.ephemeral and posted.data["content"].startswith("Posted today's term: https://discord.com/channels/")
    _, again = await h.totd("post")
    assert "already posted" in again.data["content"]
    first_title = h.api.messages[0]["embeds"][0]["title"]
    _, skipped = await h.totd("skip")
    assert skipped.data["content"].startswith("Replaced today's term")
    [edit] = [c for c in h.api.calls if c.method == "PATCH"]
    assert edit.body["embeds"][0]["title"] != first_title
    assert edit.body["embeds"][0]["footer"]["text"] == "Term of the day · 2026-11-25"
    assert len(h.api.posts()) == 1


async def test_disable_turns_it_off_and_keeps_history(h: TotdHarness):
    [nothing] = await h.totd("disable")
    assert "isn't set up" in nothing.data["content"]
    await setup_berlin(h)
    await h.bot.db.totd_begin(GUILD_ID, DAY - timedelta(days=1), Pick("kanban", 0), CHANNEL_ID, POST_AT)
    [answer] = await h.totd("disable")
    assert answer.ephemeral and "is off" in answer.data["content"]
    h.clock.now = POST_AT
    await h.round()
    assert h.api.posts() == []
    assert len(await h.bot.db.totd_history(GUILD_ID, 5)) == 1


async def test_help_lists_the_term_of_the_day(h: TotdHarness):
    call = await h.command("help")
    assert "/today" in call.embeds[0]["description"]
    assert "/totd setup" in call.embeds[0]["description"]


async def test_the_loop_starts_in_cog_load_and_stops_on_unload(h: TotdHarness):
    scheduler = h.cog.scheduler
    assert scheduler.running
    await h.bot.unload_extension("bot.exts.totd")
    assert not scheduler.running


async def test_setup_without_a_channel_posts_where_it_was_run(h: TotdHarness):
    await h.totd("setup", time="08:30", timezone="europe/berlin")
    stored = await h.bot.db.totd_settings(GUILD_ID)
    assert stored is not None and (stored.channel_id, stored.timezone) == (CHANNEL_ID, "Europe/Berlin")


async def test_post_and_skip_before_setup_say_what_to_do(h: TotdHarness):
    _, post = await h.totd("post")
    assert "run `/totd setup` first" in post.data["content"]
    _, skip = await h.totd("skip")
    assert "run `/totd setup` first" in skip.data["content"]
    [status] = await h.totd("status")
    assert status.ephemeral and "isn't set up" in status.data["content"]


async def test_a_deleted_channel_is_reported(h: TotdHarness):
    await setup_berlin(h)
    guild = h.bot.get_guild(GUILD_ID)
    assert guild is not None
    guild._remove_channel(guild.get_channel(CHANNEL_ID))  # type: ignore[arg-type]
    _, answer = await h.totd("post")
    assert "was deleted or I cannot see it" in answer.data["content"]
    assert h.api.posts() == []


async def test_leaving_a_server_turns_its_posts_off(h: TotdHarness):
    await setup_berlin(h)
    guild = h.bot.get_guild(GUILD_ID)
    assert guild is not None
    await h.cog.on_guild_remove(guild)
    stored = await h.bot.db.totd_settings(GUILD_ID)
    assert stored is not None and not stored.enabled


async def test_the_post_has_related_terms_then_study_buttons_in_a_second_row(h: TotdHarness):
    await setup_berlin(h)
    h.clock.now = POST_AT
    await h.round()
    [post] = h.api.posts()
    rows = [[c["custom_id"] for c in row["components"]] for row in post.body["components"]]
    slug = (await h.bot.db.totd_latest(GUILD_ID)).slug  # type: ignore[union-attr]
    assert rows[0] and all(custom_id.startswith("tk:rel:") for custom_id in rows[0])
    assert rows[1] == [f"tk:deck:{slug}", f"tk:qz:me:{slug}"]


def test_the_clock_start_setting_moves_the_bots_clock():
    settings = Settings.from_env({"CLOCK_START": "2026-11-25T07:29:00+00:00"})
    assert settings.clock_start == datetime(2026, 11, 25, 7, 29, tzinfo=UTC)
    clock = started_clock(settings.clock_start)
    assert timedelta(0) <= clock() - settings.clock_start < timedelta(seconds=5)
    assert Settings.from_env({}).clock_start is None
    for bad in ("tomorrow", "2026-11-25T07:29:00"):
        with pytest.raises(ConfigError, match="CLOCK_START"):
            Settings.from_env({"CLOCK_START": bad})


def test_extra_buttons_beyond_a_full_row_are_dropped_not_fatal(service):
    term = service.get("kanban")
    extras = [ui.Button(label=f"Extra {n}", custom_id=f"tk:x:{n}") for n in range(7)]
    view = post_view(term, service, extras)
    rows = [[c["custom_id"] for c in row["components"]] for row in view.to_components()]
    assert rows[0] == ["tk:rel:kaizen", "tk:rel:safety-stock"]
    assert len(rows) == 2 and len(rows[1]) == 5


async def test_admin_commands_are_hidden_from_members_and_today_is_for_everyone(h: TotdHarness):
    payload = {c["name"]: c for c in (cmd.to_dict(h.bot.tree) for cmd in h.bot.tree.get_commands())}
    assert int(payload["totd"]["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert payload["today"]["default_member_permissions"] is None
    refused = await h.totd("status", permissions="0")  # a member who reached it anyway: checked server-side
    assert refused[0].ephemeral and "Manage Server" in refused[0].data["content"]
    answer = await h.command("today")
    assert answer.ephemeral and "no term of the day yet" in answer.data["content"]
