"""Interest lists, the activity taxonomy and stemmed matching."""

import json

import pytest

from matcher.domain.interests import (
    Taxonomy,
    clean_interests,
    content_stems,
    stem,
    words,
)


@pytest.fixture(scope="module")
def taxonomy():
    return Taxonomy.load()


def test_clean_interests_trims_collapses_and_deduplicates_case_insensitively():
    assert clean_interests(
        ["  Singing ", "singing", "", "Gardening   club", None, "SINGING", "gardening club", "  "]
    ) == ["Singing", "Gardening club"]
    assert clean_interests(None) == []


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("singing", "music"), ("sings", "music"), ("singers", "music"), ("choir", "music"),
        ("a good sing-along", "music"), ("karaoke", "music"), ("music hall", "music"),
        ("canu", "music"), ("Côr meibion", "music"), ("cor meibion", "music"),
        ("dogs", "animals"), ("dog", "animals"), ("Pet visits", "animals"),
        ("PAT dogs", "animals"), ("therapy dog visits", "animals"),
        ("knitting and crochet", "crafts"), ("gardening", "gardening"),
        ("local history society", "reminiscence"), ("gurdwara", "faith"),
        ("nursery children", "children"), ("tai chi", "movement"), ("chair yoga", "movement"),
        ("quizzes", "games"), ("dominoes", "games"), ("baking", "cooking"),
        ("poetry", "reading"), ("video calls", "technology"), ("painting", "arts"),
        ("bowls", "sport"), ("Gàidhlig", "culture"),
    ],
)
def test_synonyms_and_word_forms_find_their_category(taxonomy, text, category):
    assert category in taxonomy.categories(text)


def test_hymns_are_the_sacred_singing_of_music(taxonomy):
    # Hymns are a kind of singing (served by choirs), not any act of worship.
    assert taxonomy.categories("hymns") == {"music"}
    assert taxonomy.concepts("Welsh hymns") == {"hymns", "welsh"}


def test_words_about_groups_themselves_find_no_category(taxonomy):
    assert taxonomy.categories("We are a friendly weekly group in the town") == set()


def test_phrases_must_be_consecutive(taxonomy):
    assert "movement" in taxonomy.categories("tai chi")
    assert "movement" not in taxonomy.categories("tai food and chi")


def test_matches_report_the_words_as_written(taxonomy):
    found = taxonomy.matches("Our residents love a Sing-Along and their dogs")
    assert ("music", "sing along") in found
    assert ("animals", "dogs") in found


def test_labels_and_masks(taxonomy):
    assert taxonomy.label("music") == "music and singing"
    mask = taxonomy.mask("choir and dogs")
    assert set(taxonomy.ids_of(mask)) == {"music", "animals"}
    assert taxonomy.mask_of(["music", "animals"]) == mask
    with pytest.raises(KeyError):
        taxonomy.label("astrophysics")


def test_taxonomy_loads_from_a_json_file(tmp_path):
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps({"categories": [
        {"id": "boats", "label": "boats and sailing", "synonyms": ["sailing", "canal boats"]},
    ]}))
    taxonomy = Taxonomy.load(path)
    assert taxonomy.categories("we love sailing") == {"boats"}
    assert taxonomy.categories("canal boat trips") == {"boats"}
    assert Taxonomy.from_dict(taxonomy.to_dict()).categories("sails") == {"boats"}


def test_taxonomy_rejects_duplicate_ids():
    with pytest.raises(ValueError, match="unique"):
        Taxonomy.from_dict({"categories": [{"id": "a", "synonyms": []},
                                           {"id": "a", "synonyms": []}]})


def test_stemming_folds_accents_but_keeps_other_scripts_whole():
    assert stem("singing") == stem("sings") == "sing"
    assert stem("côr") == "cor"
    assert words("ਪੰਜਾਬੀ ਗੀਤ") == ["ਪੰਜਾਬੀ", "ਗੀਤ"]  # vowel signs stay inside words


def test_content_stems_skip_stop_words():
    assert content_stems("Our residents love singing with the local choir") == ["sing", "choir"]
