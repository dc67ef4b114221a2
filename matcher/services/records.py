"""Create, change, list and delete care homes and community groups."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.geocoding import GeocodingError, PostcodeIndex
from ..models import CareHome, CommunityGroup, User, utcnow
from . import audit, notifications, privacy, scope, versions
from .errors import Conflict, Forbidden, InvalidInput, NotFound

PUBLIC_FORM = audit.Actor("public-form")

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


# --- the one write path -----------------------------------------------------------------------
# The API, the pages, the imports, the Open Referral importer and the demo loader all create
# and change records through these, so every record follows the same rules: a regulator id
# belongs to one home per regulator, consent is recorded as a time and the privacy notice's
# version, and a group starts approved (stamped) or pending according to who adds it.

def new_home(data: dict[str, Any], geo: dict[str, Any]) -> CareHome:
    """A care home (not yet added) from validated input and its location fields."""
    return CareHome(**{**data, **geo})


def new_group(data: dict[str, Any], geo: dict[str, Any], *, status: str, source: str,
              consent: bool = False, privacy_notice_version: str | None = None
              ) -> CommunityGroup:
    """A group (not yet added) from validated input and its location fields.

    ``consent`` is the person's own agreement to the privacy notice (the API's and the
    form's ``consent: true``); it is stored as the time and the notice's version. An import
    cannot give it for them, so an imported group's consent stays empty.
    """
    group = CommunityGroup(**{**data, **geo}, status=status, source=source)
    now = utcnow()
    if consent:
        if not privacy_notice_version:
            raise ValueError("consent needs the privacy notice's version")
        group.consent_at = now
        group.privacy_notice_version = privacy_notice_version
    if status == "approved":
        group.approved_at = now
    return group


def change_record(record: Any, wanted: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the fields of ``wanted`` that differ on ``record``; returns the audit diff."""
    changes = audit.diff(record, wanted)
    for key in changes:
        setattr(record, key, wanted[key])
    return changes


def by_regulator_id(session: Session, pairs: Iterable[tuple[str, str]], *columns,
                    chunk: int = 500) -> Iterator[Any]:
    """The homes (or their ``columns``) holding any of the ``(regulator, regulator id)``
    pairs: one query per regulator and ``chunk`` of its ids, which PostgreSQL answers from
    the unique index (a list of pairs was a scan each time: 13 s of a 15,000-home
    re-import)."""
    ids_of: dict[str, list[str]] = {}
    for regulator, regulator_id in sorted(set(pairs)):
        ids_of.setdefault(regulator, []).append(regulator_id)
    for regulator, ids in ids_of.items():
        for start in range(0, len(ids), chunk):
            where = (CareHome.regulator == regulator,
                     CareHome.regulator_id.in_(ids[start:start + chunk]))
            if columns:
                yield from session.execute(select(*columns).where(*where))
            else:
                yield from session.scalars(select(CareHome).where(*where))


def regulator_id_clashes(session: Session, homes: list[CareHome]) -> dict[int, str]:
    """``{position in homes: message}`` for each home whose regulator's id another home
    already has (in the database or earlier in ``homes``); one query per 500 homes."""
    wanted: dict[tuple[str, str], list[int]] = {}
    for position, home in enumerate(homes):
        if home.regulator and home.regulator_id:
            wanted.setdefault((home.regulator, home.regulator_id), []).append(position)
    if not wanted:
        return {}
    holders: dict[tuple[str, str], set[int]] = {}
    with session.no_autoflush:
        for regulator, regulator_id, home_id in by_regulator_id(
                session, wanted, CareHome.regulator, CareHome.regulator_id, CareHome.id):
            holders.setdefault((regulator, regulator_id), set()).add(home_id)
    clashes: dict[int, str] = {}
    for pair, positions in wanted.items():
        owners = holders.get(pair, set())
        claimed = False  # by an earlier home of this batch that may keep it
        for position in positions:
            home = homes[position]
            others = owners - {home.id} if home.id is not None else owners
            if others:
                clashes[position] = f"Care home {min(others)} already has {pair[0]} id {pair[1]}."
            elif claimed:
                clashes[position] = f"Another care home here already has {pair[0]} id {pair[1]}."
            else:
                claimed = True
    return clashes


