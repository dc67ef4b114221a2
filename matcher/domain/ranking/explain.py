"""Why a partner suits a home: reasons as structured values (a code and its parameters).

Reasons are built only for the few matches that are shown. They carry no wording: the edge
(pages, API, CSV) turns them into sentences with `matcher.presentation.reasons`, so that each
sentence can be translated. Codes and their parameters:

- ``distance`` {km}: how far apart (both directions);
- ``shared_interests`` {interests, via}: the home's interests the partner serves (both
  directions), and for each the partner's concept that serves it where that adds something
  (``via``, same order, None where the partner names the interest itself), e.g. "Welsh
  hymns" via "male voice choir";
- ``shared_language`` {language (tag), residents}: the partner speaks the language of that
  many residents; ``residents_speak`` the same seen from a partner (reverse matching);
- ``availability`` {slots}: the slots (e.g. ``"sat_pm"``) both can meet in (both);
- ``capacity`` {remaining}: visits a month the partner still has free;
- ``safeguarding_check`` {scheme, status, expires_on}: the visit needs a check (DBS, PVG,
  AccessNI) and the partner has no valid one: ``status`` is ``expired`` (on ``expires_on``,
  an ISO date), ``pending`` or ``none``; ``scheme`` is the partner's, else the home's
  nation's (both directions);
- visiting status, no parameters: ``remote_while_restricted``, ``remote_while_closed`` and
  ``in_person_paused`` (home -> partners; ``in_person_paused`` also in reverse),
  ``home_restricted_remote`` and ``home_closed_remote`` (partner -> homes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .. import catalogue, safeguarding
from ..interests import words_to_mask
from ..languages import canonical_tag
from . import coverage
from .grid import REMOTE, UNKNOWN, Segment, present
from .types import (
    COMPONENTS,
    Home,
    HomeMatch,
    Match,
    Partner,
    decode_availability,
    encode_availability,
)

__all__ = ["CODES", "Reason"]


@dataclass(frozen=True)
class Reason:
    """One reason a match was suggested: a ``code`` (see the module docstring) and the
    ``params`` its sentence needs. Treat ``params`` as read-only."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``{code, params}``."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        """The reason `to_dict` gave."""
        return cls(str(data["code"]), dict(data.get("params") or {}))

    __hash__ = None  # params is a dict



REMOTE_WHILE_RESTRICTED = Reason("remote_while_restricted")
REMOTE_WHILE_CLOSED = Reason("remote_while_closed")
IN_PERSON_PAUSED = Reason("in_person_paused")
HOME_RESTRICTED_REMOTE = Reason("home_restricted_remote")
HOME_CLOSED_REMOTE = Reason("home_closed_remote")


def distance(km: float) -> Reason:
    return Reason("distance", {"km": float(km)})


def shared_interests(shared: Sequence[str], via: Sequence[str | None] | None = None) -> Reason:
    """The home's interests ``shared`` that the partner serves, each ``via`` a concept of
    the partner's (None: the partner names it)."""
    via = list(via) if via is not None else [None] * len(shared)
    return Reason("shared_interests", {"interests": list(shared), "via": via})


def shared_language(tag: str, residents: int) -> Reason:
    """The partner speaks a language of ``residents`` residents."""
    return Reason("shared_language", {"language": tag, "residents": int(residents)})


def residents_speak(tag: str, residents: int) -> Reason:
    """Reverse matching: ``residents`` residents of the home speak the partner's language."""
    return Reason("residents_speak", {"language": tag, "residents": int(residents)})


@lru_cache(maxsize=8192)
def _slots(mask: int) -> tuple[str, ...]:
    # Schedules repeat endlessly across partners; decode each one once.
    return tuple(decode_availability(mask))


def availability(mask: int) -> Reason:
    """Both can meet in the slots of ``mask`` (a known, non-empty schedule)."""
    return Reason("availability", {"slots": list(_slots(int(mask)))})


def capacity(remaining: int) -> Reason:
    return Reason("capacity", {"remaining": int(remaining)})


