"""Finding English left on a page that should read fully in Welsh.

A Welsh page may show people's own words (a group's name or description) in whatever
language they wrote them, and a phrase in English marked with its own ``lang``; everything
else must be Welsh. ``english_leftovers`` lists the visible texts (and the attributes people
hear or see: ``aria-label``, ``title``, ``alt``, ``placeholder``, a button's ``value``) that
contain common English words which are not also Welsh words. Tests give their fixtures
Welsh or neutral names so that only interface text can trip it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Frequent English words that are not Welsh words (so "a", "i", "am", "dim", "hen", "partner",
# "problem", "staff", "data"... are left out). English interface text nearly always has one.
_ENGLISH_WORDS_TEXT = """
the and your you this that with are for not will have has what when which there their they
from been were would should could please here more about into only must need page sign
email address search save continue back yes see find show shows shown add added change
changed remove removed delete deleted send sent check checked visit visits visited visitor
visitors group groups home homes care resident residents coordinator coordinators
register registered registration name phone contact details select choose enter date time
week weeks month months day days year years open closed new list all any each every other
before after until today tomorrow yesterday error there's we're you're don't can't
our ours how who why where then than also just some many most less least first last next
previous help support service services password account accounts link links download
approve approved decline declined reject rejected request requested requests introduction
introductions suggestion suggestions matches match filter filters apply
clear results result showing items total none nothing yet still already while because
"""
ENGLISH_WORDS = frozenset(_ENGLISH_WORDS_TEXT.split())
_WORD = re.compile(r"[A-Za-z']+")
_HEARD_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
_SKIP = {"script", "style", "template", "noscript", "code", "pre", "svg"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


class _Texts(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, excluded: other language or not shown)
        self.found: list[str] = []

    @property
    def excluded(self) -> bool:
        return any(excluded for _tag, excluded in self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        lang = (attributes.get("lang") or "").lower()
        excluded = tag in _SKIP or (bool(lang) and not lang.startswith("cy")) \
            or "data-own-words" in attributes
        if not (self.excluded or excluded):
            for name in _HEARD_ATTRIBUTES:
                if attributes.get(name):
                    self.found.append(attributes[name])
            if tag == "input" and attributes.get("type") in ("submit", "button") \
                    and attributes.get("value"):
                self.found.append(attributes["value"])
        if tag not in _VOID:
            self.stack.append((tag, excluded))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if data.strip() and not self.excluded:
            self.found.append(data.strip())


def english_leftovers(html: str) -> list[str]:
    """The texts of ``html`` that still read as English interface text."""
    parser = _Texts()
    parser.feed(html)
    return [text for text in parser.found
            if any(word.lower() in ENGLISH_WORDS for word in _WORD.findall(text))]
