"""Security headers on every response, cookie flags, HSTS only over HTTPS, and the pages
working under the Content-Security-Policy in real Chromium."""

from __future__ import annotations

import pytest
from flask import Flask

from matcher.security import API_DOCS_ENDPOINT, _resolve_cookie_flags
from tests.web.test_authorisation import (  # noqa: F401  (world is a fixture)
    ADMIN,
    ANON,
    LINK,
    MATRIX,
    ROUTES,
    send,
    world,
)

STRICT_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:", "https://tile.openstreetmap.org",
                "https://*.tile.openstreetmap.org"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}


def csp_of(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_security_headers(response, *, docs: bool = False) -> None:
    csp = csp_of(response)
    for directive, sources in STRICT_CSP.items():
        if docs and directive == "style-src":
            assert csp[directive] == ["'self'", "'unsafe-inline'"]
        else:
            assert csp.get(directive) == sources, (directive, csp.get(directive))
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin",
                                                   "no-referrer")
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


@pytest.mark.parametrize("actor", [ANON, LINK, ADMIN])
def test_every_route_answers_with_the_security_headers(client, world, actor):  # noqa: F811
    checked = 0
    for route in ROUTES:
        if route.expect.get(actor) is None or route.method == "DELETE":
            continue
        response = send(client, world, route, actor)
        docs = route.rule == "/api/docs"
        assert_security_headers(response, docs=docs)
        checked += 1
    assert checked > 40


def test_errors_carry_the_headers_too(client, admin_headers):
    for response in (client.get("/no-such-page"), client.get("/api/v1/no-such-thing"),
                     client.get("/api/v1/care-homes"),  # 401
                     client.put("/api/v1/care-homes", headers=admin_headers),  # 405
                     client.post("/api/v1/care-homes", data="{", headers={
                         **admin_headers, "Content-Type": "application/json"})):  # 400
        assert response.status_code >= 400
        assert_security_headers(response)


def test_only_the_api_docs_may_use_inline_styles(client, app):
    assert app.view_functions[API_DOCS_ENDPOINT]  # the exception is tied to this view only
    assert csp_of(client.get("/api/docs"))["style-src"] == ["'self'", "'unsafe-inline'"]
    for path in ("/", "/register", "/api/openapi.json", "/static/js/swagger-init.js"):
        assert csp_of(client.get(path))["style-src"] == ["'self'"]


def test_api_answers_with_a_token_are_not_cached(client, admin_headers):
    assert client.get("/api/v1/care-homes", headers=admin_headers).headers[
        "Cache-Control"] == "no-store"


def test_hsts_only_when_the_request_came_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    direct = client.get("/", base_url="https://localhost")
    assert direct.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # TLS ended at the load balancer, which says so
    proxied = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=")
    # and nothing redirects plain HTTP to HTTPS by default (FORCE_HTTPS is off)
    assert client.get("/").status_code == 200


# --- CSRF ----------------------------------------------------------------------------------------

def test_every_form_refuses_a_post_without_its_csrf_token(app, client, db, world,  # noqa: F811
                                                          monkeypatch):
    """Every POST page of the app, found from its URL map, with CSRF on as in production."""
    from sqlalchemy import func, select

    from matcher.models import AuditLog

    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    posts = sorted(rule.rule for rule in app.url_map.iter_rules()
                   if "POST" in rule.methods and not rule.rule.startswith("/api/"))
    assert len(posts) >= 9
    for rule in posts:
        route = MATRIX[("POST", rule)]
        # whoever the matrix lets through, so only the missing token can stop them
        # (409: allowed in, nothing to decide; 410: a used link. The token is checked first.)
        actor = next(a for a in (LINK, ADMIN, ANON)
                     if route.expect.get(a) in (200, 303, 409, 410, 422))
        before = db.session.scalar(select(func.count()).select_from(AuditLog))
        response = send(client, world, route, actor)
        assert response.status_code == 400, (rule, actor, response.status_code)
        assert "page had expired" in response.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(AuditLog)) == before, rule


