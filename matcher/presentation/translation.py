"""The presentation helpers' gettext, without Flask.

Reasons, card lines and CSV rows are written in the language of whoever reads them, yet
this package must not import Flask (pyproject.toml, contract ``presentation-pure``). The app
installs two providers when it starts (`matcher.i18n.register_i18n`): the current
translations (Flask-Babel's, per request or ``force_locale``) and the current language code.
Until then, and outside the app (benchmarks, unit tests), everything reads in English.

Messages use Flask-Babel's style: ``%(name)s`` placeholders filled from keyword arguments,
so one catalogue serves the pages and these helpers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.support import NullTranslations

__all__ = ["format_date", "gettext", "install", "install_switch", "language", "ngettext",
           "speaking"]

_NULL = NullTranslations()
_providers: dict[str, Callable] = {"translations": lambda: _NULL, "language": lambda: "en"}


def install(translations: Callable[[], NullTranslations], language: Callable[[], str]) -> None:
    """Read translations and the language code from these callables from now on."""
    _providers["translations"] = translations
    _providers["language"] = language


def install_switch(switch: Callable[[str], contextlib.AbstractContextManager]) -> None:
    """``switch(code)``: a context in which everything reads in ``code`` (Flask-Babel's
    ``force_locale``), for :func:`speaking`."""
    _providers["switch"] = switch


def speaking(code: str) -> contextlib.AbstractContextManager:
    """A context in which these helpers write in ``code`` (``cy``, ``en``): what is written
    for one reader (an email's attachment) rather than for the request."""
    switch = _providers.get("switch")
    return switch(code) if switch else contextlib.nullcontext()


def language() -> str:
    """The language being written in now (``en`` or ``cy``)."""
    return _providers["language"]() or "en"


def gettext(message: str, **params) -> str:
    """``message`` translated, its ``%(name)s`` placeholders filled from ``params``."""
    text = _providers["translations"]().gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, num: int, **params) -> str:
    """The form of ``singular``/``plural`` for ``num`` (Welsh has six), ``%(num)d`` filled."""
    text = _providers["translations"]().ngettext(singular, plural, num)
    return text % {"num": num, **params}


@lru_cache(maxsize=8)
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def format_date(value: dt.date, pattern: str = "d MMMM y") -> str:
    """A date in the current language: "3 March 2027", "3 Mawrth 2027"."""
    return _babel_format_date(value, pattern, locale=_locale(language()))
