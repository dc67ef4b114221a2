"""Reminders, feedback requests, restriction and safeguarding notices: who gets what, when,
and that every message goes once however often (and from however many workers) the job
runs; the feedback link works once; the calendar file parses back with icalendar."""

from __future__ import annotations

import datetime as dt
import threading

import icalendar
import pytest
from sqlalchemy import func, or_, select

from matcher.domain.visits import LONDON
from matcher.models import AuditLog, OutboxMessage, PairOutcome, User, VisitFeedback
from matcher.services import feedback, introductions, reminders, visits
from matcher.services.audit import SYSTEM
from matcher.services.errors import Conflict
from tests.integration.test_introductions import make_group, make_home

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
START = dt.datetime(2027, 3, 11, 10, 0, tzinfo=LONDON)  # a Thursday


@pytest.fixture
def visit(db):
    home = make_home(db, contact_email="manager@brynawel.example", contact_name="Sioned")
    group = make_group(db, contact_email="choir@example.org", contact_name="Dafydd",
                       safeguarding_expires_on=None)
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested", score=0.71)
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    planned = visits.plan(db.session, intro, {
        "starts_at": START, "duration_minutes": 60, "mode": "in_person",
        "repeat": "fortnightly", "repeat_until": dt.date(2027, 5, 1)}, SYSTEM, now=NOW)
    db.session.commit()
    return planned


def _messages(db, prefix):
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.event_key.startswith(prefix)).order_by(OutboxMessage.id)))


def test_both_sides_hear_of_the_plan_with_a_calendar_file(app, db, visit):
    from matcher.mail import render_message

    planned = _messages(db, "visit-planned:")
    assert sorted(m.to_email for m in planned) == ["choir@example.org",
                                                   "manager@brynawel.example"]
    email = render_message(app, planned[0])
    [(name, content, mimetype)] = email.attachments
    assert name.endswith(".ics") and mimetype.startswith("text/calendar")
    [event] = icalendar.Calendar.from_ical(content).walk("VEVENT")
    assert str(event["UID"]) == f"visit-{visit.id}@kith"
    assert event["RRULE"]["FREQ"] == ["WEEKLY"] and event["RRULE"]["INTERVAL"] == [2]


def test_reminders_seven_days_and_one_day_before_once_each(db, visit):
    week_before = START - dt.timedelta(days=6, hours=20)
    assert reminders.send_due(db.session, week_before)["reminders"] == 2
    db.session.commit()
    assert reminders.send_due(db.session, week_before + dt.timedelta(hours=1))["reminders"] == 0
    day_before = START - dt.timedelta(hours=20)
    assert reminders.send_due(db.session, day_before)["reminders"] == 2
    assert reminders.send_due(db.session, day_before)["reminders"] == 0
    db.session.commit()
    keys = {m.event_key for m in _messages(db, "visit-reminder-")}
    occurrence = visits.occurrences(visit)[0].key
    assert keys == {f"visit-reminder-7d:{visit.id}:{occurrence}",
                    f"visit-reminder-1d:{visit.id}:{occurrence}"}
    assert len(_messages(db, "visit-reminder-")) == 4


def test_nothing_for_a_cancelled_occurrence_or_a_withdrawn_group(db, visit):
    first = visits.occurrences(visit)[0].key
    visits.change(db.session, visit, {"occurrence": first, "status": "cancelled"}, SYSTEM,
                  now=NOW)
    db.session.commit()
    assert reminders.send_due(db.session, START - dt.timedelta(days=3))["reminders"] == 0
    visit.introduction.group.status = "withdrawn"
    db.session.commit()
    second = START + dt.timedelta(days=14)
    assert reminders.send_due(db.session, second - dt.timedelta(days=3))["reminders"] == 1
    db.session.commit()
    [only] = _messages(db, "visit-reminder-")
    assert only.to_email == "manager@brynawel.example"


def test_feedback_the_day_after_once_and_its_link_works_once(app, db, visit):
    assert reminders.send_due(db.session, START + dt.timedelta(hours=3))["feedback"] == 0
    next_day = START + dt.timedelta(days=1)
    assert reminders.send_due(db.session, next_day)["feedback"] == 2
    assert reminders.send_due(db.session, next_day + dt.timedelta(hours=2))["feedback"] == 0
    db.session.commit()
    messages = _messages(db, "visit-feedback:")
    assert {m.recipient_role for m in messages} == {"care_home", "group"}
    token = next(m for m in messages if m.recipient_role == "group").context["feedback_token"]
    asked = feedback.for_token(db.session, token)
    feedback.answer(db.session, asked, 5, "Wonderful singing.")
    db.session.commit()
    with pytest.raises(Conflict):
        feedback.answer(db.session, feedback.for_token(db.session, token), 1, "again")
    db.session.rollback()
    outcome = db.session.scalar(select(PairOutcome).where(
        PairOutcome.introduction_id == visit.introduction_id))
    assert (outcome.visits_done, outcome.ratings, outcome.ratings_high, outcome.score) == (
        1, 1, 1, 0.71)
    assert visits.occurrences(visit)[0].status == "done"


def test_video_calls_get_feedback_letters_do_not(db, visit):
    visits.change(db.session, visit, {"mode": "letters", "version": visit.version}, SYSTEM,
                  now=NOW)
    db.session.commit()
    assert reminders.send_due(db.session, START + dt.timedelta(days=1))["feedback"] == 0


def test_restricting_visiting_tells_the_group_with_in_person_visits(app, db, visit, make_user):
    from matcher.runtime import postcode_index
    from matcher.services import records

    user, _ = make_user("admin")
    records.change_home(db.session, postcode_index(app), user, visit.introduction.care_home_id,
                        {"visiting_status": "restricted"})
    db.session.commit()
    [notice] = _messages(db, "visiting-restricted:")
    assert notice.to_email == "choir@example.org"
    from matcher.mail import render_message
    body = render_message(app, notice).body
    assert "You could keep in touch remotely instead: Video call, Phone call" in body


