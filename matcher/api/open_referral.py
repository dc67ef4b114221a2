"""``/api/v1/open-referral``: the open data feed of approved groups (Open Referral UK).

No token needed; any website may read it (``Access-Control-Allow-Origin: *``). Services are
HSDS 3 objects in the ORUK paged envelope; nothing private is published (see
:mod:`matcher.services.open_referral`).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import func, select

from ..extensions import db
from ..models import GROUP_KINDS, CommunityGroup
from ..schemas.fields import MAX_ID
from ..security import public_url
from ..services import open_referral
from .base import Blueprint

blp = Blueprint("open_referral", __name__, url_prefix="/api/v1/open-referral",
                description="Open Referral UK feed of approved community partners (open data).")


@blp.after_request
def _open_to_everyone(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    if response.status_code == 200:
        response.headers.setdefault("Cache-Control", "public, max-age=300")
    return response


class ServiceListArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=open_referral.DEFAULT_PER_PAGE,
                                 validate=ma.validate.Range(min=1,
                                                            max=open_referral.MAX_PER_PAGE))
    text = ma.fields.String(validate=ma.validate.Length(max=200),
                            metadata={"description": "Search service names and descriptions."})
    kind = ma.fields.String(validate=ma.validate.OneOf(GROUP_KINDS))


class ServicePageSchema(ma.Schema):
    total_items = ma.fields.Integer()
    total_pages = ma.fields.Integer()
    page_number = ma.fields.Integer()
    size = ma.fields.Integer()
    first_page = ma.fields.Boolean()
    last_page = ma.fields.Boolean()
    empty = ma.fields.Boolean()
    contents = ma.fields.List(ma.fields.Dict())


@blp.route("/")
class Root(MethodView):
    @blp.response(200, ma.Schema.from_dict({"version": ma.fields.String(),
                                            "profile": ma.fields.String(),
                                            "openapi_url": ma.fields.String()})())
    def get(self):
        """What this feed is: the HSDS version and the ORUK profile."""
        return {"version": open_referral.HSDS_VERSION, "profile": open_referral.PROFILE_URL,
                "openapi_url": public_url("/api/openapi.json")}


@blp.route("/services")
class Services(MethodView):
    @blp.arguments(ServiceListArgs(), location="query")
    @blp.response(200, ServicePageSchema)
    def get(self, args):
        """Approved groups as ORUK services, paged with ``page`` and ``per_page``."""
        query = open_referral.feed_query(args.get("text"), args.get("kind"))
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page, per_page = args["page"], args["per_page"]
        groups = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
        contents = [open_referral.service_document(group) for group in groups]
        return open_referral.page_envelope(contents, total, page, per_page)


@blp.route("/services/<string:service_id>")
class ServiceById(MethodView):
    @blp.response(200, description="One HSDS 3 service.")
    def get(self, service_id):
        """One service, by the id the feed gives it."""
        group_id = open_referral.group_id_from_service_id(service_id)
        known = group_id is not None and 0 < group_id <= MAX_ID
        group = db.session.get(CommunityGroup, group_id) if known else None
        if group is None or group.status != "approved":
            abort(404, message=f"There is no service with id {service_id}.")
        return open_referral.service_document(group)
