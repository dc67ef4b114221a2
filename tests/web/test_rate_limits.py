"""Rate limits (Flask-Limiter) on sign-in, registration and geocoding, shared through Redis
when ``REDIS_URL`` is set; and the account lock-out after repeated failed sign-ins.

The shared test app runs with limits off; each test here builds a limited app of its own with
``create_app`` exactly as in production (every app has its own limiter) and sends requests
through its test client.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import uuid

import pytest

from tests.conftest import postcode_index_path

pytestmark = pytest.mark.slow


def run_limited_app(config: dict, requests: list, *, migrate: bool = False,
                    tmp_path=None) -> list[dict]:
    """Build a limited app, send ``requests``, return the responses. The environment (with
    ``REDIS_URL`` or without) is the test's own: set it with ``monkeypatch``."""
    from matcher import create_app
    from matcher.cli import upgrade_schema
    from matcher.extensions import db

    config = {"TESTING": True, "SECRET_KEY": "rate-limit-test", "WTF_CSRF_ENABLED": False,
              "RATELIMIT_ENABLED": True, "POSTCODE_INDEX_PATH": postcode_index_path(),
              **config}
    if migrate:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / uuid.uuid4().hex}.sqlite3"
    else:
        config.setdefault("SQLALCHEMY_DATABASE_URI", "sqlite:///:memory:")
    app = create_app(config)
    if migrate:
        with app.app_context():
            upgrade_schema()
    client = app.test_client()
    out = []
    for method, path, form in requests:
        response = client.open(path, method=method, data=form)
        out.append({"status": response.status_code, "type": response.mimetype,
                    "body": response.get_data(as_text=True),
                    "retry_after": response.headers.get("Retry-After"),
                    "limit": response.headers.get("X-RateLimit-Limit")})
    with app.app_context():
        db.engine.dispose()
    return out


@pytest.fixture(autouse=True)
def no_redis(monkeypatch):
    """Limits in memory unless a test sets ``REDIS_URL`` itself."""
    monkeypatch.delenv("REDIS_URL", raising=False)


GEOCODE = ["GET", "/api/v1/geocode?postcode=LL55+4EL", None]
BAD_LOGIN = ["POST", "/login", {"email": "nobody@example.org", "password": "wrong"}]
EMPTY_REGISTRATION = ["POST", "/register", {"name": ""}]


def test_sign_in_registration_and_geocoding_are_limited(tmp_path):
    results = run_limited_app(
        {"RATELIMIT_LOGIN": "3 per minute", "RATELIMIT_REGISTER": "2 per minute",
         "RATELIMIT_GEOCODE": "3 per minute"},
        [BAD_LOGIN] * 4 + [["GET", "/login", None]] + [EMPTY_REGISTRATION] * 3
        + [["GET", "/register", None]] + [GEOCODE] * 4,
        migrate=True, tmp_path=tmp_path)
    statuses = [r["status"] for r in results]
    assert statuses[:4] == [422, 422, 422, 429]  # sign-in
    assert statuses[4] == 200  # only attempts to sign in count, not looking at the form
    assert statuses[5:8] == [422, 422, 429]  # registration
    assert statuses[8] == 200
    assert statuses[9:] == [200, 200, 200, 429]  # geocoding

    page = results[3]  # a person at the sign-in form gets a page, not JSON
    assert page["type"] == "text/html"
    assert "You have tried too many times" in page["body"]
    assert page["retry_after"] and int(page["retry_after"]) > 0
    api = results[12]  # the API answers in its own error format
    assert api["type"] == "application/json"
    body = json.loads(api["body"])
    assert body["code"] == 429 and body["status"] == "Too Many Requests"
    assert body["message"] and isinstance(body["errors"], dict)
    assert api["retry_after"] and int(api["retry_after"]) > 0
    assert results[9]["limit"] == "3"
    # Retry-After tells a refused client when to come back; an answer that succeeded (or
    # failed for another reason) carries none, only the X-RateLimit-* counters.
    assert all(r["retry_after"] is None for r in results if r["status"] != 429)


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_prefix():
    """A key prefix of our own, so parallel runs never share a count; removed afterwards."""
    if not _redis_up():
        pytest.skip("No Redis at 127.0.0.1:6379")
    prefix = f"kith-test-{uuid.uuid4().hex}"
    yield prefix
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    keys = list(client.scan_iter(match=f"*{prefix}*"))
    if keys:
        client.delete(*keys)


