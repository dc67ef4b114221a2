"""Coordinators' network tools through the API: match lists, allocations, introductions and the
network report, with their scope rules, CSV exports and errors."""

from __future__ import annotations

import csv
import io
import itertools

import numpy as np
import pytest

from matcher.services import matching
from matcher.services.allocations import ALLOCATION_COLUMNS
from matcher.services.match_lists import MATCH_LIST_COLUMNS
from matcher.services.reports import REPORT_COLUMNS, reach

HOSTILE = '=HYPERLINK("http://evil.example","click")'


def home_body(name, postcode, **extra):
    body = {"name": name, "postcode": postcode, "residents": 30,
            "interests": ["singing", "gardening"],
            "languages": [{"language": "Cymraeg", "residents": 10}], "search_radius_km": 10}
    body.update(extra)
    return body


def group_body(name, postcode, **extra):
    body = {"name": name, "kind": "choir", "postcode": postcode, "travel_radius_km": 15,
            "interests": ["singing"], "languages": ["Welsh"], "capacity_per_month": 1,
            "consent": True}
    body.update(extra)
    return body


@pytest.fixture
def network(client, make_user):
    """Three homes around Bangor and Llanberis, one in Cardiff with nobody near, one in
    England; partners with little capacity, one of them with a hostile name."""
    _, admin = make_user("admin")
    homes, groups = {}, {}
    for name, postcode, extra in [
        ("Cartref Bangor", "LL57 2PW", {}),
        ("Plas Menai", "LL57 1DN", {}),
        ("Bryn Awel", "LL55 4UR", {}),
        ("Cartref Bae", "CF10 1EP", {"search_radius_km": 1}),
        ("Rose Court", "SW1A 1AA", {}),
    ]:
        response = client.post("/api/v1/care-homes", json=home_body(name, postcode, **extra),
                               headers=admin)
        assert response.status_code == 201, response.json
        homes[name] = response.json["id"]
    for name, postcode, extra in [
        ("Côr Bangor", "LL57 1UT", {}),
        ("Llanberis Singers", "LL55 4EL", {"capacity_per_month": 2}),
        (HOSTILE, "LL57 2PW", {"kind": "knitting_club", "interests": ["knitting"],
                               "languages": ["English"], "capacity_per_month": None}),
        ("Westminster Choir", "SW1A 2AA", {"languages": ["English"]}),
        ("Pending Choir", "LL57 2PW", {}),
    ]:
        response = client.post("/api/v1/groups", json=group_body(name, postcode, **extra),
                               headers=admin)
        assert response.status_code == 201, response.json
        groups[name] = response.json["id"]
    pending = client.patch(f"/api/v1/groups/{groups['Pending Choir']}",
                           json={"status": "pending"}, headers=admin)
    assert pending.status_code == 200
    return homes, groups, admin


def rows_of(response):
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# --- match lists ------------------------------------------------------------------------------

def test_match_list_json_covers_every_home_of_the_nation(client, network):
    homes, groups, admin = network
    response = client.get("/api/v1/match-lists?nation=wales&per_home=3", headers=admin)
    assert response.status_code == 200, response.json
    body = response.json
    listed = {entry["care_home"]["name"]: entry for entry in body["homes"]}
    assert set(listed) == {"Cartref Bangor", "Plas Menai", "Bryn Awel", "Cartref Bae"}
    assert body["count"] == 4 and body["nation"] == "wales"
    assert listed["Cartref Bae"]["matches"] == []  # nobody within a kilometre of Cardiff Bay
    bangor = listed["Cartref Bangor"]["matches"]
    assert 0 < len(bangor) <= 3
    assert [m["score"] for m in bangor] == sorted((m["score"] for m in bangor), reverse=True)
    assert all(m["reasons"] and {"distance", "interests", "language"} <= set(m["components"])
               for m in bangor)
    names = {m["group"]["name"] for e in body["homes"] for m in e["matches"]}
    assert "Pending Choir" not in names and "Westminster Choir" not in names


