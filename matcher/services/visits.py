"""Visits: planning them on an introduction, their occurrences, changes and cancellations.

A visit belongs to an ``introduced`` or ``active`` introduction; planning the first one makes
an ``introduced`` introduction ``active``. In-person visits need the home open to visitors.
A series' occurrences are expanded by :mod:`matcher.domain.visits`; only those whose status is
not ``planned`` are stored (:class:`VisitOccurrence`). Every change carries the version it was
made from: a change from a stale copy is a 409, never a lost update.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..domain import catalogue
from ..domain import visits as rules
from ..models import CareHome, Introduction, User, Visit, VisitOccurrence, utcnow
from . import audit, introductions, outcomes, scope
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .records import fetch_in_scope

PLANNABLE = catalogue.VISIT_INTRODUCTION_STATUSES
DEFAULT_WINDOW = dt.timedelta(days=92)
MAX_WINDOW = dt.timedelta(days=400)
# Fields of a visit a change may give, besides status changes.
SERIES_FIELDS = ("starts_at", "duration_minutes", "mode", "repeat", "repeat_until", "notes")


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands stored UTC times back without their offset.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def series_of(visit: Visit) -> rules.Series:
    """The domain's view of a stored visit (its first start in UK time)."""
    return rules.Series(dt.datetime.fromisoformat(visit.start_local), visit.duration_minutes,
                        visit.repeat, visit.repeat_until)


def statuses_of(visit: Visit) -> dict[str, str]:
    """Occurrence key -> status of the occurrences that are not just planned."""
    if visit.state == "cancelled":
        return _AllCancelled({o.key: o.status for o in visit.occurrences})
    return {o.key: o.status for o in visit.occurrences}


class _AllCancelled(dict):
    """A cancelled series: every occurrence not already done or missed is cancelled."""

    def get(self, key, default=None):
        return super().get(key) if super().get(key) in ("done", "missed") else "cancelled"


def occurrences(visit: Visit, *, after: dt.datetime | None = None,
                before: dt.datetime | None = None) -> list[rules.Occurrence]:
    """The visit's occurrences overlapping ``[after, before)``, with their statuses; stored
    occurrences the series no longer produces (it was moved) are kept as they were."""
    found = rules.expand(series_of(visit), statuses_of(visit), after=after, before=before)
    produced = {o.key for o in found}
    length = dt.timedelta(minutes=visit.duration_minutes)
    for row in visit.occurrences:
        start = rules.local(_aware(row.starts_at))
        if row.key in produced or (after and start + length <= after) or (
                before and start >= before):
            continue
        found.append(rules.Occurrence(row.key, start, start + length, row.status))
    return sorted(found, key=lambda o: o.starts_at)


def _span(series: rules.Series) -> tuple[dt.datetime, dt.datetime]:
    every = rules.starts(series)
    first, last = every[0], every[-1]
    return first, last + dt.timedelta(minutes=series.duration_minutes)


def _check_mode(home: CareHome, mode: str) -> None:
    # The home's stored visiting status forbids it: a conflict (409), not bad input.
    if mode in rules.IN_PERSON_MODES and home.visiting_status != "open":
        message = rules.restricted_message(home.visiting_status)
        raise Conflict(message, {"mode": [message]})


STORED_CONFLICT = "This change does not fit the visit as stored: see 'errors'."


def _series_from(data: dict[str, Any], base: rules.Series | None = None) -> rules.Series:
    values: dict[str, Any] = {} if base is None else {
        "starts_at": base.starts_at, "duration_minutes": base.duration_minutes,
        "repeat": base.repeat, "repeat_until": base.repeat_until}
    values.update({k: data[k] for k in ("starts_at", "duration_minutes", "repeat",
                                        "repeat_until") if k in data})
    repeat = values.get("repeat") or rules.ONE_OFF
    if repeat == rules.ONE_OFF and "repeat_until" not in data:
        values["repeat_until"] = None  # a series made a one-off loses its end date
    return rules.Series(values["starts_at"], int(values["duration_minutes"]), repeat,
                        values.get("repeat_until"))


def series_notes(data: dict[str, Any]) -> tuple[rules.Note, ...]:
    """What planning ``data`` would change in its series (:func:`rules.normalise`): the
    pages show these as errors to correct rather than change what a person typed."""
    return rules.normalise(_series_from(data))[1]


