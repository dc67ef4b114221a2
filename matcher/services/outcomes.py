"""Outcomes of introductions: visits done and missed, ratings, kept per home-partner pair.

:class:`PairOutcome` keeps, beside the counts, the suggestion's score, components and place
in the home's list when the introduction was requested, so that ranking can later learn
which suggestions led to lasting visits. It is refreshed whenever a visit or its feedback
changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Introduction, PairOutcome, Visit, VisitFeedback


def refresh(session: Session, intro: Introduction) -> PairOutcome:
    """Recount ``intro``'s outcome from its visits and their feedback."""
    from .visits import occurrences

    session.flush()
    outcome = session.scalar(select(PairOutcome).where(
        PairOutcome.introduction_id == intro.id))
    if outcome is None:
        outcome = PairOutcome(introduction_id=intro.id, care_home_id=intro.care_home_id,
                              group_id=intro.group_id)
        session.add(outcome)
    outcome.score, outcome.position = intro.score, intro.position
    outcome.components = intro.components
    counts = {"done": 0, "missed": 0, "cancelled": 0}
    visits = list(session.scalars(select(Visit).where(Visit.introduction_id == intro.id)))
    for visit in visits:
        for occ in occurrences(visit):
            if occ.status in counts:
                counts[occ.status] += 1
    ratings = list(session.scalars(select(VisitFeedback.rating).join(Visit).where(
        Visit.introduction_id == intro.id, VisitFeedback.rating.is_not(None))))
    outcome.visits_done = counts["done"]
    outcome.visits_missed = counts["missed"]
    outcome.visits_cancelled = counts["cancelled"]
    outcome.ratings = len(ratings)
    outcome.rating_sum = sum(ratings)
    outcome.ratings_high = sum(1 for r in ratings if r >= 4)
    session.flush()
    return outcome


def summary(outcome: PairOutcome | None) -> dict[str, Any]:
    """``{visits_done, visits_missed, average_rating, ratings}`` for an introduction."""
    if outcome is None:
        return {"visits_done": 0, "visits_missed": 0, "average_rating": None, "ratings": 0}
    average = round(outcome.rating_sum / outcome.ratings, 2) if outcome.ratings else None
    return {"visits_done": outcome.visits_done, "visits_missed": outcome.visits_missed,
            "average_rating": average, "ratings": outcome.ratings}


def for_introduction(session: Session, intro_id: int) -> dict[str, Any]:
    """The outcome summary of one introduction."""
    return summary(session.scalar(select(PairOutcome).where(
        PairOutcome.introduction_id == intro_id)))
