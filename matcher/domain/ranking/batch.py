"""Match lists for many homes at once, optionally across worker processes."""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Sequence
from contextlib import contextmanager

from ..safeguarding import Check
from .components import resolve_weights
from .explain import Reason
from .types import COMPONENTS, Filters, Home, Match

_RANKER = None  # set in the parent before forking so workers inherit it without pickling


@contextmanager
def no_gc():
    """Pause the cyclic garbage collector: thousands of queries allocate many short-lived
    objects but no reference cycles, and the collector would only rescan the heap (a web
    worker's holds millions of objects) over and over."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pack(m: Match) -> tuple:
    # Flat tuples of strings and numbers pickle and unpickle several times faster than
    # dataclasses holding dicts and lists, which matters with hundreds of thousands of them.
    c = m.components
    return (m.partner_id, m.name, m.kind, m.score, m.distance_km, c["distance"],
            c["interests"], c["language"], c["availability"], c["capacity"],
            tuple((r.code, r.params) for r in m.reasons), m.in_person_paused,
            "\n".join(m.shared_interests), ",".join(m.shared_languages), m.offers_remote, m.town,
            m.lat, m.lon, _pack_check(m.safeguarding))


def _pack_check(check: Check | None) -> tuple | None:
    if check is None:
        return None
    return (check.scheme, check.status, check.expires_on, check.valid, check.needed)


def _unpack(t: tuple) -> Match:
    return Match(t[0], t[1], t[2], t[3], t[4], dict(zip(COMPONENTS, t[5:10], strict=True)),
                 [Reason(code, params) for code, params in t[10]], t[11],
                 t[12].split("\n") if t[12] else [], t[13].split(",") if t[13] else [], t[14],
                 t[15], t[16], t[17], Check(*t[18]) if t[18] else None)


def _rank_chunk(args) -> list[list[tuple]]:
    homes, k, weights, filters, explain, today = args
    with no_gc():
        return [[_pack(m) for m in _RANKER.rank(home, k=k, weights=weights, filters=filters,
                                                explain=explain, today=today)]
                for home in homes]


def rank_many(ranker, homes: Sequence[Home], k: int = 20, weights=None, filters=None,
              n_jobs: int = 1, explain: bool = True, today=None) -> dict[int, list[Match]]:
    """Top ``k`` matches for every home, keyed by home id in input order.

    Each home is one vectorised query (about a millisecond), so the work is split into
    chunks of homes (``today``: the day checks are judged on); with ``n_jobs > 1`` the
    chunks go to forked worker processes that share the fitted arrays copy-on-write. Where
    fork is unavailable it runs in this process.
    """
    global _RANKER
    homes = list(homes)
    # Settled once here rather than once per home.
    weights = None if weights is None else resolve_weights(ranker.weights_, weights)
    filters = None if filters is None else Filters.from_mapping(filters)
    n_jobs = max(int(n_jobs or 1), 1)
    use_pool = n_jobs > 1 and len(homes) >= 50 and "fork" in multiprocessing.get_all_start_methods()
    if not use_pool:
        with no_gc():
            return {home.id: ranker.rank(home, k=k, weights=weights, filters=filters,
                                         explain=explain, today=today)
                    for home in homes}
    # Many small chunks: the cost of a home varies tenfold between a city and a glen, and
    # with a few large chunks one worker is left finishing the last while the other waits.
    size = min(max(len(homes) // (n_jobs * 40), 10), 250)
    chunks = [homes[i:i + size] for i in range(0, len(homes), size)]
    _RANKER = ranker
    # Objects the parent already holds are moved out of the collector's sight, so neither
    # its passes nor the children's touch (and so copy) their pages after the fork.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(n_jobs) as pool:
            results = list(pool.imap(_rank_chunk,
                                     [(c, k, weights, filters, explain, today) for c in chunks]))
    finally:
        _RANKER = None
        gc.unfreeze()
    out: dict[int, list[Match]] = {}
    with no_gc():
        for chunk, lists in zip(chunks, results, strict=True):
            for home, packed in zip(chunk, lists, strict=True):
                out[home.id] = [_unpack(t) for t in packed]
    return out
