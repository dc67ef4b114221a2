"""The shared text and list fields: one character rule, lengths checked before work is done."""

from __future__ import annotations

import marshmallow as ma
import pytest

from matcher.schemas.fields import BoundedList, LanguageName, Text, check_characters


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\x7f", "\x80", "\x9f", "\u202a",
                                  "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
                                  "\u2068", "\u2069", "\ud800"])
def test_control_bidi_and_surrogate_characters_are_refused_everywhere(char):
    for multiline in (False, True):
        with pytest.raises(ma.ValidationError, match=f"U\\+{ord(char):04X}"):
            check_characters(f"ab{char}cd", multiline=multiline)


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_tab_and_line_breaks_only_in_multiline_text(char):
    check_characters(f"a{char}b", multiline=True)
    with pytest.raises(ma.ValidationError, match="at position 2"):
        check_characters(f"a{char}b")


@pytest.mark.parametrize("text", ["Côr Llanberis", "ਪੰਜਾਬੀ", "مرحبا", "Zoë\u00a0& co", "👍",
                                  "\u200d", ""])
def test_ordinary_text_in_any_script_passes(text):
    check_characters(text)


def test_text_checks_length_before_anything_else_and_refuses_blank_names():
    schema = ma.Schema.from_dict({"name": Text(max_length=5, min_length=1, blank=False)})()
    assert schema.validate({"name": "   "}) == {"name": ["Enter more than spaces."]}
    assert "Longer than maximum length 5" in schema.validate({"name": "x" * 10**6})["name"][0]
    assert "name" in schema.validate({"name": ""})
    assert schema.load({"name": " a b "}) == {"name": " a b "}


def test_a_bounded_list_counts_before_reading_any_item():
    seen = []

    class Counting(ma.fields.String):
        def _deserialize(self, value, attr, data, **kwargs):
            seen.append(value)
            return super()._deserialize(value, attr, data, **kwargs)

    schema = ma.Schema.from_dict({"items": BoundedList(Counting(), max_items=3)})()
    assert schema.validate({"items": ["a"] * 2_000_000}) == {
        "items": ["At most 3 items may be given."]}
    assert seen == []
    assert schema.load({"items": ["a", "b"]}) == {"items": ["a", "b"]}


def test_language_names_are_bounded_before_langcodes_sees_them():
    # langcodes parses a tag one subtag per recursion level: thousands exhaust the stack.
    field = LanguageName()
    with pytest.raises(ma.ValidationError, match="maximum length 100"):
        field.deserialize("en" + "-x" * 5000)
    assert field.deserialize("Cymraeg")["tag"] == "cy"
