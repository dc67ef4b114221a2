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

import datetime as dt
import io
import json
import math
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, Text, cast, false, func, literal, or_, select
from sqlalchemy.orm import Session

from ..directories import DEFAULT_MAX_BYTES, DirectoryFormatError
from ..domain import catalogue
from ..domain.geo import EARTH_RADIUS_KM, bounding_box
from ..domain.geocoding import PostcodeIndex
from ..domain.languages import UnknownLanguage, normalise_language
from ..domain.postcodes import InvalidPostcode, parse_postcode
from ..models import CommunityGroup
from ..schemas.fields import MAX_ID
from . import audit
from .imports import ImportReport, _schema_errors, _upsert_groups, geocode_all

PROFILE_URL = "https://github.com/openreferral/uk-profile"
HSDS_VERSION = "3.0"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
# The widest travel radius a group may give: the box that pre-filters "covers this postcode".
MAX_RADIUS_KM = 200.0
# Kinds that may be one person rather than an organisation: shown only by postcode district.
PRIVATE_KINDS = catalogue.PRIVATE_KINDS
_TERM_NAMESPACE = uuid.UUID("6b697468-7465-4d00-8000-000000000000")

_OBJECT_CODES = {"service": 1, "organization": 2, "location": 3, "service_at_location": 4,
                 "address": 5, "language": 6, "schedule": 7, "attribute": 8,
                 "service_area": 9}
_ID_PATTERN = re.compile(r"^6b697468-([0-9a-f]{4})-4000-8000-([0-9a-f]{12})$")

_DAYS = {day.code: day for day in catalogue.DAYS}
_PARTS = {part.code: part for part in catalogue.DAY_PARTS}
_NATION_NAMES = catalogue.labels(catalogue.NATIONS)


def object_id(kind: str, group_id: int, sub: int = 0) -> str:
    """A stable UUID for one object of a group's service (``sub`` numbers repeated ones)."""
    return f"6b697468-{_OBJECT_CODES[kind]:04x}-4{sub:03x}-8000-{group_id:012x}"


def group_id_from_object_id(kind: str, text: str) -> int | None:
    """The group id an object id of ``kind`` stands for (a plain number too), or None."""
    text = text.strip().lower()
    if text.isascii() and text.isdigit():  # not "²" or "٣": digits to Python, not numbers
        return int(text)
    match = _ID_PATTERN.match(text)
    if not match or int(match.group(1), 16) != _OBJECT_CODES[kind]:
        return None
    return int(match.group(2), 16)


def group_id_from_service_id(text: str) -> int | None:
    """The group id a service id stands for (a plain number is accepted too), or None."""
    return group_id_from_object_id("service", text)


def term_id(taxonomy: str, name: str) -> str:
    return str(uuid.uuid5(_TERM_NAMESPACE, f"{taxonomy}:{name.casefold()}"))


# --- the feed --------------------------------------------------------------------------------

TAXONOMIES: dict[str, str] = {
    "kith:partner-kinds": "The kinds of community partner Kith introduces to care homes.",
    "kith:activities": "Activities a partner offers or enjoys with older people.",
    "kith:delivery": "How a partner can meet residents other than in person.",
    "kith:reach": "How far a partner travels to visit and how often it can come; the "
                  "attribute's value holds the number.",
}
_TERM_DESCRIPTIONS = {
    "kith:partner-kinds": "The kind of community partner.",
    "kith:activities": "An activity the partner offers or enjoys.",
    "kith:delivery": "The partner also meets residents remotely.",
    "kith:reach": "A number about the partner's visits, in the attribute's value.",
}
REMOTE_TERM = "remote contact"
# kith:reach terms: the attribute's value is the travel radius in kilometres, or the visits
# a month the partner can make. They let another system (and Kith) load the feed back whole.
RADIUS_TERM = "travel radius km"
CAPACITY_TERM = "visits per month"
_REACH_DESCRIPTIONS = {
    RADIUS_TERM: "How far the partner travels to visit: the value is in kilometres.",
    CAPACITY_TERM: "How many visits a month the partner can make: the value is a number.",
}


