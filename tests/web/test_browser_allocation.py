"""The coordinator for Wales shares out partners in real Chromium, in Welsh: a fair
allocation of the demo network, the pairs and the homes that got nobody, then the same page
at 320 px. Screenshots in build/screenshots/."""

from __future__ import annotations

import json
import re

import pytest

from tests.web.welsh import english_leftovers

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]


def _password(live_server, email: str) -> str:
    database, _ = live_server
    data = json.loads((database.parent / "demo-sign-ins.json").read_text(encoding="utf-8"))
    return {a["email"]: a["password"] for a in data["accounts"]}[email]


def test_the_wales_coordinator_runs_a_fair_allocation_in_welsh(page, live_server,
                                                              screenshot_dir):
    email = "coordinator.wales@demo.kith.example"
    page.goto("/login?lang=cy")
    page.fill("#email", email)
    page.fill("#password", _password(live_server, email))
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/coordinator$"))
    page.click("a[href='/coordinator/allocations']")
    page.wait_for_selector("h1:has-text('Rhannu partneriaid')")
    assert page.is_checked("input[name=strategy][value=fair]")
    page.fill("#per_home", "dim")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".govuk-error-summary:has-text('Mae problem wedi codi')")
    assert page.input_value("#per_home") == "dim"
    page.screenshot(path=str(screenshot_dir / "allocation-errors-cy.png"), full_page=True)
    page.fill("#per_home", "1")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/coordinator/allocations/\d+$"))
    heading = page.locator("h1")
    assert heading.inner_text() == "Dyraniad"
    summary = page.locator("main ul.govuk-list--bullet").inner_text()
    assert "Wedi'u rhannu'n deg" in summary and re.search(r"Cafodd \d+ cartref bartner", summary)
    pairs = page.locator("#pairs + table tbody tr")
    assert pairs.count() >= 1
    # The demo account's address is the only English (it names the role).
    assert [text for text in english_leftovers(page.content()) if "@" not in text] == []
    page.screenshot(path=str(screenshot_dir / "allocation-cy.png"), full_page=True)

    page.set_viewport_size({"width": 320, "height": 800})
    page.reload()
    # The long demo address in the banner wraps too.
    assert page.evaluate("document.documentElement.scrollWidth") <= 321
    page.screenshot(path=str(screenshot_dir / "allocation-cy-320.png"), full_page=True)
    assert page.js_errors == [] and page.csp_violations == []
