"""``/api/v1/care-homes/<id>/matches`` and ``/api/v1/groups/<id>/matches``: ranked suggestions."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, jsonify
from flask.views import MethodView

from ..domain import catalogue
from ..extensions import db
from ..models import GROUP_KINDS
from ..presentation.reasons import with_reasons
from ..runtime import ranker_cache
from ..schemas.fields import BoundedList, LanguageName
from ..services import matching
from .base import Blueprint
from .common import current_user, service_errors

blp = Blueprint("matches", __name__, url_prefix="/api/v1",
                description="Ranked suggestions with their components and reasons.")

WEIGHT_NAMES = catalogue.codes(catalogue.RANKING_COMPONENTS)


class CommaList(BoundedList):
    """A list given as repeated parameters or comma-separated (``kinds=choir,school``)."""

    def __init__(self, cls_or_instance, **kwargs):
        super().__init__(cls_or_instance, **kwargs)
        self.validators.insert(0, ma.validate.Length(min=1))  # documented as minItems: 1

    def _deserialize(self, value, attr, data, **kwargs):
        # Empty items are kept, for the item's own rule to refuse: ``kinds=`` or
        # ``kinds=choir,`` names a kind that is not one of them.
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        elif isinstance(value, list):
            value = [v.strip() for item in value for v in str(item).split(",")]
        return super()._deserialize(value, attr, data, **kwargs)


ALL_ZERO = ("With every weight 0 (these and the configured ones) no component counts: every "
            "score is 0, the reasons are still given, and the order is the tie-break alone: "
            "when the home's visits are restricted, partners who keep in touch remotely "
            "first; then those with the safeguarding checks a visit needs; then nearest "
            "first; then the lowest group id.")


def _weight(name: str) -> ma.fields.Float:
    return ma.fields.Float(validate=ma.validate.Range(min=0, max=100), metadata={
        "description": (f"The weight of the {name} component for this request, over the "
                        f"configured one (RANKING_WEIGHTS); 0 leaves it out. " + ALL_ZERO)})


class MatchArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))
    radius_km = ma.fields.Float(validate=ma.validate.Range(min=0.5, max=200))
    kinds = CommaList(ma.fields.String(validate=ma.validate.OneOf(GROUP_KINDS)),
                      max_items=len(GROUP_KINDS))
    languages = CommaList(LanguageName(), max_items=30)
    weight_distance = _weight("distance")
    weight_interests = _weight("interests")
    weight_language = _weight("language")
    weight_availability = _weight("availability")
    weight_capacity = _weight("capacity")

    @ma.post_load
    def _weights(self, data, **kwargs):
        given = {name: data.pop(f"weight_{name}") for name in WEIGHT_NAMES
                 if f"weight_{name}" in data}
        if given:
            # The ranker lays them over the configured weights (`resolve_weights`).
            data["weights"] = given
        if "languages" in data:
            data["languages"] = [lang["tag"] for lang in data["languages"]]
        return data


class GroupRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    town = ma.fields.String(allow_none=True)


class HomeRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    town = ma.fields.String(allow_none=True)


class ExplanationSchema(ma.Schema):
    """One reason for a match in structured form, for clients that word it themselves."""

    code = ma.fields.String(metadata={"description": (
        "What the reason is about: distance, shared_interests, shared_language, "
        "residents_speak, availability, capacity, safeguarding_check, remote_while_restricted, "
        "remote_while_closed, in_person_paused, home_restricted_remote or "
        "home_closed_remote.")})
    params = ma.fields.Dict(keys=ma.fields.String(), metadata={"description": (
        "The values the sentence is made from, by code: distance {km}; shared_interests "
        "{interests: [the home's interests the partner serves], via: [for each, the "
        "partner's activity that serves it, or null where the partner names it]}; "
        "shared_language and residents_speak {language: tag, "
        "residents}; availability {slots: [e.g. sat_pm]}; capacity {remaining}; "
        "safeguarding_check {scheme, status: expired|pending|none, expires_on}; "
        "the others none.")})


class MatchSafeguardingSchema(ma.Schema):
    """The partner's safeguarding check (DBS, PVG, AccessNI) as judged for this visit today."""

    scheme = ma.fields.String(allow_none=True, metadata={
        "description": "DBS, PVG or AccessNI as the partner recorded it; null when not."})
    status = ma.fields.String(metadata={"description": (
        "valid, expired (a valid check past its expiry date counts as expired), pending "
        "(applied for) or none (no check recorded).")})
    expires_on = ma.fields.String(allow_none=True, metadata={"description": "ISO date."})
    valid = ma.fields.Boolean()
    needed = ma.fields.Boolean(metadata={"description": (
        "Whether this visit needs a check: in person, i.e. unless the home is closed, or "
        "restricted and the partner keeps in touch remotely. Where needed and not valid the "
        "match is flagged and ranks below an otherwise equal partner with a valid check.")})


