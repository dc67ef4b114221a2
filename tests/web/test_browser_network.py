"""The network map and the charts in real Chromium, in Welsh, offline (tiles refused): the
Welsh coordinator sees clusters over the outlines of Wales, the cold spots as red markers and
in the table, and the four charts drawn beside their tables. Screenshots in build/screenshots/.
"""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]


def _sign_in_as_welsh_coordinator(page, live_server) -> None:
    database, _ = live_server
    data = json.loads((database.parent / "demo-sign-ins.json").read_text(encoding="utf-8"))
    password = {a["email"]: a["password"] for a in data["accounts"]}[
        "coordinator.wales@demo.kith.example"]
    page.goto("/login")
    page.fill("#email", "coordinator.wales@demo.kith.example")
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/coordinator**")


def test_welsh_network_map_with_clusters_and_cold_spots(page, live_server, screenshot_dir):
    _sign_in_as_welsh_coordinator(page, live_server)
    # No school in reach of most Welsh demo homes: they become the cold spots of this kind.
    page.goto("/coordinator/network?lang=cy&kind=school")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.locator("h1").inner_text() == "Map o'r rhwydwaith"
    page.wait_for_selector("#network-map[data-mode=cells] .kith-network__cell")
    page.wait_for_selector("path.kith-network__outline")  # the offline outlines are drawn
    cold_rows = page.locator("#cold-spots-table tbody tr")
    assert cold_rows.count() >= 1
    assert page.locator(".kith-network__cell--cold").count() >= 1  # a cluster with a cold spot
    assert page.locator(".kith-network__cell--homes").count() >= 1
    assert page.locator(".kith-network__cell--partners").count() >= 1
    page.locator("#network-map").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "network-map-cy.png"), full_page=True)

    # Closer in, each home stands alone, cold spots as red squares that link to suggestions.
    first = cold_rows.first.locator("a").inner_text()
    page.locator(".kith-network__cell--cold").first.click()
    page.wait_for_timeout(500)
    page.locator(".kith-network__cell--cold, .kith-network__cold-home").first.click()
    page.wait_for_selector(".kith-network__cold-home", timeout=10_000)
    page.locator(".kith-network__cold-home").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "heb neb o fewn cyrraedd" in popup.inner_text()
    assert popup.locator("a").get_attribute("href").endswith("/partners")
    page.wait_for_timeout(400)  # the popup fades in
    page.screenshot(path=str(screenshot_dir / "network-map-cold-spot-cy.png"))
    assert first  # the table names the home too
    assert page.js_errors == [] and page.csp_violations == []


def test_welsh_charts_with_their_tables(page, live_server, screenshot_dir):
    _sign_in_as_welsh_coordinator(page, live_server)
    page.goto("/coordinator/reports?lang=cy")
    assert page.locator("h1").inner_text() == "Adroddiadau"
    for key in ("registrations", "introductions", "funnel", "visits_done"):
        canvas = page.locator(f"canvas[data-chart={key}]")
        canvas.wait_for()
        assert canvas.bounding_box()["height"] > 100, key  # Chart.js has drawn it
        assert page.evaluate(f"() => !!window.Chart.getChart('chart-{key}')"), key
        assert page.locator(f"#table-{key} caption").count() == 1
    page.locator("details summary").first.click()
    page.screenshot(path=str(screenshot_dir / "reports-cy.png"), full_page=True)
    assert page.js_errors == [] and page.csp_violations == []
