"""A fake Discord on 127.0.0.1: REST under /api/v10 and a gateway websocket, for end-to-end tests.

Start it, point a bot at `api_base` (the gateway URL comes from its GET /gateway/bot), then inject
interactions and look at what the bot sent:

    async with FakeDiscord() as fake:
        ...start the bot with DISCORD_API_BASE=fake.api_base and DISCORD_TOKEN=fake.token...
        await fake.wait_until_ready()
        reply = await fake.invoke_command("term", {"name": "eoq"})
        assert reply.embed["title"] == "Economic order quantity"
        assert fake.requests_to(GLOBAL_COMMANDS)

Every request is recorded (`requests`, `requests_to`); bodies are validated against Discord's
OpenAPI spec when one is given; breaches of Discord's rules land in `problems`.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from .gateway import Gateway
from .interactions import ALLOWED_CALLBACKS, NoReplyError, Reply, SentInteraction
from .payloads import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    BOT_PERMISSIONS,
    BUTTON,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    EVERYONE_PERMISSIONS,
    LOADING,
    MESSAGE_COMMAND,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    OPTION_TYPES,
    STRING_SELECT,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    UPDATE_MESSAGE,
    USE_EXTERNAL_APPS,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    Snowflakes,
    application_payload,
    command_payload,
)
from .schema import OpenApiSpec, message_limit_errors

API_PREFIX = "/api/v10"
# Route names: "METHOD /path/template", the template as in Discord's OpenAPI spec.
CURRENT_USER = "GET /users/@me"
APPLICATION_INFO = "GET /oauth2/applications/@me"
GATEWAY_BOT = "GET /gateway/bot"
GLOBAL_COMMANDS = "PUT /applications/{application_id}/commands"
GUILD_COMMANDS = "PUT /applications/{application_id}/guilds/{guild_id}/commands"
CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
FOLLOWUP = "POST /webhooks/{webhook_id}/{webhook_token}"
EDIT_ORIGINAL = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original"
EDIT_FOLLOWUP = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"
CHANNEL_MESSAGE_POST = "POST /channels/{channel_id}/messages"
CHANNEL_MESSAGE_EDIT = "PATCH /channels/{channel_id}/messages/{message_id}"
DM_CHANNEL = "POST /users/@me/channels"
NONCE_WINDOW = 300.0  # seconds an enforced message nonce is remembered ("the past few minutes")

# Bodies Discord sends with errors, by status; 404s depend on what was not found.
_ERRORS = {
    400: {"message": "400: Bad Request", "code": 0},
    401: {"message": "401: Unauthorized", "code": 0},
    403: {"message": "Missing Permissions", "code": 50013},
    404: {"message": "404: Not Found", "code": 0},
    500: {"message": "500: Internal Server Error", "code": 0},
    502: {"message": "502: Bad Gateway", "code": 0},
}
_NOT_FOUND = {
    "channel_id": {"message": "Unknown Channel", "code": 10003},
    "message_id": {"message": "Unknown Message", "code": 10008},
    "interaction_id": {"message": "Unknown interaction", "code": 10062},
    "webhook_id": {"message": "Unknown Webhook", "code": 10015},
    "guild_id": {"message": "Unknown Guild", "code": 10004},
    "user_id": {"message": "Unknown User", "code": 10013},
    "command_id": {"message": "Unknown application command", "code": 10063},
}
_MESSAGE_ROUTES = {CALLBACK, FOLLOWUP, EDIT_ORIGINAL, EDIT_FOLLOWUP, CHANNEL_MESSAGE_POST, CHANNEL_MESSAGE_EDIT}


class HTTPError(Exception):
    """Answer the current request with an error status and Discord's error body."""

    def __init__(self, status: int, body: dict[str, Any] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body or _ERRORS.get(status, {"message": f"{status}", "code": 0})


@dataclass(eq=False)
class RecordedRequest:
    """One REST request the bot made, and how the fake answered it."""

    method: str
    path: str  # below /api/v10, e.g. /interactions/1/tok/callback
    route: str  # "POST /interactions/{interaction_id}/{interaction_token}/callback"
    params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float  # time.perf_counter() when it arrived
    status: int = 0
    response: Any = None
    injected: bool = False  # answered by a failure the test asked for

    @property
    def template(self) -> str:
        """Return the path template without the method."""
        return self.route.split(" ", 1)[1]

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}{' (injected)' if self.injected else ''}"


@dataclass(eq=False)
class Failure:
    """A failure the test asked for: the next `times` matching requests get `status`."""

    route: str
    status: int
    times: int
    retry_after: float = 0.1
    body: dict[str, Any] | None = None
    match: Callable[[RecordedRequest], bool] | None = None
    hits: list[RecordedRequest] = field(default_factory=list)

    def applies(self, request: RecordedRequest) -> bool:
        """Return whether this failure answers the request."""
        if len(self.hits) >= self.times or not _route_matches(self.route, request.route):
            return False
        return self.match is None or self.match(request)

    @property
    def exhausted(self) -> bool:
        """Return whether every planned failure happened."""
        return len(self.hits) >= self.times


@dataclass(eq=False)
class Hold:
    """Hold the next request to a route until released: before Discord acts on it, or after (no answer yet)."""

    route: str
    after: bool
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    request: RecordedRequest | None = None
    discarded: bool = False

    def release(self) -> None:
        """Let the held request go on (its client may be gone by then)."""
        self.released.set()

    def discard(self) -> None:
        """End a request held before it took effect without acting on it (it never reached Discord)."""
        self.discarded = True
        self.released.set()

    async def _wait(self, recorded: RecordedRequest) -> None:
        self.request = recorded
        self.arrived.set()
        await self.released.wait()


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Callable[[RecordedRequest], Awaitable[tuple[int, Any]]]
    auth: bool

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def _route_matches(wanted: str, actual: str) -> bool:
    if " " in wanted:
        return wanted == actual
    return actual.split(" ", 1)[1] == wanted


