"""The vocabulary is written out once, in ``matcher.domain.catalogue``, and read everywhere else.

These tests fail when a copy creeps back in: a group-kind code or a label spelt out in the
application's code or templates, or a tuple of day, nation or kind codes typed out again.
Data files, migrations (frozen history) and tests may spell codes out.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from matcher.domain import catalogue
from matcher.domain.catalogue import codes

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "matcher"
CATALOGUE = PACKAGE / "domain" / "catalogue.py"

KIND_CODES = set(codes(catalogue.GROUP_KINDS)) - {"other"}  # "other" is an ordinary word too
# Vocabularies a tuple, list, set or dict may not spell out (at least ``n`` of its codes).
VOCABULARIES = {
    "group kinds": (set(codes(catalogue.GROUP_KINDS)), 3),
    "nations": (set(codes(catalogue.NATIONS)), 2),
    "days": (set(codes(catalogue.DAYS)), 3),
    "parts of the day": (set(codes(catalogue.DAY_PARTS)), 2),
    "slots": (set(catalogue.SLOTS), 3),
    "care types": (set(codes(catalogue.CARE_TYPES)), 3),
    "facilities": (set(codes(catalogue.FACILITIES)), 3),
    "regulators": (set(codes(catalogue.REGULATORS)), 3),
    "remote modes": (set(codes(catalogue.REMOTE_MODES)), 2),
    "safeguarding schemes": (set(codes(catalogue.SAFEGUARDING_SCHEMES)), 2),
    "visiting statuses": (set(codes(catalogue.VISITING_STATUSES)), 2),
    "introduction statuses": (set(codes(catalogue.INTRODUCTION_STATUSES)), 3),
    "group statuses": (set(codes(catalogue.GROUP_STATUSES)), 3),
    "ranking components": (set(codes(catalogue.RANKING_COMPONENTS)), 3),
}
# Copies that are not vocabulary, each with its reason.
ALLOWED = {
    # the ranker's persisted status encoding: codes in a fixed order saved in the index files
    ("matcher/domain/ranking/types.py", "group statuses"),
}
# The regulator file parsers map the regulators' own spellings onto our codes: data, not a copy.
ALLOWED_UNDER = {
    ("matcher/directories/", "care types"),
    ("matcher/directories/", "regulators"),
}


def _allowed(rel: str, name: str) -> bool:
    return (rel, name) in ALLOWED or any(
        rel.startswith(prefix) and name == allowed for prefix, allowed in ALLOWED_UNDER)


def _labels() -> set[str]:
    """Labels distinctive enough that seeing one spelt out means a copy (several words)."""
    terms = [*catalogue.GROUP_KINDS, *catalogue.GROUP_STATUSES, *catalogue.VISITING_STATUSES,
             *catalogue.INTRODUCTION_STATUSES, *catalogue.CARE_TYPES, *catalogue.FACILITIES,
             *catalogue.SAFEGUARDING_STATUSES, *catalogue.REMOTE_MODES, *catalogue.REGULATORS]
    return {t.label for t in terms if " " in t.label} | {
        s.hint for s in catalogue.VISITING_STATUSES}


def _python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != CATALOGUE)


def _templates() -> list[Path]:
    return sorted((PACKAGE / "templates").rglob("*.html"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _strings(node: ast.AST) -> list[str]:
    """The string elements of a literal tuple, list, set or the keys of a dict."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = node.elts
    elif isinstance(node, ast.Dict):
        items = [k for k in node.keys if k is not None]
    else:
        return []
    return [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]


def _copies_in_python(text: str, rel: str = "") -> list[str]:
    """Vocabulary spelt out in Python source ``text`` (``rel``: its path, for ALLOWED)."""
    found = []
    labels = _labels()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in KIND_CODES:
                found.append(f"line {node.lineno}: group kind {node.value!r}")
            elif node.value in labels:
                found.append(f"line {node.lineno}: label {node.value!r}")
        strings = set(_strings(node))
        for name, (vocabulary, least) in VOCABULARIES.items():
            if _allowed(rel, name):
                continue
            if len(strings & vocabulary) >= least:
                found.append(f"line {node.lineno}: {name} {sorted(strings & vocabulary)}")
    return found


