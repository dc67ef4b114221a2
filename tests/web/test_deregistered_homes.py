"""A deregistered home (no longer on its regulator's register) keeps its record but leaves
matching, match lists, allocations and lists (issue #18)."""

from __future__ import annotations

import re

PASSWORD = "coordinating is fun"


def deregister(db, home):
    """As an import of the full register does it (the homes' data version moves on)."""
    from matcher.services import versions

    home.status = "deregistered"
    versions.bump(db.session, versions.HOMES)
    db.session.commit()


def test_lists_leave_deregistered_homes_out_unless_asked(client, db, make_home,
                                                         admin_headers):
    kept = make_home(name="Bryn Awel")
    gone = make_home(name="Hen Gartref")
    deregister(db, gone)

    def names(query=""):
        response = client.get(f"/api/v1/care-homes{query}", headers=admin_headers)
        assert response.status_code == 200, response.json
        return {h["name"]: h["status"] for h in response.json}

    assert names() == {"Bryn Awel": "active"}
    assert names("?status=deregistered") == {"Hen Gartref": "deregistered"}
    assert names("?status=all") == {"Bryn Awel": "active", "Hen Gartref": "deregistered"}
    # the record and its history stay reachable by id
    one = client.get(f"/api/v1/care-homes/{gone.id}", headers=admin_headers)
    assert one.status_code == 200 and one.json["status"] == "deregistered"
    assert client.get(f"/api/v1/care-homes/{kept.id}", headers=admin_headers).json[
        "status"] == "active"
    bad = client.get("/api/v1/care-homes?status=closed", headers=admin_headers)
    assert bad.status_code == 422 and "status" in bad.json["errors"]


def test_no_partner_is_suggested_to_or_from_a_deregistered_home(client, db, make_home,
                                                                make_group, admin_headers):
    home = make_home()
    other = make_home(name="Plas Menai")
    group = make_group()
    before = client.get(f"/api/v1/care-homes/{home.id}/matches", headers=admin_headers).json
    assert [m["group"]["id"] for m in before["matches"]] == [group.id]
    reverse = client.get(f"/api/v1/groups/{group.id}/matches", headers=admin_headers).json
    assert {m["care_home"]["id"] for m in reverse["matches"]} == {home.id, other.id}

    deregister(db, home)
    after = client.get(f"/api/v1/care-homes/{home.id}/matches", headers=admin_headers)
    assert after.status_code == 200 and after.json["matches"] == []
    reverse = client.get(f"/api/v1/groups/{group.id}/matches", headers=admin_headers).json
    assert {m["care_home"]["id"] for m in reverse["matches"]} == {other.id}
    listed = client.get("/api/v1/match-lists?nation=wales", headers=admin_headers).json
    assert {e["care_home"]["id"] for e in listed["homes"]} == {other.id}
    allocation = client.post("/api/v1/allocations", json={"nation": "wales", "per_home": 1},
                             headers=admin_headers)
    assert allocation.status_code in (200, 201), allocation.json
    assert {a["care_home"]["id"] for a in allocation.json["assignments"]} == {other.id}
    asked = client.post("/api/v1/introductions",
                        json={"care_home_id": home.id, "group_id": group.id},
                        headers=admin_headers)
    assert asked.status_code == 409 and "care_home_id" in asked.json["errors"]


def test_pages_tag_deregistered_homes(client, db, make_home, make_user, sign_in):
    make_home(name="Bryn Awel")
    gone = make_home(name="Hen Gartref")
    deregister(db, gone)
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(user.email, PASSWORD)

    html = client.get("/coordinator/care-homes").get_data(as_text=True)
    assert "Bryn Awel" in html and "Hen Gartref" not in html
    html = client.get("/coordinator/care-homes?status=deregistered").get_data(as_text=True)
    row = re.search(r"Hen Gartref</a>(.*?)</td>", html, re.S)
    assert row and "Deregistered" in row.group(1)
    assert "Bryn Awel" not in html
    html = client.get("/coordinator/care-homes?status=all").get_data(as_text=True)
    assert "Bryn Awel" in html and "Hen Gartref" in html

    page = client.get(f"/care-homes/{gone.id}/partners")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="deregistered"' in text and "no longer on its regulator" in text


