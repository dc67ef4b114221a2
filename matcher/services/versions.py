"""Data versions: one token per kind of record that matching depends on."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import DataVersion

PARTNERS = "partners"
HOMES = "homes"

_local_changes = 0


def local_changes() -> int:
    """How many times this process has bumped a version: a cache that last looked at a
    different count must read the database again rather than wait for its next check."""
    return _local_changes


def bump(session: Session, name: str) -> None:
    """Mark ``name`` as changed; committed with the change that caused it."""
    global _local_changes
    _local_changes += 1
    token = uuid.uuid4().hex
    result = session.execute(
        update(DataVersion).where(DataVersion.name == name).values(version=token)
    )
    if result.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(DataVersion(name=name, version=token))
        except IntegrityError:  # another writer created the row first
            session.execute(
                update(DataVersion).where(DataVersion.name == name).values(version=token))


def current(session: Session, name: str) -> str:
    """The version token of ``name`` ("" before any change)."""
    return session.scalar(select(DataVersion.version).where(DataVersion.name == name)) or ""
