"""Every page a member of the public or a signed-out person reaches, in Welsh, in each state:
empty, with errors (entries kept), and done. ``english_leftovers`` must find nothing; the
fixtures have Welsh names, and people's own words are marked on the pages."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from matcher.models import CommunityGroup
from matcher.services import introductions, passwords
from matcher.services.audit import SYSTEM
from tests.web.conftest import control_value, edit_token_from, group_form
from tests.web.welsh import english_leftovers

SECRET = "test-secret"  # the shared test app's SECRET_KEY


def welsh(response, status=200) -> str:
    """The page's HTML, checked to be Welsh through and through (character references
    resolved, so that texts read as they are shown)."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:2000]
    assert '<html lang="cy"' in html
    assert english_leftovers(html) == []
    return unescape(html)


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


@pytest.fixture
def cy(client):
    """The test client after choosing Cymraeg (remembered in the cookie)."""
    client.get("/?lang=cy")
    return client


def register_welsh(client, **overrides):
    fields = {"name": "Cantorion Llanberis", "description": "Rydym yn canu emynau.",
              "interests": "canu, emynau", "languages": "Cymraeg, Saesneg",
              "contact_name": "Dafydd Jones", **overrides}
    form = group_form(**fields)
    return client.post("/register", data=form)


# --- pages with no form --------------------------------------------------------------------

def test_home_page_in_welsh(cy):
    html = welsh(cy.get("/"))
    assert "Dewch â'ch cymuned i mewn i gartref gofal" in html
    assert "Cofrestru eich grŵp" in html


def test_accessibility_statement_in_welsh_says_the_service_is_in_welsh(cy):
    html = welsh(cy.get("/accessibility"))
    assert title(html).startswith("Datganiad hygyrchedd")
    assert "Mae pob tudalen o Kith ar gael yn Gymraeg ac yn Saesneg" in html
    assert "Rydym yn ysgrifennu atoch yn yr iaith rydych chi'n ei dewis" in html
    assert "400%" in html


def test_accessibility_statement_in_english_says_the_service_is_in_welsh(client):
    html = client.get("/accessibility").get_data(as_text=True)
    assert "Every page of Kith is available in Welsh and in English" in html
    assert "zoom in up to 400% without" in html


def test_api_documentation_chrome_in_welsh(cy):
    html = cy.get("/").get_data(as_text=True)
    assert 'href="/api/docs?lang=cy">Dogfennaeth yr API</a>' in html
    docs = cy.get("/api/docs?lang=cy").get_data(as_text=True)
    assert '<html lang="cy">' in docs and "<title>Dogfennaeth API Kith</title>" in docs
    assert '<div id="swagger-ui" lang="en-GB"' in docs  # Swagger UI itself speaks English


def test_privacy_notice_in_welsh(app, cy):
    html = welsh(cy.get("/privacy"))
    assert f"Fersiwn {app.config['PRIVACY_NOTICE_VERSION']}" in html
    assert f"ar ôl {app.config['PURGE_PENDING_AFTER_DAYS']} diwrnod" in html
    assert "Beth rydym yn ei gadw" in html
    assert "yr iaith rydym yn ysgrifennu atoch ynddi, Cymraeg neu Saesneg" in html


# --- registration -----------------------------------------------------------------------------

def test_registration_form_in_welsh(cy):
    html = welsh(cy.get("/register"))
    assert "Cofrestru eich grŵp" in title(html)
    assert "Tell care homes" not in html
    assert "Dywedwch wrth gartrefi gofal am eich grŵp (dewisol)" in html
    assert ">Ie</label>" in html and ">Na</label>" in html
    assert ">Diwrnod</label>" in html  # the date input's parts
    assert "Iaith Arwyddion Prydain" in html


