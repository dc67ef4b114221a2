"""The continuation rule between two releases of a register (matcher.domain.registers)."""

from __future__ import annotations

import pytest

from matcher.domain.registers import (
    CONTINUES_AT,
    REVIEW_AT,
    RegisteredHome,
    normalise,
    pair_homes,
    score,
    similarity,
)


def home(key, name, line1=None, postcode="BT1 5GS", category="residential"):
    return RegisteredHome(key, name, line1, postcode, category)


def test_generic_words_case_and_punctuation_do_not_count():
    assert normalise("Abbey View Care Home Ltd.") == "abbey view"
    assert similarity("abbey view", "Abbey View Care Home") == 1.0
    assert similarity("St Mary's Nursing Home", "ST MARYS") == 1.0


@pytest.mark.parametrize(("old", "new"), [
    (home(1, "abbey view", "12 Main Street"), home("n", "abbey view care home", "12 Main St")),
    (home(1, "Ardlough House", "2 ardlough road"), home("n", "Ardlough", "2a ardlough road")),
])
def test_the_renames_seen_in_real_releases_continue(old, new):
    assert score(new, old) >= CONTINUES_AT


def test_neighbours_on_one_street_are_not_one_home():
    old = home(1, "Rose House", "14 Park Road")
    new = home("n", "Lily House", "16 Park Road")
    assert score(new, old) < CONTINUES_AT  # at most a pair for a coordinator to look at


def test_another_postcode_or_category_is_another_home():
    old = home(1, "Abbey View", "12 Main Street")
    assert score(home("n", "Abbey View", "12 Main Street", postcode="BT48 6DQ"), old) == 0
    assert score(home("n", "Abbey View", "12 Main Street", category="nursing"), old) == 0
    # an unknown category does not stand in the way
    assert score(home("n", "Abbey View", "12 Main Street", category=None), old) == 1.0


def test_pairs_are_one_to_one_best_first_with_uncertain_ones_marked():
    olds = [home(1, "Ashgrove House", "7 Hill St"), home(2, "Beech Court", "1 Low Road")]
    news = [home("a", "Ashbrook House", "9 Hill Street"),
            home("b", "Beech Court Care Home", "1 Low Road"),
            home("c", "Beech Court Annexe", "3 Low Road")]
    pairs = {p.new: p for p in pair_homes(news, olds)}
    assert pairs["b"].old == 2 and pairs["b"].continues
    assert pairs["a"].old == 1 and not pairs["a"].continues
    assert REVIEW_AT <= pairs["a"].score < CONTINUES_AT
    assert "c" not in pairs  # home 2 is taken by its better match
