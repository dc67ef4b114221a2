"""Accounts at ``/coordinator/users``: invite, list, deactivate, reactivate, re-send."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import catalogue
from ..extensions import db
from ..i18n import current_language
from ..schemas.users import InvitationSchema
from ..services import home_list, records, users
from ..services.errors import InvalidInput, ServiceError
from ..services.uow import unit_of_work
from .base import NATION_LABELS, bp, roles_required, service_abort, translated
from .forms import FormErrors

ROLE_LABELS = translated(catalogue.labels(catalogue.ROLES))
FIELDS = ["email", "role", "nation", "care_home_id", "care_home_pick", "preferred_language"]
# Homes offered when what was typed names several (one more is fetched to know there are more).
MATCHES_SHOWN = 10
PAGE_SIZE = 50
ACTIONS = ("deactivate", "reactivate", "resend")


def _actor():
    return current_user._get_current_object()


def _ttl() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["INVITATION_TTL_DAYS"])


def _page_number() -> int:
    text = request.args.get("page", "1")
    return max(1, min(int(text), 100_000)) if text.isdigit() else 1


@bp.route("/coordinator/users")
@roles_required("coordinator", "admin")
def coordinator_users():
    """The accounts the signed-in coordinator or admin manages, 50 a page."""
    page_number = _page_number()
    page = db.paginate(users.list_users(_actor()), page=page_number, per_page=PAGE_SIZE,
                       error_out=False)
    pages = max(1, -(-page.total // PAGE_SIZE))
    return render_template(
        "coordinator/users.html", accounts=page.items, total=page.total, page=page_number,
        pages=pages, page_url=lambda number: url_for("web.coordinator_users", page=number),
        role_labels=ROLE_LABELS)


def _invited_home(number: str):
    """The home the form's number names, when it is one the signed-in user may see: shown
    beside the number so that a mistyped one is noticed before the invitation goes."""
    if not number.isdigit() or len(number) > 9:
        return None
    try:
        return records.get_home(db.session, int(number), _actor())
    except ServiceError:
        return None


def _invite_form(values: dict, errors: FormErrors | None, status: int = 200,
                 matches=()):
    roles = users.invitable_roles(_actor())
    return render_template(
        "coordinator/user_invite.html", values=values, errors=errors,
        invited_home=None if errors and errors.get("care_home_id")
        else _invited_home(values.get("care_home_id") or ""),
        matches=list(matches)[:MATCHES_SHOWN],
        role_choices=[{"value": role, "text": ROLE_LABELS[role]} for role in roles],
        nation_choices=[{"value": "", "text": _("Choose a nation")}]
        + [{"value": code, "text": label} for code, label in NATION_LABELS.items()],
        valid_for=_ttl().days), status


def _which_home(values: dict, pick: str) -> tuple[str, list, str | None]:
    """The number of the home the form names: the one picked from a list of matches, or
    the one that the name, postcode or regulator id typed names alone. Returns ``(number,
    matches, problem)``: the homes to choose from when several match, and what is wrong."""
    text = values.get("care_home_id") or ""
    if pick.isdigit() and len(pick) <= 9:
        return pick, [], None
    if not text or text.isdigit():
        return text, [], None
    matches = home_list.find_homes(db.session, _actor(), text, limit=MATCHES_SHOWN + 1)
    if len(matches) == 1:
        return str(matches[0].id), [], None
    if not matches:
        return text, [], _("No care home in your network matches ‘%(text)s’", text=text)
    if len(matches) > MATCHES_SHOWN:
        return text, matches, _("More than %(num)d care homes match ‘%(text)s’: choose one, "
                                "or add its town or postcode", num=MATCHES_SHOWN, text=text)
    return text, matches, _("%(num)d care homes match ‘%(text)s’: choose one",
                            num=len(matches), text=text)


def _problem(key: str, values: dict, from_service: bool) -> str:
    """The page's message for a field that is wrong: the schema found it malformed, or the
    service refused it (an address already in use, a role or home outside one's scope)."""
    if key == "email":
        return (_("There is already an account with this email address") if from_service
                else _("Enter an email address in the correct format, like name@example.org"))
    if key == "role":
        return (_("You can invite care-home staff only") if from_service
                else _("Choose a role"))
    if key == "nation":
        return _("Choose the nation the coordinator covers")
    if key == "preferred_language":
        return _("Choose the language to write to them in")
    if from_service and (values.get("care_home_id") or "").isdigit():
        return _("There is no care home number %(number)s in your network",
                 number=values["care_home_id"])
    if from_service and values.get("care_home_id"):
        return _("No care home in your network matches ‘%(text)s’",
                 text=values["care_home_id"])
    return _("Enter the care home's name, postcode or number")


@bp.route("/coordinator/users/new", methods=["GET", "POST"])
@roles_required("coordinator", "admin")
def coordinator_user_invite():
    """Invite someone: they are emailed a link to set their own password."""
    if request.method == "GET":
        return _invite_form({"role": "care_home",
                             "care_home_id": request.args.get("care_home_id", "")[:10],
                             # Offered in the language the form is filled in; they may differ.
                             "preferred_language": current_language()}, None)
    values = {key: (request.form.get(key) or "").strip()[:300] for key in FIELDS}
    errors = FormErrors(FIELDS)
    number, matches, problem = _which_home(values, values.pop("care_home_pick"))
    if problem:
        errors.add("care_home_pick" if matches else "care_home_id", problem)
        return _invite_form(values, errors, 422, matches)
    values["care_home_id"] = number  # shown with the home's name if the form comes back
    try:
        data = InvitationSchema().load({**values, "care_home_id": number})
        with unit_of_work(db.session):
            user = users.invite_user(db.session, current_app.config["SECRET_KEY"] or "",
                                     _actor(), data, ttl=_ttl())
    except (ma.ValidationError, InvalidInput) as exc:
        wrong = exc.normalized_messages() if isinstance(exc, ma.ValidationError) else exc.errors
        for key in wrong:
            errors.add(key, _problem(key, values, isinstance(exc, InvalidInput)))
        return _invite_form(values, errors, 422)
    flash(_("%(email)s is invited: they have been emailed a link to set their password.",
            email=user.email), "success")
    return redirect(url_for("web.coordinator_users"), code=303)


@bp.route("/coordinator/users/<int:user_id>", methods=["POST"])
@roles_required("coordinator", "admin")
def coordinator_user_change(user_id: int):
    """Deactivate, reactivate or re-send the invitation of one account."""
    action = request.form.get("action")
    if action not in ACTIONS:
        abort(400)
    try:
        with unit_of_work(db.session):
            if action == "resend":
                user = users.resend_invitation(db.session, current_app.config["SECRET_KEY"]
                                               or "", _actor(), user_id, ttl=_ttl())
            else:
                user = users.set_active(db.session, _actor(), user_id, action == "reactivate")
    except ServiceError as exc:
        service_abort(exc)
    flash({"resend": _("A new invitation is on its way to %(email)s."),
           "deactivate": _("%(email)s is deactivated: they can no longer sign in."),
           "reactivate": _("%(email)s can sign in again.")}[action] % {"email": user.email},
          "success")
    return redirect(url_for("web.coordinator_users"), code=303)
