"""Ranked matches through the API: shape, filters, freshness and errors."""

from __future__ import annotations

import datetime as dt

import pytest

from matcher.runtime import ranker_cache

HOME = {
    "name": "Cartref Bangor",
    "postcode": "LL57 2PW",
    "residents": 30,
    "interests": ["singing", "gardening"],
    "languages": [{"language": "Cymraeg", "residents": 10}],
    "search_radius_km": 10,
}


def group(name, postcode, **extra):
    body = {"name": name, "kind": "choir", "postcode": postcode, "travel_radius_km": 15,
            "interests": ["singing"], "languages": ["Welsh"], "consent": True}
    body.update(extra)
    return body


@pytest.fixture
def network(client, make_user):
    _, headers = make_user("admin")
    home = client.post("/api/v1/care-homes", json=HOME, headers=headers).json
    ids = {}
    for name, postcode, extra in [
        ("Côr Bangor", "LL57 1DN", {}),
        ("Bangor Knitters", "LL57 1UT", {"kind": "knitting_club", "interests": ["knitting"],
                                          "languages": ["English"]}),
        ("Caernarfon Dog Walkers", "LL55 1AT", {"kind": "pet_walkers", "interests": ["dogs"],
                                                 "languages": ["English"], "travel_radius_km": 2}),
        ("Cardiff Choir", "CF10 1EP", {}),
    ]:
        created = client.post("/api/v1/groups", json=group(name, postcode, **extra),
                              headers=headers)
        assert created.status_code == 201, created.json
        ids[name] = created.json["id"]
    return home, ids, headers


def test_matches_are_ranked_with_components_and_reasons(client, network):
    home, ids, headers = network
    response = client.get(f"/api/v1/care-homes/{home['id']}/matches", headers=headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["care_home"]["id"] == home["id"]
    names = [m["group"]["name"] for m in body["matches"]]
    # Cardiff is 200 km away; the dog walkers will not travel 10 km
    assert names[0] == "Côr Bangor"
    assert "Cardiff Choir" not in names and "Caernarfon Dog Walkers" not in names
    scores = [m["score"] for m in body["matches"]]
    assert scores == sorted(scores, reverse=True)
    for match in body["matches"]:
        assert 0 <= match["score"] <= 1
        assert set(match["components"]) >= {"distance", "interests", "language"}
        assert all(0 <= v <= 1 for v in match["components"].values())
        assert match["reasons"] and any("km away" in r or "m away" in r for r in match["reasons"])
        assert {"id", "name", "kind"} <= set(match["group"])
    top = body["matches"][0]
    assert any("Welsh" in r for r in top["reasons"])
    assert any("singing" in r for r in top["reasons"])


def test_filters_limit_and_weights(client, network):
    home, ids, headers = network
    url = f"/api/v1/care-homes/{home['id']}/matches"
    knit = client.get(f"{url}?kinds=knitting_club", headers=headers).json["matches"]
    assert [m["group"]["name"] for m in knit] == ["Bangor Knitters"]
    assert len(client.get(f"{url}?limit=1", headers=headers).json["matches"]) == 1
    weighted = client.get(f"{url}?weight_distance=1&weight_interests=0&weight_language=0"
                          "&weight_availability=0&weight_capacity=0", headers=headers).json
    assert weighted["weights"]["distance"] == 1
    for m in weighted["matches"]:
        assert m["score"] == pytest.approx(m["components"]["distance"], abs=1e-3)


def test_match_answers_have_exactly_the_documented_shape(client, network):
    from matcher.api.matches import HomeMatchesSchema

    home, _, headers = network
    for query in ("", "?limit=2&weight_language=0", "?kinds=choir"):
        body = client.get(f"/api/v1/care-homes/{home['id']}/matches{query}",
                          headers=headers).json
        assert body["matches"]
        # Dumping drops undocumented keys and fills documented ones: nothing may change.
        assert HomeMatchesSchema().dump(body) == body


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "radius_km=-3", "kinds=circus",
                                   "languages=Klingonish", "weight_distance=-1",
                                   "weight_capacity=101"])
def test_bad_parameters_are_422(client, network, query):
    home, _, headers = network
    response = client.get(f"/api/v1/care-homes/{home['id']}/matches?{query}", headers=headers)
    assert response.status_code == 422, response.json
    assert response.json["errors"]


def test_unknown_ids_are_404(client, network):
    _, _, headers = network
    assert client.get("/api/v1/care-homes/999999/matches", headers=headers).status_code == 404
    assert client.get("/api/v1/groups/999999/matches", headers=headers).status_code == 404


