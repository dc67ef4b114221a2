"""Kith's own English messages (from the domain, the schemas and the services) in the language
of the page they are shown on.

The domain and the services speak English only, and some messages carry what was typed or
looked up (a postcode, a language, a length). A message is looked up whole in the catalogue;
one built with values is matched against the patterns below and rebuilt from its Welsh
template with the same values. English pages show the message exactly as it came.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext

from ..domain import catalogue
from ..i18n import current_language


def N_(text: str) -> str:
    """Mark ``text`` for the catalogue; it is translated where it is shown."""
    return text


def _translate(value: str) -> str:
    return gettext(value)


def _introduction_status(label: str) -> str:
    """A lower-cased English status label ("declined") in the page's language."""
    for status in catalogue.INTRODUCTION_STATUSES:
        if status.label.lower() == label:
            return gettext(status.label).lower()
    return label


def _quoted_list(texts: str) -> str:
    """``'a', 'b' and 'c'`` with the page's word for "and"."""
    head, sep, tail = texts.rpartition("' and '")
    return f"{head}' {gettext(' and ').strip()} '{tail}" if sep else texts


# Whole messages that come without values, without their full stop (the pages' style).
N_("No postcode was given")
N_("a language name or code is required")
N_("Enter a telephone number, like 01632 960 001")
N_("Your password cannot be only spaces")
N_("The two passwords do not match")
N_("Choose to accept or decline the introduction")
# Values that are themselves words.
N_("Guernsey")
N_("Jersey")
N_("Isle of Man")
N_("a control character")
N_("a bidirectional text control")
N_("half of a surrogate pair")

_INVALID = r"^'(?P<text>.*)' is not a valid UK postcode: "
# (pattern, template, converters of the values that are words)
_PATTERNS: list[tuple[re.Pattern, str, dict[str, Callable[[str], str]]]] = [
    (re.compile(_INVALID + r"it is too long \(a postcode has 5 to 7 letters and digits\)$"),
     N_("'%(text)s' is not a valid UK postcode: it is too long (a postcode has 5 to 7 "
        "letters and digits)"), {}),
    (re.compile(_INVALID + r"a postcode has only letters and digits, such as 'SW1A 1AA'$"),
     N_("'%(text)s' is not a valid UK postcode: a postcode has only letters and digits, "
        "such as 'SW1A 1AA'"), {}),
    (re.compile(_INVALID + r"it is only the first half; add the second half, such as "
                r"'(?P<outward>\S+) 1AA'$"),
     N_("'%(text)s' is not a valid UK postcode: it is only the first half; add the second "
        "half, such as '%(outward)s 1AA'"), {}),
    (re.compile(_INVALID + r"the last two letters of a postcode are never C, I, K, M, O or V$"),
     N_("'%(text)s' is not a valid UK postcode: the last two letters of a postcode are never "
        "C, I, K, M, O or V"), {}),
    (re.compile(_INVALID + r"no postcode begins with Q, V or X$"),
     N_("'%(text)s' is not a valid UK postcode: no postcode begins with Q, V or X"), {}),
    (re.compile(_INVALID + r"no postcode has (?P<letter>\S) as its second letter$"),
     N_("'%(text)s' is not a valid UK postcode: no postcode has %(letter)s as its second "
        "letter"), {}),
    (re.compile(_INVALID + r"expected a form such as 'SW1A 1AA', 'M1 1AE' or 'CF10 1EP'$"),
     N_("'%(text)s' is not a valid UK postcode: expected a form such as 'SW1A 1AA', "
        "'M1 1AE' or 'CF10 1EP'"), {}),
    (re.compile(r"^(?P<postcode>.+) \((?P<place>[^()]+)\) has no coordinates: the Channel "
                r"Islands and the Isle of Man are outside the ONS Postcode Directory's grid$"),
     N_("%(postcode)s (%(place)s) has no coordinates: the Channel Islands and the Isle of Man "
        "are outside the ONS Postcode Directory's grid"), {"place": _translate}),
    (re.compile(r"^(?P<postcode>.+) was not found: neither it nor its district "
                r"(?P<district>\S+) has coordinates in the ONS Postcode Directory$"),
     N_("%(postcode)s was not found: neither it nor its district %(district)s has coordinates "
        "in the ONS Postcode Directory"), {}),
    (re.compile(r"^'(?P<text>.*)' is not a language we recognise$"),
     N_("'%(text)s' is not a language we recognise"), {}),
    (re.compile(r"^(?P<texts>'.*') are not languages we recognise$"),
     N_("%(texts)s are not languages we recognise"), {"texts": _quoted_list}),
    (re.compile(r"^At most (?P<count>\d+) items may be given$"),
     N_("At most %(count)s items may be given"), {}),
    (re.compile(r"^Remove the character U\+(?P<code>[0-9A-F]+) \((?P<reason>[^()]+)\) at "
                r"position (?P<position>\d+): it is not allowed here$"),
     N_("Remove the character U+%(code)s (%(reason)s) at position %(position)s: it is not "
        "allowed here"), {"reason": _translate}),
    (re.compile(r"^Your password must be at least (?P<count>\d+) characters long$"),
     N_("Your password must be at least %(count)s characters long"), {}),
    (re.compile(r"^Your password must be (?P<count>\d+) characters or fewer$"),
     N_("Your password must be %(count)s characters or fewer"), {}),
    (re.compile(r"^This introduction is already (?P<status>[\w ]+): there is nothing to "
                r"answer$"),
     N_("This introduction is already %(status)s: there is nothing to answer"),
     {"status": _introduction_status}),
]


def page_message(message) -> str:
    """``message`` in the page's language (unchanged on an English page, or when unknown)."""
    text = str(message)
    if current_language() == "en" or not text:
        return text
    stop = "." if text.endswith(".") else ""
    bare = text.rstrip(".")
    for candidate in (text, bare):
        translated = gettext(candidate)
        if translated != candidate:
            return translated if candidate == text else translated + stop
    for pattern, template, converters in _PATTERNS:
        match = pattern.match(bare)
        if match:
            values = {key: converters.get(key, str)(value)
                      for key, value in match.groupdict().items()}
            return gettext(template, **values) + stop
    return text
