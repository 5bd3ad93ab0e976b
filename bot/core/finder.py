"""Find every glossary term named in a piece of free text ("Explain terms"), with no Discord imports.

The text is normalised word by word exactly as lookups normalise a query (case, accents, punctuation,
`&`, plurals, British spellings), then scanned left to right for the longest name or alias that starts
at each word: one dictionary probe per length that the keys starting with that word have. Keys are built
once per glossary load, so a scan costs O(words × longest key), whatever the size of the glossary.

What the scan leaves alone, so that a chat message does not light up like a dictionary:
- code blocks, links, Discord mentions, custom emoji and timestamps;
- phrases across a sentence break (". ", "? ", a new line), so "safety. Stock" is not "safety stock";
- one-word keys that are everyday English (`bot.core.common_words`): "push", "option", "map";
- keys of one or two letters and everyday acronyms ("PO", "AI", "MAP", "REST") unless written as in the
  glossary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.common_words import COMMON_WORDS, EVERYDAY_ACRONYMS
from bot.core.matching import Indexed
from bot.core.normalize import key_words, normalize, scrub

FOUND_MAX = 25  # Discord's limit on select options, and plenty for one message
TEXT_MAX = 12_000  # a message (4,000) plus its embeds (6,000), with room; anything longer is cut
ACRONYM_CASE_MAX = 2  # acronyms this short ("PO", "AI") only count in capitals

_FENCED = re.compile(r"```.*?```", re.DOTALL)
_URL = re.compile(r"<?(?:https?|ftp)://[^\s>)\]]+>?", re.IGNORECASE)
_DISCORD_TOKEN = re.compile(
    r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::[a-zA-Z])?|/[^<>:]{1,100}:\d+|id:\w+)>|@(?:everyone|here)\b"
)
# Sentence ends, line breaks, brackets and quotes split the text into phrases no term may span.
_BREAK = re.compile(r"[.!?;:]+(?=\s|$)|[\n\r()\[\]{}\"“”|•·]+")
_RAW_PUNCT = re.compile(r"[^\w\s]+")
# A key made only of these ("as is", "on and off") says nothing about supply chain.
_FUNCTION_WORDS = frozenset(
    {
        *("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "if", "in", "into", "is", "it", "no"),
        *("not", "of", "off", "on", "or", "out", "over", "so", "the", "to", "up", "with"),
    }
)


@dataclass(frozen=True, slots=True)
class Found:
    """A term named in the text: its slug and name, and the name or alias that named it."""

    slug: str
    name: str
    via: str


@dataclass(frozen=True, slots=True)
class Findings:
    """The distinct terms found, in order of first appearance (at most the limit), and how many more."""

    terms: tuple[Found, ...]
    more: int = 0


# A key's owner: (slug, the name or alias, the words as they must be written or None). Plain tuples of
# strings, so that the garbage collector stops tracking them and a big glossary costs no GC pauses.
_Key = tuple[str, str, tuple[str, ...] | None]


def _is_acronym(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and not any(ch.islower() for ch in letters)


def clean_message(text: str) -> str:
    """Drop what is not prose (code blocks, links, mentions, emoji, timestamps), leaving phrase breaks."""
    text = scrub(text[:TEXT_MAX])
    text = _FENCED.sub("\n", text)
    text = _URL.sub("\n", text)
    return _DISCORD_TOKEN.sub("\n", text)


def raw_words(phrase: str) -> list[str]:
    """Split text into words as `fold` does, keeping their case ("S&OP" -> S, AND, OP)."""
    raw = phrase.replace("&", " AND ").replace("'", "").replace("\u2019", "")
    return _RAW_PUNCT.sub(" ", raw).replace("_", " ").split()


def _written(word: str) -> str:
    """Return a word as written, without a plural "s" ("POs" -> "PO")."""
    return word[:-1] if len(word) > 2 and word.endswith("s") and word[:-1].isupper() else word


class TermFinder:
    """An index of names and aliases for scanning text, built once per glossary load."""

    def __init__(self, terms: Iterable[Indexed], common: frozenset[str] = COMMON_WORDS) -> None:
        self._keys: dict[str, _Key] = {}
        self._names: dict[str, str] = {}
        lengths: dict[str, int] = {}  # first word -> bit n set when a key of n words starts with it
        for term in terms:
            self._names[term.slug] = term.name
            for text in (term.name, *term.aliases):
                key = normalize(text)
                if not key or key in self._keys:  # the first owner wins, as in the matcher
                    continue
                words = key.split()
                acronym = _is_acronym(text)
                if len(words) == 1 and key in common and not acronym:
                    continue
                if all(word in _FUNCTION_WORDS for word in words):
                    continue
                short = sum(ch.isalnum() for ch in text) <= ACRONYM_CASE_MAX
                everyday = acronym and "".join(words) in EVERYDAY_ACRONYMS
                exact = tuple(raw_words(text)) if short or everyday else None
                if exact is not None and len(exact) != len(words):
                    continue  # a compatibility character that folds differently: too short to risk
                self._keys[key] = (term.slug, text, exact)
                lengths[words[0]] = lengths.get(words[0], 0) | 1 << len(words)
        # Longest first, so the first key found at a word is the longest match there.
        self._lengths = {
            word: tuple(n for n in range(mask.bit_length() - 1, 0, -1) if mask >> n & 1)
            for word, mask in lengths.items()
        }

    def __len__(self) -> int:
        return len(self._keys)

    def find(self, text: str, limit: int = FOUND_MAX) -> Findings:
        """Return the distinct terms named in `text`, longest match first at each word, in order of appearance."""
        found: dict[str, Found] = {}
        for phrase in _BREAK.split(clean_message(text)):
            words = key_words(phrase)
            if not words:
                continue
            written: list[str] | None = None
            index, count = 0, len(words)
            while index < count:
                step = 1
                for length in self._lengths.get(words[index], ()):
                    if index + length > count:
                        continue
                    hit = self._keys.get(" ".join(words[index : index + length]))
                    if hit is None:
                        continue
                    slug, via, exact = hit
                    if exact is not None:
                        if written is None:
                            written = [_written(word) for word in raw_words(phrase)]
                            if len(written) != count:
                                written = [""] * count
                        if tuple(written[index : index + length]) != exact:
                            continue
                    if slug not in found:
                        found[slug] = Found(slug, self._names[slug], via)
                    step = length
                    break
                index += step
        terms = tuple(found.values())
        return Findings(terms[:limit], max(0, len(terms) - limit))
