"""Visit pages: a home's upcoming visits and calendar address, the coordinator's view of
visits per home, the private calendar feed, and the one-click feedback form."""

from __future__ import annotations

import marshmallow as ma
from babel.dates import format_datetime
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..domain import catalogue
from ..extensions import db, rate_limited
from ..i18n import current_language
from ..models import utcnow
from ..schemas.messages import translate
from ..schemas.visits import YEARS_MESSAGE, VisitInputSchema
from ..security import absolute_url_for
from ..services import calendars, feedback, records, visits
from ..services.audit import Actor
from ..services.errors import Conflict, InvalidInput, ServiceError
from ..services.uow import unit_of_work
from .base import bp, roles_required, service_abort, translated
from .forms import FormErrors
from .messages import page_message

STAFF_ROLES = ("care_home", "coordinator", "admin")
COORDINATOR_ROLES = ("coordinator", "admin")
MODE_LABELS = translated(catalogue.labels(catalogue.VISIT_MODES))
OCCURRENCE_LABELS = translated(catalogue.labels(catalogue.VISIT_OCCURRENCE_STATUSES))
OCCURRENCE_TAGS = catalogue.tags(catalogue.VISIT_OCCURRENCE_STATUSES)
RATINGS = [{"value": str(n), "text": text} for n, text in (
    (5, _l("5 – very well")), (4, _l("4 – well")), (3, _l("3 – all right")),
    (2, _l("2 – not so well")), (1, _l("1 – badly")))]


def _user():
    return current_user._get_current_object()


@bp.app_template_filter("visit_time")
def visit_time(value, pattern: str = "EEE d MMM y, HH:mm") -> str:
    """A visit's start as the pages show it, in the page's language and at the UK time it is
    stored in: "Fri 4 Dec 2026, 14:30", "Gwen 4 Rhag 2026, 14:30" ("EEEE d MMMM y, HH:mm"
    for the long form)."""
    if value is None:
        return ""
    return format_datetime(value, pattern, tzinfo=value.tzinfo, locale=current_language())


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def calendar_url(token: str) -> str:
    """The absolute address a calendar app subscribes to."""
    return absolute_url_for("web.calendar_feed", token=token)


PLAN_ORDER = ["introduction_id", "date", "time", "duration_minutes", "mode", "repeat",
              "repeat_until", "notes"]
REPEAT_LABELS = translated(catalogue.labels(catalogue.VISIT_REPEATS))
STATE_LABELS = translated(catalogue.labels(catalogue.VISIT_STATES))


def _visits_page(home, values=None, errors=None, status=200):
    with unit_of_work(db.session):
        token = calendars.address_token(db.session, _secret(), home)
    rows = visits.upcoming_for_home(db.session, home.id)
    plannable = [intro for intro in home.introductions if intro.status in visits.PLANNABLE]
    return render_template(
        "care_home/visits.html", home=home, rows=rows, calendar=calendar_url(token),
        modes=MODE_LABELS, labels=OCCURRENCE_LABELS, tags=OCCURRENCE_TAGS,
        states=STATE_LABELS, plannable=plannable,
        values=values or {"duration_minutes": "60", "mode": "in_person", "repeat": "none"},
        errors=errors, mode_options=[{"value": k, "text": v} for k, v in MODE_LABELS.items()],
        repeat_options=[{"value": k, "text": v} for k, v in REPEAT_LABELS.items()]), status


def _plan_from_form(form) -> tuple[dict, dict, FormErrors]:
    """The plan form's values (kept for the page) and the API's JSON shape of them."""
    values = {key: (form.get(key) or "").strip() for key in PLAN_ORDER}
    errors = FormErrors(PLAN_ORDER)
    if not values["introduction_id"].isdigit():
        errors.add("introduction_id", _("Choose who is visiting."))
    if not values["date"]:
        errors.add("date", _("Enter the date of the (first) visit."))
    if not values["time"]:
        errors.add("time", _("Enter the time the visit starts, for example 14:30."))
    body = {"starts_at": f"{values['date']}T{values['time']}",
            "duration_minutes": int(values["duration_minutes"])
            if values["duration_minutes"].isdigit() else values["duration_minutes"],
            "mode": values["mode"], "repeat": values["repeat"] or "none",
            "repeat_until": values["repeat_until"] or None, "notes": values["notes"]}
    data: dict = {}
    try:
        data = VisitInputSchema().load(body)
    except ma.ValidationError as exc:
        for key, messages in exc.messages.items():
            field = {"starts_at": "date"}.get(key, key)
            if key == "starts_at" and (errors.get("date") or errors.get("time")):
                continue
            for message in messages if isinstance(messages, list) else [str(messages)]:
                as_given = key != "starts_at" or message == YEARS_MESSAGE
                errors.add(field, page_message(translate(message, _)) if as_given
                           else _("Enter a real date and time."))
    if data:
        # The API would normalise these; a person corrects what they typed instead.
        for note in visits.series_notes(data):
            errors.add(note.field, page_message(translate(note.problem, _)))
    return values, data, errors


