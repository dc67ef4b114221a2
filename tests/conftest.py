"""Shared fixtures: app, db (rolled back after every test), client, runner; no network."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# --- no network ------------------------------------------------------------------------------

def _is_local(address) -> bool:
    if isinstance(address, (str, bytes)):  # a Unix socket path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that tries to reach beyond this machine."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(sock, address):
        if not _is_local(address):
            raise RuntimeError(f"Tests must not use the network (tried to reach {address!r}).")
        return real_connect(sock, address)

    def guarded_connect_ex(sock, address):
        if not _is_local(address):
            raise RuntimeError(f"Tests must not use the network (tried to reach {address!r}).")
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


# --- application and database ----------------------------------------------------------------

def test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith(
            "postgresql://") else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def postcode_index_path() -> str | None:
    return os.environ.get("KITH_POSTCODE_INDEX") or None


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One application for the whole run, on a freshly migrated database."""
    from matcher import create_app
    from matcher.cli import upgrade_schema
    from matcher.extensions import db

    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": test_database_url(tmp_path_factory),
        "POSTCODE_INDEX_PATH": postcode_index_path(),
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "TASKS_IMMEDIATE": True,
        "MAIL_OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox")),
    })
    with app.app_context():
        refusal = foreign_data(db.engine)
        if refusal:
            pytest.exit(refusal, returncode=4)
        mark_as_test_database(db.engine)
        _reset_schema(db)
        upgrade_schema()
    yield app
    with app.app_context():
        db.engine.dispose()


# The suite empties the database it runs on, so it runs only on one that is empty or that an
# earlier run marked as its own: never on a development or production database by mistake.
TEST_MARK = "kith-test-database: the Kith test suite empties this database at every run"
SQLITE_TEST_MARK = 0x4B697468  # PRAGMA user_version ("Kith")
PEOPLE_TABLES = ("care_homes", "community_groups", "users", "introductions")


def foreign_data(engine) -> str | None:
    """Why the suite must not run on this database (it holds data and is not a test
    database), or None when it may."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if _has_test_mark(conn):
            return None
        tables = set(inspect(conn).get_table_names())
        held = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in PEOPLE_TABLES if t in tables}
    held = {t: n for t, n in held.items() if n}
    if not held:
        return None
    counts = ", ".join(f"{n:,} rows in {t}" for t, n in held.items())
    return (f"Refusing to run the tests on {engine.url.render_as_string(hide_password=True)}: "
            f"it holds {counts} and is not a test database, and the test suite empties the "
            "database it runs on. Nothing was changed. Point DATABASE_URL (or "
            "TEST_DATABASE_URL) at an empty database, for example "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test, or unset it for SQLite.")


def _has_test_mark(conn) -> bool:
    from sqlalchemy import text

    if conn.dialect.name == "sqlite":
        return conn.execute(text("PRAGMA user_version")).scalar_one() == SQLITE_TEST_MARK
    if conn.dialect.name == "postgresql":
        return conn.execute(text(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
            "WHERE datname = current_database()")).scalar_one() == TEST_MARK
    return False


def mark_as_test_database(engine) -> None:
    """Mark the database as the suite's own (outside any table, so the schema is untouched)."""
    from sqlalchemy import text

    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text(f"PRAGMA user_version = {SQLITE_TEST_MARK}"))
        elif conn.dialect.name == "postgresql":
            conn.execute(text(
                "DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS %L', "
                f"current_database(), '{TEST_MARK}'); END $$"))


def _reset_schema(db) -> None:
    """Start from an empty database so the migrations themselves are what is tested."""
    from sqlalchemy import MetaData, text

    with db.engine.begin() as conn:
        meta = MetaData()
        meta.reflect(bind=conn)
        meta.drop_all(bind=conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _bound_session_class():
    from flask_sqlalchemy.session import Session

    class ConnectionBoundSession(Session):
        # Flask-SQLAlchemy picks the engine by model; the test's connection must win so
        # that everything happens inside the transaction rolled back at the end.
        def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
            return bind if bind is not None else self.bind

    return ConnectionBoundSession


_ConnectionBoundSession = None


@pytest.fixture
def db(request, app):
    """The database session; everything a test writes is rolled back afterwards."""
    global _ConnectionBoundSession
    from matcher.extensions import db as _db

    if _ConnectionBoundSession is None:
        _ConnectionBoundSession = _bound_session_class()
    if "no_db_rollback" in request.keywords:
        yield _db
        return
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint",
             "class_": _ConnectionBoundSession})
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            if transaction.is_active:
                transaction.rollback()
            connection.close()
            app.extensions.pop("kith.rankers", None)
            app.extensions.pop("kith.network", None)


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


# --- users and tokens ------------------------------------------------------------------------

@pytest.fixture
def make_user(db):
    """Create a user and return ``(user, headers)`` with a bearer token for the API."""
    from matcher.services import accounts

    def _make(role="admin", nation=None, care_home_id=None, email=None, password=None):
        email = email or f"{role}-{nation or care_home_id or 'x'}-{os.urandom(3).hex()}@example.org"
        user = accounts.create_user(db.session, email, role, nation=nation,
                                    care_home_id=care_home_id, password=password)
        token = accounts.issue_token(db.session, user, 30)
        db.session.commit()
        return user, {"Authorization": f"Bearer {token}"}

    return _make


@pytest.fixture
def admin_headers(make_user):
    return make_user("admin")[1]


# --- email -------------------------------------------------------------------------------------

class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        self.port = _free_port()
        self.received: list[dict] = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        self.received.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.content})
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self):
        """What arrived, as ``email.message.EmailMessage`` objects, in order."""
        import email
        from email import policy
        return [email.message_from_bytes(item["data"], policy=policy.default)
                for item in self.received]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """An SMTP server on loopback, with the app's email sent to it instead of ``.eml`` files
    (``.stop()`` and ``.start()`` it to play a mail server that goes down)."""
    sink = SmtpSink()
    sink.start()
    state = app.extensions["mailman"]
    monkeypatch.setattr(state, "backend", "smtp")
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", sink.port)
    monkeypatch.setattr(state, "timeout", 5)
    try:
        yield sink
    finally:
        sink.stop()
