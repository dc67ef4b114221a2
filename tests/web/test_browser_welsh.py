"""Registering in Welsh through real Chromium: one click on "Cymraeg", a form sent with
mistakes (the error summary and every field's message in Welsh, what was typed kept), then
corrected and received, all in Welsh. Screenshots go to build/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.welsh import english_leftovers

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]

GROUP_NAME = "Côr Merched Caernarfon"


def test_registering_in_welsh_with_mistakes_then_received(page, screenshot_dir):
    page.goto("/register")
    assert page.locator("html").get_attribute("lang") == "en-GB"
    page.click("a.kith-header__language-link:has-text('Cymraeg')")
    page.wait_for_url(re.compile(r"/register\?lang=cy$"))
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.locator("h1").inner_text() == "Cofrestru eich grŵp"
    assert english_leftovers(page.content()) == []

    # Mistakes: no name, a distance in words, half a postcode, no agreement.
    page.focus("#name")
    page.check("#kind-choir")
    page.fill("#description", "Rydym yn canu emynau a chaneuon gwerin gyda phaned wedyn.")
    page.fill("#interests", "canu\nemynau, caneuon gwerin")
    page.fill("#languages", "Cymraeg, Saesneg")
    page.fill("#postcode", "LL55")
    page.fill("#travel_radius_km", "pell")
    page.check("#availability-tue_pm")
    page.check("#offers_remote")
    page.check("#remote_modes-letters")
    page.check("#works_with_children-no")
    page.fill("#contact_name", "Gwenllian Jones")
    page.fill("#contact_email", "gwenllian@enghraifft.org")
    page.screenshot(path=str(screenshot_dir / "register-cy.png"), full_page=True)
    page.click("button:has-text('Cofrestru fy ngrŵp')")

    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    expect(summary).to_be_focused()
    assert page.title().startswith("Gwall: ")
    assert summary.locator("h2").inner_text() == "Mae problem wedi codi"
    links = summary.locator("a")
    texts = [links.nth(i).inner_text() for i in range(links.count())]
    assert "Rhowch enw eich grŵp" in texts
    assert "Pa mor bell y gallwch deithio: rhowch rif, fel 5" in texts
    assert any(text.startswith("Rhaid i chi gytuno i'r hysbysiad preifatrwydd") for text in texts)
    assert any("dim ond yr hanner cyntaf yw hwn" in text for text in texts)
    # each field says what is wrong with it, in Welsh
    assert "Rhowch enw eich grŵp" in page.locator("#name-error").inner_text()
    assert page.locator("#name-error .govuk-visually-hidden").inner_text() == "Gwall:"
    assert english_leftovers(page.content()) == []
    page.screenshot(path=str(screenshot_dir / "register-errors-cy.png"), full_page=True)
    # what was typed is still there
    assert page.input_value("#interests") == "canu\nemynau, caneuon gwerin"
    assert page.input_value("#postcode") == "LL55"
    assert page.input_value("#travel_radius_km") == "pell"
    assert page.is_checked("#availability-tue_pm") and page.is_checked("#remote_modes-letters")

    summary.locator("a", has_text="Rhowch enw eich grŵp").click()
    assert page.evaluate("document.activeElement.id") == "name"
    page.fill("#name", GROUP_NAME)
    page.fill("#postcode", "LL55 1AB")
    page.fill("#travel_radius_km", "15")
    page.check("#consent")
    page.click("button:has-text('Cofrestru fy ngrŵp')")

    page.wait_for_selector("h1:has-text('Cofrestriad wedi dod i law')")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert f"Diolch, {GROUP_NAME}" in page.locator(".govuk-panel__body").inner_text()
    assert re.search(r"/groups/edit/[\w-]{20,}$", page.locator("#edit-link").inner_text())
    assert page.locator("h2", has_text="Cadwch eich dolen breifat").count() == 1
    assert english_leftovers(page.content()) == []
    page.screenshot(path=str(screenshot_dir / "register-done-cy.png"), full_page=True)
    assert page.js_errors == []
    assert page.csp_violations == []
