"""Open Referral UK: publish approved groups as HSDS 3 services, and load an ORUK export.

**Feed.** Each approved group is one ``service`` with its ``organization`` (the group
itself), one ``service_at_location`` holding a ``location`` (latitude, longitude and
address), the ``languages`` it speaks, ``schedules`` from its availability, a
``service_area`` for its travel radius, and ``attributes`` linking taxonomy terms: its
activities (``kith:activities``), its kind (``kith:partner-kinds``) and remote contact
(``kith:delivery``). Identifiers are UUIDs that encode the group id, so they are stable and
``/services/<id>`` can find the group without a lookup table.

Nothing private is published: no contact person, e-mail address or phone number. Partners
that may be private individuals (kinds ``volunteer``, ``pet_walkers`` and ``other``) are
placed only by their postcode district, with coordinates rounded to about a kilometre.

**Import.** :func:`import_oruk` reads an ORUK JSON export (the paged envelope or a plain list
of services) and loads each service as a *pending* group (source ``oruk``) for a coordinator
to review, keyed ``oruk:<service id>`` so a second import updates instead of duplicating.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import uuid
from collections.abc import Iterable
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ..directories import DEFAULT_MAX_BYTES, DirectoryFormatError
from ..domain import catalogue
from ..domain.geocoding import PostcodeIndex
from ..domain.languages import UnknownLanguage, normalise_language
from ..domain.postcodes import InvalidPostcode, parse_postcode
from ..models import CommunityGroup
from . import audit
from .imports import ImportReport, _schema_errors, _upsert_groups, geocode_all

PROFILE_URL = "https://openreferral.org.uk/"
HSDS_VERSION = "3.0"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
# Kinds that may be one person rather than an organisation: shown only by postcode district.
PRIVATE_KINDS = catalogue.PRIVATE_KINDS
_TERM_NAMESPACE = uuid.UUID("6b697468-7465-4d00-8000-000000000000")

_OBJECT_CODES = {"service": 1, "organization": 2, "location": 3, "service_at_location": 4,
                 "address": 5, "language": 6, "schedule": 7, "attribute": 8,
                 "service_area": 9}
_ID_PATTERN = re.compile(r"^6b697468-0001-4000-8000-([0-9a-f]{12})$")

_DAYS = {day.code: day for day in catalogue.DAYS}
_PARTS = {part.code: part for part in catalogue.DAY_PARTS}
_NATION_NAMES = catalogue.labels(catalogue.NATIONS)


def object_id(kind: str, group_id: int, sub: int = 0) -> str:
    """A stable UUID for one object of a group's service (``sub`` numbers repeated ones)."""
    return f"6b697468-{_OBJECT_CODES[kind]:04x}-4{sub:03x}-8000-{group_id:012x}"


