"""The JSON API under ``/api/v1``, documented at ``/api/openapi.json`` and ``/api/docs``."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    """Register every API resource; all but the public ones need a bearer token."""
    from ..extensions import api, csrf
    from . import (
        allocations,
        audit,
        care_homes,
        docs,
        geocode,
        groups,
        introductions,
        match_lists,
        matches,
        open_referral,
        reports,
    )
    from .common import authenticate_request, require_json_body

    api.init_app(app)
    protected = [care_homes.blp, groups.blp, matches.blp]
    protected += [match_lists.blp, allocations.blp, introductions.blp, reports.blp]
    protected += [audit.blp]
    public = [geocode.blp]
    public += [open_referral.blp]
    for blp in protected:
        # Blueprints are module-level singletons: add the hooks once, however many apps
        # (tests, benchmarks) are created in one process.
        if not getattr(blp, "_kith_protected", False):
            blp.before_request(authenticate_request)
            blp.before_request(require_json_body)
            blp._kith_protected = True
    for blp in protected + public:
        api.register_blueprint(blp)
        csrf.exempt(blp)  # the API authenticates with bearer tokens, not cookies
    app.register_blueprint(docs.bp)
