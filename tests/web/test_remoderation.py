"""Re-moderation: an approved group's changes to what is published wait for a coordinator.

Through its private link an approved group can change its name, kind, description,
activities, languages and safeguarding details only as a proposal: care homes, matches and
the open data feed keep the published version until a coordinator approves; contact details,
postcode, availability and the like apply at once.
"""

from __future__ import annotations

from sqlalchemy import select

from matcher.models import AuditLog, CommunityGroup
from tests.web.conftest import control_value, edit_token_from, group_form

PASSWORD = "a long enough password"


def approved_by_link(client, db):
    """A group registered through the form (its link in hand), then approved."""
    assert client.post("/register", data=group_form()).status_code == 303
    token = edit_token_from(client.get("/register/done").get_data(as_text=True))
    group = db.session.scalar(select(CommunityGroup).order_by(CommunityGroup.id.desc()))
    group.status = "approved"
    db.session.commit()
    return group, token


def feed_names(client) -> str:
    return client.get("/api/v1/open-referral/services").get_data(as_text=True)


def test_published_changes_wait_for_a_coordinator_and_the_rest_applies(
        client, db, make_user, make_home, sign_in):
    group, token = approved_by_link(client, db)
    home = make_home()
    _, staff = make_user("care_home", care_home_id=home.id)
    form = group_form(name="Llanberis Party Singers", description="Call 07700 900123 now!",
                      contact_phone="01632 960999", travel_radius_km="12", consent=None)
    saved = client.post(f"/groups/edit/{token}", data=form, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert "wait for your network coordinator" in page
    assert "are waiting for your network coordinator to approve them" in page
    assert control_value(page, "name") == "Llanberis Party Singers"  # the group sees its own

    db.session.expire_all()
    group = db.session.get(CommunityGroup, group.id)
    assert group.name == "Llanberis Singers"  # published version stays
    assert "07700" not in group.description
    assert set(group.pending_changes) == {"name", "description"}
    assert group.contact_phone == "01632 960999" and group.travel_radius_km == 12
    # Care homes, their matches and the open feed see the published version only.
    seen = client.get(f"/api/v1/groups/{group.id}", headers=staff).json
    assert seen["name"] == "Llanberis Singers" and seen["pending_changes"] is None
    matches = client.get(f"/api/v1/care-homes/{home.id}/matches", headers=staff).json
    assert "Llanberis Singers" in [m["group"]["name"] for m in matches["matches"]]
    assert "Party" not in str(matches)
    assert "Llanberis Singers" in feed_names(client) and "Party" not in feed_names(client)
    proposal = db.session.scalar(select(AuditLog).filter_by(
        entity_type="community_groups", entity_id=group.id, action="propose"))
    assert proposal.actor == f"group-link:{group.id}"

    # The coordinator sees the proposal on the dashboard and the review page, and publishes.
    coordinator, coord_headers = make_user("coordinator", nation="wales", password=PASSWORD)
    assert client.get(f"/api/v1/groups/{group.id}",
                      headers=coord_headers).json["pending_changes"]["name"] == (
        "Llanberis Party Singers")
    sign_in(coordinator.email, PASSWORD)
    assert "Changes to approve" in client.get("/coordinator").get_data(as_text=True)
    review = client.get(f"/coordinator/groups/{group.id}").get_data(as_text=True)
    assert "Changes waiting for approval" in review and "Llanberis Party Singers" in review
    done = client.post(f"/coordinator/groups/{group.id}/changes", data={"decision": "approve"})
    assert done.status_code == 303
    db.session.expire_all()
    group = db.session.get(CommunityGroup, group.id)
    assert group.name == "Llanberis Party Singers" and group.pending_changes is None
    assert "Llanberis Party Singers" in feed_names(client)
    assert "Changes to approve" not in client.get("/coordinator").get_data(as_text=True)


def test_a_coordinator_can_decline_and_the_published_version_stays(client, db, make_user,
                                                                   sign_in):
    group, token = approved_by_link(client, db)
    client.post(f"/groups/edit/{token}", data=group_form(kind="other", consent=None))
    coordinator, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(coordinator.email, PASSWORD)
    assert client.post(f"/coordinator/groups/{group.id}/changes",
                       data={"decision": "decline"}).status_code == 303
    db.session.expire_all()
    group = db.session.get(CommunityGroup, group.id)
    assert group.kind == "choir" and group.pending_changes is None
    # nothing left to decide
    again = client.post(f"/coordinator/groups/{group.id}/changes", data={"decision": "approve"})
    assert again.status_code == 409


def test_going_back_to_the_published_values_withdraws_the_proposal(client, db):
    group, token = approved_by_link(client, db)
    client.post(f"/groups/edit/{token}", data=group_form(name="Another Name", consent=None))
    client.post(f"/groups/edit/{token}", data=group_form(consent=None))
    db.session.expire_all()
    assert db.session.get(CommunityGroup, group.id).pending_changes is None


def test_a_registration_waiting_for_approval_changes_at_once(client, db):
    assert client.post("/register", data=group_form()).status_code == 303
    token = edit_token_from(client.get("/register/done").get_data(as_text=True))
    client.post(f"/groups/edit/{token}", data=group_form(name="Renamed Before Review",
                                                         consent=None))
    group = db.session.scalar(select(CommunityGroup).order_by(CommunityGroup.id.desc()))
    db.session.refresh(group)
    assert group.name == "Renamed Before Review" and group.pending_changes is None


def test_withdrawal_erases_a_waiting_proposal(client, db):
    group, token = approved_by_link(client, db)
    client.post(f"/groups/edit/{token}", data=group_form(
        description="Ring Dafydd on 07700 900123", consent=None))
    client.post(f"/groups/edit/{token}/withdraw")
    db.session.expire_all()
    group = db.session.get(CommunityGroup, group.id)
    assert group.status == "withdrawn" and group.pending_changes is None
    trail = str(db.session.scalars(select(AuditLog.changes).filter_by(
        entity_type="community_groups", entity_id=group.id)).all())
    assert "07700 900123" not in trail
