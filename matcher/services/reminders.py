"""The messages of visits: reminders, feedback requests, restrictions and safeguarding expiry.

:func:`send_due` is what the periodic task and ``flask --app wsgi send-reminders`` run: for
every confirmed visit it queues a reminder 7 days and 1 day before each planned occurrence to
the home's contact and the group, and the day after an in-person or video visit a feedback
request with a single-use link to each side. Each message has an event key (e.g.
``visit-reminder-7d:<visit id>:<occurrence key>``) that the outbox sends once per address, and
each feedback request a row unique per occurrence and side, so running it again, or on two
workers at once, sends nothing twice. Cancelled occurrences and withdrawn groups get nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain import visits as rules
from ..models import CareHome, CommunityGroup, User, Visit, VisitFeedback, utcnow
from ..presentation import translation
from . import calendars, notifications
from . import visits as visit_service

# (event name, how long before the start it goes)
REMINDERS = (("visit-reminder-7d", dt.timedelta(days=7)),
             ("visit-reminder-1d", dt.timedelta(days=1)))
# Feedback is asked for from the day after a visit, for a week.
FEEDBACK_FOR = dt.timedelta(days=7)
SAFEGUARDING_NOTICE = dt.timedelta(days=30)
RESPONDENTS = ("care_home", "group")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _group_ok(group: CommunityGroup) -> bool:
    return group.status != "withdrawn" and bool(group.contact_email)


def _context(visit: Visit, occ: rules.Occurrence, **extra: Any) -> dict[str, Any]:
    # Codes and ISO times, never English words: the email is written in each recipient's
    # language when it is sent ("when" is the UK time with its offset).
    intro = visit.introduction
    return {"visit_id": visit.id, "home_name": intro.care_home.name,
            "group_name": intro.group.name, "mode": visit.mode,
            "in_person": visit.mode in rules.IN_PERSON_MODES,
            "when": rules.local(occ.starts_at).isoformat(timespec="minutes"),
            "duration_minutes": visit.duration_minutes, "notes": visit.notes or "", **extra}


def ics_attachment(visit: Visit, now: dt.datetime | None = None,
                   language: str = "en") -> dict[str, str]:
    """The visit as an ``.ics`` attachment for :func:`notifications.queue_email`, its words in
    the reader's ``language``."""
    with translation.speaking(language):
        content = calendars.visit_document(visit, now=now).decode()
    return {"filename": f"kith-visit-{visit.id}.ics",
            "content_type": "text/calendar; method=PUBLISH; charset=utf-8", "content": content}


def _recipients(visit: Visit
                ) -> list[tuple[str, str, str, tuple[str, int] | None, str]]:
    """``(role, email, name, about, language)`` of both sides that may be written to."""
    home, group = visit.introduction.care_home, visit.introduction.group
    out = []
    if home.contact_email:
        out.append(("care_home", home.contact_email, home.contact_name or home.name,
                    (CareHome.__tablename__, home.id), home.preferred_language))
    if _group_ok(group):
        out.append(("group", group.contact_email, group.contact_name or group.name,
                    (CommunityGroup.__tablename__, group.id), group.preferred_language))
    return out


def _queue_reminders(session: Session, visit: Visit, occ: rules.Occurrence,
                     now: dt.datetime) -> int:
    queued = 0
    ahead = occ.starts_at - now
    for index, (event, before) in enumerate(REMINDERS):
        closer = REMINDERS[index + 1][1] if index + 1 < len(REMINDERS) else dt.timedelta(0)
        # A visit planned at short notice gets only the reminders still ahead of it.
        if not closer < ahead <= before:
            continue
        for role, email, name, about, language in _recipients(visit):
            if notifications.queue_email(
                    session, template="visit_reminder", to_email=email, to_name=name,
                    recipient_role=role, event_key=f"{event}:{visit.id}:{occ.key}",
                    context=_context(visit, occ, days=before.days), about=about,
                    attachments=[ics_attachment(visit, now, language)], language=language):
                queued += 1
    return queued


