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
FIX = Draft("Backlog", DEFINITION.replace("supplier", "planner"), "Demand Management", ("order backlog",), "", "backlog")


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
    clash = ServerTerm(GUILD, first.term.__class__("supplier-stock", "Supplier stock", "Lean", DEFINITION), False, 1, 2, NOW)
    with pytest.raises(DuplicateKeyError):
        await db.suggestion_approve(other.id, clash, ["supplier stock", "vmi"])
    still = await db.suggestion_get(other.id)
    assert still is not None and still.state is State.OPEN  # the whole transaction rolled back


async def test_forget_keeps_terms_but_drops_the_name(db: Storage, community: CommunityService, service: GlossaryService):
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
    merged = [service.get(t.slug, GUILD) or t for t in service.syllabus()] + [service.get("vendor-managed-inventory", GUILD)]
    full = QuizBank([t for t in merged if t is not None])
    for seed in range(20):
        for mode in QuizMode:
            one = bank.question(random.Random(seed), mode=mode, module="All About Inventory")
            two = full.question(random.Random(seed), mode=mode, module="All About Inventory")
            assert one == two
    await community.remove(GUILD, "vendor-managed-inventory")
    assert quiz.bank_for(GUILD).term("vendor-managed-inventory") is None
