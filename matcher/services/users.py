"""Accounts managed from the pages: invite, list, deactivate, reactivate, re-send.

Who may touch whom: an admin manages every account (and may invite admins, coordinators of
any nation and staff of any home); a coordinator manages only the care-home staff of homes
in their own nation, and invites only them. Another nation's accounts, coordinators and
admins are outside a coordinator's scope, answered as if they did not exist (404). Every
change is audited; the invited set their own password through the emailed link
(:mod:`matcher.services.passwords`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from ..models import CareHome, User
from . import accounts, audit, passwords
from .errors import Conflict, Forbidden, InvalidInput, NotFound

INVITABLE_ROLES = {"admin": ("care_home", "coordinator", "admin"), "coordinator": ("care_home",)}


def invitable_roles(actor: User | None) -> tuple[str, ...]:
    """The roles ``actor`` may give a new account (none: the page is not theirs)."""
    return INVITABLE_ROLES.get(getattr(actor, "role", None), ())


def require_manager(actor: User | None) -> None:
    if not invitable_roles(actor):
        raise Forbidden("Only coordinators and admins manage accounts.")


def users_in_scope(actor: User, query: Select) -> Select:
    """Limit ``query`` (on :class:`User`) to the accounts ``actor`` manages."""
    if actor.role == "admin":
        return query
    if actor.role == "coordinator":
        return query.join(CareHome, User.care_home_id == CareHome.id).where(
            User.role == "care_home", CareHome.nation == actor.nation)
    return query.where(false())


def can_manage_user(actor: User | None, user: User) -> bool:
    if actor is None or not invitable_roles(actor):
        return False
    if actor.role == "admin":
        return True
    return (user.role == "care_home" and user.care_home is not None
            and user.care_home.nation == actor.nation)


def list_users(actor: User, *, role: str | None = None) -> Select:
    """The accounts ``actor`` manages, by email (``role`` filters)."""
    require_manager(actor)
    query = users_in_scope(actor, select(User))
    if role:
        query = query.where(User.role == role)
    return query.order_by(User.email, User.id)


def count_users(session: Session, actor: User) -> int:
    query = list_users(actor).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(query)) or 0


def get_user(session: Session, actor: User, user_id: int) -> User:
    """An account ``actor`` manages (404 for one outside their scope, as if missing)."""
    require_manager(actor)
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or not can_manage_user(actor, user):
        raise NotFound(f"There is no account with id {user_id}.")
    return user


def invite_user(session: Session, secret: str, actor: User, data: dict[str, Any], *,
                ttl: dt.timedelta) -> User:
    """Create an account without a password and email it an invitation to set one.

    ``data`` is an :class:`~matcher.schemas.users.InvitationSchema` load. A coordinator may
    invite only staff of a home in their nation (422 on ``role`` or ``care_home_id``).
    """
    require_manager(actor)
    role = data["role"]
    errors: dict[str, list[str]] = {}
    if role not in invitable_roles(actor):
        errors["role"] = ["You can invite care-home staff only."]
    nation = data.get("nation")
    home_id = data.get("care_home_id")
    if role == "coordinator" and not nation:
        errors["nation"] = ["Choose the nation the coordinator covers."]
    if role == "care_home":
        home = session.get(CareHome, home_id) if home_id else None
        if home_id is None:
            errors["care_home_id"] = ["Enter the number of the care home."]
        elif home is None or (actor.role == "coordinator" and home.nation != actor.nation):
            errors["care_home_id"] = [f"There is no care home number {home_id} in your "
                                      "network."]
    if errors:
        raise InvalidInput(errors)
    who = audit.Actor.for_user(actor)
    try:
        user = accounts.create_user(session, data["email"], role, nation=nation,
                                    care_home_id=home_id, actor=who,
                                    preferred_language=data.get("preferred_language", "en"))
    except InvalidInput as exc:
        # The only rule left for create_user to find: the address is already an account.
        raise InvalidInput({("care_home_id" if key == "care_home" else key): value
                            for key, value in exc.errors.items()}) from None
    passwords.invite(session, secret, user, ttl=ttl, actor=who)
    return user


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Deactivate (sign-in, sessions, API tokens and password links stop working at once)
    or reactivate an account; one's own account cannot be deactivated (409)."""
    user = get_user(session, actor, user_id)
    if user.id == actor.id and not active:
        raise Conflict("You cannot deactivate your own account.")
    if user.active == active:
        return user
    user.active = active
    if not active:
        accounts.end_sessions(session, user)
    audit.record(session, audit.Actor.for_user(actor),
                 "reactivate" if active else "deactivate", user, {"active": [not active, active]})
    return user


def resend_invitation(session: Session, secret: str, actor: User, user_id: int, *,
                      ttl: dt.timedelta) -> User:
    """Email a fresh invitation to an active account that has not set its password yet
    (409 otherwise); links sent before keep working until one is used."""
    user = get_user(session, actor, user_id)
    if user.password_hash or not user.active:
        raise Conflict("This account has already set its password, or is deactivated: "
                       "there is no invitation to send.")
    passwords.invite(session, secret, user, ttl=ttl, actor=audit.Actor.for_user(actor))
    return user
