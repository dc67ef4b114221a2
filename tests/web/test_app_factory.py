"""``create_app`` is re-entrant: apps built in one process, with different settings, do not
affect each other, and the same app can be built again."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature

from matcher import create_app
from matcher.extensions import db
from tests.conftest import postcode_index_path

GEOCODE = "/api/v1/geocode?postcode=LL55+4EL"


def build(tmp_path=None, **config):
    base = {"TESTING": True, "POSTCODE_INDEX_PATH": postcode_index_path(),
            "WTF_CSRF_ENABLED": False, "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"}
    return create_app({**base, **config})


def statuses(app, path: str, times: int) -> list[int]:
    client = app.test_client()
    return [client.get(path).status_code for _ in range(times)]


def test_rate_limits_are_configured_and_counted_per_app():
    limited = build(RATELIMIT_ENABLED=True, RATELIMIT_GEOCODE="2 per minute")
    unlimited = build(RATELIMIT_ENABLED=False)
    other = build(RATELIMIT_ENABLED=True, RATELIMIT_GEOCODE="3 per minute")
    assert statuses(limited, GEOCODE, 3) == [200, 200, 429]
    assert statuses(unlimited, GEOCODE, 4) == [200] * 4
    # its own count (the first app's three requests do not show) and its own rule
    assert statuses(other, GEOCODE, 4) == [200, 200, 200, 429]
    assert statuses(limited, GEOCODE, 1) == [429]  # still limited after the others
    assert other.test_client().get(GEOCODE).headers["X-RateLimit-Limit"] == "3"
    limiters = {id(app.extensions["kith.limiter"]) for app in (limited, unlimited, other)}
    assert len(limiters) == 3


def test_rate_limits_from_the_environment_apply_to_the_app_built_with_it(monkeypatch):
    monkeypatch.setenv("RATELIMIT_GEOCODE", "1 per minute")
    monkeypatch.setenv("RATELIMIT_ENABLED", "on")
    strict = build()
    monkeypatch.delenv("RATELIMIT_GEOCODE")
    monkeypatch.setenv("RATELIMIT_ENABLED", "off")
    relaxed = build()
    assert statuses(strict, GEOCODE, 2) == [200, 429]
    assert statuses(relaxed, GEOCODE, 3) == [200, 200, 200]


def test_each_app_signs_with_its_own_secret_key():
    first, second = build(SECRET_KEY="first secret"), build(SECRET_KEY="second secret")
    cookie = first.session_interface.get_signing_serializer(first).dumps({"user": 1})
    assert first.session_interface.get_signing_serializer(first).loads(cookie) == {"user": 1}
    with pytest.raises(BadSignature):
        second.session_interface.get_signing_serializer(second).loads(cookie)


def test_each_app_uses_its_own_database(tmp_path):
    from matcher.models import User
    from matcher.services import accounts

    first = build(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'first.sqlite3'}")
    second = build(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'second.sqlite3'}")
    for app in (first, second):
        with app.app_context():
            db.create_all()
    with first.app_context():
        accounts.create_user(db.session, "only-in-first@example.org", "admin")
        db.session.commit()
    with second.app_context():
        assert db.session.query(User).count() == 0
    with first.app_context():
        assert db.session.query(User).count() == 1
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_each_app_has_its_own_openapi_document_and_settings():
    first, second = build(API_TITLE="First"), build(API_TITLE="Second")
    first_doc = first.test_client().get("/api/openapi.json").get_json()
    second_doc = second.test_client().get("/api/openapi.json").get_json()
    assert (first_doc["info"]["title"], second_doc["info"]["title"]) == ("First", "Second")
    assert first_doc["paths"] == second_doc["paths"] and "/api/v1/geocode" in first_doc["paths"]
    assert first.extensions["kith.api"] is not second.extensions["kith.api"]
    first.config["RANKING_WEIGHTS"]["distance"] = 0.9  # a default is a copy of its own
    assert second.config["RANKING_WEIGHTS"]["distance"] != 0.9


def test_an_app_built_again_behaves_like_the_first():
    apps = [build(SECRET_KEY="same"), build(SECRET_KEY="same")]
    for app in apps:
        client = app.test_client()
        assert client.get("/api/v1/care-homes").status_code == 401  # the token check
        assert client.get(GEOCODE).status_code == 200
        assert client.get("/login").status_code == 200
        response = client.get("/api/docs")
        assert response.status_code == 200
        assert "'unsafe-inline'" in response.headers["Content-Security-Policy"]
    # the blueprints' hooks come once into each app, not once more per app built
    hooks = [len(app.before_request_funcs.get("care_homes", ())) for app in apps]
    assert hooks == [2, 2]