def _queue_feedback(session: Session, visit: Visit, occ: rules.Occurrence) -> int:
    queued = 0
    for role, email, name, about, language in _recipients(visit):
        token = secrets.token_urlsafe(32)
        row = VisitFeedback(visit_id=visit.id, occurrence_key=occ.key, respondent=role,
                            token_hash=hash_token(token))
        try:
            # The row is the "asked once" mark: a second run (or worker) loses the insert.
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            continue
        if notifications.queue_email(
                session, template="visit_feedback", to_email=email, to_name=name,
                recipient_role=role, event_key=f"visit-feedback:{visit.id}:{occ.key}",
                context=_context(visit, occ, feedback_token=token, respondent=role),
                about=about, language=language):
            queued += 1
    return queued


def _queue_safeguarding(session: Session, today: dt.date) -> int:
    queued = 0
    groups = session.scalars(select(CommunityGroup).where(
        CommunityGroup.status == "approved",
        CommunityGroup.safeguarding_expires_on.is_not(None),
        CommunityGroup.safeguarding_expires_on >= today,
        CommunityGroup.safeguarding_expires_on <= today + SAFEGUARDING_NOTICE))
    for group in groups:
        key = f"safeguarding-expiry:{group.id}:{group.safeguarding_expires_on.isoformat()}"
        context = {"group_name": group.name, "group_id": group.id,
                   "scheme": group.safeguarding_scheme or "",
                   "expires_on": group.safeguarding_expires_on.isoformat()}
        about = (CommunityGroup.__tablename__, group.id)
        if group.contact_email and notifications.queue_email(
                session, template="safeguarding_expiry", to_email=group.contact_email,
                to_name=group.contact_name or group.name, recipient_role="group",
                event_key=key, context={**context, "for_coordinator": False}, about=about,
                language=group.preferred_language):
            queued += 1
        coordinators = session.scalars(select(User).where(
            User.role == "coordinator", User.nation == group.nation, User.active.is_(True)))
        for user in coordinators:
            if notifications.queue_email(
                    session, template="safeguarding_expiry", to_email=user.email,
                    recipient_role="coordinator", event_key=key,
                    context={**context, "for_coordinator": True}, about=about,
                    language=user.preferred_language):
                queued += 1
    return queued


