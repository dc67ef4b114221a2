"""Settings: every key Kith reads, with its default, type and meaning, in ``SETTINGS``.

``create_app`` starts from ``defaults()``, applies what ``load_config()`` reads from the
environment, then the ``config`` it was given; code reads ``app.config[name]``, never a default
of its own. The README's configuration table is printed from the environment settings by
``scripts/settings_table.py`` (``settings_table()``), and a test checks that the two agree.
Flask's and the extensions' own keys that Kith leaves alone (``SERVER_NAME``,
``WTF_CSRF_ENABLED``, ...) keep their library defaults and are not listed.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .domain.catalogue import DEFAULT_WEIGHTS

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
# The same file the Flask CLI reads, so gunicorn and every command see the same settings.
ENV_FILE = INSTANCE_DIR.parent / ".env"
SECRET_KEY_FILE = INSTANCE_DIR / "secret_key"


class ConfigError(RuntimeError):
    """The service cannot start with the configuration it was given."""


# --- reading the environment's text --------------------------------------------------------------

def boolean(text: str) -> bool:
    """``1``, ``true``, ``yes`` or ``on`` (any case) is true; anything else is false."""
    return text.strip().lower() in {"1", "true", "yes", "on"}


def optional_boolean(text: str) -> bool | None:
    """Like ``boolean``, but empty means "not set" (``None``)."""
    return boolean(text) if text.strip() else None


def database_url(text: str) -> str | None:
    """A SQLAlchemy URL; the ``postgres://`` and ``postgresql://`` forms get psycopg 3."""
    if not text:
        return None  # empty: the SQLite default
    # Heroku-style URLs name the old driver; psycopg 3 is the one we install.
    if text.startswith("postgres://"):
        return "postgresql+psycopg://" + text[len("postgres://"):]
    if text.startswith("postgresql://"):
        return "postgresql+psycopg://" + text[len("postgresql://"):]
    return text


def storage_url(text: str) -> str | None:
    """A Flask-Limiter storage URL (``redis://...``); empty: kept in memory."""
    return text or None


@dataclass(frozen=True)
class Setting:
    """One configuration key.

    ``type`` turns the environment's text into the value (``str``, ``int``, ``boolean``, ...).
    ``env`` says where the environment gives it: ``True`` under its own name, a string under
    that variable's name, ``False`` nowhere (set only by ``create_app(config)``). A ``type``
    that answers ``None`` means "use the default". ``shown_default`` is the README's wording
    of a default that is computed or long.
    """

    name: str
    default: Any
    type: Callable[[str], Any]
    meaning: str
    env: bool | str = True
    shown_default: str | None = None

    @property
    def variable(self) -> str | None:
        """The environment variable that sets it, if any."""
        if self.env is True:
            return self.name
        return self.env or None

    @property
    def shown(self) -> str:
        """The default as the README shows it."""
        if self.shown_default is not None:
            return self.shown_default
        if self.default is None:
            return "unset"
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        return f"`{self.default}`"


