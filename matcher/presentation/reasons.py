"""The one place where the reasons for a match become sentences, in the reader's language.

The domain gives reasons as `Reason` values (a code and its parameters, see
`matcher.domain.ranking.explain`); the API, the pages and the CSV exports render them here.
Each code has one function; each sentence is a message with named ``%(name)s`` parameters,
translated into the current language (`matcher.presentation.translation`), with counts
through ``ngettext`` so that Welsh gets its six plural forms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..domain import catalogue
from ..domain.geo import round_km
from ..domain.languages import language_name
from ..domain.ranking.explain import CODES, Reason
from ..domain.ranking.types import decode_availability, encode_availability
from .partner_card import day_name, long_date
from .translation import gettext as _
from .translation import language as current_language
from .translation import ngettext

__all__ = ["MAX_LISTED", "explanations", "format_km", "render_reason", "render_reasons",
           "with_reasons"]

MAX_LISTED = 5


def format_km(km) -> str:
    """A distance as people see it everywhere (card, reasons, exports): the figure of
    `round_km` (0.1 km), without a trailing ".0": "2.3 km", "10 km", "under 100 m" (a full
    stop for the decimal point in Welsh too)."""
    shown = round_km(km)
    if shown < 0.1:
        return _("under 100 m")
    figure = f"{shown:.1f}".removesuffix(".0")
    return _("%(km)s km", km=figure)


def distance(km: float) -> str:
    """"2.3 km away"; "under 100 m away" when very close."""
    return _("%(distance)s away", distance=format_km(km))


def shared_interests(interests: Sequence[str], via: Sequence[str | None] | None = None) -> str:
    """"shares interests: Welsh hymns — male voice choir, sing-alongs" (each interest with
    the partner's activity that serves it where given; long lists end "and N more")."""
    via = list(via or ()) + [None] * (len(interests) - len(via or ()))
    phrases = [_("%(interest)s — %(via)s", interest=item, via=how) if how else item
               for item, how in zip(interests, via, strict=False)]
    listed = _(", ").join(phrases[:MAX_LISTED])
    if len(interests) > MAX_LISTED:
        return ngettext("shares interests: %(listed)s and %(num)d more",
                        "shares interests: %(listed)s and %(num)d more",
                        len(interests) - MAX_LISTED, listed=listed)
    return _("shares interests: %(listed)s", listed=listed)


def shared_language(language: str, residents: int) -> str:
    """"speaks Polish, like 6 residents"."""
    return ngettext("speaks %(language)s, like %(num)d resident",
                    "speaks %(language)s, like %(num)d residents", residents,
                    language=language_name(language, current_language()))


def residents_speak(language: str, residents: int) -> str:
    """Reverse matching: "6 residents speak Polish"."""
    return ngettext("%(num)d resident speaks %(language)s",
                    "%(num)d residents speak %(language)s", residents,
                    language=language_name(language, current_language()))


def describe_slots(slots: Sequence[str], limit: int = 3) -> str:
    """Slots in words: "Saturday afternoons and Monday mornings" (at most ``limit``, then
    "and 2 other times")."""
    known = set(decode_availability(encode_availability(list(slots))) or ())
    parts = {part.code: part for part in catalogue.DAY_PARTS}
    phrases = []
    for slot in slots:
        if slot not in known:
            continue
        day_code, part_code = slot.split("_")
        day = next(d for d in catalogue.DAYS if d.code == day_code)
        phrases.append(_("%(day)s %(parts)s", day=day_name(day),
                         parts=_(parts[part_code].plural)))
    if len(phrases) > limit:
        extra = len(phrases) - limit
        phrases = phrases[:limit] + [ngettext("%(num)d other time", "%(num)d other times",
                                              extra)]
    if len(phrases) <= 1:
        return "".join(phrases)
    return _("%(items)s and %(last)s", items=_(", ").join(phrases[:-1]), last=phrases[-1])


def availability(slots: Sequence[str]) -> str:
    """"can visit on Saturday afternoons"."""
    return _("can visit on %(slots)s", slots=describe_slots(slots))


def capacity(remaining: int) -> str:
    """"has capacity for 2 more visits a month"."""
    return ngettext("has capacity for %(num)d more visit a month",
                    "has capacity for %(num)d more visits a month", remaining)


def safeguarding_check(scheme: str | None, status: str, expires_on: str | None) -> str:
    """"DBS check expired on 3 March 2026: needed to visit in person" (or not recorded, or
    applied for)."""
    scheme = scheme or _("safeguarding")
    if status == "expired" and expires_on:
        return _("%(scheme)s check expired on %(date)s: needed to visit in person",
                 scheme=scheme, date=long_date(expires_on))
    if status == "expired":
        return _("%(scheme)s check expired: needed to visit in person", scheme=scheme)
    if status == "pending":
        return _("%(scheme)s check applied for, not yet confirmed: needed to visit in person",
                 scheme=scheme)
    return _("no %(scheme)s check recorded: needed to visit in person", scheme=scheme)


def remote_while_restricted() -> str:
    return _("offers video calls or letters while visits are restricted")


def remote_while_closed() -> str:
    return _("offers video calls or letters while the home is closed to visitors")


def in_person_paused() -> str:
    return _("in-person visits paused while visits are restricted")


def home_restricted_remote() -> str:
    return _("visits are restricted: video calls or letters are welcome")


def home_closed_remote() -> str:
    return _("closed to visitors: video calls or letters only")


# One function per reason code, named after it (importing fails if a code has none).
RENDERERS: dict[str, Callable[..., str]] = {code: globals()[code] for code in CODES}


def render_reason(reason: Reason | Mapping[str, Any]) -> str:
    """One reason (a `Reason` or its ``{code, params}`` dict) as a sentence."""
    if not isinstance(reason, Reason):
        reason = Reason.from_dict(reason)
    return RENDERERS[reason.code](**reason.params)


def render_reasons(reasons: Iterable[Reason | Mapping[str, Any]]) -> list[str]:
    """Reasons as sentences, in order."""
    return [render_reason(r) for r in reasons]


def explanations(reasons: Iterable[Reason | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Reasons in their structured JSON form, ``[{code, params}]``."""
    return [r.to_dict() if isinstance(r, Reason) else dict(r) for r in reasons]


def with_reasons(match: dict[str, Any]) -> dict[str, Any]:
    """A match dict from the matching service (with ``explanations``) given its ``reasons``
    as sentences too; changes and returns ``match``."""
    match["reasons"] = render_reasons(match.get("explanations") or ())
    return match
