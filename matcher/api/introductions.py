"""``/api/v1/introductions``: a home and a partner, from suggestion to regular visits."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView

from ..extensions import db
from ..models import INTRODUCTION_STATUSES, NATIONS
from ..schemas import message_field
from ..schemas.fields import MAX_ID, Text
from ..services import introductions, outcomes
from ..services.uow import unit_of_work
from .base import Blueprint
from .common import UtcDateTime, current_user, paginated, service_errors
from .match_lists import NetworkGroupRefSchema, NetworkRefSchema, ranker_cache

blp = Blueprint("introductions", __name__, url_prefix="/api/v1/introductions",
                description="Introductions between care homes and partners, and their history.")


class IntroductionInputSchema(ma.Schema):
    care_home_id = ma.fields.Integer(required=True, strict=True,
                                     validate=ma.validate.Range(min=1, max=MAX_ID))
    group_id = ma.fields.Integer(required=True, strict=True,
                                 validate=ma.validate.Range(min=1, max=MAX_ID))
    status = ma.fields.String(load_default="suggested",
                              validate=ma.validate.OneOf(introductions.CREATE_STATUSES))
    note = Text(max_length=2000, multiline=True, allow_none=True)
    message = message_field(allow_none=True, metadata={
        "description": "The care home's words to the group, shown to the group with the "
                       "request (plain text)."})


class FeedbackSchema(ma.Schema):
    rating = ma.fields.Integer(required=True, strict=True,
                               validate=ma.validate.Range(min=1, max=5))
    text = Text(load_default="", max_length=5000, multiline=True)


class IntroductionPatchSchema(ma.Schema):
    # ``_something`` in the document: a status, a note (text) or feedback (an object).
    OPENAPI_RULES = {"anyOf": [
        {"required": ["status"]},
        {"required": ["note"], "properties": {"note": {"type": "string"}}},
        {"required": ["feedback"], "properties": {"feedback": {"type": "object"}}},
    ]}

    status = ma.fields.String(validate=ma.validate.OneOf(INTRODUCTION_STATUSES))
    note = Text(min_length=1, max_length=2000, multiline=True, allow_none=True)
    feedback = ma.fields.Nested(FeedbackSchema, allow_none=True)

    @ma.validates_schema
    def _something(self, data, **kwargs):
        if not any(data.get(k) is not None for k in ("status", "note", "feedback")):
            raise ma.ValidationError("Give a new status, a note or feedback.", "status")


class EventSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    user_id = ma.fields.Integer(allow_none=True)
    at = UtcDateTime()


class IntroductionSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    allowed_next = ma.fields.Function(lambda i: list(introductions.allowed_next(i.status)))
    care_home = ma.fields.Nested(NetworkRefSchema)
    group = ma.fields.Nested(NetworkGroupRefSchema)
    score = ma.fields.Float(allow_none=True)
    components = ma.fields.Dict(allow_none=True)
    position = ma.fields.Integer(allow_none=True)
    outcome = ma.fields.Function(lambda i: outcomes.summary(i.outcome), metadata={
        "description": "Visits done and missed, and the average rating (1-5) of their "
                       "feedback."})
    notes = ma.fields.String()
    message = ma.fields.String(allow_none=True)
    group_contact = ma.fields.Function(
        introductions.group_contact, allow_none=True,
        metadata={"description": "The group's name, email and phone: only once introduced."})
    feedback = ma.fields.Function(lambda i: None if i.feedback_rating is None and not
                                  i.feedback_text else {"rating": i.feedback_rating,
                                                        "text": i.feedback_text or ""})
    created_by_id = ma.fields.Integer(allow_none=True)
    updated_by_id = ma.fields.Integer(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class IntroductionDetailSchema(IntroductionSchema):
    events = ma.fields.List(ma.fields.Nested(EventSchema))


class IntroductionListArgs(ma.Schema):
    status = ma.fields.String(validate=ma.validate.OneOf(INTRODUCTION_STATUSES))
    nation = ma.fields.String(validate=ma.validate.OneOf(NATIONS))
    local_authority = Text(max_length=9)
    care_home_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    group_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))


@blp.route("")
class Introductions(MethodView):
    @blp.arguments(IntroductionListArgs(), location="query")
    @blp.response(200, IntroductionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Introductions you may see, newest first (filters: status, nation, home, group)."""
        query = introductions.list_introductions(current_user(), args)
        return paginated(query, pagination_parameters)

    @blp.arguments(IntroductionInputSchema())
    @blp.response(201, IntroductionDetailSchema)
    @blp.alt_response(409, description="An introduction for this pair is already open.")
    def post(self, data):
        """Suggest (or request) an introduction; the match score is captured as it is now."""
        with service_errors(), unit_of_work(db.session):
            return introductions.request_introduction(
                db.session, ranker_cache(), current_user(), data["care_home_id"],
                data["group_id"], status=data["status"], note=data.get("note"),
                message=(data.get("message") or "").strip() or None,
                secret=current_app.config["SECRET_KEY"])


@blp.route("/<int:intro_id>")
class IntroductionById(MethodView):
    @blp.response(200, IntroductionDetailSchema)
    def get(self, intro_id):
        """One introduction with every step of its history."""
        with service_errors():
            return introductions.get_introduction(db.session, intro_id, current_user())

    @blp.arguments(IntroductionPatchSchema())
    @blp.response(200, IntroductionDetailSchema)
    @blp.alt_response(409, description="The lifecycle does not allow this move.")
    def patch(self, data, intro_id):
        """Move an introduction on (``suggested -> requested -> introduced -> active ->
        ended``, ``declined`` before ``active``, ``withdrawn`` by the home before
        ``introduced``), add a note, or give feedback. Care-home staff may request, withdraw,
        start and end visits; introducing and declining are the group's or a coordinator's."""
        feedback = data.get("feedback") or {}
        with service_errors(), unit_of_work(db.session):
            return introductions.change_introduction(
                db.session, current_user(), intro_id, data.get("status"), note=data.get("note"),
                feedback_rating=feedback.get("rating"),
                feedback_text=feedback.get("text") if feedback else None,
                secret=current_app.config["SECRET_KEY"])
