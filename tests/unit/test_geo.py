"""Distances and bounding boxes agree with geopy's geodesic over the UK."""

import numpy as np
import pytest
from geopy.distance import geodesic

from matcher.domain.geo import bounding_box, haversine_km

rng = np.random.default_rng(20240601)


def _random_uk_pairs(count):
    """Random starts over the UK, each with a geodesic destination 0.1-1000 km away."""
    lat = rng.uniform(49.9, 60.9, count)
    lon = rng.uniform(-8.2, 1.8, count)
    bearing = rng.uniform(0, 360, count)
    distance = np.exp(rng.uniform(np.log(0.1), np.log(1000), count))
    ends = [
        geodesic(kilometers=d).destination((a, b), c)
        for a, b, c, d in zip(lat, lon, bearing, distance, strict=True)
    ]
    end_lat = np.array([p.latitude for p in ends])
    end_lon = np.array([p.longitude for p in ends])
    return lat, lon, end_lat, end_lon, distance


def test_haversine_agrees_with_geodesic_within_half_a_percent_across_the_uk():
    lat1, lon1, lat2, lon2, true_km = _random_uk_pairs(2000)
    ratio = haversine_km(lat1, lon1, lat2, lon2) / true_km
    assert np.abs(ratio - 1).max() < 0.005


def test_known_distance_london_to_edinburgh():
    london, edinburgh = (51.5074, -0.1278), (55.9533, -3.1883)
    assert haversine_km(*london, *edinburgh) == pytest.approx(
        geodesic(london, edinburgh).km, rel=0.005
    )


def test_scalars_give_a_float_and_zero_for_the_same_point():
    distance = haversine_km(54.5966, -5.9301, 54.5966, -5.9301)
    assert isinstance(distance, float)
    assert distance == 0.0


def test_one_point_against_many_broadcasts():
    lats = np.array([51.5, 52.5, 53.5])
    lons = np.array([-0.1, -1.9, -2.2])
    distances = haversine_km(51.5, -0.1, lats, lons)
    assert distances.shape == (3,)
    assert distances[0] == 0.0
    assert distances[1] < distances[2]


def test_pairwise_matrix_by_broadcasting():
    lats = np.array([51.5, 55.95, 54.6])
    lons = np.array([-0.13, -3.19, -5.93])
    matrix = haversine_km(lats[:, None], lons[:, None], lats[None, :], lons[None, :])
    assert matrix.shape == (3, 3)
    assert np.allclose(matrix, matrix.T)
    assert np.allclose(np.diag(matrix), 0)


def test_bounding_box_holds_every_point_within_the_radius():
    lat1, lon1, lat2, lon2, true_km = _random_uk_pairs(500)
    for a, b, c, d, km in zip(lat1, lon1, lat2, lon2, true_km, strict=True):
        box = bounding_box(a, b, km * 1.0001)
        assert box.contains(c, d), (a, b, c, d, km)


def test_bounding_box_is_not_wastefully_large():
    box = bounding_box(54.0, -2.0, 10.0)
    height_km = haversine_km(box.min_lat, -2.0, box.max_lat, -2.0)
    width_km = haversine_km(54.0, box.min_lon, 54.0, box.max_lon)
    assert 20 <= height_km < 21
    assert 20 <= width_km < 21
    assert not box.contains(54.2, -2.0)


def test_bounding_box_rejects_a_negative_radius():
    with pytest.raises(ValueError):
        bounding_box(54.0, -2.0, -1.0)
