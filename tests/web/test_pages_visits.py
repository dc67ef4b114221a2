"""Visit pages: the private calendar feed (parsed back with icalendar), its revocation, the
home's and coordinator's visit pages, and the one-click feedback form."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from sqlalchemy import select

from matcher.domain.visits import LONDON
from matcher.models import OutboxMessage
from matcher.services import introductions, reminders, visits
from matcher.services.audit import SYSTEM
from tests.web.conftest import parse_page

PASSWORD = "visits page password"


def _start(days=10):
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=LONDON)


@pytest.fixture
def planned(db, make_home, make_group):
    home = make_home(contact={"name": "Sioned", "email": "manager@brynawel.example"})
    group = make_group()
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    first = _start()
    visit = visits.plan(db.session, intro, {
        "starts_at": first, "duration_minutes": 90, "mode": "in_person",
        "repeat": "fortnightly", "repeat_until": (first + dt.timedelta(days=56)).date()},
        SYSTEM)
    db.session.commit()
    return home, group, visit


@pytest.fixture
def staff(make_user, sign_in, planned):
    home = planned[0]
    user, _ = make_user("care_home", care_home_id=home.id, password=PASSWORD)
    sign_in(user.email, PASSWORD)
    return user


def _calendar_path(html: str) -> str:
    start = html.index('id="calendar-address">') + len('id="calendar-address">')
    url = html[start:html.index("</code>", start)]
    return url.split("localhost", 1)[1]


def test_the_home_sees_its_visits_and_subscribes_to_its_calendar(client, db, planned, staff):
    home, group, visit = planned
    page = client.get(f"/care-homes/{home.id}/visits")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # fortnightly from day 10 until day 66: four of them fall in the next 60 days
    table = html[html.index('id="upcoming-visits"'):html.index("</table>")]
    assert table.count(group.name) == 4
    path = _calendar_path(html)
    assert path.startswith("/calendar/") and path.endswith(".ics")
    # the address stays the same until renewed
    assert _calendar_path(client.get(f"/care-homes/{home.id}/visits").get_data(as_text=True)) \
        == path

    # cancel one occurrence, so the feed carries an EXDATE
    second = visits.occurrences(visit)[1]
    visits.change(db.session, visit, {"occurrence": second.key, "status": "cancelled"}, SYSTEM)
    db.session.commit()
    client.get("/logout")
    feed = client.get(path)  # no sign-in: the address is the key
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(feed.data)
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"visit-{visit.id}@kith"
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["INTERVAL"] == [2]
    assert event.decoded("DTSTART") == _start()
    assert event.decoded("DTSTART").tzinfo.key == "Europe/London"
    assert event.decoded("DURATION") == dt.timedelta(minutes=90)
    excluded = [d.dt for d in event["EXDATE"].dts]
    assert excluded == [second.starts_at]
    assert calendar.walk("VTIMEZONE"), "the feed carries the time zone it uses"
    # the expansion a calendar app would make matches ours
    starts = [event.decoded("DTSTART") + dt.timedelta(days=14 * i) for i in range(5)]
    assert [s for s in starts if s not in excluded] == [
        o.starts_at for o in visits.occurrences(visit) if o.status == "planned"]
    # the same UID on the next read
    again = icalendar.Calendar.from_ical(client.get(path).data).walk("VEVENT")[0]
    assert str(again["UID"]) == str(event["UID"])


def test_a_cancelled_series_stays_in_the_feed_as_cancelled(client, db, planned, staff):
    home, _, visit = planned
    path = _calendar_path(client.get(f"/care-homes/{home.id}/visits").get_data(as_text=True))
    visits.change(db.session, visit, {"state": "cancelled"}, SYSTEM)
    db.session.commit()
    [event] = icalendar.Calendar.from_ical(client.get(path).data).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) >= 1


def test_a_new_calendar_address_revokes_the_old_one(client, planned, staff):
    home = planned[0]
    old = _calendar_path(client.get(f"/care-homes/{home.id}/visits").get_data(as_text=True))
    renewed = client.post(f"/care-homes/{home.id}/calendar")
    assert renewed.status_code == 303
    new = _calendar_path(client.get(f"/care-homes/{home.id}/visits").get_data(as_text=True))
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get("/calendar/h1.not-a-real-token-at-all-000000000.ics").status_code == 404


def test_the_coordinator_sees_visits_per_home_and_quiet_homes(client, db, planned, make_user,
                                                              make_home, sign_in):
    home, group, _ = planned
    quiet = make_home(name="Tawel House", postcode="LL55 4UR")
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(user.email, PASSWORD)
    page = client.get("/coordinator/visits")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    quiet_part = html[html.index('id="quiet-homes"'):html.index("Visits by home")]
    assert quiet.name in quiet_part and home.name not in quiet_part
    assert group.name in html[html.index("Visits by home"):]


def test_feedback_link_no_sign_in_single_use(client, db, planned):
    home, group, visit = planned
    past = visits.rules.Series(_start(-1), 60)
    # A visit yesterday, in person, asks both sides how it went.
    visit.start_local = past.starts_at.isoformat()
    visit.starts_at = past.starts_at.astimezone(dt.UTC)
    visit.ends_at = visit.starts_at + dt.timedelta(hours=1)
    visit.repeat, visit.repeat_until = "none", None
    db.session.commit()
    reminders.send_due(db.session)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.template == "visit_feedback", OutboxMessage.recipient_role == "group"))
    token = message.context["feedback_token"]
    form = client.get(f"/feedback/{token}")
    assert form.status_code == 200
    assert any(c.get("name") == "csrf_token" for c in parse_page(form.data).controls)
    missing = client.post(f"/feedback/{token}", data={"comment": "Lovely"})
    assert missing.status_code == 422
    assert "Choose a rating" in missing.get_data(as_text=True)
    assert "Lovely" in missing.get_data(as_text=True)  # what was typed is kept
    done = client.post(f"/feedback/{token}", data={"rating": "4", "comment": "Lovely"})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    again = client.post(f"/feedback/{token}", data={"rating": "1"})
    assert "used already" in again.get_data(as_text=True)
    assert client.get("/feedback/not-a-token").status_code == 404
    from matcher.services import outcomes
    summary = outcomes.for_introduction(db.session, visit.introduction_id)
    assert summary["average_rating"] == 4 and summary["visits_done"] == 1


def test_staff_plan_a_fortnightly_visit_on_the_page(client, db, introduced_pair, make_user,
                                                    sign_in):
    home, _, intro, _ = introduced_pair()
    user, _ = make_user("care_home", care_home_id=home.id, password=PASSWORD)
    sign_in(user.email, PASSWORD)
    first = dt.date.today() + dt.timedelta(days=5)
    form = {"introduction_id": str(intro.id), "date": first.isoformat(), "time": "14:30",
            "duration_minutes": "60", "mode": "in_person", "repeat": "fortnightly",
            "repeat_until": "", "notes": "Hymns in the lounge"}
    refused = client.post(f"/care-homes/{home.id}/visits", data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "needs an end date" in html and "Hymns in the lounge" in html  # entries kept
    assert intro.visits == []
    past = client.post(f"/care-homes/{home.id}/visits",
                       data={**form, "date": "2020-01-01",
                             "repeat_until": (first + dt.timedelta(days=60)).isoformat()})
    # the API would bring the end date back to a year after the (past) start; the page
    # asks the person to correct it
    assert past.status_code == 422 and "at most a year" in past.get_data(as_text=True)
    done = client.post(f"/care-homes/{home.id}/visits", data={
        **form, "repeat_until": (first + dt.timedelta(days=60)).isoformat()})
    assert done.status_code == 303
    db.session.expire_all()
    [visit] = db.session.get(type(intro), intro.id).visits
    assert visit.repeat == "fortnightly" and visit.start_local.startswith(
        f"{first.isoformat()}T14:30:00")
    assert db.session.get(type(intro), intro.id).status == "active"
    page = client.get(f"/care-homes/{home.id}/visits").get_data(as_text=True)
    assert "both sides have been emailed with a calendar file" in page
    # A visit recorded after it took place says that nobody was told.
    last_week = dt.date.today() - dt.timedelta(days=7)
    recorded = client.post(f"/care-homes/{home.id}/visits", data={
        **form, "date": last_week.isoformat(), "repeat": "none"}, follow_redirects=True)
    html = recorded.get_data(as_text=True)
    assert "It has already taken place, so no one has been emailed" in html
    assert "both sides have been emailed" not in html


def test_a_group_proposes_confirms_and_cancels_through_its_link(app, client, db, make_home):
    from matcher.runtime import postcode_index
    from matcher.schemas import GroupInputSchema
    from matcher.services import records

    home = make_home()
    data = GroupInputSchema().load({
        "name": "Llanberis Linkers", "kind": "choir", "postcode": "LL55 4EL",
        "interests": ["singing"], "consent": True,
        "contact": {"name": "Pat", "email": "pat@example.org"}})
    group, token, _ = records.create_group(db.session, postcode_index(app), data, SYSTEM,
                                           status="approved", source="form",
                                           privacy_notice_version="test")
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    db.session.commit()
    page = client.get(f"/groups/edit/{token}/visits")
    assert page.status_code == 200 and home.name in page.get_data(as_text=True)
    assert client.get(f"/groups/edit/{token}").get_data(as_text=True).count(
        f"/groups/edit/{token}/visits") == 1
    first = dt.date.today() + dt.timedelta(days=6)
    form = {"introduction_id": str(intro.id), "date": first.isoformat(), "time": "11:00",
            "duration_minutes": "600", "mode": "video_call", "repeat": "none"}
    bad = client.post(f"/groups/edit/{token}/visits", data=form)
    assert bad.status_code == 422 and "8 hours" in bad.get_data(as_text=True)
    assert client.post(f"/groups/edit/{token}/visits",
                       data={**form, "duration_minutes": "45"}).status_code == 303
    db.session.expire_all()
    [visit] = db.session.get(type(intro), intro.id).visits
    assert (visit.state, visit.proposed_by) == ("proposed", "group")
    html = client.get(f"/groups/edit/{token}/visits").get_data(as_text=True)
    assert 'value="confirm"' not in html  # the home confirms a group's proposal
    # the home proposes one; the group confirms it
    other = visits.plan(db.session, intro, {"starts_at": _start(12), "duration_minutes": 60,
                                            "mode": "phone"}, SYSTEM, proposed_by="care_home",
                        state="proposed")
    db.session.commit()
    confirmed = client.post(f"/groups/edit/{token}/visits/{other.id}",
                            data={"action": "confirm", "version": str(other.version)})
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(other), other.id).state == "confirmed"
    assert db.session.get(type(intro), intro.id).status == "active"
    stale = client.post(f"/groups/edit/{token}/visits/{other.id}",
                        data={"action": "cancel", "version": "1"})
    assert stale.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(other), other.id).state == "confirmed"  # stale: nothing lost
    client.post(f"/groups/edit/{token}/visits/{other.id}",
                data={"action": "cancel", "version": str(db.session.get(type(other),
                                                                        other.id).version)})
    db.session.expire_all()
    assert db.session.get(type(other), other.id).state == "cancelled"
    assert client.get("/groups/edit/not-a-link/visits").status_code == 404
