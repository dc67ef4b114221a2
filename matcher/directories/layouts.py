"""Each regulator's column layout, and how one of its rows becomes a record.

Columns are found by name, compared after dropping case, spaces and punctuation
(:func:`normalise_header`), so ``ServiceType``, ``Service Type`` and ``service_type`` are the
same column. Directory formats (``fmt``), which rows count as care homes, and each record's
``natural_key``:

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
    Our own layout: comma-separated, UTF-8 (the other encodings that :mod:`.containers`
    reads are accepted too), one header row naming these columns in any order:

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

Only adult care homes are wanted (Kith introduces volunteers and school groups to older
people and other adults): the other rows are skipped, counted by reason (``Skip``): not care
homes; children's and young people's services (CQC: the ``Children 0-18 years`` user band
without an adult band, or a children's specialism without an adult one; Care Inspectorate: a
children's or young people's subtype, service type, client group or main area of care; CIW:
a children's service type or subtype; RQIA: a children's category); dormant services (CQC
``Dormant (Y/N)`` = ``Y``); services no longer active (Care Inspectorate ``ServiceStatus``,
CIW ``Service Status``).

``fmt=None`` recognises any of these layouts from the header; an explicit format that the
file does not have names the layout it does have.

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
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .records import NOT_A_CARE_HOME, DirectoryRecord, GroupRecord, RowError, Skip

FORMATS = ("cqc", "care-inspectorate", "ciw", "rqia", "csv")

# Longer cells are rejected rather than stored: no real name or address comes close.
MAX_CELL_CHARS = 4000


def normalise_header(header: str) -> str:
    """A header cell without case, spaces or punctuation, for comparing column names."""
    return re.sub(r"[^0-9a-z]+", "", header.casefold())


@dataclass(frozen=True)
class Layout:
    """One file layout: its columns, which are required, and how a row becomes a record."""

    name: str
    description: str
    columns: dict[str, tuple[str, ...]]  # field -> accepted headers, preferred spelling first
    required: tuple[str, ...]
    build: Callable[[Row], object | None]  # record, or None / a Skip when not wanted
    key_label: str | Callable[[object], str]  # names the key in duplicate reasons
    sheets: tuple[str, ...] = ()
    regulator: str | None = None  # whose register the layout is


class Row:
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
            raise RowError(f"{self.label(name)}: longer than {MAX_CELL_CHARS} characters")
        return value

    def text(self, name: str) -> str | None:
        """Like get(), but blank becomes None."""
        return self.get(name) or None

    def label(self, name: str) -> str:
        return f"column {self.labels.get(name, name)!r}"

    def need(self, name: str, what: str) -> str:
        value = self.get(name)
        if not value:
            raise RowError(f"missing {what} ({self.label(name)})")
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
        raise RowError(f"{label}: {value!r} is not a whole number") from None
    if not math.isfinite(number) or not number.is_integer():
        raise RowError(f"{label}: {value!r} is not a whole number")
    if not 0 <= number <= 100_000:
        raise RowError(f"{label}: {value!r} is out of range")
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


def _record(row: Row, regulator: str | None, *, external_id: str | None, natural_key: str,
            name: str, postcode: str, **fields: object) -> DirectoryRecord:
    values = {
        "address_line1": None, "address_line2": None, "town": None, "local_authority": None,
        "places": None, "nursing": None, "dementia": None, "older_people": None, "phone": None,
    }
    values.update(fields)
    return DirectoryRecord(regulator=regulator, external_id=external_id,
                           natural_key=natural_key, name=name, postcode=postcode,
                           row_number=row.number, **values)


# Why a valid row is left out: Kith introduces volunteers and school groups to older people
# and other adults in care homes, never to children's services.
CHILDREN = Skip("children's and young people's services")
DORMANT = Skip("dormant services")
INACTIVE = Skip("services no longer active")
_CHILDREN_WORDS = re.compile(r"\b(?:child|children|young people|young persons?)\b", re.I)


def _for_children(*texts: str | None) -> bool:
    return any(_CHILDREN_WORDS.search(text or "") for text in texts)


def _build_cqc_hsca(row: Row) -> DirectoryRecord | Skip:
    if (row.get("care_home") or "").casefold() not in {"y", "yes"}:
        return NOT_A_CARE_HOME
    if _flag(row.get("dormant")):
        return DORMANT
    adults = any(_flag(row.get(band)) for band in ("older_people", "younger_adults",
                                                   "whole_population"))
    if _flag(row.get("children")) and not adults:
        return CHILDREN
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


def _build_cqc_directory(row: Row) -> DirectoryRecord | Skip:
    types = {t.casefold() for t in _split(row.get("service_types"), "|")}
    if not types & {"residential homes", "nursing homes"}:
        return NOT_A_CARE_HOME
    specialisms = row.get("specialisms")
    wanted = {s.casefold() for s in _split(specialisms, "|")}
    if any(_for_children(s) for s in wanted) and not any("adults" in s for s in wanted):
        return CHILDREN
    location_id = row.need("id", "CQC Location ID")
    name = row.need("name", "name")
    postcode = row.need("postcode", "postcode")
    # "7-9 White Kennet Street,London": the town is the last part when there are several.
    parts = _split(row.get("address"), ",")
    town = parts.pop() if len(parts) > 1 else None
    return _record(
        row, "cqc", external_id=location_id, natural_key=location_id, name=name,
        postcode=postcode, address_line1=parts[0] if parts else None,
        address_line2=_join(*parts[1:]), town=town,
        local_authority=row.text("local_authority"), nursing="nursing homes" in types,
        dementia=None if specialisms is None else "dementia" in wanted,
        older_people=None if specialisms is None else "caring for adults over 65 yrs" in wanted,
        phone=_phone(row.get("phone")),
    )


def _build_care_inspectorate(row: Row) -> DirectoryRecord | Skip:
    if (row.get("care_service") or "").casefold() != "care home service":
        return NOT_A_CARE_HOME
    if (row.get("status") or "").casefold() != "active":
        return INACTIVE
    # "Children & Young People" (subtype), "Care Homes for Children and Young People"
    # (service type), a children's client group or main area of care.
    if _for_children(row.get("subtype"), row.get("service_type"), row.get("client_group"),
                     row.get("main_area")):
        return CHILDREN
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


def _build_ciw(row: Row) -> DirectoryRecord | Skip:
    service_type = row.get("service_type")
    if service_type and "care home" not in service_type.casefold():
        return NOT_A_CARE_HOME
    status = row.get("status")
    if status and status.casefold() not in {"active", "registered"}:
        return INACTIVE
    if _for_children(service_type, row.get("subtype")):
        return CHILDREN
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


def _build_rqia(row: Row) -> DirectoryRecord | Skip:
    category = _rqia_category(row.get("category") or "")
    if category is None:
        return CHILDREN if _for_children(row.get("category")) else NOT_A_CARE_HOME
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


def _build_generic(row: Row) -> DirectoryRecord:
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


_CQC_HSCA = Layout(
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
        "younger_adults": ("Service user band - Younger Adults",),
        "whole_population": ("Service user band - Whole Population",),
        "children": ("Service user band - Children 0-18 years",
                     "Service user band - Children 0-18yrs"),
        "dormant": ("Dormant (Y/N)", "Dormant"),
    },
    required=("id", "name", "care_home", "postcode"),
    build=_build_cqc_hsca,
    key_label="Location ID",
    sheets=("HSCA_Active_Locations", "HSCA Active Locations"),
    regulator="cqc",
)

_CQC_DIRECTORY = Layout(
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
    regulator="cqc",
)

_CARE_INSPECTORATE = Layout(
    name="care-inspectorate",
    description="the Care Inspectorate datastore",
    columns={
        "id": ("CSNumber",),
        "name": ("ServiceName",),
        "care_service": ("CareService",),
        "status": ("ServiceStatus",),
        "postcode": ("Service_Postcode",),
        "subtype": ("Subtype",),
        "service_type": ("ServiceType", "Service Type"),
        "client_group": ("Client_group",),
        "main_area": ("CareHome_Main_Area_of_Care",),
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
    regulator="care_inspectorate",
)

_CIW = Layout(
    name="ciw",
    description="the CIW list of adult care homes",
    columns={
        "name": ("Service Name",),
        "postcode": ("Service Address Postcode",),
        "subtype": ("Service Sub Type",),
        "service_type": ("Service Type",),
        "status": ("Service Status",),
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
    regulator="ciw",
)

_RQIA = Layout(
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
    regulator="rqia",
)

_GENERIC = Layout(
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

LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "cqc": (_CQC_HSCA, _CQC_DIRECTORY),
    "care-inspectorate": (_CARE_INSPECTORATE,),
    "ciw": (_CIW,),
    "rqia": (_RQIA,),
    "csv": (_GENERIC,),
}
# Most specific first: a generic name+postcode header would also match the CQC directory CSV.
ALL_LAYOUTS = (_CQC_HSCA, _CQC_DIRECTORY, _CARE_INSPECTORATE, _CIW, _RQIA, _GENERIC)


def _parse_bool(row: Row, name: str) -> bool | None:
    value = row.get(name)
    if not value:
        return None
    folded = value.casefold()
    if folded in {"yes", "y", "true", "1"}:
        return True
    if folded in {"no", "n", "false", "0"}:
        return False
    raise RowError(f"{row.label(name)}: {value!r} is not yes or no")


def _parse_radius(row: Row) -> float | None:
    value = row.get("travel_radius_km")
    if not value:
        return None
    try:
        radius = float(value)
    except ValueError:
        raise RowError(f"{row.label('travel_radius_km')}: {value!r} is not a number") from None
    if not math.isfinite(radius) or radius < 0:
        raise RowError(f"{row.label('travel_radius_km')}: {value!r} is out of range")
    return radius


def _build_group(row: Row) -> GroupRecord:
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
        preferred_language=_parse_correspondence(row),
    )


# The language Kith writes to a group in, by its code or its name in either language.
_CORRESPONDENCE = {"cy": "cy", "welsh": "cy", "cymraeg": "cy",
                   "en": "en", "english": "en", "saesneg": "en"}


def _parse_correspondence(row: Row) -> str | None:
    value = row.get("preferred_language")
    if not value:
        return None
    code = _CORRESPONDENCE.get(value.strip().casefold())
    if code is None:
        raise RowError(f"{row.label('preferred_language')}: {value!r} is not cy (Welsh) or "
                       "en (English)")
    return code


_GROUP_COLUMNS = ("external_id", "name", "kind", "description", "interests", "languages",
                  "postcode", "travel_radius_km", "availability", "capacity_per_month",
                  "offers_remote", "works_with_children", "contact_name", "contact_email",
                  "contact_phone", "preferred_language")

GROUPS = Layout(
    name="groups",
    description="the groups CSV",
    columns={column: (column,) for column in _GROUP_COLUMNS},
    required=("name", "postcode"),
    build=_build_group,
    key_label="external_id",
)


# ---------------------------------------------------------------------------------------------
