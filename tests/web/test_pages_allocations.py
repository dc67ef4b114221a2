"""A coordinator shares out partners from the workspace: a fair allocation by default, the
pairs proposed, the homes that got nobody and why, a CSV download; errors keep the entries."""

from __future__ import annotations

import re

import pytest

from tests.web.welsh import english_leftovers

PASSWORD = "a long enough passphrase"


@pytest.fixture
def wales(make_user, sign_in):
    # An address without English words, so that only interface text can read as English.
    user, _ = make_user("coordinator", nation="wales", password=PASSWORD,
                        email="cydlynydd.cymru@example.org")
    sign_in(user.email, PASSWORD)
    return user


@pytest.fixture
def network(make_home, make_group):
    near = make_home(name="Bryn Awel")
    far = make_home(name="Tŷ Hafod", postcode="CF10 1EP", search_radius_km=3)
    choir = make_group(name="Côr Llanberis")
    return near, far, choir


def test_the_form_offers_the_fair_allocation_first(client, wales):
    html = client.get("/coordinator/allocations").get_data(as_text=True)
    assert re.search(r'value="fair" checked', html)
    assert "Share out partners" in html and "No allocations yet." in html
    dashboard = client.get("/coordinator").get_data(as_text=True)
    assert 'href="/coordinator/allocations"' in dashboard


def test_a_fair_allocation_lists_pairs_and_the_homes_that_got_nobody(client, wales, network):
    near, far, choir = network
    made = client.post("/coordinator/allocations", data={"strategy": "fair", "per_home": "1"})
    assert made.status_code == 303
    page = client.get(made.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    pairs = html.split('id="pairs"')[1]
    assert "Bryn Awel" in pairs and "Côr Llanberis" in pairs
    nobody = html.split('id="nobody"')[1].split('id="pairs"')[0]
    assert "Tŷ Hafod" in nobody and "No eligible partner within reach" in nobody
    assert "1 home got a partner." in html and "1 home got nobody." in html
    assert "Shared out fairly" in html
    listed = client.get("/coordinator/allocations").get_data(as_text=True)
    assert made.headers["Location"] in listed
    csv_link = re.search(r'href="(/coordinator/allocations/\d+\.csv)"', html).group(1)
    download = client.get(csv_link)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    text = download.get_data().decode("utf-8")
    assert text.startswith("\ufeffallocation_id,") and "Côr Llanberis" in text


def test_bad_entries_come_back_with_errors_and_what_was_typed(client, db, wales, network):
    from matcher.models import Allocation

    bad = client.post("/coordinator/allocations",
                      data={"strategy": "greedy", "per_home": "lots",
                            "max_homes_per_partner": "0"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "There is a problem" in html and "<title>Error:" in html
    assert "Enter how many partners each home should get" in html
    assert "Enter the most homes one partner may be given" in html
    assert "Choose how to share out the partners" in html
    assert 'value="lots"' in html and 'value="0"' in html
    assert db.session.query(Allocation).count() == 0


def test_another_nations_allocation_is_not_found(client, db, make_user, sign_in, network):
    from matcher.services import allocations

    user, _ = make_user("coordinator", nation="scotland", password=PASSWORD)
    sign_in(user.email, PASSWORD)
    made = client.post("/coordinator/allocations", data={"strategy": "fair", "per_home": "1"})
    assert made.status_code == 303
    ids = [a.id for a in db.session.scalars(allocations.list_allocations(user))]
    client.post("/logout")
    wales_user, _ = make_user("coordinator", nation="wales", password=PASSWORD)
    sign_in(wales_user.email, PASSWORD)
    assert client.get(f"/coordinator/allocations/{ids[0]}").status_code == 404
    assert client.get(f"/coordinator/allocations/{ids[0]}.csv").status_code == 404


def test_the_allocation_pages_read_fully_in_welsh(client, wales, network):
    form = client.get("/coordinator/allocations?lang=cy").get_data(as_text=True)
    assert "Rhannu partneriaid" in form and english_leftovers(form) == []
    made = client.post("/coordinator/allocations", data={"strategy": "total", "per_home": "2"})
    html = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Cartrefi na chawsant neb" in html and "Dim partner addas o fewn cyrraedd" in html
    assert english_leftovers(html) == []
    bad = client.post("/coordinator/allocations", data={"per_home": "99"})
    assert "Mae problem wedi codi" in bad.get_data(as_text=True)
    assert english_leftovers(bad.get_data(as_text=True)) == []
