"""Visits through the API: planning on an introduction, occurrences in a window with repeats
expanded, bad input (422 per field), visiting restrictions, and stale versions (409)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from matcher.services import introductions
from matcher.services.audit import SYSTEM

LONDON = ZoneInfo("Europe/London")


def _soon(days: int, hour: int = 10) -> dt.datetime:
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0))


@pytest.fixture
def pair(introduced_pair):
    """An introduced home and choir, and an admin's API headers."""
    return introduced_pair()


def plan(client, intro_id, headers, **fields):
    body = {"starts_at": _soon(7).isoformat(), "duration_minutes": 60, "mode": "in_person",
            **fields}
    return client.post(f"/api/v1/introductions/{intro_id}/visits", json=body, headers=headers)


def test_a_fortnightly_visit_is_planned_and_its_occurrences_listed(client, db, pair):
    home, group, intro, admin = pair
    first = _soon(7)
    response = plan(client, intro.id, admin, starts_at=first.isoformat(), repeat="fortnightly",
                    repeat_until=(first.date() + dt.timedelta(days=70)).isoformat())
    assert response.status_code == 201, response.json
    visit = response.json
    assert visit["repeat"] == "fortnightly" and visit["version"] == 1
    assert response.headers["ETag"] == '"1"'
    # UK wall time kept, with the offset in force that day
    assert visit["starts_at"] == first.replace(tzinfo=LONDON).isoformat()
    assert len(visit["occurrences"]) == 6
    # planning the first visit made the introduction active
    detail = client.get(f"/api/v1/introductions/{intro.id}", headers=admin).json
    assert detail["status"] == "active"
    listed = client.get(f"/api/v1/visits?care_home_id={home.id}", headers=admin)
    assert listed.status_code == 200
    starts = [dt.datetime.fromisoformat(r["starts_at"]) for r in listed.json]
    assert [s - starts[0] for s in starts] == [dt.timedelta(days=14 * i) for i in range(6)]
    assert all(s.astimezone(LONDON).hour == 10 for s in starts)
    assert {r["group"]["id"] for r in listed.json} == {group.id}
    # a window picks out only its occurrences
    window = client.get("/api/v1/visits", query_string={
        "group_id": group.id, "from": (first + dt.timedelta(days=13)).isoformat(),
        "to": (first + dt.timedelta(days=29)).isoformat()}, headers=admin).json
    assert [r["key"] for r in window] == [r["key"] for r in listed.json[1:3]]


def test_repeats_keep_the_uk_time_across_the_clock_change(client, pair):
    _, _, intro, admin = pair
    # From the last Thursday of October to November: the offset changes, 10:00 does not.
    year = dt.date.today().year + 1
    first = dt.datetime(year, 10, 1, 10, 0)
    if first - dt.datetime.now() > dt.timedelta(days=700):
        pytest.skip("too far ahead to plan")
    response = plan(client, intro.id, admin, starts_at=first.isoformat(), repeat="weekly",
                    repeat_until=dt.date(year, 11, 30).isoformat())
    assert response.status_code == 201, response.json
    offsets = {o["starts_at"][-6:] for o in response.json["occurrences"]}
    assert offsets == {"+01:00", "+00:00"}
    assert all(o["starts_at"][11:16] == "10:00" for o in response.json["occurrences"])


@pytest.mark.parametrize("fields, field", [
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"duration_minutes": 60 * 24 * 3}, "duration_minutes"),
    ({"mode": "teleport"}, "mode"),
    ({"repeat": "daily"}, "repeat"),
    ({"starts_at": "1999-12-31T10:00:00Z"}, "starts_at"),
    ({"repeat": "weekly", "repeat_until": "2100-01-01"}, "repeat_until"),
    ({"duration_minutes": "sixty"}, "duration_minutes"),
    ({"notes": "a\x00b"}, "notes"),
])
def test_bad_visits_are_422_with_the_field_named_and_nothing_stored(client, db, pair, fields,
                                                                   field):
    _, _, intro, admin = pair
    response = plan(client, intro.id, admin, **fields)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert client.get(f"/api/v1/visits?care_home_id={intro.care_home_id}",
                      headers=admin).json == []
    assert client.get(f"/api/v1/introductions/{intro.id}", headers=admin).json["status"] == \
        "introduced"


def test_visits_only_on_introduced_or_active_introductions(client, db, make_home, make_group,
                                                           make_user):
    _, admin = make_user("admin")
    intro = introductions.create_introduction(db.session, make_home(), make_group(), SYSTEM)
    db.session.commit()
    response = plan(client, intro.id, admin)
    assert response.status_code == 409
    assert "introduced or active" in response.json["message"]
    assert plan(client, 999999, admin).status_code == 404


def test_in_person_visits_refused_while_visiting_is_restricted(client, db, pair):
    home, _, intro, admin = pair
    assert client.patch(f"/api/v1/care-homes/{home.id}", json={"visiting_status": "restricted"},
                        headers=admin).status_code == 200
    response = plan(client, intro.id, admin)
    assert response.status_code == 409  # the home's stored status forbids it
    message = response.json["errors"]["mode"][0]
    assert "restricted" in message and "video_call" in message and "letters" in message
    assert plan(client, intro.id, admin, mode="video_call").status_code == 201


