"""Interest coverage: which of a home's interests a partner serves, by concept bit masks.

A home's interests are its list of short phrases ("Welsh hymns", "dogs"); where it has none,
the taxonomy concepts found in its free text. A partner serves an interest when

- every part of the interest is met: each of its concepts by one of the partner's that
  serves it (`Taxonomy.item_masks`: the concept itself, those that serve it and narrower
  ones; any concept of the category for a general interest such as "music"), its language
  ("Welsh hymns") by the partner naming or speaking it, and its words the taxonomy does not
  know ("bhangra" of "bhangra music") by the partner's own words; or
- the partner's own words contain every meaningful word of the interest (exact stems).

A partner that only shares a broad category with an interest (a brass band and "Welsh
hymns") earns `PARTIAL_CREDIT` of that interest, and the interest is never claimed as shared.
Partners' concept masks are computed once, at fit, as ``concept_words`` unsigned 64-bit words
per partner, so a query costs a few bit operations per candidate and interest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..interests import ItemMasks, Taxonomy, clean_interests, is_stop_stem, mask_to_words, stem
from ..interests import words as split_words
from .components import PARTIAL_CREDIT
from .features import TextAnalyser, TfidfIndex, gather_ranges

__all__ = ["PARTIAL_CREDIT", "HomeItems", "Item", "home_items", "served_matrix", "shared"]


@dataclass(frozen=True)
class Item:
    """One interest of a home: its words as written, concepts and what serves them, and the
    stems (analyser ids) and TF-IDF columns (-1 where none) of its meaningful words, all of
    them and those no concept covers (``extra_``)."""

    text: str
    concepts: int
    masks: ItemMasks
    stems: tuple[int, ...]
    cols: tuple[int, ...]
    extra_stems: tuple[int, ...] = ()
    extra_cols: tuple[int, ...] = ()

    @property
    def exact_cols(self) -> tuple[int, ...] | None:
        """Columns all present in a partner's words mean the partner names the interest;
        None where that cannot be (a word no partner used when the index was fitted)."""
        return _possible(self.cols)

    @property
    def by_concepts(self) -> bool:
        """Whether concepts can serve the interest (it has some, and its other words are
        words partners use)."""
        return bool(self.masks.each) and (not self.extra_cols or
                                          _possible(self.extra_cols) is not None)


def _possible(cols: tuple[int, ...]) -> tuple[int, ...] | None:
    if not cols or min(cols) < 0:
        return None
    return cols


@dataclass(frozen=True)
class HomeItems:
    """A home's interests with their masks as arrays of ``concept_words`` columns: ``each``
    one ``(parts, words)`` array per interest, ``partial`` (interests, words) of the
    concepts sharing a category with it (or serving it)."""

    items: tuple[Item, ...]
    each: tuple[np.ndarray, ...]
    partial: np.ndarray

    def __len__(self) -> int:
        return len(self.items)

    @property
    def explain_cols(self) -> list[int]:
        """Every column an exact match can need, ascending."""
        return sorted({c for item in self.items
                       for c in (*(item.exact_cols or ()), *item.extra_cols) if c >= 0})


def _item(taxonomy: Taxonomy, analyser: TextAnalyser, tfidf: TfidfIndex | None, text: str,
          concepts: int) -> Item:
    all_stems = [stem(w) for w in split_words(text)]
    uncovered = set(taxonomy.uncovered(all_stems))

    def ids(positions) -> tuple[int, ...]:
        found = [analyser.stem_id(all_stems[i]) for i in positions
                 if not is_stop_stem(all_stems[i])]
        return tuple(dict.fromkeys(found))

    def columns(stems: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(tfidf.column_of_stem(s) for s in stems) if tfidf is not None else ()

    stems = ids(range(len(all_stems)))
    extra = ids(sorted(uncovered)) if concepts else ()
    return Item(text, concepts, taxonomy.item_masks(concepts), stems, columns(stems),
                extra, columns(extra))


def home_items(taxonomy: Taxonomy, analyser: TextAnalyser, tfidf: TfidfIndex | None,
               interests: Sequence[str] | None, interests_text: str | None) -> HomeItems:
    """The interests a home's coverage is measured on.

    Its listed interests, then each concept of its free text that no listed interest names
    (by the words as written); a home with only free text also has each other meaningful
    word of it as an interest (served only by partners using that word).
    """
    items: list[Item] = []
    named = 0
    for text in clean_interests(interests):
        item = _item(taxonomy, analyser, tfidf, text, taxonomy.concept_mask(text))
        items.append(item)
        named |= item.concepts
    free = interests_text or ""
    seen_text = {i.text.casefold() for i in items}
    for bit, surface in taxonomy.concept_matches(free):
        if taxonomy.is_language(bit):  # "Welsh-speaking residents" is not an interest
            continue
        if not named >> bit & 1 and surface.casefold() not in seen_text:
            items.append(_item(taxonomy, analyser, tfidf, surface, 1 << bit))
            named |= 1 << bit
            seen_text.add(surface.casefold())
    if not clean_interests(interests):
        # Only free text: its other meaningful words count too ("miners"), each served by a
        # partner using the same word.
        in_concepts = {stem(w) for _, surface in taxonomy.concept_matches(free)
                       for w in split_words(surface)}
        for word in dict.fromkeys(split_words(free)):
            s = stem(word)
            if not is_stop_stem(s) and s not in in_concepts:
                items.append(_item(taxonomy, analyser, tfidf, word, 0))
    n_words = taxonomy.concept_words

    def rows(masks) -> np.ndarray:
        return np.array([mask_to_words(m, n_words) for m in masks],
                        dtype=np.uint64).reshape(len(masks), n_words)

    return HomeItems(tuple(items), tuple(rows(i.masks.each) for i in items),
                     rows([i.masks.partial | i.masks.serve for i in items]))


def _hits(con: Sequence[np.ndarray], masks: np.ndarray) -> np.ndarray | None:
    """Per candidate: does any concept word meet one of ``masks``' bits (None: no bits)."""
    out = None
    for word in np.flatnonzero(masks):
        hit = (con[word] & masks[word]) != 0
        out = hit if out is None else (out | hit)
    return out