def test_registration_errors_in_welsh_keep_the_entries(cy, db):
    response = register_welsh(cy, name="", postcode="ddim yn god post", travel_radius_km="pell",
                              consent=None, contact_email="neb-yn-unman",
                              **{"safeguarding_expires_on-day": "31",
                                 "safeguarding_expires_on-month": "2",
                                 "safeguarding_expires_on-year": None})
    html = welsh(response, 422)
    assert title(html).startswith("Gwall: ")
    assert '<h2 class="govuk-error-summary__title">Mae problem wedi codi</h2>' in html
    start = html.index("govuk-error-summary__list")
    summary = html[start:html.index("</ul>", start)]
    assert "Rhowch enw eich grŵp" in summary
    assert "Pa mor bell y gallwch deithio: rhowch rif, fel 5" in summary
    assert "Rhaid i chi gytuno i'r hysbysiad preifatrwydd" in summary
    assert "Nid yw 'ddim yn god post' yn god post dilys yn y DU" in summary
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in summary
    assert "Dyddiad dod i ben: rhaid cynnwys blwyddyn" in summary
    # field errors say "Gwall:" to screen readers, beside the field
    assert '<span class="govuk-visually-hidden">Gwall:</span> Rhowch enw eich grŵp' in html
    # what was typed is kept
    assert control_value(html, "postcode") == "ddim yn god post"
    assert control_value(html, "travel_radius_km") == "pell"
    assert control_value(html, "contact_email") == "neb-yn-unman"
    assert control_value(html, "safeguarding_expires_on-day") == "31"
    assert "canu, emynau" in html
    assert db.session.scalar(select(CommunityGroup).where(
        CommunityGroup.name == "Cantorion Llanberis")) is None


def test_a_language_the_form_cannot_read_is_named_in_welsh(cy):
    html = welsh(register_welsh(cy, languages="Cymraeg, Klingoneg"), 422)
    assert "Nid ydym yn adnabod yr iaith 'Klingoneg'" in html
    html = welsh(register_welsh(cy, languages="Klingoneg, Cymraeg, Dothraceg, Sindarineg"), 422)
    assert "Nid ydym yn adnabod yr iaith 'Dothraceg'" in html
    assert "Nid ydym yn adnabod yr iaith 'Sindarineg'" in html
    html = welsh(register_welsh(cy, **{"safeguarding_expires_on-day": "31",
                                       "safeguarding_expires_on-month": "2"}), 422)
    assert "Dyddiad dod i ben: rhowch ddyddiad go iawn" in html


def test_messages_built_with_values_are_rebuilt_in_welsh(app):
    from matcher.web.messages import page_message

    several = "'Klingoneg', 'Dothraceg' and 'Sindarineg' are not languages we recognise"
    reason = "Remove the character U+0000 (a control character) at position 3: it is not " \
             "allowed here."
    with app.test_request_context("/?lang=cy"):
        assert page_message(several) == \
            "Nid ydym yn adnabod yr ieithoedd 'Klingoneg', 'Dothraceg' a 'Sindarineg'"
        assert page_message(reason) == \
            "Tynnwch y nod U+0000 (nod rheoli) yn safle 3: nid yw'n cael ei ganiatáu yma."
        assert page_message("Something no catalogue knows.") == "Something no catalogue knows."
    with app.test_request_context("/?lang=en"):
        assert page_message(reason) == reason


def test_postcodes_the_geocoder_cannot_place_are_explained_in_welsh(cy):
    html = welsh(register_welsh(cy, postcode="JE2 3AB"), 422)
    assert "Does dim cyfesurynnau gan JE2 3AB (Jersey)" in html
    html = welsh(register_welsh(cy, postcode="SW9Z 1AA"), 422)
    assert "Ni ddaethpwyd o hyd i SW9Z 1AA" in html


def test_languages_typed_in_welsh_are_understood(cy, db):
    response = register_welsh(cy, languages="Cymraeg, Pwyleg, Iaith Arwyddion Prydain")
    assert response.status_code == 303
    group = db.session.scalar(select(CommunityGroup).where(
        CommunityGroup.name == "Cantorion Llanberis"))
    assert [lang["tag"] for lang in group.languages] == ["cy", "pl", "bfi"]


