"""Interest coverage: which of a home's interests a partner serves, by concept bit masks.

A home's interests are its list of short phrases ("Welsh hymns", "dogs"); where it has none,
the taxonomy concepts found in its free text. A partner serves an interest when

- one of the partner's concepts serves the interest's concept (`Taxonomy.item_masks`: the
  concept itself, its related and broader concepts; any concept of the category for a
  general interest such as "music"), and, for an interest qualified by a language ("Welsh
  hymns"), the partner names or speaks that language too; or
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
    stems (analyser ids) and TF-IDF columns (-1 where none) of its meaningful words."""

    text: str
    concepts: int
    masks: ItemMasks
    stems: tuple[int, ...]
    cols: tuple[int, ...]

    @property
    def exact_cols(self) -> tuple[int, ...] | None:
        """Columns all present in a partner's words mean the partner names the interest;
        None where that cannot be (a word no partner used when the index was fitted)."""
        if not self.cols or min(self.cols) < 0:
            return None
        return self.cols


@dataclass(frozen=True)
class HomeItems:
    """A home's interests with their masks as ``(len(items), concept_words)`` arrays."""

    items: tuple[Item, ...]
    serve: np.ndarray
    qualifier: np.ndarray
    partial: np.ndarray

    def __len__(self) -> int:
        return len(self.items)

    @property
    def explain_cols(self) -> list[int]:
        """Every column an exact match can need, ascending."""
        return sorted({c for item in self.items for c in (item.exact_cols or ())})


def _item(taxonomy: Taxonomy, analyser: TextAnalyser, tfidf: TfidfIndex | None, text: str,
          concepts: int) -> Item:
    stems = []
    for word in split_words(text):
        s = stem(word)
        if not is_stop_stem(s):
            stems.append(analyser.stem_id(s))
    stems = tuple(dict.fromkeys(stems))
    cols = tuple(tfidf.column_of_stem(s) for s in stems) if tfidf is not None else ()
    return Item(text, concepts, taxonomy.item_masks(concepts), stems, cols)


def home_items(taxonomy: Taxonomy, analyser: TextAnalyser, tfidf: TfidfIndex | None,
               interests: Sequence[str] | None, interests_text: str | None) -> HomeItems:
    """The interests a home's coverage is measured on.

    Its listed interests, then each concept of its free text that no listed interest names
    (by the words as written); a home with neither list nor concepts has each meaningful
    word of its free text as an interest (served only by partners using that word).
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

    def table(name: str) -> np.ndarray:
        rows = [mask_to_words(getattr(i.masks, name), n_words) for i in items]
        return np.array(rows, dtype=np.uint64).reshape(len(items), n_words)

    return HomeItems(tuple(items), table("serve"), table("qualifier"), table("partial"))


def _hits(con: Sequence[np.ndarray], masks: np.ndarray) -> np.ndarray | None:
    """Per candidate: does any concept word meet one of ``masks``' bits (None: no bits)."""
    out = None
    for word in np.flatnonzero(masks):
        hit = (con[word] & masks[word]) != 0
        out = hit if out is None else (out | hit)
    return out


def served_matrix(con: Sequence[np.ndarray], cover: HomeItems,
                  exact: Callable[[Item], np.ndarray | None] | None, n: int):
    """``(served, partial)`` boolean ``(n, len(items))`` matrices for ``n`` candidates.

    ``con`` holds the candidates' concept words (one array of ``n`` per word); ``exact(item)``
    gives per candidate whether its words contain the item's (or None where none can).
    """
    m = len(cover)
    served = np.zeros((n, m), dtype=bool)
    partial = np.zeros((n, m), dtype=bool)
    for i, item in enumerate(cover.items):
        hit = _hits(con, cover.serve[i])
        if hit is not None and item.masks.qualifier:
            qual = _hits(con, cover.qualifier[i])
            hit = hit & qual
        if hit is not None:
            served[:, i] = hit
        if exact is not None:
            found = exact(item)
            if found is not None:
                served[:, i] |= found
        near = _hits(con, cover.partial[i] | cover.serve[i])
        if near is not None:
            partial[:, i] = near & ~served[:, i]
    return served, partial


def exact_from_postings(keys: np.ndarray, n: int, starts: np.ndarray, offsets: np.ndarray,
                        ends: np.ndarray, total: int, select: np.ndarray):
    """An ``exact`` function for `served_matrix` reading TF-IDF posting keys (``col * n +
    position``) over candidate ranges; ``select`` picks the candidates (indices into the
    concatenated ranges)."""
    shift_base = starts - offsets

    def exact(item: Item) -> np.ndarray | None:
        cols = item.exact_cols
        if cols is None or len(keys) == 0:
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

    return exact


def shared(taxonomy: Taxonomy, cover: HomeItems, concepts: int,
           names: Callable[[Item], bool]) -> list[tuple[str, str | None]]:
    """The interests one partner serves, in the home's order, each with the partner's
    concept that serves it where that adds something ("Welsh hymns", "male voice choir");
    ``names(item)`` says whether the partner's words contain the item's."""
    found = []
    for item in cover.items:
        masks = item.masks
        by_concept = concepts & masks.serve
        qualified = not masks.qualifier or concepts & masks.qualifier
        if by_concept and qualified:
            found.append((item.text, taxonomy.evidence(item.concepts, by_concept)))
        elif names(item):
            found.append((item.text, None))
    return found


def partner_concepts(taxonomy: Taxonomy, text_concepts: int, languages: Sequence[str]) -> int:
    """A partner's concepts: those of its words and those of the languages it speaks."""
    return text_concepts | taxonomy.language_concepts(languages)
