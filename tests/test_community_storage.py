"""Server terms in SQLite and PostgreSQL: an overlay that reloads never touch, decisions applied once, gaps per server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.overlay import ServerTerm
from bot.core.suggestions import Draft, State, SuggestionError
from bot.db.errors import DuplicateKeyError
from bot.db.repositories import Storage
from bot.services.community import CommunityService
from bot.services.glossary import GlossaryService
from tests.clock import FakeClock
from tests.conftest import FIXTURE_GLOSSARY, write_glossary

GUILD, OTHER, MEMBER, MOD = 11, 12, 21, 31
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DEFINITION = "An arrangement in which the supplier monitors the customer's stock and decides when to replenish it."
VMI = Draft("Vendor managed inventory", DEFINITION, "All About Inventory", ("VMI",))
FIX = Draft(
    "Backlog", DEFINITION.replace("supplier", "planner"), "Demand Management", ("order backlog",), "", "backlog"
)


@pytest.fixture
def db(storage: Storage) -> Storage:
    """Every test here runs against SQLite and against PostgreSQL."""
    return storage


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def community(db: Storage, service: GlossaryService, clock: FakeClock) -> CommunityService:
    return CommunityService(db, service, clock)


async def approved(community: CommunityService, draft: Draft, guild: int = GUILD) -> ServerTerm:
    submitted = await community.submit(guild, MEMBER, draft)
    assert submitted.suggestion.state is State.OPEN
    _, server_term = await community.approve(submitted.suggestion.id, guild, MOD)
    return server_term


async def reload(db: Storage, source: Path, clock: FakeClock) -> tuple[GlossaryService, CommunityService]:
    service, _ = await GlossaryService.load(db, source)
    community = CommunityService(db, service, clock)
    await community.load()
    return service, community


async def test_reloading_the_bundled_glossary_keeps_the_overlay(
    db: Storage, community: CommunityService, glossary_dir: Path, clock: FakeClock
):
    await approved(community, VMI)
    changed = {**FIXTURE_GLOSSARY}
    changed["22-lean.toml"] = changed["22-lean.toml"].replace("small, frequent", "small, steady")
    write_glossary(glossary_dir, changed)
    service, _ = await reload(db, glossary_dir, clock)
    assert (await db.get_meta("glossary_hash")) is not None
    assert service.resolve("VMI", GUILD).match.slug == "vendor-managed-inventory"  # type: ignore[union-attr]
    assert service.resolve("VMI", OTHER).match is None
    assert [t.term.slug for t in await db.server_terms(GUILD)] == ["vendor-managed-inventory"]


async def test_a_bundled_update_under_an_override_is_listed(
    db: Storage, community: CommunityService, glossary_dir: Path, clock: FakeClock
):
    await approved(community, FIX)
    assert community.changed_overrides(GUILD) == []
    changed = {**FIXTURE_GLOSSARY}
    changed["08-demand-management.toml"] = changed["08-demand-management.toml"].replace("whatever", "regardless of")
    write_glossary(glossary_dir, changed)
    service, again = await reload(db, glossary_dir, clock)
    listed = again.changed_overrides(GUILD)
    assert [(t.term.slug, bundled.slug if bundled else None) for t, bundled in listed] == [("backlog", "backlog")]
    assert service.get("backlog", GUILD).definition == FIX.definition  # type: ignore[union-attr]
    assert "regardless of" in service.get("backlog", OTHER).definition  # type: ignore[union-attr]


async def test_concurrent_approvals_apply_once(db: Storage, community: CommunityService):
    submitted = await community.submit(GUILD, MEMBER, VMI)
    results = await asyncio.gather(
        community.approve(submitted.suggestion.id, GUILD, MOD),
        community.approve(submitted.suggestion.id, GUILD, MOD + 1),
        community.reject(submitted.suggestion.id, GUILD, MOD + 2, "no"),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, SuggestionError) for r in results if isinstance(r, BaseException))
    record = await db.suggestion_get(submitted.suggestion.id)
    assert record is not None and record.state in (State.APPROVED, State.REJECTED)
    assert len(await db.server_terms(GUILD)) == (1 if record.state is State.APPROVED else 0)


async def test_the_database_refuses_a_second_owner_of_a_name(db: Storage, community: CommunityService):
    first = await approved(community, VMI)
    other = await db.suggestion_create(GUILD, MEMBER, Draft("Supplier stock", DEFINITION, "Lean"), State.OPEN, NOW)
    clash = ServerTerm(
        GUILD, first.term.__class__("supplier-stock", "Supplier stock", "Lean", DEFINITION), False, 1, 2, NOW
    )
    with pytest.raises(DuplicateKeyError):
        await db.suggestion_approve(other.id, clash, ["supplier stock", "vmi"])
    still = await db.suggestion_get(other.id)
    assert still is not None and still.state is State.OPEN  # the whole transaction rolled back


async def test_forget_keeps_terms_but_drops_the_name(
    db: Storage, community: CommunityService, service: GlossaryService
):
    await approved(community, VMI)
    draft = await db.suggestion_create(GUILD, MEMBER, Draft("Other", DEFINITION, "Lean"), State.DRAFT, NOW)
    assert await community.forget(MEMBER) >= 3
    assert await db.suggestion_get(draft.id) is None
    assert service.server_term("vendor-managed-inventory", GUILD).credit_user_id is None  # type: ignore[union-attr]
    assert all(s.user_id is None for s in await db.suggestions_in(GUILD, list(State)))


async def test_removing_a_server_term_is_one_call(community: CommunityService, service: GlossaryService):
    await approved(community, VMI)
    assert await community.remove(GUILD, "vendor-managed-inventory")
    assert service.resolve("VMI", GUILD).match is None
    assert not await community.remove(GUILD, "vendor-managed-inventory")
    await approved(community, VMI)  # and the name is free again


async def test_gaps_count_misses_per_server_and_period(
    db: Storage, community: CommunityService, service: GlossaryService, clock: FakeClock
):
    service.server_misses.clock = clock
    for guild, query, times in ((GUILD, "drop shipping", 3), (GUILD, "cross docking", 1), (OTHER, "drop shipping", 5)):
        for _ in range(times):
            service.record(query, service.resolve(query, guild), guild)
    await service.flush_stats()
    clock.advance(days=10)
    service.record("Cross docking", service.resolve("cross docking", GUILD), GUILD)
    gaps = await community.gaps(GUILD, None)
    assert [(g.query, g.count) for g in gaps] == [("drop shipping", 3), ("cross docking", 2)]
    assert gaps[1].first_day == "2026-12-01" and gaps[1].last_seen == clock.now
    recent = await community.gaps(GUILD, 7)
    assert [(g.query, g.count) for g in recent] == [("Cross docking", 1)]
    assert next((g.query, g.count) for g in await community.gaps(None, None)) == ("drop shipping", 8)


async def test_quizzes_ask_about_server_terms_in_that_server_only(
    db: Storage, community: CommunityService, service: GlossaryService, clock: FakeClock
):
    import random

    from bot.core.quiz import QuizBank, QuizError, QuizMode
    from bot.services.quiz import QuizService
    from bot.services.study import StudyService

    quiz = QuizService(db, service, StudyService(db, service, clock), clock, random.Random(7))
    await quiz.prepare()
    await approved(community, VMI)
    await approved(community, FIX)
    asked = await quiz.ask(user_id=MEMBER, guild_id=GUILD, channel_id=None, slug="vendor-managed-inventory")
    bank = quiz.bank_for(GUILD)
    assert bank is quiz.bank_for(GUILD)  # built once per change of the server's terms
    texts = bank.option_texts(asked.question)
    assert len(asked.question.options) == 4 and (VMI.name in texts or bank.prompt(asked.question) == VMI.name)
    assert len(set(texts)) == 4
    assert bank.term("backlog").definition == FIX.definition  # type: ignore[union-attr]
    assert quiz.bank_for(OTHER) is quiz.bank and quiz.bank.term("backlog").definition != FIX.definition  # type: ignore[union-attr]
    with pytest.raises(QuizError):
        await quiz.ask(user_id=MEMBER, guild_id=OTHER, channel_id=None, slug="vendor-managed-inventory")
    answered = await quiz.answer(asked.id, MEMBER, GUILD, asked.question.answer)
    assert answered.correct
    # The layered bank matches a full build over the same terms, question for question.
    merged = [service.get(t.slug, GUILD) or t for t in service.syllabus()] + [
        service.get("vendor-managed-inventory", GUILD)
    ]
    full = QuizBank([t for t in merged if t is not None])
    for seed in range(20):
        for mode in QuizMode:
            one = bank.question(random.Random(seed), mode=mode, module="All About Inventory")
            two = full.question(random.Random(seed), mode=mode, module="All About Inventory")
            assert one == two
    await community.remove(GUILD, "vendor-managed-inventory")
    assert quiz.bank_for(GUILD).term("vendor-managed-inventory") is None


# -- the repository itself, method by method, on both backends ---------------------------


async def test_review_settings_are_saved_and_a_problem_is_cleared_by_saving(db: Storage):
    from bot.db.repositories import ReviewSetup

    assert await db.community_settings(GUILD) is None
    await db.community_set_problem(GUILD, "gone", NOW)  # nothing set up yet: nothing to mark
    assert await db.community_settings(GUILD) is None
    await db.community_save_settings(ReviewSetup(GUILD, 5, 6), NOW)
    await db.community_set_problem(GUILD, "the channel was deleted", NOW)
    assert await db.community_settings(GUILD) == ReviewSetup(GUILD, 5, 6, "the channel was deleted")
    await db.community_save_settings(ReviewSetup(GUILD, 7, None), NOW)
    assert await db.community_settings(GUILD) == ReviewSetup(GUILD, 7, None, None)
    assert await db.community_settings(OTHER) is None


async def test_suggestions_move_once_count_submissions_and_wait_for_delivery(db: Storage):
    from datetime import timedelta

    opened = await db.suggestion_create(GUILD, MEMBER, VMI, State.OPEN, NOW)
    draft = await db.suggestion_create(GUILD, MEMBER, FIX, State.DRAFT, NOW + timedelta(seconds=1))
    assert await db.suggestion_count_since(GUILD, MEMBER, NOW) == 1  # a draft is not a submission
    assert await db.suggestion_count_since(GUILD, MEMBER, NOW + timedelta(microseconds=1)) == 0
    assert await db.suggestion_count_since(OTHER, MEMBER, NOW) == 0
    await db.suggestion_set_queue_message(opened.id, 70, 9001)
    edited = Draft("Backlog", "Orders received and not yet shipped.", "Demand Management", ("book",), "", "backlog")
    assert await db.suggestion_move(draft.id, State.DRAFT, State.OPEN, NOW, draft=edited)
    assert not await db.suggestion_move(draft.id, State.DRAFT, State.DISCARDED, NOW)
    assert await db.suggestion_move(opened.id, State.OPEN, State.REJECTED, NOW, actor=MOD, reason="a duplicate")
    got = await db.suggestion_get(opened.id)
    moved = await db.suggestion_get(draft.id)
    assert got is not None and moved is not None
    assert (got.state, got.decided_by, got.decided_at, got.reason) == (State.REJECTED, MOD, NOW, "a duplicate")
    assert (got.queue_channel_id, got.queue_message_id, got.draft, got.created_at) == (70, 9001, VMI, NOW)
    assert (moved.state, moved.draft, moved.decided_at) == (State.OPEN, edited, None)
    assert [s.id for s in await db.suggestions_in(GUILD, [State.OPEN, State.DRAFT])] == [draft.id]
    assert await db.suggestion_users_unnotified() == {MEMBER}
    assert [s.id for s in await db.suggestions_unnotified(MEMBER)] == [opened.id]
    await db.suggestion_set_notified([], True)
    await db.suggestion_set_notified([opened.id], True)
    assert await db.suggestion_users_unnotified() == set() and await db.suggestions_unnotified(MEMBER) == []
    await db.suggestion_set_notified([opened.id], False)
    assert await db.suggestion_users_unnotified() == {MEMBER}
    gone = await db.suggestion_create(GUILD, MEMBER, VMI, State.DISCARDED, NOW)
    assert await db.community_forget(MEMBER) == 3  # the discarded one deleted, two made anonymous
    assert await db.suggestion_get(gone.id) is None and await db.suggestion_users_unnotified() == set()
    assert await db.community_forget(MEMBER) == 0


async def test_an_import_lands_whole_or_not_at_all(db: Storage):
    from bot.core.glossary import Term

    def term(slug: str, name: str) -> ServerTerm:
        text = Term(slug, name, "Lean", DEFINITION, aliases=("x",), related=("kanban",))
        return ServerTerm(GUILD, text, True, None, MOD, NOW, "abc")

    await db.server_terms_import(GUILD, [(term("muda", "Muda"), ["muda", "waste"]), (term("mura", "Mura"), ["mura"])])
    await db.server_terms_import(GUILD, [(term("muda", "Muda again"), ["muda", "waste"])])  # replaces, keys freed first
    before = await db.server_terms(GUILD)
    assert [(t.term.slug, t.term.name) for t in before] == [("muda", "Muda again"), ("mura", "Mura")]
    assert before[0] == term("muda", "Muda again") and await db.server_terms(OTHER) == []
    with pytest.raises(DuplicateKeyError):
        await db.server_terms_import(GUILD, [(term("muri", "Muri"), ["muri"]), (term("mu", "Mu"), ["muri"])])
    with pytest.raises(DuplicateKeyError):
        await db.server_terms_import(GUILD, [(term("muri", "Muri"), ["waste"])])
    assert await db.server_terms() == before
    assert await db.server_term_remove(GUILD, "muda") and not await db.server_term_remove(GUILD, "muda")
    await db.server_terms_import(GUILD, [(term("muri", "Muri"), ["waste"])])  # the removed term's keys went with it
    assert [t.term.slug for t in await db.server_terms(GUILD)] == ["mura", "muri"]


async def test_misses_are_counted_per_server_and_utc_day(db: Storage):
    from datetime import timedelta, timezone

    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))  # 2 December there
    await db.record_server_misses([], late)
    await db.record_server_misses([(GUILD, "muda", "Muda", 2), (OTHER, "muda", "muda", 1)], late)
    await db.record_server_misses([(GUILD, "mura", "Mura", 1)], late + timedelta(minutes=50))
    await db.record_server_misses([(GUILD, "muda", "muda", 1)], late + timedelta(hours=1))
    gaps = await db.server_gaps(GUILD, None, 10)
    assert [(g.key, g.query, g.count, g.first_day) for g in gaps] == [
        ("muda", "muda", 3, "2026-12-01"),
        ("mura", "Mura", 1, "2026-12-02"),
    ]
    assert gaps[0].last_seen == late + timedelta(hours=1)
    since = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)
    assert [(g.key, g.count) for g in await db.server_gaps(GUILD, since, 10)] == [("muda", 1), ("mura", 1)]
    assert [(g.key, g.count) for g in await db.server_gaps(None, None, 1)] == [("muda", 4)]
