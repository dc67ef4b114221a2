"""No untranslated text ships: every message Kith can show has a Welsh translation.

The messages are extracted here exactly as ``make translations`` extracts them (babel.cfg),
so a string added to a template or to the code without a Welsh entry fails this test, not a
Welsh reader. Placeholders must be the same in both languages, or the Welsh page would lose
(or fail on) a name, a date or a count.
"""

from __future__ import annotations

import re
from configparser import RawConfigParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "matcher" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "N_": None, "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3),
            "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)[^{}]*\}")


def _method_map() -> tuple[list[tuple[str, str]], dict[str, dict]]:
    parser = RawConfigParser()
    parser.read(ROOT / "babel.cfg")
    methods, options = [], {}
    for section in parser.sections():
        if section == "extractors":
            continue
        method, pattern = (part.strip() for part in section.split(":", 1))
        methods.append((pattern, method))
        options[pattern] = dict(parser.items(section))
    extractors = dict(parser.items("extractors"))
    return [(p, extractors.get(m, m)) for p, m in methods], options


@pytest.fixture(scope="module")
def extracted() -> dict:
    methods, options = _method_map()
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT / "matcher"), methods, options, keywords=KEYWORDS):
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, (message, filename))
    return found


@pytest.fixture(scope="module")
def welsh():
    with PO.open("rb") as source:
        return read_po(source, locale="cy")


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def test_the_extraction_finds_the_pages_the_code_and_the_vocabulary(extracted):
    # Sanity of the seam itself: the base layout, a Python message and a catalogue label.
    assert "Skip to main content" in extracted
    assert "Sign in to see this page." in extracted
    assert "Pet visits / dog walkers" in extracted


def test_every_message_has_a_welsh_translation(extracted, welsh):
    missing = []
    for key, (_message, filename) in sorted(extracted.items()):
        entry = welsh.get(key)
        strings = () if entry is None else (
            entry.string if isinstance(entry.string, (list, tuple)) else (entry.string,))
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(f"{filename}: {key!r}")
    assert not missing, ("messages without a Welsh translation (run `make translations` and "
                         "translate them in messages.po):\n" + "\n".join(missing))


def test_placeholders_are_the_same_in_both_languages(welsh):
    wrong = []
    for entry in welsh:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, (list, tuple)) else (entry.id,)
        strings = entry.string if isinstance(entry.string, (list, tuple)) else (entry.string,)
        expected = set().union(*(_placeholders(i) for i in ids))
        for string in strings:
            if string and _placeholders(string) != expected:
                wrong.append(f"{ids[0]!r} → {string!r}")
    assert not wrong, "placeholders differ between English and Welsh:\n" + "\n".join(wrong)


def test_welsh_plurals_fill_all_six_forms(welsh):
    assert welsh.num_plurals == 6
    short = [entry.id[0] for entry in welsh if entry.pluralizable
             and (len(entry.string) != 6 or not all(entry.string))]
    assert not short, f"plural messages without all six Welsh forms: {short}"


def test_the_catalogue_compiles_and_the_app_serves_it(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"), force_locale("cy"):
        assert gettext("Skip to main content") == "Neidio i'r prif gynnwys"
