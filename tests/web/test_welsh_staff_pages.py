"""The staff pages (coordinator, care home, admin, visits) in Welsh, in each state: empty, with
data, with errors. ``english_leftovers`` must find nothing on any of them; the fixtures have
Welsh names and interests, and people's own words (a group's description) are marked."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from matcher.domain.visits import LONDON
from matcher.services import introductions, visits
from matcher.services.audit import SYSTEM
from tests.web.welsh import english_leftovers

PASSWORD = "cyfrinair hir iawn"
WELSH_HOME = {"name": "Bryn Awel", "interests": ["canu", "emynau", "garddio"],
              "languages": [{"language": "Welsh", "residents": 24},
                            {"language": "English", "residents": 30}]}
WELSH_GROUP = {"name": "Côr Llanberis", "description": "Rydym yn canu emynau gyda phobl hŷn.",
               "interests": ["canu", "emynau"], "languages": ["Cymraeg"],
               "availability": ["sat_pm", "tue_pm", "thu_pm"]}


def welsh(response, status=200) -> str:
    """The page's HTML, checked to be Welsh through and through; returned unescaped, with
    one kind of apostrophe, for the tests to find phrases in."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:3000]
    assert '<html lang="cy"' in html
    assert english_leftovers(html) == []
    return unescape(html).replace("'", "’")


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


@pytest.fixture
def home(make_home):
    return make_home(**WELSH_HOME)


@pytest.fixture
def group(make_group):
    return make_group(**WELSH_GROUP)


def _signed_in(client, make_user, sign_in, role, **scope):
    # An address of Welsh words: the banner shows whose account it is.
    user, _ = make_user(role, password=PASSWORD, email=f"sioned.{role[0]}@enghraifft.cymru",
                        **scope)
    sign_in(user.email, PASSWORD)
    client.get("/?lang=cy")
    return user


@pytest.fixture
def coordinator(client, make_user, sign_in):
    return _signed_in(client, make_user, sign_in, "coordinator", nation="wales")


@pytest.fixture
def admin(client, make_user, sign_in):
    return _signed_in(client, make_user, sign_in, "admin")


@pytest.fixture
def staff(client, make_user, sign_in, home):
    return _signed_in(client, make_user, sign_in, "care_home", care_home_id=home.id)


# --- coordinator -------------------------------------------------------------------------------

def test_dashboard_in_welsh_when_empty(client, coordinator):
    html = welsh(client.get("/coordinator"))
    assert title(html).startswith("Dangosfwrdd y cydlynydd")
    assert "Does dim cofrestriadau’n aros" in html
    assert "Does dim cyflwyniadau eto." in html
    assert "Lawrlwytho’r rhestr baru yn Gymraeg (CSV)" in html


def test_dashboard_in_welsh_with_registrations_introductions_and_search(
        client, db, coordinator, home, group, make_group):
    make_group(name="Clwb Gwau Caernarfon", kind="knitting_club", status="pending",
               interests=["gwau"], languages=["Cymraeg"])
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
    db.session.commit()
    html = welsh(client.get("/coordinator"))
    assert "Clwb Gwau Caernarfon" in html and "cofrestriad i’w wirio" in html
    assert f"intro-{intro.id}-status" in html
    found = welsh(client.get("/coordinator?q=Bryn"))
    assert "Canlyniadau ar gyfer ‘Bryn’" in found and "Cartrefi gofal (1)" in found
    nothing = welsh(client.get("/coordinator?q=Zzzz"))
    assert "Does dim cartrefi gofal yn cyfateb." in nothing