def taxonomy_id(name: str) -> str:
    """The stable UUID of one of Kith's taxonomies."""
    return str(uuid.uuid5(_TERM_NAMESPACE, f"taxonomy:{name}"))


def _kind_term(kind: str) -> str:
    return kind.replace("_", " ")


@dataclass(frozen=True)
class FeedFilter:
    """What a feed request asks for (every part optional).

    ``terms`` holds the group conditions a ``taxonomy_term_id`` or ``taxonomy_id`` stands for
    (None: no such filter; an empty tuple: the id is unknown, so nothing matches); ``near`` is
    (latitude, longitude, radius in km, or None for "within the partner's own travel radius").
    """

    search: str | None = None
    kind: str | None = None
    modified_after: dt.datetime | None = None
    terms: tuple | None = None
    near: tuple[float, float, float | None] | None = None


def activity_names(session: Session) -> list[str]:
    """Every activity approved groups list, each once (first spelling), in alphabetical order."""
    names: dict[str, str] = {}
    for interests in session.scalars(select(CommunityGroup.interests).where(
            CommunityGroup.status == "approved")):
        for name in interests or []:
            names.setdefault(name.casefold(), name)
    return sorted(names.values(), key=str.casefold)


def all_terms(session: Session) -> list[tuple[str, str]]:
    """Every (taxonomy, term name) the feed can publish: kinds, delivery, then activities."""
    terms = [("kith:partner-kinds", _kind_term(kind)) for kind in catalogue.codes(
        catalogue.GROUP_KINDS)]
    terms.append(("kith:delivery", REMOTE_TERM))
    terms += [("kith:reach", RADIUS_TERM), ("kith:reach", CAPACITY_TERM)]
    terms += [("kith:activities", name) for name in activity_names(session)]
    return terms


def find_term(session: Session, wanted: str) -> tuple[str, str] | None:
    """The (taxonomy, name) of the term with id ``wanted``, or None."""
    wanted = wanted.strip().lower()
    for taxonomy, name in all_terms(session):
        if term_id(taxonomy, name) == wanted:
            return taxonomy, name
    return None


def _term_condition(taxonomy: str, name: str | None, session: Session):
    """The groups that carry a term (or, with ``name`` None, any term of the taxonomy)."""
    if taxonomy == "kith:partner-kinds":
        if name is None:
            return CommunityGroup.id.isnot(None)
        kinds = [k for k in catalogue.codes(catalogue.GROUP_KINDS) if _kind_term(k) == name]
        return CommunityGroup.kind.in_(kinds)
    if taxonomy == "kith:delivery":
        return CommunityGroup.offers_remote.is_(True)
    if taxonomy == "kith:reach":
        if name == CAPACITY_TERM:
            return CommunityGroup.capacity_per_month.isnot(None)
        return CommunityGroup.id.isnot(None)  # every group has a travel radius
    interests = cast(CommunityGroup.interests, Text)
    if name is None:
        return interests.notin_(["[]", "null"])
    # The column holds the JSON list as text on both databases: match the quoted item, in
    # every spelling that folds to the same term.
    spellings = [n for n in activity_names(session) if n.casefold() == name.casefold()]
    return or_(*(interests.contains(json.dumps(n), autoescape=True) for n in spellings))


def term_filter(session: Session, *, term: str | None = None,
                taxonomy: str | None = None) -> tuple | None:
    """The conditions for the ``taxonomy_term_id`` and ``taxonomy_id`` parameters."""
    conditions: list = []
    if term is not None:
        found = find_term(session, term)
        if found is None:
            return ()
        conditions.append(_term_condition(*found, session))
    if taxonomy is not None:
        names = [name for name in TAXONOMIES if taxonomy_id(name) == taxonomy.strip().lower()]
        if not names:
            return ()
        conditions.append(_term_condition(names[0], None, session))
    return tuple(conditions) if conditions else None


