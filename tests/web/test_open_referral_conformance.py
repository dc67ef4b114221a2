"""The Open Referral UK feed passes the official ORUK 3.0 schemas on every required endpoint.

The schemas (tests/fixtures/oruk/schema, CC BY-SA 4.0, see LICENCE.md there) are the UK
profile's own: each endpoint's answer is checked against the schema ``openapi.json`` names for
it, with formats (uuid, date-time, uri) checked too, on the demo network.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from matcher.services.open_referral import object_id, taxonomy_id, term_id

ROOT = "/api/v1/open-referral"
SCHEMAS = Path(__file__).resolve().parent.parent / "fixtures" / "oruk" / "schema"
OPENAPI = json.loads((SCHEMAS / "openapi.json").read_text(encoding="utf-8"))
REQUIRED_PATHS = ["/", "/services", "/services/{id}", "/taxonomies", "/taxonomies/{id}",
                  "/taxonomy_terms", "/taxonomy_terms/{id}", "/service_at_locations",
                  "/service_at_locations/{id}"]


def _resolved(schema):
    """The schema with every ``$ref`` replaced by the local copy it names."""
    if isinstance(schema, list):
        return [_resolved(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if ref is not None:
        if ref.startswith("#/components/schemas/"):
            return _resolved(OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[1]])
        return _resolved(json.loads((SCHEMAS / ref.rsplit("/", 1)[-1]).read_text("utf-8")))
    return {key: _resolved(value) for key, value in schema.items()}


def response_schema(path: str) -> dict:
    schema = OPENAPI["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    schema = copy.deepcopy(schema["schema"])
    if path == "/service_at_locations/{id}":
        # The profile's openapi.json names the service schema here, a slip: the endpoint
        # returns a service_at_location (as the list does), so that is what is checked.
        schema = {"$ref": "service_at_location.json"}
    return _resolved(schema)


def assert_valid(path: str, body) -> None:
    validator = Draft202012Validator(response_schema(path),
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in validator.iter_errors(body)]
    assert not errors, errors[:10]


def _nulls(value, where=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nulls(item, f"{where}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nulls(item, f"{where}/{i}")
    elif value is None:
        yield where


@pytest.fixture
def demo(app, db):
    from matcher.runtime import postcode_index
    from matcher.schemas import CareHomeInputSchema, GroupInputSchema
    from matcher.services.demo import load_demo

    load_demo(db.session, postcode_index(app), CareHomeInputSchema(), GroupInputSchema(),
              privacy_notice_version=app.config["PRIVACY_NOTICE_VERSION"])
    db.session.flush()


def test_the_profile_lists_the_nine_endpoints_we_answer():
    assert set(REQUIRED_PATHS) == set(OPENAPI["paths"])
    # without rfc3339-validator and rfc3986-validator these formats would pass unchecked
    assert {"uuid", "date-time", "uri", "email"} <= set(
        Draft202012Validator.FORMAT_CHECKER.checkers)


def test_every_required_endpoint_passes_the_schemas(client, demo):
    answers = {}

    def get(path, url):
        response = client.get(ROOT + url)
        assert response.status_code == 200, (url, response.json)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert_valid(path, response.json)
        assert not list(_nulls(response.json)), (url, list(_nulls(response.json))[:5])
        answers[path] = response.json
        return response.json

    root = get("/", "/")
    assert root["version"] == "3.0" and "uk-profile" in root["profile"]
    services = get("/services", "/services?per_page=500")
    assert services["total_items"] > 100 and services["size"] == len(services["contents"])
    for service in services["contents"]:  # every service of the demo, whole
        assert_valid("/services/{id}", service)
    first = services["contents"][0]
    assert get("/services/{id}", f"/services/{first['id']}")["name"] == first["name"]
    sals = get("/service_at_locations", "/service_at_locations?per_page=20")
    sal = sals["contents"][0]
    assert sal["service_id"] == first["id"] and sal["location"]["addresses"]
    assert get("/service_at_locations/{id}", f"/service_at_locations/{sal['id']}")[
        "id"] == sal["id"]
    taxonomies = get("/taxonomies", "/taxonomies")
    assert {t["name"] for t in taxonomies["contents"]} >= {
        "kith:partner-kinds", "kith:activities", "kith:delivery"}
    kinds = get("/taxonomies/{id}", f"/taxonomies/{taxonomy_id('kith:partner-kinds')}")
    assert {"choir", "school", "volunteer"} <= {t["name"] for t in kinds["taxonomy_terms"]}
    terms = get("/taxonomy_terms", "/taxonomy_terms?per_page=500")
    assert terms["size"] == len(terms["contents"]) == terms["total_items"]
    term = next(t for t in terms["contents"] if t["taxonomy"] == "kith:activities")
    assert get("/taxonomy_terms/{id}", f"/taxonomy_terms/{term['id']}") == term
    # every term a service carries is one the terms endpoint lists
    listed = {t["id"] for t in terms["contents"]}
    assert {a["taxonomy_term_id"] for s in services["contents"] for a in s["attributes"]} <= listed
    assert set(answers) == set(REQUIRED_PATHS)


def test_unknown_ids_are_404_on_every_by_id_endpoint(client, demo):
    for url in ("/services/nope", "/service_at_locations/nope", "/taxonomies/nope",
                "/taxonomy_terms/nope",
                f"/services/{object_id('service_at_location', 1)}",  # the wrong kind of id
                f"/service_at_locations/{object_id('service', 1)}"):
        response = client.get(ROOT + url)
        assert response.status_code == 404, url
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_size_counts_the_items_on_the_page(client, demo):
    body = client.get(f"{ROOT}/services?per_page=40").json
    last = client.get(f"{ROOT}/services?per_page=40&page={body['total_pages']}").json
    assert body["size"] == 40
    assert last["size"] == len(last["contents"]) == body["total_items"] - 40 * (
        body["total_pages"] - 1)
    beyond = client.get(f"{ROOT}/services?per_page=40&page={body['total_pages'] + 1}").json
    assert beyond["size"] == 0 and beyond["empty"]


def _all(client, query):
    body = client.get(f"{ROOT}/services?per_page=500&{query}")
    assert body.status_code == 200, body.json
    return body.json["contents"]


def test_search_and_taxonomy_filters_work(client, demo):
    everything = _all(client, "")
    word = "choir"
    searched = _all(client, f"search={word}")
    assert searched and len(searched) < len(everything)
    assert all(word in (s["name"] + s["description"]).lower() for s in searched)
    assert searched == _all(client, f"text={word}")

    def terms_of(service, taxonomy):
        return {a["taxonomy_term"]["name"] for a in service["attributes"]
                if a["taxonomy_term"]["taxonomy"] == taxonomy}

    singing = term_id("kith:activities", "singing")
    with_singing = _all(client, f"taxonomy_term_id={singing}")
    expected = [s["id"] for s in everything if "singing" in terms_of(s, "kith:activities")]
    assert with_singing and [s["id"] for s in with_singing] == expected
    schools = _all(client, f"taxonomy_term_id={term_id('kith:partner-kinds', 'school')}")
    assert schools and all(terms_of(s, "kith:partner-kinds") == {"school"} for s in schools)
    remote = _all(client, f"taxonomy_id={taxonomy_id('kith:delivery')}")
    assert [s["id"] for s in remote] == [
        s["id"] for s in everything if terms_of(s, "kith:delivery")]
    assert 0 < len(remote) < len(everything)
    assert _all(client, "taxonomy_term_id=00000000-0000-4000-8000-000000000000") == []


def test_modified_after(client, demo, db):
    import datetime as dt

    from sqlalchemy import update

    from matcher.models import CommunityGroup

    everything = _all(client, "")
    first = everything[0]
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    group_ids = [int(s["id"][-12:], 16) for s in everything]
    db.session.execute(update(CommunityGroup).where(CommunityGroup.id.in_(group_ids[1:])).values(
        updated_at=old).execution_options(synchronize_session=False))
    db.session.flush()
    recent = _all(client, "modified_after=2024-06-01T00:00:00Z")
    assert [s["id"] for s in recent] == [first["id"]]
    assert len(_all(client, "modified_after=2019-12-31T23:00:00")) == len(everything)
    bad = client.get(f"{ROOT}/services?modified_after=yesterday")
    assert bad.status_code == 422 and "modified_after" in json.dumps(bad.json["errors"])


def test_postcode_with_proximity_and_alone(client, demo):
    from math import asin, cos, radians, sin, sqrt

    everything = _all(client, "")

    def km(a, b):
        (la1, lo1), (la2, lo2) = a, b
        h = sin(radians(la2 - la1) / 2) ** 2 + cos(radians(la1)) * cos(radians(la2)) * sin(
            radians(lo2 - lo1) / 2) ** 2
        return 2 * 6371.0088 * asin(sqrt(h))

    def where(service):
        location = service["service_at_locations"][0]["location"]
        return location["latitude"], location["longitude"]

    centre = where(everything[0])
    postcode = everything[0]["service_at_locations"][0]["location"]["addresses"][0][
        "postal_code"]
    near = _all(client, f"postcode={postcode}&proximity=15000")
    distances = {s["id"]: km(centre, where(s)) for s in everything}
    assert near and len(near) < len(everything)
    assert all(distances[s["id"]] <= 15.2 for s in near)
    ids = {s["id"] for s in near}
    assert all(s["id"] in ids for s in everything if distances[s["id"]] <= 14.5)
    # a postcode alone: the partners whose travel radius reaches it
    reach = _all(client, f"postcode={postcode}")
    radius = {s["id"]: float(s["service_areas"][0]["name"].split()[1]) for s in everything}
    assert reach and all(distances[s["id"]] <= radius[s["id"]] * 1.01 for s in reach)
    # proximity without a postcode has no centre: ignored (tests/api/test_rules_stated_ranking)
    alone = _all(client, "proximity=1000")
    assert [s["id"] for s in alone] == [s["id"] for s in everything]
    bad = client.get(f"{ROOT}/services?postcode=NOT A POSTCODE&proximity=1000")
    assert bad.status_code == 422 and "postcode" in bad.json["errors"]
    assert len(_all(client, f"postcode={postcode}&proximity=15000&search=choir")) <= len(near)
