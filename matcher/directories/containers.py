"""Reading table files: size limits, recognising the container, and rows of cell text.

Containers are recognised by content (and the file name only to explain a mismatch): ODS
(streamed from ``content.xml`` with expat, so a header padded with 16,384 empty cells or a
sheet ending in a million repeated empty rows costs nothing), XLSX (openpyxl, read-only) and
CSV (streamed line by line; UTF-8 with or without a BOM, Windows-1252, or UTF-16 with a BOM).
Cell contents are plain text: formulas are never evaluated (a spreadsheet formula yields its
cached value, if any). Every reader yields ``(sheet name, 1-based row number, cell texts)``
for the non-blank rows, sheet after sheet (:data:`Rows`).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import IO
from xml.parsers import expat

from odf.namespaces import OFFICENS, TABLENS, TEXTNS

from .records import DirectoryFormatError

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
# A spreadsheet bigger than this when unzipped is treated as a zip bomb.
_UNZIP_FACTOR = 10
# Spreadsheet limits (Excel and LibreOffice): hostile repeat counts are clipped to them.
_MAX_SHEET_ROWS = 1_048_576
_MAX_COLUMNS = 1024
# Non-seekable uploads are spooled to disk beyond this many bytes.
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_CHUNK = 1 << 20

Source = str | os.PathLike | IO[bytes]


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DirectoryFormatError(
            f"the file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")


@contextmanager
def open_source(source: Source, max_bytes: int) -> Iterator[tuple[IO[bytes], str]]:
    """A seekable binary stream for the source, after checking its size; and its file name."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        _check_size(os.path.getsize(path), max_bytes)
        with open(path, "rb") as stream:
            yield stream, path
        return
    if isinstance(source, io.TextIOBase):
        raise TypeError("open the file in binary mode ('rb')")
    name = getattr(source, "filename", None) or getattr(source, "name", None)
    name = name if isinstance(name, str) else ""
    seekable = getattr(source, "seekable", lambda: False)()
    if seekable:
        start = source.tell()
        _check_size(source.seek(0, io.SEEK_END) - start, max_bytes)
        source.seek(start)
        yield source, name
        return
    # An upload stream that cannot seek: copy it, refusing to copy more than the limit.
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        copied = 0
        while chunk := source.read(_CHUNK):
            copied += len(chunk)
            _check_size(copied, max_bytes)
            spool.write(chunk)
        spool.seek(0)
        yield spool, name


def sniff(stream: IO[bytes], name: str) -> str:
    """'ods', 'xlsx' or 'csv', from the first bytes (and the zip's contents)."""
    start = stream.tell()
    head = stream.read(4096)
    stream.seek(start)
    extension = os.path.splitext(name)[1].casefold()
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
        except zipfile.BadZipFile as error:
            raise DirectoryFormatError(f"the file is a damaged ZIP archive: {error}") from None
        finally:
            stream.seek(start)
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise DirectoryFormatError("the file is a ZIP archive but neither an ODS nor an XLSX "
                                   "spreadsheet")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DirectoryFormatError("old-style Excel (.xls) files are not supported: save it as "
                                   ".xlsx or CSV")
    if extension in {".ods", ".xlsx", ".xlsm", ".xls"}:
        raise DirectoryFormatError(f"the file is named {extension} but is not a spreadsheet")
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DirectoryFormatError("the file is binary, not a CSV text file")
    return "csv"


# Each reader yields (sheet name, 1-based row number, cell texts) for non-blank rows, sheet
# after sheet. CSV files have one unnamed sheet and number rows by their first line.
Rows = Iterator[tuple[str | None, int, Sequence[str]]]


def _decoded_lines(stream: IO[bytes]) -> Iterator[str]:
    """Text lines of a CSV whatever its encoding, reading one line at a time."""
    head = stream.read(4)
    stream.seek(stream.tell() - len(head))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = io.TextIOWrapper(stream, encoding="utf-16", newline="")
        try:
            yield from text
        finally:
            text.detach()
        return
    first = True
    for raw in stream:
        if first:
            first = False
            # Some Windows-1252 files carry a UTF-8 BOM too: drop it before guessing per line.
            raw = raw.removeprefix(codecs.BOM_UTF8)
        # Decoded line by line so a Windows-1252 character deep in a 50 MB file still works;
        # genuine Windows-1252 text is almost never valid UTF-8 as well.
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                yield raw.decode("cp1252")
            except UnicodeDecodeError:
                yield raw.decode("latin-1")


