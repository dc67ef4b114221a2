"""From rows to records: finding the header, building each row, rejecting bad or repeated ones.

Preamble rows before the header (title, date, blank lines) are skipped; the header must appear
within the first :data:`HEADER_SEARCH_ROWS` rows of a sheet, and only the sheet holding it is
read. Within one file a second row with the key of an earlier one is rejected, naming the
earlier row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .containers import DEFAULT_MAX_BYTES, Rows, Source, open_source, read_rows, sniff
from .layouts import (
    ALL_LAYOUTS,
    FORMATS,
    GROUPS,
    LAYOUTS,
    Layout,
    Row,
    normalise_header,
)
from .records import (
    MAX_REPORTED_REJECTIONS,
    NOT_A_CARE_HOME,
    DirectoryFormatError,
    DirectoryRecord,
    GroupRecord,
    ParseResult,
    Rejection,
    RowError,
    Skip,
)

HEADER_SEARCH_ROWS = 30

T = TypeVar("T")


def _resolve(layout: Layout, header: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    for name, aliases in layout.columns.items():
        for alias in aliases:
            position = header.get(normalise_header(alias))
            if position is not None:
                index[name] = position
                break
    missing = [layout.columns[name][0] for name in layout.required if name not in index]
    return index, missing


@dataclass
class _Header:
    layout: Layout
    index: dict[str, int]
    labels: dict[str, str]
    sheet: str | None
    row: int


def _where(sheet: str | None, row: int) -> str:
    return f"row {row}" + (f" of sheet {sheet!r}" if sheet else "")


def _format_of(layout: Layout) -> str:
    return next(fmt for fmt, members in LAYOUTS.items() if layout in members)


def _header_error(layouts: Sequence[Layout], best: tuple | None, container: str,
                  other: Layout | None = None) -> str:
    message = _missing_header(layouts, best, container)
    if other is None:
        return message
    fmt = _format_of(other)
    return (f"{message}. The file looks like {other.description} (format {fmt!r}): import it "
            f"with --format {fmt} or --format auto")


def _missing_header(layouts: Sequence[Layout], best: tuple | None, container: str) -> str:
    scope = "rows" if container == "csv" else "rows of each sheet"
    if best is None:
        expected = "; or ".join(
            f"{layout.description}: " + ", ".join(
                repr(layout.columns[name][0]) for name in layout.required)
            for layout in layouts)
        return (f"no header row found in the first {HEADER_SEARCH_ROWS} {scope}; expected "
                f"the columns of {expected}")
    _, missing, layout, sheet, row = best
    return (f"the header does not match {layout.description}: missing columns "
            + ", ".join(repr(m) for m in missing)
            + f" (closest header: {_where(sheet, row)}; looked at the first "
            f"{HEADER_SEARCH_ROWS} {scope})")


def _find_header(rows: Rows, layouts: Sequence[Layout], container: str
                 ) -> tuple[_Header, Rows]:
    best = None
    other = None  # a layout the file has although another was asked for
    for sheet, number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            if container == "csv":
                break
            continue  # later rows of a sheet without a header: wait for the next sheet
        header: dict[str, int] = {}
        for position, cell in enumerate(cells):
            header.setdefault(normalise_header(cell), position)
        header.pop("", None)
        for layout in layouts:
            index, missing = _resolve(layout, header)
            if not missing:
                if layout.name == "csv" and {"kind", "travelradiuskm"} & set(header):
                    # name and postcode fit any list of places: refuse a groups file.
                    raise DirectoryFormatError(
                        "the file looks like the groups CSV (it has 'kind' or "
                        "'travel_radius_km' columns): import it with `import groups`")
                labels = {name: cells[i].strip() for name, i in index.items()}
                return _Header(layout, index, labels, sheet, number), rows
            matched = len(layout.required) - len(missing)
            if matched and (best is None or len(missing) < best[0]):
                best = (len(missing), missing, layout, sheet, number)
        if other is None and layouts is not ALL_LAYOUTS:
            # Kith's own layout (name and postcode) is never suggested: it fits any list.
            other = next((layout for layout in ALL_LAYOUTS if layout not in layouts
                          and layout.regulator and not _resolve(layout, header)[1]), None)
    raise DirectoryFormatError(_header_error(layouts, best, container, other))


def _reject(result: ParseResult, rejection: Rejection) -> None:
    result.rejected_count += 1
    if len(result.rejected) < MAX_REPORTED_REJECTIONS:
        result.rejected.append(rejection)


def _parse(source: Source, layouts: Sequence[Layout], max_bytes: int,
           key: Callable[[object], str | None], on_record: Callable[[T], None] | None,
           progress: Callable[[int], None] | None = None) -> ParseResult[T]:
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    preferred = [sheet for layout in layouts for sheet in layout.sheets]
    with open_source(source, max_bytes) as (stream, name):
        container = sniff(stream, name)
        rows = read_rows(stream, container, preferred, max_bytes)
        try:
            header, rows = _find_header(rows, layouts, container)
            result: ParseResult[T] = ParseResult(layout=header.layout.name,
                                                 container=container, sheet=header.sheet,
                                                 header_row=header.row,
                                                 regulator=header.layout.regulator)
            _read_records(rows, header, result, key, on_record, progress)
        finally:
            rows.close()
    return result


def _read_records(rows: Rows, header: _Header, result: ParseResult,
                  key: Callable[[object], str | None], on_record: Callable | None,
                  progress: Callable[[int], None] | None = None) -> None:
    seen: dict[str, int] = {}
    build = header.layout.build
    read = 0
    for sheet, number, cells in rows:
        if sheet != header.sheet:
            break  # only the sheet holding the header is read
        read += 1
        if progress is not None and read % 100 == 0:
            progress(read)
        row = Row(cells, header.index, header.labels, number)
        try:
            record = build(row)
        except RowError as error:
            _reject(result, Rejection(number, str(error)))
            continue
        if record is None or isinstance(record, Skip):
            reason = (record or NOT_A_CARE_HOME).reason
            result.skipped += 1
            result.skipped_reasons[reason] = result.skipped_reasons.get(reason, 0) + 1
            continue
        record_key = key(record)
        if record_key is not None:
            folded = record_key.casefold()
            first = seen.setdefault(folded, number)
            if first != number:
                label = header.layout.key_label
                if callable(label):
                    label = label(record)
                _reject(result, Rejection(
                    number, f"duplicate of row {first} (same {label} {record_key!r})"))
                continue
        result.record_count += 1
        if on_record is None:
            result.records.append(record)
        else:
            on_record(record)
    if progress is not None:
        progress(read)


# ---------------------------------------------------------------------------------------------
# Public API


def parse_care_homes(path_or_file: Source, fmt: str | None = None, *,
                     max_bytes: int = DEFAULT_MAX_BYTES,
                     on_record: Callable[[DirectoryRecord], None] | None = None,
                     progress: Callable[[int], None] | None = None,
                     ) -> ParseResult[DirectoryRecord]:
    """Parse a regulator's directory (or our care-home CSV) into care-home records.

    ``fmt`` is one of :data:`FORMATS`, or None to recognise the layout from its header.
    ``path_or_file`` is a path or a binary file object. Rows that are not care homes are
    counted in ``skipped``; unusable rows become rejections. With ``on_record`` each record is
    handed over as soon as it is read instead of being kept, so memory stays flat however
    large the file. ``progress`` is called with the number of data rows read, every 100
    rows and at the end. Raises :class:`DirectoryFormatError` if the file is over ``max_bytes``,
    unreadable, or has no header row with the format's required columns; OSError if the
    path cannot be opened.
    """
    if fmt is None:
        layouts = ALL_LAYOUTS
    else:
        layouts = LAYOUTS.get(fmt.strip().casefold().replace("_", "-"))
        if layouts is None:
            raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return _parse(path_or_file, layouts, max_bytes, lambda r: r.natural_key, on_record,
                  progress)


def parse_groups_csv(path_or_file: Source, *, max_bytes: int = DEFAULT_MAX_BYTES,
                     on_record: Callable[[GroupRecord], None] | None = None,
                     ) -> ParseResult[GroupRecord]:
    """Parse the community groups CSV (its columns are listed in :mod:`.layouts`).

    Rows repeating an earlier row's ``external_id`` are rejected. An XLSX or ODS file with the
    same columns is accepted too. Raises :class:`DirectoryFormatError` like
    :func:`parse_care_homes`.
    """
    return _parse(path_or_file, (GROUPS,), max_bytes, lambda r: r.external_id, on_record)
