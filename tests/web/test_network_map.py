"""The coordinator's network map: cold spots, clusters that add up, filters, nation scope,
areas missing a kind, the map's JSON and the pages around it."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.domain import network_map as grid
from matcher.services import network_map

PASSWORD = "coordinating is fun"
CAERNARFON, CARDIFF, EDINBURGH, CHESTER = "LL55 4UR", "CF10 1EP", "EH6 6QU", "CH1 2HS"


def _sign_in(make_user, sign_in, role="coordinator", nation="wales"):
    user, _ = make_user(role, nation=nation if role == "coordinator" else None,
                        password=PASSWORD)
    sign_in(user.email, PASSWORD)
    return user


@pytest.fixture
def network(make_home, make_group):
    """A choir near Caernarfon reaches its home; Cardiff's home has nobody; a school in
    Edinburgh, and a Scottish home it reaches."""
    return {
        "caernarfon": make_home(name="Bryn Awel", postcode=CAERNARFON),
        "cardiff": make_home(name="Tŷ Hafan", postcode=CARDIFF, search_radius_km=5),
        "edinburgh": make_home(name="Leith Lodge", postcode=EDINBURGH),
        "choir": make_group(name="Côr Llanberis", postcode="LL55 4EL"),
        "school": make_group(name="Ysgol Leith", kind="school", postcode="EH6 7EQ"),
        "pending": make_group(name="Côr Caerdydd", status="pending", postcode="CF10 1AA"),
    }


def _cache():
    return network_map.NetworkCache(check_every=0)


def test_a_home_with_no_partner_in_reach_is_a_cold_spot(db, make_user, network):
    coordinator, _ = make_user("coordinator", nation="wales")
    view = network_map.overview(db.session, _cache(), coordinator, nation=None,
                                filters=network_map.Filters())
    assert [home["name"] for home in view.cold_homes] == ["Tŷ Hafan"]  # pending groups count not
    assert view.cold_total == 1 and view.homes == 2 and view.partners == 1
    answer = network_map.map_data(db.session, _cache(), coordinator, nation=None, box=None,
                                  zoom=9, filters=network_map.Filters())
    assert answer["mode"] == "points"
    cold = {point["name"]: point["cold"] for point in answer["homes"]["points"]}
    assert cold == {"Bryn Awel": False, "Tŷ Hafan": True}
    assert [p["name"] for p in answer["partners"]["points"]] == ["Côr Llanberis"]


def test_a_partner_over_the_border_keeps_a_home_warm(db, make_user, make_home, make_group):
    make_home(name="Plas Wrecsam", postcode="LL11 1AY", search_radius_km=25)
    make_group(name="Chester Singers", postcode=CHESTER, travel_radius_km=25)
    coordinator, _ = make_user("coordinator", nation="wales")
    view = network_map.overview(db.session, _cache(), coordinator, nation=None,
                                filters=network_map.Filters())
    assert view.cold_total == 0
    assert view.partners == 0  # the English choir is not Wales's to show


def test_kind_filter_counts_only_that_kind(db, make_user, network):
    coordinator, _ = make_user("coordinator", nation="wales")
    view = network_map.overview(db.session, _cache(), coordinator, nation=None,
                                filters=network_map.Filters(kind="school"))
    assert sorted(home["name"] for home in view.cold_homes) == ["Bryn Awel", "Tŷ Hafan"]
    assert view.partners == 0
    areas = {area["name"]: area["missing"] for area in view.areas}
    assert all(missing == ["school"] for missing in areas.values()) and len(areas) == 2


def test_local_authority_filter(db, make_user, network):
    coordinator, _ = make_user("coordinator", nation="wales")
    gwynedd = network["caernarfon"].local_authority_code
    view = network_map.overview(db.session, _cache(), coordinator, nation=None,
                                filters=network_map.Filters(local_authority=gwynedd))
    assert view.homes == 1 and view.cold_total == 0 and view.partners == 1
    assert [area["code"] for area in view.areas] == [gwynedd]
    assert (gwynedd, "Gwynedd") in view.local_authorities


def test_areas_missing_kinds(db, make_user, network):
    coordinator, _ = make_user("coordinator", nation="wales")
    view = network_map.overview(db.session, _cache(), coordinator, nation=None,
                                filters=network_map.Filters())
    areas = {area["name"]: area for area in view.areas}
    assert set(areas) == {"Gwynedd", "Cardiff"}
    assert "choir" not in areas["Gwynedd"]["missing"] and "school" in areas["Gwynedd"]["missing"]
    assert "choir" in areas["Cardiff"]["missing"]
    assert "other" not in areas["Cardiff"]["missing"]
    assert areas["Cardiff"]["cold"] == 1 and areas["Cardiff"]["partners"] == 0


def test_nation_scope(db, make_user, network):
    coordinator, _ = make_user("coordinator", nation="wales")
    admin, _ = make_user("admin")
    # A coordinator asking for Scotland is refused; the page shows their own nation instead.
    from matcher.services.errors import Forbidden
    with pytest.raises(Forbidden):
        network_map.map_data(db.session, _cache(), coordinator, nation="scotland", box=None,
                             zoom=6, filters=network_map.Filters())
    everything = network_map.map_data(db.session, _cache(), admin, nation=None, box=None,
                                      zoom=6, filters=network_map.Filters())
    assert everything["homes"]["total"] == 3 and everything["partners"]["total"] == 2
    scotland = network_map.overview(db.session, _cache(), admin, nation="scotland",
                                    filters=network_map.Filters())
    assert scotland.homes == 1 and scotland.cold_total == 0 and scotland.partners == 1


def test_cells_add_up_to_the_totals(db, make_user, network):
    admin, _ = make_user("admin")
    answer = network_map.map_data(db.session, _cache(), admin, nation=None, box=None, zoom=5,
                                  filters=network_map.Filters())
    assert answer["mode"] == "cells"
    assert sum(c["count"] for c in answer["homes"]["cells"]) == answer["homes"]["total"] == 3
    assert sum(c["flagged"] for c in answer["homes"]["cells"]) == answer["homes"]["cold"] == 1
    assert sum(c["count"] for c in answer["partners"]["cells"]) == 2
    # A box around Cardiff holds its home alone.
    box = grid.parse_box("-3.4,51.3,-3.0,51.6")
    answer = network_map.map_data(db.session, _cache(), admin, nation=None, box=box, zoom=9,
                                  filters=network_map.Filters())
    assert answer["homes"]["total"] == 1 and answer["partners"]["total"] == 0
    assert answer["mode"] == "points" and answer["homes"]["points"][0]["cold"]


def test_the_snapshot_follows_changes(db, make_user, make_group, network):
    coordinator, _ = make_user("coordinator", nation="wales")
    cache = _cache()
    first = network_map.overview(db.session, cache, coordinator, nation=None,
                                 filters=network_map.Filters())
    assert first.cold_total == 1
    make_group(name="Côr Caerdydd Newydd", postcode="CF10 1AA", travel_radius_km=10)
    again = network_map.overview(db.session, cache, coordinator, nation=None,
                                 filters=network_map.Filters())
    assert again.cold_total == 0 and again.partners == 2


def test_a_large_network_is_read_again_in_the_background(db, make_user, make_group, network,
                                                       monkeypatch):
    import time

    monkeypatch.setattr(network_map, "BACKGROUND_RELOAD_PARTNERS", 1)
    admin, _ = make_user("admin")
    cache = _cache()
    before = cache.get(db.session)
    make_group(name="Côr Caerdydd Newydd", postcode="CF10 1AA", travel_radius_km=10)
    assert cache.get(db.session) is before  # still answering from the old one
    deadline = time.monotonic() + 30
    while cache._reloading and time.monotonic() < deadline:
        time.sleep(0.05)
    view = network_map.overview(db.session, cache, admin, nation="wales",
                                filters=network_map.Filters())
    assert view.partners == 2 and view.cold_total == 0


# --- the grid on its own -----------------------------------------------------------------------

def test_aggregate_counts_every_point_once():
    rng = np.random.default_rng(3)
    lat = rng.uniform(50, 59, 50_000)
    lon = rng.uniform(-7, 1.5, 50_000)
    flags = rng.random(50_000) < 0.1
    box = grid.Box(*grid.UK_BOX)
    for zoom in (5, 7, 9, 12):
        cells = grid.aggregate(lat, lon, box, zoom, flags)
        assert cells.count.sum() == 50_000 and cells.flagged.sum() == flags.sum()
        lat_deg, lon_deg = grid.cell_degrees(zoom, (box.south + box.north) / 2)
        # each marker stands inside the span of its points' cell
        assert len(cells.count) <= (9 / lat_deg + 2) * (8.5 / lon_deg + 2)
    assert len(grid.aggregate(lat, lon, box, 5).count) < len(grid.aggregate(lat, lon, box, 9).count)


def test_a_nation_is_shown_in_clusters_and_a_town_point_by_point():
    assert not grid.as_points(5, 8)  # a nation: clusters, however few
    assert grid.as_points(grid.MAX_POINTS, 9) and not grid.as_points(grid.MAX_POINTS + 1, 9)
    assert grid.as_points(grid.POINTS_CAP, 13) and not grid.as_points(grid.POINTS_CAP + 1, 18)


def test_parse_box():
    assert grid.parse_box("-5,51,-2.5,53.5") == grid.Box(51, -5, 53.5, -2.5)
    for bad in ("", "1,2,3", "a,b,c,d", "0,10,1,5", "nan,1,2,3", "-5,51,-2.5,53.5,1"):
        assert grid.parse_box(bad) is None


# --- pages and the JSON ------------------------------------------------------------------------

def test_pages_for_coordinators_and_admins_only(client, make_user, make_home, sign_in, network):
    staff, _ = make_user("care_home", care_home_id=network["cardiff"].id, password=PASSWORD)
    sign_in(staff.email, PASSWORD)
    for path in ("/coordinator/network", "/coordinator/network/data", "/coordinator/reports"):
        assert client.get(path).status_code == 403, path


def test_network_page_lists_the_cold_spots(client, make_user, sign_in, network):
    _sign_in(make_user, sign_in)
    response = client.get("/coordinator/network")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    table = html.split('id="cold-spots-table"', 1)[1].split("</table>", 1)[0]
    assert "Tŷ Hafan" in table and "Bryn Awel" not in table
    assert f'/care-homes/{network["cardiff"].id}/partners' in table
    missing = html.split('id="missing-kinds-table"', 1)[1].split("</table>", 1)[0]
    assert "Cardiff" in missing and "Choir" in missing
    assert 'type="application/json" id="network-map-config"' in html
    assert "Leith Lodge" not in html  # Scotland is not Wales's
    # the filter form works without JavaScript
    html = client.get("/coordinator/network?kind=school").get_data(as_text=True)
    table = html.split('id="cold-spots-table"', 1)[1].split("</table>", 1)[0]
    assert "Bryn Awel" in table and "Tŷ Hafan" in table


def test_admin_chooses_the_nation(client, make_user, sign_in, network):
    _sign_in(make_user, sign_in, role="admin")
    html = client.get("/coordinator/network?nation=scotland").get_data(as_text=True)
    assert "Every care home shown has a partner in reach." in html
    data = client.get("/coordinator/network/data?nation=scotland&zoom=6").get_json()
    assert data["homes"]["total"] == 1


def test_data_answers_and_refuses_bad_input(client, make_user, sign_in, network):
    _sign_in(make_user, sign_in)
    data = client.get("/coordinator/network/data?bbox=-5.5,51,-2.5,53.5&zoom=9").get_json()
    assert data["mode"] == "points" and data["homes"]["total"] == 2
    assert data["homes"]["cold"] == 1
    for query, field in (("bbox=1,2,3", "bbox"), ("bbox=0,10,1,5", "bbox"), ("zoom=-1", "zoom"),
                         ("zoom=99", "zoom"), ("zoom=x", "zoom")):
        response = client.get(f"/coordinator/network/data?{query}")
        assert response.status_code == 422, query
        assert field in response.get_json()["errors"]
    # An unknown kind is ignored like any unknown filter, never an error.
    assert client.get("/coordinator/network/data?kind=dragons").status_code == 200


def test_the_pages_read_in_welsh(client, make_user, sign_in, network):
    from tests.web.welsh import english_leftovers

    _sign_in(make_user, sign_in)
    for path in ("/coordinator/network?lang=cy", "/coordinator/network?lang=cy&kind=school",
                 "/coordinator/reports?lang=cy"):
        html = client.get(path).get_data(as_text=True)
        assert 'lang="cy"' in html
        main = html.split("<main", 1)[1].split("</main>", 1)[0]
        assert english_leftovers("<main" + main + "</main>") == [], path


def test_the_csp_allows_images_from_the_configured_tile_host_only():
    from matcher.security import TILE_SOURCES, content_security_policy, tile_sources

    assert tile_sources("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == TILE_SOURCES
    assert content_security_policy("")["img-src"] == "'self' data:"
    assert content_security_policy(None)["img-src"] == "'self' data:"
    policy = content_security_policy("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert policy["img-src"] == "'self' data: https://*.tiles.example.org"
    assert policy["script-src"] == "'self'"
    with pytest.raises(ValueError):
        tile_sources("javascript:alert(1)")


def test_the_pages_pass_the_tile_setting_to_the_maps(app, client, make_user, sign_in, network,
                                                     monkeypatch):
    import json

    monkeypatch.setitem(app.config, "MAP_TILES_URL", "")
    _sign_in(make_user, sign_in)
    html = client.get("/coordinator/network").get_data(as_text=True)
    config = json.loads(html.split('id="network-map-config">', 1)[1].split("</script>", 1)[0])
    assert config["tiles_url"] == ""
    assert config["outlines_url"].endswith("british-isles.geojson")
    html = client.get(f"/care-homes/{network['caernarfon'].id}/partners").get_data(as_text=True)
    assert "&#34;tiles_url&#34;: &#34;&#34;" in html or '"tiles_url": ""' in html
