"""Pieces every API resource shares: the caller, output fields, and error mapping.

Input fields and schemas live in ``matcher.schemas`` (shared with pages, CLI and imports).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from functools import wraps

import marshmallow as ma
from flask import current_app, g, request
from flask_smorest import abort
from marshmallow.experimental.context import Context

from ..extensions import db
from ..models import NATIONS, User
from ..schemas.fields import Text
from ..schemas.messages import N_
from ..services import accounts
from ..services.audit import Actor
from ..services.errors import ServiceError
from .base import MAX_PAGE


def authenticate_request() -> None:
    """``before_request`` for protected blueprints: a valid bearer token or a 401."""
    if request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        abort(401, message=N_("Send an API token as 'Authorization: Bearer <token>'."),
              headers={"WWW-Authenticate": 'Bearer realm="kith"'})
    user = accounts.user_for_token(db.session, raw.strip())
    if user is None:
        abort(401, message=N_("The API token is not valid: it is unknown, expired or revoked."),
              headers={"WWW-Authenticate": 'Bearer realm="kith", error="invalid_token"'})
    g.api_user = user


def require_json_body() -> None:
    """415 for a body that is not JSON, before webargs quietly ignores it; 422 for a POST,
    PUT or PATCH without any body (every one of them documents a required JSON body)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        abort(422, message=N_("Send the request's fields as a JSON body."),
              errors={"_request": [N_("The request has no body.")]})
    if not request.is_json:
        abort(415)


def current_user() -> User:
    return g.api_user


def current_actor() -> Actor:
    return Actor.for_user(g.api_user)


# What response schemas may know about the request: passed explicitly, never read from ``g``.
DumpContext = Context[dict]


def with_viewer(view):
    """Dump the view's response with ``{"viewer": <the caller>}`` as the schema context, so
    a response schema can show what only the caller may see (e.g. a group's contact)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        with DumpContext({"viewer": getattr(g, "api_user", None)}):
            return view(*args, **kwargs)
    return wrapped


def viewer() -> User | None:
    """The caller a response is being dumped for (None outside ``with_viewer``)."""
    return DumpContext.get({}).get("viewer")


@contextmanager
def service_errors():
    """Turn a service's errors into HTTP errors (changes are undone by ``unit_of_work``)."""
    try:
        yield
    except ServiceError as exc:
        abort(exc.status, message=exc.message, errors=exc.errors or None)


def postcode_index():
    from ..runtime import postcode_index as _index
    return _index(current_app)


class UtcDateTime(ma.fields.DateTime):
    """An ISO 8601 time with its UTC offset: SQLite hands back stored UTC times without one,
    and a time without an offset is not the ``date-time`` the API documents."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class ListArgs(ma.Schema):
    nation = ma.fields.String(validate=ma.validate.OneOf(NATIONS))
    local_authority = Text(max_length=9)
    q = Text(max_length=200,
                         metadata={"description": "Search by name or postcode."})


def check_page(pagination_parameters) -> None:
    """422 for a page number beyond ``MAX_PAGE`` (the documented maximum): its offset is more
    than a database can hold."""
    if pagination_parameters.page > MAX_PAGE:
        abort(422, errors={"page": [f"Must be between 1 and {MAX_PAGE}."]})


def paginated(query, pagination_parameters):
    """One page of ``query``'s rows, with the total recorded for the ``X-Pagination`` header."""
    check_page(pagination_parameters)
    page = db.paginate(query, page=pagination_parameters.page,
                       per_page=pagination_parameters.page_size, error_out=False)
    pagination_parameters.item_count = page.total
    return page.items