def feed_query(text: str | None = None, kind: str | None = None,
               where: FeedFilter | None = None) -> Select:
    """Approved groups, oldest first, narrowed by a :class:`FeedFilter`."""
    where = where or FeedFilter(search=text, kind=kind)
    query = select(CommunityGroup).where(CommunityGroup.status == "approved")
    if where.search:
        needle = where.search.strip().lower()
        query = query.where(or_(func.lower(CommunityGroup.name).contains(needle, autoescape=True),
                                func.lower(CommunityGroup.description).contains(
                                    needle, autoescape=True)))
    if where.kind:
        query = query.where(CommunityGroup.kind == where.kind)
    if where.modified_after is not None:
        since = where.modified_after
        since = since.replace(tzinfo=dt.UTC) if since.tzinfo is None else since
        query = query.where(CommunityGroup.updated_at >= since.astimezone(dt.UTC))
    if where.terms is not None:
        if not where.terms:
            query = query.where(false())
        for condition in where.terms:
            query = query.where(condition)
    if where.near is not None:
        lat, lon, radius_km = where.near
        box = bounding_box(lat, lon, radius_km if radius_km is not None else MAX_RADIUS_KM)
        # An equirectangular distance: within 0.1% of the great circle at these ranges, and
        # plain arithmetic that SQLite and PostgreSQL both index-filter by the box first.
        km_per_degree = EARTH_RADIUS_KM * math.pi / 180
        north = (CommunityGroup.lat - lat) * km_per_degree
        east = (CommunityGroup.lon - lon) * (km_per_degree * math.cos(math.radians(lat)))
        reach = literal(radius_km) if radius_km is not None else CommunityGroup.travel_radius_km
        query = query.where(CommunityGroup.lat.between(box.min_lat, box.max_lat),
                            CommunityGroup.lon.between(box.min_lon, box.max_lon),
                            north * north + east * east <= reach * reach)
    return query.order_by(CommunityGroup.id)


def page_envelope(contents: list[dict], total: int, page: int, per_page: int) -> dict[str, Any]:
    """The ORUK paged envelope; ``size`` is the number of items on this page."""
    pages = math.ceil(total / per_page) if per_page else 0
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not contents,
        "contents": contents,
    }


def feed_page(session: Session, where: FeedFilter, page: int, per_page: int, *,
              document=None) -> dict[str, Any]:
    """One page of the feed's groups, each made a document by ``document`` (a service)."""
    document = document or service_document
    query = feed_query(where=where)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    groups = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return page_envelope([document(group) for group in groups], total, page, per_page)


def published_group(session: Session, kind: str, text: str) -> CommunityGroup | None:
    """The approved group an object id of ``kind`` (a plain group number too) stands for."""
    group_id = group_id_from_object_id(kind, text)
    if group_id is None or not 0 < group_id <= MAX_ID:
        return None
    group = session.get(CommunityGroup, group_id)
    return group if group is not None and group.status == "approved" else None


def _slice(items: list, page: int, per_page: int) -> list:
    return items[(page - 1) * per_page:page * per_page]


def taxonomy_page(session: Session, page: int, per_page: int) -> dict[str, Any]:
    """The ORUK page of Kith's taxonomies (without their terms)."""
    documents = [taxonomy_document(name) for name in TAXONOMIES]
    return page_envelope(_slice(documents, page, per_page), len(documents), page, per_page)


def find_taxonomy(session: Session, wanted: str) -> dict[str, Any] | None:
    """The taxonomy with id ``wanted``, with its terms, or None."""
    for name in TAXONOMIES:
        if taxonomy_id(name) == wanted.strip().lower():
            return taxonomy_document(name, [t for tax, t in all_terms(session) if tax == name])
    return None


def term_page(session: Session, page: int, per_page: int) -> dict[str, Any]:
    """The ORUK page of every term the feed's services can carry."""
    terms = all_terms(session)
    documents = [term_document(*term) for term in _slice(terms, page, per_page)]
    return page_envelope(documents, len(terms), page, per_page)


