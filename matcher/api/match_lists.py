"""``/api/v1/match-lists``: every home of a region with its best partners, as JSON or CSV."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView
from webargs.fields import DelimitedList

from .. import csvout
from ..extensions import db
from ..models import GROUP_KINDS, NATIONS
from ..presentation.reasons import with_reasons
from ..schemas.fields import Text
from ..services import match_lists, scope
from .base import Blueprint
from .common import current_user, service_errors
from .matches import ExplanationSchema, MatchSafeguardingSchema

blp = Blueprint("match_lists", __name__, url_prefix="/api/v1/match-lists",
                description="Match lists for coordinators: each home's best partners.")

FORMATS = ("json", "csv")


def ranker_cache():
    from ..runtime import ranker_cache as _cache
    return _cache(current_app)


def csv_response(text: str, stem: str) -> Response:
    """A CSV download named ``<stem>-<date>.csv``."""
    return Response(text, mimetype=csvout.MIMETYPE,
                    headers=csvout.download_headers(csvout.dated_filename(stem)))


class FormatArgs(ma.Schema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(FORMATS),
                              metadata={"description": "json (default) or csv."})
    lang = ma.fields.String(validate=ma.validate.OneOf(("en", "cy")), metadata={
        "description": "cy: reasons (and a CSV's header) in Welsh; en: in English. Without "
                       "it, the language of Accept-Language."})


class MatchListArgs(FormatArgs):
    nation = ma.fields.String(validate=ma.validate.OneOf(NATIONS), metadata={
        "description": "Coordinators: their own nation (the default). Admins: any; "
                       "leave out for the whole network."})
    local_authority = Text(max_length=9, metadata={
        "description": "A local authority code, e.g. W06000002."})
    # ``kinds=`` (nothing) is refused: an empty kind is not one of them.
    kinds = DelimitedList(ma.fields.String(validate=ma.validate.OneOf(GROUP_KINDS)),
                          validate=ma.validate.Length(min=1),
                          metadata={"description": "Comma-separated partner kinds."})
    per_home = ma.fields.Integer(load_default=5, validate=ma.validate.Range(min=1, max=20))


class NetworkRefSchema(ma.Schema):
    """A home or group named by id and name."""

    id = ma.fields.Integer()
    name = ma.fields.String()


class NetworkGroupRefSchema(NetworkRefSchema):
    kind = ma.fields.String()


class ListedMatchSchema(ma.Schema):
    group = ma.fields.Nested(NetworkGroupRefSchema)
    score = ma.fields.Float()
    distance_km = ma.fields.Float()
    components = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    reasons = ma.fields.List(ma.fields.String(), metadata={
        "description": "The reasons in plain English, in the order of `explanations`."})
    explanations = ma.fields.List(ma.fields.Nested(ExplanationSchema), metadata={
        "description": "The same reasons as codes with parameters."})
    in_person_paused = ma.fields.Boolean()
    safeguarding = ma.fields.Nested(MatchSafeguardingSchema, allow_none=True)
    introduction_status = ma.fields.String(allow_none=True, metadata={"description": (
        "The status of the pair's open introduction, or null for a new suggestion.")})


class ListedHomeSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    postcode = ma.fields.String()
    nation = ma.fields.String()
    local_authority_code = ma.fields.String(allow_none=True)
    local_authority_name = ma.fields.String(allow_none=True)
    visiting_status = ma.fields.String()


class MatchListEntrySchema(ma.Schema):
    care_home = ma.fields.Nested(ListedHomeSchema)
    matches = ma.fields.List(ma.fields.Nested(ListedMatchSchema))


class MatchListSchema(ma.Schema):
    nation = ma.fields.String(allow_none=True)
    local_authority = ma.fields.String(allow_none=True)
    per_home = ma.fields.Integer()
    kinds = ma.fields.List(ma.fields.String(), allow_none=True)
    count = ma.fields.Integer(metadata={"description": "Number of homes listed."})
    homes = ma.fields.List(ma.fields.Nested(MatchListEntrySchema))


@blp.route("")
class MatchLists(MethodView):
    @blp.arguments(MatchListArgs(), location="query")
    @blp.response(200, MatchListSchema, description="JSON, or CSV with format=csv "
                  "(columns in docs/csv-formats.md).")
    def get(self, args):
        """Every home in scope with its best partners, ranked in one batch."""
        with service_errors():
            nation = scope.resolve_nation(current_user(), args.get("nation"))
            options = {"nation": nation, "local_authority": args.get("local_authority"),
                       "kinds": args.get("kinds") or None, "per_home": args["per_home"]}
            if args["format"] == "csv":
                text = match_lists.match_list_csv(db.session, ranker_cache(), **options)
                return csv_response(text, f"match-list-{nation or 'uk'}")
            entries = match_lists.match_list(db.session, ranker_cache(), **options)
        for entry in entries:
            entry["matches"] = [with_reasons(m) for m in entry["matches"]]
        return {**options, "count": len(entries), "homes": entries}
