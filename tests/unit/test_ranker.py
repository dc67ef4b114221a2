"""The Ranker: who is suggested to a care home, in which order, and why."""

import math
import random

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from matcher.domain.geo import haversine_km, limit_km
from matcher.domain.interests import Taxonomy
from matcher.domain.ranking import (
    DEFAULT_WEIGHTS,
    Filters,
    Home,
    Partner,
    PartnerTable,
    Ranker,
    Weights,
)
from matcher.domain.ranking.features import TextAnalyser
from matcher.presentation.reasons import render_reasons

BANGOR = (53.2274, -4.1293)
EALING = (51.5130, -0.3089)
BRADFORD = (53.7950, -1.7594)
STORNOWAY = (58.2090, -6.3860)
BELFAST = (54.5973, -5.9301)


def at(place, north_km=0.0, east_km=0.0):
    """A point this many km north and east of a place."""
    lat, lon = place
    return (lat + north_km / 111.2, lon + east_km / (111.2 * math.cos(math.radians(lat))))


def partner(pid, place, name=None, kind="volunteer", travel=20.0, interests=(), description="",
            languages=("en",), **extra):
    lat, lon = place
    return Partner(id=pid, name=name or f"Partner {pid}", kind=kind, lat=lat, lon=lon,
                   travel_radius_km=travel, interests=list(interests), description=description,
                   languages=list(languages), **extra)


def home(place, hid=1, radius=10.0, interests=(), text="", languages=(("en", 20),), **extra):
    lat, lon = place
    return Home(id=hid, name=f"Home {hid}", lat=lat, lon=lon, search_radius_km=radius,
                interests=list(interests), interests_text=text, languages=list(languages),
                **extra)


def ids(matches):
    return [m.partner_id for m in matches]


def said(match):
    """A match's reasons in words, as people read them."""
    return render_reasons(match.reasons)


# ----------------------------------------------------------------------------- hard limits
def test_partner_travel_radius_excludes_even_inside_the_home_radius():
    partners = [
        partner(1, at(EALING, 5), travel=3),  # 5 km away but only travels 3 km
        partner(2, at(EALING, 5), travel=8),
        partner(3, at(EALING, 12), travel=30),  # beyond the home's 10 km
    ]
    matches = Ranker().fit(partners).rank(home(EALING, radius=10))
    assert ids(matches) == [2]
    assert matches[0].distance_km == pytest.approx(5.0, rel=0.01)


def test_only_approved_partners_unless_pending_ones_are_asked_for():
    partners = [partner(1, at(BRADFORD, 1), status="approved"),
                partner(2, at(BRADFORD, 1), status="pending"),
                partner(3, at(BRADFORD, 1), status="withdrawn"),
                partner(4, at(BRADFORD, 1), status="paused")]
    ranker = Ranker().fit(partners)
    assert ids(ranker.rank(home(BRADFORD))) == [1]
    wider = ranker.rank(home(BRADFORD), filters={"include_unapproved": True})
    assert sorted(ids(wider)) == [1, 2]


def test_partners_without_capacity_left_are_not_suggested():
    partners = [partner(1, at(BELFAST, 1), capacity_per_month=2, active_introductions=2),
                partner(2, at(BELFAST, 1), capacity_per_month=3, active_introductions=1),
                partner(3, at(BELFAST, 1), capacity_per_month=0),
                partner(4, at(BELFAST, 1), capacity_per_month=None)]
    matches = {m.partner_id: m for m in Ranker().fit(partners).rank(home(BELFAST))}
    assert sorted(matches) == [2, 4]
    assert matches[2].components["capacity"] == pytest.approx(2 / 3)
    assert "has capacity for 2 more visits a month" in said(matches[2])
    assert matches[4].components["capacity"] == 0.5  # unknown is neutral


def test_closed_home_only_sees_partners_offering_remote_contact():
    partners = [partner(1, at(STORNOWAY, 1)),
                partner(2, at(STORNOWAY, 3), offers_remote=True)]
    matches = Ranker().fit(partners).rank(home(STORNOWAY, visiting_status="closed"))
    assert ids(matches) == [2]
    assert any("closed to visitors" in r for r in said(matches[0]))


