"""CSV output helpers: formula neutralisation, rows to text, download names and headers."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from matcher.csvout import dated_filename, download_headers, neutralise_csv_cell, write_csv


@pytest.mark.parametrize("value", [
    '=HYPERLINK("http://x","y")', "+44 20 7000 0000", "-2+3", "@SUM(A1:A2)", "\t=1+1",
    "\r=1+1", "  =1+1", "\n=1+1", "\nanything", "\u00a0=1+1", "\u200b=1+1", "\u200c@x",
    "\u200d+1", "\u2060-1", "\ufeff=1+1", "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)",
    "\ufe66cmd()", " \u00a0\ufeff\u200b\n\t\r\u3000\uff1dcmd()", "\u202e=1+1", "\x00=1",
])
def test_formula_like_text_is_neutralised(value):
    assert neutralise_csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Rose Court", "SW1A 1AA", "", "a=b", 42, 1.5, None,
                                   "\u00a0Rose Court", "\ufeffRose", "\u200b", " a\uff1db",
                                   "Ümit's choir"])
def test_ordinary_values_are_left_alone(value):
    assert neutralise_csv_cell(value) == value


def test_write_csv_has_a_header_crlf_lines_and_neutralised_cells():
    text = write_csv(("name", "score"), [("=cmd()", 0.5), ('Rose "Court", Leeds', None)])
    assert text.startswith("\ufeffname,score\r\n")
    assert text.count("\r\n") == 3
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [["name", "score"], ["'=cmd()", "0.5"], ['Rose "Court", Leeds', ""]]


def test_download_names_and_headers():
    assert dated_filename("match-list-wales", dt.date(2026, 12, 3)) == \
        "match-list-wales-2026-12-03.csv"
    assert dated_filename("x").endswith(f"-{dt.date.today().isoformat()}.csv")
    assert download_headers("a.csv") == {
        "Content-Disposition": 'attachment; filename="a.csv"', "Cache-Control": "no-store"}


def test_csv_begins_with_a_utf8_byte_order_mark_so_excel_reads_welsh_names():
    data = write_csv(("name",), [("Côr Meibion Tŷ Newydd",)]).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    # What Excel does with the mark: decode as UTF-8, not the legacy code page.
    assert data.decode("utf-8-sig").splitlines()[1] == "Côr Meibion Tŷ Newydd"