def test_match_list_is_ranked_in_one_batch(client, network, monkeypatch):
    _, _, admin = network
    calls = []
    real = matching.batch_matches

    def spy(session, cache, homes, **kwargs):
        calls.append(len(homes))
        return real(session, cache, homes, **kwargs)

    monkeypatch.setattr(matching, "batch_matches", spy)
    monkeypatch.setattr(matching, "home_matches", lambda *a, **k: pytest.fail("one by one"))
    assert client.get("/api/v1/match-lists", headers=admin).status_code == 200
    assert calls == [5]  # admins without a nation get the whole network, at once


def test_match_list_csv_has_the_documented_columns_and_neutralised_cells(client, network):
    homes, groups, admin = network
    response = client.get("/api/v1/match-lists?nation=wales&format=csv", headers=admin)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="match-list-wales-' in disposition
    rows = rows_of(response)
    assert tuple(rows[0]) == MATCH_LIST_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    bae = [r for r in records if r["care_home_name"] == "Cartref Bae"]
    assert len(bae) == 1 and bae[0]["group_id"] == "" and bae[0]["rank"] == ""
    hostile = [r for r in records if r["group_id"] == str(groups[HOSTILE])]
    assert hostile, "the knitting club near Bangor should be listed"
    for record in hostile:
        assert record["group_name"] == "'" + HOSTILE
    for record in records:
        for value in record.values():
            assert not value.startswith(("=", "+", "@")), value
        if record["group_id"]:
            assert 0 <= float(record["score"]) <= 1
            assert record["in_person_paused"] in ("yes", "no")


def test_match_list_kinds_and_local_authority_filters(client, network):
    homes, groups, admin = network
    body = client.get("/api/v1/match-lists?nation=wales&kinds=knitting_club",
                      headers=admin).json
    names = {m["group"]["name"] for e in body["homes"] for m in e["matches"]}
    assert names == {HOSTILE}
    cardiff = client.get("/api/v1/match-lists?local_authority=W06000015",
                         headers=admin).json
    assert {e["care_home"]["name"] for e in cardiff["homes"]} == {"Cartref Bae"}
    bad = client.get("/api/v1/match-lists?kinds=circus", headers=admin)
    assert bad.status_code == 422 and "kinds" in bad.json["errors"]


def test_match_list_scope(client, network, make_user):
    homes, _, _ = network
    _, welsh = make_user("coordinator", nation="wales")
    _, staff = make_user("care_home", care_home_id=homes["Bryn Awel"])
    own = client.get("/api/v1/match-lists", headers=welsh)
    assert own.status_code == 200 and own.json["nation"] == "wales"
    assert client.get("/api/v1/match-lists?nation=wales", headers=welsh).status_code == 200
    other = client.get("/api/v1/match-lists?nation=england", headers=welsh)
    assert other.status_code == 403 and other.json["message"]
    assert client.get("/api/v1/match-lists", headers=staff).status_code == 403
    assert client.get("/api/v1/match-lists").status_code == 401


def test_match_list_cli_writes_the_same_csv(runner, network, tmp_path):
    out = tmp_path / "wales.csv"
    result = runner.invoke(args=["match-list", "--nation", "wales", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open(encoding="utf-8-sig", newline="")))
    assert tuple(rows[0]) == MATCH_LIST_COLUMNS
    assert {r[4] for r in rows[1:]} == {"Cartref Bangor", "Plas Menai", "Bryn Awel",
                                        "Cartref Bae"}


# --- allocations ------------------------------------------------------------------------------

def brute_force_total(candidates, per_home, capacity):
    """The best total over every feasible subset of candidate pairs (tiny networks only)."""
    best = 0.0
    for size in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, size):
            per_home_count, per_group_count = {}, {}
            for home, group, _ in subset:
                per_home_count[home] = per_home_count.get(home, 0) + 1
                per_group_count[group] = per_group_count.get(group, 0) + 1
            if any(v > per_home for v in per_home_count.values()):
                continue
            if any(v > capacity[g] for g, v in per_group_count.items()):
                continue
            best = max(best, sum(s for _, _, s in subset))
    return best


