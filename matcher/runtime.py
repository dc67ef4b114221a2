"""Process-wide objects loaded once per worker: the postcode index and fitted rankers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .domain.geocoding import PostcodeIndex, default_index_path, get_index


def postcode_index(app: Flask) -> PostcodeIndex:
    """The offline postcode index, loaded on first use (built first if missing)."""
    index = app.extensions.get("kith.postcodes")
    if index is None:
        path = app.config["POSTCODE_INDEX_PATH"] or default_index_path(
            Path(app.config["INSTANCE_DIR"]))
        index = get_index(path, progress=app.logger.info)
        app.extensions["kith.postcodes"] = index
    return index


def ranker_cache(app: Flask):
    """This worker's ranker cache (fitted on first use, refreshed by data version)."""
    cache = app.extensions.get("kith.rankers")
    if cache is None:
        from .services.matching import RankerCache
        index_dir = app.config["RANKING_INDEX_DIR"]
        if index_dir is None and not app.config["TESTING"]:
            index_dir = str(Path(app.config["INSTANCE_DIR"]) / "ranking-index")
        cache = RankerCache(weights=app.config["RANKING_WEIGHTS"], index_dir=index_dir or None,
                            check_every=app.config["RANKING_CHECK_SECONDS"],
                            cooldown_days=app.config["INTRODUCTION_COOLDOWN_DAYS"])
        app.extensions["kith.rankers"] = cache
    return cache


def network_cache(app: Flask):
    """This worker's snapshot of homes and partners for the network map."""
    cache = app.extensions.get("kith.network")
    if cache is None:
        from .services.network_map import NetworkCache
        cache = NetworkCache(check_every=app.config["RANKING_CHECK_SECONDS"])
        app.extensions["kith.network"] = cache
    return cache