def group_id_from_service_id(text: str) -> int | None:
    """The group id a service id stands for (a plain number is accepted too), or None."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    match = _ID_PATTERN.match(text)
    return int(match.group(1), 16) if match else None


def term_id(taxonomy: str, name: str) -> str:
    return str(uuid.uuid5(_TERM_NAMESPACE, f"{taxonomy}:{name.casefold()}"))


# --- the feed --------------------------------------------------------------------------------

def feed_query(text: str | None = None, kind: str | None = None) -> Select:
    """Approved groups, oldest first, optionally searched by name or description."""
    query = select(CommunityGroup).where(CommunityGroup.status == "approved")
    if text:
        needle = text.strip().lower()
        query = query.where(or_(func.lower(CommunityGroup.name).contains(needle, autoescape=True),
                                func.lower(CommunityGroup.description).contains(
                                    needle, autoescape=True)))
    if kind:
        query = query.where(CommunityGroup.kind == kind)
    return query.order_by(CommunityGroup.id)


def page_envelope(contents: list[dict], total: int, page: int, per_page: int) -> dict[str, Any]:
    """The ORUK paged envelope."""
    pages = math.ceil(total / per_page) if per_page else 0
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": per_page,
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not contents,
        "contents": contents,
    }


def _timestamp(value) -> str | None:
    if value is None:
        return None
    text = value.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if text.endswith("+00:00") else text + (
        "" if value.tzinfo else "Z")


def _term(taxonomy: str, name: str, description: str) -> dict[str, Any]:
    return {"id": term_id(taxonomy, name), "code": name.casefold().replace(" ", "-"),
            "name": name, "description": description, "taxonomy": taxonomy,
            "parent_id": None, "language": "en"}


def _attributes(group: CommunityGroup, service_id: str) -> list[dict[str, Any]]:
    terms = [_term("kith:partner-kinds", group.kind.replace("_", " "),
                   "The kind of community partner.")]
    terms += [_term("kith:activities", interest, "An activity the partner offers or enjoys.")
              for interest in group.interests or []]
    if group.offers_remote:
        modes = ", ".join(group.remote_modes or []) or "remote contact"
        terms.append(_term("kith:delivery", "remote contact", f"Offers {modes}."))
    return [{
        "id": object_id("attribute", group.id, i),
        "link_id": service_id,
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "value": None,
        "taxonomy_term": term,
    } for i, term in enumerate(terms)]


def _schedules(group: CommunityGroup, service_id: str) -> list[dict[str, Any]]:
    out = []
    for i, slot in enumerate(group.availability or []):
        day, _, part = slot.partition("_")
        if day not in _DAYS or part not in _PARTS:
            continue
        code, day_name = _DAYS[day].ical, _DAYS[day].label
        opens, closes, part_name = _PARTS[part].opens, _PARTS[part].closes, _PARTS[part].plural
        out.append({
            "id": object_id("schedule", group.id, i),
            "service_id": service_id,
            "freq": "WEEKLY",
            "interval": 1,
            "byday": code,
            "opens_at": opens,
            "closes_at": closes,
            "description": f"Available on {day_name} {part_name}.",
        })
    return out


def _location(group: CommunityGroup) -> dict[str, Any]:
    location_id = object_id("location", group.id)
    private = group.kind in PRIVATE_KINDS
    postcode = group.postcode
    lat, lon = group.lat, group.lon
    if private:
        try:
            postcode = parse_postcode(group.postcode).district
        except InvalidPostcode:
            postcode = group.postcode.split()[0]
        lat, lon = round(lat, 2), round(lon, 2)
    place = group.town or group.local_authority_name or ""
    return {
        "id": location_id,
        "location_type": "physical",
        "name": f"{group.name}, {place}" if place else group.name,
        "description": "Approximate area (postcode district)." if private else None,
        "latitude": lat,
        "longitude": lon,
        "addresses": [{
            "id": object_id("address", group.id),
            "location_id": location_id,
            "address_1": place,
            "city": group.town or group.local_authority_name or "",
            "region": group.local_authority_name,
            "state_province": _NATION_NAMES.get(group.nation, group.nation),
            "postal_code": postcode,
            "country": "GB",
            "address_type": "physical",
        }],
    }


def service_document(group: CommunityGroup) -> dict[str, Any]:
    """One approved group as an HSDS 3 / ORUK service, without private contact details."""
    service_id = object_id("service", group.id)
    organisation_id = object_id("organization", group.id)
    location = _location(group)
    return {
        "id": service_id,
        "organization_id": organisation_id,
        "name": group.name,
        "description": group.description or group.name,
        "status": "active",
        "last_modified": _timestamp(group.updated_at),
        "organization": {
            "id": organisation_id,
            "name": group.name,
            "description": group.description or group.name,
        },
        "service_at_locations": [{
            "id": object_id("service_at_location", group.id),
            "service_id": service_id,
            "location_id": location["id"],
            "location": location,
        }],
        "languages": [{
            "id": object_id("language", group.id, i),
            "service_id": service_id,
            "name": lang.get("name"),
            "code": lang.get("tag"),
            "note": None,
        } for i, lang in enumerate(group.languages or [])],
        "schedules": _schedules(group, service_id),
        "service_areas": [{
            "id": object_id("service_area", group.id),
            "service_id": service_id,
            "name": f"Within {group.travel_radius_km:g} km",
            "description": f"Visits places within {group.travel_radius_km:g} km of "
                           f"{location['addresses'][0]['postal_code']}.",
            "extent_type": "other",
        }],
        "attributes": _attributes(group, service_id),
        "contacts": [],
        "phones": [],
    }


# --- import ----------------------------------------------------------------------------------

_KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = catalogue.kind_patterns()


def guess_kind(name: str, terms: Iterable[str]) -> str:
    """The group kind suggested by a service's taxonomy terms, else its name, else other."""
    terms = list(terms)
    for text in (" ; ".join(terms), name):
        for kind, pattern in _KIND_PATTERNS:
            if pattern.search(text):
                return kind
    return "other"