def test_new_approvals_and_withdrawals_show_in_the_next_request(client, network, app):
    home, ids, headers = network
    url = f"/api/v1/care-homes/{home['id']}/matches"
    first = [m["group"]["id"] for m in client.get(url, headers=headers).json["matches"]]
    assert ids["Côr Bangor"] in first
    # another worker's change: only the database knows about it
    client.patch(f"/api/v1/groups/{ids['Côr Bangor']}", json={"status": "withdrawn"},
                 headers=headers)
    new = client.post("/api/v1/groups", json=group("Bangor Singers", "LL57 2PW"),
                      headers=headers).json
    second = [m["group"]["id"] for m in client.get(url, headers=headers).json["matches"]]
    assert ids["Côr Bangor"] not in second
    assert new["id"] in second
    assert ranker_cache(app) is ranker_cache(app)


def test_another_workers_change_shows_within_the_check_interval(client, network, app, db):
    from sqlalchemy import text

    home, ids, headers = network
    url = f"/api/v1/care-homes/{home['id']}/matches"
    cache = ranker_cache(app)
    now = [1000.0]
    cache.clock = lambda: now[0]
    assert ids["Côr Bangor"] in [m["group"]["id"] for m in
                                 client.get(url, headers=headers).json["matches"]]
    # Another worker withdraws the choir: this process only learns of it from the database.
    db.session.execute(text("UPDATE community_groups SET status = 'withdrawn', "
                            "updated_at = CURRENT_TIMESTAMP WHERE id = :id"),
                       {"id": ids["Côr Bangor"]})
    db.session.execute(text("UPDATE data_versions SET version = 'elsewhere' "
                            "WHERE name = 'partners'"))
    db.session.commit()
    now[0] += cache.check_every / 2
    still = [m["group"]["id"] for m in client.get(url, headers=headers).json["matches"]]
    assert ids["Côr Bangor"] in still  # not asked yet: at most one check a second
    now[0] += cache.check_every
    after = [m["group"]["id"] for m in client.get(url, headers=headers).json["matches"]]
    assert ids["Côr Bangor"] not in after


def test_reverse_matching_lists_homes_for_a_group(client, network):
    home, ids, headers = network
    body = client.get(f"/api/v1/groups/{ids['Côr Bangor']}/matches", headers=headers).json
    assert [m["care_home"]["id"] for m in body["matches"]] == [home["id"]]
    match = body["matches"][0]
    assert 0 <= match["score"] <= 1 and match["reasons"]
    far = client.get(f"/api/v1/groups/{ids['Cardiff Choir']}/matches", headers=headers).json
    assert far["matches"] == []


def test_restricted_home_puts_remote_partners_first(client, network):
    home, ids, headers = network
    remote = client.post("/api/v1/groups", json=group(
        "Video Choir", "LL57 4TP", offers_remote=True, remote_modes=["video"]),
        headers=headers).json
    client.patch(f"/api/v1/care-homes/{home['id']}", json={"visiting_status": "restricted"},
                 headers=headers)
    matches = client.get(f"/api/v1/care-homes/{home['id']}/matches",
                         headers=headers).json["matches"]
    assert matches[0]["group"]["id"] == remote["id"]
    assert not matches[0]["in_person_paused"]
    in_person = [m for m in matches[1:]]
    assert in_person and all(m["in_person_paused"] for m in in_person)
    client.patch(f"/api/v1/care-homes/{home['id']}", json={"visiting_status": "closed"},
                 headers=headers)
    closed = client.get(f"/api/v1/care-homes/{home['id']}/matches",
                        headers=headers).json["matches"]
    assert [m["group"]["id"] for m in closed] == [remote["id"]]


def test_staff_see_only_their_home_matches(client, network, make_user):
    home, _, headers = network
    other = client.post("/api/v1/care-homes", json={**HOME, "name": "Other"},
                        headers=headers).json
    _, staff = make_user("care_home", care_home_id=home["id"])
    assert client.get(f"/api/v1/care-homes/{home['id']}/matches",
                      headers=staff).status_code == 200
    assert client.get(f"/api/v1/care-homes/{other['id']}/matches",
                      headers=staff).status_code == 404