# -------------------------------------------------------------------------------- components
def test_home_speaking_cymraeg_matches_partner_listing_cy():
    partners = [partner(1, at(BANGOR, 2), languages=["cy", "en"]),
                partner(2, at(BANGOR, 1), languages=["en"])]
    h = home(BANGOR, languages=[("Cymraeg", 12), ("English", 20)])
    matches = Ranker().fit(partners).rank(h)
    assert ids(matches) == [1, 2]  # a shared language outranks being closer
    assert matches[0].components["language"] == 1.0
    assert matches[0].shared_languages == ["cy"]
    assert "speaks Welsh, like 12 residents" in said(matches[0])
    assert matches[1].components["language"] == 0.0


def test_language_share_counts_only_residents_whose_language_is_not_english():
    partners = [partner(1, at(BRADFORD, 1), languages=["pa"]),
                partner(2, at(BRADFORD, 1), languages=["ur", "pa"])]
    h = home(BRADFORD, languages=[("Punjabi", 6), ("Urdu", 2), ("en", 30)])
    matches = {m.partner_id: m for m in Ranker().fit(partners).rank(h)}
    assert matches[1].components["language"] == pytest.approx(6 / 8)
    assert matches[2].components["language"] == pytest.approx(1.0)
    assert "speaks Punjabi, like 6 residents" in said(matches[1])


def test_english_only_home_spreads_the_language_weight_over_the_others():
    p = partner(1, at(EALING, 2), travel=10, interests=["chess"], languages=["en", "pl"])
    ranker = Ranker().fit([p])
    match = ranker.rank(home(EALING, radius=10, languages=[("en", 40)]))[0]
    c = match.components
    assert c["language"] == 0.0
    w = DEFAULT_WEIGHTS
    expected = (w["distance"] * c["distance"] + w["interests"] * c["interests"]
                + w["availability"] * c["availability"] + w["capacity"] * c["capacity"])
    assert match.score == pytest.approx(expected / (1 - w["language"]))
    # A home with Polish speakers keeps the language weight in the sum.
    polish = ranker.rank(home(EALING, radius=10, languages=[("pl", 5), ("en", 35)]))[0]
    assert polish.components["language"] == 1.0


def test_singing_meets_choir_and_dogs_meet_pet_visits():
    partners = [partner(1, at(BANGOR, 3), interests=["Choir"], kind="choir"),
                partner(2, at(BANGOR, 4), description="We bring our pet visits dogs",
                        interests=["pet visits"], kind="pet_walkers"),
                partner(3, at(BANGOR, 1), interests=["football"])]
    matches = {m.partner_id: m for m in
               Ranker().fit(partners).rank(home(BANGOR, interests=["singing", "Dogs"]))}
    assert matches[1].components["interests"] > 0
    assert matches[1].shared_interests == ["singing"]
    assert "shares interests: singing — choir" in said(matches[1])
    assert matches[2].shared_interests == ["Dogs"]
    assert matches[3].components["interests"] == 0


def test_free_text_interests_count_and_are_explained_in_the_homes_words():
    partners = [partner(1, at(BRADFORD, 2), description="Former miners' male voice choir")]
    h = home(BRADFORD, text="Many of our residents were miners and love a sing-song.")
    match = Ranker().fit(partners).rank(h)[0]
    assert match.components["interests"] > 0.3
    assert set(match.shared_interests) >= {"miners"}


def test_distance_component_falls_from_one_at_the_door_to_zero_at_the_radius():
    partners = [partner(1, at(EALING, 0.03), travel=10), partner(2, at(EALING, 5), travel=10),
                partner(3, at(EALING, 4), travel=4.5)]
    matches = {m.partner_id: m for m in Ranker().fit(partners).rank(home(EALING, radius=10))}
    assert matches[1].components["distance"] == pytest.approx(0.997, abs=0.001)
    assert matches[2].components["distance"] == pytest.approx(0.5, abs=0.01)
    # The effective radius is the smaller of the two.
    assert matches[3].components["distance"] == pytest.approx(1 - 4 / 4.5, abs=0.01)
    assert said(matches[1])[0] == "under 100 m away"
    assert said(matches[2])[0] == "5 km away"


