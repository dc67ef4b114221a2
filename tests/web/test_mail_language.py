"""Correspondence in each person's language (#16 item 3): ``preferred_language`` on groups,
care homes and users, set by the form, the profile, the API and the CLI, and every email
written in its recipient's language, as a real SMTP server on loopback receives it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from matcher import tasks
from matcher.mail import render_message
from matcher.models import CommunityGroup, OutboxMessage, User
from tests.web.conftest import control_value, group_form
from tests.web.welsh import english_leftovers

URL = re.compile(r"https?://\S+")
WELSH_GROUP = {"name": "Dafydd ap Gwilym", "email": "dafydd@example.org",
               "phone": "01632 960001"}
HOME_CONTACT = {"name": "Siân Roberts", "email": "sian@brynawel.example",
                "phone": "01632 960100"}


def parts(message) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a received message."""
    return (str(message["Subject"]), message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


def to(messages, address):
    return next(m for m in messages if m["To"].addresses[0].addr_spec == address)


def english_in_text(text: str) -> list[str]:
    """English interface words left in a subject or text part (addresses aside)."""
    return english_leftovers("".join(f"<p>{line}</p>" for line in URL.sub("", text).splitlines()))


# --- the registration form ---------------------------------------------------------------------

def test_the_form_asks_the_language_and_offers_the_one_it_is_filled_in(client):
    welsh = client.get("/register?lang=cy").get_data(as_text=True)
    assert "Ym mha iaith y dylem ysgrifennu atoch chi?" in welsh
    assert re.search(r'value="cy" checked', welsh)
    english = client.get("/register?lang=en").get_data(as_text=True)
    assert "Which language should we write to you in?" in english
    assert re.search(r'value="en" checked', english)
    # Each language is named in itself, marked as such.
    assert '<span lang="cy">Cymraeg</span>' in english
    assert '<span lang="en">English</span>' in welsh


def test_a_group_registered_in_welsh_gets_its_receipt_in_welsh(client, db, smtp_server):
    # Filled in in Welsh, without touching the language question (as an older form would).
    response = client.post("/register?lang=cy", data=group_form(
        name="Côr Meibion Llanberis", contact_name=WELSH_GROUP["name"],
        contact_email=WELSH_GROUP["email"]))
    assert response.status_code == 303
    group = db.session.scalar(select(CommunityGroup).where(
        CommunityGroup.contact_email == WELSH_GROUP["email"]))
    assert group.preferred_language == "cy"
    [message] = smtp_server.messages()
    subject, text, html = parts(message)
    assert subject.strip() == "Kith: mae cofrestriad Côr Meibion Llanberis wedi dod i law"
    assert text.startswith("Helo Dafydd ap Gwilym,")
    assert "Diolch am gofrestru Côr Meibion Llanberis gyda Kith" in text
    assert "Rydych yn cael yr e-bost hwn oherwydd bod eich grŵp wedi cofrestru" in text
    assert '<html lang="cy">' in html and message["Content-Language"] == "cy"
    assert "Agorwch dudalen breifat eich grŵp" in html
    assert english_leftovers(html) == []
    assert english_in_text(subject) == [] and english_in_text(text) == []
    # The link in the Welsh email opens the group's page.
    link = re.search(r"https?://[^\s\"<>]+/groups/edit/[A-Za-z0-9_-]+", text).group(0)
    assert client.get(link.split("localhost", 1)[1]).status_code == 200


def test_a_group_registered_in_english_gets_its_receipt_in_english(client, db, smtp_server):
    assert client.post("/register?lang=en", data=group_form()).status_code == 303
    [message] = smtp_server.messages()
    subject, text, html = parts(message)
    assert subject.strip() == "Kith: we have received the registration of Llanberis Singers"
    assert "Thank you for registering Llanberis Singers with Kith" in text
    assert '<html lang="en-GB">' in html
    assert db.session.scalar(select(CommunityGroup.preferred_language)) == "en"


def test_the_groups_own_choice_wins_over_the_language_of_the_form(client, db, smtp_server):
    assert client.post("/register?lang=cy", data=group_form(
        preferred_language="en")).status_code == 303
    [message] = smtp_server.messages()
    assert "we have received the registration" in parts(message)[0]
    assert db.session.scalar(select(CommunityGroup.preferred_language)) == "en"


def test_a_language_kith_does_not_write_in_is_refused_with_the_answers_kept(client, db):
    response = client.post("/register?lang=en", data=group_form(preferred_language="fr"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Select the language we should write to you in" in html
    assert 'href="#preferred_language"' in html  # the error summary links to the question
    assert control_value(html, "name") == "Llanberis Singers"
    welsh = client.post("/register?lang=cy", data=group_form(preferred_language="fr"))
    assert "Dewiswch yr iaith y dylem ysgrifennu atoch chi ynddi" in welsh.get_data(as_text=True)
    assert db.session.scalar(select(CommunityGroup.id)) is None


def test_the_private_page_changes_the_language_and_the_next_email_follows(
        client, db, smtp_server):
    assert client.post("/register?lang=en", data=group_form()).status_code == 303
    group = db.session.scalar(select(CommunityGroup))
    token = client.get("/register/done").get_data(as_text=True)
    link = re.search(r"/groups/edit/[A-Za-z0-9_-]+", token).group(0)
    page = client.get(link).get_data(as_text=True)
    assert re.search(r'value="en" checked', page)
    edit = group_form(preferred_language="cy")
    edit.pop("idempotency_key")
    assert client.post(link, data=edit).status_code in (200, 303)
    db.session.expire_all()
    assert db.session.get(CommunityGroup, group.id).preferred_language == "cy"
    smtp_server.received.clear()
    assert client.post("/groups/lost-link", data={"email": "dafydd@example.org"}
                       ).status_code in (200, 303)
    [message] = smtp_server.messages()
    assert parts(message)[0].strip() == "Kith: eich dolen breifat ar gyfer Llanberis Singers"


# --- the API ----------------------------------------------------------------------------------

def test_the_api_takes_and_gives_preferred_language(client, admin_headers, make_home):
    body = {"name": "Côr y Dyffryn", "kind": "choir", "postcode": "LL55 4EL",
            "contact": {"name": "Nia", "email": "nia@example.org"}, "consent": True}
    created = client.post("/api/v1/groups", json=body, headers=admin_headers)
    assert created.status_code == 201 and created.json["preferred_language"] == "en"
    changed = client.patch(f"/api/v1/groups/{created.json['id']}",
                           json={"preferred_language": "cy"}, headers=admin_headers)
    assert changed.status_code == 200 and changed.json["preferred_language"] == "cy"
    welsh = client.post("/api/v1/groups", json={**body, "name": "Côr Arall",
                                                 "preferred_language": "cy"},
                        headers=admin_headers)
    assert welsh.status_code == 201 and welsh.json["preferred_language"] == "cy"
    refused = client.post("/api/v1/groups", json={**body, "preferred_language": "fr"},
                          headers=admin_headers)
    assert refused.status_code == 422 and "preferred_language" in refused.json["errors"]

    home = make_home()
    read = client.get(f"/api/v1/care-homes/{home.id}", headers=admin_headers)
    assert read.json["preferred_language"] == "en"
    changed = client.patch(f"/api/v1/care-homes/{home.id}", json={"preferred_language": "cy"},
                           headers=admin_headers)
    assert changed.status_code == 200 and changed.json["preferred_language"] == "cy"
    refused = client.patch(f"/api/v1/care-homes/{home.id}", json={"preferred_language": "fr"},
                           headers=admin_headers)
    assert refused.status_code == 422 and "preferred_language" in refused.json["errors"]
    spec = client.get("/api/openapi.json").json["components"]["schemas"]
    assert any("preferred_language" in schema.get("properties", {}) for schema in spec.values())


# --- introductions: each side in its own language --------------------------------------------

def test_an_introduction_writes_to_each_side_in_its_own_language(
        client, db, make_home, make_group, make_user, smtp_server):
    home = make_home(contact=HOME_CONTACT, preferred_language="en")
    group = make_group(contact=WELSH_GROUP, preferred_language="cy")
    staff, headers = make_user("care_home", care_home_id=home.id)
    body = {"care_home_id": home.id, "group_id": group.id, "status": "requested"}
    intro = client.post("/api/v1/introductions", json=body, headers=headers)
    assert intro.status_code == 201
    [request] = smtp_server.messages()  # no coordinator for Wales: only the group hears
    subject, text, html = parts(request)
    assert subject.strip() == "Kith: hoffai Bryn Awel gwrdd â Côr Llanberis"
    assert english_leftovers(html) == [] and english_in_text(text) == []
    smtp_server.received.clear()

    admin, admin_headers = make_user("admin")
    assert client.patch(f"/api/v1/introductions/{intro.json['id']}",
                        json={"status": "introduced"}, headers=admin_headers).status_code == 200
    received = smtp_server.messages()
    to_group, to_home = to(received, WELSH_GROUP["email"]), to(received, HOME_CONTACT["email"])
    subject, text, html = parts(to_group)
    assert subject.strip() == "Kith: rydych wedi cael eich cyflwyno i Bryn Awel"
    assert "Diolch am ddweud ie." in text and "E-bost: sian@brynawel.example" in text
    assert english_leftovers(html) == [] and english_in_text(text) == []
    subject, text, html = parts(to_home)
    assert subject.strip() == "Kith: you are introduced to Côr Llanberis"
    assert "Côr Llanberis (Choir) would be glad to hear from Bryn Awel" in text
    assert "Email: dafydd@example.org" in text and '<html lang="en-GB">' in html


def test_a_home_without_a_contact_is_written_to_in_its_staff_members_language(
        client, db, make_home, make_group, make_user, smtp_server):
    home = make_home()
    group = make_group(contact=WELSH_GROUP)
    staff, headers = make_user("care_home", care_home_id=home.id)
    staff.preferred_language = "cy"
    db.session.commit()
    body = {"care_home_id": home.id, "group_id": group.id, "status": "requested"}
    intro = client.post("/api/v1/introductions", json=body, headers=headers).json
    smtp_server.received.clear()
    _, admin_headers = make_user("admin")
    client.patch(f"/api/v1/introductions/{intro['id']}", json={"status": "introduced"},
                 headers=admin_headers)
    to_home = to(smtp_server.messages(), staff.email)
    to_group = to(smtp_server.messages(), WELSH_GROUP["email"])
    assert parts(to_home)[0].strip() == "Kith: rydych wedi cael eich cyflwyno i Côr Llanberis"
    assert parts(to_group)[0].strip() == "Kith: you are introduced to Bryn Awel"


# --- coordinators -------------------------------------------------------------------------------

def test_the_digest_goes_to_each_coordinator_in_their_own_language(
        client, db, make_user, smtp_server):
    welsh, _ = make_user("coordinator", nation="wales", email="cydlynydd@example.org")
    welsh.preferred_language = "cy"
    make_user("coordinator", nation="wales", email="coordinator@example.org")
    db.session.commit()
    assert client.post("/register?lang=en", data=group_form()).status_code == 303
    smtp_server.received.clear()
    assert tasks.queue_digests() == 2
    received = smtp_server.messages()
    subject, text, html = parts(to(received, "cydlynydd@example.org"))
    assert subject.strip() == "Kith: Cofrestriadau newydd yn aros (Cymru): 1"
    assert "Mae 1 grŵp wedi cofrestru (Cymru) ac yn aros i gael eu hadolygu" in text
    assert "Llanberis Singers (Côr)" in text
    assert english_leftovers(html) == [] and english_in_text(text) == []
    subject, text, _ = parts(to(received, "coordinator@example.org"))
    assert subject.strip() == "Kith: 1 new registration waiting in Wales"
    assert "Llanberis Singers (Choir)" in text


def test_create_user_takes_the_language_and_invites_in_it(app, runner, db, smtp_server):
    result = runner.invoke(args=["create-user", "cydlynydd@example.org", "--role",
                                 "coordinator", "--nation", "wales", "--language", "cy"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "cydlynydd@example.org"))
    assert user.preferred_language == "cy"
    [invitation] = smtp_server.messages()
    subject, text, html = parts(invitation)
    assert subject.strip() == "Kith: gwahoddiad i Kith"
    assert "fel cydlynydd rhwydwaith ar gyfer Cymru" in text
    assert re.search(r"am \d+ diwrnod", text)
    assert english_leftovers(html) == [] and english_in_text(text) == []
    refused = runner.invoke(args=["create-user", "other@example.org", "--role", "admin",
                                  "--language", "fr"])
    assert refused.exit_code != 0


# --- the care-home profile --------------------------------------------------------------------

def test_the_profile_sets_the_language_of_the_homes_contact(client, db, make_home, make_user,
                                                            sign_in):
    home = make_home(contact=HOME_CONTACT)
    staff, _ = make_user("care_home", care_home_id=home.id, password="a long enough password")
    assert sign_in(staff.email, "a long enough password").status_code == 303
    page = client.get(f"/care-homes/{home.id}/profile?lang=cy").get_data(as_text=True)
    assert "Ym mha iaith y dylem ysgrifennu at gyswllt y cartref?" in page
    assert re.search(r'value="en" checked', page)
    client.get(f"/care-homes/{home.id}/profile?lang=en")
    data = {"residents": "30", "interests": "singing", "visiting_status": "open",
            "search_radius_km": "15", "preferred_language": "cy"}
    response = client.post(f"/care-homes/{home.id}/profile", data=data)
    assert response.status_code in (200, 303)
    db.session.expire_all()
    assert db.session.get(type(home), home.id).preferred_language == "cy"
    refused = client.post(f"/care-homes/{home.id}/profile",
                          data={**data, "preferred_language": "fr"})
    assert refused.status_code == 422
    assert "Select the language we should write to the home’s contact in" in \
        refused.get_data(as_text=True)


# --- every message, in Welsh ------------------------------------------------------------------

WHEN = "2027-06-10T14:00+01:00"
HOME = {"id": 1, "name": "Bryn Awel", "town": "Caernarfon", "postcode": "LL55 4UR"}
GROUP = {"id": 2, "name": "Côr Llanberis", "kind": "choir", "town": "Llanberis"}
CONTACT = {"name": "Siân Roberts", "email": "sian@brynawel.example", "phone": "01632 960100"}
VISIT = {"visit_id": 3, "home_name": "Bryn Awel", "group_name": "Côr Llanberis",
         "mode": "in_person", "in_person": True, "when": WHEN, "duration_minutes": 90,
         "notes": "", "repeat": "weekly", "repeat_until": "2027-09-30"}
INTRO = {"introduction_id": 4, "home": HOME, "group": GROUP, "message": "", "status": "x"}
GROUP_FACTS = {"group_name": "Côr Llanberis", "contact_name": "Dafydd", "group_id": 2}
LINK = {"token": "abc", "valid_for": "3 days", "valid_minutes": 4320,
        "email": "nia@example.org", "care_home": ""}
# Every template, in each of its forms: (template, recipient role, context).
MESSAGES = [
    ("registration_received", "group", {**GROUP_FACTS, "edit_token": "abc"}),
    ("registration_approved", "group", GROUP_FACTS),
    ("registration_declined", "group", {**GROUP_FACTS, "reason": ""}),
    ("registration_merged", "group", {**GROUP_FACTS, "existing_name": "Côr Meibion Llanberis",
                                      "contact_taken": True}),
    ("registration_merged", "group", {**GROUP_FACTS, "existing_name": "Côr Meibion Llanberis",
                                      "contact_taken": False}),
    ("edit_link", "group", {**GROUP_FACTS, "edit_token": "abc"}),
    ("coordinator_digest", "coordinator", {
        "nation": "wales", "until": WHEN, "since": None, "total_waiting": 3, "erased": 1,
        "groups": [{"id": 2, "name": "Côr Llanberis", "kind": "choir", "town": "Llanberis",
                    "created_at": WHEN}]}),
    ("coordinator_digest", "coordinator", {
        "nation": "wales", "until": WHEN, "since": WHEN, "total_waiting": 1,
        "groups": [{"id": 2, "name": "Côr Llanberis", "kind": "choir", "town": "",
                    "created_at": WHEN}] * 2}),
    ("introduction_requested_coordinator", "coordinator", {**INTRO, "message": "Dewch!"}),
    ("introduction_requested_group", "group", {**INTRO, "edit_token": "abc"}),
    ("introduction_requested_group", "group", INTRO),
    ("introduction_made_home", "care_home", {**INTRO, "partner_contact": CONTACT}),
    ("introduction_made_group", "group", {**INTRO, "partner_contact": CONTACT}),
    ("introduction_made_group", "group", {**INTRO, "partner_contact": {"email": ""}}),
    ("introduction_declined", "care_home", {**INTRO, "side": "home"}),
    ("introduction_declined", "group", {**INTRO, "side": "group"}),
    ("introduction_ended", "care_home", {**INTRO, "side": "home"}),
    ("introduction_ended", "group", {**INTRO, "side": "group"}),
    ("introduction_withdrawn", "group", INTRO),
    ("invitation", "coordinator", {**LINK, "role": "coordinator", "nation": "wales"}),
    ("invitation", "admin", {**LINK, "role": "admin", "nation": ""}),
    ("password_reset", "user", LINK),
    ("safeguarding_expiry", "group", {"group_name": "Côr Llanberis", "group_id": 2,
                                      "scheme": "DBS", "expires_on": "2027-03-20",
                                      "for_coordinator": False}),
    ("safeguarding_expiry", "coordinator", {"group_name": "Côr Llanberis", "group_id": 2,
                                            "scheme": "DBS", "expires_on": "2027-03-20",
                                            "for_coordinator": True}),
    ("visit_planned", "group", {**VISIT, "state": "proposed"}),
    ("visit_planned", "care_home", {**VISIT, "state": "confirmed", "repeat": "none"}),
    ("visit_changed", "group", {**VISIT, "cancelled": False, "occurrence_cancelled": False}),
    ("visit_changed", "group", {**VISIT, "cancelled": True, "occurrence_cancelled": False}),
    ("visit_changed", "group", {**VISIT, "cancelled": False, "occurrence_cancelled": True,
                                "occurrence_when": WHEN}),
    ("visit_reminder", "group", {**VISIT, "days": 7}),
    ("visit_reminder", "care_home", {**VISIT, "days": 1}),
    ("visit_feedback", "group", {**VISIT, "feedback_token": "abc", "respondent": "group"}),
    ("visiting_restricted", "group", {**VISIT, "visiting_status": "restricted",
                                      "remote_modes": ["video_call", "phone", "letters"]}),
]


def test_every_template_is_covered():
    from pathlib import Path

    import matcher
    folder = Path(matcher.__file__).parent / "templates" / "email"
    templates = {path.name.split(".")[0] for path in folder.glob("*.subject.txt")}
    assert templates == {template for template, _, _ in MESSAGES}


@pytest.mark.parametrize(("template", "role", "context"), MESSAGES,
                         ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(MESSAGES)])
def test_every_message_reads_fully_in_welsh(app, template, role, context):
    message = OutboxMessage(id=1, template=template, to_email="nia@example.org",
                            to_name="Nia", recipient_role=role, language="cy",
                            context=context)
    with app.app_context():
        email = render_message(app, message)
    html = email.alternatives[0][0]
    assert english_leftovers(html) == [], html
    assert english_in_text(email.subject) == [] and english_in_text(email.body) == []
    assert '<html lang="cy">' in html and email.body.startswith("Helo Nia,")
    # The English one still reads in English.
    message.language = "en"
    with app.app_context():
        english = render_message(app, message)
    assert english.body.startswith("Hello Nia,") and english.subject != email.subject


def test_dates_labels_and_durations_are_in_the_recipients_language(app):
    context = {**VISIT, "days": 7}
    message = OutboxMessage(id=1, template="visit_reminder", to_email="nia@example.org",
                            to_name="", recipient_role="group", language="cy",
                            context=context)
    with app.app_context():
        welsh = render_message(app, message).body
        message.language = "en"
        english = render_message(app, message).body
    assert "Pryd: dydd Iau 10 Mehefin 2027, 14:00 (amser y DU), am 90 munud" in welsh
    assert "Sut: Wyneb yn wyneb" in welsh and "ymhen 7 diwrnod" in welsh
    assert "When: Thursday 10 June 2027, 14:00 (UK time), for 90 minutes" in english
    assert "How: In person" in english and "in 7 days" in english


def test_messages_queued_before_languages_were_stored_still_render(app):
    """Older rows kept English words (a label, a formatted date) in their context."""
    context = {**VISIT, "mode": "In person", "when": "Thursday 10 June 2027, 14:00",
               "days": 1}
    message = OutboxMessage(id=1, template="visit_reminder", to_email="nia@example.org",
                            to_name="", recipient_role="group", language="en",
                            context=context)
    with app.app_context():
        body = render_message(app, message).body
    assert "When: Thursday 10 June 2027, 14:00 (UK time)" in body and "How: In person" in body


def test_the_outbox_keeps_each_messages_language(db, make_group):
    from matcher.services import notifications
    group = make_group(preferred_language="cy")
    message = notifications.queue_email(
        db.session, template="registration_approved", to_email="dafydd@example.org",
        recipient_role="group", event_key="test:1", context={"group_name": group.name},
        language=group.preferred_language)
    odd = notifications.queue_email(
        db.session, template="registration_approved", to_email="other@example.org",
        recipient_role="group", event_key="test:2", context={"group_name": group.name},
        language="fr")
    db.session.commit()
    assert (message.language, odd.language) == ("cy", "en")


def test_an_invitation_from_the_users_page_is_in_the_language_chosen(
        client, db, make_home, make_user, sign_in, smtp_server):
    home = make_home()
    coordinator, _ = make_user("coordinator", nation="wales", password="coordinating is fun")
    assert sign_in(coordinator.email, "coordinating is fun").status_code == 303
    page = client.get("/coordinator/users/new?lang=cy").get_data(as_text=True)
    assert "Ym mha iaith y dylem ysgrifennu atyn nhw?" in page
    assert re.search(r'value="cy" checked', page)
    form = {"email": "nia@brynawel.example", "role": "care_home", "care_home_id": str(home.id)}
    assert client.post("/coordinator/users/new?lang=en",
                       data={**form, "preferred_language": "cy"}).status_code == 303
    invited = db.session.scalar(select(User).where(User.email == "nia@brynawel.example"))
    assert invited.preferred_language == "cy"
    [invitation] = smtp_server.messages()
    subject, text, html = parts(invitation)
    assert subject.strip() == "Kith: gwahoddiad i Kith"
    assert "fel staff cartref gofal ar gyfer Bryn Awel" in text
    assert english_leftovers(html) == []
    refused = client.post("/coordinator/users/new",
                          data={**form, "email": "other@brynawel.example",
                                "preferred_language": "fr"})
    assert refused.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "other@brynawel.example")) is None


