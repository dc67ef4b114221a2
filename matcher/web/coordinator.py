"""The coordinator's dashboard: approvals, introductions, the match list and search."""

from __future__ import annotations

import marshmallow as ma
from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import csvout
from ..extensions import db
from ..models import INTRODUCTION_STATUSES, NATIONS, CommunityGroup
from ..schemas.fields import check_characters
from ..services import introductions, records, reports, scope
from ..services.errors import ServiceError
from ..services.uow import unit_of_work
from . import forms
from .base import (
    INTRODUCTION_STATUS_LABELS,
    KIND_LABELS,
    VISITING_LABELS,
    bp,
    roles_required,
    service_abort,
)
from .forms import FormErrors
from .matching import postcode_index, ranker_cache
from .messages import page_message
from .workspace import possible_duplicates

COORDINATOR_ROLES = ("coordinator", "admin")
PAGE = 50


def _user():
    return current_user._get_current_object()


@bp.app_template_global()
def language_names(languages) -> list[str]:
    """Stored languages (``[{tag, name}]``) named in the page's language."""
    from ..domain.languages import language_name
    from ..i18n import current_language

    return [language_name(lang["tag"], current_language()) if lang.get("tag")
            else lang.get("name", "") for lang in languages or ()]


@bp.route("/coordinator")
@roles_required(*COORDINATOR_ROLES)
def coordinator():
    """Pending registrations, introductions by status, the match list and search."""
    view = reports.dashboard(db.session, _user(), nation=request.args.get("nation") or None,
                             status=request.args.get("status"), q=request.args.get("q"),
                             page=PAGE)
    return render_template(
        "coordinator/dashboard.html", nation=view.nation, pending=view.pending,
        pending_total=view.pending_total, counts=view.counts, statuses=INTRODUCTION_STATUSES,
        recent=view.recent, status_filter=view.status_filter, q=view.q, homes=view.homes,
        groups=view.groups, nations=NATIONS, allowed_next=introductions.allowed_next,
        changed=view.changed,
    )


def _group(group_id: int) -> CommunityGroup:
    try:
        return records.get_group(db.session, group_id, _user(), manage=True)
    except ServiceError as exc:
        service_abort(exc)