class OrukFormatError(DirectoryFormatError):
    """The file is not an ORUK export."""


def _read_json(source: Any, max_bytes: int) -> Any:
    if isinstance(source, (str, os.PathLike)):
        size = os.path.getsize(source)
        if size > max_bytes:
            raise OrukFormatError(f"the file is {size / 1e6:.1f} MB, over the "
                                  f"{max_bytes / 1e6:.1f} MB limit")
        with open(source, "rb") as handle:
            raw = handle.read()
    else:
        raw = source.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise OrukFormatError(f"the file is over the {max_bytes / 1e6:.1f} MB limit")
    try:
        return json.load(io.BytesIO(raw))
    except (ValueError, RecursionError) as error:
        raise OrukFormatError(f"the file is not valid JSON: {error}") from None


def services_in(document: Any) -> tuple[list[Any], list[str]]:
    """The services of an ORUK export and notes about it (e.g. "page 1 of 3")."""
    notes = []
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        pages = document.get("total_pages")
        page = document.get("page_number")
        if isinstance(pages, int) and pages > 1:
            notes.append(f"The file holds page {page} of {pages}: import the other pages too.")
        return document["contents"], notes
    if isinstance(document, list):
        return document, notes
    if isinstance(document, dict) and "id" in document and "name" in document:
        return [document], notes
    raise OrukFormatError("this is not an ORUK export: expected a list of services or a "
                          "paged envelope with 'contents'")


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _dicts(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _locations(service: dict) -> list[dict]:
    found = [sal.get("location") for sal in _dicts(service.get("service_at_locations"))]
    found += _dicts(service.get("locations"))
    organisation = service.get("organization")
    if isinstance(organisation, dict):
        found += _dicts(organisation.get("locations"))
    return [loc for loc in found if isinstance(loc, dict)]


def _address(service: dict) -> tuple[str | None, str | None]:
    """The first postcode among the service's locations, and its town."""
    for location in _locations(service):
        for key in ("addresses", "physical_addresses", "postal_addresses"):
            for address in _dicts(location.get(key)):
                postcode = _text(address.get("postal_code"))
                if postcode:
                    return postcode, _text(address.get("city"))
    return None, None


def _terms(service: dict) -> list[str]:
    names = []
    for attribute in _dicts(service.get("attributes")):
        term = attribute.get("taxonomy_term")
        if isinstance(term, dict):
            names.append(_text(term.get("name")) or _text(term.get("term")))
    for link in _dicts(service.get("service_taxonomys")):  # ORUK 1.0
        taxonomy = link.get("taxonomy")
        if isinstance(taxonomy, dict):
            names.append(_text(taxonomy.get("name")))
    for term in _dicts(service.get("taxonomy_terms")):
        names.append(_text(term.get("name")) or _text(term.get("term")))
    return [n for n in dict.fromkeys(names) if n]


def _languages(service: dict) -> list[str]:
    out = []
    for entry in service.get("languages") or []:
        text = _text(entry) if not isinstance(entry, dict) else (
            _text(entry.get("code")) or _text(entry.get("name")) or _text(entry.get("language")))
        if not text:
            continue
        try:
            out.append(normalise_language(text).tag)
        except UnknownLanguage:
            continue  # a feed's odd language names are not worth refusing the service for
    return list(dict.fromkeys(out))


_DAY_CODES = {day.ical: day.code for day in catalogue.DAYS}
_DAY_WORDS = {day.label.casefold(): day.code for day in catalogue.DAYS}


def _hour(value: Any) -> int | None:
    text = _text(value)
    match = re.match(r"^(\d{1,2})[:.]", text or "")
    return int(match.group(1)) if match else None


def _availability(service: dict) -> list[str]:
    slots = []
    schedules = _dicts(service.get("schedules")) + _dicts(service.get("regular_schedules"))
    for schedule in schedules:
        days = []
        for part in (_text(schedule.get("byday")) or "").split(","):
            code = re.sub(r"^[+-]?\d+", "", part.strip().upper())
            if code in _DAY_CODES:
                days.append(_DAY_CODES[code])
        weekday = (_text(schedule.get("weekday")) or "").casefold()
        if weekday in _DAY_WORDS:
            days.append(_DAY_WORDS[weekday])
        opens, closes = _hour(schedule.get("opens_at")), _hour(schedule.get("closes_at"))
        parts = []
        if opens is None or opens < 12:
            parts.append("am")
        if (opens is None or opens < 17) and (closes is None or closes > 12):
            parts.append("pm")
        if (opens is not None and opens >= 17) or (closes is not None and closes > 18):
            parts.append("eve")
        slots += [f"{day}_{part}" for day in days for part in parts]
    return list(dict.fromkeys(slots))


def _contact(service: dict) -> dict[str, str]:
    contact: dict[str, str] = {}
    people = _dicts(service.get("contacts"))
    if people:
        name = _text(people[0].get("name"))
        if name and len(name) <= 200:
            contact["name"] = name
        phones = _dicts(people[0].get("phones"))
        if phones:
            contact["phone"] = _text(phones[0].get("number")) or ""
    email = _text(service.get("email")) or (_text(people[0].get("email")) if people else None)
    if email and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) and len(email) <= 254:
        contact["email"] = email
    if "phone" not in contact:
        phones = _dicts(service.get("phones"))
        if phones:
            contact["phone"] = _text(phones[0].get("number")) or ""
    phone = re.sub(r"[^0-9+() -]", "", contact.get("phone", "")).strip()
    if re.fullmatch(r"[0-9+() -]{6,20}", phone):
        contact["phone"] = phone
    else:
        contact.pop("phone", None)
    return contact


