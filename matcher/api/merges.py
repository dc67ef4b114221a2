"""``/api/v1/groups/{group_id}/merge/{into_id}``: merging a duplicate registration into the
group Kith already has, as the review page does (see :mod:`matcher.domain.merging`)."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from ..domain import merging
from ..extensions import db
from ..services import duplicates
from ..services.errors import InvalidInput, ServiceError
from ..services.uow import unit_of_work
from .base import Blueprint
from .common import current_user, postcode_index, with_viewer
from .groups import GroupSchema

blp = Blueprint("merges", __name__, url_prefix="/api/v1/groups",
                description="Merge a pending registration into the group it duplicates.")

PART_KEYS = tuple(part.key for part in merging.PARTS)
CHOICE_HELP = ("`keep`: the group keeps its own value; `take`: it takes the registration's; "
               "`combine` (lists only, when offered): both, its own items first.")


class MergeGroupRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class DifferenceSchema(ma.Schema):
    part = ma.fields.String(metadata={"enum": list(PART_KEYS)})
    fields = ma.fields.List(ma.fields.String(), metadata={
        "description": "The fields the part moves together (compared and carried)."})
    kept = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True),
                          metadata={"description": "The group's values now."})
    taken = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True),
                           metadata={"description": "The registration's values."})
    combined = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(allow_none=True),
                              allow_none=True, metadata={
                                  "description": "Both combined, when that says more than "
                                                 "either (lists only); else null."})
    choices = ma.fields.List(ma.fields.String(metadata={"enum": list(merging.CHOICES)}))
    default = ma.fields.String(metadata={"enum": list(merging.CHOICES),
                                         "description": "What a merge does unless told."})


class MergePreviewSchema(ma.Schema):
    registration = ma.fields.Nested(MergeGroupRefSchema)
    into = ma.fields.Nested(MergeGroupRefSchema)
    differences = ma.fields.List(ma.fields.Nested(DifferenceSchema), metadata={
        "description": "The parts where the registration says something else, in order."})


# One optional choice for each part, so the document lists exactly the parts there are.
MergeChoicesSchema = ma.Schema.from_dict(
    {key: ma.fields.String(validate=ma.validate.OneOf(merging.CHOICES)) for key in PART_KEYS},
    name="MergeChoicesSchema")


class MergeInputSchema(ma.Schema):
    choices = ma.fields.Nested(MergeChoicesSchema, load_default=dict, metadata={
        "description": "What the group keeps, by part; a part left out gets its default. "
                       + CHOICE_HELP})


class MergeResultSchema(ma.Schema):
    group = ma.fields.Nested(GroupSchema, metadata={"description": "The group merged into."})
    registration = ma.fields.Nested(MergeGroupRefSchema)
    taken = ma.fields.List(ma.fields.String(metadata={"enum": list(PART_KEYS)}), metadata={
        "description": "The parts the group took or combined."})


def _plain(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _values(values: dict | None) -> dict | None:
    return None if values is None else {key: _plain(value) for key, value in values.items()}


def _preview(group_id: int, into_id: int):
    """The registration, the group and their differences; 404 for a group to merge into
    that is missing, out of reach or the registration itself."""
    try:
        return duplicates.merge_preview(db.session, current_user(), group_id, into_id)
    except InvalidInput:
        _no_group(into_id)
    except ServiceError as exc:
        abort(exc.status, message=exc.message, errors=exc.errors or None)


def _no_group(into_id: int):
    abort(404, message=f"There is no community group {into_id} to merge this into.")


@blp.route("/<int:group_id>/merge/<int:into_id>")
class Merge(MethodView):
    decorators = [with_viewer]

    @blp.response(200, MergePreviewSchema)
    @blp.alt_response(409, description="The registration is no longer waiting for approval.")
    def get(self, group_id, into_id):
        """What merging registration ``group_id`` into group ``into_id`` would decide."""
        group, original, found = _preview(group_id, into_id)
        defaults = merging.default_choices(found)
        return {"registration": group, "into": original, "differences": [{
            "part": d.part.key, "fields": list(d.part.fields + d.part.carried),
            "kept": _values(d.kept), "taken": _values(d.taken),
            "combined": _values(d.combined),
            "choices": [c for c in merging.CHOICES if c != "combine" or d.combined],
            "default": defaults[d.part.key]} for d in found]}

    @blp.arguments(MergeInputSchema())
    @blp.response(200, MergeResultSchema)
    @blp.alt_response(409, description="The registration is no longer waiting for approval.")
    def post(self, data, group_id, into_id):
        """Merge the pending registration ``group_id`` into group ``into_id``: the group
        takes what ``choices`` say and keeps its introductions; the registration is declined
        and its contact emailed which group holds their details now."""
        try:
            with unit_of_work(db.session):
                group, original, taken = duplicates.merge_into(
                    db.session, postcode_index(), current_user(), group_id, into_id,
                    data["choices"])
        except InvalidInput as exc:
            if "duplicate_of" in exc.errors:
                _no_group(into_id)
            # Reported where they were given, as the schema's own errors are.
            abort(422, message="The request is not valid: see 'errors' for what to correct.",
                  errors={"choices": exc.errors})
        except ServiceError as exc:
            abort(exc.status, message=exc.message, errors=exc.errors or None)
        return {"group": original, "registration": group, "taken": taken}
