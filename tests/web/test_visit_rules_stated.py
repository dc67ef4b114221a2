"""The visit rules as the OpenAPI document states them: a window is normalised and shown in
``X-Visits-Window``, a start in the past records a visit, a series' end date is normalised,
conflicts with the stored series are 409s, and the years 2000 to 2099 are a pattern."""

from __future__ import annotations

import datetime as dt
import logging
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from matcher.models import OutboxMessage
from matcher.services import reminders

LONDON = ZoneInfo("Europe/London")
WINDOW = "X-Visits-Window"


@pytest.fixture
def pair(introduced_pair):
    """An introduced home and choir (both with an email address), and an admin's headers."""
    return introduced_pair(contact_email="manager@plas.example")


def _day(days: int, hour: int = 10) -> dt.datetime:
    """A UK time ``days`` from today, with its offset."""
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=LONDON)


def plan(client, intro_id, headers, **fields):
    body = {"starts_at": _day(7).isoformat(), "duration_minutes": 60, "mode": "video_call",
            **fields}
    return client.post(f"/api/v1/introductions/{intro_id}/visits", json=body, headers=headers)


def _document(client) -> dict:
    return client.get("/api/openapi.json").get_json()


# --- the window of the list -------------------------------------------------------------------

@pytest.mark.parametrize("to", ["2027-02-01T00:00:00Z", "2027-01-01T00:00:00Z"])
def test_a_window_that_ends_at_or_before_its_start_is_empty(client, pair, to):
    _, _, intro, admin = pair
    assert plan(client, intro.id, admin, starts_at="2027-02-01T00:30:00Z").status_code == 201
    response = client.get("/api/v1/visits", query_string={"from": "2027-02-01T00:00:00Z",
                                                          "to": to}, headers=admin)
    assert response.status_code == 200 and response.get_json() == []
    assert response.headers[WINDOW] == "2027-02-01T00:00:00Z/2027-02-01T00:00:00Z"


def test_a_long_window_is_shortened_to_400_days_and_says_so(client, pair):
    _, _, intro, admin = pair
    inside = plan(client, intro.id, admin, starts_at="2028-01-20T10:00:00Z").get_json()
    outside = plan(client, intro.id, admin, starts_at="2028-03-01T10:00:00Z").get_json()
    response = client.get("/api/v1/visits", query_string={
        "from": "2027-01-01T00:00:00+00:00", "to": "2030-01-01T00:00:00Z"}, headers=admin)
    assert response.status_code == 200
    assert response.headers[WINDOW] == "2027-01-01T00:00:00Z/2028-02-05T00:00:00Z"
    assert [r["visit_id"] for r in response.get_json()] == [inside["id"]]
    assert outside["id"] not in {r["visit_id"] for r in response.get_json()}
    # the default window is shown too
    default = client.get("/api/v1/visits", headers=admin)
    start, end = (dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
                  for t in default.headers[WINDOW].split("/"))
    assert abs(start - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert dt.timedelta(days=91) < end - start < dt.timedelta(days=93)


@pytest.mark.parametrize("query", [
    {"from": "0001-01-01T00:00:00Z"}, {"to": "0001-01-01T00:00:00+14:00"},
    {"from": "9999-12-31T23:59:59-23:59"}, {"to": "9999-12-31T23:59:59Z"},
    {"from": "0001-01-01T00:00:00", "to": "9999-12-31T23:59:59"}])
def test_the_ends_of_the_calendar_are_answered_not_a_500(client, pair, caplog, query):
    caplog.set_level(logging.ERROR)
    response = client.get("/api/v1/visits", query_string=query, headers=pair[3])
    assert response.status_code == 200, response.get_json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z/\d{4}-\d\d-\d\dT[\d:.]+Z",
                        response.headers[WINDOW])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_document_declares_the_window_header(client):
    answer = _document(client)["paths"]["/api/v1/visits"]["get"]["responses"]["200"]
    assert WINDOW in answer["headers"]
    assert answer["headers"][WINDOW]["schema"] == {"type": "string"}


# --- times in the past, and the years of the pattern ---------------------------------------