def check_regulator_ids(session: Session, homes: list[CareHome]) -> None:
    """409 for the first home whose regulator's id another home already has."""
    clashes = regulator_id_clashes(session, homes)
    if clashes:
        raise Conflict(clashes[min(clashes)],
                       {"regulator_id": ["Another care home already has this id."]})


def store(session: Session, actor: audit.Actor, version: str, *, new: Sequence[Any] = (),
          changed: Sequence[tuple[Any, dict]] = (),
          describe: Callable[[Any], dict[str, Any]] | None = None,
          status_fields: frozenset[str] = frozenset()) -> None:
    """Write new and changed records: one flush for all the new ones, an audit entry for
    each record (``describe(record)`` for a new one; ``status`` for a change of only
    ``status_fields``), and the data marked as changed once."""
    changed = [(record, changes) for record, changes in changed if changes]
    if new:
        session.add_all(new)
        session.flush()
        for record in new:
            audit.record(session, actor, "create", record, describe(record) if describe else {})
    for record, changes in changed:
        action = "status" if status_fields and set(changes) <= status_fields else "update"
        audit.record(session, actor, action, record, changes)
    if new or changed:
        versions.bump(session, version)


HOME_STATUS_FIELDS = frozenset({"visiting_status", "visiting_review_date"})
GROUP_STATUS_FIELDS = frozenset({"status", "status_reason", "approved_at"})


# --- care homes -------------------------------------------------------------------------------

def not_found(noun: str, record_id: int) -> NotFound:
    """The one answer for a record that does not exist or lies outside the caller's scope."""
    return NotFound(f"There is no {noun} with id {record_id}.")


def fetch_in_scope(session: Session, model, record_id: int, allowed, noun: str, *,
                   visible=None):
    """The ``model`` row with this id if ``allowed(row)``.

    A row the caller may not even see (``visible``, by default ``allowed``) is answered
    exactly as a missing one, 404 with the same message, so that nobody learns which ids
    exist outside their scope; a row they may see but not change this way is a 403.
    """
    record = session.get(model, record_id)
    if record is None or not (visible or allowed)(record):
        raise not_found(noun, record_id)
    if not allowed(record):
        raise Forbidden(f"You do not have access to this {noun}.")
    return record


def get_home(session: Session, home_id: int, user: User | None) -> CareHome:
    """The home with this id if ``user`` may see it (404 when missing or outside scope)."""
    return fetch_in_scope(session, CareHome, home_id,
                          lambda home: scope.can_access_home(user, home), "care home")


def create_home(session: Session, index: PostcodeIndex, data: dict[str, Any],
                actor: audit.Actor) -> CareHome:
    """Add a care home (no authorisation: see :func:`add_home` for a user's request)."""
    data = dict(data)
    postcode = data.pop("postcode")
    geo = geocode_fields(index, postcode)
    home = new_home(data, geo)
    changes = audit.diff(CareHome(), {**data, **geo})
    check_regulator_ids(session, [home])
    store(session, actor, versions.HOMES, new=[home], describe=lambda _h: changes)
    return home


def update_home(session: Session, index: PostcodeIndex, home: CareHome, data: dict[str, Any],
                actor: audit.Actor) -> CareHome:
    changes = _apply(session, home, index, data)
    check_regulator_ids(session, [home])
    store(session, actor, versions.HOMES, changed=[(home, changes)],
          status_fields=HOME_STATUS_FIELDS)
    return home


