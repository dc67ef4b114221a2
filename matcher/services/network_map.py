"""The coordinator's network map: homes and partners in a box, cold spots, missing kinds.

At national scale (17,000 homes, a million partners) no answer may scan the tables, so
each worker keeps a columnar snapshot of every home and approved partner (about 30 MB at a
million) and reads it again only when the data versions change (checked at most every
``check_every`` seconds, at once after this worker changed something itself; above 100,000
partners in the background, answering from the previous snapshot meanwhile). A map answer
is then a few vectorised filters and a grid count (:mod:`matcher.domain.network_map`);
names are read from the database only for the points actually sent.

A home is a *cold spot* by the rule of :mod:`.reports`: no approved partner (of the kind
asked for, if one is) within both the home's search radius and the partner's travel
radius. Partners over a border count: a Welsh home reached from Chester is not cold. The
map and the tables show only the caller's nation.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import catalogue
from ..domain import network_map as grid
from ..domain.geocoding.local_authorities import local_authority_name
from ..models import CareHome, CommunityGroup, User
from . import scope, versions
from .reports import reach

KINDS = catalogue.codes(catalogue.GROUP_KINDS)
# "Other" is no kind an area can be said to miss.
EXPECTED_KINDS = tuple(kind for kind in KINDS if kind != "other")
NATIONS = catalogue.codes(catalogue.NATIONS)
COLD_LIST_LIMIT = 200


@dataclass
class Columns:
    """One kind of record in columns; ``kind`` is -1 for homes."""

    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    radius: np.ndarray
    nation: np.ndarray
    la: np.ndarray
    kind: np.ndarray


def _codes(values, index: dict[str, int], dtype) -> np.ndarray:
    """Each text as its position in ``index`` (-1 when unknown or missing), via C-level map."""
    found = np.array(list(map(index.get, values)), dtype=np.float64)  # None becomes nan
    return np.nan_to_num(found, nan=-1).astype(dtype)


def _columns(rows: list, las: dict[str, int], with_kind: bool) -> Columns:
    if not rows:
        empty = np.zeros(0)
        return Columns(empty.astype(np.int64), empty, empty, empty, empty.astype(np.int8),
                       empty.astype(np.int32), empty.astype(np.int8))
    ids, lat, lon, radius, nation, la, *rest = zip(*rows, strict=True)
    for code in set(la):
        if code and code not in las:
            las[code] = len(las)
    lat = np.array(lat, dtype=np.float64)
    lon = np.array(lon, dtype=np.float64)
    placed = ~(np.isnan(lat) | np.isnan(lon))  # a record without coordinates is not drawn
    columns = Columns(
        ids=np.array(ids, dtype=np.int64),
        lat=lat,
        lon=lon,
        radius=np.nan_to_num(np.array(radius, dtype=np.float64), nan=0.0),
        nation=_codes(nation, {code: i for i, code in enumerate(NATIONS)}, np.int8),
        la=_codes(la, las, np.int32),
        kind=(_codes(rest[0], {code: i for i, code in enumerate(KINDS)}, np.int8) if with_kind
              else np.full(len(ids), -1, dtype=np.int8)),
    )
    if placed.all():
        return columns
    return Columns(*(getattr(columns, name)[placed] for name in
                     ("ids", "lat", "lon", "radius", "nation", "la", "kind")))


@dataclass
class Snapshot:
    """Every home and approved partner at one pair of data versions."""

    homes: Columns
    partners: Columns
    las: list[str]  # local authority codes, by index
    la_names: dict[str, str]
    versions: tuple[str, str]
    _reach: dict[str | None, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, session: Session) -> Snapshot:
        las: dict[str, int] = {}
        names: dict[str, str] = {}
        home_rows = session.execute(select(
            CareHome.id, CareHome.lat, CareHome.lon, CareHome.search_radius_km,
            CareHome.nation, CareHome.local_authority_code, CareHome.local_authority_name,
        )).all()
        for row in home_rows:
            if row[5] and row[6]:
                names[row[5]] = row[6]
        homes = _columns([tuple(row[:6]) for row in home_rows], las, with_kind=False)
        # A million rows: read through the driver's own cursor, several times faster than
        # building SQLAlchemy rows (the session's connection, so its transaction is seen).
        query = select(
            CommunityGroup.id, CommunityGroup.lat, CommunityGroup.lon,
            CommunityGroup.travel_radius_km, CommunityGroup.nation,
            CommunityGroup.local_authority_code, CommunityGroup.kind,
        ).where(CommunityGroup.status == "approved")
        connection = session.connection()
        sql = str(query.compile(dialect=connection.dialect,
                                compile_kwargs={"literal_binds": True}))
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql)
            partner_rows = cursor.fetchall()
        finally:
            cursor.close()
        partners = _columns(partner_rows, las, with_kind=True)
        codes = [""] * len(las)
        for code, i in las.items():
            codes[i] = code
            names.setdefault(code, local_authority_name(code) or code)
        return cls(homes, partners, codes, names, _versions(session))

    def reach(self, kind: str | None) -> tuple[np.ndarray, np.ndarray]:
        """For every home: whether a partner (of ``kind``) is in reach, and the nearest one's
        distance in km; computed once per kind for this snapshot."""
        with self._lock:
            found = self._reach.get(kind)
            if found is None:
                p = self.partners
                keep = (p.kind == KINDS.index(kind)) if kind else slice(None)
                found = reach(self.homes.lat, self.homes.lon, self.homes.radius,
                              p.lat[keep], p.lon[keep], p.radius[keep])
                self._reach[kind] = found
            return found


def _versions(session: Session) -> tuple[str, str]:
    return versions.current(session, versions.HOMES), versions.current(session, versions.PARTNERS)


# Reading a million partners takes seconds: above this many, a change is read in the
# background while the map keeps answering from the previous snapshot (a few seconds old).
BACKGROUND_RELOAD_PARTNERS = 100_000


class NetworkCache:
    """This worker's snapshot, read again when the homes' or partners' version changes."""

    def __init__(self, check_every: float = 1.0):
        self.check_every = check_every
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._local = -1
        self._lock = threading.Lock()
        self._reloading = False

    def get(self, session: Session) -> Snapshot:
        with self._lock:
            now = time.monotonic()
            stale = (self._snapshot is None or self._local != versions.local_changes()
                     or now - self._checked_at >= self.check_every)
            if stale:
                self._local = versions.local_changes()
                self._checked_at = now
                current = self._snapshot
                if current is None:
                    self._snapshot = Snapshot.load(session)
                elif current.versions != _versions(session):
                    if len(current.partners.ids) < BACKGROUND_RELOAD_PARTNERS:
                        self._snapshot = Snapshot.load(session)
                    elif not self._reloading:
                        self._reloading = True
                        threading.Thread(target=self._reload, args=(session.get_bind(),),
                                         name="network-map-reload", daemon=True).start()
            return self._snapshot  # type: ignore[return-value]

    def _reload(self, bind) -> None:
        try:
            with Session(bind=bind) as session:
                fresh = Snapshot.load(session)
                fresh.reach(None)  # the cold spots too, before the first answer needs them
            with self._lock:
                self._snapshot = fresh
        finally:
            self._reloading = False


