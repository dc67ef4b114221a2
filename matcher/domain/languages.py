"""Free-text language names and codes to normalised language tags.

Users type languages in many ways: "Polish", "polski", "pl", "Cymraeg", "BSL", "ਪੰਜਾਬੀ".
`normalise_language` turns each of them into a `Language` with a BCP 47 tag reduced to its
language subtag (regions and scripts do not matter for who can talk to whom), its English name
and its own name for itself.

Decisions worth knowing:
- Mandarin is stored as ``zh`` (the tag most people and systems use for "Chinese");
  Cantonese stays ``yue`` because its speakers often do not understand Mandarin.
- "BSL" is British Sign Language (``bfi``) and "ISL" Irish Sign Language (``isg``), as in the UK
  and Ireland; a bare "sign language" is taken to be BSL.
- "Gaelic" on its own is Scottish Gaelic (``gd``); Irish is ``ga``.
- Two- and three-letter inputs written in one case ("pl", "PL") are read as codes first;
  capitalised words ("Ga", "Twi") as names first.
- Names must match a known name exactly (ignoring case and punctuation); langcodes' prefix
  guessing is not used, so "Klingonish" is rejected rather than read as Klingon.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import product

import langcodes
from language_data.names import load_trie, normalize_name
from language_data.util import data_filename

__all__ = [
    "Language",
    "UnknownLanguage",
    "canonical_tag",
    "code_pattern",
    "is_english",
    "language_name",
    "normalise_language",
    "normalise_languages",
]


@dataclass(frozen=True)
class Language:
    """A normalised language: tag (e.g. ``cy``), English name and native name."""

    tag: str
    name: str
    native_name: str

    def to_dict(self) -> dict[str, str]:
        """The JSON shape used by the API."""
        return {"tag": self.tag, "name": self.name, "native_name": self.native_name}


class UnknownLanguage(ValueError):
    """Raised when text cannot be read as a language; the message names the offending text."""

    def __init__(self, texts: str | Iterable[str]):
        self.texts = [texts] if isinstance(texts, str) else list(texts)
        quoted = [f"'{t}'" for t in self.texts]
        if not quoted or quoted == ["''"]:
            message = "a language name or code is required"
        elif len(quoted) == 1:
            message = f"{quoted[0]} is not a language we recognise"
        else:
            listed = ", ".join(quoted[:-1]) + " and " + quoted[-1]
            message = f"{listed} are not languages we recognise"
        super().__init__(message)

    @property
    def text(self) -> str:
        """The first unrecognised text."""
        return self.texts[0] if self.texts else ""


# Only what langcodes cannot resolve (or resolves differently from UK usage). Keys are in
# language_data's normalised form (case-folded, hyphens as spaces, no brackets or commas).
_ALIASES: dict[str, str] = {
    "bsl": "bfi",
    "iaith arwyddion prydain": "bfi",
    "iaith arwyddion iwerddon": "isg",
    "iaith arwyddion": "bfi",
    "british sign": "bfi",
    "sign language": "bfi",
    "sign": "bfi",
    "isl": "isg",
    "irish sign": "isg",
    "hindi": "hi",  # missing from language_data's name trie (it has only "Hindi Fiji" etc.)
    "mandarin": "zh",
    "putonghua": "zh",
    "standard chinese": "zh",
    "chinese mandarin": "zh",
    "mandarin chinese": "zh",
    "ulster scots": "sco",
    "ullans": "sco",
    "gaelic scottish": "gd",
    "gaelic irish": "ga",
    "irish gaelic": "ga",
    "mirpuri": "phr",
    "pahari": "phr",
    "potwari": "phr",
}

# Individual languages folded into the macrolanguage people actually ask for.
_TAG_REWRITES: dict[str, str] = {
    "cmn": "zh",
    "arb": "ar",
    "pes": "fa",
    "prs": "fa",
    "zsm": "ms",
    "pnb": "pa",
    "lah": "pa",
    "npi": "ne",
    "swh": "sw",
    "ekk": "et",
    "lvs": "lv",
    "ydd": "yi",
    "khk": "mn",
}

# English names that read better for UK care staff than CLDR's current ones.
_NAME_OVERRIDES: dict[str, str] = {
    "bn": "Bengali",
    "zh": "Chinese (Mandarin)",
    "pa": "Punjabi",
}

# Welsh names where CLDR has none of its own (it falls back to English) or reads less well.
_WELSH_NAME_OVERRIDES: dict[str, str] = {
    "bfi": "Iaith Arwyddion Prydain",
    "isg": "Iaith Arwyddion Iwerddon",
    "zh": "Tsieinëeg (Mandarin)",
}
# Names Kith speaks in besides English (for ``language_name``'s ``locale``).
NAME_LOCALES = ("en", "cy")

# Tags that are valid BCP 47 but do not name a language anyone speaks.
_NOT_LANGUAGES = frozenset({"und", "mis", "mul", "zxx"})

_TAG_SHAPE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_SUFFIX = re.compile(r"\s+(?:language|languages|lang\.?)$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _name_trie():
    return load_trie(data_filename("trie/und/name_to_language.marisa"))


def _base_tag(tag: str) -> str | None:
    """Reduce a valid tag to a canonical language subtag, or None if it names no language."""
    if not langcodes.tag_is_valid(tag):
        return None
    base = langcodes.Language.get(tag).language
    if not base or not re.fullmatch(r"[a-z]{2,3}", base) or base in _NOT_LANGUAGES:
        return None
    if re.fullmatch(r"q[a-t][a-z]", base):  # reserved for private use
        return None
    return _TAG_REWRITES.get(base, base)


def _tag_from_name(text: str) -> str | None:
    key = normalize_name(text)
    if key in _ALIASES:
        return _ALIASES[key]
    if "\x00" in key or any("\ud800" <= ch <= "\udfff" for ch in key):
        # No language name holds these, and the name trie fails on them (NUL ends its keys;
        # a lone surrogate cannot be encoded as UTF-8).
        return None
    trie = _name_trie()
    if key in trie:
        return _base_tag(trie[key][0].decode("utf-8"))
    return None


def _looks_like_tag(text: str) -> bool:
    if not _TAG_SHAPE.match(text):
        return False
    return "-" in text or "_" in text or text.islower() or text.isupper()


@lru_cache(maxsize=4096)
def _language_for_tag(tag: str) -> Language:
    lang = langcodes.Language.get(tag)
    name = _NAME_OVERRIDES.get(tag) or lang.display_name("en")
    native = lang.autonym()
    if not native or native.startswith("Unknown language"):
        native = name
    return Language(tag=tag, name=name, native_name=native)


@lru_cache(maxsize=4096)
def _resolve(text: str) -> str | None:
    cleaned = _SPACES.sub(" ", text).strip().strip(".,;:")
    if not cleaned:
        return None
    alias = _ALIASES.get(normalize_name(cleaned))
    if alias:
        return alias
    tag_text = cleaned.replace("_", "-")
    if _looks_like_tag(cleaned):
        attempts = [lambda: _base_tag(tag_text), lambda: _tag_from_name(cleaned)]
    else:
        attempts = [lambda: _tag_from_name(cleaned), lambda: _base_tag(tag_text)]
    without_suffix = _SUFFIX.sub("", cleaned)
    if without_suffix != cleaned:
        attempts.append(lambda: _tag_from_name(without_suffix))
    for attempt in attempts:
        tag = attempt()
        if tag:
            return tag
    return None


def normalise_language(text: str | Language) -> Language:
    """Read a language name (in any language or script) or code; raise `UnknownLanguage`."""
    if isinstance(text, Language):
        return text
    if not isinstance(text, str):
        raise UnknownLanguage(str(text))
    tag = _resolve(text)
    if tag is None:
        raise UnknownLanguage(text.strip())
    return _language_for_tag(tag)


def normalise_languages(items: Iterable[str | Language | Mapping]) -> list[Language]:
    """Normalise many languages, keeping the first of each tag; blank items are skipped.

    Mappings such as ``{"tag": "cy"}`` or ``{"language": "Welsh"}`` are accepted. Every
    unrecognised item is named in one `UnknownLanguage`.
    """
    seen: dict[str, Language] = {}
    unknown: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            item = item.get("tag") or item.get("language") or item.get("name") or ""
        if isinstance(item, str) and not item.strip():
            continue
        try:
            lang = normalise_language(item)
        except UnknownLanguage as exc:
            unknown.extend(exc.texts)
            continue
        seen.setdefault(lang.tag, lang)
    if unknown:
        raise UnknownLanguage(unknown)
    return list(seen.values())


@lru_cache(maxsize=1)
def code_pattern() -> str:
    """A regular expression (JSON Schema dialect) matching every two- or three-letter code,
    in lower case, that `normalise_language` reads as a language; codes grouped by first
    letter to keep it short. For the OpenAPI document (about a second to build)."""
    letters = string.ascii_lowercase
    groups = []
    for first in letters:
        rests = [rest for n in (1, 2) for rest in map("".join, product(letters, repeat=n))
                 if _resolve(first + rest) is not None]
        if rests:
            groups.append(f"{first}(?:{'|'.join(rests)})")
    return f"^(?:{'|'.join(groups)})$"


@lru_cache(maxsize=65536)
def canonical_tag(tag: str) -> str:
    """Canonical language subtag for a stored tag (``en-GB`` -> ``en``, ``cmn`` -> ``zh``).

    Never raises: text that is not a valid tag is tried as a name, then returned lower-cased,
    so ranking never fails on odd stored data.
    """
    text = str(tag).strip()
    resolved = _resolve(text) if text else None
    return resolved or text.lower()


def is_english(tag: str) -> bool:
    """True for English in any regional form (``en``, ``en-GB``, ``English``)."""
    return canonical_tag(tag) == "en"


def language_name(tag: str, locale: str = "en") -> str:
    """A tag's name in ``locale`` (``en``: "Polish"; ``cy``: "Pwyleg"), falling back to the
    English name, then to the tag itself."""
    try:
        language = normalise_language(tag)
    except UnknownLanguage:
        return tag
    if locale == "en" or locale not in NAME_LOCALES:
        return language.name
    return _localised_name(language.tag, locale) or language.name


@lru_cache(maxsize=4096)
def _localised_name(tag: str, locale: str) -> str | None:
    if locale == "cy" and tag in _WELSH_NAME_OVERRIDES:
        return _WELSH_NAME_OVERRIDES[tag]
    name = langcodes.Language.get(tag).display_name(locale)
    english = langcodes.Language.get(tag).display_name("en")
    # CLDR gives its English name where it has none in this language: not a translation.
    if not name or name.startswith("Unknown language") or (name == english and tag != "en"):
        return None
    return name
