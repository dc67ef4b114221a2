"""A Redis outage degrades the rate limits to per-process memory; it never breaks the pages.

The test starts a Redis server of its own on a free port (never the shared one), builds two
apps on it as two workers would be, stops it, checks that registration, sign-in and geocoding
still answer, then starts it again and checks that the two workers share their limits again.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
import uuid

import pytest

from tests.conftest import postcode_index_path
from tests.web.conftest import group_form

pytestmark = pytest.mark.slow

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
GEOCODE = "/api/v1/geocode?postcode=LL55+4EL"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A throw-away redis-server: no persistence, so a restart starts empty."""

    def __init__(self, port: int):
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis():
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = OwnRedis(_free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _worker(url: str, prefix: str, database: str):
    from matcher import create_app

    return create_app({
        "TESTING": True, "SECRET_KEY": "outage-test", "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_GEOCODE": "3 per minute", "RATELIMIT_LOGIN": "50 per minute",
        "RATELIMIT_REGISTER": "50 per minute", "SQLALCHEMY_DATABASE_URI": database,
        "POSTCODE_INDEX_PATH": postcode_index_path(),
        # The email queue on the same Redis, as in production.
        "TASKS_URL": url.rsplit("/", 1)[0] + "/1", "TASKS_IMMEDIATE": False,
        "MAIL_BACKEND": "locmem"})


def _geocode(app, address: str) -> int:
    return app.test_client().get(GEOCODE, environ_base={"REMOTE_ADDR": address}).status_code


def _shared(first, second, address: str) -> bool:
    """Whether the two workers count one limit (3 per minute) together for ``address``."""
    statuses = [_geocode(first, address), _geocode(first, address), _geocode(second, address),
                _geocode(second, address)]
    assert 500 not in statuses
    return statuses == [200, 200, 200, 429]


@pytest.fixture
def workers(own_redis, tmp_path):
    """Two apps on one database and one Redis, as two gunicorn workers."""
    from matcher.cli import upgrade_schema
    from matcher.extensions import db

    url = f"redis://127.0.0.1:{own_redis.port}/0"
    database = f"sqlite:///{tmp_path / 'outage.sqlite3'}"
    prefix = f"kith-outage-{uuid.uuid4().hex}"
    first, second = _worker(url, prefix, database), _worker(url, prefix, database)
    # Migrating here, not in the test: Alembic's logging set-up replaces the root handlers,
    # and with them the test's log capture.
    with first.app_context():
        upgrade_schema()
    yield first, second
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_a_redis_outage_falls_back_to_memory_and_recovers(own_redis, workers, caplog):
    first, second = workers
    assert _shared(first, second, "192.0.2.1")  # Redis up: one limit for both workers

    own_redis.stop()
    caplog.set_level(logging.WARNING)
    client = first.test_client()
    assert client.get(GEOCODE).status_code == 200
    assert client.get("/login").status_code == 200
    signed = client.post("/login", data={"email": "nobody@example.org", "password": "x"})
    assert signed.status_code == 422 and "Enter a correct email" in signed.get_data(as_text=True)
    registered = client.post("/register", data=group_form())
    assert registered.status_code == 303, registered.get_data(as_text=True)[:500]
    assert second.test_client().get(GEOCODE).status_code == 200
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)
    # The registration's email could not be queued: it waits in the outbox for the periodic
    # task instead of failing the registration.
    assert any("Could not queue email" in r.getMessage() for r in caplog.records)
    # Still limited meanwhile, by each worker alone.
    statuses = [_geocode(first, "192.0.2.2") for _ in range(4)]
    assert statuses == [200, 200, 200, 429]

    own_redis.start()
    deadline = time.monotonic() + 60  # Flask-Limiter retries with a growing back-off
    attempt = 0
    while True:
        attempt += 1
        if _shared(first, second, f"198.51.100.{attempt}"):
            break
        assert time.monotonic() < deadline, "the workers never shared their limits again"
        time.sleep(0.5)


def test_a_worker_started_while_redis_is_down_still_serves():
    from matcher.extensions import db

    app = _worker(f"redis://127.0.0.1:{_free_port()}/0", "kith-outage-down", "sqlite:///:memory:")
    started = time.monotonic()
    assert [_geocode(app, "192.0.2.9") for _ in range(4)] == [200, 200, 200, 429]
    assert time.monotonic() - started < 10  # no long wait on the dead Redis per request
    with app.app_context():
        db.engine.dispose()