@dataclass
class Filters:
    """What the map and its tables are narrowed to (all None: the whole nation)."""

    kind: str | None = None
    local_authority: str | None = None

    @classmethod
    def clean(cls, args: dict[str, Any]) -> Filters:
        """The recognised filters; unknown values are dropped, never an error."""
        kind = args.get("kind")
        la = str(args.get("local_authority") or "").strip()[:9] or None
        return cls(kind if kind in KINDS else None, la)

    def as_query(self) -> dict[str, str]:
        return {key: value for key, value in (("kind", self.kind),
                                              ("local_authority", self.local_authority))
                if value}


def _home_mask(snap: Snapshot, nation: str | None, filters: Filters) -> np.ndarray:
    homes = snap.homes
    mask = np.ones(len(homes.ids), dtype=bool)
    if nation:
        mask &= homes.nation == NATIONS.index(nation)
    if filters.local_authority:
        code = filters.local_authority
        mask &= homes.la == (snap.las.index(code) if code in snap.las else -2)
    return mask


def _partner_mask(snap: Snapshot, nation: str | None, filters: Filters) -> np.ndarray:
    partners = snap.partners
    mask = np.ones(len(partners.ids), dtype=bool)
    if nation:
        mask &= partners.nation == NATIONS.index(nation)
    if filters.kind:
        mask &= partners.kind == KINDS.index(filters.kind)
    if filters.local_authority:
        code = filters.local_authority
        mask &= partners.la == (snap.las.index(code) if code in snap.las else -2)
    return mask


