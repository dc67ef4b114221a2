"""Domain types for ranking: partners, homes, matches, weights, filters and the columnar table."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

import numpy as np

from .. import catalogue
from .. import safeguarding as sg
from ..geo import round_km
from ..languages import canonical_tag, is_english

if TYPE_CHECKING:
    from .explain import Reason

__all__ = [
    "AVAILABILITY_UNKNOWN",
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "SLOTS",
    "STATUSES",
    "Filters",
    "Home",
    "HomeMatch",
    "Match",
    "Partner",
    "PartnerTable",
    "Weights",
    "decode_availability",
    "describe_slots",
    "encode_availability",
]

COMPONENTS = catalogue.codes(catalogue.RANKING_COMPONENTS)
DEFAULT_WEIGHTS: dict[str, float] = dict(catalogue.DEFAULT_WEIGHTS)

# Partner statuses in code order (anything else is stored as "other").
STATUSES = ("approved", "pending", "paused", "withdrawn", "other")

# Availability slots: a day and a part of the day, e.g. "sat_pm".
_DAYS = catalogue.codes(catalogue.DAYS)
_DAY_NAMES = tuple(day.label for day in catalogue.DAYS)
_PARTS = catalogue.codes(catalogue.DAY_PARTS)
_PART_NAMES = tuple(part.plural for part in catalogue.DAY_PARTS)
_PART_ALIASES = {name: i for i, part in enumerate(catalogue.DAY_PARTS)
                 for name in (part.code, *part.aliases)}
SLOTS = catalogue.SLOTS
AVAILABILITY_UNKNOWN = np.uint32(1 << 31)
_SLOT_SPLIT = re.compile(r"[\s_\-/]+")


def _slot_bit(slot: str) -> int | None:
    parts = _SLOT_SPLIT.split(str(slot).strip().lower())
    if len(parts) != 2 or len(parts[0]) < 3:
        return None
    day = parts[0][:3]
    if day not in _DAYS or parts[1] not in _PART_ALIASES:
        return None
    return _DAYS.index(day) * 3 + _PART_ALIASES[parts[1]]


def encode_availability(slots: Iterable[str] | None) -> int:
    """Bit mask of availability slots; None (unknown) sets the unknown bit.

    Slots look like ``"sat_pm"`` (also ``"Saturday afternoon"``); unrecognised ones are ignored.
    """
    if slots is None:
        return int(AVAILABILITY_UNKNOWN)
    mask = 0
    for slot in slots:
        bit = _slot_bit(slot)
        if bit is not None:
            mask |= 1 << bit
    return mask


def decode_availability(mask: int) -> list[str] | None:
    """Slots of a mask in week order, or None when unknown."""
    mask = int(mask)
    if mask & int(AVAILABILITY_UNKNOWN):
        return None
    return [slot for i, slot in enumerate(SLOTS) if mask >> i & 1]


def describe_slots(slots: Sequence[str], limit: int = 3) -> str:
    """Plain English for slots: "Saturday afternoons and Monday mornings"."""
    phrases = []
    for slot in slots:
        bit = _slot_bit(slot)
        if bit is not None:
            phrases.append(f"{_DAY_NAMES[bit // 3]} {_PART_NAMES[bit % 3]}")
    if len(phrases) > limit:
        extra = len(phrases) - limit
        phrases = phrases[:limit] + [f"{extra} other time{'s' if extra > 1 else ''}"]
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


@dataclass
class Partner:
    """A community group or volunteer, as the ranker sees it."""

    id: int
    name: str
    kind: str
    lat: float
    lon: float
    travel_radius_km: float = 10.0
    interests: list[str] = field(default_factory=list)
    description: str = ""
    languages: list[str] = field(default_factory=list)
    availability: set[str] | None = None
    capacity_per_month: int | None = None
    active_introductions: int = 0
    offers_remote: bool = False
    status: str = "approved"
    town: str | None = None
    safeguarding_scheme: str | None = None
    safeguarding_status: str | None = None
    safeguarding_expires_on: dt.date | None = None

    @property
    def text(self) -> str:
        """Interests and description as one text for the interest features."""
        return join_text(self.interests, self.description)


@dataclass
class Home:
    """A care home, as the ranker sees it.

    ``languages`` lists ``(tag, residents)`` pairs (mappings with ``tag``/``language`` and
    ``residents`` are accepted too).
    """

    id: int
    name: str
    lat: float
    lon: float
    search_radius_km: float = 10.0
    interests: list[str] = field(default_factory=list)
    interests_text: str = ""
    languages: list = field(default_factory=list)
    residents: int = 0
    visiting_status: str = "open"
    availability: set[str] | None = None
    town: str | None = None
    nation: str | None = None
    care_types: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Interests and free text as one text for the interest features."""
        return join_text(self.interests, self.interests_text)

    @property
    def has_dementia_care(self) -> bool:
        """True when the home provides dementia care (care type ``dementia``)."""
        return "dementia" in (self.care_types or ())

    def non_english_share(self) -> float:
        """Share of the residents recorded as speaking a language other than English:
        those residents over the home's residents (over the residents recorded by language
        where the home's number is unknown), at most 1."""
        counts = self.language_counts()
        others = sum(c for t, c in counts if not is_english(t))
        total = int(self.residents or 0) or sum(c for _, c in counts)
        return min(1.0, others / total) if total > 0 else 0.0

    def language_counts(self) -> list[tuple[str, int]]:
        """``(canonical tag, residents)`` pairs, merged by tag, in first-seen order. Where the
        home's number of residents is known no language counts more speakers than that (a
        home may record more, by mistake; its page warns its staff), so that no share exceeds
        1 and a reason never says "like 1000 residents" of a home of 10."""
        counts: dict[str, int] = {}
        for item in self.languages or ():
            if isinstance(item, Mapping):
                tag = item.get("tag") or item.get("language") or ""
                residents = item.get("residents", 0)
            else:
                tag, residents = item
            tag = canonical_tag(str(tag)) if tag else ""
            if tag:
                counts[tag] = counts.get(tag, 0) + max(int(residents or 0), 0)
        cap = int(self.residents or 0)
        if cap > 0:
            return [(tag, min(count, cap)) for tag, count in counts.items()]
        return list(counts.items())