def test_distances_agree_with_the_shared_haversine():
    places = [at(BELFAST, 3, -2), at(BELFAST, -7, 4), at(BELFAST, 0.4, 0.1)]
    partners = [partner(i, p) for i, p in enumerate(places, 1)]
    for m in Ranker().fit(partners).rank(home(BELFAST, radius=15)):
        lat, lon = places[m.partner_id - 1]
        assert m.distance_km == pytest.approx(haversine_km(*BELFAST, lat, lon), rel=1e-6)


def test_availability_overlap_and_reason():
    partners = [partner(1, at(BANGOR, 1), availability={"sat_pm", "mon_am"}),
                partner(2, at(BANGOR, 1), availability={"tue_am"}),
                partner(3, at(BANGOR, 1), availability=None)]
    h = home(BANGOR, availability={"sat_pm", "sun_pm"})
    matches = {m.partner_id: m for m in Ranker().fit(partners).rank(h)}
    assert matches[1].components["availability"] == 0.5  # 1 shared of the smaller 2
    assert "can visit on Saturday afternoons" in said(matches[1])
    assert matches[2].components["availability"] == 0.0
    assert matches[3].components["availability"] == 0.5  # unknown is neutral


# ---------------------------------------------------------------------------------- ordering
def test_sharing_an_interest_or_language_beats_being_closer():
    partners = [partner(1, at(EALING, 0.2), interests=["football"]),
                partner(2, at(EALING, 9.5), interests=["knitting"]),
                partner(3, at(EALING, 9.0), languages=["pl"])]
    h = home(EALING, radius=10, interests=["knitting"], languages=[("Polish", 1), ("en", 40)])
    assert ids(Ranker().fit(partners).rank(h)) in ([2, 3, 1], [3, 2, 1])
    assert Ranker().fit(partners).rank(h)[-1].partner_id == 1


def test_distance_orders_partners_that_are_otherwise_alike():
    partners = [partner(i, at(BELFAST, km), interests=["bowls"]) for i, km in
                [(1, 6), (2, 2), (3, 4)]]
    assert ids(Ranker().fit(partners).rank(home(BELFAST, interests=["bowls"]))) == [2, 3, 1]


def test_restricted_home_lists_remote_partners_first_and_flags_in_person_ones():
    partners = [partner(1, at(STORNOWAY, 0.5), interests=["Gaelic songs"], languages=["gd"]),
                partner(2, at(STORNOWAY, 6), offers_remote=True)]
    h = home(STORNOWAY, interests=["singing"], languages=[("Gàidhlig", 8), ("en", 20)],
             visiting_status="restricted")
    matches = Ranker().fit(partners).rank(h)
    assert ids(matches) == [2, 1]
    assert matches[1].score > matches[0].score  # the tier, not the score, decides
    assert not matches[0].in_person_paused
    assert "offers video calls or letters while visits are restricted" in said(matches[0])
    assert matches[1].in_person_paused
    assert "in-person visits paused while visits are restricted" in said(matches[1])
    assert "speaks Scottish Gaelic, like 8 residents" in said(matches[1])


def test_ties_are_broken_by_score_then_distance_then_id():
    partners = [partner(9, at(BANGOR, 2)), partner(4, at(BANGOR, 2)), partner(6, at(BANGOR, 1))]
    assert ids(Ranker().fit(partners).rank(home(BANGOR))) == [6, 4, 9]


def test_same_partners_in_any_order_give_the_same_answer():
    rng = random.Random(5)
    partners = random_partners(300, rng)
    h = home(BRADFORD, radius=15, interests=["singing", "gardening", "dogs"],
             languages=[("Punjabi", 5), ("Urdu", 3), ("en", 30)])
    first = Ranker().fit(partners).rank(h, k=25)
    shuffled = partners[:]
    rng.shuffle(shuffled)
    second = Ranker().fit(shuffled).rank(h, k=25)
    assert [m.to_dict() for m in first] == [m.to_dict() for m in second]


