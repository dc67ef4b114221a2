"""Custom marshmallow fields and small schemas shared by every input: postcodes, languages,
interests and contact details. No Flask here: the API, pages, CLI and imports all use them."""

from __future__ import annotations

import marshmallow as ma

from ..domain.catalogue import CORRESPONDENCE_LANGUAGES
from ..domain.interests import clean_interests
from ..domain.languages import UnknownLanguage, normalise_language
from ..domain.postcodes import InvalidPostcode, parse_postcode

# Primary keys are INTEGER columns; PostgreSQL refuses to even compare them with larger numbers.
MAX_ID = 2**31 - 1

__all__ = [
    "Boolean",
    "BoundedList",
    "MESSAGE_MAX",
    "ContactSchema",
    "Interests",
    "LanguageName",
    "Postcode",
    "Text",
    "check_characters",
    "contact_of",
    "flatten_contact",
]

# Longest language name or code accepted; langcodes parses a tag recursively, one level per
# subtag, so an unbounded "en-x-x-x-..." would exhaust the stack.
MAX_LANGUAGE_LENGTH = 100
# Longest message a care home may send a group with its request.
MESSAGE_MAX = 1000

BLANK_MESSAGE = "Enter more than spaces."

# Bidirectional embeddings, overrides and isolates: they make text display in an order other
# than the one stored (a name that reads differently from what it is).
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_MULTILINE_ALLOWED = frozenset("\t\n\r")


def _refused(char: str, multiline: bool) -> str | None:
    """Why ``char`` is not allowed in text, or None if it is."""
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        if multiline and char in _MULTILINE_ALLOWED:
            return None
        return "a control character"
    if char in _BIDI_CONTROLS:
        return "a bidirectional text control"
    if 0xD800 <= code <= 0xDFFF:
        return "half of a surrogate pair"
    return None


def check_characters(text: str, *, multiline: bool = False) -> None:
    """Raise ``ValidationError`` if ``text`` holds a control character (NUL included; tab and
    line breaks are allowed in ``multiline`` text), a bidirectional override or a lone
    surrogate. The one rule for every text field: no database stores NUL, and the others only
    hide or disguise what was written."""
    for position, char in enumerate(text, start=1):
        reason = _refused(char, multiline)
        if reason:
            raise ma.ValidationError(
                f"Remove the character U+{ord(char):04X} ({reason}) at position {position}: "
                f"it is not allowed here.")


# ``check_characters`` as a JSON Schema (ECMA-262) pattern for the OpenAPI document: the
# characters it refuses, as the body of a character class. Lone surrogates are left out:
# validators that work on Unicode scalar values (Rust's regex) refuse such a class, and no
# UTF-8 request can carry one except as a JSON escape.
_REFUSED_CLASS = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_REFUSED_MULTILINE_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"


def text_pattern(*, multiline: bool = False, blank: bool = True) -> str:
    """The pattern of text ``check_characters`` lets through (and, when ``blank=False``,
    that is empty or holds more than white space)."""
    refused = _REFUSED_MULTILINE_CLASS if multiline else _REFUSED_CLASS
    allowed = f"[^{refused}]*"
    if blank:
        return f"^{allowed}$"
    return f"^(?:{allowed}[^\\s{refused}]{allowed})?$"


def _as_list(validate) -> list:
    if validate is None:
        return []
    return list(validate) if isinstance(validate, (list, tuple)) else [validate]


