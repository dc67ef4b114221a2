"""Write the small sample directory files used by tests/unit/test_directories.py.

Each file imitates one published layout (see /work/shared/care-home-directories.md) and holds
a few care homes plus the awkward rows importers meet: rows that are not care homes, a
duplicate id, a row without a postcode, a bad number. Names are invented; postcodes are real.

    .venv/bin/python scripts/make_directory_fixtures.py [OUTPUT_DIR]
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
from odf.office import Annotation
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "directories"
CQC_HEADERS_FILE = Path("/work/shared/cqc_hsca_headers.txt")
UTF8_BOM = b"\xef\xbb\xbf"

# The 122 CQC HSCA column names, in order (copied from cqc_hsca_headers.txt so the script
# runs anywhere; checked against that file when it is present).
CQC_HSCA_HEADERS = [
    "Location ID", "Location HSCA start date", "Dormant (Y/N)", "Care home?", "Location Name",
    "Location ODS Code", "Location Telephone Number", "Registered manager",
    "Location Web Address", "Care homes beds", "Location Type/Sector",
    "Location Inspection Directorate", "Location Primary Inspection Category",
    "Location Latest Overall Rating", "Publication Date", "Inherited Rating (Y/N)",
    "Location Region", "Location NHS Region", "Location Local Authority",
    "Location ONSPD CCG Code", "Location ONSPD CCG", "Location Commissioning CCG Code",
    "Location Commissioning CCG", "Location Street Address", "Location Address Line 2",
    "Location City", "Location County", "Location Postal Code", "Location PAF ID",
    "Location UPRN ID", "Location Latitude", "Location Longitude",
    "Location Parliamentary Constituency", "Brand ID", "Brand Name",
    "Provider Companies House Number", "Provider Charity Number", "Provider ID",
    "Provider Name", "Provider HSCA start date", "Provider Type/Sector",
    "Provider Inspection Directorate", "Provider Primary Inspection Category",
    "Provider Ownership Type", "Provider Telephone Number", "Provider Web Address",
    "Provider Street Address", "Provider Address Line 2", "Provider City", "Provider County",
    "Provider Postal Code", "Provider PAF ID", "Provider UPRN ID", "Provider Local Authority",
    "Provider Region", "Provider NHS Region", "Provider Latitude", "Provider Longitude",
    "Provider Parliamentary Constituency", "Provider Nominated Individual Name",
    "Provider Main Partner Name",
    "Regulated activity - Accommodation for persons who require nursing or personal care",
    "Regulated activity - Accommodation for persons who require treatment for substance "
    "misuse",
    "Regulated activity - Assessment or medical treatment for persons detained under the "
    "Mental Health Act 1983",
    "Regulated activity - Diagnostic and screening procedures",
    "Regulated activity - Family planning",
    "Regulated activity - Management of supply of blood and blood derived products",
    "Regulated activity - Maternity and midwifery services",
    "Regulated activity - Nursing care", "Regulated activity - Personal care",
    "Regulated activity - Services in slimming clinics",
    "Regulated activity - Surgical procedures",
    "Regulated activity - Termination of pregnancies",
    "Regulated activity - Transport services, triage and medical advice provided remotely",
    "Regulated activity - Treatment of disease, disorder or injury",
    "Service type - Acute services with overnight beds",
    "Service type - Acute services without overnight beds / listed acute services with or "
    "without overnight beds",
    "Service type - Ambulance service", "Service type - Blood and Transplant service",
    "Service type - Care home service with nursing",
    "Service type - Care home service without nursing",
    "Service type - Community based services for people who misuse substances",
    "Service type - Community based services for people with a learning disability",
    "Service type - Community based services for people with mental health needs",
    "Service type - Community health care services - Independent Midwives",
    "Service type - Community health care services - Nurses Agency only",
    "Service type - Community healthcare service", "Service type - Dental service",
    "Service type - Diagnostic and/or screening service",
    "Service type - Diagnostic and/or screening service - single handed sessional providers",
    "Service type - Doctors consultation service", "Service type - Doctors treatment service",
    "Service type - Domiciliary care service", "Service type - Extra Care housing services",
    "Service type - Hospice services", "Service type - Hospice services at home",
    "Service type - Hospital services for people with mental health needs, learning "
    "disabilities and problems with substance misuse",
    "Service type - Hyperbaric Chamber", "Service type - Long term conditions services",
    "Service type - Mobile doctors service", "Service type - Prison Healthcare Services",
    "Service type - Rehabilitation services", "Service type - Remote clinical advice service",
    "Service type - Residential substance misuse treatment and/or rehabilitation service",
    "Service type - Shared Lives", "Service type - Specialist college service",
    "Service type - Supported living service", "Service type - Urgent care services",
    "Service user band - Children 0-18 years", "Service user band - Dementia",
    "Service user band - Learning disabilities or autistic spectrum disorder",
    "Service user band - Mental Health", "Service user band - Older People",
    "Service user band - People detained under the Mental Health Act",
    "Service user band - People who misuse drugs and alcohol",
    "Service user band - People with an eating disorder",
    "Service user band - Physical Disability", "Service user band - Sensory Impairment",
    "Service user band - Whole Population", "Service user band - Younger Adults",
    "Location Dual Registered", "Primary ID (Dual registration locations)",
]

# Spreadsheet width in LibreOffice: the real ODS pads its rows out to it.
SHEET_COLUMNS = 16384


def _check_cqc_headers() -> None:
    assert len(CQC_HSCA_HEADERS) == 122
    if CQC_HEADERS_FILE.exists():
        published = [h for h in CQC_HEADERS_FILE.read_text().splitlines() if h.strip()]
        assert published == CQC_HSCA_HEADERS, "cqc_hsca_headers.txt has changed"


# --- CQC HSCA (ODS and XLSX) -----------------------------------------------------------------

CQC_ROWS = [
    # Rose Court: nursing home; Dementia and the next column share one repeated "Y" cell.
    {"Location ID": "1-1000000001", "Care home?": "Y", "Location Name": "Rose Court Care Home",
     "Location Telephone Number": 2071234567, "Care homes beds": 40,
     "Location Street Address": "1 Example Street", "Location Address Line 2": "Westminster",
     "Location City": "London", "Location County": "Greater London",
     "Location Postal Code": "SW1A 1AA", "Location Local Authority": "Westminster",
     "Service type - Care home service with nursing": "Y",
     "Service user band - Dementia": "Y",
     "Service user band - Learning disabilities or autistic spectrum disorder": "Y",
     "Service user band - Older People": "Y", "Provider Name": "Example Care Ltd"},
    {"Location ID": "1-1000000002", "Care home?": "Y", "Location Name": "Piccadilly House",
     "Care homes beds": 30, "Location Street Address": "2 Example Road",
     "Location City": "Manchester", "Location Postal Code": "M1 1AE",
     "Location Local Authority": "Manchester",
     "Service type - Care home service without nursing": "Y",
     "Service user band - Older People": "Y"},
    {"Location ID": "1-1000000003", "Care home?": "N", "Location Name": "Northern Homecare",
     "Location Postal Code": "LS1 1UR", "Service type - Domiciliary care service": "Y"},
    None,  # a blank row in the middle of the data
    {"Location ID": "1-1000000004", "Care home?": "Y", "Location Name": "Victoria Lodge",
     "Care homes beds": 12, "Location City": "London", "Location Postal Code": ""},
    {"Location ID": "1-1000000001", "Care home?": "Y",
     "Location Name": "Rose Court Care Home (again)", "Location Postal Code": "SW1A 1AA"},
    {"Location ID": "1-1000000005", "Care home?": "Y", "Location Name": "Bullring View",
     "Care homes beds": "forty", "Location Postal Code": "B1 1BB"},
    {"Location ID": "1-1000000006", "Care home?": "Y", "Location Name": "Headrow Court",
     "Care homes beds": 25, "Location City": "Leeds", "Location Postal Code": "LS1 1UR",
     "Location Local Authority": "Leeds",
     "Service type - Care home service without nursing": "Y",
     "Service user band - Older People": "Y"},
]


def _ods_cell(value: object, *, with_text: bool = True, repeat: int = 1) -> TableCell:
    attrs = {"numbercolumnsrepeated": repeat} if repeat > 1 else {}
    if isinstance(value, (int, float)):
        cell = TableCell(valuetype="float", value=value, **attrs)
    else:
        cell = TableCell(valuetype="string", **attrs)
    if with_text:
        cell.addElement(P(text=str(value)))
    return cell


def _ods_row(values: list[object], special: dict[int, TableCell]) -> TableRow:
    """A row padded to the sheet width; runs of blanks become one repeated cell."""
    row = TableRow()
    blanks = 0
    column = 0
    while column < len(values):
        if column in special:
            if blanks:
                row.addElement(TableCell(numbercolumnsrepeated=blanks))
                blanks = 0
            cell = special[column]
            row.addElement(cell)
            column += int(cell.getAttribute("numbercolumnsrepeated") or 1)
            continue
        value = values[column]
        if value in (None, ""):
            blanks += 1
        else:
            if blanks:
                row.addElement(TableCell(numbercolumnsrepeated=blanks))
                blanks = 0
            row.addElement(_ods_cell(value))
        column += 1
    row.addElement(TableCell(numbercolumnsrepeated=blanks + SHEET_COLUMNS - len(values)))
    return row


def write_cqc_ods(path: Path) -> None:
    doc = OpenDocumentSpreadsheet()
    table = Table(name="HSCA_Active_Locations")
    header = TableRow()
    for name in CQC_HSCA_HEADERS:
        header.addElement(_ods_cell(name))
    header.addElement(TableCell(numbercolumnsrepeated=SHEET_COLUMNS - len(CQC_HSCA_HEADERS)))
    table.addElement(header)
    col = {name: i for i, name in enumerate(CQC_HSCA_HEADERS)}
    for data in CQC_ROWS:
        if data is None:
            blank = TableRow()
            blank.addElement(TableCell(numbercolumnsrepeated=SHEET_COLUMNS))
            table.addElement(blank)
            continue
        values = [data.get(name) for name in CQC_HSCA_HEADERS]
        special: dict[int, TableCell] = {}
        if data["Location ID"] == "1-1000000001" and "(again)" not in data["Location Name"]:
            # A comment on the name must not leak into it.
            name_cell = _ods_cell(data["Location Name"])
            note = Annotation()
            note.addElement(P(text="Reviewer note: check the name"))
            name_cell.insertBefore(note, name_cell.firstChild)
            special[col["Location Name"]] = name_cell
            special[col["Service user band - Dementia"]] = _ods_cell("Y", repeat=2)
        if data["Location ID"] == "1-1000000002":
            # A number stored only in office:value, without a text paragraph.
            special[col["Care homes beds"]] = _ods_cell(30, with_text=False)
        table.addElement(_ods_row(values, special))
    # LibreOffice ends a sheet with one row repeated to the bottom of the grid.
    trailer = TableRow(numberrowsrepeated=1048576 - len(CQC_ROWS) - 1)
    trailer.addElement(TableCell(numbercolumnsrepeated=SHEET_COLUMNS))
    table.addElement(trailer)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


CQC_XLSX_COLUMNS = [
    "Location Name", "Location ID", "Care home?", "Location Postal Code", "Care homes beds",
    "Location City", "Location Local Authority", "Location Telephone Number",
    "Service type - Care home service with nursing",
    "Service type - Care home service without nursing", "Service user band - Dementia",
    "Service user band - Older People",
]


def write_cqc_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["About this file: HSCA active locations (older layout)"])
    sheet = book.create_sheet("HSCA Active Locations")
    sheet.append(CQC_XLSX_COLUMNS)
    rows = [
        ["Leeds Lodge", "1-1100000001", "Y", "LS1 1UR", 35, "Leeds", "Leeds", "1132000000",
         "Y", None, "Y", "Y"],
        ["Brindley House", "1-1100000002", "Y", "B1 1BB", "=2*10", "Birmingham",
         "Birmingham", None, None, "Y", None, "Y"],
        ["Mancunian Homecare", "1-1100000003", "N", "M1 1AE", None, "Manchester",
         "Manchester", None, None, None, None, None],
        ["Leeds Lodge Annexe", "1-1100000001", "Y", "LS1 1UR", 5, "Leeds", "Leeds", None,
         None, "Y", None, None],
        ["Postcodeless Place", "1-1100000004", "Y", None, 10, "London", "Westminster", None,
         None, "Y", None, None],
    ]
    for row in rows:
        sheet.append(row)
    book.save(path)


# --- CQC directory CSV -----------------------------------------------------------------------

CQC_DIRECTORY_HEADER = [
    "Name", "Also known as", "Address", "Postcode", "Phone number",
    "Service's website (if available)", "Service types", "Date of latest check",
    "Specialisms/services", "Provider name", "Local authority", "Region", "Location URL",
    "CQC Location ID (for office use only)", "CQC Provider ID (for office use only)",
]


def _directory_row(name: str, address: str, postcode: str, phone: str, types: str,
                   specialisms: str, la: str, location_id: str) -> list[str]:
    return [name, "", address, postcode, phone, "", types, "01/09/2025", specialisms,
            "Example Care Ltd", la, "London", f"https://www.cqc.org.uk/location/{location_id}",
            location_id, "1-100000001"]


def write_cqc_directory_csv(path: Path) -> None:
    out = io.StringIO()
    blank = "," * (len(CQC_DIRECTORY_HEADER) - 1)
    out.write("CQC Locations data" + blank + "\r\n")
    out.write(blank + "\r\n")
    out.write("This data was produced on 1 October 2025" + blank + "\r\n")
    out.write(blank + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CQC_DIRECTORY_HEADER)
    writer.writerows([
        _directory_row("Mayfair Residential Home", "10 Example Road,Westminster,London",
                       "SW1A 1AA", "020 7123 0000", "Residential homes",
                       "Caring for adults over 65 yrs|Dementia", "Westminster", "1-2000000001"),
        _directory_row("Ancoats Nursing Home", "3 Example Street,Manchester", "M1 1AE",
                       "0161 000 0000", "Nursing homes|Residential homes",
                       "Caring for adults under 65 yrs|Physical disabilities", "Manchester",
                       "1-2000000002"),
        _directory_row("Leeds Homecare", "4 Example Street,Leeds", "LS1 1UR", "0113 000 0000",
                       "Homecare agencies", "Caring for adults over 65 yrs", "Leeds",
                       "1-2000000003"),
        _directory_row("Bull Ring Dental", "5 Example Street,Birmingham", "B1 1BB", "",
                       "Dentist", "", "Birmingham", "1-2000000004"),
        _directory_row("Nowhere House", "6 Example Street,London", "", "", "Residential homes",
                       "", "Westminster", "1-2000000005"),
        _directory_row("Mayfair Residential Home", "10 Example Road,London", "SW1A 1AA", "",
                       "Residential homes", "", "Westminster", "1-2000000001"),
    ])
    path.write_bytes(out.getvalue().encode("utf-8"))


# --- Care Inspectorate CSV (Windows-1252 with a BOM) -----------------------------------------

CI_OLD_HEADER = [
    "CSNumber", "Combined_Service_", "CaseNumber", "CareService", "Subtype", "Service Type",
    "ServiceName", "Address_line_1", "Address_line_2", "Address_line_3", "Address_line_4",
    "Service_town", "Service_Postcode", "ManagerName", "Service_Phone_Number",
    "Eforms_email_address", "SP_number", "Service_Provider", "Provided_by_Local_Authority",
    "ServiceStatus", "DateReg", "Date_Reg", "SIMD_rank", "SIMD2020_Decile", "Datazone",
    "Integration_Authority_Name", "TotalBeds", "CareHome_Main_Area_of_Care",
    "Care_Home_All_Areas_of_Provision", "Council_Area_Name", "Health_Board_Name",
    "NumberStaff", "Registered_Places", "Client_group", "KQ_Support_Wellbeing",
    "Complaints_upheld_2324",
]

CI_NEW_HEADER = [
    "CSNumber", "Combined_Service_", "CaseNumber_Combined", "CareService", "Subtype",
    "AdditionalSubtypes", "ServiceType", "ServiceName", "Address_line_1", "Address_line_2",
    "Address_line_3", "Address_line_4", "Service_town", "Service_Postcode", "ManagerName",
    "Manager_Name", "Service_Phone_Number", "Eforms_email_address", "SP_number",
    "ServiceProvider", "Provided_by_Local_Authority", "ServiceStatus", "DateReg", "Date_Reg",
    "SIMD_rank", "SIMD2020_Decile", "Datazone", "Integration_Authority_Name", "TotalBeds",
    "CareHome_Main_Area_of_Care", "Care_Home_All_Areas_of_Provision", "Council_Area_Name",
    "Health_Board_Name", "NumberStaff", "Registered_Places", "Client_group",
    "KQ_Support_Wellbeing", "RAD_SAT_Score", "Complaints_upheld_2425",
    "Complaints_upheld_2526",
]


def _write_cp1252_with_bom(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    path.write_bytes(UTF8_BOM + out.getvalue().encode("cp1252"))


def write_care_inspectorate_csvs(old_path: Path, new_path: Path) -> None:
    old_rows = [
        {"CSNumber": "CS2003000001", "CareService": "Care Home Service",
         "Subtype": "Older People", "Service Type": "Private", "ServiceName": "Café Court",
         "Address_line_1": "1 Example Street", "Address_line_2": "Pound (£) Lane",
         "Service_town": "Glasgow", "Service_Postcode": "G1 1XQ",
         "ManagerName": "Zoë Example", "Service_Phone_Number": "0141 000 0000",
         "Service_Provider": "Example Care Ltd – Scotland", "ServiceStatus": "Active",
         "TotalBeds": "40", "CareHome_Main_Area_of_Care": "Older People",
         "Care_Home_All_Areas_of_Provision": "Older People; Dementia",
         "Council_Area_Name": "Glasgow City", "Registered_Places": "38"},
        {"CSNumber": "CS2003000002", "CareService": "Care Home Service",
         "Subtype": "Older People", "ServiceName": "Royal Mile House",
         "Address_line_1": "2 Example Close", "Service_town": "Edinburgh",
         "Service_Postcode": "EH1 1YZ", "ServiceStatus": "Active", "TotalBeds": "25",
         "Care_Home_All_Areas_of_Provision": "Older People",
         "Council_Area_Name": "City of Edinburgh", "Registered_Places": ""},
        {"CSNumber": "CS2003000003", "CareService": "Housing Support Service",
         "Subtype": "Housing Support Service", "ServiceName": "Glasgow Support at Home",
         "Service_town": "Glasgow", "Service_Postcode": "G1 1XQ", "ServiceStatus": "Active"},
        {"CSNumber": "CS2003000004", "CareService": "Care Home Service",
         "Subtype": "Older People", "ServiceName": "Closed Haven", "Service_town": "Edinburgh",
         "Service_Postcode": "EH1 1YZ", "ServiceStatus": "Cancelled",
         "Registered_Places": "20"},
        {"CSNumber": "CS2003000005", "CareService": "Care Home Service",
         "Subtype": "Learning Disabilities", "ServiceName": "Taigh na Mara",
         "Service_town": "Stornoway", "Service_Postcode": "HS1 2BW", "ServiceStatus": "Active",
         "Council_Area_Name": "Na h-Eileanan Siar", "Registered_Places": "twelve"},
        {"CSNumber": "CS2003000006", "CareService": "Care Home Service",
         "Subtype": "Older People", "ServiceName": "Lost Postcode House",
         "Service_town": "Glasgow", "Service_Postcode": "", "ServiceStatus": "Active"},
        {"CSNumber": "CS2003000001", "CareService": "Care Home Service",
         "Subtype": "Older People", "ServiceName": "Café Court (copy)",
         "Service_Postcode": "G1 1XQ", "ServiceStatus": "Active"},
    ]
    _write_cp1252_with_bom(old_path, CI_OLD_HEADER, old_rows)
    new_rows = [
        {"CSNumber": "CS2010000001", "CareService": "Care Home Service",
         "Subtype": "Older People", "AdditionalSubtypes": "Physical and Sensory Impairment",
         "ServiceType": "Voluntary or Not for Profit", "ServiceName": "Hébridean Rest",
         "Address_line_1": "7 Example Road", "Service_town": "Stornoway",
         "Service_Postcode": "HS1 2BW", "Manager_Name": "A Manager",
         "ServiceProvider": "Example Trust", "ServiceStatus": "Active", "TotalBeds": "18",
         "Council_Area_Name": "Na h-Eileanan Siar", "Registered_Places": "16",
         "RAD_SAT_Score": "5"},
        {"CSNumber": "CS2010000002", "CareService": "Care Home Service",
         "Subtype": "Adults", "ServiceName": "Merchant City Home",
         "Service_town": "Glasgow", "Service_Postcode": "G1 1XQ", "ServiceStatus": "Active",
         "Registered_Places": "9", "Council_Area_Name": "Glasgow City"},
        {"CSNumber": "CS2010000003", "CareService": "Child Minding",
         "Subtype": "Child Minding", "ServiceName": "Little Steps £5 Club",
         "Service_town": "Edinburgh", "Service_Postcode": "EH1 1YZ",
         "ServiceStatus": "Active"},
        {"CSNumber": "cs2010000001", "CareService": "Care Home Service",
         "Subtype": "Older People", "ServiceName": "Hébridean Rest",
         "Service_Postcode": "HS1 2BW", "ServiceStatus": "Active"},
    ]
    _write_cp1252_with_bom(new_path, CI_NEW_HEADER, new_rows)


# --- CIW (CSV and XLSX, header on row 4) -----------------------------------------------------

CIW_HEADER = [
    "Service Name", "Service Type", "Service Sub Type", "Service Status",
    "Service Address Line 1", "Service Address Line 2", "Service Address Line 3",
    "Service Address Town City", "Local Authority", "Service Address Postcode",
    "Maximum Capacity",
]
CIW_ROWS = [
    ["Cartref Bae", "Care Home Service", "Adults With Nursing", "Active", "1 Example Street",
     "Butetown", "", "Cardiff", "Cardiff", "CF10 1EP", "45"],
    ["Plas Eryri", "Care Home Service", "Adults Without Nursing", "Active", "2 Stryd Fawr",
     "", "", "Caernarfon", "Gwynedd", "LL55 4UR", "20"],
    ["Tŷ Gwyn", "Care Home Service", "Adults Without Nursing", "Active", "3 Example Lane", "",
     "", "Cardiff", "Cardiff", "CF10 1EP", "12"],
    ["CARTREF BAE", "Care Home Service", "Adults With Nursing", "Active", "1 Example Street",
     "", "", "Cardiff", "Cardiff", "cf101ep", "45"],
    ["Ysgubor Wen", "Care Home Service", "Adults Without Nursing", "Active", "4 Heol Fach", "",
     "", "Caernarfon", "Gwynedd", "", "8"],
]
CIW_TITLE = ["List of adult care homes – Wales"]
CIW_DATE = ["Produced on 1 October 2025"]


def write_ciw_files(csv_path: Path, xlsx_path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([CIW_TITLE, CIW_DATE, [], CIW_HEADER, *CIW_ROWS])
    csv_path.write_bytes(out.getvalue().encode("utf-8"))

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Adult care homes"
    sheet["A1"] = CIW_TITLE[0]
    sheet["A2"] = CIW_DATE[0]
    for column, name in enumerate(CIW_HEADER, start=1):
        sheet.cell(row=4, column=column, value=name)
    for offset, row in enumerate(CIW_ROWS):
        for column, value in enumerate(row, start=1):
            if value:
                as_number = value.isdigit() and column == len(CIW_HEADER)
                sheet.cell(row=5 + offset, column=column,
                           value=int(value) if as_number else value)
    book.save(xlsx_path)


# --- RQIA (register and OpenDataNI) ----------------------------------------------------------

RQIA_HEADER = [
    "ServiceName", "AddressLine1", "AddressLine2", "Town", "Postcode", "Tel", "Category",
    "Max Approved Places", "Categories of Care", "Conditions(AsOnCertificate)", "Manager",
    "ProviderName",
]


def write_rqia_register(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Automated_REP019_WebRegister"
    sheet.append(RQIA_HEADER)
    rows = [
        ["Lagan View", "1 Example Street", "", "Belfast", "BT1 5GS", 2890000001,
         "Nursing (NH)", 40, "NH-DE, NH-I, NH-PH(E)", "", "A Manager", "Example Care Ltd"],
        ["Lagan View", "1 Example Street", "", "Belfast", "BT1 5GS", 2890000001,
         "Residential (RC)", 10, "RC-I", "", "A Manager", "Example Care Ltd"],
        ["Foyle House", "2 Example Quay", "Waterside", "Londonderry", "BT48 6DQ",
         "028 7100 0000", "Residential (RC)", 22, "RC-LD, RC-LD(E)", "", "B Manager",
         "Foyle Care Ltd"],
        ["Belfast Home Support", "3 Example Street", "", "Belfast", "BT1 5GS", "",
         "Domiciliary Care Agency", None, "", "", "C Manager", "Example Care Ltd"],
        ["Lagan  View", "1 Example Street", "", "Belfast", "BT15GS", "", "Nursing (NH)", 40,
         "NH-I", "", "", ""],
        ["Walled City Lodge", "4 Example Walls", "", "Londonderry", "", "", "Nursing (NH)", 30,
         "NH-DE", "", "", ""],
    ]
    for row in rows:
        sheet.append(row)
    book.save(path)


ODNI_HEADER = [
    "Service Name", "Address Line1", "Address Line2", "Town", "Postcode", "Phone",
    "Service Type", "Max Approved Places", "Categories of Care",
    "Conditions (As per Certificate)", "Current Manager", "Provider", "Last Inspected",
]


def write_rqia_opendatani(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "RQIA Registered Services"
    sheet.append(ODNI_HEADER)
    inspected = datetime(2025, 6, 1)
    rows = [
        ["Lagan View (020001)", "1 Example Street", "", "Belfast", "BT1 5GS",
         "028 9000 0001", "Nursing Home", 40, "NH-DE\nNH-I", "", "A Manager",
         "Example Care Ltd", inspected],
        ["Foyle House (020002)", "2 Example Quay", "Waterside", "Londonderry", "BT48 6DQ",
         "028 7100 0000", "Residential (RC)", 22, "RC-LD; RC-LD(E)", "", "B Manager",
         "Foyle Care Ltd", inspected],
        ["Age NI Shared Lives (021098)", "3 Example Street", "", "Belfast", "BT1 5GS", "",
         "Adult Placement Agency", None, "", "", "", "Age NI", inspected],
        ["Lagan View (020001)", "1 Example Street", "", "Belfast", "BT1 5GS", "",
         "Nursing Home", 40, "NH-I", "", "", "", None],
        ["Example Nurses (030001)", "5 Example Street", "", "Belfast", "BT1 5GS", "",
         "Nursing Agency", None, "", "", "", "Example Staffing Ltd", inspected],
    ]
    for row in rows:
        sheet.append(row)
    book.save(path)


# --- Our own care-home CSV and the groups CSV ------------------------------------------------


def write_generic_csv(path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "postcode", "regulator_id", "address_line1", "town", "residents",
                     "care_types", "phone"])
    writer.writerows([
        ["Kith Test Home", "SW1A 1AA", "1-3000000001", "1 Example Street", "London", "30",
         "nursing; dementia", "020 7000 0000"],
        ["Castle Rock Home", "EH1 1YZ", "", "2 Example Close", "Edinburgh", "12",
         "Residential;Older People", ""],
        ['=HYPERLINK("http://x","y")', "LS1 1UR", "", "", "Leeds", "", "", ""],
        ["No Postcode Home", "", "", "", "London", "10", "", ""],
        ["Kith Test Home Again", "SW1A 1AA", "1-3000000001", "", "London", "30", "", ""],
        ["Negative Home", "M1 1AE", "", "", "Manchester", "-5", "", ""],
    ])
    path.write_text(out.getvalue(), encoding="utf-8")


GROUP_HEADER = [
    "external_id", "name", "kind", "description", "interests", "languages", "postcode",
    "travel_radius_km", "availability", "capacity_per_month", "offers_remote",
    "works_with_children", "contact_name", "contact_email", "contact_phone",
]


def write_groups_csv(path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GROUP_HEADER)
    writer.writerows([
        ["G-001", "St Mary's Primary School", "school", "Year 4 pupils sing carols",
         "singing; crafts", "English;Polish", "M1 1AE", "5", "mon_pm;wed_am", "2", "no", "yes",
         "Anna Nowak", "anna@example.org", "0161 000 0001"],
        ["G-002", "Cardiff Welsh Choir", "choir", '=HYPERLINK("http://x","y")', "singing",
         "Cymraeg;English", "CF10 1EP", "12.5", "sat_pm", "1", "TRUE", "false", "", "", ""],
        ["G-003", "Pawsome Visits", "pet_walkers", "", "dogs", "", "LS1 1UR", "", "", "", "",
         "", "", "", ""],
        ["G-004", "Knit & Natter", "knitting_club", "", "knitting", "English", "B1 1BB", "3",
         "", "lots", "", "", "", "", ""],
        ["G-001", "St Mary's again", "school", "", "", "", "M1 1AE", "", "", "", "", "", "",
         "", ""],
        ["G-005", "Letters from Leeds", "volunteer", "", "letters", "", "LS1 1UR", "", "", "",
         "maybe", "", "", "", ""],
        ["G-006", "Nowhere Choir", "choir", "", "singing", "", "", "", "", "", "", "", "", "",
         ""],
    ])
    path.write_text(out.getvalue(), encoding="utf-8")


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    _check_cqc_headers()
    write_cqc_ods(out / "cqc_HSCA_Active_Locations.ods")
    write_cqc_xlsx(out / "cqc_HSCA_Active_Locations_old.xlsx")
    write_cqc_directory_csv(out / "cqc_01_October_2025_CQC_directory.csv")
    write_care_inspectorate_csvs(out / "care_inspectorate_MDSF_data_old.csv",
                                 out / "care_inspectorate_251001_DatastoreExternal.csv")
    write_ciw_files(out / "ciw_adult_care_homes.csv", out / "ciw_adult_care_homes.xlsx")
    write_rqia_register(out / "rqia_REP019_web_register.xlsx")
    write_rqia_opendatani(out / "rqia_opendatani_registered_services.xlsx")
    write_generic_csv(out / "care_homes.csv")
    write_groups_csv(out / "groups.csv")
    print(f"wrote fixtures to {out}")


if __name__ == "__main__":
    main(sys.argv)