def test_allocation_is_optimal_within_capacity_and_stored(client, network):
    homes, groups, admin = network
    listed = client.get("/api/v1/match-lists?nation=wales&per_home=20", headers=admin).json
    candidates = [(e["care_home"]["id"], m["group"]["id"], m["score"])
                  for e in listed["homes"] for m in e["matches"]]
    assert 3 <= len(candidates) <= 14
    capacity = {groups["Côr Bangor"]: 1, groups["Llanberis Singers"]: 2, groups[HOSTILE]: 99}
    response = client.post("/api/v1/allocations", json={"nation": "wales", "per_home": 1,
                                                         "strategy": "total"}, headers=admin)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"] and body["per_home"] == 1 and body["nation"] == "wales"
    assert body["strategy"] == "total"
    pairs = body["assignments"]
    assert len({a["care_home"]["id"] for a in pairs}) == len(pairs)  # one each
    for group_id, limit in capacity.items():
        assert sum(a["group"]["id"] == group_id for a in pairs) <= limit
    assert body["total_score"] == pytest.approx(sum(a["score"] for a in pairs), abs=1e-4)
    assert body["total_score"] == pytest.approx(
        brute_force_total(candidates, 1, capacity), abs=1e-4)
    stored = client.get(f"/api/v1/allocations/{body['id']}", headers=admin)
    assert stored.status_code == 200 and stored.json["assignments"] == pairs
    listing = client.get("/api/v1/allocations", headers=admin)
    assert listing.json[0]["id"] == body["id"]
    assert listing.json[0]["assignment_count"] == len(pairs)


def test_fair_allocation_serves_every_reachable_home_first_and_says_who_got_nobody(
        client, network):
    homes, groups, admin = network
    listed = client.get("/api/v1/match-lists?nation=wales&per_home=20", headers=admin).json
    candidates = [(e["care_home"]["id"], m["group"]["id"], m["score"])
                  for e in listed["homes"] for m in e["matches"]]
    capacity = {groups["Côr Bangor"]: 1, groups["Llanberis Singers"]: 2, groups[HOSTILE]: 99}
    fair = client.post("/api/v1/allocations", json={"nation": "wales", "per_home": 3},
                       headers=admin)
    assert fair.status_code == 201, fair.json
    body = fair.json
    assert body["strategy"] == "fair"  # the default
    served = {a["care_home"]["id"] for a in body["assignments"]}
    # The most homes any allocation could serve with one partner each: all of them served.
    best_cover = max(
        len({h for h, _, _ in subset})
        for size in range(len({h for h, _, _ in candidates}) + 1)
        for subset in itertools.combinations(candidates, size)
        if all(sum(g == gid for _, g, _ in subset) <= capacity[gid] for gid in capacity)
        and len({h for h, _, _ in subset}) == len(subset))
    assert len(served) == best_cover
    total = client.post("/api/v1/allocations", json={"nation": "wales", "per_home": 3,
                                                      "strategy": "total"}, headers=admin).json
    assert len(served) >= len({a["care_home"]["id"] for a in total["assignments"]})
    assert total["total_score"] >= body["total_score"] - 1e-6

    nobody = body["homes_without_partner"]
    reachable = {h for h, _, _ in candidates}
    wales = {e["care_home"]["id"] for e in listed["homes"]}
    assert nobody["count"] == len(nobody["homes"]) == len(wales - served)
    for home in nobody["homes"]:
        expected = "all_taken" if home["id"] in reachable else "no_partner_in_reach"
        assert home["reason"] == expected and home["name"]
    assert nobody["no_partner_in_reach"] + nobody["all_taken"] == nobody["count"]
    stored = client.get(f"/api/v1/allocations/{body['id']}", headers=admin).json
    assert stored["homes_without_partner"] == nobody and stored["strategy"] == "fair"

    capped = client.post("/api/v1/allocations", json={
        "nation": "wales", "per_home": 3, "max_homes_per_partner": 1}, headers=admin).json
    given = [a["group"]["id"] for a in capped["assignments"]]
    assert len(given) == len(set(given))  # the unlimited knitting club too: one home only
    refused = client.post("/api/v1/allocations", json={"per_home": 1, "strategy": "greedy"},
                          headers=admin)
    assert refused.status_code == 422 and "strategy" in refused.json["errors"]


