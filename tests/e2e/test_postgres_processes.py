"""Two bot processes on one PostgreSQL against the fake Discord: the daily term still goes out exactly once.

Both processes see the server (a rolling restart, or shard ranges that overlap by mistake). Each is
named in PostgreSQL (`application_name`), so the test can tell which one holds the server's claim
and SIGKILL exactly the poster: once right after Discord created the message (before the poster
could record it) and once right after it recorded its intent (before the message was created).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from tests.e2e.harness import BotConfig, BotProcess, Launcher
from tests.e2e.test_totd import MARKER, set_up
from tests.fakediscord import CHANNEL_MESSAGE_POST, GLOBAL_COMMANDS, FakeDiscord

POST_AT = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
LEAD = timedelta(seconds=6)  # the first process starts this long before the post is due
NAMES = ("bot-a", "bot-b")


async def start_two(launcher: Launcher, bot_config: BotConfig, fake: FakeDiscord, pg_url: str) -> dict[str, BotProcess]:
    """Start two processes on one database with clocks in step; the first sets the server up."""
    started = time.monotonic()
    processes = {}
    for name in NAMES:
        elapsed = timedelta(seconds=time.monotonic() - started)
        bot_config.extra_env.update(
            DATABASE_URL=f"{pg_url}?application_name={name}", CLOCK_START=(POST_AT - LEAD + elapsed).isoformat()
        )
        processes[name] = await launcher.start()
        if name == NAMES[0]:
            answer = await set_up(fake)
            assert "every day at **08:30** (Europe/Berlin)" in answer.content
    return processes


async def holder(pg_url: str) -> str | None:
    """Return which process holds a term-of-the-day claim, if one does."""
    conn = await asyncpg.connect(pg_url)
    try:
        return await conn.fetchval(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = ANY($1::text[])",
            list(NAMES),
        )
    finally:
        await conn.close()


async def posted_row(pg_url: str) -> asyncpg.Record | None:
    conn = await asyncpg.connect(pg_url)
    try:
        return await conn.fetchrow("SELECT status, message_id, slug FROM totd_posts")
    finally:
        await conn.close()


async def settled(pg_url: str, fake: FakeDiscord, timeout: float = 40.0) -> asyncpg.Record:
    """Wait until the day's row says posted, then a little longer for any second post to show."""
    deadline = time.monotonic() + timeout
    while (row := await posted_row(pg_url)) is None or row["status"] != "posted":
        assert time.monotonic() < deadline, f"the day's post was never recorded: {row}"
        await asyncio.sleep(0.2)
    await asyncio.sleep(4.0)  # both processes have run another round by now (HELD_RETRY is 3 s)
    return row


async def check_agreement(fake: FakeDiscord, launcher: Launcher, pg_url: str) -> None:
    """Exactly one post in the channel, the row names it, and a fresh process shows the same term."""
    row = await settled(pg_url, fake)
    [post] = fake.channel_messages()
    assert post.embed["footer"]["text"] == MARKER
    assert (row["status"], row["message_id"]) == ("posted", post.id)
    # A process started now (it takes over the gateway) answers from the same database.
    launcher.config.extra_env["CLOCK_START"] = (POST_AT + timedelta(minutes=1)).isoformat()
    await launcher.start()
    shown = await fake.invoke_command("today")
    assert shown.embed["title"] == post.embed["title"] and shown.embed["footer"]["text"] == MARKER
    status = await fake.invoke_command("totd status", user=fake.owner)
    fields = {f["name"]: f["value"] for f in status.embed["fields"]}
    assert fields["Last post"].startswith("2026-11-25 · posted · ")
    assert len(fake.channel_messages()) == 1


async def test_two_processes_post_the_daily_term_once(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig, pg_url: str
) -> None:
    await start_two(launcher, bot_config, fake, pg_url)
    await fake.wait_for_request(CHANNEL_MESSAGE_POST, timeout=20.0)
    await check_agreement(fake, launcher, pg_url)
    assert len(fake.requests_to(CHANNEL_MESSAGE_POST)) == 1


