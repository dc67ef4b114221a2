"""CSV output, in one place: formula neutralisation, rows to text, download names and headers.

Pure Python, so services (which build the CSV text), views (which send it) and scripts share
it without crossing the layers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

__all__ = ["MIMETYPE", "dated_filename", "download_headers", "neutralise_csv_cell",
           "write_csv"]

T = TypeVar("T")

MIMETYPE = "text/csv"

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_cell(value: T) -> T:
    """Make a text cell safe for a CSV export by prefixing ``'`` to formula-like text.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return (OWASP's list) could
    run as a formula when the CSV is opened in a spreadsheet. Leading spaces are looked past
    too, since some spreadsheets trim them on import. Other values are returned unchanged.
    """
    if isinstance(value, str) and value.lstrip(" ").startswith(_FORMULA_TRIGGERS):
        return "'" + value  # type: ignore[return-value]
    return value


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (CRLF line ends) with a header, every cell neutralised against formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise_csv_cell(cell) for cell in row])
    return out.getvalue()


def dated_filename(stem: str, today: dt.date | None = None) -> str:
    """``<stem>-<YYYY-MM-DD>.csv``, dated today unless ``today`` is given."""
    return f"{stem}-{(today or dt.date.today()).isoformat()}.csv"


def download_headers(filename: str) -> dict[str, str]:
    """Response headers for a CSV download: an attachment that no cache keeps."""
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
