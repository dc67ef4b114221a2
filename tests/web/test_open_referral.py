"""The Open Referral UK feed: open to anyone, ORUK-shaped, and never leaking private details."""

from __future__ import annotations

import json

import pytest

from matcher.services.open_referral import group_id_from_service_id, guess_kind, object_id

FEED = "/api/v1/open-referral/services"

CHOIR = {
    "name": "Côr Llanberis", "kind": "choir", "description": "We sing hymns for older people.",
    "interests": ["singing", "hymns"], "languages": ["Welsh", "English"],
    "postcode": "LL55 4EL", "town": "Llanberis", "travel_radius_km": 20,
    "availability": ["mon_am", "thu_pm"], "capacity_per_month": 2, "offers_remote": True,
    "remote_modes": ["video"],
    "contact": {"name": "Dafydd Secret", "email": "dafydd.secret@example.org",
                "phone": "01632 960001"},
    "consent": True,
}


@pytest.fixture
def feed_groups(client, make_user):
    _, admin = make_user("admin")
    ids = {}
    bodies = [
        CHOIR,
        {**CHOIR, "name": "Mair the Volunteer", "kind": "volunteer", "postcode": "LL57 2PW",
         "town": None, "availability": None,
         "contact": {"name": "Mair Private", "email": "mair.private@example.org"}},
        {**CHOIR, "name": "Hidden Pending Group", "postcode": "CF10 1EP"},
    ]
    for body in bodies:
        response = client.post("/api/v1/groups", json=body, headers=admin)
        assert response.status_code == 201, response.json
        ids[body["name"]] = response.json["id"]
    client.patch(f"/api/v1/groups/{ids['Hidden Pending Group']}", json={"status": "pending"},
                 headers=admin)
    return ids


