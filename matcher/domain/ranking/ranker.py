"""The Ranker: approved partners near a care home, scored, explained and ordered.

How it works
------------
``fit`` sorts partners into a latitude/longitude grid (cells of ``cell_deg`` degrees) so the
partners of one grid row form a contiguous slice; a home's search circle becomes a handful of
index ranges, found with binary search (measured several times faster than a k-d tree's
ball query, and it keeps the ranges useful for the steps below). Exact distances come from
3-D unit vectors (chord length, converted to great-circle km), so no trigonometry per partner.

Interest and language features are stored as sorted "posting" keys ``column * n + position``:
a home's few TF-IDF terms and languages are looked up for its ranges with one
`np.searchsorted` each, so the work grows with the matching partners, not with the vocabulary
or the length of their descriptions.

Scoring (every component in [0, 1]):
- distance: ``1 - d / r`` where ``r`` is the smaller of the home's search radius and the
  partner's travel radius (hard limits: beyond either the partner is not a candidate);
- interests: ``1 - (1 - tfidf) * (1 - taxonomy)``: cosine of TF-IDF vectors (interests and
  description) combined with the cosine of taxonomy category sets, so "singing" meets "choir";
- language: of the residents whose language is not English, the share whose language the
  partner speaks. Homes with only English (or no languages recorded) get 0 for everyone and
  the language weight is left out of the sum, i.e. spread proportionally over the others;
- availability: shared slots / the smaller of the two schedules; 0.5 when either is unknown;
- capacity: remaining share of monthly capacity; 0.5 when unknown.
``score = sum(w * component) / sum(w)``.

Ordering: (1) when visits are restricted, partners offering video calls or letters first;
(2) partners sharing an interest or a language (with a positive weight) before those sharing
neither, so distance only orders partners that are otherwise alike; (3) score; (4) distance;
(5) partner id. Scores are therefore not always descending down the list. Closed homes only
see partners offering remote contact.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from ..interests import Taxonomy, clean_interests, is_stop_stem, stem, words
from ..languages import canonical_tag, is_english, language_name
from . import explain
from .features import (
    EARTH_RADIUS_KM,
    TextAnalyser,
    TfidfIndex,
    chord2_for_km,
    decode_blob,
    encode_blob,
    gather_ranges,
    km_for_chord2,
    take_blob,
    unit_vectors,
)
from .types import (
    AVAILABILITY_UNKNOWN,
    COMPONENTS,
    STATUSES,
    Filters,
    Home,
    HomeMatch,
    Match,
    Partner,
    PartnerTable,
    Weights,
    decode_availability,
    encode_availability,
)

__all__ = ["Ranker"]

FORMAT_VERSION = 1

_ALIVE = np.uint8(1)
_CAPACITY_OK = np.uint8(2)
_APPROVED = np.uint8(4)
_PENDING = np.uint8(8)
_REMOTE = np.uint8(16)
_UNKNOWN = np.uint32(AVAILABILITY_UNKNOWN)
_SLOT_BITS = np.uint32(int(AVAILABILITY_UNKNOWN) - 1)
_VISITING = ("open", "restricted", "closed")
_INV_SQRT = np.array([0.0] + [1.0 / math.sqrt(i) for i in range(1, 65)])

# Arrays of a segment saved by `Ranker.save`, with their dtypes.
_SEGMENT_ARRAYS = {
    "ids": np.int64, "id_order": np.int64, "key": np.int64, "lat": np.float64,
    "lon": np.float64, "x": np.float64, "y": np.float64, "z": np.float64,
    "travel": np.float64, "travel_c2": np.float64, "flags": np.uint8, "status": np.int8,
    "kind": np.int16, "cat": np.uint64, "cat_n": np.uint8, "avail": np.uint32,
    "avail_n": np.uint8, "capacity": np.int32, "active": np.int32, "cap_comp": np.float32,
    "tf_keys": np.int64, "tf_vals": np.float32, "lang_keys": np.int64,
    "names_blob": np.uint8, "names_off": np.int64,
}


def _grid_key(lat, lon, cell: float):
    ncols = int(math.ceil(360.0 / cell)) + 1
    row = np.floor((np.asarray(lat) + 90.0) / cell).astype(np.int64)
    col = np.floor((np.asarray(lon) + 180.0) / cell).astype(np.int64)
    return row * ncols + col


def _search_keys(lat: float, lon: float, radius_km: float, cell: float):
    """Grid keys bounding a circle: (lo, hi) arrays, one pair per row (and longitude span)."""
    ncols = int(math.ceil(360.0 / cell)) + 1
    angle = radius_km / EARTH_RADIUS_KM
    dlat = math.degrees(angle) + 1e-9
    lat_lo, lat_hi = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    spans: list[tuple[float, float]]
    cos_lat = math.cos(math.radians(lat))
    if lat_hi >= 90.0 or lat_lo <= -90.0 or angle >= math.pi / 2 or math.sin(angle) >= cos_lat:
        spans = [(-180.0, 180.0)]
    else:
        # Widest longitude difference of a spherical cap not containing a pole.
        dlon = math.degrees(math.asin(math.sin(angle) / cos_lat)) + 1e-9
        lo, hi = lon - dlon, lon + dlon
        if lo < -180.0:
            spans = [(-180.0, hi), (lo + 360.0, 180.0)]
        elif hi > 180.0:
            spans = [(lo, 180.0), (-180.0, hi - 360.0)]
        else:
            spans = [(lo, hi)]
    r0 = int(math.floor((lat_lo + 90.0) / cell))
    r1 = int(math.floor((lat_hi + 90.0) / cell))
    rows = np.arange(r0, r1 + 1, dtype=np.int64) * ncols
    los, his = [], []
    for a, b in spans:
        c0 = int(math.floor((a + 180.0) / cell))
        c1 = int(math.floor((b + 180.0) / cell))
        los.append(rows + c0)
        his.append(rows + c1 + 1)
    return np.concatenate(los), np.concatenate(his)


def _scatter(keys, vals, n, cols, weights, starts, offsets, ends, total):
    """Sum ``weights[c] * vals`` of posting keys ``c * n + pos`` over the candidate ranges.

    Returns an array over the concatenated ranges (length ``total``), or None if no hit.
    """
    if len(cols) == 0 or len(keys) == 0 or total == 0:
        return None
    base = np.asarray(cols, dtype=np.int64)[:, None] * n
    lo = np.searchsorted(keys, (base + starts[None, :]).ravel())
    hi = np.searchsorted(keys, (base + ends[None, :]).ravel())
    counts = hi - lo
    if not counts.any():
        return None
    idx = gather_ranges(lo, counts)
    shift = (base + (starts - offsets)[None, :]).ravel()
    where = keys[idx] - np.repeat(shift, counts)
    w = np.repeat(np.repeat(np.asarray(weights, dtype=np.float64), len(starts)), counts)
    if vals is not None:
        w = w * vals[idx]
    return np.bincount(where, weights=w, minlength=total)


def _present(keys, n, cols, positions) -> np.ndarray:
    """Boolean matrix (len(cols), len(positions)): does posting key ``col * n + pos`` exist."""
    if len(cols) == 0 or len(positions) == 0 or len(keys) == 0:
        return np.zeros((len(cols), len(positions)), dtype=bool)
    wanted = (np.asarray(cols, np.int64)[:, None] * n + np.asarray(positions)[None, :]).ravel()
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return (keys[at] == wanted).reshape(len(cols), len(positions))


# ------------------------------------------------------------------------------------ segment
@dataclass
class _Columns:
    """Partner columns with ranker-wide codes, ready to become a segment."""

    ids: np.ndarray
    names_blob: np.ndarray
    names_off: np.ndarray
    kind: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    travel: np.ndarray
    lang_indptr: np.ndarray
    lang: np.ndarray
    avail: np.ndarray
    capacity: np.ndarray
    active: np.ndarray
    remote: np.ndarray
    status: np.ndarray
    tfidf: sp.csr_matrix
    cat: np.ndarray

    def __len__(self):
        return len(self.ids)

    @staticmethod
    def concat(parts: Sequence[_Columns]) -> _Columns:
        parts = [p for p in parts if len(p)]
        blob_parts, off_parts, shift = [], [np.zeros(1, np.int64)], 0
        indptr_parts, lshift = [np.zeros(1, np.int64)], 0
        for p in parts:
            blob_parts.append(p.names_blob)
            off_parts.append(p.names_off[1:] + shift)
            shift += int(p.names_off[-1])
            indptr_parts.append(p.lang_indptr[1:] + lshift)
            lshift += int(p.lang_indptr[-1])

        def cat(name, dtype):
            arrays = [getattr(p, name) for p in parts]
            return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)

        n_cols = max((p.tfidf.shape[1] for p in parts), default=0)
        matrices = []
        for p in parts:
            m = p.tfidf.tocsr()
            matrices.append(sp.csr_matrix((m.data, m.indices, m.indptr), shape=(len(p), n_cols)))
        return _Columns(
            ids=cat("ids", np.int64),
            names_blob=np.concatenate(blob_parts) if blob_parts else np.zeros(0, np.uint8),
            names_off=np.concatenate(off_parts),
            kind=cat("kind", np.int16),
            lat=cat("lat", np.float64),
            lon=cat("lon", np.float64),
            travel=cat("travel", np.float64),
            lang_indptr=np.concatenate(indptr_parts),
            lang=cat("lang", np.int32),
            avail=cat("avail", np.uint32),
            capacity=cat("capacity", np.int32),
            active=cat("active", np.int32),
            remote=cat("remote", bool),
            status=cat("status", np.int8),
            tfidf=(sp.vstack(matrices, format="csr") if matrices
                   else sp.csr_matrix((0, n_cols), dtype=np.float32)),
            cat=cat("cat", np.uint64),
        )


class _Segment:
    """Partners sorted by grid cell, with the arrays a query needs (see module docstring)."""

    def __init__(self, arrays: Mapping[str, np.ndarray], cell: float):
        for name in _SEGMENT_ARRAYS:
            setattr(self, name, arrays[name])
        self.cell = cell
        self.n = len(self.ids)

    @classmethod
    def build(cls, cols: _Columns, cell: float) -> _Segment:
        n = len(cols)
        key = _grid_key(cols.lat, cols.lon, cell)
        # Ties within a cell are broken by id so the layout never depends on input order.
        order = np.lexsort((cols.ids, key))
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n, dtype=np.int64)
        a: dict[str, np.ndarray] = {"key": key[order], "ids": cols.ids[order]}
        a["id_order"] = np.argsort(a["ids"], kind="stable")
        a["lat"], a["lon"] = cols.lat[order], cols.lon[order]
        a["x"], a["y"], a["z"] = unit_vectors(a["lat"], a["lon"])
        a["travel"] = cols.travel[order]
        a["travel_c2"] = chord2_for_km(a["travel"])
        a["status"] = cols.status[order]
        a["capacity"], a["active"] = cols.capacity[order], cols.active[order]
        remaining = a["capacity"] - a["active"]
        flags = np.full(n, _ALIVE, dtype=np.uint8)
        flags[(a["capacity"] < 0) | (remaining > 0)] |= _CAPACITY_OK
        flags[a["status"] == STATUSES.index("approved")] |= _APPROVED
        flags[a["status"] == STATUSES.index("pending")] |= _PENDING
        flags[cols.remote[order]] |= _REMOTE
        a["flags"] = flags
        a["kind"] = cols.kind[order]
        a["cat"] = cols.cat[order]
        a["cat_n"] = np.bitwise_count(a["cat"]).astype(np.uint8)
        a["avail"] = cols.avail[order]
        a["avail_n"] = np.bitwise_count(a["avail"] & _SLOT_BITS).astype(np.uint8)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.clip(remaining / np.maximum(a["capacity"], 1), 0.0, 1.0)
        a["cap_comp"] = np.where(a["capacity"] < 0, 0.5, share).astype(np.float32)
        a["names_blob"], a["names_off"] = take_blob(cols.names_blob, cols.names_off, order)
        csc = cols.tfidf[order].tocsc() if n else sp.csc_matrix(cols.tfidf.shape)
        csc.sort_indices()
        column = np.repeat(np.arange(csc.shape[1], dtype=np.int64), np.diff(csc.indptr))
        a["tf_keys"] = column * n + csc.indices.astype(np.int64)
        a["tf_vals"] = csc.data.astype(np.float32)
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(cols.lang_indptr))
        a["lang_keys"] = np.unique(cols.lang.astype(np.int64) * n + position[rows])
        return cls(a, cell)

    def columns(self, index: np.ndarray | None = None) -> _Columns:
        """The partners at ``index`` (all alive ones by default) back as columns."""
        if index is None:
            index = np.flatnonzero(self.flags & _ALIVE)
        index = np.asarray(index, dtype=np.int64)
        n = self.n
        lang_of = self.lang_keys // n if n else self.lang_keys
        pos_of = self.lang_keys - lang_of * n
        by_pos = np.lexsort((lang_of, pos_of))
        pos_sorted, lang_sorted = pos_of[by_pos], lang_of[by_pos]
        starts = np.searchsorted(pos_sorted, index)
        ends = np.searchsorted(pos_sorted, index, side="right")
        lengths = ends - starts
        tf_col = self.tf_keys // n if n else self.tf_keys
        tf_pos = self.tf_keys - tf_col * n
        n_terms = int(tf_col.max()) + 1 if len(tf_col) else 0
        matrix = sp.csr_matrix((self.tf_vals, (tf_pos, tf_col)), shape=(n, n_terms))
        blob, off = take_blob(self.names_blob, self.names_off, index)
        return _Columns(
            ids=self.ids[index], names_blob=blob, names_off=off, kind=self.kind[index],
            lat=self.lat[index], lon=self.lon[index], travel=self.travel[index],
            lang_indptr=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
            lang=lang_sorted[gather_ranges(starts, lengths)].astype(np.int32),
            avail=self.avail[index], capacity=self.capacity[index], active=self.active[index],
            remote=(self.flags[index] & _REMOTE) > 0, status=self.status[index],
            tfidf=matrix[index], cat=self.cat[index],
        )

    def positions_of(self, ids: np.ndarray) -> np.ndarray:
        """Positions of partner ids (-1 where absent)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.n == 0 or len(ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        sorted_ids = self.ids[self.id_order]
        at = np.minimum(np.searchsorted(sorted_ids, ids), self.n - 1)
        found = sorted_ids[at] == ids
        return np.where(found, self.id_order[at], -1)

    def name(self, pos: int) -> str:
        return decode_blob(self.names_blob, self.names_off, pos)


# -------------------------------------------------------------------------------------- query
@dataclass
class _Query:
    """Everything about one home that scoring needs, prepared once per request."""

    home: Home
    radius: float
    xyz: np.ndarray
    c2: float
    lo_keys: np.ndarray
    hi_keys: np.ndarray
    tf_cols: np.ndarray
    tf_w: np.ndarray
    cat: np.uint64
    cat_n: int
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
    items: list[tuple[str, int, list[int]]]
    text_matches: list[tuple[int, str]]
    text_words: list[tuple[int, str]]
    explain_cols: np.ndarray
    explain_langs: list[tuple[str, int, int]]


class Ranker(BaseEstimator):
    """Ranks approved community partners for a care home (and homes for a partner).

    Follows scikit-learn's estimator conventions: ``__init__`` only stores parameters,
    `fit` learns from partners and returns ``self``, learned attributes end in ``_``.

    Parameters
    ----------
    weights : mapping, optional
        Default component weights (missing keys take `DEFAULT_WEIGHTS`); each request may
        override them.
    taxonomy : Taxonomy or path, optional
        Activity taxonomy; ``data/taxonomy.json`` by default.
    cell_deg : float
        Grid cell size in degrees for the spatial index.
    compact_at : int
        `partial_update` folds pending changes into the main index once this many partners
        have been added or replaced since the last full build.
    n_jobs : int
        Worker processes for `rank_many` (1 = in this process).
    """

    def __init__(self, weights=None, taxonomy=None, cell_deg=0.05, compact_at=50_000, n_jobs=1):
        self.weights = weights
        self.taxonomy = taxonomy
        self.cell_deg = cell_deg
        self.compact_at = compact_at
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------------------ fitting
    def fit(self, partners: PartnerTable | Iterable[Partner], y=None) -> Ranker:
        """Index partners (a list of `Partner` or a `PartnerTable`)."""
        table = self._as_table(partners)
        if not (isinstance(self.cell_deg, (int, float)) and 0 < self.cell_deg <= 10):
            raise ValueError("cell_deg must be a number of degrees in (0, 10]")
        self.weights_ = Weights.from_mapping(self.weights)
        if isinstance(self.taxonomy, Taxonomy):
            self.taxonomy_ = self.taxonomy
        else:
            self.taxonomy_ = Taxonomy.load(self.taxonomy)
        self.analyser_ = TextAnalyser(self.taxonomy_)
        self.tfidf_ = TfidfIndex(self.analyser_)
        rows, stems, counts, masks = self.analyser_.analyse_many(table.texts)
        matrix = self.tfidf_.fit_transform(rows, stems, counts, len(table))
        self.kind_labels_: list[str] = []
        self.lang_tags_: list[str] = []
        self._lock = threading.RLock()
        self.main_ = _Segment.build(self._columns(table, matrix, masks), float(self.cell_deg))
        self.delta_ = None
        self._delta_columns = None
        self.homes_ = None
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "main_")

    def _check_fitted(self):
        if not hasattr(self, "main_"):
            raise NotFittedError("this Ranker is not fitted yet: call fit(partners) first")

    @staticmethod
    def _as_table(partners) -> PartnerTable:
        if isinstance(partners, PartnerTable):
            return partners
        return PartnerTable.from_partners(list(partners))

    def _code_map(self, labels: Sequence[str], vocab: list[str], dtype) -> np.ndarray:
        index = {label: i for i, label in enumerate(vocab)}
        codes = []
        for label in labels:
            if label not in index:
                index[label] = len(vocab)
                vocab.append(label)
            codes.append(index[label])
        return np.array(codes, dtype=dtype) if codes else np.zeros(0, dtype)

    def _columns(self, table: PartnerTable, matrix: sp.csr_matrix, masks: np.ndarray) -> _Columns:
        kind_map = self._code_map(table.kind_labels, self.kind_labels_, np.int16)
        lang_map = self._code_map(table.lang_tags, self.lang_tags_, np.int32)
        blob, off = encode_blob(table.names)
        return _Columns(
            ids=table.ids,
            names_blob=blob,
            names_off=off,
            kind=kind_map[table.kind_codes] if len(table) else np.zeros(0, np.int16),
            lat=table.lat,
            lon=table.lon,
            travel=table.travel_radius_km,
            lang_indptr=table.lang_indptr,
            lang=lang_map[table.lang_codes] if len(table.lang_codes) else np.zeros(0, np.int32),
            avail=table.availability,
            capacity=table.capacity,
            active=table.active,
            remote=table.remote,
            status=table.status_codes,
            tfidf=matrix,
            cat=masks,
        )

    @property
    def n_partners_(self) -> int:
        """Partners currently indexed (after updates)."""
        self._check_fitted()
        return sum(int((s.flags & _ALIVE).astype(bool).sum()) for s in self._segments())

    def _segments(self) -> list[_Segment]:
        return [s for s in (self.main_, self.delta_) if s is not None and s.n]

    # ------------------------------------------------------------------------------ updates
    def partial_update(self, add_or_replace=None, remove_ids=None) -> Ranker:
        """Add or replace partners and remove others without a full refit.

        Removed and replaced partners are hidden at once (a flag in the index). New versions
        go into a small second index that queries search as well; once ``compact_at``
        partners have accumulated there, both indexes are merged into one. The TF-IDF
        vocabulary and idf stay as fitted (words first seen later still count through the
        taxonomy); call `fit` now and then, e.g. nightly, to refresh them.
        """
        self._check_fitted()
        with self._lock:
            table = None
            if add_or_replace is not None:
                table = self._as_table(add_or_replace)
                if len(table) == 0:
                    table = None
            gone = [] if remove_ids is None else list(remove_ids)
            gone_ids = np.asarray(gone + ([] if table is None else table.ids.tolist()),
                                  dtype=np.int64)
            for segment in self._segments():
                pos = segment.positions_of(gone_ids)
                pos = pos[pos >= 0]
                if len(pos):
                    if not segment.flags.flags.writeable:
                        segment.flags = segment.flags.copy()
                    segment.flags[pos] &= ~_ALIVE
            if table is None:
                return self
            rows, stems, counts, masks = self.analyser_.analyse_many(table.texts)
            matrix = self.tfidf_.transform_many(rows, stems, counts, len(table))
            fresh = self._columns(table, matrix, masks)
            parts = [fresh]
            if self.delta_ is not None and self.delta_.n:
                parts.insert(0, self.delta_.columns())
            merged = _Columns.concat(parts)
            if len(merged) >= self.compact_at:
                parts = [self.main_.columns(), merged]
                self.main_ = _Segment.build(_Columns.concat(parts), self.main_.cell)
                self.delta_ = None
            else:
                self.delta_ = _Segment.build(merged, self.main_.cell)
        return self

    def compact(self) -> Ranker:
        """Merge pending updates into the main index and drop removed partners."""
        self._check_fitted()
        with self._lock:
            parts = [s.columns() for s in self._segments()]
            self.main_ = _Segment.build(_Columns.concat(parts), self.main_.cell)
            self.delta_ = None
        return self

    # ------------------------------------------------------------------------------ queries
    def _prepare(self, home: Home, weights, filters) -> _Query:
        filters = Filters.from_mapping(filters)
        w = Weights.from_mapping(weights, base=self.weights_)
        radius = filters.radius_km if filters.radius_km is not None else home.search_radius_km
        radius = float(radius or 0.0)
        if not math.isfinite(radius) or radius < 0:
            raise ValueError("search radius must be a non-negative number of km")
        lat, lon = float(home.lat), float(home.lon)
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise ValueError("home coordinates are missing or out of range")
        xyz = np.array([float(v) for v in unit_vectors(lat, lon)])
        lo_keys, hi_keys = _search_keys(lat, lon, radius, self.main_.cell)
        with self._lock:
            counts, mask = self.analyser_.analyse_one(home.text)
            tf_cols, tf_w = self.tfidf_.transform_one(counts)
            items = []
            for item in clean_interests(home.interests):
                item_counts, item_mask = self.analyser_.analyse_one(item)
                item_cols, _ = self.tfidf_.transform_one(item_counts)
                items.append((item, item_mask, item_cols.tolist()))
            text = home.interests_text or ""
            bits = {c: i for i, c in enumerate(self.taxonomy_.ids)}
            text_matches = [(bits[c], s) for c, s in self.taxonomy_.matches(text)]
            text_words: list[tuple[int, str]] = []
            seen_cols: set[int] = set()
            for word in words(text):
                s = stem(word)
                if is_stop_stem(s):
                    continue
                col = self.tfidf_.column_of_stem(self.analyser_.known_stem_id(s))
                if col >= 0 and col not in seen_cols:
                    seen_cols.add(col)
                    text_words.append((col, word))
        lang_counts = home.language_counts()
        others = [(t, c) for t, c in lang_counts if c > 0 and not is_english(t)]
        total = sum(c for _, c in others)
        index = {t: i for i, t in enumerate(self.lang_tags_)}
        known = [(index[t], c) for t, c in others if t in index]
        lang_ids = np.array([i for i, _ in known], dtype=np.int64)
        lang_w = np.array([c / total for _, c in known], dtype=np.float64) if total else None
        english_only = total == 0
        weights_arr = np.array(w.as_tuple(), dtype=np.float64)
        if english_only:
            weights_arr[COMPONENTS.index("language")] = 0.0
        weight_sum = float(weights_arr.sum())
        status = str(home.visiting_status or "open").strip().lower()
        status = status if status in _VISITING else "open"
        status_bits = _APPROVED | (_PENDING if filters.include_unapproved else np.uint8(0))
        kind_ok = None
        if filters.kinds is not None:
            kind_ok = np.zeros(max(len(self.kind_labels_), 1), dtype=bool)
            for i, label in enumerate(self.kind_labels_):
                kind_ok[i] = label in filters.kinds
        filter_langs = None
        if filters.languages is not None:
            filter_langs = np.array([index[t] for t in filters.languages if t in index],
                                    dtype=np.int64)
        avail = encode_availability(home.availability)
        return _Query(
            home=home, radius=radius, xyz=xyz, c2=float(chord2_for_km(radius)),
            lo_keys=lo_keys, hi_keys=hi_keys, tf_cols=tf_cols, tf_w=tf_w,
            cat=np.uint64(mask), cat_n=int(mask).bit_count(),
            lang_ids=lang_ids, lang_w=lang_w if lang_w is not None else np.zeros(0),
            lang_counts=others, english_only=english_only,
            avail=avail, avail_n=(avail & int(_SLOT_BITS)).bit_count(),
            weights=weights_arr, weight_sum=weight_sum if weight_sum > 0 else 1.0,
            status=status, status_bits=np.uint8(status_bits), kind_ok=kind_ok,
            filter_langs=filter_langs, items=items, text_matches=text_matches,
            text_words=text_words,
            explain_cols=np.array(sorted({c for _, _, cs in items for c in cs}
                                         | {c for c, _ in text_words}
                                         | set(tf_cols.tolist())), dtype=np.int64),
            explain_langs=[(t, index[t], c) for t, c in others if t in index],
        )

    def _score_segment(self, seg: _Segment, q: _Query, k: int):
        """Candidates of one segment that could reach the top ``k``, with components."""
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

        dot = take(seg.x) * q.xyz[0]
        dot += take(seg.y) * q.xyz[1]
        dot += take(seg.z) * q.xyz[2]
        c2 = np.multiply(dot, -2.0, out=dot)
        c2 += 2.0
        ok = c2 <= np.minimum(take(seg.travel_c2), q.c2)
        flags = take(seg.flags)
        ok &= (flags & (_ALIVE | _CAPACITY_OK)) == (_ALIVE | _CAPACITY_OK)
        ok &= (flags & q.status_bits) > 0
        if q.status == "closed":
            ok &= (flags & _REMOTE) > 0
        if q.kind_ok is not None:
            kinds = take(seg.kind)
            inside = kinds < len(q.kind_ok)
            ok &= inside & q.kind_ok[np.where(inside, kinds, 0)]
        if q.filter_langs is not None:
            spoken = _scatter(seg.lang_keys, None, seg.n, q.filter_langs,
                              np.ones(len(q.filter_langs)), starts, offsets, ends, total)
            if spoken is None:
                return None
            ok &= spoken > 0
        sel = np.flatnonzero(ok)
        if len(sel) == 0:
            return None
        w = q.weights
        tf = None
        if w[1] > 0:
            tf = _scatter(seg.tf_keys, seg.tf_vals, seg.n, q.tf_cols, q.tf_w,
                          starts, offsets, ends, total)
        lang = None
        if w[2] > 0 and len(q.lang_ids):
            lang = _scatter(seg.lang_keys, None, seg.n, q.lang_ids, q.lang_w,
                            starts, offsets, ends, total)
        # Tiers first (cheap): a candidate in a higher tier beats every lower one, so only
        # the tiers holding the top k need their full scores.
        run = np.searchsorted(offsets, sel, side="right") - 1
        p = sel + (starts - offsets)[run]
        shared_cats = None
        relevant = np.zeros(len(sel), dtype=bool)
        if w[1] > 0:
            if q.cat_n:
                shared_cats = np.bitwise_count(seg.cat[p] & q.cat)
                relevant |= shared_cats > 0
            if tf is not None:
                relevant |= tf[sel] > 0
        if lang is not None:
            relevant |= lang[sel] > 0
        tier = relevant.astype(np.int8) * np.int8(2)
        remote = (flags[sel] & _REMOTE) > 0
        if q.status == "restricted":
            tier += remote.astype(np.int8) * np.int8(4)
        if len(sel) > k:
            by_tier = np.bincount(tier, minlength=7)
            from_top = np.cumsum(by_tier[::-1])[::-1]
            threshold = int(np.flatnonzero(from_top >= k)[-1])
            if threshold > 0:
                keep = np.flatnonzero(tier >= threshold)
                sel, p, tier, remote = sel[keep], p[keep], tier[keep], remote[keep]
                if shared_cats is not None:
                    shared_cats = shared_cats[keep]
        dist = km_for_chord2(c2[sel])
        reach = np.minimum(seg.travel[p], q.radius)
        with np.errstate(divide="ignore", invalid="ignore"):
            comp_d = np.where(reach > 0, 1.0 - dist / reach, 1.0)
        np.clip(comp_d, 0.0, 1.0, out=comp_d)
        comp_i = np.zeros(len(sel)) if tf is None else np.clip(tf[sel], 0.0, 1.0)
        if shared_cats is not None:
            tax = shared_cats * _INV_SQRT[seg.cat_n[p]] * (1.0 / math.sqrt(q.cat_n))
            comp_i = 1.0 - (1.0 - comp_i) * (1.0 - tax)
        comp_l = np.zeros(len(sel)) if lang is None else np.minimum(lang[sel], 1.0)
        if q.avail & int(_UNKNOWN):
            comp_a = np.full(len(sel), 0.5)
        else:
            pa = seg.avail[p]
            both = np.minimum(seg.avail_n[p], q.avail_n)
            overlap = np.bitwise_count(pa & np.uint32(q.avail))
            comp_a = np.where(both > 0, overlap / np.maximum(both, 1), 0.0)
            comp_a[(pa & _UNKNOWN) > 0] = 0.5
        comp_c = seg.cap_comp[p].astype(np.float64)
        score = w[0] * comp_d
        for weight, comp in ((w[1], comp_i), (w[2], comp_l), (w[3], comp_a), (w[4], comp_c)):
            if weight:
                score += weight * comp
        score /= q.weight_sum
        return {
            "pos": p, "ids": seg.ids[p], "dist": dist, "score": score, "rank": tier + score,
            "components": (comp_d, comp_i, comp_l, comp_a, comp_c), "remote": remote,
        }

    @staticmethod
    def _top(parts: list[tuple[_Segment, dict]], k: int):
        if not parts:
            return []
        ranks = np.concatenate([r["rank"] for _, r in parts])
        dist = np.concatenate([r["dist"] for _, r in parts])
        ids = np.concatenate([r["ids"] for _, r in parts])
        where = np.concatenate([np.full(len(r["pos"]), i) for i, (_, r) in enumerate(parts)])
        local = np.concatenate([np.arange(len(r["pos"])) for _, r in parts])
        if len(ranks) > k:
            cut = -np.partition(-ranks, k - 1)[k - 1]
            keep = np.flatnonzero(ranks >= cut)
        else:
            keep = np.arange(len(ranks))
        order = keep[np.lexsort((ids[keep], dist[keep], -ranks[keep]))][:k]
        return [(parts[where[i]], int(local[i])) for i in order]

    def rank(self, home: Home, k: int = 20, weights=None, filters=None) -> list[Match]:
        """The ``k`` best partners for a home, best first, with components and reasons.

        ``weights`` (a partial mapping) overrides the default weights for this request;
        ``filters`` is a `Filters` or a mapping with ``kinds``, ``radius_km``, ``languages``
        and ``include_unapproved``.
        """
        self._check_fitted()
        k = int(k)
        if k <= 0:
            return []
        q = self._prepare(home, weights, filters)
        parts = []
        for seg in self._segments():
            result = self._score_segment(seg, q, k)
            if result is not None:
                parts.append((seg, result))
        return self._explain(q, self._top(parts, k))

    def _explain(self, q: _Query, chosen) -> list[Match]:
        """Matches with reasons for the chosen candidates (feature look-ups batched)."""
        by_segment: dict[int, tuple[_Segment, list[int]]] = {}
        for (seg, result), i in chosen:
            by_segment.setdefault(id(seg), (seg, []))[1].append(int(result["pos"][i]))
        lang_ids = [i for _, i, _ in q.explain_langs]
        lookups = {}
        for key, (seg, positions) in by_segment.items():
            terms = _present(seg.tf_keys, seg.n, q.explain_cols, positions)
            langs = _present(seg.lang_keys, seg.n, lang_ids, positions)
            lookups[key] = {p: (terms[:, j], langs[:, j]) for j, p in enumerate(positions)}
        matches = []
        for (seg, result), i in chosen:
            terms, langs = lookups[id(seg)][int(result["pos"][i])]
            matches.append(self._match(seg, result, i, q, terms, langs))
        return matches

    def rank_many(self, homes: Sequence[Home], k: int = 20, weights=None, filters=None,
                  n_jobs: int | None = None) -> dict[int, list[Match]]:
        """Top ``k`` partners for each home (dict keyed by home id, in input order).

        With ``n_jobs > 1`` homes are shared among worker processes (fork), which read the
        fitted index without copying it.
        """
        from .batch import rank_many

        self._check_fitted()
        return rank_many(self, homes, k=k, weights=weights, filters=filters,
                         n_jobs=self.n_jobs if n_jobs is None else n_jobs)

    # ---------------------------------------------------------------------------- explaining
    def _shared_interests(self, q: _Query, present_cols: set[int], cat: int) -> list[str]:
        shared: list[str] = []
        seen: set[str] = set()
        covered_cols: set[int] = set()
        covered_cats = 0

        def add(text):
            key = text.casefold()
            if key not in seen:
                seen.add(key)
                shared.append(text)

        for item, mask, cols in q.items:
            if (mask & cat) or any(c in present_cols for c in cols):
                add(item)
                covered_cols.update(cols)
                covered_cats |= mask
        for bit, surface in q.text_matches:
            if (cat >> bit & 1) and not (covered_cats >> bit & 1):
                add(surface)
                covered_cats |= 1 << bit
        for col, surface in q.text_words:
            if col in present_cols and col not in covered_cols:
                add(surface)
        if not shared and int(q.cat) & cat:
            for category in self.taxonomy_.ids_of(int(q.cat) & cat):
                add(self.taxonomy_.label(category))
        return shared

    def _match(self, seg: _Segment, result: dict, i: int, q: _Query, terms: np.ndarray,
               langs: np.ndarray) -> Match:
        p = int(result["pos"][i])
        components = {name: float(c[i])
                      for name, c in zip(COMPONENTS, result["components"], strict=True)}
        dist = float(result["dist"][i])
        remote = bool(seg.flags[p] & _REMOTE)
        reasons = [explain.distance_reason(dist)]
        paused = False
        if q.status == "restricted":
            paused = not remote
            reasons.insert(0, explain.PAUSED_WHILE_RESTRICTED if paused
                           else explain.REMOTE_WHILE_RESTRICTED)
        elif q.status == "closed":
            reasons.insert(0, explain.REMOTE_WHILE_CLOSED)
        present_cols = set(q.explain_cols[terms].tolist())
        shared = self._shared_interests(q, present_cols, int(seg.cat[p]))
        if shared:
            reasons.append(explain.interests_reason(shared))
        shared_langs = []
        for (tag, _, count), spoken in zip(q.explain_langs, langs.tolist(), strict=True):
            if spoken:
                shared_langs.append(tag)
                reasons.append(explain.language_reason(language_name(tag), count))
        pa = int(seg.avail[p])
        if not (pa & int(_UNKNOWN)) and not (q.avail & int(_UNKNOWN)) and pa & q.avail:
            reasons.append(explain.availability_reason(decode_availability(pa & q.avail)))
        capacity = int(seg.capacity[p])
        if capacity > 0:
            remaining = capacity - int(seg.active[p])
            if remaining > 0:
                reasons.append(explain.capacity_reason(remaining))
        kind = int(seg.kind[p])
        return Match(
            partner_id=int(seg.ids[p]),
            name=seg.name(p),
            kind=self.kind_labels_[kind] if kind < len(self.kind_labels_) else "other",
            score=float(result["score"][i]),
            distance_km=dist,
            components=components,
            reasons=reasons,
            in_person_paused=paused,
            shared_interests=shared,
            shared_languages=shared_langs,
            offers_remote=remote,
        )

    # ---------------------------------------------------------------------- reverse matching
    def fit_homes(self, homes: Sequence[Home]) -> Ranker:
        """Index care homes for `rank_homes` (uses the partners' TF-IDF vocabulary)."""
        self._check_fitted()
        homes = list(homes)
        n = len(homes)
        lat = np.array([h.lat for h in homes], dtype=np.float64)
        lon = np.array([h.lon for h in homes], dtype=np.float64)
        x, y, z = unit_vectors(lat, lon)
        with self._lock:
            rows, stems, counts, masks = self.analyser_.analyse_many([h.text for h in homes])
            matrix = self.tfidf_.transform_many(rows, stems, counts, n)
        index = {t: i for i, t in enumerate(self.lang_tags_)}
        lang_rows, lang_cols, lang_vals = [], [], []
        english_only = np.zeros(n, dtype=bool)
        for r, home in enumerate(homes):
            others = [(t, c) for t, c in home.language_counts() if c > 0 and not is_english(t)]
            total = sum(c for _, c in others)
            english_only[r] = total == 0
            for tag, count in others:
                if tag not in index:
                    index[tag] = len(self.lang_tags_)
                    self.lang_tags_.append(tag)
                lang_rows.append(r)
                lang_cols.append(index[tag])
                lang_vals.append(count / total)
        languages = sp.csc_matrix((lang_vals, (lang_rows, lang_cols)),
                                  shape=(n, max(len(self.lang_tags_), 1)))
        status = []
        for h in homes:
            s = str(h.visiting_status or "open").strip().lower()
            status.append(_VISITING.index(s) if s in _VISITING else 0)
        self.homes_ = {
            "homes": homes,
            "ids": np.array([h.id for h in homes], dtype=np.int64),
            "x": x, "y": y, "z": z,
            "radius": np.array([float(h.search_radius_km or 0.0) for h in homes]),
            "tfidf": matrix.tocsc(),
            "cat": masks,
            "cat_n": np.bitwise_count(masks).astype(np.float64),
            "languages": languages,
            "english_only": english_only,
            "avail": np.array([encode_availability(h.availability) for h in homes], np.uint32),
            "status": np.array(status, dtype=np.int8),
        }
        return self

    def rank_homes(self, partner: Partner, k: int = 20, weights=None,
                   homes: Sequence[Home] | None = None) -> list[HomeMatch]:
        """The ``k`` care homes that would best welcome a partner (reverse matching).

        A home qualifies when the distance is within both its search radius and the partner's
        travel radius; closed homes only for partners offering remote contact. Components are
        those of `rank` seen from the other side (capacity is the partner's own, so equal for
        every home). Restricted homes are listed after the others for partners who only visit
        in person, flagged ``in_person_paused``. The partner's own status is not checked, so a
        pending group can see where it would fit.
        """
        self._check_fitted()
        if homes is not None:
            self.fit_homes(homes)
        if self.homes_ is None:
            raise NotFittedError("call fit_homes(homes) before rank_homes")
        H = self.homes_
        if len(H["ids"]) == 0 or k <= 0:
            return []
        w = np.array(Weights.from_mapping(weights, base=self.weights_).as_tuple())
        px, py, pz = (float(v) for v in unit_vectors(partner.lat, partner.lon))
        dot = H["x"] * px + H["y"] * py + H["z"] * pz
        dist = km_for_chord2(np.maximum(2.0 - 2.0 * dot, 0.0))
        reach = np.minimum(H["radius"], float(partner.travel_radius_km or 0.0))
        ok = dist <= reach + 1e-9
        remote = bool(partner.offers_remote)
        if not remote:
            ok &= H["status"] != _VISITING.index("closed")
        sel = np.flatnonzero(ok)
        if len(sel) == 0:
            return []
        with self._lock:
            counts, mask = self.analyser_.analyse_one(partner.text)
            cols, vals = self.tfidf_.transform_one(counts)
        d = dist[sel]
        with np.errstate(divide="ignore", invalid="ignore"):
            comp_d = np.clip(np.where(reach[sel] > 0, 1.0 - d / reach[sel], 1.0), 0.0, 1.0)
        tf = np.zeros(len(sel))
        if len(cols):
            tf = np.clip(np.asarray(H["tfidf"][:, cols] @ vals).ravel()[sel], 0.0, 1.0)
        pcat_n = int(mask).bit_count()
        if pcat_n:
            shared = np.bitwise_count(H["cat"][sel] & np.uint64(mask)).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                tax = shared / np.sqrt(H["cat_n"][sel] * pcat_n)
            tax[~np.isfinite(tax)] = 0.0
            comp_i = 1.0 - (1.0 - tf) * (1.0 - tax)
        else:
            comp_i = tf
        index = {t: i for i, t in enumerate(self.lang_tags_)}
        spoken = sorted({index[t] for t in map(canonical_tag, partner.languages or ())
                         if t in index})
        comp_l = np.zeros(len(sel))
        if spoken:
            comp_l = np.minimum(
                np.asarray(H["languages"][:, spoken].sum(axis=1)).ravel()[sel], 1.0)
        pa = encode_availability(partner.availability)
        ha = H["avail"][sel]
        if pa & int(_UNKNOWN):
            comp_a = np.full(len(sel), 0.5)
        else:
            both = np.minimum(np.bitwise_count(ha & _SLOT_BITS), pa.bit_count()).astype(float)
            overlap = np.bitwise_count(ha & np.uint32(pa)).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                comp_a = np.where(both > 0, overlap / both, 0.0)
            comp_a = np.where((ha & _UNKNOWN) > 0, 0.5, comp_a)
        cap = partner.capacity_per_month
        if cap is None:
            cap_value = 0.5
        else:
            cap_value = min(max((cap - (partner.active_introductions or 0)) / max(cap, 1), 0), 1)
        comp_c = np.full(len(sel), float(cap_value))
        weights_each = np.tile(w, (len(sel), 1))
        weights_each[H["english_only"][sel], COMPONENTS.index("language")] = 0.0
        comps = np.stack([comp_d, comp_i, comp_l, comp_a, comp_c], axis=1)
        sums = weights_each.sum(axis=1)
        score = (weights_each * comps).sum(axis=1) / np.where(sums > 0, sums, 1.0)
        relevant = ((w[1] > 0) & (comp_i > 0)) | ((w[2] > 0) & (comp_l > 0))
        paused = (H["status"][sel] == _VISITING.index("restricted")) & (not remote)
        rank = score + relevant * 2.0 + (~paused) * 4.0
        order = np.lexsort((H["ids"][sel], d, -rank))[: int(k)]
        matches = []
        for i in order.tolist():
            matches.append(self._home_match(partner, H, int(sel[i]), comps[i], float(score[i]),
                                            float(d[i]), bool(paused[i]), cols, mask))
        return matches

    def _home_match(self, partner, H, r, comps, score, dist, paused, cols, mask) -> HomeMatch:
        home: Home = H["homes"][r]
        status = _VISITING[int(H["status"][r])]
        q = self._prepare(home, None, {"radius_km": max(float(home.search_radius_km or 0), 1e-3)})
        reasons = [explain.distance_reason(dist)]
        if status == "restricted":
            reasons.insert(0, explain.PAUSED_WHILE_RESTRICTED if paused
                           else explain.HOME_RESTRICTED_REMOTE)
        elif status == "closed":
            reasons.insert(0, explain.HOME_CLOSED_REMOTE)
        shared = self._shared_interests(q, set(cols.tolist()), int(mask))
        if shared:
            reasons.append(explain.interests_reason(shared))
        spoken = {canonical_tag(t) for t in partner.languages or ()}
        shared_langs = [t for t, _ in q.lang_counts if t in spoken]
        counts = dict(q.lang_counts)
        for tag in shared_langs:
            reasons.append(explain.home_language_reason(language_name(tag), counts[tag]))
        pa = encode_availability(partner.availability)
        ha = int(H["avail"][r])
        if not (pa & int(_UNKNOWN)) and not (ha & int(_UNKNOWN)) and pa & ha:
            reasons.append(explain.availability_reason(decode_availability(pa & ha)))
        return HomeMatch(
            home_id=int(home.id), name=home.name, score=score, distance_km=dist,
            components={name: float(v) for name, v in zip(COMPONENTS, comps, strict=True)},
            reasons=reasons, in_person_paused=paused, shared_interests=shared,
            shared_languages=shared_langs, visiting_status=status, town=home.town,
        )

    # --------------------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted index to a directory (pending updates are merged first).

        Arrays are plain ``.npy`` files so `load` can memory-map them; the vocabulary,
        labels, taxonomy and parameters go in ``meta.json``.
        """
        self._check_fitted()
        if self.delta_ is not None or not bool((self.main_.flags & _ALIVE).all()):
            self.compact()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        seg = self.main_
        for name in _SEGMENT_ARRAYS:
            np.save(path / f"{name}.npy", np.ascontiguousarray(getattr(seg, name)))
        np.save(path / "idf.npy", np.asarray(self.tfidf_.idf, dtype=np.float64))
        meta = {
            "format": FORMAT_VERSION,
            "params": {
                "weights": self.weights_.as_dict(),
                "cell_deg": seg.cell,
                "compact_at": self.compact_at,
                "n_jobs": self.n_jobs,
            },
            "columns": self.tfidf_.columns,
            "kind_labels": self.kind_labels_,
            "lang_tags": self.lang_tags_,
            "taxonomy": self.taxonomy_.to_dict(),
        }
        with open(path / "meta.json", "w", encoding="utf-8") as fh:
            json.dump(meta, fh, ensure_ascii=False)
        return path

    @classmethod
    def load(cls, path: str | Path, mmap: bool = True) -> Ranker:
        """Load an index written by `save`; arrays are memory-mapped unless ``mmap=False``."""
        path = Path(path)
        with open(path / "meta.json", encoding="utf-8") as fh:
            meta = json.load(fh)
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported ranking index format: {meta.get('format')!r}")
        params = meta["params"]
        taxonomy = Taxonomy.from_dict(meta["taxonomy"])
        ranker = cls(weights=params["weights"], taxonomy=taxonomy, cell_deg=params["cell_deg"],
                     compact_at=params["compact_at"], n_jobs=params["n_jobs"])
        mode = "r" if mmap else None
        arrays = {name: np.load(path / f"{name}.npy", mmap_mode=mode) for name in _SEGMENT_ARRAYS}
        arrays["flags"] = np.array(arrays["flags"])  # removals write to it
        ranker.weights_ = Weights.from_mapping(params["weights"])
        ranker.taxonomy_ = taxonomy
        ranker.analyser_ = TextAnalyser(taxonomy)
        ranker.tfidf_ = TfidfIndex(ranker.analyser_)
        ranker.tfidf_.restore(meta["columns"], np.load(path / "idf.npy"))
        ranker.kind_labels_ = list(meta["kind_labels"])
        ranker.lang_tags_ = list(meta["lang_tags"])
        ranker._lock = threading.RLock()
        ranker.main_ = _Segment(arrays, float(params["cell_deg"]))
        ranker.delta_ = None
        ranker._delta_columns = None
        ranker.homes_ = None
        return ranker

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()