def test_registration_received_in_welsh_with_homes_nearby(cy, make_home):
    make_home(name="Bryn Awel", postcode="LL55 4UR")
    response = register_welsh(cy)
    assert response.status_code == 303
    html = welsh(cy.get("/register/done"))
    assert "Cofrestriad wedi dod i law" in html
    assert "Diolch, <span data-own-words>Cantorion Llanberis</span>" in html
    assert "Cadwch eich dolen breifat" in html
    assert "Cartrefi cyfagos a fyddai'n eich croesawu" in html
    table = html[html.index('<table class="govuk-table">'):html.index("</table>")]
    assert "Bryn Awel" in table
    assert "Cymraeg" in table and "Welsh" not in table  # languages in common, in Welsh


def test_registration_sent_again_in_welsh(app, cy):
    form = group_form(name="Cantorion Bethesda", contact_name="Dafydd Jones")
    assert cy.post("/register", data=form).status_code == 303
    # Another browser sends the same form again: it is told the registration is in hand.
    other = app.test_client()
    other.get("/?lang=cy")
    assert other.post("/register", data=form).status_code == 303
    html = welsh(other.get("/register/done"))
    assert "Roedd y cofrestriad hwn gennym eisoes" in html


# --- the group's private link ------------------------------------------------------------------

@pytest.fixture
def registered(cy, db, make_home):
    home = make_home(name="Bryn Awel", postcode="LL55 4UR")
    register_welsh(cy)
    token = edit_token_from(cy.get("/register/done").get_data(as_text=True))
    group = db.session.scalar(select(CommunityGroup).where(
        CommunityGroup.name == "Cantorion Llanberis"))
    return home, group, token


def test_private_page_in_welsh_with_a_request_to_answer(cy, db, registered):
    home, group, token = registered
    group.status = "approved"
    introductions.create_introduction(db.session, home, group, SYSTEM, status="requested",
                                      message="Hoffem eich croesawu")
    db.session.commit()
    html = welsh(cy.get(f"/groups/edit/{token}"))
    assert "Manylion eich grŵp" in title(html)
    assert "Cartrefi gofal a ofynnodd am gael cwrdd â chi" in html
    assert ">Derbyn<" in html and ">Gwrthod<" in html
    assert "Hoffem eich croesawu" in html
    # the group's languages, in Welsh, as it would type them
    assert control_value(html, "languages") == "Cymraeg, Saesneg"

    answered = cy.post(f"/groups/edit/{token}/introductions/"
                       f"{group.introductions[0].id}", data={"answer": "decline"},
                       follow_redirects=True)
    html = welsh(answered)
    assert "Rydych chi wedi gwrthod y cyflwyniad i Bryn Awel" in html
    # answering again: already answered, said in Welsh
    again = cy.post(f"/groups/edit/{token}/introductions/{group.introductions[0].id}",
                    data={"answer": "accept"}, follow_redirects=True)
    html = welsh(again)
    assert "Mae statws y cyflwyniad hwn eisoes yn" in html


def test_private_page_without_requests_errors_and_saved(cy, registered):
    _, _, token = registered
    html = welsh(cy.get(f"/groups/edit/{token}"))
    assert "Nid oes cartref gofal wedi gofyn am gael cwrdd â chi eto" in html

    refused = cy.post(f"/groups/edit/{token}",
                      data=group_form(name="", postcode="LL55", consent=None,
                                      description="Rydym yn canu emynau."))
    html = welsh(refused, 422)
    assert title(html).startswith("Gwall: ")
    assert "Mae problem wedi codi" in html and "Rhowch enw eich grŵp" in html
    assert "dim ond yr hanner cyntaf yw hwn" in html
    assert control_value(html, "postcode") == "LL55"

    saved = cy.post(f"/groups/edit/{token}",
                    data=group_form(name="Cantorion Llanberis", contact_name="Dafydd Jones",
                                    description="Rydym yn canu emynau.", consent=None,
                                    travel_radius_km="12"),
                    follow_redirects=True)
    html = welsh(saved)
    assert "Mae eich newidiadau wedi'u cadw" in html


