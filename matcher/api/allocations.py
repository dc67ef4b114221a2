"""``/api/v1/allocations``: the network's optimal set of new links, stored and exportable."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from ..domain.allocation import STRATEGIES
from ..extensions import db
from ..models import GROUP_KINDS, NATIONS
from ..schemas.fields import Text
from ..services import allocations
from ..services.uow import unit_of_work
from .base import Blueprint
from .common import UtcDateTime, current_user, paginated, service_errors
from .match_lists import (
    FormatArgs,
    NetworkGroupRefSchema,
    NetworkRefSchema,
    csv_response,
    ranker_cache,
)

blp = Blueprint("allocations", __name__, url_prefix="/api/v1/allocations",
                description="Assign partners to homes: fairly (every reachable home first), "
                            "or for the highest total match score.")


class AllocationInputSchema(ma.Schema):
    nation = ma.fields.String(validate=ma.validate.OneOf(NATIONS), allow_none=True, metadata={
        "description": "Coordinators: their own nation (the default). Admins: any, or "
                       "null for the whole network."})
    per_home = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=20))
    kinds = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(GROUP_KINDS)),
                           allow_none=True, validate=ma.validate.Length(max=len(GROUP_KINDS)))
    local_authority = Text(max_length=9, allow_none=True)
    strategy = ma.fields.String(load_default="fair", validate=ma.validate.OneOf(STRATEGIES),
                                metadata={"description": (
                                    "`fair` (default): every home that has any eligible partner "
                                    "with spare capacity gets one before any home gets a "
                                    "second, then the highest total score within that. "
                                    "`total`: the highest total score alone.")})
    max_homes_per_partner = ma.fields.Integer(
        allow_none=True, validate=ma.validate.Range(min=1, max=100),
        metadata={"description": "At most this many homes proposed to one partner."})


class UnservedHomeSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    reason = ma.fields.String(metadata={"description": (
        "`no_partner_in_reach`: no eligible partner reaches this home; `all_taken`: the "
        "partners in reach were all given to other homes.")})


class HomesWithoutPartnerSchema(ma.Schema):
    count = ma.fields.Integer()
    no_partner_in_reach = ma.fields.Integer()
    all_taken = ma.fields.Integer()
    homes = ma.fields.List(ma.fields.Nested(UnservedHomeSchema))


class AssignmentSchema(ma.Schema):
    care_home = ma.fields.Nested(NetworkRefSchema)
    group = ma.fields.Nested(NetworkGroupRefSchema)
    score = ma.fields.Float()


class AllocationSchema(ma.Schema):
    id = ma.fields.Integer()
    nation = ma.fields.String(allow_none=True)
    per_home = ma.fields.Integer()
    kinds = ma.fields.List(ma.fields.String(), allow_none=True)
    created_at = ma.fields.String(allow_none=True)
    total_score = ma.fields.Float()
    strategy = ma.fields.String()
    max_homes_per_partner = ma.fields.Integer(allow_none=True)
    assignments = ma.fields.List(ma.fields.Nested(AssignmentSchema))
    homes_without_partner = ma.fields.Nested(HomesWithoutPartnerSchema)


class AllocationSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    nation = ma.fields.String(allow_none=True)
    per_home = ma.fields.Integer()
    kinds = ma.fields.List(ma.fields.String(), allow_none=True)
    created_at = UtcDateTime()
    total_score = ma.fields.Float()
    assignment_count = ma.fields.Function(lambda a: len(a.assignments))


@blp.route("")
class Allocations(MethodView):
    @blp.arguments(AllocationInputSchema())
    @blp.response(201, AllocationSchema)
    def post(self, data):
        """Compute and store the optimal allocation (not greedy) for a nation."""
        with service_errors(), unit_of_work(db.session):
            allocation = allocations.allocate_for(
                db.session, ranker_cache(), current_user(), nation=data.get("nation"),
                per_home=data["per_home"],
                kinds=data.get("kinds") or None, local_authority=data.get("local_authority"),
                strategy=data["strategy"],
                max_homes_per_partner=data.get("max_homes_per_partner"))
            return allocations.allocation_dict(allocation, db.session)

    @blp.response(200, AllocationSummarySchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Stored allocations you may see, newest first."""
        with service_errors():
            query = allocations.list_allocations(current_user())
        return paginated(query, pagination_parameters)


@blp.route("/<int:allocation_id>")
class AllocationById(MethodView):
    @blp.arguments(FormatArgs(), location="query")
    @blp.response(200, AllocationSchema, description="JSON, or CSV with format=csv.")
    def get(self, args, allocation_id):
        """One stored allocation, as JSON or CSV."""
        with service_errors():
            allocation = allocations.get_allocation(db.session, allocation_id, current_user())
        if args["format"] == "csv":
            return csv_response(allocations.allocation_csv(allocation),
                                f"allocation-{allocation.id}")
        return allocations.allocation_dict(allocation, db.session)
