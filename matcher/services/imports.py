"""Bulk imports: the regulators' care-home directories and the community groups CSV.

Both are idempotent and all-or-nothing:

* every row is parsed (:mod:`matcher.directories`), geocoded in one vectorised batch and checked
  with the API's own schema before anything is written;
* a row that fails is *rejected* with its row number and the reason; unless
  ``skip_invalid`` is set, one rejected row means nothing at all is written;
* a record already imported is updated in place, found by its regulator id
  (``CareHome.regulator`` + ``regulator_id``) or else by its ``external_key``
  (``"<regulator>:<natural key>"`` for layouts without an id; ``"import:<external_id>"``
  or ``"import:<name>|<postcode>"`` for groups). A blank cell never erases stored data;
* records are built, checked and stored through the API's write path (:mod:`.records`:
  ``new_home``/``new_group``, the regulator-id rule checked for all rows in one pass, one
  ``store`` for the lot), so an imported record is the one the API would make; everything
  is flushed once and the caller commits (one transaction), so 15,000 rows take seconds.

Imported groups are ``approved`` with source ``import``: the file comes from a coordinator,
who vouches for them. Their ``consent_at`` stays empty (the import cannot know when or how a
group agreed). Withdrawn groups are never brought back by a re-import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..directories import (
    DEFAULT_MAX_BYTES,
    DirectoryRecord,
    GroupRecord,
    Rejection,
    parse_care_homes,
    parse_groups_csv,
)
from ..domain import catalogue, registers
from ..domain.geocoding import GeocodeResult, GeocodingError, PostcodeIndex
from ..models import CareHome, CommunityGroup, ImportReview
from . import audit, records, versions

# The regulator of each nation, for our own CSV layout whose ids carry no regulator.
REGULATOR_FOR_NATION = catalogue.REGULATOR_FOR_NATION
GEO_FIELDS = ("postcode", "lat", "lon", "geocode_precision", "nation",
              "local_authority_code", "local_authority_name")
_CHUNK = 500
# Keep reports readable; the count still covers every rejected row.
MAX_REPORTED = 1000


@dataclass
class ImportReport:
    """What an import did (or, when ``written`` is False, would not do)."""

    what: str
    layout: str | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejected_count: int = 0
    notes: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    # Care homes only: renamed homes continued, uncertain pairs held for a coordinator,
    # homes no longer on the register, and deregistered homes back on it.
    continued: int = 0
    uncertain: int = 0
    deregistered: int = 0
    reactivated: int = 0
    continued_lines: list[str] = field(default_factory=list)
    uncertain_lines: list[str] = field(default_factory=list)
    deregistered_lines: list[str] = field(default_factory=list)

    def reject(self, row_number: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append(Rejection(row_number, reason))

    def summary(self) -> str:
        head = (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.rejected_count} rejected")
        if self.skipped:
            head += f", {self.skipped} skipped"
        if self.continued:
            head += f", {self.continued} continued under a new name"
        if self.deregistered:
            head += f", {self.deregistered} deregistered"
        if self.uncertain:
            head += f", {self.uncertain} to confirm"
        return f"{self.what}: {head}."

    def lines(self) -> list[str]:
        """The report as plain lines for a terminal."""
        out = []
        if self.layout:
            out.append(f"Layout: {self.layout}; {self.rows} rows read.")
        if self.dry_run:
            out.append("Dry run: nothing was written. The import would do this:")
        out.append(self.summary())
        out.extend(self.notes)
        if self.reactivated:
            out.append(f"{self.reactivated} deregistered homes are on the register again and "
                       "active.")
        sections = (
            ("Continued under a new name or address (each keeps its record and id):",
             self.continued_lines, self.continued),
            ("Possibly the same home, to confirm (nothing merged; see `flask import reviews`):",
             self.uncertain_lines, self.uncertain),
            ("Deregistered (no longer on the register; kept, but out of matching and lists):",
             self.deregistered_lines, self.deregistered),
        )
        for title, lines, total in sections:
            if lines:
                out.append(title)
                out.extend(lines)
                if total > len(lines):
                    out.append(f"  ... and {total - len(lines)} more.")
        for rejection in sorted(self.rejected, key=lambda r: r.row_number):
            out.append(f"  row {rejection.row_number}: {rejection.reason}")
        if self.rejected_count > len(self.rejected):
            out.append(f"  ... and {self.rejected_count - len(self.rejected)} more.")
        if not self.written and self.rejected_count and not self.dry_run:
            out.append("Nothing was written: correct the rows above, or run again with "
                       "--skip-invalid to import the others.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what, "layout": self.layout, "rows": self.rows,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "skipped": self.skipped, "rejected_count": self.rejected_count,
            "rejected": [{"row": r.row_number, "reason": r.reason} for r in self.rejected],
            "written": self.written, "dry_run": self.dry_run,
            "continued": self.continued, "uncertain": self.uncertain,
            "deregistered": self.deregistered, "reactivated": self.reactivated,
        }


def _geo(result: GeocodeResult) -> dict[str, Any]:
    return {"postcode": result.postcode, "lat": result.lat, "lon": result.lon,
            "geocode_precision": result.precision, "nation": result.nation,
            "local_authority_code": result.local_authority_code,
            "local_authority_name": result.local_authority_name}


def geocode_all(index: PostcodeIndex, postcodes: Sequence[str]
                ) -> list[dict[str, Any] | str]:
    """Location fields for each postcode, or the reason it cannot be placed."""
    out: list[dict[str, Any] | str] = []
    for postcode, result in zip(postcodes, index.lookup_many(postcodes), strict=True):
        if isinstance(result, GeocodingError):
            out.append(f"postcode {postcode!r}: {result}")
        elif result.nation is None:
            out.append(f"postcode {postcode!r}: its nation is not known")
        else:
            out.append(_geo(result))
    return out


def _schema_errors(error: ma.ValidationError) -> str:
    def flatten(prefix: str, value: Any) -> Iterable[str]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from flatten(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for item in value:
                yield from flatten(prefix, item)
        else:
            yield f"{prefix}: {value}" if prefix else str(value)
    return "; ".join(flatten("", error.messages))


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _prefetch(session: Session, model, column, values: list) -> dict[Any, Any]:
    found: dict[Any, Any] = {}
    for start in range(0, len(values), _CHUNK):
        chunk = values[start:start + _CHUNK]
        for record in session.scalars(select(model).where(column.in_(chunk))):
            found[getattr(record, column.key)] = record
    return found


def _finish(session: Session, report: ImportReport, actor: audit.Actor,
            created: list[Any], updated: list[tuple[Any, dict]], version: str,
            describe: Callable[[Any], dict[str, Any]]) -> None:
    # The same write path as the API and the pages, many records at once.
    records.store(session, actor, version, new=created, changed=updated, describe=describe)
    session.flush()
    report.written = True


# --- care homes ------------------------------------------------------------------------------

_HOME_COLUMNS = ("name", "regulator", "regulator_id", "address_line1", "address_line2", "town",
                 "residents")


def _home_payload(record: DirectoryRecord, regulator: str | None) -> dict[str, Any]:
    payload = {
        "name": record.name,
        "postcode": record.postcode,
        # Checked by the API's schema like any other field (known regulator, id length).
        "regulator": regulator,
        "regulator_id": record.external_id,
        "address_line1": record.address_line1,
        "address_line2": record.address_line2,
        "town": record.town,
        # A home registered for no places tells us nothing about its residents.
        "residents": record.places or None,
    }
    return {k: v for k, v in payload.items() if v is not None}


def _phone(value: str | None) -> str | None:
    # A directory's phone column is a courtesy: a malformed one is dropped, not rejected.
    if value and re.fullmatch(r"[0-9+() -]{6,20}", value):
        return value
    return None


def _merge_care_types(current: Sequence[str], record: DirectoryRecord) -> list[str]:
    """Set or clear the flags the layout has; keep what it cannot tell (None) as it was."""
    types = list(current or [])

    def put(name: str, present: bool) -> None:
        if present and name not in types:
            types.append(name)
        elif not present and name in types:
            types.remove(name)

    if record.nursing is not None:
        put("nursing", record.nursing)
        put("residential", not record.nursing)
    if record.dementia is not None:
        put("dementia", record.dementia)
    if record.older_people is not None:
        put("older_people", record.older_people)
    return types


@dataclass
class _Plan:
    """What one row of a directory will do: create (``home`` None) or change ``home``."""

    record: DirectoryRecord
    key: str
    id_key: tuple[str, str] | None
    data: dict[str, Any]
    geo: dict[str, Any]
    home: CareHome | None = None
    wanted: dict[str, Any] = field(default_factory=dict)
    continues: float | None = None  # the similarity, when it continues a renamed home
    review: tuple[CareHome, float] | None = None  # an uncertain pair: neither is changed


def _category(nursing: bool | None) -> str | None:
    return None if nursing is None else ("nursing" if nursing else "residential")


def _home_category(home: CareHome) -> str | None:
    types = home.care_types or ()
    return "nursing" if "nursing" in types else ("residential" if "residential" in types
                                                 else None)


def _new_fields(plan: _Plan) -> dict[str, Any]:
    record = plan.record
    return {**plan.data, "external_key": plan.key, "regulator": plan.id_key[0] if plan.id_key
            else record.regulator, "regulator_id": record.external_id,
            "care_types": _merge_care_types([], record), "contact_phone": _phone(record.phone)}


def _update_fields(plan: _Plan, home: CareHome, keyed: bool) -> dict[str, Any]:
    """The fields a row sets on the home it updates (``keyed``: the key is free to take)."""
    record, geo = plan.record, plan.geo
    wanted = dict(plan.data)
    if geo["postcode"] != home.postcode or home.lat is None:
        wanted.update(geo)
    wanted["care_types"] = _merge_care_types(home.care_types, record)
    if keyed and home.external_key != plan.key:
        wanted["external_key"] = plan.key
    if home.regulator_id is None and plan.id_key:
        wanted.update(regulator=plan.id_key[0], regulator_id=record.external_id)
    if _phone(record.phone) and not home.contact_phone:
        wanted["contact_phone"] = _phone(record.phone)
    if home.status != "active":
        wanted["status"] = "active"  # back on the register
    return wanted


def _continue_renamed(session: Session, plans: list[_Plan], regulator: str) -> None:
    """Pair the rows that found no home with the regulator's homes the file no longer names
    (the rule of :mod:`matcher.domain.registers`): certain pairs update the home, uncertain
    ones wait for a coordinator. Rows with a regulator id are left alone: the id decides."""
    loose = [plan for plan in plans if plan.home is None and not plan.record.external_id]
    if not loose:
        return
    named = {plan.home.id for plan in plans if plan.home is not None}
    postcodes = sorted({plan.geo["postcode"] for plan in loose})
    olds: list[CareHome] = []
    for start in range(0, len(postcodes), _CHUNK):
        olds.extend(home for home in session.scalars(select(CareHome).where(
            CareHome.regulator == regulator,
            CareHome.postcode.in_(postcodes[start:start + _CHUNK])))
            if home.id not in named)
    by_id = {home.id: home for home in olds}
    pairs = registers.pair_homes(
        [registers.RegisteredHome(position, plan.record.name, plan.record.address_line1,
                                  plan.geo["postcode"], _category(plan.record.nursing))
         for position, plan in enumerate(loose)],
        [registers.RegisteredHome(home.id, home.name, home.address_line1, home.postcode,
                                  _home_category(home)) for home in olds])
    for pair in pairs:
        plan, home = loose[pair.new], by_id[pair.old]
        if pair.continues:
            plan.home, plan.continues = home, pair.score
            plan.wanted = _update_fields(plan, home, keyed=True)
        else:
            plan.review = (home, pair.score)


def _pending_reviews(session: Session, regulator: str | None) -> dict[str, ImportReview]:
    query = select(ImportReview).where(ImportReview.status == "pending",
                                       ImportReview.regulator == regulator)
    return {review.incoming["fields"]["external_key"]: review
            for review in session.scalars(query)}


def _deregister(session: Session, regulator: str, present: set[int]
                ) -> list[tuple[CareHome, dict]]:
    """The regulator's active homes that the register no longer names, as changes."""
    ids = set(session.scalars(select(CareHome.id).where(CareHome.regulator == regulator,
                                                        CareHome.status == "active")))
    gone = sorted(ids - present)
    changes = []
    for start in range(0, len(gone), _CHUNK):
        for home in session.scalars(select(CareHome).where(
                CareHome.id.in_(gone[start:start + _CHUNK])).order_by(CareHome.id)):
            changes.append((home, audit.diff(home, {"status": "deregistered"})))
    return changes


