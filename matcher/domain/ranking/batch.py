"""Match lists for many homes at once, optionally across worker processes."""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Sequence
from contextlib import contextmanager

from .types import Home, Match

_RANKER = None  # set in the parent before forking so workers inherit it without pickling


@contextmanager
def _no_gc():
    # Thousands of queries allocate many short-lived objects but no reference cycles; the
    # cyclic collector would only rescan the heap over and over.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rank_chunk(args) -> list[list[Match]]:
    homes, k, weights, filters, explain = args
    with _no_gc():
        return [_RANKER.rank(home, k=k, weights=weights, filters=filters, explain=explain)
                for home in homes]


def rank_many(ranker, homes: Sequence[Home], k: int = 20, weights=None, filters=None,
              n_jobs: int = 1, explain: bool = True) -> dict[int, list[Match]]:
    """Top ``k`` matches for every home, keyed by home id in input order.

    Each home is one vectorised query (about a millisecond), so the work is split into
    chunks of homes; with ``n_jobs > 1`` the chunks go to forked worker processes that share
    the fitted arrays copy-on-write. Where fork is unavailable it runs in this process.
    """
    global _RANKER
    homes = list(homes)
    n_jobs = max(int(n_jobs or 1), 1)
    use_pool = n_jobs > 1 and len(homes) >= 50 and "fork" in multiprocessing.get_all_start_methods()
    if not use_pool:
        with _no_gc():
            return {home.id: ranker.rank(home, k=k, weights=weights, filters=filters,
                                         explain=explain)
                    for home in homes}
    size = max(len(homes) // (n_jobs * 8), 1)
    chunks = [homes[i:i + size] for i in range(0, len(homes), size)]
    _RANKER = ranker
    try:
        with multiprocessing.get_context("fork").Pool(n_jobs) as pool:
            results = pool.map(_rank_chunk,
                               [(c, k, weights, filters, explain) for c in chunks])
    finally:
        _RANKER = None
    out: dict[int, list[Match]] = {}
    for chunk, lists in zip(chunks, results, strict=True):
        for home, matches in zip(chunk, lists, strict=True):
            out[home.id] = matches
    return out
