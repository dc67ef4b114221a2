"""Welsh beside English: which language a request is answered in, and the catalogue behind it.

The language is chosen, in order, by ``?lang=cy`` / ``?lang=en`` (remembered in a cookie for
the pages), by that cookie, then by the browser's ``Accept-Language``; English otherwise. The
API never reads the cookie: a script's answers depend on what it asks for, not on whoever last
used a browser on that machine. Flask-Babel does the translating; this module only chooses.

Compiled catalogues (``.mo``) are built from the committed ``.po`` files by ``make`` and, for a
clone run any other way, when the app starts if they are missing or older than their source.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, current_app, request
from flask_babel import get_locale

log = logging.getLogger(__name__)

LANGUAGES = ("en", "cy")
DEFAULT_LANGUAGE = "en"
COOKIE = "kith_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# The language's own name for itself: the switch link is always written in the other language.
AUTONYMS = {"en": "English", "cy": "Cymraeg"}
# What ``<html lang>`` says: British English, Welsh.
HTML_LANG = {"en": "en-GB", "cy": "cy"}


def valid(code: str | None) -> str | None:
    """``code`` if it names a language Kith speaks (``cy``, ``en``, ``cy-GB``...), else None."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def select_locale() -> str:
    """The language of this request (Flask-Babel's locale selector)."""
    if not request:
        return DEFAULT_LANGUAGE
    chosen = valid(request.args.get("lang"))
    if chosen:
        return chosen
    if not _is_api():
        chosen = valid(request.cookies.get(COOKIE))
        if chosen:
            return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def current_language() -> str:
    """``cy`` or ``en``: the language being written in now (a request, or ``force_locale``)."""
    locale = get_locale()
    return valid(str(locale)) if locale else DEFAULT_LANGUAGE


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _remember_choice(response):
    chosen = valid(request.args.get("lang"))
    # Only a page remembers the choice: a download in Welsh (a CSV with ``lang=cy``) does not
    # turn someone's pages Welsh.
    if chosen and not _is_api() and response.mimetype == "text/html" \
            and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax",
                            httponly=True, secure=bool(current_app.config.get(
                                "SESSION_COOKIE_SECURE")))
    if not _is_api():
        # The same address answers in either language, by cookie or by browser.
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
    elif not request.args.get("lang"):
        response.vary.add("Accept-Language")
    if not response.headers.get("Content-Language"):
        response.headers["Content-Language"] = HTML_LANG[current_language()]
    return response


def switch_link() -> dict:
    """The "Cymraeg" / "English" link: the same page and query, in the other language."""
    other = "en" if current_language() == "cy" else "cy"
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    query.append(("lang", other))
    return {"code": other, "text": AUTONYMS[other], "html_lang": HTML_LANG[other],
            "href": f"{request.path}?{urlencode(query)}"}


def ensure_compiled(directory: Path = TRANSLATIONS) -> None:
    """Compile every ``.po`` under ``directory`` whose ``.mo`` is missing or older."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            with po_path.open("rb") as source:
                catalogue = read_po(source, locale=po_path.parent.parent.name)
            tmp = mo_path.with_suffix(".mo.tmp")
            with tmp.open("wb") as target:
                write_mo(target, catalogue, use_fuzzy=False)
            tmp.replace(mo_path)
        except OSError as exc:  # a read-only install: serve what is there
            log.warning("could not compile %s: %s", po_path, exc)


def register_i18n(app: Flask) -> None:
    """Flask-Babel with Kith's locale selector, the cookie, and the template helpers."""
    from flask_babel import force_locale, format_date, get_translations, refresh

    from .extensions import babel
    from .presentation import translation

    ensure_compiled()
    # The catalogues are part of the code, not a setting.
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(TRANSLATIONS))
    # Reasons, cards and CSV rows (no Flask there) read in the request's language too.
    translation.install(get_translations, current_language)
    translation.install_switch(force_locale)
    # Flask-Babel keeps the chosen locale on the app context, which a request shares with an
    # app context already pushed around it (a CLI command, a task, a test): choose afresh.
    app.before_request_funcs.setdefault(None, []).insert(0, refresh)
    app.after_request(_remember_choice)
    app.jinja_env.globals.update(current_language=current_language, switch_link=switch_link,
                                 HTML_LANG=HTML_LANG, format_date=format_date)


# --- extraction -------------------------------------------------------------------------------

# The catalogue's words people read (codes, tags and patterns are not translated).
_TERM_FIELDS = ("label", "plural", "summary", "choice", "hint", "description")


def extract_catalogue(fileobj, keywords, comment_tags, options):
    """Babel extractor for ``matcher/domain/catalogue.py``: every term's label, hint and so on.

    The domain stays free of gettext; its words are listed for translators here and
    translated where they are shown (``matcher.web.base``, emails, CSV)."""
    from .domain import catalogue

    seen = set()
    for name in catalogue.__all__:
        terms = getattr(catalogue, name)
        if not isinstance(terms, tuple) or not terms or not isinstance(terms[0], catalogue.Term):
            continue
        for term in terms:
            for field in dataclasses.fields(term):
                value = getattr(term, field.name)
                if field.name in _TERM_FIELDS and isinstance(value, str) and value \
                        and value not in seen:
                    seen.add(value)
                    yield 0, "gettext", value, [f"catalogue.{name} {term.code} {field.name}"]
