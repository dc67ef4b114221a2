"""Kith: match UK care homes with the community around them."""

from __future__ import annotations

import functools
import logging
import sqlite3
import time

from flask import Flask, current_app, render_template, request
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.routing import IntegerConverter

from .config import check_config, defaults, load_config, settle_engine_options
from .schemas.fields import MAX_ID

log = logging.getLogger(__name__)



class IdConverter(IntegerConverter):
    """``<int:...>`` in routes, up to the largest id a table can hold: a larger id is simply not
    found (404) instead of an error from the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask application; ``config`` overrides the environment (tests use it).

    Re-entrant: every call builds an independent app, so tests, benchmarks and scripts may
    build several in one process with different settings. What differs between apps lives in
    the app: its ``config`` (a fresh copy of every default), and in ``app.extensions`` its own
    rate limiter (``kith.limiter``), OpenAPI ``Api`` (``kith.api``), Talisman, postcode index
    handle and ranker cache. The shared pieces are stateless across apps: the extension
    singletons of ``matcher.extensions`` keep their per-app state in the app (``init_app``),
    and the module-level blueprints carry the same hooks into every app they are registered
    on. Only ``services.versions.local_changes()`` counts for the whole process; it merely
    makes a ranker cache look at its database sooner, never serves stale data.
    """
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = IdConverter
    app.config.update(defaults())
    app.config.update(load_config())
    if config:
        app.config.update(config)
    check_config(app.config)
    settle_engine_options(app.config)
    register_extensions(app)
    from .i18n import register_i18n
    register_i18n(app)
    register_blueprints(app)
    register_body_limits(app)
    register_rate_limits(app)
    register_errorhandlers(app)
    register_cli(app)
    from .security import register_security
    register_security(app)
    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers carry on while one writer commits; SQLite leaves foreign keys off by default.
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy issue BEGIN itself (see _sqlite_begin) so savepoints work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    # IMMEDIATE takes the write lock up front: with a deferred BEGIN two workers that both read
    # then write deadlock, and SQLite fails one at once instead of waiting out busy_timeout.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only if it has been idle for a while.

    A database restart kills pooled connections silently, so an idle pool must be checked;
    SQLAlchemy's ``pool_pre_ping`` checks on every checkout, which cost about a millisecond
    of a worker's CPU per API request under load. A connection in steady use needs no check:
    if the database goes away mid-flight, the error invalidates the whole pool (and the
    request gets a 503), so the next checkouts connect afresh.
    """
    @event.listens_for(engine.pool, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info["kith_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        since = record.info.get("kith_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool discards this connection and tries another (SQLAlchemy's recipe).
            raise sa_exc.DisconnectionError() from exc


def register_extensions(app: Flask) -> None:
    from pathlib import Path

    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from . import models  # noqa: F401  (registers the tables with the metadata)
    from .extensions import csrf, db, login, migrate

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            _ping_idle_connections(engine, app.config["DATABASE_PING_AFTER_IDLE_S"])
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    # Registered before the limiter's own hook so that it runs after it (Flask runs them in
    # reverse): Flask-Limiter stamps Retry-After on every limited answer, successful or not.
    app.after_request(_retry_after_only_when_refused)
    # Flask-Limiter keeps its storage and settings on the Limiter object: one per app.
    limiter = Limiter(key_func=get_remote_address, default_limits=[])
    limiter.init_app(app)
    app.extensions["kith.limiter"] = limiter
    login.init_app(app)
    # Email (Flask-Mailman) and the task queue that sends it (huey, made on first use);
    # importing matcher.tasks starts watching commits for emails to send.
    from . import tasks  # noqa: F401
    from .mail import init_mail
    init_mail(app)


def _retry_after_only_when_refused(response):
    """Keep ``Retry-After`` for answers that ask the client to wait (429, 503) only."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def register_blueprints(app: Flask) -> None:
    from .api import register_api
    from .web import register_web

    register_api(app)
    register_web(app)


