"""Schemathesis hooks (loaded by ``schemathesis.toml``): the rules across several fields
that an OpenAPI 3.0 document cannot state. A positive case (one the document calls valid) is
first moved inside them where most generated values would break one (times relative to now,
a window's length, speakers per resident); what still breaks one is not sent. A negative
case keeps what makes it invalid. One ``filter_case`` hook, because the coverage phase runs
case hooks and not the per-part ones, and runs filters before maps. Each rule is the code's
own, named below; the operation descriptions say them in words. Plain Python: the fuzzer's
environment need not have Kith's dependencies.

- matches: at least one weight above 0 (``matcher.api.matches.MatchArgs``);
- open feed: ``proximity`` needs ``postcode`` (``matcher.api.open_referral.ServiceListArgs``);
- visits list: ``to`` after ``from``, at most 400 days apart (``services.visits.window``);
- care homes: each language once, at most three speakers per resident
  (``matcher.schemas.care_homes.CareHomeInputSchema``);
- visits: a first start from now to two years ahead, a repeat's end date within a year of
  its start and none for a one-off (``matcher.domain.visits.validate``);
- times within the years 10 to 9990 (``matcher.schemas.visits.VisitTime``).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import schemathesis

LONDON = ZoneInfo("Europe/London")
WEIGHTS = ("distance", "interests", "language", "availability", "capacity")
DEFAULT_WINDOW = dt.timedelta(days=92)
MAX_WINDOW = dt.timedelta(days=400)
MAX_AHEAD = dt.timedelta(days=2 * 366)
MAX_REPEAT_SPAN = dt.timedelta(days=366)
ONE_OFF = "none"


def _time(value) -> dt.datetime | None:
    """A generated ISO 8601 time in UK time, or None when it is outside years 10 to 9990 (or
    not a time: then the request is the server's to refuse)."""
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        moment = moment.replace(tzinfo=LONDON) if moment.tzinfo is None else \
            moment.astimezone(LONDON)
    except (ValueError, OverflowError):
        return None
    return moment if 10 <= moment.year <= 9990 else None


def _number(value) -> float | None:
    """A weight as a number (the coverage phase hands over query values as text)."""
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return 1.0  # not a number: the server's to refuse, not this rule's


def _positive(case) -> bool:
    meta = getattr(case, "meta", None)
    return meta is None or meta.generation.mode.is_positive


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _query_fits(path: str, query: dict) -> bool:
    if path.endswith("/matches"):
        given = [_number(query.get(f"weight_{name}")) for name in WEIGHTS]
        if all(weight is not None for weight in given) and not any(given):
            return False
    feed = ("/api/v1/open-referral/services", "/api/v1/open-referral/service_at_locations")
    if path in feed and "proximity" in query and "postcode" not in query:
        return False
    if path == "/api/v1/visits":
        now = dt.datetime.now(LONDON)
        end = _time(query["to"]) if "to" in query else None
        if "from" in query:
            start = _time(query["from"])
        else:
            start = now if end is None or end > now else end - DEFAULT_WINDOW
        end = end if "to" in query else start and start + DEFAULT_WINDOW
        if start is None or end is None or not start < end <= start + MAX_WINDOW:
            return False
    return True


def _speakers(body: dict) -> list[dict]:
    return [entry for entry in body.get("languages") or () if isinstance(entry, dict)]


def _home_fits(body: dict) -> bool:
    names = [str(entry.get("language", "")).lower() for entry in _speakers(body)]
    if len(names) != len(set(names)):
        return False
    residents = body.get("residents")
    speakers = sum(entry["residents"] for entry in _speakers(body)
                   if isinstance(entry.get("residents"), int))
    return not (isinstance(residents, int) and residents and speakers > residents * 3)


def _series_fits(body: dict, *, new: bool) -> bool:
    now = dt.datetime.now(LONDON)
    start = _time(body["starts_at"]) if "starts_at" in body else None
    if "starts_at" in body and (start is None or not now < start < now + MAX_AHEAD):
        return False
    repeat = body.get("repeat", ONE_OFF if new else None)
    until = body.get("repeat_until")
    if repeat == ONE_OFF and until is not None:
        return False
    if new and repeat not in (None, ONE_OFF):
        if until is None or start is None:
            return False
        try:
            until = dt.date.fromisoformat(until)
        except (TypeError, ValueError):
            return True
        return start.date() <= until <= (start + MAX_REPEAT_SPAN).date()
    return True


def _body_fits(method: str, path: str, body) -> bool:
    if not isinstance(body, dict):
        return True
    if path.startswith("/api/v1/care-homes") and not path.endswith("/matches"):
        return _home_fits(body)
    if path == "/api/v1/introductions/{intro_id}/visits":
        return _series_fits(body, new=True)
    if (method, path) == ("PATCH", "/api/v1/visits/{visit_id}"):
        return _series_fits(body, new=False)
    return True


def _move_inside(case):
    """Move a positive case's times and speakers inside the rules (types are left alone)."""
    if not _positive(case):
        return case
    method, path = case.operation.method.upper(), case.operation.path
    query, body = case.query, case.body
    if path == "/api/v1/visits" and isinstance(query, dict) and "from" in query \
            and "to" in query and _time(query["from"]) is not None:
        query["to"] = _iso(_time(query["from"]) + dt.timedelta(days=30))
    if not isinstance(body, dict):
        return case
    if path.startswith("/api/v1/care-homes") and not path.endswith("/matches"):
        seen: set[str] = set()
        kept = []
        for entry in body.get("languages") or ():
            name = str(entry.get("language", "")).lower() if isinstance(entry, dict) else ""
            if name not in seen:
                seen.add(name)
                kept.append(entry)
        if "languages" in body and isinstance(body["languages"], list):
            body["languages"] = kept
        for entry in _speakers(body):
            residents = body.get("residents")
            if isinstance(entry.get("residents"), int) and isinstance(residents, int) and residents:
                entry["residents"] = min(entry["residents"], residents)
    visits = path == "/api/v1/introductions/{intro_id}/visits" or (
        (method, path) == ("PATCH", "/api/v1/visits/{visit_id}"))
    if visits and isinstance(body.get("starts_at"), str) and _time(body["starts_at"]):
        start = dt.datetime.now(LONDON).replace(microsecond=0) + dt.timedelta(days=3)
        body["starts_at"] = _iso(start)
        if body.get("repeat") in (None, ONE_OFF):
            if "repeat_until" in body:
                body["repeat_until"] = None
        else:
            body["repeat_until"] = (start + dt.timedelta(days=60)).date().isoformat()
    return case


@schemathesis.hook
def filter_case(ctx, case) -> bool:
    # Schemathesis runs filters before maps: the moving is done here, then the check.
    _move_inside(case)
    method, path = case.operation.method.upper(), case.operation.path
    if isinstance(case.query, dict) and not _query_fits(path, case.query):
        return False
    return _body_fits(method, path, case.body)