# --- calendars --------------------------------------------------------------------------------

@pytest.fixture
def welsh_visit(db, make_home, make_group):
    """An in-person visit between a Welsh-speaking group and an English-speaking home."""
    from matcher.domain.visits import LONDON
    from matcher.services import introductions, visits
    from matcher.services.audit import SYSTEM

    home = make_home(contact=HOME_CONTACT, preferred_language="en")
    group = make_group(contact=WELSH_GROUP, preferred_language="cy")
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    day = dt.date.today() + dt.timedelta(days=10)
    visit = visits.plan(db.session, intro, {
        "starts_at": dt.datetime.combine(day, dt.time(10, 0), tzinfo=LONDON),
        "duration_minutes": 60, "mode": "in_person"}, SYSTEM)
    db.session.commit()
    return home, group, visit


def test_each_side_gets_its_visit_email_and_calendar_file_in_its_language(
        db, smtp_server, welsh_visit):
    import icalendar
    home, group, visit = welsh_visit
    received = [m for m in smtp_server.messages() if "kith-visit" in m.as_string()]
    for address, summary, subject in (
            (WELSH_GROUP["email"], "Côr Llanberis yn Bryn Awel (Wyneb yn wyneb)",
             "Kith: Ymweliad wedi'i drefnu: Côr Llanberis a Bryn Awel"),
            (HOME_CONTACT["email"], "Côr Llanberis at Bryn Awel (In person)",
             "Kith: Visit planned: Côr Llanberis and Bryn Awel")):
        message = to(received, address)
        assert parts(message)[0].strip() == subject
        [attachment] = [part for part in message.iter_attachments()
                        if part.get_content_type() == "text/calendar"]
        [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
        assert str(event["SUMMARY"]) == summary


def test_a_calendar_feed_speaks_its_owners_language(client, db, welsh_visit):
    import icalendar

    from matcher.services import calendars
    home, group, visit = welsh_visit
    secret = client.application.config["SECRET_KEY"]
    group_token = calendars.address_token(db.session, secret, group)
    home_token = calendars.address_token(db.session, secret, home)
    db.session.commit()
    # Whatever language the calendar app asks in, the owner's language answers.
    welsh = icalendar.Calendar.from_ical(client.get(
        f"/calendar/{group_token}.ics", headers={"Accept-Language": "en"}).data)
    assert str(welsh["X-WR-CALNAME"]) == "Ymweliadau Kith: Côr Llanberis"
    [event] = welsh.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Côr Llanberis yn Bryn Awel (Wyneb yn wyneb)"
    assert str(event["DESCRIPTION"]).startswith("Wyneb yn wyneb: Côr Llanberis a Bryn Awel.")
    english = icalendar.Calendar.from_ical(client.get(
        f"/calendar/{home_token}.ics?lang=cy").data)
    [event] = english.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Côr Llanberis at Bryn Awel (In person)"


def test_a_welsh_group_rejected_as_a_duplicate_is_told_why_in_welsh(
        client, db, make_group, make_user, sign_in, smtp_server):
    original = make_group(name="Côr Llanberis")
    again = make_group(status="pending", name="Cor Llanberis", postcode="LL55 4AA",
                       contact=WELSH_GROUP, preferred_language="cy")
    coordinator, _ = make_user("coordinator", nation="wales", password="coordinating is fun")
    assert sign_in(coordinator.email, "coordinating is fun").status_code == 303
    smtp_server.received.clear()
    # The coordinator works in English; the group hears in Welsh.
    assert client.post(f"/coordinator/groups/{again.id}/duplicate?lang=en",
                       data={"duplicate_of": str(original.id)}).status_code == 303
    [message] = smtp_server.messages()
    subject, text, html = parts(message)
    assert subject.strip() == "Kith: nid yw eich cofrestriad o Cor Llanberis wedi'i gymeradwyo"
    assert "Eu rheswm: Mae'r cofrestriad hwn yn edrych fel ail un ar gyfer Côr Llanberis" \
        in text
    assert english_in_text(text) == []
