"""Load the invented demo network from ``data/demo`` (idempotent: keyed by each record's key).

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
    """Create or update every demo home and group; returns counts by outcome."""
    counts = {"homes_created": 0, "homes_updated": 0, "groups_created": 0, "groups_updated": 0}
    homes = json.loads((directory / "care_homes.json").read_text(encoding="utf-8"))
    groups = json.loads((directory / "groups.json").read_text(encoding="utf-8"))
    for raw in homes:
        key = raw["key"]
        data = home_schema.load({k: v for k, v in raw.items() if k != "key"}, unknown=ma.EXCLUDE)
        data["external_key"] = key
        home = session.scalar(select(CareHome).where(CareHome.external_key == key))
        if home is None:
            records.create_home(session, index, data, SYSTEM)
            counts["homes_created"] += 1
        else:
            records.update_home(session, index, home, data, SYSTEM)
            counts["homes_updated"] += 1
    for raw in groups:
        key = raw["key"]
        status = raw.get("status", records.INITIAL_STATUS["demo"])
        payload = {k: v for k, v in raw.items() if k not in ("key", "status")}
        data = group_schema.load(payload, unknown=ma.EXCLUDE)
        data["external_key"] = key
        group = session.scalar(select(CommunityGroup).where(CommunityGroup.external_key == key))
        if group is None:
            records.create_group(session, index, data, SYSTEM, status=status, source="demo",
                                 privacy_notice_version=privacy_notice_version)
            counts["groups_created"] += 1
        else:
            data["status"] = status
            records.update_group(session, index, group, data, SYSTEM)
            counts["groups_updated"] += 1
    return counts
