"""Parsers for the regulators' published care-home directories and for the groups CSV.

Parsing only: no database and no Flask. An import service calls these functions and decides
what to do with the records and rejections they return.

Containers are recognised by content (and the file name only to explain a mismatch): ODS
(streamed from ``content.xml`` with expat, so a header padded with 16,384 empty cells or a
sheet ending in a million repeated empty rows costs nothing), XLSX (openpyxl, read-only) and
CSV (streamed line by line; UTF-8 with or without a BOM, Windows-1252, or UTF-16 with a BOM).
Columns are found by name, compared after dropping case, spaces and punctuation, so
``ServiceType``, ``Service Type`` and ``service_type`` are the same column. Preamble rows
before the header (title, date, blank lines) are skipped; the header must appear within the
first :data:`HEADER_SEARCH_ROWS` rows of a sheet. Cell contents are plain text: formulas are
never evaluated (a spreadsheet formula yields its cached value, if any).

Directory formats (``fmt``), which rows count as care homes, and each record's ``natural_key``:

``cqc``
    The CQC "care directory with filters" (ODS sheet ``HSCA_Active_Locations``, older XLSX
    sheet ``HSCA Active Locations``): rows with ``Care home?`` = ``Y``; key ``Location ID``;
    places from ``Care homes beds``. Also the plain ``..._CQC_directory.csv`` (four preamble
    lines): rows whose ``Service types`` include ``Residential homes`` or ``Nursing homes``;
    key ``CQC Location ID (for office use only)``; no places.
``care-inspectorate``
    The Care Inspectorate datastore CSV: ``CareService`` = ``Care Home Service`` and
    ``ServiceStatus`` = ``Active``; key ``CSNumber``; places from ``Registered_Places``, else
    ``TotalBeds``; older people when ``Subtype`` = ``Older People``.
``ciw``
    Care Inspectorate Wales "List of adult care homes" (CSV or XLSX, header on row 4): every
    row; no id, key ``name|postcode``.
``rqia``
    The RQIA register (sheet ``Automated_REP019_WebRegister``) or the OpenDataNI copy, whose
    names embed an id (``Abbey House (021098)``): ``Category`` ``Nursing (NH)`` or
    ``Residential (RC)``; key ``name|address line 1|postcode|NH or RC`` (a site can hold a
    nursing and a residential registration).
``csv``
    Our own layout: comma-separated, UTF-8 (the encodings above are accepted too), one header
    row naming these columns in any order:

    ===============  ====================================================================
    column           meaning
    ===============  ====================================================================
    name             care home name (required)
    postcode         postcode (required)
    regulator_id     CQC / Care Inspectorate / CIW / RQIA id, if known
    address_line1    first line of the address
    town             post town
    residents        number of places (whole number)
    care_types       semicolon-separated: ``nursing``, ``residential``, ``dementia``,
                     ``older_people``; a listed cell makes the unlisted flags false
    phone            telephone number
    ===============  ====================================================================

    Key: ``regulator_id``, or ``name|postcode`` when it is blank.

``fmt=None`` recognises any of these layouts from the header.

Composite keys are lower-cased with whitespace collapsed (postcodes lose their spaces), so the
same home spelt slightly differently in two releases keeps its key. Within one file a second
row with the key of an earlier one is rejected, naming the earlier row.

The groups CSV (:func:`parse_groups_csv`) has the columns ``external_id, name, kind,
description, interests, languages, postcode, travel_radius_km, availability,
capacity_per_month, offers_remote, works_with_children, contact_name, contact_email,
contact_phone``; ``name`` and ``postcode`` are required. ``interests``, ``languages`` and
``availability`` (slots such as ``mon_am``) are semicolon-separated; ``offers_remote`` and
``works_with_children`` take yes/no/true/false. Values are returned raw: languages, postcodes
and slots are validated by the import service.

:func:`neutralise_csv_cell` protects CSV exports from formula injection.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO, Generic, TypeVar
from xml.parsers import expat

from odf.namespaces import OFFICENS, TABLENS, TEXTNS

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "HEADER_SEARCH_ROWS",
    "DirectoryFormatError",
    "DirectoryRecord",
    "GroupRecord",
    "ParseResult",
    "Rejection",
    "neutralise_csv_cell",
    "parse_care_homes",
    "parse_groups_csv",
]

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
HEADER_SEARCH_ROWS = 30
FORMATS = ("cqc", "care-inspectorate", "ciw", "rqia", "csv")

# Longer cells are rejected rather than stored: no real name or address comes close.
MAX_CELL_CHARS = 4000
# A spreadsheet bigger than this when unzipped is treated as a zip bomb.
_UNZIP_FACTOR = 10
# Spreadsheet limits (Excel and LibreOffice): hostile repeat counts are clipped to them.
_MAX_SHEET_ROWS = 1_048_576
_MAX_COLUMNS = 1024
# Whatever is rejected, keep only this many reasons: past it a report is unreadable anyway.
MAX_REPORTED_REJECTIONS = 1000
# Non-seekable uploads are spooled to disk beyond this many bytes.
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_CHUNK = 1 << 20

Source = str | os.PathLike | IO[bytes]
T = TypeVar("T")


class DirectoryFormatError(ValueError):
    """The file as a whole cannot be read: wrong layout, too big, corrupt or not a table."""


@dataclass(frozen=True, slots=True)
class DirectoryRecord:
    """One care home from a directory file, with text as given (stripped)."""

    regulator: str | None
    external_id: str | None
    natural_key: str
    name: str
    address_line1: str | None
    address_line2: str | None
    town: str | None
    postcode: str
    local_authority: str | None
    places: int | None
    nursing: bool | None
    dementia: bool | None
    older_people: bool | None
    phone: str | None
    row_number: int


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """One community group from the groups CSV, values raw (validated later)."""

    external_id: str | None
    name: str
    kind: str | None
    description: str | None
    interests: tuple[str, ...]
    languages: tuple[str, ...]
    postcode: str
    travel_radius_km: float | None
    availability: tuple[str, ...]
    capacity_per_month: int | None
    offers_remote: bool | None
    works_with_children: bool | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    row_number: int


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that could not be used, with its 1-based line or row number in the source."""

    row_number: int
    reason: str