def test_coordinators_may_set_the_status_by_hand_and_staff_may_not(client, db, make_home,
                                                                   make_user):
    home = make_home()
    _, coordinator = make_user("coordinator", nation="wales")
    _, staff = make_user("care_home", care_home_id=home.id)
    url = f"/api/v1/care-homes/{home.id}"
    refused = client.patch(url, json={"status": "deregistered"}, headers=staff)
    assert refused.status_code == 403
    assert client.patch(url, json={"status": "closed"}, headers=coordinator).status_code == 422
    changed = client.patch(url, json={"status": "deregistered"}, headers=coordinator)
    assert changed.status_code == 200 and changed.json["status"] == "deregistered"
    # staff may still edit the rest of their home's profile
    assert client.patch(url, json={"residents": 31}, headers=staff).status_code == 200
    back = client.patch(url, json={"status": "active"}, headers=coordinator)
    assert back.status_code == 200 and back.json["status"] == "active"


def _review(db, home, name, line1):
    from matcher.models import ImportReview

    review = ImportReview(care_home=home, regulator="ciw", name=name, postcode=home.postcode,
                          score=0.7, deregister_if_different=True, incoming={
                              "fields": {"name": name, "address_line1": line1,
                                         "external_key": f"ciw:{name.lower()}|ll554ur",
                                         "regulator": "ciw", "regulator_id": None,
                                         "care_types": ["residential"]},
                              "geo": {"postcode": home.postcode, "lat": home.lat,
                                      "lon": home.lon, "geocode_precision": "postcode",
                                      "nation": home.nation,
                                      "local_authority_code": home.local_authority_code,
                                      "local_authority_name": home.local_authority_name}})
    db.session.add(review)
    db.session.commit()
    return review


def test_a_coordinator_confirms_imported_homes_on_a_page(client, db, make_home, make_user,
                                                         sign_in):
    from sqlalchemy import select

    from matcher.models import CareHome

    same_home = make_home(name="Bryn Awel", address_line1="1 Ffordd Fawr")
    other_home = make_home(name="Plas Menai", address_line1="2 Ffordd Fawr")
    english = make_home(name="Rose Court", postcode="SW1A 1AA")
    first = _review(db, same_home, "Bryn Awel Nursing", "1 Ffordd Fawr")
    second = _review(db, other_home, "Plas Newydd", "2 Ffordd Fawr")
    hidden = _review(db, english, "Rose Garden", "1 Example Street")
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(user.email, PASSWORD)

    html = client.get("/coordinator/import-reviews").get_data(as_text=True)
    assert f'id="review-{first.id}"' in html and f'id="review-{second.id}"' in html
    assert f'id="review-{hidden.id}"' not in html  # another nation's
    assert "Bryn Awel Nursing" in html and "70%" in html

    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    done = client.post(f"/coordinator/import-reviews/{first.id}",
                       data={"answer": "same", "csrf_token": token})
    assert done.status_code == 303
    done = client.post(f"/coordinator/import-reviews/{second.id}",
                       data={"answer": "different", "csrf_token": token})
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(CareHome, same_home.id).name == "Bryn Awel Nursing"
    assert db.session.get(CareHome, other_home.id).status == "deregistered"
    assert db.session.scalar(select(CareHome).filter_by(name="Plas Newydd")).status == "active"
    page = client.get("/coordinator/import-reviews").get_data(as_text=True)
    assert 'id="none"' in page and "added as a new care home" in page
    # answered already: said plainly; another nation's: as if it did not exist
    again = client.post(f"/coordinator/import-reviews/{first.id}",
                        data={"answer": "same", "csrf_token": token})
    assert again.status_code == 303
    assert "already answered" in client.get("/coordinator/import-reviews").get_data(
        as_text=True)
    assert client.post(f"/coordinator/import-reviews/{hidden.id}",
                       data={"answer": "same", "csrf_token": token}).status_code == 404
    assert client.post(f"/coordinator/import-reviews/{hidden.id}",
                       data={"answer": "maybe", "csrf_token": token}).status_code == 400
