"""Visits in the services: concurrent changes of one visit never lose an update."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from matcher.models import Visit
from matcher.services import introductions, visits
from matcher.services.audit import SYSTEM
from matcher.services.errors import Conflict
from tests.integration.test_introductions import make_group, make_home


@pytest.fixture
def visit(db):
    intro = introductions.create_introduction(db.session, make_home(db), make_group(db), SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=5)
    planned = visits.plan(db.session, intro, {"starts_at": start, "duration_minutes": 60,
                                              "mode": "video_call"}, SYSTEM)
    db.session.commit()
    return planned


def test_a_change_written_meanwhile_makes_the_stale_one_a_conflict(db, visit):
    # Someone else's change lands between our read and our write.
    db.session.execute(update(Visit).where(Visit.id == visit.id).values(
        notes="Theirs", version=Visit.version + 1).execution_options(synchronize_session=False))
    assert visit.version == 1  # our copy is now stale
    with pytest.raises(Conflict, match="at the same time"):
        visits.change(db.session, visit, {"notes": "Ours", "version": 1}, SYSTEM)
    # (the request's unit of work rolls back; nothing of ours was written over theirs)
    db.session.rollback()


def test_planning_the_first_visit_activates_the_introduction(db, visit):
    assert visit.introduction.status == "active"
    assert [e.to_status for e in visit.introduction.events][-1] == "active"


def test_a_group_proposes_and_the_home_confirms(db):
    from matcher.services.errors import NotFound

    home, group = make_home(db), make_group(db)
    other = make_group(db, name="Someone Else")
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=8)
    data = {"starts_at": start, "duration_minutes": 45, "mode": "phone"}
    with pytest.raises(NotFound):
        visits.propose_by_group(db.session, other, intro.id, data)
    proposed = visits.propose_by_group(db.session, group, intro.id, data)
    assert (proposed.state, proposed.proposed_by) == ("proposed", "group")
    assert intro.status == "introduced"  # a proposal is not yet a visit
    with pytest.raises(Conflict):  # the group cannot confirm its own proposal
        visits.change_by_group(db.session, group, proposed.id, "confirmed")
    visits.change(db.session, proposed, {"state": "confirmed"}, SYSTEM)
    assert proposed.state == "confirmed" and intro.status == "active"
    visits.change_by_group(db.session, group, proposed.id, "cancelled", proposed.version)
    assert proposed.state == "cancelled"
