"""Successive releases of the regulators' registers: continuation of renamed homes, review of
uncertain pairs, deregistration of departed homes, dry runs (issue #18)."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import func, select

from matcher.models import AuditLog, CareHome, ImportReview

RQIA_HEADER = ["ServiceName", "AddressLine1", "AddressLine2", "Town", "Postcode", "Tel",
               "Category", "Max Approved Places", "Categories of Care",
               "Conditions(AsOnCertificate)", "Manager", "ProviderName"]


def rqia_row(name, line1, postcode, category="Residential (RC)", places=20, codes="RC-I"):
    return [name, line1, None, "Belfast", postcode, None, category, places, codes, None,
            "A Manager", "Example Care Ltd"]


def write_xlsx(path, sheet, rows):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def rqia_file(path, rows):
    return write_xlsx(path, "Automated_REP019_WebRegister", [RQIA_HEADER, *rows])


OLD_RQIA = [
    rqia_row("abbey view", "12 Main Street", "BT7 1NN"),
    rqia_row("Ardlough House", "2 ardlough road", "BT9 7AB", "Nursing (NH)", 40, "NH-I, NH-DE"),
    rqia_row("Beech Court", "1 Low Road", "BT12 6BA"),
    rqia_row("Ashgrove House", "7 Hill St", "BT2 8BG"),
    rqia_row("Closed Lodge", "9 Shore Road", "BT1 1AA"),
]
NEW_RQIA = [
    rqia_row("abbey view care home", "12 Main Street", "BT7 1NN", places=24),
    rqia_row("Ardlough House", "2a ardlough road", "BT9 7AB", "Nursing (NH)", 40, "NH-I, NH-DE"),
    rqia_row("Beech Court", "1 Low Road", "BT12 6BA"),
    rqia_row("Ashbrook House", "9 Hill Street", "BT2 8BG"),
    rqia_row("Harbour View", "3 Quay Street", "BT1 4NX"),
    rqia_row("Belfast Home Support", "3 Example Street", "BT1 5GS", "Domiciliary Care Agency",
             None, None),
]


def run(runner, *args):
    return runner.invoke(args=list(map(str, args)))


def homes(db, **by):
    return db.session.scalars(select(CareHome).filter_by(**by).order_by(CareHome.id)).all()


def one(db, **by):
    return db.session.scalar(select(CareHome).filter_by(**by))


@pytest.fixture
def releases(tmp_path):
    return rqia_file(tmp_path / "rqia_2020.xlsx", OLD_RQIA), \
        rqia_file(tmp_path / "rqia_2025.xlsx", NEW_RQIA)


def test_a_newer_release_updates_continues_and_deregisters(runner, db, releases):
    old, new = releases
    first = run(runner, "import", "care-homes", old)
    assert first.exit_code == 0, first.output
    assert "5 created" in first.output
    ids = {h.name: h.id for h in homes(db)}

    result = run(runner, "import", "care-homes", new)
    assert result.exit_code == 0, result.output
    assert ("1 created, 0 updated, 1 unchanged, 0 rejected, 1 skipped, 2 continued under a new "
            "name, 1 deregistered, 1 to confirm") in result.output
    db.session.expire_all()
    # renamed and re-addressed homes keep their record and id
    abbey = db.session.get(CareHome, ids["abbey view"])
    assert abbey.name == "abbey view care home" and abbey.residents == 24
    ardlough = db.session.get(CareHome, ids["Ardlough House"])
    assert ardlough.address_line1 == "2a ardlough road" and ardlough.status == "active"
    assert "'abbey view', 12 Main Street (home" in result.output
    # the old name is on record
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "care_homes", AuditLog.entity_id == abbey.id,
        AuditLog.action == "update")) == 1
    # the departed home is kept, deregistered; the new one is created
    closed = db.session.get(CareHome, ids["Closed Lodge"])
    assert closed.status == "deregistered"
    assert one(db, name="Harbour View").status == "active"
    # the uncertain pair is held for a coordinator: neither changed nor duplicated
    assert one(db, name="Ashbrook House") is None
    assert db.session.get(CareHome, ids["Ashgrove House"]).status == "active"
    review = db.session.scalar(select(ImportReview))
    assert review.care_home_id == ids["Ashgrove House"] and review.status == "pending"
    assert f"review {review.id}" in result.output
    assert len(homes(db)) == 6 and len(homes(db, status="active")) == 5

    # importing the same release again changes nothing and keeps the one review
    again = run(runner, "import", "care-homes", new)
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 4 unchanged" in again.output and "1 to confirm" in again.output
    assert db.session.scalar(select(func.count()).select_from(ImportReview)) == 1


def test_a_coordinator_settles_an_uncertain_pair(runner, db, releases):
    old, new = releases
    run(runner, "import", "care-homes", old)
    run(runner, "import", "care-homes", new)
    listed = run(runner, "import", "reviews")
    review = db.session.scalar(select(ImportReview))
    assert f"Review {review.id}: 'Ashbrook House'" in listed.output
    assert "'Ashgrove House'" in listed.output

    ashgrove_id = review.care_home_id
    answer = run(runner, "import", "confirm", review.id, "same")
    assert answer.exit_code == 0, answer.output
    db.session.expire_all()
    home = db.session.get(CareHome, ashgrove_id)
    assert home.name == "Ashbrook House" and home.address_line1 == "9 Hill Street"
    assert home.external_key == "rqia:ashbrook house|9 hill street|bt28bg|rc"
    assert run(runner, "import", "confirm", review.id, "same").exit_code == 1  # answered
    # the next release finds it directly
    result = run(runner, "import", "care-homes", new)
    assert "0 created, 0 updated, 5 unchanged" in result.output, result.output
    assert "to confirm" not in result.output


def test_a_different_home_is_added_and_the_old_one_deregistered(runner, db, releases):
    old, new = releases
    run(runner, "import", "care-homes", old)
    run(runner, "import", "care-homes", new)
    review = db.session.scalar(select(ImportReview))
    answer = run(runner, "import", "confirm", review.id, "different")
    assert answer.exit_code == 0, answer.output
    db.session.expire_all()
    assert one(db, name="Ashbrook House").status == "active"
    assert db.session.get(CareHome, review.care_home_id).status == "deregistered"


def test_a_dry_run_reports_and_writes_nothing(runner, db, releases):
    old, new = releases
    run(runner, "import", "care-homes", old)
    before = [(h.id, h.name, h.status, h.address_line1) for h in homes(db)]
    result = run(runner, "import", "care-homes", new, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was written" in result.output
    assert "1 created" in result.output and "2 continued under a new name" in result.output
    assert "'Closed Lodge' (home" in result.output  # would be deregistered
    assert "'Ashbrook House', 9 Hill Street may continue 'Ashgrove House'" in result.output
    db.session.expire_all()
    assert [(h.id, h.name, h.status, h.address_line1) for h in homes(db)] == before
    assert db.session.scalar(select(func.count()).select_from(ImportReview)) == 0


def test_a_partial_file_deregisters_nobody(runner, db, releases, tmp_path):
    old, _ = releases
    run(runner, "import", "care-homes", old)
    part = rqia_file(tmp_path / "part.xlsx", OLD_RQIA[:2])
    result = run(runner, "import", "care-homes", part, "--partial")
    assert result.exit_code == 0, result.output
    assert "deregistered" not in result.output.split("\n")[1]
    assert len(homes(db, status="active")) == 5


def test_a_deregistered_home_that_returns_is_active_again(runner, db, releases, tmp_path):
    old, new = releases
    run(runner, "import", "care-homes", old)
    run(runner, "import", "care-homes", new)
    closed = one(db, name="Closed Lodge")
    assert closed.status == "deregistered"
    back = rqia_file(tmp_path / "back.xlsx", [*NEW_RQIA, OLD_RQIA[4]])
    result = run(runner, "import", "care-homes", back)
    assert result.exit_code == 0, result.output
    assert "1 deregistered homes are on the register again" in result.output
    db.session.refresh(closed)
    assert closed.status == "active"


def test_rejected_rows_keep_everyone_registered(runner, db, releases, tmp_path):
    old, _ = releases
    run(runner, "import", "care-homes", old)
    broken = rqia_file(tmp_path / "broken.xlsx", [OLD_RQIA[0], rqia_row("No Postcode", "1 A St",
                                                                        None)])
    result = run(runner, "import", "care-homes", broken, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "No home was deregistered: 1 rows were rejected" in result.output
    assert len(homes(db, status="active")) == 5


def test_progress_shows_rows_per_second_and_a_bar_when_asked(runner, db, tmp_path):
    lines = ["name,postcode"] + [f"Home {i},BT1 5GS" for i in range(250)]
    path = tmp_path / "homes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    quiet = run(runner, "import", "care-homes", path)
    assert quiet.exit_code == 0, quiet.output
    assert "rows/s" not in quiet.stderr  # not a terminal, not asked
    shown = run(runner, "import", "care-homes", path, "--progress")
    assert shown.exit_code == 0, shown.output
    assert "250 rows" in shown.stderr and "rows/s" in shown.stderr
    assert "[" + "#" * 30 + "] 100%" in shown.stderr


# --- the real layouts: adult care homes only, each register's next release -------------------

DIRECTORIES = __import__("pathlib").Path(__file__).resolve().parent.parent / "fixtures" / \
    "directories"
CQC_HEADER = (DIRECTORIES / "cqc_hsca_headers.txt").read_text(encoding="utf-8").splitlines()


def cqc_row(location_id, name, postcode, *, care_home="Y", dormant="N", nursing=True,
            bands=("Older People",), beds=30):
    cells = dict.fromkeys(CQC_HEADER, "")
    cells.update({
        "Location ID": location_id, "Location Name": name, "Care home?": care_home,
        "Dormant (Y/N)": dormant, "Care homes beds": str(beds) if beds else "",
        "Location Street Address": "1 Example Street", "Location City": "London",
        "Location Postal Code": postcode, "Location Local Authority": "Westminster",
    })
    cells["Service type - Care home service with nursing" if nursing
          else "Service type - Care home service without nursing"] = "Y"
    for band in bands:
        cells[f"Service user band - {band}"] = "Y"
    return [cells[column] for column in CQC_HEADER]


def write_csv(path, rows, encoding="utf-8"):
    import csv

    with open(path, "w", encoding=encoding, newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def write_ods(path, sheet, rows):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name=sheet)
    for row in rows:
        line = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            if value not in (None, ""):
                cell.addElement(P(text=str(value)))
            line.addElement(cell)
        table.addElement(line)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


CQC_ROWS = [
    cqc_row("1-101", "Rose Court Care Home", "SW1A 1AA", bands=("Older People", "Dementia")),
    cqc_row("1-102", "Little Oaks", "SW1A 1AA", bands=("Children 0-18 years",)),
    cqc_row("1-103", "Sleepy Lodge", "M4 5JD", dormant="Y"),
    cqc_row("1-104", "Home Help Westminster", "SW1A 1AA", care_home="N", beds=None),
    cqc_row("1-105", "Bridge House", "M4 5JD", nursing=False,
            bands=("Children 0-18 years", "Younger Adults")),
]


@pytest.mark.parametrize("container", ["ods", "xlsx", "csv"])
def test_cqc_hsca_real_columns_adult_homes_only(runner, db, tmp_path, container):
    rows = [CQC_HEADER, *CQC_ROWS]
    path = tmp_path / f"01_October_2025_HSCA_Active_Locations.{container}"
    if container == "ods":
        write_ods(path, "HSCA_Active_Locations", rows)
    elif container == "xlsx":
        write_xlsx(path, "HSCA Active Locations", rows)
    else:
        write_csv(path, rows)
    result = run(runner, "import", "care-homes", path)
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 0 rejected, 3 skipped" in result.output
    assert "1 not care homes" in result.output
    assert "1 children's and young people's services" in result.output
    assert "1 dormant services" in result.output
    assert {h.name for h in homes(db)} == {"Rose Court Care Home", "Bridge House"}
    rose = one(db, regulator_id="1-101")
    assert rose.residents == 30 and rose.postcode == "SW1A 1AA"
    assert set(rose.care_types) == {"nursing", "dementia", "older_people"}
    assert "residential" in one(db, regulator_id="1-105").care_types


CI_HEADER = ["CSNumber", "CareService", "Subtype", "ServiceType", "ServiceName",
             "Address_line_1", "Service_town", "Service_Postcode", "ServiceStatus",
             "Registered_Places", "Client_group"]


def ci_row(cs, name, postcode, *, service="Care Home Service", subtype="Older People",
           status="Active", places=20):
    return [cs, service, subtype, "Private", name, "1 Example Road", "Glasgow", postcode,
            status, places, subtype]


CIW_PREAMBLE = [["List of adult care homes – Wales"], ["Produced on 1 October 2025"], []]
CIW_HEADER = ["Service Name", "Service Type", "Service Sub Type", "Service Status",
              "Service Address Line 1", "Service Address Line 2", "Service Address Line 3",
              "Service Address Town City", "Local Authority", "Service Address Postcode",
              "Maximum Capacity"]


def ciw_row(name, line1, postcode, *, subtype="Adults Without Nursing",
            service="Care Home Service", status="Active"):
    return [name, service, subtype, status, line1, None, None, "Cardiff", "Cardiff", postcode,
            12]


RELEASES = {
    "care-inspectorate": (
        [ci_row("CS2010000001", "Hebridean Rest", "HS1 2BW"),
         ci_row("CS2010000002", "Merchant City Home", "G1 1XQ"),
         ci_row("CS2010000003", "Closing House", "EH1 1YZ")],
        [ci_row("CS2010000001", "Hebridean Rest Care Home", "HS1 2BW"),
         ci_row("CS2010000002", "Merchant City Home", "G1 1XQ"),
         ci_row("CS2010000004", "Wee Ones House", "AB10 1AQ",
                subtype="Children & Young People"),
         ci_row("CS2010000005", "Firth View", "DD1 4HN", status="Cancelled"),
         ci_row("CS2010000006", "Little Steps", "EH1 1YZ", service="Child Minding",
                subtype="Child Minding")],
        {"Hebridean Rest Care Home", "Merchant City Home"}),
    "ciw": (
        [ciw_row("Cartref Bae", "1 Example Street", "CF10 1EP"),
         ciw_row("Tŷ Gwyn", "3 Example Lane", "CF10 1EP"),
         ciw_row("Plas Eryri", "2 Stryd Fawr", "LL55 4UR"),
         ciw_row("Hen Dŷ", "5 Heol Fach", "LL55 4UR")],
        [ciw_row("Cartref Bae Care Home", "1 Example Street", "CF10 1EP"),
         ciw_row("Ty Gwyn", "3 Example Lane", "CF10 1EP"),
         ciw_row("Plas Eryri", "2 Stryd Fawr", "LL55 4UR"),
         ciw_row("Nyth Bach", "7 Heol Fach", "LL55 4UR", subtype="Children's Home")],
        {"Cartref Bae Care Home", "Ty Gwyn", "Plas Eryri"}),
    "cqc": (
        [cqc_row("1-101", "Rose Court Care Home", "SW1A 1AA"),
         cqc_row("1-102", "Piccadilly House", "SW1A 1AA"),
         cqc_row("1-103", "Ancoats Lodge", "M4 5JD")],
        [cqc_row("1-101", "Rose Court Care Home", "SW1A 1AA"),
         cqc_row("1-103", "Ancoats Lodge Nursing Home", "M4 5JD"),
         cqc_row("1-104", "Little Oaks", "SW1A 1AA", bands=("Children 0-18 years",))],
        {"Rose Court Care Home", "Ancoats Lodge Nursing Home"}),
    "rqia": (
        [row for row in OLD_RQIA if row[0] != "Ashgrove House"],
        [row for row in NEW_RQIA if row[0] != "Ashbrook House"]
        + [rqia_row("Glen Children's Home", "4 Glen Road", "BT1 5GS", "Children's Home",
                    8, None)],
        {"abbey view care home", "Ardlough House", "Beech Court", "Harbour View"}),
}


def release_file(tmp_path, fmt, rows, name):
    if fmt == "care-inspectorate":
        return write_csv(tmp_path / f"{name}_DatastoreExternal.csv", [CI_HEADER, *rows],
                         encoding="cp1252")
    if fmt == "ciw":
        return write_csv(tmp_path / f"{name}_ciw.csv", [*CIW_PREAMBLE, CIW_HEADER, *rows])
    if fmt == "cqc":
        return write_csv(tmp_path / f"{name}_HSCA_Active_Locations.csv", [CQC_HEADER, *rows])
    return rqia_file(tmp_path / f"{name}_rqia.xlsx", rows)


def test_older_then_newer_release_of_every_register(runner, db, tmp_path):
    regulators = {"care-inspectorate": "care_inspectorate", "ciw": "ciw", "cqc": "cqc",
                  "rqia": "rqia"}
    for fmt, (old, _, _) in RELEASES.items():
        result = run(runner, "import", "care-homes", release_file(tmp_path, fmt, old, "old"))
        assert result.exit_code == 0, result.output
    originals = {h.name: h.id for h in homes(db)}
    for fmt, (_, new, _) in RELEASES.items():
        result = run(runner, "import", "care-homes", release_file(tmp_path, fmt, new, "new"))
        assert result.exit_code == 0, result.output
        assert "children's and young people's services" in result.output
        assert "to confirm" not in result.output
    db.session.expire_all()
    for fmt, (old, _, wanted) in RELEASES.items():
        active = homes(db, regulator=regulators[fmt], status="active")
        # one active record per home of the newer register, and nothing else
        assert sorted(h.name for h in active) == sorted(wanted), fmt
        gone = homes(db, regulator=regulators[fmt], status="deregistered")
        assert len(active) + len(gone) == len(old) + (fmt == "rqia"), fmt  # + Harbour View
    # renamed homes kept their records
    assert one(db, name="Ty Gwyn").id == originals["Tŷ Gwyn"]
    assert one(db, name="Cartref Bae Care Home").id == originals["Cartref Bae"]
    assert one(db, name="Ancoats Lodge Nursing Home").id == originals["Ancoats Lodge"]
    assert one(db, name="Hen Dŷ").status == "deregistered"
    assert one(db, name="Closing House").status == "deregistered"
    assert one(db, name="Piccadilly House").status == "deregistered"
    # no children's service came in
    names = {h.name for h in homes(db)}
    assert not names & {"Wee Ones House", "Little Steps", "Nyth Bach", "Little Oaks",
                        "Glen Children's Home"}


def test_a_wrong_format_names_the_layout_the_file_has(runner, db, tmp_path):
    path = release_file(tmp_path, "ciw", RELEASES["ciw"][0], "old")
    result = run(runner, "import", "care-homes", path, "--format", "rqia")
    assert result.exit_code == 1
    assert "looks like the CIW list of adult care homes (format 'ciw')" in result.output
    assert "--format ciw" in result.output
    assert homes(db) == []
    path = release_file(tmp_path, "cqc", RELEASES["cqc"][0], "old")
    result = run(runner, "import", "care-homes", path, "--format", "care-inspectorate")
    assert "(format 'cqc')" in result.output, result.output


def test_a_groups_file_is_not_taken_for_care_homes(runner, db):
    result = run(runner, "import", "care-homes", DIRECTORIES / "groups.csv")
    assert result.exit_code == 1
    assert "looks like the groups CSV" in result.output and "import groups" in result.output
    assert homes(db) == []


def test_progress_has_a_bar_for_a_spreadsheet_too(runner, db, releases):
    _, new = releases
    shown = run(runner, "import", "care-homes", new, "--progress")
    assert shown.exit_code == 0, shown.output
    assert "] 100% 6 rows" in shown.stderr and "rows/s" in shown.stderr
