"""A fake Discord (REST + gateway on 127.0.0.1) that the real bot process talks to in end-to-end tests."""

from .interactions import NoReplyError, Reply, SentInteraction
from .payloads import EPHEMERAL, FakeChannel, FakeGuild, FakeMember, FakeMessage, FakeRole, FakeUser
from .schema import OpenApiSpec, find_spec
from .server import (
    APPLICATION_INFO,
    CALLBACK,
    CHANNEL_MESSAGE_EDIT,
    CHANNEL_MESSAGE_POST,
    CURRENT_USER,
    DM_CHANNEL,
    EDIT_FOLLOWUP,
    EDIT_ORIGINAL,
    FOLLOWUP,
    GATEWAY_BOT,
    GLOBAL_COMMANDS,
    GUILD_COMMANDS,
    Failure,
    FakeDiscord,
    RecordedRequest,
)

__all__ = [
    "APPLICATION_INFO",
    "CALLBACK",
    "CHANNEL_MESSAGE_EDIT",
    "CHANNEL_MESSAGE_POST",
    "CURRENT_USER",
    "DM_CHANNEL",
    "EDIT_FOLLOWUP",
    "EDIT_ORIGINAL",
    "EPHEMERAL",
    "FOLLOWUP",
    "GATEWAY_BOT",
    "GLOBAL_COMMANDS",
    "GUILD_COMMANDS",
    "Failure",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "NoReplyError",
    "OpenApiSpec",
    "RecordedRequest",
    "Reply",
    "SentInteraction",
    "find_spec",
]
