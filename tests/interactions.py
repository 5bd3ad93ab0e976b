"""Drive the real bot in-process: raw interaction payloads in, recorded Discord calls out.

Interactions go through discord.py's own `ConnectionState.parse_interaction_create`, as a
gateway event would, so the real command tree, transformers, autocomplete and dynamic
items run; only the HTTP layer is replaced by a recorder that checks every body against
Discord's OpenAPI spec when it is available.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

from bot.client import TermiBot
from bot.config import Settings
from bot.core.timezones import Clock, utc_now
from bot.services.glossary import GlossaryService
from tests.fakediscord.schema import load_spec

APP_ID = 900000000000000001
GUILD_ID = 900000000000000002
CHANNEL_ID = 900000000000000003
USER_ID = 900000000000000004
BOT_USER = {"id": str(APP_ID), "username": "TermiKnowledge", "discriminator": "0", "avatar": None, "bot": True}
_ids = itertools.count(910000000000000000)


class ChannelApi:
    """Stands in for `HTTPClient.request` (channel posts, reads and edits): keeps the channel's messages,
    records every call, checks its body against the spec, and fails on request."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.fail_next: dict[str, int] = {}  # "METHOD /template" -> HTTP status to answer once
        self.fail_with: int | None = None  # answer every request with this status until cleared
        self.edited = asyncio.Event()
        self.dms_closed: set[int] = set()  # users whose DMs refuse the bot (403)
        self.dms: list[tuple[int, dict[str, Any]]] = []  # (user id, message body) delivered by DM
        self.dm_channels: dict[int, int] = {}  # DM channel id -> user id

    def _refuse(self, status: int) -> discord.HTTPException:
        response = SimpleNamespace(status=status, reason="Refused")
        error = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
        return error(response, {"message": "Refused", "code": 50001})  # type: ignore[arg-type]

    async def request(self, route: Any, **kwargs: Any) -> Any:
        path = route.url.split("/api/v10", 1)[-1]
        body = kwargs.get("json")
        validator = load_spec()
        if validator is not None:
            self.errors += validator.check(route.method, path, body)
        key = f"{route.method} {route.path}"
        if self.fail_with is not None:
            raise self._refuse(self.fail_with)
        self.calls.append(Call(route.method, path, body))
        if key in self.fail_next:
            raise self._refuse(self.fail_next.pop(key))
        if key == "GET /users/{user_id}":
            user_id = int(path.rsplit("/", 1)[-1])
            return {"id": str(user_id), "username": f"member{user_id % 100}", "discriminator": "0", "avatar": None}
        if key == "POST /users/@me/channels":
            channel_id = next(_ids)
            self.dm_channels[channel_id] = int(body["recipient_id"])
            return {"id": str(channel_id), "type": 1, "recipients": [], "last_message_id": None}
        if key == "POST /channels/{channel_id}/messages" and int(path.split("/")[2]) in self.dm_channels:
            user_id = self.dm_channels[int(path.split("/")[2])]
            if user_id in self.dms_closed:
                raise self._refuse(403)
            self.dms.append((user_id, body))
            return {**message_payload(body), "id": str(next(_ids))}
        if key == "POST /channels/{channel_id}/messages":
            message = {**message_payload(body), "id": str(next(_ids))}
            self.messages.append(message)
            return message
        if key == "GET /channels/{channel_id}/messages":
            return list(reversed(self.messages))[: int(kwargs.get("params", {}).get("limit", 50))]
        if key == "PATCH /channels/{channel_id}/messages/{message_id}":
            message_id = path.rsplit("/", 1)[-1]
            found = next((m for m in self.messages if m["id"] == message_id), None)
            if found is None:  # a message this fake never saw (posted as an interaction answer): echo it
                found = {**message_payload(body), "id": message_id}
            found.update({k: v for k, v in body.items() if k in ("embeds", "components", "content")})
            self.edited.set()
            return found
        if key == "POST /channels/{channel_id}/messages/{message_id}/threads":
            return thread_payload(int(path.split("/")[-2]), body["name"])
        raise AssertionError(f"unexpected request {key}")

    def posts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path == f"/channels/{CHANNEL_ID}/messages"]


def thread_payload(message_id: int, name: str) -> dict[str, Any]:
    """Return the channel object Discord answers a thread creation with."""
    return {
        "id": str(message_id),
        "guild_id": str(GUILD_ID),
        "parent_id": str(CHANNEL_ID),
        "owner_id": str(APP_ID),
        "name": name,
        "type": 11,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": "2026-11-25T07:30:00+00:00",
            "locked": False,
        },
    }


@dataclass
class Call:
    """One request the bot made."""

    method: str
    path: str
    body: Any
    files: dict[str, bytes] = field(default_factory=dict)  # attachments sent with it, by file name

    @property
    def data(self) -> dict[str, Any]:
        """The `data` of an interaction callback, or the body of a webhook message."""
        return self.body.get("data", self.body) if isinstance(self.body, dict) else {}

    @property
    def ephemeral(self) -> bool:
        return bool(self.data.get("flags", 0) & 64)

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for row in self.data.get("components") or [] for c in row["components"]]


