"""Input schemas of visits: planning one, changing one, and the window of occurrences."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma

from ..domain import visits as rules
from .fields import MAX_ID, Text


def _notes(**kwargs) -> Text:
    # The one character rule of every text field (tabs and line breaks allowed here).
    return Text(max_length=2000, multiline=True, **kwargs)


# How far a time may be moved (UK time, a repeat's year, a default window) without leaving
# the calendar Python can hold (years 1 to 9999).
_MARGIN = dt.timedelta(days=2 * 366 + 400)


class VisitTime(ma.fields.DateTime):
    """An ISO 8601 time far enough inside years 1 to 9999 to be read as UK time and moved by
    the visit rules (a repeat's year, a window's 400 days): a 422 for this field, not a
    calendar overflow deep in the service."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            local = rules.local(moment)
            local.astimezone(dt.UTC)
            local - _MARGIN, local + _MARGIN  # noqa: B018 - only whether they overflow
        except OverflowError:
            raise ma.ValidationError("Give a time within the years 10 to 9990.") from None
        return moment


# The domain's limits (``rules.validate`` says so again, for callers without this schema).
_DURATION = ma.validate.Range(
    min=rules.MIN_DURATION_MINUTES, max=rules.MAX_DURATION_MINUTES,
    error=f"A visit lasts from {rules.MIN_DURATION_MINUTES} minutes to "
          f"{rules.MAX_DURATION_MINUTES // 60} hours.")


class VisitInputSchema(ma.Schema):
    """A visit to plan: its first start (UK time when no offset is given), length, mode and
    how it repeats."""

    starts_at = VisitTime(required=True, metadata={
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
    starts_at = VisitTime()
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
    from_ = VisitTime(data_key="from", attribute="from")
    to = VisitTime()