SETTINGS: tuple[Setting, ...] = (
    # -- read from the environment (the README's table, in this order) -------------------------
    Setting("SECRET_KEY", None, str, "signs sessions and derives edit links",
            shown_default="`instance/secret_key` if that file exists (`make run` makes it), "
                          "else none: required unless `FLASK_DEBUG=1`"),
    Setting("DEBUG", False, boolean, "Flask's debug mode: runs without `SECRET_KEY`, cookies "
            "not `Secure`; never in production", env="FLASK_DEBUG"),
    Setting("SQLALCHEMY_DATABASE_URI", f"sqlite:///{INSTANCE_DIR / 'kith.sqlite3'}",
            database_url, "`postgresql+psycopg://user@host/db` in production", env="DATABASE_URL",
            shown_default="`sqlite:///instance/kith.sqlite3`"),
    Setting("RATELIMIT_STORAGE_URI", "memory://", storage_url,
            "shared rate-limit storage when several workers run", env="REDIS_URL",
            shown_default="unset (limits kept in memory)"),
    Setting("POSTCODE_INDEX_PATH", None, str,
            "the compact offline postcode index (rebuilt by itself when the data package "
            "changes)", shown_default="`instance/postcode-index-<data version>-f<format>.bin`"),
    Setting("PRIVACY_NOTICE_VERSION", "2026-12", str, "stored with every consent"),
    Setting("PURGE_PENDING_AFTER_DAYS", 90, int,
            "registrations never approved are purged after this"),
    Setting("AUDIT_RETENTION_DAYS", 730, int,
            "audit entries older than this are deleted by `purge` and the daily task"),
    Setting("API_TOKEN_TTL_DAYS", 365, int, "lifetime of new API tokens"),
    Setting("RATELIMIT_ENABLED", True, boolean, "the rate limits below (off only for tests and "
            "scripts)"),
    Setting("RATELIMIT_REGISTER", "20 per hour;5 per minute", str,
            "Flask-Limiter rule for sending the public registration form, per address"),
    Setting("RATELIMIT_LOGIN", "10 per minute", str,
            "Flask-Limiter rule for sign-in attempts, per address"),
    Setting("RATELIMIT_PASSWORD_RESET", "5 per minute;20 per hour", str,
            "Flask-Limiter rule for asking for a password link and setting a password, "
            "per address"),
    Setting("PASSWORD_RESET_TTL_MINUTES", 60, int,
            "how long a password reset link works (it also stops once used)"),
    Setting("INVITATION_TTL_DAYS", 7, int,
            "how long an invitation to set a first password works (it also stops once used)"),
    Setting("RATELIMIT_GEOCODE", "120 per minute", str,
            "Flask-Limiter rule for `GET /api/v1/geocode`, per address"),
    Setting("REMINDERS_EVERY_MINUTES", 5, int,
            "how often (minutes, 1-59) the worker looks for visit reminders, feedback requests "
            "and safeguarding notices that are due"),
    Setting("RATELIMIT_VISIT_LINKS", "60 per minute", str,
            "Flask-Limiter rule for the private calendar feeds and the feedback form, per "
            "address"),
    Setting("RATELIMIT_KEY_PREFIX", "kith", str,
            "prefix of the rate-limit keys in Redis (one per deployment sharing a Redis)"),
    Setting("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True, boolean,
            "while Redis is unreachable, count the limits in each worker's memory (a warning "
            "is logged) instead of failing the request; shared again once Redis is back"),
    # None: Secure unless DEBUG or TESTING (settled in matcher.security).
    Setting("SESSION_COOKIE_SECURE", None, optional_boolean,
            "send the sign-in cookies over HTTPS only",
            shown_default="on, except with `FLASK_DEBUG=1` or in tests"),
    Setting("REMEMBER_COOKIE_SECURE", None, optional_boolean,
            "send the sign-in cookies over HTTPS only",
            shown_default="on, except with `FLASK_DEBUG=1` or in tests"),
    Setting("RANKING_INDEX_DIR", None, str,
            "where the fitted ranking index is saved for workers to share; empty: not saved",
            shown_default="`instance/ranking-index` (none in tests)"),
    Setting("RANKING_CHECK_SECONDS", 1.0, float,
            "how often a worker asks the database whether another worker changed the partners"),
    Setting("INTRODUCTION_COOLDOWN_DAYS", 365, int,
            "days after an introduction was declined or ended before the pair is suggested "
            "again"),
    # TLS ends at the load balancer: redirecting to HTTPS here is opt-in. HSTS is only sent on
    # requests that came over HTTPS.
    Setting("FORCE_HTTPS", False, boolean,
            "redirect plain HTTP to HTTPS in the application itself",
            shown_default="off (TLS ends at the load balancer)"),
    Setting("HSTS_MAX_AGE", 31536000, int,
            "`Strict-Transport-Security` lifetime, sent only on HTTPS requests (or "
            "`X-Forwarded-Proto: https`); `0` switches it off"),
    # Behind a load balancer every request comes from its address: only the proxies' own
    # X-Forwarded-For entries tell the clients apart, and only the configured number is trusted.
    Setting("TRUSTED_PROXIES", 0, int,
            "how many proxies in front of Kith add `X-Forwarded-For`/`-Proto`; the client "
            "address (and its rate limits) is taken from them; `0` trusts no such header"),
    Setting("PUBLIC_BASE_URL", None, str,
            "the service's address, e.g. `https://kith.example.org`, for absolute links in "
            "the open feed and in emails (never taken from the request's `Host`)",
            shown_default="unset (`PREFERRED_URL_SCHEME://SERVER_NAME` if set, else "
                          "links relative to the site; in emails `http://localhost:5000`)"),
    # Flask-Mailman's settings, under their usual names.
    Setting("MAIL_SERVER", None, str, "SMTP server for outgoing email; unset: every message is "
            "written to `instance/outbox/` as an `.eml` file (listed at `/admin/outbox`)"),
    Setting("MAIL_PORT", 25, int, "SMTP port (587 with `MAIL_USE_TLS`, 465 with `MAIL_USE_SSL`)"),
    Setting("MAIL_USE_TLS", False, boolean, "STARTTLS on the SMTP connection"),
    Setting("MAIL_USE_SSL", False, boolean, "SMTP over TLS from the start (not with "
            "`MAIL_USE_TLS`)"),
    Setting("MAIL_USERNAME", None, str, "SMTP user name, if the server wants one"),
    Setting("MAIL_PASSWORD", None, str, "SMTP password, if the server wants one"),
    Setting("MAIL_DEFAULT_SENDER", "Kith <kith@localhost>", str,
            "the `From` of every email"),
    Setting("TASKS_URL", None, storage_url,
            "task queue storage: `redis://host:6379/N` in production (or `sqlite:///path`)",
            shown_default="unset (SQLite file `instance/tasks.sqlite3`)"),
    Setting("TASKS_IMMEDIATE", None, optional_boolean,
            "run background tasks at once in the process that queued them (tests)",
            shown_default="off, except in tests"),
    Setting("RATELIMIT_LOST_LINK", "5 per hour;2 per minute", str,
            "Flask-Limiter rule for the \"lost your link?\" form, per address"),
    Setting("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", str,
            "map tiles drawn under the markers when reachable (the Content-Security-Policy "
            "allows images from this host only); empty: no tiles, images from Kith alone, and "
            "the network map keeps its offline outlines"),
    # -- set only in code: create_app(config) ---------------------------------------------------
    Setting("TESTING", False, boolean, "Flask's test mode: no SECRET_KEY needed, cookies not "
            "Secure, no saved ranking index", env=False),
    Setting("INSTANCE_DIR", str(INSTANCE_DIR), str,
            "where the default database, postcode index and ranking index live", env=False),
    Setting("SQLALCHEMY_ENGINE_OPTIONS", {}, dict, "options for SQLAlchemy's create_engine "
            "(PostgreSQL gets a connect timeout, see settle_engine_options)", env=False),
    Setting("SQLALCHEMY_TRACK_MODIFICATIONS", False, boolean,
            "Flask-SQLAlchemy's change signals (unused)", env=False),
    Setting("DATABASE_PING_AFTER_IDLE_S", 5.0, float,
            "a pooled connection idle this long is checked before use", env=False),
    Setting("SERVER_NAME", None, str, "Flask's host name of the service; with "
            "`PREFERRED_URL_SCHEME` the open feed's address when `PUBLIC_BASE_URL` is unset",
            env=False),
    Setting("PREFERRED_URL_SCHEME", "http", str, "Flask's scheme for absolute links made "
            "outside a request", env=False),
    Setting("MAX_CONTENT_LENGTH", 60 * 1024 * 1024, int,
            "largest request body in bytes of any route (the ceiling of the two below)",
            env=False),
    # Every page and API body is small: a few kilobytes, a few dozen with long texts. Imports
    # of regulator files run on the command line and are not limited by these.
    Setting("MAX_FORM_BYTES", 64 * 1024, int,
            "largest body in bytes of a form sent to a page (registration, sign-in, ...)",
            env=False),
    Setting("MAX_JSON_BYTES", 256 * 1024, int,
            "largest body in bytes of a request to the API (`/api/`)", env=False),
    Setting("SESSION_COOKIE_HTTPONLY", True, boolean, "session cookie hidden from scripts",
            env=False),
    Setting("SESSION_COOKIE_SAMESITE", "Lax", str, "session cookie's SameSite", env=False),
    Setting("BABEL_DEFAULT_LOCALE", "en", str,
            "language when neither the person nor the browser chooses", env=False),
    Setting("BABEL_DEFAULT_TIMEZONE", "Europe/London", str,
            "time zone dates and times are shown in", env=False),
    Setting("REMEMBER_COOKIE_HTTPONLY", True, boolean,
            "remember-me cookie hidden from scripts", env=False),
    Setting("REMEMBER_COOKIE_SAMESITE", "Lax", str, "remember-me cookie's SameSite", env=False),
    Setting("HSTS_INCLUDE_SUBDOMAINS", False, boolean,
            "`includeSubDomains` in `Strict-Transport-Security`", env=False),
    Setting("WTF_CSRF_TIME_LIMIT", None, int,
            "seconds a form's CSRF token lasts (None: as long as the session)", env=False),
    # Short timeouts: a Redis that is down or unreachable must cost a request little time
    # before the limiter falls back to memory.
    Setting("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            dict, "options for the rate-limit storage's Redis client", env=False),
    Setting("RATELIMIT_HEADERS_ENABLED", True, boolean,
            "`X-RateLimit-*` and `Retry-After` headers on limited answers", env=False),
    Setting("RANKING_WEIGHTS", dict(DEFAULT_WEIGHTS), dict,
            "default weight of each ranking component; any request may override them",
            env=False),
    Setting("RANKING_JOBS", 2, int,
            "processes the command line's batch ranking uses (the web never forks)", env=False),
    Setting("MAIL_BACKEND", None, str, "Flask-Mailman backend; unset: SMTP with `MAIL_SERVER`, "
            "else `.eml` files in `MAIL_OUTBOX_DIR` (in tests that set none: in memory)",
            env=False),
    Setting("MAIL_OUTBOX_DIR", None, str, "where `.eml` files go without `MAIL_SERVER`; unset: "
            "`instance/outbox`", env=False),
    Setting("MAIL_TIMEOUT", 10, int, "seconds to wait for the SMTP server", env=False),
    Setting("MAIL_SUBJECT_PREFIX", "Kith: ", str, "starts every email's subject", env=False),
    Setting("MAIL_MAX_ATTEMPTS", 8, int,
            "delivery attempts before a message is marked failed", env=False),
    Setting("MAIL_RETRY_SECONDS", 30, int, "first retry delay; it doubles with each attempt "
            "(30 s, 1 min, 2 min ... capped at 6 hours)", env=False),
    Setting("MAIL_DIGEST_HOUR", 7, int, "hour (UTC) of the coordinators' daily digest",
            env=False),
    Setting("API_TITLE", "Kith", str, "title of the OpenAPI document", env=False),
    Setting("API_VERSION", "v1", str, "version of the OpenAPI document", env=False),
    Setting("OPENAPI_VERSION", "3.0.3", str, "OpenAPI version of the document", env=False),
    Setting("OPENAPI_URL_PREFIX", "/api", str, "where the OpenAPI document is served",
            env=False),
    Setting("OPENAPI_JSON_PATH", "openapi.json", str, "its file name under the prefix",
            env=False),
    Setting("API_SPEC_OPTIONS", {
        "info": {
            "description": "Match UK care homes with community partners nearby.",
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            }
        },
        "security": [{"bearerAuth": []}],
    }, dict, "the rest of the OpenAPI document's header", env=False),
)