def _csv_rows(stream: IO[bytes]) -> Rows:
    reader = csv.reader(_decoded_lines(stream), strict=False)
    line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DirectoryFormatError(f"line {line + 1}: unreadable CSV ({error})") from None
        first_line, line = line + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield None, first_line, cells


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _check_unzipped_size(archive: zipfile.ZipFile, max_bytes: int) -> None:
    # Declared sizes are a hard bound: zipfile stops reading a member at its declared size.
    unzipped = sum(info.file_size for info in archive.infolist())
    if unzipped > max_bytes * _UNZIP_FACTOR:
        raise DirectoryFormatError(
            f"the spreadsheet unpacks to {unzipped / 1e6:.0f} MB, over the "
            f"{max_bytes * _UNZIP_FACTOR / 1e6:.0f} MB limit")


def _ordered_sheets(names: Sequence[str], preferred: Sequence[str]) -> list[str]:
    wanted = [n for p in preferred for n in names if n.strip().casefold() == p.casefold()]
    return wanted + [n for n in names if n not in wanted]


def _xlsx_rows(stream: IO[bytes], preferred: Sequence[str], max_bytes: int) -> Rows:
    import openpyxl

    start = stream.tell()
    with zipfile.ZipFile(stream) as archive:
        _check_unzipped_size(archive, max_bytes)
    stream.seek(start)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl complains about harmless style quirks
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True,
                                          keep_links=False)
    except Exception as error:  # openpyxl raises many types for corrupt files
        raise DirectoryFormatError(f"cannot read the XLSX file: {error}") from None
    try:
        for sheet_name in _ordered_sheets(book.sheetnames, preferred):
            sheet = book[sheet_name]
            # A bogus <dimension> would otherwise pad every row to its width.
            sheet.reset_dimensions()
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number > _MAX_SHEET_ROWS:
                    break
                cells = [_cell_text(v) for v in values[:_MAX_COLUMNS]]
                if any(c.strip() for c in cells):
                    yield sheet_name, number, cells
    finally:
        book.close()


_T = TABLENS + " "
_X = TEXTNS + " "
_O = OFFICENS + " "
_TABLE, _ROW = _T + "table", _T + "table-row"
_CELLS = {_T + "table-cell", _T + "covered-table-cell"}
_PARAGRAPHS = {_X + "p", _X + "h"}
_ANNOTATION = _O + "annotation"
_VALUE_ATTRIBUTES = tuple(_O + a for a in ("value", "date-value", "time-value",
                                           "boolean-value", "string-value"))


def _repeat(value: str | None, limit: int) -> int:
    try:
        return max(1, min(int(value), limit)) if value else 1
    except ValueError:
        return 1


