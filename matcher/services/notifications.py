"""Email notifications: the outbox of messages to send, and the messages Kith sends.

A use case records each email with :func:`queue_email` inside its own unit of work; nothing
is sent then. Once the unit of work commits, ``matcher.tasks`` (which watches commits) hands
each new message to a background task, which claims it (:func:`claim`), renders it from
``matcher/templates/email/`` and sends it (``matcher.mail``), then marks it sent or schedules
a retry. So a mail server that is down never fails the request, and a message whose task was
lost stays ``queued`` until the periodic task re-queues it (:func:`due_messages`).

This module imports no Flask: it stores the template's name and its context (plain JSON),
never a rendered body.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain import catalogue
from ..models import CommunityGroup, OutboxMessage, User, utcnow
from . import audit

log = logging.getLogger(__name__)

# session.info key: ids of the messages this transaction queued, for matcher.tasks to send.
PENDING_KEY = "kith.outbox.pending"
# context key of a message's attachments (``queue_email(attachments=...)``).
ATTACHMENTS_KEY = "_attachments"

STATUSES = ("queued", "sending", "sent", "failed", "cancelled")
RECIPIENT_ROLES = ("group", "care_home", "coordinator", "admin", "user")
TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
# One address: no spaces, control characters, angle brackets or commas (no second recipient
# slipped into a header), one @, a dotted domain.
EMAIL = re.compile(r"^[^\s@<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}"
                   r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
# A message a worker took but never finished (it died mid-send) is retried after this long.
STALE_SENDING = dt.timedelta(minutes=15)
# A queued message whose task never ran (the queue was down) is re-queued after this long.
STALE_QUEUED = dt.timedelta(minutes=2)
MAX_RETRY_DELAY = dt.timedelta(hours=6)


def valid_email(address: str | None) -> bool:
    """Whether ``address`` is one plain email address, fit for a ``To`` header."""
    return bool(address) and len(address) <= 254 and bool(EMAIL.match(address))


def language_of(value: str | None) -> str:
    """``value`` if Kith writes in it (``cy``, ``en``), else English."""
    return value if value in catalogue.CORRESPONDENCE_LANGUAGES else "en"


def header_text(text: str | None, limit: int = 200) -> str:
    """``text`` made safe for a mail header: line breaks and other control characters become
    spaces, so a name or subject can never start a header of its own."""
    return " ".join(CONTROL.sub(" ", text or "").split())[:limit]


def queue_email(session: Session, *, template: str, to_email: str, to_name: str = "",
                recipient_role: str, event_key: str, context: dict,
                about: tuple[str, int] | None = None,
                attachments: list[dict[str, str]] | None = None,
                language: str | None = None) -> OutboxMessage | None:
    """Record one email to send, inside the caller's unit of work.

    ``event_key`` names the event (e.g. ``f"registration-received:{group.id}"``); the same
    event never mails the same address twice: a repeat returns None. ``template`` names
    ``matcher/templates/email/<template>.subject.txt``, ``.txt`` and ``.html``, rendered with
    ``context`` (JSON-serialisable values only) when the message is sent, after the unit of
    work commits. ``about`` (``(table name, id)``) ties the message to the record it is about:
    a withdrawn group's messages are cancelled and erased. An address that is not valid is
    recorded as ``failed`` (visible to admins) rather than failing the caller.
    ``attachments`` (``[{filename, content_type, content}]``, text content such as an
    ``.ics`` file) are kept with the context and attached when the message is sent.
    ``language`` is the recipient's ``preferred_language`` (``cy`` or ``en``): the message is
    rendered in it, labels and dates included.
    """
    if not TEMPLATE_NAME.match(template):
        raise ValueError(f"Not a template name: {template!r}")
    if recipient_role not in RECIPIENT_ROLES:
        raise ValueError(f"Unknown recipient role: {recipient_role!r}")
    address = (to_email or "").strip()
    key = header_text(event_key, 200)
    # Addresses compare without case: one person, one message per event.
    lookup = address.lower()
    existing = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.event_key == key, func.lower(OutboxMessage.to_email) == lookup))
    if existing is not None:
        return None
    message = OutboxMessage(
        event_key=key, template=template, to_email=address[:254],
        to_name=header_text(to_name), recipient_role=recipient_role,
        language=language_of(language),
        context={**context, ATTACHMENTS_KEY: list(attachments)} if attachments else dict(context),
        about_type=about[0] if about else None, about_id=about[1] if about else None,
        status="queued", attempts=0, next_attempt_at=utcnow())
    if not valid_email(address):
        message.status = "failed"
        message.last_error = "Not a valid email address."
        message.next_attempt_at = None
    try:
        # A savepoint: losing a race to the same event leaves the caller's work intact.
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        return None
    if message.status == "queued":
        session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def take_pending(session: Session) -> list[int]:
    """The ids of the messages queued by the transaction that just committed (once)."""
    return session.info.pop(PENDING_KEY, [])


def drop_pending(session: Session) -> None:
    """Forget the messages of a transaction that was rolled back."""
    session.info.pop(PENDING_KEY, None)


# --- sending (called by the task) ----------------------------------------------------------------

def claim(session: Session, message_id: int, now: dt.datetime | None = None
          ) -> OutboxMessage | None:
    """Take a queued message for sending, atomically: of two workers given the same message,
    one gets it and the other gets None. Commits the claim."""
    now = now or utcnow()
    taken = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued")
        .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if not taken:
        return None
    return session.get(OutboxMessage, message_id)


def still_wanted(session: Session, message: OutboxMessage) -> str | None:
    """Why the message must not go out any more (its group withdrew or is gone), or None."""
    if message.about_type == CommunityGroup.__tablename__ and message.about_id is not None:
        group = session.get(CommunityGroup, message.about_id)
        if group is None:
            return "The group was removed."
        if group.status == "withdrawn":
            return "The group withdrew."
    return None


def mark_sent(session: Session, message: OutboxMessage, subject: str,
              now: dt.datetime | None = None) -> None:
    """Record the delivery, with an audit entry (recipient role and template, no body)."""
    message.status = "sent"
    message.subject = subject[:300]
    message.sent_at = now or utcnow()
    message.last_error = None
    message.next_attempt_at = None
    audit.record(session, audit.SYSTEM, "email", message,
                 {"template": message.template, "recipient_role": message.recipient_role,
                  "event": message.event_key})
    session.commit()


def mark_cancelled(session: Session, message: OutboxMessage, reason: str) -> None:
    message.status = "cancelled"
    message.last_error = reason
    message.next_attempt_at = None
    session.commit()


def retry_delay(attempts: int, first_seconds: int) -> dt.timedelta:
    """Exponential back-off: ``first_seconds`` after the first failure, doubling each time."""
    delay = dt.timedelta(seconds=first_seconds * 2 ** max(0, attempts - 1))
    return min(delay, MAX_RETRY_DELAY)


def mark_failed_attempt(session: Session, message: OutboxMessage, error: str, *,
                        max_attempts: int, first_delay_seconds: int,
                        now: dt.datetime | None = None) -> dt.timedelta | None:
    """Record a failed delivery; returns the delay before the next try, or None when that was
    the last attempt (the message is then ``failed``, for an admin to see)."""
    now = now or utcnow()
    message.last_error = header_text(error, 500) or "Delivery failed."
    if message.attempts >= max_attempts:
        message.status = "failed"
        message.next_attempt_at = None
        session.commit()
        return None
    delay = retry_delay(message.attempts, first_delay_seconds)
    message.status = "queued"
    message.next_attempt_at = now + delay
    session.commit()
    return delay


def due_messages(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Messages to hand to the queue again (the periodic task's safety net): queued ones
    whose time came a while ago yet are still waiting (their task was lost, or the queue was
    down when they were queued), and ones a worker took but never finished."""
    now = now or utcnow()
    stale = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_SENDING)
        .values(status="queued")
        .execution_options(synchronize_session=False))
    if stale.rowcount:
        log.warning("Re-queued %d emails whose worker stopped while sending", stale.rowcount)
    session.commit()
    return list(session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued",
               OutboxMessage.next_attempt_at <= now - STALE_QUEUED)
        .order_by(OutboxMessage.id)))


