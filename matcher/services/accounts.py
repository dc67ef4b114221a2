"""Users, passwords (argon2) and API tokens (stored as SHA-256 hashes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..domain.catalogue import CORRESPONDENCE_LANGUAGES
from ..models import NATIONS, ROLES, ApiToken, CareHome, SignInFailure, User, utcnow
from . import audit
from .errors import InvalidInput, NotFound

_hasher = PasswordHasher()
# A label that makes leaked tokens easy to spot, not a secret.
TOKEN_PREFIX = "kith_"  # noqa: S105  # nosec B105
# Failures allowed for one account name from one client address before a lock-out; the
# first lock-out lasts LOCKOUT, each further one twice as long, up to MAX_LOCKOUT.
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MAX_LOCKOUT = dt.timedelta(hours=4)
FORGET_LOCKOUTS_AFTER = dt.timedelta(days=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough to make a stolen table useless.
    return hashlib.sha256(raw.encode()).hexdigest()


def create_user(session: Session, email: str, role: str, *, nation: str | None = None,
                care_home_id: int | None = None, password: str | None = None,
                preferred_language: str = "en",
                actor: audit.Actor = audit.SYSTEM) -> User:
    """Create a user after checking the role's scope makes sense; Kith writes to them in
    ``preferred_language`` (``cy`` or ``en``)."""
    errors: dict[str, list[str]] = {}
    email = email.strip().lower()
    if "@" not in email:
        errors["email"] = ["Enter an email address in the correct format, like name@example.org."]
    if role not in ROLES:
        errors["role"] = [f"Role must be one of: {', '.join(ROLES)}."]
    if role == "coordinator" and nation not in NATIONS:
        errors["nation"] = [f"A coordinator needs a nation: one of {', '.join(NATIONS)}."]
    if role == "care_home":
        if care_home_id is None:
            errors["care_home"] = ["Care-home staff need the id of their care home."]
        elif session.get(CareHome, care_home_id) is None:
            errors["care_home"] = [f"There is no care home with id {care_home_id}."]
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = [f"A user with the email {email} already exists."]
    if preferred_language not in CORRESPONDENCE_LANGUAGES:
        errors["preferred_language"] = [
            f"Language must be one of: {', '.join(CORRESPONDENCE_LANGUAGES)}."]
    if errors:
        raise InvalidInput(errors)
    user = User(email=email, role=role, nation=nation if role == "coordinator" else None,
                care_home_id=care_home_id if role == "care_home" else None,
                password_hash=hash_password(password) if password else None,
                preferred_language=preferred_language)
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", user, {"email": email, "role": role, "nation": nation})
    return user


def issue_token(session: Session, user: User, ttl_days: int | None = 365,
                actor: audit.Actor = audit.SYSTEM) -> str:
    """Create an API token for ``user`` and return it; only its hash is stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=ttl_days) if ttl_days else None
    session.add(ApiToken(user=user, token_hash=hash_token(raw), prefix=raw[:12],
                         expires_at=expires))
    session.flush()
    audit.record(session, actor, "issue", user, {
        "token": raw[:12] + "…", "expires_at": expires.isoformat() if expires else None})
    return raw


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives back naive datetimes; they were stored in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def user_for_token(session: Session, raw: str) -> User | None:
    """The active user a token belongs to, or None if it is unknown, expired or revoked."""
    # One round trip: every API request starts here.
    row = session.execute(
        select(User, ApiToken.expires_at).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None),
               User.active.is_(True))).first()
    if row is None:
        return None
    expires = _aware(row.expires_at)
    if expires is not None and expires <= utcnow():
        return None
    return row.User


def revoke_tokens(session: Session, *, email: str | None = None, token: str | None = None,
                  actor: audit.Actor = audit.SYSTEM) -> int:
    """Revoke one token, or every token of a user; returns how many were revoked."""
    query = select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if token:
        query = query.where(ApiToken.token_hash == hash_token(token))
    elif email:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise NotFound(f"There is no user with the email {email}.")
        query = query.where(ApiToken.user_id == user.id)
    else:
        raise InvalidInput({"token": ["Give a token or an email address."]})
    count = 0
    for row in session.scalars(query):
        row.revoked_at = utcnow()
        audit.record(session, actor, "revoke", row.user, {"token": row.prefix + "…"})
        count += 1
    return count


