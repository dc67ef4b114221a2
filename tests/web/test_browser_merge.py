"""A group registers a second time with new details, in real Chromium: the coordinator
compares the registration with the group Kith has, chooses what to take, and merges it.
Screenshots in build/screenshots/."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.web.test_browser_duplicates import register_again

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]


def _an_english_group(database) -> tuple[int, str, str, str, list[str]]:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT id, name, contact_email, postcode, interests FROM community_groups "
            "WHERE status = 'approved' AND nation = 'england' AND contact_email IS NOT NULL "
            "ORDER BY id DESC").fetchone()
    return (*row[:4], json.loads(row[4]))


def test_a_second_registration_is_compared_and_merged(page, live_server, screenshot_dir):
    database, _ = live_server
    original_id, name, email, postcode, interests = _an_english_group(database)
    register_again(page, name, postcode, email, phone="01632 960777")
    page.locator("section[aria-labelledby=pending] tr", has_text=name) \
        .locator("a", has_text="Review").first.click()
    page.locator("a", has_text=f"Compare and merge into {name}").first.click()
    page.wait_for_selector(f"h1:has-text('Merge this registration into {name}')")

    activities = page.locator("fieldset", has=page.locator("legend", has_text="Activities"))
    assert activities.locator("input[value=combine]").is_checked()
    assert "pierogi making" in activities.inner_text()
    contact = page.locator("fieldset", has=page.locator("legend", has_text="Contact"))
    assert contact.locator("input[value=keep]").is_checked()
    # On a phone the values (a long email address too) wrap instead of widening the page.
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 321
    page.screenshot(path=str(screenshot_dir / "duplicate-merge-320.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    contact.locator("label", has_text="Use what this registration says").click()
    page.screenshot(path=str(screenshot_dir / "duplicate-merge.png"), full_page=True)
    page.click(f"button:has-text('Merge into {name}')")

    banner = page.locator(".govuk-notification-banner--success")
    banner.wait_for()
    assert f"merged into {name}, which now has its" in banner.inner_text()
    assert "activities" in banner.inner_text() and "contact" in banner.inner_text()
    assert page.url.endswith(f"/coordinator/groups/{original_id}")
    page.screenshot(path=str(screenshot_dir / "duplicate-merged.png"), full_page=True)
    with sqlite3.connect(database) as connection:
        merged, contact_name, phone = connection.execute(
            "SELECT interests, contact_name, contact_phone FROM community_groups WHERE id = ?",
            (original_id,)).fetchone()
        statuses = [status for (status,) in connection.execute(
            "SELECT status FROM community_groups WHERE name = ? AND id != ?",
            (name, original_id))]
    merged = json.loads(merged)
    assert merged[:len(interests)] == interests and "pierogi making" in merged
    assert (contact_name, phone) == ("Zofia Example", "01632 960777")
    assert statuses == ["rejected"]
    assert page.js_errors == [] and page.csp_violations == []