def safeguarding_check(check: safeguarding.Check, scheme: str | None) -> Reason:
    """The visit needs a check the partner does not have (``scheme``: the one expected)."""
    return Reason("safeguarding_check", {
        "scheme": check.scheme or scheme, "status": check.status,
        "expires_on": check.expires_on.isoformat() if check.expires_on else None})


# Every code: the builders are named after theirs.
CODES = tuple(f.__name__ for f in (distance, shared_interests, shared_language,
                                    residents_speak, availability, capacity,
                                    safeguarding_check)) + tuple(
    r.code for r in (REMOTE_WHILE_RESTRICTED, REMOTE_WHILE_CLOSED, IN_PERSON_PAUSED,
                     HOME_RESTRICTED_REMOTE, HOME_CLOSED_REMOTE))


# ------------------------------------------------------------------------- shared interests
def shared_interest_pairs(ranker, cover, concepts: int, present_cols: set[int]
                          ) -> list[tuple[str, str | None]]:
    """The home's interests the partner serves (the same rule as the score, see `coverage`),
    each with the partner's concept that serves it where that adds something."""
    def names(item, extra: bool) -> bool:
        cols = item.extra_cols if extra else item.exact_cols
        return bool(cols) and min(cols) >= 0 and present_cols.issuperset(cols)

    return coverage.shared(ranker.taxonomy_, cover, concepts, names)


# -------------------------------------------------------------------------- home -> partners
def explain_matches(ranker, q, chosen) -> list[Match]:
    """Matches with reasons for the chosen candidates; array look-ups are batched per
    segment and the per-match work is plain Python on lists."""
    groups: dict[int, tuple[Segment, dict, list[int], list[int]]] = {}
    for slot, ((seg, result), i) in enumerate(chosen):
        group = groups.setdefault(id(seg), (seg, result, [], []))
        group[2].append(slot)
        group[3].append(i)
    lang_ids = [i for _, i, _ in q.explain_langs]
    cols = q.cover.explain_cols
    rows: list = [None] * len(chosen)
    for seg, result, slots, local in groups.values():
        idx = np.array(local, dtype=np.int64)
        p = result["pos"][idx]
        fields = {
            "terms": present(seg.tf_keys, seg.n, cols, p).T.tolist(),
            "langs": present(seg.lang_keys, seg.n, lang_ids, p).T.tolist(),
            "id": seg.ids[p].tolist(),
            "dist": result["dist"][idx].tolist(),
            "score": result["score"][idx].tolist(),
            "comps": np.stack([c[idx] for c in result["components"]], axis=1).tolist(),
            "remote": ((seg.flags[p] & REMOTE) > 0).tolist(),
            "con": seg.con[:, p].T.tolist(),
            "avail": seg.avail[p].tolist(),
            "capacity": seg.capacity[p].tolist(),
            "active": seg.active[p].tolist(),
            "kind": seg.kind[p].tolist(),
            "name": [seg.name(x) for x in p.tolist()],
            "town": seg.town[p].tolist(),
            "lat": seg.lat[p].tolist(),
            "lon": seg.lon[p].tolist(),
            "check": seg.check[p].tolist(),
            "check_until": seg.check_until[p].tolist(),
        }
        for j, slot in enumerate(slots):
            rows[slot] = (fields, j)
    return [_match(ranker, q, cols, fields, j) for fields, j in rows]


