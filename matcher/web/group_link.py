"""A group's private edit link: change details, download the data, withdraw."""

from __future__ import annotations

import json

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
from flask_babel import gettext as _

from ..extensions import db, rate_limited
from ..models import CommunityGroup
from ..services import introductions, notifications, privacy, records
from ..services.errors import Conflict, InvalidInput, ServiceError
from ..services.uow import unit_of_work
from . import forms
from .base import KIND_LABELS, REMOTE_MODE_LABELS, bp, service_abort
from .matching import postcode_index
from .messages import page_message


def _group_for(token: str) -> CommunityGroup:
    group = records.group_for_token(db.session, token)
    if group is None:
        abort(404)
    return group


def _edit_page(group, token, values, errors, status=200):
    waiting = [forms.REVIEWED_LABELS.get(key, key) for key in forms.GROUP_ORDER
               if key in (group.pending_changes or {})]
    intros = introductions.for_group_link(db.session, group)
    return render_template(
        "group/edit.html", group=group, token=token, values=values, errors=errors,
        waiting=waiting,
        kinds=[{"value": k, "text": v} for k, v in KIND_LABELS.items()],
        remote_modes=REMOTE_MODE_LABELS, introductions=intros,
        home_contacts={i.id: introductions.home_contact(db.session, i.care_home)
                       for i in intros if introductions.contacts_shared(i)},
    ), status


@bp.route("/groups/edit/<token>", methods=["GET", "POST"])
def group_edit(token: str):
    """Change a group's details through its private link (same rules as registration)."""
    group = _group_for(token)
    if request.method == "GET":
        return _edit_page(group, token, forms.group_values_from_record(group, proposed=True),
                          None)
    values = forms.group_values_from_form(request.form)
    data, errors = forms.validate_group(values, request.form, editing=True)
    if errors:
        return _edit_page(group, token, values, errors, 422)
    try:
        with unit_of_work(db.session):
            records.change_group_by_link(db.session, postcode_index(), group, data)
    except InvalidInput as exc:
        errors = forms.FormErrors(forms.GROUP_ORDER, dict(forms.GROUP_ANCHORS))
        forms.add_service_errors(errors, exc.errors)
        return _edit_page(_group_for(token), token, values, errors, 422)
    if group.pending_changes:
        flash(_("Your changes have been saved. Changes to what care homes see wait for your "
                "network coordinator's approval."), "success")
    else:
        flash(_("Your changes have been saved."), "success")
    return redirect(url_for("web.group_edit", token=token), code=303)


@bp.route("/groups/edit/<token>/introductions/<int:intro_id>", methods=["POST"])
def group_answer(token: str, intro_id: int):
    """The group accepts a home's request (contacts are exchanged by email) or declines it."""
    group = _group_for(token)
    answer = request.form.get("answer", "")
    try:
        with unit_of_work(db.session):
            intro = introductions.answer_as_group(db.session, group, intro_id, answer)
    except Conflict as exc:
        flash(page_message(exc.message), "info")
        return redirect(url_for("web.group_edit", token=token, _anchor="introductions"),
                        code=303)
    except InvalidInput:
        abort(400)
    except ServiceError as exc:
        service_abort(exc)
    if intro.status == "introduced":
        flash(_("Thank you: we have emailed you and %(home)s each other's contact details.",
                home=intro.care_home.name), "success")
    else:
        flash(_("You have declined the introduction to %(home)s. We have let them know.",
                home=intro.care_home.name), "success")
    return redirect(url_for("web.group_edit", token=token, _anchor="introductions"), code=303)


@bp.route("/groups/edit/<token>/download")
def group_download(token: str):
    """Everything we hold about the group, as a JSON file."""
    group = _group_for(token)
    body = json.dumps(privacy.export_group(db.session, group), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="kith-group-{group.id}.json"',
        "Cache-Control": "no-store",
    })


@bp.route("/groups/edit/<token>/withdraw", methods=["GET", "POST"])
def group_withdraw(token: str):
    """Ask for confirmation, then withdraw the group and erase its personal data."""
    group = _group_for(token)
    if request.method == "GET":
        return render_template("group/withdraw.html", group=group, token=token)
    with unit_of_work(db.session):
        privacy.withdraw_group(db.session, group, records.link_actor(group))
    return redirect(url_for("web.group_withdrawn"), code=303)


@bp.route("/groups/withdrawn")
def group_withdrawn():
    return render_template("group/withdrawn.html")


@bp.route("/groups/lost-link", methods=["GET", "POST"])
@rate_limited("RATELIMIT_LOST_LINK", methods=["POST"])
def lost_link():
    """"Lost your link?": email the private link to the address a group registered with.

    Every valid address gets the same answer, whether or not a group uses it, so the page
    never tells a stranger who is registered.
    """
    if request.method == "GET":
        return render_template("group/lost_link.html", email="", errors=None)
    email = (request.form.get("email") or "").strip()[:254]
    if not notifications.valid_email(email):
        errors = forms.FormErrors(["email"])
        errors.add("email", forms.EMAIL_FORMAT)
        return render_template("group/lost_link.html", email=email, errors=errors), 422
    with unit_of_work(db.session):
        notifications.resend_edit_links(db.session, email, current_app.config["SECRET_KEY"])
    return render_template("group/lost_link_sent.html", email=email)
