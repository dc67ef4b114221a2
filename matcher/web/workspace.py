"""The coordinator's review helpers: rejecting a registration as a duplicate of another
group or merging it into that group, and how long each registration has waited."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from ..domain import merging
from ..domain.languages import language_name
from ..extensions import db
from ..i18n import current_language
from ..presentation import duplicates as duplicate_words
from ..presentation.reasons import describe_slots
from ..services import duplicates
from ..services.errors import InvalidInput, ServiceError
from ..services.uow import unit_of_work
from .base import (
    KIND_LABELS,
    REMOTE_MODE_LABELS,
    SAFEGUARDING_STATUS_LABELS,
    _date_long,
    _km,
    bp,
    roles_required,
    service_abort,
)
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


# --- merging a registration into the group it duplicates ---------------------------------------

# Each part's name on the merge page (most as on the review page).
PART_LABELS = {
    "name": _l("Name"), "kind": _l("Kind of group"), "description": _l("Description"),
    "interests": _l("Activities"), "languages": _l("Languages"),
    "postcode": _l("Postcode and town"),
    "travel_radius_km": _l("Travels up to"), "availability": _l("Can visit"),
    "capacity_per_month": _l("Visits a month"), "remote": _l("Remote contact"),
    "works_with_children": _l("Children take part"), "safeguarding": _l("Safeguarding check"),
    "contact": _l("Contact"),
}


# The same in a sentence ("…, which now has its activities and contact").
PART_WORDS = {
    "name": _l("name"), "kind": _l("kind of group"), "description": _l("description"),
    "interests": _l("activities"), "languages": _l("languages"),
    "postcode": _l("postcode and town"), "travel_radius_km": _l("travel distance"),
    "availability": _l("times to visit"), "capacity_per_month": _l("visits a month"),
    "remote": _l("remote contact"), "works_with_children": _l("whether children take part"),
    "safeguarding": _l("safeguarding check"), "contact": _l("contact"),
}


def part_lines(key: str, values: dict) -> list[str]:
    """A part's values as the merge page shows them: one line each (empty: "Not given")."""
    from .coordinator import language_names

    lines: list[str] = []
    if key == "kind":
        lines = [str(KIND_LABELS.get(values["kind"], values["kind"] or ""))]
    elif key == "interests":
        lines = [", ".join(values["interests"] or ())]
    elif key == "languages":
        lines = [", ".join(language_names(values["languages"]))]
    elif key == "postcode":
        lines = [", ".join(value for value in (values["postcode"], values["town"]) if value)]
    elif key == "travel_radius_km":
        lines = [_km(values["travel_radius_km"])]
    elif key == "availability":
        slots = values["availability"]
        lines = [describe_slots(slots, limit=14) if slots else _("Flexible")]
    elif key == "remote":
        modes = [str(REMOTE_MODE_LABELS.get(m, m)).lower() for m in values["remote_modes"] or ()]
        lines = [", ".join(modes) or _("Yes") if values["offers_remote"] else _("No")]
    elif key == "works_with_children":
        lines = [_("Yes") if values["works_with_children"] else _("No")]
    elif key == "safeguarding":
        status = values["safeguarding_status"]
        lines = [values["safeguarding_scheme"] or "",
                 str(SAFEGUARDING_STATUS_LABELS.get(status, "")) if status else "",
                 _("Expires %(date)s", date=_date_long(values["safeguarding_expires_on"]))
                 if values["safeguarding_expires_on"] else ""]
    elif key == "contact":
        lines = [values["contact_name"] or "", values["contact_email"] or "",
                 values["contact_phone"] or "",
                 _("Written to in %(language)s",
                   language=language_name(values["preferred_language"] or "en",
                                          current_language()))]
    else:
        value = values[merging.part(key).fields[0]]
        lines = ["" if value is None else str(value)]
    lines = [line for line in lines if line]
    return lines or [_("Not given")]


def _merge_page(group, original, found, choices, errors=None, status: int = 200):
    rows = [{"key": d.part.key, "label": PART_LABELS[d.part.key],
             "kept": part_lines(d.part.key, d.kept), "taken": part_lines(d.part.key, d.taken),
             "combined": part_lines(d.part.key, d.combined) if d.combined else None,
             "choice": choices.get(d.part.key)} for d in found]
    return render_template("coordinator/merge.html", group=group, original=original,
                           rows=rows, errors=errors), status


