"""Care homes' languages: a language given twice is merged (not refused), a number of speakers
above the home's residents is accepted and counted as at most the home's residents, and the
one bound is the static maximum the document states."""

from __future__ import annotations

from html import unescape

import pytest

from matcher.domain.ranking.types import Home
from matcher.schemas.care_homes import MAX_RESIDENTS
from tests.web.welsh import english_leftovers

HOME = {"name": "Bryn Awel", "postcode": "LL55 4UR", "residents": 10,
        "interests": ["singing"], "visiting_status": "open", "search_radius_km": 15}
WARNING = "More residents speak Welsh than the home has: check the numbers."
PASSWORD = "a long enough password"


def languages(body) -> list[tuple[str, int]]:
    return [(lang["tag"], lang["residents"]) for lang in body["languages"]]


def test_a_language_given_twice_is_merged_on_post_keeping_the_larger_number(
        client, admin_headers):
    body = {**HOME, "languages": [{"language": "Welsh", "residents": 3},
                                  {"language": "Polish", "residents": 2},
                                  {"language": "cy", "residents": 7},
                                  {"language": "Cymraeg", "residents": 5}]}
    response = client.post("/api/v1/care-homes", json=body, headers=admin_headers)
    assert response.status_code == 201, response.json
    # first appearance kept, with the larger number; the answer shows what was kept
    assert languages(response.json) == [("cy", 7), ("pl", 2)]
    again = client.get(f"/api/v1/care-homes/{response.json['id']}", headers=admin_headers)
    assert languages(again.json) == [("cy", 7), ("pl", 2)]


def test_a_language_given_twice_is_merged_on_patch(client, admin_headers):
    home = client.post("/api/v1/care-homes", json=HOME, headers=admin_headers).json
    response = client.patch(f"/api/v1/care-homes/{home['id']}", headers=admin_headers, json={
        "languages": [{"language": "pl", "residents": 4}, {"language": "Welsh", "residents": 9},
                      {"language": "Polish", "residents": 1}]})
    assert response.status_code == 200, response.json
    assert languages(response.json) == [("pl", 4), ("cy", 9)]


def test_more_speakers_than_residents_is_accepted_and_ranked_within_range(
        client, admin_headers, make_group):
    make_group(name="Côr Llanberis", languages=["Welsh"])
    make_group(name="Llanberis Knitters", kind="knitting_club", interests=["knitting"],
               languages=["English"])
    body = {**HOME, "languages": [{"language": "Welsh", "residents": MAX_RESIDENTS},
                                  {"language": "English", "residents": 356}]}
    created = client.post("/api/v1/care-homes", json=body, headers=admin_headers)
    assert created.status_code == 201, created.json
    assert languages(created.json) == [("cy", MAX_RESIDENTS), ("en", 356)]  # stored as given
    response = client.get(f"/api/v1/care-homes/{created.json['id']}/matches",
                          headers=admin_headers)
    assert response.status_code == 200, response.json
    matches = response.json["matches"]
    assert [m["group"]["name"] for m in matches][0] == "Côr Llanberis"
    assert response.json["language_factor"] <= 3
    for match in matches:
        assert 0 <= match["score"] <= 1
        assert all(0 <= value <= 1 for value in match["components"].values())
    choir = matches[0]
    assert choir["components"]["language"] == 1
    # the reason counts at most the home's residents: "speaks Welsh, like 10 residents"
    said = [e for e in choir["explanations"] if e["code"] == "shared_language"]
    assert said == [{"code": "shared_language", "params": {"language": "cy", "residents": 10}}]
    assert any("like 10 residents" in reason for reason in choir["reasons"])


def test_the_group_side_counts_at_most_the_homes_residents(client, admin_headers, make_group):
    group = make_group(name="Côr Llanberis", languages=["Welsh"])
    body = {**HOME, "languages": [{"language": "Welsh", "residents": 800}]}
    assert client.post("/api/v1/care-homes", json=body,
                       headers=admin_headers).status_code == 201
    response = client.get(f"/api/v1/groups/{group.id}/matches", headers=admin_headers)
    assert response.status_code == 200, response.json
    home = next(m for m in response.json["matches"] if m["care_home"]["name"] == "Bryn Awel")
    assert 0 <= home["score"] <= 1
    assert all(0 <= value <= 1 for value in home["components"].values())
    said = [e["params"] for e in home["explanations"] if e["code"] == "residents_speak"]
    assert said == [{"language": "cy", "residents": 10}]


