"""Visits in time: the rules for planning one, and a series' occurrences, repeats expanded.

Times are UK wall-clock times (Europe/London): a fortnightly visit at 10:00 stays at 10:00
when the clocks change, so repeats are expanded on the local time and each occurrence then
gets the offset in force that day. Pure: no database, no Flask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, WEEKLY, rrule

from . import catalogue

TIMEZONE_NAME = "Europe/London"
LONDON = ZoneInfo(TIMEZONE_NAME)

MODES = catalogue.codes(catalogue.VISIT_MODES)
REPEATS = catalogue.codes(catalogue.VISIT_REPEATS)
ONE_OFF = REPEATS[0]
STATES = catalogue.codes(catalogue.VISIT_STATES)
OCCURRENCE_STATUSES = catalogue.codes(catalogue.VISIT_OCCURRENCE_STATUSES)
PLANNED = OCCURRENCE_STATUSES[0]
IN_PERSON_MODES = tuple(m.code for m in catalogue.VISIT_MODES if m.in_person)
REMOTE_MODES = tuple(m.code for m in catalogue.VISIT_MODES if not m.in_person)
FEEDBACK_MODES = tuple(m.code for m in catalogue.VISIT_MODES if m.asks_feedback)

MIN_DURATION_MINUTES = 10
MAX_DURATION_MINUTES = 8 * 60

# (rrule frequency, interval) of each repeat code, in the catalogue's order after "none".
_RULES = dict(zip(REPEATS[1:], ((WEEKLY, 1), (WEEKLY, 2), (MONTHLY, 1)), strict=True))


@dataclass(frozen=True)
class Series:
    """A visit as planned: its first start (aware), length, and how it repeats."""

    starts_at: dt.datetime
    duration_minutes: int
    repeat: str = ONE_OFF
    repeat_until: dt.date | None = None


@dataclass(frozen=True)
class Occurrence:
    """One visit of a series: ``key`` (its planned start in UTC, ISO 8601) names it for
    good, even if the series is later moved."""

    key: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str


def local(value: dt.datetime) -> dt.datetime:
    """``value`` as UK time: an aware time converted, a naive one read as UK wall time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=LONDON)
    return value.astimezone(LONDON)


