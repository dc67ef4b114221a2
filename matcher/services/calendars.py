"""Private calendar addresses of homes and groups, and the iCalendar documents behind them.

The address is ``/calendar/<token>.ics``: the token names the home (``h``) or group (``g``) and
carries an HMAC of its calendar nonce under the app's secret, so nothing secret is stored and
the page can show the address again at any time. A new nonce revokes the old address at once.
A withdrawn group's address answers nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import calendars, catalogue
from ..domain import visits as rules
from ..models import CareHome, CommunityGroup, Introduction, Visit, utcnow
from ..presentation.translation import gettext as _
from . import audit
from . import visits as visit_service

_TOKEN = re.compile(r"^([hg])([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{32})$")
# How far back a subscribed calendar keeps visits that are over.
HISTORY = dt.timedelta(days=92)
MODE_LABELS = catalogue.labels(catalogue.VISIT_MODES)


def _kind(record: CareHome | CommunityGroup) -> str:
    return "h" if isinstance(record, CareHome) else "g"


def _signature(secret: str, kind: str, record_id: int, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"calendar:{kind}:{record_id}:{nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


def token_for(secret: str, record: CareHome | CommunityGroup) -> str:
    """The record's calendar token (give it a nonce first: :func:`ensure_nonce`)."""
    if not record.calendar_nonce:
        raise ValueError("The record has no calendar address yet.")
    kind = _kind(record)
    return f"{kind}{record.id}.{_signature(secret, kind, record.id, record.calendar_nonce)}"


def ensure_nonce(record: CareHome | CommunityGroup) -> bool:
    """Give the record a calendar address if it has none; True when one was made."""
    if record.calendar_nonce:
        return False
    record.calendar_nonce = secrets.token_hex(16)
    return True


def address_token(session: Session, secret: str, record: CareHome | CommunityGroup) -> str:
    """The record's calendar token, making its address on first use."""
    if ensure_nonce(record):
        session.flush()
    return token_for(secret, record)


def renew(session: Session, secret: str, record: CareHome | CommunityGroup,
          actor: audit.Actor) -> str:
    """Revoke the record's calendar address and make a new one; returns the new token."""
    record.calendar_nonce = secrets.token_hex(16)
    audit.record(session, actor, "calendar", record, {"calendar_address": "renewed"})
    session.flush()
    return token_for(secret, record)


def record_for_token(session: Session, secret: str, token: str
                     ) -> CareHome | CommunityGroup | None:
    """The home or group whose current calendar token this is, or None."""
    match = _TOKEN.match(token or "")
    if match is None:
        return None
    kind, record_id, signature = match.group(1), int(match.group(2)), match.group(3)
    if record_id > 2**31 - 1:
        return None
    record = session.get(CareHome if kind == "h" else CommunityGroup, record_id)
    if record is None or not record.calendar_nonce:
        return None
    if isinstance(record, CommunityGroup) and record.status == "withdrawn":
        return None
    expected = _signature(secret, kind, record.id, record.calendar_nonce)
    return record if hmac.compare_digest(expected, signature) else None


# --- the documents ---------------------------------------------------------------------------

def calendar_visit(visit: Visit, uid_domain: str = "kith") -> calendars.CalendarVisit:
    """What a calendar shows of ``visit``, in the language being written (the feed owner's,
    or an email's reader's)."""
    intro = visit.introduction
    home, group = intro.care_home, intro.group
    mode = _(MODE_LABELS[visit.mode]) if visit.mode in MODE_LABELS else visit.mode
    cancelled = tuple(rules.parse_key(o.key) for o in visit.occurrences
                      if o.status == "cancelled")
    where = ", ".join(p for p in (home.name, home.address_line1, home.town, home.postcode)
                      if p) if visit.mode in rules.IN_PERSON_MODES else ""
    description = _("%(mode)s: %(group)s and %(home)s.", mode=mode, group=group.name,
                    home=home.name)
    if visit.notes:
        description += f"\n\n{visit.notes}"
    return calendars.CalendarVisit(
        uid=f"visit-{visit.id}@{uid_domain}",
        summary=_("%(group)s at %(home)s (%(mode)s)", group=group.name, home=home.name,
                  mode=mode),
        series=visit_service.series_of(visit), sequence=max(0, visit.version - 1),
        description=description, location=where, cancelled=visit.state == "cancelled",
        proposed=visit.state == "proposed", cancelled_starts=cancelled,
        updated=visit_service._aware(visit.updated_at) if visit.updated_at else None)


def feed(session: Session, record: CareHome | CommunityGroup, *,
         now: dt.datetime | None = None) -> bytes:
    """The subscribed calendar of a home or a group: its visits still to come and those of
    the last three months (cancelled ones too, so apps remove them). The caller chooses the
    language (the owner's ``preferred_language``)."""
    now = now or utcnow()
    query = select(Visit).join(Introduction, Visit.introduction_id == Introduction.id).where(
        Visit.ends_at > now - HISTORY)
    if isinstance(record, CareHome):
        query = query.where(Introduction.care_home_id == record.id)
    else:
        query = query.where(Introduction.group_id == record.id)
    name = _("Kith visits: %(name)s", name=record.name)
    found = session.scalars(query.order_by(Visit.starts_at, Visit.id))
    return calendars.calendar(name, [calendar_visit(v) for v in found], stamp=now)


def visit_document(visit: Visit, *, now: dt.datetime | None = None) -> bytes:
    """One visit as an ``.ics`` attachment."""
    return calendars.calendar(_("Kith visit"), [calendar_visit(visit)],
                              stamp=now or utcnow(), method="PUBLISH")
