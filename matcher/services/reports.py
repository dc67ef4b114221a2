"""The network report of a nation: introductions by status, active links and cold spots.

A *cold spot* is a care home with no approved partner within reach: none within both the
home's search radius and the partner's own travel radius (the ranker's hard limits). Found
with a k-d tree over the partners near the region, never by comparing every pair.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..csvout import write_csv
from ..domain.geo import EARTH_RADIUS_KM, haversine_km
from ..models import INTRODUCTION_STATUSES, CareHome, CommunityGroup, Introduction, User
from ..models import IntroductionEvent as Event
from . import scope
from .match_lists import homes_for

# Nearest partners examined per home before falling back to an exact radius search.
_NEAREST = 16

REPORT_COLUMNS = (
    "section",
    "item",
    "count",
    "care_home_id",
    "care_home_name",
    "care_home_postcode",
    "local_authority_name",
    "group_id",
    "group_name",
    "group_kind",
    "since",
    "search_radius_km",
    "nearest_partner_km",
)


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lmb = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lmb), np.cos(phi) * np.sin(lmb), np.sin(phi)])


def _chord(km: np.ndarray | float) -> np.ndarray:
    # Distance through the sphere for an arc of ``km``, widened a hair against rounding.
    return 2.0 * np.sin(np.minimum(np.asarray(km, dtype=float) / (2 * EARTH_RADIUS_KM),
                                   np.pi / 2)) * (1 + 1e-9)


def reach(home_lat, home_lon, home_radius, partner_lat, partner_lon, partner_radius
          ) -> tuple[np.ndarray, np.ndarray]:
    """For each home: whether any partner lies within both radii, and the nearest partner's
    distance in km (inf when there are no partners)."""
    home_lat = np.asarray(home_lat, dtype=float)
    home_lon = np.asarray(home_lon, dtype=float)
    home_radius = np.asarray(home_radius, dtype=float)
    partner_lat = np.asarray(partner_lat, dtype=float)
    partner_lon = np.asarray(partner_lon, dtype=float)
    partner_radius = np.asarray(partner_radius, dtype=float)
    n = len(home_lat)
    covered = np.zeros(n, dtype=bool)
    nearest = np.full(n, np.inf)
    if not n or not len(partner_lat):
        return covered, nearest
    tree = cKDTree(_unit_vectors(partner_lat, partner_lon))
    k = min(_NEAREST, len(partner_lat))
    _, idx = tree.query(_unit_vectors(home_lat, home_lon), k=k)
    idx = idx.reshape(n, k)
    dist = haversine_km(home_lat[:, None], home_lon[:, None], partner_lat[idx],
                        partner_lon[idx]).reshape(n, k)
    nearest = dist.min(axis=1)
    within = (dist <= home_radius[:, None]) & (dist <= partner_radius[idx])
    covered = within.any(axis=1)
    # Undecided: every one of the k nearest is inside the home's radius but none reaches back.
    # Rare (a crowd of partners with short travel radii), so search those homes exactly.
    undecided = np.flatnonzero(~covered & (dist <= home_radius[:, None]).all(axis=1))
    if len(undecided):
        points = _unit_vectors(home_lat[undecided], home_lon[undecided])
        hits = tree.query_ball_point(points, _chord(home_radius[undecided]))
        for i, candidates in zip(undecided, hits, strict=True):
            candidates = np.asarray(candidates, dtype=np.int64)
            d = haversine_km(home_lat[i], home_lon[i], partner_lat[candidates],
                             partner_lon[candidates])
            covered[i] = bool(np.any((d <= home_radius[i]) & (d <= partner_radius[candidates])))
    return covered, nearest


def cold_spots(session: Session, homes: list[CareHome]) -> list[dict[str, Any]]:
    """The homes with no approved partner within reach, with their nearest partner's distance."""
    if not homes:
        return []
    lat = np.array([h.lat for h in homes], dtype=float)
    lon = np.array([h.lon for h in homes], dtype=float)
    radius = np.array([h.search_radius_km or 0.0 for h in homes], dtype=float)
    # Only partners that could reach any of these homes: a box around them widened by the
    # largest home radius (a partner outside it is beyond every home's own radius). Wider
    # still for the nearest-partner distance, which is shown for information.
    margin_km = float(radius.max()) + 50.0
    dlat = margin_km / 111.0
    dlon = margin_km / (111.0 * max(np.cos(np.radians(min(abs(lat.max()), 89.0))), 0.01))
    rows = session.execute(select(
        CommunityGroup.lat, CommunityGroup.lon, CommunityGroup.travel_radius_km,
    ).where(
        CommunityGroup.status == "approved",
        CommunityGroup.lat.between(float(lat.min()) - dlat, float(lat.max()) + dlat),
        CommunityGroup.lon.between(float(lon.min()) - dlon, float(lon.max()) + dlon),
    )).all()
    partners = np.array(rows, dtype=float).reshape(-1, 3)
    covered, nearest = reach(lat, lon, radius, partners[:, 0], partners[:, 1], partners[:, 2])
    out = []
    for i in np.flatnonzero(~covered):
        home = homes[i]
        out.append({
            "id": home.id,
            "name": home.name,
            "postcode": home.postcode,
            "local_authority_code": home.local_authority_code,
            "local_authority_name": home.local_authority_name,
            "search_radius_km": home.search_radius_km,
            "nearest_partner_km": round(float(nearest[i]), 2) if np.isfinite(nearest[i])
            else None,
        })
    return out


