"""Network allocations: the best set of new links for a nation, stored and exportable.

Candidates come from the matching service in one batch: each home's best
:data:`CANDIDATES_PER_HOME` (at least four times ``per_home``) partners, with their scores.
Pairs that already have an open introduction are left out (the allocation proposes new
links). The pure solver in :mod:`matcher.domain.allocation` then picks the pairs with the
highest total score such that

* each home gets at most ``per_home`` partners, and
* each partner takes at most its remaining capacity: ``capacity_per_month`` less its
  ``active`` introductions. A partner who gave no capacity counts as unlimited, which in
  practice means at most one slot per home (the number of homes).

The result is optimal over those candidates, not greedy. ``strategy="fair"`` (the API's
default) first serves as many homes as possible with one partner each, then maximises the
total; ``"total"`` maximises the total alone. ``max_homes_per_partner`` caps how many homes
one partner is proposed to. The homes that got nobody are stored with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..csvout import write_csv
from ..domain.allocation import allocate, unlimited_capacity, unserved_homes
from ..models import Allocation, AllocationAssignment, CareHome, CommunityGroup, User
from ..presentation.csv_headers import header_row
from . import audit, scope
from .errors import NotFound
from .introductions import active_counts, open_pairs
from .match_lists import any_partners, homes_for

CANDIDATES_PER_HOME = 25

ALLOCATION_COLUMNS = (
    "allocation_id",
    "care_home_id",
    "care_home_name",
    "care_home_postcode",
    "local_authority_name",
    "group_id",
    "group_name",
    "group_kind",
    "group_postcode",
    "score",
)


def remaining_capacity(session: Session, groups: Sequence[CommunityGroup], n_homes: int
                       ) -> np.ndarray:
    """Slots each partner has left this month (unlimited partners: ``n_homes``)."""
    active = active_counts(session, [g.id for g in groups])
    unlimited = unlimited_capacity(n_homes)
    return np.array([
        unlimited if g.capacity_per_month is None
        else max(int(g.capacity_per_month) - active.get(g.id, 0), 0)
        for g in groups
    ], dtype=np.int64)


def create_allocation(session: Session, cache: Any, actor: audit.Actor, *,
                      nation: str | None, per_home: int, kinds: Sequence[str] | None = None,
                      local_authority: str | None = None, strategy: str = "fair",
                      max_homes_per_partner: int | None = None, n_jobs: int = 1) -> Allocation:
    """Compute, store and return the optimal allocation for the homes of ``nation`` (all
    homes when None; callers check the nation is in scope, see ``resolve_nation``).
    ``n_jobs``: processes for the ranking batch, command line only (see ``batch_matches``)."""
    from . import matching

    homes = homes_for(session, nation, local_authority)
    kinds = list(kinds) if kinds else None
    allocation = Allocation(created_by_id=actor.user_id, nation=nation, per_home=per_home,
                            kinds=kinds, total_score=0.0, strategy=strategy,
                            max_homes_per_partner=max_homes_per_partner)
    unserved: dict[int, str] = {i: "no_partner_in_reach" for i in range(len(homes))}
    if homes and any_partners(session):
        depth = max(CANDIDATES_PER_HOME, 4 * per_home)
        found = matching.batch_matches(session, cache, homes, per_home=depth, kinds=kinds,
                                       n_jobs=n_jobs)
        taken = open_pairs(session, [h.id for h in homes])
        home_pos = {h.id: i for i, h in enumerate(homes)}
        group_pos: dict[int, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        scores: list[float] = []
        for home_id, matches in found.items():
            if home_id not in home_pos:
                continue
            for match in matches:
                group_id = int(match["group"]["id"])
                if (home_id, group_id) in taken:
                    continue
                rows.append(home_pos[home_id])
                cols.append(group_pos.setdefault(group_id, len(group_pos)))
                scores.append(float(match["score"]))
        groups_by_id = {g.id: g for g in _groups(session, list(group_pos))}
        group_ids = list(group_pos)
        groups = [groups_by_id[g] for g in group_ids if g in groups_by_id]
        if len(groups) != len(group_ids):  # a partner vanished since ranking: drop its pairs
            keep = [i for i, g in enumerate(group_ids) if g in groups_by_id]
            remap = {old: new for new, old in enumerate(keep)}
            triples = [(r, remap[c], s) for r, c, s in zip(rows, cols, scores, strict=True)
                       if c in remap]
            rows = [t[0] for t in triples]
            cols = [t[1] for t in triples]
            scores = [t[2] for t in triples]
        capacity = remaining_capacity(session, groups, len(homes))
        if max_homes_per_partner is not None:
            capacity = np.minimum(capacity, max_homes_per_partner)
        result = allocate(rows, cols, scores, n_homes=len(homes), n_partners=len(groups),
                          home_slots=per_home, partner_capacity=capacity, strategy=strategy)
        unserved = unserved_homes(rows, len(homes), result)
        for (h, g), score in zip(result.pairs, result.scores, strict=True):
            allocation.assignments.append(AllocationAssignment(
                care_home=homes[h], group=groups[g], score=round(score, 6)))
        allocation.total_score = round(result.total, 6)
    allocation.unserved = [{"id": homes[i].id, "reason": reason}
                           for i, reason in sorted(unserved.items())]
    session.add(allocation)
    session.flush()
    audit.record(session, actor, "create", allocation, {
        "nation": nation, "per_home": per_home, "kinds": kinds, "strategy": strategy,
        "max_homes_per_partner": max_homes_per_partner,
        "assignments": len(allocation.assignments), "total_score": allocation.total_score,
        "homes_without_partner": len(allocation.unserved)})
    return allocation


def allocate_for(session: Session, cache: Any, user: User, *, nation: str | None,
                 **options: Any) -> Allocation:
    """A coordinator's (own nation) or an admin's allocation, computed and stored."""
    nation = scope.resolve_nation(user, nation)
    return create_allocation(session, cache, audit.Actor.for_user(user), nation=nation,
                             **options)


def _groups(session: Session, ids: list[int]) -> list[CommunityGroup]:
    out: list[CommunityGroup] = []
    for start in range(0, len(ids), 500):
        out.extend(session.scalars(select(CommunityGroup).where(
            CommunityGroup.id.in_(ids[start:start + 500]))))
    return out


def get_allocation(session: Session, allocation_id: int, user: User) -> Allocation:
    """A stored allocation (403 for care-home staff, 404 when missing or another nation's)."""
    scope.resolve_nation(user, None)  # the role, which does not depend on the id
    allocation = session.get(Allocation, allocation_id, options=[
        selectinload(Allocation.assignments).selectinload(AllocationAssignment.care_home),
        selectinload(Allocation.assignments).selectinload(AllocationAssignment.group)])
    if allocation is None or not scope.can_see_allocation(user, allocation):
        # The same answer for both, so no one learns another nation's allocation ids.
        raise NotFound(f"There is no allocation with id {allocation_id}.")
    return allocation


def list_allocations(user: User):
    """Stored allocations the user may see, newest first (a select for paging)."""
    return scope.allocations_in_scope(user, select(Allocation)).order_by(Allocation.id.desc())


def _ordered(allocation: Allocation) -> list[AllocationAssignment]:
    return sorted(allocation.assignments, key=lambda a: (a.care_home_id, -a.score, a.group_id))


def homes_without_partner(session: Session, allocation: Allocation) -> dict[str, Any]:
    """How many homes got nobody and why, with each home's id and name."""
    entries = allocation.unserved or []
    ids = [e["id"] for e in entries]
    names: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        names.update((home_id, name) for home_id, name in session.execute(
            select(CareHome.id, CareHome.name).where(CareHome.id.in_(ids[start:start + 500]))))
    homes = [{"id": e["id"], "name": names[e["id"]], "reason": e["reason"]}
             for e in entries if e["id"] in names]
    return {"count": len(homes),
            "no_partner_in_reach": sum(h["reason"] == "no_partner_in_reach" for h in homes),
            "all_taken": sum(h["reason"] == "all_taken" for h in homes),
            "homes": homes}


def allocation_dict(allocation: Allocation, session: Session | None = None) -> dict[str, Any]:
    """The allocation as the API answers it (``homes_without_partner`` needs the session)."""
    out = {
        "id": allocation.id,
        "nation": allocation.nation,
        "per_home": allocation.per_home,
        "kinds": allocation.kinds,
        "created_at": allocation.created_at.isoformat() if allocation.created_at else None,
        "total_score": allocation.total_score,
        "assignments": [{
            "care_home": {"id": a.care_home.id, "name": a.care_home.name},
            "group": {"id": a.group.id, "name": a.group.name, "kind": a.group.kind},
            "score": a.score,
        } for a in _ordered(allocation)],
        "strategy": allocation.strategy,
        "max_homes_per_partner": allocation.max_homes_per_partner,
    }
    if session is not None:
        out["homes_without_partner"] = homes_without_partner(session, allocation)
    return out


def allocation_csv(allocation: Allocation) -> str:
    """The allocation as CSV (columns in docs/csv-formats.md), neutralised cells."""
    rows = ([allocation.id, a.care_home.id, a.care_home.name, a.care_home.postcode,
             a.care_home.local_authority_name or "", a.group.id, a.group.name, a.group.kind,
             a.group.postcode, f"{a.score:.4f}"] for a in _ordered(allocation))
    return write_csv(header_row(ALLOCATION_COLUMNS), rows)

