"""Data protection: consent, a group's export and withdrawal (erasure), the purge of
registrations never approved, and no record of individual residents."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from matcher.models import (
    AuditLog,
    CareHome,
    CommunityGroup,
    Introduction,
    IntroductionEvent,
    utcnow,
)
from matcher.services import introductions, privacy, records
from matcher.services.audit import SYSTEM, Actor

LINK_ACTOR = Actor("group-link:test")
COORDINATOR = Actor("user:7:coordinator@example.org", None)
PERSONAL = {
    "name": "Zofia's Polish Song Circle",
    "description": "Zofia Kowalska sings with her neighbours on Thursdays.",
    "contact": {"name": "Zofia Kowalska", "email": "zofia.k@example.org",
                "phone": "01632 960777"},
    "postcode": "W5 2BT",
}
PERSONAL_TEXTS = ("Zofia", "Kowalska", "zofia.k@example.org", "01632 960777", "W5 2BT",
                  "call her on Thursdays")


def group_payload(**overrides):
    payload = {"kind": "choir", "interests": ["singing", "polish folk songs"],
               "languages": ["Polish"], "travel_radius_km": 8, "consent": True,
               "safeguarding": {"scheme": "DBS", "status": "valid", "expires_on": "2027-06-01"},
               **PERSONAL}
    payload.update(overrides)
    return payload


@pytest.fixture
def index(app):
    from matcher.runtime import postcode_index
    return postcode_index(app)


def register(db, index, status="pending", source="form", **overrides):
    """A group as the public form stores it; returns ``(group, edit_token)``."""
    from matcher.schemas import GroupInputSchema

    data = GroupInputSchema().load(group_payload(**overrides))
    group, token, _ = records.create_group(db.session, index, data, Actor("public-form"),
                                           status=status, source=source,
                                           privacy_notice_version="2026-11")
    db.session.commit()
    return group, token


def home_near(db, index, name="Ealing Lodge", postcode="W5 2AA"):
    from matcher.schemas import CareHomeInputSchema

    data = CareHomeInputSchema().load({"name": name, "postcode": postcode, "residents": 30,
                                       "interests": ["singing"],
                                       "languages": [{"language": "Polish", "residents": 6}]})
    home = records.create_home(db.session, index, data, SYSTEM)
    db.session.commit()
    return home


def audit_text(db) -> str:
    return json.dumps(db.session.scalars(select(AuditLog.changes)).all(), ensure_ascii=False)


# --- consent -----------------------------------------------------------------------------------

def test_consent_is_stored_with_the_notice_version_and_time(app, client, db):
    from tests.web.conftest import group_form

    before = utcnow()
    response = client.post("/register", data=group_form(name="Consenting Choir"))
    assert response.status_code == 303
    group = db.session.scalar(select(CommunityGroup).filter_by(name="Consenting Choir"))
    assert group.privacy_notice_version == app.config["PRIVACY_NOTICE_VERSION"]
    consent_at = group.consent_at if group.consent_at.tzinfo else group.consent_at.replace(
        tzinfo=dt.UTC)
    assert before - dt.timedelta(seconds=1) <= consent_at <= utcnow()
    refused = client.post("/register", data=group_form(name="Unconsenting Choir", consent=None))
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(CommunityGroup).filter_by(
        name="Unconsenting Choir")) == 0


# --- export ------------------------------------------------------------------------------------

def test_export_holds_everything_about_the_group_but_no_secrets_or_staff_emails(db, index):
    group, _ = register(db, index)
    home = home_near(db, index)
    intro = introductions.create_introduction(db.session, home, group, COORDINATOR)
    introductions.transition(db.session, intro, "requested", COORDINATOR)
    records.update_group(db.session, index, group, {"travel_radius_km": 9}, COORDINATOR)
    db.session.commit()
    data = privacy.export_group(db.session, group)
    assert data["group"]["contact_email"] == "zofia.k@example.org"
    assert data["group"]["consent_at"] and data["group"]["privacy_notice_version"] == "2026-11"
    assert "edit_token_hash" not in data["group"] and "idempotency_key" not in data["group"]
    assert data["introductions"][0]["care_home"]["name"] == "Ealing Lodge"
    assert [e["to"] for e in data["introductions"][0]["events"]] == ["suggested", "requested"]
    assert [h["action"] for h in data["history"]] == ["create", "update"]
    assert data["history"][1]["by"] == "your network coordinator"
    assert "coordinator@example.org" not in json.dumps(data)
    json.dumps(data)  # all of it is plain JSON


# --- withdrawal ----------------------------------------------------------------------------------

def test_withdrawal_erases_personal_data_and_keeps_anonymous_history(app, client, db, index):
    group, token = register(db, index, status="approved", source="form")
    home = home_near(db, index)
    intro = introductions.create_introduction(db.session, home, group, COORDINATOR,
                                              note="Zofia said to call her on Thursdays.")
    introductions.transition(db.session, intro, "requested", COORDINATOR,
                             note="Zofia Kowalska will call her on Thursdays")
    # the group changes its contact details through its link first
    records.update_group(db.session, index, group,
                         {"contact_phone": "01632 960778", "description": PERSONAL["description"]
                          + " Also Zofia's sister."}, LINK_ACTOR)
    db.session.commit()
    assert "01632 960778" not in audit_text(db)  # contact changes never carry their values

    privacy.withdraw_group(db.session, group, LINK_ACTOR)
    db.session.commit()
    db.session.expire_all()

    group = db.session.get(CommunityGroup, group.id)
    assert group.status == "withdrawn" and group.anonymised_at is not None
    assert group.name == f"Withdrawn group #{group.id}"
    assert (group.contact_name, group.contact_email, group.contact_phone) == (None, None, None)
    assert group.description == "" and group.safeguarding_scheme is None
    assert group.edit_token_hash is None and group.idempotency_key is None
    # where it was, only to the postcode sector and about a kilometre
    assert group.postcode == "W5 2" and group.geocode_precision == "sector"
    assert group.lat == round(group.lat, 2) and group.lon == round(group.lon, 2)
    # the introduction stays as anonymous history: statuses and dates, no free text
    intro = db.session.get(Introduction, intro.id)
    assert intro.group_id == group.id and intro.status == "requested"
    assert intro.notes == ""
    events = db.session.scalars(select(IntroductionEvent).filter_by(
        introduction_id=intro.id)).all()
    assert [e.to_status for e in events] == ["suggested", "requested"]
    assert all(e.note is None for e in events)
    # the audit trail keeps who and when, not what was erased
    trail = audit_text(db)
    for text in PERSONAL_TEXTS + ("01632 960778",):
        assert text not in trail, text
    withdrawal = db.session.scalar(select(AuditLog).filter_by(
        entity_type="community_groups", entity_id=group.id, action="withdraw"))
    assert withdrawal.actor == LINK_ACTOR.label
    assert withdrawal.changes["status"] == ["approved", "withdrawn"]
    assert withdrawal.changes["contact_email"] in ("(erased)", "(changed)")
    # nothing anywhere else in the record still says who they were
    row = {c.name: getattr(group, c.key) for c in CommunityGroup.__table__.columns}
    for text in PERSONAL_TEXTS:
        assert text not in json.dumps(row, default=str), text
    # the link is dead, and the group is gone from the open data feed
    assert client.get(f"/groups/edit/{token}").status_code == 404
    feed = client.get("/api/v1/open-referral/services").get_data(as_text=True)
    assert "Withdrawn group" not in feed


@pytest.mark.parametrize("path", ["private link", "PATCH status withdrawn", "DELETE"])
def test_every_way_of_removing_a_group_erases_its_personal_data(app, client, db, index,
                                                                 make_user, path):
    group, token = register(db, index, status="approved", source="form")
    home = home_near(db, index)
    intro = introductions.create_introduction(db.session, home, group, COORDINATOR,
                                              note="Zofia said to call her on Thursdays.")
    introductions.transition(db.session, intro, "requested", COORDINATOR,
                             feedback_text="Zofia Kowalska: call her on Thursdays")
    db.session.commit()
    group_id, intro_id = group.id, intro.id
    _, admin = make_user("admin")

    if path == "private link":
        response = client.post(f"/groups/edit/{token}/withdraw", data={"confirm": "yes"})
        assert response.status_code in (302, 303), response.get_data(as_text=True)
    elif path == "PATCH status withdrawn":
        response = client.patch(f"/api/v1/groups/{group_id}", headers=admin,
                                json={"status": "withdrawn"})
        assert response.status_code == 200, response.json
        assert response.json["name"] == f"Withdrawn group #{group_id}"
        assert response.json["contact"] is None or not any(response.json["contact"].values())
    else:
        assert client.delete(f"/api/v1/groups/{group_id}", headers=admin).status_code == 204
    db.session.expire_all()

    remaining = db.session.get(CommunityGroup, group_id)
    if path == "DELETE":
        assert remaining is None and db.session.get(Introduction, intro_id) is None
    else:
        assert remaining.status == "withdrawn" and remaining.anonymised_at is not None
        row = {c.name: getattr(remaining, c.key) for c in CommunityGroup.__table__.columns}
        intro = db.session.get(Introduction, intro_id)
        row["intro"] = [intro.notes, intro.feedback_text, [e.note for e in intro.events]]
        for text in PERSONAL_TEXTS:
            assert text not in json.dumps(row, default=str), text
    # The trail keeps who did what and when, with nothing of what was erased.
    trail = audit_text(db)
    for text in PERSONAL_TEXTS + (PERSONAL["name"],):
        assert text not in trail, text
    actions = db.session.scalars(select(AuditLog.action).filter_by(
        entity_type="community_groups", entity_id=group_id).order_by(AuditLog.id)).all()
    assert actions[0] == "create" and actions[-1] in ("withdraw", "delete")
    assert client.get(f"/groups/edit/{token}").status_code == 404


def test_audit_entries_past_the_retention_period_are_purged(app, client, db, runner,
                                                            monkeypatch):
    from matcher.services import audit

    notice = client.get("/privacy").get_data(as_text=True)
    assert "each entry is deleted after 730 days" in notice

    old, recent = (AuditLog(actor="system", action="test", entity_type="t", entity_id=i,
                            changes={}) for i in (1, 2))
    db.session.add_all([old, recent])
    db.session.flush()
    old.at = utcnow() - dt.timedelta(days=800)
    recent.at = utcnow() - dt.timedelta(days=700)
    db.session.commit()
    old_id, recent_id = old.id, recent.id

    dry = runner.invoke(args=["purge", "--dry-run"])
    assert "Would purge 1 audit entry written before" in dry.output, dry.output
    assert db.session.get(AuditLog, old_id) is not None
    done = runner.invoke(args=["purge"])  # AUDIT_RETENTION_DAYS: 730 by default
    assert done.exit_code == 0 and "Purged 1 audit entry" in done.output, done.output
    db.session.expire_all()
    assert db.session.get(AuditLog, old_id) is None
    assert db.session.get(AuditLog, recent_id) is not None
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 600)
    assert "Purged 1 audit entry" in runner.invoke(args=["purge"]).output
    with pytest.raises(ValueError):
        audit.retention_cutoff(-1)


def test_the_daily_task_purges_old_audit_entries_and_registrations(app, db, index):
    from matcher import tasks

    entry = AuditLog(actor="system", action="test", entity_type="t", entity_id=1, changes={})
    db.session.add(entry)
    db.session.flush()
    entry.at = utcnow() - dt.timedelta(days=app.config["AUDIT_RETENTION_DAYS"] + 1)
    stale, _ = register(db, index, name="Forgotten Choir")
    age(db, stale, app.config["PURGE_PENDING_AFTER_DAYS"] + 1)
    entry_id, stale_id = entry.id, stale.id

    daily = tasks.tasks_for(app).purge_expired
    # a periodic task on huey's schedule: once a day, at 03:30 UTC
    assert daily.task_class().validate_datetime(dt.datetime(2026, 12, 4, 3, 30))
    assert not daily.task_class().validate_datetime(dt.datetime(2026, 12, 4, 4, 30))
    assert tasks.purge_expired_data(app) >= 2
    db.session.expire_all()
    assert db.session.get(AuditLog, entry_id) is None
    assert db.session.get(CommunityGroup, stale_id) is None


def test_a_withdrawn_group_is_not_placed_again(db, index, runner):
    group, _ = register(db, index, status="approved")
    privacy.withdraw_group(db.session, group, LINK_ACTOR)
    db.session.commit()
    result = runner.invoke(args=["regeocode"])
    assert result.exit_code == 0, result.output
    db.session.refresh(group)
    assert group.postcode == "W5 2" and group.geocode_precision == "sector"


# --- purge ---------------------------------------------------------------------------------------

def age(db, group, days):
    group.created_at = utcnow() - dt.timedelta(days=days)
    db.session.commit()


@pytest.fixture
def purge_world(db, index):
    """Registrations of every kind and age; the old unapproved ones have introductions."""
    home = home_near(db, index)
    made = {}
    for key, status, days in [("old_pending", "pending", 120), ("old_rejected", "rejected", 95),
                              ("new_pending", "pending", 10), ("old_approved", "approved", 400),
                              ("was_approved", "pending", 200), ("old_paused", "paused", 300)]:
        group, _ = register(db, index, status=status, name=f"{key} Choir",
                            contact={"email": f"{key}@example.org"})
        if key == "was_approved":
            group.approved_at = utcnow() - dt.timedelta(days=150)
        age(db, group, days)
        made[key] = group.id
    for key in ("old_pending", "old_rejected", "old_approved"):
        intro = introductions.create_introduction(
            db.session, home, db.session.get(CommunityGroup, made[key]), COORDINATOR,
            note=f"Spoke to {key}@example.org")
        made[f"intro_{key}"] = intro.id
    db.session.commit()
    return made


def test_purge_deletes_old_registrations_never_approved(db, purge_world):
    result = privacy.purge_unapproved(db.session, 90, actor=Actor("cli:test"))
    db.session.commit()
    assert (result.groups, result.introductions) == (2, 2)
    assert result.by_status == {"pending": 1, "rejected": 1}
    remaining = set(db.session.scalars(select(CommunityGroup.id)))
    gone = {purge_world["old_pending"], purge_world["old_rejected"]}
    assert not gone & remaining
    kept = {purge_world[k] for k in ("new_pending", "old_approved", "was_approved",
                                     "old_paused")}
    assert kept <= remaining
    assert db.session.get(Introduction, purge_world["intro_old_pending"]) is None
    assert db.session.get(Introduction, purge_world["intro_old_rejected"]) is None
    assert db.session.get(Introduction, purge_world["intro_old_approved"]) is not None
    # audited, without anything that identified the registrations
    purges = db.session.scalars(select(AuditLog).filter_by(action="purge")).all()
    assert {p.entity_id for p in purges} == gone
    assert all(p.actor == "cli:test" and p.changes["introductions"] == 1 for p in purges)
    trail = audit_text(db)
    for key in ("old_pending", "old_rejected"):
        assert f"{key}@example.org" not in trail and f"{key} Choir" not in trail
    assert "W5 2BT" not in json.dumps([e.changes for e in db.session.scalars(
        select(AuditLog).where(AuditLog.entity_type == "community_groups",
                               AuditLog.entity_id.in_(gone)))])


def test_purge_dry_run_and_the_command(app, db, runner, purge_world, monkeypatch):
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would purge 2 registrations (1 pending, 1 rejected)" in dry.output
    assert "and 2 introductions" in dry.output
    assert db.session.get(CommunityGroup, purge_world["old_pending"]) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditLog).filter_by(
        action="purge")) == 0
    # the number of days comes from PURGE_PENDING_AFTER_DAYS, or --days
    monkeypatch.setitem(app.config, "PURGE_PENDING_AFTER_DAYS", 100)
    assert "Would purge 1 registration (1 pending)" in runner.invoke(
        args=["purge", "--dry-run"]).output
    done = runner.invoke(args=["purge", "--days", "5"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Purged 3 registrations (2 pending, 1 rejected)")
    assert db.session.get(CommunityGroup, purge_world["new_pending"]) is None
    assert runner.invoke(args=["purge"]).output.startswith("Purged 0 registrations")
    assert runner.invoke(args=["purge", "--days", "-1"]).exit_code != 0


# --- residents ---------------------------------------------------------------------------------

def test_nothing_about_individual_residents_is_stored(client, make_user):
    _, admin = make_user("admin")
    base = {"name": "Counts Only", "postcode": "LL55 4UR", "residents": 20}
    for extra in ({"languages": [{"language": "Polish", "residents": 2, "names": ["Jan"]}]},
                  {"residents_list": [{"name": "Jan Nowak", "room": 4}]},
                  {"residents": [{"name": "Jan Nowak"}]},
                  {"languages": [{"language": "Polish", "residents": "Jan and Ewa"}]}):
        response = client.post("/api/v1/care-homes", json={**base, **extra}, headers=admin)
        assert response.status_code == 422, extra
    created = client.post("/api/v1/care-homes", json={
        **base, "languages": [{"language": "Polish", "residents": 2}]}, headers=admin)
    assert created.status_code == 201
    assert created.json["languages"][0]["residents"] == 2
    # the table itself has nowhere to put a resident: a count and language counts only
    columns = {c.name for c in CareHome.__table__.columns if "resident" in c.name}
    assert columns == {"residents"}
    assert str(CareHome.__table__.c.residents.type) == "INTEGER"
