"""Match lists: every care home in a region with its best partners, as JSON rows or CSV.

All homes are ranked in one vectorised batch by the matching service (never one home at a
time). The CSV has stable, documented columns (docs/csv-formats.md): one row per home and
partner, best first, and one row with empty partner columns for a home with no match, so a
coordinator sees the gaps too. Every text cell is neutralised against formula injection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..csvout import write_csv
from ..domain import catalogue
from ..domain.geo import DISTANCE_DECIMALS, round_km
from ..models import CareHome, CommunityGroup
from ..presentation.csv_headers import header_row
from ..presentation.reasons import render_reasons

COMPONENT_COLUMNS = catalogue.codes(catalogue.RANKING_COMPONENTS)

MATCH_LIST_COLUMNS = (
    "nation",
    "local_authority_code",
    "local_authority_name",
    "care_home_id",
    "care_home_name",
    "care_home_postcode",
    "visiting_status",
    "rank",
    "group_id",
    "group_name",
    "group_kind",
    "score",
    "distance_km",
    *(f"component_{name}" for name in COMPONENT_COLUMNS),
    "in_person_paused",
    "reasons",
    "safeguarding_scheme",
    "safeguarding_status",
    "safeguarding_expires_on",
    "safeguarding_valid",
    "introduction_status",
)


def homes_for(session: Session, nation: str | None = None,
              local_authority: str | None = None) -> list[CareHome]:
    """The active care homes of a nation (all when None), optionally one local authority, by
    id; deregistered homes are in no match list or allocation."""
    query = select(CareHome).where(CareHome.status == "active")
    if nation:
        query = query.where(CareHome.nation == nation)
    if local_authority:
        query = query.where(CareHome.local_authority_code == local_authority)
    return list(session.scalars(query.order_by(CareHome.id)))


def any_partners(session: Session) -> bool:
    """Whether any partner is approved: with none there is nothing to rank (and the ranker
    cannot be fitted on an empty table)."""
    return session.scalar(select(CommunityGroup.id).where(
        CommunityGroup.status == "approved").limit(1)) is not None


def home_summary(home: CareHome) -> dict[str, Any]:
    return {
        "id": home.id,
        "name": home.name,
        "postcode": home.postcode,
        "nation": home.nation,
        "local_authority_code": home.local_authority_code,
        "local_authority_name": home.local_authority_name,
        "visiting_status": home.visiting_status,
    }


def match_list(session: Session, cache: Any, *, nation: str | None = None,
               local_authority: str | None = None, kinds: Sequence[str] | None = None,
               per_home: int = 5, n_jobs: int = 1) -> list[dict[str, Any]]:
    """``[{care_home: {...}, matches: [...]}]`` for every home in the region, by home id
    (``n_jobs``: processes for the batch, command line only; see ``batch_matches``)."""
    from . import matching

    homes = homes_for(session, nation, local_authority)
    if not homes:
        return []
    if not any_partners(session):
        return [{"care_home": home_summary(home), "matches": []} for home in homes]
    found = matching.batch_matches(session, cache, homes, per_home=per_home,
                                   kinds=list(kinds) if kinds else None, n_jobs=n_jobs)
    return [{"care_home": home_summary(home), "matches": found.get(home.id, [])}
            for home in homes]


def _number(value: Any, digits: int) -> str:
    if value is None:
        return ""
    return f"{float(value):.{digits}f}"


def _distance(value: Any) -> str:
    """The distance as every page and the API show it (`round_km`)."""
    return "" if value is None else _number(round_km(value), DISTANCE_DECIMALS)


def match_list_rows(entries: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    """CSV rows (without the header) for :func:`match_list` entries."""
    for entry in entries:
        home = entry["care_home"]
        prefix = [home["nation"], home["local_authority_code"] or "",
                  home["local_authority_name"] or "", home["id"], home["name"],
                  home["postcode"], home["visiting_status"]]
        if not entry["matches"]:
            yield prefix + [""] * (len(MATCH_LIST_COLUMNS) - len(prefix))
            continue
        for rank, match in enumerate(entry["matches"], start=1):
            group = match["group"]
            components = match.get("components") or {}
            yield prefix + [
                rank, group["id"], group["name"], group.get("kind", ""),
                _number(match.get("score"), 4), _distance(match.get("distance_km")),
                *(_number(components.get(name), 4) for name in COMPONENT_COLUMNS),
                "yes" if match.get("in_person_paused") else "no",
                "; ".join(render_reasons(match.get("explanations") or ())),
                *_check_cells(match.get("safeguarding")),
                match.get("introduction_status") or "",
            ]


def _check_cells(check: dict[str, Any] | None) -> list[str]:
    if not check:
        return ["", "", "", ""]
    needed_and_missing = check.get("needed") and not check.get("valid")
    return [check.get("scheme") or "", check.get("status") or "",
            check.get("expires_on") or "",
            "yes" if check.get("valid") else ("no" if needed_and_missing else "not needed")]


def match_list_csv(session: Session, cache: Any, nation: str | None = None, *,
                   local_authority: str | None = None, kinds: Sequence[str] | None = None,
                   per_home: int = 5, n_jobs: int = 1) -> str:
    """The match list of a nation (or the whole network) as CSV text, its header and reasons
    in the current language (English: the documented column names)."""
    entries = match_list(session, cache, nation=nation, local_authority=local_authority,
                         kinds=kinds, per_home=per_home, n_jobs=n_jobs)
    return write_csv(header_row(MATCH_LIST_COLUMNS), match_list_rows(entries))
