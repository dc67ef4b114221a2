"""A choir registers twice, in real Chromium: the coordinator sees the warning on the review
page and rejects the second registration as a duplicate. Screenshots in build/screenshots/."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.web.test_browser import fill_group_with_mistakes, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]


def _an_english_group(database) -> tuple[int, str, str, str]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT id, name, contact_email, postcode FROM community_groups WHERE status = "
            "'approved' AND nation = 'england' AND contact_email IS NOT NULL ORDER BY id"
        ).fetchone()


def register_again(page, name: str, postcode: str, email: str, phone: str = "") -> None:
    """Register ``name`` through the form with ``email`` (that of a group Kith has), then
    sign in as the English coordinator and open the dashboard."""
    page.goto("/register")
    fill_group_with_mistakes(page)
    page.fill("#name", name)
    page.fill("#postcode", postcode)
    page.fill("#travel_radius_km", "5")
    page.fill("#contact_email", email)
    if phone:
        page.fill("#contact_phone", phone)
    page.check("#consent")
    page.click("button:has-text('Register my group')")
    page.wait_for_selector("h1:has-text('Registration received')")
    sign_in(page, "coordinator")
    page.wait_for_url(re.compile(r"/coordinator$"))


def test_a_second_registration_is_flagged_and_rejected_as_a_duplicate(page, live_server,
                                                                        screenshot_dir):
    database, _ = live_server
    original_id, name, email, postcode = _an_english_group(database)
    register_again(page, name.upper(), postcode, email)
    pending = page.locator("section[aria-labelledby=pending] table")
    row = pending.locator("tr", has_text=name.upper())
    assert re.search(r"waited less than a day", row.inner_text())
    row.locator("a", has_text="Review").click()

    warning = page.locator(".govuk-notification-banner", has_text="Possible duplicate")
    warning.wait_for()
    text = warning.inner_text()
    assert f"Possible duplicate of {name}" in text and "same email" in text
    assert "similar name" in text
    link = warning.locator("a.govuk-notification-banner__link", has_text=name)
    assert link.get_attribute("href") == f"/coordinator/groups/{original_id}"
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
