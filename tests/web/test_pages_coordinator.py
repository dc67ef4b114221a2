"""The coordinator's pages: approvals, introductions, search and the match list."""

from __future__ import annotations

import csv
import io

from matcher.services import introductions
from matcher.services.audit import SYSTEM
from tests.web.conftest import parse_page

PASSWORD = "coordinating is fun"


def coordinator(make_user, sign_in, nation="wales"):
    user, _ = make_user("coordinator", nation=nation, password=PASSWORD)
    sign_in(user.email, PASSWORD)
    return user


def test_dashboard_is_for_coordinators_and_admins(make_user, make_home, sign_in, client):
    home = make_home()
    staff, _ = make_user("care_home", care_home_id=home.id, password=PASSWORD)
    sign_in(staff.email, PASSWORD)
    assert client.get("/coordinator").status_code == 403
    assert client.get("/coordinator/match-list.csv").status_code == 403
    client.post("/logout")
    admin, _ = make_user("admin", password=PASSWORD)
    sign_in(admin.email, PASSWORD)
    assert client.get("/coordinator").status_code == 200


def test_pending_registrations_of_the_nation_are_listed(make_user, make_group, sign_in, client):
    welsh = make_group(name="Welsh Newcomers", status="pending")
    scottish = make_group(name="Edinburgh Newcomers", status="pending", postcode="EH1 1YZ")
    approved = make_group(name="Already Approved")
    coordinator(make_user, sign_in)
    html = client.get("/coordinator").get_data(as_text=True)
    assert welsh.name in html
    assert scottish.name not in html
    assert approved.name not in html.split('id="introductions"')[0].split('id="pending"')[1]
    assert f"/coordinator/groups/{welsh.id}" in html
    assert client.get(f"/coordinator/groups/{scottish.id}").status_code == 404


def test_approve_a_registration(make_user, make_group, sign_in, client, db):
    group = make_group(status="pending")
    coordinator(make_user, sign_in)
    review = client.get(f"/coordinator/groups/{group.id}").get_data(as_text=True)
    assert "dafydd@example.org" in review  # coordinators see contact details
    response = client.post(f"/coordinator/groups/{group.id}/decision",
                           data={"decision": "approve"}, follow_redirects=True)
    assert "is approved" in response.get_data(as_text=True)
    db.session.refresh(group)
    assert group.status == "approved" and group.approved_at is not None


def test_review_page_shows_evening_availability_and_remote_contact(make_user, make_group,
                                                                  sign_in, client):
    group = make_group(status="pending", availability=["mon_am", "sat_pm", "sat_eve"],
                       offers_remote=True, remote_modes=["video", "letters"])
    coordinator(make_user, sign_in)
    response = client.get(f"/coordinator/groups/{group.id}")
    assert response.status_code == 200
    review = response.get_data(as_text=True)
    assert "Monday morning<br>" in review
    assert "Saturday afternoon and evening<br>" in review
    assert "video calls, letters or cards" in review


def test_rejecting_needs_a_reason(make_user, make_group, sign_in, client, db):
    group = make_group(status="pending")
    coordinator(make_user, sign_in)
    response = client.post(f"/coordinator/groups/{group.id}/decision",
                           data={"decision": "reject", "status_reason": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "#status_reason" in parse_page(html).summary_links
    db.session.refresh(group)
    assert group.status == "pending"
    reason = "Please tell us which care homes you already visit."
    client.post(f"/coordinator/groups/{group.id}/decision",
                data={"decision": "reject", "status_reason": reason})
    db.session.refresh(group)
    assert group.status == "rejected" and group.status_reason == reason


def test_search_finds_homes_and_groups_in_scope(make_user, make_home, make_group, sign_in,
                                               client):
    home = make_home(name="Bryn Awel Care Home")
    group = make_group(name="Awel Singers")
    far = make_group(name="Awel Edinburgh", postcode="EH1 1YZ")
    coordinator(make_user, sign_in)
    html = client.get("/coordinator?q=awel").get_data(as_text=True)
    assert home.name in html and group.name in html
    assert far.name not in html
    by_postcode = client.get("/coordinator?q=ll55").get_data(as_text=True)
    assert home.name in by_postcode
    assert "No care homes match" in client.get("/coordinator?q=zzzz").get_data(as_text=True)


def test_introductions_by_status_and_moving_one_on(make_user, make_home, make_group, sign_in,
                                                  client, db):
    home = make_home()
    group = make_group()
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested", score=0.8)
    db.session.commit()
    coordinator(make_user, sign_in)
    html = client.get("/coordinator?status=requested").get_data(as_text=True)
    assert "Introduction requested (1)" in html
    assert f"/coordinator/introductions/{intro.id}/status" in html
    response = client.post(f"/coordinator/introductions/{intro.id}/status",
                           data={"status": "introduced"}, follow_redirects=True)
    assert response.status_code == 200
    db.session.refresh(intro)
    assert intro.status == "introduced"
    # a move the lifecycle does not allow is explained, not applied
    response = client.post(f"/coordinator/introductions/{intro.id}/status",
                           data={"status": "requested"}, follow_redirects=True)
    assert "Cannot move from introduced to requested" in response.get_data(as_text=True)


def test_match_list_downloads_as_csv(make_user, make_home, make_group, sign_in, client):
    home = make_home()
    group = make_group()
    coordinator(make_user, sign_in)
    assert "/coordinator/match-list.csv" in client.get("/coordinator").get_data(as_text=True)
    response = client.get("/coordinator/match-list.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert any(row["care_home_id"] == str(home.id) and row["group_id"] == str(group.id)
               for row in rows)
