"""``/api/v1/audit``: the audit trail (admins only) - who changed what, and when."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask.views import MethodView

from ..schemas.fields import MAX_ID, Text
from ..services import audit
from .base import Blueprint
from .common import UtcDateTime, current_user, paginated, service_errors

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="The audit trail of every change (admins only).")

ENTITY_TYPES = ("care_homes", "community_groups", "introductions", "users", "allocations")


class AuditArgs(ma.Schema):
    entity_type = ma.fields.String(validate=ma.validate.OneOf(ENTITY_TYPES))
    entity_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    action = Text(max_length=20)
    actor = Text(max_length=100, metadata={
        "description": "A user id, or part of the actor's label (e.g. an email address, "
                       "'group-link', 'public-form', 'cli', 'system')."})
    since = ma.fields.AwareDateTime(default_timezone=dt.UTC, metadata={
        "description": "Entries at or after this time (ISO 8601; UTC when no offset)."})
    until = ma.fields.AwareDateTime(default_timezone=dt.UTC, metadata={
        "description": "Entries before this time."})


class AuditEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    at = UtcDateTime()
    user_id = ma.fields.Integer(allow_none=True)
    actor = ma.fields.String(metadata={
        "description": "user:<id>:<email>, group-link:<group id>, public-form, cli:<login> or "
                       "system."})
    action = ma.fields.String(metadata={
        "description": "create, update, status, delete, withdraw, purge, revoke, issue, lock, "
                       "regeocode."})
    entity_type = ma.fields.String()
    entity_id = ma.fields.Integer(allow_none=True)
    changes = ma.fields.Dict(metadata={
        "description": "{field: [old, new]} for updates; personal fields show only that they "
                       "changed, and erased data reads '(erased)'."})


@blp.route("")
class AuditTrail(MethodView):
    @blp.arguments(AuditArgs(), location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.alt_response(403, description="Only admins may read the audit trail.")
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Audit entries, newest first (filters: entity_type, entity_id, action, actor, since,
        until)."""
        with service_errors():
            query = audit.search_for(current_user(), args)
        return paginated(query, pagination_parameters)
