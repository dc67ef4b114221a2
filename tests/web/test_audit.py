"""The audit trail: every create, update, delete and status change is recorded (who, when, what
changed) by every service that changes data, and admins read it through the API and a page."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matcher.models import AuditLog, CommunityGroup, User
from tests.web.conftest import group_form

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def entries(db, **by) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).filter_by(**by).order_by(AuditLog.id)).all()


def newest(db) -> int:
    return db.session.scalar(select(func.max(AuditLog.id))) or 0


def since(db, mark: int) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.id > mark)
                              .order_by(AuditLog.id)).all()


def actions(found: list[AuditLog]) -> list[tuple[str, str]]:
    return [(e.entity_type, e.action) for e in found]


def emails_in(found: list[AuditLog]) -> list[tuple[str, str]]:
    return [(e.changes["template"], e.changes["recipient_role"]) for e in found
            if e.entity_type == "outbox_messages" and e.action == "email"]


@pytest.fixture
def scene(app, db, make_user, make_home, make_group):
    home = make_home()
    group = make_group()
    admin, admin_headers = make_user("admin", password="an admin password here")
    coordinator, headers = make_user("coordinator", nation="wales",
                                     password="a coordinator password")
    staff, staff_headers = make_user("care_home", care_home_id=home.id,
                                     password="a staff password here")
    return {"home": home, "group": group, "admin": admin, "admin_headers": admin_headers,
            "coordinator": coordinator, "headers": headers, "staff": staff,
            "staff_headers": staff_headers}


def sign_in(client, user):
    from flask import g

    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    # the test's app context outlives each request: forget the user the last one loaded
    g.pop("_login_user", None)


# --- every service that changes data writes an entry ------------------------------------------

def test_records_through_the_api(client, db, scene):
    headers, label = scene["headers"], f"user:{scene['coordinator'].id}:"
    mark = newest(db)
    home = client.post("/api/v1/care-homes", json={"name": "Plas Newydd",
                                                   "postcode": "LL55 4BB"}, headers=headers).json
    client.patch(f"/api/v1/care-homes/{home['id']}", json={"residents": 12}, headers=headers)
    client.patch(f"/api/v1/care-homes/{home['id']}", json={"visiting_status": "closed"},
                 headers=headers)
    group = client.post("/api/v1/groups", json={
        "name": "Llanberis Runners", "kind": "sports_group", "postcode": "LL55 4AA",
        "consent": True, "contact": {"email": "runners@example.org"}}, headers=headers).json
    client.patch(f"/api/v1/groups/{group['id']}", json={"status": "paused"}, headers=headers)
    client.patch(f"/api/v1/groups/{group['id']}", json={"contact": {
        "email": "new.runners@example.org"}}, headers=headers)
    client.delete(f"/api/v1/groups/{group['id']}", headers=headers)
    client.delete(f"/api/v1/care-homes/{home['id']}", headers=headers)
    found = since(db, mark)
    assert actions(found) == [
        ("care_homes", "create"), ("care_homes", "update"), ("care_homes", "status"),
        ("community_groups", "create"), ("community_groups", "status"),
        ("community_groups", "update"), ("community_groups", "delete"),
        ("care_homes", "delete")]
    assert all(e.actor.startswith(label) and e.user_id == scene["coordinator"].id for e in found)
    assert found[1].changes["residents"] == [None, 12]
    assert found[2].changes["visiting_status"] == ["open", "closed"]
    assert found[4].changes["status"] == ["approved", "paused"]
    # personal details: that they changed, never the values ("(changed)"), and once the
    # group is deleted not even that marker of its data
    assert found[5].changes == {"contact_email": "(erased)"}
    assert "runners@example.org" not in json.dumps([e.changes for e in found])


def test_introductions_allocations_and_pages(app, client, db, scene):
    home, group = scene["home"], scene["group"]
    mark = newest(db)
    intro = client.post("/api/v1/introductions", json={"care_home_id": home.id,
                                                       "group_id": group.id},
                        headers=scene["staff_headers"]).json
    client.patch(f"/api/v1/introductions/{intro['id']}", json={"status": "requested"},
                 headers=scene["staff_headers"])
    client.patch(f"/api/v1/introductions/{intro['id']}", json={"note": "Phoned the choir."},
                 headers=scene["headers"])
    allocation = client.post("/api/v1/allocations", json={"per_home": 1},
                             headers=scene["headers"]).json
    everything = since(db, mark)
    # Each email the request sent is in the trail too: its template and recipient role.
    assert sorted(emails_in(everything)) == [
        ("introduction_requested_coordinator", "coordinator"),
        ("introduction_requested_group", "group")]
    found = [e for e in everything if e.entity_type != "outbox_messages"]
    assert actions(found) == [("introductions", "create"), ("introductions", "status"),
                              ("introductions", "update"), ("allocations", "create")]
    assert found[1].changes["status"] == ["suggested", "requested"]
    assert found[1].user_id == scene["staff"].id and found[2].user_id == scene["coordinator"].id
    assert found[2].changes["note"] == "Phoned the choir."
    assert found[3].entity_id == allocation["id"] and found[3].changes["nation"] == "wales"

    # the pages go through the same services
    mark = newest(db)
    sign_in(client, scene["coordinator"])
    assert client.post(f"/coordinator/introductions/{intro['id']}/status",
                       data={"status": "introduced"}).status_code == 303
    assert client.post(f"/coordinator/groups/{group.id}/decision",
                       data={"decision": "pause", "status_reason": "Summer"}).status_code == 303
    sign_in(client, scene["staff"])
    other = client.post("/register", data=group_form())  # a new registration, by the public
    assert other.status_code == 303
    everything = since(db, mark)
    # The introduction's and the registration's emails are in the trail too.
    assert sorted(emails_in(everything)) == [
        ("introduction_made_group", "group"), ("introduction_made_home", "care_home"),
        ("registration_received", "group")]
    found = [e for e in everything if e.entity_type != "outbox_messages"]
    assert actions(found) == [("introductions", "status"), ("community_groups", "status"),
                              ("community_groups", "create")]
    assert found[2].actor == "public-form" and found[2].user_id is None
    assert found[2].changes["status"] == "pending"


def test_imports_and_the_command_line(db, runner):
    mark = newest(db)
    result = runner.invoke(args=["import", "groups", str(FIXTURES / "directories" / "groups.csv"),
                                 "--skip-invalid"])
    assert result.exit_code == 0, result.output
    created = [e for e in since(db, mark) if e.action == "create"]
    assert created and all(e.entity_type == "community_groups" and e.actor.startswith("cli:")
                           for e in created)
    assert all(e.changes.get("source") for e in created)


def test_users_tokens_and_lockouts(db, runner, client):
    mark = newest(db)
    made = runner.invoke(args=["create-user", "audited@example.org", "--role", "coordinator",
                               "--nation", "scotland", "--password", "a good long password"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().split()[-1]
    user = db.session.scalar(select(User).filter_by(email="audited@example.org"))
    assert runner.invoke(args=["revoke-token", "--token", token]).exit_code == 0
    for _ in range(5):
        client.post("/login", data={"email": "audited@example.org", "password": "wrong"})
    found = [e for e in since(db, mark) if e.entity_type == "users"]
    assert [e.action for e in found] == ["create", "issue", "revoke", "lock"]
    assert all(e.entity_id == user.id for e in found)
    assert found[0].changes["role"] == "coordinator"
    trail = json.dumps([e.changes for e in found])
    assert token not in trail and "a good long password" not in trail
    assert found[1].changes["token"] == token[:12] + "…"


def test_withdrawal_and_purge(client, db, runner):
    from tests.web.conftest import edit_token_from

    response = client.post("/register", data=group_form(name="Short-lived Choir"))
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    token = edit_token_from(done)
    group = db.session.scalar(select(CommunityGroup).filter_by(name="Short-lived Choir"))
    client.post(f"/groups/edit/{token}", data=group_form(name="Short-lived Choir",
                                                        travel_radius_km="12"))
    client.post(f"/groups/edit/{token}/withdraw")
    found = entries(db, entity_type="community_groups", entity_id=group.id)
    assert [e.action for e in found] == ["create", "update", "withdraw"]
    assert found[1].actor == f"group-link:{group.id}"
    assert found[1].changes["travel_radius_km"] == [20.0, 12.0]

    pending = client.post("/register", data=group_form(name="Never Approved Choir"))
    assert pending.status_code == 303
    forgotten = db.session.scalar(select(CommunityGroup).filter_by(name="Never Approved Choir"))
    forgotten.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    db.session.commit()
    forgotten_id = forgotten.id
    assert runner.invoke(args=["purge"]).exit_code == 0
    purge = entries(db, entity_type="community_groups", entity_id=forgotten_id, action="purge")
    assert len(purge) == 1 and purge[0].actor.startswith("cli:")


# --- reading it: the API -----------------------------------------------------------------------

def test_admins_read_the_trail_newest_first_with_filters_and_pages(client, db, scene):
    admin, headers = scene["admin_headers"], scene["headers"]
    home = scene["home"]
    for residents in (31, 32, 33):
        client.patch(f"/api/v1/care-homes/{home.id}", json={"residents": residents},
                     headers=headers)
    url = f"/api/v1/audit?entity_type=care_homes&entity_id={home.id}"
    response = client.get(url, headers=admin)
    assert response.status_code == 200
    body = response.json
    assert [e["action"] for e in body] == ["update", "update", "update", "create"]
    assert body[0]["changes"] == {"residents": [32, 33]}
    assert body[0]["actor"] == f"user:{scene['coordinator'].id}:{scene['coordinator'].email}"
    assert body[0]["user_id"] == scene["coordinator"].id
    assert dt.datetime.fromisoformat(body[0]["at"]).tzinfo is not None
    paged = client.get(url + "&page=2&page_size=2", headers=admin)
    assert [e["action"] for e in paged.json] == ["update", "create"]
    assert json.loads(paged.headers["X-Pagination"])["total"] == 4
    by_id = client.get(f"/api/v1/audit?actor={scene['coordinator'].id}", headers=admin).json
    by_text = client.get("/api/v1/audit?actor=COORDINATOR-wales", headers=admin).json
    assert len(by_id) == len(by_text) == 3
    assert client.get("/api/v1/audit?action=create&entity_type=users",
                      headers=admin).json[0]["entity_type"] == "users"


def test_time_filters_and_bad_filters(client, db, scene):
    admin = scene["admin_headers"]
    old = AuditLog(actor="system", action="update", entity_type="care_homes",
                   entity_id=scene["home"].id, changes={"residents": [1, 2]},
                   at=dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC))
    db.session.add(old)
    db.session.commit()
    base = f"/api/v1/audit?entity_type=care_homes&entity_id={scene['home'].id}"
    assert [e["id"] for e in client.get(base + "&until=2021-01-01T00:00:00",
                                        headers=admin).json] == [old.id]
    recent = client.get(base + "&since=2021-01-01T00:00:00Z", headers=admin).json
    assert old.id not in {e["id"] for e in recent} and recent
    # a time with an offset means that moment: 13:30 in Paris is 12:30 UTC
    assert client.get(base + "&since=2020-01-01T13:30:00%2B01:00",
                      headers=admin).json[-1]["id"] != old.id
    assert client.get(base + "&since=2020-01-01T12:30:00%2B01:00",
                      headers=admin).json[-1]["id"] == old.id
    for bad in ("since=yesterday", "entity_id=abc", "entity_type=passwords", "page_size=0"):
        response = client.get(f"/api/v1/audit?{bad}", headers=admin)
        assert response.status_code == 422, bad
        assert response.json["errors"]


# --- reading it: the page ----------------------------------------------------------------------

def test_admin_page_lists_filters_and_pages(client, db, scene, monkeypatch):
    from matcher.web import admin as admin_page

    sign_in(client, scene["admin"])
    home = scene["home"]
    for residents in (31, 32, 33):
        client.patch(f"/api/v1/care-homes/{home.id}", json={"residents": residents},
                     headers=scene["headers"])
    html = client.get(f"/admin/audit?entity_type=care_homes&entity_id={home.id}").get_data(
        as_text=True)
    assert "4 changes" in html
    assert "Residents: 32 → 33" in html and scene["coordinator"].email in html
    assert html.index("Residents: 32 → 33") < html.index("Residents: 31 → 32")
    assert "Care home details changed" in html
    monkeypatch.setattr(admin_page, "PAGE_SIZE", 3)
    first = client.get(f"/admin/audit?entity_type=care_homes&entity_id={home.id}")
    text = first.get_data(as_text=True)
    assert "page 1 of 2" in text and 'rel="next"' in text and 'rel="prev"' not in text
    second = client.get(f"/admin/audit?entity_type=care_homes&entity_id={home.id}&page=2"
                        ).get_data(as_text=True)
    assert "page 2 of 2" in second and 'rel="prev"' in second
    assert "Care home added" in second
    # GOV.UK pagination: numbered pages, each keeping the filters.
    assert 'aria-current="page"' in second and 'aria-label="Page 1"' in second
    assert f'href="/admin/audit?page=1&amp;entity_type=care_homes&amp;entity_id={home.id}"' \
        in second
    actor = client.get(f"/admin/audit?actor={scene['coordinator'].email}").get_data(
        as_text=True)
    assert "3 changes" in actor


def test_admin_page_says_what_happened_in_plain_words(client, db, scene, make_group):
    sign_in(client, scene["admin"])
    pending = make_group(status="pending", name="Côr Newydd", postcode="LL55 4AA")
    client.patch(f"/api/v1/groups/{pending.id}", json={"status": "approved"},
                 headers=scene["headers"])
    html = client.get(f"/admin/audit?entity_type=community_groups&entity_id={pending.id}"
                      ).get_data(as_text=True)
    assert "Group approved" in html and "Group registered" in html
    assert "Status: Waiting for approval → Approved" in html
    assert "Name: Côr Newydd" in html
    assert "Contact email: changed (not shown)" in html
    assert "community_groups" not in html.split("<tbody", 1)[1].split("</tbody>")[0] \
        .replace("entity_type=community_groups", "")
    assert '{"' not in html and "[&#34;" not in html  # no JSON
    assert "Kith (automatic)" in html  # the registration, made by the system here


def test_admin_page_explains_bad_filters(client, scene):
    sign_in(client, scene["admin"])
    response = client.get("/admin/audit?entity_id=twelve&since=last+week")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "govuk-error-summary" in html and 'href="#entity_id"' in html
    assert 'href="#since"' in html and "last week" in html  # what was typed stays


def test_admins_find_the_trail_in_the_navigation(client, scene):
    sign_in(client, scene["admin"])
    assert 'href="/admin/audit"' in client.get("/coordinator").get_data(as_text=True)
    sign_in(client, scene["coordinator"])
    assert 'href="/admin/audit"' not in client.get("/coordinator").get_data(as_text=True)
