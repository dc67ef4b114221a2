"""The care-home and group API: create, read, change, list, delete, and every kind of bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from matcher.models import AuditLog, CareHome, CommunityGroup

HOME = {
    "name": "Bryn Awel",
    "postcode": "ll55 4ur",
    "residents": 32,
    "interests": ["Singing", " singing ", "Gardening", ""],
    "languages": [{"language": "Cymraeg", "residents": 12}, {"language": "BSL", "residents": 2}],
    "visiting_status": "open",
    "search_radius_km": 15,
}

GROUP = {
    "name": "Côr Meibion Llanberis",
    "kind": "choir",
    "description": "A male voice choir that loves to sing for older people.",
    "interests": ["singing", "Singing", "hymns"],
    "languages": ["Welsh", "english"],
    "postcode": "LL55 4EL",
    "travel_radius_km": 20,
    "capacity_per_month": 2,
    "offers_remote": False,
    "contact": {"name": "Dafydd Example", "email": "dafydd@example.org", "phone": "01632 960001"},
    "consent": True,
}


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_token_from_create_user_authorises_post(runner, client, db):
    result = runner.invoke(args=["create-user", "coord@example.org", "--role", "coordinator",
                                 "--nation", "wales"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1].split()[-1]
    response = client.post("/api/v1/care-homes", json=HOME,
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["nation"] == "wales"
    assert body["postcode"] == "LL55 4UR"
    assert 53 < body["lat"] < 53.3 and -4.3 < body["lon"] < -4.0
    assert body["interests"] == ["Singing", "Gardening"]
    tags = {lang["tag"]: lang for lang in body["languages"]}
    assert tags["cy"]["name"] == "Welsh" and tags["cy"]["residents"] == 12
    assert tags["bfi"]["name"] == "British Sign Language"
    # the token is stored hashed, never as given
    from matcher.models import ApiToken
    assert db.session.scalar(select(ApiToken.token_hash)) != token


def test_requests_without_a_valid_token_are_refused(client):
    assert client.get("/api/v1/care-homes").status_code == 401
    response = client.get("/api/v1/groups", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert response.json["code"] == 401 and response.json["message"]


def test_group_created_by_coordinator_is_approved_and_whole(client, make_user):
    _, headers = make_user("coordinator", nation="wales")
    response = client.post("/api/v1/groups", json=GROUP, headers=headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "approved"
    assert body["id"] and body["nation"] == "wales"
    assert body["interests"] == ["singing", "hymns"]
    assert [lang["tag"] for lang in body["languages"]] == ["cy", "en"]
    assert body["contact"]["email"] == "dafydd@example.org"
    assert body["consent_at"] and body["privacy_notice_version"]


def test_crud_round_trip_with_audit(client, make_user, db):
    _, headers = make_user("admin")
    created = client.post("/api/v1/care-homes", json=HOME, headers=headers).json
    url = f"/api/v1/care-homes/{created['id']}"
    assert client.get(url, headers=headers).json["name"] == "Bryn Awel"
    patched = client.patch(url, json={"visiting_status": "restricted",
                                      "visiting_review_date": "2026-12-15"}, headers=headers)
    assert patched.status_code == 200 and patched.json["visiting_status"] == "restricted"
    moved = client.patch(url, json={"postcode": "BT1 5GS"}, headers=headers).json
    assert moved["nation"] == "northern-ireland" and moved["local_authority_code"].startswith("N")
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    actions = db.session.scalars(select(AuditLog.action).where(
        AuditLog.entity_type == "care_homes", AuditLog.entity_id == created["id"])
        .order_by(AuditLog.id)).all()
    assert actions == ["create", "status", "update", "delete"]


def test_lists_are_paged_and_filtered(client, make_user):
    _, headers = make_user("admin")
    for i, postcode in enumerate(["LL55 4UR", "G1 1XQ", "EH1 1YZ", "BT1 5GS", "SW1A 1AA"]):
        client.post("/api/v1/groups", json={**GROUP, "name": f"Group {i}", "postcode": postcode,
                                             "kind": "choir" if i % 2 else "school"},
                    headers=headers)
    page = client.get("/api/v1/groups?page=1&page_size=2", headers=headers)
    assert page.status_code == 200 and len(page.json) == 2
    assert json.loads(page.headers["X-Pagination"])["total"] == 5
    scottish = client.get("/api/v1/groups?nation=scotland", headers=headers).json
    assert {g["name"] for g in scottish} == {"Group 1", "Group 2"}
    choirs = client.get("/api/v1/groups?kind=choir", headers=headers).json
    assert {g["kind"] for g in choirs} == {"choir"} and len(choirs) == 2
    assert client.get("/api/v1/groups?status=pending", headers=headers).json == []
    bad = client.get("/api/v1/groups?nation=atlantis", headers=headers)
    assert bad.status_code == 422 and "nation" in bad.json["errors"]


@pytest.mark.parametrize("change, field", [
    ({"postcode": "not a postcode"}, "postcode"),
    ({"postcode": "ZZ99 9ZZ"}, "postcode"),
    ({"postcode": "JE2 3AB"}, "postcode"),
    ({"languages": ["Klingonish"]}, "languages"),
    ({"name": "x" * 201}, "name"),
    ({"description": "x" * 5001}, "description"),
    ({"travel_radius_km": -1}, "travel_radius_km"),
    ({"travel_radius_km": 10_000}, "travel_radius_km"),
    ({"capacity_per_month": 0}, "capacity_per_month"),
    ({"consent": False}, "consent"),
    ({"kind": "circus"}, "kind"),
    ({"name": None}, "name"),
])
def test_invalid_groups_are_422_with_field_errors_and_nothing_stored(client, make_user, db,
                                                                     change, field):
    _, headers = make_user("admin")
    before = count(db, CommunityGroup)
    response = client.post("/api/v1/groups", json={**GROUP, **change}, headers=headers)
    assert response.status_code == 422, response.json
    body = response.json
    assert body["code"] == 422 and body["status"] and body["message"]
    assert field in body["errors"], body
    assert all(isinstance(m, (str, list, dict)) for m in body["errors"].values())
    assert count(db, CommunityGroup) == before


def test_unknown_language_error_names_it(client, make_user):
    _, headers = make_user("admin")
    response = client.post("/api/v1/groups", json={**GROUP, "languages": ["Klingonish"]},
                           headers=headers)
    assert "Klingonish" in json.dumps(response.json["errors"])


def test_missing_consent_is_required(client, make_user):
    _, headers = make_user("admin")
    body = {k: v for k, v in GROUP.items() if k != "consent"}
    response = client.post("/api/v1/groups", json=body, headers=headers)
    assert response.status_code == 422 and "consent" in response.json["errors"]


def test_malformed_json_wrong_type_and_unknown_paths_are_json_errors(client, make_user, db):
    _, headers = make_user("admin")
    before = count(db, CareHome)
    broken = client.post("/api/v1/care-homes", data="{not json",
                         headers={**headers, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json["code"] == 400
    form = client.post("/api/v1/care-homes", data="name=x", headers={
        **headers, "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415 and form.json["code"] == 415
    assert client.get("/api/v1/care-homes/999999", headers=headers).json["code"] == 404
    assert client.get("/api/v1/nowhere", headers=headers).json["code"] == 404
    put = client.put("/api/v1/care-homes", json=HOME, headers=headers)
    assert put.status_code == 405 and put.json["code"] == 405
    bad_page = client.get("/api/v1/care-homes?page=0", headers=headers)
    assert bad_page.status_code == 422
    assert count(db, CareHome) == before


def test_care_home_language_counts_are_checked_and_duplicates_merged(client, make_user):
    _, headers = make_user("admin")
    dup = {**HOME, "languages": [{"language": "Welsh", "residents": 3},
                                 {"language": "cy", "residents": 2}]}
    response = client.post("/api/v1/care-homes", json=dup, headers=headers)
    assert response.status_code == 201, response.json
    assert [(lang["tag"], lang["residents"]) for lang in response.json["languages"]] == [
        ("cy", 3)]
    negative = {**HOME, "languages": [{"language": "Polish", "residents": 0}]}
    assert client.post("/api/v1/care-homes", json=negative, headers=headers).status_code == 422


def test_staff_cannot_create_homes_or_groups(client, make_user, db):
    _, admin = make_user("admin")
    home = client.post("/api/v1/care-homes", json=HOME, headers=admin).json
    _, staff = make_user("care_home", care_home_id=home["id"])
    assert client.post("/api/v1/care-homes", json=HOME, headers=staff).status_code == 403
    assert client.post("/api/v1/groups", json=GROUP, headers=staff).status_code == 403


def test_coordinator_cannot_create_outside_their_nation(client, make_user, db):
    _, headers = make_user("coordinator", nation="scotland")
    before = count(db, CareHome)
    response = client.post("/api/v1/care-homes", json=HOME, headers=headers)
    assert response.status_code == 403
    assert count(db, CareHome) == before


def test_openapi_and_docs_are_served_locally(client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/care-homes" in spec["paths"] and "/api/v1/geocode" in spec["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "https://" not in html
    init = client.get("/static/js/swagger-init.js").get_data(as_text=True)
    assert "validatorUrl: null" in init