def import_care_homes(session: Session, index: PostcodeIndex, source: Any, fmt: str | None,
                      schema: ma.Schema, actor: audit.Actor, *, skip_invalid: bool = False,
                      max_bytes: int = DEFAULT_MAX_BYTES, full_register: bool = True,
                      dry_run: bool = False,
                      progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import a care-home directory (see :func:`matcher.directories.parse_care_homes` for ``fmt``;
    ``None`` or ``"auto"`` recognises the layout).

    ``schema`` is the API's care-home input schema, so imported homes follow the same rules
    as homes sent to the API. A regulator's file is a full register: its homes that the file
    no longer names are marked ``deregistered`` (not with ``full_register=False``, nor when
    rows were rejected, nor from our own CSV layout). Homes renamed or re-addressed since the
    last release continue their record (:mod:`matcher.domain.registers`); uncertain pairs
    are stored as :class:`~matcher.models.ImportReview` for a coordinator. With ``dry_run``
    the report says what would happen and nothing is written. ``progress`` is called with
    the number of rows read so far. Raises DirectoryFormatError when the file cannot be read.
    """
    parsed = parse_care_homes(source, None if fmt in (None, "auto") else fmt,
                              max_bytes=max_bytes, progress=progress)
    report = ImportReport("Care homes", layout=parsed.layout,
                          rows=parsed.record_count + parsed.rejected_count + parsed.skipped,
                          skipped=parsed.skipped, dry_run=dry_run)
    for rejection in parsed.rejected:
        report.reject(rejection.row_number, rejection.reason)
    report.rejected_count = parsed.rejected_count
    if parsed.skipped_reasons:
        report.notes.append("Skipped: " + "; ".join(
            f"{count} {reason}" for reason, count in parsed.skipped_reasons.items()) + ".")

    places = geocode_all(index, [r.postcode for r in parsed.records])
    valid: list[_Plan] = []
    for record, geo in zip(parsed.records, places, strict=True):
        if isinstance(geo, str):
            report.reject(record.row_number, geo)
            continue
        regulator = record.regulator
        if regulator is None and record.external_id:
            regulator = REGULATOR_FOR_NATION[geo["nation"]]
        try:
            data = schema.load(_home_payload(record, regulator), unknown=ma.EXCLUDE)
        except ma.ValidationError as error:
            report.reject(record.row_number, _schema_errors(error))
            continue
        data.pop("postcode", None)
        # The id, when kept, is a column of its own: an update sets it only where none is.
        data.pop("regulator", None)
        data.pop("regulator_id", None)
        key = f"{regulator or 'csv'}:{record.natural_key}"
        if len(key) > 300:
            report.reject(record.row_number, "the name is too long to key the record by")
            continue
        id_key = (regulator, record.external_id) if regulator and record.external_id else None
        valid.append(_Plan(record, key, id_key, data, geo))

    if report.rejected_count and not skip_invalid:
        return report

    by_id: dict[tuple[str, str], CareHome] = {}
    for home in records.by_regulator_id(session, {p.id_key for p in valid if p.id_key},
                                        chunk=_CHUNK):
        by_id[(home.regulator, home.regulator_id)] = home
    by_key = _prefetch(session, CareHome, CareHome.external_key, [p.key for p in valid])

    # Two rows of different keys can still name one registration (e.g. an RQIA id embedded
    # in two names); find them before changing anything.
    seen: dict[Any, int] = {}
    plans: list[_Plan] = []
    for plan in valid:
        row = plan.record.row_number
        first = seen.setdefault(plan.id_key or plan.key, row)
        if first != row:
            report.reject(row, f"duplicate of row {first} (same regulator id "
                               f"{plan.record.external_id!r})")
            continue
        plans.append(plan)
    if report.rejected_count and not skip_invalid:
        return report

    # Work out every row's record and wanted fields first, so that the regulator-id rule the
    # API applies to one home is checked for all of them in one pass before anything changes.
    for plan in plans:
        home = (by_id.get(plan.id_key) if plan.id_key else None) or by_key.get(plan.key)
        if home is not None:
            plan.home = home
            plan.wanted = _update_fields(plan, home, keyed=home.external_key is None
                                         and plan.key not in by_key)
    regulator = parsed.regulator
    reviews = _pending_reviews(session, regulator) if regulator else {}
    for plan in plans:
        review = reviews.get(plan.key) if plan.home is None else None
        if review is not None:  # still waiting for a coordinator since an earlier release
            plan.review = (review.care_home, review.score)
    if regulator:
        _continue_renamed(session, [p for p in plans if p.review is None], regulator)
    for plan in plans:
        if plan.home is None and plan.review is None:
            plan.wanted = _new_fields(plan)

    acting = [plan for plan in plans if plan.review is None]
    clashes = records.regulator_id_clashes(session, [
        SimpleNamespace(id=plan.home.id if plan.home is not None else None,
                        regulator=plan.wanted.get("regulator", plan.home.regulator
                                                  if plan.home else None),
                        regulator_id=plan.wanted.get("regulator_id", plan.home.regulator_id
                                                     if plan.home else None))
        for plan in acting])
    for position, message in clashes.items():
        report.reject(acting[position].record.row_number, message)
    if report.rejected_count and not skip_invalid:
        return report

    created: list[CareHome] = []
    updated: list[tuple[CareHome, dict, dict]] = []
    for position, plan in enumerate(acting):
        if position in clashes:
            continue
        if plan.home is None:
            created.append(records.new_home(plan.wanted, plan.geo))
            report.created += 1
            continue
        changes = audit.diff(plan.home, plan.wanted)
        if plan.continues is not None:
            report.continued += 1
            if len(report.continued_lines) < MAX_REPORTED:
                was = _described(plan.home.name, plan.home.address_line1)
                now = _described(plan.record.name, plan.record.address_line1)
                report.continued_lines.append(
                    f"  row {plan.record.row_number}: {was} (home {plan.home.id}) is now "
                    f"{now} (similarity {plan.continues:.2f})")
        elif not changes:
            report.unchanged += 1
        else:
            report.updated += 1
            report.reactivated += "status" in changes
        if changes:
            updated.append((plan.home, changes, plan.wanted))

    present = {plan.home.id for plan in plans if plan.home is not None}
    present |= {plan.review[0].id for plan in plans if plan.review is not None}
    present |= {review.care_home_id for review in reviews.values()}
    gone: list[tuple[CareHome, dict]] = []
    if regulator and full_register:
        if report.rejected_count:
            report.notes.append(f"No home was deregistered: {report.rejected_count} rows were "
                                "rejected, and a home of theirs would have looked gone from "
                                "the register.")
        elif not plans:
            report.notes.append("No home was deregistered: the file names no care home.")
        else:
            gone = _deregister(session, regulator, present)
    report.deregistered = len(gone)
    for home, _ in gone[:MAX_REPORTED]:
        report.deregistered_lines.append(f"  {home.name!r} (home {home.id}, {home.postcode})")

    waiting = [plan for plan in plans if plan.review is not None]
    report.uncertain = len(waiting)
    if dry_run:
        report.uncertain_lines.extend(_review_line(plan, None) for plan in waiting[:MAX_REPORTED])
        return report

    for home, changes, wanted in updated:
        for name in changes:
            setattr(home, name, wanted[name])
    for home, _ in gone:
        home.status = "deregistered"
    held = []
    for plan in waiting:
        home, score = plan.review
        review = reviews.get(plan.key)
        if review is None:
            review = ImportReview(care_home=home, regulator=regulator, name=plan.record.name,
                                  postcode=plan.geo["postcode"], score=score)
            session.add(review)
        review.incoming = {"fields": _new_fields(plan), "geo": plan.geo}
        review.deregister_if_different = bool(regulator and full_register)
        held.append((plan, review))
    session.flush()
    report.uncertain_lines.extend(_review_line(plan, review)
                                  for plan, review in held[:MAX_REPORTED])
    _finish(session, report, actor, created,
            [(home, changes) for home, changes, _ in updated] + gone, versions.HOMES,
            lambda h: {"source": "import", "external_key": h.external_key, "name": h.name,
                       "postcode": h.postcode})
    return report


def _described(name: str, address_line1: str | None) -> str:
    return f"{name!r}" + (f", {address_line1}" if address_line1 else "")


def _review_line(plan: _Plan, review: ImportReview | None) -> str:
    home, score = plan.review
    label = f"; review {review.id}" if review is not None else ""
    return (f"  row {plan.record.row_number}: "
            f"{_described(plan.record.name, plan.record.address_line1)} may continue "
            f"{_described(home.name, home.address_line1)} (home {home.id}, similarity "
            f"{score:.2f}){label}")


# --- community groups ------------------------------------------------------------------------

def _kind(value: str | None) -> str:
    if not value:
        return "other"
    return re.sub(r"[\s\-]+", "_", value.strip().casefold())


def _group_payload(record: GroupRecord) -> dict[str, Any]:
    contact = {"name": record.contact_name, "email": record.contact_email,
               "phone": record.contact_phone}
    payload = {
        "name": record.name,
        "kind": _kind(record.kind),
        "description": record.description,
        "interests": list(record.interests) or None,
        "languages": list(record.languages) or None,
        "postcode": record.postcode,
        "travel_radius_km": record.travel_radius_km,
        "availability": list(record.availability) or None,
        "capacity_per_month": record.capacity_per_month,
        "offers_remote": record.offers_remote,
        "works_with_children": record.works_with_children,
        "contact": {k: v for k, v in contact.items() if v} or None,
        "preferred_language": record.preferred_language,
        "consent": True,  # the schema insists; the import records no consent (see above)
    }
    return {k: v for k, v in payload.items() if v is not None}


def group_key(prefix: str, external_id: str | None, name: str, postcode: str) -> str:
    """The external key of an imported group: its id, else its name and postcode."""
    if external_id:
        return f"{prefix}:{external_id.strip()}"
    return f"{prefix}:{_fold(name)}|{''.join(postcode.split()).casefold()}"


def _upsert_groups(session: Session, report: ImportReport,
                   valid: list[tuple[int, str, dict[str, Any], dict[str, Any]]],
                   actor: audit.Actor, *, status: str, source: str,
                   skip_invalid: bool) -> ImportReport:
    """Create or update groups from ``(row, key, data, geo)`` tuples; shared with ORUK."""
    existing = _prefetch(session, CommunityGroup, CommunityGroup.external_key,
                         [key for _, key, _, _ in valid])
    seen: dict[str, int] = {}
    unique = []
    for entry in valid:
        row, key = entry[0], entry[1]
        first = seen.setdefault(key.casefold(), row)
        if first != row:
            report.reject(row, f"duplicate of row {first} (same key {key!r})")
            continue
        unique.append(entry)
    if report.rejected_count and not skip_invalid:
        return report

    created: list[CommunityGroup] = []
    updated: list[tuple[CommunityGroup, dict]] = []
    withdrawn = 0
    for _row, key, data, geo in unique:
        group = existing.get(key)
        if group is None:
            # No consent is recorded: the file's owner cannot give it for the group.
            group = records.new_group({**data, "external_key": key}, geo, status=status,
                                      source=source, consent=False)
            created.append(group)
            report.created += 1
            continue
        if group.status == "withdrawn" or group.anonymised_at is not None:
            withdrawn += 1
            report.skipped += 1
            continue
        wanted = dict(data)
        if geo["postcode"] != group.postcode or group.lat is None:
            wanted.update(geo)
        changes = records.change_record(group, wanted)
        if changes:
            updated.append((group, changes))
            report.updated += 1
        else:
            report.unchanged += 1
    if withdrawn:
        report.notes.append(f"{withdrawn} rows belong to groups that withdrew; they were left "
                            "as they are.")
    _finish(session, report, actor, created, updated, versions.PARTNERS,
            lambda g: {"source": source, "status": status, "external_key": g.external_key,
                       "name": g.name, "postcode": g.postcode})
    return report


def import_groups(session: Session, index: PostcodeIndex, source: Any, schema: ma.Schema,
                  actor: audit.Actor, *, skip_invalid: bool = False,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> ImportReport:
    """Import the groups CSV (columns in docs/csv-formats.md) as approved groups.

    ``schema`` is the API's group input schema: languages, interests, kinds, availability
    and contact details are checked and normalised exactly as for the API.
    """
    parsed = parse_groups_csv(source, max_bytes=max_bytes)
    report = ImportReport("Groups", layout=parsed.layout,
                          rows=parsed.record_count + parsed.rejected_count + parsed.skipped)
    for rejection in parsed.rejected:
        report.reject(rejection.row_number, rejection.reason)
    report.rejected_count = parsed.rejected_count
    places = geocode_all(index, [r.postcode for r in parsed.records])
    valid = []
    for record, geo in zip(parsed.records, places, strict=True):
        if isinstance(geo, str):
            report.reject(record.row_number, geo)
            continue
        try:
            data = schema.load(_group_payload(record), unknown=ma.EXCLUDE)
        except ma.ValidationError as error:
            report.reject(record.row_number, _schema_errors(error))
            continue
        data.pop("postcode", None)
        data.pop("consent", None)
        key = group_key("import", record.external_id, record.name, record.postcode)
        if len(key) > 300:
            report.reject(record.row_number, "external_id is too long")
            continue
        valid.append((record.row_number, key, data, geo))
    if report.rejected_count and not skip_invalid:
        return report
    return _upsert_groups(session, report, valid, actor, status="approved", source="import",
                          skip_invalid=skip_invalid)
