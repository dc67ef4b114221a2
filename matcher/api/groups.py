"""``/api/v1/groups``: community groups and volunteers (partners)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from ..models import (
    GROUP_KINDS,
    GROUP_STATUSES,
    NATIONS,
    SAFEGUARDING_SCHEMES,
    SAFEGUARDING_STATUSES,
)
from ..services import records, scope
from .care_homes import SLOTS
from .common import (
    ContactSchema,
    Interests,
    LanguageName,
    ListArgs,
    Postcode,
    UtcDateTime,
    commit,
    contact_of,
    current_actor,
    current_user,
    flatten_contact,
    paginated,
    postcode_index,
    service_errors,
)

blp = Blueprint("groups", __name__, url_prefix="/api/v1/groups",
                description="Community groups and volunteers who could visit care homes.")

REMOTE_MODES = ("video", "phone", "letters")


class SafeguardingSchema(ma.Schema):
    scheme = ma.fields.String(validate=ma.validate.OneOf(SAFEGUARDING_SCHEMES), allow_none=True)
    status = ma.fields.String(validate=ma.validate.OneOf(SAFEGUARDING_STATUSES), allow_none=True)
    expires_on = ma.fields.Date(allow_none=True)


class GroupInputSchema(ma.Schema):
    """A group as registered through the API or the public form (the same rules for both)."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(GROUP_KINDS))
    description = ma.fields.String(validate=ma.validate.Length(max=5000))
    interests = Interests()
    languages = ma.fields.List(LanguageName(), validate=ma.validate.Length(max=30))
    postcode = Postcode(required=True)
    town = ma.fields.String(validate=ma.validate.Length(max=100), allow_none=True)
    travel_radius_km = ma.fields.Float(validate=ma.validate.Range(min=0.5, max=200))
    availability = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(SLOTS)),
                                  allow_none=True)
    capacity_per_month = ma.fields.Integer(validate=ma.validate.Range(min=1, max=100),
                                           allow_none=True)
    offers_remote = ma.fields.Boolean()
    remote_modes = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(REMOTE_MODES)))
    works_with_children = ma.fields.Boolean()
    safeguarding = ma.fields.Nested(SafeguardingSchema)
    contact = ma.fields.Nested(ContactSchema)
    consent = ma.fields.Boolean(required=True, validate=ma.validate.Equal(
        True, error="You must agree to the privacy notice so we can store your details."))

    @ma.post_load
    def _to_columns(self, data, **kwargs):
        if "languages" in data:
            seen: dict[str, dict] = {}
            for lang in data["languages"]:
                seen.setdefault(lang["tag"], lang)
            data["languages"] = list(seen.values())
        if "remote_modes" in data:
            data["remote_modes"] = list(dict.fromkeys(data["remote_modes"]))
            if data["remote_modes"] and "offers_remote" not in data:
                data["offers_remote"] = True
        safeguarding = data.pop("safeguarding", None)
        if safeguarding is not None:
            for key in ("scheme", "status", "expires_on"):
                if key in safeguarding:
                    data[f"safeguarding_{key}"] = safeguarding[key]
        return flatten_contact(data)


class GroupPatchSchema(GroupInputSchema):
    """A change to a group: any field, and (for coordinators) its status."""

    consent = ma.fields.Boolean()
    status = ma.fields.String(validate=ma.validate.OneOf(GROUP_STATUSES))
    status_reason = ma.fields.String(validate=ma.validate.Length(max=1000), allow_none=True)


def _contact_if_allowed(group):
    # Contact details are private: only the coordinators and admins who manage the group.
    from flask import g
    if scope.can_manage_group(getattr(g, "api_user", None), group):
        return contact_of(group)
    return None


class GroupSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    description = ma.fields.String()
    interests = ma.fields.List(ma.fields.String())
    languages = ma.fields.List(ma.fields.Dict())
    postcode = ma.fields.String()
    town = ma.fields.String(allow_none=True)
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    geocode_precision = ma.fields.String()
    nation = ma.fields.String(validate=ma.validate.OneOf(NATIONS))
    local_authority_code = ma.fields.String(allow_none=True)
    local_authority_name = ma.fields.String(allow_none=True)
    travel_radius_km = ma.fields.Float()
    availability = ma.fields.List(ma.fields.String(), allow_none=True)
    capacity_per_month = ma.fields.Integer(allow_none=True)
    offers_remote = ma.fields.Boolean()
    remote_modes = ma.fields.List(ma.fields.String())
    works_with_children = ma.fields.Boolean()
    safeguarding = ma.fields.Function(lambda g: {
        "scheme": g.safeguarding_scheme, "status": g.safeguarding_status,
        "expires_on": g.safeguarding_expires_on.isoformat() if g.safeguarding_expires_on else None,
    })
    contact = ma.fields.Function(_contact_if_allowed, allow_none=True)
    consent_at = UtcDateTime(allow_none=True)
    privacy_notice_version = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    status_reason = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class GroupListArgs(ListArgs):
    kind = ma.fields.String(validate=ma.validate.OneOf(GROUP_KINDS))
    status = ma.fields.String(validate=ma.validate.OneOf(GROUP_STATUSES))


@blp.route("")
class Groups(MethodView):
    @blp.arguments(GroupListArgs(), location="query")
    @blp.response(200, GroupSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List groups (filters: nation, kind, status, local_authority, q)."""
        query = records.list_groups(current_user(), args)
        return paginated(query, pagination_parameters)

    @blp.arguments(GroupInputSchema())
    @blp.response(201, GroupSchema)
    def post(self, data):
        """Register a group; groups added by coordinators and admins are approved at once."""
        user = current_user()
        with service_errors():
            if not scope.can_create(user):
                raise records.Forbidden("Only coordinators and admins may add groups.")
            group, _, _ = records.create_group(
                db.session, postcode_index(), data, current_actor(), status="approved",
                source="api", privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"])
            if not scope.can_manage_group(user, group):
                raise records.Forbidden(
                    f"This postcode is in {group.nation}; you coordinate {user.nation}.")
            commit()
        return group


@blp.route("/<int:group_id>")
class GroupById(MethodView):
    @blp.response(200, GroupSchema)
    def get(self, group_id):
        """One group (contact details only for its nation's coordinators and admins)."""
        with service_errors():
            return records.get_group(db.session, group_id, current_user())

    @blp.arguments(GroupPatchSchema(partial=True))
    @blp.response(200, GroupSchema)
    def patch(self, data, group_id):
        """Change a group, e.g. approve it with ``{"status": "approved"}``."""
        user = current_user()
        with service_errors():
            group = records.get_group(db.session, group_id, user, manage=True)
            records.update_group(db.session, postcode_index(), group, data, current_actor())
            if not scope.can_manage_group(user, group):
                raise records.Forbidden(
                    f"This postcode is in {group.nation}; you coordinate {user.nation}.")
            commit()
        return group

    @blp.response(204)
    def delete(self, group_id):
        """Remove a group and its introductions."""
        with service_errors():
            group = records.get_group(db.session, group_id, current_user(), manage=True)
            records.delete_group(db.session, group, current_actor())
            commit()