def find_term_document(session: Session, wanted: str) -> dict[str, Any] | None:
    """The taxonomy term with id ``wanted``, or None."""
    found = find_term(session, wanted)
    return term_document(*found) if found else None


def _pruned(value: Any) -> Any:
    """``value`` without ``None`` entries: the schemas want a string or nothing at all."""
    if isinstance(value, dict):
        return {k: _pruned(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _timestamp(value) -> str | None:
    if value is None:
        return None
    text = value.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z") if text.endswith("+00:00") else text + (
        "" if value.tzinfo else "Z")


def term_document(taxonomy: str, name: str) -> dict[str, Any]:
    """One taxonomy term, as ``/taxonomy_terms`` and attributes publish it."""
    return {"id": term_id(taxonomy, name), "code": name.casefold().replace(" ", "-"),
            "name": name, "description": _REACH_DESCRIPTIONS.get(name, _TERM_DESCRIPTIONS[
                taxonomy]) if taxonomy == "kith:reach" else _TERM_DESCRIPTIONS[taxonomy],
            "taxonomy": taxonomy,
            "taxonomy_id": taxonomy_id(taxonomy), "language": "en"}


def taxonomy_document(name: str, terms: list[str] | None = None) -> dict[str, Any]:
    """One of Kith's taxonomies, with its terms when they are given."""
    document: dict[str, Any] = {"id": taxonomy_id(name), "name": name,
                                "description": TAXONOMIES[name], "version": "1"}
    if terms is not None:
        document["taxonomy_terms"] = [term_document(name, term) for term in terms]
    return document


def _attributes(group: CommunityGroup, service_id: str) -> list[dict[str, Any]]:
    terms = [term_document("kith:partner-kinds", _kind_term(group.kind))]
    terms += [term_document("kith:activities", interest) for interest in group.interests or []]
    values: list[str | None] = [None] * len(terms)
    if group.offers_remote:
        terms.append(term_document("kith:delivery", REMOTE_TERM))
        values.append(", ".join(group.remote_modes or []) or None)
    terms.append(term_document("kith:reach", RADIUS_TERM))
    values.append(f"{group.travel_radius_km or 10.0:g}")
    if group.capacity_per_month:
        terms.append(term_document("kith:reach", CAPACITY_TERM))
        values.append(str(group.capacity_per_month))
    return [_pruned({
        "id": object_id("attribute", group.id, i),
        "link_id": service_id,
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "value": value,
        "taxonomy_term": term,
    }) for i, (term, value) in enumerate(zip(terms, values, strict=True))]
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


def _service_area(group: CommunityGroup, service_id: str, postcode: str) -> dict[str, Any]:
    radius = f"{group.travel_radius_km:g}"
    return {
        "id": object_id("service_area", group.id),
        "service_id": service_id,
        "name": f"Within {radius} km",
        "description": f"Visits places within {radius} km of {postcode}.",
        "extent_type": "other",
    }


def _service_core(group: CommunityGroup) -> dict[str, Any]:
    """The one-to-one fields of a group's service, with its organisation."""
    organisation_id = object_id("organization", group.id)
    return {
        "id": object_id("service", group.id),
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
    }


def service_document(group: CommunityGroup) -> dict[str, Any]:
    """One approved group as an HSDS 3 / ORUK service, without private contact details."""
    document = _service_core(group)
    service_id = document["id"]
    location = _location(group)
    document.update({
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
        } for i, lang in enumerate(group.languages or [])],
        "schedules": _schedules(group, service_id),
        "service_areas": [_service_area(group, service_id,
                                        location["addresses"][0]["postal_code"])],
        "attributes": _attributes(group, service_id),
        "contacts": [],
        "phones": [],
    })
    return _pruned(document)


def service_at_location_document(group: CommunityGroup) -> dict[str, Any]:
    """A group's one service-at-location, holding its location and (one-to-one) service."""
    location = _location(group)
    return _pruned({
        "id": object_id("service_at_location", group.id),
        "service_id": object_id("service", group.id),
        "location_id": location["id"],
        "location": location,
        "service": _service_core(group),
    })


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