class Recorder(AsyncWebhookAdapter):
    """Stands in for the HTTP layer of interaction responses and follow-ups."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.queue: asyncio.Queue[Call] = asyncio.Queue()
        self.spec_errors: list[str] = []
        self.force_ephemeral = False  # answer callbacks as Discord does where a server limits external apps

    async def request(self, route: Any, session: Any, *, payload: Any = None, multipart: Any = None, **_: Any) -> Any:
        body = payload
        files: dict[str, bytes] = {}
        if multipart:
            body = json.loads(next(p["value"] for p in multipart if p["name"] == "payload_json"))
            for part in multipart:
                if part["name"].startswith("files["):
                    value = part["value"]
                    files[part["filename"]] = value if isinstance(value, bytes) else value.read()
        path = route.url.split("/api/v10", 1)[-1].split("?", 1)[0]
        if isinstance(body, dict):
            # An upload's attachment id is the index of its file part (Discord's docs allow an integer);
            # the OpenAPI spec types it as a snowflake string, so compare it as one.
            for attachment in body.get("attachments") or []:
                if isinstance(attachment.get("id"), int):
                    attachment["id"] = str(attachment["id"])
        spec = load_spec()
        if spec is not None:
            self.spec_errors += spec.check(route.method, path, body)
        call = Call(route.method, path, body, files)
        self.calls.append(call)
        self.queue.put_nowait(call)
        if path.endswith("/callback"):
            info = {"id": path.split("/")[2], "type": 2, "response_message_ephemeral": self.force_ephemeral}
            return {"interaction": info}
        return message_payload(body if isinstance(body, dict) else {})


def message_payload(data: dict[str, Any], *, flags: int = 0) -> dict[str, Any]:
    """A message as Discord returns it, with the components the bot sent."""
    return {
        "id": str(next(_ids)),
        "channel_id": str(CHANNEL_ID),
        "author": BOT_USER,
        "content": data.get("content", ""),
        "timestamp": "2026-11-25T08:30:00.000000+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": data.get("embeds", []),
        "pinned": False,
        "type": 0,
        "flags": data.get("flags", flags),
        "components": data.get("components", []),
    }


class Harness:
    """A bot with its extensions loaded, not connected, fed with raw interactions."""

    def __init__(self, bot: TermiBot, recorder: Recorder) -> None:
        self.bot = bot
        self.recorder = recorder

    def _base(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        permissions: str,
        user_id: int = USER_ID,
        context: int = 0,
        installed: bool = True,
        roles: tuple[int, ...] = (),
    ) -> dict[str, Any]:
        """An interaction payload: in the server (context 0; `installed=False` when only the user added the bot),
        in a DM with the bot (1) or in a group DM (2), the last two with no guild at all."""
        name = "learner" if user_id == USER_ID else f"member{user_id % 100}"
        user = {"id": str(user_id), "username": name, "discriminator": "0", "avatar": None, "global_name": None}
        if context in (1, 2):
            channel: dict[str, Any] = {"id": str(CHANNEL_ID), "type": 1 if context == 1 else 3, "flags": 0}
            channel["recipients"] = [user] if context == 1 else [user, {**user, "id": str(USER_ID + 50)}]
            if context == 2:
                channel.update(name="study group", owner_id=str(user_id), icon=None)
            return {
                "id": str(next(_ids)),
                "application_id": str(APP_ID),
                "type": kind,
                "token": "interaction-token",
                "version": 1,
                "channel_id": str(CHANNEL_ID),
                "channel": channel,
                "user": user,
                "app_permissions": "2248473465835073",
                "locale": "en-US",
                "entitlements": [],
                "authorizing_integration_owners": {"1": str(user_id)},
                "context": context,
                "attachment_size_limit": 10485760,
                "data": data,
            }
        owners = {"0": str(GUILD_ID)} if installed else {"1": str(user_id)}
        return {
            "id": str(next(_ids)),
            "application_id": str(APP_ID),
            "type": kind,
            "token": "interaction-token",
            "version": 1,
            "guild_id": str(GUILD_ID),
            "channel_id": str(CHANNEL_ID),
            "channel": {
                "id": str(CHANNEL_ID),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "study",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            },
            "member": {
                "user": user,
                "roles": [str(role) for role in roles],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": permissions,
            },
            "app_permissions": "2147483647",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": owners,
            "context": 0,
            "attachment_size_limit": 10485760,
            "data": data,
        }

    async def _send(self, payload: dict[str, Any], timeout: float) -> Call:
        self.bot._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        return await asyncio.wait_for(self.recorder.queue.get(), timeout)

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until every command and component handler that is running has finished."""
        names = ("CommandTree-invoker", "discord-ui-view-dispatch")
        running = [t for t in asyncio.all_tasks() if t.get_name().startswith(names) and t is not asyncio.current_task()]
        if running:
            await asyncio.wait_for(asyncio.gather(*running, return_exceptions=True), timeout)

    async def next_call(self, timeout: float = 5.0) -> Call:
        """Wait for the bot's next request (a follow-up after a deferral, say)."""
        return await asyncio.wait_for(self.recorder.queue.get(), timeout)

    async def command(
        self,
        command: str,
        /,
        *,
        sub: str | None = None,
        user: int = USER_ID,
        timeout: float = 5.0,
        permissions: str = "0",
        context: int = 0,
        installed: bool = True,
        roles: tuple[int, ...] = (),
        **options: Any,
    ) -> Call:
        """Invoke a slash command (or `sub`command) as a member, with bool/int/str options; return the answer."""
        types = {bool: 5, int: 4, str: 3}
        opts: list[dict[str, Any]] = [{"name": k, "type": types[type(v)], "value": v} for k, v in options.items()]
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data = {"id": str(next(_ids)), "name": command, "type": 1, "options": opts}
        payload = self._base(
            2, data, permissions=permissions, user_id=user, context=context, installed=installed, roles=roles
        )
        return await self._send(payload, timeout)

    async def message_command(
        self,
        name: str,
        message: dict[str, Any],
        *,
        user: int = USER_ID,
        timeout: float = 5.0,
        permissions: str = "0",
        context: int = 0,
        installed: bool = True,
    ) -> Call:
        """Run a message context menu command (data type 3) on `message`, which arrives in `resolved.messages`."""
        author = {"id": str(USER_ID + 7), "username": "someone", "discriminator": "0", "avatar": None}
        target = {**message_payload({}), "author": author, **message}
        data = {
            "id": str(next(_ids)),
            "name": name,
            "type": 3,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        payload = self._base(2, data, permissions=permissions, user_id=user, context=context, installed=installed)
        return await self._send(payload, timeout)

    async def autocomplete(
        self, name: str, option: str, value: str, timeout: float = 5.0, *, sub: str | None = None
    ) -> list[dict[str, Any]]:
        """Send an autocomplete request for one focused option and return the choices."""
        opts: list[dict[str, Any]] = [{"name": option, "type": 3, "value": value, "focused": True}]
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data = {"id": str(next(_ids)), "name": name, "type": 1, "options": opts}
        call = await self._send(self._base(4, data, permissions="0"), timeout)
        assert call.body["type"] == 8, call.body
        return list(call.body["data"]["choices"])

    async def click(
        self,
        message: Call,
        custom_id: str,
        values: list[str] | None = None,
        timeout: float = 5.0,
        *,
        user: int = USER_ID,
        permissions: str = "0",
        context: int = 0,
        installed: bool = True,
        roles: tuple[int, ...] = (),
    ) -> Call:
        """Click a button (or choose in a select) on a message the bot sent, as a member."""
        assert custom_id in message.custom_ids, (custom_id, message.custom_ids)
        component = next(
            c for row in message.data["components"] for c in row["components"] if c["custom_id"] == custom_id
        )
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        payload = self._base(
            3, data, permissions=permissions, user_id=user, context=context, installed=installed, roles=roles
        )
        payload["message"] = message_payload(message.data)
        return await self._send(payload, timeout)

    async def submit_modal(
        self,
        modal: Call,
        values: dict[str, str],
        *,
        message: Call | None = None,
        user: int = USER_ID,
        permissions: str = "0",
        roles: tuple[int, ...] = (),
        timeout: float = 5.0,
    ) -> Call:
        """Submit a modal the bot opened (callback type 9) with text for its inputs, keyed by label prefix.

        Inputs not named keep the modal's default; `message` is the message whose button opened it.
        """
        assert modal.body["type"] == 9, modal.body
        rows = []
        for row in modal.body["data"]["components"]:
            field = row["components"][0]
            value = next((v for k, v in values.items() if field["label"].startswith(k)), field.get("value", ""))
            rows.append({"type": 1, "components": [{"type": 4, "custom_id": field["custom_id"], "value": value}]})
        data = {"custom_id": modal.body["data"]["custom_id"], "components": rows}
        payload = self._base(5, data, permissions=permissions, user_id=user, roles=roles)
        if message is not None:
            payload["message"] = message_payload(message.data)
        return await self._send(payload, timeout)


@asynccontextmanager
async def harness(
    settings: Settings,
    service: GlossaryService,
    extensions: tuple[str, ...] = ("bot.exts.glossary", "bot.exts.help"),
    *,
    clock: Clock = utc_now,
    http: Callable[..., Awaitable[Any]] | None = None,
) -> AsyncIterator[Harness]:
    """Yield a harness around a real TermiBot with the given extensions loaded.

    `http` stands in for `HTTPClient.request` (channel posts and edits), for features that use it.
    """
    recorder = Recorder()
    token = async_context.set(recorder)
    bot = TermiBot(settings=settings, db=service.db, glossary=service, clock=clock)
    if http is not None:
        bot.http.request = http  # type: ignore[method-assign]
    try:
        async with bot:
            bot._connection.application_id = APP_ID
            bot._connection.user = discord.ClientUser(state=bot._connection, data=BOT_USER)  # type: ignore[arg-type]
            for name in extensions:
                await bot.load_extension(name)
            yield Harness(bot, recorder)
            assert not recorder.spec_errors, recorder.spec_errors
    finally:
        async_context.reset(token)
