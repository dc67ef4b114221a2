"""The spatial index: partners sorted by grid cell, with the columns a query reads.

``Segment.build`` sorts partners into a latitude/longitude grid (cells of ``cell`` degrees)
so the partners of one grid row form a contiguous slice; `search_keys` turns a home's search
circle into one key range per grid row, found with binary search. On a million partners this
candidate search took 0.27 ms (median) against 1.4 ms for scipy's cKDTree ball query on the
same unit vectors (scripts/bench_ranking.py). Exact distances come from 3-D unit vectors.

Interest and language features are stored as sorted "posting" keys ``column * n + position``:
a home's few TF-IDF terms and languages are looked up for its ranges with one
`np.searchsorted` each (`scatter`, `present`), so the work grows with the matching partners,
not with the vocabulary or the length of their descriptions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import safeguarding
from ..geo import limit_km
from . import components
from .features import (
    EARTH_RADIUS_KM,
    chord2_for_km,
    decode_blob,
    encode_blob,
    gather_ranges,
    take_blob,
    unit_vectors,
)
from .types import STATUSES

# Flags of a partner in a segment.
ALIVE = np.uint8(1)
CAPACITY_OK = np.uint8(2)
APPROVED = np.uint8(4)
ELIGIBLE = np.uint8(7)  # alive, with capacity and approved
PENDING = np.uint8(8)
REMOTE = np.uint8(16)
UNKNOWN = components.UNKNOWN
SLOT_BITS = components.SLOT_BITS

# Arrays of a segment saved by `persistence.save`, with their dtypes.
SEGMENT_ARRAYS = {
    "ids": np.int64, "id_order": np.int64, "key": np.int64, "lat": np.float64,
    "lon": np.float64, "geo": np.float64, "travel": np.float64, "flags": np.uint8,
    "status": np.int8,
    "kind": np.int16, "town": np.int32, "cat": np.uint64, "cat_n": np.uint8, "con": np.uint64,
    "avail": np.uint32,
    "avail_n": np.uint8, "capacity": np.int32, "active": np.int32, "cap_comp": np.float32,
    "tf_keys": np.int64, "tf_vals": np.float32, "lang_keys": np.int64,
    "names_blob": np.uint8, "names_off": np.int64,
    "check": np.int8, "check_until": np.int32, "valid_until": np.int32,
}


def grid_key(lat, lon, cell: float):
    """Grid cell keys (row-major) of points."""
    ncols = int(math.ceil(360.0 / cell)) + 1
    row = np.floor((np.asarray(lat) + 90.0) / cell).astype(np.int64)
    col = np.floor((np.asarray(lon) + 180.0) / cell).astype(np.int64)
    return row * ncols + col


def search_keys(lat: float, lon: float, radius_km: float, cell: float):
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


def scatter(keys, vals, n, cols, weights, starts, offsets, ends, total):
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


def present(keys, n, cols, positions) -> np.ndarray:
    """Boolean matrix (len(cols), len(positions)): does posting key ``col * n + pos`` exist."""
    if len(cols) == 0 or len(positions) == 0 or len(keys) == 0:
        return np.zeros((len(cols), len(positions)), dtype=bool)
    wanted = (np.asarray(cols, np.int64)[:, None] * n + np.asarray(positions)[None, :]).ravel()
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return (keys[at] == wanted).reshape(len(cols), len(positions))



# ------------------------------------------------------------------------------------ segment
@dataclass
class Columns:
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
    check: np.ndarray
    check_until: np.ndarray
    con: np.ndarray | None = None  # concept masks, (n, concept words); None: no concepts
    names: list[str] | None = None  # when set, preferred to the blob (cheaper to reorder)

    def __len__(self):
        return len(self.ids)

    @staticmethod
    def concat(parts: Sequence[Columns]) -> Columns:
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
        n_words = max((p.con.shape[1] for p in parts if p.con is not None), default=1)
        con_parts = [p.con if p.con is not None else np.zeros((len(p), n_words), np.uint64)
                     for p in parts]
        matrices = []
        for p in parts:
            m = p.tfidf.tocsr()
            matrices.append(sp.csr_matrix((m.data, m.indices, m.indptr), shape=(len(p), n_cols)))
        return Columns(
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
            check=cat("check", np.int8),
            check_until=cat("check_until", np.int32),
            con=(np.concatenate(con_parts).astype(np.uint64) if con_parts
                 else np.zeros((0, n_words), np.uint64)),
            names=names,
        )


class Segment:
    """Partners sorted by grid cell, with the arrays a query needs (see module docstring)."""

    def __init__(self, arrays: Mapping[str, np.ndarray], cell: float):
        for name in SEGMENT_ARRAYS:
            setattr(self, name, arrays[name])
        self.cell = cell
        self.n = len(self.ids)

    @classmethod
    def build(cls, cols: Columns, cell: float) -> Segment:
        n = len(cols)
        key = grid_key(cols.lat, cols.lon, cell)
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
        # Least dot product within reach; reach compares the distance as shown (0.1 km), as
        # `geo.limit_km` does for the home's radius.
        geo[:, 3] = 1.0 - 0.5 * chord2_for_km(limit_km(a["travel"]))
        a["geo"] = geo
        a["status"] = cols.status[order]
        a["capacity"], a["active"] = cols.capacity[order], cols.active[order]
        remaining = a["capacity"] - a["active"]
        flags = np.full(n, ALIVE, dtype=np.uint8)
        flags[(a["capacity"] < 0) | (remaining > 0)] |= CAPACITY_OK
        flags[a["status"] == STATUSES.index("approved")] |= APPROVED
        flags[a["status"] == STATUSES.index("pending")] |= PENDING
        flags[cols.remote[order]] |= REMOTE
        a["flags"] = flags
        a["kind"] = cols.kind[order]
        a["town"] = cols.town[order]
        a["check"], a["check_until"] = cols.check[order], cols.check_until[order]
        # The last day each check is valid: validity on a day is one comparison.
        a["valid_until"] = safeguarding.valid_until(a["check"], a["check_until"])
        a["cat"] = cols.cat[order]
        a["cat_n"] = np.bitwise_count(a["cat"]).astype(np.uint8)
        # Concept words one row each (word-major), so a query reads one contiguous run per
        # word and grid row.
        con = cols.con if cols.con is not None else np.zeros((n, 1), np.uint64)
        a["con"] = np.ascontiguousarray(con[order].T)
        a["avail"] = cols.avail[order]
        a["avail_n"] = np.bitwise_count(a["avail"] & SLOT_BITS).astype(np.uint8)
        # Stored in single precision (it is read for every candidate of every query).
        a["cap_comp"] = components.capacity(a["capacity"], a["active"]).astype(np.float32)
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

    def columns(self, index: np.ndarray | None = None) -> Columns:
        """The partners at ``index`` (all alive ones by default) back as columns."""
        if index is None:
            index = np.flatnonzero(self.flags & ALIVE)
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
        return Columns(
            ids=self.ids[index], names_blob=blob, names_off=off, kind=self.kind[index],
            lat=self.lat[index], lon=self.lon[index], travel=self.travel[index],
            lang_indptr=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
            lang=lang_sorted[gather_ranges(starts, lengths)].astype(np.int32),
            avail=self.avail[index], capacity=self.capacity[index], active=self.active[index],
            remote=(self.flags[index] & REMOTE) > 0, status=self.status[index],
            tfidf=matrix[index], cat=self.cat[index], town=self.town[index],
            check=self.check[index], check_until=self.check_until[index],
            con=self.con[:, index].T,
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