class _OdsHandler:
    """Expat callbacks that turn content.xml into rows without expanding repeated blanks."""

    def __init__(self) -> None:
        # (sheet, first row number, times repeated, cells): repeats are expanded lazily.
        self.out: list[tuple[str | None, int, int, tuple[str, ...]]] = []
        self.sheet: str | None = None
        self.row_number = 0
        self.row_repeat = 1
        self.cells: list[str] | None = None
        self.blank_run = 0  # empty cells seen but not yet stored: trailing ones never are
        self.parts: list[str] | None = None
        self.cell_repeat = 1
        self.cell_value = ""
        self.paragraphs = 0
        self.in_paragraph = 0
        self.annotation = 0
        self.nested = 0  # tables inside cells are ignored

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.nested:
            self.nested += name == _TABLE
            return
        if self.parts is not None:
            if name == _ANNOTATION:
                self.annotation += 1
            elif self.annotation:
                return
            elif name in _PARAGRAPHS:
                if self.paragraphs:
                    self.parts.append("\n")
                self.paragraphs += 1
                self.in_paragraph += 1
            elif name == _X + "s":
                self.parts.append(" " * _repeat(attrs.get(_X + "c"), 1000))
            elif name == _X + "tab":
                self.parts.append("\t")
            elif name == _X + "line-break":
                self.parts.append("\n")
            elif name == _TABLE:
                self.nested = 1
            return
        if name == _TABLE:
            self.sheet = attrs.get(_T + "name", "")
            self.row_number = 0
        elif name == _ROW:
            self.row_repeat = _repeat(attrs.get(_T + "number-rows-repeated"), _MAX_SHEET_ROWS)
            self.cells = []
            self.blank_run = 0
        elif name in _CELLS and self.cells is not None:
            self.cell_repeat = _repeat(attrs.get(_T + "number-columns-repeated"), _MAX_COLUMNS)
            self.parts = []
            self.paragraphs = 0
            self.cell_value = next((attrs[a] for a in _VALUE_ATTRIBUTES if a in attrs), "")

    def end(self, name: str) -> None:
        if self.nested:
            self.nested -= name == _TABLE
            return
        if self.parts is not None:
            if name == _ANNOTATION:
                self.annotation -= 1
            elif self.annotation:
                return
            elif name in _PARAGRAPHS:
                self.in_paragraph -= 1
            elif name in _CELLS:
                self._end_cell()
            return
        if name == _ROW and self.cells is not None:
            if self.cells:
                repeat = min(self.row_repeat, _MAX_SHEET_ROWS - self.row_number)
                self.out.append((self.sheet, self.row_number + 1, repeat, tuple(self.cells)))
            self.row_number = min(self.row_number + self.row_repeat, _MAX_SHEET_ROWS)
            self.cells = None

    def _end_cell(self) -> None:
        # Narrows the types for the checker (bandit B101): cells and parts are set on
        # entering a row and a cell ends only inside one; run with -O, the next line fails
        # just as loudly.
        assert self.cells is not None and self.parts is not None  # nosec B101
        text = "".join(self.parts) if self.paragraphs else self.cell_value
        self.parts = None
        if not text.strip():
            self.blank_run += self.cell_repeat
            return
        room = _MAX_COLUMNS - len(self.cells)
        blanks = min(self.blank_run, room)
        self.cells.extend([""] * blanks)
        self.blank_run = 0
        self.cells.extend([text] * min(self.cell_repeat, room - blanks))

    def data(self, text: str) -> None:
        if self.parts is not None and self.in_paragraph and not self.annotation \
                and not self.nested:
            self.parts.append(text)


def _refuse_doctype(*_args: object) -> None:
    # content.xml never needs a DTD; refusing one rules out entity-expansion attacks.
    raise DirectoryFormatError("the ODS file declares a DTD, which is not allowed")


def _ods_rows(stream: IO[bytes], max_bytes: int) -> Rows:
    with zipfile.ZipFile(stream) as archive:
        _check_unzipped_size(archive, max_bytes)
        if "content.xml" not in archive.namelist():
            raise DirectoryFormatError("the ODS file has no content.xml")
        handler = _OdsHandler()
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.data
        with archive.open("content.xml") as content:
            final = False
            while not final:
                chunk = content.read(_CHUNK)
                final = not chunk
                try:
                    parser.Parse(chunk, final)
                except expat.ExpatError as error:
                    raise DirectoryFormatError(f"the ODS file is corrupt: {error}") from None
                runs, handler.out = handler.out, []
                for sheet, first, repeat, cells in runs:
                    for number in range(first, first + repeat):
                        yield sheet, number, cells


# ---------------------------------------------------------------------------------------------
# Header detection and the row loop


def read_rows(stream: IO[bytes], container: str, preferred_sheets: Sequence[str],
              max_bytes: int) -> Rows:
    """The rows of a stream whose container :func:`sniff` named; preferred sheets first."""
    if container == "csv":
        return _csv_rows(stream)
    if container == "xlsx":
        return _xlsx_rows(stream, preferred_sheets, max_bytes)
    return _ods_rows(stream, max_bytes)
