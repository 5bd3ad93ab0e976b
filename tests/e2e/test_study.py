"""Study features end to end: a public quiz answered by two members, and a review across a restart.

Time travel uses CLOCK_START: the second process starts an hour later than the question's closing
time, so the tally must be revealed by the start-up check, not by a process that was waiting.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.e2e.harness import BotConfig, Launcher
from tests.fakediscord import CHANNEL_MESSAGE_EDIT, FakeDiscord

UPDATE_MESSAGE = 7
ASKED_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def test_a_public_quiz_answered_by_two_members_closes_with_the_tally_after_a_restart(
    fake: FakeDiscord, launcher: Launcher, bot_config: BotConfig
) -> None:
    bot_config.extra_env["CLOCK_START"] = ASKED_AT.isoformat()
    await launcher.start()
    question = await fake.invoke_command("quiz", {"module": "Order Quantities", "mode": "definition", "seconds": 60})
    assert not question.ephemeral, "a channel question is public"
    assert question.embed["title"].startswith("Which definition matches")
    answers = question.custom_ids
    assert len(answers) == 4 and all(c.startswith("tk:qz:a:") for c in answers)
    name = question.embed["title"].split("“", 1)[1].rsplit("”", 1)[0]

    classmate = fake.add_user("classmate")
    mine = await fake.click(question, answers[0])
    theirs = await fake.click(question, answers[1], user=classmate)
    assert mine.ephemeral and theirs.ephemeral, "only the answerer sees the result"
    results = {mine.embed["title"][0], theirs.embed["title"][0]}
    assert results <= {"✅", "❌"}
    for reply in (mine, theirs):
        assert any(f["name"] == name for f in reply.embed["fields"]), "the full definition of the answer"
    again = await fake.click(question, answers[2], user=classmate)
    assert again.ephemeral and "already answered" in again.content
    assert fake.message(question.message.id).embed["title"] == question.embed["title"], "nothing public yet"

    # The bot is down when the question should close; it reveals the tally when it is back.
    bot_config.extra_env["CLOCK_START"] = (ASKED_AT + timedelta(hours=1)).isoformat()
    await launcher.restart()
    edit = await fake.wait_for_request(CHANNEL_MESSAGE_EDIT, timeout=15.0)
    assert edit.status == 200
    closed = fake.message(question.message.id)
    assert closed.embed["title"].startswith("Closed · the answer was")
    assert "of 2 right" in closed.embed["description"]
    assert all(button.get("disabled") for button in closed.buttons), "nobody can answer any more"

    board = await fake.invoke_command("leaderboard", {"period": "all"})
    assert not board.ephemeral and board.embed["title"] == "Leaderboard · all time"


async def test_a_review_session_carries_on_across_a_restart(fake: FakeDiscord, launcher: Launcher) -> None:
    await launcher.start()
    added = await fake.invoke_command("deck add", {"module": "Order Quantities"})
    assert added.ephemeral and "Added 3 card(s)" in added.content
    front = await fake.invoke_command("review")
    assert front.ephemeral and front.embed["title"] == "Economic order quantity"
    [reveal] = front.custom_ids
    back = await fake.click(front, reveal)
    assert back.type == UPDATE_MESSAGE and back.embed["description"].startswith("A fixed order size")
    rate_good = next(c for c in back.custom_ids if c.startswith("tk:rv:rate:") and c.endswith(":3"))

    await launcher.restart()

    # A double click on "Good", after the restart: both clicks reach the bot before either answer.
    clicks = await asyncio.gather(fake.start_click(back, rate_good), fake.start_click(back, rate_good))
    replies = [await click.response() for click in clicks]
    assert all(reply.type == UPDATE_MESSAGE for reply in replies)
    # Each reply's own update (`reply.embed` is the message as it is now, after both).
    shown = [reply.data["embeds"][0] for reply in replies]
    assert [embed["title"] for embed in shown] == ["Ordering cost", "Ordering cost"], "the next new card"
    assert sum("already rated" in embed["description"] for embed in shown) == 1, "rated once"
    progress = await fake.invoke_command("progress")
    assert progress.ephemeral
    fields = {f["name"]: f["value"] for f in progress.embed["fields"]}
    assert fields["Streak"].startswith("🔥 1 day(s) in a row")
    assert "1/3 seen · 3 deck" in progress.embed["description"]
