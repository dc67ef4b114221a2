"""Interests: tidying user lists, the activity taxonomy and the text analysis shared by ranking.

The taxonomy (``data/taxonomy.json``) has two levels. Broad categories (music, animals, ...)
hold specific concepts (hymn singing, male voice choir, sing-along, brass band; dogs, pet
therapy, ...), and each concept names the other concepts that serve an interest in it, so
that a home that loves *Welsh hymns* is served by a *male voice choir* and one that misses its
*dogs* by *pet therapy*, while a brass band only shares the broad category with hymns.
Serving is one way: a choir serves an interest in hymns, a nursery singing hymns does not
serve an interest in male voice choirs. A category's
own words ("music") form its general concept, served by every concept of the category.
Words are compared after lower-casing, removing accents from Latin letters and English
(Snowball) stemming, so "singing", "sings" and "sing" are one word, as are "dogs" and "dog".
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import snowballstemmer

__all__ = [
    "DEFAULT_TAXONOMY_PATH",
    "STOP_WORDS",
    "Category",
    "Concept",
    "ItemMasks",
    "Taxonomy",
    "clean_interests",
    "content_stems",
    "is_stop_stem",
    "stem",
    "stem_many",
    "words",
]

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parents[2] / "data" / "taxonomy.json"

_SPACES = re.compile(r"\s+")


def _combining_marks() -> str:
    ranges, start, prev = [], None, None
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp)).startswith("M"):
            if start is None:
                start = cp
            elif cp != prev + 1:
                ranges.append((start, prev))
                start = cp
            prev = cp
    ranges.append((start, prev))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


# A word is a letter followed by letters or combining marks (vowel signs in Gurmukhi, Devanagari
# and similar scripts are marks, not letters); digits, underscores and punctuation separate
# words. The bulk tokeniser in ranking/features.py relies on exactly this definition.
WORD_PATTERN = re.compile(rf"[^\W\d_](?:[^\W\d_]|[{_combining_marks()}])*")


def clean_interests(items: Iterable[str] | None) -> list[str]:
    """Trim, collapse spaces, drop blanks and case-insensitive duplicates (first spelling wins)."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for item in items or ():
        if item is None:
            continue
        text = _SPACES.sub(" ", str(item)).strip()
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            cleaned.append(text)
    return cleaned


def words(text: str) -> list[str]:
    """Lower-cased words of a text, in order."""
    return WORD_PATTERN.findall(text.lower())


_local = threading.local()


def _stemmer():
    # Snowball stemmer objects keep state while stemming, so one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """Stem one lower-cased word; accents are removed where the result is plain ASCII."""
    decomposed = unicodedata.normalize("NFKD", word)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Removing combining marks would mangle scripts such as Gurmukhi, so only fold Latin text.
    base = folded if folded.isascii() else unicodedata.normalize("NFC", word)
    return _stemmer().stemWord(base)


def stem_many(items: Sequence[str]) -> list[str]:
    """`stem` for many words at once (one call into the stemmer, which is C when PyStemmer
    is installed)."""
    bases = []
    for word in items:
        decomposed = unicodedata.normalize("NFKD", word)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        bases.append(folded if folded.isascii() else unicodedata.normalize("NFC", word))
    return list(_stemmer().stemWords(bases))