def test_two_workers_share_one_limit_through_redis(redis_prefix, monkeypatch):
    config = {"RATELIMIT_GEOCODE": "3 per minute", "RATELIMIT_KEY_PREFIX": redis_prefix}
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    first = run_limited_app(config, [GEOCODE] * 2)
    second = run_limited_app(config, [GEOCODE] * 2)
    assert [r["status"] for r in first] == [200, 200]
    assert [r["status"] for r in second] == [200, 429]  # the third request overall
    import redis

    assert list(redis.Redis(host="127.0.0.1", port=6379).scan_iter(match=f"*{redis_prefix}*"))


def test_without_redis_each_worker_counts_alone():
    config = {"RATELIMIT_GEOCODE": "3 per minute"}
    for _ in range(2):
        assert [r["status"] for r in run_limited_app(config, [GEOCODE] * 2)] == [200, 200]


def test_redis_url_selects_redis_storage(monkeypatch):
    from matcher.config import load_config

    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    assert load_config()["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/2"
    monkeypatch.delenv("REDIS_URL")
    assert load_config()["RATELIMIT_STORAGE_URI"] == "memory://"


# --- the client behind a proxy ---------------------------------------------------------------

def geocode_statuses(config: dict, clients: list[tuple[str, str | None]]) -> list[int]:
    """Geocode once per ``(peer address, X-Forwarded-For)`` in ``clients`` on a limited app."""
    from matcher import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "proxy-test", "RATELIMIT_ENABLED": True,
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:",
                      "POSTCODE_INDEX_PATH": postcode_index_path(),
                      "RATELIMIT_GEOCODE": "2 per minute", **config})
    client = app.test_client()
    out = []
    for peer, forwarded in clients:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        out.append(client.get(GEOCODE[1], headers=headers,
                              environ_base={"REMOTE_ADDR": peer}).status_code)
    return out


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing():
    # One client sending a new made-up address each time is still one client.
    forged = [("198.51.100.7", f"203.0.113.{n}") for n in range(1, 4)]
    assert geocode_statuses({}, forged) == [200, 200, 429]
    assert geocode_statuses({"TRUSTED_PROXIES": 0}, forged) == [200, 200, 429]


def test_behind_one_trusted_proxy_each_client_has_its_own_limit():
    proxy = "10.0.0.2"
    alice, bob = "203.0.113.10", "203.0.113.20"
    statuses = geocode_statuses({"TRUSTED_PROXIES": 1}, [
        (proxy, alice), (proxy, alice), (proxy, bob), (proxy, alice), (proxy, bob),
        (proxy, bob),
        # a client that prepends a forged entry is still known by what the proxy appended
        (proxy, f"198.51.100.99, {alice}")])
    assert statuses == [200, 200, 200, 429, 200, 429, 429]


# --- the account lock-out ------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