@dataclass
class ParseResult(Generic[T]):
    """What a parse found.

    ``records`` stays empty when an ``on_record`` callback consumed them; ``record_count``
    counts them either way. ``rejected`` keeps the first :data:`MAX_REPORTED_REJECTIONS`;
    ``rejected_count`` counts all. ``skipped`` counts rows that are valid but not care homes.
    """

    layout: str
    container: str
    sheet: str | None
    header_row: int
    records: list[T] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    record_count: int = 0
    rejected_count: int = 0
    skipped: int = 0


# ---------------------------------------------------------------------------------------------
# Layouts


class _RowError(Exception):
    """A row-level problem; becomes a Rejection."""


def _norm(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", header.casefold())


@dataclass(frozen=True)
class _Layout:
    name: str
    description: str
    columns: dict[str, tuple[str, ...]]  # field -> accepted headers, preferred spelling first
    required: tuple[str, ...]
    build: Callable[[_Row], object | None]  # record, or None when the row is not wanted
    key_label: str | Callable[[object], str]  # names the key in duplicate reasons
    sheets: tuple[str, ...] = ()


class _Row:
    """Cell access by field name for one data row."""

    __slots__ = ("cells", "index", "labels", "number")

    def __init__(self, cells: Sequence[str], index: dict[str, int], labels: dict[str, str],
                 number: int) -> None:
        self.cells = cells
        self.index = index
        self.labels = labels
        self.number = number

    def has(self, name: str) -> bool:
        return name in self.index

    def get(self, name: str) -> str | None:
        """Stripped cell text; "" when blank, None when the file has no such column."""
        i = self.index.get(name)
        if i is None:
            return None
        if i >= len(self.cells):
            return ""
        value = self.cells[i].strip()
        if "\x00" in value:
            value = value.replace("\x00", "").strip()
        if len(value) > MAX_CELL_CHARS:
            raise _RowError(f"{self.label(name)}: longer than {MAX_CELL_CHARS} characters")
        return value

    def text(self, name: str) -> str | None:
        """Like get(), but blank becomes None."""
        return self.get(name) or None

    def label(self, name: str) -> str:
        return f"column {self.labels.get(name, name)!r}"

    def need(self, name: str, what: str) -> str:
        value = self.get(name)
        if not value:
            raise _RowError(f"missing {what} ({self.label(name)})")
        return value

    def count(self, name: str) -> int | None:
        return _whole_number(self.get(name), self.label(name))


def _whole_number(value: str | None, label: str) -> int | None:
    if not value:
        return None
    text = value.replace(",", "").replace(" ", "")
    try:
        number = float(text)
    except ValueError:
        raise _RowError(f"{label}: {value!r} is not a whole number") from None
    if not math.isfinite(number) or not number.is_integer():
        raise _RowError(f"{label}: {value!r} is not a whole number")
    if not 0 <= number <= 100_000:
        raise _RowError(f"{label}: {value!r} is out of range")
    return int(number)


def _flag(value: str | None) -> bool | None:
    """Y/blank flag columns: None only when the column is absent."""
    if value is None:
        return None
    return value.casefold() in {"y", "yes", "true", "1"}


def _phone(value: str | None) -> str | None:
    if not value:
        return None
    # Spreadsheets store phone numbers as numbers and lose the leading zero.
    if value.isdigit() and len(value) in (9, 10) and not value.startswith("0"):
        return "0" + value
    return value


def _key_part(value: str | None) -> str:
    return " ".join((value or "").casefold().split())


def _postcode_key(value: str) -> str:
    return "".join(value.split()).casefold()


def _join(*parts: str | None) -> str | None:
    return ", ".join(p for p in parts if p) or None


def _record(row: _Row, regulator: str | None, *, external_id: str | None, natural_key: str,
            name: str, postcode: str, **fields: object) -> DirectoryRecord:
    values = {
        "address_line1": None, "address_line2": None, "town": None, "local_authority": None,
        "places": None, "nursing": None, "dementia": None, "older_people": None, "phone": None,
    }
    values.update(fields)
    return DirectoryRecord(regulator=regulator, external_id=external_id,
                           natural_key=natural_key, name=name, postcode=postcode,
                           row_number=row.number, **values)


def _build_cqc_hsca(row: _Row) -> DirectoryRecord | None:
    if (row.get("care_home") or "").casefold() not in {"y", "yes"}:
        return None
    location_id = row.need("id", "Location ID")
    name = row.need("name", "name")
    postcode = row.need("postcode", "postcode")
    with_nursing = _flag(row.get("with_nursing"))
    without_nursing = _flag(row.get("without_nursing"))
    nursing = True if with_nursing else (False if without_nursing else None)
    return _record(
        row, "cqc", external_id=location_id, natural_key=location_id, name=name,
        postcode=postcode, address_line1=row.text("address1"),
        address_line2=_join(row.text("address2"), row.text("county")),
        town=row.text("town"), local_authority=row.text("local_authority"),
        places=row.count("places"), nursing=nursing, dementia=_flag(row.get("dementia")),
        older_people=_flag(row.get("older_people")), phone=_phone(row.get("phone")),
    )


def _split(value: str | None, sep: str) -> list[str]:
    return [part.strip() for part in (value or "").split(sep) if part.strip()]


def _build_cqc_directory(row: _Row) -> DirectoryRecord | None:
    types = {t.casefold() for t in _split(row.get("service_types"), "|")}
    if not types & {"residential homes", "nursing homes"}:
        return None
    location_id = row.need("id", "CQC Location ID")
    name = row.need("name", "name")
    postcode = row.need("postcode", "postcode")
    # "7-9 White Kennet Street,London": the town is the last part when there are several.
    parts = _split(row.get("address"), ",")
    town = parts.pop() if len(parts) > 1 else None
    specialisms = row.get("specialisms")
    wanted = {s.casefold() for s in _split(specialisms, "|")}
    return _record(
        row, "cqc", external_id=location_id, natural_key=location_id, name=name,
        postcode=postcode, address_line1=parts[0] if parts else None,
        address_line2=_join(*parts[1:]), town=town,
        local_authority=row.text("local_authority"), nursing="nursing homes" in types,
        dementia=None if specialisms is None else "dementia" in wanted,
        older_people=None if specialisms is None else "caring for adults over 65 yrs" in wanted,
        phone=_phone(row.get("phone")),
    )


def _build_care_inspectorate(row: _Row) -> DirectoryRecord | None:
    if (row.get("care_service") or "").casefold() != "care home service":
        return None
    if (row.get("status") or "").casefold() != "active":
        return None
    cs_number = row.need("id", "CSNumber")
    name = row.need("name", "name")
    postcode = row.need("postcode", "postcode")
    places = row.count("registered_places")
    if places is None:
        places = row.count("total_beds")
    subtype = row.get("subtype")
    provision = row.get("areas_of_provision")
    return _record(
        row, "care_inspectorate", external_id=cs_number, natural_key=cs_number, name=name,
        postcode=postcode, address_line1=row.text("address1"),
        address_line2=_join(row.text("address2"), row.text("address3"), row.text("address4")),
        town=row.text("town"), local_authority=row.text("local_authority"), places=places,
        # The Scottish register does not record nursing separately from other care homes.
        nursing=None,
        dementia=None if provision is None else "dementia" in provision.casefold(),
        older_people=None if subtype is None else subtype.casefold() == "older people",
        phone=_phone(row.get("phone")),
    )


def _build_ciw(row: _Row) -> DirectoryRecord:
    name = row.need("name", "name")
    postcode = row.need("postcode", "postcode")
    subtype = (row.get("subtype") or "").casefold()
    nursing = False if "without nursing" in subtype else (True if "with nursing" in subtype
                                                          else None)
    return _record(
        row, "ciw", external_id=None,
        natural_key=f"{_key_part(name)}|{_postcode_key(postcode)}", name=name,
        postcode=postcode, address_line1=row.text("address1"),
        address_line2=_join(row.text("address2"), row.text("address3")),
        town=row.text("town"), local_authority=row.text("local_authority"),
        places=row.count("places"), nursing=nursing, phone=_phone(row.get("phone")),
    )


_RQIA_EMBEDDED_ID = re.compile(r"\s*\(([A-Za-z]{0,3}\d{3,})\)\s*$")
_RQIA_CARE_CODE = re.compile(r"\b(NH|RC)-([A-Z]+)(\(E\))?")


def _rqia_category(value: str) -> str | None:
    """NH or RC for a care-home category; None for anything else (e.g. "Nursing Agency")."""
    text = " ".join(value.upper().split())
    if "(NH)" in text or text in {"NH", "NURSING", "NURSING HOME"}:
        return "NH"
    if "(RC)" in text or text in {"RC", "RESIDENTIAL", "RESIDENTIAL HOME",
                                  "RESIDENTIAL CARE HOME"}:
        return "RC"
    return None


def _build_rqia(row: _Row) -> DirectoryRecord | None:
    category = _rqia_category(row.get("category") or "")
    if category is None:
        return None
    name = row.need("name", "name")
    external_id = None
    match = _RQIA_EMBEDDED_ID.search(name)
    if match and match.start() > 0:
        external_id, name = match.group(1), name[: match.start()]
    postcode = row.need("postcode", "postcode")
    line1 = row.text("address1")
    codes_text = row.get("care_codes")
    codes = _RQIA_CARE_CODE.findall((codes_text or "").upper())
    kinds = {kind for _, kind, _ in codes}
    return _record(
        row, "rqia", external_id=external_id,
        natural_key="|".join([_key_part(name), _key_part(line1), _postcode_key(postcode),
                              category.casefold()]),
        name=name, postcode=postcode, address_line1=line1,
        address_line2=row.text("address2"), town=row.text("town"),
        places=row.count("places"),
        nursing=category == "NH" or any(prefix == "NH" for prefix, _, _ in codes),
        dementia=None if codes_text is None else "DE" in kinds,
        older_people=None if codes_text is None else bool(
            kinds & {"I", "E"} or any(elderly for _, _, elderly in codes)),
        phone=_phone(row.get("phone")),
    )


_CARE_TYPE_ALIASES = {
    "nursing": "nursing", "nursing home": "nursing", "with nursing": "nursing",
    "residential": "residential", "without nursing": "residential",
    "dementia": "dementia",
    "older_people": "older_people", "older people": "older_people", "elderly": "older_people",
    "older adults": "older_people",
}


def _build_generic(row: _Row) -> DirectoryRecord:
    name = row.need("name", "name")
    postcode = row.need("postcode", "postcode")
    regulator_id = row.text("regulator_id")
    raw_types = row.get("care_types")
    nursing = dementia = older = None
    if raw_types:
        types = {_CARE_TYPE_ALIASES.get(" ".join(t.casefold().split()))
                 for t in _split(raw_types, ";")}
        nursing = "nursing" in types
        dementia = "dementia" in types
        older = "older_people" in types
    return _record(
        row, None, external_id=regulator_id,
        natural_key=regulator_id or f"{_key_part(name)}|{_postcode_key(postcode)}",
        name=name, postcode=postcode, address_line1=row.text("address_line1"),
        town=row.text("town"), places=row.count("residents"), nursing=nursing,
        dementia=dementia, older_people=older, phone=_phone(row.get("phone")),
    )


_CQC_HSCA = _Layout(
    name="cqc-hsca",
    description="the CQC care directory with filters (HSCA_Active_Locations)",
    columns={
        "id": ("Location ID",),
        "name": ("Location Name",),
        "care_home": ("Care home?",),
        "postcode": ("Location Postal Code", "Location Postcode"),
        "places": ("Care homes beds", "Care home beds"),
        "address1": ("Location Street Address",),
        "address2": ("Location Address Line 2",),
        "town": ("Location City",),
        "county": ("Location County",),
        "local_authority": ("Location Local Authority",),
        "phone": ("Location Telephone Number",),
        "with_nursing": ("Service type - Care home service with nursing",),
        "without_nursing": ("Service type - Care home service without nursing",),
        "dementia": ("Service user band - Dementia",),
        "older_people": ("Service user band - Older People",),
    },
    required=("id", "name", "care_home", "postcode"),
    build=_build_cqc_hsca,
    key_label="Location ID",
    sheets=("HSCA_Active_Locations", "HSCA Active Locations"),
)

_CQC_DIRECTORY = _Layout(
    name="cqc-directory",
    description="the CQC directory CSV",
    columns={
        "id": ("CQC Location ID (for office use only)", "CQC Location ID"),
        "name": ("Name",),
        "postcode": ("Postcode",),
        "service_types": ("Service types",),
        "address": ("Address",),
        "phone": ("Phone number",),
        "specialisms": ("Specialisms/services",),
        "local_authority": ("Local authority",),
    },
    required=("id", "name", "postcode", "service_types"),
    build=_build_cqc_directory,
    key_label="CQC Location ID",
)

_CARE_INSPECTORATE = _Layout(
    name="care-inspectorate",
    description="the Care Inspectorate datastore",
    columns={
        "id": ("CSNumber",),
        "name": ("ServiceName",),
        "care_service": ("CareService",),
        "status": ("ServiceStatus",),
        "postcode": ("Service_Postcode",),
        "subtype": ("Subtype",),
        "address1": ("Address_line_1",),
        "address2": ("Address_line_2",),
        "address3": ("Address_line_3",),
        "address4": ("Address_line_4",),
        "town": ("Service_town",),
        "phone": ("Service_Phone_Number",),
        "local_authority": ("Council_Area_Name",),
        "registered_places": ("Registered_Places",),
        "total_beds": ("TotalBeds",),
        "areas_of_provision": ("Care_Home_All_Areas_of_Provision",),
    },
    required=("id", "name", "care_service", "status", "postcode"),
    build=_build_care_inspectorate,
    key_label="CSNumber",
)

_CIW = _Layout(
    name="ciw",
    description="the CIW list of adult care homes",
    columns={
        "name": ("Service Name",),
        "postcode": ("Service Address Postcode",),
        "subtype": ("Service Sub Type",),
        "address1": ("Service Address Line 1",),
        "address2": ("Service Address Line 2",),
        "address3": ("Service Address Line 3",),
        "town": ("Service Address Town City", "Service Address Town/City"),
        "local_authority": ("Local Authority",),
        "places": ("Maximum Capacity",),
        "phone": ("Service Telephone Number", "Telephone Number", "Telephone"),
    },
    required=("name", "postcode"),
    build=_build_ciw,
    key_label="name and postcode",
)

_RQIA = _Layout(
    name="rqia",
    description="the RQIA register",
    columns={
        "name": ("ServiceName", "Service Name"),
        "postcode": ("Postcode", "Post Code"),
        "category": ("Category", "Service Type", "Service Category"),
        "address1": ("AddressLine1", "Address Line1", "Address Line 1"),
        "address2": ("AddressLine2", "Address Line2", "Address Line 2"),
        "town": ("Town",),
        "phone": ("Tel", "Phone", "Telephone"),
        "places": ("Max Approved Places", "Maximum Approved Places"),
        "care_codes": ("Categories of Care",),
    },
    required=("name", "postcode", "category"),
    build=_build_rqia,
    key_label="name, address, postcode and category",
    sheets=("Automated_REP019_WebRegister",),
)

_GENERIC = _Layout(
    name="csv",
    description="the Kith care-home CSV",
    columns={
        "name": ("name",),
        "postcode": ("postcode",),
        "regulator_id": ("regulator_id",),
        "address_line1": ("address_line1",),
        "town": ("town",),
        "residents": ("residents",),
        "care_types": ("care_types",),
        "phone": ("phone",),
    },
    required=("name", "postcode"),
    build=_build_generic,
    key_label=lambda r: "regulator_id" if r.external_id else "name and postcode",
)

_LAYOUTS: dict[str, tuple[_Layout, ...]] = {
    "cqc": (_CQC_HSCA, _CQC_DIRECTORY),
    "care-inspectorate": (_CARE_INSPECTORATE,),
    "ciw": (_CIW,),
    "rqia": (_RQIA,),
    "csv": (_GENERIC,),
}
# Most specific first: a generic name+postcode header would also match the CQC directory CSV.
_ALL_LAYOUTS = (_CQC_HSCA, _CQC_DIRECTORY, _CARE_INSPECTORATE, _CIW, _RQIA, _GENERIC)


def _parse_bool(row: _Row, name: str) -> bool | None:
    value = row.get(name)
    if not value:
        return None
    folded = value.casefold()
    if folded in {"yes", "y", "true", "1"}:
        return True
    if folded in {"no", "n", "false", "0"}:
        return False
    raise _RowError(f"{row.label(name)}: {value!r} is not yes or no")


def _parse_radius(row: _Row) -> float | None:
    value = row.get("travel_radius_km")
    if not value:
        return None
    try:
        radius = float(value)
    except ValueError:
        raise _RowError(f"{row.label('travel_radius_km')}: {value!r} is not a number") from None
    if not math.isfinite(radius) or radius < 0:
        raise _RowError(f"{row.label('travel_radius_km')}: {value!r} is out of range")
    return radius


def _build_group(row: _Row) -> GroupRecord:
    name = row.need("name", "name")
    postcode = row.need("postcode", "postcode")
    return GroupRecord(
        external_id=row.text("external_id"), name=name, kind=row.text("kind"),
        description=row.text("description"),
        interests=tuple(_split(row.get("interests"), ";")),
        languages=tuple(_split(row.get("languages"), ";")),
        postcode=postcode, travel_radius_km=_parse_radius(row),
        availability=tuple(_split(row.get("availability"), ";")),
        capacity_per_month=row.count("capacity_per_month"),
        offers_remote=_parse_bool(row, "offers_remote"),
        works_with_children=_parse_bool(row, "works_with_children"),
        contact_name=row.text("contact_name"), contact_email=row.text("contact_email"),
        contact_phone=row.text("contact_phone"), row_number=row.number,
    )


_GROUP_COLUMNS = ("external_id", "name", "kind", "description", "interests", "languages",
                  "postcode", "travel_radius_km", "availability", "capacity_per_month",
                  "offers_remote", "works_with_children", "contact_name", "contact_email",
                  "contact_phone")

_GROUPS = _Layout(
    name="groups",
    description="the groups CSV",
    columns={column: (column,) for column in _GROUP_COLUMNS},
    required=("name", "postcode"),
    build=_build_group,
    key_label="external_id",
)


# ---------------------------------------------------------------------------------------------
# Opening files


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DirectoryFormatError(
            f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")


@contextmanager
def _open_source(source: Source, max_bytes: int) -> Iterator[tuple[IO[bytes], str]]:
    """A seekable binary stream for the source, after checking its size; and its file name."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        _check_size(os.path.getsize(path), max_bytes)
        with open(path, "rb") as stream:
            yield stream, path
        return
    if isinstance(source, io.TextIOBase):
        raise TypeError("open the file in binary mode ('rb')")
    name = getattr(source, "filename", None) or getattr(source, "name", None)
    name = name if isinstance(name, str) else ""
    seekable = getattr(source, "seekable", lambda: False)()
    if seekable:
        start = source.tell()
        _check_size(source.seek(0, io.SEEK_END) - start, max_bytes)
        source.seek(start)
        yield source, name
        return
    # An upload stream that cannot seek: copy it, refusing to copy more than the limit.
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        copied = 0
        while chunk := source.read(_CHUNK):
            copied += len(chunk)
            _check_size(copied, max_bytes)
            spool.write(chunk)
        spool.seek(0)
        yield spool, name


def _sniff(stream: IO[bytes], name: str) -> str:
    """'ods', 'xlsx' or 'csv', from the first bytes (and the zip's contents)."""
    start = stream.tell()
    head = stream.read(4096)
    stream.seek(start)
    extension = os.path.splitext(name)[1].casefold()
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
        except zipfile.BadZipFile as error:
            raise DirectoryFormatError(f"the file is a damaged ZIP archive: {error}") from None
        finally:
            stream.seek(start)
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise DirectoryFormatError("the file is a ZIP archive but neither an ODS nor an XLSX "
                                   "spreadsheet")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DirectoryFormatError("old-style Excel (.xls) files are not supported: save it as "
                                   ".xlsx or CSV")
    if extension in {".ods", ".xlsx", ".xlsm", ".xls"}:
        raise DirectoryFormatError(f"the file is named {extension} but is not a spreadsheet")
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DirectoryFormatError("the file is binary, not a CSV text file")
    return "csv"


# Each reader yields (sheet name, 1-based row number, cell texts) for non-blank rows, sheet
# after sheet. CSV files have one unnamed sheet and number rows by their first line.
_Rows = Iterator[tuple[str | None, int, Sequence[str]]]


def _decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """Text lines of a CSV whatever its encoding, reading one line at a time."""
    head = stream.read(4)
    stream.seek(stream.tell() - len(head))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = io.TextIOWrapper(stream, encoding="utf-16", newline="")
        try:
            yield from text
        finally:
            text.detach()
        return
    first = True
    for raw in stream:
        if first:
            first = False
            # Some Windows-1252 files carry a UTF-8 BOM too: drop it before guessing per line.
            raw = raw.removeprefix(codecs.BOM_UTF8)
        # Decoded line by line so a Windows-1252 character deep in a 50 MB file still works;
        # genuine Windows-1252 text is almost never valid UTF-8 as well.
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                yield raw.decode("cp1252")
            except UnicodeDecodeError:
                yield raw.decode("latin-1")


def _csv_rows(stream: IO[bytes]) -> _Rows:
    reader = csv.reader(_decoded_lines(stream), strict=False)
    line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DirectoryFormatError(f"line {line + 1}: unreadable CSV ({error})") from None
        first_line, line = line + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield None, first_line, cells


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _check_unzipped_size(archive: zipfile.ZipFile, max_bytes: int) -> None:
    # Declared sizes are a hard bound: zipfile stops reading a member at its declared size.
    unzipped = sum(info.file_size for info in archive.infolist())
    if unzipped > max_bytes * _UNZIP_FACTOR:
        raise DirectoryFormatError(
            f"the spreadsheet unpacks to {unzipped / 1e6:.0f} MB, over the "
            f"{max_bytes * _UNZIP_FACTOR / 1e6:.0f} MB limit")


def _ordered_sheets(names: Sequence[str], preferred: Sequence[str]) -> list[str]:
    wanted = [n for p in preferred for n in names if n.strip().casefold() == p.casefold()]
    return wanted + [n for n in names if n not in wanted]


def _xlsx_rows(stream: IO[bytes], preferred: Sequence[str], max_bytes: int) -> _Rows:
    import openpyxl

    start = stream.tell()
    with zipfile.ZipFile(stream) as archive:
        _check_unzipped_size(archive, max_bytes)
    stream.seek(start)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl complains about harmless style quirks
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True,
                                          keep_links=False)
    except Exception as error:  # openpyxl raises many types for corrupt files
        raise DirectoryFormatError(f"cannot read the XLSX file: {error}") from None
    try:
        for sheet_name in _ordered_sheets(book.sheetnames, preferred):
            sheet = book[sheet_name]
            # A bogus <dimension> would otherwise pad every row to its width.
            sheet.reset_dimensions()
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > _MAX_SHEET_ROWS:
                    break
                cells = [_cell_text(v) for v in values[:_MAX_COLUMNS]]
                if any(c.strip() for c in cells):
                    yield sheet_name, number, cells
    finally:
        book.close()


_T = TABLENS + " "
_X = TEXTNS + " "
_O = OFFICENS + " "
_TABLE, _ROW = _T + "table", _T + "table-row"
_CELLS = {_T + "table-cell", _T + "covered-table-cell"}
_PARAGRAPHS = {_X + "p", _X + "h"}
_ANNOTATION = _O + "annotation"
_VALUE_ATTRIBUTES = tuple(_O + a for a in ("value", "date-value", "time-value",
                                           "boolean-value", "string-value"))


def _repeat(value: str | None, limit: int) -> int:
    try:
        return max(1, min(int(value), limit)) if value else 1
    except ValueError:
        return 1


class _OdsHandler:
    """Expat callbacks that turn content.xml into rows without expanding repeated blanks."""

    def __init__(self) -> None:
        # (sheet, first row number, times repeated, cells): repeats are expanded lazily.
        self.out: list[tuple[str | None, int, int, tuple[str, ...]]] = []
        self.sheet: str | None = None
        self.row_number = 0
        self.row_repeat = 1
        self.cells: list[str] | None = None
        self.blank_run = 0  # empty cells seen but not yet stored: trailing ones never are
        self.parts: list[str] | None = None
        self.cell_repeat = 1
        self.cell_value = ""
        self.paragraphs = 0
        self.in_paragraph = 0
        self.annotation = 0
        self.nested = 0  # tables inside cells are ignored

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.nested:
            self.nested += name == _TABLE
            return
        if self.parts is not None:
            if name == _ANNOTATION:
                self.annotation += 1
            elif self.annotation:
                return
            elif name in _PARAGRAPHS:
                if self.paragraphs:
                    self.parts.append("\n")
                self.paragraphs += 1
                self.in_paragraph += 1
            elif name == _X + "s":
                self.parts.append(" " * _repeat(attrs.get(_X + "c"), 1000))
            elif name == _X + "tab":
                self.parts.append("\t")
            elif name == _X + "line-break":
                self.parts.append("\n")
            elif name == _TABLE:
                self.nested = 1
            return
        if name == _TABLE:
            self.sheet = attrs.get(_T + "name", "")
            self.row_number = 0
        elif name == _ROW:
            self.row_repeat = _repeat(attrs.get(_T + "number-rows-repeated"), _MAX_SHEET_ROWS)
            self.cells = []
            self.blank_run = 0
        elif name in _CELLS and self.cells is not None:
            self.cell_repeat = _repeat(attrs.get(_T + "number-columns-repeated"), _MAX_COLUMNS)
            self.parts = []
            self.paragraphs = 0
            self.cell_value = next((attrs[a] for a in _VALUE_ATTRIBUTES if a in attrs), "")

    def end(self, name: str) -> None:
        if self.nested:
            self.nested -= name == _TABLE
            return
        if self.parts is not None:
            if name == _ANNOTATION:
                self.annotation -= 1
            elif self.annotation:
                return
            elif name in _PARAGRAPHS:
                self.in_paragraph -= 1
            elif name in _CELLS:
                self._end_cell()
            return
        if name == _ROW and self.cells is not None:
            if self.cells:
                repeat = min(self.row_repeat, _MAX_SHEET_ROWS - self.row_number)
                self.out.append((self.sheet, self.row_number + 1, repeat, tuple(self.cells)))
            self.row_number = min(self.row_number + self.row_repeat, _MAX_SHEET_ROWS)
            self.cells = None

    def _end_cell(self) -> None:
        # Narrows the types for the checker (bandit B101): cells and parts are set on
        # entering a row and a cell ends only inside one; run with -O, the next line fails
        # just as loudly.
        assert self.cells is not None and self.parts is not None  # nosec B101
        text = "".join(self.parts) if self.paragraphs else self.cell_value
        self.parts = None
        if not text.strip():
            self.blank_run += self.cell_repeat
            return
        room = _MAX_COLUMNS - len(self.cells)
        blanks = min(self.blank_run, room)
        self.cells.extend([""] * blanks)
        self.blank_run = 0
        self.cells.extend([text] * min(self.cell_repeat, room - blanks))

    def data(self, text: str) -> None:
        if self.parts is not None and self.in_paragraph and not self.annotation \
                and not self.nested:
            self.parts.append(text)


def _refuse_doctype(*_args: object) -> None:
    # content.xml never needs a DTD; refusing one rules out entity-expansion attacks.
    raise DirectoryFormatError("the ODS file declares a DTD, which is not allowed")


def _ods_rows(stream: IO[bytes], max_bytes: int) -> _Rows:
    with zipfile.ZipFile(stream) as archive:
        _check_unzipped_size(archive, max_bytes)
        if "content.xml" not in archive.namelist():
            raise DirectoryFormatError("the ODS file has no content.xml")
        handler = _OdsHandler()
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.data
        with archive.open("content.xml") as content:
            final = False
            while not final:
                chunk = content.read(_CHUNK)
                final = not chunk
                try:
                    parser.Parse(chunk, final)
                except expat.ExpatError as error:
                    raise DirectoryFormatError(f"the ODS file is corrupt: {error}") from None
                runs, handler.out = handler.out, []
                for sheet, first, repeat, cells in runs:
                    for number in range(first, first + repeat):
                        yield sheet, number, cells


# ---------------------------------------------------------------------------------------------
# Header detection and the row loop


def _resolve(layout: _Layout, header: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    for name, aliases in layout.columns.items():
        for alias in aliases:
            position = header.get(_norm(alias))
            if position is not None:
                index[name] = position
                break
    missing = [layout.columns[name][0] for name in layout.required if name not in index]
    return index, missing


@dataclass
class _Header:
    layout: _Layout
    index: dict[str, int]
    labels: dict[str, str]
    sheet: str | None
    row: int


def _where(sheet: str | None, row: int) -> str:
    return f"row {row}" + (f" of sheet {sheet!r}" if sheet else "")


def _header_error(layouts: Sequence[_Layout], best: tuple | None, container: str) -> str:
    scope = "rows" if container == "csv" else "rows of each sheet"
    if best is None:
        expected = "; or ".join(
            f"{layout.description}: " + ", ".join(
                repr(layout.columns[name][0]) for name in layout.required)
            for layout in layouts)
        return (f"no header row found in the first {HEADER_SEARCH_ROWS} {scope}; expected "
                f"the columns of {expected}")
    _, missing, layout, sheet, row = best
    return (f"the header does not match {layout.description}: missing columns "
            + ", ".join(repr(m) for m in missing)
            + f" (closest header: {_where(sheet, row)}; looked at the first "
            f"{HEADER_SEARCH_ROWS} {scope})")


def _find_header(rows: _Rows, layouts: Sequence[_Layout], container: str
                 ) -> tuple[_Header, _Rows]:
    best = None
    for sheet, number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            if container == "csv":
                break
            continue  # later rows of a sheet without a header: wait for the next sheet
        header: dict[str, int] = {}
        for position, cell in enumerate(cells):
            header.setdefault(_norm(cell), position)
        header.pop("", None)
        for layout in layouts:
            index, missing = _resolve(layout, header)
            if not missing:
                labels = {name: cells[i].strip() for name, i in index.items()}
                return _Header(layout, index, labels, sheet, number), rows
            matched = len(layout.required) - len(missing)
            if matched and (best is None or len(missing) < best[0]):
                best = (len(missing), missing, layout, sheet, number)
    raise DirectoryFormatError(_header_error(layouts, best, container))


def _reject(result: ParseResult, rejection: Rejection) -> None:
    result.rejected_count += 1
    if len(result.rejected) < MAX_REPORTED_REJECTIONS:
        result.rejected.append(rejection)


def _parse(source: Source, layouts: Sequence[_Layout], max_bytes: int,
           key: Callable[[object], str | None], on_record: Callable[[T], None] | None
           ) -> ParseResult[T]:
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    preferred = [sheet for layout in layouts for sheet in layout.sheets]
    with _open_source(source, max_bytes) as (stream, name):
        container = _sniff(stream, name)
        if container == "csv":
            rows = _csv_rows(stream)
        elif container == "xlsx":
            rows = _xlsx_rows(stream, preferred, max_bytes)
        else:
            rows = _ods_rows(stream, max_bytes)
        try:
            header, rows = _find_header(rows, layouts, container)
            result: ParseResult[T] = ParseResult(layout=header.layout.name,
                                                 container=container, sheet=header.sheet,
                                                 header_row=header.row)
            _read_records(rows, header, result, key, on_record)
        finally:
            rows.close()
    return result


def _read_records(rows: _Rows, header: _Header, result: ParseResult,
                  key: Callable[[object], str | None], on_record: Callable | None) -> None:
    seen: dict[str, int] = {}
    build = header.layout.build
    for sheet, number, cells in rows:
        if sheet != header.sheet:
            break  # only the sheet holding the header is read
        row = _Row(cells, header.index, header.labels, number)
        try:
            record = build(row)
        except _RowError as error:
            _reject(result, Rejection(number, str(error)))
            continue
        if record is None:
            result.skipped += 1
            continue
        record_key = key(record)
        if record_key is not None:
            folded = record_key.casefold()
            first = seen.setdefault(folded, number)
            if first != number:
                label = header.layout.key_label
                if callable(label):
                    label = label(record)
                _reject(result, Rejection(
                    number, f"duplicate of row {first} (same {label} {record_key!r})"))
                continue
        result.record_count += 1
        if on_record is None:
            result.records.append(record)
        else:
            on_record(record)


# ---------------------------------------------------------------------------------------------
# Public API


def parse_care_homes(path_or_file: Source, fmt: str | None = None, *,
                     max_bytes: int = DEFAULT_MAX_BYTES,
                     on_record: Callable[[DirectoryRecord], None] | None = None,
                     ) -> ParseResult[DirectoryRecord]:
    """Parse a regulator's directory (or our care-home CSV) into care-home records.

    ``fmt`` is one of :data:`FORMATS`, or None to recognise the layout from its header.
    ``path_or_file`` is a path or a binary file object. Rows that are not care homes are
    counted in ``skipped``; unusable rows become rejections. With ``on_record`` each record is
    handed over as soon as it is read instead of being kept, so memory stays flat however
    large the file. Raises :class:`DirectoryFormatError` if the file is over ``max_bytes``,
    unreadable, or has no header row with the format's required columns; OSError if the
    path cannot be opened.
    """
    if fmt is None:
        layouts = _ALL_LAYOUTS
    else:
        layouts = _LAYOUTS.get(fmt.strip().casefold().replace("_", "-"))
        if layouts is None:
            raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return _parse(path_or_file, layouts, max_bytes, lambda r: r.natural_key, on_record)


def parse_groups_csv(path_or_file: Source, *, max_bytes: int = DEFAULT_MAX_BYTES,
                     on_record: Callable[[GroupRecord], None] | None = None,
                     ) -> ParseResult[GroupRecord]:
    """Parse the community groups CSV (see the module docstring for its columns).

    Rows repeating an earlier row's ``external_id`` are rejected. An XLSX or ODS file with the
    same columns is accepted too. Raises :class:`DirectoryFormatError` like
    :func:`parse_care_homes`.
    """
    return _parse(path_or_file, (_GROUPS,), max_bytes, lambda r: r.external_id, on_record)


_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_cell(value: T) -> T:
    """Make a text cell safe for a CSV export by prefixing ``'`` to formula-like text.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return (OWASP's list) could
    run as a formula when the CSV is opened in a spreadsheet. Leading spaces are looked past
    too, since some spreadsheets trim them on import. Other values are returned unchanged.
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA_TRIGGERS):
        return "'" + value  # type: ignore[return-value]
    return value