def _match(ranker, q, cols: list[int], f: dict, j: int) -> Match:
    dist = f["dist"][j]
    remote = f["remote"][j]
    reasons = [distance(dist)]
    paused = False
    if q.status == "restricted":
        paused = not remote
        reasons.insert(0, IN_PERSON_PAUSED if paused else REMOTE_WHILE_RESTRICTED)
    elif q.status == "closed":
        reasons.insert(0, REMOTE_WHILE_CLOSED)
    present_cols = {c for c, yes in zip(cols, f["terms"][j], strict=True) if yes}
    pairs = shared_interest_pairs(ranker, q.cover, words_to_mask(f["con"][j]), present_cols)
    shared = [item for item, _ in pairs]
    if pairs:
        reasons.append(shared_interests(shared, [via for _, via in pairs]))
    shared_langs = []
    for (tag, _, count), spoken in zip(q.explain_langs, f["langs"][j], strict=True):
        if spoken:
            shared_langs.append(tag)
            reasons.append(shared_language(tag, count))
    pa = f["avail"][j]
    if not (pa | q.avail) & int(UNKNOWN) and pa & q.avail:
        reasons.append(availability(pa & q.avail))
    remaining = f["capacity"][j] - f["active"][j]
    if f["capacity"][j] > 0 and remaining > 0:
        reasons.append(capacity(remaining))
    check = safeguarding.judge_code(f["check"][j], f["check_until"][j], q.today,
                                    safeguarding.needed(q.status, remote))
    if check.flagged:
        reasons.append(safeguarding_check(check, q.scheme))
    kind = f["kind"][j]
    return Match(
        partner_id=f["id"][j],
        name=f["name"][j],
        kind=ranker.kind_labels_[kind] if kind < len(ranker.kind_labels_) else "other",
        score=f["score"][j],
        distance_km=dist,
        components=dict(zip(COMPONENTS, f["comps"][j], strict=True)),
        reasons=reasons,
        in_person_paused=paused,
        shared_interests=shared,
        shared_languages=shared_langs,
        offers_remote=remote,
        town=ranker._town(f["town"][j]),
        lat=f["lat"][j],
        lon=f["lon"][j],
        safeguarding=check,
    )


# -------------------------------------------------------------------------- partner -> homes
def home_reasons(ranker, partner: Partner, home: Home, status: str, paused: bool,
                 dist: float, stems: set[int], concepts: int, home_avail: int
                 ) -> tuple[list[Reason], list[str], list[str]]:
    """Reasons a home suits a partner, with the shared interests and languages; ``stems``
    are the partner's (analyser stem ids) and ``concepts`` its concept mask."""
    q = ranker._prepare(home, None, {"radius_km": max(float(home.search_radius_km or 0), 1e-3)})
    reasons = [distance(dist)]
    if status == "restricted":
        reasons.insert(0, IN_PERSON_PAUSED if paused else HOME_RESTRICTED_REMOTE)
    elif status == "closed":
        reasons.insert(0, HOME_CLOSED_REMOTE)
    pairs = coverage.shared(ranker.taxonomy_, q.cover, concepts,
                            lambda item, extra: stems.issuperset(item.extra_stems) if extra
                            else bool(item.stems) and stems.issuperset(item.stems))
    shared = [item for item, _ in pairs]
    if pairs:
        reasons.append(shared_interests(shared, [via for _, via in pairs]))
    spoken = {canonical_tag(t) for t in partner.languages or ()}
    shared_langs = [t for t, _ in q.lang_counts if t in spoken]
    counts = dict(q.lang_counts)
    for tag in shared_langs:
        reasons.append(residents_speak(tag, counts[tag]))
    pa = encode_availability(partner.availability)
    if not (pa & int(UNKNOWN)) and not (home_avail & int(UNKNOWN)) and pa & home_avail:
        reasons.append(availability(pa & home_avail))
    return reasons, shared, shared_langs


def home_match(ranker, partner: Partner, home: Home, status: str, comps, score: float,
               dist: float, paused: bool, stems: set[int], concepts: int, home_avail: int,
               check: safeguarding.Check | None = None) -> HomeMatch:
    """A `HomeMatch` with its reasons (``check``: the partner's, judged for this home)."""
    reasons, shared, shared_langs = home_reasons(ranker, partner, home, status, paused, dist,
                                                 stems, concepts, home_avail)
    if check is not None and check.flagged:
        reasons.append(safeguarding_check(
            check, catalogue.SCHEME_FOR_NATION.get(home.nation or "") or None))
    return HomeMatch(
        home_id=int(home.id), name=home.name, score=score, distance_km=dist,
        components={name: float(v) for name, v in zip(COMPONENTS, comps, strict=True)},
        reasons=reasons, in_person_paused=paused, shared_interests=shared,
        shared_languages=shared_langs, visiting_status=status, town=home.town,
        safeguarding=check,
    )