class FakeDiscord:
    """The fake Discord server; use `async with FakeDiscord() as fake` or start()/stop()."""

    def __init__(
        self,
        *,
        spec: OpenApiSpec | None = None,
        validate: bool = True,
        heartbeat_interval: float = 41.25,
        callback_deadline: float = 3.0,
        privileged_intents: int = 0,
    ) -> None:
        self.spec = spec
        self.validate = validate and spec is not None
        self.callback_deadline = callback_deadline
        self.privileged_intents = privileged_intents
        self.ids = Snowflakes()
        self.token = f"fake.{secrets.token_urlsafe(18)}.{secrets.token_urlsafe(27)}"
        self.application_id = self.ids.next()
        self.bot_user = FakeUser(self.application_id, "TermiKnowledge", bot=True)
        self.owner = FakeUser(self.ids.next(), "owner")
        self.user = FakeUser(self.ids.next(), "learner")
        guild_id = self.ids.next()
        self.guild = FakeGuild(
            id=guild_id,
            name="Supply Chain Study Group",
            owner_id=self.owner.id,
            channels=[FakeChannel(self.ids.next(), guild_id, "general")],
            roles=[
                FakeRole(guild_id, "@everyone", permissions=EVERYONE_PERMISSIONS, position=0),
                FakeRole(self.ids.next(), "Admin", permissions=ALL_PERMISSIONS, position=2),
                FakeRole(self.ids.next(), "Learner", permissions=0, position=1),
                FakeRole(self.ids.next(), "TermiKnowledge", permissions=BOT_PERMISSIONS, position=3, managed=True),
            ],
        )
        self.bot_role = self.guild.roles[3]
        self.guild.members = [
            FakeMember(self.owner, role_ids=[self.guild.roles[1].id], permissions=ALL_PERMISSIONS),
            FakeMember(self.user, role_ids=[self.guild.roles[2].id]),
            FakeMember(self.bot_user, role_ids=[self.guild.roles[3].id]),
        ]
        self.gateway = Gateway(self, heartbeat_interval=heartbeat_interval)
        self.requests: list[RecordedRequest] = []
        self.problems: list[str] = []
        self.failures: list[Failure] = []
        self.holds: list[Hold] = []
        self.commands: dict[int | None, dict[str, dict[str, Any]]] = {}  # scope (guild id or None) -> name -> cmd
        self.messages: dict[int, FakeMessage] = {}
        self.nonces: dict[str, tuple[FakeMessage, float]] = {}  # enforced nonce -> (message, when created)
        self.dm_channels: dict[int, FakeUser] = {}
        # Where only learners (not the server) added the app: the bot is not a member and gets no events.
        external_id = self.ids.next()
        self.external_guild = FakeGuild(
            id=external_id,
            name="Another Server",
            owner_id=self.owner.id,
            channels=[FakeChannel(self.ids.next(), external_id, "chat")],
            roles=[FakeRole(external_id, "@everyone", permissions=EVERYONE_PERMISSIONS, position=0)],
        )
        self.group_dms: dict[int, list[FakeUser]] = {}
        self.interactions: dict[int, SentInteraction] = {}
        self._by_token: dict[str, SentInteraction] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = self._build_routes()

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 on a port the OS picks."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_api)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/resume-gateway", self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets, "the fake could not bind"  # type: ignore[union-attr]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        """Close connections and stop listening."""
        for held in self.holds:
            held.release()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_base(self) -> str:
        """Return the REST base URL to give the bot as DISCORD_API_BASE."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """Return the gateway URL the fake hands out in GET /gateway/bot."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """Return the URL READY tells the bot to resume on."""
        return f"ws://127.0.0.1:{self.port}/resume-gateway"

    # -- waiting ------------------------------------------------------------------

    def touch(self) -> None:
        """Wake everything waiting in wait_for: state changed."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until `predicate()` holds, re-checking whenever the fake's state changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = "\n".join(f"  {r}" for r in self.requests[-8:]) or "  (none)"
                problems = "\n".join(f"  {p}" for p in self.problems[-5:]) or "  (none)"
                raise NoReplyError(
                    f"timed out after {timeout} s waiting for {what}.\nLast requests:\n{recent}\nProblems:\n{problems}"
                )
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_until_ready(self, timeout: float = 15.0, *, identifies: int | None = None) -> None:
        """Wait until a bot is connected past READY/RESUMED (and has identified `identifies` times)."""

        def ready() -> bool:
            return self.gateway.ready and (identifies is None or self.gateway.identifies >= identifies)

        await self.wait_for(ready, timeout, "the bot to connect to the gateway")

    async def wait_for_request(
        self, route: str, *, count: int = 1, timeout: float = 5.0, where: Callable[[RecordedRequest], bool] = bool
    ) -> RecordedRequest:
        """Wait until `count` requests to `route` (matching `where`) arrived; return the last one."""

        def found() -> list[RecordedRequest]:
            return [r for r in self.requests_to(route) if r.status and where(r)]

        await self.wait_for(lambda: len(found()) >= count, timeout, f"{count} request(s) to {route}")
        return found()[count - 1]

    # -- what the bot sent --------------------------------------------------------

    def requests_to(self, route: str) -> list[RecordedRequest]:
        """Return recorded requests to a route: "PUT /applications/{application_id}/commands" or a bare template."""
        return [r for r in self.requests if _route_matches(route, r.route)]

    def channel_messages(self, channel_id: int | None = None) -> list[FakeMessage]:
        """Return the messages the bot posted in a channel (default: the guild's text channel), oldest first."""
        channel = channel_id or self.guild.channel.id
        return [m for m in self.messages.values() if m.channel_id == channel and m.interaction_metadata is None]

    def registered_commands(self, guild_id: int | None = None) -> dict[str, dict[str, Any]]:
        """Return the commands the bot registered, globally or for a guild, by name."""
        return dict(self.commands.get(guild_id, {}))

    def problem(self, text: str) -> None:
        """Note a breach of Discord's rules by the bot; tests fail on it at teardown."""
        self.problems.append(text)
        self.touch()

    # -- failure injection ----------------------------------------------------------

    def fail(
        self,
        route: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float = 0.1,
        body: dict[str, Any] | None = None,
        match: Callable[[RecordedRequest], bool] | None = None,
    ) -> Failure:
        """Answer the next `times` requests to `route` with `status` (429s carry `retry_after`)."""
        failure = Failure(route, status, times, retry_after, body, match)
        self.failures.append(failure)
        return failure

    def hold(self, route: str, *, after: bool = False) -> Hold:
        """Hold the next request to `route` until `release()`: before it takes effect, or after (unanswered)."""
        held = Hold(route, after)
        self.holds.append(held)
        return held

    def _take_hold(self, recorded: RecordedRequest, *, after: bool) -> Hold | None:
        for held in self.holds:
            if held.after is after and held.request is None and _route_matches(held.route, recorded.route):
                held.request = recorded
                return held
        return None

    # -- sending events to the bot ----------------------------------------------------

    async def dispatch(self, event: str, data: Any, *, timeout: float = 10.0) -> float:
        """Send any gateway event to the bot; returns when it went out (perf_counter)."""
        sent = await self.gateway.dispatch(event, data, timeout=timeout)
        self.touch()
        return sent

    async def drop_gateway(self, *, resumable: bool = True, code: int = 4000, abrupt: bool = False) -> None:
        """Drop the bot's gateway connection; resumable=False makes it re-identify."""
        await self.gateway.drop(resumable=resumable, code=code, abrupt=abrupt)

    def member(self, user: FakeUser | None = None) -> FakeMember:
        """Return the guild membership of a user (the default learner when None)."""
        return self.guild.member(user or self.user)

    def add_user(self, username: str, *, permissions: int | None = None, roles: Iterable[FakeRole] = ()) -> FakeUser:
        """Create another guild member to act as."""
        user = FakeUser(self.ids.next(), username)
        member = self.guild.member(user)
        if permissions is not None:
            member.permissions = permissions
        member.role_ids += [role.id for role in roles]
        return user

    def add_channel(self, name: str) -> FakeChannel:
        """Create another text channel in the guild (before the bot connects, to be in its GUILD_CREATE)."""
        channel = FakeChannel(self.ids.next(), self.guild.id, name, position=len(self.guild.channels))
        self.guild.channels.append(channel)
        return channel

    def add_role(self, name: str, *, permissions: int = 0) -> FakeRole:
        """Create another role in the guild."""
        role = FakeRole(self.ids.next(), name, permissions=permissions, position=len(self.guild.roles))
        self.guild.roles.append(role)
        return role

    async def submit_modal(
        self,
        opened: Reply,
        values: dict[str, str],
        *,
        user: FakeUser | None = None,
        timeout: float = 5.0,
    ) -> Reply:
        """Fill in a modal the bot opened (inputs found by label prefix; others keep their prefilled value),
        submit it as Discord's client does (interaction type 5) and return the bot's answer.

        The client enforces the inputs' `required`, `min_length` and `max_length`, so a submit that breaks
        them is a test mistake, not something the bot can receive.
        """
        modal = opened.modal
        rows = []
        used: set[str] = set()
        for row in modal.get("components", []):
            field = row["components"][0]
            key = next((k for k in values if field["label"].startswith(k)), None)
            value = values[key] if key is not None else str(field.get("value") or "")
            if key is not None:
                used.add(key)
            low, high = int(field.get("min_length") or 0), int(field.get("max_length") or 4000)
            if (field.get("required", True) and not value) or (value and not low <= len(value) <= high):
                raise AssertionError(f"modal input {field['label']!r} takes {low}-{high} characters, got {value!r}")
            rows.append({"type": 1, "components": [{"type": 4, "custom_id": field["custom_id"], "value": value}]})
        if set(values) - used:
            raise AssertionError(f"the modal has no input(s) {sorted(set(values) - used)}")
        source = opened.interaction
        message = source.component_message
        dm = "guild_id" not in source.payload
        channel = None if dm else self.guild.channel_by_id(int(source.payload["channel_id"]))
        payload = self._base_interaction(MODAL_SUBMIT, user=user, channel=channel, dm=dm)
        payload["data"] = {"custom_id": modal["custom_id"], "components": rows}
        if message is not None:
            payload["message"] = message.payload()
        handle = await self.send_interaction(payload, component_message=message)
        return await handle.response(timeout, settled=True)

    def _base_interaction(
        self, kind: int, *, user: FakeUser | None, channel: FakeChannel | None, dm: bool, where: str = "guild"
    ) -> dict[str, Any]:
        """An interaction payload. `where`: "guild" (the server that added the bot), "dm" (a DM with the bot),
        "group" (a group DM, user install) or "external" (a server where only the user added the app)."""
        user = user or self.user
        where = "dm" if dm else where
        interaction_id = self.ids.next()
        data: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": f"{secrets.token_urlsafe(48)}",
            "version": 1,
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "app_permissions": str(self.guild.roles[0].permissions | self.bot_role.permissions),
        }
        if where == "dm":
            dm_id = self._dm_channel_for(user)
            data.update(
                user=user.payload(),
                channel_id=str(dm_id),
                channel={"id": str(dm_id), "type": 1, "flags": 0, "recipients": [user.payload()]},
                context=1,
                authorizing_integration_owners={"0": "0", "1": str(user.id)},
            )
        elif where == "group":
            group_id = self._group_dm_for(user)
            data.update(
                user=user.payload(),
                channel_id=str(group_id),
                channel=self._group_dm_payload(group_id),
                context=2,
                authorizing_integration_owners={"1": str(user.id)},
            )
        elif where == "external":
            guild = self.external_guild
            channel = channel or guild.channel
            data.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel_id=str(channel.id),
                channel=channel.payload(),
                member=guild.member(user).payload(with_permissions=True),
                context=0,
                authorizing_integration_owners={"1": str(user.id)},
                app_permissions=str(EVERYONE_PERMISSIONS),
            )
        else:
            channel = channel or self.guild.channel
            data.update(
                guild_id=str(self.guild.id),
                guild={"id": str(self.guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel_id=str(channel.id),
                channel=channel.payload(),
                member=self.member(user).payload(with_permissions=True),
                context=0,
                authorizing_integration_owners={"0": str(self.guild.id)},
            )
        return data

    def _group_dm_for(self, user: FakeUser) -> int:
        for channel_id, members in self.group_dms.items():
            if members[0].id == user.id:
                return channel_id
        channel_id = self.ids.next()
        self.group_dms[channel_id] = [user, self.owner]
        return channel_id

    def _group_dm_payload(self, channel_id: int) -> dict[str, Any]:
        members = self.group_dms[channel_id]
        return {
            "id": str(channel_id),
            "type": 3,
            "flags": 0,
            "name": "study buddies",
            "icon": None,
            "owner_id": str(members[0].id),
            "recipients": [m.payload() for m in members],
        }

    def _where(self, channel_id: int) -> tuple[str, FakeChannel | None]:
        """Return where a channel is ("guild", "dm", "group", "external") and the guild channel, if any."""
        if channel_id in self.dm_channels:
            return "dm", None
        if channel_id in self.group_dms:
            return "group", None
        external = self.external_guild.channel_by_id(channel_id)
        if external is not None:
            return "external", external
        return "guild", self.guild.channel_by_id(channel_id)

    def user_message(
        self,
        content: str,
        *,
        author: FakeUser | None = None,
        where: str = "guild",
        embeds: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Return a message someone (not the bot) wrote, where `where` says, as Discord resolves it."""
        author = author or self.owner
        if where == "dm":
            channel_id = self._dm_channel_for(self.user)
        elif where == "group":
            channel_id = self._group_dm_for(self.user)
        else:
            channel_id = (self.external_guild if where == "external" else self.guild).channel.id
        message = FakeMessage(id=self.ids.next(), channel_id=channel_id, author=author, embeds=list(embeds or []))
        message.content = content
        if where in ("guild", "external"):
            message.guild_id = self.external_guild.id if where == "external" else self.guild.id
        return message.payload()

    async def start_message_command(
        self, name: str, target: dict[str, Any], *, user: FakeUser | None = None, where: str = "guild"
    ) -> SentInteraction:
        """Run a message context menu command (Apps → `name`) on `target` without waiting for the answer."""
        payload = self._base_interaction(APPLICATION_COMMAND, user=user, channel=None, dm=False, where=where)
        guild_id = self.guild.id if where == "guild" else None
        scope, command = self._registered_menu(name, guild_id)
        if command is None:
            raise AssertionError(f"no message command {name!r} is registered with Discord")
        payload["data"] = {
            "id": command["id"],
            "name": name,
            "type": MESSAGE_COMMAND,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        if scope is not None:
            payload["data"]["guild_id"] = str(scope)
        _check_available(name, (scope, command), payload)
        return await self.send_interaction(payload)

    async def invoke_message_command(
        self,
        name: str,
        target: dict[str, Any],
        *,
        user: FakeUser | None = None,
        where: str = "guild",
        timeout: float = 5.0,
    ) -> Reply:
        """Right-click a message, Apps → `name`, and return the bot's answer."""
        handle = await self.start_message_command(name, target, user=user, where=where)
        return await handle.response(timeout, settled=True)

    def _registered_menu(self, name: str, guild_id: int | None) -> tuple[int | None, dict[str, Any] | None]:
        """Return the scope and definition of a message command, as Discord would pick it here."""
        for scope in ([guild_id] if guild_id is not None else []) + [None]:
            command = self.commands.get(scope, {}).get(name)
            if command is not None and command.get("type") == MESSAGE_COMMAND:
                return scope, command
        return None, None

    async def send_interaction(
        self, payload: dict[str, Any], *, component_message: FakeMessage | None = None
    ) -> SentInteraction:
        """Dispatch a ready-made INTERACTION_CREATE payload and return its handle."""
        handle = SentInteraction(
            fake=self,
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            payload=payload,
            component_message=component_message,
        )
        handle.reply_future()
        self.interactions[handle.id] = handle
        self._by_token[handle.token] = handle
        handle.sent_at = time.perf_counter()
        handle.sent_at = await self.dispatch("INTERACTION_CREATE", payload)
        return handle

    async def start_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        channel: FakeChannel | None = None,
        dm: bool = False,
        focused: str | None = None,
        where: str = "guild",
    ) -> SentInteraction:
        """Send a slash command (or, with `focused`, an autocomplete request) without waiting for the answer."""
        kind = AUTOCOMPLETE if focused is not None else APPLICATION_COMMAND
        payload = self._base_interaction(kind, user=user, channel=channel, dm=dm, where=where)
        # Guild-scoped commands exist only in the server that added the bot.
        scope = self.guild.id if not dm and where == "guild" else None
        payload["data"] = self._command_data(name, options or {}, focused=focused, guild_id=scope)
        _check_available(name, self._registered(name, scope), payload)
        return await self.send_interaction(payload)

    async def invoke_command(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        channel: FakeChannel | None = None,
        dm: bool = False,
        where: str = "guild",
        timeout: float = 5.0,
    ) -> Reply:
        """Run a slash command as a user would and return the bot's answer.

        A deferred answer ("thinking…") is awaited until the bot filled it in, so `reply.message`
        is what the user finally sees; use start_command() to look at the steps. `name` may hold subcommands ("quiz start"); `options` maps option names to values and is
        checked against the command the bot registered (unknown, missing or mistyped options fail).
        """
        handle = await self.start_command(name, options, user=user, channel=channel, dm=dm, where=where)
        return await handle.response(timeout, settled=True)

    async def autocomplete(
        self,
        name: str,
        focused: str,
        value: str,
        options: dict[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        timeout: float = 5.0,
    ) -> Reply:
        """Type `value` into option `focused` of a command and return the bot's choices (`reply.choices`)."""
        values = {**(options or {}), focused: value}
        handle = await self.start_command(name, values, user=user, focused=focused)
        return await handle.response(timeout)

    async def start_click(
        self, message: FakeMessage | Reply, custom_id: str, *, user: FakeUser | None = None
    ) -> SentInteraction:
        """Click a button without waiting for the answer."""
        target = self._message_of(message)
        component = target.component(custom_id)
        if component is None:
            raise AssertionError(f"message {target.id} has no component {custom_id!r}; it has {target.custom_ids}")
        if component.get("type") != BUTTON:
            raise AssertionError(f"{custom_id!r} is not a button (type {component.get('type')})")
        if component.get("disabled"):
            raise AssertionError(f"button {custom_id!r} is disabled: a user cannot click it")
        return await self._component(target, {"custom_id": custom_id, "component_type": BUTTON}, user)

    async def click(
        self, message: FakeMessage | Reply, custom_id: str, *, user: FakeUser | None = None, timeout: float = 5.0
    ) -> Reply:
        """Click a button on a message the bot sent and return the bot's answer."""
        handle = await self.start_click(message, custom_id, user=user)
        return await handle.response(timeout, settled=True)

    async def select(
        self,
        message: FakeMessage | Reply,
        custom_id: str,
        values: Iterable[str],
        *,
        user: FakeUser | None = None,
        timeout: float = 5.0,
    ) -> Reply:
        """Choose options in a string select menu and return the bot's answer."""
        target = self._message_of(message)
        component = target.component(custom_id)
        if component is None or component.get("type") != STRING_SELECT:
            raise AssertionError(f"message {target.id} has no select menu {custom_id!r}; it has {target.custom_ids}")
        chosen = list(values)
        offered = [option["value"] for option in component.get("options", [])]
        unknown = [v for v in chosen if v not in offered]
        if unknown:
            raise AssertionError(f"select {custom_id!r} offers {offered}, not {unknown}")
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(chosen) <= high:
            raise AssertionError(f"select {custom_id!r} takes {low}-{high} values, got {len(chosen)}")
        data = {"custom_id": custom_id, "component_type": STRING_SELECT, "values": chosen}
        handle = await self._component(target, data, user)
        return await handle.response(timeout, settled=True)

    def message(self, message_id: int) -> FakeMessage:
        """Return the current state of a message the bot created."""
        return self.messages[message_id]

    def _message_of(self, message: FakeMessage | Reply) -> FakeMessage:
        target = message.message if isinstance(message, Reply) else message
        if target is None:
            raise AssertionError("that reply created no message")
        current = self.messages.get(target.id)
        if current is None or current.deleted:
            raise AssertionError(f"message {target.id} does not exist (any more)")
        return current

    async def _component(self, message: FakeMessage, data: dict[str, Any], user: FakeUser | None) -> SentInteraction:
        where, channel = self._where(message.channel_id)
        payload = self._base_interaction(MESSAGE_COMPONENT, user=user, channel=channel, dm=False, where=where)
        payload["message"] = message.payload()
        payload["data"] = data
        return await self.send_interaction(payload, component_message=message)

    def _registered(self, name: str, guild_id: int | None) -> tuple[int | None, dict[str, Any] | None]:
        """Return the scope and definition of a command as Discord would pick it for this guild."""
        top = name.split()[0]
        if guild_id is not None and top in self.commands.get(guild_id, {}):
            return guild_id, self.commands[guild_id][top]
        return None, self.commands.get(None, {}).get(top)

    def _command_data(
        self, name: str, options: dict[str, Any], *, focused: str | None, guild_id: int | None
    ) -> dict[str, Any]:
        words = name.split()
        scope, command = self._registered(name, guild_id)
        if command is None:
            known = sorted({n for scoped in self.commands.values() for n in scoped})
            raise AssertionError(f"/{words[0]} is not registered with Discord; registered: {known}")
        data: dict[str, Any] = {"id": command["id"], "name": words[0], "type": command.get("type", 1)}
        if scope is not None:
            data["guild_id"] = str(scope)
        schema, target = command, data
        for word in words[1:]:
            sub = next((o for o in schema.get("options", []) if o["name"] == word), None)
            if sub is None or sub.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP):
                raise AssertionError(f"/{name}: {word!r} is not a subcommand of /{words[0]}")
            nested: dict[str, Any] = {"name": word, "type": sub["type"], "options": []}
            target.setdefault("options", []).append(nested)
            schema, target = sub, nested
        target["options"] = target.get("options", []) + _options(name, schema, options, focused)
        resolved = self._resolved(target["options"])
        if resolved:
            data["resolved"] = resolved
        return data

    def _resolved(self, options: list[dict[str, Any]]) -> dict[str, Any]:
        """Build `resolved` for channel and role options, as Discord sends them."""
        resolved: dict[str, dict[str, Any]] = {}
        for option in options:
            if option["type"] == 7:
                channel = self.guild.channel_by_id(int(option["value"]))
                if channel is None:
                    raise AssertionError(f"no channel {option['value']} in the guild")
                entry = {k: v for k, v in channel.payload().items() if k in ("id", "name", "type", "parent_id")}
                entry["permissions"] = str(ALL_PERMISSIONS)
                resolved.setdefault("channels", {})[str(channel.id)] = entry
            elif option["type"] == 8:
                role = next((r for r in self.guild.roles if str(r.id) == str(option["value"])), None)
                if role is None:
                    raise AssertionError(f"no role {option['value']} in the guild")
                resolved.setdefault("roles", {})[str(role.id)] = role.payload()
        return resolved

    def _dm_channel_for(self, user: FakeUser) -> int:
        for channel_id, recipient in self.dm_channels.items():
            if recipient.id == user.id:
                return channel_id
        channel_id = self.ids.next()
        self.dm_channels[channel_id] = user
        return channel_id

    # -- REST -------------------------------------------------------------------------

    def _build_routes(self) -> list[_Route]:
        table: list[tuple[str, str, Callable[[RecordedRequest], Awaitable[tuple[int, Any]]], bool]] = [
            ("GET", "/users/@me", self._get_me, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/applications/@me", self._get_application, True),
            ("GET", "/gateway", self._get_gateway, False),
            ("GET", "/gateway/bot", self._get_gateway_bot, True),
            ("POST", "/users/@me/channels", self._create_dm, True),
            ("GET", "/users/{user_id}", self._get_user, True),
            ("GET", "/applications/{application_id}/commands", self._list_commands, True),
            ("PUT", "/applications/{application_id}/commands", self._put_commands, True),
            ("POST", "/applications/{application_id}/commands", self._post_command, True),
            ("GET", "/applications/{application_id}/commands/{command_id}", self._get_command, True),
            ("PATCH", "/applications/{application_id}/commands/{command_id}", self._patch_command, True),
            ("DELETE", "/applications/{application_id}/commands/{command_id}", self._delete_command, True),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._list_commands, True),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands, True),
            ("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self._post_command, True),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self._get_command, True),
            (
                "PATCH",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._patch_command,
                True,
            ),
            (
                "DELETE",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self._delete_command,
                True,
            ),
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self._callback, False),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self._followup, False),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._get_webhook_message, False),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self._edit_webhook_message, False),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                self._delete_webhook_message,
                False,
            ),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self._get_webhook_message, False),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self._delete_webhook_message,
                False,
            ),
            ("GET", "/channels/{channel_id}", self._get_channel, True),
            ("GET", "/channels/{channel_id}/messages", self._list_channel_messages, True),
            ("POST", "/channels/{channel_id}/messages", self._post_channel_message, True),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_channel_message, True),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_channel_message, True),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_channel_message, True),
            ("GET", "/guilds/{guild_id}", self._get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self._get_guild_channels, True),
            ("GET", "/guilds/{guild_id}/roles", self._get_guild_roles, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_guild_member, True),
        ]
        return [_Route(method, path, _compile(path), handler, auth) for method, path, handler, auth in table]

    def _route(self, method: str, raw_path: str) -> tuple[_Route, dict[str, str]] | None:
        for route in self._routes:
            if route.method == method and (match := route.pattern.match(raw_path)):
                return route, {key: unquote(value) for key, value in match.groupdict().items()}
        return None

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        arrived = time.perf_counter()
        path = "/" + request.match_info["tail"]
        raw = request.rel_url.raw_path[len(API_PREFIX) :]
        body = await _read_body(request)
        found = self._route(request.method, raw)
        if found is None:
            self.problem(f"the bot called {request.method} {path}, which the fake does not implement")
            return _json(404, _ERRORS[404])
        route, params = found
        recorded = RecordedRequest(
            method=request.method,
            path=path,
            route=route.name,
            params=params,
            query=dict(request.rel_url.query),
            headers=dict(request.headers),
            body=body,
            at=arrived,
        )
        self.requests.append(recorded)
        token = params.get("interaction_token") or params.get("webhook_token")
        handle = self._by_token.get(token) if token else None
        if handle is not None:
            handle.requests.append(recorded)
        if (before := self._take_hold(recorded, after=False)) is not None:
            await before._wait(recorded)
            if before.discarded:
                recorded.status, recorded.injected = 503, True
                return _json(503, {"message": "discarded by the test", "code": 0})
        status, payload, headers = self._answer(route, recorded)
        if status == 0:
            try:
                status, payload = await route.handler(recorded)
            except HTTPError as exc:
                status, payload = exc.status, exc.body
        if (after := self._take_hold(recorded, after=True)) is not None:
            await after._wait(recorded)
        recorded.status, recorded.response = status, payload
        self.touch()
        if status == 204 or payload is None:
            return web.Response(status=204 if status < 300 else status, headers=headers)
        return _json(status, payload, headers)

    def _answer(self, route: _Route, recorded: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        """Refuse the request before its handler: bad auth, an injected failure or an invalid body."""
        if route.auth and recorded.headers.get("Authorization") != f"Bot {self.token}":
            return 401, _ERRORS[401], {}
        for failure in self.failures:
            if failure.applies(recorded):
                failure.hits.append(recorded)
                recorded.injected = True
                return _failure_response(failure, recorded)
        if recorded.method in ("POST", "PUT", "PATCH") and recorded.body is not None:
            errors = self._body_errors(route, recorded)
            if errors:
                for error in errors:
                    self.problem(f"{route.name}: {error}")
                return 400, {"code": 50035, "message": "Invalid Form Body", "errors": {"_errors": errors}}, {}
        return 0, None, _ratelimit_headers(route.name)

    def _body_errors(self, route: _Route, recorded: RecordedRequest) -> list[str]:
        errors: list[str] = []
        if self.validate and self.spec is not None:
            errors += self.spec.errors(route.method, route.template, recorded.body)
        if route.name in _MESSAGE_ROUTES and isinstance(recorded.body, dict):
            data = recorded.body.get("data") if route.name == CALLBACK else recorded.body
            if isinstance(data, dict):
                errors += message_limit_errors(data)
        return errors

    # -- REST handlers --------------------------------------------------------------------

    async def _get_me(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, self.bot_user.payload()

    async def _get_application(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, application_payload(self.application_id, self.owner, self.bot_user)

    async def _get_gateway(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, request: RecordedRequest) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 86_400_000, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    async def _get_user(self, request: RecordedRequest) -> tuple[int, Any]:
        user_id = int(request.params["user_id"])
        for member in self.guild.members:
            if member.user.id == user_id:
                return 200, member.user.payload()
        raise HTTPError(404, _NOT_FOUND["user_id"])

    async def _create_dm(self, request: RecordedRequest) -> tuple[int, Any]:
        recipient = int((request.body or {}).get("recipient_id", 0))
        user = next((m.user for m in self.guild.members if m.user.id == recipient), None)
        if user is None:
            raise HTTPError(400, {"message": "Invalid Recipient(s)", "code": 50033})
        channel_id = self._dm_channel_for(user)
        return 200, {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user.payload()],
        }

    def _scope(self, request: RecordedRequest) -> int | None:
        if request.params.get("application_id") != str(self.application_id):
            raise HTTPError(403, {"message": "Missing Access", "code": 50001})
        guild = request.params.get("guild_id")
        if guild is None:
            return None
        if guild != str(self.guild.id):
            raise HTTPError(403, {"message": "Missing Access", "code": 50001})
        return int(guild)

    def _store_command(self, scope: int | None, body: dict[str, Any]) -> dict[str, Any]:
        key = (scope, body["name"], int(body.get("type", 1)))
        command_id = self._command_ids.setdefault(key, self.ids.next())
        stored = command_payload(body, command_id=command_id, app_id=self.application_id, guild_id=scope)
        self.commands.setdefault(scope, {})[body["name"]] = stored
        return stored

    async def _list_commands(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, list(self.commands.get(self._scope(request), {}).values())

    async def _put_commands(self, request: RecordedRequest) -> tuple[int, Any]:
        scope = self._scope(request)
        if not isinstance(request.body, list):
            raise HTTPError(400, {"message": "Invalid Form Body", "code": 50035})
        names = [c.get("name") for c in request.body]
        if len(set(names)) != len(names):
            self.problem(f"{request.route}: duplicate command names {names}")
            raise HTTPError(400, {"message": "Invalid Form Body", "code": 50035})
        self.commands[scope] = {}
        return 200, [self._store_command(scope, body) for body in request.body]

    async def _post_command(self, request: RecordedRequest) -> tuple[int, Any]:
        return 201, self._store_command(self._scope(request), request.body)

    def _find_command(self, request: RecordedRequest) -> tuple[int | None, dict[str, Any]]:
        scope = self._scope(request)
        for command in self.commands.get(scope, {}).values():
            if command["id"] == request.params["command_id"]:
                return scope, command
        raise HTTPError(404, _NOT_FOUND["command_id"])

    async def _get_command(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, self._find_command(request)[1]

    async def _patch_command(self, request: RecordedRequest) -> tuple[int, Any]:
        scope, command = self._find_command(request)
        del self.commands[scope][command["name"]]
        return 200, self._store_command(scope, {**command, **(request.body or {})})

    async def _delete_command(self, request: RecordedRequest) -> tuple[int, Any]:
        scope, command = self._find_command(request)
        del self.commands[scope][command["name"]]
        return 204, None

    def _new_message(
        self, channel_id: int, data: dict[str, Any], *, handle: SentInteraction | None, kind: int = 0
    ) -> FakeMessage:
        message = FakeMessage(
            id=self.ids.next(),
            channel_id=channel_id,
            author=self.bot_user,
            type=kind,
            guild_id=self._guild_of(channel_id),
        )
        if handle is not None:
            message.application_id = self.application_id
            user = handle.payload.get("member", {}).get("user") or handle.payload.get("user")
            message.interaction_metadata = {
                "id": str(handle.id),
                "type": handle.type,
                "user": user,
                "authorizing_integration_owners": handle.payload.get("authorizing_integration_owners", {}),
            }
        message.apply(data, edit=False)
        self.messages[message.id] = message
        return message

    def _guild_of(self, channel_id: int) -> int | None:
        where, _ = self._where(channel_id)
        return {"guild": self.guild.id, "external": self.external_guild.id}.get(where)

    def _forces_ephemeral(self, handle: SentInteraction) -> bool:
        """Whether Discord makes every answer private: a server that did not add the app, where the member
        may not use external apps."""
        payload = handle.payload
        if payload.get("context") != 0 or "0" in payload.get("authorizing_integration_owners", {}):
            return False
        permissions = int(payload.get("member", {}).get("permissions", 0))
        return not permissions & (ADMINISTRATOR | USE_EXTERNAL_APPS)

    async def _callback(self, request: RecordedRequest) -> tuple[int, Any]:
        handle = self.interactions.get(int(request.params["interaction_id"]))
        if handle is None or handle.token != request.params["interaction_token"]:
            raise HTTPError(404, _NOT_FOUND["interaction_id"])
        if request.at - handle.sent_at > self.callback_deadline:
            self.problem(f"{handle} was answered after {request.at - handle.sent_at:.2f} s (limit 3 s: defer first)")
            raise HTTPError(404, _NOT_FOUND["interaction_id"])
        if handle.acknowledged:
            self.problem(f"{handle} was answered twice")
            raise HTTPError(400, {"message": "Interaction has already been acknowledged.", "code": 40060})
        body = request.body if isinstance(request.body, dict) else {}
        kind = int(body.get("type", 0))
        if kind not in ALLOWED_CALLBACKS.get(handle.type, set()):
            self.problem(f"{handle}: callback type {kind} is not valid for interaction type {handle.type}")
            raise HTTPError(400, {"message": "Interaction callback type is not valid", "code": 50035})
        data = body.get("data") or {}
        message: FakeMessage | None = None
        channel_id = int(handle.payload["channel_id"])
        forced = EPHEMERAL if self._forces_ephemeral(handle) else 0
        if kind == CHANNEL_MESSAGE:
            message = self._new_message(channel_id, data, handle=handle, kind=_message_type(handle))
            message.flags |= forced
            handle.original = message
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL) | forced
            message = self._new_message(channel_id, {"flags": flags}, handle=handle, kind=_message_type(handle))
            message.flags = flags
            handle.original = message
        elif kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            message = handle.component_message
            assert message is not None
            if kind == UPDATE_MESSAGE:
                message.apply(data, edit=True)
            handle.original = message
        handle.acknowledged = True
        reply = Reply(handle, request, kind, data, message, request.at - handle.sent_at)
        future = handle.reply_future()
        if not future.done():
            future.set_result(reply)
        if request.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        info: dict[str, Any] = {
            "id": str(handle.id),
            "type": handle.type,
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(message is not None and message.ephemeral),
        }
        if message is not None:
            info["response_message_id"] = str(message.id)
        resource: dict[str, Any] = {"type": kind}
        if message is not None and kind != DEFERRED_UPDATE:
            resource["message"] = message.payload()
        return 200, {"interaction": info, "resource": resource}

    def _webhook_handle(self, request: RecordedRequest) -> SentInteraction:
        handle = self._by_token.get(request.params["webhook_token"])
        if request.params["webhook_id"] != str(self.application_id) or handle is None:
            raise HTTPError(404, _NOT_FOUND["webhook_id"])
        if not handle.acknowledged:
            self.problem(f"{handle}: webhook call before the interaction was answered")
            raise HTTPError(404, _NOT_FOUND["webhook_id"])
        return handle

    def _webhook_message(self, request: RecordedRequest) -> tuple[SentInteraction, FakeMessage]:
        handle = self._webhook_handle(request)
        message_id = request.params.get("message_id")
        if message_id is None:
            message = handle.original
        else:
            message = next((m for m in [handle.original, *handle.followups] if m and str(m.id) == message_id), None)
        if message is None or message.deleted:
            raise HTTPError(404, _NOT_FOUND["message_id"])
        return handle, message

    async def _followup(self, request: RecordedRequest) -> tuple[int, Any]:
        handle = self._webhook_handle(request)
        loading = handle.original if handle.original is not None and handle.original.flags & LOADING else None
        if loading is not None and not handle.followups:
            # After a deferred "thinking" answer, the first follow-up replaces the loading message
            # (keeping the visibility chosen when deferring) instead of posting a new one.
            message = loading
            message.apply({"content": "", "embeds": [], "components": [], **(request.body or {})}, edit=True)
            message.edited_timestamp = None
        else:
            message = self._new_message(int(handle.payload["channel_id"]), request.body or {}, handle=handle)
        handle.followups.append(message)
        if request.query.get("wait") in ("1", "true", "True"):
            return 200, message.payload()
        return 204, None

    async def _get_webhook_message(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, self._webhook_message(request)[1].payload()

    async def _edit_webhook_message(self, request: RecordedRequest) -> tuple[int, Any]:
        _, message = self._webhook_message(request)
        message.apply(request.body or {}, edit=True)
        return 200, message.payload()

    async def _delete_webhook_message(self, request: RecordedRequest) -> tuple[int, Any]:
        _, message = self._webhook_message(request)
        message.deleted = True
        return 204, None

    def _channel(self, request: RecordedRequest) -> int:
        channel_id = int(request.params["channel_id"])
        if self.guild.channel_by_id(channel_id) is None and channel_id not in self.dm_channels:
            raise HTTPError(404, _NOT_FOUND["channel_id"])
        return channel_id

    def _channel_message(self, request: RecordedRequest) -> FakeMessage:
        channel_id = self._channel(request)
        message = self.messages.get(int(request.params["message_id"]))
        if message is None or message.deleted or message.channel_id != channel_id:
            raise HTTPError(404, _NOT_FOUND["message_id"])
        return message

    async def _get_channel(self, request: RecordedRequest) -> tuple[int, Any]:
        channel_id = self._channel(request)
        channel = self.guild.channel_by_id(channel_id)
        if channel is not None:
            return 200, channel.payload()
        user = self.dm_channels[channel_id]
        return 200, {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [user.payload()],
        }

    async def _list_channel_messages(self, request: RecordedRequest) -> tuple[int, Any]:
        channel_id = self._channel(request)
        limit = int(request.query.get("limit", 50))
        found = [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]
        return 200, [m.payload() for m in reversed(found)][:limit]

    async def _post_channel_message(self, request: RecordedRequest) -> tuple[int, Any]:
        channel_id = self._channel(request)
        body = request.body or {}
        # Like Discord: with enforce_nonce, a nonce the bot used in the last few minutes returns that message.
        nonce = str(body["nonce"]) if body.get("nonce") is not None and body.get("enforce_nonce") else None
        if nonce is not None and (seen := self.nonces.get(nonce)) and time.monotonic() - seen[1] < NONCE_WINDOW:
            return 200, seen[0].payload()
        message = self._new_message(channel_id, body, handle=None)
        if nonce is not None:
            self.nonces[nonce] = (message, time.monotonic())
        return 200, message.payload()

    async def _get_channel_message(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, self._channel_message(request).payload()

    async def _edit_channel_message(self, request: RecordedRequest) -> tuple[int, Any]:
        message = self._channel_message(request)
        message.apply(request.body or {}, edit=True)
        return 200, message.payload()

    async def _delete_channel_message(self, request: RecordedRequest) -> tuple[int, Any]:
        self._channel_message(request).deleted = True
        return 204, None

    def _guild(self, request: RecordedRequest) -> FakeGuild:
        if request.params["guild_id"] != str(self.guild.id):
            raise HTTPError(404, _NOT_FOUND["guild_id"])
        return self.guild

    async def _get_guild(self, request: RecordedRequest) -> tuple[int, Any]:
        payload = self._guild(request).payload()
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large", "lazy"):
            payload.pop(key, None)
        return 200, payload

    async def _get_guild_channels(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, [c.payload() for c in self._guild(request).channels]

    async def _get_guild_roles(self, request: RecordedRequest) -> tuple[int, Any]:
        return 200, [r.payload() for r in self._guild(request).roles]

    async def _get_guild_member(self, request: RecordedRequest) -> tuple[int, Any]:
        guild = self._guild(request)
        for member in guild.members:
            if str(member.user.id) == request.params["user_id"]:
                return 200, member.payload()
        raise HTTPError(404, {"message": "Unknown Member", "code": 10007})


def _options(command: str, schema: dict[str, Any], values: dict[str, Any], focused: str | None) -> list[dict[str, Any]]:
    """Build interaction options from {name: value}, checked against the registered definition."""
    declared = {
        o["name"]: o for o in schema.get("options", []) if o.get("type") not in (SUB_COMMAND, SUB_COMMAND_GROUP)
    }
    unknown = set(values) - set(declared)
    if unknown:
        raise AssertionError(f"/{command} has no option(s) {sorted(unknown)}; it has {sorted(declared)}")
    out = []
    for name, option in declared.items():
        if name not in values:
            if option.get("required") and focused is None:
                raise AssertionError(f"/{command} needs option {name!r}")
            continue
        value = values[name]
        kind = option["type"]
        expected = OPTION_TYPES.get(kind, object)
        if name == focused:
            if not option.get("autocomplete"):
                raise AssertionError(f"/{command} option {name!r} has no autocomplete")
            value = str(value)  # Discord sends the partial text as typed
        elif not isinstance(value, expected) or (kind in (4, 10) and isinstance(value, bool)):
            raise AssertionError(f"/{command} option {name!r} takes type {kind}, got {value!r}")
        elif kind == 3:
            low, high = option.get("min_length", 0), option.get("max_length", 6000)
            if not low <= len(value) <= high:
                raise AssertionError(f"/{command} option {name!r} takes {low}-{high} characters, got {len(value)}")
            choices = option.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise AssertionError(f"/{command} option {name!r} must be one of its choices, got {value!r}")
        entry: dict[str, Any] = {"name": name, "type": kind, "value": value}
        if name == focused:
            entry["focused"] = True
        out.append(entry)
    if focused is not None and focused not in values:
        raise AssertionError(f"/{command}: focused option {focused!r} has no value")
    return out


def _check_available(name: str, registered: tuple[int | None, dict[str, Any] | None], payload: dict[str, Any]) -> None:
    """Refuse what Discord's client would not offer: a guild-only command in DMs, one the member may not use."""
    command = registered[1]
    assert command is not None
    in_dm = "guild_id" not in payload
    contexts = command.get("contexts")
    context = payload.get("context", 0)
    if in_dm and command.get("dm_permission") is False:
        raise AssertionError(f"/{name} is not available in DMs")
    if contexts is not None and context not in contexts:
        raise AssertionError(f"/{name} is not available in context {context} (only {contexts})")
    installs = command.get("integration_types")
    owners = payload.get("authorizing_integration_owners", {})
    via_server = "0" in owners and (in_dm or owners["0"] == payload.get("guild_id"))
    if installs is not None and not via_server and 1 not in installs:
        raise AssertionError(f"/{name} is not offered to a user install (integration types {installs})")
    required = command.get("default_member_permissions")
    if not in_dm and required is not None:
        have = int(payload["member"]["permissions"])
        if not have & ADMINISTRATOR and int(required) & have != int(required):
            raise AssertionError(f"/{name} needs permissions {required}; the member has {have}")


def _message_type(handle: SentInteraction) -> int:
    if handle.type != APPLICATION_COMMAND:
        return 0  # DEFAULT
    menu = handle.payload.get("data", {}).get("type") in (2, MESSAGE_COMMAND)
    return 23 if menu else 20  # CONTEXT_MENU_COMMAND or CHAT_INPUT_COMMAND


def _failure_response(failure: Failure, request: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
    if failure.status == 429:
        # discord.py only trusts a 429 that came through Discord's proxy (a Via header) with a JSON body.
        body = failure.body or {
            "message": "You are being rate limited.",
            "retry_after": failure.retry_after,
            "global": False,
        }
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, round(failure.retry_after))),
            "X-RateLimit-Scope": "user",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{failure.retry_after:.3f}",
            "X-RateLimit-Bucket": "fake-" + request.template.replace("/", "-"),
        }
        return 429, body, headers
    if failure.body is not None:
        return failure.status, failure.body, {}
    if failure.status == 404:
        for key in ("message_id", "interaction_id", "webhook_id", "channel_id", "guild_id", "user_id"):
            if key in request.params:
                return 404, _NOT_FOUND[key], {}
    return failure.status, _ERRORS.get(failure.status, {"message": str(failure.status), "code": 0}), {}


def _ratelimit_headers(route: str) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": "fake-" + route.replace(" ", "-").replace("/", "-"),
    }


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", no charset: discord.py compares the header verbatim before parsing.
    headers = {**(headers or {}), "Content-Type": "application/json"}
    return web.Response(status=status, body=json.dumps(payload).encode(), headers=headers)


async def _read_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return None
    if request.content_type == "multipart/form-data":
        # With attachments discord.py sends the JSON body as the `payload_json` part.
        reader = await request.multipart()
        payload: Any = None
        async for part in reader:
            if getattr(part, "name", None) == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
        return payload
    text = await request.text()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