def test_active_introductions_use_up_capacity(client, network):
    homes, groups, admin = network
    intro = client.post("/api/v1/introductions", json={
        "care_home_id": homes["Cartref Bangor"], "group_id": groups["Côr Bangor"]},
        headers=admin).json
    for status in ("requested", "introduced", "active"):
        assert client.patch(f"/api/v1/introductions/{intro['id']}", json={"status": status},
                            headers=admin).status_code == 200
    body = client.post("/api/v1/allocations", json={"nation": "wales", "per_home": 3},
                       headers=admin).json
    assert all(a["group"]["id"] != groups["Côr Bangor"] for a in body["assignments"])


def test_allocation_csv_export(client, network):
    homes, groups, admin = network
    created = client.post("/api/v1/allocations", json={"per_home": 2}, headers=admin).json
    response = client.get(f"/api/v1/allocations/{created['id']}?format=csv", headers=admin)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="allocation-{created["id"]}-' in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert tuple(rows[0]) == ALLOCATION_COLUMNS
    assert len(rows) - 1 == len(created["assignments"])
    assert all(row[0] == str(created["id"]) for row in rows[1:])
    names = [row[6] for row in rows[1:]]
    # the knitting club has no capacity limit, so both Bangor homes get it
    assert names.count("'" + HOSTILE) == 2
    assert not any(n.startswith("=") for n in names)


def test_allocation_scope_and_validation(client, network, make_user):
    _, _, admin = network
    _, welsh = make_user("coordinator", nation="wales")
    _, scottish = make_user("coordinator", nation="scotland")
    assert client.post("/api/v1/allocations", json={"nation": "england", "per_home": 1},
                       headers=welsh).status_code == 403
    mine = client.post("/api/v1/allocations", json={"per_home": 1}, headers=welsh)
    assert mine.status_code == 201 and mine.json["nation"] == "wales"
    # another nation's allocation is answered as one that does not exist
    assert client.get(f"/api/v1/allocations/{mine.json['id']}",
                      headers=scottish).status_code == 404
    assert client.get("/api/v1/allocations/999999", headers=admin).status_code == 404
    missing = client.post("/api/v1/allocations", json={"nation": "wales"}, headers=admin)
    assert missing.status_code == 422 and "per_home" in missing.json["errors"]
    assert client.post("/api/v1/allocations", json={"per_home": 0},
                       headers=admin).status_code == 422


# --- introductions ----------------------------------------------------------------------------

def test_introduction_lifecycle_through_the_api(client, network):
    homes, groups, admin = network
    response = client.post("/api/v1/introductions", json={
        "care_home_id": homes["Bryn Awel"], "group_id": groups["Llanberis Singers"]},
        headers=admin)
    assert response.status_code == 201, response.json
    intro = response.json
    assert intro["status"] == "suggested"
    assert intro["allowed_next"] == ["requested", "declined", "withdrawn"]
    assert 0 < intro["score"] <= 1 and "distance" in intro["components"]
    url = f"/api/v1/introductions/{intro['id']}"
    for status in ("requested", "introduced", "active"):
        response = client.patch(url, json={"status": status, "note": f"{status} today"},
                                headers=admin)
        assert response.status_code == 200, response.json
    ended = client.patch(url, json={"status": "ended", "feedback": {
        "rating": 4, "text": "Lovely afternoons of hymns."}}, headers=admin)
    assert ended.status_code == 200
    assert ended.json["feedback"] == {"rating": 4, "text": "Lovely afternoons of hymns."}
    detail = client.get(url, headers=admin).json
    assert [e["to_status"] for e in detail["events"]] == [
        "suggested", "requested", "introduced", "active", "ended"]
    assert detail["events"][1]["note"] == "requested today"
    assert all(e["user_id"] and e["at"] for e in detail["events"])