class _MatchFields(ma.Schema):
    score = ma.fields.Float(metadata={"description": (
        "Weighted sum of the components, 0–1 (0 when every weight is 0).")})
    distance_km = ma.fields.Float()
    components = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    reasons = ma.fields.List(ma.fields.String(), metadata={
        "description": "The reasons in plain English, in the order of `explanations`."})
    explanations = ma.fields.List(ma.fields.Nested(ExplanationSchema), metadata={
        "description": "The same reasons as codes with parameters."})
    in_person_paused = ma.fields.Boolean()
    shared_interests = ma.fields.List(ma.fields.String(), metadata={"description": (
        "The home's interests this partner serves (by the same words or an activity that "
        "serves them), in the home's order; a shared broad category alone is never listed.")})
    shared_languages = ma.fields.List(ma.fields.String())
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    safeguarding = ma.fields.Nested(MatchSafeguardingSchema, allow_none=True)
    introduction_status = ma.fields.String(allow_none=True, metadata={"description": (
        "The status of the pair's open introduction (suggested, requested, introduced, "
        "active), or null for a new suggestion. Pairs whose introduction was declined or "
        "ended within INTRODUCTION_COOLDOWN_DAYS are not suggested.")})


class PartnerMatchSchema(_MatchFields):
    group = ma.fields.Nested(GroupRefSchema)
    offers_remote = ma.fields.Boolean()


class HomeMatchSchema(_MatchFields):
    care_home = ma.fields.Nested(HomeRefSchema)
    visiting_status = ma.fields.String()


WEIGHTS_DESCRIPTION = ("The weights the scores were computed with, by component: the "
                       "configured RANKING_WEIGHTS with this request's weight_* laid over them "
                       "(all 0 when every weight is 0: every score is then 0).")


class HomeMatchesSchema(ma.Schema):
    care_home = ma.fields.Nested(HomeRefSchema)
    weights = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(),
                             metadata={"description": WEIGHTS_DESCRIPTION})
    language_factor = ma.fields.Float(metadata={"description": (
        "How many times the language weight counts for this home, by need: "
        "min(3, (1 + 2 × share of residents whose language is not English) × 1.5 with "
        "dementia care); 0 where every resident speaks English (language left out).")})
    matches = ma.fields.List(ma.fields.Nested(PartnerMatchSchema))


class GroupMatchesSchema(ma.Schema):
    group = ma.fields.Nested(GroupRefSchema)
    weights = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(),
                             metadata={"description": "The weights the scores were computed "
                                                      "with (the configured RANKING_WEIGHTS)."})
    matches = ma.fields.List(ma.fields.Nested(HomeMatchSchema))


@blp.route("/care-homes/<int:home_id>/matches")
class CareHomeMatches(MethodView):
    @blp.arguments(MatchArgs(), location="query")
    @blp.response(200, HomeMatchesSchema)
    def get(self, args, home_id):
        """The partners that suit a home best, with the reasons for each."""
        weights = args.pop("weights", None)
        cache = ranker_cache(current_app)
        with service_errors():
            home, matches = matching.partner_matches(
                db.session, cache, current_user(), home_id,
                limit=args["limit"], radius_km=args.get("radius_km"), kinds=args.get("kinds"),
                languages=args.get("languages"), weights=weights)
        # The service's dicts are already the documented shape (a test holds them to the
        # schema); dumping twenty matches through marshmallow again would double the cost.
        return jsonify({"care_home": {"id": home.id, "name": home.name, "town": home.town},
                        "weights": cache.weights_used(weights),
                        "language_factor": matching.language_factor(home),
                        "matches": [with_reasons(m) for m in matches]})


class GroupMatchArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


@blp.route("/groups/<int:group_id>/matches")
class GroupMatches(MethodView):
    @blp.arguments(GroupMatchArgs(), location="query")
    @blp.response(200, GroupMatchesSchema)
    def get(self, args, group_id):
        """The care homes that would welcome a group (only homes you may see are listed)."""
        with service_errors():
            group, matches = matching.group_matches(db.session, ranker_cache(current_app),
                                                    current_user(), group_id,
                                                    limit=args["limit"])
        return {"group": {"id": group.id, "name": group.name, "kind": group.kind,
                          "town": group.town},
                "weights": ranker_cache(current_app).weights_used(),
                "matches": [with_reasons(m) for m in matches]}