def join_text(items: Iterable[str] | None, text: str | None) -> str:
    """Interests and free text as the one text the interest features are built from."""
    parts = [str(i) for i in items or () if i]
    if text:
        parts.append(str(text))
    return " . ".join(parts)


def _round(value: float, digits: int) -> float:
    return float(round(float(value), digits))


@dataclass(slots=True)
class Match:
    """One suggested partner for a home, with its score, components and reasons
    (`explain.Reason` values, rendered into words outside the domain)."""

    partner_id: int
    name: str
    kind: str
    score: float
    distance_km: float
    components: dict[str, float]
    reasons: list[Reason]
    in_person_paused: bool = False
    shared_interests: list[str] = field(default_factory=list)
    shared_languages: list[str] = field(default_factory=list)
    offers_remote: bool = False
    town: str | None = None
    lat: float | None = None
    lon: float | None = None
    safeguarding: sg.Check | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict (score and components to 4 decimals, distance as shown,
        `geo.round_km`; reasons as ``{code, params}``)."""
        return {
            "partner_id": self.partner_id,
            "name": self.name,
            "kind": self.kind,
            "score": _round(self.score, 4),
            "distance_km": round_km(self.distance_km),
            "components": {k: _round(v, 4) for k, v in self.components.items()},
            "reasons": [r.to_dict() for r in self.reasons],
            "in_person_paused": self.in_person_paused,
            "shared_interests": list(self.shared_interests),
            "shared_languages": list(self.shared_languages),
            "offers_remote": self.offers_remote,
            "town": self.town,
            "lat": self.lat,
            "lon": self.lon,
            "safeguarding": self.safeguarding.to_dict() if self.safeguarding else None,
        }


@dataclass(slots=True)
class HomeMatch:
    """One care home that would welcome a partner (reverse matching), reasons as in `Match`."""

    home_id: int
    name: str
    score: float
    distance_km: float
    components: dict[str, float]
    reasons: list[Reason]
    in_person_paused: bool = False
    shared_interests: list[str] = field(default_factory=list)
    shared_languages: list[str] = field(default_factory=list)
    visiting_status: str = "open"
    town: str | None = None
    safeguarding: sg.Check | None = None

    def to_dict(self) -> dict:
        """JSON-ready dict (score and components to 4 decimals, distance as shown,
        `geo.round_km`; reasons as ``{code, params}``)."""
        return {
            "home_id": self.home_id,
            "name": self.name,
            "score": _round(self.score, 4),
            "distance_km": round_km(self.distance_km),
            "components": {k: _round(v, 4) for k, v in self.components.items()},
            "reasons": [r.to_dict() for r in self.reasons],
            "in_person_paused": self.in_person_paused,
            "shared_interests": list(self.shared_interests),
            "shared_languages": list(self.shared_languages),
            "visiting_status": self.visiting_status,
            "town": self.town,
            "safeguarding": self.safeguarding.to_dict() if self.safeguarding else None,
        }


class Weights(Mapping[str, float]):
    """Component weights keyed by component name (`COMPONENTS`, from the catalogue); each
    is a non-negative number. Scores divide by their sum; with every weight 0 no component
    counts, every score is 0 and the ranker's tie-break alone orders (`candidates.top`).

    ``Weights(distance=1)`` or ``Weights({"distance": 1})``: names left out take
    `DEFAULT_WEIGHTS`. Read a weight as ``w["distance"]`` or ``w.distance``.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, float] | None = None, /, **named: float):
        merged = dict(DEFAULT_WEIGHTS)
        for key, value in {**(values or {}), **named}.items():
            if key not in merged:
                known = ", ".join(COMPONENTS)
                raise ValueError(f"unknown weight '{key}' (expected one of: {known})")
            merged[key] = value
        for name, value in merged.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"weight '{name}' must be a number")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"weight '{name}' must be a non-negative number")
        object.__setattr__(self, "_values", tuple(float(merged[name]) for name in COMPONENTS))

    @classmethod
    def from_mapping(cls, mapping: Mapping | Weights | None,
                     base: Weights | None = None) -> Weights:
        """Weights from a (partial) mapping laid over ``base`` (default: DEFAULT_WEIGHTS);
        missing or None values keep the base weight."""
        if isinstance(mapping, Weights):
            return mapping
        values = (base or cls()).as_dict()
        for key, value in (mapping or {}).items():
            if key not in values:
                known = ", ".join(COMPONENTS)
                raise ValueError(f"unknown weight '{key}' (expected one of: {known})")
            if value is not None:  # None keeps the default
                values[key] = value
        return cls(values)

    def __getitem__(self, name: str) -> float:
        try:
            return self._values[COMPONENTS.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __getattr__(self, name: str) -> float:
        if name in COMPONENTS:
            return self._values[COMPONENTS.index(name)]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        raise AttributeError("Weights are immutable")

    def __iter__(self):
        return iter(COMPONENTS)

    def __len__(self) -> int:
        return len(COMPONENTS)

    def __eq__(self, other) -> bool:
        if isinstance(other, Weights):
            return self._values == other._values
        return Mapping.__eq__(self, other)

    def __hash__(self) -> int:
        return hash(self._values)

    def __reduce__(self):
        return (Weights, (self.as_dict(),))

    def __repr__(self) -> str:
        return "Weights(" + ", ".join(f"{k}={v!r}" for k, v in self.items()) + ")"

    def as_dict(self) -> dict[str, float]:
        """Weights by component name."""
        return dict(zip(COMPONENTS, self._values, strict=True))

    def as_tuple(self) -> tuple[float, ...]:
        """Weights in COMPONENTS order."""
        return self._values


@dataclass(frozen=True)
class Filters:
    """Per-request filters for `Ranker.rank`.

    - ``kinds``: only partners of these kinds;
    - ``radius_km``: replaces the home's search radius (wider or narrower); each partner's own
      travel radius still applies;
    - ``languages``: only partners speaking at least one of these languages (names or tags);
    - ``include_unapproved``: also consider ``pending`` partners (never paused or withdrawn).
    """

    kinds: frozenset[str] | None = None
    radius_km: float | None = None
    languages: frozenset[str] | None = None
    include_unapproved: bool = False

    def __post_init__(self):
        if self.radius_km is not None:
            radius = float(self.radius_km)
            if not math.isfinite(radius) or radius <= 0:
                raise ValueError("radius_km must be a positive number")
            object.__setattr__(self, "radius_km", radius)
        for name in ("kinds", "languages"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, str):
                    value = [v for v in value.split(",")]
                value = frozenset(str(v).strip() for v in value if str(v).strip())
                if name == "languages":
                    value = frozenset(canonical_tag(v) for v in value)
                object.__setattr__(self, name, value)

    @classmethod
    def from_mapping(cls, mapping: Mapping | Filters | None) -> Filters:
        """Filters from a mapping with any of the field names (unknown keys are an error)."""
        if isinstance(mapping, Filters):
            return mapping
        mapping = dict(mapping or {})
        known = {f.name for f in fields(cls)}
        unknown = set(mapping) - known
        if unknown:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        return cls(**mapping)


def _status_code(status: str) -> int:
    status = (status or "").strip().lower()
    return STATUSES.index(status) if status in STATUSES[:-1] else len(STATUSES) - 1


def _codes(values: Sequence[str] | np.ndarray, labels: Sequence[str] | None = None):
    """Integer codes for string labels, plus the label list."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
        if labels is None:
            raise ValueError("integer codes need their labels")
        return values.astype(np.int16), list(labels)
    uniq, inv = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return inv.astype(np.int16), [str(u) for u in uniq]


@dataclass
class PartnerTable:
    """Partners in columns (numpy arrays plus a few lists) so a million fit in memory cheaply.

    Build with `from_partners` (from `Partner` objects) or `from_columns` (from arrays).
    Languages are a CSR structure: partner ``i`` speaks ``lang_tags[lang_codes[j]]`` for
    ``j`` in ``lang_indptr[i]:lang_indptr[i + 1]``. Availability masks use `encode_availability`;
    capacity -1 means unknown. Safeguarding checks are `safeguarding.encode`d: ``check``
    codes and ``check_until`` expiry ordinals (0: none).
    """

    ids: np.ndarray
    names: list[str]
    kind_codes: np.ndarray
    kind_labels: list[str]
    lat: np.ndarray
    lon: np.ndarray
    travel_radius_km: np.ndarray
    texts: list[str]
    lang_indptr: np.ndarray
    lang_codes: np.ndarray
    lang_tags: list[str]
    availability: np.ndarray
    capacity: np.ndarray
    active: np.ndarray
    remote: np.ndarray
    status_codes: np.ndarray
    towns: list[str] | None = None  # what a match list shows as the partner's place
    check: np.ndarray | None = None
    check_until: np.ndarray | None = None

    def __post_init__(self):
        n = len(self.ids)
        if self.towns is None:
            self.towns = [""] * n
        self.check = np.zeros(n, np.int8) if self.check is None else np.asarray(
            self.check, dtype=np.int8)
        self.check_until = np.zeros(n, np.int32) if self.check_until is None else np.asarray(
            self.check_until, dtype=np.int32)
        self.ids = np.asarray(self.ids, dtype=np.int64)
        for name in ("lat", "lon", "travel_radius_km"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        self.kind_codes = np.asarray(self.kind_codes, dtype=np.int16)
        self.lang_indptr = np.asarray(self.lang_indptr, dtype=np.int64)
        self.lang_codes = np.asarray(self.lang_codes, dtype=np.int32)
        self.availability = np.asarray(self.availability, dtype=np.uint32)
        self.capacity = np.asarray(self.capacity, dtype=np.int32)
        self.active = np.asarray(self.active, dtype=np.int32)
        self.remote = np.asarray(self.remote, dtype=bool)
        self.status_codes = np.asarray(self.status_codes, dtype=np.int8)
        sizes = {
            "names": len(self.names), "kind_codes": len(self.kind_codes), "lat": len(self.lat),
            "lon": len(self.lon), "travel_radius_km": len(self.travel_radius_km),
            "texts": len(self.texts), "availability": len(self.availability),
            "capacity": len(self.capacity), "active": len(self.active),
            "remote": len(self.remote), "status_codes": len(self.status_codes),
            "lang_indptr": len(self.lang_indptr) - 1, "towns": len(self.towns),
            "check": len(self.check), "check_until": len(self.check_until),
        }
        wrong = [k for k, v in sizes.items() if v != n]
        if wrong:
            raise ValueError(f"partner columns of the wrong length: {', '.join(wrong)}")
        if n:
            if not (np.isfinite(self.lat).all() and np.isfinite(self.lon).all()):
                raise ValueError("partner coordinates must be finite")
            if np.abs(self.lat).max() > 90 or np.abs(self.lon).max() > 180:
                raise ValueError("partner coordinates out of range")
            if not np.isfinite(self.travel_radius_km).all() or self.travel_radius_km.min() < 0:
                raise ValueError("travel radii must be non-negative numbers")
            if len(np.unique(self.ids)) != n:
                raise ValueError("partner ids must be unique")
        if self.lang_indptr[0] != 0 or self.lang_indptr[-1] != len(self.lang_codes):
            raise ValueError("lang_indptr does not match lang_codes")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_partners(cls, partners: Sequence[Partner]) -> PartnerTable:
        """Columnar copy of `Partner` objects."""
        tags: dict[str, int] = {}
        indptr = [0]
        codes: list[int] = []
        for p in partners:
            seen = set()
            for tag in p.languages or ():
                code = tags.setdefault(canonical_tag(tag), len(tags))
                if code not in seen:
                    seen.add(code)
                    codes.append(code)
            indptr.append(len(codes))
        kind_codes, kind_labels = _codes([p.kind or "other" for p in partners])
        checks = [sg.encode(p.safeguarding_scheme, p.safeguarding_status,
                            p.safeguarding_expires_on) for p in partners]
        return cls(
            ids=np.array([p.id for p in partners], dtype=np.int64),
            names=[p.name for p in partners],
            kind_codes=kind_codes,
            kind_labels=kind_labels,
            lat=np.array([p.lat for p in partners], dtype=np.float64),
            lon=np.array([p.lon for p in partners], dtype=np.float64),
            travel_radius_km=np.array([p.travel_radius_km for p in partners], dtype=np.float64),
            texts=[p.text for p in partners],
            lang_indptr=np.array(indptr, dtype=np.int64),
            lang_codes=np.array(codes, dtype=np.int32),
            lang_tags=list(tags),
            availability=np.array(
                [encode_availability(p.availability) for p in partners], dtype=np.uint32
            ),
            capacity=np.array(
                [-1 if p.capacity_per_month is None else p.capacity_per_month for p in partners],
                dtype=np.int32,
            ),
            active=np.array([p.active_introductions or 0 for p in partners], dtype=np.int32),
            remote=np.array([bool(p.offers_remote) for p in partners], dtype=bool),
            status_codes=np.array([_status_code(p.status) for p in partners], dtype=np.int8),
            towns=[p.town or "" for p in partners],
            check=np.array([c for c, _ in checks], dtype=np.int8),
            check_until=np.array([u for _, u in checks], dtype=np.int32),
        )

    @classmethod
    def from_columns(
        cls,
        *,
        ids,
        lat,
        lon,
        names: Sequence[str] | None = None,
        kinds: Sequence[str] | np.ndarray | None = None,
        kind_labels: Sequence[str] | None = None,
        travel_radius_km=10.0,
        texts: Sequence[str] | None = None,
        languages: Sequence[Sequence[str]] | None = None,
        availability=None,
        capacity=None,
        active=None,
        remote=None,
        status: Sequence[str] | np.ndarray | None = None,
        towns: Sequence[str | None] | None = None,
        safeguarding: Sequence[tuple] | None = None,
    ) -> PartnerTable:
        """Table from columns; scalars broadcast, omitted columns take neutral defaults.

        ``kinds`` may be strings or integer codes with ``kind_labels``; ``availability`` may be
        a list of slot sets (None = unknown) or an array of masks; ``status`` strings or codes;
        ``safeguarding`` ``(scheme, status, expires_on)`` of each partner (None: no check).
        """
        ids = np.asarray(ids, dtype=np.int64)
        n = len(ids)

        def column(value, dtype, default):
            if value is None:
                value = default
            if np.isscalar(value):
                return np.full(n, value, dtype=dtype)
            return np.asarray(value, dtype=dtype)

        if kinds is None:
            kind_codes, labels = np.zeros(n, np.int16), ["other"]
        else:
            kind_codes, labels = _codes(kinds, kind_labels)
        tags: dict[str, int] = {}
        if languages is None:
            indptr = np.zeros(n + 1, np.int64)
            codes = np.zeros(0, np.int32)
        else:
            indptr_list, code_list = [0], []
            for langs in languages:
                row = {tags.setdefault(canonical_tag(t), len(tags)) for t in langs or ()}
                code_list.extend(sorted(row))
                indptr_list.append(len(code_list))
            indptr = np.array(indptr_list, np.int64)
            codes = np.array(code_list, np.int32)
        if availability is None:
            avail = np.full(n, AVAILABILITY_UNKNOWN, np.uint32)
        elif isinstance(availability, np.ndarray) and availability.dtype.kind in "iu":
            avail = availability.astype(np.uint32)
        else:
            avail = np.array([encode_availability(a) for a in availability], np.uint32)
        if status is None:
            status_codes = np.zeros(n, np.int8)
        elif isinstance(status, np.ndarray) and status.dtype.kind in "iu":
            status_codes = status.astype(np.int8)
        else:
            status_codes = np.array([_status_code(s) for s in status], np.int8)
        return cls(
            ids=ids,
            names=list(names) if names is not None else [f"Partner {i}" for i in ids.tolist()],
            kind_codes=kind_codes,
            kind_labels=labels,
            lat=column(lat, np.float64, 0.0),
            lon=column(lon, np.float64, 0.0),
            travel_radius_km=column(travel_radius_km, np.float64, 10.0),
            texts=list(texts) if texts is not None else [""] * n,
            lang_indptr=indptr,
            lang_codes=codes,
            lang_tags=list(tags),
            availability=avail,
            capacity=column(capacity, np.int32, -1),
            active=column(active, np.int32, 0),
            remote=column(remote, bool, False),
            status_codes=status_codes,
            towns=[t or "" for t in towns] if towns is not None else None,
            **_check_columns(safeguarding),
        )

    def take(self, index: np.ndarray) -> PartnerTable:
        """Rows at ``index`` (positions), as a new table sharing the label lists."""
        index = np.asarray(index, dtype=np.int64)
        starts, ends = self.lang_indptr[index], self.lang_indptr[index + 1]
        lengths = ends - starts
        gather = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(
            lengths.sum()
        )
        return PartnerTable(
            ids=self.ids[index],
            names=[self.names[i] for i in index.tolist()],
            kind_codes=self.kind_codes[index],
            kind_labels=self.kind_labels,
            lat=self.lat[index],
            lon=self.lon[index],
            travel_radius_km=self.travel_radius_km[index],
            texts=[self.texts[i] for i in index.tolist()],
            lang_indptr=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
            lang_codes=self.lang_codes[gather],
            lang_tags=self.lang_tags,
            availability=self.availability[index],
            capacity=self.capacity[index],
            active=self.active[index],
            remote=self.remote[index],
            status_codes=self.status_codes[index],
            towns=[self.towns[i] for i in index.tolist()],
            check=self.check[index],
            check_until=self.check_until[index],
        )

    @staticmethod
    def concat(tables: Sequence[PartnerTable]) -> PartnerTable:
        """One table from several (labels are merged)."""
        tables = [t for t in tables if t is not None]
        kind_labels: dict[str, int] = {}
        lang_tags: dict[str, int] = {}
        kind_parts, lang_parts, indptr_parts, offset = [], [], [np.zeros(1, np.int64)], 0
        for t in tables:
            kmap = np.array([kind_labels.setdefault(k, len(kind_labels)) for k in t.kind_labels],
                            dtype=np.int16)
            lmap = np.array([lang_tags.setdefault(g, len(lang_tags)) for g in t.lang_tags],
                            dtype=np.int32)
            kind_parts.append(kmap[t.kind_codes] if len(t) else np.zeros(0, np.int16))
            lang_parts.append(lmap[t.lang_codes] if len(t.lang_codes) else np.zeros(0, np.int32))
            indptr_parts.append(t.lang_indptr[1:] + offset)
            offset += len(t.lang_codes)

        def cat(name):
            return np.concatenate([getattr(t, name) for t in tables])

        return PartnerTable(
            ids=cat("ids"),
            names=[name for t in tables for name in t.names],
            kind_codes=np.concatenate(kind_parts) if kind_parts else np.zeros(0, np.int16),
            kind_labels=list(kind_labels) or ["other"],
            lat=cat("lat"),
            lon=cat("lon"),
            travel_radius_km=cat("travel_radius_km"),
            texts=[text for t in tables for text in t.texts],
            lang_indptr=np.concatenate(indptr_parts),
            lang_codes=np.concatenate(lang_parts) if lang_parts else np.zeros(0, np.int32),
            lang_tags=list(lang_tags),
            availability=cat("availability"),
            capacity=cat("capacity"),
            active=cat("active"),
            remote=cat("remote"),
            status_codes=cat("status_codes"),
            towns=[town for t in tables for town in t.towns],
            check=cat("check"),
            check_until=cat("check_until"),
        )


def _check_columns(checks: Sequence[tuple] | None) -> dict:
    """``check`` and ``check_until`` columns from ``(scheme, status, expires_on)`` triples."""
    if checks is None:
        return {}
    encoded = [sg.encode(*c) if c else (0, 0) for c in checks]
    return {"check": np.array([c for c, _ in encoded], dtype=np.int8),
            "check_until": np.array([u for _, u in encoded], dtype=np.int32)}
