"""The coordinator's dashboard: approvals, introductions, the match list and search."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import INTRODUCTION_STATUSES, NATIONS, CommunityGroup, Introduction
from ..services import introductions, records, scope
from ..services.audit import Actor
from ..services.errors import ServiceError
from .base import bp, roles_required, service_abort
from .forms import FormErrors
from .matching import postcode_index, ranker_cache

COORDINATOR_ROLES = ("coordinator", "admin")
PAGE = 50


def _user():
    return current_user._get_current_object()


def _nation() -> str | None:
    """The nation in view: a coordinator's own; an admin's choice (all when None)."""
    user = _user()
    if user.role == "coordinator":
        return user.nation
    nation = request.args.get("nation") or None
    return nation if nation in NATIONS else None


@bp.route("/coordinator")
@roles_required(*COORDINATOR_ROLES)
def coordinator():
    """Pending registrations, introductions by status, the match list and search."""
    user = _user()
    nation = _nation()
    filters = {"nation": nation} if nation else {}
    pending_query = records.list_groups(user, {**filters, "status": "pending"})
    pending_total = db.session.scalar(
        select(func.count()).select_from(pending_query.order_by(None).subquery()))
    pending = db.session.scalars(pending_query.limit(PAGE)).all()

    counts_query = scope.introductions_in_scope(
        user, select(Introduction.status, func.count(Introduction.id)))
    if nation and user.role == "admin":
        counts_query = counts_query.where(
            Introduction.care_home.has(nation=nation))
    counts = dict(db.session.execute(counts_query.group_by(Introduction.status)).all())
    status_filter = request.args.get("status")
    if status_filter not in INTRODUCTION_STATUSES:
        status_filter = None
    intro_filters = {**filters}
    if status_filter:
        intro_filters["status"] = status_filter
    recent = db.session.scalars(
        introductions.list_introductions(user, intro_filters).limit(PAGE)).all()

    q = (request.args.get("q") or "").strip()[:200]
    homes = groups = None
    if q:
        homes = db.session.scalars(records.list_homes(user, {**filters, "q": q}).limit(25)).all()
        groups = db.session.scalars(records.list_groups(user, {**filters, "q": q}).limit(25)).all()
    return render_template(
        "coordinator/dashboard.html", nation=nation, pending=pending,
        pending_total=pending_total, counts=counts, statuses=INTRODUCTION_STATUSES,
        recent=recent, status_filter=status_filter, q=q, homes=homes, groups=groups,
        nations=NATIONS, allowed_next=introductions.allowed_next,
    )


def _group(group_id: int) -> CommunityGroup:
    try:
        return records.get_group(db.session, group_id, _user(), manage=True)
    except ServiceError as exc:
        service_abort(exc)


@bp.route("/coordinator/groups/<int:group_id>")
@roles_required(*COORDINATOR_ROLES)
def coordinator_group(group_id: int):
    """Everything about one group, with the approve and reject forms when it is pending."""
    group = _group(group_id)
    history = db.session.scalars(
        select(Introduction).where(Introduction.group_id == group.id)
        .order_by(Introduction.updated_at.desc())).all()
    return render_template("coordinator/group.html", group=group, errors=None, reason="",
                           history=history)


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
        errors.add("status_reason", "Enter the reason for not approving this group")
    if len(reason) > 1000:
        errors.add("status_reason", "Reason must be 1000 characters or fewer")
    if errors:
        history = db.session.scalars(
            select(Introduction).where(Introduction.group_id == group.id)).all()
        return render_template("coordinator/group.html", group=group, errors=errors,
                               reason=reason, history=history), 422
    change = {
        "approve": {"status": "approved", "status_reason": None},
        "reinstate": {"status": "approved", "status_reason": None},
        "reject": {"status": "rejected", "status_reason": reason},
        "pause": {"status": "paused", "status_reason": reason or None},
    }[decision]
    try:
        records.update_group(db.session, postcode_index(), group, change, Actor.for_user(_user()))
    except ServiceError as exc:
        db.session.rollback()
        service_abort(exc)
    db.session.commit()
    message = {
        "approve": f"{group.name} is approved: care homes nearby can now see it.",
        "reinstate": f"{group.name} is approved again.",
        "reject": f"{group.name} was not approved. The group will see your reason.",
        "pause": f"{group.name} is paused: it no longer appears in suggestions.",
    }[decision]
    flash(message, "success")
    return redirect(url_for("web.coordinator"), code=303)


@bp.route("/coordinator/introductions/<int:intro_id>/status", methods=["POST"])
@roles_required(*COORDINATOR_ROLES)
def coordinator_introduction(intro_id: int):
    """Move an introduction on, e.g. from requested to introduced."""
    user = _user()
    new_status = request.form.get("status")
    try:
        intro = introductions.get_introduction(db.session, intro_id, user)
        introductions.transition(db.session, intro, new_status, Actor.for_user(user))
    except ServiceError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            service_abort(exc)
        flash(exc.message, "info")
        return redirect(url_for("web.coordinator", _anchor="introductions"), code=303)
    db.session.commit()
    flash(f"Introduction of {intro.group.name} to {intro.care_home.name} is now "
          f"{new_status}.", "success")
    return redirect(url_for("web.coordinator", _anchor="introductions"), code=303)


@bp.route("/coordinator/match-list.csv")
@roles_required(*COORDINATOR_ROLES)
def coordinator_match_list():
    """The nation's match list as a CSV download (the whole network for an admin)."""
    from ..services import match_lists

    nation = _nation()
    body = match_lists.match_list_csv(db.session, ranker_cache(), nation=nation)
    name = f"kith-match-list-{nation or 'uk'}-{dt.date.today().isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
