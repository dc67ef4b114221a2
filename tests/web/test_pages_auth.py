"""Signing in and out of the pages: landing pages, wrong passwords, lock-out, safe redirects."""

from __future__ import annotations

import pytest
from flask import g

from matcher.web.base import safe_next
from tests.web.conftest import parse_page

PASSWORD = "correct horse battery staple"


def test_care_home_staff_land_on_their_partners_page(make_user, make_home, sign_in, client):
    home = make_home()
    user, _ = make_user("care_home", care_home_id=home.id, password=PASSWORD)
    response = sign_in(user.email, PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/care-homes/{home.id}/partners")
    html = client.get("/").get_data(as_text=True)
    assert "My care home" in html and "Sign out" in html and "Sign in</a>" not in html


def test_coordinators_land_on_the_dashboard(make_user, sign_in, client):
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    response = sign_in(user.email.upper(), PASSWORD)  # email case does not matter
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/coordinator")
    assert "Coordinator dashboard" in client.get("/").get_data(as_text=True)


def test_wrong_password_gives_the_generic_message(make_user, sign_in):
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    for email in (user.email, "nobody@example.org"):
        response = sign_in(email, "wrong password")
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Enter a correct email address and password" in html
        assert "#email" in parse_page(html).summary_links
        assert "locked" not in html  # an unknown address looks the same as a wrong password


def test_blank_fields_are_named(sign_in):
    html = sign_in("", "").get_data(as_text=True)
    assert "Enter your email address" in html and "Enter your password" in html
    assert {"#email", "#password"} <= set(parse_page(html).summary_links)


def test_repeated_failures_lock_the_account(make_user, sign_in, db):
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    for _ in range(5):
        sign_in(user.email, "wrong password")
    response = sign_in(user.email, PASSWORD)  # even the right password is refused now
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a correct email address and password" in html
    assert "paused for 15 minutes" in html


def test_sign_out_needs_a_post_and_ends_the_session(make_user, sign_in, client):
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(user.email, PASSWORD)
    assert client.get("/coordinator").status_code == 200
    assert client.get("/logout").status_code == 200  # a confirmation page, still signed in
    assert client.get("/coordinator").status_code == 200
    response = client.post("/logout", follow_redirects=True)
    assert "You have signed out" in response.get_data(as_text=True)
    after = client.get("/coordinator")
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_a_copied_session_cookie_stops_working_after_sign_out(make_user, sign_in, client, app):
    """Sign-out ends the session on the server too (issue #19, Low 10): someone who copied
    the cookie before (a shared computer, a stolen cookie) is signed out with it."""
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(user.email, PASSWORD)
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value, domain=cookie.domain)
    assert copy.get("/coordinator").status_code == 200  # the copy works while signed in
    client.post("/logout")
    after = copy.get("/coordinator")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    # Signing in again gives a new session that works; the old copy stays dead.
    sign_in(user.email, PASSWORD)
    assert client.get("/coordinator").status_code == 200
    g.pop("_login_user", None)  # the test's app context outlives a request: forget its user
    assert copy.get("/coordinator").status_code == 302


def test_sign_in_returns_to_a_safe_next_page(make_user, make_home, sign_in):
    home = make_home()
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    target = f"/care-homes/{home.id}/profile"
    assert sign_in(user.email, PASSWORD, next_url=target).headers["Location"].endswith(target)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", "/\t/evil.example"])
def test_sign_in_ignores_a_next_page_on_another_site(make_user, sign_in, target):
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    location = sign_in(user.email, PASSWORD, next_url=target).headers["Location"]
    assert location.endswith("/coordinator")


def test_safe_next_accepts_local_paths_only():
    assert safe_next("/coordinator?q=x#y") == "/coordinator?q=x#y"
    for bad in (None, "", "coordinator", "http://x", "//x", "/\\x", "/x\r\nSet-Cookie: a"):
        assert safe_next(bad) is None


def test_protected_pages_send_visitors_to_sign_in(client, make_home):
    home = make_home()
    for path in ("/coordinator", f"/care-homes/{home.id}/partners",
                 f"/care-homes/{home.id}/profile"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