SETTING_NAMES = frozenset(s.name for s in SETTINGS)

# Read-only: an app gets its own deep copy (defaults()), so nothing it changes leaks out.
DEFAULTS: Mapping[str, Any] = MappingProxyType({s.name: s.default for s in SETTINGS})


def defaults() -> dict:
    """A fresh copy of every default, so that no two apps share a mutable value."""
    return copy.deepcopy(dict(DEFAULTS))


def read_environment(env_file: Path | None = None) -> dict[str, str]:
    """The process environment over the project's ``.env`` file (when there is one).

    The Flask CLI loads ``.env`` into the environment itself; gunicorn does not, so reading it
    here is what makes a ``DATABASE_URL`` in ``.env`` the same database for ``flask init-db``
    and for the server. A variable set in the environment wins over the file, as in the CLI.
    """
    from dotenv import dotenv_values

    env_file = ENV_FILE if env_file is None else env_file
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return values


def load_config(environ: Mapping[str, str] | None = None) -> dict:
    """Return the settings read from the environment and ``.env`` (`read_environment`):
    every environment setting, with its default where the variable is not set. Read from the
    process (no ``environ`` given), the secret key falls back to ``instance/secret_key``, the
    file ``make run`` keeps, so every command in any shell signs with the server's key."""
    from_process = environ is None
    environ = read_environment() if from_process else environ
    config = {}
    for setting in SETTINGS:
        if setting.variable is None:
            continue
        text = environ.get(setting.variable)
        value = None if text is None else setting.type(text)
        config[setting.name] = copy.deepcopy(setting.default) if value is None else value
    if from_process and not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = secret_key_from_file()
    return config