def send_due(session: Session, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue every reminder, feedback request and safeguarding notice due at ``now``;
    returns how many of each were queued (0s on a repeat run)."""
    now = now or utcnow()
    counts = {"reminders": 0, "feedback": 0, "safeguarding": 0}
    window_start = now - FEEDBACK_FOR - dt.timedelta(days=1)
    window_end = now + REMINDERS[0][1]
    query = visit_service.visits_query(after=window_start, before=window_end).where(
        Visit.state == "confirmed")
    for visit in session.scalars(query).unique():
        for occ in visit_service.occurrences(visit, after=window_start, before=window_end):
            if occ.status == "cancelled":
                continue
            if occ.starts_at > now and occ.status == rules.PLANNED:
                counts["reminders"] += _queue_reminders(session, visit, occ, now)
            elif (visit.mode in rules.FEEDBACK_MODES and occ.status in (rules.PLANNED, "done")
                  and _day_after(occ, now)):
                counts["feedback"] += _queue_feedback(session, visit, occ)
    counts["safeguarding"] = _queue_safeguarding(session, rules.local(now).date())
    return counts


def _day_after(occ: rules.Occurrence, now: dt.datetime) -> bool:
    """From the (UK) day after the visit, for a week."""
    local_now = rules.local(now)
    first = occ.starts_at.date() + dt.timedelta(days=1)
    return first <= local_now.date() < first + FEEDBACK_FOR


def visit_planned(session: Session, visit: Visit, now: dt.datetime | None = None) -> int:
    """Both sides hear of a newly planned (or proposed) visit, with its ``.ics``, about its
    next occurrence; no one hears of a visit recorded after it took place (every occurrence
    already past)."""
    upcoming = visit_service.occurrences(visit, after=now or utcnow())
    if not upcoming:
        return 0
    occ = upcoming[0]
    queued = 0
    for role, email, name, about, language in _recipients(visit):
        if notifications.queue_email(
                session, template="visit_planned", to_email=email, to_name=name,
                recipient_role=role, event_key=f"visit-planned:{visit.id}",
                context=_context(visit, occ, state=visit.state,
                                 repeat=visit.repeat, repeat_until=(
                                     visit.repeat_until.isoformat()
                                     if visit.repeat_until else "")),
                about=about, attachments=[ics_attachment(visit, now, language)],
                language=language):
            queued += 1
    return queued


def visit_changed(session: Session, visit: Visit, changes: dict[str, Any],
                  now: dt.datetime | None = None) -> int:
    """Both sides hear when a visit's times, mode or notes change, when the series is
    cancelled, or when one occurrence is cancelled, with the updated ``.ics``. Marking a visit
    done or missed tells no one (the feedback request follows a visit)."""
    cancelled = changes.get("state", [None, None])[1] == "cancelled"
    occurrence_cancelled = ("occurrence" in changes
                            and changes.get("status", [None, None])[1] == "cancelled")
    if not (cancelled or occurrence_cancelled or set(changes) & SERIES_CHANGES):
        return 0
    upcoming = visit_service.occurrences(visit, after=now or utcnow())
    if not upcoming:
        return 0  # a change to a visit that has taken place: nothing left to come to
    occ = upcoming[0]
    extra: dict[str, Any] = {"cancelled": cancelled, "occurrence_cancelled": occurrence_cancelled,
                             "repeat": visit.repeat, "repeat_until": (
                                 visit.repeat_until.isoformat()
                                 if visit.repeat_until else ""), "occurrence_when": ""}
    if occurrence_cancelled:
        when = rules.parse_key(changes["occurrence"]).astimezone(rules.LONDON)
        extra["occurrence_when"] = when.isoformat(timespec="minutes")
    queued = 0
    for role, email, name, about, language in _recipients(visit):
        if notifications.queue_email(
                session, template="visit_changed", to_email=email, to_name=name,
                recipient_role=role, event_key=f"visit-changed:{visit.id}:v{visit.version}",
                context=_context(visit, occ, **extra), about=about,
                attachments=[ics_attachment(visit, now, language)], language=language):
            queued += 1
    return queued


# The series fields whose change the other side must hear of.
SERIES_CHANGES = {"start", "duration_minutes", "mode", "repeat", "repeat_until", "notes"}


def visiting_restricted(session: Session, home: CareHome, now: dt.datetime | None = None
                        ) -> int:
    """A home's visiting became restricted or closed: the groups with in-person visits
    planned there hear of it (once per visit for each change), with the remote modes."""
    now = now or utcnow()
    queued = 0
    for visit in visit_service.in_person_planned(session, home, now=now):
        group = visit.introduction.group
        if not _group_ok(group):
            continue
        occ = next(o for o in visit_service.occurrences(visit, after=now)
                   if o.status == rules.PLANNED)
        if notifications.queue_email(
                session, template="visiting_restricted", to_email=group.contact_email,
                to_name=group.contact_name or group.name, recipient_role="group",
                event_key=f"visiting-{home.visiting_status}:{home.id}:{visit.id}:"
                          f"{now:%Y%m%d%H%M}",
                context=_context(visit, occ, visiting_status=home.visiting_status,
                                 remote_modes=list(rules.REMOTE_MODES)),
                about=(CommunityGroup.__tablename__, group.id),
                attachments=[ics_attachment(visit, now, group.preferred_language)],
                language=group.preferred_language):
            queued += 1
    return queued
