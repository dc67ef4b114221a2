"""One write path: an import and the API make the same record from the same input, and an
import row breaking a rule the API enforces is rejected with the API's own words."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from matcher.models import CareHome, CommunityGroup
from matcher.services import records

# Differ by design: identity, times, the import's key, and (for groups) who vouched how.
_ALWAYS = {"id", "created_at", "updated_at", "external_key"}


def columns(record, ignore=()) -> dict:
    skip = _ALWAYS | set(ignore)
    return {c.key: getattr(record, c.key) for c in record.__table__.columns
            if c.key not in skip}


def run_import(runner, path, *args):
    return runner.invoke(args=["import", *map(str, args[:1]), str(path), *map(str, args[1:])])


def test_an_imported_home_is_the_record_the_api_makes(runner, client, db, admin_headers,
                                                       tmp_path):
    path = tmp_path / "homes.csv"
    path.write_text("name,postcode,regulator_id,address_line1,town,residents,care_types,phone\n"
                    "Twin Court,m1  1ae,1-4000000001,1 Test Street,Manchester,25,"
                    "nursing; dementia,0161 000 0002\n", encoding="utf-8")
    result = run_import(runner, path, "care-homes", "--format", "csv")
    assert result.exit_code == 0, result.output
    response = client.post("/api/v1/care-homes", headers=admin_headers, json={
        "name": "Twin Court", "postcode": "m1  1ae", "regulator": "cqc",
        "regulator_id": "1-4000000002", "address_line1": "1 Test Street", "town": "Manchester",
        "residents": 25, "care_types": ["nursing", "dementia"],
        "contact": {"phone": "0161 000 0002"}})
    assert response.status_code == 201, response.json
    imported = db.session.scalar(select(CareHome).where(CareHome.regulator_id == "1-4000000001"))
    sent = db.session.get(CareHome, response.json["id"])
    assert columns(imported, {"regulator_id"}) == columns(sent, {"regulator_id"})
    assert imported.regulator == "cqc" and imported.postcode == "M1 1AE"


def test_an_imported_group_is_the_record_the_api_makes(runner, client, db, admin_headers,
                                                        tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("external_id,name,kind,description,interests,languages,postcode,"
                    "travel_radius_km,availability,capacity_per_month,offers_remote,"
                    "works_with_children,contact_name,contact_email,contact_phone\n"
                    "T-1,Twin Singers,choir,We sing,Singing; singing; hymns,Cymraeg;English,"
                    "cf10 1ep,12.5,sat_pm;mon_am,3,yes,no,Ann,ann@example.org,\n",
                    encoding="utf-8")
    result = run_import(runner, path, "groups")
    assert result.exit_code == 0, result.output
    response = client.post("/api/v1/groups", headers=admin_headers, json={
        "name": "Twin Singers", "kind": "choir", "description": "We sing",
        "interests": ["Singing", "singing", "hymns"], "languages": ["Cymraeg", "English"],
        "postcode": "cf10 1ep", "travel_radius_km": 12.5, "availability": ["sat_pm", "mon_am"],
        "capacity_per_month": 3, "offers_remote": True, "works_with_children": False,
        "contact": {"name": "Ann", "email": "ann@example.org"}, "consent": True})
    assert response.status_code == 201, response.json
    imported = db.session.scalar(select(CommunityGroup).where(
        CommunityGroup.external_key == "import:T-1"))
    sent = db.session.get(CommunityGroup, response.json["id"])
    # Both approved (a coordinator vouches for either) and stamped; only the person's own
    # consent, which a file cannot give, is the API's alone.
    by_design = {"source", "consent_at", "privacy_notice_version", "approved_at"}
    assert columns(imported, by_design) == columns(sent, by_design)
    assert imported.status == sent.status == "approved"
    assert imported.approved_at and sent.approved_at
    assert imported.consent_at is None and imported.privacy_notice_version is None
    assert sent.consent_at and sent.privacy_notice_version


def test_an_import_row_breaking_an_api_rule_is_rejected_in_the_api_s_words(
        runner, client, db, admin_headers, tmp_path):
    long_id = "1-" + "9" * 40
    path = tmp_path / "homes.csv"
    path.write_text("name,postcode,regulator_id\n"
                    f"Long Id House,M1 1AE,{long_id}\n", encoding="utf-8")
    result = run_import(runner, path, "care-homes", "--format", "csv")
    response = client.post("/api/v1/care-homes", headers=admin_headers, json={
        "name": "Long Id House", "postcode": "M1 1AE", "regulator": "cqc",
        "regulator_id": long_id})
    assert response.status_code == 422
    [message] = response.json["errors"]["regulator_id"]
    assert result.exit_code == 1
    assert f"row 2: regulator_id: {message}" in result.output
    assert db.session.scalar(select(CareHome).where(CareHome.name == "Long Id House")) is None


def test_regulator_ids_are_checked_for_many_homes_at_once(db, make_home):
    held = make_home(name="Holder", regulator="cqc", regulator_id="1-5000000001")
    batch = [SimpleNamespace(id=None, regulator="cqc", regulator_id="1-5000000001"),
             SimpleNamespace(id=held.id, regulator="cqc", regulator_id="1-5000000001"),
             SimpleNamespace(id=None, regulator="ciw", regulator_id="X-1"),
             SimpleNamespace(id=None, regulator="ciw", regulator_id="X-1"),
             SimpleNamespace(id=None, regulator=None, regulator_id="X-1")]
    clashes = records.regulator_id_clashes(db.session, batch)
    assert set(clashes) == {0, 3}
    assert clashes[0] == f"Care home {held.id} already has cqc id 1-5000000001."
