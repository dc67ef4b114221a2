"""Reflow (WCAG 1.4.10), in real Chromium: at 320 CSS pixels wide no page with a table
scrolls sideways; every table reflows into cards. Screenshots in build/screenshots/reflow/."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]

WIDTH = 320
# What each signed-in person opens: (name for the screenshot, path, whether it has a table).
ADMIN_PAGES = [
    ("dashboard", "/coordinator", True),
    ("care-homes", "/coordinator/care-homes", True),
    ("network", "/coordinator/network?kind=school", True),
    ("reports", "/coordinator/reports", False),  # its tables wait behind "The numbers"
    ("coordinator-visits", "/coordinator/visits", False),
    ("users", "/coordinator/users", True),
    ("invite", "/coordinator/users/new", False),
    ("audit", "/admin/audit", True),
    ("outbox", "/admin/outbox", True),
]


def _demo_password(live_server, who: str) -> str:
    database, _ = live_server
    data = json.loads((database.parent / "demo-sign-ins.json").read_text(encoding="utf-8"))
    return {a["email"]: a["password"] for a in data["accounts"]}[f"{who}@demo.kith.example"], \
        data["tour_home"]


def _sign_in(page, who: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", f"{who}@demo.kith.example")
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    # At 320 px the Sign out button sits behind the collapsed "Menu" once GOV.UK Frontend's
    # script has run, so it is present but hidden: wait for it to be in the page, not shown.
    page.wait_for_url(re.compile(r"/coordinator"))
    page.wait_for_selector("button:has-text('Sign out')", state="attached")


def _check(page, name: str, path: str, has_table: bool, out) -> None:
    response = page.goto(path)
    assert response.status == 200, (path, response.status)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    assert width <= WIDTH + 1, f"{path} is {width} px wide at a {WIDTH} px viewport"
    tables = page.locator("main table.govuk-table")
    if has_table:
        assert tables.count() >= 1, f"{path} shows no table"
        # The first rows as cards, for a look without scrolling a long page.
        rows = tables.first.locator("tbody tr")
        rows.first.scroll_into_view_if_needed()
        page.screenshot(path=str(out / f"{name}-cards.png"))
    for index in range(tables.count()):
        box = tables.nth(index).bounding_box()
        assert box is None or box["width"] <= WIDTH, (path, index, box)
        # Each value is shown under its column's name once the row is a card.
        cells = tables.nth(index).locator("tbody td[data-label]:not([data-label=''])")
        if cells.count():
            label = page.evaluate(
                "cell => getComputedStyle(cell, '::before').content", cells.first.element_handle())
            assert label not in ("none", "normal", '""'), (path, label)


def test_pages_with_tables_reflow_at_320_pixels(page, live_server, screenshot_dir):
    out = screenshot_dir / "reflow"
    out.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": WIDTH, "height": 800})
    password, tour_home = _demo_password(live_server, "admin")

    _sign_in(page, "admin", password)
    # An invitation first, so the users list, the audit trail and the outbox have rows.
    page.goto("/coordinator/users/new")
    page.fill("#email", "reflow.staff@example.org")
    page.fill("#care_home_id", str(tour_home))
    page.click("button:has-text('Send the invitation')")
    page.wait_for_selector("text=reflow.staff@example.org")
    for name, path, has_table in ADMIN_PAGES:
        _check(page, name, path, has_table, out)
    # A pending registration's review page, and a home's own pages.
    page.goto("/coordinator")
    review = page.locator("a:has-text('Review')").first
    if review.count():
        _check(page, "review", review.get_attribute("href"), False, out)
    for name, path in (("partners", f"/care-homes/{tour_home}/partners"),
                       ("home-visits", f"/care-homes/{tour_home}/visits"),
                       ("profile", f"/care-homes/{tour_home}/profile")):
        _check(page, name, path, False, out)
    page.context.clear_cookies()  # signed out (the button is behind the narrow menu)
    for name, path in (("home", "/"), ("register", "/register")):
        _check(page, name, path, False, out)
    assert not page.js_errors and not page.csp_violations
    assert re.search(r"\S", page.title())
