"""The network allocation solver: optimal (not greedy) within every capacity."""

from __future__ import annotations

import time

import numpy as np
import pytest

from matcher.domain.allocation import (
    AllocationError,
    allocate,
    unlimited_capacity,
    unserved_homes,
)


def greedy(rows, cols, scores, *, home_slots, partner_capacity):
    """The obvious rule a coordinator might apply by hand: best remaining pair first."""
    slots = dict(enumerate(home_slots)) if not np.isscalar(home_slots) else None
    used_home: dict[int, int] = {}
    used_partner: dict[int, int] = {}
    total = 0.0
    for k in np.argsort(-np.asarray(scores), kind="stable"):
        h, p, s = int(rows[k]), int(cols[k]), float(scores[k])
        limit = slots[h] if slots is not None else home_slots
        if used_home.get(h, 0) < limit and used_partner.get(p, 0) < partner_capacity[p]:
            used_home[h] = used_home.get(h, 0) + 1
            used_partner[p] = used_partner.get(p, 0) + 1
            total += s
    return total


def brute_force(rows, cols, scores, *, n_homes, n_partners, home_slots, partner_capacity):
    best = 0.0
    n = len(scores)
    for mask in range(1 << n):
        chosen = [k for k in range(n) if mask >> k & 1]
        homes = np.bincount([rows[k] for k in chosen], minlength=n_homes)
        partners = np.bincount([cols[k] for k in chosen], minlength=n_partners)
        if np.any(homes > home_slots) or np.any(partners > partner_capacity):
            continue
        best = max(best, sum(scores[k] for k in chosen))
    return best


def check_feasible(result, *, home_slots, partner_capacity):
    homes = np.bincount([h for h, _ in result.pairs], minlength=len(home_slots))
    partners = np.bincount([p for _, p in result.pairs], minlength=len(partner_capacity))
    assert np.all(homes <= home_slots)
    assert np.all(partners <= partner_capacity)
    assert len(set(result.pairs)) == len(result.pairs)


def test_beats_greedy_where_greedy_goes_wrong():
    # One choir (capacity 1) is the best match for both homes, but home 1 has nobody else,
    # while home 0 has a nearly-as-good school. Greedy gives the choir to home 0 and leaves
    # home 1 with nothing; the optimum sends the school to home 0 and the choir to home 1.
    rows = np.array([0, 0, 1])
    cols = np.array([0, 1, 0])  # partner 0 = the choir, partner 1 = the school
    scores = np.array([0.9, 0.8, 0.85])
    capacity = np.array([1, 1])
    result = allocate(rows, cols, scores, n_homes=2, n_partners=2, home_slots=1,
                      partner_capacity=capacity)
    greedy_total = greedy(rows, cols, scores, home_slots=1, partner_capacity=capacity)
    assert greedy_total == pytest.approx(0.9)
    assert result.total == pytest.approx(1.65)
    assert result.total > greedy_total
    assert sorted(result.pairs) == [(0, 1), (1, 0)]
    assert result.by_home() == {0: [(1, 0.8)], 1: [(0, 0.85)]}


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force_on_small_random_networks(seed):
    rng = np.random.default_rng(seed)
    n_homes, n_partners = rng.integers(2, 5), rng.integers(2, 5)
    pairs = [(h, p) for h in range(n_homes) for p in range(n_partners)]
    rng.shuffle(pairs)
    pairs = pairs[: rng.integers(3, min(len(pairs), 12) + 1)]
    rows = np.array([h for h, _ in pairs])
    cols = np.array([p for _, p in pairs])
    # Coarse scores make ties (and so several optima) common, which is the hard case.
    scores = rng.integers(1, 6, size=len(pairs)) / 5
    slots = rng.integers(1, 3, size=n_homes)
    capacity = rng.integers(0, 3, size=n_partners)
    result = allocate(rows, cols, scores, n_homes=n_homes, n_partners=n_partners,
                      home_slots=slots, partner_capacity=capacity)
    best = brute_force(rows, cols, scores, n_homes=n_homes, n_partners=n_partners,
                       home_slots=slots, partner_capacity=capacity)
    assert result.total == pytest.approx(best)
    check_feasible(result, home_slots=slots, partner_capacity=capacity)
    assert result.total >= greedy(rows, cols, scores, home_slots=slots,
                                  partner_capacity=capacity) - 1e-9


def test_each_home_gets_its_best_pairs_first_and_at_most_its_slots():
    rows = np.repeat(np.arange(3), 4)
    cols = np.tile(np.arange(4), 3)
    scores = np.linspace(0.1, 0.9, 12)
    result = allocate(rows, cols, scores, n_homes=3, n_partners=4, home_slots=2,
                      partner_capacity=unlimited_capacity(3))
    by_home = result.by_home()
    assert all(len(v) == 2 for v in by_home.values())
    for picks in by_home.values():
        assert [s for _, s in picks] == sorted((s for _, s in picks), reverse=True)
    assert result.total == pytest.approx(sum(result.scores))


def test_zero_capacity_and_worthless_pairs_are_never_chosen():
    result = allocate([0, 0, 1], [0, 1, 1], [0.7, 0.0, 0.5], n_homes=2, n_partners=2,
                      home_slots=1, partner_capacity=[0, 5])
    assert result.pairs == [(1, 1)]


def test_duplicate_pairs_count_once_at_their_best_score():
    result = allocate([0, 0], [0, 0], [0.2, 0.6], n_homes=1, n_partners=1, home_slots=3,
                      partner_capacity=3)
    assert result.pairs == [(0, 0)] and result.scores == [0.6]


def test_empty_input_gives_an_empty_allocation():
    result = allocate([], [], [], n_homes=0, n_partners=0, home_slots=1, partner_capacity=[])
    assert result.pairs == [] and result.total == 0.0


