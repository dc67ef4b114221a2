"""Parsers for the regulators' published care-home directories and for the groups CSV.

Parsing only: no database, no Flask, no models or services (enforced by the import-linter
contracts in ``pyproject.toml``). An import service calls these functions and decides what
to do with the records and rejections they return.

* :mod:`.containers` reads ODS, XLSX and CSV files within size limits, recognising the
  container by its content;
* :mod:`.layouts` holds each regulator's column layout (``cqc``, ``care-inspectorate``,
  ``ciw``, ``rqia``, our ``csv``) and the groups CSV, and builds one record from one row;
* :mod:`.parsing` finds the header row, turns rows into records and rejections, and offers
  :func:`parse_care_homes` and :func:`parse_groups_csv`;
* :mod:`.records` holds what they return and :class:`DirectoryFormatError`.
"""

from .containers import DEFAULT_MAX_BYTES
from .layouts import FORMATS, MAX_CELL_CHARS
from .parsing import HEADER_SEARCH_ROWS, parse_care_homes, parse_groups_csv
from .records import (
    MAX_REPORTED_REJECTIONS,
    DirectoryFormatError,
    DirectoryRecord,
    GroupRecord,
    ParseResult,
    Rejection,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "HEADER_SEARCH_ROWS",
    "MAX_CELL_CHARS",
    "MAX_REPORTED_REJECTIONS",
    "DirectoryFormatError",
    "DirectoryRecord",
    "GroupRecord",
    "ParseResult",
    "Rejection",
    "parse_care_homes",
    "parse_groups_csv",
]
