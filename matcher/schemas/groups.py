"""What may be sent about a community group: by the API, the public form and private link,
imports, the Open Referral importer and the demo."""

from __future__ import annotations

import marshmallow as ma

from ..domain import catalogue
from .fields import (
    Boolean,
    BoundedList,
    ContactSchema,
    Interests,
    LanguageName,
    Postcode,
    PreferredLanguage,
    Text,
    flatten_contact,
)

__all__ = ["GroupInputSchema", "GroupPatchSchema", "SafeguardingSchema"]


def _one_of(terms) -> ma.validate.OneOf:
    return ma.validate.OneOf(catalogue.codes(terms))


class SafeguardingSchema(ma.Schema):
    scheme = ma.fields.String(validate=_one_of(catalogue.SAFEGUARDING_SCHEMES), allow_none=True)
    status = ma.fields.String(validate=_one_of(catalogue.SAFEGUARDING_STATUSES), allow_none=True)
    expires_on = ma.fields.Date(allow_none=True)


class GroupInputSchema(ma.Schema):
    """A group as registered through the API or the public form (the same rules for both)."""

    name = Text(required=True, min_length=1, max_length=200, blank=False)
    kind = ma.fields.String(required=True, validate=_one_of(catalogue.GROUP_KINDS))
    description = Text(max_length=5000, multiline=True)
    interests = Interests()
    languages = BoundedList(LanguageName(), max_items=30)
    postcode = Postcode(required=True, known=True)
    town = Text(max_length=100, allow_none=True)
    travel_radius_km = ma.fields.Float(validate=ma.validate.Range(min=0.5, max=200))
    availability = BoundedList(ma.fields.String(validate=ma.validate.OneOf(catalogue.SLOTS)),
                               max_items=len(catalogue.SLOTS), allow_none=True)
    capacity_per_month = ma.fields.Integer(validate=ma.validate.Range(min=1, max=100),
                                           allow_none=True)
    offers_remote = Boolean()
    remote_modes = BoundedList(ma.fields.String(validate=_one_of(catalogue.REMOTE_MODES)),
                               max_items=len(catalogue.REMOTE_MODES))
    works_with_children = Boolean()
    safeguarding = ma.fields.Nested(SafeguardingSchema)
    contact = ma.fields.Nested(ContactSchema)
    preferred_language = PreferredLanguage()
    consent = Boolean(required=True, validate=ma.validate.Equal(
        True, error="You must agree to the privacy notice so we can store your details."))

    @ma.post_load
    def _to_columns(self, data, **kwargs):
        if "languages" in data:
            seen: dict[str, dict] = {}
            for lang in data["languages"]:
                seen.setdefault(lang["tag"], lang)
            data["languages"] = list(seen.values())
        if "remote_modes" in data:
            data["remote_modes"] = list(dict.fromkeys(data["remote_modes"]))
            if data["remote_modes"] and "offers_remote" not in data:
                data["offers_remote"] = True
        safeguarding = data.pop("safeguarding", None)
        if safeguarding is not None:
            for key in ("scheme", "status", "expires_on"):
                if key in safeguarding:
                    data[f"safeguarding_{key}"] = safeguarding[key]
        return flatten_contact(data)


class GroupPatchSchema(GroupInputSchema):
    """A change to a group: any field, and (for coordinators) its status (``partial`` reaches
    only the top level, as for care homes)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("partial", tuple(self._declared_fields))
        super().__init__(**kwargs)

    consent = Boolean()
    status = ma.fields.String(validate=_one_of(catalogue.GROUP_STATUSES))
    status_reason = Text(max_length=1000, multiline=True, allow_none=True)