def test_match_shows_the_partners_town_and_place_without_reading_each_group(
        client, network, db, monkeypatch):
    home, ids, headers = network
    url = f"/api/v1/care-homes/{home['id']}/matches"
    client.get(url, headers=headers)  # warm: the ranker is fitted
    group = client.get(f"/api/v1/groups/{ids['Côr Bangor']}", headers=headers).json
    statements = []
    monkeypatch.setattr(db.session, "execute", _recording(db.session.execute, statements))
    body = client.get(url, headers=headers).json
    first = body["matches"][0]
    # A group without a town of its own is placed by its local authority.
    assert first["group"]["town"] == (group["town"] or group["local_authority_name"]) == "Gwynedd"
    assert (first["lat"], first["lon"]) == (group["lat"], group["lon"])
    # The answer comes from the ranker's own columns, not a query per request for the groups.
    assert not [s for s in statements if "FROM community_groups" in s]

    renamed = client.patch(f"/api/v1/groups/{ids['Côr Bangor']}",
                           json={"town": "Upper Bangor", "postcode": "LL57 1UT"},
                           headers=headers)
    assert renamed.status_code == 200, renamed.json
    moved = {m["group"]["id"]: m for m in client.get(url, headers=headers).json["matches"]}
    assert moved[ids["Côr Bangor"]]["group"]["town"] == "Upper Bangor"
    assert moved[ids["Côr Bangor"]]["lat"] == renamed.json["lat"]


def _recording(execute, seen):
    def recording(statement, *args, **kwargs):
        seen.append(str(statement))
        return execute(statement, *args, **kwargs)
    return recording



def test_group_matches_for_a_coordinator_fill_the_limit_with_homes_in_their_nation(
        app, client, db, make_user):
    # A border group: over a hundred Welsh homes are nearer than the English ones, so ranking
    # `limit` (or even 100) homes and then dropping the other nation's would leave none.
    from matcher.runtime import postcode_index
    from matcher.schemas.care_homes import CareHomeInputSchema
    from matcher.services import records
    from matcher.services.audit import SYSTEM

    def add(name, postcode):
        data = CareHomeInputSchema().load({**HOME, "name": name, "postcode": postcode,
                                           "search_radius_km": 20})
        return records.create_home(db.session, postcode_index(app), data, SYSTEM).id

    for n in range(110):
        add(f"Cartref Saltney {n}", "CH4 0DH")
    english = {add(f"Tarporley Home {n}", "CW6 9AA") for n in range(3)}
    db.session.commit()
    _, admin = make_user("admin")
    choir = client.post("/api/v1/groups", json=group("Border Choir", "CH4 8AA",
                                                     travel_radius_km=30), headers=admin).json
    _, coordinator = make_user("coordinator", nation="england")
    url = f"/api/v1/groups/{choir['id']}/matches?limit=3"
    body = client.get(url, headers=coordinator).json
    assert {m["care_home"]["id"] for m in body["matches"]} == english
    everyone = client.get(url, headers=admin).json["matches"]
    assert len(everyone) == 3 and not {m["care_home"]["id"] for m in everyone} & english


def test_the_api_scores_with_and_reports_the_configured_weights_not_the_saved_ones(
        app, client, network, db, tmp_path, monkeypatch):
    from matcher.services import matching

    home, ids, headers = network
    a = {"distance": 1.0, "interests": 0.0, "language": 0.0, "availability": 0.0,
         "capacity": 0.0}
    b = {"distance": 0.1, "interests": 0.6, "language": 0.1, "availability": 0.1,
         "capacity": 0.1}
    # build-ranking-index ran while the weights were A...
    matching.RankerCache(weights=a, index_dir=tmp_path).save(db.session)
    # ...then RANKING_WEIGHTS became B and a worker starts from the saved index.
    monkeypatch.setitem(app.config, "RANKING_WEIGHTS", b)
    monkeypatch.setitem(app.config, "RANKING_INDEX_DIR", str(tmp_path))
    monkeypatch.delitem(app.extensions, "kith.rankers", raising=False)
    body = client.get(f"/api/v1/care-homes/{home['id']}/matches", headers=headers).json
    assert ranker_cache(app).ranker(db.session).weights_.as_dict() == b
    assert body["weights"] == b
    assert body["matches"]
    # The language weight counts by the home's need (README: language by need).
    used = {**b, "language": b["language"] * body["language_factor"]}
    for m in body["matches"]:
        c = m["components"]
        assert m["score"] == pytest.approx(sum(used[k] * c[k] for k in b) / sum(used.values()),
                                           abs=1e-3)
    asked = client.get(f"/api/v1/care-homes/{home['id']}/matches?weight_distance=0.5",
                       headers=headers).json
    assert asked["weights"] == {**b, "distance": 0.5}
    reverse = client.get(f"/api/v1/groups/{ids['Côr Bangor']}/matches", headers=headers).json
    assert reverse["weights"] == b
    for m in reverse["matches"]:
        c = m["components"]
        factor = client.get(f"/api/v1/care-homes/{m['care_home']['id']}/matches",
                            headers=headers).json["language_factor"]
        used = {**b, "language": b["language"] * factor}
        assert m["score"] == pytest.approx(sum(used[k] * c[k] for k in b) / sum(used.values()),
                                           abs=1e-3)


