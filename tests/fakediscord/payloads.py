"""Discord API objects shaped as the real API sends them (API v10), for the fake server."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = 1071698660929  # what Discord gives @everyone in a new server
# The README's invite link: view channels, send messages, embed links, read history, public threads.
BOT_PERMISSIONS = 309237730304
MEMBER_PERMISSIONS = EVERYONE_PERMISSIONS
EPHEMERAL = 1 << 6
LOADING = 1 << 7
# Flags a bot may set on a message it creates: suppress embeds, ephemeral, silent, components v2.
SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)
ADMINISTRATOR = 1 << 3
USE_EXTERNAL_APPS = 1 << 50
MESSAGE_COMMAND = 3  # application command type of a message context menu

# Interaction, callback, component and option type numbers used by the fake.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT, MODAL = (
    4,
    5,
    6,
    7,
    8,
    9,
)
ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
OPTION_TYPES: dict[int, type | tuple[type, ...]] = {
    3: str,  # string
    4: int,  # integer
    5: bool,  # boolean
    6: str,  # user (snowflake)
    7: str,  # channel
    8: str,  # role
    9: str,  # mentionable
    10: (int, float),  # number
    11: str,  # attachment
}


class Snowflakes:
    """Generate increasing snowflake ids from the current time, as Discord does."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> int:
        """Return a new id."""
        increment = next(self._counter) & 0xFFF
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17) | increment


def iso_now() -> str:
    """Return the current time as Discord formats timestamps."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class FakeUser:
    """A Discord user (a learner, or the bot itself)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def payload(self) -> dict[str, Any]:
        """Return the user object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name if self.global_name is not None else self.username.title(),
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "primary_guild": None,
        }
        if self.bot:
            data.update(bot=True, global_name=None, verified=True, mfa_enabled=False, email=None, locale="en-US")
        return data


@dataclass
class FakeRole:
    """A role in the fake guild."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False

    def payload(self) -> dict[str, Any]:
        """Return the role object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "description": None,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class FakeChannel:
    """A text channel in the fake guild."""

    id: int
    guild_id: int
    name: str
    position: int = 0

    def payload(self) -> dict[str, Any]:
        """Return the guild text channel object."""
        return {
            "id": str(self.id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
            "icon_emoji": None,
            "theme_color": None,
        }


@dataclass
class FakeMember:
    """A user's membership in the fake guild."""

    user: FakeUser
    role_ids: list[int] = field(default_factory=list)
    permissions: int = MEMBER_PERMISSIONS
    joined_at: str = field(default_factory=iso_now)

    def payload(self, *, with_permissions: bool = False) -> dict[str, Any]:
        """Return the guild member object (with `permissions` as in interactions)."""
        data: dict[str, Any] = {
            "user": self.user.payload(),
            "roles": [str(r) for r in self.role_ids],
            "nick": None,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
        }
        if with_permissions:
            data["permissions"] = str(self.permissions)
        return data


