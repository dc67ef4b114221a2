"""Pieces every API resource shares: the caller, custom fields, and error mapping."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import marshmallow as ma
from flask import current_app, g, request
from flask_smorest import abort

from ..domain.interests import clean_interests
from ..domain.languages import UnknownLanguage, normalise_language
from ..domain.postcodes import InvalidPostcode, parse_postcode
from ..extensions import db
from ..models import User
from ..services import accounts
from ..services.audit import Actor
from ..services.errors import ServiceError


def authenticate_request() -> None:
    """``before_request`` for protected blueprints: a valid bearer token or a 401."""
    if request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        abort(401, message="Send an API token as 'Authorization: Bearer <token>'.",
              headers={"WWW-Authenticate": 'Bearer realm="kith"'})
    user = accounts.user_for_token(db.session, raw.strip())
    if user is None:
        abort(401, message="The API token is not valid: it is unknown, expired or revoked.",
              headers={"WWW-Authenticate": 'Bearer realm="kith", error="invalid_token"'})
    g.api_user = user


def require_json_body() -> None:
    """415 for a body that is not JSON, before webargs quietly ignores it."""
    if request.method in ("POST", "PUT", "PATCH") and request.content_length \
            and not request.is_json:
        abort(415)


def current_user() -> User:
    return g.api_user


def current_actor() -> Actor:
    return Actor.for_user(g.api_user)


@contextmanager
def service_errors():
    """Turn a service's errors into HTTP errors, rolling back anything half-done."""
    try:
        yield
    except ServiceError as exc:
        db.session.rollback()
        abort(exc.status, message=exc.message, errors=exc.errors or None)


def commit() -> None:
    db.session.commit()


def postcode_index():
    from ..runtime import postcode_index as _index
    return _index(current_app)


class Postcode(ma.fields.String):
    """A UK postcode in any spelling, checked for shape (existence is the geocoder's job)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_postcode(text).normalised
        except InvalidPostcode as exc:
            raise ma.ValidationError(str(exc)) from exc


class LanguageName(ma.fields.String):
    """A language by name or tag in any case or script, loaded as ``{tag, name, native_name}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_language(text).to_dict()
        except UnknownLanguage as exc:
            raise ma.ValidationError(str(exc)) from exc

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class UtcDateTime(ma.fields.DateTime):
    """An ISO 8601 time with its UTC offset: SQLite hands back stored UTC times without one,
    and a time without an offset is not the ``date-time`` the API documents."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Interests(ma.fields.List):
    """A list of interests, trimmed and deduplicated without regard to case."""

    def __init__(self, **kwargs):
        super().__init__(ma.fields.String(validate=ma.validate.Length(max=100)),
                         validate=ma.validate.Length(max=50), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return clean_interests(super()._deserialize(value, attr, data, **kwargs))


class ContactSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(max=200), allow_none=True)
    email = ma.fields.Email(validate=ma.validate.Length(max=254), allow_none=True)
    phone = ma.fields.String(validate=ma.validate.Regexp(
        r"^[0-9+() -]{6,20}$", error="Enter a telephone number, like 01632 960 001."),
        allow_none=True)


def flatten_contact(data: dict) -> dict:
    """``contact: {name, email, phone}`` -> the model's ``contact_*`` columns."""
    contact = data.pop("contact", None)
    if contact is not None:
        for key in ("name", "email", "phone"):
            if key in contact:
                data[f"contact_{key}"] = contact[key] or None
    return data


def contact_of(obj) -> dict:
    return {"name": obj.contact_name, "email": obj.contact_email, "phone": obj.contact_phone}


class ListArgs(ma.Schema):
    nation = ma.fields.String(validate=ma.validate.OneOf(
        ("england", "scotland", "wales", "northern-ireland")))
    local_authority = ma.fields.String(validate=ma.validate.Length(max=9))
    q = ma.fields.String(validate=ma.validate.Length(max=200),
                         metadata={"description": "Search by name or postcode."})


def paginated(query, pagination_parameters):
    """One page of ``query``'s rows, with the total recorded for the ``X-Pagination`` header."""
    page = db.paginate(query, page=pagination_parameters.page,
                       per_page=pagination_parameters.page_size, error_out=False)
    pagination_parameters.item_count = page.total
    return page.items