def test_a_past_start_records_a_visit_without_emails_or_reminders(client, db, pair):
    home, group, intro, admin = pair
    yesterday = _day(-1)
    response = plan(client, intro.id, admin, starts_at=yesterday.isoformat())
    assert response.status_code == 201, response.get_json()
    visit = response.get_json()
    assert dt.datetime.fromisoformat(visit["starts_at"]) == yesterday
    assert client.get(f"/api/v1/introductions/{intro.id}", headers=admin).get_json()[
        "status"] == "active"
    reminders.send_due(db.session)
    db.session.commit()
    mails = db.session.scalars(select(OutboxMessage.template)).all()
    assert "visit_planned" not in mails and "visit_reminder" not in mails
    # it is listed in a window that holds it, and can be marked done
    listed = client.get("/api/v1/visits", query_string={
        "from": _day(-3).isoformat()}, headers=admin).get_json()
    assert [r["visit_id"] for r in listed] == [visit["id"]]
    key = visit["occurrences"][0]["key"]
    done = client.patch(f"/api/v1/visits/{visit['id']}",
                        json={"occurrence": key, "status": "done"}, headers=admin)
    assert done.status_code == 200 and done.get_json()["occurrences"][0]["status"] == "done"
    summary = client.get(f"/api/v1/introductions/{intro.id}", headers=admin).get_json()
    assert summary["status"] == "active"


def test_a_repeating_series_begun_in_the_past_hears_of_its_next_visit(client, db, pair):
    _, _, intro, admin = pair
    response = plan(client, intro.id, admin, starts_at=_day(-14).isoformat(), repeat="weekly",
                    repeat_until=_day(14).date().isoformat())
    assert response.status_code == 201
    planned = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "visit_planned")).all()
    # about the next visit (today's, or next week's once today's is over), not the first
    assert planned and all(dt.datetime.fromisoformat(m.context["when"]) >= _day(0)
                           for m in planned)


def test_the_document_states_the_years_by_a_full_pattern(client):
    schemas = _document(client)["components"]["schemas"]
    for name in ("VisitInput", "VisitPatch"):
        starts = schemas[name]["properties"]["starts_at"]
        until = schemas[name]["properties"]["repeat_until"]
        assert starts["format"] == "date-time" and until["format"] == "date"
        for pattern in (starts["pattern"], until["pattern"]):
            assert pattern.startswith("^20\\d\\d-") and pattern.endswith("$")
    pattern = re.compile(schemas["VisitInput"]["properties"]["starts_at"]["pattern"])
    for good in ("2000-01-01T00:00:00Z", "2099-12-31T23:59:59.999999-23:59",
                 "2027-06-30T10:00:00+01:00"):
        assert pattern.match(good)
    for bad in ("1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "2027-06-30T10:00:00",
                "2027-06-30T23:59:60Z", "2027-06-30 10:00:00Z"):
        assert not pattern.match(bad)


@pytest.mark.parametrize("fields, field", [
    ({"starts_at": "1999-12-31T23:59:59Z"}, "starts_at"),
    ({"starts_at": "2100-01-01T00:00:00Z"}, "starts_at"),
    ({"starts_at": "0002-02-20T00:16:00.0Z"}, "starts_at"),
    ({"starts_at": "2027-06-30 10:00:00Z"}, "starts_at"),
    ({"repeat": "weekly", "repeat_until": "1999-12-31"}, "repeat_until"),
    ({"repeat": "weekly", "repeat_until": "2100-01-01"}, "repeat_until"),
])
def test_a_time_outside_the_pattern_is_a_422(client, pair, fields, field):
    _, _, intro, admin = pair
    response = plan(client, intro.id, admin, **fields)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {field}


def test_the_ends_of_the_years_are_planned(client, pair):
    _, _, intro, admin = pair
    for when in ("2000-01-01T00:00:00+14:00", "2099-12-31T23:59:59-12:00"):
        assert plan(client, intro.id, admin, starts_at=when, repeat="monthly").status_code == 201


# --- a series' end date --------------------------------------------------------------------

FIRST = "2027-03-04T10:00:00Z"


@pytest.mark.parametrize("fields, stored", [
    ({"repeat": "weekly"}, "2028-03-04"),  # no end date: a year
    ({"repeat": "weekly", "repeat_until": None}, "2028-03-04"),
    ({"repeat": "monthly", "repeat_until": "2029-01-01"}, "2028-03-04"),  # brought back
    ({"repeat": "fortnightly", "repeat_until": "2027-03-01"}, "2027-03-04"),  # just the first
    ({"repeat": "none", "repeat_until": "2027-05-01"}, None),  # a one-off keeps none
    ({"repeat": "weekly", "repeat_until": "2027-04-01"}, "2027-04-01"),  # fits: kept
])
def test_the_end_date_is_normalised_and_the_answer_shows_it(client, pair, fields, stored):
    _, _, intro, admin = pair
    response = plan(client, intro.id, admin, starts_at=FIRST, **fields)
    assert response.status_code == 201, response.get_json()
    visit = response.get_json()
    assert visit["repeat_until"] == stored
    assert visit["repeat"] == fields["repeat"]
    again = client.get(f"/api/v1/visits/{visit['id']}", headers=admin).get_json()
    assert again["repeat_until"] == stored
    if fields.get("repeat_until") == "2027-03-01":
        assert len(visit["occurrences"]) == 1