def secret_key_from_file(path: Path | None = None) -> str | None:
    """The key ``make run`` keeps in ``instance/secret_key``, if the file exists."""
    path = SECRET_KEY_FILE if path is None else path
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return key or None


def settings_table() -> str:
    """The README's configuration table (Markdown), from the environment settings; neighbours
    with the same default and meaning share a row."""
    rows: list[tuple[list[str], str, str]] = []
    for setting in SETTINGS:
        if setting.variable is None:
            continue
        shown = setting.shown
        if rows and rows[-1][1:] == (shown, setting.meaning):
            rows[-1][0].append(setting.variable)
        else:
            rows.append(([setting.variable], shown, setting.meaning))
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| {', '.join(f'`{n}`' for n in names)} | {shown} | {meaning} |"
              for names, shown, meaning in rows]
    return "\n".join(lines)


TASKS_URL_SCHEMES = ("redis://", "rediss://", "unix://", "sqlite:///")


def check_config(config: dict) -> None:
    """Refuse to start without the settings production needs."""
    if not config["SECRET_KEY"]:
        if config["TESTING"] or config["DEBUG"]:
            # Only with debug or testing, never in production (see the error below).
            config.update(SECRET_KEY="dev-only-not-secret")  # noqa: S106  # nosec B106
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Set it in the environment or in .env "
                "(for example: SECRET_KEY=$(python -c "
                "'import secrets; print(secrets.token_hex(32))')); "
                "it may only be omitted when FLASK_DEBUG=1 or in tests."
            )
    # Mistakes that would otherwise only show as every email failing, much later.
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL exclude each other: STARTTLS (usually "
                          "port 587) or TLS from the start (usually port 465), not both.")
    url = config["TASKS_URL"] or ""
    if url and not url.startswith(TASKS_URL_SCHEMES):
        raise ConfigError(f"TASKS_URL must start with one of {', '.join(TASKS_URL_SCHEMES)} "
                          f"(for example redis://127.0.0.1:6379/3), not {url!r}.")


def settle_engine_options(config: dict) -> None:
    """Engine options that depend on the database finally chosen (after any overrides)."""
    # Connections a database restart has killed are replaced by matcher._ping_idle_connections;
    # connect_timeout makes an unreachable PostgreSQL a quick 503 instead of a hanging request.
    if str(config["SQLALCHEMY_DATABASE_URI"] or "").startswith("postgresql"):
        options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"] or {})
        options["connect_args"] = {"connect_timeout": 3, **(options.get("connect_args") or {})}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
