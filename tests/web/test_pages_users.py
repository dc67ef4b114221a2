"""Accounts at /coordinator/users: invitations, the password link, deactivation, scope."""

from __future__ import annotations

import re

from sqlalchemy import select

from matcher.models import AuditLog, OutboxMessage, User

PASSWORD = "coordinating is fun"
NEW_PASSWORD = "a brand new password"


def _sign_in_as(make_user, sign_in, role, **kwargs):
    user, _ = make_user(role, password=PASSWORD, **kwargs)
    sign_in(user.email, PASSWORD)
    return user


def _invitation_path(db, email) -> str:
    message = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.to_email == email, OutboxMessage.template == "invitation")
        .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no invitation to {email}"
    return f"/invitations/{message.context['token']}"


def _actions(db, user_id) -> list[str]:
    return [entry.action for entry in db.session.scalars(select(AuditLog).where(
        AuditLog.entity_type == "users", AuditLog.entity_id == user_id).order_by(AuditLog.id))]


def test_invited_staff_set_a_password_and_sign_in(make_user, make_home, sign_in, client, db,
                                                  app):
    home = make_home()
    coordinator = _sign_in_as(make_user, sign_in, "coordinator", nation="wales")
    response = client.post("/coordinator/users/new", data={
        "email": "Nia.Staff@Example.org", "role": "care_home", "care_home_id": str(home.id)})
    assert response.status_code == 303
    page = client.get("/coordinator/users").get_data(as_text=True)
    assert "nia.staff@example.org" in page and "Invited, password not set" in page
    assert home.name in page
    invited = db.session.scalar(select(User).where(User.email == "nia.staff@example.org"))
    assert invited.role == "care_home" and invited.care_home_id == home.id
    assert invited.password_hash is None
    assert _actions(db, invited.id) == ["create", "invite"]
    created = db.session.scalars(select(AuditLog).where(
        AuditLog.entity_id == invited.id, AuditLog.action == "create")).one()
    assert created.user_id == coordinator.id

    # The email's link sets the password; the new account signs in with it.
    client.post("/logout")
    link = _invitation_path(db, invited.email)
    assert client.get(link).status_code == 200
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                       ).status_code == 303
    assert sign_in(invited.email, NEW_PASSWORD).status_code == 303
    assert client.get(f"/care-homes/{home.id}/partners").status_code == 200
    assert client.get("/coordinator/users").status_code == 403
    # Used once: the link is spent.
    client.post("/logout")
    assert client.get(link).status_code == 410


def test_deactivated_accounts_cannot_sign_in_until_reactivated(make_user, make_home, sign_in,
                                                               client, db, app):
    home = make_home()
    staff, headers = make_user("care_home", care_home_id=home.id, password=NEW_PASSWORD)
    _sign_in_as(make_user, sign_in, "coordinator", nation="wales")
    assert client.post(f"/coordinator/users/{staff.id}",
                       data={"action": "deactivate"}).status_code == 303
    assert "Deactivated" in client.get("/coordinator/users").get_data(as_text=True)
    other = app.test_client()
    assert other.post("/login", data={"email": staff.email, "password": NEW_PASSWORD}
                      ).status_code == 422
    assert other.get("/api/v1/care-homes", headers=headers).status_code == 401
    assert client.post(f"/coordinator/users/{staff.id}",
                       data={"action": "reactivate"}).status_code == 303
    assert other.post("/login", data={"email": staff.email, "password": NEW_PASSWORD}
                      ).status_code == 303
    assert _actions(db, staff.id)[-2:] == ["deactivate", "reactivate"]


def test_resending_an_invitation_sends_a_new_link(make_user, make_home, sign_in, client, db):
    home = make_home()
    staff, _ = make_user("care_home", care_home_id=home.id)  # no password: invited
    _sign_in_as(make_user, sign_in, "coordinator", nation="wales")
    assert client.post(f"/coordinator/users/{staff.id}",
                       data={"action": "resend"}).status_code == 303
    assert _invitation_path(db, staff.email)
    assert _actions(db, staff.id)[-1] == "invite"
    # Someone who has set a password has nothing to be re-sent.
    settled, _ = make_user("care_home", care_home_id=home.id, password=NEW_PASSWORD)
    assert client.post(f"/coordinator/users/{settled.id}",
                       data={"action": "resend"}).status_code == 409