def test_withdrawing_in_welsh(cy, registered):
    _, _, token = registered
    html = welsh(cy.get(f"/groups/edit/{token}/withdraw"))
    assert "Ydych chi'n siŵr eich bod am dynnu" in html
    assert ">Yn ôl</a>" in html
    done = cy.post(f"/groups/edit/{token}/withdraw", follow_redirects=True)
    html = welsh(done)
    assert "Mae eich grŵp wedi'i dynnu'n ôl" in html
    # the link is gone: the 404 page, in Welsh
    html = welsh(cy.get(f"/groups/edit/{token}"), 404)
    assert "Heb ddod o hyd i'r dudalen" in html and "Heb ddod o hyd" in title(html)


def test_lost_link_in_welsh(cy):
    html = welsh(cy.get("/groups/lost-link"))
    assert "Cael dolen breifat eich grŵp eto" in html
    refused = cy.post("/groups/lost-link", data={"email": "dim-at"})
    html = welsh(refused, 422)
    assert title(html).startswith("Gwall: ") and title(html).count("Gwall") == 1
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in html
    assert control_value(html, "email") == "dim-at"
    sent = welsh(cy.post("/groups/lost-link", data={"email": "dafydd@example.org"}))
    assert "Gwiriwch eich e-bost" in sent


# --- signing in and passwords -----------------------------------------------------------------

def test_sign_in_in_welsh_with_errors(cy, make_user):
    html = welsh(cy.get("/login"))
    assert "Mewngofnodi" in title(html)
    assert 'data-i18n.show-password="Dangos"' in html
    blank = welsh(cy.post("/login", data={"email": "", "password": ""}), 422)
    assert "Mae problem wedi codi" in blank
    assert "Rhowch eich cyfeiriad e-bost" in blank and "Rhowch eich cyfrinair" in blank
    user, _ = make_user("admin", password="cyfrinair hir iawn")
    wrong = welsh(cy.post("/login", data={"email": user.email, "password": "anghywir"}), 422)
    assert "Rhowch gyfeiriad e-bost a chyfrinair cywir" in wrong
    assert control_value(wrong, "email") == user.email


def test_a_paused_sign_in_is_explained_in_welsh(cy, make_user):
    user, _ = make_user("admin", password="cyfrinair hir iawn")
    for _ in range(5):
        cy.post("/login", data={"email": user.email, "password": "anghywir"})
    html = welsh(cy.post("/login", data={"email": user.email, "password": "cyfrinair hir iawn"}),
                 422)
    assert "wedi'i oedi am 15 munud" in html


@pytest.mark.slow
def test_too_many_attempts_in_welsh(tmp_path, monkeypatch):
    from tests.web.test_rate_limits import run_limited_app

    monkeypatch.delenv("REDIS_URL", raising=False)  # limits in memory, this app's own
    attempt = ["POST", "/login?lang=cy", {"email": "neb@enghraifft.org", "password": "na"}]
    results = run_limited_app({"RATELIMIT_LOGIN": "1 per minute"}, [attempt, attempt],
                              migrate=True, tmp_path=tmp_path)
    assert [r["status"] for r in results] == [422, 429]
    page = results[1]["body"]
    assert '<html lang="cy"' in page and english_leftovers(page) == []
    assert "Rydych chi wedi rhoi cynnig arni ormod o weithiau" in unescape(page)


def test_signed_in_pages_and_sign_out_in_welsh(cy, make_user, make_home):
    home = make_home(name="Bryn Awel")
    user, _ = make_user("care_home", care_home_id=home.id, password="cyfrinair hir iawn",
                        email="gwen@enghraifft.org")
    cy.post("/login", data={"email": user.email, "password": "cyfrinair hir iawn"})
    html = cy.get("/logout").get_data(as_text=True)
    assert "Allgofnodi o Kith" in html and "Fy nghartref gofal" in html
    # a page outside the staff member's role: 403, in Welsh
    html = welsh(cy.get("/coordinator"), 403)
    assert "Nid oes gennych ganiatâd i weld y dudalen hon" in html
    done = cy.post("/logout", follow_redirects=True)
    html = welsh(done)
    assert "Rydych chi wedi allgofnodi" in html