# ------------------------------------------------------------------------- weights, filters
def test_weights_override_per_request():
    partners = [partner(1, at(EALING, 0.5), interests=["chess"]),
                partner(2, at(EALING, 8), interests=["knitting"])]
    ranker = Ranker().fit(partners)
    h = home(EALING, interests=["knitting"])
    assert ids(ranker.rank(h)) == [2, 1]
    distance_only = {"distance": 1, "interests": 0, "language": 0, "availability": 0,
                     "capacity": 0}
    matches = ranker.rank(h, weights=distance_only)
    assert ids(matches) == [1, 2]
    assert matches[0].score == pytest.approx(matches[0].components["distance"])


def test_default_weights_come_from_the_ranker_and_are_validated():
    assert Weights().as_dict() == DEFAULT_WEIGHTS
    assert Weights.from_mapping({"distance": 1}).interests == DEFAULT_WEIGHTS["interests"]
    assert Weights.from_mapping({"distance": None}).distance == DEFAULT_WEIGHTS["distance"]
    for bad in ({"distance": -1}, {"distance": float("nan")}, {"colour": 1},
                {"distance": "far"}):
        with pytest.raises(ValueError):
            Weights.from_mapping(bad)
    partners = [partner(1, at(EALING, 0.5)), partner(2, at(EALING, 8), interests=["chess"])]
    ranker = Ranker(weights={"interests": 0.0, "language": 0.0}).fit(partners)
    assert ids(ranker.rank(home(EALING, interests=["chess"]))) == [1, 2]


def test_every_weight_zero_scores_zero_and_orders_nearest_first_then_by_id():
    zero = {k: 0 for k in DEFAULT_WEIGHTS}
    assert Weights.from_mapping(zero).as_tuple() == (0.0,) * len(DEFAULT_WEIGHTS)
    partners = [partner(3, at(EALING, 2)), partner(1, at(EALING, 6), interests=["chess"]),
                partner(2, at(EALING, 2))]
    ranker = Ranker().fit(partners)
    matches = ranker.rank(home(EALING, interests=["chess"]), weights=zero)
    assert ids(matches) == [2, 3, 1]
    assert all(m.score == 0.0 and m.reasons for m in matches)
    assert ids(Ranker(weights=zero).fit(partners).rank(home(EALING))) == [2, 3, 1]


def test_filters_for_kind_radius_and_language():
    partners = [partner(1, at(BELFAST, 2), kind="choir"),
                partner(2, at(BELFAST, 3), kind="school", languages=["ga"]),
                partner(3, at(BELFAST, 14), kind="choir", travel=30)]
    ranker = Ranker().fit(partners)
    h = home(BELFAST, radius=10)
    assert ids(ranker.rank(h, filters={"kinds": {"choir"}})) == [1]
    assert sorted(ids(ranker.rank(h, filters={"radius_km": 20}))) == [1, 2, 3]
    assert ids(ranker.rank(h, filters=Filters(radius_km=2.5))) == [1]
    assert ids(ranker.rank(h, filters={"languages": ["Irish"]})) == [2]
    assert ranker.rank(h, filters={"kinds": {"orchestra"}}) == []
    with pytest.raises(ValueError):
        ranker.rank(h, filters={"radius_km": -3})
    with pytest.raises(ValueError):
        ranker.rank(h, filters={"colour": "red"})


def test_scores_and_components_stay_between_zero_and_one():
    rng = random.Random(11)
    partners = random_partners(400, rng)
    ranker = Ranker().fit(partners)
    for i in range(30):
        h = random_home(i, rng)
        for m in ranker.rank(h, k=50, weights={"language": rng.random()}):
            assert 0.0 <= m.score <= 1.0
            assert all(0.0 <= v <= 1.0 for v in m.components.values())
            assert m.reasons and m.reasons[-1]