@pytest.mark.parametrize("kwargs, message", [
    ({"partner_capacity": [-1, 1]}, "not negative"),
    ({"partner_capacity": [1]}, "one entry per partner"),
    ({"partner_capacity": [1.5, 1]}, "whole numbers"),
    ({"home_slots": [1, 1, 1]}, "one entry per home"),
])
def test_bad_capacities_are_refused(kwargs, message):
    args = {"home_slots": 1, "partner_capacity": [1, 1]} | kwargs
    with pytest.raises(AllocationError, match=message):
        allocate([0, 1], [0, 1], [0.5, 0.5], n_homes=2, n_partners=2, **args)


def test_out_of_range_indices_are_refused():
    with pytest.raises(AllocationError, match="out of range"):
        allocate([0, 5], [0, 1], [0.5, 0.5], n_homes=2, n_partners=2, home_slots=1,
                 partner_capacity=1)


def test_a_whole_nation_solves_in_seconds():
    # England-sized: 14,000 homes with 25 candidates each among 40,000 partners.
    rng = np.random.default_rng(7)
    n_homes, n_partners, k = 14_000, 40_000, 25
    rows = np.repeat(np.arange(n_homes), k)
    cols = rng.integers(0, n_partners, size=n_homes * k)
    scores = rng.random(n_homes * k)
    capacity = rng.integers(0, 4, size=n_partners)
    started = time.perf_counter()
    result = allocate(rows, cols, scores, n_homes=n_homes, n_partners=n_partners,
                      home_slots=3, partner_capacity=capacity)
    elapsed = time.perf_counter() - started
    check_feasible(result, home_slots=np.full(n_homes, 3), partner_capacity=capacity)
    assert result.total > greedy(rows, cols, scores, home_slots=3, partner_capacity=capacity)
    assert elapsed < 30, f"took {elapsed:.1f} s"


def test_brute_force_helper_agrees_with_hand_worked_example():
    # Guards the oracle itself: the worked example above has optimum 1.65.
    assert brute_force([0, 0, 1], [0, 1, 0], [0.9, 0.8, 0.85], n_homes=2, n_partners=2,
                       home_slots=np.array([1, 1]), partner_capacity=np.array([1, 1])
                       ) == pytest.approx(1.65)



# --- the fair strategy ------------------------------------------------------------------------

def brute_force_fair(rows, cols, scores, *, n_homes, n_partners, home_slots, partner_capacity):
    """The best (homes served, total score) over every feasible subset, lexicographically."""
    best = (0, 0.0)
    n = len(scores)
    for mask in range(1 << n):
        chosen = [k for k in range(n) if mask >> k & 1 and scores[k] > 0]
        homes = np.bincount([rows[k] for k in chosen], minlength=n_homes)
        partners = np.bincount([cols[k] for k in chosen], minlength=n_partners)
        if np.any(homes > home_slots) or np.any(partners > partner_capacity):
            continue
        value = (int(np.count_nonzero(homes)), round(sum(scores[k] for k in chosen), 9))
        best = max(best, value)
    return best


def test_fair_gives_every_reachable_home_one_before_any_home_gets_a_second():
    # Home 0 likes partners A (0.9) and B (0.8); home 1 reaches only A (0.5); each partner
    # takes one home. The highest total gives home 0 both and home 1 nobody.
    rows, cols, scores = [0, 0, 1], [0, 1, 0], [0.9, 0.8, 0.5]
    total = allocate(rows, cols, scores, n_homes=3, n_partners=2, home_slots=2,
                     partner_capacity=1, strategy="total")
    fair = allocate(rows, cols, scores, n_homes=3, n_partners=2, home_slots=2,
                    partner_capacity=1, strategy="fair")
    assert sorted(total.pairs) == [(0, 0), (0, 1)] and total.total == pytest.approx(1.7)
    assert sorted(fair.pairs) == [(0, 1), (1, 0)] and fair.total == pytest.approx(1.3)
    assert unserved_homes(rows, 3, total) == {1: "all_taken", 2: "no_partner_in_reach"}
    assert unserved_homes(rows, 3, fair) == {2: "no_partner_in_reach"}


@pytest.mark.parametrize("seed", range(40))
def test_fair_is_lexicographically_best_on_small_random_networks(seed):
    rng = np.random.default_rng(1000 + seed)
    n_homes, n_partners = rng.integers(2, 5), rng.integers(2, 5)
    pairs = [(h, p) for h in range(n_homes) for p in range(n_partners)]
    rng.shuffle(pairs)
    pairs = pairs[: rng.integers(3, min(len(pairs), 12) + 1)]
    rows = np.array([h for h, _ in pairs])
    cols = np.array([p for _, p in pairs])
    scores = rng.integers(1, 6, size=len(pairs)) / 5
    slots = rng.integers(1, 4, size=n_homes)
    capacity = rng.integers(0, 3, size=n_partners)
    result = allocate(rows, cols, scores, n_homes=n_homes, n_partners=n_partners,
                      home_slots=slots, partner_capacity=capacity, strategy="fair")
    check_feasible(result, home_slots=slots, partner_capacity=capacity)
    served, best_total = brute_force_fair(rows, cols, scores, n_homes=n_homes,
                                          n_partners=n_partners, home_slots=slots,
                                          partner_capacity=capacity)
    assert len(result.by_home()) == served
    assert result.total == pytest.approx(best_total)


def test_an_unknown_strategy_is_refused():
    with pytest.raises(AllocationError, match="strategy"):
        allocate([0], [0], [0.5], n_homes=1, n_partners=1, home_slots=1, partner_capacity=1,
                 strategy="greedy")
