"""Server-rendered pages: public (registration, edit link), care-home staff and coordinators."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    """Register the ``web`` blueprint, its template helpers and its error pages."""
    from . import (  # noqa: F401  (routes)
        admin,
        allocations,
        auth,
        care_home,
        coordinator,
        group_link,
        network,
        public,
        users,
        visits,
        workspace,
    )
    from .base import bp, install

    app.register_blueprint(bp)
    install(app)
