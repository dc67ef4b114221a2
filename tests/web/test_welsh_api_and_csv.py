"""Welsh beyond the pages: the API's reasons and error messages with ``Accept-Language: cy``
(field names and codes unchanged), and CSV exports with ``lang=cy`` (Welsh header and reasons,
the UTF-8 byte-order mark kept; English by default)."""

from __future__ import annotations

import csv
import io

from matcher.services import match_lists

CY = {"Accept-Language": "cy"}
BAD_GROUP = {"name": "Côr\u0000", "kind": "dragon", "postcode": "ZZ", "travel_radius_km": -3,
             "consent": False, "capacity_per_month": "llawer", "colour": "coch"}


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_bad_group_gets_welsh_messages_under_the_same_field_names(client, admin_headers):
    english = client.post("/api/v1/groups", json=BAD_GROUP, headers=admin_headers)
    welsh = client.post("/api/v1/groups", json=BAD_GROUP, headers={**admin_headers, **CY})
    assert english.status_code == welsh.status_code == 422
    en, cy = english.get_json(), welsh.get_json()
    assert set(cy["errors"]) == set(en["errors"]) and {"kind", "colour"} <= set(cy["errors"])
    assert cy["code"] == 422 and cy["status"] == en["status"]
    assert cy["message"] == "Nid yw'r cais yn ddilys: gweler 'errors' am beth i'w gywiro."
    assert en["errors"]["colour"] == ["Unknown field."]
    assert cy["errors"]["colour"] == ["Maes anhysbys."]
    assert cy["errors"]["capacity_per_month"] == ["Nid yw'n rhif cyfan dilys."]
    # A message filled in with values keeps them: marshmallow's choices, in Welsh words.
    assert en["errors"]["kind"][0].startswith("Must be one of: ")
    assert cy["errors"]["kind"][0].startswith("Rhaid iddo fod yn un o: ")
    assert en["errors"]["kind"][0].split(": ", 1)[1] == cy["errors"]["kind"][0].split(": ", 1)[1]
    # The domain's own messages too, with what was typed kept (and its words translated).
    assert cy["errors"]["postcode"][0].startswith("Nid yw 'ZZ' yn god post dilys yn y DU")
    assert cy["errors"]["name"] == [
        "Tynnwch y nod U+0000 (nod rheoli) yn safle 4: nid yw'n cael ei ganiatáu yma."]


def test_unauthorised_in_welsh(client):
    body = client.get("/api/v1/groups", headers=CY).get_json()
    assert body["code"] == 401 and body["message"].startswith("Anfonwch docyn API")


def test_not_found_in_welsh(client, admin_headers):
    body = client.get("/api/v1/groups/999999", headers={**admin_headers, **CY}).get_json()
    assert body["code"] == 404 and body["status"] == "Not Found"
    assert body["message"] == "Does dim grŵp cymunedol â'r rhif 999999."


def test_matches_give_welsh_reasons_when_asked(client, admin_headers, make_home, make_group):
    home = make_home(languages=[{"language": "Polish", "residents": 6},
                                {"language": "English", "residents": 30}])
    make_group(languages=["Polish", "English"], availability=["sat_pm"])
    path = f"/api/v1/care-homes/{home.id}/matches"
    english = client.get(path, headers=admin_headers).get_json()["matches"][0]
    welsh = client.get(path, headers={**admin_headers, **CY}).get_json()["matches"][0]
    assert "speaks Polish, like 6 residents" in english["reasons"]
    assert "yn siarad Pwyleg, fel 6 preswylydd" in welsh["reasons"]
    assert any(reason.endswith(" km i ffwrdd") for reason in welsh["reasons"])
    # Codes and numbers are the same in both.
    assert welsh["explanations"] == english["explanations"]
    assert welsh["components"] == english["components"]
    lang_param = client.get(f"{path}?lang=cy", headers=admin_headers).get_json()
    assert "yn siarad Pwyleg, fel 6 preswylydd" in lang_param["matches"][0]["reasons"]


def test_match_list_csv_in_welsh_with_lang_cy(client, admin_headers, make_home, make_group):
    make_home()
    make_group()
    english = client.get("/api/v1/match-lists?format=csv", headers=admin_headers)
    welsh = client.get("/api/v1/match-lists?format=csv&lang=cy", headers=admin_headers)
    assert english.get_data().startswith(b"\xef\xbb\xbf")
    assert welsh.get_data().startswith(b"\xef\xbb\xbf")
    en_rows, cy_rows = _rows(english), _rows(welsh)
    assert en_rows[0] == list(match_lists.MATCH_LIST_COLUMNS)  # the documented names
    assert cy_rows[0][:5] == ["Gwlad", "Cod awdurdod lleol", "Awdurdod lleol",
                              "Rhif y cartref gofal", "Cartref gofal"]
    assert len(cy_rows[0]) == len(en_rows[0]) and len(cy_rows) == len(en_rows)
    reasons = en_rows[0].index("reasons")
    assert "km away" in en_rows[1][reasons] and "km i ffwrdd" in cy_rows[1][reasons]
    assert "yn siarad Cymraeg" in cy_rows[1][reasons]
    assert cy_rows[1][:reasons] == en_rows[1][:reasons]  # codes and numbers unchanged
    refused = client.get("/api/v1/match-lists?format=csv&lang=fr", headers=admin_headers)
    assert refused.status_code == 422 and "lang" in refused.get_json()["errors"]