def test_review_page_and_its_errors_in_welsh(client, db, coordinator, make_group):
    pending = make_group(status="pending", **{**WELSH_GROUP, "name": "Côr Bethesda"})
    html = welsh(client.get(f"/coordinator/groups/{pending.id}"))
    assert "Am y grŵp" in html and "Cymeradwyo Côr Bethesda" in html
    assert "Iaith Arwyddion Prydain" not in html and "Cymraeg" in html
    refused = welsh(client.post(f"/coordinator/groups/{pending.id}/decision",
                                data={"decision": "reject", "status_reason": ""}), 422)
    assert "Rhowch y rheswm dros beidio â chymeradwyo’r grŵp hwn" in refused
    approved = client.post(f"/coordinator/groups/{pending.id}/decision",
                           data={"decision": "approve"}, follow_redirects=True)
    page = welsh(approved)
    assert "Mae Côr Bethesda wedi’i gymeradwyo" in page


def test_care_homes_list_in_welsh_with_homes_and_with_none(client, coordinator, home):
    html = welsh(client.get("/coordinator/care-homes"))
    assert "1 cartref gofal." in html and "Bryn Awel" in html
    empty = welsh(client.get("/coordinator/care-homes?q=Zzzz"))
    assert "Does dim cartrefi gofal yn cyfateb i’r hidlwyr hyn." in empty


def test_coordinator_visits_in_welsh(client, db, coordinator, home, group):
    html = welsh(client.get("/coordinator/visits"))
    assert "Does dim ymweliadau wedi’u cynllunio." in html
    _plan(db, home, group)
    planned = welsh(client.get("/coordinator/visits"))
    # The day and month in Welsh ("Sad 4 Rhag 2026, 10:00"), not strftime's English.
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d", planned)


def _plan(db, home, group):
    intro = introductions.create_introduction(db.session, home, group, SYSTEM,
                                              status="requested")
    introductions.transition(db.session, intro, "introduced", SYSTEM)
    day = dt.date.today() + dt.timedelta(days=7)
    visits.plan(db.session, intro, {
        "starts_at": dt.datetime.combine(day, dt.time(10, 0), tzinfo=LONDON),
        "duration_minutes": 60, "mode": "in_person", "repeat": "none"}, SYSTEM)
    db.session.commit()
    return intro


# --- care home ---------------------------------------------------------------------------------

def test_partners_page_in_welsh_with_reasons(client, staff, home, group):
    html = welsh(client.get(f"/care-homes/{home.id}/partners"))
    assert title(html).startswith("Partneriaid a awgrymir ar gyfer Bryn Awel")
    assert "1 awgrym" in html
    assert "yn siarad Cymraeg, fel 24 preswylydd" in html
    assert "yn rhannu diddordebau" in html
    assert "Pam rydym yn eu hawgrymu" in html
    assert "prynhawniau dydd Mawrth, dydd Iau a dydd Sadwrn" in html  # the card's times
    # The map's popups and notes come with the page, in its language.
    assert '"your_home": "Eich cartref"' in html and "km i ffwrdd" in html


def test_partners_page_in_welsh_with_nobody_in_reach_and_with_filter_errors(
        client, staff, home):
    html = welsh(client.get(f"/care-homes/{home.id}/partners"))
    assert "0 awgrym" in html and "Does dim partneriaid cymeradwy o fewn cyrraedd" in html
    wrong = welsh(client.get(f"/care-homes/{home.id}/partners?radius=pell&language=Zzzzz"),
                  200)
    assert "Rhaid i’r pellter fod yn rhif rhwng 0.5 a 100" in wrong
    assert "Nid ydym yn adnabod yr iaith ‘Zzzzz’" in wrong


def test_profile_page_and_its_errors_in_welsh(client, staff, home):
    html = welsh(client.get(f"/care-homes/{home.id}/profile"))
    assert "Golygu proffil y cartref" in html and "(dewisol)" in html
    form = {"residents": "llawer", "interests": "canu", "visiting_status": "open",
            "search_radius_km": "15"}
    refused = welsh(client.post(f"/care-homes/{home.id}/profile", data=form), 422)
    assert "Mae problem wedi codi" in refused
    saved = client.post(f"/care-homes/{home.id}/profile", follow_redirects=True,
                        data={**form, "residents": "30"})
    assert "Mae proffil y cartref wedi’i gadw" in welsh(saved)


