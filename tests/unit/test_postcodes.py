"""Parsing, normalising and validating UK postcodes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.domain.geocoding.exc import GeocodingError
from matcher.domain.postcodes import (
    InvalidPostcode,
    Postcode,
    crown_dependency,
    is_crown_dependency,
    is_valid_postcode,
    parse_postcode,
)


@pytest.mark.parametrize(
    ("text", "normalised", "outward", "inward", "area", "sector"),
    [
        ("M1 1AE", "M1 1AE", "M1", "1AE", "M", "M1 1"),  # A9 9AA
        ("B33 8TH", "B33 8TH", "B33", "8TH", "B", "B33 8"),  # A99 9AA
        ("CR2 6XH", "CR2 6XH", "CR2", "6XH", "CR", "CR2 6"),  # AA9 9AA
        ("DN55 1PT", "DN55 1PT", "DN55", "1PT", "DN", "DN55 1"),  # AA99 9AA
        ("W1A 0AX", "W1A 0AX", "W1A", "0AX", "W", "W1A 0"),  # A9A 9AA
        ("EC1A 1BB", "EC1A 1BB", "EC1A", "1BB", "EC", "EC1A 1"),  # AA9A 9AA
        ("GIR 0AA", "GIR 0AA", "GIR", "0AA", "GIR", "GIR 0"),
    ],
)
def test_every_postcode_format_parses_into_its_parts(
    text, normalised, outward, inward, area, sector
):
    postcode = parse_postcode(text)
    assert postcode.normalised == normalised
    assert str(postcode) == normalised
    assert (postcode.outward, postcode.inward) == (outward, inward)
    assert postcode.district == outward
    assert postcode.area == area
    assert postcode.sector == sector


@pytest.mark.parametrize(
    "spelling",
    ["SW1A 1AA", "sw1a1aa", " SW1A  1AA ", "sw1a-1aa", "Sw1A 1aA", "SW1A\t1AA", "SW1A\u00a01AA",
     "SW1A – 1AA"],
)
def test_user_spellings_normalise_to_one_postcode(spelling):
    assert parse_postcode(spelling) == Postcode("SW1A", "1AA")


def test_postcode_exposes_compact_and_ons_forms():
    assert parse_postcode("b1 1aa").ons == "B1  1AA"
    assert parse_postcode("ip10 0ns").ons == "IP100NS"
    assert parse_postcode("SW1A 1AA").compact == "SW1A1AA"


def test_postcodes_are_frozen_and_hashable():
    postcode = parse_postcode("SW1A 1AA")
    with pytest.raises(AttributeError):
        postcode.inward = "2AA"
    assert len({postcode, parse_postcode("sw1a1aa")}) == 1


@pytest.mark.parametrize(
    ("text", "explains"),
    [
        ("XYZ", "expected a form such as"),
        ("SW1A", "only the first half"),
        ("SW1A 1OA", "never C, I, K, M, O or V"),
        ("QA1 1AA", "begins with Q, V or X"),
        ("AI1 1AA", "I as its second letter"),
        ("SW1A 1AA 2BB", "too long"),
        ("SW1A_1AA", "only letters and digits"),
        ("12345", "expected a form such as"),
        ("SW1A 1A", "expected a form such as"),
    ],
)
def test_malformed_postcodes_are_rejected_with_a_helpful_message(text, explains):
    with pytest.raises(InvalidPostcode) as caught:
        parse_postcode(text)
    message = str(caught.value)
    assert message.startswith(f"'{text.strip()}' is not a valid UK postcode")
    assert explains in message
    assert caught.value.text == text
    assert not is_valid_postcode(text)


@pytest.mark.parametrize("empty", ["", "   ", None, " - "])
def test_missing_postcode_says_so(empty):
    with pytest.raises(InvalidPostcode, match="No postcode was given"):
        parse_postcode(empty)


def test_non_text_is_rejected_not_crashed_on():
    with pytest.raises(InvalidPostcode, match="must be text"):
        parse_postcode(12345)


def test_very_long_input_is_shortened_in_the_message():
    with pytest.raises(InvalidPostcode) as caught:
        parse_postcode("SW1A 1AA" * 50)
    assert len(str(caught.value)) < 120


def test_invalid_postcode_is_both_a_value_error_and_a_geocoding_error():
    with pytest.raises(ValueError):
        parse_postcode("nonsense")
    with pytest.raises(GeocodingError):
        parse_postcode("nonsense")


def test_validity_check_accepts_real_postcodes():
    assert is_valid_postcode("bt1 5gs")
    assert is_valid_postcode("W1M 0AA")  # terminated London code, breaks the modern rule


@pytest.mark.parametrize(
    ("text", "place"),
    [("JE2 3AB", "Jersey"), ("gy1 1aa", "Guernsey"), ("IM1 1AA", "Isle of Man")],
)
def test_crown_dependencies_are_recognised(text, place):
    assert crown_dependency(text) == place
    assert is_crown_dependency(parse_postcode(text))


@pytest.mark.parametrize("text", ["BT1 5GS", "SW1A 1AA", "G1 1AA", "IG1 1AA", "GU1 1AA"])
def test_uk_postcodes_are_not_crown_dependencies(text):
    assert not is_crown_dependency(text)


_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # never C, I, K, M, O or V
_outward = st.one_of(
    st.from_regex(r"[A-PR-UWYZ][0-9][0-9]?", fullmatch=True),
    st.from_regex(r"[A-PR-UWYZ][A-HK-Y][0-9][0-9]?", fullmatch=True),
    st.from_regex(r"[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z]", fullmatch=True),
)
_inward = st.from_regex(rf"[0-9][{_LETTERS}]{{2}}", fullmatch=True)


@given(
    outward=_outward,
    inward=_inward,
    separator=st.sampled_from(["", " ", "  ", "-", " - ", "\t"]),
    lower=st.booleans(),
    padding=st.sampled_from(["", " ", "\n"]),
)
def test_any_spelling_of_a_well_formed_postcode_round_trips(
    outward, inward, separator, lower, padding
):
    text = padding + outward + separator + inward + padding
    postcode = parse_postcode(text.lower() if lower else text)
    assert postcode.normalised == f"{outward} {inward}"
    assert parse_postcode(postcode.normalised) == postcode
