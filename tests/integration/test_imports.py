"""Directory, groups and ORUK imports through the CLI: every layout, idempotence, all-or-
nothing, and hostile files."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matcher.models import AuditLog, CareHome, CommunityGroup

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DIRECTORIES = FIXTURES / "directories"
ORUK = FIXTURES / "oruk" / "services.json"


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def home(db, **by):
    return db.session.scalar(select(CareHome).filter_by(**by))


def run(runner, *args):
    return runner.invoke(args=list(map(str, args)))


def import_homes(runner, name, fmt, *extra):
    return run(runner, "import", "care-homes", DIRECTORIES / name, "--format", fmt, *extra)


# --- the regulators' layouts ------------------------------------------------------------------

def test_cqc_ods_with_bad_rows_writes_nothing_and_names_every_bad_row(runner, db):
    result = import_homes(runner, "cqc_HSCA_Active_Locations.ods", "cqc")
    assert result.exit_code == 1, result.output
    assert count(db, CareHome) == 0
    assert "row 6: missing postcode" in result.output
    assert "row 7: duplicate of row 2" in result.output
    assert "row 8: column 'Care homes beds': 'forty' is not a whole number" in result.output
    assert "Nothing was written" in result.output and "--skip-invalid" in result.output


def test_cqc_ods_imports_good_rows_with_skip_invalid_and_maps_every_field(runner, db):
    result = import_homes(runner, "cqc_HSCA_Active_Locations.ods", "cqc", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 3 rejected" in result.output
    assert "row 8:" in result.output  # the bad rows are still reported
    rose = home(db, regulator="cqc", regulator_id="1-1000000001")
    assert rose.name == "Rose Court Care Home"
    assert rose.postcode == "SW1A 1AA" and rose.nation == "england"
    assert rose.lat and rose.lon and rose.local_authority_name
    assert rose.residents == 40
    assert set(rose.care_types) == {"nursing", "dementia", "older_people"}
    assert rose.external_key == "cqc:1-1000000001"
    piccadilly = home(db, regulator_id="1-1000000002")
    assert set(piccadilly.care_types) == {"residential", "older_people"}
    # who did it is on record
    assert count(db, AuditLog, AuditLog.entity_type == "care_homes",
                 AuditLog.actor.like("cli:%")) == 3


def test_reimporting_a_directory_updates_instead_of_duplicating(runner, db):
    assert import_homes(runner, "cqc_HSCA_Active_Locations.ods", "cqc",
                        "--skip-invalid").exit_code == 0
    rose = home(db, regulator_id="1-1000000001")
    rose.residents = 12  # changed since by hand; the directory says 40
    db.session.commit()
    result = import_homes(runner, "cqc_HSCA_Active_Locations.ods", "cqc", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 2 unchanged" in result.output
    assert count(db, CareHome) == 3
    db.session.refresh(rose)
    assert rose.residents == 40


def test_older_cqc_xlsx_and_the_plain_cqc_csv(runner, db):
    result = import_homes(runner, "cqc_HSCA_Active_Locations_old.xlsx", "cqc", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert home(db, regulator_id="1-1100000002").residents is None  # blank beds stay unknown
    result = import_homes(runner, "cqc_01_October_2025_CQC_directory.csv", "cqc",
                          "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output and "2 skipped" in result.output
    ancoats = home(db, regulator_id="1-2000000002")
    assert "nursing" in ancoats.care_types and ancoats.town == "Manchester"


@pytest.mark.parametrize("name", ["care_inspectorate_251001_DatastoreExternal.csv",
                                  "care_inspectorate_MDSF_data_old.csv"])
def test_care_inspectorate_datastore_old_and_new(runner, db, name):
    result = import_homes(runner, name, "care-inspectorate", "--skip-invalid")
    assert result.exit_code == 0, result.output
    homes = db.session.scalars(select(CareHome)).all()
    assert len(homes) == 2
    assert {h.regulator for h in homes} == {"care_inspectorate"}
    assert {h.nation for h in homes} == {"scotland"}
    assert all(h.regulator_id.startswith("CS") for h in homes)
    assert any("é" in h.name for h in homes)  # Windows-1252 read correctly


def test_ciw_csv_then_xlsx_is_the_same_three_homes(runner, db):
    assert import_homes(runner, "ciw_adult_care_homes.csv", "ciw",
                        "--skip-invalid").exit_code == 0
    result = import_homes(runner, "ciw_adult_care_homes.xlsx", "ciw", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 3 unchanged" in result.output
    ty_gwyn = home(db, name="Tŷ Gwyn")
    assert ty_gwyn.external_key == "ciw:tŷ gwyn|cf101ep"
    assert ty_gwyn.regulator == "ciw" and ty_gwyn.regulator_id is None
    assert ty_gwyn.nation == "wales" and ty_gwyn.residents == 12
    assert "residential" in ty_gwyn.care_types


def test_rqia_register_then_opendatani_copy_adds_the_ids(runner, db):
    result = import_homes(runner, "rqia_REP019_web_register.xlsx", "rqia", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert count(db, CareHome) == 3  # Lagan View is a nursing and a residential registration
    assert {h.nation for h in db.session.scalars(select(CareHome))} == {"northern-ireland"}
    result = import_homes(runner, "rqia_opendatani_registered_services.xlsx", "rqia",
                          "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert count(db, CareHome) == 3
    nursing = home(db, external_key="rqia:lagan view|1 example street|bt15gs|nh")
    assert nursing.regulator_id == "020001"
    assert "dementia" in nursing.care_types


def test_our_csv_layout_keeps_hostile_names_as_data(runner, db):
    result = import_homes(runner, "care_homes.csv", "csv")
    assert result.exit_code == 1
    assert "row 7: column 'residents': '-5' is out of range" in result.output
    result = import_homes(runner, "care_homes.csv", "csv", "--skip-invalid")
    assert result.exit_code == 0, result.output
    kith = home(db, regulator_id="1-3000000001")
    assert kith.regulator == "cqc"  # the regulator follows the geocoded nation
    castle = home(db, name="Castle Rock Home")
    assert castle.external_key == "csv:castle rock home|eh11yz"
    assert castle.nation == "scotland"
    hostile = home(db, town="Leeds")
    assert hostile.name.startswith("=HYPERLINK(")  # stored as given; exports neutralise it


# --- hostile and broken files -----------------------------------------------------------------

def test_wrong_headers_are_a_clear_error(runner, db, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("Home,Where\nRose Court,SW1A 1AA\n", encoding="utf-8")
    result = run(runner, "import", "care-homes", path, "--format", "cqc")
    assert result.exit_code == 1
    assert "cannot be imported" in result.output and "Location ID" in result.output
    assert count(db, CareHome) == 0


def test_a_groups_file_given_as_a_directory_is_refused(runner, db):
    result = import_homes(runner, "groups.csv", "ciw")
    assert result.exit_code == 1
    assert "Service Name" in result.output


def test_bad_postcodes_are_rejected_with_their_reason(runner, db, tmp_path):
    path = tmp_path / "homes.csv"
    path.write_text(
        "name,postcode\n"
        "Good Home,SW1A 1AA\n"
        "Nonsense Home,NOT A POSTCODE\n"
        "Jersey Home,JE2 3QA\n"
        "Unknown District Home,ZZ9 9ZZ\n", encoding="utf-8")
    result = run(runner, "import", "care-homes", path, "--format", "csv")
    assert result.exit_code == 1
    for row in (3, 4, 5):
        assert f"row {row}: postcode" in result.output
    assert "Jersey" in result.output or "coordinates" in result.output
    assert count(db, CareHome) == 0
    result = run(runner, "import", "care-homes", path, "--format", "csv", "--skip-invalid")
    assert result.exit_code == 0
    assert count(db, CareHome) == 1


def test_a_50_mb_file_is_refused_or_read_quickly(runner, db, tmp_path):
    path = tmp_path / "huge.csv"
    line = "x" * 1023 + "\n"
    with path.open("w", encoding="ascii") as out:
        for _ in range(50 * 1024):
            out.write(line)
    assert path.stat().st_size >= 50 * 1024 * 1024
    started = time.perf_counter()
    result = run(runner, "import", "care-homes", path, "--format", "cqc")
    assert time.perf_counter() - started < 20
    assert result.exit_code == 1 and "cannot be imported" in result.output
    started = time.perf_counter()
    result = run(runner, "import", "care-homes", path, "--format", "cqc", "--max-mb", "10")
    assert time.perf_counter() - started < 2
    assert result.exit_code == 1 and "limit" in result.output
    assert count(db, CareHome) == 0


def test_a_15000_row_cqc_directory_imports_every_row_once(runner, db, tmp_path):
    # Its speed is a benchmark's business (scripts/), not a timed test's: this checks the result.
    postcodes = ["SW1A 1AA", "M1 1AE", "LS1 1UR", "B1 1BB", "CF10 1EP", "EH1 1YZ", "G1 1XQ"]
    path = tmp_path / "cqc.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("CQC Locations data\n\nThis data was produced today\n\n")
        writer = csv.writer(handle)
        writer.writerow(["Name", "Also known as", "Address", "Postcode", "Phone number",
                         "Service's website (if available)", "Service types",
                         "Date of latest check", "Specialisms/services", "Provider name",
                         "Local authority", "Region", "Location URL",
                         "CQC Location ID (for office use only)",
                         "CQC Provider ID (for office use only)"])
        for i in range(15_000):
            writer.writerow([f"Home {i}", "", f"{i} Example Road,Town", postcodes[i % 7], "",
                             "", "Residential homes", "", "Dementia", "Provider", "", "", "",
                             f"1-9{i:09d}", "1-1"])
    result = run(runner, "import", "care-homes", path, "--format", "cqc")
    assert result.exit_code == 0, result.output
    assert "15000 created" in result.output
    assert count(db, CareHome) == 15_000
    result = run(runner, "import", "care-homes", path, "--format", "cqc")
    assert "0 created, 0 updated, 15000 unchanged" in result.output


# --- groups -----------------------------------------------------------------------------------

def test_groups_csv_is_all_or_nothing(runner, db):
    result = run(runner, "import", "groups", DIRECTORIES / "groups.csv")
    assert result.exit_code == 1
    assert count(db, CommunityGroup) == 0
    for row, reason in ((5, "'lots' is not a whole number"), (6, "duplicate of row 2"),
                        (7, "'maybe' is not yes or no"), (8, "missing postcode")):
        assert f"row {row}: " in result.output and reason in result.output


def test_groups_import_normalises_like_the_api_and_is_idempotent(runner, db):
    result = run(runner, "import", "groups", DIRECTORIES / "groups.csv", "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    groups = {g.external_key: g for g in db.session.scalars(select(CommunityGroup))}
    assert set(groups) == {"import:G-001", "import:G-002", "import:G-003"}
    school, choir = groups["import:G-001"], groups["import:G-002"]
    assert school.status == "approved" and school.source == "import" and school.approved_at
    assert school.consent_at is None  # the import cannot vouch for consent
    assert [lang["tag"] for lang in school.languages] == ["en", "pl"]
    assert [lang["tag"] for lang in choir.languages] == ["cy", "en"]
    assert school.availability == ["mon_pm", "wed_am"]
    assert school.contact_email == "anna@example.org"
    assert school.nation == "england" and choir.nation == "wales"
    assert choir.offers_remote is True and choir.travel_radius_km == 12.5
    result = run(runner, "import", "groups", DIRECTORIES / "groups.csv", "--skip-invalid")
    assert "0 created, 0 updated, 3 unchanged" in result.output
    assert count(db, CommunityGroup) == 3


def test_group_rows_failing_the_api_rules_are_rejected(runner, db, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(
        "external_id,name,kind,languages,postcode,availability\n"
        "A,Good Choir,choir,Welsh,CF10 1EP,sat_pm\n"
        "B,Odd Kind,circus,,CF10 1EP,\n"
        "C,Klingon Club,other,Klingonese,CF10 1EP,\n"
        "D,Night Owls,other,,CF10 1EP,someday\n"
        "E,Blank Kind,,,CF10 1EP,\n", encoding="utf-8")
    result = run(runner, "import", "groups", path)
    assert result.exit_code == 1
    assert "row 3: kind" in result.output
    assert "row 4: languages" in result.output
    assert "row 5: availability" in result.output
    result = run(runner, "import", "groups", path, "--skip-invalid")
    assert result.exit_code == 0
    kinds = {g.name: g.kind for g in db.session.scalars(select(CommunityGroup))}
    assert kinds == {"Good Choir": "choir", "Blank Kind": "other"}


def test_groups_csv_sets_the_language_kith_writes_in(runner, db, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(
        "external_id,name,postcode,preferred_language\n"
        "A,Côr Meibion,LL55 1AA,Cymraeg\n"
        "B,Knit and Natter,CF10 1EP,en\n"
        "C,Ysgol Gynradd,LL55 1AA,cy\n"
        "D,Chess Club,CF10 1EP,\n", encoding="utf-8")
    result = run(runner, "import", "groups", path)
    assert result.exit_code == 0, result.output
    chosen = {g.external_key: g.preferred_language
              for g in db.session.scalars(select(CommunityGroup))}
    assert chosen == {"import:A": "cy", "import:B": "en", "import:C": "cy", "import:D": "en"}
    # A blank cell on a second import keeps the choice; a wrong one names the column.
    path.write_text("external_id,name,postcode,preferred_language\n"
                    "A,Côr Meibion,LL55 1AA,\n"
                    "B,Knit and Natter,CF10 1EP,French\n", encoding="utf-8")
    result = run(runner, "import", "groups", path)
    assert result.exit_code == 1
    assert "row 3: column 'preferred_language': 'French' is not cy (Welsh) or en" in result.output
    result = run(runner, "import", "groups", path, "--skip-invalid")
    db.session.expire_all()
    assert db.session.scalar(select(CommunityGroup.preferred_language)
                             .filter_by(external_key="import:A")) == "cy"


def test_a_withdrawn_group_is_not_brought_back(runner, db):
    assert run(runner, "import", "groups", DIRECTORIES / "groups.csv",
               "--skip-invalid").exit_code == 0
    school = db.session.scalar(select(CommunityGroup).filter_by(external_key="import:G-001"))
    school.status = "withdrawn"
    school.contact_email = None
    db.session.commit()
    result = run(runner, "import", "groups", DIRECTORIES / "groups.csv", "--skip-invalid")
    assert "withdrew" in result.output
    db.session.refresh(school)
    assert school.status == "withdrawn" and school.contact_email is None


# --- Open Referral UK -------------------------------------------------------------------------

def test_oruk_export_loads_as_pending_groups(runner, db):
    result = run(runner, "import", "oruk", ORUK)
    assert result.exit_code == 1  # one service cannot be placed
    # a service without a location is reported, not a reason to refuse the file
    assert "row 3: service 'no-location'" in result.output
    assert "has no location with a postcode" in result.output
    assert "row 5: postcode 'not a postcode'" in result.output
    result = run(runner, "import", "oruk", ORUK, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output and "2 skipped" in result.output
    groups = {g.external_key: g for g in db.session.scalars(select(CommunityGroup))}
    choir = groups["oruk:0b7f3c38-6c1e-4c55-9d1a-2c5a4b3e1a01"]
    assert choir.status == "pending" and choir.source == "oruk"
    assert choir.kind == "choir" and choir.nation == "wales" and choir.postcode == "CF10 1EP"
    assert [lang["tag"] for lang in choir.languages] == ["cy", "en"]
    assert choir.interests == ["Singing", "Hymns"]
    assert choir.availability == ["sat_pm"]
    assert choir.contact_email == "cor@example.org" and choir.contact_phone == "029 2000 0001"
    dogs = groups["oruk:leeds-dogs-1"]
    assert dogs.kind == "pet_walkers"
    assert dogs.availability == ["tue_am", "tue_pm", "fri_eve"]
    assert groups["oruk:st-marys-school"].kind == "school"
    result = run(runner, "import", "oruk", ORUK, "--skip-invalid")
    assert "0 created, 0 updated, 3 unchanged" in result.output


def test_oruk_plain_list_and_broken_json(runner, db, tmp_path):
    services = json.loads(ORUK.read_text(encoding="utf-8"))["contents"]
    path = tmp_path / "list.json"
    path.write_text(json.dumps([services[1]]), encoding="utf-8")
    result = run(runner, "import", "oruk", path)
    assert result.exit_code == 0, result.output
    assert count(db, CommunityGroup) == 1
    broken = tmp_path / "broken.json"
    broken.write_text('{"contents": [', encoding="utf-8")
    result = run(runner, "import", "oruk", broken)
    assert result.exit_code == 1 and "not valid JSON" in result.output
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = run(runner, "import", "oruk", deep)
    assert result.exit_code == 1
    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}', encoding="utf-8")
    result = run(runner, "import", "oruk", other)
    assert result.exit_code == 1 and "not an ORUK export" in result.output
