"""Fixtures for the page tests: care homes, groups, signing in, and a live server for Chromium."""

from __future__ import annotations

import json
import re
import threading
import uuid
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


# --- records -----------------------------------------------------------------------------------

@pytest.fixture
def make_home(app, db):
    """Create a care home through the same schema and service as the API."""
    from matcher.runtime import postcode_index
    from matcher.schemas import CareHomeInputSchema
    from matcher.services import records
    from matcher.services.audit import SYSTEM

    def _make(**fields):
        payload = {"name": "Bryn Awel", "postcode": "LL55 4UR", "residents": 30,
                   "interests": ["singing", "gardening", "hymns"],
                   "languages": [{"language": "Welsh", "residents": 12},
                                 {"language": "English", "residents": 30}],
                   "visiting_status": "open", "search_radius_km": 15, **fields}
        data = CareHomeInputSchema().load(payload)
        home = records.create_home(db.session, postcode_index(app), data, SYSTEM)
        db.session.commit()
        return home

    return _make


@pytest.fixture
def make_group(app, db):
    """Create a community group (approved unless told otherwise)."""
    from matcher.runtime import postcode_index
    from matcher.schemas import GroupInputSchema
    from matcher.services import records
    from matcher.services.audit import SYSTEM

    def _make(status="approved", **fields):
        payload = {"name": "Côr Llanberis", "kind": "choir",
                   "description": "A choir that loves singing hymns with older people.",
                   "interests": ["singing", "hymns"], "languages": ["Welsh", "English"],
                   "postcode": "LL55 4EL", "travel_radius_km": 20, "capacity_per_month": 4,
                   "contact": {"name": "Dafydd Example", "email": "dafydd@example.org"},
                   "consent": True, **fields}
        data = GroupInputSchema().load(payload)
        group, _, _ = records.create_group(db.session, postcode_index(app), data, SYSTEM,
                                           status=status, source="api",
                                           privacy_notice_version="test")
        db.session.commit()
        return group

    return _make


@pytest.fixture
def introduced_pair(db, make_home, make_group, make_user):
    """An introduced home and choir and an admin's API headers: ``(home, group, intro,
    headers)``; ``home_fields`` are set on the home first (e.g. its contact's email)."""
    from matcher.services import introductions
    from matcher.services.audit import SYSTEM

    def _make(**home_fields):
        home, group = make_home(), make_group()
        for name, value in home_fields.items():
            setattr(home, name, value)
        intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                                  status="requested")
        introductions.transition(db.session, intro, "introduced", SYSTEM)
        db.session.commit()
        _, admin = make_user("admin")
        return home, group, intro, admin

    return _make


