"""``/api/v1/groups``: community groups and volunteers (partners)."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_babel import gettext

from ..extensions import db
from ..models import GROUP_KINDS, GROUP_STATUSES, NATIONS
from ..presentation import duplicates as duplicate_words
from ..schemas.fields import contact_of
from ..schemas.groups import GroupInputSchema, GroupPatchSchema
from ..services import duplicates, records, scope
from ..services.uow import unit_of_work
from .base import Blueprint
from .common import (
    ListArgs,
    UtcDateTime,
    current_user,
    paginated,
    postcode_index,
    service_errors,
    viewer,
    with_viewer,
)

blp = Blueprint("groups", __name__, url_prefix="/api/v1/groups",
                description="Community groups and volunteers who could visit care homes.")


def _contact_if_allowed(group):
    # Contact details are private: only the coordinators and admins who manage the group.
    if scope.can_manage_group(viewer(), group):
        return contact_of(group)
    return None


def _pending_if_allowed(group):
    if group.pending_changes and scope.can_manage_group(viewer(), group):
        return group.pending_changes
    return None


def _duplicates_if_pending(group):
    # Only a pending registration is checked, and only for those who review it.
    found = duplicates.possible_duplicates(db.session, group, viewer())
    return duplicate_words.as_dicts(found, gettext)


DUPLICATE_ITEM = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"},
    "reason": {"type": "string", "example": "same email; similar name, 0.2 km away"}}}


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
    preferred_language = ma.fields.String(
        metadata={"description": "The language Kith writes to the contact in (`cy` or `en`)."})
    pending_changes = ma.fields.Function(
        _pending_if_allowed, allow_none=True,
        metadata={"description": "Changes the group made through its private link that "
                  "wait for a coordinator (its nation's coordinators and admins only)."})
    possible_duplicates = ma.fields.Function(
        _duplicates_if_pending, metadata={
            "type": "array", "items": DUPLICATE_ITEM,
            "description": "For a pending registration, seen by its nation's coordinators "
            "and admins: existing groups it may duplicate (same email, same phone, or a "
            "name at least 85% similar within 5 km), strongest first; otherwise empty."})
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
    decorators = [with_viewer]
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
        with service_errors(), unit_of_work(db.session):
            return records.add_group(
                db.session, postcode_index(), current_user(), data,
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"])


@blp.route("/<int:group_id>")
class GroupById(MethodView):
    decorators = [with_viewer]
    @blp.response(200, GroupSchema)
    def get(self, group_id):
        """One group (contact details only for its nation's coordinators and admins)."""
        with service_errors():
            return records.get_group(db.session, group_id, current_user())

    @blp.arguments(GroupPatchSchema())
    @blp.response(200, GroupSchema)
    def patch(self, data, group_id):
        """Change a group, e.g. approve it with ``{"status": "approved"}``."""
        with service_errors(), unit_of_work(db.session):
            return records.change_group(db.session, postcode_index(), current_user(),
                                        group_id, data)

    @blp.response(204)
    def delete(self, group_id):
        """Remove a group and its introductions."""
        with service_errors(), unit_of_work(db.session):
            records.remove_group(db.session, current_user(), group_id)