@pytest.mark.parametrize("moment", ["after Discord created the post", "after the intent was recorded"])
async def test_the_poster_killed_mid_post_is_recovered_by_the_other_process(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig, pg_url: str, moment: str
) -> None:
    after = moment.startswith("after Discord")
    held = fake.hold(CHANNEL_MESSAGE_POST, after=after)
    processes = await start_two(launcher, bot_config, fake, pg_url)
    await fake.wait_for(held.arrived.is_set, 20.0, "the daily post to be sent")
    poster = await holder(pg_url)
    assert poster in NAMES, "the poster holds the server's claim while it posts"
    row = await posted_row(pg_url)
    assert row is not None and row["status"] == "sending"
    processes[poster].process.kill()  # SIGKILL: no goodbye, its connection to PostgreSQL just drops
    await processes[poster].wait()
    assert len(fake.channel_messages()) == (1 if after else 0)
    held.release() if after else held.discard()  # a request that never reached Discord has no effect
    await check_agreement(fake, launcher, pg_url)
    survivor = processes[NAMES[1 - NAMES.index(poster)]]
    assert survivor.returncode is None
    sent = [r for r in fake.requests_to(CHANNEL_MESSAGE_POST) if not r.injected]
    assert len(sent) == 1


async def test_a_poster_that_loses_its_claim_mid_send_does_not_post_twice(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig, pg_url: str
) -> None:
    """The poster's link to PostgreSQL drops while its create request is still on the way to Discord.

    Its claim goes with the link, so the other process takes over, finds no post in the channel
    (the first request has not reached Discord yet) and sends again. Both requests carry the same
    nonce with enforce_nonce, so when the first one lands Discord hands back the message the second
    created: one post, whichever request arrives first.
    """
    held = fake.hold(CHANNEL_MESSAGE_POST)  # held before it takes effect
    processes = await start_two(launcher, bot_config, fake, pg_url)
    await fake.wait_for(held.arrived.is_set, 20.0, "the daily post to be sent")
    poster = await holder(pg_url)
    assert poster in NAMES
    conn = await asyncpg.connect(pg_url)
    try:  # cut only the connection that holds the claim; the poster keeps running
        cut = await conn.fetchval(
            "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1",
            poster,
        )
    finally:
        await conn.close()
    assert cut == 1
    await fake.wait_for(lambda: len(fake.requests_to(CHANNEL_MESSAGE_POST)) == 2, 20.0, "the other process to resend")
    await fake.wait_for(lambda: len(fake.channel_messages()) == 1, 10.0, "the resent post")
    held.release()  # now the first request reaches Discord
    await check_agreement(fake, launcher, pg_url)
    first, second = fake.requests_to(CHANNEL_MESSAGE_POST)[:2]
    assert first.body["nonce"] == second.body["nonce"] and first.body["enforce_nonce"] is True
    assert all(p.returncode is None for p in processes.values()), "neither process crashed"


@pytest.mark.parametrize(("shard_ids", "syncs"), [("0", True), ("1", False)])
async def test_a_process_runs_its_shards_and_only_shard_0_syncs_commands(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig, pg_url: str, shard_ids: str, syncs: bool
) -> None:
    bot_config.extra_env.update(DATABASE_URL=pg_url, SHARD_COUNT="2", SHARD_IDS=shard_ids)
    bot = await launcher.start()
    await bot.wait_for_log(rf"Shard ID {shard_ids} has connected to Gateway", timeout=15.0)
    assert bool(fake.requests_to(GLOBAL_COMMANDS)) is syncs
    if not syncs:  # the commands are registered by shard 0's process (none here), so nothing to invoke
        await bot.wait_for_log("synced by the process running shard 0", timeout=5.0)
        return
    [identify] = [p["d"] for c in fake.gateway.connections for p in c.received if p.get("op") == 2]
    assert identify["shard"] == [int(shard_ids), 2]
    reply = await fake.invoke_command("term", {"name": "Backlog"})
    assert reply.embed["title"] == "Backlog"
