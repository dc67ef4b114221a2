"""Email on the pages: the .eml outbox without a mail server, /admin/outbox, and the
"lost your link?" page."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from matcher.mail import outbox_dir
from matcher.models import OutboxMessage
from tests.web.conftest import group_form
from tests.web.test_rate_limits import run_limited_app

PASSWORD = "a long enough password"
LINK = re.compile(r"http://localhost/groups/edit/[A-Za-z0-9_-]+")


def _eml_for(app, message_id: int) -> email.message.EmailMessage:
    # The newest: ids come round again after the rollback of each test.
    path = sorted(Path(outbox_dir(app)).glob(f"*-{message_id}.eml"))[-1]
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def _latest(db, **where) -> OutboxMessage:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1)
    for key, value in where.items():
        query = query.where(getattr(OutboxMessage, key) == value)
    return db.session.scalar(query)


def test_without_a_mail_server_registration_writes_an_eml_file_with_both_parts(app, client,
                                                                               db):
    assert not app.config["MAIL_SERVER"]
    response = client.post("/register", data=group_form(contact_email="eml@example.org"))
    assert response.status_code == 303
    row = _latest(db, to_email="eml@example.org")
    assert row.status == "sent" and row.template == "registration_received"
    message = _eml_for(app, row.id)
    assert message["To"].addresses[0].addr_spec == "eml@example.org"
    assert message["Subject"].strip().startswith("Kith: ")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = LINK.search(text).group(0)
    assert link in html
    # The same link as the confirmation page shows, and it opens the group's page.
    done = client.get("/register/done")
    assert link in done.get_data(as_text=True)
    assert client.get(link.removeprefix("http://localhost")).status_code == 200


def test_admins_see_the_outbox_and_open_a_message(app, client, db, make_user, sign_in):
    client.post("/register", data=group_form(contact_email="listed@example.org"))
    row = _latest(db, to_email="listed@example.org")
    admin, _ = make_user("admin", password=PASSWORD)
    sign_in(admin.email, PASSWORD)
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "listed@example.org" in body and row.subject in body and "Sent" in body
    assert "instance/outbox" in body or str(outbox_dir(app)) in body
    one = client.get(f"/admin/outbox/{row.id}")
    assert one.status_code == 200
    assert "/groups/edit/" in one.get_data(as_text=True)
    assert client.get("/admin/outbox?status=failed").status_code == 200
    assert client.get("/admin/outbox/999999").status_code == 404


@pytest.mark.parametrize("role", ["coordinator", "care_home", None])
def test_the_outbox_is_for_admins_only(app, client, db, make_user, make_home, sign_in, role):
    if role:
        kwargs = {"nation": "wales"} if role == "coordinator" else {
            "care_home_id": make_home().id}
        user, _ = make_user(role, password=PASSWORD, **kwargs)
        sign_in(user.email, PASSWORD)
    response = client.get("/admin/outbox")
    if role:
        assert response.status_code == 403
    else:
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_failed_message_shows_on_the_outbox_and_an_admin_can_send_it_again(
        app, client, db, make_user, sign_in, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 1)
    smtp_server.stop()
    client.post("/register", data=group_form(contact_email="later@example.org"))
    row = _latest(db, to_email="later@example.org")
    assert row.status == "failed"
    admin, _ = make_user("admin", password=PASSWORD)
    sign_in(admin.email, PASSWORD)
    body = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "later@example.org" in body and "Failed" in body and row.last_error in body
    smtp_server.start()
    response = client.post(f"/admin/outbox/{row.id}/retry")
    assert response.status_code == 303
    assert _latest(db, to_email="later@example.org").status == "sent"
    assert len(smtp_server.received) == 1


def test_lost_link_gives_the_same_page_for_known_and_unknown_addresses(app, client, db):
    client.post("/register", data=group_form(contact_email="known@example.org"))
    client.get("/register/done")
    first = _latest(db, to_email="known@example.org")
    form = client.get("/groups/lost-link")
    assert form.status_code == 200 and 'name="email"' in form.get_data(as_text=True)

    known = client.post("/groups/lost-link", data={"email": "Known@Example.org"})
    unknown = client.post("/groups/lost-link", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert (known.get_data(as_text=True).replace("Known@Example.org", "X")
            == unknown.get_data(as_text=True).replace("nobody@example.org", "X"))

    resent = _latest(db, template="edit_link")
    assert resent.to_email == "known@example.org" and resent.status == "sent"
    link = LINK.search(_eml_for(app, resent.id).get_body(("plain",)).get_content()).group(0)
    # The same private link as the first email: it keeps working.
    assert link in _eml_for(app, first.id).get_body(("plain",)).get_content()
    assert client.get(link.removeprefix("http://localhost")).status_code == 200
    assert _latest(db, to_email="nobody@example.org") is None

    # Asking again within the hour sends nothing more, and looks the same.
    again = client.post("/groups/lost-link", data={"email": "known@example.org"})
    assert again.status_code == 200
    assert _latest(db, template="edit_link").id == resent.id


def test_lost_link_refuses_what_is_not_an_address_and_keeps_it(client, db):
    response = client.post("/groups/lost-link", data={"email": "not an address"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter an email address in the correct format" in body
    assert 'value="not an address"' in body


def test_lost_link_is_rate_limited(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    results = run_limited_app({"RATELIMIT_LOST_LINK": "2 per minute"},
                              [["GET", "/groups/lost-link", None]]
                              + [["POST", "/groups/lost-link", {"email": "nope"}]] * 3
                              + [["GET", "/groups/lost-link", None]])
    assert [r["status"] for r in results] == [200, 422, 422, 429, 200]
