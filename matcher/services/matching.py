"""Matching: rankers fitted from the database, kept fresh across workers by data versions.

What the API, pages, match lists and allocations are given also depends on the pair's
introductions: a pair whose introduction was declined or ended less than
``INTRODUCTION_COOLDOWN_DAYS`` ago is not suggested (the ranker is asked for that many more,
so ``limit`` matches still come back when there are enough), and a pair with an open one is
shown with its ``introduction_status``. Safeguarding checks are judged on today's date,
passed to the ranker.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import DEFAULTS
from ..domain import catalogue
from ..domain.ranking import Home, Partner, PartnerTable, Ranker, persistence
from ..domain.ranking.batch import no_gc
from ..domain.ranking.components import language_factor as _language_factor
from ..domain.ranking.components import resolve_weights
from ..domain.ranking.types import join_text
from ..models import (
    AuditLog,
    CareHome,
    CommunityGroup,
    Introduction,
    IntroductionEvent,
    User,
    utcnow,
)
from . import scope, versions

log = logging.getLogger(__name__)

# Changes committed this long before a sync may still have been invisible to it (a transaction
# stamps updated_at when it writes, not when it commits), so each catch-up looks back this far.
SYNC_MARGIN = dt.timedelta(minutes=2)

_PARTNER_COLUMNS = (
    CommunityGroup.id, CommunityGroup.name, CommunityGroup.kind, CommunityGroup.lat,
    CommunityGroup.lon, CommunityGroup.travel_radius_km, CommunityGroup.interests,
    CommunityGroup.description, CommunityGroup.languages, CommunityGroup.availability,
    CommunityGroup.capacity_per_month, CommunityGroup.offers_remote, CommunityGroup.status,
    CommunityGroup.town, CommunityGroup.local_authority_name,
    CommunityGroup.safeguarding_scheme, CommunityGroup.safeguarding_status,
    CommunityGroup.safeguarding_expires_on,
)
# Introductions in these statuses are over: the pair waits out the cool-down.
CLOSED_STATUSES = tuple(s for s in catalogue.codes(catalogue.INTRODUCTION_STATUSES)
                        if s not in catalogue.INTRODUCTION_OPEN_STATUSES)


# Ids sent in one ``IN (...)``: a catch-up after `regeocode` or a big import can concern
# hundreds of thousands of partners, and PostgreSQL takes at most 65,535 parameters.
_CHUNK = 10_000


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    """``ids`` sorted and without repeats, in lists of at most `_CHUNK`."""
    ids = sorted(set(ids))
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _active_counts(session: Session, ids: Iterable[int] | None = None) -> dict[int, int]:
    query = (select(Introduction.group_id, func.count())
             .where(Introduction.status == "active").group_by(Introduction.group_id))
    if ids is None:
        return dict(session.execute(query).all())
    counts: dict[int, int] = {}
    for chunk in _chunks(ids):
        counts.update(session.execute(query.where(Introduction.group_id.in_(chunk))).all())
    return counts


def load_partners(session: Session, ids: Iterable[int] | None = None) -> PartnerTable:
    """Approved groups (all, or those of ``ids``) as the ranker's columnar table, by id."""
    query = select(*_PARTNER_COLUMNS).where(CommunityGroup.status == "approved")
    if ids is None:
        rows = session.execute(query.order_by(CommunityGroup.id)).all()
    else:
        rows = []
        for chunk in _chunks(ids):  # ascending chunks, so the rows stay in id order
            rows.extend(session.execute(query.where(CommunityGroup.id.in_(chunk))
                                        .order_by(CommunityGroup.id)).all())
    active = _active_counts(session, None if ids is None else [r.id for r in rows])
    return PartnerTable.from_columns(
        ids=[r.id for r in rows],
        lat=[r.lat for r in rows],
        lon=[r.lon for r in rows],
        names=[r.name for r in rows],
        kinds=[r.kind for r in rows],
        travel_radius_km=[r.travel_radius_km for r in rows],
        texts=[join_text(r.interests, r.description) for r in rows],
        languages=[[lang["tag"] for lang in r.languages or ()] for r in rows],
        availability=[set(r.availability) if r.availability else None for r in rows],
        capacity=[-1 if r.capacity_per_month is None else r.capacity_per_month for r in rows],
        active=[active.get(r.id, 0) for r in rows],
        remote=[bool(r.offers_remote) for r in rows],
        status=[r.status for r in rows],
        towns=[r.town or r.local_authority_name or "" for r in rows],
        safeguarding=[(r.safeguarding_scheme, r.safeguarding_status,
                       r.safeguarding_expires_on) for r in rows],
    )


