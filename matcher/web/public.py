"""Public pages: the home page, registration for groups, privacy and accessibility."""

from __future__ import annotations

import time

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..extensions import db, rate_limited
from ..models import CommunityGroup
from ..security import absolute_url_for
from ..services import records
from ..services.errors import InvalidInput
from ..services.uow import unit_of_work
from . import forms
from .base import KIND_LABELS, REMOTE_MODE_LABELS, bp
from .matching import homes_near, postcode_index

CONFIRMATION_MINUTES = 30
# How many registration forms one browser may have open at once and still be recognised as
# the sender when it sends one of them again.
ISSUED_KEYS_KEPT = 10


@bp.route("/")
def index():
    return render_template("public/index.html")


@bp.route("/privacy")
def privacy():
    return render_template("public/privacy.html",
                           version=current_app.config["PRIVACY_NOTICE_VERSION"])


@bp.route("/accessibility")
def accessibility():
    return render_template("public/accessibility.html")


def _register_page(values, errors, status=200):
    return render_template(
        "public/register.html", values=values, errors=errors,
        kinds=[{"value": k, "text": v} for k, v in KIND_LABELS.items()],
        remote_modes=REMOTE_MODE_LABELS,
    ), status


def _issue_key(values):
    """Remember in the signed session that this browser was given the form's key."""
    issued = [key for key in session.get("form_keys", []) if key != values["idempotency_key"]]
    session["form_keys"] = (issued + [values["idempotency_key"]])[-ISSUED_KEYS_KEPT:]
    return values


def _was_issued(key: str) -> bool:
    return key in session.get("form_keys", [])


@bp.route("/register", methods=["GET", "POST"])
@rate_limited("RATELIMIT_REGISTER", methods=["POST"])
def register():
    """The public registration form; a valid submission is stored as ``pending``."""
    if request.method == "GET":
        return _register_page(_issue_key(forms.blank_group_values()), None)
    values = forms.group_values_from_form(request.form)
    data, errors = forms.validate_group(values, request.form)
    if errors:
        if not _was_issued(values["idempotency_key"]):
            # A key this browser was never given is not carried on into the corrected form.
            values["idempotency_key"] = forms.new_idempotency_key()
        return _register_page(_issue_key(values), errors, 422)
    try:
        with unit_of_work(db.session):
            group, token, created = records.register_group(
                db.session, postcode_index(), data,
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                idempotency_key=values["idempotency_key"],
                secret=current_app.config["SECRET_KEY"])
    except InvalidInput as exc:
        errors = forms.FormErrors(forms.GROUP_ORDER, dict(forms.GROUP_ANCHORS))
        forms.add_service_errors(errors, exc.errors)
        return _register_page(values, errors, 422)
    if not created and not _was_issued(values["idempotency_key"]):
        # Someone else's key sent again (copied from a page, a history, a log): the group
        # exists, but its private link belongs to the browser that was given the form.
        session["registered"] = {"group_id": None, "token": None, "at": int(time.time())}  # nosec B105
        return redirect(url_for("web.register_done"), code=303)
    # The edit token travels to the confirmation page in the signed session cookie so that it
    # never appears in a URL that might be logged, and a reload does not lose it.
    session["registered"] = {"group_id": group.id, "token": token, "at": int(time.time())}
    return redirect(url_for("web.register_done"), code=303)


@bp.route("/register/done")
def register_done():
    """Confirmation: the private edit link, and homes nearby that would welcome the group."""
    info = session.get("registered")
    if info and time.time() - info.get("at", 0) > CONFIRMATION_MINUTES * 60:
        # On a shared computer the next person must not find someone else's private link.
        session.pop("registered", None)
        info = None
    if info and info.get("group_id") is None:
        return render_template("public/register_done.html", group=None, edit_url=None,
                               homes=[])
    group = db.session.get(CommunityGroup, info["group_id"]) if info else None
    if group is None or group.edit_token_hash != records.hash_edit_token(info.get("token", "")):
        return redirect(url_for("web.register"))
    edit_url = absolute_url_for("web.group_edit", token=info["token"])
    return render_template("public/register_done.html", group=group, edit_url=edit_url,
                           homes=homes_near(group))
