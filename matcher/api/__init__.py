"""The JSON API under ``/api/v1``, documented at ``/api/openapi.json`` and ``/api/docs``."""

from __future__ import annotations

import functools

from flask import Flask


@functools.cache
def _blueprints() -> tuple[tuple, tuple]:
    """The resources' blueprints, ``(protected, public)``.

    They are module-level objects shared by every app; Flask copies a blueprint's hooks into
    each app it is registered on, and refuses new hooks once it has been registered, so the
    token and JSON checks are added here once, the first time any app asks.
    """
    from . import (
        allocations,
        audit,
        care_homes,
        geocode,
        groups,
        introductions,
        match_lists,
        matches,
        merges,
        open_referral,
        reports,
        visits,
    )
    from .common import authenticate_request, require_json_body

    protected = (care_homes.blp, groups.blp, merges.blp, matches.blp, match_lists.blp,
                 allocations.blp, introductions.blp, reports.blp, audit.blp, visits.blp)
    public = (geocode.blp, open_referral.blp)
    for blp in protected:
        blp.before_request(authenticate_request)
        blp.before_request(require_json_body)
    return protected, public


def register_api(app: Flask) -> None:
    """Register every API resource on a new ``Api`` of this app's own (flask-smorest keeps the
    OpenAPI document on the ``Api``); all but the public ones need a bearer token."""
    from ..extensions import csrf
    from . import docs
    from .base import KithApi, make_spec_exact

    api = KithApi(app)
    app.extensions["kith.api"] = api
    protected, public = _blueprints()
    for blp in protected + public:
        api.register_blueprint(blp)
        csrf.exempt(blp)  # the API authenticates with bearer tokens, not cookies
    app.register_blueprint(docs.bp)
    make_spec_exact(api, tuple(blp.url_prefix for blp in public))