def test_reasons_come_in_words_and_as_codes_side_by_side(client, network):
    home, ids, headers = network
    body = client.get(f"/api/v1/care-homes/{home['id']}/matches", headers=headers).json
    top = body["matches"][0]
    assert len(top["explanations"]) == len(top["reasons"])
    codes = [e["code"] for e in top["explanations"]]
    assert "distance" in codes and "shared_language" in codes
    spoken = top["explanations"][codes.index("shared_language")]
    assert spoken["params"] == {"language": "cy", "residents": 10}
    assert "speaks Welsh, like 10 residents" in top["reasons"]
    group = client.get(f"/api/v1/groups/{ids['Côr Bangor']}/matches", headers=headers).json
    first = group["matches"][0]
    assert [e["code"] for e in first["explanations"]][:1] == ["distance"]
    assert "10 residents speak Welsh" in first["reasons"]
    assert len(first["explanations"]) == len(first["reasons"])


def _check(status, days=None):
    expires = None if days is None else (dt.date.today() + dt.timedelta(days=days)).isoformat()
    return {"scheme": "DBS", "status": status, "expires_on": expires}


def test_matches_flag_a_missing_or_expired_check_and_rank_it_below_a_valid_one(client,
                                                                               make_user):
    _, headers = make_user("admin")
    home = client.post("/api/v1/care-homes", json=HOME, headers=headers).json
    made = {}
    # Same place, same words: only the check tells them apart (the expired one has the
    # lower id, which would otherwise win the tie).
    for name, check in [("Expired", _check("valid", -1)), ("Valid", _check("valid", 400)),
                        ("Unrecorded", None)]:
        body = group(name, "LL57 1DN", **({"safeguarding": check} if check else {}))
        made[name] = client.post("/api/v1/groups", json=body, headers=headers).json["id"]
    matches = client.get(f"/api/v1/care-homes/{home['id']}/matches", headers=headers).json[
        "matches"]
    by_name = {m["group"]["name"]: m for m in matches}
    assert [m["group"]["name"] for m in matches][0] == "Valid"
    assert set(by_name) == {"Expired", "Valid", "Unrecorded"}  # flagged, not hidden
    expired = by_name["Expired"]["safeguarding"]
    assert expired == {"scheme": "DBS", "status": "expired",
                       "expires_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
                       "valid": False, "needed": True}
    assert by_name["Valid"]["safeguarding"]["valid"] is True
    assert by_name["Unrecorded"]["safeguarding"] == {
        "scheme": None, "status": "none", "expires_on": None, "valid": False, "needed": True}
    assert any(r.startswith("DBS check expired on") for r in by_name["Expired"]["reasons"])
    assert "no DBS check recorded: needed to visit in person" in by_name["Unrecorded"]["reasons"]
    assert {"code": "safeguarding_check", "params": {
        "scheme": "DBS", "status": "none", "expires_on": None}} in by_name["Unrecorded"][
        "explanations"]
    assert by_name["Valid"]["introduction_status"] is None
    reverse = client.get(f"/api/v1/groups/{made['Expired']}/matches", headers=headers).json
    assert reverse["matches"][0]["safeguarding"]["status"] == "expired"


def test_declined_pairs_are_not_suggested_and_open_ones_show_their_status(client, network):
    home, ids, headers = network
    url = f"/api/v1/care-homes/{home['id']}/matches"
    before = [m["group"]["id"] for m in client.get(url, headers=headers).json["matches"]]
    assert before[:2] == [ids["Côr Bangor"], ids["Bangor Knitters"]]
    intro = client.post("/api/v1/introductions", headers=headers, json={
        "care_home_id": home["id"], "group_id": ids["Côr Bangor"]}).json
    shown = client.get(url, headers=headers).json["matches"]
    assert shown[0]["group"]["id"] == ids["Côr Bangor"]
    assert shown[0]["introduction_status"] == "suggested"
    client.patch(f"/api/v1/introductions/{intro['id']}", headers=headers,
                 json={"status": "declined"})
    after = client.get(url + "?limit=1", headers=headers).json["matches"]
    # Left out, and the limit is still filled by the next partner.
    assert [m["group"]["id"] for m in after] == [ids["Bangor Knitters"]]
    homes = client.get(f"/api/v1/groups/{ids['Côr Bangor']}/matches", headers=headers).json
    assert home["id"] not in [m["care_home"]["id"] for m in homes["matches"]]
