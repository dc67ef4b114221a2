"""CSV output, in one place: formula neutralisation, rows to text, download names and headers.

Pure Python, so services (which build the CSV text), views (which send it) and scripts share
it without crossing the layers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

__all__ = ["MIMETYPE", "dated_filename", "download_headers", "neutralise_csv_cell",
           "write_csv"]

T = TypeVar("T")

MIMETYPE = "text/csv"

_FORMULA_TRIGGERS = ("=", "+", "-", "@")
# A cell starting with one of these is neutralised whatever follows (OWASP's tab and CR, and
# newline, which some spreadsheets also drop before reading a formula).
_LEADING_CONTROLS = ("\t", "\r", "\n")
# Characters a spreadsheet may drop or look past before a formula: spaces of any kind
# (non-breaking ones included), controls and invisible format characters (zero-width space,
# joiners, word joiner, byte order mark, bidi marks).
_SKIPPED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})


def _looks_like_formula(text: str) -> bool:
    if text.startswith(_LEADING_CONTROLS):
        return True
    for char in text:
        if unicodedata.category(char) in _SKIPPED_CATEGORIES:
            continue
        # NFKC folds the full-width and small forms (＝＋－＠, ﹦﹢﹣﹫) to the ASCII ones.
        return unicodedata.normalize("NFKC", char).startswith(_FORMULA_TRIGGERS)
    return False


def neutralise_csv_cell(value: T) -> T:
    """Make a text cell safe for a CSV export by prefixing ``'`` to formula-like text.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab, carriage return or newline could run as
    a formula when the CSV is opened in a spreadsheet. A leading run of spaces of any kind,
    control or invisible characters (zero-width space, byte order mark, ...) is looked past,
    since spreadsheets may drop them on import, and the full-width and small forms of the four
    signs count as the signs. Other values are returned unchanged.
    """
    if isinstance(value, str) and _looks_like_formula(value):
        return "'" + value  # type: ignore[return-value]
    return value


# Excel reads a CSV without a byte-order mark in the machine's legacy code page, which turns
# "Côr" into "CÃ´r"; with it, Excel (and every other reader) knows the text is UTF-8.
BOM = "\ufeff"


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text beginning with a UTF-8 byte-order mark (CRLF line ends) with a header, every
    cell neutralised against formulas."""
    out = io.StringIO()
    out.write(BOM)
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
