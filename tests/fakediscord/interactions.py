"""Interactions the fake sends to the bot, and the replies the bot sends back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .payloads import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    EPHEMERAL,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    UPDATE_MESSAGE,
    FakeMessage,
)

if TYPE_CHECKING:
    from .server import FakeDiscord, RecordedRequest

# Which callback types Discord accepts for which interaction type.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    # A modal submitted from a component may update that component's message.
    MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE},
}


class NoReplyError(AssertionError):
    """The bot did not answer in time; the message lists what the fake saw."""


@dataclass(eq=False)
class SentInteraction:
    """An INTERACTION_CREATE the fake sent, and everything the bot did with its token."""

    fake: FakeDiscord
    id: int
    token: str
    type: int
    payload: dict[str, Any]
    component_message: FakeMessage | None = None
    sent_at: float = 0.0
    acknowledged: bool = False
    original: FakeMessage | None = None
    followups: list[FakeMessage] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    _reply: asyncio.Future[Reply] | None = None

    @property
    def description(self) -> str:
        """Describe the interaction for error messages."""
        data = self.payload.get("data", {})
        if self.type in (APPLICATION_COMMAND, AUTOCOMPLETE):
            return f"/{data.get('name')} {data.get('options', [])}"
        if self.type == MODAL_SUBMIT:
            return f"modal {data.get('custom_id')!r}"
        return f"component {data.get('custom_id')!r}"

    def reply_future(self) -> asyncio.Future[Reply]:
        """Return the future the successful callback resolves."""
        if self._reply is None:
            self._reply = asyncio.get_running_loop().create_future()
        return self._reply

    async def response(self, timeout: float = 5.0, *, settled: bool = False) -> Reply:
        """Wait for the bot's (successful) interaction callback.

        With settled=True a deferred "thinking" answer is also awaited until the bot filled it in
        (first follow-up or edit of the original), within the same timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            reply = await asyncio.wait_for(asyncio.shield(self.reply_future()), timeout)
        except TimeoutError:
            raise NoReplyError(self._explain(f"no callback within {timeout} s")) from None
        if settled and reply.type == DEFERRED_CHANNEL_MESSAGE:
            await self.fake.wait_for(
                lambda: reply.message is not None and not reply.message.flags & LOADING,
                max(0.0, deadline - loop.time()),
                f"the deferred answer to {self} to be filled in",
            )
        return reply

    async def followup(self, index: int = 0, timeout: float = 5.0) -> FakeMessage:
        """Wait for the bot's follow-up message number `index` (0 is the first)."""
        await self.fake.wait_for(lambda: len(self.followups) > index, timeout, f"follow-up #{index} to {self}")
        return self.followups[index]

    async def edited_original(self, timeout: float = 5.0) -> FakeMessage:
        """Wait until the original response has been edited (after a deferral) and return it."""

        def done() -> bool:
            return self.original is not None and self.original.edited_timestamp is not None

        await self.fake.wait_for(done, timeout, f"an edit of the original response to {self}")
        assert self.original is not None
        return self.original

    def _explain(self, what: str) -> str:
        lines = [f"{what} for {self.description} (interaction {self.id})."]
        if self.requests:
            lines.append("Requests with its token: " + ", ".join(f"{r.route} -> {r.status}" for r in self.requests))
        else:
            lines.append("The bot sent nothing with its token.")
        lines += [f"  problem: {p}" for p in self.fake.problems[-5:]]
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"{self.description} (interaction {self.id})"


@dataclass(eq=False)
class Reply:
    """The bot's interaction callback: its type, its data and the message it created or updated."""

    interaction: SentInteraction
    request: RecordedRequest
    type: int
    data: dict[str, Any]
    message: FakeMessage | None
    latency: float  # seconds from the gateway send to the callback reaching the fake

    @property
    def deferred(self) -> bool:
        """Return whether the bot first answered "thinking…" (callback type 5)."""
        return self.type == DEFERRED_CHANNEL_MESSAGE

    @property
    def content(self) -> str:
        """Return the message text."""
        return self.message.content if self.message is not None else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Return the message's embeds."""
        return self.message.embeds if self.message is not None else []

    @property
    def embed(self) -> dict[str, Any]:
        """Return the single embed."""
        assert self.message is not None, f"callback type {self.type} made no message"
        return self.message.embed

    @property
    def ephemeral(self) -> bool:
        """Return whether the answer is visible only to the user (flags 64)."""
        if self.message is not None:
            return self.message.ephemeral
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Return autocomplete choices."""
        assert self.type == AUTOCOMPLETE_RESULT, f"callback type {self.type} is not an autocomplete result"
        return list(self.data.get("choices") or [])

    @property
    def modal(self) -> dict[str, Any]:
        """Return the modal the bot opened (callback type 9): title, custom_id and its text inputs."""
        assert self.type == MODAL, f"callback type {self.type} is not a modal"
        return self.data

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Return the message's buttons."""
        return self.message.buttons if self.message is not None else []

    @property
    def custom_ids(self) -> list[str]:
        """Return the message's component custom ids."""
        return self.message.custom_ids if self.message is not None else []
