"""Local-authority names and nations, from ``data/local_authorities.csv`` (code,name)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from .. import catalogue

__all__ = [
    "DEFAULT_NAMES_PATH",
    "NATIONS",
    "load_local_authority_names",
    "local_authority_name",
    "nation_for_local_authority",
]

DEFAULT_NAMES_PATH = Path(__file__).resolve().parents[3] / "data" / "local_authorities.csv"

# GSS codes start with the nation's letter; L/M are the ONS pseudo-codes for the Channel
# Islands and the Isle of Man, which belong to no UK nation.
NATIONS = catalogue.NATION_FOR_GSS_LETTER


@functools.cache
def load_local_authority_names(path: Path | str = DEFAULT_NAMES_PATH) -> dict[str, str]:
    """Map of GSS code to name; empty (never an error) when the file is missing."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return {
                row["code"].strip(): row["name"].strip()
                for row in csv.DictReader(handle)
                if row.get("code") and row.get("name")
            }
    except FileNotFoundError:
        return {}


def local_authority_name(code: str) -> str:
    """The name of a local authority; the code itself when the table does not know it."""
    return load_local_authority_names().get(code, code)


def nation_for_local_authority(code: str) -> str | None:
    """``england``, ``scotland``, ``wales`` or ``northern-ireland`` from a GSS code."""
    return NATIONS.get(code[:1]) if code else None
