"""Registrations under real concurrency: gunicorn with two worker processes, many browsers.

Each test starts ``gunicorn -w 2 --threads 4 wsgi:app`` on a free loopback port against a
freshly migrated database and posts the public registration form from many cookie sessions
at once (CSRF stays on). It proves that every accepted submission (the redirect to the
confirmation page) is stored exactly once, that a form sent twice at the same moment with
the same idempotency key is stored once, and, on a private PostgreSQL cluster stopped in the
middle of the load, that callers get a 503 with Retry-After (never a 500, never a hang), no
half-written rows remain, and the service recovers by itself when the database is back.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ROOT, postcode_index_path
from tests.integration.make_run_server import live_gunicorn
from tests.integration.pg_cluster import PrivateCluster, find_bindir, wait_until

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location("load_registrations",
                                               ROOT / "scripts" / "load_registrations.py")
load = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("load_registrations", load)  # dataclasses look their module up
_spec.loader.exec_module(load)

REGISTRATIONS = 200
CONCURRENCY = 25
TWICE = 20
NO_INITDB = "PostgreSQL's initdb is not installed (/usr/lib/postgresql/*/bin/initdb)"


# --- the server ------------------------------------------------------------------------------

def server_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """What gunicorn and ``flask init-db`` run with: this database, this test's postcode
    index, no rate limit (hundreds of registrations from one address), cookies over http."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "concurrency-test-secret",
           "RATELIMIT_ENABLED": "0", "FLASK_DEBUG": "0", "SESSION_COOKIE_SECURE": "0",
           "FORCE_HTTPS": "0", "RANKING_INDEX_DIR": str(tmp_path / "ranking-index"),
           "PYTHONPATH": str(ROOT)}
    env.pop("TEST_DATABASE_URL", None)
    if postcode_index_path():
        env["POSTCODE_INDEX_PATH"] = postcode_index_path()
    return env


def init_db(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "init-db"], cwd=ROOT,
                   env=env, check=True, capture_output=True, text=True, timeout=180)


@contextmanager
def gunicorn(env: dict[str, str], tmp_path: Path):
    """gunicorn with two workers of four threads; yields its base URL once it answers."""
    def options(port: int) -> list[str]:
        return ["-w", "2", "--threads", "4", "--timeout", "120", "-b", f"127.0.0.1:{port}"]

    with live_gunicorn(env, tmp_path, options) as (_, base_url):
        yield base_url


def server_log(tmp_path: Path) -> str:
    """The end of gunicorn's log (the app logs every 500 with its traceback)."""
    return "\n".join(path.read_text()[-4000:] for path in tmp_path.glob("gunicorn-*.log"))


# --- the databases ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def private_cluster():
    """A PostgreSQL cluster of our own, which this module may stop and start at will."""
    if find_bindir() is None:
        pytest.skip(NO_INITDB)
    cluster = PrivateCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def _shared_postgresql_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url if url.startswith("postgresql") else None


@pytest.fixture
def postgresql_url(request):
    """A new, empty PostgreSQL database for one test, dropped afterwards: on the server of
    DATABASE_URL when that is PostgreSQL (never the test database itself), otherwise on the
    private cluster."""
    shared = _shared_postgresql_url()
    if shared is None:
        cluster = request.getfixturevalue("private_cluster")
        yield cluster.create_database(f"kith_load_{uuid.uuid4().hex[:8]}")
        return
    base, _, _ = shared.rpartition("/")
    name = f"kith_load_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(shared, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"{base}/{name}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# --- checking what was stored ----------------------------------------------------------------

