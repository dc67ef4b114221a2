"""Create, change, list and delete care homes and community groups."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.geocoding import GeocodingError, PostcodeIndex
from ..models import CareHome, CommunityGroup, User, utcnow
from . import audit, scope, versions
from .errors import Conflict, Forbidden, InvalidInput, NotFound

GEO_FIELDS = ("postcode", "lat", "lon", "geocode_precision", "nation",
              "local_authority_code", "local_authority_name")


def geocode_fields(index: PostcodeIndex, postcode: str, field: str = "postcode") -> dict[str, Any]:
    """Resolve a postcode to the location fields every record keeps, or raise InvalidInput."""
    try:
        result = index.lookup(postcode)
    except GeocodingError as exc:
        raise InvalidInput({field: [str(exc)]}) from exc
    return {
        "postcode": result.postcode,
        "lat": result.lat,
        "lon": result.lon,
        "geocode_precision": result.precision,
        "nation": result.nation,
        "local_authority_code": result.local_authority_code,
        "local_authority_name": result.local_authority_name,
    }


def _apply(session: Session, record: Any, index: PostcodeIndex, data: dict[str, Any]) -> dict:
    """Set ``data`` on ``record`` (geocoding a new postcode) and return the audit diff."""
    data = dict(data)
    postcode = data.pop("postcode", None)
    if postcode is not None and (record.postcode is None or postcode != record.postcode
                                 or record.lat is None):
        data.update(geocode_fields(index, postcode))
    changes = audit.diff(record, data)
    for key, value in data.items():
        setattr(record, key, value)
    return changes


# --- care homes -------------------------------------------------------------------------------

def fetch_in_scope(session: Session, model, record_id: int, allowed, noun: str):
    """The ``model`` row with this id if ``allowed(row)`` (404 when missing, 403 otherwise)."""
    record = session.get(model, record_id)
    if record is None:
        raise NotFound(f"There is no {noun} with id {record_id}.")
    if not allowed(record):
        raise Forbidden(f"You do not have access to this {noun}.")
    return record


def get_home(session: Session, home_id: int, user: User | None) -> CareHome:
    """The home with this id if ``user`` may see it (404 when missing, 403 outside scope)."""
    return fetch_in_scope(session, CareHome, home_id,
                          lambda home: scope.can_access_home(user, home), "care home")


def create_home(session: Session, index: PostcodeIndex, data: dict[str, Any],
                actor: audit.Actor) -> CareHome:
    home = CareHome()
    changes = _apply(session, home, index, data)
    _check_regulator_id(session, home)
    session.add(home)
    session.flush()
    audit.record(session, actor, "create", home, changes)
    versions.bump(session, versions.HOMES)
    return home


def update_home(session: Session, index: PostcodeIndex, home: CareHome, data: dict[str, Any],
                actor: audit.Actor) -> CareHome:
    changes = _apply(session, home, index, data)
    _check_regulator_id(session, home)
    if changes:
        status_only = set(changes) <= {"visiting_status", "visiting_review_date"}
        action = "status" if status_only else "update"
        audit.record(session, actor, action, home, changes)
        versions.bump(session, versions.HOMES)
    return home


def _check_regulator_id(session: Session, home: CareHome) -> None:
    """409 when another home already has this regulator's id (the database would refuse it)."""
    if not (home.regulator and home.regulator_id):
        return
    with session.no_autoflush:
        clash = session.scalar(select(CareHome.id).where(
            CareHome.regulator == home.regulator, CareHome.regulator_id == home.regulator_id,
            CareHome.id != home.id if home.id is not None else CareHome.id.is_not(None)))
    if clash is not None:
        raise Conflict(f"Care home {clash} already has {home.regulator} id {home.regulator_id}.",
                       {"regulator_id": ["Another care home already has this id."]})


def delete_home(session: Session, home: CareHome, actor: audit.Actor) -> None:
    audit.record(session, actor, "delete", home, {"name": home.name})
    session.delete(home)
    versions.bump(session, versions.HOMES)


def _filtered(query: Select, model, filters: dict[str, Any], columns: dict[str, str]) -> Select:
    """Apply the equality filters named in ``columns`` (filter -> column) and the search."""
    for key, column in columns.items():
        if filters.get(key):
            query = query.where(getattr(model, column) == filters[key])
    if filters.get("q"):
        query = query.where(_search(model, filters["q"]))
    return query.order_by(model.id)