# -------------------------------------------------------------------------- reverse matching
def test_reverse_matching_finds_homes_that_would_welcome_a_group():
    homes = [home(at(BANGOR, 2), hid=1, radius=10, interests=["singing"],
                  languages=[("cy", 10), ("en", 10)]),
             home(at(BANGOR, 1), hid=2, radius=10),
             home(at(BANGOR, 6), hid=3, radius=4),  # the group is outside this home's radius
             home(at(BANGOR, 3), hid=4, radius=10, visiting_status="closed"),
             home(at(BANGOR, 4), hid=5, radius=10, interests=["choir"],
                  visiting_status="restricted")]
    choir = partner(100, BANGOR, kind="choir", travel=8, interests=["choir"],
                    languages=["cy"])
    ranker = Ranker().fit([choir]).fit_homes(homes)
    matches = ranker.rank_homes(choir)
    assert [m.home_id for m in matches] == [1, 2, 5]
    assert matches[0].shared_languages == ["cy"]
    assert "10 residents speak Welsh" in said(matches[0])
    assert "shares interests: singing — choir" in said(matches[0])
    assert matches[2].in_person_paused
    assert matches[0].to_dict()["home_id"] == 1
    remote = partner(101, BANGOR, travel=8, offers_remote=True)
    assert 4 in [m.home_id for m in ranker.rank_homes(remote)]
    # Every weight 0: scores 0, homes taking visits in person first, then nearest first.
    zero = ranker.rank_homes(choir, weights=dict.fromkeys(DEFAULT_WEIGHTS, 0.0))
    assert [m.home_id for m in zero] == [2, 1, 5]
    assert all(m.score == 0.0 and m.reasons for m in zero)


def test_reverse_matching_needs_homes():
    ranker = Ranker().fit([partner(1, BANGOR)])
    with pytest.raises(NotFittedError):
        ranker.rank_homes(partner(2, BANGOR))
    assert ranker.rank_homes(partner(2, BANGOR), homes=[home(BANGOR)])[0].home_id == 1


# ------------------------------------------------------------------ scale-related behaviour
@pytest.mark.parametrize("seed", range(5))
def test_rank_many_gives_exactly_what_rank_gives_whatever_the_options(seed):
    # rank_many settles weights and filters once and ranks in forked workers: every score,
    # component, reason and order must still be rank()'s, pending updates included.
    rng = random.Random(100 + seed)
    ranker = Ranker(compact_at=10_000).fit(random_partners(400, rng))
    if seed % 2:  # a second, pending segment and some partners removed
        ranker.partial_update(add_or_replace=random_partners(60, rng, first_id=5000),
                              remove_ids=rng.sample(range(1, 401), 30))
    homes = [random_home(i, rng) for i in range(70)]
    weights = [None, {"interests": 0.0}, {"language": 0.0, "availability": 0.0},
               {"distance": 1.0, "capacity": 0.0}, dict.fromkeys(DEFAULT_WEIGHTS, 0.0)][seed]
    filters = [None, {"kinds": {"choir", "school"}}, {"languages": ["cy", "ur"]},
               {"radius_km": 30.0}, {"include_unapproved": True}][seed]
    k = [1, 5, 20, 60][seed % 4]

    def exact(ms):  # unrounded: the same floating-point numbers
        return [(m.partner_id, m.score, m.distance_km, m.components, m.to_dict()) for m in ms]

    expected = [exact(ranker.rank(h, k=k, weights=weights, filters=filters)) for h in homes]
    assert any(expected)
    for n_jobs in (1, 2):
        many = ranker.rank_many(homes, k=k, weights=weights, filters=filters, n_jobs=n_jobs)
        assert [exact(many[h.id]) for h in homes] == expected


def test_columnar_table_and_partner_list_give_the_same_matches():
    rng = random.Random(3)
    partners = random_partners(200, rng)
    h = random_home(1, rng)
    from_list = Ranker().fit(partners).rank(h, k=30)
    from_table = Ranker().fit(PartnerTable.from_partners(partners)).rank(h, k=30)
    assert [m.to_dict() for m in from_list] == [m.to_dict() for m in from_table]