def test_coordinators_manage_only_their_nations_staff(make_user, make_home, sign_in, client,
                                                      db):
    welsh_home = make_home()
    english_home = make_home(name="Rose Court", postcode="SW1A 1AA")
    english_staff, _ = make_user("care_home", care_home_id=english_home.id)
    admin, _ = make_user("admin")
    other_coordinator, _ = make_user("coordinator", nation="england")
    _sign_in_as(make_user, sign_in, "coordinator", nation="wales")
    page = client.get("/coordinator/users").get_data(as_text=True)
    assert english_staff.email not in page and admin.email not in page
    assert other_coordinator.email not in page
    for target in (english_staff, admin, other_coordinator):
        for action in ("deactivate", "resend"):
            response = client.post(f"/coordinator/users/{target.id}", data={"action": action})
            assert response.status_code == 404, (target.email, action)
    db.session.expire_all()
    assert db.session.get(User, english_staff.id).active
    # A coordinator invites staff only, for a home of their own nation.
    response = client.post("/coordinator/users/new", data={
        "email": "boss@example.org", "role": "admin"})
    assert response.status_code == 422
    assert "You can invite care-home staff only" in response.get_data(as_text=True)
    response = client.post("/coordinator/users/new", data={
        "email": "eng@example.org", "role": "care_home", "care_home_id": str(english_home.id)})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f"There is no care home number {english_home.id} in your network" in body
    assert 'value="eng@example.org"' in body  # what was typed is kept
    assert db.session.scalar(select(User).where(User.email.in_(
        ["boss@example.org", "eng@example.org"]))) is None
    assert client.post("/coordinator/users/new", data={
        "email": "cy@example.org", "role": "care_home", "care_home_id": str(welsh_home.id)}
    ).status_code == 303


def test_a_homes_page_leads_to_inviting_its_staff_and_the_form_names_the_home(
        make_user, make_home, sign_in, client):
    welsh_home = make_home(name="Plas Menai")
    english_home = make_home(name="Rose Court", postcode="SW1A 1AA")
    _sign_in_as(make_user, sign_in, "coordinator", nation="wales")
    page = client.get(f"/care-homes/{welsh_home.id}/partners").get_data(as_text=True)
    link = f"/coordinator/users/new?care_home_id={welsh_home.id}"
    assert f'href="{link}"' in page and "Invite staff for this home" in page
    form = client.get(link).get_data(as_text=True)
    assert f'value="{welsh_home.id}"' in form
    assert f"Number {welsh_home.id} is <strong data-own-words>Plas Menai</strong>" in form
    # A home outside the coordinator's nation is not named (nor is it invitable).
    form = client.get(f"/coordinator/users/new?care_home_id={english_home.id}"
                      ).get_data(as_text=True)
    assert "Rose Court" not in form and "Its name, postcode, regulator" in form
    # Staff of a home do not get the link.
    client.post("/logout")
    staff, _ = make_user("care_home", password=PASSWORD, care_home_id=welsh_home.id)
    sign_in(staff.email, PASSWORD)
    page = client.get(f"/care-homes/{welsh_home.id}/partners").get_data(as_text=True)
    assert "Invite staff for this home" not in page


def test_staff_are_invited_for_a_home_found_by_its_name_postcode_or_regulator_id(
        make_user, make_home, sign_in, client, db):
    menai = make_home(name="Plas Menai", postcode="LL55 4UR")
    make_home(name="Plas Eryri", postcode="LL55 4EL")
    make_home(name="Rose Court", postcode="SW1A 1AA")
    _sign_in_as(make_user, sign_in, "coordinator", nation="wales")
    db.session.get(type(menai), menai.id).regulator_id = "W-123456"
    db.session.commit()

    def invite(email, **form):
        return client.post("/coordinator/users/new", data={
            "email": email, "role": "care_home", **form})

    def invited_home(email):
        return db.session.scalar(select(User.care_home_id).where(User.email == email))

    # One home matches: the invitation goes.
    assert invite("one@example.org", care_home_id="menai").status_code == 303
    assert invited_home("one@example.org") == menai.id
    assert invite("two@example.org", care_home_id="w-123456").status_code == 303
    assert invited_home("two@example.org") == menai.id
    # Two match: the form comes back with them to choose from, and nothing is sent.
    response = invite("three@example.org", care_home_id="plas")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "2 care homes match ‘plas’: choose one" in body
    assert body.index("Plas Eryri") < body.index("Plas Menai")
    assert f'name="care_home_pick" type="radio" value="{menai.id}"' in body
    assert 'value="three@example.org"' in body and 'value="plas"' in body
    assert invited_home("three@example.org") is None
    assert invite("three@example.org", care_home_id="plas",
                  care_home_pick=str(menai.id)).status_code == 303
    assert invited_home("three@example.org") == menai.id
    # A home of another nation is not found by its name either.
    response = invite("four@example.org", care_home_id="Rose Court")
    assert response.status_code == 422
    assert "No care home in your network matches ‘Rose Court’" in response.get_data(True)
    # A home picked from the list stays named if another field is wrong.
    response = invite("not an email", care_home_id="plas", care_home_pick=str(menai.id))
    assert response.status_code == 422
    assert f"Number {menai.id} is <strong data-own-words>Plas Menai</strong>" in \
        response.get_data(as_text=True)


