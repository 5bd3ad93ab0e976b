"""The fake gateway: HELLO, IDENTIFY, heartbeats, READY, GUILD_CREATE, dispatch, RESUME and drops.

Speaks the protocol discord.py's DiscordWebSocket expects: JSON encoding, optional zlib-stream
transport compression (a single zlib context per connection, every message ending in a
Z_SYNC_FLUSH marker), sequence numbers on dispatches, and replay of missed events on RESUME.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 3, 4, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
GUILDS_INTENT = 1 << 0
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


@dataclass
class GatewaySession:
    """One identified session: its sequence, its replay buffer and whether it can still be resumed."""

    id: str
    token: str
    intents: int
    seq: int = 0
    resumable: bool = True
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=10_000))


@dataclass(eq=False)
class GatewayConnection:
    """One websocket, with its compression context and the session it carries."""

    ws: web.WebSocketResponse
    request: web.Request
    compress: str | None
    session: GatewaySession | None = None
    live: bool = False  # HELLO sent and READY/RESUMED sent: dispatches go straight out
    dropped: bool = False  # closed by the fake, not by the bot
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _zlib: Any = None

    def __post_init__(self) -> None:
        if self.compress == "zlib-stream":
            self._zlib = zlib.compressobj()

    async def send(self, payload: dict[str, Any] | str) -> None:
        """Send one gateway message, compressed when the client asked for it."""
        text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        if self.ws.closed:
            return
        if self._zlib is not None:
            data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(text)


class Gateway:
    """Gateway state of a FakeDiscord: the current session and the live connection."""

    def __init__(self, fake: FakeDiscord, *, heartbeat_interval: float) -> None:
        self.fake = fake
        self.heartbeat_interval = heartbeat_interval
        self.sessions: dict[str, GatewaySession] = {}
        self.session: GatewaySession | None = None
        self.connection: GatewayConnection | None = None
        self.connections: list[GatewayConnection] = []
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self.invalid_sessions = 0
        self.close_codes: list[int | None] = []  # codes of the connections the bot closed itself

    @property
    def ready(self) -> bool:
        """Return whether a bot is connected and past READY/RESUMED."""
        return self.connection is not None and self.connection.live

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one gateway websocket connection."""
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        query = request.rel_url.query
        if query.get("v") != "10" or query.get("encoding") != "json":
            self.fake.problem(f"gateway connected with v={query.get('v')} encoding={query.get('encoding')}")
        compress = query.get("compress")
        if compress not in (None, "zlib-stream"):
            # zstd-stream is only asked for when the client has a zstd library; plain text frames still work.
            compress = None
        conn = GatewayConnection(ws, request, compress)
        self.connections.append(conn)
        self.fake.touch()
        try:
            await conn.send({"op": HELLO, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)}})
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._received(conn, json.loads(message.data))
                elif message.type is WSMsgType.BINARY:
                    self.fake.problem("the bot sent a binary gateway frame")
                elif message.type is WSMsgType.ERROR:
                    break
        except ConnectionResetError:
            pass
        finally:
            if not conn.dropped:
                self.close_codes.append(ws.close_code)
            conn.live = False
            if self.connection is conn:
                self.connection = None
            if not ws.closed:
                await ws.close()
            self.fake.touch()
        return ws

    async def _received(self, conn: GatewayConnection, payload: dict[str, Any]) -> None:
        conn.received.append(payload)
        op, data = payload.get("op"), payload.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            await conn.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(conn, data or {})
        elif op == RESUME:
            await self._resume(conn, data or {})
        elif op in (PRESENCE, VOICE, REQUEST_MEMBERS):
            pass
        else:
            self.fake.problem(f"the bot sent unknown gateway op {op}")
            await conn.ws.close(code=4001, message=b"Unknown opcode")
        self.fake.touch()

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        fake = self.fake
        if data.get("token") != fake.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~fake.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identifies += 1
        if self.session is not None:
            self.session.resumable = False  # events sent meanwhile wait for this new session
        session = GatewaySession(id=secrets.token_hex(16), token=data["token"], intents=intents)
        self.sessions[session.id] = session
        conn.session = session
        self._take_over(conn)
        async with conn.lock:
            ready = {
                "v": 10,
                "user": fake.bot_user.payload(),
                "user_settings": {},
                "guilds": [{"id": str(fake.guild.id), "unavailable": True}],
                "guild_join_requests": [],
                "relationships": [],
                "private_channels": [],
                "presences": [],
                "session_id": session.id,
                "session_type": "normal",
                "resume_gateway_url": fake.resume_gateway_url,
                "application": {"id": str(fake.application_id), "flags": 0},
                "geo_ordered_rtc_regions": ["local"],
                "_trace": ['["fake-discord-gateway",{"micros":1}]'],
            }
            if "shard" in data:  # Discord names the shard a sharded session runs
                ready["shard"] = data["shard"]
            await self._dispatch_now(conn, session, "READY", ready)
            if intents & GUILDS_INTENT:
                await self._dispatch_now(conn, session, "GUILD_CREATE", fake.guild.payload())
            self.session = session
            conn.live = True

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not session.resumable or data.get("token") != session.token:
            self.invalid_sessions += 1
            await conn.send({"op": INVALID_SESSION, "d": False})
            return
        self.resumes += 1
        conn.session = session
        self.session = session
        self._take_over(conn)
        async with conn.lock:
            # Replay what the bot missed, including events buffered while this replay runs.
            sent = int(data.get("seq") or 0)
            while pending := [(seq, text) for seq, text in session.buffer if seq > sent]:
                for seq, text in pending:
                    await conn.send(text)
                    sent = seq
            conn.live = True  # later dispatches queue on conn.lock behind RESUMED
            await self._dispatch_now(conn, session, "RESUMED", {"_trace": ['["fake-discord-gateway",{"micros":1}]']})

    def _take_over(self, conn: GatewayConnection) -> None:
        if self.connection is not None and self.connection is not conn:
            # A second connection (a restarted bot, or a resume) replaces the first.
            self.connection.live = False
        self.connection = conn

    async def _dispatch_now(self, conn: GatewayConnection, session: GatewaySession, event: str, data: Any) -> None:
        session.seq += 1
        text = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": data}, separators=(",", ":"))
        session.buffer.append((session.seq, text))
        await conn.send(text)

    async def dispatch(self, event: str, data: Any, *, timeout: float) -> float:
        """Send an event to the bot and return the perf_counter time it went out.

        Between connections of a resumable session the event is buffered and replayed on RESUME,
        as Discord does; otherwise (not identified yet, or re-identifying) it waits until the bot
        is ready, up to `timeout` seconds.
        """
        while True:
            conn, session = self.connection, self.session
            if conn is not None and conn.live and session is not None and conn.session is session:
                async with conn.lock:
                    if conn.live and self.connection is conn:
                        sent = time.perf_counter()
                        await self._dispatch_now(conn, session, event, data)
                        return sent
                continue
            if session is not None and session.resumable and (conn is None or conn.session is session):
                session.seq += 1
                text = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": data}, separators=(",", ":"))
                session.buffer.append((session.seq, text))
                return time.perf_counter()
            await self.fake.wait_for(lambda: self.ready, timeout, f"the bot to be connected to send {event}")

    async def drop(self, *, resumable: bool = True, code: int = 4000, abrupt: bool = False) -> None:
        """Close the bot's connection; with resumable=False its session can no longer be resumed."""
        conn = self.connection
        if conn is None:
            raise RuntimeError("no gateway connection to drop")
        if self.session is not None and not resumable:
            self.session.resumable = False
        conn.live = False
        conn.dropped = True
        self.connection = None
        if abrupt:
            transport = conn.request.transport
            if transport is not None:
                transport.close()
        else:
            await conn.ws.close(code=code, message=b"Dropped by the fake")
        self.fake.touch()

    async def reconnect_request(self) -> None:
        """Ask the bot to reconnect (op 7), as Discord does before moving a session."""
        conn = self.connection
        if conn is None:
            raise RuntimeError("no gateway connection")
        await conn.send({"op": RECONNECT, "d": None})

    async def close_all(self) -> None:
        """Close every connection (server shutdown)."""
        for conn in self.connections:
            conn.live = False
            conn.dropped = True
            if not conn.ws.closed:
                await conn.ws.close(code=1001, message=b"Fake Discord stopping")
