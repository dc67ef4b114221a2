"""``/api/v1/care-homes``: care homes, their residents' interests and languages."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from ..extensions import db
from ..models import CARE_HOME_STATUSES, NATIONS, VISITING_STATUSES
from ..schemas.care_homes import CareHomeInputSchema, CareHomePatchSchema
from ..schemas.fields import contact_of
from ..services import records
from ..services.uow import unit_of_work
from .base import Blueprint
from .common import (
    ListArgs,
    UtcDateTime,
    current_user,
    paginated,
    postcode_index,
    service_errors,
)

blp = Blueprint("care_homes", __name__, url_prefix="/api/v1/care-homes",
                description="Care homes and what their residents enjoy.")

class CareHomeSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    regulator = ma.fields.String(allow_none=True)
    regulator_id = ma.fields.String(allow_none=True)
    address_line1 = ma.fields.String(allow_none=True)
    address_line2 = ma.fields.String(allow_none=True)
    town = ma.fields.String(allow_none=True)
    postcode = ma.fields.String()
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    geocode_precision = ma.fields.String()
    nation = ma.fields.String(validate=ma.validate.OneOf(NATIONS))
    local_authority_code = ma.fields.String(allow_none=True)
    local_authority_name = ma.fields.String(allow_none=True)
    residents = ma.fields.Integer(allow_none=True)
    interests = ma.fields.List(ma.fields.String())
    interests_text = ma.fields.String()
    languages = ma.fields.List(ma.fields.Dict())
    care_types = ma.fields.List(ma.fields.String())
    facilities = ma.fields.List(ma.fields.String())
    availability = ma.fields.List(ma.fields.String(), allow_none=True)
    visiting_status = ma.fields.String()
    visiting_review_date = ma.fields.Date(allow_none=True)
    search_radius_km = ma.fields.Float()
    status = ma.fields.String(metadata={"description": (
        "active, or deregistered: no longer on its regulator's register (an import of the "
        "full register found it gone); kept with its history, out of matching and lists.")})
    contact = ma.fields.Function(contact_of)
    preferred_language = ma.fields.String(
        metadata={"description": "The language Kith writes to the contact in (`cy` or `en`)."})
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class CareHomeListArgs(ListArgs):
    visiting_status = ma.fields.String(validate=ma.validate.OneOf(VISITING_STATUSES))
    status = ma.fields.String(
        validate=ma.validate.OneOf((*CARE_HOME_STATUSES, "all")),
        metadata={"description": "active (the default), deregistered, or all."})


@blp.route("")
class CareHomes(MethodView):
    @blp.arguments(CareHomeListArgs(), location="query")
    @blp.response(200, CareHomeSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the care homes you may see (by nation, local authority, visiting status,
        status, q); deregistered homes only when asked for."""
        query = records.list_homes(current_user(), args)
        return paginated(query, pagination_parameters)

    @blp.arguments(CareHomeInputSchema())
    @blp.response(201, CareHomeSchema)
    @blp.alt_response(403, description="Only coordinators and admins may add homes.")
    @blp.alt_response(409, description="Another home already has this regulator's id.")
    def post(self, data):
        """Add a care home (coordinators for their own nation, and admins)."""
        with service_errors(), unit_of_work(db.session):
            return records.add_home(db.session, postcode_index(), current_user(), data)


@blp.route("/<int:home_id>")
class CareHomeById(MethodView):
    @blp.response(200, CareHomeSchema)
    def get(self, home_id):
        """One care home."""
        with service_errors():
            return records.get_home(db.session, home_id, current_user())

    @blp.arguments(CareHomePatchSchema())
    @blp.response(200, CareHomeSchema)
    @blp.alt_response(409, description="Another home already has this regulator's id.")
    def patch(self, data, home_id):
        """Change some of a care home's fields."""
        with service_errors(), unit_of_work(db.session):
            return records.change_home(db.session, postcode_index(), current_user(), home_id,
                                       data)

    @blp.response(204)
    def delete(self, home_id):
        """Remove a care home and its introductions (coordinators and admins)."""
        with service_errors(), unit_of_work(db.session):
            records.remove_home(db.session, current_user(), home_id)
