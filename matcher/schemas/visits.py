"""Input schemas of visits: planning one, changing one, and the window of occurrences."""

from __future__ import annotations

import re

import marshmallow as ma

from ..domain import visits as rules
from .fields import MAX_ID, Text


def _notes(**kwargs) -> Text:
    # The one character rule of every text field (tabs and line breaks allowed here).
    return Text(max_length=2000, multiline=True, **kwargs)


# The times and dates a visit may have, as the OpenAPI document states them: RFC 3339 in the
# years 2000 to 2099 (read as UK time and moved by a year, none overflows), to the microsecond
# (what Python keeps), no leap second (Python has none). Anchored in full so that a generator
# following the pattern draws real date-times; matched in full here (Python's ``$`` would let
# a final line break through).
_DATE = r"20\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d"
_OFFSET = rf"(?:Z|[+-]{_CLOCK})"
START_PATTERN = rf"^{_DATE}T{_CLOCK}:[0-5]\d(?:\.\d{{1,6}})?{_OFFSET}$"
DATE_PATTERN = rf"^{_DATE}$"
# Without an offset a start is UK time (the pages send these): not in the document, which
# states only RFC 3339; seconds may be left out.
_UK_TIME = re.compile(rf"^{_DATE}T{_CLOCK}(?::[0-5]\d(?:\.\d{{1,6}})?)?$")
_START = re.compile(START_PATTERN)
_DAY = re.compile(DATE_PATTERN)
# An occurrence's key: its start in UTC, to the second (a series may run into 2100).
OCCURRENCE_PATTERN = r"^2[01]\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T" \
                     rf"{_CLOCK}:[0-5]\dZ$"
YEARS_MESSAGE = "Give a time in the years 2000 to 2099, such as 2027-01-14T10:00:00Z."
DATE_MESSAGE = "Give a date in the years 2000 to 2099, such as 2027-06-30."


class VisitTime(ma.fields.DateTime):
    """A visit's start: an RFC 3339 time in the years 2000 to 2099 (``START_PATTERN``), or
    one without an offset, read as UK time."""

    def __init__(self, **kwargs):
        metadata = {"pattern": START_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        text = str(value)
        if not (_START.fullmatch(text) or _UK_TIME.fullmatch(text)):
            raise ma.ValidationError(YEARS_MESSAGE)
        return moment


class VisitDate(ma.fields.Date):
    """A series' last day: a date in the years 2000 to 2099 (``DATE_PATTERN``)."""

    def __init__(self, **kwargs):
        metadata = {"pattern": DATE_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not _DAY.fullmatch(str(value)):
            raise ma.ValidationError(DATE_MESSAGE)
        return day


# The domain's limits (``rules.validate`` says so again, for callers without this schema).
_DURATION = ma.validate.Range(
    min=rules.MIN_DURATION_MINUTES, max=rules.MAX_DURATION_MINUTES,
    error=f"A visit lasts from {rules.MIN_DURATION_MINUTES} minutes to "
          f"{rules.MAX_DURATION_MINUTES // 60} hours.")


_UNTIL = ("Last day of a repeating visit, in the years 2000 to 2099. A series runs for at "
          "most a year: without an end date it runs until the same date a year after the "
          "first visit, and a later end date is brought back to that date; an end date "
          "before the first visit makes the series just its first visit (the end date is "
          "then that visit's date). A one-off keeps no end date. The answer shows what was "
          "stored.")


class VisitInputSchema(ma.Schema):
    """A visit to plan: its first start (UK time when no offset is given), length, mode and
    how it repeats."""

    starts_at = VisitTime(required=True, metadata={
        "description": "First start: an RFC 3339 time in the years 2000 to 2099 (without an "
                       "offset, UK time: Europe/London). A start in the past is accepted: it "
                       "records a visit that took place (no reminder or email is sent for an "
                       "occurrence already past)."})
    duration_minutes = ma.fields.Integer(required=True, strict=True, validate=_DURATION)
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(rules.MODES))
    repeat = ma.fields.String(load_default=rules.ONE_OFF,
                              validate=ma.validate.OneOf(rules.REPEATS))
    repeat_until = VisitDate(allow_none=True, load_default=None, metadata={
        "description": _UNTIL})
    notes = _notes(load_default="")


class VisitPatchSchema(ma.Schema):
    """A change to a visit: fields of the series, its state, or one occurrence's status.
    ``version`` (or an ``If-Match`` header) is the version the change was made from."""

    version = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=MAX_ID))
    starts_at = VisitTime(metadata={
        "description": "New first start of the series, as when planning one (years 2000 to "
                       "2099; a past start is accepted)."})
    duration_minutes = ma.fields.Integer(strict=True, validate=_DURATION)
    mode = ma.fields.String(validate=ma.validate.OneOf(rules.MODES))
    repeat = ma.fields.String(validate=ma.validate.OneOf(rules.REPEATS))
    repeat_until = VisitDate(allow_none=True, metadata={
        "description": "New last day of the series (years 2000 to 2099), normalised as when "
                       "planning one. A change that conflicts only with the stored series is "
                       "a 409: an end date given without a new start that does not fit the "
                       "stored start, a new start past the stored end date, or an end date "
                       "for a stored one-off."})
    notes = _notes(allow_none=True)
    state = ma.fields.String(validate=ma.validate.OneOf(rules.STATES[1:]), metadata={
        "description": "confirmed (of a proposed visit) or cancelled (the whole series)."})
    occurrence = Text(max_length=25, validate=ma.validate.Regexp(
        OCCURRENCE_PATTERN, error="Not an occurrence key (its start in UTC, e.g. "
                                  "2027-01-14T10:00:00Z)."), metadata={
        "format": "date-time",
        "description": "Key of one occurrence (its planned start in UTC, to the second), "
                       "given with its new ``status``. A key the visit has no occurrence at "
                       "is a 409, as is ``done`` or ``missed`` for an occurrence still to "
                       "come."})
    status = ma.fields.String(validate=ma.validate.OneOf(rules.OCCURRENCE_STATUSES), metadata={
        "description": "New status of the ``occurrence`` (the two go together)."})
    note = _notes(allow_none=True)

    @ma.validates_schema
    def _something(self, data, **kwargs):
        if not set(data) - {"version"}:
            raise ma.ValidationError("Give something to change.", "_schema")


# In the document: ``_something`` (at least one field besides ``version``), and
# ``occurrence`` and ``status`` given together (``services.visits`` refuses one alone).
VisitPatchSchema.OPENAPI_RULES = {
    "anyOf": [{"required": [name]} for name in VisitPatchSchema._declared_fields
              if name != "version"],
    "allOf": [{"anyOf": [
        {"required": ["occurrence", "status"]},
        {"not": {"anyOf": [{"required": ["occurrence"]}, {"required": ["status"]}]}}]}],
}


class VisitWindowArgs(ma.Schema):
    """Which occurrences to list: of a home or a group, between two times."""

    care_home_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    group_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    from_ = ma.fields.DateTime(data_key="from", attribute="from", metadata={
        "description": "Start of the window (without an offset, UK time); now by default."})
    to = ma.fields.DateTime(metadata={
        "description": "End of the window: 92 days after its start by default (92 days "
                       "before a past ``to`` given alone)."})