class Text(ma.fields.String):
    """A string checked by ``check_characters`` and, before any other validator, for length
    (``max_length``) and, when ``blank=False``, for holding more than white space."""

    def __init__(self, *, max_length: int | None = None, min_length: int | None = None,
                 multiline: bool = False, blank: bool = True, **kwargs):
        validators = _as_list(kwargs.pop("validate", None))
        if max_length is not None or min_length is not None:
            # Run again by marshmallow, harmlessly; listed so the OpenAPI document shows it.
            validators.insert(0, ma.validate.Length(min=min_length, max=max_length))
        super().__init__(validate=validators, **kwargs)
        self.max_length = max_length
        self.multiline = multiline
        self.blank = blank
        if not any(isinstance(v, ma.validate.Regexp) for v in self.validators):
            # A Regexp validator's own (stricter) pattern is the one documented.
            self.metadata = {"pattern": text_pattern(multiline=multiline, blank=blank),
                             **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.max_length is not None and len(text) > self.max_length:
            raise ma.ValidationError(f"Longer than maximum length {self.max_length}.")
        check_characters(text, multiline=self.multiline)
        if not self.blank and text and not text.strip():  # "" is min_length's to refuse
            raise ma.ValidationError(BLANK_MESSAGE)
        return text


class BoundedList(ma.fields.List):
    """A list of at most ``max_items``, counted before any item is read: marshmallow's own
    ``Length`` runs only after every item has been deserialised, which for two million
    entries (or language look-ups) is the attack itself."""

    def __init__(self, cls_or_instance, *, max_items: int, **kwargs):
        validators = _as_list(kwargs.pop("validate", None))
        super().__init__(cls_or_instance,
                         validate=[ma.validate.Length(max=max_items), *validators], **kwargs)
        self.max_items = max_items

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, (list, tuple)) and len(value) > self.max_items:
            raise ma.ValidationError(f"At most {self.max_items} items may be given.")
        return super()._deserialize(value, attr, data, **kwargs)


def _any_case(text: str) -> str:
    """``text`` as a pattern matching it in either case (``SW1A`` -> ``[Ss][Ww]1[Aa]``)."""
    return "".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in text)


# Separators a postcode may have around or between its halves (``parse_postcode`` drops them).
# (White space that is not a control character: ``check_characters`` refuses those.)
_PC_SEPARATORS = r"[ \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\-\u2010-\u2015]*"
_PC_INWARD = r"[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}"


def postcode_pattern(districts=None) -> str:
    """The pattern of a postcode ``parse_postcode`` reads, in any case and with separators
    around its halves; with ``districts`` (outward codes), only postcodes in them. GIR, the
    one outward code outside the usual shape, has only GIR 0AA (as ``parse_postcode``)."""
    gir = _any_case("GIR") + _PC_SEPARATORS + _any_case("0AA")
    if districts is None:
        outward = r"[A-PR-UWYZa-pr-uwyz][A-HK-Ya-hk-y]?[0-9][0-9A-Za-z]?"
        either = f"(?:{outward}{_PC_SEPARATORS}{_PC_INWARD}|{gir})"
    else:
        by_area: dict[str, list[str]] = {}
        for code in sorted(set(districts) - {"GIR"}):
            area = code[:2] if code[1:2].isalpha() else code[:1]
            by_area.setdefault(area, []).append(code[len(area):])
        outward = "(?:" + "|".join(
            _any_case(area) + "(?:" + "|".join(_any_case(rest) for rest in rests) + ")"
            for area, rests in by_area.items()) + ")"
        alternatives = [f"{outward}{_PC_SEPARATORS}{_PC_INWARD}"] if by_area else []
        alternatives += [gir] if "GIR" in districts else []
        either = "(?:" + "|".join(alternatives or ["(?!)"]) + ")"
    return f"^{_PC_SEPARATORS}{either}{_PC_SEPARATORS}$"


# Marks a property the OpenAPI document narrows to what this server knows when it is served
# (``matcher.api.base``): the postcode districts of its index, the language tags it reads.
KNOWN = "x-kith-known"


class Postcode(Text):
    """A UK postcode in any spelling, checked for shape (existence is the geocoder's job).
    ``known=True`` documents that it must also be in a district the index knows."""

    def __init__(self, *, known: bool = False, **kwargs):
        super().__init__(max_length=20, **kwargs)
        self.metadata = {**self.metadata, "pattern": postcode_pattern()}
        if known:
            self.metadata[KNOWN] = "postcode"

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_postcode(text).normalised
        except InvalidPostcode as exc:
            raise ma.ValidationError(str(exc)) from exc


