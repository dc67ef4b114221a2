"""Adding a term to the catalogue is one entry: the API, the OpenAPI document, the forms and
the pages all take their choices from ``matcher.domain.catalogue``."""

from __future__ import annotations

from matcher.domain import catalogue
from matcher.domain.catalogue import codes
from tests.web.conftest import parse_page

KINDS = set(codes(catalogue.GROUP_KINDS))


def _choices(schema, name) -> set[str]:
    field = schema.fields[name]
    field = getattr(field, "inner", field)  # a list's items
    return set(field.validate.choices)


def _enums(node, found=None) -> list[set]:
    """Every ``enum`` in the OpenAPI document."""
    found = [] if found is None else found
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            found.append({v for v in node["enum"] if v is not None})
        for value in node.values():
            _enums(value, found)
    elif isinstance(node, list):
        for value in node:
            _enums(value, found)
    return found


def test_group_kinds_of_schemas_form_and_pages_are_the_catalogues():
    from matcher import models
    from matcher.api.groups import GroupListArgs
    from matcher.schemas import GroupInputSchema, GroupPatchSchema
    from matcher.web.base import KIND_LABELS

    assert _choices(GroupInputSchema(), "kind") == KINDS
    assert _choices(GroupPatchSchema(), "kind") == KINDS
    assert _choices(GroupListArgs(), "kind") == KINDS
    assert set(models.GROUP_KINDS) == KINDS
    assert dict(KIND_LABELS) == {k.code: k.label for k in catalogue.GROUP_KINDS}


def test_every_openapi_enum_of_a_vocabulary_is_the_whole_vocabulary(client):
    spec = client.get("/api/openapi.json").get_json()
    vocabularies = {
        "kinds": KINDS,
        "nations": set(codes(catalogue.NATIONS)),
        "slots": set(catalogue.SLOTS),
        "visiting statuses": set(codes(catalogue.VISITING_STATUSES)),
        "care types": set(codes(catalogue.CARE_TYPES)),
        "facilities": set(codes(catalogue.FACILITIES)),
        "group statuses": set(codes(catalogue.GROUP_STATUSES)),
        "remote modes": set(codes(catalogue.REMOTE_MODES)),
        "safeguarding schemes": set(codes(catalogue.SAFEGUARDING_SCHEMES)),
        "safeguarding statuses": set(codes(catalogue.SAFEGUARDING_STATUSES)),
        "regulators": set(codes(catalogue.REGULATORS)),
    }
    enums = _enums(spec)
    for name, vocabulary in vocabularies.items():
        using = [enum for enum in enums if enum & vocabulary and not enum - vocabulary]
        assert using, f"no enum of {name} in the OpenAPI document"
        assert all(enum == vocabulary for enum in using), name
    kind_enums = [enum for enum in enums if enum & KINDS - {"other"}]
    assert kind_enums and all(enum == KINDS for enum in kind_enums)


def test_the_registration_form_offers_every_kind_slot_and_scheme(client):
    page = parse_page(client.get("/register").get_data(as_text=True))

    def values(name):
        return [c.get("value") for c in page.controls if c.get("name") == name]

    assert values("kind") == list(codes(catalogue.GROUP_KINDS))
    assert values("availability") == list(catalogue.SLOTS)
    assert values("remote_modes") == list(codes(catalogue.REMOTE_MODES))
    assert values("safeguarding_scheme") == list(codes(catalogue.SAFEGUARDING_SCHEMES))
    assert values("safeguarding_status") == list(codes(catalogue.SAFEGUARDING_STATUSES))


def test_match_weights_are_one_parameter_per_ranking_component():
    from matcher.api.matches import MatchArgs

    weights = {name.removeprefix("weight_") for name in MatchArgs().fields
               if name.startswith("weight_")}
    assert weights == set(codes(catalogue.RANKING_COMPONENTS))


def test_the_profile_form_offers_every_care_type_facility_and_visiting_status(
        make_user, make_home, sign_in, client):
    home = make_home()
    user, _ = make_user("care_home", care_home_id=home.id, password="a long test password")
    sign_in(user.email, "a long test password")
    page = parse_page(client.get(f"/care-homes/{home.id}/profile").get_data(as_text=True))

    def values(name):
        return [c.get("value") for c in page.controls if c.get("name") == name]

    assert values("care_types") == list(codes(catalogue.CARE_TYPES))
    assert values("facilities") == list(codes(catalogue.FACILITIES))
    assert values("visiting_status") == list(codes(catalogue.VISITING_STATUSES))
