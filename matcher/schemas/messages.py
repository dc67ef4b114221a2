"""Validation messages in the reader's language: marshmallow's own and Kith's.

Marshmallow writes its messages in English, often with the field's limits filled in
("Longer than maximum length 200."). They are listed here once, marked with ``N_`` so that
``make translations`` extracts them, and `translate` gives a message in the current language
when an error body or a form error is built: an exact entry of the catalogue first, else the
template the message was filled from, translated and filled again with the same values.
Nothing here imports Flask: the caller passes its ``gettext``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from ..domain import catalogue

__all__ = ["TEMPLATES", "translate", "translate_errors"]


def N_(message: str) -> str:  # noqa: N802 - the name extraction looks for
    """Mark ``message`` for the catalogue without translating it here."""
    return message


# Fixed messages (translated by exact look-up once marked).
FIXED = (
    N_("Field may not be null."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Missing data for required field."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid email address."),
    N_("Not a valid integer."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid number."),
    N_("Not a valid string."),
    N_("Not a valid time."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid utf-8 string."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Unknown field."),
    N_("Enter more than spaces."),
    N_("Enter a telephone number, like 01632 960 001."),
    N_("You must agree to the privacy notice so we can store your details."),
    N_("Give something to change."),
    # Merging a duplicate registration (the API's choices).
    N_("Only a registration waiting for approval can be rejected as a duplicate or merged."),
    N_("Not a choice for this part: it is the same in both groups, or its values cannot be "
       "combined."),
    # Visits: their years, series rules (shown by the pages, and in 409s) and conflicts.
    N_("Give a time in the years 2000 to 2099, such as 2027-01-14T10:00:00Z."),
    N_("Give a date in the years 2000 to 2099, such as 2027-06-30."),
    N_("A one-off visit has no end date: leave it empty, or choose how it repeats."),
    N_("A repeating visit needs an end date (at most a year after the first visit)."),
    N_("The end date is before the first visit."),
    N_("A repeating visit can run for at most a year: choose an earlier end date, and plan "
       "again later."),
    N_("A one-off visit has no end date: the end date given was left out."),
    N_("This change does not fit the visit as stored: see 'errors'."),
    N_("This visit has no occurrence at that time."),
    N_("An occurrence that has not happened yet cannot be done."),
    N_("An occurrence that has not happened yet cannot be missed."),
    N_("Not an occurrence key (its start in UTC, e.g. 2027-01-14T10:00:00Z)."),
    N_("String does not match expected pattern."),
    N_("No postcode was given"),
    N_("a language name or code is required"),
)

# Messages filled in with values: ``{name}`` stands for a value copied across unchanged.
TEMPLATES = (
    N_("Longer than maximum length {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be one of: {choices}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be between 1 and {max}."),
    N_("At most {max} items may be given."),
    N_("\"{input}\" cannot be formatted as a date."),
    N_("'{text}' is not a language we recognise"),
    N_("{listed} are not languages we recognise"),
    N_("Remove the character {code} ({reason}) at position {position}: it is not allowed "
       "here."),
    # What normalising a visit's series changed (``matcher.domain.visits.normalise``).
    N_("A repeating visit without an end date runs for a year: until {date}."),
    N_("The end date was before the first visit: the series is just its first visit, on "
       "{date}."),
    N_("A repeating visit runs for at most a year: the end date was brought back to {date}."),
    # The domain's postcode messages, worded (and translated) as the pages show them, without
    # a full stop (matcher.web.messages): the same catalogue entries serve the API.
    N_("'%(text)s' is not a valid UK postcode: it is too long (a postcode has 5 to 7 "
       "letters and digits)"),
    N_("'%(text)s' is not a valid UK postcode: a postcode has only letters and digits, "
       "such as 'SW1A 1AA'"),
    N_("'%(text)s' is not a valid UK postcode: it is only the first half; add the second "
       "half, such as '%(outward)s 1AA'"),
    N_("'%(text)s' is not a valid UK postcode: the last two letters of a postcode are never "
       "C, I, K, M, O or V"),
    N_("'%(text)s' is not a valid UK postcode: no postcode begins with Q, V or X"),
    N_("'%(text)s' is not a valid UK postcode: no postcode has %(letter)s as its second "
       "letter"),
    N_("'%(text)s' is not a valid UK postcode: expected a form such as 'SW1A 1AA', "
       "'M1 1AE' or 'CF10 1EP'"),
    N_("%(postcode)s (%(place)s) has no coordinates: the Channel Islands and the Isle of Man "
       "are outside the ONS Postcode Directory's grid"),
    N_("%(postcode)s was not found: neither it nor its district %(district)s has coordinates "
       "in the ONS Postcode Directory"),
)
# The services' most common refusals (404, 403, 409), as the API passes them on.
SERVICE_TEMPLATES = (
    N_("There is no {noun} with id {id}."),
    N_("You do not have access to this {noun}."),
    N_("There is no user with the email {email}."),
    N_("Only coordinators and admins may add {noun}."),
    N_("This postcode is in {nation}; you coordinate {own_nation}."),
    N_("You coordinate {own_nation}; you cannot see {nation}."),
    N_("Unknown nation {code}."),
    N_("Only the group or your network coordinator can mark an introduction {status}."),
    N_("This introduction is already {status}: there is nothing to answer."),
    N_("This introduction is already {status}."),
    N_("Review {id} was already answered: {review_status}."),
)
TEMPLATES += SERVICE_TEMPLATES
# Values that are themselves words (a character's kind, a place, a kind of record), translated.
WORD_VALUES = frozenset({"reason", "place", "noun"})
# Values that are codes or lower-cased labels of the vocabulary, shown by their label.
_NATIONS = {term.code: term.label for term in catalogue.NATIONS}
_STATUSES = {term.label.lower(): term.label for term in catalogue.INTRODUCTION_STATUSES}
_REVIEW_STATUSES = {"same": N_("the same home"), "different": N_("a different home")}


def _word(key: str, value: str, gettext: Callable[[str], str]) -> str:
    if key in WORD_VALUES:
        return gettext(value)
    if key in ("nation", "own_nation") and value in _NATIONS:
        return gettext(_NATIONS[value])
    if key == "status" and value in _STATUSES:
        return gettext(_STATUSES[value]).lower()
    if key == "review_status" and value in _REVIEW_STATUSES:
        return gettext(_REVIEW_STATUSES[value])
    return value
N_("Invalid JSON body.")
N_("care home")
N_("community group")
N_("introduction")
N_("visit")
N_("allocation")
N_("account")
N_("import review")
N_("care homes")
N_("groups")
N_("Only coordinators and admins may use the network tools.")
N_("Only admins may read the audit trail.")
N_("You cannot make this change to the visit.")
N_("This group has no changes waiting for approval.")

_FIELD = re.compile(r"\{(\w+)\}|%\((\w+)\)s")


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    compiled = []
    for template in TEMPLATES:
        regex, last = "", 0
        for found in _FIELD.finditer(template):
            regex += re.escape(template[last:found.start()])
            regex += f"(?P<{found.group(1) or found.group(2)}>.+?)"
            last = found.end()
        regex += re.escape(template[last:])
        compiled.append((re.compile(f"^{regex}\\.?$", re.DOTALL), template))
    return tuple(compiled)


def _fill(template: str, values: dict[str, str]) -> str:
    return _FIELD.sub(lambda m: values.get(m.group(1) or m.group(2), m.group(0)), template)


def translate(message, gettext: Callable[[str], str]) -> str:
    """``message`` in the language ``gettext`` translates into (unchanged if unknown)."""
    text = str(message)
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, template in _patterns():
        found = pattern.match(text)
        if found:
            welsh = gettext(template)
            if welsh == template:
                return text
            values = {key: _word(key, value, gettext)
                      for key, value in found.groupdict().items()}
            stop = "." if text.endswith(".") and not template.endswith(".") else ""
            return _fill(welsh, values) + stop
    return text


def translate_errors(errors, gettext: Callable[[str], str]):
    """Every message of marshmallow's nested ``{field: [messages]}`` translated; field names
    (and list indexes) stay as they are."""
    if isinstance(errors, dict):
        return {key: translate_errors(value, gettext) for key, value in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [translate_errors(item, gettext) for item in errors]
    if isinstance(errors, str):
        return translate(errors, gettext)
    return errors
