"""Allocations from the coordinator's workspace: run one (fair by default), read which partner
goes to which home and which homes got nobody and why, and download it."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import csvout
from ..domain.allocation import STRATEGIES
from ..extensions import db
from ..models import NATIONS
from ..services import allocations
from ..services.errors import ServiceError
from ..services.uow import unit_of_work
from .base import bp, roles_required, service_abort
from .forms import FormErrors
from .matching import ranker_cache
from .messages import page_message

COORDINATOR_ROLES = ("coordinator", "admin")
ORDER = ["nation", "strategy", "per_home", "max_homes_per_partner"]
STRATEGY_CHOICES = [
    {"value": "fair", "text": _l("Fair: every home that can be reached gets a partner first"),
     "hint": _l("No home gets a second partner while another home that a partner could "
                "reach has none. Within that, the best matches.")},
    {"value": "total", "text": _l("Best total: the highest scores overall"),
     "hint": _l("The strongest matches across the network, even if some homes that could "
                "have had a partner get nobody.")},
]
REASONS = {"no_partner_in_reach": _l("No eligible partner within reach"),
           "all_taken": _l("The partners in reach went to other homes")}
RECENT = 10


def _whole_number(errors: FormErrors, key: str, text: str, low: int, high: int,
                  message: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        errors.add(key, message)
        return None
    return int(text)


def _read_form(form) -> tuple[dict, dict, FormErrors]:
    values = {key: form.get(key, "") for key in ORDER}
    errors = FormErrors(ORDER)
    options: dict = {"strategy": values["strategy"] or "fair"}
    if options["strategy"] not in STRATEGIES:
        errors.add("strategy", _("Choose how to share out the partners"))
    options["per_home"] = _whole_number(
        errors, "per_home", values["per_home"], 1, 20,
        _("Enter how many partners each home should get, a whole number from 1 to 20"))
    if values["max_homes_per_partner"].strip():
        options["max_homes_per_partner"] = _whole_number(
            errors, "max_homes_per_partner", values["max_homes_per_partner"], 1, 100,
            _("Enter the most homes one partner may be given, a whole number from 1 to 100, "
              "or leave it empty"))
    nation = values["nation"] or None
    if current_user.role == "admin" and nation is not None and nation not in NATIONS:
        errors.add("nation", _("Choose a nation, or the whole network"))
    options["nation"] = nation if current_user.role == "admin" else None
    return values, options, errors


def _form_page(values: dict, errors: FormErrors | None = None, status: int = 200):
    recent = db.session.scalars(
        allocations.list_allocations(current_user._get_current_object()).limit(RECENT)).all()
    return render_template("coordinator/allocations.html", values=values, errors=errors,
                           strategies=STRATEGY_CHOICES, recent=recent), status


@bp.route("/coordinator/allocations", methods=["GET", "POST"])
@roles_required(*COORDINATOR_ROLES)
def coordinator_allocations():
    """Run an allocation for the nation (an admin: any nation or the whole network)."""
    if request.method == "GET":
        return _form_page({"strategy": "fair", "per_home": "1", "max_homes_per_partner": "",
                           "nation": ""})
    values, options, errors = _read_form(request.form)
    if errors:
        return _form_page(values, errors, 422)
    try:
        with unit_of_work(db.session):
            allocation = allocations.allocate_for(
                db.session, ranker_cache(), current_user._get_current_object(), **options)
    except ServiceError as exc:
        if exc.status in (403, 404):
            service_abort(exc)
        errors.add("strategy", page_message(exc.message))
        return _form_page(values, errors, 422)
    return redirect(url_for("web.coordinator_allocation", allocation_id=allocation.id),
                    code=303)


@bp.route("/coordinator/allocations/<int:allocation_id>")
@roles_required(*COORDINATOR_ROLES)
def coordinator_allocation(allocation_id: int):
    """One allocation: the homes that got nobody (and why), then each home's partners."""
    try:
        allocation = allocations.get_allocation(db.session, allocation_id,
                                                current_user._get_current_object())
    except ServiceError as exc:
        service_abort(exc)
    result = allocations.allocation_dict(allocation, db.session)
    served = len({row["care_home"]["id"] for row in result["assignments"]})
    return render_template("coordinator/allocation.html", allocation=allocation,
                           result=result, served=served, reasons=REASONS)


@bp.route("/coordinator/allocations/<int:allocation_id>.csv")
@roles_required(*COORDINATOR_ROLES)
def coordinator_allocation_csv(allocation_id: int):
    """The allocation as a CSV download (English unless ``lang=cy``)."""
    try:
        allocation = allocations.get_allocation(db.session, allocation_id,
                                                current_user._get_current_object())
    except ServiceError as exc:
        service_abort(exc)
    with force_locale("cy" if request.args.get("lang") == "cy" else "en"):
        body = allocations.allocation_csv(allocation)
    name = csvout.dated_filename(f"kith-allocation-{allocation.id}")
    return Response(body, mimetype=csvout.MIMETYPE, headers=csvout.download_headers(name))