def test_five_failures_lock_the_account_for_a_while(db, make_user, monkeypatch):
    from matcher.models import AuditLog
    from matcher.services import accounts

    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    here = "198.51.100.7"
    for _attempt in range(accounts.MAX_FAILED_LOGINS - 1):
        assert accounts.authenticate(db.session, user.email, "wrong", here) is None
    assert not accounts.locked_out(db.session, user.email, here)  # four failures: not yet
    assert accounts.authenticate(db.session, user.email, "wrong", here) is None
    assert accounts.locked_out(db.session, user.email, here)
    # while locked, even the right password is refused from there
    assert accounts.authenticate(db.session, user.email, PASSWORD, here) is None
    lock = db.session.query(AuditLog).filter_by(entity_type="users", entity_id=user.id,
                                                action="lock").one()
    assert "locked_until" in lock.changes and "password" not in json.dumps(lock.changes)
    # a quarter of an hour later it opens again
    later = dt.datetime.now(dt.UTC) + accounts.LOCKOUT + dt.timedelta(seconds=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert accounts.authenticate(db.session, user.email, PASSWORD, here) is user
    assert not accounts.locked_out(db.session, user.email, here)


def test_a_success_resets_the_count_of_failures(db, make_user):
    from matcher.services import accounts

    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    here = "198.51.100.7"
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        accounts.authenticate(db.session, user.email, "wrong", here)
    assert accounts.authenticate(db.session, user.email, PASSWORD, here) is user
    for _ in range(accounts.MAX_FAILED_LOGINS - 1):
        accounts.authenticate(db.session, user.email, "wrong", here)
    assert not accounts.locked_out(db.session, user.email, here)


def test_an_attacker_cannot_lock_the_owner_out_from_elsewhere(db, make_user):
    from matcher.services import accounts

    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    attacker, owner = "203.0.113.66", "198.51.100.7"
    for _ in range(accounts.MAX_FAILED_LOGINS * 3):
        accounts.authenticate(db.session, user.email, "guess", attacker)
    assert accounts.locked_out(db.session, user.email, attacker)
    assert accounts.authenticate(db.session, user.email, PASSWORD, attacker) is None
    assert accounts.authenticate(db.session, user.email, PASSWORD, owner) is user


def test_repeated_lock_outs_back_off_exponentially_up_to_a_cap(db, make_user, monkeypatch):
    from matcher.models import SignInFailure
    from matcher.services import accounts

    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    clock = {"now": dt.datetime.now(dt.UTC)}
    monkeypatch.setattr(accounts, "utcnow", lambda: clock["now"])
    lengths = []
    for _ in range(6):
        for _ in range(accounts.MAX_FAILED_LOGINS):
            accounts.authenticate(db.session, user.email, "guess", "203.0.113.66")
        row = db.session.query(SignInFailure).one()
        locked_until = row.locked_until if row.locked_until.tzinfo else (
            row.locked_until.replace(tzinfo=dt.UTC))
        lengths.append(round((locked_until - clock["now"]).total_seconds() / 60))
        clock["now"] = locked_until + dt.timedelta(seconds=1)  # wait it out, then again
    assert lengths == [15, 30, 60, 120, 240, 240]


def test_unknown_and_known_accounts_lock_and_answer_alike(client, db, make_user):
    import time as clock

    from matcher.services import accounts

    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    pages, seconds = {}, {}
    for email in (user.email, "nobody-here@example.org"):
        took = []
        for _ in range(accounts.MAX_FAILED_LOGINS + 1):
            started = clock.perf_counter()
            response = client.post("/login", data={"email": email, "password": "guess"})
            took.append(clock.perf_counter() - started)
            assert response.status_code == 422
        pages[email] = response.get_data(as_text=True).replace(email, "EMAIL")
        seconds[email] = sorted(took)[len(took) // 2]
    known, unknown = pages.values()
    assert known == unknown and "paused for 15 minutes" in known
    # both do one argon2 verification per attempt, so neither is markedly faster
    fast, slow = sorted(seconds.values())
    assert slow < 3 * fast, seconds


def test_purge_forgets_failed_sign_ins_after_a_day(db, runner, monkeypatch):
    from matcher.models import SignInFailure
    from matcher.services import accounts

    accounts.authenticate(db.session, "someone@example.org", "guess", "203.0.113.66")
    db.session.commit()
    assert db.session.query(SignInFailure).count() == 1
    assert runner.invoke(args=["purge"]).exit_code == 0
    assert db.session.query(SignInFailure).count() == 1  # still fresh
    later = dt.datetime.now(dt.UTC) + accounts.FORGET_LOCKOUTS_AFTER + dt.timedelta(minutes=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert runner.invoke(args=["purge"]).exit_code == 0
    db.session.expire_all()
    assert db.session.query(SignInFailure).count() == 0