def test_illegal_transition_is_a_409_naming_the_allowed_moves(client, network):
    homes, groups, admin = network
    intro = client.post("/api/v1/introductions", json={
        "care_home_id": homes["Bryn Awel"], "group_id": groups["Llanberis Singers"],
        "status": "requested"}, headers=admin).json
    assert intro["status"] == "requested"
    response = client.patch(f"/api/v1/introductions/{intro['id']}", json={"status": "active"},
                            headers=admin)
    assert response.status_code == 409
    expected = "Cannot move from requested to active; allowed: introduced, declined, withdrawn."
    assert response.json["message"] == expected
    assert response.json["errors"] == {"status": [expected]}
    assert client.get(f"/api/v1/introductions/{intro['id']}",
                      headers=admin).json["status"] == "requested"


def test_introduction_errors(client, network, make_user):
    homes, groups, admin = network
    url = "/api/v1/introductions"
    pair = {"care_home_id": homes["Bryn Awel"], "group_id": groups["Llanberis Singers"]}
    assert client.post(url, json={**pair, "care_home_id": 999999},
                       headers=admin).status_code == 404
    assert client.post(url, json={**pair, "group_id": 999999}, headers=admin).status_code == 404
    assert client.post(url, json={**pair, "status": "active"},
                       headers=admin).status_code == 422
    assert client.post(url, json=pair, headers=admin).status_code == 201
    again = client.post(url, json=pair, headers=admin)
    assert again.status_code == 409 and "already open" in again.json["message"]
    pending = client.post(url, json={**pair, "group_id": groups["Pending Choir"]}, headers=admin)
    assert pending.status_code == 409 and "pending" in pending.json["message"]
    _, english = make_user("coordinator", nation="england")
    # out of scope is answered as missing (404), so ids of other nations stay unknown
    assert client.post(url, json=pair, headers=english).status_code == 404
    intro_id = client.get(url, headers=admin).json[0]["id"]
    assert client.get(f"{url}/{intro_id}", headers=english).status_code == 404
    assert client.patch(f"{url}/{intro_id}", json={"status": "requested"},
                        headers=english).status_code == 404
    assert client.get(f"{url}/999999", headers=admin).status_code == 404
    bad = client.patch(f"{url}/{intro_id}", json={"feedback": {"rating": 6, "text": "!"}},
                       headers=admin)
    assert bad.status_code == 422 and "feedback" in bad.json["errors"]
    assert client.patch(f"{url}/{intro_id}", json={}, headers=admin).status_code == 422


def test_a_pair_beyond_reach_can_still_be_introduced_without_a_score(client, network):
    homes, groups, admin = network
    response = client.post("/api/v1/introductions", json={
        "care_home_id": homes["Cartref Bae"], "group_id": groups["Côr Bangor"]}, headers=admin)
    assert response.status_code == 201
    assert response.json["score"] is None and response.json["components"] is None


def test_care_home_staff_request_introductions_for_their_own_home_only(client, network,
                                                                       make_user):
    homes, groups, _ = network
    _, staff = make_user("care_home", care_home_id=homes["Bryn Awel"])
    mine = client.post("/api/v1/introductions", json={
        "care_home_id": homes["Bryn Awel"], "group_id": groups["Llanberis Singers"],
        "status": "requested"}, headers=staff)
    assert mine.status_code == 201 and mine.json["status"] == "requested"
    other = client.post("/api/v1/introductions", json={
        "care_home_id": homes["Plas Menai"], "group_id": groups["Côr Bangor"]}, headers=staff)
    assert other.status_code == 404
    listed = client.get("/api/v1/introductions", headers=staff).json
    assert [i["care_home"]["id"] for i in listed] == [homes["Bryn Awel"]]