def _store_times(visit: Visit, series: rules.Series) -> None:
    first, end = _span(series)
    visit.starts_at = first.astimezone(dt.UTC)
    visit.start_local = first.isoformat()
    visit.timezone = rules.TIMEZONE_NAME
    visit.ends_at = end.astimezone(dt.UTC)
    visit.duration_minutes = series.duration_minutes
    visit.repeat = series.repeat
    visit.repeat_until = series.repeat_until if series.repeat != rules.ONE_OFF else None


# --- planning ----------------------------------------------------------------------------------

def plan(session: Session, intro: Introduction, data: dict[str, Any], actor: audit.Actor, *,
         proposed_by: str = "coordinator", state: str = "confirmed",
         now: dt.datetime | None = None) -> Visit:
    """Plan a visit on ``intro`` (no authorisation: see :func:`plan_visit`)."""
    now = now or utcnow()
    if intro.status not in PLANNABLE:
        message = (f"Visits can be planned only once the introduction is "
                   f"{' or '.join(PLANNABLE)}; this one is {intro.status}.")
        raise Conflict(message, {"introduction": [message]})
    series, _notes = rules.normalise(_series_from(data))
    errors = rules.validate(series, data["mode"])
    if errors:
        raise InvalidInput(errors)
    _check_mode(intro.care_home, data["mode"])
    visit = Visit(introduction=intro, mode=data["mode"], notes=data.get("notes") or "",
                  state=state, proposed_by=proposed_by, created_by_id=actor.user_id,
                  updated_by_id=actor.user_id)
    _store_times(visit, series)
    session.add(visit)
    session.flush()
    audit.record(session, actor, "create", visit, {
        "introduction_id": intro.id, "start": visit.start_local, "mode": visit.mode,
        "repeat": visit.repeat, "repeat_until": audit._jsonable(visit.repeat_until),
        "duration_minutes": visit.duration_minutes, "state": state})
    if intro.status == "introduced" and state == "confirmed":
        introductions.transition(session, intro, "active", actor, note="First visit planned.")
    outcomes.refresh(session, intro)
    from .reminders import visit_planned
    visit_planned(session, visit, now)
    return visit


def plan_visit(session: Session, user: User, intro_id: int, data: dict[str, Any], *,
               now: dt.datetime | None = None) -> Visit:
    """``user`` plans a visit on an introduction they may see (404, 403, 409, 422)."""
    intro = introductions.get_introduction(session, intro_id, user)
    return plan(session, intro, data, audit.Actor.for_user(user), now=now)


# --- changing --------------------------------------------------------------------------------

def check_version(visit: Visit, version: int | None) -> None:
    """409 when the change was made from another version than the stored one."""
    if version is not None and version != visit.version:
        message = (f"This visit was changed by someone else (it is now version "
                   f"{visit.version}, your copy is version {version}): reload it and try "
                   f"again.")
        raise Conflict(message, {"version": [message]})


def change(session: Session, visit: Visit, data: dict[str, Any], actor: audit.Actor, *,
           now: dt.datetime | None = None, allowed_states: tuple[str, ...] | None = None
           ) -> Visit:
    """Change a visit: its times, mode or notes, its state (confirm or cancel the series), or
    one occurrence's status (``occurrence`` key + ``status``)."""
    now = now or utcnow()
    check_version(visit, data.get("version"))
    # One UPDATE per change, so the version moves on by exactly one.
    with session.no_autoflush:
        changes = _apply(session, visit, data, actor, now, allowed_states)
    if not changes:
        # Nothing differs from what is stored: the visit as it is, its version unchanged
        # (values set again to what they were are not written).
        session.expire(visit)
        return visit
    try:
        with session.begin_nested():
            session.flush()
    except StaleDataError:
        raise _stale() from None
    except IntegrityError:
        raise _stale() from None
    audit.record(session, actor, "update", visit, changes)
    from .reminders import visit_changed
    visit_changed(session, visit, changes, now)
    if visit.state == "confirmed" and visit.introduction.status == "introduced":
        introductions.transition(session, visit.introduction, "active", actor,
                                 note="First visit confirmed.")
    outcomes.refresh(session, visit.introduction)
    return visit