@dataclass
class _Published:
    """What Kith's own feed publishes about a partner in its kith:* attributes."""

    kind: str | None = None
    offers_remote: bool | None = None
    remote_modes: list[str] | None = None
    travel_radius_km: float | None = None
    capacity_per_month: int | None = None


def _kith_taxonomy(term: dict) -> str | None:
    name = _text(term.get("taxonomy"))
    if name in TAXONOMIES:
        return name
    wanted = (_text(term.get("taxonomy_id")) or "").lower()
    return next((t for t in TAXONOMIES if taxonomy_id(t) == wanted), None)


def _number(value: Any) -> float | None:
    try:
        number = float(_text(value) or "")
    except ValueError:
        return None
    return number if math.isfinite(number) else None


_RADIUS_WORDS = re.compile(r"within\s+(\d+(?:\.\d+)?)\s*km", re.IGNORECASE)


def _published(service: dict) -> _Published:
    """The kind, remote contact, travel radius and capacity a Kith feed published (other
    feeds' attributes are read as interests by :func:`_terms`)."""
    found = _Published()
    for attribute in _dicts(service.get("attributes")):
        term = attribute.get("taxonomy_term")
        if not isinstance(term, dict):
            continue
        taxonomy, name = _kith_taxonomy(term), (_text(term.get("name")) or "").casefold()
        value = attribute.get("value")
        if taxonomy == "kith:partner-kinds":
            found.kind = next((code for code in catalogue.codes(catalogue.GROUP_KINDS)
                               if _kind_term(code) == name), found.kind)
        elif taxonomy == "kith:delivery" and name == REMOTE_TERM:
            modes = catalogue.codes(catalogue.REMOTE_MODES)
            found.offers_remote = True
            found.remote_modes = [m.strip() for m in (_text(value) or "").split(",")
                                  if m.strip() in modes]
        elif taxonomy == "kith:reach" and name == RADIUS_TERM:
            found.travel_radius_km = _number(value)
        elif taxonomy == "kith:reach" and name == CAPACITY_TERM:
            number = _number(value)
            found.capacity_per_month = int(number) if number and number.is_integer() else None
    if found.travel_radius_km is None:  # "Within 10 km", as the service area says it
        for area in _dicts(service.get("service_areas")):
            match = _RADIUS_WORDS.search(f"{_text(area.get('name')) or ''} "
                                         f"{_text(area.get('description')) or ''}")
            if match:
                found.travel_radius_km = float(match.group(1))
                break
    return found


def _terms(service: dict) -> list[str]:
    """The names of a service's terms that read as interests (not Kith's own kinds,
    delivery and reach, which :func:`_published` reads)."""
    names = []
    for attribute in _dicts(service.get("attributes")):
        term = attribute.get("taxonomy_term")
        if isinstance(term, dict) and _kith_taxonomy(term) in (None, "kith:activities"):
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
    published = _published(service)
    payload: dict[str, Any] = {
        "name": name,
        "kind": published.kind or guess_kind(name, terms),
        "offers_remote": published.offers_remote,
        "remote_modes": published.remote_modes or None,
        "travel_radius_km": published.travel_radius_km,
        "capacity_per_month": published.capacity_per_month,
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
    missing = 0
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
            # A standard ORUK list page carries no locations: say so for the service and
            # import the others, rather than refusing the whole file.
            missing += 1
            if len(report.notes) < 1000:
                report.notes.append(
                    f"  row {number}: service {service_id!r} ({name}) has no location with a "
                    "postcode, so it cannot be placed; import its full service document "
                    f"(/services/{service_id}) to bring it in.")
            continue
        pending.append((number, service_id, _oruk_payload(service, name, postcode, town)))
    if report.skipped:
        report.notes.append(f"{report.skipped} inactive or defunct services were skipped.")
    if missing:
        report.notes.insert(len(notes), f"{missing} services without a location were "
                                        "skipped:")
        report.skipped += missing
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