def test_rank_many_matches_one_home_at_a_time():
    rng = random.Random(8)
    ranker = Ranker().fit(random_partners(300, rng))
    homes = [random_home(i, rng) for i in range(60)]
    single = {h.id: [m.to_dict() for m in ranker.rank(h, k=5)] for h in homes}
    for n_jobs in (1, 2):
        many = ranker.rank_many(homes, k=5, n_jobs=n_jobs)
        assert list(many) == [h.id for h in homes]
        assert {hid: [m.to_dict() for m in ms] for hid, ms in many.items()} == single


def test_partial_update_adds_replaces_and_removes():
    partners = [partner(1, at(EALING, 1)), partner(2, at(EALING, 2))]
    ranker = Ranker().fit(partners)
    h = home(EALING)
    ranker.partial_update(add_or_replace=[partner(3, at(EALING, 0.5), interests=["chess"])])
    assert ids(ranker.rank(h)) == [3, 1, 2]
    moved = partner(1, at(EALING, 50))  # replaced by a version far away
    ranker.partial_update(add_or_replace=[moved], remove_ids=[2])
    assert ids(ranker.rank(h)) == [3]
    ranker.partial_update(remove_ids=[3])
    assert ranker.rank(h) == []
    assert ranker.n_partners_ == 1


def test_partial_update_gives_what_a_full_refit_gives():
    rng = random.Random(21)
    partners = random_partners(300, rng)
    extra = random_partners(80, rng, first_id=1000)
    replaced = random_partners(20, rng)  # same ids as the first 20, new details
    ranker = Ranker(compact_at=60).fit(partners)
    ranker.partial_update(add_or_replace=extra[:40])
    ranker.partial_update(add_or_replace=extra[40:] + replaced, remove_ids=[50, 51])
    final = {p.id: p for p in partners}
    final.update({p.id: p for p in extra + replaced})
    del final[50], final[51]
    refit = Ranker().fit(list(final.values()))
    # A refit learns a new vocabulary, so compare with the vocabulary held fixed.
    refit.tfidf_ = ranker.tfidf_
    refit.analyser_ = ranker.analyser_
    refit.main_ = type(refit.main_).build(
        refit._columns(PartnerTable.from_partners(list(final.values())),
                       *_features(ranker, list(final.values()))), refit.main_.cell)
    for i in range(15):
        h = random_home(i, rng)
        assert [m.to_dict() for m in ranker.rank(h, k=20)] == \
               [m.to_dict() for m in refit.rank(h, k=20)]


def _features(ranker, partners):
    rows, stems, counts, masks, con = ranker.analyser_.analyse_many([p.text for p in partners],
                                                                    with_concepts=True)
    return ranker.tfidf_.transform_many(rows, stems, counts, len(partners)), masks, con


def test_save_and_load_round_trip(tmp_path):
    rng = random.Random(4)
    ranker = Ranker(weights={"distance": 0.5}).fit(random_partners(250, rng))
    ranker.partial_update(remove_ids=[3, 4])
    homes = [random_home(i, rng) for i in range(10)]
    before = [[m.to_dict() for m in ranker.rank(h)] for h in homes]
    ranker.save(tmp_path / "index")
    loaded = Ranker.load(tmp_path / "index")
    assert loaded.get_params()["weights"]["distance"] == 0.5
    assert [[m.to_dict() for m in loaded.rank(h)] for h in homes] == before
    # Matches carry the partner's town and place, so a match list needs no second query.
    shown = [m for h in homes for m in loaded.rank(h)]
    by_id = {p.id: p for p in random_partners(250, random.Random(4))}
    assert any(m.town for m in shown) and any(m.town is None for m in shown)
    assert all(m.town == by_id[m.partner_id].town for m in shown)
    assert all((m.lat, m.lon) == (by_id[m.partner_id].lat, by_id[m.partner_id].lon)
               for m in shown)
    loaded.partial_update(add_or_replace=[partner(9999, (homes[0].lat, homes[0].lon))])
    assert 9999 in ids(loaded.rank(homes[0], k=300))