def test_introductions_list_filters_and_pages(client, network, make_user):
    homes, groups, admin = network
    ids = []
    for home in ("Cartref Bangor", "Plas Menai", "Bryn Awel"):
        ids.append(client.post("/api/v1/introductions", json={
            "care_home_id": homes[home], "group_id": groups["Côr Bangor"]},
            headers=admin).json["id"])
    client.post("/api/v1/introductions", json={
        "care_home_id": homes["Rose Court"], "group_id": groups["Westminster Choir"]},
        headers=admin)
    client.patch(f"/api/v1/introductions/{ids[0]}", json={"status": "declined"}, headers=admin)
    page = client.get("/api/v1/introductions?page=1&page_size=2", headers=admin)
    assert page.status_code == 200 and len(page.json) == 2
    assert '"total": 4' in page.headers["X-Pagination"]
    declined = client.get("/api/v1/introductions?status=declined", headers=admin).json
    assert [i["id"] for i in declined] == [ids[0]]
    welsh = client.get("/api/v1/introductions?nation=wales", headers=admin).json
    assert len(welsh) == 3
    _, coordinator = make_user("coordinator", nation="england")
    english = client.get("/api/v1/introductions", headers=coordinator).json
    assert [i["care_home"]["name"] for i in english] == ["Rose Court"]
    assert client.get("/api/v1/introductions?status=lost", headers=admin).status_code == 422


# --- the network report -----------------------------------------------------------------------

def test_network_report_json_and_csv(client, network, make_user):
    homes, groups, admin = network
    intro = client.post("/api/v1/introductions", json={
        "care_home_id": homes["Cartref Bangor"], "group_id": groups[HOSTILE]},
        headers=admin).json
    for status in ("requested", "introduced", "active"):
        client.patch(f"/api/v1/introductions/{intro['id']}", json={"status": status},
                     headers=admin)
    client.post("/api/v1/introductions", json={
        "care_home_id": homes["Bryn Awel"], "group_id": groups["Llanberis Singers"]},
        headers=admin)
    _, welsh = make_user("coordinator", nation="wales")
    report = client.get("/api/v1/reports/network", headers=welsh)
    assert report.status_code == 200, report.json
    body = report.json
    assert body["nation"] == "wales" and body["care_homes"] == 4
    assert body["introductions"]["by_status"]["active"] == 1
    assert body["introductions"]["by_status"]["suggested"] == 1
    assert body["introductions"]["total"] == 2
    [link] = body["active_links"]
    assert link["care_home"]["name"] == "Cartref Bangor" and link["since"]
    assert [c["name"] for c in body["cold_spots"]] == ["Cartref Bae"]
    assert body["cold_spots"][0]["nearest_partner_km"] > 100
    assert client.get("/api/v1/reports/network?nation=england",
                      headers=welsh).status_code == 403

    response = client.get("/api/v1/reports/network?format=csv", headers=welsh)
    assert response.mimetype == "text/csv"
    assert "network-report-wales-" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert tuple(rows[0]) == REPORT_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    by_status = {r["item"]: r["count"] for r in records if r["section"] == "introductions"}
    assert by_status["active"] == "1" and by_status["declined"] == "0"
    [active] = [r for r in records if r["section"] == "active_link"]
    assert active["group_name"] == "'" + HOSTILE
    [cold] = [r for r in records if r["section"] == "cold_spot"]
    assert cold["care_home_name"] == "Cartref Bae" and cold["search_radius_km"] == "1.0"


