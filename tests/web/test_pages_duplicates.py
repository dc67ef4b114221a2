"""Duplicate registrations: flagged on the review page and in the API, rejected as such."""

from __future__ import annotations

from sqlalchemy import select

from matcher.models import AuditLog, CommunityGroup, OutboxMessage

PASSWORD = "coordinating is fun"


def _coordinator(make_user, sign_in, nation="wales"):
    user, headers = make_user("coordinator", nation=nation, password=PASSWORD)
    sign_in(user.email, PASSWORD)
    return user, headers


def _contact(email, phone=None):
    return {"name": "Someone", "email": email, **({"phone": phone} if phone else {})}


def test_second_registration_of_the_same_choir_is_flagged(make_user, make_group, sign_in,
                                                           client):
    original = make_group(name="Côr Llanberis", contact=_contact("cor@example.org",
                                                                  "01632 960001"))
    by_name = make_group(status="pending", name="Cor Llanberis", postcode="LL55 4AA",
                         contact=_contact("new@example.org"))
    by_email = make_group(status="pending", name="Singers of Snowdonia", postcode="CF10 1AA",
                          contact=_contact("COR@example.org"))
    by_phone = make_group(status="pending", name="Something Else", postcode="CF10 1AA",
                          contact=_contact("x@example.org", "+44 1632 960001"))
    far = make_group(status="pending", name="Côr Llanberis", postcode="CF10 1AA",
                     contact=_contact("cardiff@example.org"))
    _, headers = _coordinator(make_user, sign_in)

    def flagged(group):
        body = client.get(f"/api/v1/groups/{group.id}", headers=headers).get_json()
        return body["possible_duplicates"]

    [dup] = [d for d in flagged(by_name) if d["id"] == original.id]
    assert dup["name"] == "Côr Llanberis" and dup["reason"].startswith("similar name, ")
    assert dup["reason"].endswith(" km away")
    assert {"id": original.id, "name": "Côr Llanberis", "reason": "same email"} \
        in flagged(by_email)
    assert [d["reason"] for d in flagged(by_phone)] == ["same phone number"]
    # The same name 200 km away is another choir.
    assert original.id not in [d["id"] for d in flagged(far)]
    # An approved group is not a registration under review.
    assert flagged(original) == []

    page = client.get(f"/coordinator/groups/{by_email.id}").get_data(as_text=True)
    assert "Possible duplicate of" in page and "same email" in page
    assert f"/coordinator/groups/{original.id}" in page
    assert "Reject as a duplicate of Côr Llanberis" in page
    far_page = client.get(f"/coordinator/groups/{far.id}").get_data(as_text=True)
    assert "Possible duplicate of" not in far_page


def test_duplicates_are_shown_only_to_those_who_review_the_registration(
        make_user, make_group, make_home):
    make_group(name="Côr Llanberis")
    pending = make_group(status="pending", name="Côr Llanberis", postcode="LL55 4AA")
    home = make_home()
    _, staff = make_user("care_home", care_home_id=home.id)
    _, english = make_user("coordinator", nation="england")
    _, admin = make_user("admin")
    from flask import current_app
    client = current_app.test_client()
    assert client.get(f"/api/v1/groups/{pending.id}", headers=english).status_code == 404
    body = client.get(f"/api/v1/groups/{pending.id}", headers=admin).get_json()
    assert [d["name"] for d in body["possible_duplicates"]] == ["Côr Llanberis"]
    listed = client.get("/api/v1/groups?status=approved", headers=staff).get_json()
    assert all(group["possible_duplicates"] == [] for group in listed)


def test_openapi_documents_possible_duplicates(client):
    spec = client.get("/api/openapi.json").get_json()
    field = spec["components"]["schemas"]["Group"]["properties"]["possible_duplicates"]
    assert field["type"] == "array"
    assert set(field["items"]["properties"]) == {"id", "name", "reason"}