def test_follows_the_scikit_learn_estimator_contract():
    ranker = Ranker(weights={"distance": 0.6}, cell_deg=0.1)
    assert ranker.get_params()["cell_deg"] == 0.1
    assert not hasattr(ranker, "main_")
    assert ranker.fit([partner(1, BANGOR)]) is ranker
    copy = clone(ranker)
    assert copy.get_params() == ranker.get_params() and not hasattr(copy, "main_")
    copy.set_params(cell_deg=0.2)
    assert copy.cell_deg == 0.2
    with pytest.raises(NotFittedError):
        Ranker().rank(home(BANGOR))


def test_bulk_and_single_text_analysis_agree():
    analyser = TextAnalyser(Taxonomy.load())
    texts = ["We love singing and Côr meibion! Pet visits, PAT dogs; tai chi & chair-yoga.",
             "", "Gàidhlig songs—ceòl agus òran’s", "residents’ local history st david's day",
             "ਪੰਜਾਬੀ ਗੀਤ and Urdu poetry 123 abc_def", "music-hall sing-along", "a" * 50,
             "Knitting\x00club"]
    rows, stems, counts, masks = analyser.analyse_many(texts, chunk_size=3)
    for i, text in enumerate(texts):
        single_counts, single_mask = analyser.analyse_one(text)
        bulk = dict(zip(stems[rows == i].tolist(), counts[rows == i].tolist(), strict=True))
        assert bulk == single_counts
        assert int(masks[i]) == single_mask


# ---------------------------------------------------------------------------------- helpers
TOWNS = [BANGOR, EALING, BRADFORD, STORNOWAY, BELFAST]
ACTIVITIES = ["choir", "singing", "knitting", "dogs", "pet visits", "gardening", "chess",
              "local history", "bingo", "football", "chair yoga", "baking", "poetry", "hymns",
              "video calls", "painting", "school visits", "tai chi", "bowls", "quiz"]
LANGS = ["en", "cy", "pl", "pa", "ur", "gd", "ga", "bn", "so"]


def random_partners(n, rng, first_id=1):
    out = []
    for i in range(first_id, first_id + n):
        town = rng.choice(TOWNS)
        place = at(town, rng.uniform(-12, 12), rng.uniform(-12, 12))
        cap = rng.choice([None, 1, 2, 4, 8])
        out.append(partner(
            i, place, kind=rng.choice(["choir", "school", "volunteer", "faith_group"]),
            travel=rng.choice([3, 5, 10, 20]),
            interests=rng.sample(ACTIVITIES, rng.randint(0, 3)),
            description=" ".join(rng.sample(ACTIVITIES + ["friendly", "weekly", "miners"], 3)),
            languages=rng.sample(LANGS, rng.randint(1, 2)),
            availability=rng.choice([None, {"sat_pm"}, {"mon_am", "tue_pm", "sat_am"}]),
            capacity_per_month=cap,
            active_introductions=0 if cap is None else rng.randint(0, cap),
            offers_remote=rng.random() < 0.3,
            status=rng.choice(["approved"] * 8 + ["pending", "paused"]),
            town=rng.choice([None, "Bangor", "Upper Bangor", "Ealing"])))
    return out


def random_home(i, rng):
    town = rng.choice(TOWNS)
    return home(at(town, rng.uniform(-5, 5), rng.uniform(-5, 5)), hid=i,
                radius=rng.choice([5, 10, 15]), interests=rng.sample(ACTIVITIES, 3),
                text=rng.choice(["", "Residents enjoy a sing-song and their dogs."]),
                languages=rng.choice([[("en", 20)], [("cy", 5), ("en", 15)],
                                      [("pa", 4), ("ur", 2)]]),
                visiting_status=rng.choice(["open", "open", "restricted", "closed"]),
                availability=rng.choice([None, {"sat_pm", "sun_pm"}]))


