"""Interest coverage with evidence, language by need and one distance (issue #13, items 1-3)."""

import math

import pytest

from matcher.domain.geo import EARTH_RADIUS_KM, haversine_km, limit_km, round_km
from matcher.domain.interests import Taxonomy
from matcher.domain.ranking import Home, Partner, Ranker
from matcher.domain.ranking.components import FULL_COVERAGE_AT, PARTIAL_CREDIT, language_factor
from matcher.presentation.reasons import format_km, render_reasons

CAERNARFON = (53.1396, -4.2739)


def north(km, place=CAERNARFON):
    """The point ``km`` (great-circle, as the ranker measures) due north of a place."""
    lat, lon = place
    return (lat + math.degrees(km / EARTH_RADIUS_KM), lon)


def partner(pid, km, interests=(), description="", languages=("en",), travel=20.0, **extra):
    lat, lon = north(km)
    return Partner(id=pid, name=f"Partner {pid}", kind="volunteer", lat=lat, lon=lon,
                   travel_radius_km=travel, interests=list(interests), description=description,
                   languages=list(languages), **extra)


def home(interests=(), text="", languages=(("en", 20),), radius=15.0, **extra):
    lat, lon = CAERNARFON
    return Home(id=1, name="Plas", lat=lat, lon=lon, search_radius_km=radius,
                interests=list(interests), interests_text=text, languages=list(languages),
                **extra)


def by_id(matches):
    return {m.partner_id: m for m in matches}


def said(match):
    return render_reasons(match.reasons)


WELSH_HOME = dict(interests=["Welsh hymns", "Sing-alongs", "male voice choirs", "dogs"],
                  languages=[("cy", 24), ("en", 12)], residents=40)


# ------------------------------------------------------------------------------ coverage
def test_serving_several_interests_beats_serving_one_and_a_broad_category_never_counts_fully():
    partners = [
        partner(1, 3, ["male voice choir"], "Côr Meibion: we sing Welsh hymns and songs",
                languages=["cy", "en"]),
        partner(2, 3, ["therapy dogs"]),
        partner(3, 3, ["brass band"], "A silver band playing marches"),
    ]
    found = by_id(Ranker().fit(partners).rank(home(**WELSH_HOME)))
    choir, dogs, band = (found[i].components["interests"] for i in (1, 2, 3))
    # Hymns, sing-alongs and male voice choirs: three interests are as much as one partner
    # can serve (FULL_COVERAGE_AT), one is a third of it.
    assert choir == pytest.approx(1.0)
    assert dogs == pytest.approx(1 / FULL_COVERAGE_AT)
    assert choir > dogs > band
    # Music meets three interests by its broad category only: a small partial credit, once.
    assert band == pytest.approx(PARTIAL_CREDIT / FULL_COVERAGE_AT)
    assert found[3].shared_interests == []
    assert not any(r.code == "shared_interests" for r in found[3].reasons)


def test_shared_interests_list_only_what_the_partner_serves_with_its_evidence():
    partners = [partner(1, 3, ["male voice choir"], "A Welsh male voice choir",
                        languages=["cy", "en"])]
    match = Ranker().fit(partners).rank(home(**WELSH_HOME))[0]
    assert match.shared_interests == ["Welsh hymns", "Sing-alongs", "male voice choirs"]
    reason = next(r for r in match.reasons if r.code == "shared_interests")
    assert reason.params == {"interests": ["Welsh hymns", "Sing-alongs", "male voice choirs"],
                             "via": ["male voice choir", "male voice choir", None]}
    assert ("shares interests: Welsh hymns — male voice choir, Sing-alongs — male voice choir, "
            "male voice choirs") in said(match)


def test_a_home_interest_nothing_of_the_partners_supports_is_never_claimed():
    partners = [
        # Boccia, tai chi, reminiscence and farming: nothing about hymns or walks.
        partner(1, 2, ["boccia", "tai chi", "reminiscence", "farming"],
                "A club offering boccia and tai chi. Happy to chat in Welsh as well as English.",
                languages=["cy", "en"]),
        # "can" is not the Welsh "cân" (song): seated yoga does not sing.
        partner(2, 2, ["chair exercise", "seated yoga"], "Sessions can be in Welsh.",
                languages=["cy"]),
        # Puppets and painting are performance and art, not old films.
        partner(3, 2, ["puppets", "painting", "songs"], "Nursery children who love to paint."),
    ]
    h = home(interests=["Welsh hymns", "Sing-alongs", "male voice choirs", "walks",
                        "old films"], languages=[("cy", 24), ("en", 12)])
    found = by_id(Ranker().fit(partners).rank(h))
    assert found[1].shared_interests == []
    assert found[2].shared_interests == []
    assert "old films" not in found[3].shared_interests
    assert found[3].shared_interests == ["Sing-alongs"]  # songs: they sing