# Function words and words every group or home uses about itself; they say nothing about
# what residents enjoy, so they never count as a shared interest.
_STOP_TEXT = """
a about above after again against all also am an and any are around as at be because been
before being below between both but by can could did do does doing down during each either
etc few for from further had has have having he her here hers herself him himself his how
i if in into is it its itself just let me more most my myself no nor not now of off on once
only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up
upon us very was we were what when where which while who whom why will with would you your
yours yourself yourselves ve ll re don t s d m o y via per every
activity activities area available based bring brings come comes community communities
contact day days enjoy enjoys enjoyed friendly group groups happy help helps helping home
homes interest interests interested join joins keen kind lot lots like likes love loves
loved many meet meets meeting member members monthly month months new nearby near often
offer offers offered people person please provide provides regular regularly resident
residents run runs session sessions support team time times together town city visit visits
visited visiting visitor visitors volunteer volunteers volunteering week weekly weeks
fortnightly welcome year years care carer carers staff local morning mornings afternoon
afternoons evening evenings weekend weekends monday tuesday wednesday thursday friday
saturday sunday mondays tuesdays wednesdays thursdays fridays saturdays sundays
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


@lru_cache(maxsize=1)
def _stop_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in STOP_WORDS)


def is_stop_stem(stemmed: str) -> bool:
    """True when a stemmed word carries no meaning about interests."""
    return len(stemmed) < 2 or stemmed in _stop_stems()


def content_stems(text: str) -> list[str]:
    """Stems of the meaningful words of a text, in order (duplicates kept)."""
    return [s for s in (stem(w) for w in words(text)) if not is_stop_stem(s)]


@dataclass(frozen=True)
class Concept:
    """One specific activity: a unique id, a label for people, its synonyms, the other
    concepts that serve an interest in it (``served_by``), a ``broader`` concept (this one
    serves whatever that one serves: a male voice choir whatever a choir serves), and for a
    language (a qualifier such as the "Welsh" of "Welsh hymns") its language tag."""

    id: str
    label: str
    synonyms: tuple[str, ...]
    served_by: tuple[str, ...] = ()
    broader: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Category:
    """One activity category: a stable id, a label for people, its general synonyms and its
    specific concepts."""

    id: str
    label: str
    synonyms: tuple[str, ...]
    concepts: tuple[Concept, ...] = ()


@dataclass(frozen=True)
class ItemMasks:
    """Concept bit masks of one interest of a home, for the coverage model.

    ``serve``: concepts that serve its activities; ``qualifier``: its language concepts;
    ``each``: one mask per part of the interest (each activity concept, then the languages),
    a partner must carry a concept of every one ("music hall songs" needs music hall and
    singing, "Welsh hymns" hymns and Welsh); ``partial``: concepts that only share a broad
    category with it (a small partial credit, never a claim)."""

    serve: int
    qualifier: int
    partial: int
    each: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.serve or self.qualifier)


class Taxonomy:
    """Activity categories and their synonyms, matched on stemmed words and phrases."""

    def __init__(self, categories: Sequence[Category]):
        if not categories:
            raise ValueError("a taxonomy needs at least one category")
        if len(categories) > 64:
            raise ValueError("a taxonomy can have at most 64 categories")
        ids = [c.id for c in categories]
        if len(set(ids)) != len(ids):
            raise ValueError("category ids must be unique")
        self._categories = tuple(categories)
        self._index = {c.id: i for i, c in enumerate(categories)}
        # Concepts in bit order: each category's general concept (its own id), then its
        # specific ones.
        concepts: list[Concept] = []
        concept_category: list[int] = []
        for bit, category in enumerate(categories):
            concepts.append(Concept(category.id, category.label, category.synonyms))
            concept_category.append(bit)
            for concept in category.concepts:
                concepts.append(concept)
                concept_category.append(bit)
        concept_ids = [c.id for c in concepts]
        if len(set(concept_ids)) != len(concept_ids):
            raise ValueError("concept ids must be unique (and differ from category ids)")
        self._concepts = tuple(concepts)
        self._concept_index = {c.id: i for i, c in enumerate(concepts)}
        self._concept_category = tuple(concept_category)
        unigrams: dict[str, int] = {}
        phrases: dict[tuple[str, ...], int] = {}
        c_unigrams: dict[str, int] = {}
        c_phrases: dict[tuple[str, ...], int] = {}
        for cbit, concept in enumerate(concepts):
            bit = concept_category[cbit]
            for synonym in concept.synonyms:
                stems = tuple(stem(w) for w in words(synonym))
                if not stems:
                    continue
                key = stems[0] if len(stems) == 1 else stems
                table, c_table = (unigrams, c_unigrams) if len(stems) == 1 else (phrases, c_phrases)
                table[key] = table.get(key, 0) | (1 << bit)
                c_table[key] = c_table.get(key, 0) | (1 << cbit)
        self._unigrams = unigrams
        self._phrases = phrases
        self._c_unigrams = c_unigrams
        self._c_phrases = c_phrases
        self._phrase_lengths = sorted({len(p) for p in phrases})
        self._build_relations()

    def _build_relations(self) -> None:
        """Serve and partial masks of every concept (see `item_masks`)."""
        index = self._concept_index
        n = len(self._concepts)
        by_category = [0] * len(self._categories)
        for cbit, cat in enumerate(self._concept_category):
            by_category[cat] |= 1 << cbit
        edges = [1 << c for c in range(n)]
        for cbit, concept in enumerate(self._concepts):
            for other in concept.served_by:
                edges[cbit] |= 1 << self._require(other, concept.id)
        narrower = [0] * n  # concepts whose broader concept is this one
        for cbit, concept in enumerate(self._concepts):
            if concept.broader:
                narrower[self._require(concept.broader, concept.id)] |= 1 << cbit
        general = set()
        for cat_bit in range(len(self._categories)):
            g = index[self._categories[cat_bit].id]
            general.add(g)
            edges[g] = by_category[cat_bit]  # a general interest: any concept of its category
        # A narrower concept serves whatever its broader one serves (to a fixed point).
        for c in range(n):
            while True:
                grown = edges[c]
                for b in bits_of(edges[c]):
                    grown |= narrower[b]
                if grown == edges[c]:
                    break
                edges[c] = grown
        self._serve = tuple(edges)
        self._partial = tuple(by_category[self._concept_category[c]] & ~edges[c]
                              for c in range(n))
        self._general = frozenset(general)
        self._language_mask = sum(1 << c for c, concept in enumerate(self._concepts)
                                  if concept.language)
        self._language_bits = {concept.language: c for c, concept in enumerate(self._concepts)
                               if concept.language}

    def _require(self, concept_id: str, named_by: str) -> int:
        try:
            return self._concept_index[concept_id]
        except KeyError:
            raise ValueError(f"concept '{named_by}' names unknown concept '{concept_id}'") from None

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping) -> Taxonomy:
        """Build from the JSON structure of ``data/taxonomy.json``."""
        categories = [
            Category(
                id=str(item["id"]),
                label=str(item.get("label") or item["id"]),
                synonyms=tuple(str(s) for s in item.get("synonyms", ())),
                concepts=tuple(
                    Concept(
                        id=str(c["id"]),
                        label=str(c.get("label") or c["id"]),
                        synonyms=tuple(str(s) for s in c.get("synonyms", ())),
                        served_by=tuple(str(r) for r in c.get("served_by", ())),
                        broader=str(c["broader"]) if c.get("broader") else None,
                        language=str(c["language"]) if c.get("language") else None,
                    )
                    for c in item.get("concepts", ())
                ),
            )
            for item in data["categories"]
        ]
        return cls(categories)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Taxonomy:
        """Load a taxonomy JSON file (by default ``data/taxonomy.json``)."""
        if path is None:
            return _default_taxonomy()
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(json.load(fh))

    def to_dict(self) -> dict:
        """The JSON structure this taxonomy was built from."""
        def concept(c: Concept) -> dict:
            out = {"id": c.id, "label": c.label, "synonyms": list(c.synonyms)}
            if c.served_by:
                out["served_by"] = list(c.served_by)
            if c.broader:
                out["broader"] = c.broader
            if c.language:
                out["language"] = c.language
            return out

        return {
            "version": 2,
            "categories": [
                {"id": c.id, "label": c.label, "synonyms": list(c.synonyms),
                 "concepts": [concept(x) for x in c.concepts]}
                for c in self._categories
            ],
        }

    # queries ------------------------------------------------------------------------------
    @property
    def ids(self) -> list[str]:
        """Category ids in bit order."""
        return [c.id for c in self._categories]

    def label(self, category: str) -> str:
        """Human label of a category id (``KeyError`` if unknown)."""
        return self._categories[self._index[category]].label

    def mask_of(self, categories: Iterable[str]) -> int:
        """Bit mask of a set of category ids."""
        mask = 0
        for category in categories:
            mask |= 1 << self._index[category]
        return mask

    def ids_of(self, mask: int) -> list[str]:
        """Category ids set in a bit mask, in taxonomy order."""
        found = []
        while mask:
            low = mask & -mask
            found.append(self._categories[low.bit_length() - 1].id)
            mask ^= low
        return found

    def mask_of_stems(self, stems: Sequence[str]) -> int:
        """Bit mask of the categories named by a sequence of stems (in text order)."""
        mask = 0
        n = len(stems)
        for i, s in enumerate(stems):
            mask |= self._unigrams.get(s, 0)
            for length in self._phrase_lengths:
                if i + length <= n:
                    mask |= self._phrases.get(tuple(stems[i : i + length]), 0)
        return mask

    def mask(self, text: str) -> int:
        """Bit mask of the categories a text mentions."""
        return self.mask_of_stems([stem(w) for w in words(text)])

    def categories(self, text: str) -> set[str]:
        """Ids of the categories a text mentions, e.g. ``{"music"}`` for "we love a sing-song"."""
        return set(self.ids_of(self.mask(text)))

    def matches(self, text: str) -> list[tuple[str, str]]:
        """(category id, words as written) for each synonym found in a text, in text order."""
        surface = words(text)
        stems = [stem(w) for w in surface]
        found: list[tuple[str, str]] = []
        for i, s in enumerate(stems):
            hits = [(1, self._unigrams.get(s, 0))]
            for length in self._phrase_lengths:
                if i + length <= len(stems):
                    hits.append((length, self._phrases.get(tuple(stems[i : i + length]), 0)))
            for length, mask in hits:
                for category in self.ids_of(mask):
                    found.append((category, " ".join(surface[i : i + length])))
        return found

    # concepts -----------------------------------------------------------------------------
    @property
    def n_concepts(self) -> int:
        """Concept bits (general concepts of the categories included)."""
        return len(self._concepts)

    @property
    def concept_words(self) -> int:
        """64-bit words a concept mask takes in arrays."""
        return max(1, (len(self._concepts) + 63) // 64)

    def concept_id(self, bit: int) -> str:
        return self._concepts[bit].id

    def concept_label(self, bit: int) -> str:
        return self._concepts[bit].label

    def concept_bit(self, concept_id: str) -> int:
        """Bit of a concept id (``KeyError`` if unknown)."""
        return self._concept_index[concept_id]

    def is_language(self, bit: int) -> bool:
        """True for a language concept ("Welsh"), which qualifies other interests."""
        return bool(self._language_mask >> bit & 1)

    def is_general(self, bit: int) -> bool:
        """True for a category's general concept ("music")."""
        return bit in self._general

    def _concept_hits(self, stems: Sequence[str]) -> list[tuple[int, int, int]]:
        """(start, length, concept mask) of each synonym found. A word inside a phrase found
        counts only as part of it ("sing-alongs" is a sing-along, not singing as well; "male
        voice choir" not any choir)."""
        n = len(stems)
        hits: list[tuple[int, int, int]] = []
        covered = [False] * n
        for i in range(n):
            for length in self._phrase_lengths:
                if i + length <= n:
                    mask = self._c_phrases.get(tuple(stems[i : i + length]), 0)
                    if mask:
                        hits.append((i, length, mask))
                        for j in range(i, i + length):
                            covered[j] = True
        for i, s in enumerate(stems):
            mask = self._c_unigrams.get(s, 0)
            if mask and not covered[i]:
                hits.append((i, 1, mask))
        hits.sort()
        return hits

    def concept_mask_of_stems(self, stems: Sequence[str]) -> int:
        """Concept bit mask of a sequence of stems (in text order)."""
        mask = 0
        for _, _, found in self._concept_hits(stems):
            mask |= found
        return mask

    def concept_mask(self, text: str) -> int:
        """Concept bit mask of a text."""
        return self.concept_mask_of_stems([stem(w) for w in words(text)])

    def concepts(self, text: str) -> set[str]:
        """Ids of the concepts a text mentions, e.g. ``{"male_voice_choir", "choir"}``."""
        return {self._concepts[b].id for b in bits_of(self.concept_mask(text))}

    def concept_matches(self, text: str) -> list[tuple[int, str]]:
        """(concept bit, words as written) for each concept synonym found, in text order."""
        surface = words(text)
        found: list[tuple[int, str]] = []
        for i, length, mask in self._concept_hits([stem(w) for w in surface]):
            for bit in bits_of(mask):
                found.append((bit, " ".join(surface[i : i + length])))
        return found

    def language_concepts(self, tags: Iterable[str]) -> int:
        """Concept mask of the languages (tags) a partner speaks: speaking Welsh serves the
        "Welsh" of "Welsh hymns"."""
        mask = 0
        for tag in tags:
            bit = self._language_bits.get(tag)
            if bit is not None:
                mask |= 1 << bit
        return mask

    def item_masks(self, concepts: int) -> ItemMasks:
        """What serves one interest with these concepts (see `ItemMasks`).

        Language concepts qualify the activity concepts of the same interest ("Welsh
        hymns" needs hymns and Welsh); alone ("Welsh") they are the interest. Where an
        interest names a specific concept its category's general words are ignored
        ("folk music" is folk songs, not any music).
        """
        language = concepts & self._language_mask
        activity = concepts & ~self._language_mask
        specific = activity & ~sum(1 << g for g in self._general)
        if specific:
            activity = specific
        if not activity:
            activity, language = language, 0
        serve = partial = 0
        for bit in bits_of(activity):
            serve |= self._serve[bit]
            partial |= self._partial[bit]
        each = tuple(self._serve[bit] for bit in bits_of(activity)) + (
            (language,) if language else ())
        return ItemMasks(serve=serve, qualifier=language, partial=partial & ~serve, each=each)

    def uncovered(self, stems: Sequence[str]) -> list[int]:
        """Positions of the stems no concept synonym covers ("bhangra" in "bhangra music")."""
        covered = [False] * len(stems)
        for start, length, _ in self._concept_hits(stems):
            for j in range(start, start + length):
                covered[j] = True
        return [i for i, c in enumerate(covered) if not c]

    def evidence(self, item_concepts: int, served_by: int) -> str | None:
        """The label of the partner's concept that serves an interest, or None where the
        partner names the interest's own concept (nothing to add)."""
        own = item_concepts & ~self._language_mask
        if own & served_by:
            return None
        candidates = [b for b in bits_of(served_by & ~self._language_mask)]
        if not candidates:
            return None
        specific = [b for b in candidates if b not in self._general] or candidates
        # The narrowest says most: a concept with a broader one, then the fewest it serves.
        best = min(specific, key=lambda b: (self._concepts[b].broader is None,
                                            self._serve[b].bit_count(), b))
        return self._concepts[best].label

    @property
    def concept_unigram_masks(self) -> dict[str, int]:
        """Stem -> concept bit mask for one-word synonyms."""
        return dict(self._c_unigrams)

    @property
    def concept_phrase_masks(self) -> dict[tuple[str, ...], int]:
        """Stem sequence -> concept bit mask for multi-word synonyms."""
        return dict(self._c_phrases)

    # tables for the vectorised analyser -------------------------------------------------------
    @property
    def unigram_masks(self) -> dict[str, int]:
        """Stem -> category bit mask for one-word synonyms."""
        return dict(self._unigrams)

    @property
    def phrase_masks(self) -> dict[tuple[str, ...], int]:
        """Stem sequence -> category bit mask for multi-word synonyms."""
        return dict(self._phrases)

    def __len__(self) -> int:
        return len(self._categories)

    def __repr__(self) -> str:
        return f"Taxonomy({len(self)} categories)"


def bits_of(mask: int) -> list[int]:
    """Set bits of an integer mask, lowest first."""
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


def mask_to_words(mask: int, n_words: int):
    """An integer concept mask as ``n_words`` unsigned 64-bit words (lowest first)."""
    return [(mask >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(n_words)]


def words_to_mask(values: Iterable[int]) -> int:
    """The integer mask of 64-bit words (lowest first)."""
    mask = 0
    for i, value in enumerate(values):
        mask |= int(value) << (64 * i)
    return mask


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    with open(DEFAULT_TAXONOMY_PATH, encoding="utf-8") as fh:
        return Taxonomy.from_dict(json.load(fh))
