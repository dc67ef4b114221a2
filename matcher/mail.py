"""Email with Flask-Mailman: the app's mail settings, rendering an outbox message from its
templates, and the ``.eml`` file backend used when no ``MAIL_SERVER`` is set.

Every message is multipart: a plain-text part (``email/<template>.txt``) and an HTML part
(``email/<template>.html``, extending ``email/base.html``); the subject
(``email/<template>.subject.txt``) starts with the service's name. Templates get ``link``
(absolute URLs from ``PUBLIC_BASE_URL``, else ``SERVER_NAME``) so messages rendered by a worker,
outside any request, still carry working links.

Each message is rendered in its recipient's language (``OutboxMessage.language``, their
``preferred_language`` when it was queued) under ``flask_babel.force_locale``: the words, the
labels (kinds, modes, statuses) and the dates. The context keeps codes and ISO dates, never
English words, so the same event reads right in either language.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import force_locale, format_date, format_datetime, ngettext
from flask_babel import lazy_gettext as _l
from flask_mailman import EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend
from markupsafe import Markup

from .domain import catalogue
from .models import OutboxMessage
from .services.notifications import ATTACHMENTS_KEY, header_text, language_of

mail = Mail()

DEFAULT_BASE_URL = "http://localhost:5000"
# Why each kind of recipient gets Kith's email, for the footer.
FOOTER_REASONS = {
    "group": _l("You get this email because your group registered with Kith using this "
                "address."),
    "care_home": _l("You get this email because this address is the contact of a care home "
                    "on Kith."),
    "coordinator": _l("You get this email because you are a Kith network coordinator."),
    "admin": _l("You get this email because you are a Kith administrator."),
    "user": _l("You get this email because you have an account on Kith."),
}


def _labels(terms) -> dict:
    """``{code: label}``, each label translated when the message is rendered."""
    return {code: _l(label) for code, label in catalogue.labels(terms).items()}


# The vocabulary emails show, beside the pages' (KIND_LABELS, NATION_LABELS...).
MAIL_LABELS = {
    "MODE_LABELS": _labels(catalogue.VISIT_MODES),
    "REPEAT_LABELS": _labels(catalogue.VISIT_REPEATS),
    "ROLE_LABELS": _labels(catalogue.ROLES),
    # "restricted", "closed": the word the profile form chooses, for a sentence.
    "VISITING_CHOICE_LABELS": {s.code: _l(s.choice) for s in catalogue.VISITING_STATUSES},
}
LINK_STYLE = "color:#1d70b8;"


def _instant(value):
    """An ISO date or time from a message's context, or None (older messages kept words)."""
    if isinstance(value, dt.date):
        return value
    try:
        text = str(value or "")
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def when(value) -> str:
    """A visit's time ("Thursday 10 June 2027, 14:00", "dydd Iau 10 Mehefin 2027, 14:00") or
    a date ("4 December 2026", "4 Rhagfyr 2026"), in the language being written."""
    instant = _instant(value)
    if instant is None:
        return str(value or "")
    if isinstance(instant, dt.datetime):
        text = format_datetime(instant, "EEEE d MMMM y, HH:mm")
        # Welsh writes "dydd Iau" in a sentence; the CLDR form starts with a capital.
        return text[:1].lower() + text[1:] if text.startswith("Dydd") else text
    return format_date(instant, "d MMMM y")


def strong(value) -> Markup:
    """A name in bold inside a translated sentence (escaped)."""
    return Markup("<strong>%s</strong>") % value


def anchor(text, href: str, bold: bool = False) -> Markup:
    """A link inside a translated sentence (text and address escaped)."""
    style = LINK_STYLE + ("font-weight:bold;" if bold else "")
    return Markup('<a href="%s" style="%s">%s</a>') % (href, style, text)


def labelled(codes, labels) -> str:
    """Codes as their labels, joined with commas ("Video call, Phone call")."""
    return ", ".join(str(labels.get(code, code)) for code in codes or ())


def lasting(minutes) -> str:
    """How long a link works ("3 days", "1 hour", "30 minutes"), in the language being
    written."""
    try:
        minutes = max(1, int(minutes))
    except (TypeError, ValueError):
        return str(minutes or "")
    if minutes >= 48 * 60:
        return ngettext("%(num)d day", "%(num)d days", round(minutes / 1440))
    if minutes >= 60:
        return ngettext("%(num)d hour", "%(num)d hours", round(minutes / 60))
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def outbox_dir(app: Flask) -> Path:
    """Where the ``.eml`` files go when there is no mail server."""
    return Path(app.config["MAIL_OUTBOX_DIR"] or Path(app.config["INSTANCE_DIR"]) / "outbox")