def test_the_ranker_caps_each_language_at_the_homes_residents():
    home = Home(id=1, name="x", lat=53.1, lon=-4.1, residents=10,
                languages=[("cy", 1000), ("pl", 4), ("en", 356)])
    assert home.language_counts() == [("cy", 10), ("pl", 4), ("en", 10)]
    assert home.non_english_share() == 1.0
    unknown = Home(id=2, name="y", lat=53.1, lon=-4.1, languages=[("cy", 1000), ("pl", 4)])
    assert unknown.language_counts() == [("cy", 1000), ("pl", 4)]
    assert unknown.non_english_share() == 1.0


def test_the_document_states_the_maximum_and_a_value_above_it_is_refused(
        client, admin_headers):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]
    for name in ("CareHomeInput", "CareHomePatch"):
        assert schemas[name]["properties"]["residents"]["maximum"] == MAX_RESIDENTS
        assert "once" in schemas[name]["properties"]["languages"]["description"]
    assert schemas["ResidentLanguage"]["properties"]["residents"]["maximum"] == MAX_RESIDENTS
    body = {**HOME, "languages": [{"language": "Welsh", "residents": MAX_RESIDENTS + 1}]}
    response = client.post("/api/v1/care-homes", json=body, headers=admin_headers)
    assert response.status_code == 422
    assert "residents" in response.json["errors"]["languages"]["0"]
    home = client.post("/api/v1/care-homes", json=HOME, headers=admin_headers).json
    patch = client.patch(f"/api/v1/care-homes/{home['id']}", json={
        "languages": [{"language": "cy", "residents": MAX_RESIDENTS + 1}]},
        headers=admin_headers)
    assert patch.status_code == 422 and "languages" in patch.json["errors"]
    many = client.patch(f"/api/v1/care-homes/{home['id']}", json={
        "residents": MAX_RESIDENTS + 1}, headers=admin_headers)
    assert many.status_code == 422 and "residents" in many.json["errors"]


@pytest.fixture
def staff(make_user, sign_in):
    def _sign_in(home):
        # An address of Welsh words: the banner shows whose account it is.
        user, _ = make_user("care_home", care_home_id=home.id, password=PASSWORD,
                            email=f"sioned.{home.id}@enghraifft.cymru")
        sign_in(user.email, PASSWORD)
        return user
    return _sign_in


def test_the_profile_form_merges_a_language_given_twice(make_home, staff, client, db):
    home = make_home()
    staff(home)
    response = client.post(f"/care-homes/{home.id}/profile", data={
        "residents": "30", "interests": "singing",
        "languages-0-language": "Welsh", "languages-0-residents": "12",
        "languages-1-language": "Cymraeg", "languages-1-residents": "14",
        "languages-2-language": "Polish", "languages-2-residents": "3",
        "visiting_status": "open", "search_radius_km": "15",
    })
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    db.session.refresh(home)
    assert [(lang["tag"], lang["residents"]) for lang in home.languages] == [("cy", 14),
                                                                           ("pl", 3)]


def test_the_homes_pages_warn_when_more_speak_a_language_than_live_there(
        make_home, staff, client):
    home = make_home(residents=10, languages=[{"language": "Welsh", "residents": 24},
                                              {"language": "English", "residents": 10}])
    staff(home)
    for page in ("partners", "profile"):
        html = unescape(client.get(f"/care-homes/{home.id}/{page}").get_data(as_text=True))
        assert html.count(WARNING) == 1, page
        assert "More residents speak English" not in html
    client.get("/?lang=cy")
    response = client.get(f"/care-homes/{home.id}/partners")
    html = response.get_data(as_text=True)
    assert english_leftovers(html) == []
    assert ("Mae mwy o breswylwyr yn siarad Cymraeg nag sydd gan y cartref: gwiriwch y "
            "niferoedd.") in unescape(html).replace("’", "'")


def test_no_warning_when_the_numbers_fit(make_home, staff, client):
    home = make_home()  # 30 residents, 12 speak Welsh
    staff(home)
    html = client.get(f"/care-homes/{home.id}/partners").get_data(as_text=True)
    assert "than the home has" not in html
