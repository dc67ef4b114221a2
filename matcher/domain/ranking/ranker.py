"""The Ranker: approved partners near a care home, scored, explained and ordered.

The work is split by concern:

- `grid`: the spatial index (partners sorted by grid cell, posting keys for interests and
  languages) and the search for candidates within a home's circle;
- `candidates`: scoring the candidates of one home, with exact pruning in dense places, and
  the final order;
- `components`: the scoring model both directions share, named component functions in
  [0, 1] and one weighted sum, and `resolve_weights`, the one place weights are decided;
- `explain`: the reasons for each match, as structured values (a code and parameters);
- `reverse`: the homes that would welcome a partner;
- `persistence`: saving and memory-mapping a fitted index;
- `batch`: match lists for many homes at once.

Scoring (every component in [0, 1]):
- distance: ``1 - d / r`` where ``r`` is the smaller of the home's search radius and the
  partner's travel radius (hard limits: beyond either the partner is not a candidate);
- interests: coverage (`coverage`): the share of the home's interests the partner serves,
  through the specific concepts of the activity taxonomy (Welsh hymns ~ male voice choir ~
  singing; dogs ~ pet therapy) or the same words; an interest whose broad category alone is
  shared earns a small partial credit and is never claimed;
- language: of the residents whose language is not English, the share whose language the
  partner speaks. Its weight grows with need (`components.language_factor`: the share of
  residents whose language is not English, and dementia care). Homes with only English (or
  no languages recorded) get 0 for everyone and the language weight is left out of the sum,
  i.e. spread proportionally over the others;
- availability: shared slots / the smaller of the two schedules; 0.5 when either is unknown;
- capacity: remaining share of monthly capacity; 0.5 when unknown.
``score = sum(w * component) / sum(w)``.

Ordering: (1) when visits are restricted, partners offering video calls or letters first;
(2) partners serving an interest or sharing a language (with a positive weight) before
those doing neither, so distance only orders partners that are otherwise alike; (3) score;
(4) distance; (5) partner id. Scores are therefore not always descending down the list.
Closed homes only see partners offering remote contact.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from .. import catalogue, safeguarding
from ..geo import limit_km
from ..interests import Taxonomy
from ..languages import is_english
from . import components, coverage, persistence, reverse
from .candidates import Query, score_segment, top
from .explain import explain_matches
from .features import TextAnalyser, TfidfIndex, chord2_for_km
from .grid import (
    ALIVE,
    APPROVED,
    PENDING,
    SLOT_BITS,
    Columns,
    Segment,
    search_keys,
)
from .persistence import FORMAT_VERSION
from .types import (
    COMPONENTS,
    Filters,
    Home,
    HomeMatch,
    Match,
    Partner,
    PartnerTable,
    encode_availability,
)

__all__ = ["FORMAT_VERSION", "Ranker"]

_VISITING = reverse.VISITING
_NO_FILTERS = Filters()
# Homes whose words are kept analysed: every home in the UK (~17,000) fits.
_TEXT_CACHE_SIZE = 32_768


class Ranker(BaseEstimator):
    """Ranks approved community partners for a care home (and homes for a partner).

    Follows scikit-learn's estimator conventions: ``__init__`` only stores parameters,
    `fit` learns from partners and returns ``self``, learned attributes end in ``_``.

    Parameters
    ----------
    weights : mapping, optional
        Default component weights (missing keys take `DEFAULT_WEIGHTS`); each request may
        override them.
    taxonomy : Taxonomy or path, optional
        Activity taxonomy; ``data/taxonomy.json`` by default.
    cell_deg : float
        Grid cell size in degrees for the spatial index.
    compact_at : int
        `partial_update` folds pending changes into the main index once this many partners
        have been added or replaced since the last full build.
    n_jobs : int
        Worker processes for `rank_many` (1 = in this process).
    """

    def __init__(self, weights=None, taxonomy=None, cell_deg=0.02, compact_at=50_000, n_jobs=1):
        self.weights = weights
        self.taxonomy = taxonomy
        self.cell_deg = cell_deg
        self.compact_at = compact_at
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------------------ fitting
    def fit(self, partners: PartnerTable | Iterable[Partner], y=None) -> Ranker:
        """Index partners (a list of `Partner` or a `PartnerTable`)."""
        table = self._as_table(partners)
        if not (isinstance(self.cell_deg, (int, float)) and 0 < self.cell_deg <= 10):
            raise ValueError("cell_deg must be a number of degrees in (0, 10]")
        self.weights_ = components.resolve_weights(self.weights)
        if isinstance(self.taxonomy, Taxonomy):
            self.taxonomy_ = self.taxonomy
        else:
            self.taxonomy_ = Taxonomy.load(self.taxonomy)
        self.analyser_ = TextAnalyser(self.taxonomy_)
        self.tfidf_ = TfidfIndex(self.analyser_)
        rows, stems, counts, masks, con = self.analyser_.analyse_many(table.texts,
                                                                      with_concepts=True)
        matrix = self.tfidf_.fit_transform(rows, stems, counts, len(table))
        del rows, stems, counts  # large: free before the index is built
        self.kind_labels_: list[str] = []
        self.lang_tags_: list[str] = []
        self.town_labels_: list[str] = []
        self._reset_caches()
        columns = self._columns(table, matrix, masks, con)
        del matrix, masks, con
        self.main_ = Segment.build(columns, float(self.cell_deg))
        self.delta_ = None
        self.homes_ = None
        return self

    def _reset_caches(self) -> None:
        self._lock = threading.RLock()
        self._text_cache: OrderedDict = OrderedDict()
        self._lang_index_cache = None

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "main_")

    def _check_fitted(self):
        if not hasattr(self, "main_"):
            raise NotFittedError("this Ranker is not fitted yet: call fit(partners) first")

    @staticmethod
    def _as_table(partners) -> PartnerTable:
        if isinstance(partners, PartnerTable):
            return partners
        return PartnerTable.from_partners(list(partners))

    def _code_map(self, labels: Sequence[str], vocab: list[str], dtype) -> np.ndarray:
        index = {label: i for i, label in enumerate(vocab)}
        codes = []
        for label in labels:
            if label not in index:
                index[label] = len(vocab)
                vocab.append(label)
            codes.append(index[label])
        return np.array(codes, dtype=dtype) if codes else np.zeros(0, dtype)

    def _columns(self, table: PartnerTable, matrix: sp.csr_matrix, masks: np.ndarray,
                 con: np.ndarray) -> Columns:
        kind_map = self._code_map(table.kind_labels, self.kind_labels_, np.int16)
        lang_map = self._code_map(table.lang_tags, self.lang_tags_, np.int32)
        town = self._code_map(table.towns, self.town_labels_, np.int32)
        # Speaking a language carries its concept: a Welsh-speaking choir sings Welsh hymns.
        speaker = np.repeat(np.arange(len(table)), np.diff(table.lang_indptr))
        for code, tag in enumerate(table.lang_tags):
            bit_mask = self.taxonomy_.language_concepts([tag])
            if bit_mask:
                bit = bit_mask.bit_length() - 1
                rows = speaker[table.lang_codes == code]
                con[rows, bit // 64] |= np.uint64(1 << (bit % 64))
        return Columns(
            ids=table.ids,
            names_blob=np.zeros(0, np.uint8),
            names_off=np.zeros(len(table) + 1, np.int64),
            names=table.names,
            kind=kind_map[table.kind_codes] if len(table) else np.zeros(0, np.int16),
            lat=table.lat,
            lon=table.lon,
            travel=table.travel_radius_km,
            lang_indptr=table.lang_indptr,
            lang=lang_map[table.lang_codes] if len(table.lang_codes) else np.zeros(0, np.int32),
            avail=table.availability,
            capacity=table.capacity,
            active=table.active,
            remote=table.remote,
            status=table.status_codes,
            tfidf=matrix,
            cat=masks,
            town=town,
            check=table.check,
            check_until=table.check_until,
            con=con,
        )

    @property
    def n_partners_(self) -> int:
        """Partners currently indexed (after updates)."""
        self._check_fitted()
        return sum(int((s.flags & ALIVE).astype(bool).sum()) for s in self._segments())

    def _segments(self) -> list[Segment]:
        return [s for s in (self.main_, self.delta_) if s is not None and s.n]

    # ------------------------------------------------------------------------------ updates
    def partial_update(self, add_or_replace=None, remove_ids=None) -> Ranker:
        """Add or replace partners and remove others without a full refit.

        Removed and replaced partners are hidden at once (a flag in the index). New versions
        go into a small second index that queries search as well; once ``compact_at``
        partners have accumulated there, both indexes are merged into one. The TF-IDF
        vocabulary and idf stay as fitted (words first seen later still count through the
        taxonomy); call `fit` now and then, e.g. nightly, to refresh them.
        """
        self._check_fitted()
        with self._lock:
            table = None
            if add_or_replace is not None:
                table = self._as_table(add_or_replace)
                if len(table) == 0:
                    table = None
            gone = [] if remove_ids is None else list(remove_ids)
            gone_ids = np.asarray(gone + ([] if table is None else table.ids.tolist()),
                                  dtype=np.int64)
            for segment in self._segments():
                pos = segment.positions_of(gone_ids)
                pos = pos[pos >= 0]
                if len(pos):
                    if not segment.flags.flags.writeable:
                        segment.flags = segment.flags.copy()
                    segment.flags[pos] &= ~ALIVE
            if table is None:
                return self
            rows, stems, counts, masks, con = self.analyser_.analyse_many(table.texts,
                                                                          with_concepts=True)
            matrix = self.tfidf_.transform_many(rows, stems, counts, len(table))
            fresh = self._columns(table, matrix, masks, con)
            parts = [fresh]
            if self.delta_ is not None and self.delta_.n:
                parts.insert(0, self.delta_.columns())
            merged = Columns.concat(parts)
            if len(merged) >= self.compact_at:
                parts = [self.main_.columns(), merged]
                self.main_ = Segment.build(Columns.concat(parts), self.main_.cell)
                self.delta_ = None
            else:
                self.delta_ = Segment.build(merged, self.main_.cell)
        return self

    def forget(self, ids: Sequence[int]) -> bool:
        """Remove these partners and drop everything the index held about them (names,
        places, text vectors) at once, instead of hiding their rows until the next
        compaction: an erased partner must leave no trace. True when any was indexed."""
        self._check_fitted()
        wanted = np.asarray(list(ids), dtype=np.int64)
        with self._lock:
            held = any(bool((s.positions_of(wanted) >= 0).any()) for s in self._segments())
            if held:
                self.partial_update(remove_ids=wanted.tolist())
                self.compact()
        return held

    def compact(self) -> Ranker:
        """Merge pending updates into the main index and drop removed partners."""
        self._check_fitted()
        with self._lock:
            parts = [s.columns() for s in self._segments()]
            self.main_ = Segment.build(Columns.concat(parts), self.main_.cell)
            self.delta_ = None
        return self

    # ------------------------------------------------------------------------------ queries
    def _lang_index(self) -> dict[str, int]:
        cache = getattr(self, "_lang_index_cache", None)
        if cache is None or len(cache) != len(self.lang_tags_):
            cache = self._lang_index_cache = {t: i for i, t in enumerate(self.lang_tags_)}
        return cache

    def _home_items(self, home: Home) -> coverage.HomeItems:
        """The interests a home's coverage is measured on (cached: homes are asked about
        repeatedly)."""
        key = (tuple(home.interests or ()), home.interests_text or "")
        cache = self._text_cache
        with self._lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return found
            found = coverage.home_items(self.taxonomy_, self.analyser_, self.tfidf_,
                                        home.interests, home.interests_text)
            cache[key] = found
            if len(cache) > _TEXT_CACHE_SIZE:
                cache.popitem(last=False)
            return found

    def _prepare(self, home: Home, weights, filters, today: dt.date | None = None) -> Query:
        filters = _NO_FILTERS if filters is None else Filters.from_mapping(filters)
        radius = filters.radius_km if filters.radius_km is not None else home.search_radius_km
        radius = float(radius or 0.0)
        if not math.isfinite(radius) or radius < 0:
            raise ValueError("search radius must be a non-negative number of km")
        lat, lon = float(home.lat), float(home.lon)
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise ValueError("home coordinates are missing or out of range")
        phi, lam = math.radians(lat), math.radians(lon)
        xyz = (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))
        # The hard limit compares the distance as shown (to 0.1 km) with the radius.
        limit = limit_km(radius)
        lo_keys, hi_keys = search_keys(lat, lon, limit, self.main_.cell)
        cover = self._home_items(home)
        others = [(t, c) for t, c in home.language_counts() if c > 0 and not is_english(t)]
        total = sum(c for _, c in others)
        index = self._lang_index()
        known = [(t, index[t], c) for t, c in others if t in index]
        w = components.weight_vector(components.resolve_weights(self.weights_, weights),
                                     english_only=total == 0,
                                     language_factor=components.language_factor(
                                         home.non_english_share(), home.has_dementia_care))
        status = str(home.visiting_status or "open").strip().lower()
        status = status if status in _VISITING else "open"
        status_bits = APPROVED | (PENDING if filters.include_unapproved else np.uint8(0))
        kind_ok = None
        if filters.kinds is not None:
            kind_ok = np.array([label in filters.kinds for label in self.kind_labels_] or [False])
        filter_langs = None
        if filters.languages is not None:
            filter_langs = np.array([index[t] for t in filters.languages if t in index],
                                    dtype=np.int64)
        avail = encode_availability(home.availability)
        return Query(
            home=home, radius=radius, xyz=xyz, c2=float(chord2_for_km(limit)),
            lo_keys=lo_keys, hi_keys=hi_keys, cover=cover,
            lang_ids=np.array([i for _, i, _ in known], dtype=np.int64),
            lang_w=np.array([c / total for _, _, c in known], dtype=np.float64),
            lang_counts=others, english_only=total == 0,
            avail=avail, avail_n=(avail & int(SLOT_BITS)).bit_count(),
            weights=w, weight_sum=components.weight_sum(w),
            status=status, status_bits=np.uint8(status_bits), kind_ok=kind_ok,
            filter_langs=filter_langs, explain_langs=known,
            today=safeguarding.ordinal(today or dt.date.today()),
            scheme=catalogue.SCHEME_FOR_NATION.get(home.nation or "") or None,
        )


    def rank(self, home: Home, k: int = 20, weights=None, filters=None,
             explain: bool = True, today: dt.date | None = None) -> list[Match]:
        """The ``k`` best partners for a home, best first, with components and reasons.

        ``weights`` (a partial mapping) overrides the default weights for this request;
        ``filters`` is a `Filters` or a mapping with ``kinds``, ``radius_km``, ``languages``
        and ``include_unapproved``. With ``explain=False`` the matches carry scores and
        components but no reasons or shared lists (cheaper, e.g. for allocation).
        ``today`` is the day safeguarding checks are judged on (`safeguarding`); callers
        pass it (the services give the current date), the local date otherwise.
        """
        self._check_fitted()
        k = int(k)
        if k <= 0:
            return []
        q = self._prepare(home, weights, filters, today)
        parts = []
        for seg in self._segments():
            result = score_segment(seg, q, k)
            if result is not None:
                parts.append((seg, result))
        chosen = top(parts, k)
        return explain_matches(self, q, chosen) if explain else self._bare(q, chosen)

    def _town(self, code: int) -> str | None:
        labels = self.town_labels_
        return (labels[code] or None) if 0 <= code < len(labels) else None

    def _bare(self, q: Query, chosen) -> list[Match]:
        matches = []
        for (seg, result), i in chosen:
            p = int(result["pos"][i])
            remote = bool(result["remote"][i])
            kind = int(seg.kind[p])
            check = safeguarding.judge_code(seg.check[p], seg.check_until[p], q.today,
                                            safeguarding.needed(q.status, remote))
            matches.append(Match(
                partner_id=int(seg.ids[p]), name=seg.name(p),
                kind=self.kind_labels_[kind] if kind < len(self.kind_labels_) else "other",
                score=float(result["score"][i]), distance_km=float(result["dist"][i]),
                components={n: float(c[i]) for n, c in zip(COMPONENTS, result["components"],
                                                           strict=True)},
                reasons=[], in_person_paused=q.status == "restricted" and not remote,
                offers_remote=remote, town=self._town(int(seg.town[p])),
                lat=float(seg.lat[p]), lon=float(seg.lon[p]), safeguarding=check))
        return matches

    def rank_many(self, homes: Sequence[Home], k: int = 20, weights=None, filters=None,
                  n_jobs: int | None = None, explain: bool = True,
                  today: dt.date | None = None) -> dict[int, list[Match]]:
        """Top ``k`` partners for each home (dict keyed by home id, in input order).

        With ``n_jobs > 1`` homes are shared among worker processes (fork), which read the
        fitted index without copying it. ``explain`` and ``today`` as in `rank`.
        """
        from .batch import rank_many

        self._check_fitted()
        return rank_many(self, homes, k=k, weights=weights, filters=filters,
                         n_jobs=self.n_jobs if n_jobs is None else n_jobs, explain=explain,
                         today=today or dt.date.today())

    # ---------------------------------------------------------------------- reverse matching
    def fit_homes(self, homes: Sequence[Home]) -> Ranker:
        """Index care homes for `rank_homes` (uses the partners' TF-IDF vocabulary)."""
        self._check_fitted()
        self.homes_ = reverse.fit_homes(self, homes)
        return self

    def rank_homes(self, partner: Partner, k: int = 20, weights=None,
                   homes: Sequence[Home] | None = None,
                   today: dt.date | None = None) -> list[HomeMatch]:
        """The ``k`` care homes that would best welcome a partner (reverse matching).

        A home qualifies when the distance is within both its search radius and the partner's
        travel radius; closed homes only for partners offering remote contact. Components and
        score are those of `rank` (the same `components`) seen from the other side (capacity
        is the partner's own, so equal for every home). Restricted homes are listed after the
        others for partners who only visit in person, flagged ``in_person_paused``. The
        partner's own status is not checked, so a pending group can see where it would fit.
        The partner's safeguarding check is judged on ``today`` as in `rank`.
        """
        self._check_fitted()
        if homes is not None:
            self.fit_homes(homes)
        return reverse.rank_homes(self, partner, int(k), weights, today or dt.date.today())

    # --------------------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted index to a directory (pending updates are merged first); see
        `persistence`."""
        self._check_fitted()
        return persistence.save(self, path)

    @classmethod
    def load(cls, path: str | Path, mmap: bool = True, weights=None) -> Ranker:
        """Load an index written by `save`; arrays are memory-mapped unless ``mmap=False``.

        ``weights`` are the weights to score with (e.g. the configured ones); without them
        the ranker keeps those it was saved with.
        """
        return persistence.load(cls, path, mmap=mmap, weights=weights)

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in ("_lock", "_text_cache", "_lang_index_cache"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset_caches()
