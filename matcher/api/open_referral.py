"""``/api/v1/open-referral``: the open data feed of approved groups (Open Referral UK 3.0).

No token needed; any website may read it (``Access-Control-Allow-Origin: *``). The nine
endpoints ORUK 3.0 requires answer HSDS 3 objects, lists in the ORUK paged envelope; nothing
private is published (see :mod:`matcher.services.open_referral`).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import abort

from ..domain.geocoding import GeocodingError, InvalidPostcode
from ..extensions import db
from ..models import GROUP_KINDS
from ..schemas.fields import KNOWN, Text, postcode_pattern
from ..security import public_url
from ..services import open_referral
from .base import Blueprint
from .common import postcode_index

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


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=open_referral.DEFAULT_PER_PAGE,
                                 validate=ma.validate.Range(min=1,
                                                            max=open_referral.MAX_PER_PAGE))


class ServiceListArgs(PageArgs):
    search = Text(max_length=200,
                              metadata={"description": "Search service names and descriptions."})
    text = Text(max_length=200,
                            metadata={"description": "The same as ``search`` (older name)."})
    kind = ma.fields.String(validate=ma.validate.OneOf(GROUP_KINDS))
    taxonomy_term_id = Text(max_length=100)
    taxonomy_id = Text(max_length=100)
    modified_after = ma.fields.DateTime(
        metadata={"description": "Only services changed at or after this time (ISO 8601)."})
    postcode = ma.fields.String(
        validate=ma.validate.Length(min=2, max=20),
        metadata={"description": "Only services that reach this postcode (their travel radius), "
                                 "or that are within ``proximity`` of it.",
                  "pattern": postcode_pattern(), KNOWN: "postcode"})
    proximity = ma.fields.Float(
        validate=ma.validate.Range(min=1, max=200_000),
        metadata={"description": (
            "Only services within this many metres from the centroid of ``postcode`` (as "
            "ORUK 3.0 words it). Without ``postcode`` there is no centre: ``proximity`` is "
            "then ignored and the answer is the same as without it.")})


class PageSchema(ma.Schema):
    total_items = ma.fields.Integer()
    total_pages = ma.fields.Integer()
    page_number = ma.fields.Integer()
    size = ma.fields.Integer(metadata={"description": "The number of items on this page."})
    first_page = ma.fields.Boolean()
    last_page = ma.fields.Boolean()
    empty = ma.fields.Boolean()
    contents = ma.fields.List(ma.fields.Dict())


ServicePageSchema = PageSchema


def _filter(args) -> open_referral.FeedFilter:
    near = None
    if "postcode" in args:
        try:
            place = postcode_index().lookup(args["postcode"])
        except InvalidPostcode as exc:
            abort(422, message=str(exc), errors={"postcode": [str(exc)]})
        except GeocodingError as exc:
            abort(422, message=str(exc), errors={"postcode": [str(exc)]})
        radius = args["proximity"] / 1000 if "proximity" in args else None
        near = (place.lat, place.lon, radius)
    terms = open_referral.term_filter(db.session, term=args.get("taxonomy_term_id"),
                                      taxonomy=args.get("taxonomy_id"))
    return open_referral.FeedFilter(search=args.get("search") or args.get("text"),
                                    kind=args.get("kind"),
                                    modified_after=args.get("modified_after"),
                                    terms=terms, near=near)


def _found(document, what: str, wanted: str):
    if document is None:
        abort(404, message=f"There is no {what} with id {wanted}.")
    return document


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
    @blp.response(200, PageSchema)
    def get(self, args):
        """Approved groups as ORUK services, searched, filtered and paged."""
        return open_referral.feed_page(db.session, _filter(args), args["page"],
                                       args["per_page"])


@blp.route("/services/<string:service_id>")
class ServiceById(MethodView):
    @blp.response(200, description="One HSDS 3 service.")
    def get(self, service_id):
        """One service, by the id the feed gives it."""
        group = open_referral.published_group(db.session, "service", service_id)
        return open_referral.service_document(_found(group, "service", service_id))


@blp.route("/service_at_locations")
class ServiceAtLocations(MethodView):
    @blp.arguments(ServiceListArgs(), location="query")
    @blp.response(200, PageSchema)
    def get(self, args):
        """Where each approved group's service is offered, with the same filters."""
        return open_referral.feed_page(
            db.session, _filter(args), args["page"], args["per_page"],
            document=open_referral.service_at_location_document)


@blp.route("/service_at_locations/<string:sal_id>")
class ServiceAtLocationById(MethodView):
    @blp.response(200, description="One HSDS 3 service at location.")
    def get(self, sal_id):
        """One service at location, by its id."""
        group = open_referral.published_group(db.session, "service_at_location", sal_id)
        return open_referral.service_at_location_document(
            _found(group, "service at location", sal_id))


@blp.route("/taxonomies")
class Taxonomies(MethodView):
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, PageSchema)
    def get(self, args):
        """The taxonomies the feed's attributes use."""
        return open_referral.taxonomy_page(db.session, args["page"], args["per_page"])


@blp.route("/taxonomies/<string:taxonomy_id>")
class TaxonomyById(MethodView):
    @blp.response(200, description="One taxonomy with its terms.")
    def get(self, taxonomy_id):
        """One taxonomy, with every term it has in the feed."""
        return _found(open_referral.find_taxonomy(db.session, taxonomy_id), "taxonomy",
                      taxonomy_id)


@blp.route("/taxonomy_terms")
class TaxonomyTerms(MethodView):
    @blp.arguments(PageArgs(), location="query")
    @blp.response(200, PageSchema)
    def get(self, args):
        """Every taxonomy term the feed's services can carry."""
        return open_referral.term_page(db.session, args["page"], args["per_page"])


@blp.route("/taxonomy_terms/<string:term_id>")
class TaxonomyTermById(MethodView):
    @blp.response(200, description="One taxonomy term.")
    def get(self, term_id):
        """One taxonomy term, by its id."""
        return _found(open_referral.find_term_document(db.session, term_id), "taxonomy term",
                      term_id)
