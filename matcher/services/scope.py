"""Who may see and change what: the authorisation rules in one place.

Views never test roles or nations themselves: the services call these rules, and raise
:class:`~.errors.Forbidden` (403) where a ``require_*`` rule fails. A single record the caller
may not even see is answered as missing (404, ``records.fetch_in_scope``), never 403, so that
ids outside their scope cannot be told from ids that do not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from ..domain import catalogue
from ..models import NATIONS, Allocation, CareHome, CommunityGroup, Introduction, User
from .errors import Forbidden


def covers_nation(user: User | None, nation: str | None) -> bool:
    """Admins cover every nation; a coordinator their own (``None``, the whole network,
    is an admin's alone)."""
    if user is None:
        return False
    return user.role == "admin" or (user.role == "coordinator" and nation == user.nation)


def can_access_home(user: User | None, home: CareHome) -> bool:
    if covers_nation(user, home.nation):
        return True
    return user is not None and user.role == "care_home" and user.care_home_id == home.id


def can_manage_group(user: User | None, group: CommunityGroup) -> bool:
    """Coordinators and admins of the group's nation manage it (and see its contact details)."""
    return covers_nation(user, group.nation)


def can_view_group(user: User | None, group: CommunityGroup) -> bool:
    """Care-home staff may look at approved groups (without contact details)."""
    if can_manage_group(user, group):
        return True
    return user is not None and user.role == "care_home" and group.status == "approved"


def can_access_introduction(user: User | None, intro: Introduction) -> bool:
    return can_access_home(user, intro.care_home)


def may_move_introduction_to(user: User | None, status: str) -> bool:
    """Care-home staff make their own side's moves only (``INTRODUCTION_STAFF_STATUSES``);
    coordinators and admins any the lifecycle allows."""
    if user is not None and user.role == "care_home":
        return status in catalogue.INTRODUCTION_STAFF_STATUSES
    return user is not None


def can_create(user: User | None) -> bool:
    """Coordinators and admins add homes and groups (and remove homes)."""
    return user is not None and user.role in ("admin", "coordinator")


def can_see_allocation(user: User | None, allocation: Allocation) -> bool:
    return covers_nation(user, allocation.nation)


def has_role(user: User | None, roles: tuple[str, ...]) -> bool:
    """Whether ``user`` holds one of ``roles`` (the pages' gate)."""
    return user is not None and user.role in roles


def can_use_network_tools(user: User | None) -> bool:
    """Coordinators and admins: the dashboard, approvals, match lists and allocations."""
    return has_role(user, ("coordinator", "admin"))


def own_home_id(user: User | None) -> int | None:
    """The home care-home staff work for (None for everyone else)."""
    if user is not None and user.role == "care_home":
        return user.care_home_id
    return None


def can_read_audit(user: User | None) -> bool:
    return user is not None and user.role == "admin"


def require_create(user: User | None, what: str) -> None:
    """403 unless ``user`` may add ``what`` (e.g. "care homes")."""
    if not can_create(user):
        raise Forbidden(f"Only coordinators and admins may add {what}.")


def require_remove_home(user: User | None) -> None:
    if not can_create(user):
        raise Forbidden("Only coordinators and admins may remove care homes.")


def require_audit(user: User | None) -> None:
    if not can_read_audit(user):
        raise Forbidden("Only admins may read the audit trail.")


def can_move_between_nations(user: User | None) -> bool:
    """Only coordinators and admins move a home to another nation (into another
    coordinator's care); care-home staff cannot."""
    return can_create(user)


def require_own_nation(user: User | None, record: Any) -> None:
    """403 when a coordinator's record (just placed by its postcode) lies in another nation."""
    if user is not None and user.role == "coordinator" and record.nation != user.nation:
        raise Forbidden(f"This postcode is in {record.nation}; you coordinate {user.nation}.")


def resolve_nation(user: User, nation: str | None) -> str | None:
    """The nation a coordinator's or admin's request covers (None = every nation).

    A coordinator is held to their own nation (asking for another is a 403); an admin may
    ask for any nation or, leaving it out, all of them. Care-home staff get a 403.
    """
    if nation is not None and nation not in NATIONS:
        raise Forbidden(f"Unknown nation {nation!r}.")
    if user.role == "admin":
        return nation
    if user.role == "coordinator":
        if nation is not None and nation != user.nation:
            raise Forbidden(f"You coordinate {user.nation}; you cannot see {nation}.")
        return user.nation
    raise Forbidden("Only coordinators and admins may use the network tools.")


def nation_in_view(user: User, asked: str | None) -> str | None:
    """The nation a page shows: a coordinator's own, whatever was asked; an admin's choice
    (every nation when None or unknown)."""
    if user.role == "coordinator":
        return user.nation
    return asked if asked in NATIONS else None


def visible_home_ids(session: Session, user: User, ids: list[int]) -> set[int]:
    """Which of these homes ``user`` may see (queried 500 ids at a time)."""
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update(session.scalars(homes_in_scope(
            user, select(CareHome.id).where(CareHome.id.in_(chunk)))))
    return out


def homes_in_scope(user: User, query: Select) -> Select:
    if user.role == "admin":
        return query
    if user.role == "coordinator":
        return query.where(CareHome.nation == user.nation)
    if user.role == "care_home":
        return query.where(CareHome.id == user.care_home_id)
    return query.where(false())


def groups_in_scope(user: User, query: Select) -> Select:
    if user.role == "admin":
        return query
    if user.role == "coordinator":
        return query.where(CommunityGroup.nation == user.nation)
    if user.role == "care_home":
        return query.where(CommunityGroup.status == "approved")
    return query.where(false())


def allocations_in_scope(user: User, query: Select) -> Select:
    """Stored allocations of the caller's nation (all for an admin; 403 for others)."""
    resolve_nation(user, None)
    if user.role == "coordinator":
        return query.where(Allocation.nation == user.nation)
    return query


def introductions_in_scope(user: User, query: Select) -> Select:
    if user.role == "admin":
        return query
    if user.role == "coordinator":
        return query.join(CareHome, Introduction.care_home_id == CareHome.id).where(
            CareHome.nation == user.nation
        )
    if user.role == "care_home":
        return query.where(Introduction.care_home_id == user.care_home_id)
    return query.where(false())