def register_body_limits(app: Flask) -> None:
    """Limit each request's body to what its route needs: ``MAX_JSON_BYTES`` for the API,
    ``MAX_FORM_BYTES`` for the pages (both within ``MAX_CONTENT_LENGTH``). A larger body is
    refused with 413 before it is read."""

    def _limit_body() -> None:
        limit = app.config["MAX_JSON_BYTES" if request.path.startswith("/api/")
                           else "MAX_FORM_BYTES"]
        ceiling = app.config["MAX_CONTENT_LENGTH"]
        request.max_content_length = min(limit, ceiling) if ceiling else limit

    # First of all the hooks: CSRF protection reads the form in its own before_request.
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_body)


def register_rate_limits(app: Flask) -> None:
    """Wrap every view marked with ``extensions.rate_limited`` in this app's limiter.

    The rule is read from ``app.config`` at each request, as Flask-Limiter reads a callable
    limit, and the wrapper takes the view's place in ``app.view_functions`` only, so the
    module-level view functions stay unlimited for any other app.
    """
    from .extensions import RATE_LIMIT_MARK

    limiter = app.extensions["kith.limiter"]
    for endpoint, view in list(app.view_functions.items()):
        mark = getattr(view, RATE_LIMIT_MARK, None)
        if mark is None:
            continue
        setting, methods = mark
        rule = functools.partial(_configured_limit, setting)
        app.view_functions[endpoint] = limiter.limit(
            rule, methods=list(methods) if methods else None)(view)


def _configured_limit(setting: str) -> str:
    return current_app.config[setting]


def register_errorhandlers(app: Flask) -> None:
    from flask_babel import gettext

    from .api.base import error_payload, is_api_request
    from .extensions import db
    from .web.messages import N_

    def _rollback():
        try:
            db.session.rollback()
        except DBAPIError as error:  # the database dropped the connection with it
            log.warning("Could not roll back on a dead connection: %s", error)

    @app.teardown_appcontext
    def _remove_session(exc):
        # Runs before Flask-SQLAlchemy's own teardown (registered earlier). When the database
        # goes away mid-request, closing the session fails too; raised here, that error would
        # escape Flask and replace the answer already chosen (a 503) with a bare 500.
        try:
            db.session.remove()
        except DBAPIError as error:
            log.warning("Closed a session whose connection had died: %s", error)
            db.session.registry.clear()

    def _unavailable(exc):
        _rollback()
        log.warning("Database unavailable: %s", exc)
        if is_api_request():
            return error_payload(503, "Service Unavailable"), 503, {"Retry-After": "5"}
        return render_template("error.html", code=503,
                               message=gettext("The service is briefly unavailable. Please try "
                                               "again in a few seconds.")
                               ), 503, {"Retry-After": "5"}

    def _unstorable(exc):
        # A number or text the database cannot hold (out of range, a NUL character, a lone
        # surrogate from a JSON escape) is bad input that got past validation, not a fault.
        _rollback()
        from .accesslog import redact_url
        log.warning("Value the database cannot hold on %s %s: %s", request.method,
                    redact_url(request.path), exc, exc_info=exc)
        message = N_("A value in the request cannot be stored or looked up: a number is too "
                     "large, or some text holds characters that are not allowed.")
        if is_api_request():
            return error_payload(422, "Unprocessable Entity", message), 422
        return render_template("error.html", code=422, message=gettext(message)), 422

    @app.errorhandler(DataError)
    def _data(exc):
        return _unstorable(exc)

    @app.errorhandler(OverflowError)  # sqlite3 refuses integers beyond 64 bits before SQL runs
    def _overflow(exc):
        return _unstorable(exc)

    @app.errorhandler(UnicodeEncodeError)  # text the drivers cannot send as UTF-8
    def _unencodable(exc):
        return _unstorable(exc)

    @app.errorhandler(OperationalError)
    def _operational(exc):
        return _unavailable(exc)

    @app.errorhandler(DBAPIError)
    def _dbapi(exc):
        if exc.connection_invalidated:
            return _unavailable(exc)
        return _internal(exc)

    @app.errorhandler(Exception)
    def _internal(exc):
        from werkzeug.exceptions import HTTPException
        if isinstance(exc, HTTPException):
            return exc
        _rollback()
        from .accesslog import redact_url
        log.exception("Unhandled error on %s %s", request.method, redact_url(request.path))
        if is_api_request():
            return error_payload(500, "Internal Server Error"), 500
        return render_template("error.html", code=500,
                               message=gettext("Something went wrong on our side. It has been "
                                               "logged.")), 500


def register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)
