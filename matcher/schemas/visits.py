"""Input schemas of visits: planning one, changing one, and the window of occurrences."""

from __future__ import annotations

import marshmallow as ma

from ..domain import visits as rules
from .fields import MAX_ID, Text


def _notes(**kwargs) -> Text:
    # The one character rule of every text field (tabs and line breaks allowed here).
    return Text(max_length=2000, multiline=True, **kwargs)


# The domain's limits (``rules.validate`` says so again, for callers without this schema).
_DURATION = ma.validate.Range(min=rules.MIN_DURATION_MINUTES, max=rules.MAX_DURATION_MINUTES)


class VisitInputSchema(ma.Schema):
    """A visit to plan: its first start (UK time when no offset is given), length, mode and
    how it repeats."""

    starts_at = ma.fields.DateTime(required=True, metadata={
        "description": "First start, ISO 8601; without an offset it is UK time "
                       "(Europe/London)."})
    duration_minutes = ma.fields.Integer(required=True, strict=True, validate=_DURATION)
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(rules.MODES))
    repeat = ma.fields.String(load_default=rules.ONE_OFF,
                              validate=ma.validate.OneOf(rules.REPEATS))
    repeat_until = ma.fields.Date(allow_none=True, load_default=None, metadata={
        "description": "Last day of a repeating visit (at most a year after the first)."})
    notes = _notes(load_default="")


class VisitPatchSchema(ma.Schema):
    """A change to a visit: fields of the series, its state, or one occurrence's status.
    ``version`` (or an ``If-Match`` header) is the version the change was made from."""

    version = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=MAX_ID))
    starts_at = ma.fields.DateTime()
    duration_minutes = ma.fields.Integer(strict=True, validate=_DURATION)
    mode = ma.fields.String(validate=ma.validate.OneOf(rules.MODES))
    repeat = ma.fields.String(validate=ma.validate.OneOf(rules.REPEATS))
    repeat_until = ma.fields.Date(allow_none=True)
    notes = _notes(allow_none=True)
    state = ma.fields.String(validate=ma.validate.OneOf(rules.STATES[1:]), metadata={
        "description": "confirmed (of a proposed visit) or cancelled (the whole series)."})
    occurrence = Text(max_length=25, metadata={
        "description": "Key of one occurrence (its planned start in UTC)."})
    status = ma.fields.String(validate=ma.validate.OneOf(rules.OCCURRENCE_STATUSES))
    note = _notes(allow_none=True)

    @ma.validates_schema
    def _something(self, data, **kwargs):
        if not set(data) - {"version"}:
            raise ma.ValidationError("Give something to change.", "_schema")


# ``_something`` in the document: at least one field besides ``version``.
VisitPatchSchema.OPENAPI_RULES = {"anyOf": [
    {"required": [name]} for name in VisitPatchSchema._declared_fields if name != "version"]}


class VisitWindowArgs(ma.Schema):
    """Which occurrences to list: of a home or a group, between two times."""

    care_home_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    group_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    from_ = ma.fields.DateTime(data_key="from", attribute="from")
    to = ma.fields.DateTime()