def test_helpers_place_points_where_asked():
    lat, lon = at(EALING, 3, 4)
    assert haversine_km(*EALING, lat, lon) == pytest.approx(5.0, rel=0.01)
    assert np.isfinite(lat)


def test_no_partners_or_no_words_still_work():
    assert Ranker().fit([]).rank(home(BANGOR)) == []
    bare = Ranker().fit([partner(1, at(BANGOR, 1))])
    assert ids(bare.rank(home(BANGOR, interests=["singing"]))) == [1]
    assert bare.rank(home(BANGOR), k=0) == []


def test_spatial_index_finds_exactly_the_partners_within_both_radii():
    rng = np.random.default_rng(2)
    centres = [BANGOR, STORNOWAY, (89.99, 10.0), (-60.0, 179.99), (0.0, -179.95)]
    partners, pid = [], 0
    for lat0, lon0 in centres:
        for _ in range(400):
            pid += 1
            lat = float(np.clip(lat0 + rng.normal(0, 0.15), -90, 90))
            lon = float((lon0 + rng.normal(0, 0.3) + 180) % 360 - 180)
            partners.append(partner(pid, (lat, lon), travel=float(rng.uniform(1, 30))))
    for cell in (0.01, 0.05, 0.5):
        ranker = Ranker(cell_deg=cell).fit(partners)
        for lat0, lon0 in centres:
            h = home((lat0, lon0), radius=float(rng.uniform(2, 25)))
            expected = {p.id for p in partners
                        if haversine_km(h.lat, h.lon, p.lat, p.lon)
                        <= min(h.search_radius_km, p.travel_radius_km) - 1e-6}
            found = set(ids(ranker.rank(h, k=10_000)))
            assert expected <= found
            # Within both radii as shown (to 0.1 km): geo.limit_km.
            assert all(haversine_km(h.lat, h.lon, p.lat, p.lon)
                       <= min(limit_km(h.search_radius_km), limit_km(p.travel_radius_km)) + 1e-6
                       for p in partners if p.id in found)


def test_unexplained_matches_keep_order_scores_and_flags():
    rng = random.Random(13)
    ranker = Ranker().fit(random_partners(300, rng))
    for i in range(10):
        h = random_home(i, rng)
        full, bare = ranker.rank(h, k=10), ranker.rank(h, k=10, explain=False)
        assert [(m.partner_id, m.score, m.in_person_paused) for m in full] == \
               [(m.partner_id, m.score, m.in_person_paused) for m in bare]
        assert all(m.reasons == [] for m in bare)


def test_city_sized_candidate_sets_give_the_exhaustive_answer(monkeypatch):
    from matcher.domain.ranking import candidates as ranker_module

    rng = random.Random(17)
    partners = []
    for i in range(1, 3001):  # a dense cluster: thousands of contenders for one home
        partners.append(partner(
            i, at(EALING, rng.uniform(-3, 3), rng.uniform(-3, 3)), travel=rng.uniform(2, 10),
            interests=rng.sample(ACTIVITIES, 2), languages=rng.sample(LANGS, 1),
            availability=rng.choice([None, {"sat_pm"}, {"mon_am", "sat_pm"}]),
            capacity_per_month=rng.choice([None, 4]), offers_remote=rng.random() < 0.3))
    ranker = Ranker().fit(partners)
    homes = [home(at(EALING, 0.5, -0.5), hid=i, radius=6, interests=rng.sample(ACTIVITIES, 3),
                  languages=[("pl", 3), ("en", 20)], visiting_status=status,
                  availability=avail)
             for i, (status, avail) in enumerate([("open", None), ("restricted", {"sat_pm"}),
                                                  ("open", {"mon_am"})])]
    fast = [[m.to_dict() for m in ranker.rank(h, k=20)] for h in homes]
    monkeypatch.setattr(ranker_module, "_REFINE_AFTER", 10**9)
    exhaustive = [[m.to_dict() for m in ranker.rank(h, k=20)] for h in homes]
    assert fast == exhaustive
    assert all(len(f) == 20 for f in fast)
