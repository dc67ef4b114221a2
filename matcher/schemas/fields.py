"""Custom marshmallow fields and small schemas shared by every input: postcodes, languages,
interests and contact details. No Flask here: the API, pages, CLI and imports all use them."""

from __future__ import annotations

import marshmallow as ma

from ..domain.interests import clean_interests
from ..domain.languages import UnknownLanguage, normalise_language
from ..domain.postcodes import InvalidPostcode, parse_postcode

# Primary keys are INTEGER columns; PostgreSQL refuses to even compare them with larger numbers.
MAX_ID = 2**31 - 1

__all__ = [
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


class Postcode(Text):
    """A UK postcode in any spelling, checked for shape (existence is the geocoder's job)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=20, **kwargs)

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


class Email(Text, ma.fields.Email):
    """An email address, with the same character rule as every text."""


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