def test_safeguarding_expiry_told_once_to_group_and_coordinators(db, visit):
    group = visit.introduction.group
    group.safeguarding_scheme, group.safeguarding_expires_on = "DBS", dt.date(2027, 3, 20)
    db.session.add(User(email="coord.wales@example.org", role="coordinator", nation="wales"))
    db.session.commit()
    assert reminders.send_due(db.session, dt.datetime(2027, 2, 1, 9, tzinfo=dt.UTC))[
        "safeguarding"] == 0
    assert reminders.send_due(db.session, NOW)["safeguarding"] == 2
    assert reminders.send_due(db.session, NOW + dt.timedelta(days=3))["safeguarding"] == 0
    db.session.commit()
    assert {m.to_email for m in _messages(db, "safeguarding-expiry:")} == {
        "choir@example.org", "coord.wales@example.org"}


@pytest.mark.no_db_rollback
def test_two_workers_at_once_send_each_message_once(app, db):
    """Two workers run the job at the same moment, each on its own connection."""
    from sqlalchemy import delete

    from matcher.models import CareHome, CommunityGroup

    with app.app_context():
        session = db.session
        # Everything this test commits is removed at the end, audit entries included, so
        # later tests see the database as the rollback fixture leaves it.
        first_audit = (session.scalar(select(func.max(AuditLog.id))) or 0) + 1
        first_message = (session.scalar(select(func.max(OutboxMessage.id))) or 0) + 1
        home = make_home(db, name="Two Workers Home", contact_email="two.home@example.org")
        group = make_group(db, name="Two Workers Choir", contact_email="two.choir@example.org")
        intro = introductions.create_introduction(session, home, group, SYSTEM,
                                                  status="requested")
        introductions.transition(session, intro, "introduced", SYSTEM)
        planned = visits.plan(session, intro, {"starts_at": START, "duration_minutes": 60,
                                               "mode": "video_call"}, SYSTEM, now=NOW)
        session.commit()
        ids = (home.id, group.id, planned.id)
    results, barrier = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            own = db.session.session_factory()
            try:
                barrier.wait()
                results.append(reminders.send_due(own, START + dt.timedelta(days=1)))
                own.commit()
            except Exception as exc:  # noqa: BLE001 - the losing writer may fail outright
                results.append(exc)
                own.rollback()
            finally:
                own.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        with app.app_context():
            db.session.expire_all()
            sent = db.session.scalars(select(OutboxMessage.to_email).where(
                OutboxMessage.event_key.startswith(f"visit-feedback:{ids[2]}:"))).all()
            asked = db.session.scalars(select(VisitFeedback).where(
                VisitFeedback.visit_id == ids[2])).all()
            assert sorted(sent) == ["two.choir@example.org", "two.home@example.org"]
            assert len(asked) == 2
            assert len(results) == 2 and any(isinstance(r, dict) for r in results)
    finally:
        with app.app_context():
            db.session.rollback()
            # The visit's messages and the introduction's (sent to the same two addresses).
            db.session.execute(delete(OutboxMessage).where(or_(
                OutboxMessage.id >= first_message,
                OutboxMessage.to_email.in_(("two.home@example.org", "two.choir@example.org")))))
            db.session.execute(delete(CareHome).where(CareHome.id == ids[0]))
            db.session.execute(delete(CommunityGroup).where(CommunityGroup.id == ids[1]))
            db.session.execute(delete(AuditLog).where(AuditLog.id >= first_audit))
            db.session.commit()


def test_feedback_rows_are_unique_per_occurrence_and_side(db, visit):
    reminders.send_due(db.session, START + dt.timedelta(days=1))
    db.session.commit()
    rows = db.session.scalars(select(VisitFeedback)).all()
    assert sorted(r.respondent for r in rows) == ["care_home", "group"]


def test_the_send_reminders_command_acts_at_the_time_given(app, db, visit):
    runner = app.test_cli_runner()
    when = (START - dt.timedelta(days=6)).replace(tzinfo=None).isoformat()
    first = runner.invoke(args=["send-reminders", "--now", when])
    assert first.exit_code == 0, first.output
    assert "reminders: 2" in first.output
    again = runner.invoke(args=["send-reminders", "--now", when])
    assert "reminders: 0" in again.output
    bad = runner.invoke(args=["send-reminders", "--now", "next tuesday"])
    assert bad.exit_code != 0 and "--now" in bad.output


def test_the_network_report_counts_lasting_introductions_and_good_ratings(db, visit):
    from matcher.services import reports

    later = START + dt.timedelta(days=40)
    for occ in visits.occurrences(visit)[:3]:
        visits.change(db.session, visit, {"occurrence": occ.key, "status": "done"}, SYSTEM,
                      now=later)
    reminders.send_due(db.session, START + dt.timedelta(days=1))
    db.session.commit()
    for row, rating in zip(db.session.scalars(select(VisitFeedback).order_by(
            VisitFeedback.respondent)), (3, 5), strict=True):
        feedback.answer(db.session, row, rating, None)
    db.session.commit()
    wales = reports.network_report(db.session, "wales")["outcomes"]
    assert wales == {"introductions_with_3_visits": 1, "visits_done": 3, "visits_rated": 1,
                     "visits_rated_4_or_5": 1, "share_rated_4_or_5": 1.0}
    england = reports.network_report(db.session, "england")["outcomes"]
    assert england["introductions_with_3_visits"] == 0 and england["share_rated_4_or_5"] is None
