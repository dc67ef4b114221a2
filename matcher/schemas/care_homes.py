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

__all__ = ["MAX_RESIDENTS", "CareHomeInputSchema", "CareHomePatchSchema",
           "ResidentLanguageSchema", "merge_languages"]

# The most residents a home, or the speakers of one of its languages, may be given as: one
# static bound the document states (``maximum``). How many speak a language is not checked
# against the home's residents (a rule across fields the document cannot state): the domain
# caps every share at 1 and the home's page warns its staff instead.
MAX_RESIDENTS = 1000


class ResidentLanguageSchema(ma.Schema):
    language = LanguageName(required=True)
    residents = ma.fields.Integer(required=True,
                                  validate=ma.validate.Range(min=1, max=MAX_RESIDENTS))


def merge_languages(entries) -> list[dict]:
    """Loaded ``{language: {tag, ...}, residents}`` entries as the stored ``{tag, name,
    native_name, residents}``, one per tag (``Welsh`` and ``cy`` are one), in order of first
    appearance, each with the largest number of residents it was given."""
    merged: dict[str, dict] = {}
    for entry in entries:
        tag = entry["language"]["tag"]
        if tag in merged:
            merged[tag]["residents"] = max(merged[tag]["residents"], entry["residents"])
        else:
            merged[tag] = {**entry["language"], "residents": entry["residents"]}
    return list(merged.values())


def _one_of(terms) -> ma.validate.OneOf:
    return ma.validate.OneOf(catalogue.codes(terms))


class CareHomeInputSchema(ma.Schema):
    """What a coordinator or the home's staff may send; also validates the profile form."""

    name = Text(required=True, min_length=1, max_length=200, blank=False)
    postcode = Postcode(required=True, known=True)
    regulator = ma.fields.String(validate=_one_of(catalogue.REGULATORS), allow_none=True)
    regulator_id = Text(max_length=40, allow_none=True, metadata={
        "description": "The home's id with its regulator, one home per regulator and id; kept "
                       "without surrounding spaces, and an empty one is kept as none."})
    address_line1 = Text(max_length=200, allow_none=True)
    address_line2 = Text(max_length=200, allow_none=True)
    town = Text(max_length=100, allow_none=True)
    residents = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_RESIDENTS),
                                  allow_none=True)
    interests = Interests()
    interests_text = Text(max_length=5000, multiline=True)
    languages = BoundedList(ma.fields.Nested(ResidentLanguageSchema), max_items=50, metadata={
        "description": "The residents who speak each language. A language given twice (by "
                       "name or code: `Welsh` and `cy` are one) is kept once, where it first "
                       "appears, with the larger number of residents; the answer shows what "
                       "was kept. A number above the home's `residents` is kept as given; "
                       "matching counts at most the home's residents."})
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

    @ma.post_load
    def _to_columns(self, data, **kwargs):
        if "languages" in data:
            data["languages"] = merge_languages(data["languages"])
        if data.get("regulator_id") is not None:
            # "" is no id: stored as such it would be one home's id, and a second home's ""
            # would be refused by the database rather than by the check for a taken id.
            data["regulator_id"] = data["regulator_id"].strip() or None
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
