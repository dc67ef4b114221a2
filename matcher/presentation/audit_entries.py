"""Audit entries in plain words: "Group approved", "Status: Waiting for approval → Approved".

The trail stores table names, action codes and ``{field: [old, new]}``; people reading it
want what happened, to what, in the words the pages use. Every phrase goes through the
``gettext`` the caller passes (the page's language); the words are marked with ``N_`` so
``make translations`` extracts them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..domain import catalogue
from . import translation

__all__ = ["action_label", "actor_label", "change_lines", "entity_label"]

Gettext = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802 - the marker pybabel extracts (``-k N_``)
    return message


ENTITIES = {
    "care_homes": N_("Care home"), "community_groups": N_("Group"),
    "introductions": N_("Introduction"), "visits": N_("Visit"), "users": N_("Account"),
    "allocations": N_("Allocation"), "outbox_messages": N_("Email"),
    "visit_feedback": N_("Visit feedback"), "import_reviews": N_("Import review"),
}

# (table, action) or (table, action, new status) -> what happened.
LABELS = {
    ("community_groups", "create"): N_("Group registered"),
    ("community_groups", "update"): N_("Group details changed"),
    ("community_groups", "delete"): N_("Group deleted"),
    ("community_groups", "status", "approved"): N_("Group approved"),
    ("community_groups", "status", "rejected"): N_("Group not approved"),
    ("community_groups", "status", "paused"): N_("Group paused"),
    ("community_groups", "status", "pending"): N_("Group waiting for approval"),
    ("community_groups", "withdraw"): N_("Group withdrawn and its details erased"),
    ("community_groups", "propose"): N_("Changes proposed by the group"),
    ("community_groups", "decline"): N_("Proposed changes declined"),
    ("community_groups", "duplicate"): N_("Rejected as a duplicate"),
    ("community_groups", "merge"): N_("Merged into the group it duplicated"),
    ("community_groups", "purge"): N_("Registration deleted after the retention period"),
    ("community_groups", "calendar"): N_("Calendar address renewed"),
    ("community_groups", "regeocode"): N_("Location updated"),
    ("care_homes", "create"): N_("Care home added"),
    ("care_homes", "update"): N_("Care home details changed"),
    ("care_homes", "status"): N_("Visiting status changed"),
    ("care_homes", "delete"): N_("Care home removed"),
    ("care_homes", "calendar"): N_("Calendar address renewed"),
    ("care_homes", "regeocode"): N_("Location updated"),
    ("introductions", "create"): N_("Introduction created"),
    ("introductions", "update"): N_("Introduction changed"),
    ("introductions", "status", "suggested"): N_("Introduction suggested"),
    ("introductions", "status", "requested"):
        catalogue.labels(catalogue.INTRODUCTION_STATUSES)["requested"],
    ("introductions", "status", "introduced"): N_("Introduction made"),
    ("introductions", "status", "active"): N_("Introduction active"),
    ("introductions", "status", "ended"): N_("Introduction ended"),
    ("introductions", "status", "declined"): N_("Introduction declined"),
    ("visits", "create"): N_("Visit planned"),
    ("visits", "update"): N_("Visit changed"),
    ("visits", "feedback"): N_("Feedback on a visit"),
    ("users", "create"): N_("Account created"),
    ("users", "invite"): N_("Invitation sent"),
    ("users", "password"): N_("Password set"),
    ("users", "issue"): N_("API token issued"),
    ("users", "revoke"): N_("API token revoked"),
    ("users", "lock"): N_("Sign-in paused after failed attempts"),
    ("users", "deactivate"): N_("Account deactivated"),
    ("users", "reactivate"): N_("Account reactivated"),
    ("allocations", "create"): N_("Allocation made"),
    ("outbox_messages", "email"): N_("Email queued"),
    ("outbox_messages", "retry"): N_("Email sent again"),
}
# Any other action on any record: "<record>: <what>".
ACTIONS = {
    "create": N_("created"), "update": N_("changed"), "status": N_("status changed"),
    "delete": N_("deleted"),
}
RECORD_ACTION = N_("{record}: {action}")
# Changes whose value is a list of field names (the fields a merge took, the proposed
# changes a coordinator declined).
FIELD_LISTS = ("fields", "pending_changes")

FIELDS = {
    "name": N_("Name"), "kind": N_("Kind"), "description": N_("Description"),
    "interests": N_("Interests"), "languages": N_("Languages"), "postcode": N_("Postcode"),
    "town": N_("Town"), "lat": N_("Latitude"), "lon": N_("Longitude"),
    "nation": N_("Nation"), "local_authority_code": N_("Local authority code"),
    "local_authority_name": N_("Local authority"),
    "geocode_precision": N_("Location found from"),
    "travel_radius_km": N_("Travels up to (km)"), "search_radius_km": N_("Search radius (km)"),
    "capacity_per_month": N_("Visits a month"), "availability": N_("Availability"),
    "offers_remote": N_("Remote contact"), "remote_modes": N_("Ways of remote contact"),
    "works_with_children": N_("Children take part"),
    "safeguarding_scheme": N_("Safeguarding check"),
    "safeguarding_status": N_("Safeguarding status"),
    "safeguarding_expires_on": N_("Safeguarding check expires"),
    "contact_name": N_("Contact name"), "contact_email": N_("Contact email"),
    "contact_phone": N_("Contact phone"), "status": N_("Status"),
    "status_reason": N_("Reason"), "reason": N_("Reason"), "approved_at": N_("Approved"),
    "source": N_("Source"), "residents": N_("Residents"), "care_types": N_("Care types"),
    "facilities": N_("Facilities"), "visiting_status": N_("Visiting"),
    "visiting_review_date": N_("Visiting reviewed on"), "email": N_("Email"),
    "role": N_("Role"), "active": N_("Can sign in"), "token": N_("Token"),
    "expires_at": N_("Expires"), "locked_until": N_("Paused until"),
    "address": N_("From address"), "via": N_("Through"), "valid_for": N_("Link valid for"),
    "template": N_("Email"), "recipient_role": N_("To"), "event": N_("Event"),
    "notes": N_("Notes"), "message": N_("Message"), "duplicate_of": N_("Duplicate of group"),
    "merged_into": N_("Merged into group"), "fields": N_("Details taken"),
    "consent_at": N_("Agreed to privacy notice"),
    "privacy_notice_version": N_("Privacy notice version"),
    "preferred_language": N_("Language we write in"),
    "care_home_id": N_("Care home"), "group_id": N_("Group"), "score": N_("Score"),
    "per_home": N_("Partners per home"), "strategy": N_("Strategy"), "kinds": N_("Kinds"),
    "pending_changes": N_("Changes"), "rating": N_("Rating"), "respondent": N_("From"),
    "occurrence": N_("Visit on"), "calendar_address": N_("Calendar address"),
    "starts_at": N_("Starts"), "duration_minutes": N_("Minutes"), "mode": N_("How"),
    "repeat": N_("Repeats"), "repeat_until": N_("Repeats until"), "state": N_("State"),
}

_STATUS_TERMS = {
    "community_groups": catalogue.GROUP_STATUSES,
    "introductions": catalogue.INTRODUCTION_STATUSES,
}
_VALUE_TERMS = {
    "kind": catalogue.GROUP_KINDS, "visiting_status": catalogue.VISITING_STATUSES,
    "role": catalogue.ROLES, "nation": catalogue.NATIONS,
    "safeguarding_status": catalogue.SAFEGUARDING_STATUSES,
}
# The emails, by template, as a reader would name them.
EMAILS = {
    "coordinator_digest": N_("Coordinators' daily summary"),
    "edit_link": N_("Private link to a registration"),
    "introduction_declined": N_("Introduction declined"),
    "introduction_ended": N_("Introduction ended"),
    "introduction_made_group": N_("Introduction made (to the group)"),
    "introduction_made_home": N_("Introduction made (to the care home)"),
    "introduction_requested_coordinator": N_("Introduction requested (to the coordinators)"),
    "introduction_requested_group": N_("Introduction requested (to the group)"),
    "introduction_withdrawn": N_("Introduction withdrawn"),
    "invitation": N_("Invitation to Kith"),
    "password_reset": N_("Password reset"),
    "registration_approved": N_("Registration approved"),
    "registration_declined": N_("Registration declined"),
    "registration_merged": N_("Registration merged into an existing group"),
    "registration_received": N_("Registration received"),
    "safeguarding_expiry": N_("Safeguarding check expiring"),
    "visit_changed": N_("Visit changed"),
    "visit_feedback": N_("How did the visit go?"),
    "visit_planned": N_("Visit planned"),
    "visit_reminder": N_("Visit reminder"),
    "visiting_restricted": N_("Visiting restricted"),
}
RECIPIENTS = {**{role.code: role.label for role in catalogue.ROLES}, "group": N_("The group")}
YES, NO, NONE = N_("Yes"), N_("No"), N_("(none)")
ERASED, CHANGED = N_("(erased)"), N_("changed (not shown)")
ARROW = N_("{field}: {old} → {new}")
ONLY = N_("{field}: {value}")
ACTORS = {"system": N_("Kith (automatic)"), "public-form": N_("The public registration form"),
          "cli": N_("Command line"), "feedback-link": N_("A visit feedback link")}
GROUP_LINK = N_("The group, through its private link")


def entity_label(entity_type: str, gettext: Gettext = N_) -> str:
    """"Group", "Care home"; unknown tables read as words."""
    known = ENTITIES.get(entity_type)
    return gettext(known) if known else entity_type.replace("_", " ").capitalize()


def _new_status(changes: Mapping[str, Any] | None) -> Any:
    value = (changes or {}).get("status")
    return value[1] if isinstance(value, list) and len(value) == 2 else value


def action_label(entity_type: str, action: str, changes: Mapping[str, Any] | None = None,
                 gettext: Gettext = N_) -> str:
    """What happened, as a phrase: "Group approved", "Account deactivated"."""
    status = _new_status(changes) if action == "status" else None
    label = LABELS.get((entity_type, action, status)) or LABELS.get((entity_type, action))
    if label:
        return gettext(label)
    what = ACTIONS.get(action)
    return gettext(RECORD_ACTION).format(record=entity_label(entity_type, gettext),
                                         action=gettext(what) if what else action)


def actor_label(label: str, gettext: Gettext = N_) -> str:
    """Who: a user's email address, or what acted for nobody in particular."""
    if label.startswith("user:"):
        return label.split(":", 2)[-1]
    if label.startswith("group-link"):
        return gettext(GROUP_LINK)
    known = ACTORS.get(label)
    return gettext(known) if known else label


