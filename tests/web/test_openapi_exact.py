"""The OpenAPI document states the rules the code enforces, and input outside them is a 422
per field, never a 500 or a logged traceback (issue #19 item 16, what schemathesis found)."""

from __future__ import annotations

import logging
import re

import pytest

from matcher.schemas.fields import check_characters, text_pattern


def _document(client) -> dict:
    return client.get("/api/openapi.json").get_json()


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _pattern(document: dict, schema: str, field: str) -> re.Pattern:
    prop = _resolve(document, document["components"]["schemas"][schema]["properties"][field])
    return re.compile(prop["pattern"])


def _no_traceback(caplog) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("query", [
    "care_home_id=-4395520805796715692032000", "group_id=99999999999999999999",
    "care_home_id=0", "group_id=2147483648",
])
def test_an_out_of_range_id_filter_is_a_field_error_without_a_traceback(
        client, admin_headers, caplog, query):
    caplog.set_level(logging.WARNING)
    response = client.get(f"/api/v1/introductions?{query}", headers=admin_headers)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {query.split("=")[0]}
    _no_traceback(caplog)


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/groups?q=choir%00", "q"),
    ("/api/v1/care-homes?local_authority=%14W", "local_authority"),
    ("/api/v1/open-referral/services?search=%00", "search"),
    ("/api/v1/audit?action=%0C", "action"),
])
def test_query_text_follows_the_character_rule(client, admin_headers, caplog, path, field):
    caplog.set_level(logging.WARNING)
    response = client.get(path, headers=admin_headers)
    assert response.status_code == 422
    assert "U+00" in response.get_json()["errors"][field][0]
    _no_traceback(caplog)


@pytest.mark.parametrize("kind", ["services", "service_at_locations"])
def test_an_open_feed_id_of_other_digits_is_not_found(client, kind):
    for wanted in ("%C2%B2", "%D9%A3"):  # "²" and an Arabic-Indic three
        assert client.get(f"/api/v1/open-referral/{kind}/{wanted}").status_code == 404


@pytest.mark.parametrize("text", ["", "Côr Llanberis", "a\tb", "x\u0000", "\u0007", "a\u202eb",
                                  "\u0085", "\u007f", "tab\tand\nline", " ", "\u2066x"])
@pytest.mark.parametrize("multiline", [False, True])
@pytest.mark.parametrize("blank", [False, True])
def test_the_documented_text_pattern_is_the_character_rule(text, multiline, blank):
    try:
        check_characters(text, multiline=multiline)
        allowed = blank or not text or bool(text.strip())
    except Exception:  # noqa: BLE001 - any refusal
        allowed = False
    assert bool(re.search(text_pattern(multiline=multiline, blank=blank), text)) == allowed


def test_text_fields_document_their_pattern(client):
    document = _document(client)
    name = _pattern(document, "GroupInput", "name")
    assert name.search("Côr Llanberis") and not name.search("   ")
    assert not name.search("Choir\u0000") and not name.search("Choir\u202e")
    description = _pattern(document, "GroupInput", "description")
    assert description.search("Line one\nline two") and not description.search("\u0007")


@pytest.mark.parametrize(("postcode", "known"), [
    ("LL55 4EL", True), ("ll554el", True), (" LL55  4EL ", True), ("LL55-4EL", True),
    ("SW1A 9ZZ", True),  # unknown postcode, known district: its centroid
    ("E99 1AA", False), ("GY1 1AA", False), ("LL55\n4EL", False), ("ZZ9 9ZZ", False),
])
def test_a_body_postcode_is_documented_as_the_districts_the_index_knows(
        client, admin_headers, postcode, known):
    pattern = _pattern(_document(client), "GroupInput", "postcode")
    assert bool(pattern.search(postcode)) == known
    response = client.post("/api/v1/groups", headers=admin_headers, json={
        "name": "Côr", "kind": "choir", "postcode": postcode, "consent": True})
    assert response.status_code == (201 if known else 422)
    if not known:
        assert "postcode" in response.get_json()["errors"]


def test_geocode_documents_any_well_formed_postcode(client):
    spec = _document(client)["paths"]["/api/v1/geocode"]["get"]["parameters"]
    pattern = re.compile(next(p for p in spec if p["name"] == "postcode")["schema"]["pattern"])
    assert pattern.search("E99 1AA") and not pattern.search("ZZ9 9ZZ")
    assert client.get("/api/v1/geocode?postcode=E99%201AA").status_code == 404
    assert client.get("/api/v1/geocode?postcode=ZZ9%209ZZ").status_code == 422


@pytest.mark.parametrize(("language", "known"), [("cy", True), ("pl", True), ("bfi", True),
                                                 ("xx", False), ("qaa", False), ("und", False)])
