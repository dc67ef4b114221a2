"""What may be sent about a care home: by the API, the profile page, imports and the demo."""

from __future__ import annotations

import marshmallow as ma

from ..domain import catalogue
from .fields import (
    BoundedList,
    ContactSchema,
    Interests,
    LanguageName,
    Postcode,
    PreferredLanguage,
    Text,
    flatten_contact,
)

__all__ = ["CareHomeInputSchema", "CareHomePatchSchema", "ResidentLanguageSchema"]


class ResidentLanguageSchema(ma.Schema):
    language = LanguageName(required=True)
    residents = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=1000))


def _one_of(terms) -> ma.validate.OneOf:
    return ma.validate.OneOf(catalogue.codes(terms))


class CareHomeInputSchema(ma.Schema):
    """What a coordinator or the home's staff may send; also validates the profile form."""

    name = Text(required=True, min_length=1, max_length=200, blank=False)
    postcode = Postcode(required=True, known=True)
    regulator = ma.fields.String(validate=_one_of(catalogue.REGULATORS), allow_none=True)
    regulator_id = Text(max_length=40, allow_none=True)
    address_line1 = Text(max_length=200, allow_none=True)
    address_line2 = Text(max_length=200, allow_none=True)
    town = Text(max_length=100, allow_none=True)
    residents = ma.fields.Integer(validate=ma.validate.Range(min=1, max=1000), allow_none=True)
    interests = Interests()
    interests_text = Text(max_length=5000, multiline=True)
    languages = BoundedList(ma.fields.Nested(ResidentLanguageSchema), max_items=50)
    care_types = BoundedList(ma.fields.String(validate=_one_of(catalogue.CARE_TYPES)),
                             max_items=len(catalogue.CARE_TYPES))
    facilities = BoundedList(ma.fields.String(validate=_one_of(catalogue.FACILITIES)),
                             max_items=len(catalogue.FACILITIES))
    availability = BoundedList(ma.fields.String(validate=ma.validate.OneOf(catalogue.SLOTS)),
                               max_items=len(catalogue.SLOTS), allow_none=True)
    visiting_status = ma.fields.String(validate=_one_of(catalogue.VISITING_STATUSES))
    visiting_review_date = ma.fields.Date(allow_none=True)
    search_radius_km = ma.fields.Float(validate=ma.validate.Range(min=0.5, max=100))
    contact = ma.fields.Nested(ContactSchema)
    preferred_language = PreferredLanguage()

    @ma.validates_schema
    def _languages_fit(self, data, **kwargs):
        langs = data.get("languages") or []
        tags = [entry["language"]["tag"] for entry in langs]
        if len(tags) != len(set(tags)):
            raise ma.ValidationError("Each language may be listed once.", "languages")
        residents = data.get("residents")
        if residents and sum(entry["residents"] for entry in langs) > residents * 3:
            # residents may speak several languages, but not without bound
            raise ma.ValidationError("More language speakers than is plausible for the number "
                                     "of residents.", "languages")

    @ma.post_load
    def _to_columns(self, data, **kwargs):
        if "languages" in data:
            data["languages"] = [
                {**entry["language"], "residents": entry["residents"]}
                for entry in data["languages"]
            ]
        for key in ("care_types", "facilities"):
            if key in data:
                data[key] = list(dict.fromkeys(data[key]))
        return flatten_contact(data)


class CareHomePatchSchema(CareHomeInputSchema):
    """Any subset of a care home's fields, each one whole: a language given needs its
    residents (``partial`` reaches only the top level, not the entries of a list).
    ``status`` too, for coordinators and admins (a home marked deregistered by mistake, or
    closed between releases of its register)."""

    status = ma.fields.String(validate=_one_of(catalogue.CARE_HOME_STATUSES))

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", tuple(self._declared_fields))
        super().__init__(**kwargs)
