"""Admin pages: the audit trail of every change, with filters; the outbox of emails."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..mail import eml_file, outbox_dir, render_message
from ..presentation import audit_entries as audit_words
from ..schemas.fields import MAX_ID
from ..services import audit, notifications
from ..services.uow import unit_of_work
from .base import bp, roles_required
from .forms import FormErrors

PAGE_SIZE = 50
ENTITY_LABELS = {
    "care_homes": _l("Care homes"),
    "community_groups": _l("Community groups"),
    "introductions": _l("Introductions"),
    "users": _l("Users"),
    "allocations": _l("Allocations"),
    "outbox_messages": _l("Emails"),
}
FILTER_ORDER = ["entity_type", "entity_id", "actor", "action", "since", "until"]


def _read_time(text: str) -> dt.datetime:
    """A date (``2026-11-01``) or a date and time in ISO 8601; UTC when no offset is given."""
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _filters() -> tuple[dict[str, str], dict[str, Any], FormErrors]:
    """The filters as typed, as passed to the audit search, and any errors in them."""
    raw = {key: (request.args.get(key) or "").strip()[:100] for key in FILTER_ORDER}
    applied: dict[str, Any] = {}
    errors = FormErrors(FILTER_ORDER)
    if raw["entity_type"] in ENTITY_LABELS:
        applied["entity_type"] = raw["entity_type"]
    else:
        raw["entity_type"] = ""
    if raw["entity_id"]:
        if raw["entity_id"].isdigit() and 0 < int(raw["entity_id"]) <= MAX_ID:
            applied["entity_id"] = int(raw["entity_id"])
        else:
            errors.add("entity_id", _("Record id must be a whole number, like 42"))
    for key in ("actor", "action"):
        if raw[key]:
            applied[key] = raw[key]
    for key, message in (("since", _l("From must be a date, like 2026-11-01")),
                         ("until", _l("Before must be a date, like 2026-11-01"))):
        if raw[key]:
            try:
                applied[key] = _read_time(raw[key])
            except ValueError:
                errors.add(key, str(message))
    return raw, applied, errors


def _page_number() -> int:
    text = request.args.get("page", "1")
    return max(1, min(int(text), 100_000)) if text.isdigit() else 1


def _described(entry) -> dict[str, Any]:
    """An audit entry in the page's words: who, what happened, to what, and the changes."""
    return {"entry": entry, "actor": audit_words.actor_label(entry.actor, _),
            "action": audit_words.action_label(entry.entity_type, entry.action, entry.changes, _),
            "record": audit_words.entity_label(entry.entity_type, _),
            "lines": audit_words.change_lines(entry.entity_type, entry.action, entry.changes, _)}


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@bp.route("/admin/audit")
@roles_required("admin")
def admin_audit():
    """Every create, update, delete and status change, newest first, with filters."""
    raw, applied, errors = _filters()
    entries, total, page_number = [], 0, _page_number()
    if not errors:
        page = db.paginate(audit.search(applied), page=page_number, per_page=PAGE_SIZE,
                           error_out=False)
        entries, total = page.items, page.total
    pages = max(1, -(-total // PAGE_SIZE))
    query = {key: value for key, value in raw.items() if value}

    def page_url(number: int) -> str:
        return url_for("web.admin_audit", page=number, **query)

    return render_template(
        "admin/audit.html", entries=entries, total=total, page=page_number, pages=pages,
        page_url=page_url, when=_when, filters=raw, errors=errors,
        rows=[_described(entry) for entry in entries],
        entity_types=[{"value": "", "text": _("Any")}]
        + [{"value": key, "text": text} for key, text in ENTITY_LABELS.items()],
    ), (422 if errors else 200)


OUTBOX_STATUS_LABELS = {"queued": _l("Queued"), "sending": _l("Sending"), "sent": _l("Sent"),
                        "failed": _l("Failed"), "cancelled": _l("Cancelled")}
OUTBOX_STATUS_TAGS = {"queued": "govuk-tag--blue", "sending": "govuk-tag--light-blue",
                      "sent": "govuk-tag--green", "failed": "govuk-tag--red",
                      "cancelled": "govuk-tag--grey"}


@bp.route("/admin/outbox")
@roles_required("admin")
def admin_outbox():
    """Every email Kith has queued or sent, newest first; failures stand out."""
    status = request.args.get("status") or ""
    status = status if status in OUTBOX_STATUS_LABELS else ""
    page_number = _page_number()
    page = db.paginate(notifications.outbox_for(current_user, status or None), page=page_number,
                       per_page=PAGE_SIZE, error_out=False)
    pages = max(1, -(-page.total // PAGE_SIZE))

    def page_url(number: int) -> str:
        return url_for("web.admin_outbox", page=number, **({"status": status} if status else {}))

    return render_template(
        "admin/outbox.html", messages=page.items, total=page.total, page=page_number,
        pages=pages, page_url=page_url, when=_when, status=status,
        counts=notifications.counts(db.session), labels=OUTBOX_STATUS_LABELS,
        tags=OUTBOX_STATUS_TAGS, mail_server=current_app.config["MAIL_SERVER"],
        outbox_dir=str(outbox_dir(current_app)))


@bp.route("/admin/outbox/<int:message_id>")
@roles_required("admin")
def admin_outbox_message(message_id: int):
    """One email as its recipient sees it (rendered again from its template, or the ``.eml``
    file written without a mail server)."""
    message = notifications.message_for(db.session, current_user, message_id)
    if message is None:
        abort(404)
    subject, text, html, problem = message.subject, None, None, None
    if message.context:
        try:
            email = render_message(current_app, message)
            subject, text = email.subject, email.body
            html = email.alternatives[0][0] if email.alternatives else None
        except Exception as exc:  # a template error is shown, not raised
            problem = f"{type(exc).__name__}: {exc}"
    eml = eml_file(current_app, message)
    return render_template(
        "admin/outbox_message.html", message=message, subject=subject, text=text, html=html,
        problem=problem, eml_name=eml.name if eml else None, when=_when,
        labels=OUTBOX_STATUS_LABELS, tags=OUTBOX_STATUS_TAGS)


@bp.route("/admin/outbox/<int:message_id>/retry", methods=["POST"])
@roles_required("admin")
def admin_outbox_retry(message_id: int):
    """Send a failed email again."""
    with unit_of_work(db.session):
        message = notifications.retry_now(db.session, current_user, message_id)
    flash(_("The email is queued again.") if message
          else _("Only a failed email can be sent again."),
          "success" if message else "info")
    return redirect(url_for("web.admin_outbox_message", message_id=message_id), code=303)