@bp.route("/care-homes/<int:home_id>/visits", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def home_visits(home_id: int):
    """The home's visits of the next 60 days, a form to plan one, and its private calendar
    address."""
    try:
        home = records.get_home(db.session, home_id, _user())
    except ServiceError as exc:
        service_abort(exc)
    if request.method == "GET":
        return _visits_page(home)
    values, data, errors = _plan_from_form(request.form)
    if not errors:
        intro_id = int(values["introduction_id"])
        if intro_id not in {i.id for i in home.introductions}:
            errors.add("introduction_id", _("Choose who is visiting."))
    if errors:
        return _visits_page(home, values, errors, 422)
    try:
        with unit_of_work(db.session):
            visit = visits.plan_visit(db.session, _user(), intro_id, data)
            upcoming = bool(visits.occurrences(visit, after=utcnow()))
    except (InvalidInput, Conflict) as exc:
        for key, messages in exc.errors.items():
            field = {"starts_at": "date", "introduction": "introduction_id"}.get(key, key)
            for message in messages:
                errors.add(field if field in PLAN_ORDER else "date",
                           page_message(translate(message, _)))
        return _visits_page(records.get_home(db.session, home_id, _user()), values, errors,
                            422)
    except ServiceError as exc:
        service_abort(exc)
    if upcoming:
        flash(_("The visit has been planned; both sides have been emailed with a calendar "
                "file."), "success")
    else:  # a visit recorded after it took place: nobody is told of it
        flash(_("The visit has been recorded. It has already taken place, so no one has been "
                "emailed."), "success")
    return redirect(url_for("web.home_visits", home_id=home_id), code=303)


@bp.route("/care-homes/<int:home_id>/calendar", methods=["POST"])
@roles_required(*STAFF_ROLES)
def home_calendar_renew(home_id: int):
    """Revoke the home's calendar address and make a new one."""
    try:
        with unit_of_work(db.session):
            home = records.get_home(db.session, home_id, _user())
            calendars.renew(db.session, _secret(), home, Actor.for_user(_user()))
    except ServiceError as exc:
        service_abort(exc)
    flash(_("A new calendar address has been made; the old one no longer works. Subscribe "
            "to the new one in your calendar app."), "success")
    return redirect(url_for("web.home_visits", home_id=home_id), code=303)


@bp.route("/calendar/<token>.ics")
@rate_limited("RATELIMIT_VISIT_LINKS")
def calendar_feed(token: str):
    """The private calendar of a home or group (iCalendar), for calendar apps."""
    record = calendars.record_for_token(db.session, _secret(), token)
    if record is None:
        abort(404)
    # In the owner's language, whoever's calendar app fetches it.
    with force_locale(record.preferred_language or "en"):
        body = calendars.feed(db.session, record)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="kith-visits.ics"',
        "Cache-Control": "private, max-age=300"})


@bp.route("/coordinator/visits")
@roles_required(*COORDINATOR_ROLES)
def coordinator_visits():
    """Visits of the next 60 days per home, and the homes with no visit for 60 days."""
    user = _user()
    rows = visits.list_occurrences(db.session, user, {})
    per_home: dict[int, dict] = {}
    for row in rows:
        home = row["visit"].introduction.care_home
        per_home.setdefault(home.id, {"home": home, "rows": []})["rows"].append(row)
    quiet = visits.homes_without_visits(db.session, user, days=60)
    return render_template("coordinator/visits.html", per_home=list(per_home.values()),
                           quiet=quiet, modes=MODE_LABELS, labels=OCCURRENCE_LABELS,
                           tags=OCCURRENCE_TAGS)