def map_data(session: Session, cache: NetworkCache, user: User, *, nation: str | None,
             box: grid.Box | None, zoom: int | None, filters: Filters) -> dict[str, Any]:
    """The homes and partners of ``user``'s nation inside ``box``: counted in cells at low
    zoom, one by one when few (with names, kinds and whether a home is a cold spot)."""
    nation = scope.resolve_nation(user, nation)
    snap = cache.get(session)
    box = box or grid.Box(*grid.UK_BOX)
    zoom = grid.clamp_zoom(zoom)
    covered, _ = snap.reach(filters.kind)
    homes, partners = snap.homes, snap.partners
    home_in = np.flatnonzero(_home_mask(snap, nation, filters) & box.mask(homes.lat, homes.lon))
    partner_in = np.flatnonzero(_partner_mask(snap, nation, filters)
                                & box.mask(partners.lat, partners.lon))
    cold = ~covered[home_in]
    total = len(home_in) + len(partner_in)
    answer: dict[str, Any] = {
        "zoom": zoom,
        "box": list(box),
        "homes": {"total": int(len(home_in)), "cold": int(cold.sum())},
        "partners": {"total": int(len(partner_in))},
    }
    if grid.as_points(total, zoom):
        answer["mode"] = "points"
        answer["homes"]["points"] = _home_points(session, homes, home_in, cold)
        answer["partners"]["points"] = _partner_points(session, partners, partner_in)
    else:
        answer["mode"] = "cells"
        answer["homes"]["cells"] = grid.aggregate(
            homes.lat[home_in], homes.lon[home_in], box, zoom, cold).as_list()
        answer["partners"]["cells"] = grid.aggregate(
            partners.lat[partner_in], partners.lon[partner_in], box, zoom).as_list()
    return answer


def _home_points(session: Session, homes: Columns, index: np.ndarray, cold: np.ndarray):
    ids = homes.ids[index].tolist()
    names = _names(session, CareHome, ids)
    return [{"id": i, "name": names.get(i, ""), "lat": round(float(a), 5),
             "lon": round(float(b), 5), "cold": bool(c)}
            for i, a, b, c in zip(ids, homes.lat[index], homes.lon[index], cold, strict=True)]


def _partner_points(session: Session, partners: Columns, index: np.ndarray):
    ids = partners.ids[index].tolist()
    names = _names(session, CommunityGroup, ids)
    return [{"id": i, "name": names.get(i, ""), "kind": KINDS[int(k)] if k >= 0 else "other",
             "lat": round(float(a), 5), "lon": round(float(b), 5)}
            for i, a, b, k in zip(ids, partners.lat[index], partners.lon[index],
                                  partners.kind[index], strict=True)]


