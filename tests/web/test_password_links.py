"""Password reset and invitation links: single use, expiring, never revealing an account."""

from __future__ import annotations

import datetime as dt

import pytest

from matcher.models import User
from matcher.services import passwords

SECRET = "test-secret"  # the shared test app's SECRET_KEY
OLD = "the old password, long"
NEW = "a brand new password"
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def staff(make_user, make_home):
    home = make_home()
    user, _ = make_user("care_home", care_home_id=home.id, password=OLD,
                        email="staff.member@example.org")
    return user


def test_a_reset_link_works_once(db, staff):
    token = passwords.make_token(SECRET, staff, passwords.RESET)
    assert passwords.user_for_token(db.session, SECRET, token, passwords.RESET, ttl=HOUR) \
        is staff
    passwords.set_password(db.session, staff, NEW, NEW, purpose=passwords.RESET)
    db.session.commit()
    assert passwords.user_for_token(db.session, SECRET, token, passwords.RESET,
                                    ttl=HOUR) is None


def test_a_reset_link_expires_after_its_time(db, staff):
    issued = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    token = passwords.make_token(SECRET, staff, passwords.RESET, now=issued)

    def at(minutes):
        return passwords.user_for_token(db.session, SECRET, token, passwords.RESET, ttl=HOUR,
                                        now=issued + dt.timedelta(minutes=minutes))

    assert at(59) is staff and at(60) is staff
    assert at(61) is None
    assert at(-5) is None  # issued "in the future": not a token we made at that time


def test_a_link_is_for_its_own_purpose_user_and_secret(db, staff, make_user):
    token = passwords.make_token(SECRET, staff, passwords.RESET)
    assert passwords.user_for_token(db.session, SECRET, token, passwords.INVITE,
                                    ttl=HOUR) is None
    assert passwords.user_for_token(db.session, "another secret", token, passwords.RESET,
                                    ttl=HOUR) is None
    other, _ = make_user("admin")
    user_id, issued, signature = token.split(".")
    forged = f"{other.id}.{issued}.{signature}"
    assert passwords.user_for_token(db.session, SECRET, forged, passwords.RESET,
                                    ttl=HOUR) is None
    for junk in ("", "abc", "1.2", "x.y.z", "9" * 300, f"99999999999.{issued}.{signature}"):
        assert passwords.user_for_token(db.session, SECRET, junk, passwords.RESET,
                                        ttl=HOUR) is None


def test_a_deactivated_account_cannot_use_its_link(db, staff):
    token = passwords.make_token(SECRET, staff, passwords.RESET)
    staff.active = False
    db.session.commit()
    assert passwords.user_for_token(db.session, SECRET, token, passwords.RESET,
                                    ttl=HOUR) is None


def test_setting_a_password_through_the_page_ends_other_sessions(app, client, db, staff,
                                                                sign_in):
    other = app.test_client()
    other.post("/login", data={"email": staff.email, "password": OLD})
    assert other.get(f"/care-homes/{staff.care_home_id}/partners").status_code == 200
    token = passwords.make_token(SECRET, staff, passwords.RESET)
    url = f"/login/reset/{token}"
    page = client.get(url)
    assert page.status_code == 200 and staff.email in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"

    mismatch = client.post(url, data={"password": NEW, "confirm": NEW + "x"})
    assert mismatch.status_code == 422
    assert "do not match" in mismatch.get_data(as_text=True)
    short = client.post(url, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(
        as_text=True)

    done = client.post(url, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    # The other browser is signed out; the old password is gone; the new one works.
    assert other.get(f"/care-homes/{staff.care_home_id}/partners").status_code == 302
    assert sign_in(staff.email, OLD).status_code == 422
    assert sign_in(staff.email, NEW).status_code == 303
    # The link is spent.
    spent = client.get(url)
    assert spent.status_code == 410 and "no longer works" in spent.get_data(as_text=True)
    assert client.post(url, data={"password": "yet another password",
                                  "confirm": "yet another password"}).status_code == 410
    db.session.expire_all()
    assert passwords.user_for_token(db.session, SECRET, token, passwords.RESET,
                                    ttl=HOUR) is None


def test_an_expired_reset_link_shows_how_to_get_a_new_one(client, staff):
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61)
    token = passwords.make_token(SECRET, staff, passwords.RESET, now=long_ago)
    response = client.get(f"/login/reset/{token}")
    assert response.status_code == 410
    assert "/login/reset" in response.get_data(as_text=True)


def test_an_invitation_lasts_a_week_and_sets_the_first_password(client, db, make_user,
                                                                sign_in):
    user, _ = make_user("coordinator", nation="wales", email="new.coordinator@example.org")
    assert user.password_hash is None
    six_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=6)
    token = passwords.make_token(SECRET, user, passwords.INVITE, now=six_days_ago)
    assert client.get(f"/login/reset/{token}").status_code == 410  # not a reset link
    assert client.get(f"/invitations/{token}").status_code == 200
    assert client.post(f"/invitations/{token}",
                       data={"password": NEW, "confirm": NEW}).status_code == 303
    assert client.get(f"/invitations/{token}").status_code == 410
    assert sign_in(user.email, NEW).status_code == 303
    eight_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=8)
    db.session.expire_all()
    old = passwords.make_token(SECRET, db.session.get(User, user.id), passwords.INVITE,
                               now=eight_days_ago)
    assert client.get(f"/invitations/{old}").status_code == 410


def test_the_reset_form_checks_the_address_shape(client):
    response = client.post("/login/reset", data={"email": "not an address"})
    assert response.status_code == 422
    assert "correct format" in response.get_data(as_text=True)
    assert "not an address" in response.get_data(as_text=True)  # the entry is kept


def test_the_sign_in_page_offers_a_reset(client):
    assert "/login/reset" in client.get("/login").get_data(as_text=True)


def test_asking_for_a_link_needs_the_forms_csrf_token():
    from matcher import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "csrf-test", "WTF_CSRF_ENABLED": True,
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:",
                      "RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert client.post("/login/reset", data={"email": "someone@example.org"}).status_code \
        == 400
    assert client.post("/login/reset/1.1.x", data={"password": NEW, "confirm": NEW}
                       ).status_code == 400


def test_asking_for_links_is_rate_limited(tmp_path):
    from tests.web.test_rate_limits import run_limited_app

    form = {"email": "nobody@example.org"}
    answers = run_limited_app({"RATELIMIT_PASSWORD_RESET": "2 per minute"},
                              [("POST", "/login/reset", form)] * 3, migrate=True,
                              tmp_path=tmp_path)
    assert [a["status"] for a in answers] == [200, 200, 429]
    assert answers[2]["retry_after"]


def test_no_link_without_a_secret(db, staff):
    with pytest.raises(ValueError):
        passwords.make_token("", staff, passwords.RESET)
    token = passwords.make_token(SECRET, staff, passwords.RESET)
    assert passwords.user_for_token(db.session, "", token, passwords.RESET, ttl=HOUR) is None