def test_password_reset_in_welsh(cy, make_user):
    html = welsh(cy.get("/login/reset"))
    assert "am 1 awr" in html
    refused = welsh(cy.post("/login/reset", data={"email": "dim"}), 422)
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in refused
    user, _ = make_user("admin", password="cyfrinair hir iawn")
    sent = welsh(cy.post("/login/reset", data={"email": user.email}))
    assert "Gwiriwch eich e-bost" in sent and "am 1 awr" in sent


def test_choosing_a_password_in_welsh(cy, db, make_user):
    user, _ = make_user("admin", password="cyfrinair hir iawn")
    token = passwords.make_token(SECRET, user, passwords.RESET)
    html = welsh(cy.get(f"/login/reset/{token}"))
    assert "Dewiswch gyfrinair newydd" in html
    short = welsh(cy.post(f"/login/reset/{token}", data={"password": "byr", "confirm": "byr"}),
                  422)
    assert f"Rhaid i'ch cyfrinair fod yn {passwords.MIN_LENGTH} nod o hyd o leiaf" in short
    mismatch = welsh(cy.post(f"/login/reset/{token}", data={
        "password": "cyfrinair newydd sbon", "confirm": "cyfrinair arall sbon"}), 422)
    assert "Nid yw'r ddau gyfrinair yr un fath" in mismatch
    done = cy.post(f"/login/reset/{token}", data={
        "password": "cyfrinair newydd sbon", "confirm": "cyfrinair newydd sbon"},
        follow_redirects=True)
    html = welsh(done)
    assert "Mae eich cyfrinair wedi'i osod" in html
    spent = welsh(cy.get(f"/login/reset/{token}"), 410)
    assert "Nid yw'r ddolen hon yn gweithio mwyach" in spent


def test_an_invitation_in_welsh(cy, make_user):
    user, _ = make_user("admin", email="newydd@enghraifft.org")
    token = passwords.make_token(SECRET, user, passwords.INVITE)
    html = welsh(cy.get(f"/invitations/{token}"))
    assert "Gosod eich cyfrinair" in title(html)
    assert "Bydd ei osod yn eich allgofnodi" not in html  # only a reset says so
    assert cy.post(f"/invitations/{token}", data={
        "password": "cyfrinair newydd sbon", "confirm": "cyfrinair newydd sbon"}
        ).status_code == 303
    spent = welsh(cy.get(f"/invitations/{token}"), 410)
    assert "gofynnwch i'r person a'ch gwahoddodd" in spent


# --- error pages ---------------------------------------------------------------------------------

def test_not_found_in_welsh(cy):
    html = welsh(cy.get("/dim-tudalen-fel-hon"), 404)
    assert "Cod gwall: 404" in html