def home_for(home: CareHome) -> Home:
    """The ranker's view of a care home."""
    return Home(
        id=home.id, name=home.name, lat=home.lat, lon=home.lon,
        search_radius_km=home.search_radius_km or 10.0,
        interests=list(home.interests or ()), interests_text=home.interests_text or "",
        languages=[(lang["tag"], lang.get("residents", 0)) for lang in home.languages or ()],
        residents=home.residents or 0, visiting_status=home.visiting_status or "open",
        availability=set(home.availability) if home.availability else None, town=home.town,
        nation=home.nation,
        care_types=list(home.care_types or ()),
    )


def language_factor(home: CareHome) -> float:
    """How many times the language weight counts for a home (its need: the share of residents
    whose language is not English, and dementia care); 0 for an English-only home."""
    h = home_for(home)
    if h.non_english_share() == 0:
        return 0.0
    return _language_factor(h.non_english_share(), h.has_dementia_care)


class RankerCache:
    """One fitted ranker per worker process, checked against the database's data versions:
    a changed version triggers a cheap catch-up (`Ranker.partial_update`) with the partners
    changed since the last sync. The check is a query, so it is made at most once every
    ``check_every`` seconds, and at once after this process changed something itself: a
    change shows in the next request of the worker that made it and within ``check_every``
    seconds in every other worker. With ``index_dir`` the fitted index is saved, and a new
    worker memory-maps it instead of refitting. The weights are always ``weights`` (the
    configured ones), whatever weights a saved index was built with. ``cooldown_days`` is
    the configured ``INTRODUCTION_COOLDOWN_DAYS`` the matching functions apply."""

    def __init__(self, weights: dict | None = None, index_dir: str | Path | None = None,
                 check_every: float = 1.0,
                 cooldown_days: int = DEFAULTS["INTRODUCTION_COOLDOWN_DAYS"]):
        self.weights = weights
        self.cooldown_days = int(cooldown_days)
        self.index_dir = Path(index_dir) if index_dir else None
        self.check_every = float(check_every)
        self._checked_at = float("-inf")
        self._local_seen = -1
        self.clock = time.monotonic
        self._lock = threading.RLock()
        self._ranker: Ranker | None = None
        self._partners_version: str | None = None
        self._homes_version: str | None = None
        self._synced_at: dt.datetime | None = None

    def weights_used(self, requested: dict | None = None) -> dict[str, float]:
        """Every weight a query with ``requested`` (partial) weights is scored with: the
        rankers of this cache score with the configured weights (`resolve_weights`)."""
        return resolve_weights(self.weights, requested).as_dict()

    # -- partners ---------------------------------------------------------------------------
    def ranker(self, session: Session) -> Ranker:
        """The ranker, up to date with the database (see the class for how fresh)."""
        now, local = self.clock(), versions.local_changes()
        ranker = self._ranker
        if (ranker is not None and local == self._local_seen
                and now - self._checked_at < self.check_every):
            return ranker
        version = versions.current(session, versions.PARTNERS)
        with self._lock:
            if self._ranker is None:
                self._start(session, version)
            elif version != self._partners_version:
                self._catch_up(session, version)
            self._checked_at, self._local_seen = now, local
            return self._ranker

    def _start(self, session: Session, version: str) -> None:
        saved = self._load_saved()
        if saved is not None:
            ranker, synced_at = saved
            self._ranker, self._synced_at = ranker, synced_at
            self._partners_version = None  # unknown: catch up from the saved time
            self._catch_up(session, version)
            return
        self._fit(session, version)

    def _fit(self, session: Session, version: str) -> None:
        started = utcnow()
        t0 = time.perf_counter()
        table = load_partners(session)
        self._ranker = Ranker(weights=self.weights).fit(table)
        self._partners_version, self._synced_at = version, started
        self._homes_version = None
        log.info("Fitted the ranker on %d partners in %.2f s", len(table),
                 time.perf_counter() - t0)
        self._save(started)

    def _catch_up(self, session: Session, version: str) -> None:
        started = utcnow()
        since = self._synced_at - SYNC_MARGIN
        changed = set(session.scalars(
            select(CommunityGroup.id).where(CommunityGroup.updated_at >= since)))
        changed |= set(session.scalars(
            select(Introduction.group_id).where(Introduction.updated_at >= since)))
        deleted = set(session.scalars(select(AuditLog.entity_id).where(
            AuditLog.entity_type == CommunityGroup.__tablename__,
            AuditLog.action == "delete", AuditLog.at >= since)))
        if changed or deleted:
            table = load_partners(session, sorted(changed)) if changed else None
            keep = set(table.ids.tolist()) if table is not None else set()
            gone = (changed - keep) | deleted
            # Withdrawn, deleted, paused: their names and places leave memory now, and the
            # saved index is rewritten without them (not at the next nightly refit).
            forgotten = bool(gone) and self._ranker.forget(sorted(gone))
            self._ranker.partial_update(add_or_replace=table)
            if forgotten and self._saved_holds(gone):
                self._save(started)
        self._partners_version, self._synced_at = version, started
        self._homes_version = None

    def _saved_holds(self, ids: set[int]) -> bool:
        return self.index_dir is not None and persistence.holds_any(
            self.index_dir / "current", sorted(ids))

    # -- persistence ------------------------------------------------------------------------
    def _load_saved(self) -> tuple[Ranker, dt.datetime] | None:
        if self.index_dir is None:
            return None
        current = self.index_dir / "current"
        meta = current / "sync.json"
        if not meta.exists():
            return None
        try:
            synced_at = dt.datetime.fromisoformat(json.loads(meta.read_text())["synced_at"])
            # The configuration decides the weights, never the file.
            return Ranker.load(current, weights=self.weights_used()), synced_at
        except (OSError, ValueError, KeyError) as exc:
            log.warning("Ignoring the saved ranking index: %s", exc)
            return None

    def _save(self, synced_at: dt.datetime) -> None:
        if self.index_dir is None:
            return
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            tmp = self.index_dir / f"tmp-{time.time_ns()}"
            self._ranker.save(tmp)
            (tmp / "sync.json").write_text(json.dumps({"synced_at": synced_at.isoformat()}))
            current = self.index_dir / "current"
            old = self.index_dir / f"old-{time.time_ns()}"
            if current.exists():
                current.rename(old)
            tmp.rename(current)
            shutil.rmtree(old, ignore_errors=True)

    def save(self, session: Session) -> None:
        """Refit from the database and save, e.g. nightly or after a bulk import."""
        with self._lock:
            self._fit(session, versions.current(session, versions.PARTNERS))

    # -- homes (reverse matching) -----------------------------------------------------------
    def ranker_with_homes(self, session: Session) -> Ranker:
        ranker = self.ranker(session)
        version = versions.current(session, versions.HOMES)
        with self._lock:
            if self._homes_version != version or ranker.homes_ is None:
                # Deregistered homes have left the register: no group is sent to them.
                homes = [home_for(h) for h in session.scalars(
                    select(CareHome).where(CareHome.status == "active").order_by(CareHome.id))]
                ranker.fit_homes(homes)
                self._homes_version = version
            return ranker


