"""The introduction lifecycle in the service layer: transitions, history, capacity, races."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from matcher.models import AuditLog, CareHome, CommunityGroup, Introduction
from matcher.services import introductions, matching, versions
from matcher.services.audit import Actor
from matcher.services.errors import Conflict, InvalidInput, NotFound

ACTOR = Actor("test:coordinator")


def make_home(db, name="Bryn Awel", nation="wales", lat=53.14, lon=-4.27, **extra):
    home = CareHome(name=name, postcode="LL55 4UR", lat=lat, lon=lon, geocode_precision="postcode",
                    nation=nation, local_authority_code="W06000002",
                    local_authority_name="Gwynedd", **extra)
    db.session.add(home)
    db.session.flush()
    return home


def make_group(db, name="Côr Meibion", status="approved", nation="wales", lat=53.12, lon=-4.13,
               **extra):
    group = CommunityGroup(name=name, kind=extra.pop("kind", "choir"), postcode="LL55 4EL",
                           lat=lat, lon=lon, geocode_precision="postcode", nation=nation,
                           status=status, **extra)
    db.session.add(group)
    db.session.flush()
    return group


def test_an_introduction_goes_all_the_way_and_keeps_its_history(db):
    home, group = make_home(db), make_group(db)
    intro = introductions.create_introduction(db.session, home, group, ACTOR, score=0.8,
                                              components={"distance": 0.9})
    assert intro.status == "suggested" and intro.score == 0.8
    for status in ("requested", "introduced", "active", "ended"):
        introductions.transition(db.session, intro, status, ACTOR, note=f"now {status}")
    introductions.transition(db.session, intro, None, ACTOR, feedback_rating=5,
                             feedback_text="The residents loved the hymns.")
    db.session.commit()
    assert intro.status == "ended"
    steps = [(e.from_status, e.to_status) for e in intro.events]
    assert steps == [(None, "suggested"), ("suggested", "requested"),
                     ("requested", "introduced"), ("introduced", "active"),
                     ("active", "ended"), ("ended", "ended")]
    assert intro.events[2].note == "now introduced"
    assert all(e.at is not None for e in intro.events)
    assert intro.feedback_rating == 5 and "hymns" in intro.feedback_text
    assert "now active" in intro.notes
    audit = db.session.scalars(select(AuditLog).where(
        AuditLog.entity_type == "introductions", AuditLog.entity_id == intro.id)).all()
    assert [a.action for a in audit] == ["create", "status", "status", "status", "status",
                                         "update"]
    assert audit[1].changes["status"] == ["suggested", "requested"]
    assert {a.actor for a in audit} == {"test:coordinator"}


@pytest.mark.parametrize("path, target", [
    ((), "active"),
    ((), "introduced"),
    (("requested",), "suggested"),
    (("requested", "introduced", "active"), "declined"),
    (("requested", "introduced", "active", "ended"), "active"),
    (("declined",), "requested"),
])
def test_moves_the_lifecycle_does_not_allow_are_conflicts_naming_the_allowed_ones(
        db, path, target):
    intro = introductions.create_introduction(db.session, make_home(db), make_group(db), ACTOR)
    for status in path:
        introductions.transition(db.session, intro, status, ACTOR)
    with pytest.raises(Conflict) as caught:
        introductions.transition(db.session, intro, target, ACTOR)
    current = intro.status
    message = caught.value.errors["status"][0]
    assert message.startswith(f"Cannot move from {current} to {target}; allowed: ")
    allowed = introductions.allowed_next(current)
    assert all(a in message for a in allowed) if allowed else "final" in message
    assert intro.status == current


@pytest.mark.parametrize("before", ["suggested", "requested", "introduced"])
def test_declined_is_possible_before_active(db, before):
    intro = introductions.create_introduction(db.session, make_home(db), make_group(db), ACTOR)
    for status in ("requested", "introduced")[:("suggested", "requested",
                                                "introduced").index(before)]:
        introductions.transition(db.session, intro, status, ACTOR)
    introductions.transition(db.session, intro, "declined", ACTOR, note="not this term")
    assert intro.status == "declined"


def test_only_one_open_introduction_per_pair(db):
    home, group = make_home(db), make_group(db)
    first = introductions.create_introduction(db.session, home, group, ACTOR)
    with pytest.raises(Conflict) as caught:
        introductions.create_introduction(db.session, home, group, ACTOR, status="requested")
    assert str(first.id) in caught.value.message
    introductions.transition(db.session, first, "declined", ACTOR)
    again = introductions.create_introduction(db.session, home, group, ACTOR)
    assert again.id != first.id and again.status == "suggested"


def test_the_database_refuses_a_second_open_introduction_for_a_pair(db):
    indexes = {ix["name"] for ix in inspect(db.session.connection()).get_indexes("introductions")}
    assert "uq_introduction_open_pair" in indexes
    home, group = make_home(db), make_group(db)
    db.session.add(Introduction(care_home_id=home.id, group_id=group.id, status="suggested"))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Introduction(care_home_id=home.id, group_id=group.id, status="requested"))
        db.session.flush()
    db.session.add(Introduction(care_home_id=home.id, group_id=group.id, status="ended"))
    db.session.flush()  # closed ones may repeat


def test_new_introductions_start_suggested_or_requested_only(db):
    with pytest.raises(InvalidInput):
        introductions.create_introduction(db.session, make_home(db), make_group(db), ACTOR,
                                          status="active")


def test_feedback_rating_must_be_one_to_five(db):
    intro = introductions.create_introduction(db.session, make_home(db), make_group(db), ACTOR)
    with pytest.raises(InvalidInput):
        introductions.transition(db.session, intro, None, ACTOR, feedback_rating=6)
    with pytest.raises(InvalidInput):
        introductions.transition(db.session, intro, None, ACTOR)  # nothing to change


def test_becoming_and_stopping_being_active_refreshes_the_partners(db):
    home, group = make_home(db), make_group(db, capacity_per_month=2)
    intro = introductions.create_introduction(db.session, home, group, ACTOR)
    introductions.transition(db.session, intro, "requested", ACTOR)
    introductions.transition(db.session, intro, "introduced", ACTOR)
    before = versions.current(db.session, versions.PARTNERS)
    introductions.transition(db.session, intro, "introduced", ACTOR, note="met on Tuesday")
    assert versions.current(db.session, versions.PARTNERS) == before
    introductions.transition(db.session, intro, "active", ACTOR)
    during = versions.current(db.session, versions.PARTNERS)
    assert during != before
    assert introductions.active_counts(db.session, [group.id]) == {group.id: 1}
    introductions.transition(db.session, intro, "ended", ACTOR)
    assert versions.current(db.session, versions.PARTNERS) != during
    assert introductions.active_counts(db.session, [group.id]) == {}


def test_scope_rules_for_introducing(db, make_user):
    home = make_home(db)
    pending = make_group(db, name="Pending Choir", status="pending")
    english_pending = make_group(db, name="Far Choir", status="pending", nation="england")
    approved_elsewhere = make_group(db, name="Chester Choir", nation="england")
    welsh, _ = make_user("coordinator", nation="wales")
    scottish, _ = make_user("coordinator", nation="scotland")
    # out of scope is answered as missing, so no one learns which ids exist elsewhere
    with pytest.raises(NotFound, match=f"no care home with id {home.id}"):
        introductions.check_can_introduce(scottish, home, approved_elsewhere)
    with pytest.raises(Conflict, match="pending"):
        introductions.check_can_introduce(welsh, home, pending)
    with pytest.raises(NotFound, match=f"no community group with id {english_pending.id}"):
        introductions.check_can_introduce(welsh, home, english_pending)
    # an approved partner over the border may visit: scope follows the home
    introductions.check_can_introduce(welsh, home, approved_elsewhere)


def test_asking_for_the_current_status_alone_is_a_conflict_but_a_note_is_welcome(db):
    intro = introductions.create_introduction(db.session, make_home(db), make_group(db), ACTOR)
    with pytest.raises(Conflict, match="Cannot move from suggested to suggested; allowed: "
                                       "requested, declined."):
        introductions.transition(db.session, intro, "suggested", ACTOR)
    introductions.transition(db.session, intro, "suggested", ACTOR, note="Phoned the choir.")
    assert intro.status == "suggested" and intro.notes == "Phoned the choir."


# --- what introductions do to suggestions: cool-down and status ----------------------------

def _ended(db, home, group, status, days_ago, now):
    """An introduction of the pair that reached ``status`` (declined or ended) that long ago."""
    intro = introductions.create_introduction(db.session, home, group, ACTOR)
    if status == "ended":
        for step in ("requested", "introduced", "active"):
            introductions.transition(db.session, intro, step, ACTOR)
    introductions.transition(db.session, intro, status, ACTOR)
    intro.events[-1].at = now - dt.timedelta(days=days_ago)
    db.session.flush()
    return intro


def _suggested(db, home, now, **options):
    cache = matching.RankerCache(cooldown_days=options.pop("cooldown_days", 365))
    return [m["group"]["id"] for m in matching.home_matches(db.session, cache, home, now=now,
                                                            **options)]


@pytest.mark.parametrize("status", ["declined", "ended"])
@pytest.mark.parametrize(("days_ago", "suggested"), [(1, False), (364, False), (366, True)])
def test_a_pair_whose_introduction_ended_waits_out_the_cool_down(db, status, days_ago,
                                                                  suggested):
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    home, group = make_home(db), make_group(db)
    other = make_group(db, name="Côr Arall", lat=53.13, lon=-4.2)
    _ended(db, home, group, status, days_ago, now)
    found = _suggested(db, home, now)
    assert (group.id in found) is suggested
    assert other.id in found  # only that pair waits


def test_the_cool_down_is_the_configured_number_of_days(db):
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    home, group = make_home(db), make_group(db)
    _ended(db, home, group, "declined", 40, now)
    assert group.id not in _suggested(db, home, now)
    assert group.id in _suggested(db, home, now, cooldown_days=30)


def test_leaving_out_cooling_pairs_still_fills_the_limit(db):
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    home = make_home(db)
    nearest = make_group(db, name="Nearest", lat=53.141, lon=-4.27)
    groups = [make_group(db, name=f"Choir {i}", lat=53.12 + i / 1000, lon=-4.2)
              for i in range(3)]
    _ended(db, home, nearest, "declined", 10, now)
    found = _suggested(db, home, now, limit=3)
    assert nearest.id not in found and sorted(found) == sorted(g.id for g in groups)


def test_a_pair_with_an_open_introduction_is_shown_with_its_status(db):
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    home, asked, active = make_home(db), make_group(db), make_group(db, name="Visiting")
    new = make_group(db, name="New", lat=53.13, lon=-4.2)
    introductions.create_introduction(db.session, home, asked, ACTOR, status="requested")
    running = introductions.create_introduction(db.session, home, active, ACTOR)
    for step in ("requested", "introduced", "active"):
        introductions.transition(db.session, running, step, ACTOR)
    # An old declined introduction of the pair does not hide a new, open one.
    _ended(db, home, new, "declined", 5, now)
    introductions.create_introduction(db.session, home, new, ACTOR, status="requested")
    cache = matching.RankerCache()
    status = {m["group"]["id"]: m["introduction_status"]
              for m in matching.home_matches(db.session, cache, home, now=now)}
    assert status == {asked.id: "requested", active.id: "active", new.id: "requested"}


def test_allocations_and_match_lists_skip_pairs_in_cool_down(db):
    from matcher.services import allocations, match_lists

    home = make_home(db)
    declined = make_group(db, name="Declined", lat=53.141, lon=-4.27)
    other = make_group(db, name="Other", lat=53.12, lon=-4.2)
    _ended(db, home, declined, "declined", 10, dt.datetime.now(dt.UTC))
    cache = matching.RankerCache()
    allocation = allocations.create_allocation(db.session, cache, ACTOR, nation="wales",
                                               per_home=2)
    assert [a.group_id for a in allocation.assignments] == [other.id]
    (entry,) = match_lists.match_list(db.session, cache, nation="wales", per_home=2)
    assert [m["group"]["id"] for m in entry["matches"]] == [other.id]


def test_reverse_matching_skips_homes_in_cool_down_and_shows_open_status(db):
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    group = make_group(db)
    cooled, asking, free = (make_home(db, name=n) for n in ("Cooled", "Asking", "Free"))
    _ended(db, cooled, group, "ended", 100, now)
    introductions.create_introduction(db.session, asking, group, ACTOR, status="requested")
    found = {m["care_home"]["id"]: m["introduction_status"]
             for m in matching.homes_for_group(db.session, matching.RankerCache(), group,
                                               now=now)}
    assert found == {asking.id: "requested", free.id: None}
