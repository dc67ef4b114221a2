"""Language names and codes as people type them, normalised to tags."""

import pytest

from matcher.domain.languages import (
    Language,
    UnknownLanguage,
    canonical_tag,
    is_english,
    language_name,
    normalise_language,
    normalise_languages,
)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("Polish", "pl"), ("polski", "pl"), ("pl", "pl"), ("PL", "pl"), ("  polish ", "pl"),
        ("Cymraeg", "cy"), ("Welsh", "cy"), ("cy", "cy"), ("Welsh language", "cy"),
        ("BSL", "bfi"), ("British Sign Language", "bfi"), ("bsl", "bfi"),
        ("ISL", "isg"), ("Irish Sign Language", "isg"),
        ("Punjabi", "pa"), ("Panjabi", "pa"), ("ਪੰਜਾਬੀ", "pa"), ("pa-Arab", "pa"),
        ("Urdu", "ur"), ("اردو", "ur"),
        ("Gaelic", "gd"), ("Scottish Gaelic", "gd"), ("Gàidhlig", "gd"), ("gd", "gd"),
        ("Irish", "ga"), ("Gaeilge", "ga"), ("ga", "ga"),
        ("Gujarati", "gu"), ("Cantonese", "yue"), ("Mandarin", "zh"), ("cmn", "zh"),
        ("Chinese", "zh"), ("Bengali", "bn"), ("Bangla", "bn"), ("Somali", "so"),
        ("Arabic", "ar"), ("Romanian", "ro"), ("Ukrainian", "uk"), ("en-GB", "en"),
        ("English", "en"), ("Farsi", "fa"), ("Cornish", "kw"), ("Ulster Scots", "sco"),
    ],
)
def test_names_and_codes_in_any_case_and_script_normalise_to_one_tag(text, tag):
    assert normalise_language(text).tag == tag


def test_language_carries_english_and_native_names():
    welsh = normalise_language("cy")
    assert welsh == Language(tag="cy", name="Welsh", native_name="Cymraeg")
    assert welsh.to_dict() == {"tag": "cy", "name": "Welsh", "native_name": "Cymraeg"}
    assert normalise_language("Bangla").name == "Bengali"
    assert normalise_language("pa").native_name == "ਪੰਜਾਬੀ"


def test_cantonese_and_mandarin_stay_apart():
    assert normalise_language("Cantonese").tag != normalise_language("Mandarin").tag


@pytest.mark.parametrize("text", ["Klingonish", "Makaton", "xx", "und", "qaa", "x-private"])
def test_unknown_language_is_an_error_naming_it(text):
    with pytest.raises(UnknownLanguage) as info:
        normalise_language(text)
    assert f"'{text}' is not a language we recognise" == str(info.value)
    assert isinstance(info.value, ValueError)


def test_prefix_guessing_is_not_used():
    # langcodes alone would read this as Klingon.
    with pytest.raises(UnknownLanguage):
        normalise_language("Klingonish")


def test_blank_language_asks_for_one():
    with pytest.raises(UnknownLanguage, match="required"):
        normalise_language("   ")


def test_normalise_languages_deduplicates_by_tag_keeping_order():
    langs = normalise_languages(["Welsh", "Polish", "cy", "Cymraeg", {"tag": "pl"}, "", "BSL"])
    assert [lang.tag for lang in langs] == ["cy", "pl", "bfi"]


def test_normalise_languages_names_every_unknown_item():
    with pytest.raises(UnknownLanguage) as info:
        normalise_languages(["Welsh", "Klingonish", "Elvish"])
    assert info.value.texts == ["Klingonish", "Elvish"]
    assert str(info.value) == "'Klingonish' and 'Elvish' are not languages we recognise"


def test_is_english_and_canonical_tags():
    assert is_english("en") and is_english("en-GB") and is_english("English")
    assert not is_english("cy") and not is_english("sco")
    assert canonical_tag("cmn") == "zh"
    assert canonical_tag("EN-gb") == "en"
    assert canonical_tag("not a tag!") == "not a tag!"  # never raises on stored data
    assert language_name("gd") == "Scottish Gaelic"
    assert language_name("zzz-unknown") == "zzz-unknown"


@pytest.mark.parametrize("text", ["pl\x00", "\x00", "Welsh\ud800", "\ud800"])
def test_control_characters_and_lone_surrogates_are_unknown_not_a_crash(text):
    with pytest.raises(UnknownLanguage):
        normalise_language(text)


@pytest.mark.parametrize(("tag", "welsh"), [
    ("cy", "Cymraeg"), ("pl", "Pwyleg"), ("bfi", "Iaith Arwyddion Prydain"), ("en", "Saesneg"),
    ("pa", "Pwnjabeg"), ("Polish", "Pwyleg"), ("BSL", "Iaith Arwyddion Prydain"),
])
def test_language_names_in_welsh(tag, welsh):
    assert language_name(tag, "cy") == welsh


def test_a_language_without_a_welsh_name_keeps_its_english_one():
    assert language_name("phr", "cy") == language_name("phr") == "Pahari-Potwari"
    assert language_name("zzz-unknown", "cy") == "zzz-unknown"
    assert language_name("pl", "fr") == "Polish"  # a locale Kith does not speak


def test_every_name_shown_is_read_back_as_its_language():
    # A group saving its form unchanged sends back the names the form showed it.
    for tag in ("cy", "en", "pl", "pa", "ur", "bn", "hi", "gu", "zh", "yue", "ar", "so", "gd",
                "ga", "bfi", "isg", "ro", "lt", "pt", "tr", "ta", "ku", "fa", "ne"):
        for locale in ("en", "cy"):
            assert normalise_language(language_name(tag, locale)).tag == tag, (tag, locale)


def test_welsh_names_of_sign_languages_are_read_back():
    assert normalise_language("Iaith Arwyddion Prydain").tag == "bfi"
    assert normalise_language("Pwyleg").tag == "pl"
