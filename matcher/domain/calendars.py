"""iCalendar (RFC 5545) documents of visits, built with the ``icalendar`` library.

Each series is one ``VEVENT`` with a stable ``UID``: its first start in UK time (``TZID`` with
the ``VTIMEZONE`` it needs), its length, an ``RRULE`` when it repeats, an ``EXDATE`` for each
cancelled occurrence, and ``STATUS:CANCELLED`` when the whole series is off, so a calendar app
that subscribed removes it. ``SEQUENCE`` is the visit's version, so apps take the newest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import icalendar

from . import visits as rules

PRODID = "-//Kith//Visits//EN"
# Calendar apps poll a subscription at most this often.
REFRESH = dt.timedelta(hours=1)
_FREQ = {"weekly": ("WEEKLY", 1), "fortnightly": ("WEEKLY", 2), "monthly": ("MONTHLY", 1)}


@dataclass(frozen=True)
class CalendarVisit:
    """What a calendar shows of one visit series."""

    uid: str
    summary: str
    series: rules.Series
    sequence: int = 0
    description: str = ""
    location: str = ""
    cancelled: bool = False
    proposed: bool = False
    cancelled_starts: tuple[dt.datetime, ...] = field(default_factory=tuple)
    updated: dt.datetime | None = None


def event(visit: CalendarVisit, stamp: dt.datetime) -> icalendar.Event:
    """The ``VEVENT`` of one visit series."""
    series = visit.series
    start = rules.local(series.starts_at)
    out = icalendar.Event()
    out.add("uid", visit.uid)
    out.add("dtstamp", stamp.astimezone(dt.UTC))
    out.add("dtstart", start)
    out.add("duration", dt.timedelta(minutes=series.duration_minutes))
    out.add("summary", visit.summary)
    if visit.description:
        out.add("description", visit.description)
    if visit.location:
        out.add("location", visit.location)
    out.add("sequence", visit.sequence)
    if visit.updated is not None:
        out.add("last-modified", visit.updated.astimezone(dt.UTC))
    out.add("status", "CANCELLED" if visit.cancelled else
            "TENTATIVE" if visit.proposed else "CONFIRMED")
    if series.repeat in _FREQ and series.repeat_until is not None:
        freq, interval = _FREQ[series.repeat]
        last = rules.starts(series)[-1]
        rule = {"FREQ": freq, "UNTIL": last.astimezone(dt.UTC)}
        if interval != 1:
            rule["INTERVAL"] = interval
        out.add("rrule", rule)
        for cancelled in sorted(visit.cancelled_starts):
            out.add("exdate", rules.local(cancelled))
    return out


def calendar(name: str, visits: Iterable[CalendarVisit], *,
             stamp: dt.datetime | None = None, method: str | None = None) -> bytes:
    """A whole calendar of ``visits`` (``method="PUBLISH"`` for an email attachment)."""
    stamp = stamp or dt.datetime.now(dt.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", rules.TIMEZONE_NAME)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    for visit in visits:
        cal.add_component(event(visit, stamp))
    cal.add_missing_timezones()
    return cal.to_ical()
