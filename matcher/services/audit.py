"""The audit trail: who changed what, and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from ..models import AuditLog
from . import scope


@dataclass(frozen=True)
class Actor:
    """Whoever is making a change: a signed-in user, a group's private link, or the system."""

    label: str
    user_id: int | None = None

    @classmethod
    def for_user(cls, user) -> Actor:
        return cls(label=f"user:{user.id}:{user.email}", user_id=user.id)


SYSTEM = Actor("system")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def diff(record: Any, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Return ``{field: [old, new]}`` for the fields whose value would change."""
    out = {}
    for key, new in changes.items():
        old = getattr(record, key, None)
        if old != new:
            out[key] = [_jsonable(old), _jsonable(new)]
    return out


# Personal fields are recorded as changed without their values, so the audit trail never
# becomes a second copy of data that a withdrawal must erase.
PRIVATE_FIELDS = {"contact_name", "contact_email", "contact_phone", "password_hash",
                  "edit_token_hash", "idempotency_key"}


def record(session: Session, actor: Actor, action: str, entity: Any,
           changes: dict[str, Any] | None = None) -> AuditLog:
    """Add one audit entry for ``action`` on ``entity`` to the session."""
    safe = {
        k: ("(changed)" if k in PRIVATE_FIELDS else v) for k, v in (changes or {}).items()
    }
    entry = AuditLog(
        actor=actor.label,
        user_id=actor.user_id,
        action=action,
        entity_type=type(entity).__tablename__,
        entity_id=getattr(entity, "id", None),
        changes=safe,
    )
    session.add(entry)
    return entry


def _utc(value: dt.datetime) -> dt.datetime:
    # A time without an offset is taken as UTC, like every time the log stores.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def search_for(user: Any, filters: dict[str, Any]) -> Select:
    """:func:`search` for an admin (403 for everyone else)."""
    scope.require_audit(user)
    return search(filters)


def search(filters: dict[str, Any]) -> Select:
    """Audit entries, newest first, filtered by ``entity_type``, ``entity_id``, ``action``,
    ``actor`` (a user id, or part of the actor's label) and ``since``/``until`` times."""
    query = select(AuditLog)
    if filters.get("entity_type"):
        query = query.where(AuditLog.entity_type == filters["entity_type"])
    if filters.get("entity_id") is not None:
        query = query.where(AuditLog.entity_id == filters["entity_id"])
    if filters.get("action"):
        query = query.where(AuditLog.action == filters["action"])
    actor = (filters.get("actor") or "").strip()
    if actor.isdigit():
        query = query.where(AuditLog.user_id == int(actor))
    elif actor:
        query = query.where(func.lower(AuditLog.actor).contains(actor.lower(), autoescape=True))
    if filters.get("since"):
        query = query.where(AuditLog.at >= _utc(filters["since"]))
    if filters.get("until"):
        query = query.where(AuditLog.at < _utc(filters["until"]))
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def retention_cutoff(days: int, now: dt.datetime | None = None) -> dt.datetime:
    """Entries written before this time are past a retention of ``days`` days."""
    if days < 0:
        raise ValueError("The number of days cannot be negative.")
    return (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)


def purge_before(session: Session, cutoff: dt.datetime, *, dry_run: bool = False) -> int:
    """Delete the audit entries written before ``cutoff`` (the retention period set by
    ``AUDIT_RETENTION_DAYS``); returns how many were (or, with ``dry_run``, would be)."""
    old = AuditLog.at < _utc(cutoff)
    count = session.scalar(select(func.count()).select_from(AuditLog).where(old)) or 0
    if count and not dry_run:
        session.execute(delete(AuditLog).where(old), execution_options={
            "synchronize_session": False})
    return count
