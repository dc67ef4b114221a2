"""What a care home needs to decide about a suggested partner, in plain words.

The partners page shows these lines on each card: the group's own description, when it can
visit ("Tuesday and Thursday afternoons"), whether children come, how it keeps in touch
remotely, and its safeguarding check ("DBS check valid until 3 March 2027"). Sentences are
translated into the reader's language (`matcher.presentation.translation`), as the reasons are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..domain import catalogue
from ..domain.ranking.types import decode_availability, encode_availability
from .translation import format_date, language
from .translation import gettext as _

__all__ = ["card", "children_sentence", "day_name", "long_date", "remote_sentence",
           "safeguarding_sentence", "visit_times"]

_DAYS = catalogue.DAYS
_PARTS = catalogue.DAY_PARTS
_WEEKDAYS = frozenset(d.code for d in _DAYS[:5])
_WEEKEND = frozenset(d.code for d in _DAYS[5:])
_REMOTE_LABELS = {t.code: t.label for t in catalogue.REMOTE_MODES}


def long_date(value: dt.date | str | None) -> str:
    """"3 March 2027" (a date or an ISO date); empty for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return format_date(value, "d MMMM y")


def day_name(day: catalogue.Day) -> str:
    """A day's name inside a sentence: "Tuesday"; "dydd Mawrth" (Welsh writes the "dydd" of
    a day's name in lower case mid-sentence)."""
    name = _(day.label)
    return name[:1].lower() + name[1:] if language() == "cy" else name


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return _("%(items)s and %(last)s", items=_(", ").join(items[:-1]), last=items[-1])


def visit_times(slots: Iterable[str] | None) -> str:
    """When a partner can visit, grouped by part of the day: "Tuesday and Thursday
    afternoons", "weekday mornings; Saturday afternoons", "every evening"; "" when unknown."""
    if slots is None:
        return ""
    known = decode_availability(encode_availability(list(slots))) or []
    phrases = []
    for part in _PARTS:
        days = [d for d in _DAYS if f"{d.code}_{part.code}" in known]
        if not days:
            continue
        codes = frozenset(d.code for d in days)
        if len(days) == len(_DAYS):
            phrases.append(_("every %(part)s", part=_(part.label).lower()))
        elif codes == _WEEKDAYS:
            phrases.append(_("weekday %(parts)s", parts=_(part.plural)))
        elif codes == _WEEKEND:
            phrases.append(_("weekend %(parts)s", parts=_(part.plural)))
        else:
            phrases.append(_("%(day)s %(parts)s", day=_and([day_name(d) for d in days]),
                             parts=_(part.plural)))
    return _("; ").join(phrases)


def children_sentence(works_with_children: bool | None) -> str:
    """Whether children come on the visits."""
    if works_with_children:
        return _("Children come on the visits")
    return _("Adults only: no children come")


def remote_sentence(offers_remote: bool | None, modes: Iterable[str] | None) -> str:
    """How a partner keeps in touch besides visiting: "Video calls and letters or cards"."""
    labels = [_(_REMOTE_LABELS[m]) for m in modes or () if m in _REMOTE_LABELS]
    if labels:
        words = _and(labels)
        return words[:1] + words[1:].lower()
    if offers_remote:
        return _("Remotely (how not said yet)")
    return _("In person only")


def safeguarding_sentence(check: Mapping[str, Any] | None, expected: str | None = None) -> str:
    """A partner's check in words: "DBS check valid until 3 March 2027", "DBS check expired
    on 1 June 2026", "DBS check applied for", "No check recorded" (``check`` as in a match:
    ``{scheme, status, expires_on, valid}``; ``expected``: the scheme of the home's nation)."""
    check = check or {}
    scheme = check.get("scheme") or expected
    status = check.get("status") or "none"
    expires = check.get("expires_on")
    if status == "valid":
        if expires:
            return _("%(scheme)s check valid until %(date)s",
                     scheme=scheme or _("Safeguarding"), date=long_date(expires))
        return _("%(scheme)s check valid (no expiry date recorded)",
                 scheme=scheme or _("Safeguarding"))
    if status == "expired":
        if expires:
            return _("%(scheme)s check expired on %(date)s",
                     scheme=scheme or _("Safeguarding"), date=long_date(expires))
        return _("%(scheme)s check expired", scheme=scheme or _("Safeguarding"))
    if status == "pending":
        return _("%(scheme)s check applied for, not yet confirmed",
                 scheme=scheme or _("Safeguarding"))
    return _("No check recorded")


def card(match: Mapping[str, Any], expected_scheme: str | None = None) -> dict[str, str]:
    """The card's lines for a match carrying ``details`` (see the matching service):
    ``description``, ``times``, ``children``, ``remote`` and ``safeguarding``."""
    details = match.get("details") or {}
    times = visit_times(details.get("availability"))
    return {
        "description": (details.get("description") or "").strip(),
        "times": times or _("Not said yet"),
        "children": children_sentence(details.get("works_with_children")),
        "remote": remote_sentence(details.get("offers_remote"), details.get("remote_modes")),
        "safeguarding": safeguarding_sentence(match.get("safeguarding"), expected_scheme),
    }