def _shown(key: str, value) -> str:
    """A group's field as the review page shows it."""
    if value in (None, "", []):
        return _("Not given")
    if key == "languages":
        return ", ".join(lang.get("name") or lang.get("tag", "") for lang in value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key == "kind":
        return KIND_LABELS.get(value, value)
    return str(value.isoformat() if hasattr(value, "isoformat") else value)


def _proposed_rows(group) -> list[tuple[str, str, str]]:
    """``(field, published, proposed)`` for each change the group proposed."""
    waiting = group.pending_changes or {}
    return [(forms.REVIEWED_LABELS.get(key, key).capitalize(),
             _shown(key, getattr(group, key)), _shown(key, waiting[key]))
            for key in forms.GROUP_ORDER if key in waiting]


@bp.route("/coordinator/groups/<int:group_id>")
@roles_required(*COORDINATOR_ROLES)
def coordinator_group(group_id: int):
    """Everything about one group, with the approve and reject forms when it is pending,
    and the changes it proposed through its link, to publish or decline."""
    return review_page(_group(group_id))


def review_page(group, errors=None, reason: str = "", status: int = 200, *,
                merge_with: str = "", named=None):
    """The review page of ``group`` (with ``errors`` in a decision, answered ``status``;
    ``named``: the groups that ``merge_with`` names, to choose one to merge into)."""
    return render_template("coordinator/group.html", group=group, errors=errors, reason=reason,
                           history=introductions.for_group(db.session, group.id),
                           proposed=_proposed_rows(group),
                           duplicates=possible_duplicates(group), merge_with=merge_with,
                           named=named or []), status


@bp.route("/coordinator/groups/<int:group_id>/changes", methods=["POST"])
@roles_required(*COORDINATOR_ROLES)
def coordinator_changes(group_id: int):
    """Publish or decline the changes an approved group proposed through its link."""
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    try:
        with unit_of_work(db.session):
            group = records.decide_changes(db.session, postcode_index(), _user(), group_id,
                                           decision)
    except ServiceError as exc:
        service_abort(exc)
    flash(_("The changes to %(name)s are published.", name=group.name) if decision == "approve"
          else _("The changes were declined: %(name)s stays as it was.", name=group.name),
          "success")
    return redirect(url_for("web.coordinator_group", group_id=group_id), code=303)


@bp.route("/coordinator/groups/<int:group_id>/decision", methods=["POST"])
@roles_required(*COORDINATOR_ROLES)
def coordinator_decision(group_id: int):
    """Approve a registration, or reject it with a reason the group will see."""
    group = _group(group_id)
    decision = request.form.get("decision")
    reason = (request.form.get("status_reason") or "").strip()
    errors = FormErrors(["status_reason"])
    if decision not in ("approve", "reject", "pause", "reinstate"):
        abort(400)
    if decision == "reject" and not reason:
        errors.add("status_reason", _("Enter the reason for not approving this group"))
    if len(reason) > 1000:
        errors.add("status_reason", _("Reason must be 1000 characters or fewer"))
    try:
        check_characters(reason, multiline=True)
    except ma.ValidationError as exc:
        errors.add("status_reason", page_message(str(exc.messages[0])).rstrip("."))
    if errors:
        return review_page(group, errors, reason, 422)
    try:
        with unit_of_work(db.session):
            records.decide_group(db.session, postcode_index(), _user(), group_id, decision,
                                 reason)
    except ServiceError as exc:
        service_abort(exc)
    message = {
        "approve": _("%(name)s is approved: care homes nearby can now see it.",
                     name=group.name),
        "reinstate": _("%(name)s is approved again.", name=group.name),
        "reject": _("%(name)s was not approved. The group will see your reason.",
                    name=group.name),
        "pause": _("%(name)s is paused: it no longer appears in suggestions.", name=group.name),
    }[decision]
    flash(message, "success")
    return redirect(url_for("web.coordinator"), code=303)


@bp.route("/coordinator/introductions/<int:intro_id>/status", methods=["POST"])
@roles_required(*COORDINATOR_ROLES)
def coordinator_introduction(intro_id: int):
    """Move an introduction on, e.g. from requested to introduced."""
    new_status = request.form.get("status")
    try:
        with unit_of_work(db.session):
            intro = introductions.change_introduction(
                db.session, _user(), intro_id, new_status,
                secret=current_app.config["SECRET_KEY"])
    except ServiceError as exc:
        if exc.status in (403, 404):
            service_abort(exc)
        flash(page_message(exc.message), "info")
        return redirect(url_for("web.coordinator", _anchor="introductions"), code=303)
    flash(_("Introduction of %(group)s to %(home)s is now %(status)s.", group=intro.group.name,
            home=intro.care_home.name,
            status=str(INTRODUCTION_STATUS_LABELS.get(new_status, new_status)).lower()),
          "success")
    return redirect(url_for("web.coordinator", _anchor="introductions"), code=303)


@bp.route("/coordinator/match-list.csv")
@roles_required(*COORDINATOR_ROLES)
def coordinator_match_list():
    """The nation's match list as a CSV download (the whole network for an admin): English
    unless ``lang=cy`` asks for Welsh headers and reasons, whatever the pages' language."""
    from ..services import match_lists

    nation = scope.nation_in_view(_user(), request.args.get("nation") or None)
    with force_locale("cy" if request.args.get("lang") == "cy" else "en"):
        body = match_lists.match_list_csv(db.session, ranker_cache(), nation=nation)
    name = csvout.dated_filename(f"kith-match-list-{nation or 'uk'}")
    return Response(body, mimetype=csvout.MIMETYPE, headers=csvout.download_headers(name))


def _page_arg() -> int:
    text = request.args.get("page", "1")
    return int(text) if text.isdigit() and len(text) < 7 else 1


@bp.route("/coordinator/care-homes")
@roles_required(*COORDINATOR_ROLES)
def coordinator_care_homes():
    """The care homes of the nation: search, filters (local authority, visiting, partners in
    reach) and pages, each linking to the home's profile and suggestions."""
    from ..services import home_list

    filters = home_list.clean_filters(request.args)
    view = home_list.list_homes(db.session, _user(), nation=request.args.get("nation") or None,
                                filters=filters, page=_page_arg(), per_page=PAGE)
    query = {**filters, **({"nation": view.nation} if _user().role == "admin" and view.nation
                           else {})}

    def page_url(number: int) -> str:
        return url_for("web.coordinator_care_homes", page=number, **query)

    return render_template(
        "coordinator/care_homes.html", view=view, page_url=page_url,
        la_choices=[{"value": code, "text": name} for code, name in view.local_authorities],
        visiting_choices=[{"value": code, "text": label}
                          for code, label in VISITING_LABELS.items()])


@bp.route("/coordinator/import-reviews")
@roles_required(*COORDINATOR_ROLES)
def coordinator_import_reviews():
    """Register rows that may continue a home already in Kith, waiting for a coordinator."""
    from ..services import import_reviews

    return render_template("coordinator/import_reviews.html",
                           reviews=import_reviews.reviews_for(db.session, _user()))


@bp.route("/coordinator/import-reviews/<int:review_id>", methods=["POST"])
@roles_required(*COORDINATOR_ROLES)
def coordinator_import_review(review_id: int):
    """Settle one: the same home (it takes the row's details) or a different one (added)."""
    from ..services import import_reviews

    answer = request.form.get("answer")
    if answer not in ("same", "different"):
        abort(400)
    try:
        with unit_of_work(db.session):
            review = import_reviews.confirm_for(db.session, _user(), review_id,
                                                answer == "same")
    except ServiceError as exc:
        if exc.status in (403, 404):
            service_abort(exc)
        flash(page_message(exc.message), "info")
        return redirect(url_for("web.coordinator_import_reviews"), code=303)
    flash(_("%(name)s is the same home as before: it keeps its record and history.",
            name=review.name) if answer == "same" else
          _("%(name)s is added as a new care home.", name=review.name), "success")
    return redirect(url_for("web.coordinator_import_reviews"), code=303)