def _copies_in_template(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = []
    for code in sorted(KIND_CODES):
        if re.search(rf"[\"']{code}[\"']", text):
            found.append(f"group kind {code!r}")
    for label in sorted(_labels()):
        if label in text:
            found.append(f"label {label!r}")
    # a template may test a status or two (``status in ("paused", "rejected")``); a literal
    # list, tuple or dict holding as many codes as VOCABULARIES allows is a copy
    for literal in re.findall(r"[(\[{]([^()\[\]{}]*)[)\]}]", text):
        quoted = set(re.findall(r"[\"']([^\"']+)[\"']", literal))
        for name, (vocabulary, least) in VOCABULARIES.items():
            if len(quoted & vocabulary) >= max(least, 3):
                found.append(f"{name} {sorted(quoted & vocabulary)}")
    return found


def test_the_catalogue_is_the_only_place_the_vocabulary_is_written_out():
    copies = {}
    for path in _python_files():
        if found := _copies_in_python(path.read_text(encoding="utf-8"), _rel(path)):
            copies[_rel(path)] = found
    for path in _templates():
        if found := _copies_in_template(path):
            copies[_rel(path)] = found
    assert not copies, f"vocabulary written out outside the catalogue: {copies}"


@pytest.mark.parametrize("source, expected", [
    ('KINDS = ("school", "choir", "knitting_club")', "group kinds"),
    ('DAYS = ["mon", "tue", "wed"]', "days"),
    ('LABEL = "Pet visits / dog walkers"', "label"),
    ('TAGS = {"open": 1, "restricted": 2}', "visiting statuses"),
    ('KIND = "youth_group"', "group kind"),
])
def test_the_scan_catches_a_copy(source, expected):
    found = _copies_in_python(source)
    assert any(expected in item for item in found), found


def test_the_template_scan_catches_a_written_out_list(tmp_path):
    template = tmp_path / "t.html"
    template.write_text('{% for k in ("school", "choir", "nursery") %}{% endfor %}'
                        '<p>Restricted (outbreak measures)</p>', encoding="utf-8")
    found = _copies_in_template(template)
    assert any("group kinds" in f for f in found)
    assert any("Restricted (outbreak measures)" in f for f in found)


# --- the catalogue itself --------------------------------------------------------------------

def test_codes_are_unique_within_each_vocabulary():
    for terms in (catalogue.NATIONS, catalogue.ROLES, catalogue.GROUP_KINDS,
                  catalogue.GROUP_STATUSES, catalogue.VISITING_STATUSES, catalogue.DAYS,
                  catalogue.DAY_PARTS, catalogue.CARE_TYPES, catalogue.FACILITIES,
                  catalogue.REGULATORS, catalogue.REMOTE_MODES, catalogue.SAFEGUARDING_SCHEMES,
                  catalogue.SAFEGUARDING_STATUSES, catalogue.INTRODUCTION_STATUSES,
                  catalogue.RANKING_COMPONENTS):
        assert len(codes(terms)) == len(set(codes(terms)))
        assert all(t.label for t in terms)


def test_slots_are_every_day_and_part_in_week_order():
    assert len(catalogue.SLOTS) == len(catalogue.DAYS) * len(catalogue.DAY_PARTS)
    assert catalogue.SLOTS[:3] == ("mon_am", "mon_pm", "mon_eve")
    assert catalogue.SLOTS[-1] == "sun_eve"


def test_nations_name_a_known_regulator_scheme_and_area_letter():
    regulators = set(codes(catalogue.REGULATORS))
    schemes = set(codes(catalogue.SAFEGUARDING_SCHEMES))
    for nation in catalogue.NATIONS:
        assert nation.regulator in regulators
        assert nation.safeguarding_scheme in schemes
        assert catalogue.NATION_FOR_GSS_LETTER[nation.gss_letter] == nation.code
    assert set(catalogue.REGULATOR_FOR_NATION.values()) == regulators


def test_introduction_lifecycle_only_names_known_statuses():
    known = set(codes(catalogue.INTRODUCTION_STATUSES))
    assert set(catalogue.INTRODUCTION_TRANSITIONS) == known
    for after in catalogue.INTRODUCTION_TRANSITIONS.values():
        assert set(after) <= known
    assert set(catalogue.INTRODUCTION_OPEN_STATUSES) <= known
    assert set(catalogue.INTRODUCTION_CREATE_STATUSES) <= set(catalogue.INTRODUCTION_OPEN_STATUSES)
    assert set(catalogue.GROUP_PURGEABLE_STATUSES) <= set(codes(catalogue.GROUP_STATUSES))


def test_every_kind_but_other_has_open_referral_keywords_tried_once():
    tried = [code for code, _ in catalogue.kind_patterns()]
    assert len(tried) == len(set(tried))
    assert set(tried) == set(codes(catalogue.GROUP_KINDS)) - {"other"}
    assert set(codes(catalogue.GROUP_KINDS)) >= catalogue.PRIVATE_KINDS


def test_default_weights_cover_every_component_and_sum_to_one():
    assert tuple(catalogue.DEFAULT_WEIGHTS) == codes(catalogue.RANKING_COMPONENTS)
    assert sum(catalogue.DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)


def test_the_ranker_and_the_config_read_the_catalogue():
    from matcher.config import DEFAULTS
    from matcher.domain.ranking import COMPONENTS, DEFAULT_WEIGHTS, SLOTS

    assert codes(catalogue.RANKING_COMPONENTS) == COMPONENTS
    assert dict(catalogue.DEFAULT_WEIGHTS) == DEFAULT_WEIGHTS
    assert SLOTS == catalogue.SLOTS
    assert DEFAULTS["RANKING_WEIGHTS"] == dict(catalogue.DEFAULT_WEIGHTS)
