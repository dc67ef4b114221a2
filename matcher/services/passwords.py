"""Password links: resetting a forgotten password, and the invitation to set a first one.

A link's token is ``<user id>.<issued at>.<signature>``: an HMAC (keyed by the app's secret)
of the purpose, the user, the time it was issued and the account's current email, password
hash and state. Nothing is stored. Setting a password changes the hash (argon2 salts every
hash afresh), so a link dies the moment it is used, as does every other link sent before;
it also dies when it is older than its time to live. The person asking is never told whether
an account exists: an unknown address costs the same work and gets the same answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import User, utcnow
from . import audit, notifications
from .accounts import clear_lockouts, end_sessions, hash_password
from .errors import InvalidInput

RESET = "reset"
INVITE = "invite"
PURPOSES = (RESET, INVITE)
MIN_LENGTH = 10
MAX_LENGTH = 200  # argon2 hashes anything; a limit keeps one request from costing much
# One reset email per account in this many seconds, however often someone asks.
RESET_EMAIL_EVERY_S = 300
# Stands in for an account that does not exist, so the work done is the same.
_NOBODY = SimpleNamespace(id=0, email="nobody@invalid", password_hash="", active=False)  # nosec B106 (an empty hash: no password)


def _epoch(now: dt.datetime | None) -> int:
    return int((now or utcnow()).timestamp())


def _signature(secret: str, purpose: str, user: User, issued: int) -> str:
    message = "\x1f".join(["kith-password-link", purpose, str(user.id), str(issued),
                           user.email or "", user.password_hash or "",
                           "active" if user.active else "inactive"])
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(secret: str, user: User, purpose: str, *, now: dt.datetime | None = None) -> str:
    """A link token for ``user`` (``purpose``: ``reset`` or ``invite``)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if not secret:
        raise ValueError("a password link needs the app's secret key")
    issued = _epoch(now)
    return f"{user.id}.{issued}.{_signature(secret, purpose, user, issued)}"


def user_for_token(session: Session, secret: str, token: str, purpose: str, *,
                   ttl: dt.timedelta, now: dt.datetime | None = None) -> User | None:
    """The active user a link token was made for, or None when it is malformed, forged,
    expired, already used (the password changed since) or for another purpose."""
    parts = (token or "").split(".")
    if not secret or len(parts) != 3 or len(token) > 200 or not (
            parts[0].isdigit() and parts[1].isdigit()):
        return None
    user_id, issued, signature = int(parts[0]), int(parts[1]), parts[2]
    now_s = _epoch(now)
    if not issued <= now_s + 60 or now_s - issued > ttl.total_seconds():
        return None
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    expected = _signature(secret, purpose, user or _NOBODY, issued)
    if user is None or not hmac.compare_digest(expected, signature) or not user.active:
        return None
    return user


def check_password(password: str, confirm: str) -> dict[str, list[str]]:
    """Errors in a new password and its confirmation, by field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}
    if len(password) < MIN_LENGTH:
        errors["password"] = [f"Your password must be at least {MIN_LENGTH} characters long."]
    elif len(password) > MAX_LENGTH:
        errors["password"] = [f"Your password must be {MAX_LENGTH} characters or fewer."]
    elif not password.strip():
        errors["password"] = ["Your password cannot be only spaces."]
    elif password != confirm:
        errors["confirm"] = ["The two passwords do not match."]
    return errors


def set_password(session: Session, user: User, password: str, confirm: str, *,
                 purpose: str) -> User:
    """Give ``user`` a new password through a link: every link sent before stops working,
    every sign-in session ends, and a lock-out after failed sign-ins is lifted."""
    errors = check_password(password, confirm)
    if errors:
        raise InvalidInput(errors)
    user.password_hash = hash_password(password)
    clear_lockouts(session, user.email)
    end_sessions(session, user)
    session.flush()
    audit.record(session, audit.Actor.for_user(user), "password", user,
                 {"via": "invitation" if purpose == INVITE else "reset link"})
    return user


def _link_context(user: User, token: str, ttl: dt.timedelta) -> dict:
    # The email builds the link from the token on the configured public address (never
    # from the Host header of the request that asked, which anyone can set). Codes and
    # minutes, not words: the email is written in the user's language.
    return {"token": token, "valid_for": valid_for(ttl),
            "valid_minutes": max(1, round(ttl.total_seconds() / 60)), "email": user.email,
            "role": user.role, "nation": user.nation or "",
            "care_home": user.care_home.name if user.care_home else ""}


def valid_for(ttl: dt.timedelta) -> str:
    hours = round(ttl.total_seconds() / 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return "1 hour" if hours == 1 else f"{hours} hours"
    minutes = max(1, round(ttl.total_seconds() / 60))
    return f"{minutes} minutes"


def request_reset(session: Session, secret: str, email: str, *, ttl: dt.timedelta,
                  now: dt.datetime | None = None) -> None:
    """Email a reset link to the account with this address, if there is an active one.

    Says nothing either way (the page answers the same), and the token is computed for an
    unknown address too so both take about as long. At most one email per account every
    ``RESET_EMAIL_EVERY_S`` seconds: the earlier link still works meanwhile.
    """
    address = (email or "").strip().lower()
    user = session.scalar(select(User).where(User.email == address)) if address else None
    token = make_token(secret, user or _NOBODY, RESET, now=now)
    if user is None or not user.active:
        return
    issued = _epoch(now)
    notifications.queue_email(
        session, template="password_reset", to_email=user.email, recipient_role=user.role,
        event_key=f"password-reset:{user.id}:{issued // RESET_EMAIL_EVERY_S}",
        context=_link_context(user, token, ttl), about=("user", user.id),
        language=user.preferred_language)


def invite(session: Session, secret: str, user: User, *, ttl: dt.timedelta,
           actor: audit.Actor = audit.SYSTEM, now: dt.datetime | None = None) -> None:
    """Email a new account its invitation: a link to set its own first password."""
    token = make_token(secret, user, INVITE, now=now)
    notifications.queue_email(
        session, template="invitation", to_email=user.email, recipient_role=user.role,
        event_key=f"invitation:{user.id}:{_epoch(now)}",
        context=_link_context(user, token, ttl), about=("user", user.id),
        language=user.preferred_language)
    audit.record(session, actor, "invite", user, {"valid_for": valid_for(ttl)})
