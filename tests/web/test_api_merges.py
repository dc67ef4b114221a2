"""``/api/v1/groups/{id}/merge/{into}``: merging a duplicate registration through the API."""

from __future__ import annotations

from sqlalchemy import select

from matcher.models import CommunityGroup, OutboxMessage


def _pair(make_group):
    original = make_group(name="Côr Llanberis", interests=["singing", "hymns"],
                          contact={"name": "Dafydd Example", "email": "dafydd@example.org"})
    registration = make_group(
        status="pending", name="Côr Llanberis", postcode="LL55 4EL",
        interests=["singing", "carols"],
        safeguarding={"scheme": "DBS", "status": "valid", "expires_on": "2028-03-01"},
        contact={"name": "Siân Jones", "email": "sian@example.org"})
    return original, registration


def test_the_preview_lists_each_part_that_differs_with_its_choices(client, make_user,
                                                                   make_group):
    original, registration = _pair(make_group)
    _, headers = make_user("coordinator", nation="wales")
    response = client.get(f"/api/v1/groups/{registration.id}/merge/{original.id}",
                          headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["registration"] == {"id": registration.id, "name": "Côr Llanberis"}
    assert body["into"]["id"] == original.id
    parts = {d["part"]: d for d in body["differences"]}
    assert list(parts) == ["interests", "safeguarding", "contact"]
    interests = parts["interests"]
    assert interests["combined"] == {"interests": ["singing", "hymns", "carols"]}
    assert interests["choices"] == ["keep", "take", "combine"]
    assert interests["default"] == "combine"
    check = parts["safeguarding"]
    assert check["taken"]["safeguarding_expires_on"] == "2028-03-01"
    assert check["combined"] is None and check["choices"] == ["keep", "take"]
    assert parts["contact"]["taken"]["contact_email"] == "sian@example.org"
    assert "consent_at" in parts["contact"]["fields"]


def test_merging_takes_what_was_chosen_and_declines_the_registration(client, db, make_user,
                                                                     make_group):
    original, registration = _pair(make_group)
    _, headers = make_user("coordinator", nation="wales")
    response = client.post(f"/api/v1/groups/{registration.id}/merge/{original.id}",
                           headers=headers, json={"choices": {"safeguarding": "take"}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["taken"] == ["interests", "safeguarding"]
    assert body["group"]["id"] == original.id
    assert body["group"]["interests"] == ["singing", "hymns", "carols"]
    assert body["group"]["safeguarding"]["status"] == "valid"
    db.session.expire_all()
    kept = db.session.get(CommunityGroup, original.id)
    assert kept.contact_email == "dafydd@example.org"  # the contact was kept (the default)
    assert db.session.get(CommunityGroup, registration.id).status == "rejected"
    assert db.session.scalar(select(OutboxMessage.template).where(
        OutboxMessage.to_email == "sian@example.org")) == "registration_merged"
    again = client.post(f"/api/v1/groups/{registration.id}/merge/{original.id}",
                        headers={**headers, "Accept-Language": "cy"}, json={})
    assert again.status_code == 409
    assert again.get_json()["message"].startswith("Dim ond cofrestriad sy'n aros")


def test_bad_choices_are_422_by_part_and_change_nothing(client, db, make_user, make_group):
    original, registration = _pair(make_group)
    _, headers = make_user("coordinator", nation="wales")
    url = f"/api/v1/groups/{registration.id}/merge/{original.id}"
    response = client.post(url, headers=headers, json={"choices": {
        "contact": "combine", "name": "take"}})
    assert response.status_code == 422
    errors = response.get_json()["errors"]["choices"]
    assert set(errors) == {"contact", "name"}
    assert errors["contact"] == ["Not a choice for this part: it is the same in both groups, "
                                 "or its values cannot be combined."]
    response = client.post(url, headers=headers, json={"choices": {"colour": "take",
                                                                   "contact": "merge"}})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(CommunityGroup, registration.id).status == "pending"
    assert db.session.get(CommunityGroup, original.id).interests == ["singing", "hymns"]
    welsh = client.post(url, headers={**headers, "Accept-Language": "cy"},
                        json={"choices": {"contact": "combine"}})
    assert welsh.status_code == 422
    assert welsh.get_json()["errors"]["choices"]["contact"][0].startswith("Nid yw'n ddewis")


def test_only_groups_in_reach_are_merged_and_others_are_404(client, make_user, make_group,
                                                           make_home):
    original, registration = _pair(make_group)
    english = make_group(name="Westminster Choir", postcode="SW1A 2AA")
    _, wales = make_user("coordinator", nation="wales")
    _, england = make_user("coordinator", nation="england")
    _, staff = make_user("care_home", care_home_id=make_home().id)
    for into in (english.id, registration.id, 999999):
        for method in (client.get, client.post):
            response = method(f"/api/v1/groups/{registration.id}/merge/{into}",
                              headers=wales, json={})
            assert response.status_code == 404, (method, into)
    # To another nation's coordinator and to care-home staff, a pending registration is not
    # there at all.
    for headers in (england, staff):
        assert client.get(f"/api/v1/groups/{registration.id}/merge/{original.id}",
                          headers=headers).status_code == 404


def test_the_openapi_document_describes_the_merge(client):
    spec = client.get("/api/openapi.json").get_json()
    operations = spec["paths"]["/api/v1/groups/{group_id}/merge/{into_id}"]
    assert set(operations) >= {"get", "post"}
    assert "409" in operations["post"]["responses"]
    choices = spec["components"]["schemas"]["MergeChoices"]
    assert set(choices["properties"]) == {"name", "kind", "description", "interests",
                                          "languages", "postcode", "travel_radius_km",
                                          "availability", "capacity_per_month", "remote",
                                          "works_with_children", "safeguarding", "contact"}
    assert choices["properties"]["contact"]["enum"] == ["keep", "take", "combine"]
    assert choices["additionalProperties"] is False
