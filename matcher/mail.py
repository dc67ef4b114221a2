"""Email with Flask-Mailman: the app's mail settings, rendering an outbox message from its
templates, and the ``.eml`` file backend used when no ``MAIL_SERVER`` is set.

Every message is multipart: a plain-text part (``email/<template>.txt``) and an HTML part
(``email/<template>.html``, extending ``email/base.html``); the subject
(``email/<template>.subject.txt``) starts with the service's name. Templates get ``link``
(absolute URLs from ``PUBLIC_BASE_URL``, else ``SERVER_NAME``) so messages rendered by a worker,
outside any request, still carry working links.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from flask_mailman import EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend

from .models import OutboxMessage
from .services.notifications import ATTACHMENTS_KEY, header_text

mail = Mail()

DEFAULT_BASE_URL = "http://localhost:5000"
# Why each kind of recipient gets Kith's email, for the footer.
FOOTER_REASONS = {
    "group": "You get this email because your group registered with Kith using this address.",
    "care_home": "You get this email because this address is the contact of a care home on "
                 "Kith.",
    "coordinator": "You get this email because you are a Kith network coordinator.",
    "admin": "You get this email because you are a Kith administrator.",
    "user": "You get this email because you have an account on Kith.",
}


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
    """The outbox message as a multipart email (text and HTML), ready to send."""
    context = dict(message.context or {})
    context.update(
        link=link_builder(app), to_name=message.to_name, recipient_role=message.recipient_role,
        footer_reason=FOOTER_REASONS.get(message.recipient_role, FOOTER_REASONS["user"]),
        service_name=app.config["API_TITLE"], site_url=base_url(app))
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
                 "Auto-Submitted": "auto-generated"})
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