@pytest.mark.parametrize("seed", range(5))
def test_reach_agrees_with_checking_every_pair(seed):
    rng = np.random.default_rng(seed)
    n_homes, n_partners = 200, 400
    home_lat = rng.uniform(51.0, 53.0, n_homes)
    home_lon = rng.uniform(-3.5, -1.0, n_homes)
    home_radius = rng.uniform(0.5, 15, n_homes)
    lat = rng.uniform(51.0, 53.0, n_partners)
    lon = rng.uniform(-3.5, -1.0, n_partners)
    radius = rng.uniform(0.5, 15, n_partners)
    # a crowd of partners who will not travel, to exercise the exact fallback
    lat[:60], lon[:60], radius[:60] = home_lat[0] + 0.001, home_lon[0], 0.01
    covered, nearest = reach(home_lat, home_lon, home_radius, lat, lon, radius)
    from matcher.domain.geo import haversine_km
    d = haversine_km(home_lat[:, None], home_lon[:, None], lat[None, :], lon[None, :])
    expected = ((d <= home_radius[:, None]) & (d <= radius[None, :])).any(axis=1)
    assert np.array_equal(covered, expected)
    assert np.allclose(nearest, d.min(axis=1))


def test_a_network_without_partners_gives_empty_answers_not_errors(client, make_user):
    _, admin = make_user("admin")
    home = client.post("/api/v1/care-homes", json=home_body("Lonely Home", "LL55 4UR"),
                       headers=admin).json
    listed = client.get("/api/v1/match-lists", headers=admin)
    assert listed.status_code == 200 and listed.json["homes"][0]["matches"] == []
    allocation = client.post("/api/v1/allocations", json={"per_home": 2}, headers=admin)
    assert allocation.status_code == 201 and allocation.json["assignments"] == []
    report = client.get("/api/v1/reports/network", headers=admin).json
    assert [c["id"] for c in report["cold_spots"]] == [home["id"]]
    assert report["cold_spots"][0]["nearest_partner_km"] is None


def test_match_lists_carry_the_check_and_open_introductions_and_skip_declined_pairs(
        client, network):
    homes, groups, admin = network
    bangor, choir, singers = homes["Cartref Bangor"], groups["Côr Bangor"], groups[
        "Llanberis Singers"]
    client.patch(f"/api/v1/groups/{choir}", headers=admin,
                 json={"safeguarding": {"scheme": "DBS", "status": "valid",
                                        "expires_on": "2099-03-03"}})
    client.post("/api/v1/introductions", headers=admin,
                json={"care_home_id": bangor, "group_id": choir})
    declined = client.post("/api/v1/introductions", headers=admin,
                           json={"care_home_id": bangor, "group_id": singers}).json
    client.patch(f"/api/v1/introductions/{declined['id']}", headers=admin,
                 json={"status": "declined"})
    body = client.get("/api/v1/match-lists?nation=wales", headers=admin).json
    (entry,) = [e for e in body["homes"] if e["care_home"]["id"] == bangor]
    listed = {m["group"]["id"]: m for m in entry["matches"]}
    assert singers not in listed
    assert listed[choir]["introduction_status"] == "suggested"
    assert listed[choir]["safeguarding"] == {"scheme": "DBS", "status": "valid",
                                             "expires_on": "2099-03-03", "valid": True,
                                             "needed": True}
    rows = rows_of(client.get("/api/v1/match-lists?nation=wales&format=csv", headers=admin))
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    mine = {r["group_id"]: r for r in records if r["care_home_id"] == str(bangor)}
    assert str(singers) not in mine
    assert {k: mine[str(choir)][k] for k in (
        "safeguarding_scheme", "safeguarding_status", "safeguarding_expires_on",
        "safeguarding_valid", "introduction_status")} == {
        "safeguarding_scheme": "DBS", "safeguarding_status": "valid",
        "safeguarding_expires_on": "2099-03-03", "safeguarding_valid": "yes",
        "introduction_status": "suggested"}
    unchecked = [r for g, r in mine.items() if g and g != str(choir)]
    assert unchecked and all(r["safeguarding_valid"] == "no" for r in unchecked)