@dataclass
class FakeGuild:
    """A guild with a text channel, roles and members."""

    id: int
    name: str
    owner_id: int
    channels: list[FakeChannel] = field(default_factory=list)
    roles: list[FakeRole] = field(default_factory=list)
    members: list[FakeMember] = field(default_factory=list)

    @property
    def channel(self) -> FakeChannel:
        """Return the first text channel, where interactions happen by default."""
        return self.channels[0]

    def member(self, user: FakeUser) -> FakeMember:
        """Return a user's membership, adding it when missing."""
        for member in self.members:
            if member.user.id == user.id:
                return member
        member = FakeMember(user, role_ids=[])
        self.members.append(member)
        return member

    def channel_by_id(self, channel_id: int) -> FakeChannel | None:
        """Return one of the guild's channels."""
        return next((c for c in self.channels if c.id == channel_id), None)

    def payload(self) -> dict[str, Any]:
        """Return the GUILD_CREATE payload (a guild plus the gateway-only extras)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "icon_hash": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "widget_enabled": False,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [role.payload() for role in self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(self.channel.id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "nsfw": False,
            "nsfw_level": 0,
            "hub_type": None,
            "incidents_data": None,
            "latest_onboarding_question_id": None,
            "home_header": None,
            "version": 0,
            "inventory_settings": None,
            "embedded_activities": [],
            "activity_instances": [],
            "application_command_counts": {},
            # Gateway-only fields of GUILD_CREATE.
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [member.payload() for member in self.members],
            "channels": [channel.payload() for channel in self.channels],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


def application_payload(app_id: int, owner: FakeUser, bot_user: FakeUser) -> dict[str, Any]:
    """Return GET /oauth2/applications/@me."""
    return {
        "id": str(app_id),
        "name": bot_user.username,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": owner.payload(),
        "flags": (1 << 19) | (1 << 23),  # GATEWAY_GUILD_MEMBERS_LIMITED, APPLICATION_COMMAND_BADGE
        "team": None,
        "bot": bot_user.payload(),
        "summary_localizations": {},
        "is_monetized": False,
        "is_verified": False,
        "is_discoverable": False,
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "install_params": None,
        "integration_types_config": {"0": {}},
        "redirect_uris": [],
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "rpc_application_state": 0,
        "store_application_state": 1,
        "verification_state": 1,
        "guild_id": None,
        "custom_install_url": None,
        "privacy_policy_url": None,
        "terms_of_service_url": None,
    }


def command_payload(body: dict[str, Any], *, command_id: int, app_id: int, guild_id: int | None) -> dict[str, Any]:
    """Return an application command as Discord stores it, from a registration body."""
    data = {
        "id": str(command_id),
        "application_id": str(app_id),
        "version": str(command_id),
        "default_member_permissions": body.get("default_member_permissions"),
        "type": body.get("type", 1),
        "name": body["name"],
        "name_localizations": body.get("name_localizations"),
        "description": body.get("description", ""),
        "description_localizations": body.get("description_localizations"),
        "dm_permission": body.get("dm_permission", True),
        "contexts": body.get("contexts"),
        "integration_types": body.get("integration_types", [0]),
        "nsfw": body.get("nsfw", False),
    }
    if body.get("options"):
        data["options"] = body["options"]
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


@dataclass
class FakeMessage:
    """A message the bot created (interaction response, follow-up or channel post), kept up to date."""

    id: int
    channel_id: int
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    deleted: bool = False
    guild_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        """Return whether only the invoking user sees it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def embed(self) -> dict[str, Any]:
        """Return the first embed (most bot messages have exactly one)."""
        assert self.embeds, f"message {self.id} has no embed: {self.content!r}"
        return self.embeds[0]

    def leaf_components(self) -> list[dict[str, Any]]:
        """Return the buttons and selects, flattened out of their action rows."""
        out: list[dict[str, Any]] = []
        stack = list(reversed(self.components))
        while stack:
            component = stack.pop()
            children = component.get("components")
            if isinstance(children, list):
                stack.extend(reversed(children))
            else:
                out.append(component)
        return out

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Return the buttons, in display order."""
        return [c for c in self.leaf_components() if c.get("type") == BUTTON]

    @property
    def custom_ids(self) -> list[str]:
        """Return every component's custom id, in display order."""
        return [c["custom_id"] for c in self.leaf_components() if "custom_id" in c]

    def component(self, custom_id: str) -> dict[str, Any] | None:
        """Return the component with this custom id."""
        return next((c for c in self.leaf_components() if c.get("custom_id") == custom_id), None)

    def button(self, label: str) -> dict[str, Any]:
        """Return the button with this label, or fail listing the labels there are."""
        for button in self.buttons:
            if button.get("label") == label:
                return button
        raise AssertionError(f"no button {label!r}; buttons: {[b.get('label') for b in self.buttons]}")

    def apply(self, data: dict[str, Any], *, edit: bool) -> None:
        """Apply a create or edit body: fields absent from an edit keep their value."""
        if "content" in data or not edit:
            self.content = data.get("content") or ""
        if "embeds" in data or not edit:
            self.embeds = list(data.get("embeds") or [])
        if "components" in data or not edit:
            self.components = list(data.get("components") or [])
        if not edit:
            self.flags = int(data.get("flags") or 0) & SETTABLE_FLAGS
        elif data.get("flags") is not None:
            # Whether a message is ephemeral is fixed when it is created.
            self.flags = (self.flags & EPHEMERAL) | (int(data["flags"]) & SETTABLE_FLAGS & ~EPHEMERAL)
        if edit:
            self.flags &= ~LOADING
            self.edited_timestamp = iso_now()

    def payload(self) -> dict[str, Any]:
        """Return the message object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [_embed_out(e) for e in self.embeds],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
            "components": _components_out(self.components),
        }
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
            data["webhook_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


def _embed_out(embed: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in embed.items() if value is not None}
    out.setdefault("type", "rich")
    out.setdefault("content_scan_version", 0)
    return out


def _components_out(components: list[dict[str, Any]], counter: itertools.count[int] | None = None) -> list[Any]:
    """Components as Discord returns them: every one gets a numeric `id`."""
    counter = counter or itertools.count(1)
    out = []
    for component in components:
        copy = {key: value for key, value in component.items() if value is not None}
        copy["id"] = copy.get("id") or next(counter)
        if isinstance(copy.get("components"), list):
            copy["components"] = _components_out(copy["components"], counter)
        out.append(copy)
    return out
