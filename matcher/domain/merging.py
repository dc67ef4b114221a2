"""Merging a duplicate registration into the group Kith already has. Pure functions.

A coordinator who finds that a registration is a second one for an existing group chooses,
part by part, what the existing group keeps: its own value (``keep``), the registration's
(``take``) or, for lists, both (``combine``: its own items first, then the new ones). A
part is one or more fields that only make sense together: a safeguarding check is its
scheme, status and expiry; a contact is a person's name, email, phone, the language they are
written to in, and the consent they gave with the privacy notice's version. Only the
compared fields decide whether a part differs; the carried ones move with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .catalogue import SLOTS

__all__ = ["CHOICES", "PARTS", "Difference", "Part", "changed_parts", "check_choices",
           "default_choices",
           "differences", "merged_values", "part"]

KEEP, TAKE, COMBINE = "keep", "take", "combine"
CHOICES = (KEEP, TAKE, COMBINE)


@dataclass(frozen=True)
class Part:
    """What the coordinator decides on at once: ``fields`` are compared, ``carried`` move
    with them; ``combinable`` parts are lists that can hold both sides' items. A ``whole``
    part is taken as the registration has it, empty fields too (a contact is one person);
    otherwise the existing group keeps its value where the registration gave none."""

    key: str
    fields: tuple[str, ...]
    carried: tuple[str, ...] = ()
    combinable: bool = False
    whole: bool = True


PARTS: tuple[Part, ...] = (
    Part("name", ("name",)),
    Part("kind", ("kind",)),
    Part("description", ("description",)),
    Part("interests", ("interests",), combinable=True),
    Part("languages", ("languages",), combinable=True),
    Part("postcode", ("postcode", "town"), whole=False),
    Part("travel_radius_km", ("travel_radius_km",)),
    Part("availability", ("availability",), combinable=True),
    Part("capacity_per_month", ("capacity_per_month",)),
    Part("remote", ("offers_remote", "remote_modes")),
    Part("works_with_children", ("works_with_children",)),
    Part("safeguarding", ("safeguarding_scheme", "safeguarding_status",
                          "safeguarding_expires_on")),
    Part("contact", ("contact_name", "contact_email", "contact_phone", "preferred_language"),
         carried=("consent_at", "privacy_notice_version")),
)
_BY_KEY = {part.key: part for part in PARTS}
# Every field a merge reads from either group.
FIELDS: tuple[str, ...] = tuple(f for part in PARTS for f in part.fields + part.carried)


@dataclass(frozen=True)
class Difference:
    """A part the two groups hold differently: the existing group's values, the
    registration's, and (when it says more than either) both combined."""

    part: Part
    kept: dict[str, Any]
    taken: dict[str, Any]
    combined: dict[str, Any] | None


def _language_key(language: Mapping[str, Any]) -> str:
    return str(language.get("tag") or language.get("name") or "").casefold()


def _combine_list(field: str, ours: Sequence[Any] | None, theirs: Sequence[Any] | None
                  ) -> list[Any] | None:
    if field == "availability":
        # No availability means "flexible": any time, which already covers the other side.
        if ours is None or theirs is None:
            return None
        wanted = set(ours) | set(theirs)
        return [slot for slot in SLOTS if slot in wanted]
    key = _language_key if field == "languages" else (lambda item: str(item).casefold())
    combined, seen = [], set()
    for item in [*(ours or ()), *(theirs or ())]:
        if key(item) not in seen:
            seen.add(key(item))
            combined.append(item)
    return combined


def _normalised(field: str, value: Any) -> Any:
    """``value`` as compared: lists as sets of their keys, text without case or spacing."""
    if field == "languages":
        return frozenset(_language_key(lang) for lang in value or ())
    if field in ("interests", "remote_modes"):
        return frozenset(str(item).casefold() for item in value or ())
    if field == "availability":
        return None if value is None else frozenset(value)
    if isinstance(value, str):
        return " ".join(value.split()).casefold() or None
    return value


def _equal(part: Part, left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    return all(_normalised(f, left.get(f)) == _normalised(f, right.get(f)) for f in part.fields)


def _given(field: str, value: Any) -> bool:
    return _normalised(field, value) not in (None, frozenset())


def differences(existing: Mapping[str, Any], registration: Mapping[str, Any]
                ) -> list[Difference]:
    """The parts, in :data:`PARTS` order, where ``registration`` says something other than
    ``existing``. A field the registration leaves empty says nothing: it is not compared,
    and taking a part that is not ``whole`` keeps the existing group's value there."""
    found = []
    for part in PARTS:
        given = [f for f in part.fields if _given(f, registration.get(f))]
        if not given or all(_normalised(f, existing.get(f)) == _normalised(f, registration.get(f))
                            for f in given):
            continue
        kept = {f: existing.get(f) for f in part.fields + part.carried}
        taken = {f: registration.get(f) if part.whole or f in given else existing.get(f)
                 for f in part.fields + part.carried}
        combined = None
        if part.combinable:
            [field] = part.fields
            both = {field: _combine_list(field, existing.get(field), registration.get(field))}
            if not _equal(part, both, existing) and not _equal(part, both, registration):
                combined = both
        found.append(Difference(part, kept, taken, combined))
    return found


def default_choices(found: Sequence[Difference]) -> dict[str, str]:
    """What a merge does unless told otherwise: combine lists where that says more, and
    otherwise keep what the existing group has."""
    return {d.part.key: COMBINE if d.combined is not None else KEEP for d in found}


def check_choices(found: Sequence[Difference], choices: Mapping[str, str]) -> list[str]:
    """The keys of the parts whose choice is not one :func:`merged_values` can make."""
    offered = {d.part.key: d for d in found}
    wrong = []
    for key, choice in choices.items():
        difference = offered.get(key)
        if difference is None or choice not in CHOICES \
                or (choice == COMBINE and difference.combined is None):
            wrong.append(key)
    return wrong


def merged_values(found: Sequence[Difference], choices: Mapping[str, str]) -> dict[str, Any]:
    """The fields the existing group changes to, from each part's choice (defaults for the
    parts not chosen); raises ValueError on a choice :func:`check_choices` refuses."""
    if check_choices(found, choices):
        raise ValueError(f"not a choice for these parts: {check_choices(found, choices)}")
    wanted = {**default_choices(found), **choices}
    values: dict[str, Any] = {}
    for difference in found:
        choice = wanted[difference.part.key]
        if choice == TAKE:
            values.update(difference.taken)
        elif choice == COMBINE:
            values.update(difference.combined or {})
    return values


def changed_parts(found: Sequence[Difference], choices: Mapping[str, str]) -> list[str]:
    """The keys of the parts the existing group takes or combines, in :data:`PARTS` order."""
    wanted = {**default_choices(found), **choices}
    return [d.part.key for d in found if wanted[d.part.key] != KEEP]


def part(key: str) -> Part:
    """The part called ``key`` (KeyError for another)."""
    return _BY_KEY[key]
