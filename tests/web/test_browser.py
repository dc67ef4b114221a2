"""The journey through real Chromium: register a group, approve it, find it, ask to meet it.

Runs against a live server on 127.0.0.1 with the demo network; the browser may reach nothing
else, so map tiles fail and the markers must still show. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.conftest import BROWSER_PASSWORD, BROWSER_USERS

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]

GROUP_NAME = "Ealing Polish Song Circle"


def fill_group_with_mistakes(page):
    page.check("#kind-choir")
    page.fill("#description", "We sing Polish folk songs and play cards over tea and cake.")
    page.fill("#interests", "Polish folk songs\ncard games, Chopin, pierogi making")
    page.fill("#languages", "Polish, English")
    page.fill("#postcode", "w5 2bt")
    page.fill("#travel_radius_km", "lots")
    page.check("#availability-tue_pm")
    page.check("#availability-sat_am")
    assert not page.is_visible("#remote_modes")  # revealed only when asked for
    page.check("#offers_remote")
    page.check("#remote_modes")
    page.check("#remote_modes-letters")
    page.check("#works_with_children-no")
    page.fill("#contact_name", "Zofia Example")
    page.fill("#contact_email", "zofia@example.org")


def sign_in(page, who):
    email = BROWSER_USERS[who][0]
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", BROWSER_PASSWORD)
    page.click("button:has-text('Sign in')")


def sign_out(page):
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("text=You have signed out")


def test_register_approve_find_and_introduce(page, screenshot_dir):
    # --- a group registers, with mistakes first -------------------------------------------
    response = page.goto("/register")
    # the journey runs under the real Content-Security-Policy (no inline scripts or styles)
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    assert page.locator("html").get_attribute("lang") == "en-GB"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    # move focus on, or the skip link vanishing mid-click shifts the page under the pointer
    page.focus("#name")
    fill_group_with_mistakes(page)
    page.screenshot(path=str(screenshot_dir / "register.png"), full_page=True)
    page.click("button:has-text('Register my group')")

    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert page.title().startswith("Error: ")
    # GOV.UK Frontend moves focus to the summary so screen readers announce it
    expect(summary).to_be_focused()
    links = summary.locator("a")
    texts = [links.nth(i).inner_text() for i in range(links.count())]
    assert "Enter the name of your group" in texts
    assert any(text.startswith("How far you can travel must be a number") for text in texts)
    assert any("privacy notice" in text for text in texts)
    page.screenshot(path=str(screenshot_dir / "register-errors.png"), full_page=True)
    summary.locator("a", has_text="Enter the name of your group").click()
    assert page.evaluate("document.activeElement.id") == "name"
    # what was typed is still there
    assert page.input_value("#interests") == "Polish folk songs\ncard games, Chopin, pierogi making"
    assert page.input_value("#postcode") == "w5 2bt"
    assert page.is_checked("#availability-sat_am") and page.is_checked("#kind-choir")

    page.fill("#name", GROUP_NAME)
    page.fill("#travel_radius_km", "8")
    page.check("#consent")
    page.click("button:has-text('Register my group')")
    page.wait_for_selector("h1:has-text('Registration received')")
    edit_link = page.locator("#edit-link").inner_text()
    assert re.search(r"/groups/edit/[\w-]{20,}$", edit_link)
    page.screenshot(path=str(screenshot_dir / "register-done.png"), full_page=True)

    # --- the coordinator for England approves it -------------------------------------------
    sign_in(page, "coordinator")
    page.wait_for_url(re.compile(r"/coordinator$"))
    pending = page.locator("section[aria-labelledby=pending] table")
    assert GROUP_NAME in pending.inner_text()
    page.screenshot(path=str(screenshot_dir / "coordinator.png"), full_page=True)
    pending.locator("tr", has_text=GROUP_NAME).locator("a", has_text="Review").click()
    page.wait_for_selector(f"h1:has-text('{GROUP_NAME}')")
    assert "zofia@example.org" in page.content()
    page.click(f"button:has-text('Approve {GROUP_NAME}')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "is approved" in page.locator(".govuk-notification-banner--success").inner_text()
    sign_out(page)

    # --- staff of the home nearby find it and ask to meet ----------------------------------
    sign_in(page, "staff")
    page.wait_for_url(re.compile(r"/care-homes/1/partners$"))
    card = page.locator("li.kith-match", has_text=GROUP_NAME)
    card.wait_for()
    assert "%" in card.locator(".kith-match__score").inner_text()
    assert card.locator(".kith-components tr").count() >= 3
    # tiles cannot load here, yet the numbered markers are on the map
    page.wait_for_selector(".kith-map__partner")
    assert page.locator(".kith-map__partner").count() >= 1
    assert page.locator(".kith-map__home").count() == 1
    page.screenshot(path=str(screenshot_dir / "partners.png"), full_page=True)

    card.locator("button", has_text="Request an introduction").click()
    banner = page.locator(".govuk-notification-banner--success")
    banner.wait_for()
    assert GROUP_NAME in banner.inner_text()
    card = page.locator("li.kith-match", has_text=GROUP_NAME)
    assert "Introduction requested" in card.inner_text()
    assert card.locator("button", has_text="Request an introduction").count() == 0
    sign_out(page)

    # --- and the coordinator sees the request waiting ------------------------------------------
    sign_in(page, "coordinator")
    page.wait_for_url(re.compile(r"/coordinator$"))
    row = page.locator("section[aria-labelledby=introductions] tr", has_text=GROUP_NAME)
    assert "Introduction requested" in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "coordinator-introductions.png"), full_page=True)
    assert page.js_errors == []
    assert page.csp_violations == []


def test_registration_works_without_javascript(browser, live_server):
    _, base_url = live_server
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    context.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(base_url) else route.abort())
    page = context.new_page()
    try:
        page.goto("/register")
        # the conditional "how?" question is simply shown when scripts do not run
        assert page.is_visible("#remote_modes")
        page.fill("#name", "No Script Knitters")
        page.check("#kind-knitting_club")
        page.fill("#interests", "knitting, crochet")
        page.fill("#postcode", "W5 2BT")
        page.fill("#contact_name", "Nia Example")
        page.fill("#contact_phone", "01632 960002")
        page.check("#consent")
        page.click("button:has-text('Register my group')")
        page.wait_for_selector("h1:has-text('Registration received')")
        assert "/groups/edit/" in page.locator("#edit-link").inner_text()
    finally:
        context.close()