def test_expired_form_in_welsh(app, cy, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = welsh(cy.post("/register", data=group_form()), 400)
    assert "oherwydd bod y dudalen wedi dod i ben" in html


def test_a_fault_in_welsh(app, cy, monkeypatch):
    from matcher.web import public

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(public, "render_template", broken)
    monkeypatch.setattr(app, "testing", False)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    html = welsh(cy.get("/accessibility"), 500)
    assert "Mae'n ddrwg gennym, mae problem gyda'r gwasanaeth" in html


def test_english_pages_are_unchanged(client):
    html = client.get("/register").get_data(as_text=True)
    assert "Tell care homes about your group (optional)" in html
    assert "Dywedwch" not in html
    refused = client.post("/register", data=group_form(name="", postcode="ddim"))
    html = unescape(refused.get_data(as_text=True))
    assert "There is a problem" in html and "Enter the name of your group" in html
    assert "'ddim' is not a valid UK postcode" in html


def test_an_error_title_says_error_once(client):
    html = client.post("/groups/lost-link", data={"email": "nope"}).get_data(as_text=True)
    assert title(html) == "Error: Get your group’s private link again – Kith"


# --- the one-click feedback form ------------------------------------------------------------------

def test_visit_feedback_in_welsh(cy, db, make_home, make_group):
    import datetime as dt

    from matcher.domain.visits import LONDON
    from matcher.models import OutboxMessage
    from matcher.services import reminders, visits

    home = make_home(name="Bryn Awel",
                     contact={"name": "Sioned", "email": "rheolwr@enghraifft.org"})
    group = make_group(name="Côr Llanberis")
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    soon = dt.datetime.combine(dt.date.today() + dt.timedelta(days=3), dt.time(10, 0),
                               tzinfo=LONDON)
    visit = visits.plan(db.session, intro, {"starts_at": soon, "duration_minutes": 60,
                                            "mode": "in_person", "repeat": "none"}, SYSTEM)
    # It took place yesterday (as the visit pages' own tests do, moved into the past).
    past = visits.rules.Series(soon - dt.timedelta(days=4), 60)
    visit.start_local = past.starts_at.isoformat()
    visit.starts_at = past.starts_at.astimezone(dt.UTC)
    visit.ends_at = visit.starts_at + dt.timedelta(hours=1)
    db.session.commit()
    reminders.send_due(db.session)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.template == "visit_feedback", OutboxMessage.recipient_role == "group"))
    token = message.context["feedback_token"]

    html = welsh(cy.get(f"/feedback/{token}"))
    assert "Sut aeth yr ymweliad?" in html
    assert "Ymweliad rhwng <span data-own-words>Côr Llanberis</span> a " in html
    refused = welsh(cy.post(f"/feedback/{token}", data={"comment": "Hyfryd"}), 422)
    assert "Mae problem wedi codi" in refused and "Hyfryd" in refused
    done = welsh(cy.post(f"/feedback/{token}", data={"rating": "4", "comment": "Hyfryd"}))
    assert "Mae eich adborth wedi'i gadw" in done
    again = welsh(cy.get(f"/feedback/{token}"))
    assert "Mae'r ddolen hon wedi'i defnyddio eisoes" in again


def test_other_error_pages_in_welsh(cy, registered):
    _, _, token = registered
    html = welsh(cy.get(f"/groups/edit/{token}/introductions/1"), 405)
    assert "Cod gwall: 405" in html and "Ni chaniateir" in html
    html = welsh(cy.post(f"/groups/edit/{token}/introductions/1", data={"answer": "efallai"}),
                 400)
    assert "Cod gwall: 400" in html and "Nid oedd modd deall y cais" in html


def test_the_groups_visits_in_welsh(cy, db, registered):
    import datetime as dt

    home, group, token = registered
    html = welsh(cy.get(f"/groups/edit/{token}/visits"))
    assert "Eich ymweliadau" in html and "Ymweliadau Cantorion Llanberis" in title(html)
    assert "Gallwch gynnig ymweliadau unwaith" in html

    group.status = "approved"
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    db.session.commit()
    form = {"introduction_id": str(intro.id), "date": "", "time": "11:00",
            "duration_minutes": "60", "mode": "in_person", "repeat": "none",
            "notes": "Emynau yn y lolfa"}
    refused = welsh(cy.post(f"/groups/edit/{token}/visits", data=form), 422)
    assert "Mae problem wedi codi" in refused and "Emynau yn y lolfa" in refused
    form["date"] = (dt.date.today() + dt.timedelta(days=6)).isoformat()
    proposed = welsh(cy.post(f"/groups/edit/{token}/visits", data=form,
                             follow_redirects=True))
    assert "Cynnig ymweliad" in proposed
    row = proposed[proposed.index('id="group-visits"'):proposed.index("</table>")]
    assert "Bryn Awel" in row and "Canslo" in row
    visit = group.introductions[0].visits[0]
    cancelled = welsh(cy.post(f"/groups/edit/{token}/visits/{visit.id}",
                              data={"action": "cancel", "version": str(visit.version)},
                              follow_redirects=True))
    assert "Eich ymweliadau" in cancelled