@bp.route("/feedback/<token>", methods=["GET", "POST"])
@rate_limited("RATELIMIT_VISIT_LINKS", methods=["POST"])
def visit_feedback(token: str):
    """How did the visit go? A rating 1-5 and a comment, through a single-use link."""
    asked = feedback.for_token(db.session, token)
    if asked is None:
        abort(404)
    if asked.answered_at is not None:
        return render_template("public/feedback_done.html", used=True)
    visit = asked.visit
    values = {"rating": request.form.get("rating", ""),
              "comment": request.form.get("comment", "")}
    errors = FormErrors(["rating", "comment"])
    if request.method == "POST":
        rating = values["rating"]
        if rating not in {r["value"] for r in RATINGS}:
            errors.add("rating", _("Choose a rating from 1 to 5."))
        if len(values["comment"]) > 2000:
            errors.add("comment", _("Keep the comment to 2,000 characters or fewer."))
        if not errors:
            try:
                with unit_of_work(db.session):
                    feedback.answer(db.session, asked, int(rating), values["comment"])
            except Conflict:
                return render_template("public/feedback_done.html", used=True)
            except InvalidInput as exc:
                for key, messages in exc.errors.items():
                    for message in messages:
                        errors.add(key, page_message(translate(message, _)))
            else:
                return render_template("public/feedback_done.html", used=False)
    starts = visits.rules.parse_key(asked.occurrence_key)
    return render_template(
        "public/feedback.html", token=token, visit=visit, values=values, errors=errors,
        ratings=RATINGS, mode=MODE_LABELS.get(visit.mode, visit.mode),
        when=visits.rules.local(starts)), 422 if errors else 200


# --- a group's visits, through its private link ------------------------------------------------

def _link_group(token: str):
    group = records.group_for_token(db.session, token)
    if group is None or group.status == "withdrawn":
        abort(404)
    return group


def _group_visits_page(group, token, values=None, errors=None, status=200):
    with unit_of_work(db.session):
        calendar_token = calendars.address_token(db.session, _secret(), group)
    rows = visits.for_group(db.session, group.id)
    plannable = [intro for intro in group.introductions if intro.status in visits.PLANNABLE]
    return render_template(
        "group/visits.html", group=group, token=token, rows=rows,
        calendar=calendar_url(calendar_token), modes=MODE_LABELS, labels=OCCURRENCE_LABELS,
        tags=OCCURRENCE_TAGS, states=STATE_LABELS, plannable=plannable,
        values=values or {"duration_minutes": "60", "mode": "in_person", "repeat": "none"},
        errors=errors, mode_options=[{"value": k, "text": v} for k, v in MODE_LABELS.items()],
        repeat_options=[{"value": k, "text": v} for k, v in REPEAT_LABELS.items()]), status


@bp.route("/groups/edit/<token>/visits", methods=["GET", "POST"])
def group_visits(token: str):
    """The group's visits: those to come, proposing one, confirming or cancelling, and its
    private calendar address."""
    group = _link_group(token)
    if request.method == "GET":
        return _group_visits_page(group, token)
    values, data, errors = _plan_from_form(request.form)
    if errors:
        return _group_visits_page(group, token, values, errors, 422)
    try:
        with unit_of_work(db.session):
            visits.propose_by_group(db.session, group, int(values["introduction_id"]), data)
    except (InvalidInput, Conflict) as exc:
        for key, messages in exc.errors.items():
            field = {"starts_at": "date", "introduction": "introduction_id"}.get(key, key)
            for message in messages:
                errors.add(field if field in PLAN_ORDER else "date",
                           page_message(translate(message, _)))
        return _group_visits_page(_link_group(token), token, values, errors, 422)
    except ServiceError:
        errors.add("introduction_id", _("Choose which home to visit."))
        return _group_visits_page(_link_group(token), token, values, errors, 422)
    flash(_("Your visit has been proposed; the home will confirm it."), "success")
    return redirect(url_for("web.group_visits", token=token), code=303)


@bp.route("/groups/edit/<token>/visits/<int:visit_id>", methods=["POST"])
def group_visit_change(token: str, visit_id: int):
    """The group confirms a visit the home proposed, or cancels one."""
    group = _link_group(token)
    state = {"confirm": "confirmed", "cancel": "cancelled"}.get(request.form.get("action", ""))
    version = request.form.get("version", "")
    if state is None:
        abort(400)
    try:
        with unit_of_work(db.session):
            visits.change_by_group(db.session, group, visit_id, state,
                                   int(version) if version.isdigit() else None)
    except Conflict as exc:
        flash(page_message(exc.message), "error")
        return redirect(url_for("web.group_visits", token=token), code=303)
    except ServiceError as exc:
        service_abort(exc)
    flash(_("The visit has been confirmed.") if state == "confirmed" else
          _("The visit has been cancelled."), "success")
    return redirect(url_for("web.group_visits", token=token), code=303)


@bp.route("/groups/edit/<token>/calendar", methods=["POST"])
def group_calendar_renew(token: str):
    """Revoke the group's calendar address and make a new one."""
    group = _link_group(token)
    with unit_of_work(db.session):
        calendars.renew(db.session, _secret(), group, Actor("group-link"))
    flash(_("A new calendar address has been made; the old one no longer works."), "success")
    return redirect(url_for("web.group_visits", token=token), code=303)