class LanguageName(Text):
    """A language by name or tag in any case or script, loaded as ``{tag, name, native_name}``."""

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_LANGUAGE_LENGTH, **kwargs)
        self.metadata = {
            "description": "A language tag (ISO 639, e.g. `cy`, `pl`, `bfi`); its name in "
                           "English or in the language itself (`Welsh`, `Cymraeg`) is read "
                           "too.",
            **self.metadata, KNOWN: "language"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_language(text).to_dict()
        except UnknownLanguage as exc:
            raise ma.ValidationError(str(exc)) from exc

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class Interests(BoundedList):
    """A list of interests, trimmed and deduplicated without regard to case."""

    def __init__(self, **kwargs):
        super().__init__(Text(max_length=100), max_items=50, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return clean_interests(super()._deserialize(value, attr, data, **kwargs))


class Boolean(ma.fields.Boolean):
    """``true`` or ``false`` and nothing else: marshmallow's own also reads ``1``, ``"yes"``
    and ``"on"``, which the document (``type: boolean``) does not allow. Forms and files turn
    their words into booleans before they get here."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# An email address as the document states it: marshmallow's own check is code, not a pattern,
# and disagrees with JSON Schema's ``email`` format at the edges (``a@b.c``).


def _label(first: str) -> str:
    """A domain label (at most 63 letters, digits and hyphens, no hyphen first or last, and
    not two hyphens third and fourth, which IDNA keeps for ``xn--``) beginning with
    ``first``."""
    ends, inner = "[A-Za-z0-9]", "[A-Za-z0-9-]"
    return (f"(?:{first}(?:{inner}?{ends})?|{first}{inner}{inner}{ends}|"
            f"{first}{inner}(?:{ends}{inner}|-{ends}){inner}{{0,58}}{ends})")


# The local part: at most 64 characters, no dot first or last; no two dots together is
# checked in code (``email`` format says so too; a pattern without look-ahead cannot).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
EMAIL_PATTERN = (rf"^(?:{_ATEXT}|{_ATEXT}[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{0,62}}{_ATEXT})@"
                 rf"(?:{_label('[A-Za-z0-9]')}\.)+{_label('[A-Za-z]')}$")


class Email(Text):
    """An email address (``EMAIL_PATTERN``): a local part of dot-separated atoms (no leading,
    trailing or doubled dot), ``@`` and a domain of two or more labels, the last beginning
    with a letter."""

    def __init__(self, **kwargs):
        validators = _as_list(kwargs.pop("validate", None))
        super().__init__(validate=[ma.validate.Regexp(
            EMAIL_PATTERN, error="Not a valid email address."), *validators], **kwargs)
        self.metadata = {"format": "email", **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if ".." in text.partition("@")[0]:
            raise ma.ValidationError("Not a valid email address.")
        return text


class PreferredLanguage(ma.fields.String):
    """``preferred_language``: the language Kith writes to the record's contact in."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "The language Kith writes to the "
                                       "contact in: `cy` (Welsh) or `en` (English, the default)."})
        super().__init__(validate=ma.validate.OneOf(CORRESPONDENCE_LANGUAGES), **kwargs)


class ContactSchema(ma.Schema):
    name = Text(max_length=200, allow_none=True)
    email = Email(max_length=254, allow_none=True)
    phone = Text(max_length=20, validate=ma.validate.Regexp(
        r"^[0-9+() -]{6,20}$", error="Enter a telephone number, like 01632 960 001."),
        allow_none=True)


def flatten_contact(data: dict) -> dict:
    """``contact: {name, email, phone}`` -> the model's ``contact_*`` columns."""
    contact = data.pop("contact", None)
    if contact is not None:
        for key in ("name", "email", "phone"):
            if key in contact:
                data[f"contact_{key}"] = contact[key] or None
    return data


def contact_of(obj) -> dict:
    """A record's ``contact_*`` columns as ``{name, email, phone}``."""
    return {"name": obj.contact_name, "email": obj.contact_email, "phone": obj.contact_phone}
