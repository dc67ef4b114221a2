"""Care-home pages: suggested partners with a map, introductions, and the home's profile."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from ..domain.catalogue import SCHEME_FOR_NATION
from ..domain.geo import round_km
from ..domain.languages import UnknownLanguage, normalise_language
from ..extensions import db
from ..models import GROUP_KINDS, CommunityGroup
from ..presentation.partner_card import card
from ..presentation.reasons import with_reasons
from ..schemas import IntroductionMessageSchema
from ..schemas.messages import translate
from ..services import introductions, matching, records
from ..services.errors import Conflict, InvalidInput, ServiceError
from ..services.uow import unit_of_work
from . import forms
from .base import (
    CARE_TYPE_LABELS,
    FACILITY_LABELS,
    KIND_LABELS,
    bp,
    roles_required,
    safe_next,
    service_abort,
)
from .matching import postcode_index, ranker_cache
from .messages import page_message

STAFF_ROLES = ("care_home", "coordinator", "admin")
MATCH_LIMIT = 20


def _home(home_id: int):
    try:
        return records.get_home(db.session, home_id, current_user._get_current_object())
    except ServiceError as exc:
        service_abort(exc)


def _filters() -> tuple[dict, dict, dict[str, str]]:
    """The GET filters as typed, as passed to matching, and any errors in them."""
    raw = {
        "kind": request.args.get("kind", ""),
        "radius": request.args.get("radius", "").strip(),
        "language": request.args.get("language", "").strip(),
    }
    applied: dict = {}
    errors: dict[str, str] = {}
    if raw["kind"] in GROUP_KINDS:
        applied["kinds"] = [raw["kind"]]
    else:
        raw["kind"] = ""
    if raw["radius"]:
        try:
            radius = float(raw["radius"])
            if not 0.5 <= radius <= 100:
                raise ValueError
            applied["radius_km"] = radius
        except ValueError:
            errors["radius"] = _("Distance must be a number between 0.5 and 100")
    if raw["language"]:
        try:
            applied["languages"] = [normalise_language(raw["language"]).tag]
        except UnknownLanguage:
            errors["language"] = _("We do not recognise the language ‘%(language)s’",
                                   language=raw["language"])
    return raw, applied, errors


def _map_data(home, matches) -> dict:
    return {
        "home": {"name": home.name, "lat": home.lat, "lon": home.lon,
                 "radius_km": home.search_radius_km},
        # MAP_TILES_URL: the one tile host the CSP allows; empty draws the markers alone.
        "tiles_url": current_app.config.get("MAP_TILES_URL") or "",
        "partners": [
            {"id": m["group"]["id"], "name": m["group"]["name"], "rank": rank,
             "kind": KIND_LABELS.get(m["group"].get("kind"), ""),
             "lat": m.get("lat"), "lon": m.get("lon"),
             "score": round(float(m.get("score") or 0) * 100),
             "distance": round_km(float(m.get("distance_km") or 0))}
            for rank, m in enumerate(matches, start=1) if m.get("lat") is not None
        ],
        # The map's own words, in the page's language (the script has no catalogue).
        "words": {
            "your_home": _("Your home"),
            "home_title": _("%(name)s (your home)", name="{name}"),
            "away": _("%(distance)s away", distance="{distance} km"),
            "match": _("%(score)s%% match", score="{score}"),
            "details": _("See details"),
            "offline": _("The background map could not be loaded, but the markers still "
                         "show where partners are. The numbers match the list below."),
        },
    }


def _partners_page(home_id: int, *, errors=None, messages=None, status: int = 200):
    raw, applied, filter_errors = _filters()
    try:
        home, matches = matching.partner_matches(
            db.session, ranker_cache(), current_user._get_current_object(), home_id,
            limit=MATCH_LIMIT, details=True, **applied)
    except ServiceError as exc:
        service_abort(exc)
    scheme = SCHEME_FOR_NATION.get(home.nation)
    matches = [with_reasons(m) for m in matches]
    for match in matches:
        match["card"] = card(match, scheme)
    errors = errors or forms.FormErrors(["kind", "radius", "language"])
    for key, message in filter_errors.items():
        errors.add(key, message)
    open_intros, history = introductions.for_home(db.session, home.id)
    return render_template(
        "care_home/partners.html", home=home, matches=matches, filters=raw, errors=errors,
        open_intros=open_intros, history=history, map_data=_map_data(home, matches),
        contacts=introductions.partner_contacts(history + list(open_intros.values())),
        messages=messages or {}, can_withdraw=_can_withdraw,
        shared=introductions.contacts_shared,
        kinds=[{"value": "", "text": _("Any kind")}]
        + [{"value": k, "text": v} for k, v in KIND_LABELS.items()],
    ), status


def _can_withdraw(intro) -> bool:
    return "withdrawn" in introductions.allowed_next(intro.status)


@bp.route("/care-homes/<int:home_id>/partners")
@roles_required(*STAFF_ROLES)
def partners(home_id: int):
    """Suggested partners for a home, best first, with reasons, a map and filters; the
    contact details of partners it has been introduced to."""
    return _partners_page(home_id)


@bp.route("/care-homes/<int:home_id>/partners/<int:group_id>/introduce", methods=["POST"])
@roles_required(*STAFF_ROLES)
def introduce(home_id: int, group_id: int):
    """Ask for an introduction to this partner, with an optional message to the group."""
    user = current_user._get_current_object()
    back = safe_next(request.form.get("next")) or url_for("web.partners", home_id=home_id)
    try:
        data = IntroductionMessageSchema().load({"message": request.form.get("message", "")})
    except ValidationError as exc:
        key = f"message-{group_id}"
        errors = forms.FormErrors(["kind", "radius", "language", key])
        for message in exc.messages.get("message", []):
            errors.add(key, page_message(translate(message, _)))
        return _partners_page(home_id, errors=errors,
                              messages={group_id: request.form.get("message", "")},
                              status=422)
    try:
        with unit_of_work(db.session):
            intro = introductions.request_introduction(
                db.session, ranker_cache(), user, home_id, group_id, status="requested",
                message=data["message"], secret=current_app.config["SECRET_KEY"])
    except Conflict:
        group = db.session.get(CommunityGroup, group_id)
        flash(_("You have already asked to meet %(name)s.", name=group.name), "info")
        return redirect(back, code=303)
    except ServiceError as exc:
        service_abort(exc)
    flash(_("Introduction requested: we have told %(name)s and your network coordinator. You "
            "will get an email when they answer.", name=intro.group.name), "success")
    return redirect(back, code=303)


@bp.route("/care-homes/<int:home_id>/introductions/<int:intro_id>/withdraw", methods=["POST"])
@roles_required(*STAFF_ROLES)
def withdraw_introduction(home_id: int, intro_id: int):
    """Take back a request before the home and the group are introduced."""
    try:
        with unit_of_work(db.session):
            intro = introductions.withdraw_request(
                db.session, current_user._get_current_object(), home_id, intro_id)
    except Conflict as exc:
        return render_template("error.html", code=409, message=page_message(exc.message)), 409
    except ServiceError as exc:
        service_abort(exc)
    flash(_("You have withdrawn your request to meet %(name)s.", name=intro.group.name),
          "success")
    return redirect(url_for("web.partners", home_id=home_id, _anchor="introductions"), code=303)


def _profile_page(home, values, errors, status=200):
    return render_template(
        "care_home/profile.html", home=home, values=values, errors=errors,
        care_types=[{"value": k, "text": v} for k, v in CARE_TYPE_LABELS.items()],
        facilities=[{"value": k, "text": v} for k, v in FACILITY_LABELS.items()],
    ), status


@bp.route("/care-homes/<int:home_id>/profile", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def home_profile(home_id: int):
    """What the home's residents enjoy, the languages they speak, and the visiting status."""
    home = _home(home_id)
    if request.method == "GET":
        return _profile_page(home, forms.home_values_from_record(home), None)
    values = forms.home_values_from_form(request.form)
    data, errors = forms.validate_home(values, request.form)
    if errors:
        return _profile_page(home, values, errors, 422)
    try:
        with unit_of_work(db.session):
            records.change_home(db.session, postcode_index(),
                                current_user._get_current_object(), home_id, data)
    except InvalidInput as exc:
        errors = forms.FormErrors(forms.HOME_ORDER, dict(forms.HOME_ANCHORS))
        forms.add_service_errors(errors, exc.errors, default_key="interests")
        return _profile_page(_home(home_id), values, errors, 422)
    except ServiceError as exc:
        service_abort(exc)
    flash(_("The home's profile has been saved. Suggestions now reflect it."), "success")
    return redirect(url_for("web.partners", home_id=home.id), code=303)