def test_feed_is_open_paged_and_has_cors(client, feed_groups):
    response = client.get(FEED)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.json
    assert {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents"} <= set(body)
    assert body["total_items"] == 2 and body["page_number"] == 1
    assert body["first_page"] and body["last_page"] and not body["empty"]
    names = [s["name"] for s in body["contents"]]
    assert names == ["Côr Llanberis", "Mair the Volunteer"]  # never a pending group
    second = client.get(f"{FEED}?page=2&per_page=1").json
    assert second["total_pages"] == 2 and second["size"] == 1
    assert not second["first_page"] and second["last_page"]
    assert [s["name"] for s in second["contents"]] == ["Mair the Volunteer"]
    beyond = client.get(f"{FEED}?page=9&per_page=1").json
    assert beyond["empty"] and beyond["contents"] == []
    assert client.get(f"{FEED}?per_page=0").status_code == 422
    assert client.get(f"{FEED}?text=hymns&kind=choir").json["total_items"] == 1


def test_a_service_has_the_hsds_shape(client, feed_groups):
    service = client.get(FEED).json["contents"][0]
    assert service["id"] == object_id("service", feed_groups["Côr Llanberis"])
    assert service["status"] == "active" and service["description"]
    assert service["organization"]["name"] == "Côr Llanberis"
    assert service["organization_id"] == service["organization"]["id"]
    [at] = service["service_at_locations"]
    location = at["location"]
    assert at["service_id"] == service["id"] and at["location_id"] == location["id"]
    assert 53.0 < location["latitude"] < 53.3 and -4.3 < location["longitude"] < -4.0
    [address] = location["addresses"]
    assert address["postal_code"] == "LL55 4EL" and address["country"] == "GB"
    assert address["city"] == "Llanberis" and address["state_province"] == "Wales"
    assert {(lang["code"], lang["name"]) for lang in service["languages"]} == {
        ("cy", "Welsh"), ("en", "English")}
    days = {(s["byday"], s["opens_at"]) for s in service["schedules"]}
    assert days == {("MO", "09:00"), ("TH", "13:00")}
    assert all(s["freq"] == "WEEKLY" for s in service["schedules"])
    terms = {(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["name"])
             for a in service["attributes"]}
    assert {("kith:activities", "singing"), ("kith:activities", "hymns"),
            ("kith:partner-kinds", "choir"), ("kith:delivery", "remote contact")} <= terms
    assert all(a["link_id"] == service["id"] and a["taxonomy_term_id"] ==
               a["taxonomy_term"]["id"] for a in service["attributes"])
    ids = [service["id"], location["id"], address["id"], *(a["id"] for a in service["attributes"])]
    assert len(set(ids)) == len(ids)


def test_nothing_private_is_published(client, feed_groups):
    text = client.get(FEED).get_data(as_text=True)
    for secret in ("Dafydd Secret", "dafydd.secret@example.org", "01632 960001",
                   "Mair Private", "mair.private@example.org"):
        assert secret not in text
    services = {s["name"]: s for s in json.loads(text)["contents"]}
    assert services["Côr Llanberis"]["contacts"] == [] and services["Côr Llanberis"]["phones"] == []
    # a volunteer may be one person: placed by postcode district only, about a kilometre out
    volunteer = services["Mair the Volunteer"]["service_at_locations"][0]["location"]
    assert volunteer["addresses"][0]["postal_code"] == "LL57"
    assert volunteer["latitude"] == round(volunteer["latitude"], 2)
    assert "LL57 2PW" not in json.dumps(services["Mair the Volunteer"])


def test_one_service_by_its_id(client, feed_groups):
    group_id = feed_groups["Côr Llanberis"]
    by_uuid = client.get(f"{FEED}/{object_id('service', group_id)}")
    assert by_uuid.status_code == 200 and by_uuid.json["name"] == "Côr Llanberis"
    assert by_uuid.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(f"{FEED}/{group_id}").json["id"] == by_uuid.json["id"]
    hidden = client.get(f"{FEED}/{object_id('service', feed_groups['Hidden Pending Group'])}")
    assert hidden.status_code == 404 and hidden.json["code"] == 404
    assert hidden.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(f"{FEED}/not-an-id").status_code == 404


def test_feed_root_describes_itself(client):
    body = client.get("/api/v1/open-referral/").json
    assert body["version"] == "3.0" and body["openapi_url"].endswith("/api/openapi.json")


SPOOFED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def test_the_feed_never_reflects_a_spoofed_host(client, app, feed_groups, monkeypatch):
    # The feed is cacheable (public, max-age): a Host of the caller's choosing in it would be
    # served by a shared cache to everyone else.
    for path in ("/api/v1/open-referral/", "/api/v1/open-referral/services"):
        response = client.get(path, headers=SPOOFED)
        assert response.status_code == 200
        assert "evil.example" not in response.get_data(as_text=True)
    # The address comes from SERVER_NAME (the test app's is "localhost") ...
    body = client.get("/api/v1/open-referral/", headers=SPOOFED).json
    assert body["openapi_url"] == "http://localhost/api/openapi.json"
    # ... or, when set, from PUBLIC_BASE_URL.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://kith.example.org/")
    body = client.get("/api/v1/open-referral/", headers=SPOOFED).json
    assert body["openapi_url"] == "https://kith.example.org/api/openapi.json"


def test_another_system_can_load_the_feed_back(client, feed_groups, runner, tmp_path, db):
    from sqlalchemy import select

    from matcher.models import CommunityGroup

    page = client.get(f"{FEED}?kind=choir").get_data(as_text=True)
    path = tmp_path / "export.json"
    path.write_text(page, encoding="utf-8")
    result = runner.invoke(args=["import", "oruk", str(path)])
    assert result.exit_code == 0, result.output
    copy = db.session.scalar(select(CommunityGroup).where(
        CommunityGroup.source == "oruk"))
    assert copy.name == "Côr Llanberis" and copy.kind == "choir" and copy.status == "pending"
    assert copy.postcode == "LL55 4EL" and copy.availability == ["mon_am", "thu_pm"]
    assert {lang["tag"] for lang in copy.languages} == {"cy", "en"}


@pytest.mark.parametrize("text, expected", [
    ("6b697468-0001-4000-8000-00000000002a", 42),
    ("42", 42),
    ("6b697468-0002-4000-8000-00000000002a", None),  # an organisation, not a service
    ("../../etc/passwd", None),
])
def test_service_ids_round_trip(text, expected):
    assert group_id_from_service_id(text) == expected


@pytest.mark.parametrize("name, terms, kind", [
    ("St Mary's Primary", [], "school"),
    ("Little Acorns", ["Pre-school"], "nursery"),
    ("Tuesday Club", ["Knitting", "Crochet"], "knitting_club"),
    ("Paws for Thought", [], "pet_walkers"),
    ("Bethel Chapel Friends", [], "faith_group"),
    ("1st Leeds Scouts", [], "youth_group"),
    ("Good Neighbours", [], "other"),
])
def test_kinds_are_guessed_from_terms_then_name(name, terms, kind):
    assert guess_kind(name, terms) == kind


ROUND_TRIP_FIELDS = ("name", "kind", "postcode", "travel_radius_km", "offers_remote",
                     "remote_modes", "availability", "capacity_per_month", "interests")


def _fields(group):
    # The ways of keeping in touch remotely count only while the group offers it.
    return {field: getattr(group, field) for field in ROUND_TRIP_FIELDS} | {
        "languages": sorted(lang["tag"] for lang in group.languages),
        "remote_modes": group.remote_modes if group.offers_remote else []}


def test_kiths_own_feed_round_trips_what_a_coordinator_relies_on(client, make_user, runner,
                                                                 tmp_path, db):
    from sqlalchemy import select

    from matcher.models import CommunityGroup

    _, admin = make_user("admin")
    bodies = [
        {**CHOIR, "name": "Côr Bach", "travel_radius_km": 7.5, "offers_remote": True,
         "remote_modes": ["video", "letters"], "availability": ["mon_am", "thu_pm", "sat_eve"],
         "capacity_per_month": 3},
        {**CHOIR, "name": "Gweu Gyda'n Gilydd", "kind": "knitting_club",
         "interests": ["knitting", "crochet"], "travel_radius_km": 25, "offers_remote": False,
         "availability": None, "capacity_per_month": None},
    ]
    originals = []
    for body in bodies:
        response = client.post("/api/v1/groups", json=body, headers=admin)
        assert response.status_code == 201, response.json
        originals.append(db.session.get(CommunityGroup, response.json["id"]))

    page = tmp_path / "page.json"
    page.write_text(client.get(FEED).get_data(as_text=True), encoding="utf-8")
    result = runner.invoke(args=["import", "oruk", str(page)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    copies = db.session.scalars(select(CommunityGroup).where(
        CommunityGroup.source == "oruk").order_by(CommunityGroup.id)).all()
    assert [_fields(c) for c in copies] == [_fields(o) for o in originals]
    assert all(c.status == "pending" for c in copies)

    # one full service document loads the same way (and updates the same copy)
    one = tmp_path / "one.json"
    service_id = client.get(FEED).json["contents"][0]["id"]
    one.write_text(client.get(f"{FEED}/{service_id}").get_data(as_text=True), encoding="utf-8")
    result = runner.invoke(args=["import", "oruk", str(one)])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 1 unchanged" in result.output


def test_a_standard_list_page_without_locations_is_reported_per_service(runner, db, tmp_path):
    import json
    from pathlib import Path

    from sqlalchemy import func, select

    from matcher.models import CommunityGroup

    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "oruk"
    listed = json.loads((fixtures / "service_list.json").read_text(encoding="utf-8"))
    full = json.loads((fixtures / "services.json").read_text(encoding="utf-8"))["contents"][0]
    listed["contents"].append(full)  # one service of the page carries its location
    path = tmp_path / "list.json"
    path.write_text(json.dumps(listed), encoding="utf-8")
    result = runner.invoke(args=["import", "oruk", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output
    bare = listed["contents"][0]
    assert f"service {bare['id']!r} ({bare['name']}) has no location" in result.output
    assert f"/services/{bare['id']}" in result.output
    assert db.session.scalar(select(func.count()).select_from(CommunityGroup)) == 1
