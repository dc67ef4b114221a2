"""The match-quality benchmark (scripts/evaluate_ranking.py): its metrics, the judged scenario
files in data/evaluation, and a whole run."""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("evaluate_ranking",
                                               ROOT / "scripts" / "evaluate_ranking.py")
ev = importlib.util.module_from_spec(_spec)
sys.modules["evaluate_ranking"] = ev  # dataclasses look their module up while being built
_spec.loader.exec_module(ev)


@pytest.fixture(scope="module")
def scenarios():
    return ev.load_scenarios()


# ---------------------------------------------------------------------------------- NDCG@5
def test_ndcg_of_the_ideal_order_is_one():
    grades = {"a": 3, "b": 2, "c": 1}
    assert ev.ndcg_at_k(["a", "b", "c", "x"], grades) == pytest.approx(1.0)


def test_ndcg_on_a_hand_computed_list():
    # DCG  = (2^1-1)/log2(2) + (2^3-1)/log2(3) + 0 + (2^2-1)/log2(5) = 1 + 4.41650 + 1.29203
    # IDCG = 7/log2(2) + 3/log2(3) + 1/log2(4) = 7 + 1.89279 + 0.5
    grades = {"a": 3, "b": 2, "c": 1}
    assert ev.ndcg_at_k(["c", "a", "x", "b"], grades) == pytest.approx(6.70853 / 9.39279,
                                                                      abs=1e-5)


def test_ndcg_only_looks_at_the_first_five():
    grades = {"a": 3}
    assert ev.ndcg_at_k(["v", "w", "x", "y", "z", "a"], grades) == 0.0
    # a at fifth place: 7/log2(6) over 7/log2(2)
    assert ev.ndcg_at_k(["w", "x", "y", "z", "a"], grades) == pytest.approx(1 / math.log2(6))


def test_ndcg_with_nothing_judged_or_nothing_ranked_is_zero():
    assert ev.ndcg_at_k(["a", "b"], {}) == 0.0
    assert ev.ndcg_at_k([], {"a": 2}) == 0.0


def test_top1_agreement_is_the_judges_first_pick_only():
    judged = [("a", 3), ("b", 3)]
    assert ev.top1_agrees(["a", "b"], judged)
    assert not ev.top1_agrees(["b", "a"], judged)  # as good a grade is not the first pick
    assert not ev.top1_agrees([], judged)


# -------------------------------------------------------------------------- reason precision
def test_mentions_whole_words_plurals_and_accents():
    assert ev.mentions("We sing Welsh hymns", "hymn")
    assert ev.mentions("Côr Meibion Caernarfon", "cor meibion")
    assert ev.mentions("a male-voice choir", "male voice choir")
    assert not ev.mentions("Catholic Mass", "cat")
    assert not ev.mentions("singer", "sing")
    assert not ev.mentions("anything", "")


PARTNER = {"description": "Friendly bowls club offering boccia, seated tai chi and reminiscence.",
           "interests": ["boccia", "tai chi"]}
CHOIR = {"description": "Male voice choir singing hymns.", "interests": ["concerts"]}
CONCEPTS = {"Welsh hymns": ["hymn", "cymanfa ganu"], "walks": ["walking"]}
INTERESTS = ["Welsh hymns", "walks"]


def test_a_claim_is_supported_by_the_interest_or_a_judge_listed_term():
    assert ev.supported("Welsh hymns", CHOIR, INTERESTS, CONCEPTS)
    assert not ev.supported("Welsh hymns", PARTNER, INTERESTS, CONCEPTS)  # the bowls club
    assert not ev.supported("walks", PARTNER, INTERESTS, CONCEPTS)


def test_claims_with_the_partners_words_or_as_mappings_name_the_home_interest():
    assert ev.claimed_interest("Welsh hymns — male voice choir") == "Welsh hymns"
    assert ev.claimed_interest("sing-alongs") == "sing-alongs"  # a hyphen inside a word stays
    assert ev.claimed_interest({"interest": "walks", "matched": ["rambles"]}) == "walks"
    assert ev.supported("Welsh hymns — male voice choir", CHOIR, INTERESTS, CONCEPTS)
    assert not ev.supported({"interest": "walks"}, CHOIR, INTERESTS, CONCEPTS)


