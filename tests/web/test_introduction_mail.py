"""Who is told what at each step of an introduction (``services.introduction_mail.plan``)."""

from __future__ import annotations

import pytest

from matcher.models import Introduction
from matcher.services import introduction_mail
from matcher.services.audit import SYSTEM

GROUP = {"name": "Dafydd Example", "email": "dafydd@example.org", "phone": "01632 960001"}
HOME = {"name": "Siân Manager", "email": "manager@brynawel.example", "phone": "01632 960100"}


@pytest.fixture
def intro(db, make_home, make_group, make_user):
    home = make_home(contact=HOME)
    group = make_group(contact=GROUP)
    make_user("coordinator", nation="wales", email="wales@example.org")
    inactive, _ = make_user("coordinator", nation="wales", email="gone@example.org")
    inactive.active = False
    make_user("coordinator", nation="england", email="england@example.org")
    make_user("admin", email="admin@example.org")
    record = Introduction(care_home=home, group=group, status="suggested",
                                        message="Come and sing with us.")
    db.session.add(record)
    db.session.commit()
    return record


def plan_for(db, intro, old, new):
    intro.status = new
    return {(e.template, e.to_email): e for e in introduction_mail.plan(db.session, intro, old)}


def test_a_request_tells_the_nations_active_coordinators_and_the_group(db, intro):
    emails = plan_for(db, intro, "suggested", "requested")
    assert set(emails) == {("introduction_requested_coordinator", "wales@example.org"),
                           ("introduction_requested_group", GROUP["email"])}
    to_group = emails[("introduction_requested_group", GROUP["email"])]
    assert to_group.context["message"] == "Come and sing with us."
    assert to_group.recipient_role == "group" and to_group.to_name == GROUP["name"]
    # Nothing private travels with a request.
    for email in emails.values():
        assert "partner_contact" not in email.context


def test_a_suggestion_and_its_decline_tell_nobody(db, intro):
    assert plan_for(db, intro, None, "suggested") == {}
    assert plan_for(db, intro, "suggested", "declined") == {}
    assert plan_for(db, intro, "suggested", "withdrawn") == {}


def test_introduced_gives_each_side_the_others_details(db, intro):
    emails = plan_for(db, intro, "requested", "introduced")
    assert set(emails) == {("introduction_made_home", HOME["email"]),
                           ("introduction_made_group", GROUP["email"])}
    assert emails[("introduction_made_home", HOME["email"])].context["partner_contact"] == GROUP
    assert emails[("introduction_made_group", GROUP["email"])].context["partner_contact"] == HOME


def test_a_home_without_a_contact_is_reached_through_its_staff(db, intro, make_user):
    home = intro.care_home
    home.contact_email = None
    staff, _ = make_user("care_home", care_home_id=home.id, email="staff@brynawel.example")
    db.session.commit()
    emails = plan_for(db, intro, "requested", "introduced")
    assert ("introduction_made_home", "staff@brynawel.example") in emails
    group_side = emails[("introduction_made_group", GROUP["email"])].context["partner_contact"]
    assert group_side["email"] == "staff@brynawel.example"
    assert staff.email == "staff@brynawel.example"


@pytest.mark.parametrize(("old", "new"), [("requested", "declined"),
                                          ("introduced", "declined"), ("active", "ended")])
def test_endings_tell_both_sides(db, intro, old, new):
    emails = plan_for(db, intro, old, new)
    assert set(emails) == {(f"introduction_{new}", HOME["email"]),
                           (f"introduction_{new}", GROUP["email"])}
    assert {e.context["side"] for e in emails.values()} == {"home", "group"}


def test_a_withdrawn_request_tells_the_group_only(db, intro):
    assert set(plan_for(db, intro, "requested", "withdrawn")) == {
        ("introduction_withdrawn", GROUP["email"])}


def test_a_group_that_withdrew_is_never_written_to(db, intro):
    from matcher.services import privacy

    privacy.withdraw_group(db.session, intro.group, SYSTEM)
    db.session.commit()
    for old, new in [("suggested", "requested"), ("requested", "introduced"),
                     ("introduced", "declined"), ("requested", "withdrawn")]:
        emails = plan_for(db, intro, old, new)
        assert all(e.recipient_role != "group" for e in emails.values())
        assert all(GROUP["email"] not in str(e.context) for e in emails.values())
    # Once its details are erased the home is not sent an empty introduction either.
    assert plan_for(db, intro, "requested", "introduced") == {}