def _oruk_payload(service: dict, name: str, postcode: str, town: str | None) -> dict[str, Any]:
    description = _text(service.get("description")) or ""
    if len(description) > 5000:
        description = description[:4999] + "…"
    terms = _terms(service)
    interests = [t[:100] for t in terms][:50]
    payload: dict[str, Any] = {
        "name": name,
        "kind": guess_kind(name, terms),
        "description": description,
        "interests": interests,
        "languages": _languages(service),
        "postcode": postcode,
        "town": town[:100] if town else None,
        "availability": _availability(service) or None,
        "contact": _contact(service) or None,
        "consent": True,
    }
    return {k: v for k, v in payload.items() if v is not None}


def import_oruk(session: Session, index: PostcodeIndex, source: Any, schema: ma.Schema,
                actor: audit.Actor, *, skip_invalid: bool = False,
                max_bytes: int = DEFAULT_MAX_BYTES) -> ImportReport:
    """Load an ORUK JSON export as pending groups (row numbers count services from 1)."""
    services, notes = services_in(_read_json(source, max_bytes))
    report = ImportReport("ORUK services", layout="oruk", rows=len(services))
    report.notes.extend(notes)
    pending: list[tuple[int, str, dict[str, Any]]] = []
    for number, service in enumerate(services, start=1):
        if not isinstance(service, dict):
            report.reject(number, "not a service object")
            continue
        service_id, name = _text(service.get("id")), _text(service.get("name"))
        if not service_id or not name:
            report.reject(number, "a service needs an id and a name")
            continue
        status = (_text(service.get("status")) or "active").casefold()
        if status in ("inactive", "defunct"):
            report.skipped += 1
            continue
        if len(service_id) > 250:
            report.reject(number, "the service id is too long")
            continue
        postcode, town = _address(service)
        if not postcode:
            report.reject(number, f"service {service_id!r} has no location with a postcode")
            continue
        pending.append((number, service_id, _oruk_payload(service, name, postcode, town)))
    if report.skipped:
        report.notes.append(f"{report.skipped} inactive or defunct services were skipped.")
    places = geocode_all(index, [payload["postcode"] for _, _, payload in pending])
    valid = []
    for (number, service_id, payload), geo in zip(pending, places, strict=True):
        if isinstance(geo, str):
            report.reject(number, geo)
            continue
        try:
            data = schema.load(payload, unknown=ma.EXCLUDE)
        except ma.ValidationError as error:
            report.reject(number, _schema_errors(error))
            continue
        data.pop("postcode", None)
        data.pop("consent", None)
        valid.append((number, f"oruk:{service_id}", data, geo))
    if report.rejected_count and not skip_invalid:
        return report
    return _upsert_groups(session, report, valid, actor, status="pending", source="oruk",
                          skip_invalid=skip_invalid)
