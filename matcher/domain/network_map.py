"""The network map's arithmetic: points in a box, counted in grid cells at low zoom.

Pure numpy, so a million partners are counted in a few milliseconds and the rule can be
tested and benchmarked without the app. A cell's marker stands at the mean of its points
(not the cell's centre), so a cluster sits where its homes or partners really are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

# Web maps double their scale at each zoom level; a 256-pixel tile spans 360 / 2**zoom
# degrees of longitude. Cells of a quarter tile (64 px) keep clusters readable.
CELLS_PER_TILE = 4
MIN_ZOOM, MAX_ZOOM = 0, 19
# A nation or more (below zoom 9) is always shown in clusters; closer, each point is sent on
# its own when there are at most MAX_POINTS in the box (POINTS_CAP from zoom 13, a few streets).
CELLS_BELOW_ZOOM = 9
MAX_POINTS = 400
POINTS_FROM_ZOOM = 13
POINTS_CAP = 3000  # never more points than this in one answer, whatever the zoom
UK_BOX = (49.8, -8.7, 60.9, 1.8)  # south, west, north, east


class Box(NamedTuple):
    """A latitude/longitude box in degrees (south, west, north, east)."""

    south: float
    west: float
    north: float
    east: float

    def mask(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """True for the points inside the box (edges included)."""
        return (lat >= self.south) & (lat <= self.north) & (lon >= self.west) & (lon <= self.east)


def parse_box(text: str | None) -> Box | None:
    """``"west,south,east,north"`` (Leaflet's ``toBBoxString``) as a :class:`Box` clipped to
    the world, or None when it is not four numbers in order."""
    if not text:
        return None
    parts = text.split(",")
    if len(parts) != 4:
        return None
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        return None
    if not all(np.isfinite([west, south, east, north])):
        return None
    south, north = max(south, -90.0), min(north, 90.0)
    west, east = max(west, -180.0), min(east, 180.0)
    if south > north or west > east:
        return None
    return Box(south, west, north, east)


def cell_degrees(zoom: int, latitude: float) -> tuple[float, float]:
    """The cell's size (latitude, longitude degrees) at ``zoom``, about 64 px square around
    ``latitude`` (a degree of longitude shrinks with the cosine of latitude)."""
    lon_deg = 360.0 / (2 ** zoom) / CELLS_PER_TILE
    lat_deg = lon_deg * max(float(np.cos(np.radians(latitude))), 0.05)
    return lat_deg, lon_deg


@dataclass(frozen=True)
class Cells:
    """Counts per occupied cell: position of the mean point, how many, how many flagged."""

    lat: np.ndarray
    lon: np.ndarray
    count: np.ndarray
    flagged: np.ndarray

    def as_list(self) -> list[dict]:
        return [{"lat": round(float(a), 5), "lon": round(float(b), 5), "count": int(c),
                 "flagged": int(f)}
                for a, b, c, f in zip(self.lat, self.lon, self.count, self.flagged, strict=True)]


def aggregate(lat: np.ndarray, lon: np.ndarray, box: Box, zoom: int,
              flagged: np.ndarray | None = None) -> Cells:
    """Count the points (already inside ``box``) in the cells of ``zoom``'s grid.

    The grid is anchored at whole multiples of the cell size, not at the box's corner, so
    panning the map never moves a point from one cluster to another.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    flags = (np.zeros(len(lat), dtype=bool) if flagged is None
             else np.asarray(flagged, dtype=bool))
    if not len(lat):
        empty = np.zeros(0)
        return Cells(empty, empty, empty.astype(np.int64), empty.astype(np.int64))
    lat_deg, lon_deg = cell_degrees(zoom, (box.south + box.north) / 2)
    row = np.floor(lat / lat_deg).astype(np.int64)
    col = np.floor(lon / lon_deg).astype(np.int64)
    row -= row.min()
    col -= col.min()
    width = int(col.max()) + 1
    key = row * width + col
    size = int(key.max()) + 1
    if size <= 4 * len(key) + 1024:
        # Few cells in the box (the usual case): count straight into a dense array, O(n).
        count = np.bincount(key, minlength=size)
        occupied = np.flatnonzero(count)
        index = np.searchsorted(occupied, key)
    else:
        occupied, index = np.unique(key, return_inverse=True)
    count = np.bincount(index, minlength=len(occupied))
    sum_lat = np.bincount(index, weights=lat, minlength=len(occupied))
    sum_lon = np.bincount(index, weights=lon, minlength=len(occupied))
    flagged_count = np.bincount(index, weights=flags.astype(np.float64),
                                minlength=len(occupied)).astype(np.int64)
    return Cells(sum_lat / count, sum_lon / count, count.astype(np.int64), flagged_count)


def clamp_zoom(zoom: int | None) -> int:
    """A zoom level within what web maps use (6, a whole nation, when not given)."""
    if zoom is None:
        return 6
    return int(min(max(zoom, MIN_ZOOM), MAX_ZOOM))


def as_points(total: int, zoom: int) -> bool:
    """Whether the box's points are few enough (or the map close enough) to send one by one."""
    if zoom < CELLS_BELOW_ZOOM:
        return False
    return total <= MAX_POINTS or (zoom >= POINTS_FROM_ZOOM and total <= POINTS_CAP)


def missing_kinds(la_index: np.ndarray, kind_index: np.ndarray, n_las: int,
                  n_kinds: int) -> np.ndarray:
    """A (local authority x kind) table of partner counts, from each partner's indices."""
    la_index = np.asarray(la_index, dtype=np.int64)
    kind_index = np.asarray(kind_index, dtype=np.int64)
    keep = (la_index >= 0) & (kind_index >= 0)
    flat = la_index[keep] * n_kinds + kind_index[keep]
    return np.bincount(flat, minlength=n_las * n_kinds).reshape(n_las, n_kinds)
