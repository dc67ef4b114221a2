"""The coordinator's list of care homes: search, filters, partners in reach and paging.

"Partners in reach" is the cold-spot rule of :mod:`.reports`: a home has partners when an
approved partner lies within both the home's search radius and the partner's travel radius.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import VISITING_STATUSES, CareHome, CommunityGroup, User
from . import records, scope
from .reports import reach

PARTNER_FILTERS = ("with", "without")


@dataclass
class HomeList:
    """One page of the list, with what it was filtered by."""

    nation: str | None
    rows: list[tuple[CareHome, bool]]  # (home, has a partner in reach)
    total: int
    page: int
    pages: int
    filters: dict[str, str]
    local_authorities: list[tuple[str, str]]  # (code, name) in the nation shown


def _covered(session: Session, points: np.ndarray) -> np.ndarray:
    """Whether each home of ``points`` (rows of lat, lon, radius) has a partner in reach."""
    if not len(points):
        return np.zeros(0, dtype=bool)
    lat, lon, radius = points[:, 0], points[:, 1], points[:, 2]
    # Partners beyond the widest home radius of the box cannot reach any of these homes.
    margin_km = float(radius.max()) + 1.0
    dlat = margin_km / 111.0
    dlon = margin_km / (111.0 * max(np.cos(np.radians(min(abs(lat).max(), 89.0))), 0.01))
    rows = session.execute(select(
        CommunityGroup.lat, CommunityGroup.lon, CommunityGroup.travel_radius_km,
    ).where(
        CommunityGroup.status == "approved",
        CommunityGroup.lat.between(float(lat.min()) - dlat, float(lat.max()) + dlat),
        CommunityGroup.lon.between(float(lon.min()) - dlon, float(lon.max()) + dlon),
    )).all()
    partners = np.array(rows, dtype=float).reshape(-1, 3)
    covered, _ = reach(lat, lon, radius, partners[:, 0], partners[:, 1], partners[:, 2])
    return covered


def clean_filters(args: dict[str, Any]) -> dict[str, str]:
    """The recognised filters of a query string; unknown values are dropped, never an error."""
    out: dict[str, str] = {}
    q = str(args.get("q") or "").strip()[:200]
    if q:
        out["q"] = q
    la = str(args.get("local_authority") or "").strip()[:9]
    if la:
        out["local_authority"] = la
    if args.get("visiting_status") in VISITING_STATUSES:
        out["visiting_status"] = args["visiting_status"]
    if args.get("status") in ("deregistered", "all"):
        out["status"] = args["status"]
    if args.get("partners") in PARTNER_FILTERS:
        out["partners"] = args["partners"]
    return out


def list_homes(session: Session, user: User, *, nation: str | None, filters: dict[str, str],
               page: int = 1, per_page: int = 50) -> HomeList:
    """The homes in ``user``'s scope matching ``filters`` (see :func:`clean_filters`), one
    page of ``per_page`` by name, each with whether a partner is in reach."""
    nation = scope.nation_in_view(user, nation)
    query = scope.homes_in_scope(user, select(CareHome.id, CareHome.lat, CareHome.lon,
                                              CareHome.search_radius_km))
    if nation:
        query = query.where(CareHome.nation == nation)
    las_query = query.with_only_columns(
        CareHome.local_authority_code, CareHome.local_authority_name).where(
        CareHome.local_authority_code.is_not(None)).distinct()
    local_authorities = sorted(((code, name or code) for code, name in session.execute(las_query)),
                               key=lambda item: item[1])
    if filters.get("q"):
        query = query.where(records.text_search(CareHome, filters["q"], town=True))
    if filters.get("local_authority"):
        query = query.where(CareHome.local_authority_code == filters["local_authority"])
    if filters.get("visiting_status"):
        query = query.where(CareHome.visiting_status == filters["visiting_status"])
    # Homes off the register only when asked for.
    status = filters.get("status", "active")
    if status != "all":
        query = query.where(CareHome.status == status)
    query = query.order_by(func.lower(CareHome.name), CareHome.id)

    coverage: dict[int, bool] = {}
    if filters.get("partners"):
        rows = session.execute(query).all()
        points = np.array([(r.lat, r.lon, r.search_radius_km or 0.0) for r in rows],
                          dtype=float).reshape(-1, 3)
        covered = _covered(session, points)
        want = filters["partners"] == "with"
        ids = [r.id for r, ok in zip(rows, covered, strict=True) if bool(ok) == want]
        coverage = {home_id: want for home_id in ids}
        total = len(ids)
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)
        page_ids = ids[(page - 1) * per_page:page * per_page]
    else:
        total = session.scalar(select(func.count()).select_from(
            query.order_by(None).subquery())) or 0
        pages = max(1, -(-total // per_page))
        page = min(max(page, 1), pages)
        rows = session.execute(query.offset((page - 1) * per_page).limit(per_page)).all()
        page_ids = [r.id for r in rows]
        points = np.array([(r.lat, r.lon, r.search_radius_km or 0.0) for r in rows],
                          dtype=float).reshape(-1, 3)
        coverage = dict(zip(page_ids, (bool(c) for c in _covered(session, points)),
                            strict=True))
    homes = {h.id: h for h in session.scalars(select(CareHome).where(CareHome.id.in_(page_ids)))}
    return HomeList(nation, [(homes[i], coverage[i]) for i in page_ids], total, page, pages,
                    filters, local_authorities)


def find_homes(session: Session, user: User, text: str, *, limit: int = 10) -> list[CareHome]:
    """The homes in ``user``'s scope that ``text`` names, for a form that asks which home:
    its number in Kith, its regulator's id (such as ``1-101234567``), or part of its name,
    town or postcode (homes still on the register, by name; at most ``limit``)."""
    text = " ".join((text or "").split())[:200]
    if not text:
        return []
    query = scope.homes_in_scope(user, select(CareHome))
    if text.isdigit() and len(text) <= 9:
        by_number = session.scalars(query.where(CareHome.id == int(text))).all()
        if by_number:
            return list(by_number)
    by_regulator = session.scalars(query.where(
        func.upper(CareHome.regulator_id) == text.upper()).order_by(CareHome.id)
        .limit(limit)).all()
    if by_regulator:
        return list(by_regulator)
    return list(session.scalars(
        query.where(CareHome.status == "active", records.text_search(CareHome, text, town=True))
        .order_by(func.lower(CareHome.name), CareHome.id).limit(limit)))
