"""The Flask extensions: shared singletons where the extension keeps its state per app, and
per-app objects where it does not.

``db``, ``migrate``, ``csrf`` and ``login`` keep what differs between apps in the app itself
(``init_app``), so one object serves every app ``create_app`` builds. Flask-Limiter and
flask-smorest's ``Api`` keep their configuration, storage and OpenAPI document on the object,
so each app gets its own (``app.extensions["kith.limiter"]`` and ``["kith.api"]``), and views
declare their limit with ``rate_limited`` instead of a module-level limiter's decorator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from flask_babel import Babel, gettext
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
# Welsh and English: the locale selector is matcher.i18n.select_locale.
babel = Babel()

login = LoginManager()
login.login_view = "web.login"


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; it is translated where it is shown."""
    return message


login.login_message = N_("Sign in to see this page.")
# Flask-Login flashes the message in the language of the request that needed the sign-in.
login.localize_callback = gettext
login.login_message_category = "info"


@login.user_loader
def _load_user(session_id: str):
    from .services.accounts import user_for_session

    return user_for_session(db.session, session_id)


View = TypeVar("View", bound=Callable)

RATE_LIMIT_MARK = "kith_rate_limit"


def rate_limited(setting: str, *, methods: Sequence[str] | None = None) -> Callable[[View], View]:
    """Mark a view as limited by the Flask-Limiter rule in ``app.config[setting]`` (only for
    ``methods``, if given). The mark does nothing by itself: ``create_app`` wraps every marked
    view with that app's own limiter (``matcher.register_rate_limits``), so two apps in one
    process count and configure their limits apart. On a ``MethodView`` put it in
    ``decorators``."""
    def mark(view: View) -> View:
        setattr(view, RATE_LIMIT_MARK, (setting, tuple(methods) if methods else None))
        return view
    return mark