# --- what the API and pages call ----------------------------------------------------------------

def _match_dict(match, introduction_status: str | None = None) -> dict[str, Any]:
    """A match as the API and pages show it: `Match.to_dict` with the partner as ``group``,
    the reasons, structured, as ``explanations`` (the edge renders them into words with
    `matcher.presentation.reasons`) and the pair's open ``introduction_status`` (or None)."""
    d = match.to_dict()
    group = {"id": d.pop("partner_id"), "name": d.pop("name"), "kind": d.pop("kind"),
             "town": d.pop("town")}
    d["explanations"] = d.pop("reasons")
    d["introduction_status"] = introduction_status
    return {"group": group, **d}


class PairStates:
    """The introductions that shape suggestions: ``open`` maps ``(home_id, group_id)`` to
    the status of the pair's open introduction; ``cooling`` holds the pairs (without an
    open one) whose last introduction was declined or ended within the cool-down."""

    def __init__(self, open_: dict[tuple[int, int], str], cooling: set[tuple[int, int]]):
        self.open = open_
        self.cooling = cooling

    def hidden_groups(self, home_id: int) -> set[int]:
        return {g for h, g in self.cooling if h == home_id}

    def hidden_homes(self, group_id: int) -> set[int]:
        return {h for h, g in self.cooling if g == group_id}


