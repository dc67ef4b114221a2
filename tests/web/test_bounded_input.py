"""Bounded input: list lengths, body sizes, language names, blank names, control and bidi
characters, and JSON that Python cannot turn into values. Refused fast and clearly, never a
500, nothing stored, the form shown again with its entries."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from matcher.domain.catalogue import SLOTS
from matcher.models import CommunityGroup
from tests.web.conftest import group_form

GROUP = {"name": "Bounded Choir", "kind": "choir", "postcode": "LL55 4EL", "consent": True}


def count_groups(db) -> int:
    return db.session.scalar(select(func.count()).select_from(CommunityGroup))


@pytest.fixture
def coordinator(make_user):
    return make_user("coordinator", nation="wales")[1]


# --- lists --------------------------------------------------------------------------------------

def test_two_million_availability_entries_on_the_public_form_are_refused_fast(client, db):
    before = count_groups(db)
    body = b"name=Spam&kind=choir&postcode=LL55+4EL&consent=yes" + \
        b"&availability=mon_am" * 2_000_000
    started = time.monotonic()
    response = client.post("/register", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert time.monotonic() - started < 5
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "at most 64 KB" in html and response.mimetype == "text/html"
    assert count_groups(db) == before


def test_two_million_availability_entries_on_the_api_are_refused_fast(client, db, coordinator):
    before = count_groups(db)
    body = json.dumps({**GROUP, "availability": ["mon_am"] * 2_000_000})
    started = time.monotonic()
    response = client.post("/api/v1/groups", data=body, content_type="application/json",
                           headers=coordinator)
    assert time.monotonic() - started < 5
    assert response.status_code == 413 and response.json["code"] == 413
    assert count_groups(db) == before


def test_a_form_with_more_slots_than_exist_is_shown_again_with_an_error(client, db):
    before = count_groups(db)
    form = group_form(description="We sing on Tuesdays.")
    form["availability"] = [SLOTS[0]] * (len(SLOTS) + 1)
    response = client.post("/register", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"At most {len(SLOTS)} items" in html
    assert "We sing on Tuesdays." in html  # the entries are kept
    assert count_groups(db) == before


@pytest.mark.parametrize(("field", "value", "message"), [
    ("availability", [SLOTS[0]] * 1000, f"At most {len(SLOTS)} items"),
    ("remote_modes", ["video"] * 1000, "At most"),
    ("languages", ["Welsh"] * 31, "At most 30 items"),
    ("interests", ["singing"] * 51, "At most 50 items"),
    ("languages", ["Welsh", "x" * 101], "Longer than maximum length 100"),
    ("languages", ["en" + "-x" * 2000], "Longer than maximum length 100"),
])
def test_the_api_bounds_every_list_and_item(client, db, coordinator, field, value, message):
    before = count_groups(db)
    response = client.post("/api/v1/groups", json={**GROUP, field: value}, headers=coordinator)
    assert response.status_code == 422, response.json
    assert message in json.dumps(response.json["errors"][field])
    assert count_groups(db) == before


def test_a_home_bounds_its_lists_too(client, coordinator):
    home = {"name": "Bounded Home", "postcode": "LL55 4UR", "residents": 20}
    for field, value in [("care_types", ["dementia"] * 500), ("facilities", ["garden"] * 500),
                         ("availability", ["mon_am"] * 500),
                         ("languages", [{"language": "Welsh", "residents": 1}] * 51)]:
        response = client.post("/api/v1/care-homes", json={**home, field: value},
                               headers=coordinator)
        assert response.status_code == 422 and "At most" in json.dumps(
            response.json["errors"][field]), field


def test_a_long_list_of_languages_is_refused_before_any_is_looked_up(client, coordinator,
                                                                   monkeypatch):
    from matcher.schemas import fields

    looked_up = []
    real = fields.normalise_language
    monkeypatch.setattr(fields, "normalise_language", lambda text: looked_up.append(text)
                        or real(text))
    names = [f"Language number {n}" for n in range(5000)]
    response = client.post("/api/v1/groups", json={**GROUP, "languages": names},
                           headers=coordinator)
    assert response.status_code == 422
    assert looked_up == []


def test_match_queries_bound_their_lists(client, coordinator, make_home):
    home = make_home()
    languages = ",".join(["Welsh"] * 31)
    response = client.get(f"/api/v1/care-homes/{home.id}/matches?languages={languages}",
                          headers=coordinator)
    assert response.status_code == 422 and "At most 30" in json.dumps(response.json["errors"])


# --- body sizes --------------------------------------------------------------------------------

def test_an_api_body_beyond_its_limit_is_a_clear_413(client, coordinator):
    body = json.dumps({**GROUP, "description": "x" * (300 * 1024)})
    response = client.post("/api/v1/groups", data=body, content_type="application/json",
                           headers=coordinator)
    assert response.status_code == 413
    assert response.json["code"] == 413 and "at most 256 KB" in response.json["message"]


def test_an_ordinary_long_description_still_fits(client, db, coordinator):
    response = client.post("/api/v1/groups", json={**GROUP, "description": "é" * 5000},
                           headers=coordinator)
    assert response.status_code == 201, response.json


# --- names and characters ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["   ", "\u00a0\u2003", "\t "])
def test_whitespace_only_names_are_refused(client, db, coordinator, name):
    response = client.post("/api/v1/groups", json={**GROUP, "name": name}, headers=coordinator)
    assert response.status_code == 422 and "name" in response.json["errors"]


def test_a_blank_name_on_the_form_asks_for_the_name(client):
    response = client.post("/register", data=group_form(name="   "))
    assert response.status_code == 422
    assert "Enter the name of your group" in response.get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("name", "Côr\x00 Llanberis", "U+0000"),
    ("name", "Côr\tLlanberis", "U+0009"),
    ("name", "Côr\nLlanberis", "U+000A"),
    ("name", "Côr \x85Llanberis", "U+0085"),
    ("name", "Côr \u202eLlanberis", "U+202E"),
    ("name", "Côr \u2066Llanberis", "U+2066"),
    ("description", "We sing.\x00", "U+0000"),
    ("description", "We sing.\x1b[31m", "U+001B"),
    ("description", "We sing.\u202d", "U+202D"),
    ("town", "Llan\x7fberis", "U+007F"),
])
def test_control_and_bidi_characters_are_refused_with_a_field_message(
        client, db, coordinator, field, value, code):
    before = count_groups(db)
    response = client.post("/api/v1/groups", json={**GROUP, field: value}, headers=coordinator)
    assert response.status_code == 422, response.json
    assert code in response.json["errors"][field][0]
    assert count_groups(db) == before


def test_line_breaks_and_tabs_are_allowed_in_free_text(client, db, coordinator):
    response = client.post("/api/v1/groups", json={
        **GROUP, "description": "We sing.\r\n\tOn Tuesdays.\nAll welcome."}, headers=coordinator)
    assert response.status_code == 201, response.json
    assert response.json["description"] == "We sing.\r\n\tOn Tuesdays.\nAll welcome."


def test_introduction_notes_refuse_nul_too(client, coordinator, make_home, make_group):
    home, group = make_home(), make_group()
    response = client.post("/api/v1/introductions", json={
        "care_home_id": home.id, "group_id": group.id, "note": "Call\x00 first"},
        headers=coordinator)
    assert response.status_code == 422 and "U+0000" in response.json["errors"]["note"][0]


def test_the_form_keeps_the_entries_when_a_name_holds_nul(client, db):
    # On PostgreSQL the NUL used to reach the database, which refused it: an error page,
    # and everything typed lost.
    before = count_groups(db)
    response = client.post("/register", data=group_form(
        name="Llanberis\x00 Singers", description="We sing Welsh hymns on Tuesdays."))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "U+0000" in html
    assert "We sing Welsh hymns on Tuesdays." in html
    assert count_groups(db) == before


# --- JSON Python cannot load ---------------------------------------------------------------------

@pytest.mark.parametrize(("body", "words"), [
    ("[" * 1000 + "]" * 1000, "nested too deeply"),
    ('{"name": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ('{"name": "x", "capacity_per_month": ' + "9" * 5000 + "}", "too many digits"),
])
def test_json_python_cannot_load_is_a_400(client, coordinator, body, words):
    response = client.post("/api/v1/groups", data=body, content_type="application/json",
                           headers=coordinator)
    assert response.status_code == 400
    assert response.json["code"] == 400 and words in json.dumps(response.json)


def test_a_coordinators_reason_refuses_nul_and_keeps_the_form(make_user, make_group, sign_in,
                                                               client, db):
    group = make_group(status="pending")
    user, _ = make_user("coordinator", nation="wales", password="correct horse battery")
    sign_in(user.email, "correct horse battery")
    response = client.post(f"/coordinator/groups/{group.id}/decision",
                           data={"decision": "reject", "status_reason": "Not local\x00"})
    assert response.status_code == 422
    assert "U+0000" in response.get_data(as_text=True)
    db.session.refresh(group)
    assert group.status == "pending"
