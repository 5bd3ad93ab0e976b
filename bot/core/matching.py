"""Fuzzy term lookup and autocomplete over names and aliases, with no Discord imports."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.normalize import compact, fold, normalize, singular, sound
from bot.core.query import query_keys

CHOICES_MAX = 25  # Discord's limit on autocomplete choices
CHOICE_NAME_MAX = 100  # Discord's limit on a choice's name
SUGGESTIONS_MAX = 5
CONFIDENT = 82.0  # best score needed to answer without asking
MARGIN = 6.0  # and its lead over the best other term
SUGGEST = 68.0  # lowest score worth offering as "did you mean"
FUZZY_FILL = 10  # autocomplete adds typo matches only below this many prefix hits
SHORT = 4  # queries this short (letters, without spaces) never match fuzzily
DISTINCT_MIN = 4  # a word this long that only one term contains names that term ("takt", "gemba")
# Question and grammar words never name a term on their own, even when one name contains them ("what").
# fmt: off
_FUNCTION_WORDS = frozenset({
    "been", "being", "does", "each", "every", "have", "just", "must", "should", "some", "such", "than", "that",
    "their", "them", "then", "there", "these", "they", "this", "those", "very", "were", "what", "when", "where",
    "which", "whom", "whose", "will", "would", "your",
})
# fmt: on


@dataclass(frozen=True, slots=True)
class Indexed:
    """What the matcher needs to know about a term."""

    slug: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """A term that fits a query, with the text that matched it and a 0-100 score."""

    slug: str
    name: str
    via: str
    score: float


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of a lookup: one confident match, suggestions, or neither."""

    match: Match | None
    suggestions: tuple[Match, ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    """One autocomplete suggestion: a label of at most 100 characters and the term's slug."""

    label: str
    slug: str


@lru_cache(maxsize=16384)  # labels repeat keystroke after keystroke; normalising them is the costly part
def _label(name: str, via: str) -> str:
    label = name if normalize(via) == normalize(name) or via.casefold() in name.casefold() else f"{name} ({via})"
    if len(label) > CHOICE_NAME_MAX:
        label = label[: CHOICE_NAME_MAX - 1].rstrip() + "…"
    return label


def _squeezed_variants(key: str, text: str) -> dict[str, None]:
    """Return the spellings of a name typed as one word: squeezed after or before singularising each word.

    "Days payable outstanding" is also "dayspayableoutstanding"; "Forecast bias" also "forecastbia", the way
    "forecastbias" singularises; "Hazard and operability study" also keeps its "and".
    """
    folded = fold(text).split()
    variants = [compact(key), "".join(folded), "".join(w for w in folded if w != "and")]
    if len(folded[-1]) > 3:  # "five S" squeezed is "fives", not a plural of "five"
        variants += [singular(v) for v in variants]
    return dict.fromkeys(variants)


class Matcher:
    """An in-memory index of names and aliases, built once per glossary load.

    Fuzzy scoring only looks at candidate keys that share a word, or a word within a typo,
    with the query (an inverted index over the glossary's vocabulary), so its cost follows
    the number of plausible terms rather than the size of the glossary.
    """

    def __init__(self, terms: Iterable[Indexed]) -> None:
        self._names: dict[str, str] = {}
        self._exact: dict[str, tuple[str, str]] = {}  # key -> (slug, text)
        self._compact: dict[str, list[tuple[str, str]]] = {}
        keys: list[tuple[str, str, str, int]] = []  # (key, slug, text, rank) for prefix search
        full: list[tuple[str, str, str]] = []  # (key, slug, text): whole names and aliases
        for term in terms:
            self._names[term.slug] = term.name
            for rank, text in enumerate((term.name, *term.aliases)):
                key = normalize(text)
                if not key or key in self._exact:
                    continue
                self._exact[key] = (term.slug, text)
                keys.append((key, term.slug, text, 0 if rank == 0 else 1))
                full.append((key, term.slug, text))
                for variant in _squeezed_variants(key, text):
                    if variant != key:
                        self._compact.setdefault(variant, []).append((term.slug, text))
            # Word-prefix entries: "order quantity" finds "Economic order quantity".
            words = normalize(term.name).split()
            for start in range(1, len(words)):
                keys.append((" ".join(words[start:]), term.slug, term.name, 2))
        for squeezed, owners in self._compact.items():
            if squeezed not in self._exact:
                keys.extend((squeezed, slug, text, 1) for slug, text in owners)
        keys.sort()
        self._prefix_keys = [k[0] for k in keys]
        self._prefix_rows = [(k[1], k[2], k[3]) for k in keys]
        full.sort()
        self._keys = [k[0] for k in full]
        # Token-sorted copies, so that word order does not matter when scoring.
        self._sorted_keys = [" ".join(sorted(k.split())) for k in self._keys]
        self._rows = [(k[1], k[2]) for k in full]
        postings: dict[str, list[int]] = {}
        for index, key in enumerate(self._keys):
            for word in set(key.split()):
                postings.setdefault(word, []).append(index)
        self._postings = postings
        self._vocab = sorted(postings)
        # Which terms each word belongs to, for one-word queries ("gemba", "trans shipment").
        self._owner: dict[str, str | None] = {}
        for word, indexes in postings.items():
            slugs = {self._rows[i][0] for i in indexes}
            self._owner[word] = next(iter(slugs)) if len(slugs) == 1 else None
        by_length: dict[int, list[str]] = {}
        for word in self._vocab:
            by_length.setdefault(len(word), []).append(word)
        self._by_length = by_length
        # The vocabulary ordered by length, so that typo search scans only words of a plausible length.
        self._vocab_by_length = sorted(self._vocab, key=lambda word: (len(word), word))
        self._vocab_lengths = [len(word) for word in self._vocab_by_length]
        self._sound = {word: sound(word) for word in self._vocab}
        # Word starts for typo-tolerant prefix matching, built now so no keystroke pays for it.
        self._vocab_heads = {width: [v[:width] for v in self._vocab] for width in range(4, 18)}
        self._short = [i for i, key in enumerate(self._keys) if len(key) <= SHORT + 2]

    def __len__(self) -> int:
        return len(self._names)

    def resolve(self, query: str) -> Resolution:
        """Find the term a query means, or suggestions when unsure."""
        if query in self._names:  # an autocomplete choice sends the slug
            return Resolution(Match(query, self._names[query], self._names[query], 100.0))
        keys = query_keys(query)
        if not keys.core:
            return Resolution(None)
        for candidate in dict.fromkeys((keys.whole, keys.whole_bare, keys.core, keys.bare)):
            hit = self._exact_hit(candidate)
            if hit is not None:
                return Resolution(hit)
        resolution = self._resolve_key(keys.core, keys.core_joined)
        if keys.bare != keys.core:
            # "eoq formula", "safety stock meaning": without the trailing word, unless the whole is a surer
            # match ("standard error of mean" is "Standard error of the mean", not "Standard error").
            bare = self._resolve_key(keys.bare, keys.bare_joined)
            if bare.match is not None and (resolution.match is None or bare.match.score > resolution.match.score):
                return bare
        return resolution

    def _exact_hit(self, key: str) -> Match | None:
        """Return the term named `key`, also when `key` adds a plural `s` to an acronym ("kpis")."""
        hit = self._exact.get(key)
        last = key.rsplit(" ", 1)[-1]
        if hit is None and last.endswith("s") and 3 <= len(last) <= 6:
            hit = self._exact.get(key[:-1])
        return None if hit is None else Match(hit[0], self._names[hit[0]], hit[1], 100.0)

    def _squeezed_owners(self, squeezed: str) -> list[tuple[str, str]]:
        owners = self._compact.get(squeezed) or ([self._exact[squeezed]] if squeezed in self._exact else [])
        return list({slug: (slug, text) for slug, text in reversed(owners)}.values())

    def _resolve_key(self, key: str, joined: str) -> Resolution:
        """Resolve a normalised key; `joined` is the same query typed as one word, as folded."""
        squeezed = compact(key)
        owners = self._squeezed_owners(squeezed) or self._squeezed_owners(singular(joined))
        if len(owners) == 1:
            slug, text = owners[0]
            return Resolution(Match(slug, self._names[slug], text, 100.0))
        found: dict[str, Match] = {}
        for slug, text in owners:
            found.setdefault(slug, Match(slug, self._names[slug], text, 100.0))
        named = None if owners else self._one_word(key, joined)
        if named is not None:
            word, score = named
            owner = self._owner[word]
            if owner is None and word in self._exact:  # "inventary": the term named by the shared word
                owner = self._exact[word][0]
            if owner is not None:
                return Resolution(Match(owner, self._names[owner], self._names[owner], score))
            # A word several terms share ("reciept" for receipt): offer them.
            for match in self._terms_with(word, score, SUGGESTIONS_MAX):
                found.setdefault(match.slug, match)
        if len(squeezed) <= SHORT:
            for match in self._short_near(squeezed):
                found.setdefault(match.slug, match)
            for match in self._prefixed(key, SUGGESTIONS_MAX):
                found.setdefault(match.slug, match)
            return Resolution(None, tuple(list(found.values())[:SUGGESTIONS_MAX]))
        ranked = self._fuzzy(key, SUGGESTIONS_MAX * 2)
        # A word several terms share ("inventory", "blanket") keeps asking, however close one of them is.
        shared = any(self._owner.get(word, "") is None for word in (key, squeezed, singular(joined)))
        if ranked and not found and not shared:
            best = ranked[0]
            runner_up = ranked[1].score if len(ranked) > 1 else 0.0
            if best.score >= CONFIDENT and best.score - runner_up >= MARGIN and not self._swaps_a_word(key, best):
                return Resolution(best)
        head = self._head(key)
        if head is not None:  # "steel drum", "digital tachograph": a kind of the term the last words name
            found = {head.slug: head, **found}
        for match in self._prefixed(key, SUGGESTIONS_MAX):
            found.setdefault(match.slug, match)
        for match in ranked:
            found.setdefault(match.slug, match)
        return Resolution(None, tuple(list(found.values())[:SUGGESTIONS_MAX]))

    def _head(self, key: str) -> Match | None:
        """Return the term named by the longest run of a query's last words, when that is not the whole query."""
        words = key.split()
        for start in range(1, len(words)):
            hit = self._exact.get(" ".join(words[start:]))
            if hit is not None:
                return Match(hit[0], self._names[hit[0]], hit[1], 80.0)
        return None

    def _swaps_a_word(self, key: str, match: Match) -> bool:
        """Whether a close match differs from the query by a real word, not a typo.

        "arrival date" is not a slip for "Arrival rate", nor "unplanned order" for "Planned order": when every
        query word missing from the match is itself a glossary word, the learner meant another term.
        """
        matched = normalize(match.via).split()
        # A word the match spells longer or shorter ("lot siz" for "lot size") is the same word, inflected.
        changed = [w for w in key.split() if not any(m.startswith(w) or w.startswith(m) for m in matched)]
        return bool(changed) and all(word in self._postings for word in changed)

    def _one_word(self, key: str, joined: str) -> tuple[str, float] | None:
        """Return the vocabulary word a one-word query names (typed whole, split, joined or with a slip), scored."""
        words = key.split()
        squeezed = "".join(words)
        if len(words) > 2 or len(squeezed) < DISTINCT_MIN:
            return None
        if squeezed in _FUNCTION_WORDS:
            return None
        for word in dict.fromkeys((squeezed, singular(joined))):
            if word in self._owner:
                return word, 100.0
        if len(words) > 1 or len(squeezed) < 5:
            return None
        # Singularising can hide a slip ("latenes" -> "latene", one slip from "latent"): try both forms.
        slips = {slip for word in dict.fromkeys((squeezed, joined)) if (slip := self._slip(word)) is not None}
        if not slips:
            return None
        best = min(distance for _, distance in slips)
        nearest = {word for word, distance in slips if distance == best}
        return (nearest.pop(), 100.0 - 10.0 * best) if len(nearest) == 1 else None

    def _terms_with(self, word: str, score: float, limit: int) -> list[Match]:
        """Return the terms whose name or aliases contain a vocabulary word: the one it names, names, then aliases."""
        slugs = {self._rows[i][0] for i in self._postings[word]}
        named = self._exact[word][0] if word in self._exact else None

        def order(slug: str) -> tuple[bool, bool, int, str]:
            name = self._names[slug]
            return (slug != named, word not in normalize(name).split(), len(name), slug)

        ordered = sorted(slugs, key=order)
        return [Match(slug, self._names[slug], self._names[slug], score) for slug in ordered[:limit]]

    def _slip(self, word: str) -> tuple[str, int] | None:
        """Return the one vocabulary word a slip away (two in long words) from `word`, with the distance.

        Ties go to the word that sounds the same; a five-letter word must sound the same,
        because one changed letter in five is as likely gibberish ("pooca") as a slip.
        """
        limit = 1 if len(word) < 9 else 2
        best: list[str] = []
        best_distance = limit + 1
        for length in range(len(word) - limit, len(word) + limit + 1):
            for near, distance, _ in process.extract_iter(
                word, self._by_length.get(length, ()), scorer=OSA.distance, processor=None, score_cutoff=limit
            ):
                if distance < best_distance:
                    best, best_distance = [near], int(distance)
                elif distance == best_distance:
                    best.append(near)
        if len(best) > 1 or len(word) < 6:
            key = sound(word)
            best = [near for near in best if self._sound[near] == key]
        return (best[0], best_distance) if len(best) == 1 else None

    def complete(self, query: str, starters: Sequence[str] = ()) -> list[Choice]:
        """Return at most 25 autocomplete choices: exact readings, prefixes, then typo-tolerant matches."""
        keys = query_keys(query) if query.strip() else None
        if keys is None or not keys.core:
            return [Choice(_label(self._names[s], self._names[s]), s) for s in starters if s in self._names][
                :CHOICES_MAX
            ]
        key = keys.core
        matches: dict[str, Match] = {}

        def add(found: Iterable[Match]) -> None:
            for match in found:
                matches.setdefault(match.slug, match)

        # What the whole query names comes first: "POs'", "eoq formula", "what does MRP stand for".
        for candidate in dict.fromkeys((keys.whole, keys.whole_bare, key, keys.bare)):
            hit = self._exact_hit(candidate)
            if hit is not None:
                add([hit])
        add(self._prefixed(key, CHOICES_MAX))
        # Split or joined compounds: "down ti" finds "Downtime", "trans ship" "Lateral transshipment".
        joined = singular(keys.core_joined)
        if len(matches) < CHOICES_MAX and joined != key:
            add(self._prefixed(joined, CHOICES_MAX))
        if len(matches) < CHOICES_MAX and keys.bare != key:
            add(self._prefixed(keys.bare, CHOICES_MAX))
        # A word typed whole, split or with a slip ("reciept", "kaisen"): the terms that contain it.
        if len(matches) < FUZZY_FILL:
            named = self._one_word(key, keys.core_joined)
            if named is not None:
                add(self._terms_with(named[0], named[1], CHOICES_MAX))
        # Plenty of exact prefix hits means the spelling is right: typo matches would only add noise.
        if len(matches) < FUZZY_FILL and len(compact(key)) > SHORT - 1:
            add(self._fuzzy(key, CHOICES_MAX, partial=True))
        return [Choice(_label(m.name, m.via), m.slug) for m in list(matches.values())[:CHOICES_MAX]]

    def _prefixed(self, key: str, limit: int) -> list[Match]:
        """Names, then aliases, then inner words that start with the key, alphabetically."""
        start = bisect_left(self._prefix_keys, key)
        stop = bisect_left(self._prefix_keys, key + "\U0010ffff", lo=start)
        by_rank: tuple[list[Match], list[Match], list[Match]] = ([], [], [])
        seen: set[str] = set()
        for index in range(start, stop):
            slug, text, rank = self._prefix_rows[index]
            if slug in seen:
                continue
            seen.add(slug)
            by_rank[rank].append(Match(slug, self._names[slug], text, 100.0))
            if len(by_rank[0]) >= limit:
                break
        return (by_rank[0] + by_rank[1] + by_rank[2])[:limit]

    def _near_words(self, word: str, *, partial: bool) -> list[str]:
        """Vocabulary words equal to, within a typo of, or (partial) starting like `word`."""
        if word in self._postings and not partial:
            return [word]
        if partial:
            start = bisect_left(self._vocab, word)
            stop = bisect_left(self._vocab, word + "\U0010ffff", lo=start)
            if stop > start:
                return self._vocab[start : min(stop, start + 200)]
        if len(word) < 3:
            return []
        if partial:
            width = len(word) + 1
            heads = self._vocab_heads.get(width)
            if heads is None:
                heads = self._vocab_heads[width] = [v[:width] for v in self._vocab]
            hits = process.extract(word, heads, scorer=fuzz.ratio, processor=None, score_cutoff=75, limit=20)
            return [self._vocab[index] for _, _, index in hits]
        # A ratio of 70 needs 20 * min(a, b) >= 7 * (a + b): only words of a length in this range can reach it.
        low = bisect_left(self._vocab_lengths, (7 * len(word) + 12) // 13)
        high = bisect_left(self._vocab_lengths, 13 * len(word) // 7 + 1)
        hits = process.extract(
            word, self._vocab_by_length[low:high], scorer=fuzz.ratio, processor=None, score_cutoff=70, limit=20
        )
        return [near for near, _, _ in hits]

    def _fuzzy(self, key: str, limit: int, *, partial: bool = False) -> list[Match]:
        """Score candidate keys against the query; partial=True compares only each key's start."""
        words = key.split()
        candidates: set[int] = set()
        for position, word in enumerate(words):
            last = partial and position == len(words) - 1
            if last and position > 0:
                # An unfinished word after finished ones ("econmic o") would pull in every key with a word
                # starting "o"; the finished words already pick the candidates, the scoring reads the rest.
                continue
            for near in self._near_words(word, partial=last):
                candidates.update(self._postings[near])
        if not candidates:
            return []
        order = sorted(candidates)
        if partial:
            width = len(key) + 1
            query = key
            choices = [self._keys[i][:width] for i in order]
        else:
            query = " ".join(sorted(words))
            choices = [self._sorted_keys[i] for i in order]
        best: dict[str, Match] = {}
        for _, score, position in process.extract(
            query, choices, scorer=fuzz.ratio, processor=None, score_cutoff=SUGGEST, limit=limit * 3
        ):
            slug, text = self._rows[order[position]]
            # Transpositions ("kanbna") cost one edit, not two.
            score = max(score, OSA.normalized_similarity(query, choices[position]) * 100)
            if slug not in best or best[slug].score < score:
                best[slug] = Match(slug, self._names[slug], text, round(score, 1))
        return sorted(best.values(), key=lambda m: (-m.score, len(m.name), m.name))[:limit]

    def _short_near(self, squeezed: str) -> list[Match]:
        """Short keys one edit away from a short query (acronym typos such as "eqo")."""
        choices = [self._keys[i] for i in self._short]
        hits = process.extract(squeezed, choices, scorer=OSA.distance, processor=None, score_cutoff=1, limit=5)
        out = []
        for _, _, position in hits:
            slug, text = self._rows[self._short[position]]
            out.append(Match(slug, self._names[slug], text, 80.0))
        return out
