"""The coordinator's review helpers: rejecting a registration as a duplicate of another
group, and how long each registration has waited."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..extensions import db
from ..presentation import duplicates as duplicate_words
from ..services import duplicates
from ..services.errors import InvalidInput, ServiceError
from ..services.uow import unit_of_work
from .base import bp, roles_required, service_abort
from .forms import FormErrors
from .matching import postcode_index

COORDINATOR_ROLES = ("coordinator", "admin")


def possible_duplicates(group) -> list[dict]:
    """``[{id, name, reason}]`` for the review page (empty unless pending)."""
    found = duplicates.possible_duplicates(db.session, group, current_user)
    return duplicate_words.as_dicts(found, _)


@bp.app_template_filter("waited")
def waited(since: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """"waited 3 days" (under a day: "waited less than a day")."""
    if since is None:
        return ""
    since = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
    days = ((now or dt.datetime.now(dt.UTC)) - since).days
    if days < 1:
        return _("waited less than a day")
    return ngettext("waited %(num)d day", "waited %(num)d days", days)


@bp.route("/coordinator/groups/<int:group_id>/duplicate", methods=["POST"])
@roles_required(*COORDINATOR_ROLES)
def coordinator_duplicate(group_id: int):
    """Decline a registration as a duplicate of an existing group (the group is told which)."""
    text = request.form.get("duplicate_of") or ""
    original_id = int(text) if text.isdigit() and len(text) < 10 else None
    try:
        with unit_of_work(db.session):
            group, original = duplicates.reject_as_duplicate(
                db.session, postcode_index(), current_user._get_current_object(), group_id,
                original_id)
    except InvalidInput:
        from .coordinator import _group, review_page
        errors = FormErrors(["duplicate_of"])
        errors.add("duplicate_of", _("Choose the group this registration duplicates"))
        return review_page(_group(group_id), errors, status=422)
    except ServiceError as exc:
        service_abort(exc)  # 409 once it is no longer waiting for a decision
    flash(_("%(group)s was not approved, as a duplicate of %(original)s. The group has been "
            "told.", group=group.name, original=original.name), "success")
    return redirect(url_for("web.coordinator"), code=303)
