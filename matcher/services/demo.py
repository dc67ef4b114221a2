"""Load the invented demo network from ``data/demo`` (idempotent: keyed by each record's key).

Only what is missing is loaded: a demo record already in the database is left exactly as it
is, so running ``seed-demo`` again (every ``make run`` does) never undoes a user's edits.

Records go through the same write path as the API's (:mod:`.records`): the same geocoding,
regulator-id check, consent stamp and audit trail.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.catalogue import NATIONS
from ..domain.geocoding import PostcodeIndex
from ..models import CareHome, CommunityGroup, User
from . import records
from .audit import SYSTEM
from .errors import Conflict

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "demo"


def load_demo(session: Session, index: PostcodeIndex, home_schema: ma.Schema,
              group_schema: ma.Schema, *, privacy_notice_version: str,
              directory: Path = DEMO_DIR) -> dict[str, int]:
    """Create every demo home and group not yet in the database; returns counts by outcome
    (``*_kept``: already there, left untouched) and ``homes_left_out``, why a demo home could
    not be created (another home has its regulator id)."""
    counts: dict[str, Any] = {"homes_created": 0, "homes_kept": 0, "groups_created": 0,
                              "groups_kept": 0, "homes_left_out": []}
    homes = json.loads((directory / "care_homes.json").read_text(encoding="utf-8"))
    groups = json.loads((directory / "groups.json").read_text(encoding="utf-8"))
    for raw in homes:
        key = raw["key"]
        if session.scalar(select(CareHome.id).where(CareHome.external_key == key)) is not None:
            counts["homes_kept"] += 1
            continue
        data = home_schema.load({k: v for k, v in raw.items() if k != "key"}, unknown=ma.EXCLUDE)
        data["external_key"] = key
        try:
            records.create_home(session, index, data, SYSTEM)
        except Conflict as exc:
            # Someone gave another home this demo home's regulator id (after deleting the
            # demo one): theirs stands, and the demo goes on without it.
            counts["homes_left_out"].append(f"{raw['name']}: {exc}")
            continue
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


# The demo's own sign-ins: one coordinator per nation, an admin and the staff of the Welsh home
# whose suggestions the README's tour opens. Addresses use a reserved domain (RFC 2606), so
# mail to them can never reach anyone.
DEMO_DOMAIN = "demo.kith.example"
TOUR_HOME_KEY = "demo-home-024"  # Plas Eryri, Caernarfon: Welsh hymns and male voice choirs


def demo_accounts(session: Session) -> list[dict[str, Any]]:
    """The demo sign-ins to create: email, role and scope (only for the demo data)."""
    home_id = session.scalar(select(CareHome.id).where(CareHome.external_key == TOUR_HOME_KEY))
    accounts: list[dict[str, Any]] = [{"email": f"admin@{DEMO_DOMAIN}", "role": "admin"}]
    accounts += [{"email": f"coordinator.{n.code}@{DEMO_DOMAIN}", "role": "coordinator",
                  "nation": n.code} for n in NATIONS]
    if home_id is not None:
        accounts.append({"email": f"staff.plas-eryri@{DEMO_DOMAIN}", "role": "care_home",
                         "care_home_id": home_id})
    return accounts


def create_demo_sign_ins(session: Session) -> tuple[list[dict[str, Any]], int | None]:
    """Create the demo sign-ins that do not exist yet, each with a generated password.

    Returns the accounts created (with their passwords, which are not kept anywhere else: the
    caller writes them where the person running the demo can read them) and the id of the
    tour's care home. Existing accounts are left alone, passwords included.
    """
    from . import accounts as accounts_service

    created = []
    for account in demo_accounts(session):
        if session.scalar(select(User.id).where(User.email == account["email"])) is not None:
            continue
        password = secrets.token_urlsafe(12)
        accounts_service.create_user(session, account["email"], account["role"],
                                     nation=account.get("nation"),
                                     care_home_id=account.get("care_home_id"),
                                     password=password)
        created.append({**account, "password": password})
    home_id = session.scalar(select(CareHome.id).where(CareHome.external_key == TOUR_HOME_KEY))
    return created, home_id
