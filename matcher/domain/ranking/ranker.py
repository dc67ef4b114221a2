"""The Ranker: approved partners near a care home, scored, explained and ordered.

How it works
------------
``fit`` sorts partners into a latitude/longitude grid (cells of ``cell_deg`` degrees) so the
partners of one grid row form a contiguous slice; a home's search circle becomes one index
range per grid row, found with binary search. On a million partners this candidate search
took 0.27 ms (median) against 1.4 ms for scipy's cKDTree ball query on the same unit vectors
(scripts/bench_ranking.py), and the ranges are reused by the steps below. Exact distances
come from 3-D unit vectors (dot products, converted to great-circle km only for the
candidates inside both radii).

In dense places (a city, thousands of contenders) candidates are first ranked by an upper
bound on their score (distance and availability at their best); only those whose bound
reaches the k-th score found among the best of them are scored in full. This is exact.

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
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from .. import catalogue
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

FORMAT_VERSION = 3

_ALIVE = np.uint8(1)
_CAPACITY_OK = np.uint8(2)
_APPROVED = np.uint8(4)
_ELIGIBLE = np.uint8(7)  # alive, with capacity and approved
_PENDING = np.uint8(8)
_REMOTE = np.uint8(16)
_UNKNOWN = np.uint32(AVAILABILITY_UNKNOWN)
_SLOT_BITS = np.uint32(int(AVAILABILITY_UNKNOWN) - 1)
_VISITING = catalogue.codes(catalogue.VISITING_STATUSES)
_NO_FILTERS = Filters()
# Homes whose words are kept analysed: every home in the UK (~17,000) fits.
_TEXT_CACHE_SIZE = 32_768
# Above this many contenders (beyond 4k) scoring starts from an upper bound (see _score_segment).
_REFINE_AFTER = 1000
_INV_SQRT = np.array([0.0] + [1.0 / math.sqrt(i) for i in range(1, 65)])

# Arrays of a segment saved by `Ranker.save`, with their dtypes.
_SEGMENT_ARRAYS = {
    "ids": np.int64, "id_order": np.int64, "key": np.int64, "lat": np.float64,
    "lon": np.float64, "geo": np.float64, "travel": np.float64, "flags": np.uint8,
    "status": np.int8,
    "kind": np.int16, "town": np.int32, "cat": np.uint64, "cat_n": np.uint8, "avail": np.uint32,
    "avail_n": np.uint8, "capacity": np.int32, "active": np.int32, "cap_comp": np.float32,
    "tf_keys": np.int64, "tf_vals": np.float32, "lang_keys": np.int64,
    "names_blob": np.uint8, "names_off": np.int64,
}


@lru_cache(maxsize=8192)
def _availability_reason(mask: int) -> str:
    # Schedules repeat endlessly across partners; the wording of one need only be built once.
    return explain.availability_reason(decode_availability(mask))


def _grid_key(lat, lon, cell: float):
    ncols = int(math.ceil(360.0 / cell)) + 1
    row = np.floor((np.asarray(lat) + 90.0) / cell).astype(np.int64)
    col = np.floor((np.asarray(lon) + 180.0) / cell).astype(np.int64)
    return row * ncols + col


def _search_keys(lat: float, lon: float, radius_km: float, cell: float):
    """Grid keys covering a circle: (lo, hi) key arrays, one pair per grid row and span.

    Each row only spans the circle's own width within that row (widest at the row latitude
    nearest to where the circle is widest), so the cells searched hug the circle. Plain
    ``math`` on a few dozen rows is faster than numpy here.
    """
    ncols = int(math.ceil(360.0 / cell)) + 1
    angle = min(radius_km / EARTH_RADIUS_KM, math.pi)
    dlat = math.degrees(angle) + 1e-7
    lat_lo, lat_hi = max(lat - dlat, -90.0), min(lat + dlat, 90.0)
    r0 = int(math.floor((lat_lo + 90.0) / cell))
    r1 = int(math.floor((lat_hi + 90.0) / cell))
    phi0 = math.radians(lat)
    sin0, cos0, cos_a = math.sin(phi0), math.cos(phi0), math.cos(angle)
    polar = lat_hi >= 90.0 or lat_lo <= -90.0 or math.sin(angle) >= cos0
    widest = 0.0 if polar else math.degrees(math.asin(min(1.0, sin0 / cos_a)))
    spans: list[tuple[int, float, float]] = []
    for row in range(r0, r1 + 1):
        if polar:
            spans.append((row, -180.0, 180.0))
            continue
        band_lo = max(row * cell - 90.0, lat_lo)
        band_hi = min((row + 1) * cell - 90.0, lat_hi)
        phi = math.radians(min(max(widest, band_lo), band_hi))
        cos_dlon = (cos_a - math.sin(phi) * sin0) / (math.cos(phi) * cos0)
        half = math.degrees(math.acos(min(max(cos_dlon, -1.0), 1.0))) + 1e-5
        lo, hi = lon - half, lon + half
        if half >= 180.0:
            spans.append((row, -180.0, 180.0))
            continue
        spans.append((row, max(lo, -180.0), min(hi, 180.0)))
        if lo < -180.0:
            spans.append((row, lo + 360.0, 180.0))
        if hi > 180.0:
            spans.append((row, -180.0, hi - 360.0))
    los = [row * ncols + int(math.floor((a + 180.0) / cell)) for row, a, _ in spans]
    his = [row * ncols + int(math.floor((b + 180.0) / cell)) + 1 for row, _, b in spans]
    return np.array(los, dtype=np.int64), np.array(his, dtype=np.int64)


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
    town: np.ndarray
    names: list[str] | None = None  # when set, preferred to the blob (cheaper to reorder)

    def __len__(self):
        return len(self.ids)

    @staticmethod
    def concat(parts: Sequence[_Columns]) -> _Columns:
        parts = [p for p in parts if len(p)]
        names = None
        if parts and all(p.names is not None for p in parts):
            names = [name for p in parts for name in p.names]
        else:
            for p in parts:
                if p.names is not None:
                    p.names_blob, p.names_off = encode_blob(p.names)
                    p.names = None
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
            town=cat("town", np.int32),
            names=names,
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
        a["travel"] = cols.travel[order]
        # x, y, z and the travel radius as a dot-product limit side by side, so a query
        # copies one block per grid row instead of four.
        geo = np.empty((n, 4), dtype=np.float64)
        geo[:, 0], geo[:, 1], geo[:, 2] = unit_vectors(a["lat"], a["lon"])
        geo[:, 3] = 1.0 - 0.5 * chord2_for_km(a["travel"])  # least dot product within reach
        a["geo"] = geo
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
        a["town"] = cols.town[order]
        a["cat"] = cols.cat[order]
        a["cat_n"] = np.bitwise_count(a["cat"]).astype(np.uint8)
        a["avail"] = cols.avail[order]
        a["avail_n"] = np.bitwise_count(a["avail"] & _SLOT_BITS).astype(np.uint8)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.clip(remaining / np.maximum(a["capacity"], 1), 0.0, 1.0)
        a["cap_comp"] = np.where(a["capacity"] < 0, 0.5, share).astype(np.float32)
        if cols.names is not None:
            a["names_blob"], a["names_off"] = encode_blob([cols.names[i] for i in order.tolist()])
        else:
            a["names_blob"], a["names_off"] = take_blob(cols.names_blob, cols.names_off, order)
        shape = cols.tfidf.shape
        permuted = cols.tfidf[order] if n else None
        cols.tfidf = None  # the caller hands the columns over; keep peak memory down
        csc = permuted.tocsc() if n else sp.csc_matrix(shape)
        del permuted
        csc.sort_indices()
        column = np.repeat(np.arange(csc.shape[1], dtype=np.int64), np.diff(csc.indptr))
        column *= n
        column += csc.indices
        a["tf_keys"] = column
        a["tf_vals"] = csc.data.astype(np.float32, copy=False)
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(cols.lang_indptr))
        lang_keys = np.sort(cols.lang.astype(np.int64) * n + position[rows])
        if len(lang_keys) > 1:  # a partner listing a language twice counts once
            lang_keys = lang_keys[np.append(True, lang_keys[1:] != lang_keys[:-1])]
        a["lang_keys"] = lang_keys
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
            tfidf=matrix[index], cat=self.cat[index], town=self.town[index],
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
@dataclass(frozen=True)
class _HomeText:
    """Interest features of a home's own words."""

    tf_cols: np.ndarray
    tf_w: np.ndarray
    cat: np.uint64
    cat_n: int
    items: list[tuple[str, int, list[int]]]
    text_matches: list[tuple[int, str]]
    text_words: list[tuple[int, str]]
    explain_cols: np.ndarray


