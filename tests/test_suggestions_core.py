"""The suggestion life cycle, the draft's limits and duplicate detection (pure, no Discord, no database)."""

from __future__ import annotations

import pytest

from bot.core.glossary import Term
from bot.core.matching import Indexed, Matcher
from bot.core.overlay import Overlay, ServerTerm, term_hash
from bot.core.suggestions import (
    TRANSITIONS,
    Draft,
    State,
    SuggestionError,
    check_transition,
    draft_keys,
    find_duplicates,
    open_key_index,
    parse_draft,
    split_aliases,
)

DEFINITION = "An arrangement in which the supplier monitors the customer's stock and decides when to replenish it."
BUNDLED = Matcher(
    [
        Indexed("safety-stock", "Safety stock", ("SS", "buffer stock")),
        Indexed("economic-order-quantity", "Economic order quantity", ("EOQ",)),
        Indexed("kanban", "Kanban", ("kanban card",)),
    ]
)


def test_a_suggestion_is_decided_exactly_once():
    check_transition(State.DRAFT, State.OPEN)
    check_transition(State.OPEN, State.APPROVED)
    check_transition(State.OPEN, State.REJECTED)
    for done in (State.APPROVED, State.REJECTED):
        for target in State:
            with pytest.raises(SuggestionError, match="already"):
                check_transition(done, target)
    with pytest.raises(SuggestionError):
        check_transition(State.DRAFT, State.APPROVED)  # a draft never skips the queue
    with pytest.raises(SuggestionError):
        check_transition(State.DISCARDED, State.OPEN)
    assert all(not TRANSITIONS[s] for s in (State.APPROVED, State.REJECTED, State.DISCARDED))


def test_parse_draft_applies_the_validator_limits_and_lists_every_problem():
    draft = parse_draft("  Vendor   managed inventory ", DEFINITION, "VMI, vmi,\nsupplier managed inventory", "", "2")
    assert draft == Draft(
        "Vendor managed inventory", DEFINITION, "All About Inventory", ("VMI", "supplier managed inventory")
    )
    with pytest.raises(SuggestionError) as caught:
        parse_draft("x" * 101, "Too short.", ", ".join(f"a{i}" for i in range(13)), "e" * 1001, "nowhere")
    message = str(caught.value)
    for part in ("at most 100", "2 words; write 12-130", "13 aliases; at most 12", "example is 1001", "module"):
        assert part in message
    with pytest.raises(SuggestionError, match="starts with the term itself"):
        parse_draft("Kanban", "Kanban is " + DEFINITION, "", "", "22")
    with pytest.raises(SuggestionError, match="repeats the name"):
        parse_draft("Kanban", DEFINITION, "KANBAN", "", "22")


def test_split_aliases_drops_blanks_and_repeats():
    assert split_aliases("a, b,,\n B , c") == ("a", "b", "c")


def test_exact_name_or_alias_of_another_term_blocks():
    found = find_duplicates(Draft("Buffer Stock", DEFINITION, "Lean"), BUNDLED.resolve, {})
    assert found.blocking and found.exact == (("Buffer Stock", "safety-stock", "Safety stock"),)
    found = find_duplicates(Draft("Order size", DEFINITION, "Lean", ("E.O.Q.",)), BUNDLED.resolve, {})
    assert [slug for _, slug, _ in found.exact] == ["economic-order-quantity"]


def test_a_correction_may_keep_its_own_names_but_not_take_others():
    own = Draft("Safety stock", DEFINITION, "Lean", ("SS",), target="safety-stock")
    assert not find_duplicates(own, BUNDLED.resolve, {}).blocking
    grab = Draft("Safety stock", DEFINITION, "Lean", ("EOQ",), target="safety-stock")
    assert find_duplicates(grab, BUNDLED.resolve, {}).exact[0][1] == "economic-order-quantity"


def test_open_suggestions_block_the_same_name_but_not_their_own_edit():
    index = {"vendor managed inventory": 7, "vmi": 7}
    draft = Draft("Vendor-managed inventory", DEFINITION, "Lean")
    assert find_duplicates(draft, BUNDLED.resolve, index).pending == (("Vendor-managed inventory", 7),)
    assert not find_duplicates(draft, BUNDLED.resolve, index, own_suggestion=7).blocking


def test_near_names_are_pointed_out_without_blocking():
    found = find_duplicates(Draft("Safety stocks level", DEFINITION, "Lean"), BUNDLED.resolve, {})
    assert not found.blocking and ("safety-stock", "Safety stock") in found.similar
    assert find_duplicates(Draft("Vendor managed inventory", DEFINITION, "Lean"), BUNDLED.resolve, {}).similar == ()


def test_open_key_index_and_draft_keys():
    from datetime import UTC, datetime

    from bot.core.suggestions import Suggestion

    now = datetime(2026, 12, 1, tzinfo=UTC)
    drafts = [Draft("VMI program", DEFINITION, "Lean", ("V.M.I. program",)), Draft("Other", DEFINITION, "Lean")]
    suggestions = [
        Suggestion(1, 5, 9, drafts[0], State.OPEN, now),
        Suggestion(2, 5, 9, drafts[1], State.REJECTED, now),
    ]
    assert draft_keys(drafts[0]) == ["vmi program", "v m i program"]
    assert open_key_index(suggestions) == {"vmi program": 1, "v m i program": 1}


def test_overlay_prefers_exact_hits_and_the_server_on_a_tie():
    from datetime import UTC, datetime

    now = datetime(2026, 12, 1, tzinfo=UTC)
    vmi = Term("vendor-managed-inventory", "Vendor managed inventory", "Lean", DEFINITION, aliases=("VMI",))
    fix = Term("kanban", "Kanban", "Lean", DEFINITION, aliases=("kanban card", "pull card"))
    overlay = Overlay([ServerTerm(1, vmi, False, 9, 8, now), ServerTerm(1, fix, True, 9, 8, now, "h")])
    assert overlay.resolve("VMI", BUNDLED.resolve("VMI")).match.slug == "vendor-managed-inventory"  # type: ignore[union-attr]
    assert overlay.resolve("EOQ", BUNDLED.resolve("EOQ")).match.slug == "economic-order-quantity"  # type: ignore[union-attr]
    assert overlay.resolve("pull card", BUNDLED.resolve("pull card")).match.slug == "kanban"  # type: ignore[union-attr]
    choices = overlay.complete("ka", BUNDLED.complete("ka"))
    assert [c.slug for c in choices].count("kanban") == 1
    assert [t.term.slug for t in overlay.search("supplier replenish")] == ["vendor-managed-inventory", "kanban"]


def test_term_hash_changes_with_the_text():
    term = Term("kanban", "Kanban", "Lean", DEFINITION)
    assert term_hash(term) == term_hash(Term("kanban", "Kanban", "Lean", DEFINITION))
    assert term_hash(term) != term_hash(Term("kanban", "Kanban", "Lean", DEFINITION + " More."))
