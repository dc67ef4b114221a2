"""Security headers (flask-talisman), cookie flags and the Content-Security-Policy.

Every response, page or API, carries the headers. TLS is terminated by the load balancer, so
the application does not redirect to HTTPS unless ``FORCE_HTTPS`` is set; HSTS is sent only
on requests that arrived over HTTPS (directly, or as the load balancer's
``X-Forwarded-Proto: https`` says).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

# The pages load nothing from elsewhere except the map tiles of ``MAP_TILES_URL`` (by default
# OpenStreetMap's); with that setting empty, images come from Kith alone.
TILE_SOURCES = ("https://tile.openstreetmap.org", "https://*.tile.openstreetmap.org")
DEFAULT_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def tile_sources(url: str | None) -> tuple[str, ...]:
    """The CSP sources the tile URL template needs: its scheme and host (``{s}`` subdomains
    as ``*``); none for an empty setting."""
    if not url:
        return ()
    if url == DEFAULT_TILES_URL:
        return TILE_SOURCES
    parts = urlsplit(url.replace("{s}", "tiles-subdomain"))
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("MAP_TILES_URL must be an http(s) address template, or empty.")
    return (f"{parts.scheme}://{parts.netloc.replace('tiles-subdomain', '*')}",)


def content_security_policy(tiles_url: str | None) -> dict[str, str]:
    """The policy of every page, allowing images from the configured tile host only."""
    return {**CONTENT_SECURITY_POLICY,
            "img-src": " ".join(("'self'", "data:", *tile_sources(tiles_url)))}


CONTENT_SECURITY_POLICY: dict[str, str] = {
    "default-src": "'self'",
    "img-src": " ".join(("'self'", "data:", *TILE_SOURCES)),
    "script-src": "'self'",
    "style-src": "'self'",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}

# Swagger UI sets style attributes as it draws; only its page is allowed inline styles.
API_DOCS_POLICY: dict[str, str] = {
    **CONTENT_SECURITY_POLICY,
    "style-src": "'self' 'unsafe-inline'",
}
API_DOCS_ENDPOINT = "api_docs.swagger_ui"

# Features no page of Kith uses, switched off so injected content cannot ask for them either.
PERMISSIONS_POLICY: dict[str, str] = {
    "accelerometer": "()",
    "camera": "()",
    "geolocation": "()",
    "gyroscope": "()",
    "magnetometer": "()",
    "microphone": "()",
    "payment": "()",
    "usb": "()",
    "browsing-topics": "()",
}

REFERRER_POLICY = "strict-origin-when-cross-origin"


def cookie_secure_default(config) -> bool:
    """Cookies are ``Secure`` unless the app runs for debugging or tests over plain HTTP."""
    return not (config.get("DEBUG") or config.get("TESTING"))


def _resolve_cookie_flags(app: Flask) -> None:
    # None means "not set": choose from DEBUG/TESTING; an explicit True or False wins.
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = cookie_secure_default(app.config)
    if app.config.get("REMEMBER_COOKIE_SECURE") is None:
        app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if not app.config.get("REMEMBER_COOKIE_SAMESITE"):
        app.config["REMEMBER_COOKIE_SAMESITE"] = app.config["SESSION_COOKIE_SAMESITE"]


def trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from the ``TRUSTED_PROXIES`` nearest
    ``X-Forwarded-For``/``-Proto`` entries (werkzeug's ProxyFix); with ``0`` (the default) no
    such header is believed, so a client cannot pick its own address to dodge a rate limit.
    ``X-Forwarded-Host`` is never trusted: absolute links come from ``public_url``."""
    count = int(app.config["TRUSTED_PROXIES"] or 0)
    if count < 0:
        raise ValueError("TRUSTED_PROXIES must be 0 or more.")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count,  # type: ignore[method-assign]
                                x_host=0, x_port=0, x_prefix=0)


def public_url(path: str) -> str:
    """An absolute URL for ``path`` (``/api/...``) from the configured address of the service:
    ``PUBLIC_BASE_URL``, else ``PREFERRED_URL_SCHEME://SERVER_NAME``; never the request's
    ``Host``, which any client can set (and a shared cache would then serve to everyone). With
    neither configured the path stays relative to the site."""
    config = current_app.config
    base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and config.get("SERVER_NAME"):
        base = f"{config['PREFERRED_URL_SCHEME']}://{config['SERVER_NAME']}"
    return base + path


def absolute_url_for(endpoint: str, **values) -> str:
    """``url_for`` made absolute from the configured address (see `public_url`); only
    without one does it fall back to the request's own address."""
    path = url_for(endpoint, **values)
    absolute = public_url(path)
    return absolute if absolute != path else url_for(endpoint, _external=True, **values)


def register_security(app: Flask) -> Talisman:
    """Set the cookie flags and add the security headers to every response of ``app``."""
    _resolve_cookie_flags(app)
    trust_proxies(app)
    hsts_max_age = int(app.config["HSTS_MAX_AGE"])
    policy = content_security_policy(app.config.get("MAP_TILES_URL"))
    talisman = Talisman()
    talisman.init_app(
        app,
        force_https=bool(app.config["FORCE_HTTPS"]),
        strict_transport_security=hsts_max_age > 0,
        strict_transport_security_max_age=hsts_max_age,
        strict_transport_security_include_subdomains=bool(app.config["HSTS_INCLUDE_SUBDOMAINS"]),
        content_security_policy=policy,
        permissions_policy=PERMISSIONS_POLICY,
        referrer_policy=REFERRER_POLICY,
        frame_options="DENY",
        # The cookie flags are settled above from the configuration; Talisman would force
        # Secure on every non-debug app, tests included.
        session_cookie_secure=False,
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        x_content_type_options=True,
    )
    docs_view = app.view_functions.get(API_DOCS_ENDPOINT)
    if docs_view is not None:
        docs_view.talisman_view_options = {"content_security_policy": {
            **API_DOCS_POLICY, "img-src": policy["img-src"]}}

    @app.after_request
    def _api_no_store(response):
        # API answers are personal to the token that asked; no shared cache may keep them.
        if request.path.startswith("/api/v1/") and request.headers.get("Authorization"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.extensions["kith.talisman"] = talisman
    return talisman
