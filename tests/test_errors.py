"""The one error path never raises while telling the member: a dropped connection is logged, not re-raised."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import aiohttp
import pytest

from bot.errors import reply_ephemeral


class _Response:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def is_done(self) -> bool:
        return False

    async def send_message(self, *args: object, **kwargs: object) -> None:
        raise self.error


@pytest.mark.parametrize(
    "error", [aiohttp.ServerDisconnectedError(), ConnectionResetError("reset"), aiohttp.ClientOSError()]
)
async def test_a_reply_lost_to_a_dropped_connection_is_logged_not_raised(error, caplog):
    interaction = SimpleNamespace(id=42, response=_Response(error))
    with caplog.at_level(logging.WARNING, logger="bot.errors"):
        await reply_ephemeral(interaction, "I'm restarting right now.")  # type: ignore[arg-type]
    assert "Could not send an error reply for interaction 42" in caplog.text
