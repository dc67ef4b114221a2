"""Introductions between the two sides: the home's message, withdrawal, the group's answer on
its private page, and contact details that appear only once introduced (pages and API)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from matcher.models import AuditLog, Introduction

PASSWORD = "a long enough password"
GROUP_CONTACT = {"name": "Dafydd Example", "email": "dafydd.private@example.org",
                 "phone": "01632 960777"}


@pytest.fixture
def pair(app, db, make_home, make_group, make_user, sign_in):
    """A home with signed-in staff, and an approved group with its private link token."""
    from matcher.runtime import postcode_index
    from matcher.schemas import GroupInputSchema
    from matcher.services import records
    from matcher.services.audit import SYSTEM

    home = make_home(contact={"name": "Siân Manager", "email": "manager@brynawel.example",
                              "phone": "01632 960100"})
    data = GroupInputSchema().load({
        "name": "Côr Llanberis", "kind": "choir", "interests": ["singing", "hymns"],
        "languages": ["Welsh"], "postcode": "LL55 4EL", "travel_radius_km": 20,
        "contact": GROUP_CONTACT, "consent": True})
    group, token, _ = records.create_group(db.session, postcode_index(app), data, SYSTEM,
                                           status="approved", source="form",
                                           privacy_notice_version="test")
    db.session.commit()
    staff, headers = make_user("care_home", care_home_id=home.id, password=PASSWORD)
    sign_in(staff.email, PASSWORD)
    return {"home": home, "group": group, "token": token, "staff": staff,
            "headers": headers}


def request_intro(client, pair, message=""):
    home, group = pair["home"], pair["group"]
    return client.post(f"/care-homes/{home.id}/partners/{group.id}/introduce",
                       data={"message": message})


def the_intro(db, pair) -> Introduction:
    return db.session.scalar(select(Introduction).where(
        Introduction.group_id == pair["group"].id).order_by(Introduction.id.desc()))


def contact_shown(text: str) -> bool:
    return GROUP_CONTACT["email"] in text or GROUP_CONTACT["phone"] in text


def test_contact_details_appear_only_once_the_group_accepts(client, db, pair):
    home, token = pair["home"], pair["token"]
    assert request_intro(client, pair, "We would love a carol concert.").status_code == 303
    intro = the_intro(db, pair)
    assert intro.status == "requested" and intro.message == "We would love a carol concert."
    page = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    api = client.get(f"/api/v1/introductions/{intro.id}", headers=pair["headers"])
    assert not contact_shown(page)
    assert api.json["group_contact"] is None and not contact_shown(api.get_data(as_text=True))

    # The group sees the request, with the home's message, and accepts it.
    link_page = client.get(f"/groups/edit/{token}").get_data(as_text=True)
    assert home.name in link_page and "We would love a carol concert." in link_page
    assert "manager@brynawel.example" not in link_page  # not before accepting either
    answered = client.post(f"/groups/edit/{token}/introductions/{intro.id}",
                           data={"answer": "accept"})
    assert answered.status_code == 303
    db.session.expire_all()
    assert the_intro(db, pair).status == "introduced"

    page = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    assert GROUP_CONTACT["email"] in page and GROUP_CONTACT["phone"] in page
    api = client.get(f"/api/v1/introductions/{intro.id}", headers=pair["headers"]).json
    assert api["group_contact"] == GROUP_CONTACT
    link_page = client.get(f"/groups/edit/{token}").get_data(as_text=True)
    assert "manager@brynawel.example" in link_page and "01632 960100" in link_page


def test_staff_cannot_introduce_themselves_to_reach_the_contact_details(client, db, pair,
                                                                       make_user):
    request_intro(client, pair)
    intro = the_intro(db, pair)
    url = f"/api/v1/introductions/{intro.id}"
    refused = client.patch(url, json={"status": "introduced"}, headers=pair["headers"])
    assert refused.status_code == 403
    assert not contact_shown(refused.get_data(as_text=True))
    declined = client.patch(url, json={"status": "declined"}, headers=pair["headers"])
    assert declined.status_code == 403
    db.session.expire_all()
    assert the_intro(db, pair).status == "requested"
    _, coordinator = make_user("coordinator", nation="wales")
    assert client.patch(url, json={"status": "introduced"}, headers=coordinator).status_code \
        == 200


def test_message_is_bounded_and_refuses_control_characters(client, db, pair):
    too_long = "a" * 1001
    response = request_intro(client, pair, too_long)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Longer than maximum length 1000" in html and too_long in html  # entry kept
    response = request_intro(client, pair, "Hello\x07there")
    assert response.status_code == 422 and "U+0007" in response.get_data(as_text=True)
    api = client.post("/api/v1/introductions", headers=pair["headers"], json={
        "care_home_id": pair["home"].id, "group_id": pair["group"].id,
        "status": "requested", "message": "Bcc: someone\r\x00"})
    assert api.status_code == 422 and "message" in api.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(Introduction)) == 0
    # Line breaks are fine in a message.
    assert request_intro(client, pair, "Dear choir,\r\nCome and sing.").status_code == 303
    assert the_intro(db, pair).message == "Dear choir,\r\nCome and sing."


def test_contact_names_with_line_breaks_are_refused(client, admin_headers):
    response = client.post("/api/v1/groups", headers=admin_headers, json={
        "name": "Injectors", "kind": "choir", "postcode": "LL55 4EL", "consent": True,
        "contact": {"name": "Eve\r\nBcc: victim@example.org", "email": "eve@example.org"}})
    assert response.status_code == 422
    assert "contact" in response.json["errors"]


def test_the_home_may_withdraw_until_introduced(client, db, pair, make_user):
    home = pair["home"]
    request_intro(client, pair, "Please visit.")
    intro = the_intro(db, pair)
    page = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    withdraw_url = f"/care-homes/{home.id}/introductions/{intro.id}/withdraw"
    assert withdraw_url in page
    assert client.post(withdraw_url).status_code == 303
    db.session.expire_all()
    assert the_intro(db, pair).status == "withdrawn"
    # The group no longer has anything to answer, and the home may ask again.
    link_page = client.get(f"/groups/edit/{pair['token']}").get_data(as_text=True)
    assert f"/groups/edit/{pair['token']}/introductions/{intro.id}" not in link_page
    assert request_intro(client, pair).status_code == 303
    again = the_intro(db, pair)
    assert again.id != intro.id and again.status == "requested"

    _, coordinator = make_user("coordinator", nation="wales")
    assert client.patch(f"/api/v1/introductions/{again.id}", json={"status": "introduced"},
                        headers=coordinator).status_code == 200
    refused = client.post(f"/care-homes/{home.id}/introductions/{again.id}/withdraw")
    assert refused.status_code == 409
    assert "can no longer be withdrawn" in refused.get_data(as_text=True)
    api = client.patch(f"/api/v1/introductions/{again.id}", json={"status": "withdrawn"},
                       headers=pair["headers"])
    assert api.status_code == 409
    db.session.expire_all()
    assert the_intro(db, pair).status == "introduced"


def test_withdrawing_another_homes_introduction_is_not_found(client, db, pair, make_home):
    request_intro(client, pair)
    intro = the_intro(db, pair)
    other = make_home(name="Plas Arall")
    response = client.post(f"/care-homes/{other.id}/introductions/{intro.id}/withdraw")
    assert response.status_code == 404  # not an introduction of that home
    db.session.expire_all()
    assert the_intro(db, pair).status == "requested"


def test_the_group_declines_through_its_link_and_the_audit_says_so(client, db, pair):
    request_intro(client, pair, "Could you come on Thursdays?")
    intro = the_intro(db, pair)
    token = pair["token"]
    page = client.get(f"/groups/edit/{token}").get_data(as_text=True)
    assert "Could you come on Thursdays?" in page and "Accept" in page and "Decline" in page
    assert client.post(f"/groups/edit/{token}/introductions/{intro.id}",
                       data={"answer": "decline"}).status_code == 303
    db.session.expire_all()
    assert the_intro(db, pair).status == "declined"
    # The newest status entry is the group's answer (the request wrote one before it).
    entry = db.session.scalars(select(AuditLog).where(
        AuditLog.entity_type == "introductions", AuditLog.entity_id == intro.id,
        AuditLog.action == "status").order_by(AuditLog.id.desc())).first()
    assert entry.actor == f"group-link:{pair['group'].id}"
    assert entry.changes["status"] == ["requested", "declined"]
    # A second answer changes nothing.
    again = client.post(f"/groups/edit/{token}/introductions/{intro.id}",
                        data={"answer": "accept"}, follow_redirects=True)
    assert "already declined" in again.get_data(as_text=True).lower()
    db.session.expire_all()
    assert the_intro(db, pair).status == "declined"


def test_a_group_cannot_answer_for_another_group(client, db, pair, make_group):
    from matcher.services import introductions
    from matcher.services.audit import SYSTEM

    other = make_group(name="Knitters", kind="knitting_club")
    intro = introductions.create_introduction(db.session, pair["home"], other, SYSTEM,
                                              status="requested")
    db.session.commit()
    response = client.post(f"/groups/edit/{pair['token']}/introductions/{intro.id}",
                           data={"answer": "accept"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Introduction, intro.id).status == "requested"
    assert client.post(f"/groups/edit/not-a-real-token/introductions/{intro.id}",
                       data={"answer": "accept"}).status_code == 404


def test_the_groups_page_leaves_out_coordinators_private_suggestions(client, db, pair):
    from matcher.services import introductions
    from matcher.services.audit import SYSTEM

    introductions.create_introduction(db.session, pair["home"], pair["group"], SYSTEM,
                                      status="suggested", note="Maybe the choir?")
    db.session.commit()
    page = client.get(f"/groups/edit/{pair['token']}").get_data(as_text=True)
    assert "No care home has asked to meet you yet" in page
    assert "Maybe the choir?" not in page