def add_home(session: Session, index: PostcodeIndex, user: User, data: dict[str, Any]
             ) -> CareHome:
    """A coordinator (for their own nation) or an admin adds a care home."""
    scope.require_create(user, "care homes")
    home = create_home(session, index, data, audit.Actor.for_user(user))
    scope.require_own_nation(user, home)
    return home


def change_home(session: Session, index: PostcodeIndex, user: User, home_id: int,
                data: dict[str, Any]) -> CareHome:
    """Change a home the user may access (a coordinator cannot move it to another nation,
    nor can its staff: a new postcode in another nation is a 422 on ``postcode``)."""
    home = get_home(session, home_id, user)
    if "status" in data and data["status"] != home.status and not scope.can_create(user):
        raise Forbidden("Only coordinators and admins may change whether a care home is on "
                        "its regulator's register.")
    nation, visiting = home.nation, home.visiting_status
    update_home(session, index, home, data, audit.Actor.for_user(user))
    if home.visiting_status != visiting and home.visiting_status != "open":
        from .reminders import visiting_restricted
        visiting_restricted(session, home)
    if home.nation != nation and not scope.can_move_between_nations(user):
        raise InvalidInput({"postcode": [
            f"This postcode is in {home.nation}, not {nation}. Moving a care home to another "
            "nation needs your network coordinator: ask them to change the postcode."]})
    scope.require_own_nation(user, home)
    return home


def remove_home(session: Session, user: User, home_id: int) -> None:
    """Remove a home and its introductions (coordinators of its nation and admins)."""
    home = get_home(session, home_id, user)
    scope.require_remove_home(user)
    delete_home(session, home, audit.Actor.for_user(user))


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
        query = query.where(text_search(model, filters["q"]))
    return query.order_by(model.id)


def list_homes(user: User, filters: dict[str, Any]) -> Select:
    """The homes ``user`` may see; ``status`` ``active`` unless asked (``all`` for both)."""
    query = scope.homes_in_scope(user, select(CareHome))
    status = filters.get("status") or "active"
    if status != "all":
        query = query.where(CareHome.status == status)
    return _filtered(query, CareHome, filters, {
        "nation": "nation", "visiting_status": "visiting_status",
        "local_authority": "local_authority_code"})


def text_search(model, text: str, *, town: bool = False):
    """Rows of ``model`` (a home or a group) whose name holds ``text`` in any case or whose
    postcode starts with it in any spacing; with ``town``, also whose town holds it."""
    text = text.strip()
    compact = text.replace(" ", "").upper()
    clauses = [func.lower(model.name).contains(text.lower(), autoescape=True),
               func.replace(model.postcode, " ", "").startswith(compact, autoescape=True)]
    if town:
        clauses.append(func.lower(model.town).contains(text.lower(), autoescape=True))
    return or_(*clauses)


# --- community groups -------------------------------------------------------------------------

def get_group(session: Session, group_id: int, user: User | None, *, manage: bool = False
              ) -> CommunityGroup:
    """The group with this id if ``user`` may see it (or manage it, with ``manage``): 404 when
    missing or out of sight, 403 when seen but not managed (care-home staff)."""
    allowed = scope.can_manage_group if manage else scope.can_view_group
    return fetch_in_scope(session, CommunityGroup, group_id,
                          lambda group: allowed(user, group), "community group",
                          visible=lambda group: scope.can_view_group(user, group))


def edit_token_for(secret: str, idempotency_key: str) -> str:
    """The private edit-link token for a registration, derived so a repeated submission of the
    same form shows the same link, yet unguessable without the server's secret."""
    return hmac.new(secret.encode(), idempotency_key.encode(), hashlib.sha256).hexdigest()


def hash_edit_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Who adds a group decides where it starts: coordinators, admins and their imports vouch for
# it; the public form and third-party feeds wait for a coordinator's review.
INITIAL_STATUS = {"api": "approved", "import": "approved", "demo": "approved",
                  "form": "pending", "oruk": "pending"}


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
    consent = bool(data.pop("consent", None))
    postcode = data.pop("postcode")
    geo = geocode_fields(index, postcode)
    changes = audit.diff(CommunityGroup(), {**data, **geo})
    group = new_group(data, geo, status=status, source=source, consent=consent,
                      privacy_notice_version=privacy_notice_version)
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
    store(session, actor, versions.PARTNERS, new=[group],
          describe=lambda _g: changes | {"status": status, "source": source})
    return group, token, True