def init_mail(app: Flask) -> None:
    """Choose the backend (SMTP with ``MAIL_SERVER``, else ``.eml`` files) and set up
    Flask-Mailman for this app."""
    if not app.config["MAIL_BACKEND"]:
        if app.config["MAIL_SERVER"]:
            backend = "smtp"
        elif app.config["TESTING"] and not app.config["MAIL_OUTBOX_DIR"]:
            # A test app that did not say where its outbox is keeps its mail in memory
            # (Flask-Mailman's own choice in tests), never in the real instance/outbox/.
            backend = "locmem"
        else:
            backend = "matcher.mail.EmlEmailBackend"
        app.config["MAIL_BACKEND"] = backend
    app.config["MAIL_FILE_PATH"] = str(outbox_dir(app))
    mail.init_app(app)
    app.jinja_env.filters.update(when=when, strong=strong, labelled=labelled)
    app.jinja_env.globals.update(anchor=anchor, lasting=lasting, **MAIL_LABELS)


class EmlEmailBackend(BaseEmailBackend):
    """Writes each message to its own ``.eml`` file in the outbox directory (named after its
    outbox id, so ``/admin/outbox`` can find it), instead of sending it."""

    def send_messages(self, email_messages) -> int:
        directory = Path(self.mailman.file_path)
        directory.mkdir(parents=True, exist_ok=True)
        written = 0
        for message in email_messages:
            name = message.extra_headers.get("X-Kith-Outbox-Id") or os.urandom(6).hex()
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%f")
            path = directory / f"{stamp}-{name}.eml"
            temporary = path.with_suffix(".tmp")
            temporary.write_bytes(message.message().as_bytes())
            temporary.replace(path)  # a reader never sees half a message
            written += 1
        return written


def eml_file(app: Flask, message: OutboxMessage) -> Path | None:
    """The ``.eml`` file the file backend wrote for ``message``, if any."""
    directory = outbox_dir(app)
    if not directory.is_dir():
        return None
    found = sorted(directory.glob(f"*-{int(message.id)}.eml"))
    return found[-1] if found else None


def base_url(app: Flask) -> str:
    """The site's public address, for links in emails."""
    if app.config["PUBLIC_BASE_URL"]:
        return app.config["PUBLIC_BASE_URL"].rstrip("/")
    if app.config["SERVER_NAME"]:
        return f"{app.config['PREFERRED_URL_SCHEME'] or 'http'}://{app.config['SERVER_NAME']}"
    return DEFAULT_BASE_URL


def link_builder(app: Flask):
    """``link(endpoint, **values)``: an absolute URL on the public address, built without a
    request (workers render emails outside any)."""
    parts = urlsplit(base_url(app))
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                               url_scheme=parts.scheme or "http")

    def link(endpoint: str, **values) -> str:
        return adapter.build(endpoint, values, force_external=True)

    return link


# Two or more blank lines in a rendered text part become one, so template logic can breathe.
_BLANKS = re.compile(r"\n{3,}")


def render_message(app: Flask, message: OutboxMessage) -> EmailMultiAlternatives:
    """The outbox message as a multipart email (text and HTML), ready to send, in its
    recipient's language."""
    with force_locale(language_of(message.language)):
        return _render(app, message)


def _render(app: Flask, message: OutboxMessage) -> EmailMultiAlternatives:
    context = dict(message.context or {})
    context.update(
        link=link_builder(app), to_name=message.to_name, recipient_role=message.recipient_role,
        footer_reason=FOOTER_REASONS.get(message.recipient_role, FOOTER_REASONS["user"]),
        language=language_of(message.language), service_name=app.config["API_TITLE"],
        site_url=base_url(app))
    template = f"email/{message.template}"

    def render(name: str) -> str:
        # Straight from the app's Jinja environment (its filters and globals), without the
        # page context processors: an email belongs to no request and no signed-in user.
        return app.jinja_env.get_template(name).render(**context)

    subject = header_text(render(f"{template}.subject.txt"), 250)
    subject = header_text(f"{app.config['MAIL_SUBJECT_PREFIX']}{subject}", 300)
    text = _BLANKS.sub("\n\n", render(f"{template}.txt")).strip() + "\n"
    html = render(f"{template}.html")
    to = message.to_email
    if message.to_name:
        from email.headerregistry import Address
        to = str(Address(display_name=header_text(message.to_name), addr_spec=to))
    email = EmailMultiAlternatives(
        subject=subject, body=text, from_email=app.config["MAIL_DEFAULT_SENDER"], to=[to],
        headers={"X-Kith-Outbox-Id": str(message.id),
                 "Auto-Submitted": "auto-generated",
                 "Content-Language": "cy" if message.language == "cy" else "en-GB"})
    email.attach_alternative(html, "text/html")
    for attachment in (message.context or {}).get(ATTACHMENTS_KEY) or []:
        email.attach(attachment["filename"], attachment["content"],
                     attachment.get("content_type") or "application/octet-stream")
    return email


def send_message(app: Flask, email: EmailMultiAlternatives) -> None:
    """Send one email through this app's backend; raises when delivery fails."""
    with mail.get_connection(fail_silently=False, timeout=app.config["MAIL_TIMEOUT"]) as conn:
        if conn.send_messages([email]) != 1:
            raise RuntimeError("The mail backend did not accept the message.")