@dataclass
class _Query:
    """Everything about one home that scoring needs, prepared once per request."""

    home: Home
    radius: float
    xyz: tuple[float, float, float]
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
    explain_langs: list[tuple[str, int, int, str]]


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

    def __init__(self, weights=None, taxonomy=None, cell_deg=0.02, compact_at=50_000, n_jobs=1):
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
        del rows, stems, counts  # large: free before the index is built
        self.kind_labels_: list[str] = []
        self.lang_tags_: list[str] = []
        self.town_labels_: list[str] = []
        self._reset_caches()
        columns = self._columns(table, matrix, masks)
        del matrix, masks
        self.main_ = _Segment.build(columns, float(self.cell_deg))
        self.delta_ = None
        self.homes_ = None
        return self

    def _reset_caches(self) -> None:
        self._lock = threading.RLock()
        self._text_cache: OrderedDict = OrderedDict()
        self._item_cache: dict[str, tuple[int, list[int]]] = {}
        self._lang_index_cache = None
        self.__dict__.pop("_bits_cache", None)

    @property
    def _category_bits(self) -> dict[str, int]:
        bits = self.__dict__.get("_bits_cache")
        if bits is None:
            bits = self._bits_cache = {c: i for i, c in enumerate(self.taxonomy_.ids)}
        return bits

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
        town = self._code_map(table.towns, self.town_labels_, np.int32)
        return _Columns(
            ids=table.ids,
            names_blob=np.zeros(0, np.uint8),
            names_off=np.zeros(len(table) + 1, np.int64),
            names=table.names,
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
            town=town,
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
    def _lang_index(self) -> dict[str, int]:
        cache = getattr(self, "_lang_index_cache", None)
        if cache is None or len(cache) != len(self.lang_tags_):
            cache = self._lang_index_cache = {t: i for i, t in enumerate(self.lang_tags_)}
        return cache

    def _home_text(self, home: Home) -> _HomeText:
        """Interest features of a home's words (cached: homes are asked about repeatedly)."""
        key = (tuple(home.interests or ()), home.interests_text or "")
        cache = self._text_cache
        with self._lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return found
            counts, mask = self.analyser_.analyse_one(home.text)
            tf_cols, tf_w = self.tfidf_.transform_one(counts)
            items = []
            item_cache = self._item_cache
            for item in clean_interests(home.interests):
                # Homes pick their interests from much the same few hundred words.
                known = item_cache.get(item)
                if known is None:
                    item_counts, item_mask = self.analyser_.analyse_one(item)
                    known = (item_mask, [c for c in map(self.tfidf_.column_of_stem, item_counts)
                                         if c >= 0])
                    if len(item_cache) >= _TEXT_CACHE_SIZE:
                        item_cache.clear()
                    item_cache[item] = known
                items.append((item, *known))
            text = home.interests_text or ""
            bits = self._category_bits
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
            explain_cols = sorted({c for _, _, cs in items for c in cs} | seen_cols
                                  | set(tf_cols.tolist()))
            found = _HomeText(tf_cols, tf_w, np.uint64(mask), int(mask).bit_count(), items,
                              text_matches, text_words, np.array(explain_cols, dtype=np.int64))
            cache[key] = found
            if len(cache) > _TEXT_CACHE_SIZE:
                cache.popitem(last=False)
            return found

    def _prepare(self, home: Home, weights, filters) -> _Query:
        filters = _NO_FILTERS if filters is None else Filters.from_mapping(filters)
        w = self.weights_ if weights is None else Weights.from_mapping(weights, self.weights_)
        radius = filters.radius_km if filters.radius_km is not None else home.search_radius_km
        radius = float(radius or 0.0)
        if not math.isfinite(radius) or radius < 0:
            raise ValueError("search radius must be a non-negative number of km")
        lat, lon = float(home.lat), float(home.lon)
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise ValueError("home coordinates are missing or out of range")
        phi, lam = math.radians(lat), math.radians(lon)
        xyz = (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))
        lo_keys, hi_keys = _search_keys(lat, lon, radius, self.main_.cell)
        text = self._home_text(home)
        others = [(t, c) for t, c in home.language_counts() if c > 0 and not is_english(t)]
        total = sum(c for _, c in others)
        index = self._lang_index()
        known = [(t, index[t], c) for t, c in others if t in index]
        weights_arr = np.array(w.as_tuple(), dtype=np.float64)
        if total == 0:
            weights_arr[2] = 0.0  # English-only: the language weight goes to the others
        weight_sum = float(weights_arr.sum())
        status = str(home.visiting_status or "open").strip().lower()
        status = status if status in _VISITING else "open"
        status_bits = _APPROVED | (_PENDING if filters.include_unapproved else np.uint8(0))
        kind_ok = None
        if filters.kinds is not None:
            kind_ok = np.array([label in filters.kinds for label in self.kind_labels_] or [False])
        filter_langs = None
        if filters.languages is not None:
            filter_langs = np.array([index[t] for t in filters.languages if t in index],
                                    dtype=np.int64)
        avail = encode_availability(home.availability)
        return _Query(
            home=home, radius=radius, xyz=xyz, c2=float(chord2_for_km(radius)),
            lo_keys=lo_keys, hi_keys=hi_keys, tf_cols=text.tf_cols, tf_w=text.tf_w,
            cat=text.cat, cat_n=text.cat_n,
            lang_ids=np.array([i for _, i, _ in known], dtype=np.int64),
            lang_w=np.array([c / total for _, _, c in known], dtype=np.float64),
            lang_counts=others, english_only=total == 0,
            avail=avail, avail_n=(avail & int(_SLOT_BITS)).bit_count(),
            weights=weights_arr, weight_sum=weight_sum if weight_sum > 0 else 1.0,
            status=status, status_bits=np.uint8(status_bits), kind_ok=kind_ok,
            filter_langs=filter_langs, items=text.items, text_matches=text.text_matches,
            text_words=text.text_words, explain_cols=text.explain_cols,
            explain_langs=[(t, i, c, language_name(t)) for t, i, c in known],
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

        geo = take(seg.geo)
        dot = geo[:, 0] * q.xyz[0]
        dot += geo[:, 1] * q.xyz[1]
        dot += geo[:, 2] * q.xyz[2]
        # Within both radii: the dot product of unit vectors is at least both limits.
        ok = dot >= np.maximum(geo[:, 3], 1.0 - 0.5 * q.c2)
        flags = take(seg.flags)
        if q.status_bits == _APPROVED:
            ok &= (flags & _ELIGIBLE) == _ELIGIBLE
        else:
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
        c2 = np.maximum(2.0 - 2.0 * dot[sel], 0.0)  # squared chords, for the selected only
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
                sel, p, tier, remote, c2 = sel[keep], p[keep], tier[keep], remote[keep], c2[keep]
                if shared_cats is not None:
                    shared_cats = shared_cats[keep]
        comp_i = np.zeros(len(sel)) if tf is None else np.clip(tf[sel], 0.0, 1.0)
        if shared_cats is not None:
            tax = shared_cats * _INV_SQRT[seg.cat_n[p]] * (1.0 / math.sqrt(q.cat_n))
            np.minimum(tax, 1.0, out=tax)  # a cosine of 1 can come out a hair above 1
            comp_i = 1.0 - (1.0 - comp_i) * (1.0 - tax)
        comp_l = np.zeros(len(sel)) if lang is None else np.minimum(lang[sel], 1.0)
        comp_c = seg.cap_comp[p].astype(np.float64)
        partial = w[1] * comp_i
        partial += w[2] * comp_l
        partial += w[4] * comp_c
        known_avail = not q.avail & int(_UNKNOWN)
        if len(sel) > 4 * k + _REFINE_AFTER:
            # Many close contenders (a city): score the best by an upper bound first (distance
            # and availability at their best), then keep only candidates whose bound reaches
            # the k-th score found. Exact: a true top-k candidate's bound is at least that.
            bound = tier + (partial + w[0] + w[3] * (1.0 if known_avail else 0.5)) / q.weight_sum
            best = np.argpartition(-bound, 4 * k)[: 4 * k]
            rank_best = tier[best] + self._finish(seg, q, c2[best], p[best], partial[best])[0]
            kth = -np.partition(-rank_best, k - 1)[k - 1]
            keep = np.flatnonzero(bound >= kth - 1e-9)
            sel, p, tier, remote, c2 = sel[keep], p[keep], tier[keep], remote[keep], c2[keep]
            comp_i, comp_l, comp_c, partial = comp_i[keep], comp_l[keep], comp_c[keep], \
                partial[keep]
        score, dist, comp_d, comp_a = self._finish(seg, q, c2, p, partial)
        return {
            "pos": p, "ids": seg.ids[p], "dist": dist, "score": score, "rank": tier + score,
            "components": (comp_d, comp_i, comp_l, comp_a, comp_c), "remote": remote,
        }

    @staticmethod
    def _finish(seg: _Segment, q: _Query, c2: np.ndarray, p: np.ndarray, partial: np.ndarray):
        """Scores from the distance-free ``partial`` sum: adds distance and availability."""
        w = q.weights
        dist = km_for_chord2(c2)
        reach = np.minimum(seg.travel[p], q.radius)
        with np.errstate(divide="ignore", invalid="ignore"):
            comp_d = np.where(reach > 0, 1.0 - dist / reach, 1.0)
        np.clip(comp_d, 0.0, 1.0, out=comp_d)
        if q.avail & int(_UNKNOWN):
            comp_a = np.full(len(p), 0.5)
        else:
            pa = seg.avail[p]
            both = np.minimum(seg.avail_n[p], q.avail_n)
            overlap = np.bitwise_count(pa & np.uint32(q.avail))
            comp_a = np.where(both > 0, overlap / np.maximum(both, 1), 0.0)
            comp_a[(pa & _UNKNOWN) > 0] = 0.5
        score = w[0] * comp_d
        score += partial
        if w[3]:
            score += w[3] * comp_a
        score /= q.weight_sum
        return score, dist, comp_d, comp_a

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

    def rank(self, home: Home, k: int = 20, weights=None, filters=None,
             explain: bool = True) -> list[Match]:
        """The ``k`` best partners for a home, best first, with components and reasons.

        ``weights`` (a partial mapping) overrides the default weights for this request;
        ``filters`` is a `Filters` or a mapping with ``kinds``, ``radius_km``, ``languages``
        and ``include_unapproved``. With ``explain=False`` the matches carry scores and
        components but no reasons or shared lists (cheaper, e.g. for allocation).
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
        chosen = self._top(parts, k)
        return self._explain(q, chosen) if explain else self._bare(q, chosen)

    def _town(self, code: int) -> str | None:
        labels = self.town_labels_
        return (labels[code] or None) if 0 <= code < len(labels) else None

    def _bare(self, q: _Query, chosen) -> list[Match]:
        matches = []
        for (seg, result), i in chosen:
            p = int(result["pos"][i])
            remote = bool(result["remote"][i])
            kind = int(seg.kind[p])
            matches.append(Match(
                partner_id=int(seg.ids[p]), name=seg.name(p),
                kind=self.kind_labels_[kind] if kind < len(self.kind_labels_) else "other",
                score=float(result["score"][i]), distance_km=float(result["dist"][i]),
                components={n: float(c[i]) for n, c in zip(COMPONENTS, result["components"],
                                                           strict=True)},
                reasons=[], in_person_paused=q.status == "restricted" and not remote,
                offers_remote=remote, town=self._town(int(seg.town[p])),
                lat=float(seg.lat[p]), lon=float(seg.lon[p])))
        return matches

    def _explain(self, q: _Query, chosen) -> list[Match]:
        """Matches with reasons for the chosen candidates; array look-ups are batched per
        segment and the per-match work is plain Python on lists."""
        groups: dict[int, tuple[_Segment, dict, list[int], list[int]]] = {}
        for slot, ((seg, result), i) in enumerate(chosen):
            group = groups.setdefault(id(seg), (seg, result, [], []))
            group[2].append(slot)
            group[3].append(i)
        lang_ids = [i for _, i, _, _ in q.explain_langs]
        cols = q.explain_cols.tolist()
        rows: list = [None] * len(chosen)
        for seg, result, slots, local in groups.values():
            idx = np.array(local, dtype=np.int64)
            p = result["pos"][idx]
            fields = {
                "terms": _present(seg.tf_keys, seg.n, cols, p).T.tolist(),
                "langs": _present(seg.lang_keys, seg.n, lang_ids, p).T.tolist(),
                "id": seg.ids[p].tolist(),
                "dist": result["dist"][idx].tolist(),
                "score": result["score"][idx].tolist(),
                "comps": np.stack([c[idx] for c in result["components"]], axis=1).tolist(),
                "remote": ((seg.flags[p] & _REMOTE) > 0).tolist(),
                "cat": seg.cat[p].tolist(),
                "avail": seg.avail[p].tolist(),
                "capacity": seg.capacity[p].tolist(),
                "active": seg.active[p].tolist(),
                "kind": seg.kind[p].tolist(),
                "name": [seg.name(x) for x in p.tolist()],
                "town": seg.town[p].tolist(),
                "lat": seg.lat[p].tolist(),
                "lon": seg.lon[p].tolist(),
            }
            for j, slot in enumerate(slots):
                rows[slot] = (fields, j)
        return [self._match(q, cols, fields, j) for fields, j in rows]

    def rank_many(self, homes: Sequence[Home], k: int = 20, weights=None, filters=None,
                  n_jobs: int | None = None, explain: bool = True) -> dict[int, list[Match]]:
        """Top ``k`` partners for each home (dict keyed by home id, in input order).

        With ``n_jobs > 1`` homes are shared among worker processes (fork), which read the
        fitted index without copying it. ``explain`` as in `rank`.
        """
        from .batch import rank_many

        self._check_fitted()
        return rank_many(self, homes, k=k, weights=weights, filters=filters,
                         n_jobs=self.n_jobs if n_jobs is None else n_jobs, explain=explain)

    # ---------------------------------------------------------------------------- explaining
    def _shared_interests(self, q: _Query, present_cols: set[int], cat: int) -> list[str]:
        """The home's own words (its interests, else words of its free text) that the
        partner shares, directly or through a taxonomy category."""
        shared: list[str] = []
        covered_cols: set[int] = set()
        covered_cats = 0
        for item, mask, cols in q.items:  # already de-duplicated by clean_interests
            if (mask & cat) or not present_cols.isdisjoint(cols):
                shared.append(item)
                covered_cols.update(cols)
                covered_cats |= mask
        extra = []
        for bit, surface in q.text_matches:
            if (cat >> bit & 1) and not (covered_cats >> bit & 1):
                extra.append(surface)
                covered_cats |= 1 << bit
        for col, surface in q.text_words:
            if col in present_cols and col not in covered_cols:
                extra.append(surface)
        if not shared and not extra and int(q.cat) & cat:
            extra = [self.taxonomy_.label(c) for c in self.taxonomy_.ids_of(int(q.cat) & cat)]
        if extra:
            seen = {s.casefold() for s in shared}
            for text in extra:
                if text.casefold() not in seen:
                    seen.add(text.casefold())
                    shared.append(text)
        return shared

    def _match(self, q: _Query, cols: list[int], f: dict, j: int) -> Match:
        dist = f["dist"][j]
        remote = f["remote"][j]
        reasons = [explain.distance_reason(dist)]
        paused = False
        if q.status == "restricted":
            paused = not remote
            reasons.insert(0, explain.PAUSED_WHILE_RESTRICTED if paused
                           else explain.REMOTE_WHILE_RESTRICTED)
        elif q.status == "closed":
            reasons.insert(0, explain.REMOTE_WHILE_CLOSED)
        present = {c for c, yes in zip(cols, f["terms"][j], strict=True) if yes}
        shared = self._shared_interests(q, present, f["cat"][j])
        if shared:
            reasons.append(explain.interests_reason(shared))
        shared_langs = []
        for (tag, _, count, name), spoken in zip(q.explain_langs, f["langs"][j], strict=True):
            if spoken:
                shared_langs.append(tag)
                reasons.append(explain.language_reason(name, count))
        pa = f["avail"][j]
        if not (pa | q.avail) & int(_UNKNOWN) and pa & q.avail:
            reasons.append(_availability_reason(pa & q.avail))
        remaining = f["capacity"][j] - f["active"][j]
        if f["capacity"][j] > 0 and remaining > 0:
            reasons.append(explain.capacity_reason(remaining))
        kind = f["kind"][j]
        return Match(
            partner_id=f["id"][j],
            name=f["name"][j],
            kind=self.kind_labels_[kind] if kind < len(self.kind_labels_) else "other",
            score=f["score"][j],
            distance_km=dist,
            components=dict(zip(COMPONENTS, f["comps"][j], strict=True)),
            reasons=reasons,
            in_person_paused=paused,
            shared_interests=shared,
            shared_languages=shared_langs,
            offers_remote=remote,
            town=self._town(f["town"][j]),
            lat=f["lat"][j],
            lon=f["lon"][j],
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
            np.minimum(tax, 1.0, out=tax)
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
            reasons.append(_availability_reason(pa & ha))
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
            "town_labels": self.town_labels_,
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
        # Plain ndarray views of the maps: indexing a np.memmap subclass costs several times
        # more per call, and a query makes hundreds of small ones.
        arrays = {name: np.asarray(np.load(path / f"{name}.npy", mmap_mode=mode))
                  for name in _SEGMENT_ARRAYS}
        arrays["flags"] = np.array(arrays["flags"])  # removals write to it
        ranker.weights_ = Weights.from_mapping(params["weights"])
        ranker.taxonomy_ = taxonomy
        ranker.analyser_ = TextAnalyser(taxonomy)
        ranker.tfidf_ = TfidfIndex(ranker.analyser_)
        ranker.tfidf_.restore(meta["columns"], np.load(path / "idf.npy"))
        ranker.kind_labels_ = list(meta["kind_labels"])
        ranker.lang_tags_ = list(meta["lang_tags"])
        ranker.town_labels_ = list(meta["town_labels"])
        ranker._reset_caches()
        ranker.main_ = _Segment(arrays, float(params["cell_deg"]))
        ranker.delta_ = None
        ranker.homes_ = None
        return ranker

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in ("_lock", "_text_cache", "_item_cache", "_lang_index_cache", "_bits_cache"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset_caches()
