"""Parse, normalise and validate UK postcodes.

A postcode has an outward code (area letters + district, e.g. ``SW1A``) and an inward code
(sector digit + unit letters, e.g. ``1AA``). Any user spelling is accepted: any case, any
spaces, or a hyphen between the halves (``sw1a1aa``, `` SW1A  1AA ``, ``sw1a-1aa``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matcher.domain.geocoding.exc import InvalidPostcode

__all__ = [
    "CROWN_DEPENDENCY_AREAS",
    "InvalidPostcode",
    "Postcode",
    "crown_dependency",
    "is_crown_dependency",
    "is_valid_postcode",
    "parse_postcode",
]

# Guernsey, Jersey and the Isle of Man use Royal Mail postcodes but are not on either
# national grid, so the ONS directory lists them without coordinates.
CROWN_DEPENDENCY_AREAS = {"GY": "Guernsey", "JE": "Jersey", "IM": "Isle of Man"}

# Royal Mail rules: the first letter is never Q, V or X; the second never I, J or Z; the
# inward letters never C, I, K, M, O or V. The third/fourth outward letters are left open
# because terminated London codes such as W1M 0AA and W1V 1AA break the modern rule, and
# terminated postcodes still resolve.
_OUTWARD = r"[A-PR-UWYZ](?:[A-HK-Y]?[0-9][0-9A-Z]?)"
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_COMPACT_RE = re.compile(rf"({_OUTWARD})({_INWARD})")
_OUTWARD_RE = re.compile(rf"{_OUTWARD}")
_SHAPE_RE = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})")
# Whitespace of any kind (including no-break spaces pasted from documents) and hyphens or
# dashes used as separators are dropped before matching.
_SEPARATORS_RE = re.compile(r"[\s\-\u2010-\u2015]+")
_MAX_INPUT_LENGTH = 16
_LEADING_LETTERS_RE = re.compile(r"[A-Z]+")


@dataclass(frozen=True, slots=True)
class Postcode:
    """A well-formed UK postcode, split into its outward and inward codes."""

    outward: str
    inward: str

    @property
    def normalised(self) -> str:
        """Upper case with one space, e.g. ``SW1A 1AA``."""
        return f"{self.outward} {self.inward}"

    @property
    def compact(self) -> str:
        """Without the space, e.g. ``SW1A1AA``."""
        return self.outward + self.inward

    @property
    def ons(self) -> str:
        """The ONS Postcode Directory's 7-character form, e.g. ``B1  1AA``."""
        return self.outward.ljust(4) + self.inward

    @property
    def area(self) -> str:
        """The leading letters, e.g. ``SW``."""
        return _LEADING_LETTERS_RE.match(self.outward)[0]

    @property
    def district(self) -> str:
        """The outward code, e.g. ``SW1A``."""
        return self.outward

    @property
    def sector(self) -> str:
        """The outward code and the inward digit, e.g. ``SW1A 1``."""
        return f"{self.outward} {self.inward[0]}"

    @property
    def crown_dependency(self) -> str | None:
        """``Guernsey``, ``Jersey`` or ``Isle of Man`` for those areas, otherwise None."""
        # All three areas have two letters, so the first two characters decide it.
        return CROWN_DEPENDENCY_AREAS.get(self.outward[:2])

    def __str__(self) -> str:
        return self.normalised


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 20 else text[:19] + "…"


def parse_postcode(text: object) -> Postcode:
    """Parse a UK postcode in any spelling.

    Raises InvalidPostcode (a ValueError) with a message a user can act on.
    """
    if text is None:
        raise InvalidPostcode("No postcode was given", text="")
    if not isinstance(text, str):
        raise InvalidPostcode(
            f"A postcode must be text, not {type(text).__name__}", text=str(text)
        )
    compact = _SEPARATORS_RE.sub("", text).upper()
    if not compact:
        raise InvalidPostcode("No postcode was given", text=text)
    if compact == "GIR0AA":  # Girobank's historic non-geographic postcode
        return Postcode("GIR", "0AA")
    match = _COMPACT_RE.fullmatch(compact)
    if match is None:
        raise InvalidPostcode(_explain(text, compact), text=text)
    return Postcode(match[1], match[2])


def _explain(text: str, compact: str) -> str:
    prefix = f"'{_shown(text)}' is not a valid UK postcode"
    if len(text) > _MAX_INPUT_LENGTH or len(compact) > 8:
        return f"{prefix}: it is too long (a postcode has 5 to 7 letters and digits)"
    if not compact.isalnum() or not compact.isascii():
        return f"{prefix}: a postcode has only letters and digits, such as 'SW1A 1AA'"
    if _OUTWARD_RE.fullmatch(compact):
        return (
            f"{prefix}: it is only the first half; add the second half, "
            f"such as '{compact} 1AA'"
        )
    shape = _SHAPE_RE.fullmatch(compact)
    if shape:
        outward, inward = shape[1], shape[2]
        if not re.fullmatch(_INWARD, inward):
            return (
                f"{prefix}: the last two letters of a postcode are never C, I, K, M, O or V"
            )
        if outward[0] in "QVX":
            return f"{prefix}: no postcode begins with Q, V or X"
        return f"{prefix}: no postcode has {outward[1]} as its second letter"
    return f"{prefix}: expected a form such as 'SW1A 1AA', 'M1 1AE' or 'CF10 1EP'"


def is_valid_postcode(text: object) -> bool:
    """True when the text is a well-formed UK postcode (whether or not it exists)."""
    try:
        parse_postcode(text)
    except InvalidPostcode:
        return False
    return True


def crown_dependency(postcode: Postcode | str) -> str | None:
    """The Crown Dependency (Guernsey, Jersey, Isle of Man) of a postcode, or None."""
    if isinstance(postcode, str):
        postcode = parse_postcode(postcode)
    return postcode.crown_dependency


def is_crown_dependency(postcode: Postcode | str) -> bool:
    """True for Channel Islands (GY, JE) and Isle of Man (IM) postcodes."""
    return crown_dependency(postcode) is not None
