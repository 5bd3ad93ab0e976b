"""The gateway connection dropping: the bot resumes (or re-identifies) and keeps answering."""

from __future__ import annotations

from tests.e2e.harness import BotProcess, Launcher
from tests.fakediscord import FakeDiscord


async def test_a_dropped_connection_is_resumed_and_missed_interactions_replayed(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    assert (await fake.invoke_command("term", {"name": "MPS"})).embed["title"] == "Master production schedule"

    await fake.drop_gateway(code=4000)
    # Sent while the bot is away: Discord keeps it for the session and replays it on RESUME.
    missed = await fake.start_command("term", {"name": "backlog"})
    reply = await missed.response(timeout=10.0)

    assert reply.embed["title"] == "Backlog"
    assert fake.gateway.resumes == 1
    assert fake.gateway.identifies == 1, "a resumable session must be resumed, not re-identified"
    assert fake.gateway.connection is not None
    assert fake.gateway.connection.request.path == "/resume-gateway", "RESUME goes to READY's resume_gateway_url"
    resume = next(p for p in fake.gateway.connection.received if p["op"] == 6)
    assert resume["d"]["session_id"] == fake.gateway.session.id
    await bot.wait_for_log(r"has successfully RESUMED session")
    assert (await fake.invoke_command("term", {"name": "ROP"})).embed["title"] == "Reorder point"


async def test_an_invalidated_session_makes_the_bot_identify_again(fake: FakeDiscord, bot: BotProcess) -> None:
    await fake.drop_gateway(resumable=False)
    # discord.py waits 5 s before any identify but the first (its identify rate limit).
    await fake.wait_until_ready(timeout=15.0, identifies=2)

    assert fake.gateway.invalid_sessions == 1, "the bot tried to RESUME first and was told the session is gone"
    assert fake.gateway.resumes == 0
    await bot.wait_for_log(r"session has been invalidated")
    reply = await fake.invoke_command("term", {"name": "EOQ"})
    assert reply.embed["title"] == "Economic order quantity"


async def test_a_connection_cut_without_a_close_frame_is_resumed(fake: FakeDiscord, bot: BotProcess) -> None:
    await fake.drop_gateway(abrupt=True)
    reply = await fake.invoke_command("term", {"name": "lead time"}, timeout=10.0)

    assert reply.embed["title"] == "Lead time"
    assert fake.gateway.resumes == 1


async def test_a_reconnect_request_is_honoured(fake: FakeDiscord, bot: BotProcess) -> None:
    connections = len(fake.gateway.connections)
    await fake.gateway.reconnect_request()
    await fake.wait_for(lambda: fake.gateway.resumes == 1 and fake.gateway.ready, 10.0, "the bot to resume")

    assert len(fake.gateway.connections) == connections + 1
    assert (await fake.invoke_command("term", {"name": "kaizen"})).ephemeral


async def test_heartbeats_are_sent_and_acknowledged(fake: FakeDiscord, launcher: Launcher) -> None:
    fake.gateway.heartbeat_interval = 0.2
    await launcher.start()

    await fake.wait_for(lambda: fake.gateway.heartbeats >= 4, 5.0, "four heartbeats")
    assert fake.gateway.identifies == 1 and fake.gateway.resumes == 0, "acknowledged heartbeats keep the session"
    assert (await fake.invoke_command("term", {"name": "carrying cost"})).embed["title"] == "Carrying cost"
