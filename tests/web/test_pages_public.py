"""The public pages: home page, registration, the private edit link, CSRF."""

from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from matcher.domain.catalogue import SLOTS
from matcher.models import AuditLog, CommunityGroup
from tests.web.conftest import control_value, edit_token_from, group_form, parse_page


def count_groups(db, **where):
    query = select(func.count()).select_from(CommunityGroup)
    for key, value in where.items():
        query = query.where(getattr(CommunityGroup, key) == value)
    return db.session.scalar(query)


def register(client, **overrides):
    return client.post("/register", data=group_form(**overrides))


# --- layout ------------------------------------------------------------------------------------

def test_home_page_explains_kith_and_starts_registration(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert parse_page(html).html_lang == "en-GB"
    assert 'class="govuk-button govuk-button--start"' in html and 'href="/register"' in html
    assert 'href="/privacy"' in html and 'href="/accessibility"' in html
    assert "Sign in" in html
    # no inline scripts or handlers, so a strict Content-Security-Policy can be added
    assert "<script>" not in html and "onclick" not in html and "style=" not in html


def test_privacy_notice_names_its_version(app, client):
    html = client.get("/privacy").get_data(as_text=True)
    assert f"Version {app.config['PRIVACY_NOTICE_VERSION']}" in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


# --- registration ------------------------------------------------------------------------------

def test_registration_form_labels_every_field(client):
    html = client.get("/register").get_data(as_text=True)
    page = parse_page(html)
    visible = [c for c in page.controls if c.get("type") not in ("hidden", "submit")]
    assert len(visible) > 30
    unlabelled = [c["id"] for c in visible if c.get("id") not in page.label_for]
    assert unlabelled == []
    uuid.UUID(control_value(html, "idempotency_key"))  # a fresh key with every form
    for kind in ("School", "Knitting club", "Pet visits / dog walkers", "Faith group", "Other"):
        assert f">{kind}</label>" in html
    assert "DBS in England and Wales, PVG in Scotland, AccessNI in Northern Ireland" in html
    assert 'name="csrf_token"' in html


def test_registration_errors_keep_entries_and_link_to_fields(client, db):
    before = count_groups(db)
    response = register(client, name="", postcode="not a postcode", travel_radius_km="far",
                        consent=None, contact_email="nobody-at-example",
                        **{"safeguarding_expires_on-day": "31",
                           "safeguarding_expires_on-month": "2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count("govuk-error-summary__list") == 1
    assert "<title>Error: Register your group" in html
    page = parse_page(html)
    expected = {"#name", "#postcode", "#travel_radius_km", "#safeguarding_expires_on-day",
                "#contact_email", "#consent"}
    assert expected <= set(page.summary_links)
    for link in page.summary_links:
        assert link[1:] in page.ids, f"{link} points at nothing"
    assert "Enter the name of your group" in html
    assert "How far you can travel must be a number" in html
    assert "Enter an email address in the correct format" in html
    assert "You must agree to the privacy notice" in html
    assert 'id="name-error"' in html
    assert re.search(r'id="name"[^>]*aria-describedby="[^"]*name-error"', html)
    # everything typed is still there
    assert "We sing Welsh hymns and folk songs" in html
    assert "singing\nhymns, folk songs" in html
    assert control_value(html, "postcode") == "not a postcode"
    assert control_value(html, "travel_radius_km") == "far"
    assert control_value(html, "safeguarding_expires_on-day") == "31"
    assert 'value="mon_am" checked' in html and 'value="thu_pm" checked' in html
    assert 'value="video" checked' in html
    assert 'value="choir" checked' in html
    assert count_groups(db) == before


def test_postcode_the_geocoder_cannot_place_is_shown_against_the_field(client, db):
    before = count_groups(db)
    response = register(client, postcode="JE2 3AB")  # Jersey: no coordinates in the ONSPD
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "#postcode" in parse_page(html).summary_links
    assert 'id="postcode-error"' in html
    assert count_groups(db) == before


def test_registration_is_pending_and_shows_the_private_edit_link(app, client, db):
    response = register(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/register/done")
    done = client.get("/register/done").get_data(as_text=True)
    token = edit_token_from(done)
    assert "the only way to change your details or withdraw" in done
    assert "Homes nearby that would welcome you" in done

    group = db.session.scalar(select(CommunityGroup).where(
        CommunityGroup.name == "Llanberis Singers"))
    assert group.status == "pending" and group.source == "form"
    assert group.consent_at is not None
    assert group.privacy_notice_version == app.config["PRIVACY_NOTICE_VERSION"]
    assert group.postcode == "LL55 4EL" and group.nation == "wales"
    assert group.interests == ["singing", "hymns", "folk songs"]
    assert [lang["tag"] for lang in group.languages] == ["cy", "en"]
    assert group.availability == ["mon_am", "thu_pm"]
    assert group.offers_remote and group.remote_modes == ["video", "letters"]
    assert group.safeguarding_scheme == "DBS" and str(group.safeguarding_expires_on) == "2027-06-01"
    assert group.contact_email == "dafydd@example.org"
    assert group.edit_token_hash != token  # only the hash is kept
    # contact details are never shown on the public confirmation page
    assert "dafydd@example.org" not in done


def test_the_private_link_uses_the_configured_address_not_the_requests_host(app, client,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://kith.example.org/")
    register(client)
    done = client.get("/register/done").get_data(as_text=True)
    token = edit_token_from(done)
    assert f"https://kith.example.org/groups/edit/{token}" in done
    assert "http://localhost" not in done  # the request's own address (any client sets it)


def test_double_submit_stores_one_group(client, db):
    key = control_value(client.get("/register").get_data(as_text=True), "idempotency_key")
    form = group_form(name="Twice Sent Choir", idempotency_key=key)
    first = client.post("/register", data=form)
    first_link = edit_token_from(client.get("/register/done").get_data(as_text=True))
    second = client.post("/register", data=form)
    second_link = edit_token_from(client.get("/register/done").get_data(as_text=True))
    assert first.status_code == second.status_code == 303
    assert count_groups(db, name="Twice Sent Choir") == 1
    assert first_link == second_link


def test_private_link_is_not_shown_to_the_next_person_at_the_computer(client, monkeypatch):
    import time

    from matcher.web import public

    assert register(client).status_code == 303
    done = client.get("/register/done")
    assert done.headers["Cache-Control"] == "no-store"
    later = time.time() + 31 * 60
    monkeypatch.setattr(public.time, "time", lambda: later)
    response = client.get("/register/done")
    assert response.status_code == 302 and response.headers["Location"].endswith("/register")


def test_confirmation_page_needs_a_registration(client):
    response = client.get("/register/done")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register")


# --- the private edit link ---------------------------------------------------------------------

def registered(client, db, **overrides):
    assert register(client, **overrides).status_code == 303
    token = edit_token_from(client.get("/register/done").get_data(as_text=True))
    group = db.session.scalar(select(CommunityGroup).order_by(CommunityGroup.id.desc()))
    return group, token


def test_edit_link_shows_and_changes_the_details(client, db):
    group, token = registered(client, db)
    response = client.get(f"/groups/edit/{token}")
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert control_value(page, "name") == "Llanberis Singers"
    assert control_value(page, "contact_email") == "dafydd@example.org"
    assert 'value="thu_pm" checked' in page

    form = group_form(name="Llanberis Singers and Friends", travel_radius_km="12",
                      availability=["sat_am"], consent=None)
    response = client.post(f"/groups/edit/{token}", data=form, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your changes have been saved" in html
    db.session.refresh(group)
    assert group.name == "Llanberis Singers and Friends"
    assert group.travel_radius_km == 12 and group.availability == ["sat_am"]
    actors = db.session.scalars(select(AuditLog.actor).where(
        AuditLog.entity_type == "community_groups", AuditLog.entity_id == group.id)).all()
    assert f"group-link:{group.id}" in actors


class FormReader(HTMLParser):
    """What a browser would send for a page's form: named inputs (checkboxes and radios only
    when checked), textareas and selected options."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_as_sent(html: str) -> MultiDict:
    reader = FormReader()
    reader.feed(html)
    return MultiDict(reader.fields)


EVENING = ["mon_am", "tue_eve", "sat_pm", "sat_eve"]


def test_registration_and_edit_forms_offer_every_slot_of_the_catalogue(client, db):
    register_page = client.get("/register").get_data(as_text=True)
    group, token = registered(client, db, availability=EVENING)
    edit_page = client.get(f"/groups/edit/{token}").get_data(as_text=True)
    for page in (register_page, edit_page):
        offered = [c.get("value") for c in parse_page(page).controls
                   if c.get("name") == "availability"]
        assert offered == list(SLOTS)
    assert 'value="tue_eve" checked' in edit_page and 'value="sat_eve" checked' in edit_page


def test_saving_the_private_link_form_unchanged_keeps_evening_availability(client, db):
    # The edit page once offered mornings and afternoons only, so saving it dropped evenings.
    group, token = registered(client, db, availability=EVENING)
    assert group.availability == EVENING
    form = form_as_sent(client.get(f"/groups/edit/{token}").get_data(as_text=True))
    response = client.post(f"/groups/edit/{token}", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert "Your changes have been saved" in response.get_data(as_text=True)
    db.session.refresh(group)
    assert group.availability == EVENING


def test_edit_link_refuses_a_blank_name_and_keeps_the_rest(client, db):
    group, token = registered(client, db)
    response = client.post(f"/groups/edit/{token}", data=group_form(name="", description="New"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "#name" in parse_page(html).summary_links
    assert ">New</textarea>" in html
    db.session.refresh(group)
    assert group.name == "Llanberis Singers"


def test_download_my_data_is_a_json_attachment_of_everything(client, db):
    group, token = registered(client, db)
    response = client.get(f"/groups/edit/{token}/download")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["group"]["id"] == group.id
    assert data["group"]["contact_email"] == "dafydd@example.org"
    assert data["group"]["postcode"] == "LL55 4EL"
    assert "edit_token_hash" not in data["group"] and "idempotency_key" not in data["group"]
    assert data["introductions"] == []
    assert data["history"][0]["action"] == "create"


def test_withdrawing_erases_the_group_and_ends_the_link(client, db):
    group, token = registered(client, db)
    confirm = client.get(f"/groups/edit/{token}/withdraw").get_data(as_text=True)
    assert "Are you sure you want to withdraw" in confirm
    response = client.post(f"/groups/edit/{token}/withdraw")
    assert response.status_code == 303
    assert "has been withdrawn" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    db.session.refresh(group)
    assert group.status == "withdrawn"
    assert group.name == f"Withdrawn group #{group.id}"
    assert group.contact_name is None and group.contact_email is None
    assert group.contact_phone is None and group.description == ""
    assert group.safeguarding_scheme is None and group.edit_token_hash is None
    assert group.anonymised_at is not None
    assert client.get(f"/groups/edit/{token}").status_code == 404
    # the audit trail no longer holds a copy of what was erased
    changes = db.session.scalars(select(AuditLog.changes).where(
        AuditLog.entity_type == "community_groups", AuditLog.entity_id == group.id)).all()
    assert "Llanberis Singers" not in json.dumps(changes)
    assert "We sing Welsh hymns" not in json.dumps(changes)


def test_withdrawn_page_confirms(client):
    html = client.get("/groups/withdrawn").get_data(as_text=True)
    assert "Your group has been withdrawn" in html


def test_unknown_edit_link_is_not_found(client):
    assert client.get("/groups/edit/not-a-real-token").status_code == 404
    assert client.post("/groups/edit/not-a-real-token/withdraw").status_code == 404


# --- CSRF --------------------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused(app, client, monkeypatch):
    # The shared app runs with CSRF off for convenience; switch it on as in production.
    # (Flask-WTF reads the setting on every request.)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/register", data=group_form())
    assert response.status_code == 400
    assert "page had expired" in response.get_data(as_text=True)
    assert client.post("/login", data={"email": "a@example.org", "password": "x"}
                       ).status_code == 400
    # with the token from the page the form is accepted for validation (and fails on its own)
    token = control_value(client.get("/register").get_data(as_text=True), "csrf_token")
    response = client.post("/register", data=group_form(name="", csrf_token=token))
    assert response.status_code == 422


def test_replaying_someone_elses_key_does_not_show_their_private_link(app, client, db):
    form = group_form(name="Replayed Key Choir")
    client.get("/register")  # the form this browser was given carries a key of its own
    assert client.post("/register", data=form).status_code == 303
    owner_link = edit_token_from(client.get("/register/done").get_data(as_text=True))

    with app.test_client() as other:  # another browser that only learnt the key
        replay = other.post("/register", data=form)
        assert replay.status_code == 303
        done = other.get("/register/done").get_data(as_text=True)
    assert owner_link not in done and "/groups/edit/" not in done
    assert "Replayed Key Choir" not in done
    assert "We already had this registration" in done
    assert count_groups(db, name="Replayed Key Choir") == 1


def test_a_corrected_form_carries_a_key_this_browser_was_given(client):
    foreign = str(uuid.uuid4())
    response = client.post("/register", data=group_form(name="", idempotency_key=foreign))
    assert response.status_code == 422
    assert control_value(response.get_data(as_text=True), "idempotency_key") != foreign
