"""The pages' door to the matching service and the per-worker caches it needs."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from ..extensions import db

log = logging.getLogger(__name__)


def postcode_index():
    from ..runtime import postcode_index as _index
    return _index(current_app)


def ranker_cache():
    from ..runtime import ranker_cache as _cache
    return _cache(current_app)


def homes_near(group, limit: int = 10) -> list[dict[str, Any]]:
    """Homes that would welcome ``group``, reduced to what the public may see.

    A registration has already been saved when this runs, so a failure here is logged and
    the person simply sees no list rather than an error page.
    """
    try:
        from ..services import matching
        found = matching.homes_for_group(db.session, ranker_cache(), group, limit=limit)
    except Exception:  # noqa: BLE001 - the confirmation must not fail after saving
        log.exception("Could not list homes near group %s", group.id)
        return []
    public = []
    for match in found:
        home = match.get("care_home") or {}
        public.append({
            "name": home.get("name"),
            "town": home.get("town"),
            "distance_km": match.get("distance_km"),
            "shared_interests": list(match.get("shared_interests") or []),
            "shared_languages": [_language_name(lang)
                                 for lang in match.get("shared_languages") or []],
        })
    return public


def _language_name(lang) -> str:
    """A language's name in the page's language, whether matching gave a tag (``pl``) or a
    dict."""
    from ..domain.languages import language_name
    from ..i18n import current_language
    if isinstance(lang, dict):
        if not lang.get("tag"):
            return lang.get("name") or ""
        return language_name(lang["tag"], current_language())
    return language_name(str(lang), current_language())