def update_group(session: Session, index: PostcodeIndex, group: CommunityGroup,
                 data: dict[str, Any], actor: audit.Actor, *, notify: bool = True
                 ) -> CommunityGroup:
    data = dict(data)
    data.pop("consent", None)
    new_status = data.get("status")
    if new_status == "withdrawn" and group.status != "withdrawn":
        # Withdrawing erases, whoever does it: the other fields sent with it go too.
        return privacy.erase_group(session, group, actor, reason=data.get("status_reason")
                                   or "Withdrawn by the network coordinator.")
    old_status = group.status
    if new_status == "approved" and group.status != "approved":
        data["approved_at"] = utcnow()
    changes = _apply(session, group, index, data)
    store(session, actor, versions.PARTNERS, changed=[(group, changes)],
          status_fields=GROUP_STATUS_FIELDS)
    # Approved or declined, by page or API: the group hears of it (unless the caller sends
    # an email of its own about the decision, as a merge does).
    if notify:
        notifications.registration_decided(session, group, old_status)
    return group


def delete_group(session: Session, group: CommunityGroup, actor: audit.Actor) -> None:
    """Erase the group's personal data (and its trail's copies), then delete the row and
    its introductions; the audit keeps a ``delete`` entry without the erased content."""
    privacy.erase_group(session, group, actor, action="delete",
                        reason="Removed by the network coordinator.")
    session.flush()
    session.delete(group)
    versions.bump(session, versions.PARTNERS)


def add_group(session: Session, index: PostcodeIndex, user: User, data: dict[str, Any], *,
              privacy_notice_version: str) -> CommunityGroup:
    """A coordinator (for their own nation) or an admin adds a group: approved at once."""
    scope.require_create(user, "groups")
    group, _, _ = create_group(session, index, data, audit.Actor.for_user(user),
                               status=INITIAL_STATUS["api"], source="api",
                               privacy_notice_version=privacy_notice_version)
    scope.require_own_nation(user, group)
    return group


def register_group(session: Session, index: PostcodeIndex, data: dict[str, Any], *,
                   privacy_notice_version: str, idempotency_key: str | None, secret: str
                   ) -> tuple[CommunityGroup, str | None, bool]:
    """The public form's registration: pending until a coordinator approves it. The group's
    contact is emailed its private edit link (once, however often the form is sent)."""
    group, token, created = create_group(
        session, index, data, PUBLIC_FORM, status=INITIAL_STATUS["form"], source="form",
        privacy_notice_version=privacy_notice_version, idempotency_key=idempotency_key,
        secret=secret)
    if created:
        notifications.registration_received(session, group, token)
    return group, token, created


def change_group(session: Session, index: PostcodeIndex, user: User, group_id: int,
                 data: dict[str, Any]) -> CommunityGroup:
    """Change a group its nation's coordinator or an admin manages (not into another nation)."""
    group = get_group(session, group_id, user, manage=True)
    update_group(session, index, group, data, audit.Actor.for_user(user))
    scope.require_own_nation(user, group)
    return group


def remove_group(session: Session, user: User, group_id: int) -> None:
    """Remove a group and its introductions (coordinators of its nation and admins)."""
    group = get_group(session, group_id, user, manage=True)
    delete_group(session, group, audit.Actor.for_user(user))


def group_for_token(session: Session, token: str) -> CommunityGroup | None:
    """The group whose private edit link carries ``token``, if any."""
    if not token or len(token) > 200:
        return None
    return session.scalar(select(CommunityGroup).where(
        CommunityGroup.edit_token_hash == hash_edit_token(token)))


