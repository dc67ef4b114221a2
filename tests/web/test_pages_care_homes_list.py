"""The coordinator's list of care homes: search, filters, partners in reach, paging, scope."""

from __future__ import annotations

import re

PASSWORD = "coordinating is fun"


def _sign_in(make_user, sign_in, role="coordinator", nation="wales"):
    user, _ = make_user(role, nation=nation if role == "coordinator" else None,
                        password=PASSWORD)
    sign_in(user.email, PASSWORD)
    return user


def _names(html: str) -> list[str]:
    table = html.split("<tbody", 1)[1].split("</tbody>", 1)[0] if "<tbody" in html else ""
    return re.findall(r'/profile">([^<]+)</a>', table)


def test_only_coordinators_and_admins(make_user, make_home, sign_in, client):
    home = make_home()
    staff, _ = make_user("care_home", care_home_id=home.id, password=PASSWORD)
    sign_in(staff.email, PASSWORD)
    assert client.get("/coordinator/care-homes").status_code == 403


def test_coordinator_sees_their_nation_with_links(make_user, make_home, sign_in, client):
    welsh = make_home(name="Bryn Awel")
    make_home(name="Leith Lodge", postcode="EH6 6QU")
    _sign_in(make_user, sign_in)
    html = client.get("/coordinator/care-homes?nation=scotland").get_data(as_text=True)
    assert _names(html) == ["Bryn Awel"]
    assert f"/care-homes/{welsh.id}/profile" in html
    assert f"/care-homes/{welsh.id}/partners" in html
    assert "1 care home." in html


def test_admin_chooses_the_nation(make_user, make_home, sign_in, client):
    make_home(name="Bryn Awel")
    make_home(name="Leith Lodge", postcode="EH6 6QU")
    _sign_in(make_user, sign_in, role="admin")
    assert _names(client.get("/coordinator/care-homes").get_data(as_text=True)) == [
        "Bryn Awel", "Leith Lodge"]
    html = client.get("/coordinator/care-homes?nation=scotland").get_data(as_text=True)
    assert _names(html) == ["Leith Lodge"]


def test_search_by_name_postcode_and_town(make_user, make_home, sign_in, client, db):
    first = make_home(name="Bryn Awel")
    make_home(name="Plas Newydd", postcode="CF10 1EP")
    first.town = "Caernarfon"
    db.session.commit()
    _sign_in(make_user, sign_in)

    def found(q):
        return _names(client.get("/coordinator/care-homes", query_string={"q": q})
                      .get_data(as_text=True))

    assert found("bryn") == ["Bryn Awel"]
    assert found("cf10 1") == ["Plas Newydd"]
    assert found("caernarfon") == ["Bryn Awel"]
    assert found("nowhere at all") == []


def test_filters_by_local_authority_and_visiting(make_user, make_home, sign_in, client):
    north = make_home(name="Bryn Awel")
    make_home(name="Plas Newydd", postcode="CF10 1EP", visiting_status="restricted")
    _sign_in(make_user, sign_in)
    html = client.get("/coordinator/care-homes").get_data(as_text=True)
    assert f'value="{north.local_authority_code}"' in html  # offered as a choice
    html = client.get("/coordinator/care-homes",
                      query_string={"local_authority": north.local_authority_code}
                      ).get_data(as_text=True)
    assert _names(html) == ["Bryn Awel"]
    html = client.get("/coordinator/care-homes",
                      query_string={"visiting_status": "restricted"}).get_data(as_text=True)
    assert _names(html) == ["Plas Newydd"]
    # Nonsense filters are ignored, never an error.
    response = client.get("/coordinator/care-homes",
                          query_string={"visiting_status": "x", "partners": "y", "page": "zz"})
    assert response.status_code == 200
    assert len(_names(response.get_data(as_text=True))) == 2


def test_with_and_without_partners_in_reach(make_user, make_home, make_group, sign_in, client):
    make_home(name="Bryn Awel")  # LL55, next to the choir
    make_home(name="Plas Newydd", postcode="CF10 1EP")  # Cardiff, 200 km away
    make_group()  # LL55 4EL, 20 km travel
    make_group(name="Far Choir", postcode="EH1 1YZ", travel_radius_km=200)
    _sign_in(make_user, sign_in)
    html = client.get("/coordinator/care-homes?partners=with").get_data(as_text=True)
    assert _names(html) == ["Bryn Awel"]
    html = client.get("/coordinator/care-homes?partners=without").get_data(as_text=True)
    assert _names(html) == ["Plas Newydd"]
    assert "None in reach" in html
    everyone = client.get("/coordinator/care-homes").get_data(as_text=True)
    row = everyone.split("Plas Newydd")[1].split("</tr>")[0]
    assert "None in reach" in row


def test_pending_partners_do_not_count(make_user, make_home, make_group, sign_in, client):
    make_home(name="Bryn Awel")
    make_group(status="pending")
    _sign_in(make_user, sign_in)
    html = client.get("/coordinator/care-homes?partners=without").get_data(as_text=True)
    assert _names(html) == ["Bryn Awel"]


def test_paging_fifty_a_page_keeps_filters(make_user, make_home, sign_in, client, db):
    from matcher.models import CareHome

    template = make_home(name="Home 000")
    for i in range(1, 52):
        db.session.add(CareHome(
            name=f"Home {i:03d}", postcode=template.postcode, lat=template.lat,
            lon=template.lon, geocode_precision=template.geocode_precision,
            nation=template.nation, local_authority_code=template.local_authority_code,
            local_authority_name=template.local_authority_name, interests=[], languages=[],
            care_types=[], facilities=[], visiting_status="open", search_radius_km=10))
    db.session.commit()
    _sign_in(make_user, sign_in)
    first = client.get("/coordinator/care-homes?q=home").get_data(as_text=True)
    assert len(_names(first)) == 50 and _names(first)[0] == "Home 000"
    assert "52 care homes, page 1 of 2." in first
    assert 'rel="next"' in first and "q=home" in first.split('rel="next"')[0].rsplit("href", 1)[1]
    second = client.get("/coordinator/care-homes?q=home&page=2").get_data(as_text=True)
    assert _names(second) == ["Home 050", "Home 051"]
    beyond = client.get("/coordinator/care-homes?q=home&page=99").get_data(as_text=True)
    assert _names(beyond) == ["Home 050", "Home 051"]
    cold = client.get("/coordinator/care-homes?q=home&partners=without&page=2"
                      ).get_data(as_text=True)
    assert _names(cold) == ["Home 050", "Home 051"]
