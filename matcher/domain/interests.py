"""Interests: tidying user lists, the activity taxonomy and the text analysis shared by ranking.

The taxonomy (``data/taxonomy.json``) groups activities into categories with synonyms so that a
home that loves *singing* meets a *choir* and one that misses its *dogs* meets *pet visits*.
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
class Category:
    """One activity category: a stable id, a label for people and its synonyms."""

    id: str
    label: str
    synonyms: tuple[str, ...]


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
        unigrams: dict[str, int] = {}
        phrases: dict[tuple[str, ...], int] = {}
        for bit, category in enumerate(categories):
            for synonym in category.synonyms:
                stems = tuple(stem(w) for w in words(synonym))
                if not stems:
                    continue
                table = unigrams if len(stems) == 1 else phrases
                key = stems[0] if len(stems) == 1 else stems
                table[key] = table.get(key, 0) | (1 << bit)
        self._unigrams = unigrams
        self._phrases = phrases
        self._phrase_lengths = sorted({len(p) for p in phrases})

    # construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping) -> Taxonomy:
        """Build from the JSON structure of ``data/taxonomy.json``."""
        categories = [
            Category(
                id=str(item["id"]),
                label=str(item.get("label") or item["id"]),
                synonyms=tuple(str(s) for s in item.get("synonyms", ())),
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
        return {
            "version": 1,
            "categories": [
                {"id": c.id, "label": c.label, "synonyms": list(c.synonyms)}
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


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    with open(DEFAULT_TAXONOMY_PATH, encoding="utf-8") as fh:
        return Taxonomy.from_dict(json.load(fh))