def test_dashboard_csv_is_english_unless_asked_and_leaves_the_pages_language_alone(
        client, make_user, sign_in, make_home, make_group):
    make_home()
    make_group()
    user, _ = make_user("coordinator", nation="wales", password="cyfrinair hir iawn")
    sign_in(user.email, "cyfrinair hir iawn")
    client.get("/coordinator?lang=cy")  # the pages in Welsh from now on
    english = client.get("/coordinator/match-list.csv")
    assert _rows(english)[0][0] == "nation"
    welsh = client.get("/coordinator/match-list.csv?lang=cy")
    assert welsh.get_data().startswith(b"\xef\xbb\xbf")
    assert _rows(welsh)[0][0] == "Gwlad"
    english_again = client.get("/coordinator/match-list.csv?lang=en")
    assert _rows(english_again)[0][0] == "nation"
    # Downloading an English file did not switch the coordinator's pages to English.
    assert '<html lang="cy"' in client.get("/coordinator").get_data(as_text=True)


def test_reasons_in_welsh_with_plurals_dates_and_language_names(app):
    from flask_babel import force_locale

    from matcher.presentation import partner_card, reasons

    with app.test_request_context("/"), force_locale("cy"):
        assert reasons.shared_language("bfi", 1) == "yn siarad Iaith Arwyddion Prydain, fel " \
            "1 preswylydd"
        assert reasons.residents_speak("pl", 2) == "2 preswylydd yn siarad Pwyleg"
        assert reasons.capacity(1) == "gyda lle i 1 ymweliad arall y mis"
        assert reasons.availability(["sat_pm", "mon_am"]) == \
            "yn gallu ymweld: prynhawniau dydd Sadwrn a boreau dydd Llun"
        assert reasons.distance(3.46) == "3.5 km i ffwrdd"  # a full stop in Welsh too
        assert reasons.safeguarding_check("DBS", "expired", "2026-03-03") == (
            "daeth y gwiriad DBS i ben ar 3 Mawrth 2026: mae ei angen i ymweld wyneb yn wyneb")
        assert partner_card.visit_times(["mon_pm", "tue_pm", "wed_pm", "thu_pm", "fri_pm"]) \
            == "prynhawniau yn ystod yr wythnos"
        assert reasons.shared_interests([f"diddordeb {n}" for n in range(7)]).endswith(
            "a 2 arall")
    with app.test_request_context("/"):
        assert reasons.shared_language("bfi", 2) == "speaks British Sign Language, like 2 " \
            "residents"
        assert reasons.capacity(1) == "has capacity for 1 more visit a month"
        assert reasons.safeguarding_check("DBS", "expired", "2026-03-03").startswith(
            "DBS check expired on 3 March 2026")


def test_a_refusal_naming_nations_names_them_in_welsh(client, make_user):
    _, wales = make_user("coordinator", nation="wales")
    english = client.get("/api/v1/match-lists?nation=england", headers=wales)
    welsh = client.get("/api/v1/match-lists?nation=england", headers={**wales, **CY})
    assert english.status_code == welsh.status_code == 403
    assert english.get_json()["message"] == "You coordinate wales; you cannot see england."
    assert welsh.get_json()["message"] == (
        "Y wlad rydych chi'n ei chydlynu: Cymru; ni allwch weld Lloegr.")


def test_service_refusals_with_values_read_in_welsh(app):
    from flask_babel import force_locale, gettext

    from matcher.schemas.messages import translate

    with app.test_request_context("/"), force_locale("cy"):
        assert translate("Only coordinators and admins may add care homes.", gettext) == (
            "Dim ond cydlynwyr a gweinyddwyr sy'n gallu ychwanegu cartrefi gofal.")
        assert translate("This introduction is already introduced: there is nothing to "
                         "answer.", gettext) == (
            "Statws y cyflwyniad hwn yw 'wedi'u cyflwyno' eisoes: does dim i'w ateb.")
        assert translate("Review 3 was already answered: same.", gettext) == (
            "Mae adolygiad 3 wedi'i ateb eisoes: yr un cartref.")
