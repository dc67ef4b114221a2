"""Does a registration look like a group Kith already has? Pure functions, no database.

A registration is a possible duplicate of an existing group when it gives the same contact
email, the same phone number (however it is spaced or prefixed), or a name at least
:data:`NAME_THRESHOLD` similar (see :func:`name_similarity`) within :data:`NEARBY_KM`
kilometres. Two choirs called "Côr Meibion" 200 km apart are different choirs; the same
"Hale Choir" 300 m from itself is the same choir registered twice.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .geo import haversine_km

__all__ = ["NAME_THRESHOLD", "NEARBY_KM", "Candidate", "Duplicate", "find_duplicates",
           "name_similarity", "normalise_email", "normalise_name", "normalise_phone"]

# Names this similar (0 to 1) are "very similar": "St Mary's Choir" and "St Marys choir"
# (1.0), "Hale Community Choir" and "Hale Comunity Choir" (0.97); "Hale Choir" and "Sale
# Choir" (0.9) are only flagged when near each other, which is the point of the distance.
NAME_THRESHOLD = 0.85
# Within this many kilometres a similar name is probably the same group.
NEARBY_KM = 5.0
# Words that say nothing about which group it is.
_FILLER = {"the", "a", "an", "of", "and", "y", "yr", "a'r"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalise_name(name: str) -> str:
    """Lower case, accents and punctuation gone, ``&`` read as "and", filler words dropped:
    ``"The  Côr & Friends!"`` → ``"cor friends"``."""
    text = unicodedata.normalize("NFKD", (name or "").replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("'", "").replace("’", "")
    return " ".join(word for word in _WORD.findall(text) if word not in _FILLER)


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def name_similarity(a: str, b: str) -> float:
    """How alike two names are, 0 to 1: the better of the character similarity of the
    normalised names (difflib's ratio) and their token-set similarity (words in any order,
    as in "Choir of Hale" and "Hale Choir"). The token-set measure counts only when the
    names share at least two words, so one shared word ("Choir") is never enough."""
    left, right = normalise_name(a), normalise_name(b)
    if not left or not right:
        return 0.0
    best = _ratio(left, right)
    words_a, words_b = set(left.split()), set(right.split())
    common = words_a & words_b
    if len(common) >= 2:
        shared = " ".join(sorted(common))
        only_a = (shared + " " + " ".join(sorted(words_a - common))).strip()
        only_b = (shared + " " + " ".join(sorted(words_b - common))).strip()
        # Like token-set ratio, but the bare intersection is not compared to each side:
        # "Hale Choir" must not equal "Hale Choir and Orchestra of Sale".
        best = max(best, _ratio(only_a, only_b))
    return round(best, 3)


def normalise_email(email: str | None) -> str | None:
    text = (email or "").strip().casefold()
    return text or None


def normalise_phone(phone: str | None) -> str | None:
    """Digits only, a UK international prefix read as the leading 0: ``"+44 (0)7700 900123"``
    and ``"07700-900123"`` → ``"07700900123"``; None for fewer than 7 digits."""
    text = (phone or "").strip()
    digits = re.sub(r"\D", "", text)
    international = text.startswith("+") or digits.startswith("00")
    digits = digits.removeprefix("00") if digits.startswith("00") else digits
    if international and digits.startswith("44"):
        digits = "0" + digits[2:].removeprefix("0")
    return digits if len(digits) >= 7 else None


@dataclass(frozen=True)
class Candidate:
    """A group as the check sees it."""

    id: int
    name: str
    lat: float | None = None
    lon: float | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Duplicate:
    """An existing group a registration may duplicate, and why: ``reasons`` holds
    ``"email"``, ``"phone"`` and/or ``"name"`` (then with ``similarity`` and ``distance_km``)."""

    id: int
    name: str
    reasons: tuple[str, ...]
    similarity: float
    distance_km: float | None


def find_duplicates(subject: Candidate, others: Iterable[Candidate], *,
                    threshold: float = NAME_THRESHOLD, radius_km: float = NEARBY_KM
                    ) -> list[Duplicate]:
    """The groups among ``others`` that ``subject`` may duplicate, strongest first (same
    contact details before a similar name, then by similarity and distance)."""
    email, phone = normalise_email(subject.email), normalise_phone(subject.phone)
    found = []
    for other in others:
        if other.id == subject.id:
            continue
        reasons = []
        if email and normalise_email(other.email) == email:
            reasons.append("email")
        if phone and normalise_phone(other.phone) == phone:
            reasons.append("phone")
        distance = None
        if None not in (subject.lat, subject.lon, other.lat, other.lon):
            distance = float(haversine_km(subject.lat, subject.lon, other.lat, other.lon))
        similarity = name_similarity(subject.name, other.name)
        if similarity >= threshold and distance is not None and distance <= radius_km:
            reasons.append("name")
        if reasons:
            found.append(Duplicate(other.id, other.name, tuple(reasons), similarity,
                                   None if distance is None else round(distance, 1)))
    found.sort(key=lambda d: ("email" not in d.reasons and "phone" not in d.reasons,
                              -d.similarity, d.distance_km or 0.0, d.id))
    return found
