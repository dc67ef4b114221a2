"""The ``web`` blueprint and what every page shares: labels, navigation, access checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from types import MappingProxyType
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask_babel import format_date, gettext, lazy_gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..domain import catalogue
from ..presentation.reasons import format_km
from ..services import scope
from ..services.errors import Forbidden, NotFound, ServiceError
from .messages import page_message

bp = Blueprint("web", __name__)

def translated(labels) -> MappingProxyType:
    """``{code: label}`` with each label translated into the language of the page it is shown on
    (the catalogue's English words, looked up when rendered)."""
    return MappingProxyType({code: lazy_gettext(label) for code, label in labels.items()})


# Labels and tags for pages, all read from the catalogue and translated when shown.
KIND_LABELS = translated(catalogue.labels(catalogue.GROUP_KINDS))
DAYS = tuple((day.code, lazy_gettext(day.label)) for day in catalogue.DAYS)
PARTS = tuple((part.code, lazy_gettext(part.label)) for part in catalogue.DAY_PARTS)
REMOTE_MODE_LABELS = translated(catalogue.labels(catalogue.REMOTE_MODES))
SCHEME_LABELS = translated(catalogue.labels(catalogue.SAFEGUARDING_SCHEMES))
SAFEGUARDING_STATUS_LABELS = translated(catalogue.labels(catalogue.SAFEGUARDING_STATUSES))
GROUP_STATUS_LABELS = translated(catalogue.labels(catalogue.GROUP_STATUSES))
GROUP_STATUS_TAGS = catalogue.tags(catalogue.GROUP_STATUSES)
INTRODUCTION_STATUS_LABELS = translated(catalogue.labels(catalogue.INTRODUCTION_STATUSES))
INTRODUCTION_STATUS_TAGS = catalogue.tags(catalogue.INTRODUCTION_STATUSES)
# What the dashboard counts, with the phrase it counts each with.
INTRODUCTION_STATUS_SUMMARIES = tuple(
    (status.code, lazy_gettext(status.summary))
    for status in catalogue.INTRODUCTION_STATUSES if status.summary)
NATION_LABELS = translated(catalogue.labels(catalogue.NATIONS))
VISITING_LABELS = translated(catalogue.labels(catalogue.VISITING_STATUSES))
VISITING_TAGS = catalogue.tags(catalogue.VISITING_STATUSES)
HOME_STATUS_LABELS = translated(catalogue.labels(catalogue.CARE_HOME_STATUSES))
HOME_STATUS_TAGS = catalogue.tags(catalogue.CARE_HOME_STATUSES)
CARE_TYPE_LABELS = translated(catalogue.labels(catalogue.CARE_TYPES))
FACILITY_LABELS = translated(catalogue.labels(catalogue.FACILITIES))
COMPONENT_LABELS = translated(catalogue.labels(catalogue.RANKING_COMPONENTS))


def choices(labels, **extra) -> list[dict]:
    """``{code: label}`` as the ``[{value, text}]`` items the GOV.UK form macros take."""
    return [{"value": code, "text": text, **extra} for code, text in labels.items()]


# The profile form's visiting choices, with a hint under each.
VISITING_CHOICES = [{"value": s.code, "text": lazy_gettext(s.choice), "hint": lazy_gettext(s.hint)}
                    for s in catalogue.VISITING_STATUSES]


PRIVATE_ENDPOINTS = {"web.register_done", "web.group_edit", "web.group_withdraw",
                     "web.group_download", "web.group_answer", "web.password_reset_request",
                     "web.password_reset", "web.invitation"}


def service_abort(exc: ServiceError):
    """Turn a service's NotFound or Forbidden into the matching error page."""
    if isinstance(exc, NotFound):
        abort(404)
    if isinstance(exc, Forbidden):
        abort(403)
    abort(exc.status)


def roles_required(*roles: str) -> Callable:
    """Only signed-in users with one of ``roles``; others see 403 (anonymous: the sign-in page)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not scope.has_role(current_user, roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, otherwise None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_page_for(user) -> str:
    """Where a user lands after signing in."""
    from flask import url_for
    if scope.own_home_id(user):
        return url_for("web.partners", home_id=scope.own_home_id(user))
    if scope.can_use_network_tools(user):
        return url_for("web.coordinator")
    return url_for("web.index")


def _date_long(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):  # a datetime is a date too
        # "4 December 2026" / "4 Rhagfyr 2026": the month in the page's language.
        return format_date(value, "d MMMM y")
    return str(value)


def _percent(value) -> str:
    try:
        return f"{round(float(value) * 100)}%"
    except (TypeError, ValueError):
        return "–"


def _bar_step(value) -> int:
    """The nearest 5% step, for the CSS bar classes (no inline styles under the CSP)."""
    try:
        number = max(0.0, min(1.0, float(value)))
    except (TypeError, ValueError):
        return 0
    return int(round(number * 20) * 5)


def _km(value) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return format_km(number)


def _nav_items() -> list[dict]:
    from flask import url_for
    endpoint = request.endpoint or ""
    items = []
    if not current_user.is_authenticated:
        items.append({"text": gettext("Register a group"), "href": url_for("web.register"),
                      "active": endpoint.startswith("web.register")})
        return items
    if scope.own_home_id(current_user):
        items.append({"text": gettext("My care home"),
                      "href": url_for("web.partners", home_id=scope.own_home_id(current_user)),
                      "active": endpoint in ("web.partners", "web.home_profile")})
    if scope.can_use_network_tools(current_user):
        items.append({"text": gettext("Coordinator dashboard"), "href": url_for("web.coordinator"),
                      "active": endpoint.startswith("web.coordinator")})
    if scope.can_read_audit(current_user):
        items.append({"text": gettext("Audit trail"), "href": url_for("web.admin_audit"),
                      "active": endpoint.startswith("web.admin_audit")})
        items.append({"text": gettext("Outbox"), "href": url_for("web.admin_outbox"),
                      "active": endpoint.startswith("web.admin_outbox")})
    items.append({"text": gettext("Register a group"), "href": url_for("web.register"),
                  "active": endpoint.startswith("web.register")})
    return items


@bp.after_request
def _no_store(response):
    # Private links, contact details and signed-in pages must not linger in caches or in a
    # shared computer's back button.
    if request.endpoint in PRIVATE_ENDPOINTS or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


def install(app: Flask) -> None:
    """Template filters, globals and page-specific error handlers."""
    app.jinja_env.filters["date_long"] = _date_long
    app.jinja_env.filters["percent"] = _percent
    app.jinja_env.filters["bar_step"] = _bar_step
    app.jinja_env.filters["km"] = _km
    # Kith's English messages (services, schemas) in the page's language: {{ message | msg }}.
    app.jinja_env.filters["msg"] = page_message
    app.jinja_env.globals.update(
        KIND_LABELS=KIND_LABELS, GROUP_STATUS_LABELS=GROUP_STATUS_LABELS,
        GROUP_STATUS_TAGS=GROUP_STATUS_TAGS, INTRODUCTION_STATUS_LABELS=INTRODUCTION_STATUS_LABELS,
        INTRODUCTION_STATUS_TAGS=INTRODUCTION_STATUS_TAGS, NATION_LABELS=NATION_LABELS,
        VISITING_LABELS=VISITING_LABELS, COMPONENT_LABELS=COMPONENT_LABELS,
        REMOTE_MODE_LABELS=REMOTE_MODE_LABELS, CARE_TYPE_LABELS=CARE_TYPE_LABELS,
        FACILITY_LABELS=FACILITY_LABELS, SAFEGUARDING_STATUS_LABELS=SAFEGUARDING_STATUS_LABELS,
        DAYS=DAYS, PARTS=PARTS, VISITING_TAGS=VISITING_TAGS, VISITING_CHOICES=VISITING_CHOICES,
        SCHEME_CHOICES=choices(SCHEME_LABELS),
        SAFEGUARDING_STATUS_CHOICES=choices(SAFEGUARDING_STATUS_LABELS),
        NATION_CHOICES=choices(NATION_LABELS),
        INTRODUCTION_STATUS_SUMMARIES=INTRODUCTION_STATUS_SUMMARIES,
        HOME_STATUS_LABELS=HOME_STATUS_LABELS, HOME_STATUS_TAGS=HOME_STATUS_TAGS,
    )

    @app.context_processor
    def _navigation():
        return {"nav_items": _nav_items()}

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        return render_template(
            "error.html", code=400,
            message=gettext("Your form could not be sent because the page had expired. Go "
                            "back, reload the page and try again.")), 400
