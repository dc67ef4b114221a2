"""Data-protection operations on community groups: withdrawal (erasure) and export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditLog, CommunityGroup, utcnow
from . import audit, versions

# Erased on withdrawal: everything that identifies or describes the people behind a group.
ERASED_FIELDS = (
    "contact_name", "contact_email", "contact_phone", "description",
    "safeguarding_scheme", "safeguarding_status", "safeguarding_expires_on",
    "edit_token_hash", "idempotency_key",
)
# Never exported: secrets that only prove who may edit.
SECRET_FIELDS = ("edit_token_hash", "idempotency_key")


def withdraw_group(session: Session, group: CommunityGroup, actor: audit.Actor) -> CommunityGroup:
    """Withdraw a group and erase its personal data, keeping its introductions as history.

    The private edit link stops working (its hash is erased), so this cannot be undone.
    """
    changes: dict[str, Any] = {"status": [group.status, "withdrawn"]}
    for name in ERASED_FIELDS:
        if getattr(group, name) not in (None, ""):
            changes[name] = "(erased)"
    group.status = "withdrawn"
    group.status_reason = "Withdrawn by the group."
    for name in ERASED_FIELDS:
        setattr(group, name, "" if name == "description" else None)
    group.name = f"Withdrawn group #{group.id}"
    group.anonymised_at = utcnow()
    changes["name"] = "(erased)"
    _scrub_history(session, group)
    session.flush()
    audit.record(session, actor, "withdraw", group, changes)
    versions.bump(session, versions.PARTNERS)
    return group


def _scrub_history(session: Session, group: CommunityGroup) -> None:
    """Blank the erased fields' old values in the group's audit trail, keeping who and when."""
    scrubbed = set(ERASED_FIELDS) | {"name"}
    entries = session.scalars(select(AuditLog).where(
        AuditLog.entity_type == CommunityGroup.__tablename__, AuditLog.entity_id == group.id))
    for entry in entries:
        if entry.changes and scrubbed & set(entry.changes):
            entry.changes = {key: ("(erased)" if key in scrubbed else value)
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