def test_reject_as_duplicate_declines_emails_and_audits(make_user, make_group, sign_in,
                                                          client, db):
    original = make_group(name="Côr Llanberis")
    again = make_group(status="pending", name="Cor Llanberis", postcode="LL55 4AA",
                       contact=_contact("second@example.org"))
    user, _ = _coordinator(make_user, sign_in)
    response = client.post(f"/coordinator/groups/{again.id}/duplicate",
                           data={"duplicate_of": str(original.id)})
    assert response.status_code == 303
    db.session.expire_all()
    declined = db.session.get(CommunityGroup, again.id)
    assert declined.status == "rejected"
    assert "Côr Llanberis" in declined.status_reason
    [email] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_email == "second@example.org",
        OutboxMessage.template == "registration_declined")).all()
    assert "a second one for Côr Llanberis" in email.context["reason"]
    entry = db.session.scalars(select(AuditLog).where(
        AuditLog.entity_id == again.id, AuditLog.action == "duplicate")).one()
    assert entry.changes == {"duplicate_of": [None, original.id]}
    assert entry.user_id == user.id
    # Once declined it is no longer a registration to reject.
    again_response = client.post(f"/coordinator/groups/{again.id}/duplicate",
                                 data={"duplicate_of": str(original.id)})
    assert again_response.status_code == 409
    assert db.session.get(CommunityGroup, again.id).status == "rejected"


def test_reject_as_duplicate_of_nothing_shows_the_page_again(make_user, make_group, sign_in,
                                                              client, db):
    english = make_group(name="Westminster Choir", postcode="SW1A 2AA")
    pending = make_group(status="pending", name="Côr Llanberis")
    _coordinator(make_user, sign_in)
    for value in ("", "abc", str(pending.id), str(english.id), "999999"):
        response = client.post(f"/coordinator/groups/{pending.id}/duplicate",
                               data={"duplicate_of": value})
        assert response.status_code == 422, value
        assert "Choose the group this registration duplicates" in response.get_data(True)
    assert db.session.get(CommunityGroup, pending.id).status == "pending"


def test_review_list_shows_how_long_each_registration_waited_oldest_first(
        make_user, make_group, sign_in, client, db):
    import datetime as dt
    newer = make_group(status="pending", name="Newer Knitters", postcode="LL55 4AA")
    older = make_group(status="pending", name="Older Singers", postcode="LL55 4AB")
    older.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=3, hours=2)
    db.session.commit()
    _coordinator(make_user, sign_in)
    page = client.get("/coordinator").get_data(as_text=True)
    assert page.index("Older Singers") < page.index("Newer Knitters")
    assert "waited 3 days" in page and "waited less than a day" in page
    assert newer.id


def test_the_duplicate_warning_reads_in_welsh(make_user, make_group, sign_in, client):
    from tests.web.welsh import english_leftovers

    original = make_group(name="Côr Llanberis", contact=_contact("cor@example.org"))
    again = make_group(status="pending", name="Cor Llanberis", postcode="LL55 4AA",
                       contact=_contact("cor@example.org"))
    _, headers = _coordinator(make_user, sign_in)
    page = client.get(f"/coordinator/groups/{again.id}?lang=cy").get_data(as_text=True)
    banner = page.split('class="govuk-notification-banner"', 1)[1].split("</form>")[0]
    assert "Dyblyg posibl o" in banner and "yr un e-bost; enw tebyg" in banner
    assert "Gwrthod fel dyblyg o Côr Llanberis" in banner
    assert [text for text in english_leftovers("<div " + banner + "</form></div>")
            if "Llanberis" not in text] == []
    body = client.get(f"/api/v1/groups/{again.id}",
                      headers={**headers, "Accept-Language": "cy"}).get_json()
    [dup] = body["possible_duplicates"]
    assert dup["id"] == original.id and dup["reason"].startswith("yr un e-bost; enw tebyg")