def group_form(**overrides) -> dict:
    """A complete, valid registration form as a browser would post it."""
    form = {
        "idempotency_key": str(uuid.uuid4()),
        "name": "Llanberis Singers",
        "kind": "choir",
        "description": "We sing Welsh hymns and folk songs and love a cup of tea afterwards.",
        "interests": "singing\nhymns, folk songs",
        "languages": "Cymraeg, English",
        "postcode": "ll55 4el",
        "travel_radius_km": "20",
        "availability": ["mon_am", "thu_pm"],
        "capacity_per_month": "3",
        "offers_remote": "yes",
        "remote_modes": ["video", "letters"],
        "works_with_children": "no",
        "safeguarding_scheme": "DBS",
        "safeguarding_status": "valid",
        "safeguarding_expires_on-day": "1",
        "safeguarding_expires_on-month": "6",
        "safeguarding_expires_on-year": "2027",
        "contact_name": "Dafydd Example",
        "contact_email": "dafydd@example.org",
        "contact_phone": "01632 960001",
        "consent": "yes",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


@pytest.fixture
def sign_in(client):
    """Sign the test client in through the login form; returns the response."""
    def _sign_in(email, password, follow=False, next_url=None):
        data = {"email": email, "password": password}
        if next_url:
            data["next"] = next_url
        return client.post("/login", data=data, follow_redirects=follow)
    return _sign_in


# --- reading pages -----------------------------------------------------------------------------

class PageParser(HTMLParser):
    """Collects what the page tests look at: ids, labels, form controls, links, summaries."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.controls: list[dict] = []
        self.summary_links: list[str] = []
        self._in_summary = False
        self.html_lang = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"])
        if tag in ("input", "textarea", "select"):
            self.controls.append({"tag": tag, **attributes})
        if tag == "ul" and "govuk-error-summary__list" in (attributes.get("class") or "").split():
            self._in_summary = True
        if self._in_summary and tag == "a":
            self.summary_links.append(attributes.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_summary = False


def parse_page(html: str | bytes) -> PageParser:
    parser = PageParser()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser


def control_value(html: str, name: str) -> str | None:
    """The value of the first input called ``name``."""
    for control in parse_page(html).controls:
        if control.get("name") == name:
            return control.get("value")
    return None


def edit_token_from(html: str) -> str:
    match = re.search(r"/groups/edit/([A-Za-z0-9_\-]+)", html)
    assert match, "the page shows no private edit link"
    return match.group(1)


# --- a live server for the browser tests ------------------------------------------------------

BROWSER_PASSWORD = "browser test password"
BROWSER_USERS = {
    "coordinator": ("coordinator@example.org", "coordinator", "england"),
    "staff": ("staff@example.org", "care_home", "1"),
}


@contextmanager
def serve_demo_app(database: Path, **config):
    """Serve an app of its own, from a thread of this process, on 127.0.0.1:<free port>: a
    migrated SQLite file with the demo data, a coordinator for England and staff of demo
    home 1 (password ``BROWSER_PASSWORD``), CSRF on. Yields its base URL."""
    from werkzeug.serving import make_server

    from matcher import create_app
    from matcher.cli import upgrade_schema
    from matcher.extensions import db
    from matcher.runtime import postcode_index
    from matcher.schemas import CareHomeInputSchema, GroupInputSchema
    from matcher.services import accounts
    from matcher.services.demo import load_demo
    from tests.conftest import postcode_index_path

    app = create_app({
        "TESTING": True,
        "DEBUG": False,
        "SECRET_KEY": "browser-test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "POSTCODE_INDEX_PATH": postcode_index_path(),
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": True,
        **config,
    })
    with app.app_context():
        upgrade_schema()
        load_demo(db.session, postcode_index(app), CareHomeInputSchema(), GroupInputSchema(),
                  privacy_notice_version=app.config["PRIVACY_NOTICE_VERSION"])
        for email, role, scope in BROWSER_USERS.values():
            accounts.create_user(db.session, email, role,
                                 nation=scope if role == "coordinator" else None,
                                 care_home_id=int(scope) if role == "care_home" else None,
                                 password=BROWSER_PASSWORD)
        # The demo's own sign-ins, as `make run` makes them, for the README's tour.
        from matcher.services.demo import create_demo_sign_ins
        sign_ins, tour_home = create_demo_sign_ins(db.session)
        db.session.commit()
        (database.parent / "demo-sign-ins.json").write_text(
            json.dumps({"accounts": sign_ins, "tour_home": tour_home}), encoding="utf-8")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """The demo app served for Chromium (see ``serve_demo_app``): ``(database path, URL)``."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium "
                    "(apt-get install chromium); browser tests need it.")
    path = tmp_path_factory.mktemp("live") / "kith.sqlite3"
    with serve_demo_app(path) as base_url:
        yield path, base_url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium "
                    "(apt-get install chromium); browser tests need it.")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page that may only talk to the live server (tiles are refused)."""
    _, base_url = live_server
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900},
                                  locale="en-GB")

    def only_local(route):
        if route.request.url.startswith(base_url):
            return route.continue_()
        return route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    # The Content-Security-Policy forbids inline scripts and styles; Chromium reports each
    # refusal on the console.
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.csp_violations = violations
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