def retry_now(session: Session, user: User, message_id: int) -> OutboxMessage | None:
    """An admin sends a failed message again (its attempts start afresh)."""
    from . import scope
    scope.require_audit(user)
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != "failed" or not valid_email(message.to_email):
        return None
    message.status = "queued"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    audit.record(session, audit.Actor.for_user(user), "retry", message,
                 {"template": message.template})
    session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


# --- the admin's view --------------------------------------------------------------------------

def outbox_for(user: User, status: str | None = None):
    """The outbox, newest first (admins only)."""
    from . import scope
    scope.require_audit(user)
    query = select(OutboxMessage)
    if status in STATUSES:
        query = query.where(OutboxMessage.status == status)
    return query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())


def message_for(session: Session, user: User, message_id: int) -> OutboxMessage | None:
    from . import scope
    scope.require_audit(user)
    return session.get(OutboxMessage, message_id)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(
        OutboxMessage.status))
    return {status: number for status, number in rows}


# --- erasure -----------------------------------------------------------------------------------

def forget_groups(session: Session, group_ids: list[int]) -> None:
    """The messages of withdrawn or purged groups: those not yet sent are cancelled, and
    every one loses its address, name and context, so the outbox keeps no copy of erased
    data."""
    if not group_ids:
        return
    rows = session.scalars(select(OutboxMessage).where(
        OutboxMessage.about_type == CommunityGroup.__tablename__,
        OutboxMessage.about_id.in_(group_ids)))
    for message in rows:
        if message.status in ("queued", "sending"):
            message.status = "cancelled"
            message.last_error = "The group withdrew."
            message.next_attempt_at = None
        message.to_email = f"(erased #{message.id})"
        message.to_name = ""
        message.context = {}
    # Coordinators' digests named them too.
    gone = set(group_ids)
    for digest in session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "coordinator_digest")):
        listed = (digest.context or {}).get("groups") or []
        kept = [entry for entry in listed if entry.get("id") not in gone]
        if len(kept) != len(listed):
            digest.context = {**digest.context, "groups": kept,
                              "erased": (digest.context.get("erased") or 0)
                              + len(listed) - len(kept)}


