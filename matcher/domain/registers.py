"""Which home of an older register release a home of a newer release continues.

Regulators rename and re-address homes between releases ("abbey view" becomes "abbey view
care home", "2 ardlough road" becomes "2a ardlough road"). Where a file has the regulator's id
the id decides; where it has none, an import pairs each new home with a home of the same
regulator that the file no longer names, by this rule:

* the same postcode (as geocoded, so spelling does not matter);
* the same service category (nursing or residential) where both are known;
* the *similarity* of the two names, or of the two first address lines, whichever is higher:
  :func:`difflib.SequenceMatcher` ratio of the texts after :func:`normalise` (lower case,
  punctuation, "care home", "nursing home", "residential home", "ltd" and "limited" dropped).
  Address lines count only when their house numbers agree (``2`` and ``2a`` do, ``14`` and
  ``16`` do not: two neighbours on one street are two homes).

A similarity of at least :data:`CONTINUES_AT` (0.85) is a continuation: the existing record is
updated and keeps its id. From :data:`REVIEW_AT` (0.6) up to that, the pair is *uncertain* and
is listed for a coordinator to confirm; below, the new home is a new home. Each existing home
continues at most one new one, the most similar pairs first.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

CONTINUES_AT = 0.85
REVIEW_AT = 0.6

_GENERIC = re.compile(r"\b(?:(?:residential\s+)?care\s+home|nursing\s+home|residential\s+home"
                      r"|ltd|limited)\b")
_PUNCTUATION = re.compile(r"[^\w\s]+")


def normalise(text: str | None) -> str:
    """A name or address line as compared: lower case, no punctuation or generic words."""
    # "St Mary's" and "St Marys" are one name: apostrophes go without leaving a gap.
    folded = _PUNCTUATION.sub(" ", re.sub(r"['’]", "", (text or "").casefold()))
    return " ".join(_GENERIC.sub(" ", folded).split())


def similarity(a: str | None, b: str | None) -> float:
    """How alike two names or address lines are, in [0, 1] (0 when either is blank)."""
    left, right = normalise(a), normalise(b)
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    return SequenceMatcher(None, left, right).ratio()


@dataclass(frozen=True)
class RegisteredHome:
    """What the rule looks at: ``category`` is ``nursing``, ``residential`` or None."""

    key: Hashable
    name: str
    address_line1: str | None
    postcode: str
    category: str | None = None


@dataclass(frozen=True)
class Pairing:
    """A new home (``new``) and the existing home (``old``) it may continue."""

    new: Hashable
    old: Hashable
    score: float

    @property
    def continues(self) -> bool:
        return self.score >= CONTINUES_AT


def _postcode(value: str) -> str:
    return "".join(value.split()).casefold()


_NUMBERS = re.compile(r"\d+")


def address_similarity(a: str | None, b: str | None) -> float:
    """:func:`similarity` of two address lines whose house numbers agree, else 0."""
    if _NUMBERS.findall(a or "") != _NUMBERS.findall(b or ""):
        return 0.0
    return similarity(a, b)


def score(new: RegisteredHome, old: RegisteredHome) -> float:
    """The similarity of two homes under the rule; 0 unless postcode and category agree."""
    if _postcode(new.postcode) != _postcode(old.postcode):
        return 0.0
    if new.category and old.category and new.category != old.category:
        return 0.0
    return max(similarity(new.name, old.name),
               address_similarity(new.address_line1, old.address_line1))


def pair_homes(new: Iterable[RegisteredHome], old: Iterable[RegisteredHome]) -> list[Pairing]:
    """Every new home's best existing home with a score of at least :data:`REVIEW_AT`, one to
    one, the most similar pairs first; ``Pairing.continues`` tells which are certain."""
    by_postcode: dict[str, list[RegisteredHome]] = {}
    for home in old:
        by_postcode.setdefault(_postcode(home.postcode), []).append(home)
    candidates = []
    for order, home in enumerate(new):
        for other in by_postcode.get(_postcode(home.postcode), ()):
            value = score(home, other)
            if value >= REVIEW_AT:
                candidates.append((-value, order, home.key, other.key))
    candidates.sort(key=lambda c: (c[0], c[1]))
    taken_new: set[Hashable] = set()
    taken_old: set[Hashable] = set()
    pairs = []
    for value, _, new_key, old_key in candidates:
        if new_key in taken_new or old_key in taken_old:
            continue
        taken_new.add(new_key)
        taken_old.add(old_key)
        pairs.append(Pairing(new_key, old_key, round(-value, 3)))
    return pairs
