"""Parsing the regulators' care-home directories and the groups CSV.

Fixtures come from scripts/make_directory_fixtures.py.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from matcher.directories import (
    DirectoryFormatError,
    parse_care_homes,
    parse_groups_csv,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "directories"
ROOT = Path(__file__).resolve().parents[2]


def by_key(result):
    return {record.natural_key: record for record in result.records}


def reasons(result):
    return {rejection.row_number: rejection.reason for rejection in result.rejected}


# --- England: CQC ----------------------------------------------------------------------------


def test_cqc_ods_keeps_care_homes_and_explains_bad_rows():
    started = time.perf_counter()
    result = parse_care_homes(FIXTURES / "cqc_HSCA_Active_Locations.ods", "cqc")
    # The header is padded to 16,384 cells and the sheet ends in a million repeated rows:
    # expanding either would take minutes, not a fraction of a second.
    assert time.perf_counter() - started < 5

    assert (result.container, result.sheet, result.header_row) == (
        "ods", "HSCA_Active_Locations", 1)
    homes = by_key(result)
    assert sorted(homes) == ["1-1000000001", "1-1000000002", "1-1000000006"]
    rose = homes["1-1000000001"]
    assert rose.regulator == "cqc" and rose.external_id == "1-1000000001"
    assert rose.name == "Rose Court Care Home"  # the cell's comment is not part of it
    assert (rose.address_line1, rose.town, rose.postcode) == (
        "1 Example Street", "London", "SW1A 1AA")
    assert rose.local_authority == "Westminster"
    assert rose.places == 40
    assert (rose.nursing, rose.dementia, rose.older_people) == (True, True, True)
    assert rose.phone == "02071234567"  # stored as a number, leading zero restored
    assert rose.row_number == 2
    piccadilly = homes["1-1000000002"]
    assert piccadilly.places == 30  # value only in office:value
    assert (piccadilly.nursing, piccadilly.dementia) == (False, False)

    assert result.skipped == 1  # Northern Homecare: Care home? = N
    assert reasons(result) == {
        6: "missing postcode (column 'Location Postal Code')",
        7: "duplicate of row 2 (same Location ID '1-1000000001')",
        8: "column 'Care homes beds': 'forty' is not a whole number",
    }


def test_ods_repeated_rows_and_cells_keep_their_row_numbers(tmp_path):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    def row(*values, repeat_rows=1):
        element = TableRow(numberrowsrepeated=repeat_rows) if repeat_rows > 1 else TableRow()
        for value, repeat in values:
            cell = TableCell(numbercolumnsrepeated=repeat) if repeat > 1 else TableCell()
            if value:
                cell.addElement(P(text=value))
            element.addElement(cell)
        return element

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Notes")
    table.addElement(row(("Read me first", 1)))
    doc.spreadsheet.addElement(table)
    table = Table(name="HSCA_Active_Locations")
    table.addElement(row(("Location ID", 1), ("Care home?", 1), ("Location Name", 1),
                         ("", 3), ("Location Postal Code", 1), ("", 16000)))
    table.addElement(row(("", 16384), repeat_rows=2))
    # LibreOffice stores identical neighbouring rows once, with a repeat count.
    table.addElement(row(("1-1", 1), ("Y", 1), ("Twin Home", 1), ("", 3), ("M1 1AE", 1),
                         repeat_rows=3))
    table.addElement(row(("1-2", 1), ("Y", 1), ("", 4), ("B1 1BB", 1), ("", 16000)))
    table.addElement(row(("", 16384), repeat_rows=1_000_000))
    doc.spreadsheet.addElement(table)
    path = tmp_path / "repeats.ods"
    doc.save(str(path))

    result = parse_care_homes(path, "cqc")
    assert result.sheet == "HSCA_Active_Locations"
    assert [(r.external_id, r.name, r.row_number) for r in result.records] == [
        ("1-1", "Twin Home", 4)]
    assert reasons(result) == {
        5: "duplicate of row 4 (same Location ID '1-1')",
        6: "duplicate of row 4 (same Location ID '1-1')",
        7: "missing name (column 'Location Name')",
    }


def test_cqc_old_xlsx_sheet_is_found_by_name_and_formulas_are_not_evaluated():
    result = parse_care_homes(FIXTURES / "cqc_HSCA_Active_Locations_old.xlsx", "cqc")
    assert (result.container, result.sheet) == ("xlsx", "HSCA Active Locations")
    homes = by_key(result)
    assert sorted(homes) == ["1-1100000001", "1-1100000002"]
    assert homes["1-1100000001"].phone == "01132000000"
    # Beds hold the formula =2*10 with no cached value: it is never computed into 20.
    assert homes["1-1100000002"].places is None
    assert result.skipped == 1
    assert reasons(result) == {
        5: "duplicate of row 2 (same Location ID '1-1100000001')",
        6: "missing postcode (column 'Location Postal Code')",
    }


def test_cqc_directory_csv_skips_the_preamble_and_non_care_homes():
    result = parse_care_homes(FIXTURES / "cqc_01_October_2025_CQC_directory.csv", "cqc")
    assert (result.layout, result.header_row) == ("cqc-directory", 5)
    homes = by_key(result)
    assert sorted(homes) == ["1-2000000001", "1-2000000002"]
    mayfair = homes["1-2000000001"]
    assert (mayfair.address_line1, mayfair.address_line2, mayfair.town) == (
        "10 Example Road", "Westminster", "London")
    assert (mayfair.nursing, mayfair.dementia, mayfair.older_people) == (False, True, True)
    assert mayfair.places is None and mayfair.row_number == 6
    assert homes["1-2000000002"].nursing is True
    assert result.skipped == 2  # a home-care agency and a dentist
    assert reasons(result) == {
        10: "missing postcode (column 'Postcode')",
        11: "duplicate of row 6 (same CQC Location ID '1-2000000001')",
    }


def test_cqc_header_without_care_home_column_names_what_is_missing(tmp_path):
    path = tmp_path / "hsca.csv"
    path.write_text("Location ID,Location Name,Location Postal Code\n1-1,A Home,SW1A 1AA\n")
    with pytest.raises(DirectoryFormatError, match=r"missing columns 'Care home\?'"):
        parse_care_homes(path, "cqc")


# --- Scotland: Care Inspectorate -------------------------------------------------------------


def test_care_inspectorate_windows_1252_with_bom_older_columns():
    path = FIXTURES / "care_inspectorate_MDSF_data_old.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = parse_care_homes(path, "care-inspectorate")
    assert result.header_row == 1
    homes = by_key(result)
    assert sorted(homes) == ["CS2003000001", "CS2003000002"]
    cafe = homes["CS2003000001"]
    assert cafe.regulator == "care_inspectorate"
    assert cafe.name == "Café Court"
    assert cafe.address_line2 == "Pound (£) Lane"
    assert cafe.places == 38  # Registered_Places wins over TotalBeds
    assert (cafe.dementia, cafe.older_people, cafe.nursing) == (True, True, None)
    assert cafe.local_authority == "Glasgow City"
    assert homes["CS2003000002"].places == 25  # no Registered_Places: TotalBeds
    assert result.skipped == 2  # housing support, and a cancelled care home
    assert reasons(result) == {
        6: "column 'Registered_Places': 'twelve' is not a whole number",
        7: "missing postcode (column 'Service_Postcode')",
        8: "duplicate of row 2 (same CSNumber 'CS2003000001')",
    }


def test_care_inspectorate_newer_columns_and_case_insensitive_duplicate_ids():
    result = parse_care_homes(FIXTURES / "care_inspectorate_251001_DatastoreExternal.csv",
                              "care-inspectorate")
    homes = by_key(result)
    assert sorted(homes) == ["CS2010000001", "CS2010000002"]
    assert homes["CS2010000001"].name == "Hébridean Rest"
    assert homes["CS2010000001"].places == 16
    assert homes["CS2010000002"].older_people is False
    assert result.skipped == 1  # child minding
    assert reasons(result) == {5: "duplicate of row 2 (same CSNumber 'cs2010000001')"}


def test_care_inspectorate_without_bom_and_in_utf8_read_the_same():
    original = (FIXTURES / "care_inspectorate_MDSF_data_old.csv").read_bytes()[3:]
    as_utf8 = original.decode("cp1252").encode("utf-8")
    for data in (original, as_utf8, b"\xef\xbb\xbf" + as_utf8):
        result = parse_care_homes(io.BytesIO(data), "care-inspectorate")
        assert by_key(result)["CS2003000001"].name == "Café Court"
        assert by_key(result)["CS2003000001"].address_line2 == "Pound (£) Lane"


# --- Wales: CIW ------------------------------------------------------------------------------


def test_ciw_csv_and_xlsx_give_the_same_homes_keyed_by_name_and_postcode():
    from_csv = parse_care_homes(FIXTURES / "ciw_adult_care_homes.csv", "ciw")
    from_xlsx = parse_care_homes(FIXTURES / "ciw_adult_care_homes.xlsx", "ciw")
    assert from_csv.records == from_xlsx.records
    assert from_csv.rejected == from_xlsx.rejected
    assert from_csv.header_row == from_xlsx.header_row == 4
    homes = by_key(from_csv)
    assert sorted(homes) == ["cartref bae|cf101ep", "plas eryri|ll554ur", "tŷ gwyn|cf101ep"]
    cartref = homes["cartref bae|cf101ep"]
    assert cartref.external_id is None and cartref.regulator == "ciw"
    assert (cartref.nursing, cartref.places, cartref.local_authority) == (True, 45, "Cardiff")
    assert cartref.postcode == "CF10 1EP"
    assert homes["plas eryri|ll554ur"].nursing is False
    assert reasons(from_csv) == {
        8: "duplicate of row 5 (same name and postcode 'cartref bae|cf101ep')",
        9: "missing postcode (column 'Service Address Postcode')",
    }


# --- Northern Ireland: RQIA ------------------------------------------------------------------


def test_rqia_register_keeps_nursing_and_residential_registrations_of_one_site():
    result = parse_care_homes(FIXTURES / "rqia_REP019_web_register.xlsx", "rqia")
    assert result.sheet == "Automated_REP019_WebRegister"
    homes = by_key(result)
    nursing = homes["lagan view|1 example street|bt15gs|nh"]
    residential = homes["lagan view|1 example street|bt15gs|rc"]
    assert (nursing.nursing, nursing.dementia, nursing.older_people) == (True, True, True)
    assert (residential.nursing, residential.dementia, residential.places) == (False, False, 10)
    assert nursing.external_id is None and nursing.phone == "02890000001"
    foyle = homes["foyle house|2 example quay|bt486dq|rc"]
    assert foyle.older_people is True  # RC-LD(E): learning disability, over 65
    assert foyle.dementia is False
    assert len(homes) == 3
    assert result.skipped == 1  # a domiciliary care agency
    assert reasons(result) == {
        6: "duplicate of row 2 (same name, address, postcode and category "
           "'lagan view|1 example street|bt15gs|nh')",
        7: "missing postcode (column 'Postcode')",
    }


def test_rqia_opendatani_copy_yields_embedded_ids():
    result = parse_care_homes(FIXTURES / "rqia_opendatani_registered_services.xlsx", "rqia")
    homes = {record.external_id: record for record in result.records}
    assert sorted(homes) == ["020001", "020002"]
    assert homes["020001"].name == "Lagan View"
    assert homes["020001"].natural_key == "lagan view|1 example street|bt15gs|nh"
    assert homes["020001"].dementia is True
    assert homes["020002"].address_line2 == "Waterside"
    assert result.skipped == 2  # shared lives, and a nursing agency that is no care home
    assert list(reasons(result)) == [5]


# --- Our own CSV, autodetection, groups ------------------------------------------------------


def test_generic_csv():
    result = parse_care_homes(FIXTURES / "care_homes.csv", "csv")
    homes = by_key(result)
    kith = homes["1-3000000001"]
    assert kith.regulator is None and kith.external_id == "1-3000000001"
    assert (kith.places, kith.nursing, kith.dementia, kith.older_people) == (30, True, True,
                                                                            False)
    castle = homes["castle rock home|eh11yz"]
    assert (castle.nursing, castle.older_people) == (False, True)
    # Text that looks like a formula is kept as plain text, never run.
    assert homes['=hyperlink("http://x","y")|ls11ur'].name == '=HYPERLINK("http://x","y")'
    assert reasons(result) == {
        5: "missing postcode (column 'postcode')",
        6: "duplicate of row 2 (same regulator_id '1-3000000001')",
        7: "column 'residents': '-5' is out of range",
    }


@pytest.mark.parametrize(("name", "layout"), [
    ("cqc_HSCA_Active_Locations.ods", "cqc-hsca"),
    ("cqc_HSCA_Active_Locations_old.xlsx", "cqc-hsca"),
    ("cqc_01_October_2025_CQC_directory.csv", "cqc-directory"),
    ("care_inspectorate_MDSF_data_old.csv", "care-inspectorate"),
    ("care_inspectorate_251001_DatastoreExternal.csv", "care-inspectorate"),
    ("ciw_adult_care_homes.csv", "ciw"),
    ("ciw_adult_care_homes.xlsx", "ciw"),
    ("rqia_REP019_web_register.xlsx", "rqia"),
    ("rqia_opendatani_registered_services.xlsx", "rqia"),
    ("care_homes.csv", "csv"),
])
def test_layout_is_recognised_without_a_format(name, layout):
    result = parse_care_homes(FIXTURES / name)
    assert result.layout == layout
    assert result.records


def test_groups_csv():
    result = parse_groups_csv(FIXTURES / "groups.csv")
    groups = {group.external_id: group for group in result.records}
    assert sorted(groups) == ["G-001", "G-002", "G-003"]
    school = groups["G-001"]
    assert school.kind == "school"
    assert school.interests == ("singing", "crafts")
    assert school.languages == ("English", "Polish")
    assert school.availability == ("mon_pm", "wed_am")
    assert (school.travel_radius_km, school.capacity_per_month) == (5.0, 2)
    assert (school.offers_remote, school.works_with_children) == (False, True)
    assert school.contact_email == "anna@example.org"
    choir = groups["G-002"]
    assert choir.description == '=HYPERLINK("http://x","y")'  # raw: neutralised on export
    assert (choir.travel_radius_km, choir.offers_remote, choir.works_with_children) == (
        12.5, True, False)
    pets = groups["G-003"]
    assert (pets.languages, pets.offers_remote, pets.capacity_per_month) == ((), None, None)
    assert reasons(result) == {
        5: "column 'capacity_per_month': 'lots' is not a whole number",
        6: "duplicate of row 2 (same external_id 'G-001')",
        7: "column 'offers_remote': 'maybe' is not yes or no",
        8: "missing postcode (column 'postcode')",
    }


def test_groups_csv_with_wrong_header_is_refused():
    data = b"group,where\nChoir,M1 1AE\n"
    with pytest.raises(DirectoryFormatError, match="'name', 'postcode'"):
        parse_groups_csv(io.BytesIO(data))


# --- Hostile and broken input ----------------------------------------------------------------


def test_wrong_layout_for_the_format_is_refused_with_the_expected_columns():
    with pytest.raises(DirectoryFormatError) as error:
        parse_care_homes(FIXTURES / "ciw_adult_care_homes.csv", "care-inspectorate")
    message = str(error.value)
    assert "'CSNumber'" in message and "'Service_Postcode'" in message


def test_partial_header_names_only_the_missing_columns():
    data = b"CSNumber,ServiceName,Service_Postcode\nCS1,Home,G1 1XQ\n"
    with pytest.raises(DirectoryFormatError) as error:
        parse_care_homes(io.BytesIO(data), "care-inspectorate")
    message = str(error.value)
    assert "missing columns 'CareService', 'ServiceStatus'" in message
    assert "'CSNumber'" not in message


def test_header_after_the_search_window_is_not_found():
    data = "\n".join(["preamble"] * 40 + ["name,postcode", "Home,M1 1AE"]).encode()
    with pytest.raises(DirectoryFormatError, match="first 30 rows"):
        parse_care_homes(io.BytesIO(data), "csv")


@pytest.mark.parametrize("data", [b"", b"\n\n\n", b"\x00\x01\x02binary junk"])
def test_empty_or_binary_files_are_refused(data):
    with pytest.raises(DirectoryFormatError):
        parse_care_homes(io.BytesIO(data), "csv")


def test_non_spreadsheet_zips_and_legacy_xls_are_refused(tmp_path):
    archive = tmp_path / "homes.xlsx"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "not a spreadsheet")
    with pytest.raises(DirectoryFormatError, match="neither an ODS nor an XLSX"):
        parse_care_homes(archive, "cqc")
    legacy = tmp_path / "homes.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(DirectoryFormatError, match=r"\.xls"):
        parse_care_homes(legacy, "cqc")
    misnamed = tmp_path / "homes.ods"
    misnamed.write_text("name,postcode\nHome,M1 1AE\n")
    with pytest.raises(DirectoryFormatError, match="not a spreadsheet"):
        parse_care_homes(misnamed, "csv")


def test_unknown_format_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown format"):
        parse_care_homes(FIXTURES / "care_homes.csv", "ofsted")


def test_oversize_files_are_refused_before_reading(tmp_path):
    path = FIXTURES / "care_homes.csv"
    with pytest.raises(DirectoryFormatError, match="limit"):
        parse_care_homes(path, "csv", max_bytes=100)
    with pytest.raises(DirectoryFormatError, match="limit"):
        parse_care_homes(io.BytesIO(path.read_bytes()), "csv", max_bytes=100)

    class Upload(io.RawIOBase):  # a stream that cannot seek, like a request body
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    with pytest.raises(DirectoryFormatError, match="limit"):
        parse_care_homes(Upload(path.read_bytes()), "csv", max_bytes=100)
    assert parse_care_homes(Upload(path.read_bytes()), "csv").record_count == 3

    # The default limit is 100 MB; a sparse file costs no disk and is never read.
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as f:
        f.truncate(101 * 1024 * 1024)
    with pytest.raises(DirectoryFormatError, match="over the 104.9 MB limit"):
        parse_care_homes(huge, "csv")


def test_zip_bombs_are_refused(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * 5_000_000)
    assert bomb.stat().st_size < 50_000
    with pytest.raises(DirectoryFormatError, match="unpacks to"):
        parse_care_homes(bomb, "cqc", max_bytes=100_000)


def test_ods_with_a_dtd_is_refused(tmp_path):
    laughs = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;">]>'
              '<d>&b;</d>')
    path = tmp_path / "laughs.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", laughs)
    with pytest.raises(DirectoryFormatError, match="DTD"):
        parse_care_homes(path, "cqc")


def test_overlong_cells_and_quoted_newlines():
    long_name = "x" * 5000
    data = (f'name,postcode,address_line1\n"{long_name}",M1 1AE,\n'
            '"Two Line\nHome",LS1 1UR,"1 Street\n2 Street"\nLast Home,B1 1BB,\n').encode()
    result = parse_care_homes(io.BytesIO(data), "csv")
    assert reasons(result) == {2: "column 'name': longer than 4000 characters"}
    names = {record.name: record.row_number for record in result.records}
    # Row numbers are the line each record starts on, as a text editor shows it.
    assert names == {"Two Line\nHome": 3, "Last Home": 6}


def test_rejections_beyond_the_report_limit_are_counted_not_kept():
    data = "name,postcode\n" + "Home,\n" * 1500
    result = parse_care_homes(io.BytesIO(data.encode()), "csv")
    assert result.rejected_count == 1500
    assert len(result.rejected) == 1000


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_fifty_megabyte_csv_streams_in_bounded_memory(tmp_path):
    path = tmp_path / "01_October_2025_CQC_directory.csv"
    header = ("Name,Also known as,Address,Postcode,Phone number,Service's website (if available),"
              "Service types,Date of latest check,Specialisms/services,Provider name,"
              "Local authority,Region,Location URL,CQC Location ID (for office use only),"
              "CQC Provider ID (for office use only)\n")
    types = ["Residential homes", "Nursing homes|Residential homes", "Homecare agencies",
             "Dentist"]
    rows = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("CQC Locations data,,\n,,\nThis data was produced on 1 October 2025,,\n,,\n")
        f.write(header)
        while f.tell() < 50 * 1024 * 1024:
            f.write("".join(
                f'Home {i},,"{i} Example Street,Leeds",LS1 1UR,0113 000 0000,'
                f"https://example.org/{i},{types[i % 4]},01/09/2025,"
                "Caring for adults over 65 yrs|Dementia,Example Care Ltd,Leeds,Yorkshire,"
                f"https://www.cqc.org.uk/location/1-{i:010d},1-{i:010d},1-1\n"
                for i in range(rows, rows + 10_000)))
            rows += 10_000
    # A child process, so its peak memory is this parse's and nobody else's.
    child = """
import json, sys, time
from matcher.directories import parse_care_homes

def peak_kb():  # VmHWM: this process's peak resident memory (ru_maxrss survives exec)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))

before = peak_kb()
seen = []
started = time.perf_counter()
result = parse_care_homes(sys.argv[1], "cqc", on_record=lambda r: seen.append(r.row_number))
print(json.dumps({
    "seconds": time.perf_counter() - started, "records": result.record_count,
    "skipped": result.skipped, "last_row": seen[-1], "growth_mb": (peak_kb() - before) / 1024,
}))
"""
    completed = subprocess.run([sys.executable, "-c", child, str(path)], cwd=ROOT,
                               capture_output=True, text=True, timeout=60, check=True)
    report = json.loads(completed.stdout)
    print(report)
    assert report["records"] == rows // 2
    assert report["skipped"] == rows // 2
    # The last care home is Home {rows - 3}; the preamble and header take lines 1 to 5.
    assert report["last_row"] == (rows - 3) + 6
    assert report["seconds"] < 15
    # Reading the 50 MB file whole would take well over 100 MB.
    assert report["growth_mb"] < 40