# --- the messages of registration --------------------------------------------------------------

def _group_about(group: CommunityGroup) -> tuple[str, int]:
    return (CommunityGroup.__tablename__, group.id)


def _group_context(group: CommunityGroup, **extra: Any) -> dict[str, Any]:
    return {"group_name": group.name, "contact_name": group.contact_name or "",
            "group_id": group.id, **extra}


def registration_received(session: Session, group: CommunityGroup, token: str | None) -> None:
    """Registration received: the group's contact gets its private edit link."""
    if not group.contact_email or not token:
        return
    queue_email(session, template="registration_received", to_email=group.contact_email,
                to_name=group.contact_name or "", recipient_role="group",
                event_key=f"registration-received:{group.id}",
                context=_group_context(group, edit_token=token), about=_group_about(group),
                language=group.preferred_language)


def registration_decided(session: Session, group: CommunityGroup, old_status: str) -> None:
    """A coordinator approved or declined a registration: the group hears which (declined
    with the coordinator's reason)."""
    if not group.contact_email or old_status == group.status:
        return
    if group.status == "approved" and old_status == "pending":
        template, key = "registration_approved", f"registration-approved:{group.id}"
        context = _group_context(group)
    elif group.status == "rejected" and old_status == "pending":
        template, key = "registration_declined", f"registration-declined:{group.id}"
        context = _group_context(group, reason=group.status_reason or "")
    else:
        return
    queue_email(session, template=template, to_email=group.contact_email,
                to_name=group.contact_name or "", recipient_role="group", event_key=key,
                context=context, about=_group_about(group), language=group.preferred_language)


