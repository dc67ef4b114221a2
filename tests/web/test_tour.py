"""The README's tour, in real Chromium: the demo sign-ins that `make run` prints open the
Welsh home's suggestions, the coordinator's dashboard and the registration form.

The pictures land in build/screenshots/; with ``KITH_TOUR_IMAGES=1`` they replace the README's
images in docs/images/ (how those were made).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.no_db_rollback, pytest.mark.slow]

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def _sign_ins(live_server) -> tuple[dict[str, str], int]:
    database, _ = live_server
    data = json.loads((database.parent / "demo-sign-ins.json").read_text(encoding="utf-8"))
    return {a["email"].split("@")[0]: a["password"] for a in data["accounts"]}, data["tour_home"]


def _sign_in(page, who: str, password: str) -> None:
    page.goto("/login")
    page.fill("#email", f"{who}@demo.kith.example")
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("button:has-text('Sign out')")


def test_the_readme_tour_works_with_the_demo_sign_ins(page, live_server, screenshot_dir):
    passwords, tour_home = _sign_ins(live_server)
    out = DOCS_IMAGES if os.environ.get("KITH_TOUR_IMAGES") == "1" else screenshot_dir
    out.mkdir(parents=True, exist_ok=True)

    _sign_in(page, "staff.plas-eryri", passwords["staff.plas-eryri"])
    page.goto(f"/care-homes/{tour_home}/partners")
    assert "Plas Eryri" in page.inner_text("main")
    assert page.locator("main [id^='partner-']").count() >= 3  # suggestions with reasons
    assert page.locator("#partners-map").count() == 1
    page.screenshot(path=str(out / "tour-partners.png"), full_page=False)
    page.evaluate("document.getElementById('suggestions').scrollIntoView()")
    page.screenshot(path=str(out / "tour-suggestions.png"), full_page=False)
    page.click("button:has-text('Sign out')")

    _sign_in(page, "coordinator.wales", passwords["coordinator.wales"])
    page.goto("/coordinator")
    assert "Wales" in page.inner_text("main")
    page.screenshot(path=str(out / "tour-coordinator.png"), full_page=False)
    page.click("button:has-text('Sign out')")

    page.goto("/register")
    page.screenshot(path=str(out / "tour-register.png"), full_page=False)
    assert not page.js_errors and not page.csp_violations
