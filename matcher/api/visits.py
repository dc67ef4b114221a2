"""``/api/v1/visits`` (and ``/api/v1/introductions/<id>/visits``): planned visits, their
occurrences in a window with repeats expanded, and changes with optimistic concurrency."""

from __future__ import annotations

import re

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import abort

from ..extensions import db
from ..schemas.visits import VisitInputSchema, VisitPatchSchema, VisitWindowArgs
from ..services import visits
from ..services.uow import unit_of_work
from .base import Blueprint
from .common import UtcDateTime, check_page, current_user, service_errors
from .match_lists import NetworkGroupRefSchema, NetworkRefSchema

blp = Blueprint("visits", __name__, url_prefix="/api/v1",
                description="Visits of introductions: planning, occurrences, changes.")

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


class OccurrenceSchema(ma.Schema):
    key = ma.fields.String()
    starts_at = ma.fields.Function(lambda o: o.starts_at.isoformat())
    ends_at = ma.fields.Function(lambda o: o.ends_at.isoformat())
    status = ma.fields.String()


class VisitSchema(ma.Schema):
    id = ma.fields.Integer()
    introduction_id = ma.fields.Integer()
    care_home = ma.fields.Function(lambda v: NetworkRefSchema().dump(v.introduction.care_home))
    group = ma.fields.Function(lambda v: NetworkGroupRefSchema().dump(v.introduction.group))
    starts_at = ma.fields.String(attribute="start_local")
    timezone = ma.fields.String()
    duration_minutes = ma.fields.Integer()
    mode = ma.fields.String()
    repeat = ma.fields.String()
    repeat_until = ma.fields.Date(allow_none=True)
    state = ma.fields.String()
    proposed_by = ma.fields.String()
    notes = ma.fields.String()
    version = ma.fields.Integer()
    occurrences = ma.fields.Function(
        lambda v: OccurrenceSchema(many=True).dump(visits.occurrences(v)))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class OccurrenceRowSchema(ma.Schema):
    visit_id = ma.fields.Function(lambda r: r["visit"].id)
    introduction_id = ma.fields.Function(lambda r: r["visit"].introduction_id)
    key = ma.fields.Function(lambda r: r["occurrence"].key)
    starts_at = ma.fields.Function(lambda r: r["occurrence"].starts_at.isoformat())
    ends_at = ma.fields.Function(lambda r: r["occurrence"].ends_at.isoformat())
    status = ma.fields.Function(lambda r: r["occurrence"].status)
    mode = ma.fields.Function(lambda r: r["visit"].mode)
    state = ma.fields.Function(lambda r: r["visit"].state)
    version = ma.fields.Function(lambda r: r["visit"].version)
    care_home = ma.fields.Function(
        lambda r: NetworkRefSchema().dump(r["visit"].introduction.care_home))
    group = ma.fields.Function(
        lambda r: NetworkGroupRefSchema().dump(r["visit"].introduction.group))


def _with_etag(visit):
    return visit, {"ETag": f'"{visit.version}"'}


def _if_match(data: dict) -> dict:
    """The version from ``If-Match`` when the body gives none."""
    header = request.headers.get("If-Match")
    if header and data.get("version") is None:
        match = _ETAG.match(header)
        if match is None:
            abort(422, message="The request is not valid: see 'errors' for what to correct.",
                  errors={"If-Match": ["Give the visit's version, e.g. If-Match: \"3\"."]})
        data = {**data, "version": int(match.group(1))}
    return data


_SERIES_RULES = (
    " A start in the past is accepted (it records a visit that took place: no email or "
    "reminder is sent for an occurrence already past). The end date of a repeating visit is "
    "normalised and the answer shows what was stored: without one the series runs for a "
    "year (until the same date a year after the first visit); one more than a year after "
    "the first visit is brought back to that date; one before the first visit's date makes "
    "the series just its first visit (and is stored as that date); a one-off keeps none.")
_STORED_CONFLICT = (
    "The request conflicts with what is stored: an in-person visit while the home's "
    "visiting is not open{more}. Same body as a 422: ``code``, ``errors`` per field, "
    "``message``, ``status``.")
WINDOW_HEADER = "X-Visits-Window"


@blp.route("/introductions/<int:intro_id>/visits")
class IntroductionVisits(MethodView):
    @blp.arguments(VisitInputSchema())
    @blp.response(201, VisitSchema)
    @blp.alt_response(409, description=_STORED_CONFLICT.format(
        more=", or an introduction that is not introduced or active"))
    def post(self, data, intro_id):
        with service_errors(), unit_of_work(db.session):
            visit = visits.plan_visit(db.session, current_user(), intro_id, data)
        return _with_etag(visit)

    post.__doc__ = ("Plan a visit (one-off or repeating) on an introduced or active "
                    "introduction.\n\n" + _SERIES_RULES.strip())


@blp.route("/visits")
class VisitOccurrences(MethodView):
    @blp.arguments(VisitWindowArgs(), location="query")
    @blp.response(200, OccurrenceRowSchema(many=True), headers={WINDOW_HEADER: {
        "description": "The window used, as an ISO 8601 interval in UTC, "
                       "e.g. 2026-12-04T00:00:00Z/2027-03-06T00:00:00Z.",
        "schema": {"type": "string"}}})
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """The occurrences in a window of the visits you may see, repeats expanded, soonest
        first.

        The window is ``from`` to ``to``: from now for 92 days by default, the 92 days
        before ``to`` when only a past ``to`` is given. Any window is answered, and the
        ``X-Visits-Window`` header says which one was used: a ``to`` not after ``from`` is an
        empty window (nothing in it; it ends where it starts), one more than 400 days long is
        shortened to 400 days from its start, and times before 1900 or after 2199 count as
        1900-01-01 and 2200-01-01 (UTC)."""
        check_page(pagination_parameters)
        with service_errors():
            rows, used = visits.occurrences_in_window(db.session, current_user(), args)
        pagination_parameters.item_count = len(rows)
        start = pagination_parameters.first_item
        return rows[start:start + pagination_parameters.page_size], {
            WINDOW_HEADER: visits.window_header(*used)}


@blp.route("/visits/<int:visit_id>")
class VisitById(MethodView):
    @blp.response(200, VisitSchema)
    def get(self, visit_id):
        """One visit with its occurrences; the ``ETag`` is its version."""
        with service_errors():
            return _with_etag(visits.get_visit(db.session, visit_id, current_user()))

    @blp.arguments(VisitPatchSchema())
    @blp.response(200, VisitSchema)
    @blp.alt_response(409, description=_STORED_CONFLICT.format(
        more=(", a stale version (the visit changed since your copy), a cancelled visit, "
              "an end date that fits only with a start not given (or a new start past the "
              "stored end date, or an end date for a stored one-off), an occurrence the "
              "visit does not have, or ``done``/``missed`` for one still to come")))
    def patch(self, data, visit_id):
        data = _if_match(data)
        with service_errors(), unit_of_work(db.session):
            visit = visits.change_visit(db.session, current_user(), visit_id, data)
        return _with_etag(visit)

    patch.__doc__ = (
        "Change the series (times, mode, notes), confirm or cancel it, or set one "
        "occurrence's status (``occurrence`` and ``status`` together); send the version you "
        "changed (``version`` or ``If-Match``).\n\nThe changed series follows the rules of "
        "a new one." + _SERIES_RULES + " A change that changes nothing answers 200 with the visit "
        "as it is (its version unchanged).")
