"""A choir registers twice, in real Chromium: the coordinator sees the warning on the review
page and rejects the second registration as a duplicate. Screenshots in build/screenshots/."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.web.conftest import BROWSER_PASSWORD, BROWSER_USERS
from tests.web.test_browser import fill_group_with_mistakes

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]


def _an_english_group(database) -> tuple[int, str, str, str]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT id, name, contact_email, postcode FROM community_groups WHERE status = "
            "'approved' AND nation = 'england' AND contact_email IS NOT NULL ORDER BY id"
        ).fetchone()


def test_a_second_registration_is_flagged_and_rejected_as_a_duplicate(page, live_server,
                                                                        screenshot_dir):
    database, _ = live_server
    original_id, name, email, postcode = _an_english_group(database)
    page.goto("/register")
    fill_group_with_mistakes(page)
    page.fill("#name", name.upper())
    page.fill("#postcode", postcode)
    page.fill("#travel_radius_km", "5")
    page.fill("#contact_email", email)
    page.check("#consent")
    page.click("button:has-text('Register my group')")
    page.wait_for_selector("h1:has-text('Registration received')")

    page.goto("/login")
    page.fill("#email", BROWSER_USERS["coordinator"][0])
    page.fill("#password", BROWSER_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(re.compile(r"/coordinator$"))
    pending = page.locator("section[aria-labelledby=pending] table")
    row = pending.locator("tr", has_text=name.upper())
    assert re.search(r"waited less than a day", row.inner_text())
    row.locator("a", has_text="Review").click()

    warning = page.locator(".govuk-notification-banner", has_text="Possible duplicate")
    warning.wait_for()
    text = warning.inner_text()
    assert f"Possible duplicate of {name}" in text and "same email" in text
    assert "similar name" in text
    assert warning.locator("a", has_text=name).get_attribute("href") \
        == f"/coordinator/groups/{original_id}"
    page.screenshot(path=str(screenshot_dir / "duplicate-warning.png"), full_page=True)
    warning.locator("button", has_text=f"Reject as a duplicate of {name}").first.click()
    banner = page.locator(".govuk-notification-banner--success")
    banner.wait_for()
    assert f"as a duplicate of {name}" in banner.inner_text()
    page.screenshot(path=str(screenshot_dir / "duplicate-rejected.png"), full_page=True)
    assert name.upper() not in page.locator("section[aria-labelledby=pending]").inner_text()
    with sqlite3.connect(database) as connection:
        status, reason = connection.execute(
            "SELECT status, status_reason FROM community_groups WHERE name = ?",
            (name.upper(),)).fetchone()
    assert status == "rejected" and name in reason
    assert page.js_errors == [] and page.csp_violations == []