def test_language_codes_are_documented_as_those_read(client, admin_headers, make_home,
                                                     language, known):
    document = _document(client)
    pattern = _pattern(document, "ResidentLanguage", "language")
    assert bool(pattern.search(language)) == known
    items = _resolve(document, document["components"]["schemas"]["GroupInput"]["properties"][
        "languages"]["items"])
    assert bool(re.search(items["pattern"], language)) == known
    home = make_home(name="Bryn Awel", postcode="LL55 4UR")
    response = client.get(f"/api/v1/care-homes/{home.id}/matches?languages={language}",
                          headers=admin_headers)
    assert response.status_code == (200 if known else 422)


@pytest.mark.parametrize("field", ["consent", "offers_remote", "works_with_children"])
@pytest.mark.parametrize("value", [1, 0, "true", "yes"])
def test_booleans_are_true_or_false_only(client, admin_headers, field, value):
    body = {"name": "Côr", "kind": "choir", "postcode": "LL55 4EL", "consent": True,
            field: value}
    response = client.post("/api/v1/groups", headers=admin_headers, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(("email", "valid"), [("dafydd@example.org", True), ("a@b.co", True),
                                              ("0@0.a", True), ("x@localhost", False),
                                              ("a@-b.com", False), (".#@9tc.JBE", False),
                                              ("a..b@c.de", False), ("a.b@c.de", True),
                                              ("x" * 65 + "@a.co", False)])
def test_the_email_pattern_is_the_rule(client, admin_headers, email, valid):
    document = _document(client)
    assert document["components"]["schemas"]["Contact"]["properties"]["email"]["format"] == \
        "email"  # which, beside the pattern, refuses two dots together
    pattern = _pattern(document, "Contact", "email")
    assert bool(pattern.search(email) and ".." not in email) == valid
    response = client.post("/api/v1/groups", headers=admin_headers, json={
        "name": "Côr", "kind": "choir", "postcode": "LL55 4EL", "consent": True,
        "contact": {"email": email}})
    assert response.status_code == (201 if valid else 422)


def test_a_changed_language_needs_its_residents(client, admin_headers, make_home, caplog):
    caplog.set_level(logging.WARNING)
    home = make_home()
    response = client.patch(f"/api/v1/care-homes/{home.id}", headers=admin_headers,
                            json={"languages": [{"language": "cy"}]})
    assert response.status_code == 422
    assert "residents" in response.get_json()["errors"]["languages"]["0"]
    _no_traceback(caplog)


def test_a_patch_documents_that_it_needs_a_change(client, admin_headers):
    schemas = _document(client)["components"]["schemas"]
    assert {"required": ["status"]} in schemas["IntroductionPatch"]["anyOf"]
    assert {"required": ["notes"]} in schemas["VisitPatch"]["anyOf"]
    assert {"required": ["version"]} not in schemas["VisitPatch"]["anyOf"]


@pytest.mark.parametrize("path", ["/api/v1/match-lists?kinds=", "/api/v1/match-lists?kinds=choir,"])
def test_an_empty_kind_is_refused(client, admin_headers, path):
    response = client.get(path, headers=admin_headers)
    assert response.status_code == 422 and "kinds" in response.get_json()["errors"]
    kinds = next(p for p in _document(client)["paths"]["/api/v1/match-lists"]["get"][
        "parameters"] if p["name"] == "kinds")
    assert kinds["schema"]["minItems"] == 1


def test_a_visit_duration_is_documented_with_its_range(client):
    duration = _document(client)["components"]["schemas"]["VisitInput"]["properties"][
        "duration_minutes"]
    assert (duration["minimum"], duration["maximum"]) == (10, 480)


@pytest.mark.parametrize("query, used", [
    # (92 days on UK wall time: summer time by April)
    ("from=9999-12-31T23:00:00Z", "2200-01-01T00:00:00Z/2200-04-02T23:00:00Z"),
    ("to=0001-01-01T00:00:00Z", "1899-10-01T00:00:00Z/1900-01-01T00:00:00Z"),
    ("from=0001-01-01T00:00:00%2B05:00", "1900-01-01T00:00:00Z/1900-04-03T00:00:00Z"),
    ("from=0001-01-01T00:00:00&to=9999-12-31T23:59:59-23:59",
     "1900-01-01T00:00:00Z/1901-02-05T00:00:00Z")])
def test_a_time_at_the_ends_of_the_calendar_is_answered(client, admin_headers, caplog, query,
                                                       used):
    caplog.set_level(logging.WARNING)
    response = client.get(f"/api/v1/visits?{query.replace('-23:59', '%2D23:59')}",
                          headers=admin_headers)
    assert response.status_code == 200 and response.get_json() == []
    assert response.headers["X-Visits-Window"] == used
    _no_traceback(caplog)


def test_a_past_end_alone_lists_the_days_before_it(client, admin_headers):
    response = client.get("/api/v1/visits?to=2000-01-01T00:00:00Z", headers=admin_headers)
    assert response.status_code == 200 and response.get_json() == []