def _introductions(session: Session, nation: str | None):
    query = select(Introduction)
    if nation:
        query = query.join(CareHome, Introduction.care_home_id == CareHome.id).where(
            CareHome.nation == nation)
    return query


def network_report(session: Session, nation: str | None) -> dict[str, Any]:
    """The report as a dict (``nation`` None covers the whole network)."""
    homes = homes_for(session, nation)
    by_status = dict.fromkeys(INTRODUCTION_STATUSES, 0)
    counted = _introductions(session, nation).subquery()
    for status, count in session.execute(
            select(counted.c.status, func.count()).group_by(counted.c.status)):
        by_status[status] = int(count)

    became_active = (select(Event.introduction_id, func.max(Event.at).label("since"))
                     .where(Event.to_status == "active").group_by(Event.introduction_id)
                     .subquery())
    home, group = aliased(CareHome), aliased(CommunityGroup)
    query = (select(Introduction.id, home.id, home.name, home.postcode,
                    home.local_authority_name, group.id, group.name, group.kind,
                    became_active.c.since)
             .join(home, Introduction.care_home_id == home.id)
             .join(group, Introduction.group_id == group.id)
             .outerjoin(became_active, became_active.c.introduction_id == Introduction.id)
             .where(Introduction.status == "active")
             .order_by(home.name, group.name))
    if nation:
        query = query.where(home.nation == nation)
    active = [{
        "introduction_id": intro_id,
        "care_home": {"id": home_id, "name": home_name, "postcode": postcode,
                      "local_authority_name": la_name},
        "group": {"id": group_id, "name": group_name, "kind": kind},
        "since": _iso(since),
    } for intro_id, home_id, home_name, postcode, la_name, group_id, group_name, kind, since
        in session.execute(query)]

    partners = select(func.count()).select_from(CommunityGroup).where(
        CommunityGroup.status == "approved")
    if nation:
        partners = partners.where(CommunityGroup.nation == nation)
    return {
        "nation": nation,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "care_homes": len(homes),
        "approved_partners": int(session.scalar(partners) or 0),
        "introductions": {"total": sum(by_status.values()), "by_status": by_status},
        "active_links": active,
        "cold_spots": cold_spots(session, homes),
        "outcomes": outcomes_report(session, nation),
    }


LASTING_VISITS = 3