def test_home_visits_in_welsh_empty_planned_and_with_errors(client, db, staff, home, group):
    html = welsh(client.get(f"/care-homes/{home.id}/visits"))
    assert "Does dim ymweliadau wedi’u cynllunio ar gyfer y 60 diwrnod nesaf." in \
        html
    intro = _plan(db, home, group)
    planned = welsh(client.get(f"/care-homes/{home.id}/visits"))
    assert "Côr Llanberis" in planned and "Cynllunio’r ymweliad" in planned
    refused = welsh(client.post(f"/care-homes/{home.id}/visits", data={
        "introduction_id": str(intro.id), "date": "", "time": "", "duration_minutes": "60",
        "mode": "in_person", "repeat": "none"}), 422)
    assert "Rhowch ddyddiad yr ymweliad (cyntaf)." in refused


# --- admin -------------------------------------------------------------------------------------

def test_audit_trail_in_welsh_with_entries_and_with_errors(client, admin, home):
    html = welsh(client.get("/admin/audit"))
    assert "Trywydd archwilio" in html and re.search(r"\d+ newid", html)
    refused = welsh(client.get("/admin/audit?entity_id=deugain&since=ddoe"), 422)
    assert "Rhaid i rif y cofnod fod yn rhif cyfan, fel 42" in refused
    assert "Rhaid i ‘Oddi wrth’ fod yn ddyddiad, fel 2026-11-01" in refused


def test_outbox_in_welsh_empty_and_with_an_email(client, db, admin, make_group):
    html = welsh(client.get("/admin/outbox"))
    assert "Does dim negeseuon e-bost eto." in html
    pending = make_group(status="pending", **{**WELSH_GROUP, "name": "Côr Bethesda"})
    client.post(f"/coordinator/groups/{pending.id}/decision", data={"decision": "approve"})
    listed = welsh(client.get("/admin/outbox"))
    assert "1 e-bost" in listed


# --- the English pages stay as they were ----------------------------------------------------

def test_the_english_pages_still_read_in_english(client, make_user, sign_in, home, group):
    user, _ = make_user("care_home", care_home_id=home.id, password=PASSWORD)
    sign_in(user.email, PASSWORD)
    html = client.get(f"/care-homes/{home.id}/partners?lang=en").get_data(as_text=True)
    assert "1 suggestion" in html and "speaks Welsh, like 24 residents" in html
    assert "Tuesday, Thursday and Saturday afternoons" in html


def test_asking_for_an_introduction_in_welsh(client, db, staff, home, group, make_group):
    other = make_group(**{**WELSH_GROUP, "name": "Cantorion Bethel", "postcode": "LL55 1AB"})
    asked = client.post(f"/care-homes/{home.id}/partners/{group.id}/introduce",
                        data={"message": "Helo!"}, follow_redirects=True)
    html = welsh(asked)
    assert "Cais am gyflwyniad wedi’i wneud: rydym wedi dweud wrth Côr Llanberis" in html
    assert "Eich cyflwyniadau" in html and "Tynnu’r cais yn ôl" in html
    too_long = welsh(client.post(f"/care-homes/{home.id}/partners/{other.id}/introduce",
                                 data={"message": "a" * 1001}), 422)
    assert "Mae problem wedi codi" in too_long
    again = client.post(f"/care-homes/{home.id}/partners/{group.id}/introduce",
                        data={"message": ""}, follow_redirects=True)
    assert "Rydych eisoes wedi gofyn am gwrdd â Côr Llanberis." in welsh(again)


def test_admin_dashboard_in_welsh_with_the_nation_chooser(client, admin, home):
    html = welsh(client.get("/coordinator?nation=wales"))
    assert "Dangos gwlad" in html and "Pob gwlad" in html