def test_cancel_one_occurrence_then_the_series(client, pair):
    _, _, intro, admin = pair
    first = _soon(3)
    visit = plan(client, intro.id, admin, starts_at=first.isoformat(), repeat="weekly",
                 repeat_until=(first.date() + dt.timedelta(days=21)).isoformat()).json
    second = visit["occurrences"][1]["key"]
    url = f"/api/v1/visits/{visit['id']}"
    one = client.patch(url, json={"occurrence": second, "status": "cancelled", "version": 1},
                       headers=admin)
    assert one.status_code == 200, one.json
    assert [o["status"] for o in one.json["occurrences"]] == [
        "planned", "cancelled", "planned", "planned"]
    assert one.json["version"] == 2
    # done is for what has happened
    early = client.patch(url, json={"occurrence": visit["occurrences"][2]["key"],
                                    "status": "done"}, headers=admin)
    assert early.status_code == 409 and "status" in early.json["errors"]
    unknown = client.patch(url, json={"occurrence": "2031-01-01T10:00:00Z",
                                      "status": "cancelled"}, headers=admin)
    assert unknown.status_code == 409 and "occurrence" in unknown.json["errors"]
    not_a_key = client.patch(url, json={"occurrence": "soon", "status": "cancelled"},
                             headers=admin)
    assert not_a_key.status_code == 422 and "occurrence" in not_a_key.json["errors"]
    series = client.patch(url, json={"state": "cancelled"}, headers={**admin, "If-Match": '"2"'})
    assert series.status_code == 200
    assert {o["status"] for o in series.json["occurrences"]} == {"cancelled"}
    listed = client.get(f"/api/v1/visits?care_home_id={intro.care_home_id}", headers=admin).json
    assert {r["status"] for r in listed} == {"cancelled"}


def test_a_stale_version_is_a_409_and_loses_nothing(client, pair):
    _, _, intro, admin = pair
    visit = plan(client, intro.id, admin).json
    url = f"/api/v1/visits/{visit['id']}"
    first = client.patch(url, json={"notes": "Bring song sheets.", "version": 1}, headers=admin)
    assert first.status_code == 200 and first.json["version"] == 2
    stale = client.patch(url, json={"duration_minutes": 90}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 409
    assert "version" in stale.json["errors"]
    now = client.get(url, headers=admin)
    assert now.json["notes"] == "Bring song sheets." and now.json["duration_minutes"] == 60
    assert now.headers["ETag"] == '"2"'
    moved = client.patch(url, json={"duration_minutes": 90, "version": 2}, headers=admin)
    assert moved.status_code == 200 and moved.json["notes"] == "Bring song sheets."


def test_visits_are_scoped_like_their_introductions(client, pair, make_user):
    home, _, intro, admin = pair
    visit = plan(client, intro.id, admin).json
    _, outsider = make_user("coordinator", nation="england")
    _, staff = make_user("care_home", care_home_id=home.id)
    assert plan(client, intro.id, outsider).status_code == 404
    assert client.get(f"/api/v1/visits/{visit['id']}", headers=outsider).status_code == 404
    assert client.get("/api/v1/visits", headers=outsider).json == []
    assert len(client.get("/api/v1/visits", headers=staff).json) == 1
    assert client.patch(f"/api/v1/visits/{visit['id']}", json={"notes": "x"},
                        headers=outsider).status_code == 404


def test_windows_are_normalised_and_shown(client, pair):
    _, _, _, admin = pair
    backwards = client.get("/api/v1/visits", query_string={"from": "2027-02-01T00:00:00Z",
                                                           "to": "2027-01-01T00:00:00Z"},
                           headers=admin)
    assert backwards.status_code == 200 and backwards.json == []
    assert backwards.headers["X-Visits-Window"] == "2027-02-01T00:00:00Z/2027-02-01T00:00:00Z"
    wide = client.get("/api/v1/visits", query_string={"from": "2027-01-01T00:00:00",
                                                       "to": "2029-01-01T00:00:00"},
                      headers=admin)
    assert wide.status_code == 200
    assert wide.headers["X-Visits-Window"] == "2027-01-01T00:00:00Z/2028-02-05T00:00:00Z"
    assert client.get("/api/v1/visits?from=soon", headers=admin).status_code == 422


def test_both_sides_hear_when_a_visit_moves_or_is_cancelled_with_the_updated_calendar(
        client, db, pair):
    import icalendar
    from sqlalchemy import select

    from matcher.models import OutboxMessage

    home, group, intro, admin = pair
    home.contact_email = "manager@plas.example"
    db.session.commit()
    first = _soon(3)
    visit = plan(client, intro.id, admin, starts_at=first.isoformat(), repeat="weekly",
                 repeat_until=(first.date() + dt.timedelta(days=21)).isoformat()).json
    url = f"/api/v1/visits/{visit['id']}"

    def changed():
        return db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "visit_changed").order_by(OutboxMessage.id)).all()

    moved = client.patch(url, json={"starts_at": _soon(4, hour=14).isoformat()}, headers=admin)
    assert moved.status_code == 200, moved.json
    mails = changed()
    assert {m.to_email for m in mails} == {"manager@plas.example", group.contact_email}
    assert all("14:00" in m.context["when"] and not m.context["cancelled"] for m in mails)
    calendar = icalendar.Calendar.from_ical(mails[0].context["_attachments"][0]["content"])
    event = next(e for e in calendar.walk("VEVENT"))
    assert event.decoded("dtstart").astimezone(LONDON).hour == 14

    # Marking an occurrence is no news; cancelling one is, and so is cancelling the series.
    second = moved.json["occurrences"][1]["key"]
    client.patch(url, json={"occurrence": second, "status": "cancelled"}, headers=admin)
    one = changed()[2:]
    assert len(one) == 2 and all(m.context["occurrence_cancelled"] for m in one)
    client.patch(url, json={"state": "cancelled"}, headers=admin)
    last = changed()[4:]
    assert len(last) == 2 and all(m.context["cancelled"] for m in last)
    # Each change is told once: six emails for three changes to two people.
    assert len(changed()) == 6