def outcomes_report(session: Session, nation: str | None) -> dict[str, Any]:
    """How introductions turned out: those that led to at least three visits done, and the
    share of rated visits rated 4 or 5 (a visit's rating: the mean of both sides' answers)."""
    from ..models import PairOutcome, Visit, VisitFeedback

    lasting = select(func.count()).select_from(PairOutcome).where(
        PairOutcome.visits_done >= LASTING_VISITS)
    done = select(func.coalesce(func.sum(PairOutcome.visits_done), 0))
    if nation:
        lasting = lasting.join(CareHome, PairOutcome.care_home_id == CareHome.id).where(
            CareHome.nation == nation)
        done = done.join(CareHome, PairOutcome.care_home_id == CareHome.id).where(
            CareHome.nation == nation)
    ratings = (select(VisitFeedback.visit_id, VisitFeedback.occurrence_key,
                      func.avg(VisitFeedback.rating).label("rating"))
               .join(Visit, VisitFeedback.visit_id == Visit.id)
               .join(Introduction, Visit.introduction_id == Introduction.id)
               .where(VisitFeedback.rating.is_not(None))
               .group_by(VisitFeedback.visit_id, VisitFeedback.occurrence_key))
    if nation:
        ratings = ratings.join(CareHome, Introduction.care_home_id == CareHome.id).where(
            CareHome.nation == nation)
    per_visit = [float(row.rating) for row in session.execute(ratings)]
    high = sum(1 for rating in per_visit if rating >= 4)
    return {
        "introductions_with_3_visits": int(session.scalar(lasting) or 0),
        "visits_done": int(session.scalar(done) or 0),
        "visits_rated": len(per_visit),
        "visits_rated_4_or_5": high,
        "share_rated_4_or_5": round(high / len(per_visit), 3) if per_visit else None,
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def report_csv(report: dict[str, Any]) -> str:
    """The report as one CSV: a ``section`` column says what each row is (see
    docs/csv-formats.md)."""
    rows: list[list[Any]] = []
    blank = [""] * 10
    for status, count in report["introductions"]["by_status"].items():
        rows.append(["introductions", status, count, *blank])
    for link in report["active_links"]:
        home, group = link["care_home"], link["group"]
        rows.append(["active_link", link["introduction_id"], "", home["id"], home["name"],
                     home["postcode"], home["local_authority_name"] or "", group["id"],
                     group["name"], group["kind"], link["since"] or "", "", ""])
    for item, count in (report.get("outcomes") or {}).items():
        rows.append(["outcomes", item, "" if count is None else count, *blank])
    for spot in report["cold_spots"]:
        nearest = spot["nearest_partner_km"]
        rows.append(["cold_spot", spot["id"], "", spot["id"], spot["name"], spot["postcode"],
                     spot["local_authority_name"] or "", "", "", "", "",
                     spot["search_radius_km"], "" if nearest is None else nearest])
    return write_csv(REPORT_COLUMNS, rows)


# --- the coordinator's dashboard ----------------------------------------------------------------

@dataclass
class Dashboard:
    """What the coordinator's dashboard shows for one nation (every nation when None)."""

    nation: str | None
    pending: list[CommunityGroup]
    pending_total: int
    counts: dict[str, int]
    recent: list[Introduction]
    status_filter: str | None
    q: str
    homes: list[CareHome] | None
    groups: list[CommunityGroup] | None
    # Approved groups whose changes through their link wait for approval.
    changed: list[CommunityGroup] = field(default_factory=list)


def dashboard(session: Session, user: User, *, nation: str | None = None,
              status: str | None = None, q: str | None = None, page: int = 50,
              found: int = 25) -> Dashboard:
    """Pending registrations, introductions by status (``status`` lists one), the latest
    introductions and, with ``q``, the homes and groups found; all within the user's scope.

    ``nation`` is what was asked for: a coordinator always sees their own.
    """
    from . import introductions, records

    nation = scope.nation_in_view(user, nation)
    filters = {"nation": nation} if nation else {}
    pending_query = records.list_groups(user, {**filters, "status": "pending"})
    pending_total = session.scalar(
        select(func.count()).select_from(pending_query.order_by(None).subquery()))
    # Oldest first: whoever has waited longest is reviewed first.
    pending = list(session.scalars(pending_query.order_by(None).order_by(
        CommunityGroup.created_at, CommunityGroup.id).limit(page)))

    counts_query = scope.introductions_in_scope(
        user, select(Introduction.status, func.count(Introduction.id)))
    if nation and user.role == "admin":
        counts_query = counts_query.where(Introduction.care_home.has(nation=nation))
    counts = dict(session.execute(counts_query.group_by(Introduction.status)).all())
    status = status if status in INTRODUCTION_STATUSES else None
    intro_filters = {**filters, **({"status": status} if status else {})}
    recent = list(session.scalars(
        introductions.list_introductions(user, intro_filters).limit(page)))

    q = (q or "").strip()[:200]
    homes = groups = None
    if q:
        homes = list(session.scalars(records.list_homes(user, {**filters, "q": q}).limit(found)))
        groups = list(session.scalars(
            records.list_groups(user, {**filters, "q": q}).limit(found)))
    changed = list(session.scalars(records.list_groups(user, filters).where(
        CommunityGroup.pending_changes.is_not(None)).limit(page)))
    return Dashboard(nation, pending, pending_total or 0, counts, recent, status, q,
                     homes, groups, changed)
