"""An invitation to a new account, as the users page sends it."""

from __future__ import annotations

import marshmallow as ma

from ..domain import catalogue
from .fields import MAX_ID, Email, PreferredLanguage

ROLES = catalogue.codes(catalogue.ROLES)
NATIONS = catalogue.codes(catalogue.NATIONS)


class InvitationSchema(ma.Schema):
    """``{email, role, nation, care_home_id, preferred_language}``; which roles the inviter
    may give, and the nation and home each role needs, are the service's to check."""

    email = Email(required=True, max_length=254)
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    nation = ma.fields.String(load_default=None, allow_none=True,
                              validate=ma.validate.OneOf(NATIONS))
    care_home_id = ma.fields.Integer(load_default=None, allow_none=True, strict=False,
                                     validate=ma.validate.Range(1, MAX_ID))
    # The language the invitation, and every later email, is written in.
    preferred_language = PreferredLanguage(load_default="en")

    @ma.pre_load
    def _blanks_are_missing(self, data, **_kwargs):
        # A form sends empty strings for what was left blank.
        return {key: value.strip() if isinstance(value, str) else value
                for key, value in data.items() if value not in ("", None)}
