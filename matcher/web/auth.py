"""Signing in and out of the pages (Flask-Login sessions; the API uses tokens instead)."""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from ..extensions import db, rate_limited
from ..services import accounts, passwords
from ..services.errors import InvalidInput
from ..services.uow import unit_of_work
from .base import bp, home_page_for, safe_next
from .forms import EMAIL_FORMAT, FormErrors
from .messages import page_message

# The shape of an address (one @, no spaces or control characters); whether it exists is
# never said.
EMAIL_SHAPE = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
BAD_SIGN_IN = _l("Enter a correct email address and password")
LOCKED_HINT = _l("If you have tried several times, signing in with this email address from "
                 "here is paused for 15 minutes, longer if it happens again. Wait and try "
                 "again, or sign in from another device.")


@bp.route("/login", methods=["GET", "POST"])
@rate_limited("RATELIMIT_LOGIN", methods=["POST"])
def login():
    """Sign in with email and password; staff land on their home, coordinators on the dashboard."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or home_page_for(current_user))
    email = ""
    errors = None
    locked = False
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        password = request.form.get("password") or ""
        errors = FormErrors(["email", "password"])
        if not email:
            errors.add("email", _("Enter your email address"))
        if not password:
            errors.add("password", _("Enter your password"))
        if not errors:
            address = request.remote_addr or "unknown"
            user = accounts.authenticate(db.session, email, password, address)
            db.session.commit()  # keep the failed-attempt count even when signing in fails
            if user is not None:
                session.clear()  # a fresh session, so nothing from before sign-in carries over
                login_user(user)
                return redirect(next_url or home_page_for(user), code=303)
            errors.add("email", BAD_SIGN_IN)
            locked = accounts.locked_out(db.session, email, address)
        status = 422 if errors else 200
        return render_template("auth/login.html", email=email, errors=errors, locked=locked,
                               locked_hint=LOCKED_HINT, next_url=next_url), status
    return render_template("auth/login.html", email=email, errors=errors, locked=locked,
                           next_url=next_url)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out (POST with the CSRF token; GET shows a button, so links cannot sign you out)."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("web.index"))
        return render_template("auth/logout.html")
    if current_user.is_authenticated:
        # Server-side: a copy of this session's cookie stops working too.
        accounts.end_sessions(db.session, current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("web.index"), code=303)


# --- password links: reset and invitation ------------------------------------------------------

def _secret() -> str:
    return current_app.config["SECRET_KEY"] or ""


def _reset_ttl() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"])


def _invitation_ttl() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["INVITATION_TTL_DAYS"])


def _valid_for(ttl: dt.timedelta) -> str:
    """How long a link works, in the page's language ("1 hour", "2 awr")."""
    hours = round(ttl.total_seconds() / 3600)
    if hours >= 48:
        return ngettext("%(num)d day", "%(num)d days", hours // 24)
    if hours >= 1:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    minutes = max(1, round(ttl.total_seconds() / 60))
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


@bp.route("/login/reset", methods=["GET", "POST"])
@rate_limited("RATELIMIT_PASSWORD_RESET", methods=["POST"])
def password_reset_request():
    """Ask for a password reset link; the answer never says whether the account exists."""
    email = (request.form.get("email") or "").strip() if request.method == "POST" else ""
    errors = FormErrors(["email"])
    if request.method == "POST":
        if not email:
            errors.add("email", _("Enter your email address"))
        elif len(email) > 254 or not EMAIL_SHAPE.fullmatch(email):
            errors.add("email", EMAIL_FORMAT)
        if not errors:
            with unit_of_work(db.session):
                passwords.request_reset(db.session, _secret(), email, ttl=_reset_ttl())
            return render_template("auth/reset_sent.html", email=email,
                                   valid_for=_valid_for(_reset_ttl()))
    return render_template("auth/reset_request.html", email=email, errors=errors or None,
                           valid_for=_valid_for(_reset_ttl())), 422 if errors else 200


def _set_password_page(token: str, purpose: str, ttl: dt.timedelta, endpoint: str):
    user = passwords.user_for_token(db.session, _secret(), token, purpose, ttl=ttl)
    if user is None:
        return render_template("auth/link_expired.html", purpose=purpose), 410
    errors = None
    if request.method == "POST":
        try:
            with unit_of_work(db.session):
                passwords.set_password(db.session, user, request.form.get("password") or "",
                                       request.form.get("confirm") or "", purpose=purpose)
        except InvalidInput as exc:
            errors = FormErrors(["password", "confirm"])
            for field, messages in exc.errors.items():
                for message in messages:
                    errors.add(field, page_message(str(message).rstrip(".")))
        else:
            logout_user()
            session.clear()
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("web.login"), code=303)
    return render_template("auth/set_password.html", user=user, purpose=purpose,
                           action=url_for(endpoint, token=token), errors=errors,
                           min_length=passwords.MIN_LENGTH), 422 if errors else 200


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@rate_limited("RATELIMIT_PASSWORD_RESET", methods=["POST"])
def password_reset(token: str):
    """Choose a new password through a reset link (single use, valid for an hour)."""
    return _set_password_page(token, passwords.RESET, _reset_ttl(), "web.password_reset")


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@rate_limited("RATELIMIT_PASSWORD_RESET", methods=["POST"])
def invitation(token: str):
    """Set a first password through an invitation link (single use, valid for days)."""
    return _set_password_page(token, passwords.INVITE, _invitation_ttl(), "web.invitation")