def link_actor(group: CommunityGroup) -> audit.Actor:
    return audit.Actor(f"group-link:{group.id}")


# What care homes and the open feed show of a group in its own words, and the safeguarding
# claims homes rely on: once a group is approved, a change it makes to these through its
# link waits for a coordinator. Contact details, postcode, travel distance, availability,
# capacity and remote contact apply at once (private, or practical facts the group knows).
REVIEWED_FIELDS = ("name", "kind", "description", "interests", "languages",
                   "works_with_children", "safeguarding_scheme", "safeguarding_status",
                   "safeguarding_expires_on")


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def change_group_by_link(session: Session, index: PostcodeIndex, group: CommunityGroup,
                         data: dict[str, Any]) -> CommunityGroup:
    """The group itself changes its details through its private link.

    While it is approved, changes to :data:`REVIEWED_FIELDS` are kept in
    ``pending_changes`` for a coordinator (:func:`decide_changes`) and what is published
    stays as it was; the rest applies at once. Before approval everything applies: the
    coordinator reviews the whole registration anyway.
    """
    actor = link_actor(group)
    data = dict(data)
    if group.status == "approved":
        before = dict(group.pending_changes or {})
        proposed = dict(before)
        for key in REVIEWED_FIELDS:
            if key not in data:
                continue
            value = _stored(data.pop(key))
            if value == _stored(getattr(group, key)):
                proposed.pop(key, None)  # back to the published version
            else:
                proposed[key] = value
        if proposed != before:
            group.pending_changes = proposed or None
            audit.record(session, actor, "propose", group, {
                key: [_stored(getattr(group, key)), value] for key, value in proposed.items()
                if before.get(key) != value})
    return update_group(session, index, group, data, actor)


def decide_changes(session: Session, index: PostcodeIndex, user: User, group_id: int,
                   decision: str) -> CommunityGroup:
    """A coordinator publishes (``approve``) or drops (``decline``) the changes a group
    proposed through its link (409 when none are waiting)."""
    group = get_group(session, group_id, user, manage=True)
    if decision not in ("approve", "decline"):
        raise InvalidInput({"decision": [f"Unknown decision {decision!r}."]})
    proposed = dict(group.pending_changes or {})
    if not proposed:
        raise Conflict("This group has no changes waiting for approval.")
    group.pending_changes = None
    actor = audit.Actor.for_user(user)
    if decision == "decline":
        audit.record(session, actor, "decline", group, {"pending_changes": sorted(proposed)})
        return group
    expires = proposed.get("safeguarding_expires_on")
    if expires:
        proposed["safeguarding_expires_on"] = dt.date.fromisoformat(expires)
    return update_group(session, index, group, proposed, actor)


# A coordinator's decision on a group, as the change it makes.
DECISIONS = {
    "approve": lambda reason: {"status": "approved", "status_reason": None},
    "reinstate": lambda reason: {"status": "approved", "status_reason": None},
    "reject": lambda reason: {"status": "rejected", "status_reason": reason},
    "pause": lambda reason: {"status": "paused", "status_reason": reason or None},
}


def decide_group(session: Session, index: PostcodeIndex, user: User, group_id: int,
                 decision: str, reason: str = "") -> CommunityGroup:
    """Approve, reject (with a reason), pause or reinstate a group the user manages."""
    group = get_group(session, group_id, user, manage=True)
    if decision not in DECISIONS:
        raise InvalidInput({"decision": [f"Unknown decision {decision!r}."]})
    return update_group(session, index, group, DECISIONS[decision](reason),
                        audit.Actor.for_user(user))


def list_groups(user: User, filters: dict[str, Any]) -> Select:
    return _filtered(scope.groups_in_scope(user, select(CommunityGroup)), CommunityGroup,
                     filters, {"nation": "nation", "kind": "kind", "status": "status",
                               "local_authority": "local_authority_code"})