def user_for_session(session: Session, session_id: str) -> User | None:
    """The active user of a sign-in session id (``"<user id>:<session version>"``, see
    ``User.get_id``), or None when the user signed out since or the id is malformed."""
    user_id, _, version = str(session_id).partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(session_id) > 40:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every sign-in session of ``user``, including copied cookies."""
    user.session_version = (user.session_version or 0) + 1


def _account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


_DUMMY_HASH: str | None = None


def _failure_row(session: Session, email: str, address: str) -> SignInFailure | None:
    return session.scalar(select(SignInFailure).where(
        SignInFailure.account_key == _account_key(email),
        SignInFailure.address == address[:64]))


def lockout_for(lockouts: int) -> dt.timedelta:
    """How long the ``lockouts``-th lock-out (1, 2, ...) lasts: doubling, capped."""
    return min(LOCKOUT * 2 ** max(lockouts - 1, 0), MAX_LOCKOUT)


def locked_out(session: Session, email: str, address: str) -> bool:
    """Whether sign-in for this name from this address is paused (known account or not)."""
    row = _failure_row(session, email, address)
    locked = _aware(row.locked_until) if row is not None else None
    return locked is not None and locked > utcnow()


def authenticate(session: Session, email: str, password: str, address: str = "unknown"
                 ) -> User | None:
    """Check a sign-in from client ``address``, pausing this name from this address after
    repeated failures (15 minutes, doubling with each lock-out up to ``MAX_LOCKOUT``).

    Unknown accounts are treated exactly like known ones: the same password hashing work,
    the same counting and lock-out, so neither time nor answer says which accounts exist;
    and a lock-out earned from one address leaves the owner free to sign in from another.
    """
    address = (address or "unknown")[:64]
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        # One argon2 verification on every path, against a dummy hash when there is no
        # real one, so the time taken is the same.
        matched = _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        matched = False
    now = utcnow()
    row = _failure_row(session, email, address)
    locked = _aware(row.locked_until) if row is not None else None
    if locked is not None and locked > now:
        return None
    if matched and user.active:
        if row is not None:
            session.delete(row)
        return user
    if row is None:
        row = SignInFailure(account_key=_account_key(email), address=address, failures=0,
                            lockouts=0)
        try:
            # A savepoint: a simultaneous first failure from the same place may win the row.
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            row = _failure_row(session, email, address)
            if row is None:
                raise
    elif locked is not None and now - locked > FORGET_LOCKOUTS_AFTER:
        row.lockouts = 0  # long quiet since the last lock-out: start the back-off again
    row.failures = (row.failures or 0) + 1
    if row.failures >= MAX_FAILED_LOGINS:
        row.lockouts = (row.lockouts or 0) + 1
        row.locked_until = now + lockout_for(row.lockouts)
        row.failures = 0
        if user is not None:
            audit.record(session, audit.SYSTEM, "lock", user, {
                "locked_until": row.locked_until.isoformat(), "address": address,
                "reason": f"{MAX_FAILED_LOGINS} failed sign-ins from this address"})
    return None


def forget_sign_in_failures(session: Session, now: dt.datetime | None = None) -> int:
    """Delete failure counts (which hold client addresses) untouched for a day and not
    locked; returns how many."""
    now = now or utcnow()
    cutoff = now - FORGET_LOCKOUTS_AFTER
    stale = (SignInFailure.updated_at < cutoff) & (
        SignInFailure.locked_until.is_(None) | (SignInFailure.locked_until < cutoff))
    count = session.scalar(select(func.count()).select_from(SignInFailure).where(stale)) or 0
    if count:
        session.execute(delete(SignInFailure).where(stale),
                        execution_options={"synchronize_session": False})
    return count


def clear_lockouts(session: Session, email: str) -> None:
    """Forget the failed sign-ins and lock-outs of an account name, from every address
    (after its owner has proved who they are, e.g. with a password link)."""
    session.execute(
        delete(SignInFailure).where(SignInFailure.account_key == _account_key(email)),
        execution_options={"synchronize_session": False})
