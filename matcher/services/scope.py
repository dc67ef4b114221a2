"""Who may see and change what: the authorisation rules in one place."""

from __future__ import annotations

from sqlalchemy import Select, false

from ..models import CareHome, CommunityGroup, Introduction, User


def can_access_home(user: User | None, home: CareHome) -> bool:
    if user is None:
        return False
    if user.role == "admin":
        return True
    if user.role == "coordinator":
        return home.nation == user.nation
    return user.role == "care_home" and user.care_home_id == home.id


def can_manage_group(user: User | None, group: CommunityGroup) -> bool:
    """Coordinators and admins of the group's nation manage it (and see its contact details)."""
    if user is None:
        return False
    if user.role == "admin":
        return True
    return user.role == "coordinator" and group.nation == user.nation


def can_view_group(user: User | None, group: CommunityGroup) -> bool:
    """Care-home staff may look at approved groups (without contact details)."""
    if can_manage_group(user, group):
        return True
    return user is not None and user.role == "care_home" and group.status == "approved"


def can_access_introduction(user: User | None, intro: Introduction) -> bool:
    return can_access_home(user, intro.care_home)


def can_create(user: User | None) -> bool:
    return user is not None and user.role in ("admin", "coordinator")


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
