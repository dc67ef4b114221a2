"""The series behind the coordinator's charts: registrations, introductions and visits done
per month, and how far introductions get (the funnel).

Months are calendar months in UTC, counted by the database (GROUP BY), so a million
registrations cost one query, not a million rows. Every series covers the caller's nation
(an admin's choice, or every nation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from ..domain import catalogue
from ..models import (
    CareHome,
    CommunityGroup,
    Introduction,
    IntroductionEvent,
    User,
    Visit,
    VisitOccurrence,
)
from . import scope

FUNNEL_STAGES = catalogue.INTRODUCTION_FUNNEL_STAGES
DEFAULT_MONTHS = 12


def months_back(today: dt.date, count: int) -> list[str]:
    """The ``count`` months up to and including ``today``'s, oldest first, as ``YYYY-MM``."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _start(month: str) -> dt.datetime:
    year, number = (int(part) for part in month.split("-"))
    return dt.datetime(year, number, 1, tzinfo=dt.UTC)


def _next(month: str) -> dt.datetime:
    start = _start(month)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _per_month(session: Session, query, column, months: list[str]) -> list[int]:
    """How many rows of ``query`` fall in each month of ``column``: one range count a month
    in one statement, each answered from an index on ``column`` (formatting every row's
    month and grouping took a second and more at a million registrations)."""
    counts = [query.with_only_columns(literal(month).label("month"), func.count())
              .where(column >= _start(month), column < _next(month)) for month in months]
    found = {str(month): int(count) for month, count in session.execute(union_all(*counts))}
    return [found.get(month, 0) for month in months]


@dataclass
class Charts:
    """Each series beside its months (or stages), ready for a chart and its table."""

    nation: str | None
    months: list[str]
    registrations: list[int]
    introductions: list[int]
    visits_done: list[int]
    funnel: list[tuple[str, int]]  # (stage, introductions that reached it or beyond)
    closed: list[tuple[str, int]]  # (declined | withdrawn | ended, introductions now there)

    def as_json(self) -> dict[str, Any]:
        return {"months": self.months, "registrations": self.registrations,
                "introductions": self.introductions, "visits_done": self.visits_done,
                "funnel": [count for _, count in self.funnel]}


def charts(session: Session, user: User, *, nation: str | None,
           months: int = DEFAULT_MONTHS, today: dt.date | None = None) -> Charts:
    """The chart series of ``user``'s nation over the last ``months`` months."""
    nation = scope.resolve_nation(user, nation)
    labels = months_back(today or dt.datetime.now(dt.UTC).date(), months)

    groups = select(CommunityGroup.id)
    if nation:
        groups = groups.where(CommunityGroup.nation == nation)
    registrations = _per_month(session, groups, CommunityGroup.created_at, labels)

    intros = select(Introduction.id).join(CareHome, Introduction.care_home_id == CareHome.id)
    if nation:
        intros = intros.where(CareHome.nation == nation)
    introductions = _per_month(session, intros, Introduction.created_at, labels)

    visits = (select(VisitOccurrence.id).join(Visit, VisitOccurrence.visit_id == Visit.id)
              .join(Introduction, Visit.introduction_id == Introduction.id)
              .join(CareHome, Introduction.care_home_id == CareHome.id)
              .where(VisitOccurrence.status == "done"))
    if nation:
        visits = visits.where(CareHome.nation == nation)
    visits_done = _per_month(session, visits, VisitOccurrence.starts_at, labels)

    reached = select(IntroductionEvent.introduction_id, IntroductionEvent.to_status).join(
        Introduction, IntroductionEvent.introduction_id == Introduction.id).join(
        CareHome, Introduction.care_home_id == CareHome.id)
    current = select(Introduction.id, Introduction.status).join(
        CareHome, Introduction.care_home_id == CareHome.id)
    if nation:
        reached = reached.where(CareHome.nation == nation)
        current = current.where(CareHome.nation == nation)
    furthest: dict[int, int] = {}
    statuses: dict[int, str] = {}
    for intro_id, status in [*session.execute(reached).all(), *session.execute(current).all()]:
        if status in FUNNEL_STAGES:
            furthest[intro_id] = max(furthest.get(intro_id, 0), FUNNEL_STAGES.index(status))
    for intro_id, status in session.execute(current):
        statuses[intro_id] = status
    funnel = [(stage, sum(1 for level in furthest.values() if level >= i))
              for i, stage in enumerate(FUNNEL_STAGES)]
    ways_out = [s for s in catalogue.codes(catalogue.INTRODUCTION_STATUSES)
                if s not in FUNNEL_STAGES]
    closed = [(status, sum(1 for s in statuses.values() if s == status)) for status in ways_out]
    return Charts(nation, labels, registrations, introductions, visits_done, funnel, closed)