def _preview(user, group_id: int, original_id: int):
    try:
        return duplicates.merge_preview(db.session, user, group_id, original_id)
    except InvalidInput:
        abort(404)  # no such group to merge into, as far as this coordinator can see
    except ServiceError as exc:
        service_abort(exc)


# Groups offered when what was typed names several (one more is fetched to know there are more).
NAMED_SHOWN = 10


@bp.route("/coordinator/groups/<int:group_id>/merge")
@roles_required(*COORDINATOR_ROLES)
def coordinator_merge_find(group_id: int):
    """Find, by name, postcode or number, the group a registration duplicates when the
    check did not flag it: one match opens the comparison, several are listed to choose."""
    from .coordinator import _group, review_page

    group = _group(group_id)
    text = " ".join((request.args.get("merge_with") or "").split())[:200]
    try:
        named = duplicates.groups_named(db.session, current_user._get_current_object(),
                                        group, text, limit=NAMED_SHOWN + 1)
    except ServiceError as exc:
        service_abort(exc)  # 409 once it is no longer waiting for a decision
    if len(named) == 1:
        return redirect(url_for("web.coordinator_merge", group_id=group.id,
                                original_id=named[0].id), code=303)
    errors = FormErrors(["merge_with"])
    if not text:
        errors.add("merge_with", _("Enter the name, postcode or number of the group it "
                                   "duplicates"))
    elif not named:
        errors.add("merge_with", _("No group in your network matches ‘%(text)s’", text=text))
    elif len(named) > NAMED_SHOWN:
        errors.add("merge_with", _("More than %(num)d groups match ‘%(text)s’: choose one, or "
                                   "add its town or postcode", num=NAMED_SHOWN, text=text))
    else:
        errors.add("merge_with", _("%(num)d groups match ‘%(text)s’: choose one",
                                   num=len(named), text=text))
    return review_page(group, errors, status=422, merge_with=text, named=named[:NAMED_SHOWN])


@bp.route("/coordinator/groups/<int:group_id>/merge/<int:original_id>",
          methods=["GET", "POST"])
@roles_required(*COORDINATOR_ROLES)
def coordinator_merge(group_id: int, original_id: int):
    """Compare a registration with the group it duplicates and choose, part by part, what
    that group keeps; merging declines the registration and tells its contact."""
    user = current_user._get_current_object()
    if request.method == "GET":
        group, original, found = _preview(user, group_id, original_id)
        return _merge_page(group, original, found, merging.default_choices(found))
    choices = {part.key: request.form[f"part-{part.key}"] for part in merging.PARTS
               if f"part-{part.key}" in request.form}
    try:
        with unit_of_work(db.session):
            group, original, taken = duplicates.merge_into(
                db.session, postcode_index(), user, group_id, original_id, choices)
    except InvalidInput as exc:
        # The page again with what was chosen, marked where it cannot be made.
        group, original, found = _preview(user, group_id, original_id)
        errors = FormErrors([f"part-{d.part.key}" for d in found])
        for key in exc.errors:
            errors.add(f"part-{key}", _("Choose what %(name)s keeps for %(part)s",
                                        name=original.name,
                                        part=str(PART_WORDS[key])))
        return _merge_page(group, original, found,
                           {**merging.default_choices(found), **choices}, errors, 422)
    except ServiceError as exc:
        service_abort(exc)  # 409: decided meanwhile; 403: moved out of the nation
    if taken:
        parts = [str(PART_WORDS[key]) for key in taken]
        words = parts[0] if len(parts) == 1 else _(
            "%(items)s and %(last)s", items=_(", ").join(parts[:-1]), last=parts[-1])
        flash(_("%(group)s was merged into %(original)s, which now has its %(parts)s. The "
                "registration was closed and its contact told.", group=group.name,
                original=original.name, parts=words), "success")
    else:
        flash(_("%(group)s was merged into %(original)s, which kept all its own details. The "
                "registration was closed and its contact told.", group=group.name,
                original=original.name), "success")
    return redirect(url_for("web.coordinator_group", group_id=original.id), code=303)
