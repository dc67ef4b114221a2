"""Settings: defaults here, overridden by the environment, then by ``create_app(config)``."""

from __future__ import annotations

import os
from pathlib import Path

from .domain import catalogue

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


class ConfigError(RuntimeError):
    """The service cannot start with the configuration it was given."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _optional_bool(value: str | None) -> bool | None:
    return None if value is None or not value.strip() else _bool(value)


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'kith.sqlite3'}"
    # Heroku-style URLs name the old driver; psycopg 3 is the one we install.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def load_config() -> dict:
    """Return the settings read from the environment (``.env`` is loaded by the Flask CLI)."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "DEBUG": _bool(os.environ.get("FLASK_DEBUG")),
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "INSTANCE_DIR": str(INSTANCE_DIR),
        "POSTCODE_INDEX_PATH": os.environ.get("POSTCODE_INDEX_PATH"),
        "GEOCODER_ONLINE_PROVIDER": os.environ.get("GEOCODER_ONLINE_PROVIDER"),
        "GEOCODER_ONLINE_DOMAIN": os.environ.get("GEOCODER_ONLINE_DOMAIN"),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_ENABLED": _bool(os.environ.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_REGISTER": os.environ.get("RATELIMIT_REGISTER", "20 per hour;5 per minute"),
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "10 per minute"),
        "RATELIMIT_GEOCODE": os.environ.get("RATELIMIT_GEOCODE", "120 per minute"),
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "kith"),
        # None: Secure unless DEBUG or TESTING (settled in matcher.security).
        "SESSION_COOKIE_SECURE": _optional_bool(os.environ.get("SESSION_COOKIE_SECURE")),
        "REMEMBER_COOKIE_SECURE": _optional_bool(os.environ.get("REMEMBER_COOKIE_SECURE")),
        # TLS ends at the load balancer: redirecting to HTTPS here is opt-in. HSTS is only
        # sent on requests that came over HTTPS; HSTS_MAX_AGE=0 switches it off.
        "FORCE_HTTPS": _bool(os.environ.get("FORCE_HTTPS"), False),
        "HSTS_MAX_AGE": int(os.environ.get("HSTS_MAX_AGE", "31536000")),
        "PRIVACY_NOTICE_VERSION": os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11"),
        "PURGE_PENDING_AFTER_DAYS": int(os.environ.get("PURGE_PENDING_AFTER_DAYS", "90")),
        "API_TOKEN_TTL_DAYS": int(os.environ.get("API_TOKEN_TTL_DAYS", "365")),
        "RANKING_INDEX_DIR": os.environ.get("RANKING_INDEX_DIR"),
        # How often a worker asks the database whether another worker changed the partners.
        "RANKING_CHECK_SECONDS": float(os.environ.get("RANKING_CHECK_SECONDS", "1.0")),
    }


DEFAULTS: dict = {
    "TESTING": False,
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "JSON_SORT_KEYS": False,
    "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # Ranking weights; any request may override them.
    "RANKING_WEIGHTS": dict(catalogue.DEFAULT_WEIGHTS),
    "API_TITLE": "Kith",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Match UK care homes with community partners nearby.",
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            }
        },
        "security": [{"bearerAuth": []}],
    },
}


def check_config(config: dict) -> None:
    """Refuse to start without the settings production needs."""
    if not config.get("SECRET_KEY"):
        if config.get("TESTING") or config.get("DEBUG"):
            # Only with debug or testing, never in production (see the error below).
            config.update(SECRET_KEY="dev-only-not-secret")  # noqa: S106  # nosec B106
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Set it in the environment or in .env "
                "(for example: SECRET_KEY=$(python -c "
                "'import secrets; print(secrets.token_hex(32))')); "
                "it may only be omitted when FLASK_DEBUG=1 or in tests."
            )


def settle_engine_options(config: dict) -> None:
    """Engine options that depend on the database finally chosen (after any overrides)."""
    # Connections a database restart has killed are replaced by matcher._ping_idle_connections;
    # connect_timeout makes an unreachable PostgreSQL a quick 503 instead of a hanging request.
    if str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("postgresql"):
        options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {"connect_timeout": 3, **(options.get("connect_args") or {})}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
