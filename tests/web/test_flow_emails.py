"""The emails of a whole journey (register, approve, request, introduce), of password resets
and of invitations, as a real SMTP server on loopback receives them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matcher.models import CommunityGroup, Introduction
from tests.web.conftest import group_form

PASSWORD = "a long enough password"
GROUP = {"name": "Dafydd Example", "email": "dafydd@example.org", "phone": "01632 960001"}
OTHER_GROUP = {"name": "Olwen Other", "email": "olwen.other@example.org",
               "phone": "01632 960999"}
HOME = {"name": "Siân Manager", "email": "manager@brynawel.example", "phone": "01632 960100"}


def text_of(message) -> str:
    """Every part of a message, as one string."""
    parts = [part.get_content() for part in message.walk()
             if part.get_content_type() in ("text/plain", "text/html")]
    return "\n".join([str(message["Subject"]), *parts])


def plain_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def recipients(messages) -> list[str]:
    return sorted(address.addr_spec for m in messages for address in m["To"].addresses)


class Inbox:
    """What the SMTP server received since the last look."""

    def __init__(self, server):
        self.server = server
        self.seen = 0

    def new(self):
        messages = self.server.messages()
        fresh, self.seen = messages[self.seen:], len(messages)
        return fresh


def link_in(message, pattern: str) -> str:
    found = re.search(rf"https?://[^\s\"<>]*{pattern}[^\s\"<>]*", plain_of(message))
    assert found, f"no {pattern} link in: {plain_of(message)}"
    return found.group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("#")[0]


@pytest.fixture
def people(app, db, make_home, make_user, make_group):
    """A Welsh home with staff and a contact, the coordinators of Wales and England, and
    another approved group nearby whose details must never leak."""
    home = make_home(contact=HOME)
    staff, staff_headers = make_user("care_home", care_home_id=home.id, password=PASSWORD,
                                     email="staff@brynawel.example")
    wales, _ = make_user("coordinator", nation="wales", password=PASSWORD,
                         email="coordinator.wales@example.org")
    wales2, _ = make_user("coordinator", nation="wales", email="second.wales@example.org")
    england, _ = make_user("coordinator", nation="england", email="coordinator.england@example.org")
    other = make_group(name="Llanberis Knitters", kind="knitting_club", postcode="LL55 4AA",
                       contact=OTHER_GROUP)
    return {"home": home, "staff": staff, "staff_headers": staff_headers, "wales": wales,
            "wales2": wales2, "england": england, "other": other}


def sign_in_as(client, user):
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_a_whole_journey_mails_the_right_people_and_nobody_else(app, client, db, people,
                                                               smtp_server):
    inbox = Inbox(smtp_server)
    home = people["home"]
    # 1. A group registers through the public form: its contact gets its private link.
    assert client.post("/register", data=group_form(
        contact_name=GROUP["name"], contact_email=GROUP["email"],
        contact_phone=GROUP["phone"])).status_code == 303
    group = db.session.scalar(select(CommunityGroup).where(
        CommunityGroup.contact_email == GROUP["email"]))
    received = inbox.new()
    assert recipients(received) == [GROUP["email"]]

    # 2. The coordinator for Wales approves it: the group hears.
    sign_in_as(client, people["wales"])
    assert client.post(f"/coordinator/groups/{group.id}/decision",
                       data={"decision": "approve"}).status_code == 303
    assert recipients(inbox.new()) == [GROUP["email"]]

    # 3. The home asks to meet it, with a message: Wales's coordinators and the group hear,
    #    England's coordinator and the other group do not.
    sign_in_as(client, people["staff"])
    assert client.post(f"/care-homes/{home.id}/partners/{group.id}/introduce",
                       data={"message": "Would you sing carols with us in December?"}
                       ).status_code == 303
    received = inbox.new()
    assert recipients(received) == sorted([GROUP["email"], "coordinator.wales@example.org",
                                           "second.wales@example.org"])
    to_group = next(m for m in received if m["To"].addresses[0].addr_spec == GROUP["email"])
    assert "Would you sing carols with us in December?" in text_of(to_group)
    assert home.name in str(to_group["Subject"])
    for message in received:  # nobody's contact details before the group says yes
        body = text_of(message)
        assert HOME["email"] not in body and HOME["phone"] not in body
        assert GROUP["phone"] not in body
    page = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    assert GROUP["email"] not in page and GROUP["phone"] not in page

    # 4. The group follows the email's link and accepts: each side gets the other's details.
    client.post("/logout")
    link = path_of(link_in(to_group, "/groups/edit/"))
    assert "Would you sing carols" in client.get(link).get_data(as_text=True)
    intro = db.session.scalar(select(Introduction).where(Introduction.group_id == group.id))
    assert client.post(f"{link}/introductions/{intro.id}",
                       data={"answer": "accept"}).status_code == 303
    received = inbox.new()
    assert recipients(received) == sorted([GROUP["email"], HOME["email"]])
    for message in received:
        body = text_of(message)
        if message["To"].addresses[0].addr_spec == HOME["email"]:
            assert GROUP["name"] in body and GROUP["email"] in body and GROUP["phone"] in body
        else:
            assert HOME["name"] in body and HOME["email"] in body and HOME["phone"] in body
    sign_in_as(client, people["staff"])
    page = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    assert GROUP["email"] in page and GROUP["phone"] in page

    # 5. Visits start, then end: both sides hear of the ending, in plain words.
    headers = people["staff_headers"]
    for status in ("active", "ended"):
        assert client.patch(f"/api/v1/introductions/{intro.id}", json={"status": status},
                            headers=headers).status_code == 200
    received = inbox.new()
    assert recipients(received) == sorted([GROUP["email"], HOME["email"]])
    assert all("ended" in str(m["Subject"]) for m in received)

    # Not one message anywhere carried the other group's details.
    for message in smtp_server.messages():
        body = text_of(message)
        assert all(detail not in body for detail in OTHER_GROUP.values())


def test_the_home_withdrawing_tells_the_group_and_a_decline_tells_the_home(
        client, db, people, make_group, smtp_server):
    inbox = Inbox(smtp_server)
    home, staff_headers = people["home"], people["staff_headers"]
    group = make_group(contact=GROUP)
    body = {"care_home_id": home.id, "group_id": group.id, "status": "requested"}
    intro = client.post("/api/v1/introductions", json=body, headers=staff_headers).json
    inbox.new()
    assert client.patch(f"/api/v1/introductions/{intro['id']}", json={"status": "withdrawn"},
                        headers=staff_headers).status_code == 200
    received = inbox.new()
    assert recipients(received) == [GROUP["email"]]
    assert "withdrawn" in plain_of(received[0])

    again = client.post("/api/v1/introductions", json=body, headers=staff_headers).json
    inbox.new()
    sign_in_as(client, people["wales"])
    assert client.post(f"/coordinator/introductions/{again['id']}/status",
                       data={"status": "declined"}).status_code == 303
    received = inbox.new()
    assert recipients(received) == sorted([GROUP["email"], HOME["email"]])
    assert all("will not go ahead" in str(m["Subject"]) for m in received)
    db.session.expire_all()
    assert db.session.get(CommunityGroup, group.id).status == "approved"


def test_a_group_that_withdrew_gets_nothing_more(client, db, people, make_group, smtp_server):
    from matcher.runtime import postcode_index
    from matcher.schemas import GroupInputSchema
    from matcher.services import records
    from matcher.services.audit import SYSTEM

    inbox = Inbox(smtp_server)
    data = GroupInputSchema().load({
        "name": "Côr Llanberis", "kind": "choir", "interests": ["singing"],
        "postcode": "LL55 4EL", "contact": GROUP, "consent": True})
    group, token, _ = records.create_group(db.session, postcode_index(client.application),
                                           data, SYSTEM, status="approved", source="form",
                                           privacy_notice_version="test")
    db.session.commit()
    intro = client.post("/api/v1/introductions", headers=people["staff_headers"], json={
        "care_home_id": people["home"].id, "group_id": group.id, "status": "requested"}).json
    client.post(f"/groups/edit/{token}/introductions/{intro['id']}", data={"answer": "accept"})
    inbox.new()
    assert client.post(f"/groups/edit/{token}/withdraw").status_code == 303
    inbox.new()
    sign_in_as(client, people["wales"])
    assert client.post(f"/coordinator/introductions/{intro['id']}/status",
                       data={"status": "declined"}).status_code == 303
    received = inbox.new()
    assert recipients(received) == [HOME["email"]]
    assert GROUP["email"] not in text_of(received[0])


# --- password reset and invitations -------------------------------------------------------------

def test_a_reset_link_arrives_for_a_known_address_only_and_works_once(client, db, people,
                                                                     smtp_server, sign_in):
    inbox = Inbox(smtp_server)
    staff = people["staff"]
    known = client.post("/login/reset", data={"email": "  Staff@BrynAwel.example "})
    unknown = client.post("/login/reset", data={"email": "nobody@brynawel.example"})
    assert known.status_code == unknown.status_code == 200

    def page_without_address(response, address):
        return response.get_data(as_text=True).replace(address, "ADDRESS")

    assert page_without_address(known, "Staff@BrynAwel.example") == page_without_address(
        unknown, "nobody@brynawel.example")
    received = inbox.new()
    assert recipients(received) == [staff.email]
    assert "reset your password" in str(received[0]["Subject"]).lower()
    link = path_of(link_in(received[0], "/login/reset/"))
    new = "my new password, long"
    assert client.post(link, data={"password": new, "confirm": new}).status_code == 303
    assert sign_in(staff.email, new).status_code == 303
    assert client.get(link).status_code == 410
    # Asking again straight away does not flood the inbox.
    client.post("/login/reset", data={"email": staff.email})
    client.post("/login/reset", data={"email": staff.email})
    assert len(inbox.new()) <= 1


def test_create_user_without_a_password_emails_an_invitation(app, client, db, runner,
                                                            smtp_server, sign_in):
    inbox = Inbox(smtp_server)
    result = runner.invoke(args=["create-user", "new.coordinator@example.org", "--role",
                                 "coordinator", "--nation", "wales"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].split()[-1].startswith("kith_")  # still the API token, last
    assert any("Invitation emailed to new.coordinator@example.org" in line for line in lines)
    received = inbox.new()
    assert recipients(received) == ["new.coordinator@example.org"]
    body = plain_of(received[0])
    assert "Wales" in body and "7 days" in body
    link = path_of(link_in(received[0], "/invitations/"))
    password = "my first password, long"
    assert client.post(link, data={"password": password, "confirm": password}).status_code \
        == 303
    assert sign_in("new.coordinator@example.org", password).status_code == 303
    assert client.get(link).status_code == 410


def test_create_user_with_a_password_sends_nothing(runner, smtp_server):
    inbox = Inbox(smtp_server)
    result = runner.invoke(args=["create-user", "scripted@example.org", "--role", "admin",
                                 "--password", "a scripted password"])
    assert result.exit_code == 0, result.output
    assert inbox.new() == []
