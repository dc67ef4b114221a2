"""Candidate search and scoring for one home: the partners within both radii, scored.

In dense places (a city, thousands of contenders) candidates are first ranked by an upper
bound on their score (distance and availability at their best); only those whose bound
reaches the k-th score found among the best of them are scored in full. This is exact.

Ordering (`top`): tiers first, then score (times `check_factor`: partners without a
safeguarding check a visit needs come after otherwise equal ones, also where scores are 0),
distance and partner id.
The tier holds (1) when visits are restricted, partners offering video calls or letters;
(2) partners serving one of the home's interests or sharing a language (with a positive
weight), so distance only orders partners that are otherwise alike. Scores are therefore not
always descending down the list. With every weight 0 every score is 0 and no partner is in
tier (2): remote partners first when visits are restricted, then those with the checks a
visit needs, then nearest first, then the lowest partner id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import safeguarding
from . import components as comp
from .coverage import HomeItems, exact_from_postings, served_matrix
from .features import km_for_chord2
from .grid import ALIVE, APPROVED, CAPACITY_OK, ELIGIBLE, REMOTE, UNKNOWN, Segment, scatter
from .types import Home

# Above this many contenders (beyond 4k) scoring starts from an upper bound (see score_segment).
_REFINE_AFTER = 1000


@dataclass
class Query:
    """Everything about one home that scoring needs, prepared once per request."""

    home: Home
    radius: float
    xyz: tuple[float, float, float]
    c2: float
    lo_keys: np.ndarray
    hi_keys: np.ndarray
    cover: HomeItems
    lang_ids: np.ndarray
    lang_w: np.ndarray
    lang_counts: list[tuple[str, int]]
    english_only: bool
    avail: int
    avail_n: int
    weights: np.ndarray
    weight_sum: float
    status: str
    status_bits: np.uint8
    kind_ok: np.ndarray | None
    filter_langs: np.ndarray | None
    explain_langs: list[tuple[str, int, int]]  # (tag, code, residents)
    today: int = 0  # the day checks are judged on (`safeguarding.ordinal`)
    scheme: str | None = None  # the check scheme of the home's nation


def score_segment(seg: Segment, q: Query, k: int):
    """Candidates of one segment that could reach the top ``k``, with their components."""
    starts = np.searchsorted(seg.key, q.lo_keys)
    ends = np.searchsorted(seg.key, q.hi_keys)
    nonempty = ends > starts
    starts, ends = starts[nonempty], ends[nonempty]
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return None
    offsets = np.cumsum(lengths) - lengths
    spans = list(zip(starts.tolist(), ends.tolist(), strict=True))

    def take(array):
        # Candidates are a few contiguous runs: slicing beats a fancy-index gather.
        if len(spans) == 1:
            return array[spans[0][0]:spans[0][1]]
        return np.concatenate([array[a:b] for a, b in spans])

    geo = take(seg.geo)
    dot = geo[:, 0] * q.xyz[0]
    dot += geo[:, 1] * q.xyz[1]
    dot += geo[:, 2] * q.xyz[2]
    # Within both radii: the dot product of unit vectors is at least both limits.
    ok = dot >= np.maximum(geo[:, 3], 1.0 - 0.5 * q.c2)
    flags = take(seg.flags)
    if q.status_bits == APPROVED:
        ok &= (flags & ELIGIBLE) == ELIGIBLE
    else:
        ok &= (flags & (ALIVE | CAPACITY_OK)) == (ALIVE | CAPACITY_OK)
        ok &= (flags & q.status_bits) > 0
    if q.status == "closed":
        ok &= (flags & REMOTE) > 0
    if q.kind_ok is not None:
        kinds = take(seg.kind)
        inside = kinds < len(q.kind_ok)
        ok &= inside & q.kind_ok[np.where(inside, kinds, 0)]
    if q.filter_langs is not None:
        spoken = scatter(seg.lang_keys, None, seg.n, q.filter_langs,
                          np.ones(len(q.filter_langs)), starts, offsets, ends, total)
        if spoken is None:
            return None
        ok &= spoken > 0
    sel = np.flatnonzero(ok)
    if len(sel) == 0:
        return None
    c2 = np.maximum(2.0 - 2.0 * dot[sel], 0.0)  # squared chords, for the selected only
    w = q.weights
    lang = None
    if w[comp.LANGUAGE] > 0 and len(q.lang_ids):
        lang = scatter(seg.lang_keys, None, seg.n, q.lang_ids, q.lang_w,
                        starts, offsets, ends, total)
    # Tiers first (cheap): a candidate in a higher tier beats every lower one, so only
    # the tiers holding the top k need their full scores.
    run = np.searchsorted(offsets, sel, side="right") - 1
    p = sel + (starts - offsets)[run]
    relevant = np.zeros(len(sel), dtype=bool)
    comp_i = np.zeros(len(sel))
    if w[comp.INTERESTS] > 0 and len(q.cover):
        con = [take(word)[sel] for word in seg.con]
        exact = exact_from_postings(seg.tf_keys, seg.n, starts, offsets, ends, total, sel)
        served, partial = served_matrix(con, q.cover, exact, len(sel))
        comp_i = comp.interests(served, partial)
        relevant |= served.any(axis=1)
    if lang is not None:
        relevant |= lang[sel] > 0
    tier = relevant.astype(np.int8) * np.int8(2)
    remote = (flags[sel] & REMOTE) > 0
    if q.status == "restricted":
        tier += remote.astype(np.int8) * np.int8(4)
    if len(sel) > k:
        by_tier = np.bincount(tier, minlength=7)
        from_top = np.cumsum(by_tier[::-1])[::-1]
        threshold = int(np.flatnonzero(from_top >= k)[-1])
        if threshold > 0:
            keep = np.flatnonzero(tier >= threshold)
            sel, p, tier, remote, c2 = sel[keep], p[keep], tier[keep], remote[keep], c2[keep]
            comp_i = comp_i[keep]
    comp_l = np.zeros(len(sel)) if lang is None else comp.language(lang[sel])
    comp_c = seg.cap_comp[p].astype(np.float64)  # comp.capacity, computed when indexed
    partial = comp.partial_score(w, comp_i, comp_l, comp_c)
    known_avail = not q.avail & int(UNKNOWN)
    if len(sel) > 4 * k + _REFINE_AFTER:
        # Many close contenders (a city): score the best by an upper bound first (distance
        # and availability at their best), then keep only candidates whose bound reaches
        # the k-th score found. Exact: a true top-k candidate's bound is at least that.
        best_a = 1.0 if known_avail else 0.5
        bound = tier + (partial + w[comp.DISTANCE] + w[comp.AVAILABILITY] * best_a) / q.weight_sum
        best = np.argpartition(-bound, 4 * k)[: 4 * k]
        rank_best = tier[best] + (finish(seg, q, c2[best], p[best], partial[best])[0]
                                  * check_factor(seg, q, p[best]))
        kth = -np.partition(-rank_best, k - 1)[k - 1]
        keep = np.flatnonzero(bound >= kth - 1e-9)
        sel, p, tier, remote, c2 = sel[keep], p[keep], tier[keep], remote[keep], c2[keep]
        comp_i, comp_l, comp_c, partial = comp_i[keep], comp_l[keep], comp_c[keep], \
            partial[keep]
    score, dist, comp_d, comp_a = finish(seg, q, c2, p, partial)
    factor = np.broadcast_to(check_factor(seg, q, p), score.shape)
    return {
        "pos": p, "ids": seg.ids[p], "dist": dist, "score": score,
        "rank": tier + score * factor, "unchecked": factor < 1.0,
        "components": (comp_d, comp_i, comp_l, comp_a, comp_c), "remote": remote,
    }


def finish(seg: Segment, q: Query, c2: np.ndarray, p: np.ndarray, partial: np.ndarray):
    """Scores from the distance-free ``partial`` sum: adds distance and availability."""
    dist = km_for_chord2(c2)
    comp_d = comp.distance(dist, np.minimum(seg.travel[p], q.radius))
    comp_a = comp.availability(seg.avail[p], q.avail, seg.avail_n[p])
    score = comp.finish_score(q.weights, partial, comp_d, comp_a, q.weight_sum)
    return score, dist, comp_d, comp_a


def check_factor(seg: Segment, q: Query, p: np.ndarray) -> np.ndarray | float:
    """`safeguarding.factor` of candidates ``p``: below 1 where a visit needs a check and the
    partner has no valid one on ``q.today``. It scales the score in the ordering key (not the
    score shown), before the top k, so the order is right; the score bounds of
    `score_segment` stay upper bounds."""
    if q.status == "closed":  # remote only: no check needed
        return 1.0
    # `safeguarding.needed_many` and `safeguarding.factor`, with fewer temporaries.
    fine = seg.valid_until[p] >= q.today
    if q.status == "restricted":
        fine |= (seg.flags[p] & REMOTE) > 0
    return np.where(fine, 1.0, safeguarding.FACTOR)


def top(parts: list[tuple[Segment, dict]], k: int):
    """The best ``k`` (segment result, index) pairs over all segments, in the final order."""
    if not parts:
        return []
    ranks = np.concatenate([r["rank"] for _, r in parts])
    dist = np.concatenate([r["dist"] for _, r in parts])
    ids = np.concatenate([r["ids"] for _, r in parts])
    # Where ranks tie (a score of 0 is not lowered by the check), a partner without a
    # needed check still comes after one with it.
    unchecked = np.concatenate([r["unchecked"] for _, r in parts])
    where = np.concatenate([np.full(len(r["pos"]), i) for i, (_, r) in enumerate(parts)])
    local = np.concatenate([np.arange(len(r["pos"])) for _, r in parts])
    if len(ranks) > k:
        cut = -np.partition(-ranks, k - 1)[k - 1]
        keep = np.flatnonzero(ranks >= cut)
    else:
        keep = np.arange(len(ranks))
    order = keep[np.lexsort((ids[keep], dist[keep], unchecked[keep], -ranks[keep]))][:k]
    return [(parts[where[i]], int(local[i])) for i in order]
