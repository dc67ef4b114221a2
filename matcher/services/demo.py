"""Load the invented demo network from ``data/demo`` (idempotent: keyed by each record's key).

Only what is missing is loaded: a demo record already in the database is left exactly as it
is, so running ``seed-demo`` again (every ``make run`` does) never undoes a user's edits.

Records go through the same write path as the API's (:mod:`.records`): the same geocoding,
regulator-id check, consent stamp and audit trail.
"""

from __future__ import annotations

import json
from pathlib import Path

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.geocoding import PostcodeIndex
from ..models import CareHome, CommunityGroup
from . import records
from .audit import SYSTEM

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "demo"


def load_demo(session: Session, index: PostcodeIndex, home_schema: ma.Schema,
              group_schema: ma.Schema, *, privacy_notice_version: str,
              directory: Path = DEMO_DIR) -> dict[str, int]:
    """Create every demo home and group not yet in the database; returns counts by outcome
    (``*_kept``: already there, left untouched)."""
    counts = {"homes_created": 0, "homes_kept": 0, "groups_created": 0, "groups_kept": 0}
    homes = json.loads((directory / "care_homes.json").read_text(encoding="utf-8"))
    groups = json.loads((directory / "groups.json").read_text(encoding="utf-8"))
    for raw in homes:
        key = raw["key"]
        if session.scalar(select(CareHome.id).where(CareHome.external_key == key)) is not None:
            counts["homes_kept"] += 1
            continue
        data = home_schema.load({k: v for k, v in raw.items() if k != "key"}, unknown=ma.EXCLUDE)
        data["external_key"] = key
        records.create_home(session, index, data, SYSTEM)
        counts["homes_created"] += 1
    for raw in groups:
        key = raw["key"]
        if session.scalar(select(CommunityGroup.id)
                          .where(CommunityGroup.external_key == key)) is not None:
            counts["groups_kept"] += 1
            continue
        status = raw.get("status", records.INITIAL_STATUS["demo"])
        payload = {k: v for k, v in raw.items() if k not in ("key", "status")}
        data = group_schema.load(payload, unknown=ma.EXCLUDE)
        data["external_key"] = key
        records.create_group(session, index, data, SYSTEM, status=status, source="demo",
                             privacy_notice_version=privacy_notice_version)
        counts["groups_created"] += 1
    return counts
