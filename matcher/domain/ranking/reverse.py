"""Reverse matching: the care homes that would best welcome a partner.

Uses the scoring model of `components` (the same component functions and weighted sum as
home -> partners) and the partners' TF-IDF vocabulary; homes are few (~17,000 in the UK),
so they are kept in plain arrays and scanned with numpy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from .. import catalogue, safeguarding
from ..geo import limit_km
from ..interests import mask_to_words
from ..languages import canonical_tag, is_english
from . import components as comp
from . import coverage, explain
from .features import km_for_chord2, unit_vectors
from .types import Home, HomeMatch, Partner, encode_availability

VISITING = catalogue.codes(catalogue.VISITING_STATUSES)


def fit_homes(ranker, homes: Sequence[Home]) -> dict:
    """The arrays `rank_homes` reads for ``homes`` (held as ``ranker.homes_``)."""
    homes = list(homes)
    n = len(homes)
    lat = np.array([h.lat for h in homes], dtype=np.float64)
    lon = np.array([h.lon for h in homes], dtype=np.float64)
    x, y, z = unit_vectors(lat, lon)
    with ranker._lock:
        covers = [ranker._home_items(h) for h in homes]
    n_words = ranker.taxonomy_.concept_words
    item_home = np.repeat(np.arange(n, dtype=np.int64), [len(c) for c in covers])
    items = [item for c in covers for item in c.items]

    def word_major(parts) -> np.ndarray:
        parts = [p for p in parts if len(p)]
        table = np.concatenate(parts) if parts else np.zeros((0, n_words), np.uint64)
        return np.ascontiguousarray(table.T)

    each = [part for c in covers for part in c.each]
    n_parts = np.array([len(p) if i.by_concepts else 0 for p, i in zip(each, items, strict=True)],
                       dtype=np.int64)
    kept = [p for p, i in zip(each, items, strict=True) if i.by_concepts]

    def csr(lists) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([s for one in lists for s in one], dtype=np.int64),
                np.array([len(one) for one in lists], dtype=np.int64))
    index = {t: i for i, t in enumerate(ranker.lang_tags_)}
    lang_rows, lang_cols, lang_vals = [], [], []
    english_only = np.zeros(n, dtype=bool)
    for r, home in enumerate(homes):
        others = [(t, c) for t, c in home.language_counts() if c > 0 and not is_english(t)]
        total = sum(c for _, c in others)
        english_only[r] = total == 0
        for tag, count in others:
            if tag not in index:
                index[tag] = len(ranker.lang_tags_)
                ranker.lang_tags_.append(tag)
            lang_rows.append(r)
            lang_cols.append(index[tag])
            lang_vals.append(count / total)
    languages = sp.csc_matrix((lang_vals, (lang_rows, lang_cols)),
                              shape=(n, max(len(ranker.lang_tags_), 1)))
    status = []
    for h in homes:
        s = str(h.visiting_status or "open").strip().lower()
        status.append(VISITING.index(s) if s in VISITING else 0)
    return {
        "homes": homes,
        "ids": np.array([h.id for h in homes], dtype=np.int64),
        "x": x, "y": y, "z": z,
        "radius": np.array([float(h.search_radius_km or 0.0) for h in homes]),
        "item_home": item_home,
        "n_items": np.array([len(c) for c in covers], dtype=np.float64),
        "part_item": np.repeat(np.arange(len(items), dtype=np.int64), n_parts),
        "n_parts": n_parts,
        "parts": word_major(kept),
        "item_partial": word_major([c.partial for c in covers]),
        "stems": csr([i.stems for i in items]),
        "extra_stems": csr([i.extra_stems for i in items]),
        "languages": languages,
        "english_only": english_only,
        "language_factor": np.array([comp.language_factor(h.non_english_share(),
                                                          h.has_dementia_care)
                                     for h in homes], dtype=np.float64),
        "avail": np.array([encode_availability(h.availability) for h in homes], np.uint32),
        "status": np.array(status, dtype=np.int8),
    }


def rank_homes(ranker, partner: Partner, k: int, weights, today: dt.date) -> list[HomeMatch]:
    """See `Ranker.rank_homes`."""
    if ranker.homes_ is None:
        raise NotFittedError("call fit_homes(homes) before rank_homes")
    H = ranker.homes_
    if len(H["ids"]) == 0 or k <= 0:
        return []
    used = comp.resolve_weights(ranker.weights_, weights)
    w = comp.weight_vector(used)
    px, py, pz = (float(v) for v in unit_vectors(partner.lat, partner.lon))
    dot = H["x"] * px + H["y"] * py + H["z"] * pz
    dist = km_for_chord2(np.maximum(2.0 - 2.0 * dot, 0.0))
    reach = np.minimum(H["radius"], float(partner.travel_radius_km or 0.0))
    # Both radii compare the distance as shown (to 0.1 km), as in home -> partners.
    ok = dist <= limit_km(reach)
    remote = bool(partner.offers_remote)
    if not remote:
        ok &= H["status"] != VISITING.index("closed")
    sel = np.flatnonzero(ok)
    if len(sel) == 0:
        return []
    with ranker._lock:
        counts, _, text_concepts = ranker.analyser_.analyse_one(partner.text, with_concepts=True)
    concepts = coverage.partner_concepts(ranker.taxonomy_, text_concepts,
                                         [canonical_tag(t) for t in partner.languages or ()])
    stems = set(counts)
    d = dist[sel]
    comp_d = comp.distance(d, reach[sel])
    comp_i, serves = _coverage(H, concepts, stems, ranker.taxonomy_.concept_words)
    comp_i, serves = comp_i[sel], serves[sel]
    index = {t: i for i, t in enumerate(ranker.lang_tags_)}
    spoken = sorted({index[t] for t in map(canonical_tag, partner.languages or ())
                     if t in index})
    comp_l = np.zeros(len(sel))
    if spoken:
        comp_l = comp.language(np.asarray(H["languages"][:, spoken].sum(axis=1)).ravel()[sel])
    comp_a = comp.availability(H["avail"][sel], encode_availability(partner.availability))
    cap = -1 if partner.capacity_per_month is None else int(partner.capacity_per_month)
    comp_c = np.full(len(sel), float(comp.capacity(cap, partner.active_introductions or 0)))
    # One row of weights per home: English-only homes leave the language weight out, the
    # others weigh it by need.
    rows = comp.weight_vector(used, H["english_only"][sel], H["language_factor"][sel])
    components = dict(distance=comp_d, interests=comp_i, language=comp_l,
                      availability=comp_a, capacity=comp_c)
    score = comp.score(rows, components)
    # The partner's check, needed or not by each home's visiting status (as home -> partners).
    status_names = [VISITING[int(s)] for s in H["status"][sel].tolist()]
    checks = {name: safeguarding.judge(
        partner.safeguarding_scheme, partner.safeguarding_status,
        partner.safeguarding_expires_on, today, safeguarding.needed(name, remote))
        for name in set(status_names)}
    flagged = np.array([checks[name].flagged for name in status_names], dtype=bool)
    key = score * np.where(flagged, safeguarding.FACTOR, 1.0)  # the order, not the score
    comps = np.stack([components[name] for name in comp.COMPONENTS], axis=1)
    relevant = ((w[comp.INTERESTS] > 0) & serves) | ((w[comp.LANGUAGE] > 0) & (comp_l > 0))
    paused = (H["status"][sel] == VISITING.index("restricted")) & (not remote)
    rank = key + relevant * 2.0 + (~paused) * 4.0
    order = np.lexsort((H["ids"][sel], d, -rank))[: int(k)]
    matches = []
    for i in order.tolist():
        r = int(sel[i])
        matches.append(explain.home_match(
            ranker, partner, H["homes"][r], VISITING[int(H["status"][r])], comps[i],
            float(score[i]), float(d[i]), bool(paused[i]), stems, concepts, int(H["avail"][r]),
            checks[VISITING[int(H["status"][r])]]))
    return matches


def _coverage(H: dict, concepts: int, stems: set[int], n_words: int):
    """The interests component of every home for one partner (the rule of `coverage`), and
    whether the partner serves any of the home's interests."""
    n_homes = len(H["ids"])
    if len(H["item_home"]) == 0:
        return np.zeros(n_homes), np.zeros(n_homes, dtype=bool)
    words = mask_to_words(concepts, n_words)

    def hits(table: np.ndarray) -> np.ndarray:
        out = np.zeros(table.shape[1], dtype=bool)
        for w, value in enumerate(words):
            if value:
                out |= (table[w] & np.uint64(value)) != 0
        return out

    n_items = len(H["n_parts"])
    spoken = np.fromiter(stems, dtype=np.int64, count=len(stems))

    def contains(table) -> np.ndarray:
        """Per item: all its stems (of ``table``, CSR) among the partner's."""
        flat, lengths = table
        present = np.isin(flat, spoken) if len(flat) else np.zeros(0, dtype=bool)
        ends = np.cumsum(lengths)
        running = np.concatenate(([0], np.cumsum(present)))
        return (running[ends] - running[ends - lengths]) == lengths

    met = np.bincount(H["part_item"], weights=hits(H["parts"]), minlength=n_items)
    served = (H["n_parts"] > 0) & (met == H["n_parts"]) & contains(H["extra_stems"])
    served |= (H["stems"][1] > 0) & contains(H["stems"])
    partial = hits(H["item_partial"]) & ~served
    n_served = np.bincount(H["item_home"], weights=served, minlength=n_homes)
    n_partial = np.bincount(H["item_home"], weights=partial, minlength=n_homes)
    return comp.coverage_share(n_served, n_partial, H["n_items"]), n_served > 0
