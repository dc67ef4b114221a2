"""``/api/v1/reports``: how a nation's network is doing."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from ..extensions import db
from ..models import NATIONS
from ..services import reports
from ..services.scope import resolve_nation
from .base import Blueprint
from .common import current_user, service_errors
from .match_lists import FormatArgs, csv_response

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Reports for coordinators.")


class NetworkReportArgs(FormatArgs):
    nation = ma.fields.String(validate=ma.validate.OneOf(NATIONS), metadata={
        "description": "Coordinators: their own nation (the default). Admins: any; leave "
                       "out for the whole network."})


class ColdSpotSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    postcode = ma.fields.String()
    local_authority_code = ma.fields.String(allow_none=True)
    local_authority_name = ma.fields.String(allow_none=True)
    search_radius_km = ma.fields.Float()
    nearest_partner_km = ma.fields.Float(allow_none=True, metadata={
        "description": "The nearest approved partner, whatever its radius (null: none)."})


class NetworkReportSchema(ma.Schema):
    nation = ma.fields.String(allow_none=True)
    generated_at = ma.fields.String()
    care_homes = ma.fields.Integer()
    approved_partners = ma.fields.Integer()
    introductions = ma.fields.Dict()
    active_links = ma.fields.List(ma.fields.Dict())
    cold_spots = ma.fields.List(ma.fields.Nested(ColdSpotSchema), metadata={
        "description": "Homes with no approved partner within both radii."})
    outcomes = ma.fields.Dict(metadata={
        "description": "Introductions that led to at least 3 visits done, visits done, and "
                       "the share of rated visits rated 4 or 5."})


@blp.route("/network")
class NetworkReport(MethodView):
    @blp.arguments(NetworkReportArgs(), location="query")
    @blp.response(200, NetworkReportSchema, description="JSON, or CSV with format=csv.")
    def get(self, args):
        """Introductions by status, active links and cold spots of a nation."""
        with service_errors():
            nation = resolve_nation(current_user(), args.get("nation"))
            report = reports.network_report(db.session, nation)
        if args["format"] == "csv":
            return csv_response(reports.report_csv(report), f"network-report-{nation or 'uk'}")
        return report
