"""A possible duplicate's reason in words: "same email", "similar name, 0.2 km away"."""

from __future__ import annotations

from collections.abc import Callable

from ..domain.duplicates import Duplicate
from .reasons import format_km


def N_(message: str) -> str:  # noqa: N802 - the marker pybabel extracts (``-k N_``)
    return message


SAME_EMAIL = N_("same email")
SAME_PHONE = N_("same phone number")
SIMILAR_NAME = N_("similar name, {distance} away")
JOINER = N_("; ")


def reason(duplicate: Duplicate, gettext: Callable[[str], str] = N_) -> str:
    """Why ``duplicate`` was flagged, in the language of ``gettext``: "same email; similar
    name, 0.2 km away"."""
    parts = []
    if "email" in duplicate.reasons:
        parts.append(gettext(SAME_EMAIL))
    if "phone" in duplicate.reasons:
        parts.append(gettext(SAME_PHONE))
    if "name" in duplicate.reasons:
        distance = format_km(duplicate.distance_km or 0.0)
        parts.append(gettext(SIMILAR_NAME).format(distance=distance))
    return gettext(JOINER).join(parts)


def as_dicts(found: list[Duplicate], gettext: Callable[[str], str] = N_) -> list[dict]:
    """``[{id, name, reason}]``, as the API and the review page show them."""
    return [{"id": d.id, "name": d.name, "reason": reason(d, gettext)} for d in found]
