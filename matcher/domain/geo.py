"""Great-circle distances and bounding boxes, vectorised with numpy."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["DISTANCE_DECIMALS", "EARTH_RADIUS_KM", "BoundingBox", "bounding_box", "haversine_km",
           "limit_km", "round_km"]

# The WGS84 ellipsoid's radius of curvature across the UK (50-61 degrees north) runs from
# about 6,373 km (north-south, at 50 N) to 6,394 km (east-west, at 61 N). This radius keeps
# the sphere within about 0.2% of geopy's geodesic in every direction there, where the
# global mean radius (6,371 km) would always read short, by up to 0.35%.
EARTH_RADIUS_KM = 6382.0


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike):
    """Great-circle distance in kilometres between points given in degrees.

    Arguments broadcast like numpy arrays (one point against many, or pairwise); plain
    floats in give a float out.
    """
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(np.subtract(lon2, lon1))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    # Rounding can push a a hair above 1 for antipodal points; arcsin would give NaN.
    distance = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    if np.ndim(distance) == 0:
        return float(distance)
    return distance


class BoundingBox(NamedTuple):
    """A latitude/longitude box in degrees."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def contains(self, lat: ArrayLike, lon: ArrayLike):
        """True (elementwise) for points inside the box."""
        return (
            (np.asarray(lat) >= self.min_lat)
            & (np.asarray(lat) <= self.max_lat)
            & (np.asarray(lon) >= self.min_lon)
            & (np.asarray(lon) <= self.max_lon)
        )


def bounding_box(lat: float, lon: float, radius_km: float, *, margin: float = 0.01) -> BoundingBox:
    """A box that holds every point within ``radius_km`` of (lat, lon).

    Meant as a cheap pre-filter before an exact distance check; ``margin`` widens it (1% by
    default) so that points the ellipsoid places just inside the radius are not cut off.
    """
    if radius_km < 0:
        raise ValueError("The radius must not be negative")
    angle = radius_km * (1.0 + margin) / EARTH_RADIUS_KM
    dlat = float(np.degrees(angle))
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        return BoundingBox(max(min_lat, -90.0), -180.0, min(max_lat, 90.0), 180.0)
    # Longitude spans widen towards the pole, so use the edge of the box nearest to it.
    widest = np.radians(max(abs(min_lat), abs(max_lat)))
    ratio = np.sin(angle) / np.cos(widest)
    if ratio >= 1.0:
        return BoundingBox(min_lat, -180.0, max_lat, 180.0)
    dlon = float(np.degrees(np.arcsin(ratio)))
    return BoundingBox(min_lat, lon - dlon, max_lat, lon + dlon)


# Distances are shown to 0.1 km everywhere (cards, reasons, API, CSV): one rounding, and the
# radius filters compare the figure people see, so "10 km away" is kept "within 10 km".
DISTANCE_DECIMALS = 1


def round_km(km):
    """A distance as shown: to 0.1 km, halves up (a float, or an array for an array)."""
    scale = 10.0 ** DISTANCE_DECIMALS
    if np.ndim(km):
        return np.floor(np.asarray(km, dtype=np.float64) * scale + 0.5) / scale
    return math.floor(float(km) * scale + 0.5) / scale


def limit_km(radius_km):
    """The true distance up to which a partner is within ``radius_km``: the distance itself
    or its shown figure (`round_km`) within the radius (10 km -> 10.05 km, as 10.04 km shows
    as 10.0 km); arrays give one limit each."""
    scale = 10.0 ** DISTANCE_DECIMALS
    radius = np.asarray(radius_km, dtype=np.float64)
    shown = np.floor(radius * scale + 1e-9) / scale
    limit = np.maximum(radius, shown + 0.5 / scale - 1e-9)  # 10.05 itself shows as 10.1
    return float(limit) if np.ndim(limit) == 0 else limit
