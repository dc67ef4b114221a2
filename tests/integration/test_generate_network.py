"""The synthetic network generator: reproducible, UK-wide, well formed and usable by the app."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-28"
HOMES, PARTNERS = 80, 3_000


def _generate(path: Path, *args: str) -> None:
    """Run the generator as a user would, from the command line."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_network.py"),
         "--database-url", f"sqlite:///{path}", "--as-of", AS_OF, *args],
        check=True, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Two databases filled with the same seed (different batch sizes), one with another."""
    base = tmp_path_factory.mktemp("network")
    paths = {}
    for name, seed, batch in (("a", 11, 50_000), ("b", 11, 700), ("c", 12, 50_000)):
        paths[name] = base / f"{name}.sqlite3"
        _generate(paths[name], "--homes", str(HOMES), "--partners", str(PARTNERS),
                  "--seed", str(seed), "--batch", str(batch))
    return paths


def _rows(path: Path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()  # noqa: S608


def test_same_seed_gives_identical_rows_whatever_the_batch_size(generated):
    for table in ("care_homes", "community_groups"):
        first, second = _rows(generated["a"], table), _rows(generated["b"], table)
        assert len(first) == {"care_homes": HOMES, "community_groups": PARTNERS}[table]
        assert first == second
    assert _rows(generated["a"], "community_groups") != _rows(generated["c"], "community_groups")


def test_every_nation_has_homes_and_partners_in_proportion(generated):
    with sqlite3.connect(generated["a"]) as conn:
        partners = dict(conn.execute(
            "SELECT nation, count(*) FROM community_groups GROUP BY nation").fetchall())
        homes = dict(conn.execute("SELECT nation, count(*) FROM care_homes GROUP BY nation"))
    assert set(partners) == {"england", "scotland", "wales", "northern-ireland"}
    assert set(homes) >= {"england", "scotland", "wales"}
    assert 0.75 < partners["england"] / PARTNERS < 0.92
    assert partners["scotland"] > partners["northern-ireland"]


def test_partners_sit_on_real_postcodes_near_their_district_centroid(generated):
    from matcher.domain.geo import haversine_km
    from matcher.domain.geocoding.index import get_index

    index = get_index(progress=None)
    centroids = {d.code: (d.lat, d.lon) for d in index.districts()}
    with sqlite3.connect(generated["a"]) as conn:
        rows = conn.execute("SELECT postcode, lat, lon, nation, local_authority_code "
                            "FROM community_groups").fetchall()
    for postcode, lat, lon, nation, la_code in rows[:400]:
        found = index.lookup(postcode)
        assert found.precision == "postcode"  # a real postcode, not a fallback
        assert abs(found.lat - lat) < 1e-5 and abs(found.lon - lon) < 1e-5
        assert (found.nation, found.local_authority_code) == (nation, la_code)
    for postcode, lat, lon, _, _ in rows:
        c_lat, c_lon = centroids[postcode.split()[0]]
        assert haversine_km(lat, lon, c_lat, c_lon) <= 15.0, postcode


def test_json_columns_hold_valid_json_of_the_expected_shapes(generated):
    with sqlite3.connect(generated["a"]) as conn:
        groups = conn.execute("SELECT interests, languages, availability, remote_modes, "
                              "offers_remote FROM community_groups").fetchall()
        homes = conn.execute("SELECT interests, languages, care_types, facilities, "
                             "availability, residents FROM care_homes").fetchall()
    tags = set()
    for interests, languages, availability, modes, remote in groups:
        assert json.loads(interests) and all(isinstance(i, str) for i in json.loads(interests))
        langs = json.loads(languages)
        assert langs and all({"tag", "name", "native_name"} <= set(lang) for lang in langs)
        tags.update(lang["tag"] for lang in langs)
        assert availability is None or isinstance(json.loads(availability), list)
        assert bool(json.loads(modes)) == bool(remote)
    assert {"en", "cy", "pl"} <= tags
    for interests, languages, care_types, facilities, availability, residents in homes:
        assert 10 <= residents <= 90
        assert isinstance(json.loads(interests), list)
        assert sum(lang["residents"] for lang in json.loads(languages)) <= residents * 3
        assert isinstance(json.loads(care_types), list)
        assert isinstance(json.loads(facilities), list)
        assert availability is None or isinstance(json.loads(availability), list)


def test_the_data_versions_change_and_a_second_run_adds_rows(generated, tmp_path):
    path = tmp_path / "again.sqlite3"
    shutil.copy(generated["c"], path)

    def state():
        with sqlite3.connect(path) as conn:
            versions = dict(conn.execute("SELECT name, version FROM data_versions"))
            counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                      for t in ("care_homes", "community_groups")]
        return versions, counts

    before, counts = state()
    assert set(before) == {"partners", "homes"} and counts == [HOMES, PARTNERS]
    _generate(path, "--homes", "5", "--partners", "50", "--seed", "12")
    after, counts = state()
    assert counts == [HOMES + 5, PARTNERS + 50]
    assert before["partners"] != after["partners"] and before["homes"] != after["homes"]
    _generate(path, "--homes", "5", "--partners", "20", "--seed", "12", "--replace")
    assert state()[1] == [5, 20]


def _rank_busiest_home(path: Path) -> dict:
    """Ask the API, as a coordinator would first, for the home with most partners nearby."""
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    import _benchlib

    from matcher.extensions import db
    from matcher.services import accounts

    app = _benchlib.make_app(f"sqlite:///{path}", TESTING=True)
    with app.app_context():
        user = accounts.create_user(db.session, "bench@example.org", "admin")
        token = accounts.issue_token(db.session, user, 1)
        db.session.commit()
        with sqlite3.connect(path) as conn:
            home_id, radius = conn.execute(
                "SELECT h.id, h.search_radius_km FROM care_homes h JOIN community_groups g "
                "ON abs(g.lat - h.lat) < 0.08 AND abs(g.lon - h.lon) < 0.12 "
                "GROUP BY h.id ORDER BY count(*) DESC LIMIT 1").fetchone()
    response = app.test_client().get(f"/api/v1/care-homes/{home_id}/matches?limit=10",
                                     headers={"Authorization": f"Bearer {token}"})
    with app.app_context():
        db.engine.dispose()
    return {"status": response.status_code, "radius": radius, "body": response.get_json()}


def test_the_app_ranks_matches_on_the_generated_network(generated, tmp_path):
    path = tmp_path / "rank.sqlite3"
    shutil.copy(generated["a"], path)
    result = _rank_busiest_home(path)
    assert result["status"] == 200, result["body"]
    matches = result["body"]["matches"]
    assert matches, "a home in a busy district should have partners nearby"
    assert all(0 <= m["score"] <= 1 and m["reasons"] for m in matches)
    assert all(m["distance_km"] <= result["radius"] + 0.01 for m in matches)
