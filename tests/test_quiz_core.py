"""Quiz generation and grading: plausible distractors, no synonyms, no duplicates, seeded randomness."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.glossary import Term
from bot.core.quiz import (
    MASK,
    OPTIONS,
    AskedQuestion,
    Question,
    QuizBank,
    QuizError,
    QuizMode,
    check_seconds,
    mask_term,
    points_for,
    tally,
)

WORDS = [
    "stock",
    "order",
    "lead",
    "time",
    "demand",
    "supply",
    "plan",
    "cost",
    "batch",
    "lot",
    "review",
    "level",
    "cycle",
    "count",
    "buffer",
    "flow",
]


def term(slug: str, module: str = "Lean", *, definition: str | None = None, aliases: tuple[str, ...] = ()) -> Term:
    name = slug.replace("-", " ").capitalize()
    text = definition or f"Entry {slug[::-1]} of the supply chain glossary, as written for these tests."
    return Term(slug, name, module, text, aliases=aliases)


def sized(slug: str, words: int, module: str = "Lean", **extra: object) -> Term:
    """A term whose definition is `words` words long."""
    body = " ".join(WORDS[(i + len(slug)) % len(WORDS)] for i in range(words))
    return term(slug, module, definition=f"{slug} means {body}.", **extra)  # type: ignore[arg-type]


@pytest.fixture
def bank() -> QuizBank:
    lean = [sized(f"lean-{i}", 10 + 3 * i) for i in range(12)]
    other = [sized(f"order-{i}", 10 + 3 * i, "Order Quantities") for i in range(12)]
    return QuizBank([*lean, *other])


def test_same_seed_same_question(bank: QuizBank):
    first = [bank.question(random.Random(7)) for _ in range(3)]
    again = [bank.question(random.Random(7)) for _ in range(3)]
    assert first == again
    assert len({bank.question(random.Random(seed)) for seed in range(30)}) > 20


@pytest.mark.parametrize("mode", list(QuizMode))
def test_four_distinct_options_with_the_answer_where_it_says(bank: QuizBank, mode: QuizMode):
    rng = random.Random(1)
    for _ in range(200):
        question = bank.question(rng, mode=mode)
        assert question.mode is mode
        assert len(question.options) == OPTIONS == len(set(question.options))
        assert question.options[question.answer] == question.slug
        assert question.is_correct(question.answer)
        assert sum(question.is_correct(i) for i in range(OPTIONS)) == 1
    positions = {bank.question(rng, mode=mode).answer for _ in range(100)}
    assert positions == {0, 1, 2, 3}, "the right answer moves around"


def test_distractors_come_from_the_same_module_and_are_close_in_length(bank: QuizBank):
    rng = random.Random(3)
    target = bank.term("lean-5")
    assert target is not None
    for _ in range(100):
        question = bank.question(rng, slug="lean-5", mode=QuizMode.DEFINITION)
        others = [bank.term(slug) for slug in question.options if slug != "lean-5"]
        assert all(t is not None and t.module == "Lean" for t in others)
        # Six nearest by length: lean-2..lean-8 without lean-5 itself, never the extremes.
        assert {t.slug for t in others if t} <= {"lean-2", "lean-3", "lean-4", "lean-6", "lean-7", "lean-8"}


def test_term_mode_shows_names_and_hides_the_name_in_the_prompt():
    terms = [
        term("kanban", definition="A Kanban is a card that authorises production of a fixed quantity in kanbans."),
        term("kaizen"),
        term("poka-yoke"),
        term("andon"),
        term("heijunka"),
    ]
    bank = QuizBank(terms)
    question = bank.question(random.Random(0), mode=QuizMode.TERM, slug="kanban")
    prompt = bank.prompt(question)
    assert "kanban" not in prompt.casefold() and prompt.count(MASK) == 2
    assert bank.option_texts(question)[question.answer] == "Kanban"
    shown = bank.question(random.Random(0), mode=QuizMode.DEFINITION, slug="kanban")
    assert bank.prompt(shown) == "Kanban"
    assert MASK in bank.option_texts(shown)[shown.answer]


def test_never_a_synonym_or_alias_of_the_answer():
    terms = [
        term("economic-order-quantity", "Order Quantities", aliases=("EOQ", "economic lot size")),
        term("economic-lot-size", "Order Quantities"),  # another entry named like an alias
        term("wilson-lot", "Order Quantities", aliases=("EOQ",)),  # shares an alias
        term(
            "least-total-cost",
            "Order Quantities",
            definition="A lot-sizing rule; essentially the same calculation as Economic order quantity in practice.",
        ),
        term("eoq-model", "Order Quantities", definition="A model; see economic lot size for the formula."),
        *[term(f"plain-{i}", "Order Quantities") for i in range(3)],
        *[term(f"far-{i}", "Lean") for i in range(5)],
    ]
    bank = QuizBank(terms)
    rng = random.Random(11)
    for mode in QuizMode:
        for _ in range(300):
            question = bank.question(rng, mode=mode, slug="economic-order-quantity")
            assert set(question.options).isdisjoint(
                {"economic-lot-size", "wilson-lot", "least-total-cost", "eoq-model"}
            ), question.options


def test_two_synonyms_of_each_other_are_never_both_distractors():
    terms = [
        term("answer-term"),
        term("buffer-stock", aliases=("safety stock",)),
        term("safety-stock"),
        *[term(f"plain-{i}") for i in range(2)],
    ]
    bank = QuizBank(terms)
    rng = random.Random(5)
    for _ in range(200):
        options = set(bank.question(rng, slug="answer-term").options)
        assert not {"buffer-stock", "safety-stock"} <= options


def test_no_text_is_offered_twice():
    same = "A shared definition that two entries happen to use word for word in the source."
    terms = [term("first", definition=same), term("second", definition=same.upper()), term("third"), term("fourth")]
    terms += [term(f"other-{i}") for i in range(3)]
    bank = QuizBank(terms)
    rng = random.Random(2)
    for _ in range(200):
        question = bank.question(rng, mode=QuizMode.DEFINITION)
        texts = [" ".join(t.casefold().split()) for t in bank.option_texts(question)]
        assert len(set(texts)) == OPTIONS, texts


def test_a_small_module_is_filled_up_from_the_rest_of_the_glossary():
    terms = [sized("alone", 20, "Six Sigma"), sized("pair", 21, "Six Sigma")]
    terms += [sized(f"far-{i}", 5 + 5 * i, "Lean") for i in range(8)]
    bank = QuizBank(terms)
    question = bank.question(random.Random(4), slug="alone", mode=QuizMode.DEFINITION)
    assert "pair" in question.options, "the module's own terms come first"
    picked = {s for s in question.options if s.startswith("far-")}
    assert len(picked) == 2
    assert picked <= {"far-1", "far-2", "far-3", "far-4", "far-5"}, "the nearest in length"


def test_too_small_or_unknown_is_a_quiz_error():
    with pytest.raises(QuizError):
        QuizBank([term("a"), term("b"), term("c")]).question(random.Random(0))
    bank = QuizBank([term(x) for x in "abcde"])
    with pytest.raises(QuizError, match="no longer"):
        bank.question(random.Random(0), slug="gone")
    with pytest.raises(QuizError, match="no terms"):
        bank.question(random.Random(0), module="Six Sigma")
    with pytest.raises(QuizError):
        QuizBank([]).question(random.Random(0))


def test_grading_tally_and_points():
    question = Question("b", QuizMode.TERM, ("a", "b", "c", "d"), 1)
    assert question.is_correct(1) and not question.is_correct(0)
    with pytest.raises(QuizError):
        question.is_correct(4)
    result = tally(question, [1, 1, 0, 3, 1, 7])
    assert result.counts == (1, 3, 0, 1) and result.total == 5 and result.right == 3
    assert points_for(True, True) == 1
    assert points_for(True, False) == points_for(False, True) == 0


def test_open_and_closed_questions():
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    question = Question("b", QuizMode.TERM, ("a", "b", "c", "d"), 1)
    public = AskedQuestion(1, question, True, 1, 2, 3, 4, now, now + timedelta(seconds=60), None)
    assert public.is_open(now + timedelta(seconds=59))
    assert not public.is_open(now + timedelta(seconds=60))
    practice = AskedQuestion(2, question, False, None, None, None, 4, now, None, None)
    assert practice.is_open(now + timedelta(days=400))
    closed = AskedQuestion(3, question, True, 1, 2, 3, 4, now, now + timedelta(seconds=60), now)
    assert not closed.is_open(now)


def test_mask_term_is_whole_word_and_case_insensitive():
    subject = Term("lot", "Lot", "Lean", "d", aliases=("batch",))
    assert mask_term("A lot, lots or a Batch; not a slot nor batching.", subject) == (
        f"A {MASK}, {MASK} or a {MASK}; not a slot nor batching."
    )


def test_check_seconds():
    assert check_seconds(60) == 60
    for bad in (14, 901):
        with pytest.raises(QuizError):
            check_seconds(bad)


def test_every_question_on_a_realistic_glossary_is_clean():
    """A thousand terms over ten modules: no synonyms, no repeats, same module whenever possible."""
    rng = random.Random(42)
    terms = []
    for module_index in range(10):
        for i in range(100):
            words = rng.randint(12, 90)
            aliases = (f"ALIAS{rng.randint(0, 300)}",) if rng.random() < 0.3 else ()
            terms.append(sized(f"m{module_index}-t{i}", words, f"Module {module_index}", aliases=aliases))
    bank = QuizBank(terms)
    keys = {t.slug: {a.casefold() for a in t.aliases} for t in terms}
    for _ in range(2000):
        question = bank.question(rng)
        answer = bank.term(question.slug)
        assert answer is not None
        for slug in question.options:
            other = bank.term(slug)
            assert other is not None and other.module == answer.module
            if slug != question.slug:
                assert not keys[slug] & keys[question.slug]
        assert len({" ".join(t.casefold().split()) for t in bank.option_texts(question)}) == OPTIONS