# --- conflicts with the stored series: 409 -------------------------------------------------

def _conflict(response, field):
    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert set(body) == {"code", "errors", "message", "status"} and body["code"] == 409
    assert field in body["errors"] and body["errors"][field]


def test_an_end_date_that_fits_only_another_start_is_a_409(client, pair):
    _, _, intro, admin = pair
    series = plan(client, intro.id, admin, starts_at=FIRST, repeat="weekly",
                  repeat_until="2027-06-01").get_json()
    one_off = plan(client, intro.id, admin, starts_at=FIRST).get_json()
    url = f"/api/v1/visits/{series['id']}"
    _conflict(client.patch(url, json={"repeat_until": "2027-01-01"}, headers=admin),
              "repeat_until")
    _conflict(client.patch(url, json={"repeat_until": "2029-01-01", "repeat": "monthly"},
                           headers=admin), "repeat_until")
    _conflict(client.patch(url, json={"starts_at": "2027-07-01T10:00:00Z"}, headers=admin),
              "repeat_until")
    _conflict(client.patch(f"/api/v1/visits/{one_off['id']}",
                           json={"repeat_until": "2027-04-01"}, headers=admin), "repeat_until")
    unchanged = client.get(url, headers=admin).get_json()
    assert (unchanged["repeat_until"], unchanged["version"]) == ("2027-06-01", 1)
    # given together, the change is judged as a whole and normalised
    moved = client.patch(url, json={"starts_at": "2027-07-01T10:00:00Z",
                                    "repeat_until": "2027-01-01"}, headers=admin)
    assert moved.status_code == 200 and moved.get_json()["repeat_until"] == "2027-07-01"
    # a stored one-off made repeating without an end date runs for a year
    weekly = client.patch(f"/api/v1/visits/{one_off['id']}", json={"repeat": "weekly"},
                          headers=admin)
    assert weekly.status_code == 200 and weekly.get_json()["repeat_until"] == "2028-03-04"
    # and a series made a one-off loses its end date
    single = client.patch(url, json={"repeat": "none", "repeat_until": "2027-09-01"},
                          headers=admin)
    assert single.status_code == 200 and single.get_json()["repeat_until"] is None


def test_in_person_while_the_home_forbids_it_is_a_409(client, db, pair):
    home, _, intro, admin = pair
    remote = plan(client, intro.id, admin).get_json()
    home.visiting_status = "restricted"
    db.session.commit()
    _conflict(plan(client, intro.id, admin, mode="in_person"), "mode")
    _conflict(client.patch(f"/api/v1/visits/{remote['id']}", json={"mode": "in_person"},
                           headers=admin), "mode")


def test_occurrences_the_visit_lacks_or_that_are_still_to_come_are_409s(client, pair):
    _, _, intro, admin = pair
    visit = plan(client, intro.id, admin).get_json()
    url = f"/api/v1/visits/{visit['id']}"
    _conflict(client.patch(url, json={"occurrence": "2031-01-01T10:00:00Z",
                                      "status": "cancelled"}, headers=admin), "occurrence")
    _conflict(client.patch(url, json={"occurrence": visit["occurrences"][0]["key"],
                                      "status": "missed"}, headers=admin), "status")


def test_a_change_that_changes_nothing_is_answered_as_it_is(client, pair):
    _, _, intro, admin = pair
    visit = plan(client, intro.id, admin, notes="Hymns").get_json()
    url = f"/api/v1/visits/{visit['id']}"
    for body in ({"state": "confirmed"}, {"notes": "Hymns", "version": 1},
                 {"note": "nothing to attach it to"}):
        same = client.patch(url, json=body, headers=admin)
        assert same.status_code == 200, same.get_json()
        assert same.get_json()["version"] == 1 and same.headers["ETag"] == '"1"'


def test_occurrence_and_status_go_together_in_the_document_and_the_code(client, pair):
    _, _, intro, admin = pair
    patch = _document(client)["components"]["schemas"]["VisitPatch"]
    assert {"required": ["occurrence", "status"]} in patch["allOf"][0]["anyOf"]
    visit = plan(client, intro.id, admin).get_json()
    alone = client.patch(f"/api/v1/visits/{visit['id']}", json={"status": "cancelled"},
                         headers=admin)
    assert alone.status_code == 422 and "occurrence" in alone.get_json()["errors"]


def test_the_409s_are_documented(client):
    paths = _document(client)["paths"]
    assert "409" in paths["/api/v1/introductions/{intro_id}/visits"]["post"]["responses"]
    assert "409" in paths["/api/v1/visits/{visit_id}"]["patch"]["responses"]
