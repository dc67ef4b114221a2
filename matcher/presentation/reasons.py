"""The one place where the reasons for a match become English sentences.

The domain gives reasons as `Reason` values (a code and its parameters, see
`matcher.domain.ranking.explain`); the API, the pages and the CSV exports render them here.
Each code has one function, and each sentence is a format string with named parameters
passed through `_`, so that translation can later wrap every sentence (``_`` becomes the
request's gettext) without touching the callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..domain.geo import round_km
from ..domain.languages import language_name
from ..domain.ranking.explain import CODES, Reason
from ..domain.ranking.types import describe_slots
from .partner_card import long_date

__all__ = ["MAX_LISTED", "explanations", "format_km", "render_reason", "render_reasons",
           "with_reasons"]

MAX_LISTED = 5


def _(message: str) -> str:
    """The translation seam: returns the English message for now."""
    return message


def _plural(count: int, one: str, other: str) -> str:
    return one if count == 1 else other


def _residents(count: int) -> str:
    return _plural(count, _("{count} resident"), _("{count} residents")).format(count=count)


def format_km(km) -> str:
    """A distance as people see it everywhere (card, reasons, exports): the figure of
    `round_km` (0.1 km), without a trailing ".0": "2.3 km", "10 km", "under 100 m"."""
    shown = round_km(km)
    if shown < 0.1:
        return _("under 100 m")
    return _("{km} km").format(km=f"{shown:.1f}".removesuffix(".0"))


def distance(km: float) -> str:
    """"2.3 km away"; "under 100 m away" when very close."""
    return _("{distance} away").format(distance=format_km(km))


def shared_interests(interests: Sequence[str], via: Sequence[str | None] | None = None) -> str:
    """"shares interests: Welsh hymns — male voice choir, sing-alongs" (each interest with
    the partner's activity that serves it where given; long lists end "and N more")."""
    via = list(via or ()) + [None] * (len(interests) - len(via or ()))
    phrases = [_("{interest} — {via}").format(interest=item, via=how) if how else item
               for item, how in zip(interests, via, strict=False)]
    listed = _(", ").join(phrases[:MAX_LISTED])
    if len(interests) > MAX_LISTED:
        return _("shares interests: {listed} and {more} more").format(
            listed=listed, more=len(interests) - MAX_LISTED)
    return _("shares interests: {listed}").format(listed=listed)


def shared_language(language: str, residents: int) -> str:
    """"speaks Polish, like 6 residents"."""
    return _("speaks {language}, like {residents}").format(
        language=language_name(language), residents=_residents(residents))


def residents_speak(language: str, residents: int) -> str:
    """Reverse matching: "6 residents speak Polish"."""
    sentence = _plural(residents, _("{residents} speaks {language}"),
                       _("{residents} speak {language}"))
    return sentence.format(residents=_residents(residents), language=language_name(language))


def availability(slots: Sequence[str]) -> str:
    """"can visit on Saturday afternoons"."""
    return _("can visit on {slots}").format(slots=describe_slots(slots))


def capacity(remaining: int) -> str:
    """"has capacity for 2 more visits a month"."""
    sentence = _plural(remaining, _("has capacity for {remaining} more visit a month"),
                       _("has capacity for {remaining} more visits a month"))
    return sentence.format(remaining=remaining)


def safeguarding_check(scheme: str | None, status: str, expires_on: str | None) -> str:
    """"DBS check expired on 3 March 2026: needed to visit in person" (or not recorded, or
    applied for)."""
    scheme = scheme or _("safeguarding")
    if status == "expired" and expires_on:
        sentence = _("{scheme} check expired on {date}: needed to visit in person")
    elif status == "expired":
        sentence = _("{scheme} check expired: needed to visit in person")
    elif status == "pending":
        sentence = _("{scheme} check applied for, not yet confirmed: needed to visit in person")
    else:
        sentence = _("no {scheme} check recorded: needed to visit in person")
    return sentence.format(scheme=scheme, date=long_date(expires_on))


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