def stored_groups(database_url: str) -> dict[str, list[dict]]:
    """Every stored group by idempotency key, and the audit entries that created groups."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(text(
                "SELECT id, name, idempotency_key, postcode, lat, lon, nation, status,"
                " consent_at, edit_token_hash FROM community_groups"))]
            created = [r[0] for r in conn.execute(text(
                "SELECT entity_id FROM audit_log"
                " WHERE entity_type = 'community_groups' AND action = 'create'"))]
    finally:
        engine.dispose()
    by_key: dict[str, list[dict]] = {}
    for row in rows:
        by_key.setdefault(row["idempotency_key"], []).append(row)
    return {"by_key": by_key, "rows": rows, "created": created}


def assert_whole_and_exactly_once(database_url: str, accepted: dict[str, str],
                                  submitted: set[str]) -> dict:
    """Each accepted key (-> name) is one whole row; nothing else was stored but at most one
    row for a submission whose answer was lost; every row has its audit entry."""
    found = stored_groups(database_url)
    by_key, rows = found["by_key"], found["rows"]
    missing = [key for key in accepted if key not in by_key]
    assert not missing, f"{len(missing)} accepted registrations were lost"
    duplicated = {key: len(rows) for key, rows in by_key.items() if len(rows) > 1}
    assert not duplicated, f"stored more than once: {duplicated}"
    assert all(by_key[key][0]["name"] == name for key, name in accepted.items())
    assert set(by_key) <= submitted, "rows nobody submitted"
    for row in rows:
        assert row["lat"] is not None and row["lon"] is not None, row
        assert row["postcode"] and row["nation"] and row["consent_at"] is not None, row
        assert row["status"] == "pending" and row["edit_token_hash"], row
    # The group and its audit entry are written in one transaction: never one alone.
    assert Counter(found["created"]) == Counter(row["id"] for row in rows)
    return found


def forms(prefix: str, count: int) -> list[dict]:
    return [load.form_for(f"{prefix} {i}", str(uuid.uuid4()), i) for i in range(count)]


def registrations_are_neither_lost_nor_duplicated(database_url: str, tmp_path: Path) -> None:
    env = server_env(database_url, tmp_path)
    init_db(env)
    singles = forms("Concurrent choir", REGISTRATIONS)
    doubles = forms("Double-clicked choir", TWICE)
    with gunicorn(env, tmp_path) as base_url:
        outcomes = load.submit_all(base_url, singles, CONCURRENCY)
        pairs = load.submit_twice_at_once(base_url, doubles)
    everything = outcomes + [o for pair in pairs for o in pair]
    statuses = Counter(o.status or o.error for o in everything)
    assert len(outcomes) == REGISTRATIONS
    assert all(o.accepted for o in everything), statuses
    accepted = {o.key: o.name for o in everything}
    assert len(accepted) == REGISTRATIONS + TWICE
    found = assert_whole_and_exactly_once(database_url, accepted, set(accepted))
    assert len(found["rows"]) == REGISTRATIONS + TWICE


# --- the tests -------------------------------------------------------------------------------

def test_concurrent_registrations_on_sqlite_are_stored_exactly_once(tmp_path):
    registrations_are_neither_lost_nor_duplicated(f"sqlite:///{tmp_path / 'kith.sqlite3'}",
                                                  tmp_path)


def test_concurrent_registrations_on_postgresql_are_stored_exactly_once(postgresql_url,
                                                                        tmp_path):
    registrations_are_neither_lost_nor_duplicated(postgresql_url, tmp_path)


def test_postgresql_outage_gives_503_and_the_service_recovers_by_itself(private_cluster,
                                                                        tmp_path):
    database_url = private_cluster.create_database("kith_outage")
    env = server_env(database_url, tmp_path)
    init_db(env)
    sent: dict[str, dict] = {}
    outcomes: list = []
    lock = threading.Lock()
    stop = threading.Event()
    marks: dict[str, float] = {}

    def browser(i: int) -> None:
        client = load.Client(base_url, timeout=30)
        n = 0
        while not stop.is_set():
            form = load.form_for(f"Outage choir {i} {n}", str(uuid.uuid4()), n)
            n += 1
            with lock:
                sent[form["idempotency_key"]] = form
            outcome = client.submit(form)
            with lock:
                outcomes.append(outcome)

    def accepted_since(moment: float) -> int:
        with lock:
            return sum(1 for o in outcomes if o.accepted and o.started >= moment)

    with gunicorn(env, tmp_path) as base_url:
        browsers = [threading.Thread(target=browser, args=(i,)) for i in range(8)]
        for thread in browsers:
            thread.start()
        try:
            assert wait_until(lambda: accepted_since(0) >= 20, timeout=30), "no load"
            marks["stopping"] = time.monotonic()
            private_cluster.stop("fast")  # rolls back open transactions, drops connections
            marks["down"] = time.monotonic()
            time.sleep(3)
            marks["starting"] = time.monotonic()
            private_cluster.start()
            marks["up"] = time.monotonic()
            # A moment's grace for pooled connections to be replaced, then it must be whole.
            recovered = wait_until(lambda: accepted_since(marks["up"] + 1) >= 20, timeout=30)
        finally:
            stop.set()
            for thread in browsers:
                thread.join(timeout=60)
        assert recovered, "no registration succeeded after PostgreSQL came back"

        during = [o for o in outcomes if marks["down"] <= o.started
                  and o.started + o.seconds <= marks["starting"]]
        statuses = Counter(o.status or o.error for o in outcomes)
        odd = [o for o in outcomes if o.status not in (303, 503)]
        # Never a 500, a timeout or a reset.
        assert not odd, (statuses, odd[0].error or odd[0].body, server_log(tmp_path))
        assert during and all(o.status == 503 for o in during), Counter(o.status for o in during)
        assert all(o.retry_after and int(o.retry_after) > 0
                   for o in outcomes if o.status == 503)
        assert max(o.seconds for o in outcomes) < 15, "a request hung while the database was down"
        # Once it is back every registration goes through again, without restarting gunicorn.
        settled = [o for o in outcomes if o.started >= marks["up"] + 1]
        assert settled and all(o.accepted for o in settled), Counter(o.status for o in settled)

        # Nothing half-written, nothing accepted lost; a 503 means "not stored" unless the
        # commit succeeded just as the server went away (at most one row, as for any retry).
        accepted = {o.key: o.name for o in outcomes if o.accepted}
        assert_whole_and_exactly_once(database_url, accepted, set(sent))

        # Sending the refused forms again, as the 503 page asks, stores each exactly once.
        refused = [sent[o.key] for o in outcomes if not o.accepted]
        assert refused
        retried = load.submit_all(base_url, refused, CONCURRENCY)
        assert all(o.accepted for o in retried), Counter(o.status for o in retried)
    accepted |= {o.key: o.name for o in retried}
    found = assert_whole_and_exactly_once(database_url, accepted, set(sent))
    assert set(found["by_key"]) == set(accepted)


def test_closing_a_session_on_a_dead_connection_does_not_escape_the_teardown(app, monkeypatch):
    # What the outage test hit now and then: the database went away after the answer was
    # chosen, and closing the session (a ROLLBACK) failed in the app context's teardown,
    # which Flask does not handle: gunicorn answered a bare 500 instead of the 503.
    from sqlalchemy.exc import OperationalError

    from matcher.extensions import db

    real_remove = db.session.remove
    calls = []

    def remove_on_a_dead_connection():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))
        real_remove()

    context = app.app_context()
    context.push()
    monkeypatch.setattr(db.session, "remove", remove_on_a_dead_connection)
    context.pop()  # runs the teardowns: raised before the app removed the session itself
    assert len(calls) == 2  # the app's, then Flask-SQLAlchemy's on a clean registry


def test_a_pooled_connection_is_checked_after_idling_and_replaced_if_dead(tmp_path, monkeypatch):
    # Pinging on every checkout cost a millisecond of CPU per request under load, so only a
    # connection that sat idle (as through a database restart at night) is checked first.
    import matcher
    from matcher import create_app
    from matcher.extensions import db

    # Rate limits off as in every test app.
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pool.db'}",
                      "DATABASE_PING_AFTER_IDLE_S": 30})
    with app.app_context():
        engine = db.engines[None]
        pings = []
        real_ping = engine.dialect.do_ping
        monkeypatch.setattr(engine.dialect, "do_ping",
                            lambda conn: pings.append(conn) or real_ping(conn))
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
        with engine.connect() as conn:
            assert conn.connection.dbapi_connection is raw
        assert pings == []  # in steady use: no extra round trip

        raw.close()  # the database went away while the connection sat in the pool
        later = matcher.time.monotonic() + 60
        monkeypatch.setattr(matcher.time, "monotonic", lambda: later)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
            assert conn.connection.dbapi_connection is not raw
        assert pings and pings[0] is raw