def list_homes(user: User, filters: dict[str, Any]) -> Select:
    return _filtered(scope.homes_in_scope(user, select(CareHome)), CareHome, filters, {
        "nation": "nation", "visiting_status": "visiting_status",
        "local_authority": "local_authority_code"})


def _search(model, text: str):
    text = text.strip()
    compact = text.replace(" ", "").upper()
    return or_(
        func.lower(model.name).contains(text.lower(), autoescape=True),
        func.replace(model.postcode, " ", "").startswith(compact, autoescape=True),
    )


# --- community groups -------------------------------------------------------------------------

def get_group(session: Session, group_id: int, user: User | None, *, manage: bool = False
              ) -> CommunityGroup:
    allowed = scope.can_manage_group if manage else scope.can_view_group
    return fetch_in_scope(session, CommunityGroup, group_id,
                          lambda group: allowed(user, group), "community group")


def edit_token_for(secret: str, idempotency_key: str) -> str:
    """The private edit-link token for a registration, derived so a repeated submission of the
    same form shows the same link, yet unguessable without the server's secret."""
    return hmac.new(secret.encode(), idempotency_key.encode(), hashlib.sha256).hexdigest()


def hash_edit_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_group(session: Session, index: PostcodeIndex, data: dict[str, Any],
                 actor: audit.Actor, *, status: str, source: str,
                 privacy_notice_version: str | None = None,
                 idempotency_key: str | None = None, secret: str | None = None
                 ) -> tuple[CommunityGroup, str | None, bool]:
    """Create a group; returns ``(group, edit_token, created)``.

    With an ``idempotency_key`` a repeated submission returns the first group (``created`` is
    False) instead of storing a duplicate, even when both arrive at once.
    """
    if idempotency_key:
        existing = session.scalar(
            select(CommunityGroup).where(CommunityGroup.idempotency_key == idempotency_key))
        if existing is not None:
            return existing, edit_token_for(secret or "", idempotency_key), False
    data = dict(data)
    consent = data.pop("consent", None)
    group = CommunityGroup(status=status, source=source)
    changes = _apply(session, group, index, data)
    if consent:
        group.consent_at = utcnow()
        group.privacy_notice_version = privacy_notice_version
    if status == "approved":
        group.approved_at = utcnow()
    token = None
    if idempotency_key:
        token = edit_token_for(secret or "", idempotency_key)
        group.idempotency_key = idempotency_key
    elif source == "form":
        token = secrets.token_urlsafe(32)
    if token:
        group.edit_token_hash = hash_edit_token(token)
    if idempotency_key:
        # A savepoint, so losing a race to an identical submission leaves the outer
        # transaction usable and we can hand back the winner's record.
        try:
            with session.begin_nested():
                session.add(group)
                session.flush()
        except IntegrityError:
            existing = session.scalar(
                select(CommunityGroup).where(CommunityGroup.idempotency_key == idempotency_key))
            if existing is None:
                raise
            return existing, token, False
    else:
        session.add(group)
        session.flush()
    audit.record(session, actor, "create", group, changes | {"status": status, "source": source})
    versions.bump(session, versions.PARTNERS)
    return group, token, True


def update_group(session: Session, index: PostcodeIndex, group: CommunityGroup,
                 data: dict[str, Any], actor: audit.Actor) -> CommunityGroup:
    data = dict(data)
    data.pop("consent", None)
    new_status = data.get("status")
    if new_status == "approved" and group.status != "approved":
        data["approved_at"] = utcnow()
    changes = _apply(session, group, index, data)
    if changes:
        status_only = set(changes) <= {"status", "status_reason", "approved_at"}
        action = "status" if status_only else "update"
        audit.record(session, actor, action, group, changes)
        versions.bump(session, versions.PARTNERS)
    return group


def delete_group(session: Session, group: CommunityGroup, actor: audit.Actor) -> None:
    audit.record(session, actor, "delete", group, {"name": group.name})
    session.delete(group)
    versions.bump(session, versions.PARTNERS)


def list_groups(user: User, filters: dict[str, Any]) -> Select:
    return _filtered(scope.groups_in_scope(user, select(CommunityGroup)), CommunityGroup,
                     filters, {"nation": "nation", "kind": "kind", "status": "status",
                               "local_authority": "local_authority_code"})


def visible_home_ids(session: Session, user: User, ids: list[int]) -> set[int]:
    """Which of these homes ``user`` may see."""
    if not ids:
        return set()
    query = scope.homes_in_scope(user, select(CareHome.id).where(CareHome.id.in_(ids)))
    return set(session.scalars(query))