def registration_merged(session: Session, registration: CommunityGroup,
                        existing: CommunityGroup, *, contact_taken: bool) -> None:
    """A coordinator merged a registration into the group Kith already had: its contact
    hears which group now holds the details, and whether they are that group's contact."""
    if not registration.contact_email:
        return
    queue_email(session, template="registration_merged", to_email=registration.contact_email,
                to_name=registration.contact_name or "", recipient_role="group",
                event_key=f"registration-merged:{registration.id}",
                context=_group_context(registration, existing_name=existing.name,
                                       contact_taken=contact_taken),
                about=_group_about(registration), language=registration.preferred_language)


def edit_token_to_send(group: CommunityGroup, secret: str) -> str:
    """The group's private edit token, to send again: re-derived where the registration
    allows it (the same link as before); otherwise a new one replaces the old."""
    from .records import edit_token_for, hash_edit_token
    if not group.idempotency_key:
        group.idempotency_key = secrets.token_hex(16)
    token = edit_token_for(secret, group.idempotency_key)
    group.edit_token_hash = hash_edit_token(token)
    return token


def resend_edit_links(session: Session, email: str, secret: str,
                      now: dt.datetime | None = None) -> int:
    """"Lost your link?": mail each group registered with ``email`` its private link.

    The caller shows the same page whatever this finds, so the form never tells whether an
    address is known. At most one such email per group per hour, whatever is asked.
    """
    now = now or utcnow()
    address = (email or "").strip()
    if not valid_email(address):
        return 0
    groups = session.scalars(select(CommunityGroup).where(
        func.lower(CommunityGroup.contact_email) == address.lower(),
        CommunityGroup.status != "withdrawn").order_by(CommunityGroup.id))
    sent = 0
    for group in groups:
        key = f"edit-link:{group.id}:{now:%Y%m%d%H}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.event_key == key)):
            continue
        token = edit_token_to_send(group, secret)
        if queue_email(session, template="edit_link", to_email=group.contact_email,
                       to_name=group.contact_name or "", recipient_role="group",
                       event_key=key, context=_group_context(group, edit_token=token),
                       about=_group_about(group), language=group.preferred_language):
            sent += 1
    return sent


def coordinators_of(session: Session, nation: str | None) -> list[User]:
    """The active coordinators of ``nation``: who hears of what happens there."""
    if not nation:
        return []
    return list(session.scalars(select(User).where(
        User.role == "coordinator", User.nation == nation, User.active.is_(True))
        .order_by(User.id)))


def queue_coordinator_digests(session: Session, now: dt.datetime | None = None) -> int:
    """The coordinators' daily digest: for each nation, the registrations still waiting that
    arrived since its last digest, in one email to each of its active coordinators.
    Returns the number of emails queued. Idempotent for a given day."""
    now = now or utcnow()
    queued = 0
    for nation in catalogue.codes(catalogue.NATIONS):
        coordinators = coordinators_of(session, nation)
        if not coordinators:
            continue
        prefix = f"coordinator-digest:{nation}:"
        last = session.scalar(
            select(OutboxMessage).where(OutboxMessage.event_key.startswith(prefix))
            .order_by(OutboxMessage.id.desc()).limit(1))
        since = None
        if last is not None and last.context.get("until"):
            since = dt.datetime.fromisoformat(last.context["until"])
        query = select(CommunityGroup).where(CommunityGroup.status == "pending",
                                             CommunityGroup.nation == nation,
                                             CommunityGroup.created_at <= now)
        if since is not None:
            query = query.where(CommunityGroup.created_at > since)
        waiting = list(session.scalars(query.order_by(CommunityGroup.created_at)))
        if not waiting:
            continue
        total = session.scalar(select(func.count()).select_from(CommunityGroup).where(
            CommunityGroup.status == "pending", CommunityGroup.nation == nation))
        context = {
            "nation": nation, "until": now.isoformat(),
            "since": since.isoformat() if since else None, "total_waiting": total,
            "groups": [{"id": g.id, "name": g.name, "kind": g.kind, "town": g.town or "",
                        "created_at": g.created_at.isoformat()}
                       for g in waiting],
        }
        for user in coordinators:
            if queue_email(session, template="coordinator_digest", to_email=user.email,
                           recipient_role="coordinator", event_key=f"{prefix}{now:%Y-%m-%d}",
                           context=context, language=user.preferred_language):
                queued += 1
    return queued