def test_the_choice_of_homes_reads_in_welsh(make_user, make_home, sign_in, client):
    from tests.web.welsh import english_leftovers

    make_home(name="Plas Menai", postcode="LL55 4UR")
    make_home(name="Plas Eryri", postcode="LL55 4EL")
    _sign_in_as(make_user, sign_in, "coordinator", nation="wales")
    client.get("/coordinator/users/new?lang=cy")
    response = client.post("/coordinator/users/new", data={
        "email": "nia@enghraifft.cymru", "role": "care_home", "care_home_id": "plas"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Mae problem wedi codi" in body
    assert [text for text in english_leftovers(body) if "@" not in text] == []


def test_admins_invite_coordinators_and_admins(make_user, sign_in, client, db):
    _sign_in_as(make_user, sign_in, "admin")
    form = client.get("/coordinator/users/new").get_data(as_text=True)
    assert 'value="coordinator"' in form and 'value="admin"' in form
    response = client.post("/coordinator/users/new", data={
        "email": "alba@example.org", "role": "coordinator"})
    assert response.status_code == 422
    assert "Choose the nation the coordinator covers" in response.get_data(as_text=True)
    assert client.post("/coordinator/users/new", data={
        "email": "alba@example.org", "role": "coordinator", "nation": "scotland"}
    ).status_code == 303
    assert client.post("/coordinator/users/new", data={
        "email": "second.admin@example.org", "role": "admin"}).status_code == 303
    alba = db.session.scalar(select(User).where(User.email == "alba@example.org"))
    assert (alba.role, alba.nation) == ("coordinator", "scotland")
    assert _invitation_path(db, "second.admin@example.org")
    # The same address twice, or nonsense, is the form again with the error.
    for data, field_message in (
            ({"email": "alba@example.org", "role": "admin"},
             "There is already an account with this email address"),
            ({"email": "not an email", "role": "admin"},
             "Enter an email address in the correct format, like name@example.org"),
            ({"email": "x@example.org", "role": "wizard"}, "Choose a role"),
            ({"email": "y@example.org", "role": "care_home", "care_home_id": "abc"},
             "No care home in your network matches ‘abc’"),
            ({"email": "z@example.org", "role": "care_home"},
             "Enter the care home&#39;s name, postcode or number"),
            ({"email": "w@example.org", "role": "admin", "preferred_language": "fr"},
             "Choose the language to write to them in")):
        response = client.post("/coordinator/users/new", data=data)
        assert response.status_code == 422, data
        assert field_message in response.get_data(as_text=True), data


def test_staff_and_visitors_cannot_see_users(make_user, make_home, sign_in, client):
    assert client.get("/coordinator/users").status_code == 302
    home = make_home()
    _sign_in_as(make_user, sign_in, "care_home", care_home_id=home.id)
    assert client.get("/coordinator/users").status_code == 403
    assert client.get("/coordinator/users/new").status_code == 403


def test_one_cannot_deactivate_oneself(make_user, sign_in, client, db):
    admin = _sign_in_as(make_user, sign_in, "admin")
    assert client.post(f"/coordinator/users/{admin.id}",
                       data={"action": "deactivate"}).status_code == 409
    assert "Actions" in client.get("/coordinator/users").get_data(as_text=True)
    assert re.search(r"You\b", client.get("/coordinator/users").get_data(as_text=True))


def test_the_users_pages_read_in_welsh(make_user, make_home, sign_in, client):
    from tests.web.welsh import english_leftovers

    home = make_home(name="Bryn Awel")
    make_user("care_home", care_home_id=home.id, email="nia@enghraifft.cymru")
    _sign_in_as(make_user, sign_in, "admin")

    def main(html: str) -> str:
        return "<main" + html.split("<main", 1)[1].split("</main>", 1)[0] + "</main>"

    listing = client.get("/coordinator/users?lang=cy").get_data(as_text=True)
    assert "Gwahodd rhywun" in listing and "Ailanfon y gwahoddiad" in listing
    assert [text for text in english_leftovers(main(listing)) if "@" not in text] == []
    response = client.post("/coordinator/users/new?lang=cy",
                           data={"email": "cydlynydd@enghraifft.cymru", "role": "coordinator"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Dewiswch y wlad y mae" in body
    assert english_leftovers(main(body)) == []