def occurrence_key(start: dt.datetime) -> str:
    """The stable name of the occurrence starting at ``start``: UTC, to the second."""
    return start.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_key(key: str) -> dt.datetime:
    """The UTC start an occurrence key names (ValueError when it is not one)."""
    value = dt.datetime.fromisoformat(key.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("An occurrence key carries its UTC offset.")
    return value.astimezone(dt.UTC)


def _exists(value: dt.datetime) -> bool:
    """Whether a UK wall time exists (not in the hour skipped when the clocks go forward)."""
    naive = value.replace(tzinfo=None)
    there_and_back = value.astimezone(dt.UTC).astimezone(LONDON).replace(tzinfo=None)
    return naive == there_and_back


def starts(series: Series, *, after: dt.datetime | None = None,
           before: dt.datetime | None = None) -> list[dt.datetime]:
    """The starts (UK time) of ``series`` whose visit overlaps ``[after, before)``."""
    first = local(series.starts_at)
    length = dt.timedelta(minutes=series.duration_minutes)
    if series.repeat == ONE_OFF or series.repeat_until is None:
        found: Iterable[dt.datetime] = [first]
    else:
        freq, interval = _RULES[series.repeat]
        wall = first.replace(tzinfo=None)
        last = dt.datetime.combine(series.repeat_until, dt.time(23, 59, 59))
        found = (moment.replace(tzinfo=LONDON)
                 for moment in rrule(freq, interval=interval, dtstart=wall, until=last))
    out = []
    for start in found:
        if before is not None and start >= before:
            break
        if after is not None and start + length <= after:
            continue
        out.append(start)
    return out


def expand(series: Series, statuses: Mapping[str, str], *,
           after: dt.datetime | None = None,
           before: dt.datetime | None = None) -> list[Occurrence]:
    """The occurrences of ``series`` in the window, each with its status from ``statuses``
    (occurrence key -> status; ``planned`` when absent)."""
    length = dt.timedelta(minutes=series.duration_minutes)
    out = []
    for start in starts(series, after=after, before=before):
        key = occurrence_key(start)
        out.append(Occurrence(key, start, start + length, statuses.get(key, PLANNED)))
    return out


def validate(series: Series, mode: str) -> dict[str, list[str]]:
    """What is wrong with a visit as planned, by field (empty when it may be planned). A start
    in the past is allowed (it records a visit that took place); the end date is not judged
    here but normalised by :func:`normalise`."""
    errors: dict[str, list[str]] = {}
    if mode not in MODES:
        errors["mode"] = [f"Choose one of: {', '.join(MODES)}."]
    if series.repeat not in REPEATS:
        errors["repeat"] = [f"Choose one of: {', '.join(REPEATS)}."]
    if series.starts_at.tzinfo is None and not _exists(local(series.starts_at)):
        errors["starts_at"] = ["That time does not exist in the UK on that day (the clocks "
                               "go forward): choose another time."]
    if not MIN_DURATION_MINUTES <= series.duration_minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = [
            f"A visit lasts from {MIN_DURATION_MINUTES} minutes to "
            f"{MAX_DURATION_MINUTES // 60} hours."]
    return errors


def a_year_after(day: dt.date) -> dt.date:
    """The last day a series starting on ``day`` may run to: the same date a year later
    (28 February for a 29 February)."""
    return day + relativedelta(years=1)


@dataclass(frozen=True)
class Note:
    """What :func:`normalise` changed in a series: the field, why (``reason``), what was
    done (``message``, for an answer that shows it) and what a person would correct
    (``problem``, for a form shown again)."""

    field: str
    reason: str
    message: str
    problem: str


# Why an end date was changed, and which fields of a change must all be given for the
# change to be normalised rather than refused as a conflict with the stored series.
NO_END, ONE_OFF_END, END_BEFORE_START, END_TOO_LATE = (
    "no_end", "one_off_end", "end_before_start", "end_too_late")
_CAUSES = {NO_END: frozenset(), ONE_OFF_END: frozenset({"repeat", "repeat_until"}),
           END_BEFORE_START: frozenset({"starts_at", "repeat_until"}),
           END_TOO_LATE: frozenset({"starts_at", "repeat_until"})}


def normalise(series: Series) -> tuple[Series, tuple[Note, ...]]:
    """``series`` with its end date made to fit how it repeats, and notes on what changed.

    A repeating series without an end date runs for a year (the longest allowed): until
    :func:`a_year_after` its first date. An end date more than a year after the first visit
    is brought back to that date; one before the first visit's date makes the series just
    its first visit (RFC 5545: the first start is always an occurrence), so the end date
    becomes that date. A one-off keeps no end date.
    """
    first = local(series.starts_at).date()
    until = series.repeat_until
    if series.repeat == ONE_OFF or series.repeat not in REPEATS:
        if until is None:
            return series, ()
        return _with_end(series, None, Note(
            "repeat_until", ONE_OFF_END,
            "A one-off visit has no end date: the end date given was left out.",
            "A one-off visit has no end date: leave it empty, or choose how it repeats."))
    last = a_year_after(first)
    if until is None:
        return _with_end(series, last, Note(
            "repeat_until", NO_END,
            f"A repeating visit without an end date runs for a year: until {last}.",
            "A repeating visit needs an end date (at most a year after the first visit)."))
    if until < first:
        return _with_end(series, first, Note(
            "repeat_until", END_BEFORE_START,
            f"The end date was before the first visit: the series is just its first "
            f"visit, on {first}.",
            "The end date is before the first visit."))
    if until > last:
        return _with_end(series, last, Note(
            "repeat_until", END_TOO_LATE,
            f"A repeating visit runs for at most a year: the end date was brought back "
            f"to {last}.",
            "A repeating visit can run for at most a year: choose an earlier end date, and "
            "plan again later."))
    return series, ()


def _with_end(series: Series, until: dt.date | None, note: Note
              ) -> tuple[Series, tuple[Note, ...]]:
    return Series(series.starts_at, series.duration_minutes, series.repeat, until), (note,)


def conflicts(notes: Iterable[Note], given: Iterable[str]) -> dict[str, list[str]]:
    """The notes of a change's normalisation that come from the STORED series, by field: a
    change that gives only some of the fields a note depends on (an end date without the
    start, a start that moves past the stored end date, an end date on a stored one-off)
    conflicts with what is stored and is refused (409) rather than changed; a missing end
    date of a repeating series is never a conflict (it runs for a year)."""
    given = set(given)
    out: dict[str, list[str]] = {}
    for note in notes:
        if not _CAUSES[note.reason] <= given:
            out.setdefault(note.field, []).append(note.problem)
    return out


def restricted_message(visiting_status: str) -> str:
    """Why an in-person visit is refused while a home's visiting is ``visiting_status``."""
    modes = ", ".join(REMOTE_MODES)
    return (f"This home's visiting is {visiting_status}: in-person visits cannot be planned "
            f"for now. Plan a remote visit instead ({modes}).")