def test_a_language_qualifies_an_interest_and_speaking_it_carries_it():
    partners = [
        partner(1, 2, ["choir"], "We sing hymns in English", languages=["en"]),
        partner(2, 2, ["choir"], "We sing hymns", languages=["cy", "en"]),
        partner(3, 2, ["Welsh conversation"], "Sgwrs a phaned", languages=["cy"]),
    ]
    found = by_id(Ranker().fit(partners).rank(home(interests=["Welsh hymns"],
                                                   languages=[("cy", 10)])))
    assert found[1].shared_interests == []  # hymns, but not Welsh ones: partial credit
    assert 0 < found[1].components["interests"] <= PARTIAL_CREDIT
    assert found[2].shared_interests == ["Welsh hymns"]
    assert found[3].shared_interests == []  # Welsh, but no hymns


def test_serving_is_one_way_a_choir_serves_hymns_hymn_singing_is_not_a_choir():
    partners = [partner(1, 2, ["Welsh hymns", "story time"], "Nursery children",
                        languages=["cy"])]
    match = Ranker().fit(partners).rank(home(interests=["male voice choirs", "Welsh hymns"],
                                             languages=[("cy", 10)]))[0]
    assert match.shared_interests == ["Welsh hymns"]


def test_coverage_counts_each_interest_served_up_to_what_one_partner_can_offer():
    interests = ["knitting", "baking", "bingo", "gardening", "poetry"]
    partners = [partner(i, 2, interests[:i]) for i in range(1, 6)]
    found = by_id(Ranker().fit(partners).rank(home(interests=interests)))
    values = [found[i].components["interests"] for i in range(1, 6)]
    assert values == pytest.approx([1 / 3, 2 / 3, 1.0, 1.0, 1.0])
    two = by_id(Ranker().fit(partners[:2]).rank(home(interests=interests[:2])))
    assert two[1].components["interests"] == pytest.approx(1 / 2)
    assert two[2].components["interests"] == pytest.approx(1.0)


def test_dogs_meet_pet_therapy_and_the_same_words_count_without_the_taxonomy():
    partners = [partner(1, 2, ["pet therapy"]), partner(2, 2, [], "Chopin recitals on piano")]
    found = by_id(Ranker().fit(partners).rank(home(interests=["dogs", "Chopin"])))
    assert found[1].shared_interests == ["dogs"]
    assert "shares interests: dogs — pet therapy" in said(found[1])
    assert found[2].shared_interests == ["Chopin"]  # the same word, no evidence needed
    assert "shares interests: Chopin" in said(found[2])


def test_reverse_matching_uses_the_same_coverage():
    group = partner(9, 3, ["male voice choir"], "A Welsh male voice choir",
                    languages=["cy", "en"])
    h = home(**WELSH_HOME)
    ranker = Ranker().fit([group])
    forward = ranker.rank(h)[0]
    backward = ranker.rank_homes(group, homes=[h])[0]
    assert backward.shared_interests == forward.shared_interests
    assert backward.components["interests"] == pytest.approx(forward.components["interests"])
    assert backward.score == pytest.approx(forward.score)
    assert [r.to_dict() for r in backward.reasons if r.code == "shared_interests"] == \
           [r.to_dict() for r in forward.reasons if r.code == "shared_interests"]


def test_taxonomy_concepts_and_what_serves_them():
    taxonomy = Taxonomy.load()
    assert taxonomy.concepts("Côr Meibion, a male voice choir") == {"male_voice_choir"}
    assert taxonomy.concepts("Sing-alongs") == {"sing_along"}  # not singing as well
    serve = taxonomy.item_masks(taxonomy.concept_mask("dogs")).serve
    assert serve & (1 << taxonomy.concept_bit("pet_therapy"))
    assert not serve & (1 << taxonomy.concept_bit("horses"))
    hymns = taxonomy.item_masks(taxonomy.concept_mask("Welsh hymns"))
    assert hymns.qualifier == 1 << taxonomy.concept_bit("welsh")
    assert hymns.serve & (1 << taxonomy.concept_bit("male_voice_choir"))
    assert not hymns.serve & (1 << taxonomy.concept_bit("brass_band"))
    assert hymns.partial & (1 << taxonomy.concept_bit("brass_band"))
    assert Taxonomy.from_dict(taxonomy.to_dict()).concepts("therapy dogs") == {"dogs"}


# ------------------------------------------------------------------------ language by need
def test_language_weight_rule():
    assert language_factor(0.0) == 1.0
    assert language_factor(0.5) == pytest.approx(2.0)
    assert language_factor(0.5, dementia=True) == pytest.approx(3.0)
    assert language_factor(1.0) == pytest.approx(3.0)  # capped
    assert language_factor(0.2, dementia=True) == pytest.approx(2.1)
    h = home(languages=[("cy", 30), ("en", 10)], residents=40, care_types=["dementia"])
    assert h.non_english_share() == pytest.approx(0.75)
    assert home(languages=[("cy", 6), ("en", 2)]).non_english_share() == pytest.approx(0.75)