def test_the_api_needs_no_csrf_token_because_it_ignores_cookies(app, client, make_user,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    user, headers = make_user("admin", password="an admin password here")
    assert client.post("/login", data={"email": user.email, "password": "x"}).status_code == 400
    body = {"name": "Tŷ Newydd", "postcode": "LL55 4BB"}
    assert client.post("/api/v1/care-homes", json=body, headers=headers).status_code == 201
    # a signed-in browser session alone is no credential for the API
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert client.post("/api/v1/care-homes", json=body).status_code == 401


# --- cookies -----------------------------------------------------------------------------------

def _flags(**config) -> dict:
    app = Flask("flags")
    app.config.update({"SESSION_COOKIE_SECURE": None, "REMEMBER_COOKIE_SECURE": None,
                       "SESSION_COOKIE_SAMESITE": "Lax", **config})
    _resolve_cookie_flags(app)
    return app.config


@pytest.mark.parametrize(("config", "secure"), [
    ({}, True),
    ({"DEBUG": True}, False),
    ({"TESTING": True}, False),
    ({"SESSION_COOKIE_SECURE": False}, False),
    ({"SESSION_COOKIE_SECURE": True, "DEBUG": True}, True),
])
def test_cookies_are_secure_unless_debugging_testing_or_told_otherwise(config, secure):
    flags = _flags(**config)
    assert flags["SESSION_COOKIE_SECURE"] is secure
    assert flags["REMEMBER_COOKIE_SECURE"] is secure
    assert flags["SESSION_COOKIE_HTTPONLY"] and flags["REMEMBER_COOKIE_HTTPONLY"]
    assert flags["SESSION_COOKIE_SAMESITE"] == "Lax" and flags["REMEMBER_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(("environment", "flags"), [
    ({}, (True, True, True, "Lax")),  # production
    ({"FLASK_DEBUG": "1"}, (False, False, True, "Lax")),
    ({"SESSION_COOKIE_SECURE": "false"}, (False, False, True, "Lax")),  # told otherwise
])
def test_a_production_app_sets_secure_cookies_from_the_environment(
        monkeypatch, environment, flags):
    """``create_app()`` as wsgi.py runs it: Secure by default; the environment may say not."""
    from matcher import create_app

    for name in ("FLASK_DEBUG", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"})
    assert (app.config["SESSION_COOKIE_SECURE"], app.config["REMEMBER_COOKIE_SECURE"],
            app.config["SESSION_COOKIE_HTTPONLY"], app.config["SESSION_COOKIE_SAMESITE"]) == flags


def test_session_cookie_flags_on_sign_in(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    user, _ = make_user("coordinator", nation="wales", password="a long enough password")
    response = client.post("/login", data={"email": user.email,
                                           "password": "a long enough password"})
    assert response.status_code == 303
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite"} <= attributes
    assert "SameSite=Lax" in cookie


# --- real Chromium under the policy ------------------------------------------------------------

@pytest.fixture(scope="module")
def secure_live_server(tmp_path_factory):
    """The live server of the page tests, but with Secure session cookies (over plain HTTP
    on 127.0.0.1, which Chromium treats as a secure context)."""
    from tests.web import conftest

    if not conftest.CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium; browser tests need it.")
    path = tmp_path_factory.mktemp("live-secure") / "kith.sqlite3"
    with conftest.serve_demo_app(path, SESSION_COOKIE_SECURE=True) as base_url:
        yield base_url


# Collects every CSP violation the page reports, before any of its own scripts run.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def watched_page(browser, secure_live_server):
    context = browser.new_context(base_url=secure_live_server, locale="en-GB",
                                  viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(secure_live_server) else route.abort())
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    page.on("pageerror", lambda exc: page.console_messages.append(f"pageerror: {exc}"))
    try:
        yield page
    finally:
        context.close()


def csp_problems(page) -> list[str]:
    reported = page.evaluate("window.__violations || []")
    console = [text for text in page.console_messages
               if "Content Security Policy" in text or "Refused to" in text
               or text.startswith("pageerror")]
    return reported + console


@pytest.mark.browser
@pytest.mark.slow
def test_partners_map_works_under_the_policy_with_secure_cookies(watched_page):
    from tests.web.conftest import BROWSER_PASSWORD, BROWSER_USERS

    page = watched_page
    page.goto("/login")
    page.fill("#email", BROWSER_USERS["staff"][0])
    page.fill("#password", BROWSER_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/care-homes/1/partners")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.wait_for_selector(".leaflet-container")
    page.wait_for_selector(".kith-map__partner")
    assert page.locator(".kith-map__home").count() == 1
    assert csp_problems(page) == []


@pytest.mark.browser
@pytest.mark.slow
def test_api_docs_render_under_their_policy(watched_page):
    page = watched_page
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary")
    assert "Kith" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 10
    assert csp_problems(page) == []


@pytest.mark.browser
@pytest.mark.slow
def test_registration_page_runs_its_scripts_under_the_policy(watched_page):
    page = watched_page
    page.goto("/register")
    page.wait_for_function("document.body.classList.contains('js-enabled')")
    assert csp_problems(page) == []
