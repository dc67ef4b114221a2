"""Data-protection operations on community groups: withdrawal (erasure), export and purge.

* **Withdrawal** (through the group's private link) erases everything that identifies or
  describes the people behind a group, blurs where it is to the postcode sector, and keeps
  its introductions as anonymous history (who was introduced to which home, and when).
* **Export** gives a group everything held about it, as JSON.
* **Purge** deletes registrations that were never approved (pending or rejected) once they
  are older than ``PURGE_PENDING_AFTER_DAYS``, with their introductions.

None of these leaves a copy of the erased data in the audit trail: the trail keeps who did
what and when, with the erased values replaced by ``(erased)``. Audit entries older than
``AUDIT_RETENTION_DAYS`` are deleted (:func:`matcher.services.audit.purge_before`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..domain import catalogue
from ..models import AuditLog, CommunityGroup, Introduction, IntroductionEvent, utcnow
from . import accounts, audit, notifications, versions

ERASED = "(erased)"

# Erased on withdrawal: everything that identifies or describes the people behind a group.
ERASED_FIELDS = (
    "contact_name", "contact_email", "contact_phone", "description",
    "safeguarding_scheme", "safeguarding_status", "safeguarding_expires_on",
    "edit_token_hash", "idempotency_key", "pending_changes",
)
# Replaced by something coarser on withdrawal: a volunteer's full postcode is nearly an address.
BLURRED_FIELDS = ("name", "postcode", "lat", "lon", "geocode_precision")
# Free text on an introduction, where people write names and phone numbers.
INTRODUCTION_TEXT_FIELDS = ("notes", "note", "feedback_text", "message")
# Never exported: secrets that only prove who may edit.
SECRET_FIELDS = ("edit_token_hash", "idempotency_key")
# Registrations in these states, never approved, are purged after the configured time.
PURGEABLE_STATUSES = catalogue.GROUP_PURGEABLE_STATUSES
# What the audit trail keeps about a purged registration: nothing that could identify it.
PURGE_KEPT_FIELDS = ("status", "source", "kind")
# Erased from an erased group's past audit entries: every field erased or blurred on the
# record itself, and the reasons coordinators wrote, which may name people.
ERASED_HISTORY_FIELDS = frozenset(ERASED_FIELDS) | set(BLURRED_FIELDS) | {"status_reason"}


def sector_of(postcode: str | None) -> str | None:
    """The postcode sector (``LL55 4EL`` -> ``LL55 4``): an area of a few thousand homes."""
    if not postcode or " " not in postcode.strip():
        return None
    outward, inward = postcode.strip().rsplit(" ", 1)
    return f"{outward} {inward[:1]}" if inward else outward


def withdraw_group(session: Session, group: CommunityGroup, actor: audit.Actor) -> CommunityGroup:
    """The group withdraws itself through its private link: see :func:`erase_group`."""
    return erase_group(session, group, actor)


def erase_group(session: Session, group: CommunityGroup, actor: audit.Actor, *,
                action: str = "withdraw", reason: str = "Withdrawn by the group."
                ) -> CommunityGroup:
    """Withdraw a group and erase its personal data, keeping its introductions as history.

    The one erasure behind every path: the private link's withdrawal, a coordinator's
    ``status: withdrawn`` and a deletion (``action="delete"``, before the row goes). The
    private edit link stops working (its hash is erased), so this cannot be undone; the
    group's past audit entries keep what happened and when, never what it said.
    """
    changes: dict[str, Any] = {"status": [group.status, "withdrawn"]}
    for name in ERASED_FIELDS:
        if getattr(group, name) not in (None, ""):
            changes[name] = ERASED
    group.status = "withdrawn"
    group.status_reason = reason
    for name in ERASED_FIELDS:
        setattr(group, name, "" if name == "description" else None)
    group.name = f"Withdrawn group #{group.id}"
    group.postcode = sector_of(group.postcode) or ""
    # Two decimal places is about a kilometre: enough for anonymous statistics by area.
    group.lat = round(group.lat, 2) if group.lat is not None else None
    group.lon = round(group.lon, 2) if group.lon is not None else None
    group.geocode_precision = "sector"
    group.anonymised_at = utcnow()
    changes.update(dict.fromkeys(BLURRED_FIELDS, ERASED))
    _erase_introduction_text(session, group.id)
    _scrub_history(session, [group.id])
    # Nothing more is sent to a group that withdrew, and the outbox forgets its address.
    notifications.forget_groups(session, [group.id])
    session.flush()
    audit.record(session, actor, action, group, changes)
    versions.bump(session, versions.PARTNERS)
    return group


def _erase_introduction_text(session: Session, group_id: int) -> None:
    """Blank the free text on a group's introductions; statuses and dates stay as history."""
    intro_ids = list(session.scalars(
        select(Introduction.id).where(Introduction.group_id == group_id)))
    if not intro_ids:
        return
    for intro in session.scalars(select(Introduction).where(Introduction.id.in_(intro_ids))):
        intro.notes = ""
        intro.feedback_text = None
        intro.message = None
    for event in session.scalars(select(IntroductionEvent).where(
            IntroductionEvent.introduction_id.in_(intro_ids), IntroductionEvent.note.is_not(None))):
        event.note = None
    _scrub_entries(session, Introduction.__tablename__, intro_ids,
                   lambda key: key in INTRODUCTION_TEXT_FIELDS)


