"""Signing in and out of the pages (Flask-Login sessions; the API uses tokens instead)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import db, rate_limited
from ..services import accounts
from .base import bp, home_page_for, safe_next
from .forms import FormErrors

BAD_SIGN_IN = "Enter a correct email address and password"
LOCKED_HINT = ("If you have tried several times, signing in with this email address from "
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
            errors.add("email", "Enter your email address")
        if not password:
            errors.add("password", "Enter your password")
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
    flash("You have signed out.", "success")
    return redirect(url_for("web.index"), code=303)
