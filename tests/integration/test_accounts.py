"""Accounts: argon2 password hashes, API tokens stored hashed with expiry and revocation, and
``flask --app wsgi revoke-token``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from matcher.models import ApiToken, User
from matcher.services import accounts

PASSWORD = "a long and memorable passphrase"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_passwords_are_hashed_with_argon2(db):
    user = accounts.create_user(db.session, "Hashed@Example.org", "admin", password=PASSWORD)
    assert user.email == "hashed@example.org"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert accounts.verify_password(user, PASSWORD)
    assert not accounts.verify_password(user, PASSWORD.upper())
    assert accounts.authenticate(db.session, " HASHED@example.org ", PASSWORD) is user
    # a user made without a password (API only) cannot sign in with any password
    api_only = accounts.create_user(db.session, "api-only@example.org", "admin")
    assert api_only.password_hash is None
    assert accounts.authenticate(db.session, "api-only@example.org", "") is None


def test_tokens_are_stored_hashed_and_expire(client, db):
    user = accounts.create_user(db.session, "tokens@example.org", "admin")
    token = accounts.issue_token(db.session, user, ttl_days=30)
    db.session.commit()
    stored = db.session.scalar(select(ApiToken).filter_by(user_id=user.id))
    assert stored.token_hash == accounts.hash_token(token) and token not in stored.token_hash
    assert stored.prefix == token[:12]
    expires = stored.expires_at.replace(tzinfo=stored.expires_at.tzinfo or dt.UTC)
    assert dt.timedelta(days=29) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)
    assert client.get("/api/v1/care-homes", headers=bearer(token)).status_code == 200
    stored.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.session.commit()
    refused = client.get("/api/v1/care-homes", headers=bearer(token))
    assert refused.status_code == 401
    assert "expired or revoked" in refused.json["message"]
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_a_deactivated_user_token_stops_working(client, db):
    user = accounts.create_user(db.session, "leaver@example.org", "admin")
    token = accounts.issue_token(db.session, user)
    db.session.commit()
    assert client.get("/api/v1/care-homes", headers=bearer(token)).status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/care-homes", headers=bearer(token)).status_code == 401


def test_revoke_token_command(client, db, runner):
    made = runner.invoke(args=["create-user", "revoked@example.org", "--role", "admin"])
    first = made.output.split()[-1]
    user = db.session.scalar(select(User).filter_by(email="revoked@example.org"))
    second = accounts.issue_token(db.session, user)
    third = accounts.issue_token(db.session, user)
    db.session.commit()

    one = runner.invoke(args=["revoke-token", "--token", first])
    assert one.exit_code == 0 and "Revoked 1 token." in one.output
    assert client.get("/api/v1/care-homes", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/care-homes", headers=bearer(second)).status_code == 200

    every = runner.invoke(args=["revoke-token", "--email", "REVOKED@example.org"])
    assert every.exit_code == 0 and "Revoked 2 tokens." in every.output
    for token in (second, third):
        assert client.get("/api/v1/care-homes", headers=bearer(token)).status_code == 401
    again = runner.invoke(args=["revoke-token", "--token", first])
    assert again.exit_code == 0 and "Revoked 0 tokens." in again.output

    unknown = runner.invoke(args=["revoke-token", "--email", "nobody@example.org"])
    assert unknown.exit_code == 1 and "no user with the email" in unknown.output
    neither = runner.invoke(args=["revoke-token"])
    assert neither.exit_code == 1 and "Give a token or an email address" in neither.output
