"""The coordinator's network map (with its cold spots and areas missing a kind) and charts."""

from __future__ import annotations

import datetime as dt

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from ..domain import network_map as grid
from ..extensions import db
from ..services import network_map, report_charts, scope
from ..services.errors import ServiceError
from .base import INTRODUCTION_STATUS_LABELS, KIND_LABELS, bp, roles_required, service_abort

COORDINATOR_ROLES = ("coordinator", "admin")


def _user():
    return current_user._get_current_object()


def _cache():
    from ..runtime import network_cache
    return network_cache(current_app)


def _nation():
    return scope.nation_in_view(_user(), request.args.get("nation") or None)


@bp.route("/coordinator/network")
@roles_required(*COORDINATOR_ROLES)
def coordinator_network():
    """The nation's homes and partners on a map, the homes with nobody in reach and the
    local authorities missing a kind of partner; the tables work without JavaScript."""
    filters = network_map.Filters.clean(request.args)
    try:
        view = network_map.overview(db.session, _cache(), _user(), nation=_nation(),
                                    filters=filters)
    except ServiceError as exc:
        service_abort(exc)
    query = {**filters.as_query(),
             **({"nation": view.nation} if _user().role == "admin" and view.nation else {})}
    config = {
        "data_url": url_for("web.coordinator_network_data", **query),
        "home_url": url_for("web.partners", home_id=0),
        "tiles_url": current_app.config.get("MAP_TILES_URL") or "",
        "outlines_url": url_for("static", filename="vendor/world-atlas/british-isles.geojson"),
        "places_url": url_for("static", filename="data/places.json"),
        "centre": view.centre,
        "kinds": {code: str(label) for code, label in KIND_LABELS.items()},
        "areas": [area for area in view.areas if area["missing"]],
        "words": {
            "homes": _("care homes"), "partners": _("partners"), "cold": _("with nobody in reach"),
            "home": _("Care home"), "cold_home": _("Care home with nobody in reach"),
            "suggestions": _("Suggestions"), "missing": _("Missing kinds"),
            "offline": _("The background map could not be loaded; the outlines, markers and "
                         "tables still show the network."),
            "loading_failed": _("The map's points could not be loaded. The tables below "
                                "still list the cold spots."),
        },
    }
    return render_template("coordinator/network.html", view=view, config=config, query=query,
                           kind_choices=[{"value": code, "text": label}
                                         for code, label in KIND_LABELS.items()],
                           la_choices=[{"value": code, "text": name}
                                       for code, name in view.local_authorities])


def _bad_request(field: str, message: str):
    response = jsonify({"code": 422, "status": "Unprocessable Entity",
                        "message": _("The request is not valid."),
                        "errors": {field: [message]}})
    response.status_code = 422
    return response


@bp.route("/coordinator/network/data")
@roles_required(*COORDINATOR_ROLES)
def coordinator_network_data():
    """JSON for the map: ``bbox=west,south,east,north``, ``zoom``, ``kind``,
    ``local_authority`` (and ``nation`` for admins); cells with counts at low zoom, points
    with names when few."""
    box = None
    if request.args.get("bbox"):
        box = grid.parse_box(request.args["bbox"])
        if box is None:
            return _bad_request("bbox", _("Give the box as west,south,east,north in degrees."))
    zoom = None
    if request.args.get("zoom"):
        text = request.args["zoom"]
        if not text.isdigit() or int(text) > grid.MAX_ZOOM:
            return _bad_request("zoom", _("Give the zoom as a whole number from 0 to 19."))
        zoom = int(text)
    filters = network_map.Filters.clean(request.args)
    try:
        answer = network_map.map_data(db.session, _cache(), _user(), nation=_nation(), box=box,
                                      zoom=zoom, filters=filters)
    except ServiceError as exc:
        service_abort(exc)
    return jsonify(answer)


@bp.route("/coordinator/reports")
@roles_required(*COORDINATOR_ROLES)
def coordinator_reports():
    """Charts of registrations, introductions and visits done per month and the
    introduction funnel, each with its table."""
    try:
        charts = report_charts.charts(db.session, _user(), nation=_nation())
    except ServiceError as exc:
        service_abort(exc)
    months = [format_date(dt.date(int(m[:4]), int(m[5:]), 1), "MMM y") for m in charts.months]
    funnel = [str(INTRODUCTION_STATUS_LABELS.get(stage, stage)) for stage, _n in charts.funnel]
    config = {**charts.as_json(), "month_labels": months, "funnel_labels": funnel}
    return render_template("coordinator/reports.html", charts=charts, months=months,
                           config=config)
