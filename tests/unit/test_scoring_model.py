"""One scoring model for both directions: component functions, weights by name, reasons."""

import random

import numpy as np
import pytest

from matcher.domain import catalogue
from matcher.domain.ranking import COMPONENTS, DEFAULT_WEIGHTS, Ranker, Reason, Weights
from matcher.domain.ranking import components as comp
from matcher.domain.ranking.explain import CODES
from matcher.presentation.reasons import RENDERERS, render_reason, render_reasons
from tests.unit.test_ranker import random_home, random_partners


def test_components_and_default_weights_are_those_of_the_catalogue():
    codes = tuple(c.code for c in catalogue.RANKING_COMPONENTS)
    assert codes == COMPONENTS
    assert set(comp.FUNCTIONS) == set(codes)
    assert dict(DEFAULT_WEIGHTS) == dict(catalogue.DEFAULT_WEIGHTS)


def test_weights_are_keyed_by_component_name():
    w = Weights(distance=1)
    assert w["distance"] == w.distance == 1.0 and w["interests"] == DEFAULT_WEIGHTS["interests"]
    assert list(w) == list(COMPONENTS) and dict(w) == w.as_dict()
    assert Weights({"language": 0.5}) == Weights(language=0.5)
    assert comp.weight_vector(w)[COMPONENTS.index("distance")] == 1.0
    with pytest.raises(ValueError, match="unknown weight"):
        Weights(colour=1)
    with pytest.raises(AttributeError):
        w.distance = 2


def test_one_resolver_lays_the_request_over_the_configuration():
    configured = {"distance": 0.5}
    assert comp.resolve_weights(configured) == Weights(distance=0.5)
    assert comp.resolve_weights(configured, {"interests": 0, "distance": None}) == \
        Weights(distance=0.5, interests=0)
    assert comp.resolve_weights(None) == Weights()


def test_the_score_is_the_weighted_sum_of_named_components():
    components = {"distance": np.array([1.0, 0.0]), "interests": np.array([0.5, 1.0]),
                  "language": np.array([0.0, 1.0]), "availability": np.array([0.5, 0.5]),
                  "capacity": np.array([1.0, 0.0])}
    w = Weights(distance=2, interests=1, language=1, availability=0, capacity=0)
    assert comp.score(comp.weight_vector(w), components).tolist() == pytest.approx(
        [(2 * 1 + 0.5) / 4, (0 + 1 + 1) / 4])
    # English-only homes leave the language weight out
    assert comp.score(comp.weight_vector(w, english_only=True), components).tolist() == \
        pytest.approx([(2 + 0.5) / 3, 1 / 3])


def test_both_directions_give_a_pair_the_same_components_and_score():
    rng = random.Random(9)
    partners = random_partners(400, rng)
    homes = [random_home(i, rng) for i in range(40)]
    ranker = Ranker().fit(partners).fit_homes(homes)
    by_id = {p.id: p for p in partners}
    compared = 0
    for h in homes:
        for m in ranker.rank(h, k=10):
            back = {r.home_id: r for r in ranker.rank_homes(by_id[m.partner_id], k=100)}
            if h.id not in back:
                continue  # on the very edge of a radius the two may round differently
            r = back[h.id]
            compared += 1
            assert r.score == pytest.approx(m.score, abs=1e-6)
            assert r.components == pytest.approx(m.components, abs=1e-6)
    assert compared > 100


def test_every_reason_code_has_one_renderer():
    assert set(RENDERERS) == set(CODES)


def test_reasons_are_structured_and_worded_at_the_edge():
    reasons = [Reason("distance", {"km": 1.234}), Reason("shared_interests",
               {"interests": ["singing", "gardening"]}),
               Reason("shared_language", {"language": "pl", "residents": 6}),
               Reason("residents_speak", {"language": "cy", "residents": 1}),
               Reason("availability", {"slots": ["sat_pm"]}), Reason("capacity", {"remaining": 1}),
               Reason("in_person_paused")]
    assert render_reasons(reasons) == [
        "1.2 km away", "shares interests: singing, gardening", "speaks Polish, like 6 residents",
        "1 resident speaks Welsh", "can visit on Saturday afternoons",
        "has capacity for 1 more visit a month",
        "in-person visits paused while visits are restricted"]
    assert render_reason(reasons[0].to_dict()) == "1.2 km away"
    assert render_reason({"code": "distance", "params": {"km": 0.04}}) == "under 100 m away"
    # One rounding (geo.round_km): 0.05 km is shown as 0.1 km everywhere.
    assert render_reason({"code": "distance", "params": {"km": 0.05}}) == "0.1 km away"
    assert Reason.from_dict(reasons[2].to_dict()) == reasons[2]
    many = Reason("shared_interests", {"interests": [f"w{i}" for i in range(8)]})
    assert render_reason(many) == "shares interests: w0, w1, w2, w3, w4 and 3 more"


def test_matches_carry_reasons_as_values_not_words():
    rng = random.Random(3)
    ranker = Ranker().fit(random_partners(200, rng))
    matches = [m for i in range(10) for m in ranker.rank(random_home(i, rng))]
    assert matches
    for m in matches:
        assert all(isinstance(r, Reason) and r.code in CODES for r in m.reasons)
        assert m.to_dict()["reasons"] == [r.to_dict() for r in m.reasons]