def served_matrix(con: Sequence[np.ndarray], cover: HomeItems,
                  has: Callable[[tuple[int, ...]], np.ndarray | None] | None, n: int):
    """``(served, partial)`` boolean ``(n, len(items))`` matrices for ``n`` candidates.

    ``con`` holds the candidates' concept words (one array of ``n`` per word); ``has(cols)``
    gives per candidate whether its words contain all those TF-IDF columns.
    """
    m = len(cover)
    served = np.zeros((n, m), dtype=bool)
    partial = np.zeros((n, m), dtype=bool)
    for i, item in enumerate(cover.items):
        if item.by_concepts:
            hit = None
            for part in cover.each[i]:
                got = _hits(con, part)
                hit = got if hit is None else hit & got
            if hit is not None and item.extra_cols:
                found = has(item.extra_cols) if has is not None else None
                hit = hit & found if found is not None else np.zeros(n, dtype=bool)
            if hit is not None:
                served[:, i] = hit
        if has is not None and item.exact_cols is not None:
            found = has(item.exact_cols)
            if found is not None:
                served[:, i] |= found
        near = _hits(con, cover.partial[i])
        if near is not None:
            partial[:, i] = near & ~served[:, i]
    return served, partial


def exact_from_postings(keys: np.ndarray, n: int, starts: np.ndarray, offsets: np.ndarray,
                        ends: np.ndarray, total: int, select: np.ndarray):
    """A ``has`` function for `served_matrix` reading TF-IDF posting keys (``col * n +
    position``) over candidate ranges; ``select`` picks the candidates (indices into the
    concatenated ranges)."""
    shift_base = starts - offsets

    def has(cols: tuple[int, ...]) -> np.ndarray | None:
        if len(keys) == 0:
            return None
        count = None
        for col in cols:
            lo = np.searchsorted(keys, col * n + starts)
            hi = np.searchsorted(keys, col * n + ends)
            lengths = hi - lo
            if not lengths.any():
                return np.zeros(len(select), dtype=bool)
            where = keys[gather_ranges(lo, lengths)] - col * n - np.repeat(shift_base, lengths)
            here = np.bincount(where, minlength=total)
            count = here if count is None else count + here
        return count[select] == len(cols)

    return has


def shared(taxonomy: Taxonomy, cover: HomeItems, concepts: int,
           names: Callable[[Item, bool], bool]) -> list[tuple[str, str | None]]:
    """The interests one partner serves, in the home's order, each with the partner's
    concept that serves it where that adds something ("Welsh hymns", "male voice choir");
    ``names(item, extra)`` says whether the partner's words contain the item's (only those no
    concept covers, with ``extra``)."""
    found = []
    for item in cover.items:
        masks = item.masks
        by_concept = (item.by_concepts and all(concepts & part for part in masks.each)
                      and (not item.extra_stems or names(item, True)))
        if by_concept:
            found.append((item.text, taxonomy.evidence(item.concepts, concepts & masks.serve)))
        elif names(item, False):
            found.append((item.text, None))
    return found


def partner_concepts(taxonomy: Taxonomy, text_concepts: int, languages: Sequence[str]) -> int:
    """A partner's concepts: those of its words and those of the languages it speaks."""
    return text_concepts | taxonomy.language_concepts(languages)