def _scrub_history(session: Session, group_ids: list[int]) -> None:
    """Blank the erased fields' old values in the groups' audit trail, keeping who did what
    and when."""
    _scrub_entries(session, CommunityGroup.__tablename__, group_ids,
                   lambda key: key in ERASED_HISTORY_FIELDS)


def _scrub_entries(session: Session, entity_type: str, ids: list[int], erase) -> None:
    for start in range(0, len(ids), 500):
        entries = session.scalars(select(AuditLog).where(
            AuditLog.entity_type == entity_type, AuditLog.entity_id.in_(ids[start:start + 500])))
        for entry in entries:
            if entry.changes and any(erase(key) for key in entry.changes):
                entry.changes = {key: (ERASED if erase(key) else value)
                                 for key, value in entry.changes.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _describe_actor(label: str) -> str:
    # Staff emails are the staff's personal data, not the group's: name the role instead.
    if label.startswith("group-link:"):
        return "you, through your private link"
    if label == "public-form":
        return "you, through the registration form"
    if label.startswith("user:"):
        return "your network coordinator"
    return "Kith"


def export_group(session: Session, group: CommunityGroup) -> dict[str, Any]:
    """Everything held about ``group``: its record, its introductions and its history."""
    record = {
        column.name: _jsonable(getattr(group, column.key))
        for column in CommunityGroup.__table__.columns
        if column.name not in SECRET_FIELDS
    }
    introductions = [
        {
            "care_home": {"id": intro.care_home.id, "name": intro.care_home.name,
                          "town": intro.care_home.town},
            "status": intro.status,
            "score": intro.score,
            "created_at": _jsonable(intro.created_at),
            "updated_at": _jsonable(intro.updated_at),
            "events": [{"from": e.from_status, "to": e.to_status, "at": _jsonable(e.at)}
                       for e in intro.events],
        }
        for intro in group.introductions
    ]
    history = [
        {"at": _jsonable(entry.at), "action": entry.action, "by": _describe_actor(entry.actor),
         "changes": entry.changes}
        for entry in session.scalars(
            select(AuditLog).where(AuditLog.entity_type == CommunityGroup.__tablename__,
                                   AuditLog.entity_id == group.id).order_by(AuditLog.id))
    ]
    return {
        "exported_at": _jsonable(utcnow()),
        "group": record,
        "introductions": introductions,
        "history": history,
    }


# --- purge ------------------------------------------------------------------------------------

@dataclass
class PurgeResult:
    """What a purge removed (or, with ``dry_run``, would remove)."""

    cutoff: dt.datetime
    dry_run: bool
    groups: int = 0
    introductions: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def purge_cutoff(days: int, now: dt.datetime | None = None) -> dt.datetime:
    """Registrations created before this time are old enough to purge."""
    if days < 0:
        raise ValueError("The number of days cannot be negative.")
    return (now or utcnow()) - dt.timedelta(days=days)


def purgeable_groups(session: Session, cutoff: dt.datetime) -> list[CommunityGroup]:
    """Groups never approved (pending or rejected) that were created before ``cutoff``."""
    return list(session.scalars(select(CommunityGroup).where(
        CommunityGroup.status.in_(PURGEABLE_STATUSES),
        CommunityGroup.approved_at.is_(None),
        CommunityGroup.created_at < cutoff.astimezone(dt.UTC),
    ).order_by(CommunityGroup.id)))


def purge_unapproved(session: Session, days: int, *, actor: audit.Actor = audit.SYSTEM,
                     dry_run: bool = False, now: dt.datetime | None = None) -> PurgeResult:
    """Delete registrations never approved that are older than ``days``, with their
    introductions; each deletion is audited without any of the registration's details."""
    result = PurgeResult(cutoff=purge_cutoff(days, now), dry_run=dry_run)
    groups = purgeable_groups(session, result.cutoff)
    if not groups:
        return result
    ids = [g.id for g in groups]
    intro_counts: dict[int, int] = {}
    intro_ids: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        intro_counts.update(session.execute(
            select(Introduction.group_id, func.count()).where(Introduction.group_id.in_(chunk))
            .group_by(Introduction.group_id)).all())
        intro_ids.extend(session.scalars(
            select(Introduction.id).where(Introduction.group_id.in_(chunk))))
    result.groups = len(groups)
    result.introductions = sum(intro_counts.values())
    for group in groups:
        result.by_status[group.status] = result.by_status.get(group.status, 0) + 1
    if dry_run:
        return result
    for group in groups:
        audit.record(session, actor, "purge", group, {
            "status": group.status,
            "created_at": _jsonable(group.created_at),
            "introductions": intro_counts.get(group.id, 0),
            "after_days": days,
        })
    session.flush()
    # Everything the trail held about these registrations, except the purge entries above.
    keep = set(PURGE_KEPT_FIELDS) | {"created_at", "introductions", "after_days"}
    _scrub_entries(session, CommunityGroup.__tablename__, ids, lambda key: key not in keep)
    _scrub_entries(session, Introduction.__tablename__, intro_ids,
                   lambda key: key in INTRODUCTION_TEXT_FIELDS)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        notifications.forget_groups(session, chunk)
        # Their events and any allocation rows go with them (ON DELETE CASCADE).
        session.execute(delete(Introduction).where(Introduction.group_id.in_(chunk)),
                        execution_options={"synchronize_session": False})
        session.execute(delete(CommunityGroup).where(CommunityGroup.id.in_(chunk)),
                        execution_options={"synchronize_session": False})
    for group in groups:
        session.expunge(group)
    versions.bump(session, versions.PARTNERS)
    return result


@dataclass
class ExpiredPurge:
    """What the daily purge removed: registrations never approved, audit entries past their
    retention, and stale failed sign-ins (which hold client addresses)."""

    registrations: PurgeResult
    audit_cutoff: dt.datetime
    audit_entries: int
    sign_in_failures: int


def purge_expired(session: Session, *, pending_days: int, audit_days: int,
                  actor: audit.Actor = audit.SYSTEM, dry_run: bool = False,
                  now: dt.datetime | None = None) -> ExpiredPurge:
    """Everything kept past its time, deleted (the ``purge`` command and the daily task):
    registrations never approved after ``pending_days`` (``PURGE_PENDING_AFTER_DAYS``) and
    audit entries after ``audit_days`` (``AUDIT_RETENTION_DAYS``)."""
    registrations = purge_unapproved(session, pending_days, actor=actor, dry_run=dry_run,
                                     now=now)
    cutoff = audit.retention_cutoff(audit_days, now)
    entries = audit.purge_before(session, cutoff, dry_run=dry_run)
    failures = 0 if dry_run else accounts.forget_sign_in_failures(session, now)
    return ExpiredPurge(registrations, cutoff, entries, failures)
