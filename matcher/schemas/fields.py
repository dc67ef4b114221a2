"""Custom marshmallow fields and small schemas shared by every input: postcodes, languages,
interests and contact details. No Flask here: the API, pages, CLI and imports all use them."""

from __future__ import annotations

import marshmallow as ma

from ..domain.interests import clean_interests
from ..domain.languages import UnknownLanguage, normalise_language
from ..domain.postcodes import InvalidPostcode, parse_postcode

# Primary keys are INTEGER columns; PostgreSQL refuses to even compare them with larger numbers.
MAX_ID = 2**31 - 1

__all__ = [
    "ContactSchema",
    "Interests",
    "LanguageName",
    "Postcode",
    "contact_of",
    "flatten_contact",
]


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
    """A record's ``contact_*`` columns as ``{name, email, phone}``."""
    return {"name": obj.contact_name, "email": obj.contact_email, "phone": obj.contact_phone}