def _terms_for(entity_type: str, key: str):
    if key == "status":
        return _STATUS_TERMS.get(entity_type)
    return _VALUE_TERMS.get(key)


def _when(text: str) -> str | None:
    if len(text) < 10 or text[4:5] != "-" or text[7:8] != "-":
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    # The month in the reader's language ("4 Rhag 2026"), as the rest of the page.
    if len(text) == 10:
        return translation.format_date(value.date(), "d MMM y")
    value = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    return f"{translation.format_date(value.date(), 'd MMM y')} {value:%H:%M} UTC"


def _value(entity_type: str, key: str, value: Any, gettext: Gettext) -> str:
    if value is None or value == "" or value == []:
        return gettext(NONE)
    if value == "(erased)":
        return gettext(ERASED)
    if isinstance(value, bool):
        return gettext(YES if value else NO)
    if key in FIELD_LISTS and isinstance(value, list):
        return ", ".join(_field(str(item), gettext) for item in value)
    named = {"template": EMAILS, "recipient_role": RECIPIENTS}.get(key)
    if named and isinstance(value, str) and value in named:
        return gettext(named[value])
    terms = _terms_for(entity_type, key)
    if terms and isinstance(value, str):
        labels = catalogue.labels(terms)
        return gettext(labels[value]) if value in labels else value
    if isinstance(value, str):
        return _when(value) or value
    if isinstance(value, list):
        return ", ".join(
            str(item.get("name") or item.get("tag") or json.dumps(item, ensure_ascii=False))
            if isinstance(item, dict) else _value(entity_type, key, item, gettext)
            for item in value)
    if isinstance(value, dict):
        return ", ".join(_field(key, gettext) for key in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _field(key: str, gettext: Gettext) -> str:
    known = FIELDS.get(key)
    return gettext(known) if known else key.replace("_", " ").capitalize()


def change_lines(entity_type: str, action: str, changes: Mapping[str, Any] | None,
                 gettext: Gettext = N_) -> list[str]:
    """One line per field: "Status: Waiting for approval → Approved"; a new record's fields,
    and facts recorded alone, as "Role: Network coordinator"; personal details only as
    changed."""
    lines = []
    for key, value in (changes or {}).items():
        field = _field(key, gettext)
        if value == "(changed)":
            lines.append(gettext(ONLY).format(field=field, value=gettext(CHANGED)))
        elif isinstance(value, list) and len(value) == 2 and not (
                key in ("languages", "interests", "availability", "remote_modes", "kinds",
                        "care_types", "facilities", "pending_changes")
                and not all(isinstance(v, list) or v is None for v in value)):
            old, new = value
            if old is None and action == "create":
                lines.append(gettext(ONLY).format(
                    field=field, value=_value(entity_type, key, new, gettext)))
            else:
                lines.append(gettext(ARROW).format(
                    field=field, old=_value(entity_type, key, old, gettext),
                    new=_value(entity_type, key, new, gettext)))
        else:
            lines.append(gettext(ONLY).format(field=field,
                                              value=_value(entity_type, key, value, gettext)))
    return lines