def test_a_claim_that_is_no_home_interest_needs_its_own_words_in_the_partners_text():
    assert ev.supported("tai chi", PARTNER, INTERESTS, CONCEPTS)
    assert not ev.supported("music and singing", PARTNER, INTERESTS, CONCEPTS)


def _scenario(**changes) -> ev.Scenario:
    home = {"name": "Home", "lat": 53.14, "lon": -4.27, "search_radius_km": 10,
            "interests": ["Welsh hymns", "walks"], "languages": []}
    partners = [
        {"key": "choir", "name": "Choir", "kind": "choir", "lat": 53.15, "lon": -4.27,
         "description": "Male voice choir singing Welsh hymns.", "interests": ["concerts"]},
        {"key": "bowls", "name": "Bowls", "kind": "sports_group", "lat": 53.141, "lon": -4.27,
         "description": "Bowls and boccia.", "interests": ["bowls"]},
        {"key": "far", "name": "Far walkers", "kind": "volunteer", "lat": 53.5, "lon": -4.27,
         "description": "Walks.", "interests": ["walks"]},
    ]
    values = dict(name="toy", nation="wales", home=home, partners=partners,
                  judged=[("choir", 3)], concepts=dict(CONCEPTS))
    values.update(changes)
    return ev.Scenario(**values)


def test_reason_precision_pools_the_claims_of_the_first_five():
    s = _scenario()
    ranked = [ev.Suggestion("bowls", 0.9, 0.1, ["Welsh hymns", "walks"]),
              ev.Suggestion("choir", 0.8, 1.1, ["Welsh hymns"])]
    row = ev.evaluate_list(s, ranked)
    assert (row["claims"], row["supported"]) == (3, 1)
    assert not row["top1"]
    other = {"ndcg": 1.0, "top1": True, "claims": 1, "supported": 1}
    summary = ev.summarise([row, other])
    assert summary["reason_precision"] == pytest.approx(2 / 4)
    assert summary["top1_agreement"] == pytest.approx(0.5)


def test_the_baseline_claims_interests_sharing_a_word_and_keeps_the_radii():
    ranked = ev.baseline_ranking(_scenario())
    keys = [s.key for s in ranked]
    assert "far" not in keys  # 40 km away: beyond the home's search radius
    assert keys[0] == "choir"
    assert ranked[0].claims == ["Welsh hymns"]
    assert next(s for s in ranked if s.key == "bowls").claims == []


def test_ranker_inputs_take_the_fields_the_model_has_and_flattened_nested_ones():
    @dataclass
    class Thing:
        id: int
        safeguarding_status: str | None = None
        safeguarding_expires_on: dt.date | None = None

    thing = ev._build(Thing, {"id": 3, "unknown": 1, "safeguarding": {
        "scheme": "DBS", "status": "expired", "expires_on": "2026-03-31"}})
    assert (thing.id, thing.safeguarding_status) == (3, "expired")
    assert thing.safeguarding_expires_on == dt.date(2026, 3, 31)


def test_the_model_side_is_the_production_rankers_list(scenarios):
    from matcher.domain.ranking import Ranker

    s = next(x for x in scenarios if x.name == "caernarfon-welsh-hymns")
    keys = {i: k for k, i in ev.partner_ids(s).items()}
    direct = Ranker().fit(ev.to_partners(s)).rank(ev.to_home(s), k=len(s.partners))
    ranked = ev.model_ranking(s)
    assert [s_.key for s_ in ranked] == [keys[m.partner_id] for m in direct]
    assert [s_.claims for s_ in ranked] == [list(m.shared_interests) for m in direct]


def test_ranker_inputs_carry_the_records_fields(scenarios):
    s = next(x for x in scenarios if x.name == "caernarfon-welsh-hymns")
    home = ev.to_home(s)
    assert home.language_counts() == [("cy", 22), ("en", 14)]
    assert home.visiting_status == "open" and home.search_radius_km == 10
    choir = next(p for p in ev.to_partners(s) if p.name == "Côr Meibion Caernarfon")
    assert choir.availability == {"tue_pm", "thu_pm"} and choir.status == "approved"
    assert "male voice choir" in choir.text