def _apply(session: Session, visit: Visit, data: dict[str, Any], actor: audit.Actor,
           now: dt.datetime, allowed_states: tuple[str, ...] | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if visit.state == "cancelled" and any(k in data for k in (*SERIES_FIELDS, "state",
                                                               "occurrence")):
        message = "This visit was cancelled; plan a new one instead."
        raise Conflict(message, {"state": [message]})
    series_change = {k: data[k] for k in SERIES_FIELDS if k in data}
    if series_change:
        changes.update(_change_series(visit, series_change, now))
    if data.get("occurrence") is not None:
        changes.update(_change_occurrence(session, visit, data["occurrence"],
                                          data.get("status"), data.get("note"), now))
    elif data.get("status") is not None:
        raise InvalidInput({"occurrence": ["Say which occurrence (its key) the status is "
                                           "for."]})
    if data.get("state") is not None and data["state"] != visit.state:
        if allowed_states is not None and data["state"] not in allowed_states:
            raise Forbidden("You cannot make this change to the visit.")
        if data["state"] == "proposed":
            raise InvalidInput({"state": ["A visit can be confirmed or cancelled, not "
                                          "proposed again."]})
        changes["state"] = [visit.state, data["state"]]
        visit.state = data["state"]
    if not changes:
        return changes
    visit.updated_by_id = actor.user_id
    visit.updated_at = utcnow()  # the row changes, so its version moves on
    return changes


def _stale() -> Conflict:
    message = "This visit was changed by someone else at the same time: reload it and try again."
    return Conflict(message, {"version": [message]})


def _change_series(visit: Visit, data: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    old = series_of(visit)
    series, notes = rules.normalise(_series_from(data, old))
    mode = data.get("mode", visit.mode)
    errors = rules.validate(series, mode)
    if errors:
        raise InvalidInput(errors)
    conflicts = rules.conflicts(notes, data)
    if conflicts:
        raise Conflict(STORED_CONFLICT, conflicts)
    if "mode" in data and data["mode"] != visit.mode:
        _check_mode(visit.introduction.care_home, mode)
    before = {"start": visit.start_local, "duration_minutes": visit.duration_minutes,
              "mode": visit.mode, "repeat": visit.repeat,
              "repeat_until": audit._jsonable(visit.repeat_until), "notes": visit.notes}
    _store_times(visit, series)
    visit.mode = mode
    if "notes" in data:
        visit.notes = data["notes"] or ""
    after = {"start": visit.start_local, "duration_minutes": visit.duration_minutes,
             "mode": visit.mode, "repeat": visit.repeat,
             "repeat_until": audit._jsonable(visit.repeat_until), "notes": visit.notes}
    # Future occurrences the moved series no longer has are forgotten; the past is history.
    produced = {o.key for o in rules.expand(series, {})}
    for row in list(visit.occurrences):
        if row.key not in produced and _aware(row.starts_at) > now:
            visit.occurrences.remove(row)
    return {k: [before[k], after[k]] for k in after if before[k] != after[k]}


def _change_occurrence(session: Session, visit: Visit, key: str, status: str | None,
                       note: str | None, now: dt.datetime) -> dict[str, Any]:
    if status is None:
        raise InvalidInput({"status": ["Give the occurrence's new status."]})
    try:
        start = rules.parse_key(key)
    except ValueError:
        raise InvalidInput({"occurrence": ["Not an occurrence key (its start in UTC, e.g. "
                                           "2027-01-14T10:00:00Z)."]}) from None
    known = {o.key: o for o in occurrences(visit)}
    key = rules.occurrence_key(start)
    # Both depend on what is stored (the series, the time now): conflicts, not bad input.
    if key not in known:
        message = "This visit has no occurrence at that time."
        raise Conflict(message, {"occurrence": [message]})
    if status in ("done", "missed") and start > now:
        message = f"An occurrence that has not happened yet cannot be {status}."
        raise Conflict(message, {"status": [message]})
    row = next((o for o in visit.occurrences if o.key == key), None)
    old = row.status if row else rules.PLANNED
    if row is None:
        row = VisitOccurrence(key=key, starts_at=start, status=status, note=note)
        visit.occurrences.append(row)
    row.status = status
    if note is not None:
        row.note = note
    return {"occurrence": key, "status": [old, status]}


def change_visit(session: Session, user: User, visit_id: int, data: dict[str, Any], *,
                 now: dt.datetime | None = None) -> Visit:
    """``user`` changes a visit they may see (404, 403, 409 on a stale version, 422)."""
    visit = get_visit(session, visit_id, user)
    return change(session, visit, data, audit.Actor.for_user(user), now=now)


# --- reading ---------------------------------------------------------------------------------

def get_visit(session: Session, visit_id: int, user: User | None) -> Visit:
    """The visit with this id if ``user`` may see its introduction (404 when missing or
    outside the user's scope, so ids elsewhere cannot be probed)."""
    return fetch_in_scope(session, Visit, visit_id,
                          lambda visit: scope.can_access_introduction(user, visit.introduction),
                          "visit")


# A window is held inside these: any time the document allows can be asked for (years 1 to
# 9999, whose UK time can overflow Python's calendar), and no visit is outside them.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _bounded(value: dt.datetime) -> dt.datetime:
    """``value`` as UK time, or the bound it is beyond (compared before any conversion)."""
    # A naive time is UK time, within an hour of UTC: near enough to compare with bounds
    # a century from any visit.
    probe = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if probe < EARLIEST:
        return rules.local(EARLIEST)
    if probe > LATEST:
        return rules.local(LATEST)
    return rules.local(value)


def window(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime | None = None
           ) -> tuple[dt.datetime, dt.datetime]:
    """The window used for the one asked for (UK time for times without an offset), never
    refused. Without a start it begins now, or 92 days before an end that is not after now
    (``to`` alone asks for what came before it); without an end it lasts 92 days. An end
    not after the start makes it empty (it ends where it starts); one more than 400 days
    after the start is brought back to 400 days. Times before 1900 or after 2199 count as
    1900-01-01 and 2200-01-01 UTC (no visit is outside them)."""
    now = now or utcnow()
    end = _bounded(end) if end else None
    if start:
        start = _bounded(start)
    else:
        start = rules.local(now) if end is None or end > now else end - DEFAULT_WINDOW
    end = end or start + DEFAULT_WINDOW
    return start, max(start, min(end, start + MAX_WINDOW))


def window_header(after: dt.datetime, before: dt.datetime) -> str:
    """The window as an ISO 8601 interval in UTC: ``2026-12-04T00:00:00Z/2027-03-06T00:00:00Z``."""
    return "/".join(moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
                    for moment in (after, before))


def visits_query(*, care_home_id: int | None = None, group_id: int | None = None,
                 after: dt.datetime | None = None, before: dt.datetime | None = None):
    """Visits of a home or a group (or all) that overlap the window."""
    query = select(Visit).join(Introduction, Visit.introduction_id == Introduction.id)
    if care_home_id is not None:
        query = query.where(Introduction.care_home_id == care_home_id)
    if group_id is not None:
        query = query.where(Introduction.group_id == group_id)
    if after is not None:
        query = query.where(Visit.ends_at > after.astimezone(dt.UTC))
    if before is not None:
        query = query.where(Visit.starts_at < before.astimezone(dt.UTC))
    return query.options(
        selectinload(Visit.occurrences),
        selectinload(Visit.introduction).selectinload(Introduction.care_home),
        selectinload(Visit.introduction).selectinload(Introduction.group),
    ).order_by(Visit.starts_at, Visit.id)


def occurrence_rows(visits: list[Visit], after: dt.datetime, before: dt.datetime
                    ) -> list[dict[str, Any]]:
    """Every occurrence of ``visits`` in the window, soonest first, with its visit."""
    rows = []
    for visit in visits:
        for occ in occurrences(visit, after=after, before=before):
            rows.append({"visit": visit, "occurrence": occ})
    rows.sort(key=lambda r: (r["occurrence"].starts_at, r["visit"].id))
    return rows


def list_occurrences(session: Session, user: User, filters: dict[str, Any], *,
                     now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The occurrences in a window (``from``/``to``; from now for 92 days by default) of the
    visits ``user`` may see, of one home or group if asked."""
    return occurrences_in_window(session, user, filters, now=now)[0]


def occurrences_in_window(session: Session, user: User, filters: dict[str, Any], *,
                          now: dt.datetime | None = None
                          ) -> tuple[list[dict[str, Any]], tuple[dt.datetime, dt.datetime]]:
    """:func:`list_occurrences`, with the window used (see :func:`window`)."""
    after, before = window(filters.get("from"), filters.get("to"), now)
    if before <= after:
        return [], (after, before)
    query = scope.introductions_in_scope(user, visits_query(
        care_home_id=filters.get("care_home_id"), group_id=filters.get("group_id"),
        after=after, before=before))
    return occurrence_rows(list(session.scalars(query).unique()), after, before), (after,
                                                                                   before)


def upcoming_for_home(session: Session, home_id: int, *, days: int = 60,
                      now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """A home's occurrences of the next ``days`` days (its pages)."""
    after = now or utcnow()
    before = after + dt.timedelta(days=days)
    visits = list(session.scalars(visits_query(care_home_id=home_id, after=after,
                                               before=before)).unique())
    return occurrence_rows(visits, after, before)


def for_group(session: Session, group_id: int, *, days: int = 92,
              now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """A group's occurrences of the next ``days`` days (its private page)."""
    after = now or utcnow()
    before = after + dt.timedelta(days=days)
    visits = list(session.scalars(visits_query(group_id=group_id, after=after,
                                               before=before)).unique())
    return occurrence_rows(visits, after, before)


def homes_without_visits(session: Session, user: User, *, days: int = 60,
                         now: dt.datetime | None = None) -> list[CareHome]:
    """The homes in ``user``'s scope with no visit done, planned or proposed within
    ``days`` days either side of now (the coordinator's list of homes to help)."""
    now = now or utcnow()
    since, until = now - dt.timedelta(days=days), now + dt.timedelta(days=days)
    visited: set[int] = set()
    for visit in session.scalars(visits_query(after=since, before=until)).unique():
        if any(o.status != "cancelled" for o in occurrences(visit, after=since, before=until)):
            visited.add(visit.introduction.care_home_id)
    query = scope.homes_in_scope(user, select(CareHome)).order_by(CareHome.name)
    return [home for home in session.scalars(query) if home.id not in visited]


def in_person_planned(session: Session, home: CareHome, *, now: dt.datetime | None = None
                      ) -> list[Visit]:
    """The home's series with an in-person occurrence still to come."""
    now = now or utcnow()
    query = visits_query(care_home_id=home.id, after=now).where(
        Visit.state != "cancelled", Visit.mode.in_(rules.IN_PERSON_MODES))
    return [v for v in session.scalars(query).unique()
            if any(o.status == rules.PLANNED for o in occurrences(v, after=now))]



# --- a group through its private link ------------------------------------------------------

GROUP_LINK = audit.Actor("group-link")


def _group_intro(session: Session, group: Any, intro_id: int) -> Introduction:
    intro = session.get(Introduction, intro_id)
    if intro is None or intro.group_id != group.id:
        raise NotFound(f"There is no introduction with id {intro_id}.")
    return intro


def propose_by_group(session: Session, group: Any, intro_id: int, data: dict[str, Any], *,
                     now: dt.datetime | None = None) -> Visit:
    """A group proposes a visit on one of its introductions; the home (or its coordinator)
    confirms it."""
    intro = _group_intro(session, group, intro_id)
    return plan(session, intro, data, GROUP_LINK, proposed_by="group", state="proposed",
                now=now)


def change_by_group(session: Session, group: Any, visit_id: int, state: str,
                    version: int | None = None, *, now: dt.datetime | None = None) -> Visit:
    """A group confirms a visit the home proposed, or cancels one of its visits."""
    visit = session.get(Visit, visit_id)
    if visit is None or visit.introduction.group_id != group.id:
        raise NotFound(f"There is no visit with id {visit_id}.")
    if state == "confirmed" and (visit.state != "proposed" or visit.proposed_by == "group"):
        message = "Only a visit the home proposed can be confirmed here."
        raise Conflict(message, {"state": [message]})
    return change(session, visit, {"state": state, "version": version}, GROUP_LINK, now=now,
                  allowed_states=("confirmed", "cancelled"))
