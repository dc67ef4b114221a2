"""Process-wide objects loaded once per worker: the postcode index and fitted rankers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .domain.geocoding import PostcodeIndex, default_index_path, get_index


def postcode_index(app: Flask) -> PostcodeIndex:
    """The offline postcode index, loaded on first use (built first if missing)."""
    index = app.extensions.get("kith.postcodes")
    if index is None:
        path = app.config.get("POSTCODE_INDEX_PATH") or default_index_path(
            Path(app.config["INSTANCE_DIR"]))
        index = get_index(path, progress=app.logger.info)
        app.extensions["kith.postcodes"] = index
    return index