def test_where_most_residents_speak_a_language_a_speaker_ranks_above_a_nearer_partner():
    partners = [
        partner(1, 1, ["singing"], languages=["en"]),
        partner(2, 8, ["singing"], languages=["cy", "en"]),  # 7 km farther
    ]
    ranker = Ranker().fit(partners)
    most = home(interests=["singing"], languages=[("cy", 24), ("en", 16)], residents=40,
                radius=10)
    few = home(interests=["singing"], languages=[("cy", 2), ("en", 38)], residents=40,
               radius=10)
    assert [m.partner_id for m in ranker.rank(most)] == [2, 1]
    # With two residents of forty speaking Welsh, distance decides.
    assert [m.partner_id for m in ranker.rank(few)] == [1, 2]


def test_dementia_care_raises_the_language_weight():
    partners = [partner(1, 1, ["singing"], languages=["en"]),
                partner(2, 14, ["singing"], languages=["cy", "en"])]
    ranker = Ranker().fit(partners)
    plain = home(interests=["singing"], languages=[("cy", 8), ("en", 32)], residents=40)
    dementia = home(interests=["singing"], languages=[("cy", 8), ("en", 32)], residents=40,
                    care_types=["dementia"])
    assert [m.partner_id for m in ranker.rank(plain)] == [1, 2]
    assert [m.partner_id for m in ranker.rank(dementia)] == [2, 1]


def test_english_only_homes_keep_language_out_of_the_score():
    partners = [partner(1, 2, ["singing"], languages=["cy"])]
    match = Ranker().fit(partners).rank(home(interests=["singing"],
                                             languages=[("en", 30)], care_types=["dementia"]))[0]
    assert match.components["language"] == 0
    c = match.components
    w = {"distance": 0.35, "interests": 0.35, "availability": 0.05, "capacity": 0.05}
    assert match.score == pytest.approx(sum(w[k] * c[k] for k in w) / sum(w.values()))


# ---------------------------------------------------------------------------- one distance
def test_one_rounding_for_every_distance():
    assert round_km(10.04) == 10.0 and round_km(10.05) == 10.1 and round_km(2.349) == 2.3
    assert format_km(10.04) == "10 km" and format_km(2.349) == "2.3 km"
    assert format_km(0.04) == "under 100 m"
    assert limit_km(10) == pytest.approx(10.05) and limit_km(7.83) == pytest.approx(7.85)
    assert limit_km(12.37) == pytest.approx(12.37)  # never below the radius itself


def test_a_partner_shown_as_10_km_away_is_kept_within_10_km():
    partners = [partner(1, 10.04), partner(2, 10.06)]
    lat, lon = north(10.04)
    assert haversine_km(*CAERNARFON, lat, lon) == pytest.approx(10.04, abs=1e-6)
    ranker = Ranker().fit(partners)
    matches = ranker.rank(home(radius=10))
    assert [m.partner_id for m in matches] == [1]
    assert said(matches[0])[0] == "10 km away"
    assert matches[0].to_dict()["distance_km"] == 10.0
    # The same through the request's radius filter and the partner's own travel radius.
    assert [m.partner_id for m in ranker.rank(home(radius=30), filters={"radius_km": 10})] == [1]
    far = Ranker().fit([partner(3, 10.04, travel=10)])
    assert [m.partner_id for m in far.rank(home(radius=30))] == [3]
    assert [m.home_id for m in far.rank_homes(partner(3, 10.04, travel=10),
                                              homes=[home(radius=30)])] == [1]


def test_every_part_of_an_interest_must_be_met():
    partners = [
        partner(1, 2, ["brass band"], "Marches, hymn tunes and film themes"),
        partner(2, 2, ["bhangra"], "Bhangra music and dhol drumming"),
        partner(3, 2, ["Urdu poetry"], "Ghazals read and recited with residents"),
        partner(4, 2, ["Scottish country dancing"], "Seated dancing with recorded music"),
        partner(5, 2, ["music hall"], "We sing the old music hall songs"),
    ]
    h = home(interests=["music hall songs", "bhangra music", "Quran recitation",
                        "fiddle music", "old films"])
    found = by_id(Ranker().fit(partners).rank(h))
    # Hymn tunes played are not songs sung, and film themes are music, not films.
    assert found[1].shared_interests == []
    # Words the taxonomy does not know must be the partner's own: bhangra.
    assert found[2].shared_interests == ["bhangra music"]
    assert found[3].shared_interests == []  # reciting poetry is not reciting the Quran
    assert found[4].shared_interests == []  # recorded music is no fiddle
    assert found[5].shared_interests == ["music hall songs"]