# ------------------------------------------------------------------------- the judged files
def test_the_judged_set_is_valid(scenarios):
    assert ev.validate(scenarios) == []


def test_at_least_forty_homes_across_the_four_nations(scenarios):
    assert len(scenarios) >= 40
    assert {s.nation for s in scenarios} == set(ev.NATIONS)
    assert len({(s.home["lat"], s.home["lon"]) for s in scenarios}) == len(scenarios)


def test_every_judged_partner_is_in_its_pool(scenarios):
    for s in scenarios:
        keys = {p["key"] for p in s.partners}
        assert {k for k, _ in s.judged} <= keys, s.name
        assert 6 <= len(keys) <= 15, s.name


def test_the_situations_of_the_domain_are_covered(scenarios):
    tags = {t for s in scenarios for t in s.situations}
    assert {"mother-tongue", "welsh", "gaelic", "bsl", "dementia", "schools", "nurseries",
            "pets", "choirs", "one-off", "outbreak", "rural"} <= tags


def test_validation_reports_a_judged_partner_missing_from_the_pool(scenarios):
    broken = copy.deepcopy(scenarios[0])
    broken.judged = [("nobody", 3), *broken.judged]
    problems = ev.validate([broken])
    assert any("'nobody' is not in the pool" in p for p in problems)


def test_validation_reports_judges_out_of_their_own_order(scenarios):
    broken = copy.deepcopy(next(s for s in scenarios if len(s.judged) >= 3))
    broken.judged = list(reversed(broken.judged))
    assert any("judges' order" in p for p in ev.validate([broken]))


def test_validation_reports_a_judged_partner_out_of_reach():
    s = _scenario(judged=[("choir", 3), ("far", 1)])
    s.partners = s.partners + [dict(s.partners[1], key=f"x{i}") for i in range(4)]
    assert any("'far' is beyond" in p for p in ev.validate([s]))


# ------------------------------------------------------------------------------- a whole run
def test_the_script_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "figures.json"
    assert ev.main(["--json", "--output", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    written = json.loads(out.read_text())
    assert printed == written
    n = len(ev.load_scenarios())
    for side in ("model", "baseline"):
        figures = written[side]
        assert figures["scenarios"] == n
        for name in ("ndcg_at_5", "top1_agreement", "reason_precision"):
            assert 0.0 <= figures[name] <= 1.0, (side, name)
    assert written["baseline"]["claims"] > 0 and written["model"]["claims"] > 0
    assert all(count > 0 for count in written["nations"].values())
    assert len(written["scenarios"]) == n
    outbreak = written["by_situation"]["outbreak"]["model"]
    assert outbreak["scenarios"] == sum("outbreak" in s.situations for s in ev.load_scenarios())


def test_the_table_names_both_sides_and_each_situation(capsys):
    assert ev.main(["--by-situation"]) == 0
    text = capsys.readouterr().out
    for label in ("NDCG@5", "top-1 agreement", "reason precision", "model", "baseline",
                  "mother-tongue", "outbreak"):
        assert label in text


def test_one_scenario_with_its_reasons(capsys):
    assert ev.main(["--scenario", "caernarfon-welsh-hymns"]) == 0
    text = capsys.readouterr().out
    assert "Côr Meibion Caernarfon" in text and "baseline:" in text and "shares:" in text
    assert ev.main(["--scenario", "no-such-home"]) == 2
    assert "No scenario named" in capsys.readouterr().err


def test_an_invalid_judged_set_stops_the_run(tmp_path, capsys):
    doc = {"scenarios": [{"name": "bad", "nation": "atlantis", "home": {"lat": 0, "lon": 0},
                          "partners": [], "judged": [{"partner": "x", "grade": 3}]}]}
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    assert ev.main(["--data", str(tmp_path)]) == 2
    assert "unknown nation" in capsys.readouterr().err
