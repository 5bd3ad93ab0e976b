"""Turn names, aliases and user queries into comparable keys."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# British spellings that differ from American ones in whole words.
_BRITISH = {
    "labour": "labor",
    "centre": "center",
    "centres": "centers",
    "catalogue": "catalog",
    "catalogues": "catalogs",
    "programme": "program",
    "programmes": "programs",
    "colour": "color",
    "behaviour": "behavior",
    "favour": "favor",
    "defence": "defense",
    "licence": "license",
    "licences": "licenses",
    "analyse": "analyze",
    "cheque": "check",
    "tonne": "ton",
    "tonnes": "tons",
    "storey": "story",
    "mould": "mold",
    "neighbour": "neighbor",
    "fulfil": "fulfill",
    "fulfilment": "fulfillment",
    "enrol": "enroll",
    "travelled": "traveled",
    "travelling": "traveling",
    "modelling": "modeling",
    "modelled": "modeled",
    "cancelled": "canceled",
    "cancelling": "canceling",
    "labelling": "labeling",
    "labelled": "labeled",
    "levelling": "leveling",
    "levelled": "leveled",
    "gauge": "gage",
    "grey": "gray",
    "ageing": "aging",
    "judgement": "judgment",
    "acknowledgement": "acknowledgment",
    "aluminium": "aluminum",
    "kerb": "curb",
    "tyre": "tire",
    "tyres": "tires",
}
# Verbs spelt -ise in British English; "enterprise" or "exercise" must not change.
_ISE_STEMS = (
    "organis",
    "optimis",
    "standardis",
    "prioritis",
    "utilis",
    "minimis",
    "maximis",
    "realis",
    "recognis",
    "customis",
    "localis",
    "centralis",
    "decentralis",
    "digitalis",
    "rationalis",
    "synchronis",
    "summaris",
    "categoris",
    "authoris",
    "capitalis",
    "containeris",
    "palletis",
    "itemis",
    "amortis",
    "stabilis",
    "normalis",
    "visualis",
    "characteris",
    "harmonis",
    "modernis",
    "specialis",
    "personalis",
    "serialis",
    "globalis",
    "industrialis",
    "mechanis",
    "computeris",
    "unitis",
    "finalis",
)
_SUFFIX_SWAPS = (("isation", "ization"), ("isations", "izations"))
_IRREGULAR = {
    "indices": "index",
    "criteria": "criterion",
    "matrices": "matrix",
    "analyses": "analysis",
    "bases": "basis",
    "hypotheses": "hypothesis",
    "phenomena": "phenomenon",
    "media": "medium",
    "men": "man",
    "feet": "foot",
    "data": "data",
}
_NO_SINGULAR_ENDINGS = ("ss", "us", "is")
# Singular words that end like plurals.
_KEEP = frozenset(
    {
        "bias",
        "alias",
        "atlas",
        "canvas",
        "chaos",
        "kudos",
        "ethos",
        "cosmos",
        "asbestos",
        "thermos",
        "lens",
        "news",
        "series",
        "species",
        "means",
        "logistics",
        "economics",
        "ergonomics",
        "analytics",
        "statistics",
        "mathematics",
        "physics",
        "ethics",
        "metrics",
        "kinematics",
        "robotics",
        "electronics",
        "mechanics",
        "plus",
        "yes",
        "gas",
        "has",
        "was",
        "this",
        "its",
        "always",
        "perhaps",
        "whereas",
        "across",
        "towards",
    }
)
_PUNCT = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def _british_to_american(word: str) -> str:
    if word in _BRITISH:
        return _BRITISH[word]
    for british, american in _SUFFIX_SWAPS:
        if word.endswith(british):
            return word[: -len(british)] + american
    for stem in _ISE_STEMS:
        if word.startswith(stem):
            rest = word[len(stem) :]
            if rest in ("e", "es", "ed", "er", "ers", "ing"):
                return stem[:-1] + "z" + rest
    return word


def singular(word: str) -> str:
    """Return a crude singular form; the same rule on both sides is what matters."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_NO_SINGULAR_ENDINGS) or word in _KEEP:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    return word[:-1]


@lru_cache(maxsize=65536)
def _word(word: str) -> str:
    return singular(_british_to_american(word))


def scrub(text: str) -> str:
    """Replace what cannot be encoded as UTF-8 (lone surrogates from broken clients or argv) with U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def fold(text: str) -> str:
    """Lower-case, strip accents and turn `&` into `and`, keeping the words."""
    if not text.isascii():  # ASCII has no accents to strip; most of the glossary is ASCII
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = _PUNCT.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


def normalize(text: str) -> str:
    """Return the lookup key of a name, alias or query."""
    return normalize_words(fold(text).split())


def normalize_words(words: list[str]) -> str:
    """Return the lookup key of words already folded."""
    return " ".join(_word(word) for word in words)


def key_words(text: str) -> list[str]:
    """Return the words of `normalize(text)` as a list (one pass, for scanning long text)."""
    return [_word(word) for word in fold(text).split()]


def compact(key: str) -> str:
    """Return a key without spaces or `and`, so `s and op`, `s op` and `sop` meet."""
    return "".join(word for word in key.split() if word != "and")


_SOUNDS = (("ph", "f"), ("ck", "k"), ("c", "k"), ("q", "k"), ("z", "s"), ("y", "i"))


def sound(word: str) -> str:
    """Return a rough sound key: first letter, then consonants, sound-alikes merged and doubles dropped.

    Human slips ("reciept", "forcast", "kaisen", "fullfillment") keep it; random letters rarely do.
    """
    for spelling, same in _SOUNDS:
        word = word.replace(spelling, same)
    out = word[:1]
    for ch in word[1:]:
        if ch not in "aeiouh" and ch != out[-1]:
            out += ch
    return out


def slugify(name: str) -> str:
    """Return the stable id of a term from its name."""
    return "-".join(fold(name).split())