def pair_states(session: Session, cooldown_days: int, *, home_ids: Sequence[int] | None = None,
                group_id: int | None = None, now: dt.datetime | None = None) -> PairStates:
    """`PairStates` for the pairs of ``home_ids`` (or of one ``group_id``) at ``now``.

    A pair cools down from the moment its introduction was declined or ended (the lifecycle
    event), for ``cooldown_days`` days: on day ``cooldown_days`` it is suggested again.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=int(cooldown_days))
    pair = (Introduction.care_home_id, Introduction.group_id)
    open_query = select(*pair, Introduction.status).where(
        Introduction.status.in_(catalogue.INTRODUCTION_OPEN_STATUSES))
    closed_query = (select(*pair).join(IntroductionEvent,
                                       IntroductionEvent.introduction_id == Introduction.id)
                    .where(Introduction.status.in_(CLOSED_STATUSES),
                           IntroductionEvent.to_status.in_(CLOSED_STATUSES),
                           IntroductionEvent.at > cutoff).distinct())
    if group_id is not None:
        wheres = [[Introduction.group_id == group_id]]
    else:
        wheres = [[Introduction.care_home_id.in_(chunk)] for chunk in _chunks(home_ids or ())]
    open_: dict[tuple[int, int], str] = {}
    cooling: set[tuple[int, int]] = set()
    for where in wheres:
        open_.update(((int(h), int(g)), status)
                     for h, g, status in session.execute(open_query.where(*where)))
        cooling.update((int(h), int(g)) for h, g in session.execute(closed_query.where(*where)))
    return PairStates(open_, cooling - set(open_))


def home_matches(session: Session, cache: RankerCache, home: CareHome, *, limit: int = 20,
                 radius_km: float | None = None, kinds: Iterable[str] | None = None,
                 languages: Iterable[str] | None = None,
                 weights: dict[str, float] | None = None, now: dt.datetime | None = None,
                 cooldown: bool = True) -> list[dict[str, Any]]:
    """The best partners for a home, best first, each with components, reasons
    (``explanations``), its safeguarding check and ``introduction_status``.

    Pairs in their cool-down are left out (``cooldown=False`` keeps them, to score a pair
    asked for anyway); ``now`` (default: the current time) decides the cool-down and the
    day safeguarding checks are judged on.
    """
    now = now or utcnow()
    states = pair_states(session, cache.cooldown_days, home_ids=[home.id], now=now)
    hidden = states.hidden_groups(home.id) if cooldown else set()
    filters = {"radius_km": radius_km, "kinds": frozenset(kinds) if kinds else None,
               "languages": frozenset(languages) if languages else None}
    # At most len(hidden) of them are dropped: ask for that many more.
    matches = cache.ranker(session).rank(home_for(home), k=limit + len(hidden),
                                         weights=weights, filters=filters, today=now.date())
    kept = [m for m in matches if m.partner_id not in hidden][:limit]
    return [_match_dict(m, states.open.get((home.id, m.partner_id))) for m in kept]


def homes_for_group(session: Session, cache: RankerCache, group: CommunityGroup, *,
                    limit: int = 20, weights: dict[str, float] | None = None,
                    visible_to: User | None = None,
                    now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The homes that would best welcome a group (reverse matching), best first, with the
    group's safeguarding check for each and the pair's ``introduction_status``.

    With ``visible_to``, only the homes that user may see, still ``limit`` of them when
    there are that many: the ranking is widened until enough visible homes are found.
    Homes in their cool-down with the group are left out the same way.
    """
    now = now or utcnow()
    states = pair_states(session, cache.cooldown_days, group_id=group.id, now=now)
    partner = Partner(
        id=group.id, name=group.name, kind=group.kind, lat=group.lat, lon=group.lon,
        travel_radius_km=group.travel_radius_km or 10.0, interests=list(group.interests or ()),
        description=group.description or "",
        languages=[lang["tag"] for lang in group.languages or ()],
        availability=set(group.availability) if group.availability else None,
        capacity_per_month=group.capacity_per_month,
        active_introductions=_active_counts(session, [group.id]).get(group.id, 0),
        offers_remote=bool(group.offers_remote),
        status=group.status, safeguarding_scheme=group.safeguarding_scheme,
        safeguarding_status=group.safeguarding_status,
        safeguarding_expires_on=group.safeguarding_expires_on)
    matches = _visible_ranked_homes(session, cache.ranker_with_homes(session), partner, limit,
                                    weights, visible_to, states.hidden_homes(group.id),
                                    now.date())
    homes = {h.id: h for h in session.scalars(
        select(CareHome).where(CareHome.id.in_([m.home_id for m in matches])))}
    out = []
    for m in matches:
        d = m.to_dict()
        h = homes.get(m.home_id)
        out.append({
            "care_home": {"id": m.home_id, "name": m.name,
                          "town": (h.town or h.local_authority_name) if h else m.town},
            "score": d["score"], "distance_km": d["distance_km"],
            "components": d["components"], "explanations": d["reasons"],
            "in_person_paused": d["in_person_paused"],
            "shared_interests": d["shared_interests"],
            "shared_languages": d["shared_languages"],
            "visiting_status": d["visiting_status"],
            "lat": h.lat if h else None, "lon": h.lon if h else None,
            "safeguarding": d["safeguarding"],
            "introduction_status": states.open.get((m.home_id, group.id)),
        })
    return out


