"""Feedback on a visit through its one-click link: no sign-in, a rating 1-5 and a comment,
once. An answer marks a planned occurrence done and counts in the pair's outcome."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..domain import visits as rules
from ..models import VisitFeedback, VisitOccurrence, utcnow
from . import audit, outcomes
from .errors import Conflict, InvalidInput
from .reminders import hash_token

LINK_ACTOR = audit.Actor("feedback-link")


def for_token(session: Session, token: str) -> VisitFeedback | None:
    """The feedback request this link's token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    return session.scalar(select(VisitFeedback).where(
        VisitFeedback.token_hash == hash_token(token)))


def answer(session: Session, request: VisitFeedback, rating: int, comment: str | None, *,
           now: dt.datetime | None = None) -> VisitFeedback:
    """Record the answer; 409 when the link was used already (also by a simultaneous
    request: the update only takes a request not yet answered)."""
    now = now or utcnow()
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput({"rating": ["Choose a rating from 1 to 5."]})
    comment = (comment or "").strip() or None
    taken = session.execute(
        update(VisitFeedback)
        .where(VisitFeedback.id == request.id, VisitFeedback.answered_at.is_(None))
        .values(rating=rating, comment=comment, answered_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not taken:
        raise Conflict("This feedback link has been used already: thank you.",
                       {"rating": ["This link has been used already."]})
    session.refresh(request)
    visit = request.visit
    row = session.scalar(select(VisitOccurrence).where(
        VisitOccurrence.visit_id == visit.id, VisitOccurrence.key == request.occurrence_key))
    if row is None:
        session.add(VisitOccurrence(visit_id=visit.id, key=request.occurrence_key,
                                    starts_at=rules.parse_key(request.occurrence_key),
                                    status="done"))
    elif row.status == rules.PLANNED:
        row.status = "done"
    audit.record(session, LINK_ACTOR, "feedback", visit,
                 {"occurrence": request.occurrence_key, "respondent": request.respondent,
                  "rating": rating})
    session.flush()
    session.expire(visit, ["occurrences"])
    outcomes.refresh(session, visit.introduction)
    return request
