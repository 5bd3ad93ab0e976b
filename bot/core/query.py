"""Turn what a learner typed into lookup keys: acronym plurals, spelt-out letters, filler words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.normalize import fold, normalize_words

# "KPIs", "RFQ's", "POs'": an upper-case acronym with a lower-case plural or possessive ending.
# Only the case tells "POs" (purchase orders) from "POS" (point of sale), so this runs before folding.
_ACRONYM_PLURAL = re.compile(r"\b([A-Z][A-Z0-9&]*[A-Z0-9])(?:['\u2019]s|s['\u2019]?)(?!\w)")
_LETTER_RUN = re.compile(r"\b(?:[a-z] )+[a-z]\b")  # letters only: "what is a 1-10-100 rule" keeps its "a"
# Filler in normalised form ("what does" is "what doe" after singularising, like every key).
_LEADING = re.compile(
    r"^(?:(?:what is meant by|what are|what is|whats|what doe|what do|what|define|definition of|meaning of|"
    r"explain|describe|tell me about|how do you calculate|how to calculate|calculate)\s+)?"
    r"(?:(?:the|a|an)\s+)?"
)
_TRAILING = re.compile(
    r"(?:\s+(?:stand for|stand|formula|equation|definition|meaning|mean|means|example|explained|explanation|"
    r"calculation|abbreviation|acronym|please|in supply chain|in scm|(?:19|20)[0-9]{2}))+$"  # "incoterms 2020"
)


@dataclass(frozen=True, slots=True)
class QueryKeys:
    """The keys to try for one query, most literal first."""

    whole: str  # the query as typed, normalised (acronym plurals and spelt-out letters resolved)
    whole_bare: str  # `whole` without trailing words: "a-plant definition" keeps its "a"
    core: str  # without leading filler ("what is the", "define"): always a safe reading
    bare: str  # also without trailing words ("formula", "meaning"): used only when it matches confidently
    core_joined: str  # `core` typed as one word, not singularised ("trans shipments" -> "transshipments")
    bare_joined: str


def _joined(words: list[str]) -> str:
    return "".join(word for word in words if word != "and")


def query_keys(text: str) -> QueryKeys:
    """Return the normalised readings of a query."""
    text = _ACRONYM_PLURAL.sub(r"\1", text)
    # "E.O.Q.", "e o q" and "W. I. P." are acronyms typed letter by letter.
    folded_text = fold(text)
    if " " in folded_text:
        folded_text = _LETTER_RUN.sub(lambda m: m.group(0).replace(" ", ""), folded_text)
    folded = folded_text.split()
    whole = normalize_words(folded)  # one normalised word per folded word
    core = _LEADING.sub("", whole, count=1) or whole
    bare = _TRAILING.sub("", core) or core
    start = len(whole.split()) - len(core.split())
    core_words = folded[start:]
    bare_words = core_words[: len(bare.split())]
    whole_bare = _TRAILING.sub("", whole) or whole
    return QueryKeys(whole, whole_bare, core, bare, _joined(core_words), _joined(bare_words))


def clean_query(text: str) -> str:
    """Return the key of a query, without filler such as "what is the"."""
    return query_keys(text).core