def _visible_ranked_homes(session: Session, ranker: Ranker, partner: Partner, limit: int,
                          weights: dict[str, float] | None, user: User | None,
                          hidden: set[int], today: dt.date) -> list:
    """The best ``limit`` homes for ``partner`` among those ``user`` may see (all when None)
    and not ``hidden`` (in their cool-down).

    Scope is applied before truncating: rank ``limit`` homes (and as many as are hidden),
    drop those out of scope, and while that leaves too few and the ranker had more to give,
    ask for four times as many.
    """
    k = limit + len(hidden)
    while True:
        ranked = ranker.rank_homes(partner, k=k, weights=weights, today=today)
        matches = [m for m in ranked if m.home_id not in hidden]
        if user is None or user.role == "admin":
            return matches[:limit]
        visible = scope.visible_home_ids(session, user, [m.home_id for m in matches])
        kept = [m for m in matches if m.home_id in visible]
        if len(kept) >= limit or len(ranked) < k:
            return kept[:limit]
        k *= 4


def group_matches(session: Session, cache: RankerCache, user: User, group_id: int, *,
                  limit: int = 20) -> tuple[CommunityGroup, list[dict[str, Any]]]:
    """A group the user may see, and the ``limit`` best homes for it that the user may see."""
    from .records import get_group

    group = get_group(session, group_id, user)
    return group, homes_for_group(session, cache, group, limit=limit, visible_to=user)


def partner_matches(session: Session, cache: RankerCache, user: User, home_id: int, *,
                    details: bool = False, **filters: Any
                    ) -> tuple[CareHome, list[dict[str, Any]]]:
    """A home the user may access, and its best partners (see :func:`home_matches`).

    With ``details`` each match also carries what a home needs to decide (``details``: the
    group's own ``description``, ``availability`` slots, ``works_with_children``,
    ``offers_remote`` and ``remote_modes``), read in one query.
    """
    from .records import get_home

    home = get_home(session, home_id, user)
    if home.status != "active":
        return home, []  # off the register: nobody is suggested to it
    matches = home_matches(session, cache, home, **filters)
    if details and matches:
        rows = session.execute(select(
            CommunityGroup.id, CommunityGroup.description, CommunityGroup.availability,
            CommunityGroup.works_with_children, CommunityGroup.offers_remote,
            CommunityGroup.remote_modes,
        ).where(CommunityGroup.id.in_([m["group"]["id"] for m in matches])))
        found = {r.id: {"description": r.description or "", "availability": r.availability,
                        "works_with_children": bool(r.works_with_children),
                        "offers_remote": bool(r.offers_remote),
                        "remote_modes": list(r.remote_modes or ())} for r in rows}
        for match in matches:
            match["details"] = found.get(match["group"]["id"], {})
    return home, matches


def batch_matches(session: Session, cache: RankerCache, homes: Sequence[CareHome], *,
                  per_home: int = 5, kinds: Iterable[str] | None = None,
                  weights: dict[str, float] | None = None,
                  n_jobs: int = 1, now: dt.datetime | None = None
                  ) -> dict[int, list[dict[str, Any]]]:
    """Top partners for many homes at once (one vectorised batch), without the pairs in
    their cool-down and with each pair's ``introduction_status`` (as `home_matches`).

    ``n_jobs > 1`` shares the homes among forked processes; only the command line asks for
    that. A web request never does: forking a worker that holds database connections, locks
    and threads can deadlock the child, which hung requests and left orphaned processes
    under gunicorn (issue #19). In one process a nation's batch takes about a millisecond
    a home.
    """
    now = now or utcnow()
    states = pair_states(session, cache.cooldown_days, home_ids=[h.id for h in homes], now=now)
    hidden: dict[int, set[int]] = {}
    for h, g in states.cooling:
        hidden.setdefault(h, set()).add(g)
    extra = max((len(groups) for groups in hidden.values()), default=0)
    filters = {"kinds": frozenset(kinds)} if kinds else None
    ranked = cache.ranker(session).rank_many([home_for(h) for h in homes], k=per_home + extra,
                                             weights=weights, filters=filters,
                                             n_jobs=n_jobs, today=now.date())
    no_pairs: set[int] = set()
    with no_gc():
        return {home_id: [_match_dict(m, states.open.get((home_id, m.partner_id)))
                          for m in ms if m.partner_id not in hidden.get(home_id, no_pairs)
                          ][:per_home]
                for home_id, ms in ranked.items()}