def _names(session: Session, model, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        out.update(session.execute(select(model.id, model.name).where(model.id.in_(chunk))).all())
    return out


@dataclass
class Overview:
    """The page around the map: totals, the cold spots and the areas missing a kind."""

    nation: str | None
    filters: Filters
    homes: int
    partners: int
    cold_total: int
    cold_homes: list[dict[str, Any]]  # at most COLD_LIST_LIMIT, by name
    areas: list[dict[str, Any]]  # one per local authority with homes, by name
    local_authorities: list[tuple[str, str]]  # (code, name) of the nation, for the filter
    # The corners (south-west, north-east) of the homes and partners shown, to open the map on.
    centre: tuple[tuple[float, float], tuple[float, float]] | None


def overview(session: Session, cache: NetworkCache, user: User, *, nation: str | None,
             filters: Filters) -> Overview:
    """Totals, the cold-spot homes and, per local authority, the kinds with no partner."""
    nation = scope.resolve_nation(user, nation)
    snap = cache.get(session)
    homes, partners = snap.homes, snap.partners
    covered, nearest = snap.reach(filters.kind)
    in_nation = _home_mask(snap, nation, Filters())
    shown = _home_mask(snap, nation, filters)
    partner_shown = _partner_mask(snap, nation, filters)
    cold_index = np.flatnonzero(shown & ~covered)

    la_in_nation = np.union1d(homes.la[in_nation],
                              partners.la[_partner_mask(snap, nation, Filters())])
    la_in_nation = [int(i) for i in la_in_nation if i >= 0]
    local_authorities = sorted(((snap.las[i], snap.la_names.get(snap.las[i], snap.las[i]))
                                for i in la_in_nation), key=lambda item: item[1])

    counts = grid.missing_kinds(partners.la, partners.kind, len(snap.las), len(KINDS))
    cold_all = ~covered
    areas = []
    wanted = [filters.kind] if filters.kind else list(EXPECTED_KINDS)
    for code, name in local_authorities:
        i = snap.las.index(code)
        if filters.local_authority and code != filters.local_authority:
            continue
        home_here = in_nation & (homes.la == i)
        if not home_here.any():
            continue  # an area without homes needs no partners
        missing = [kind for kind in wanted if counts[i, KINDS.index(kind)] == 0]
        areas.append({
            "code": code, "name": name,
            "homes": int(home_here.sum()),
            "cold": int((home_here & cold_all).sum()),
            "partners": int(counts[i].sum() if not filters.kind
                            else counts[i, KINDS.index(filters.kind)]),
            "missing": missing,
            "lat": round(float(homes.lat[home_here].mean()), 5),
            "lon": round(float(homes.lon[home_here].mean()), 5),
        })

    cold_ids = homes.ids[cold_index].tolist()
    rows = {home.id: home for home in session.scalars(
        select(CareHome).where(CareHome.id.in_(cold_ids[:5000])))} if cold_ids else {}
    listed = sorted((rows[i] for i in cold_ids if i in rows), key=lambda h: (h.name.lower(), h.id))
    nearest_by_id = dict(zip(cold_ids, nearest[cold_index].tolist(), strict=True))
    cold_homes = [{
        "id": home.id, "name": home.name, "postcode": home.postcode, "town": home.town,
        "local_authority_name": home.local_authority_name,
        "search_radius_km": home.search_radius_km, "lat": home.lat, "lon": home.lon,
        "nearest_partner_km": (round(nearest_by_id[home.id], 1)
                               if np.isfinite(nearest_by_id[home.id]) else None),
    } for home in listed[:COLD_LIST_LIMIT]]
    centre = None
    if shown.any():
        lat = np.concatenate([homes.lat[shown], partners.lat[partner_shown]])
        lon = np.concatenate([homes.lon[shown], partners.lon[partner_shown]])
        centre = ((float(lat.min()), float(lon.min())), (float(lat.max()), float(lon.max())))
    return Overview(nation, filters, int(shown.sum()), int(partner_shown.sum()),
                    len(cold_index), cold_homes, areas, local_authorities, centre)
