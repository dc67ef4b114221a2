"""Network allocation: assign partners to care homes, fairly or for the highest total score.

The problem is a bipartite transportation problem. Each candidate pair (home ``h``, partner
``p``) with score ``s`` is a variable ``x`` in [0, 1]; each home takes at most its number of
slots, each partner at most its remaining capacity. Maximise ``sum(s * x)``.

Its constraint matrix is the incidence matrix of a bipartite graph, which is totally
unimodular, so with whole-number capacities every vertex of the feasible region is integral
and the simplex optimum *is* the best whole assignment: no rounding, no heuristics, and never
worse than the greedy "best pair first" rule (which can be). HiGHS (through scipy)
returns such a vertex (simplex, or interior point followed by crossover); should it ever hand
back a fractional point, the same model is solved again as an integer programme, which on
this structure closes at the root.

Two strategies:

* ``total``: maximise ``sum(s * x)`` as above. One home may fill all its slots with strong
  partners while a neighbour that could have had one of them gets nobody.
* ``fair`` (what coordinators get by default): first as many homes as possible get one
  partner, then the total score is maximised among the allocations that reach that number.
  Each home gets a "served" variable ``y <= 1`` with ``y <= sum of its pairs``, worth more
  than all scores together (``sum(s) + 1``), so serving one more home always beats any gain
  in score: the optimum is exactly lexicographic, with no weight of fairness against score
  to tune. The extra rows can spoil total unimodularity, so a fractional answer is solved
  again as an integer programme (on the national networks measured it never was).

Pure numpy/scipy: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

__all__ = ["STRATEGIES", "Allocation", "AllocationError", "allocate", "unlimited_capacity",
           "unserved_homes"]

STRATEGIES = ("fair", "total")

_INTEGRAL_TOLERANCE = 1e-6


class AllocationError(ValueError):
    """The allocation inputs are inconsistent (shapes, negative capacities, bad indices)."""


@dataclass(frozen=True)
class Allocation:
    """The chosen pairs as indices into the caller's home and partner lists.

    ``pairs`` holds ``(home_index, partner_index)`` sorted by home then by score (best first);
    ``scores`` is aligned with ``pairs``; ``total`` is their sum.
    """

    pairs: list[tuple[int, int]]
    scores: list[float]
    total: float

    def by_home(self) -> dict[int, list[tuple[int, float]]]:
        """``{home_index: [(partner_index, score), ...]}`` for the homes that were given any."""
        out: dict[int, list[tuple[int, float]]] = {}
        for (home, partner), score in zip(self.pairs, self.scores, strict=True):
            out.setdefault(home, []).append((partner, score))
        return out


def unlimited_capacity(n_homes: int) -> int:
    """The capacity that stands for "no limit": a partner can never be given to more homes
    than there are, and each pair at most once."""
    return max(int(n_homes), 0)


def _as_capacity(value: int | Sequence[int] | np.ndarray, size: int, what: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        array = np.full(size, float(array))
    if array.shape != (size,):
        raise AllocationError(f"{what} must have one entry per {what.split('_')[0]}")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise AllocationError(f"{what} must be finite and not negative")
    if np.any(array != np.floor(array)):
        raise AllocationError(f"{what} must be whole numbers")
    return array


def allocate(home_index: Sequence[int] | np.ndarray, partner_index: Sequence[int] | np.ndarray,
             scores: Sequence[float] | np.ndarray, *, n_homes: int, n_partners: int,
             home_slots: int | Sequence[int] | np.ndarray,
             partner_capacity: int | Sequence[int] | np.ndarray,
             strategy: str = "total") -> Allocation:
    """Choose candidate pairs maximising the total score within every capacity.

    The candidates are given as three aligned arrays (a sparse score matrix): pair ``k`` links
    home ``home_index[k]`` with partner ``partner_index[k]`` at ``scores[k]``. A pair listed
    twice keeps its best score. Pairs scoring zero or less are never chosen (they add
    nothing). ``home_slots`` is how many partners each home may get (one number for all, or
    one per home); ``partner_capacity`` how many homes each partner may take (see
    :func:`unlimited_capacity`). Returns the optimal :class:`Allocation`; ties between equally
    good allocations are broken by the solver, deterministically for the same input.
    ``strategy`` is ``"total"`` or ``"fair"`` (see the module's notes).
    """
    if strategy not in STRATEGIES:
        raise AllocationError(f"strategy must be one of: {', '.join(STRATEGIES)}")
    rows = np.asarray(home_index, dtype=np.int64).ravel()
    cols = np.asarray(partner_index, dtype=np.int64).ravel()
    values = np.asarray(scores, dtype=float).ravel()
    if not (rows.shape == cols.shape == values.shape):
        raise AllocationError("home_index, partner_index and scores must be the same length")
    if n_homes < 0 or n_partners < 0:
        raise AllocationError("n_homes and n_partners must not be negative")
    if len(rows) and (rows.min() < 0 or rows.max() >= n_homes):
        raise AllocationError("a home index is out of range")
    if len(cols) and (cols.min() < 0 or cols.max() >= n_partners):
        raise AllocationError("a partner index is out of range")
    if not np.all(np.isfinite(values)):
        raise AllocationError("scores must be finite")
    slots = _as_capacity(home_slots, n_homes, "home_slots")
    capacity = _as_capacity(partner_capacity, n_partners, "partner_capacity")

    keep = (values > 0) & (slots[rows] > 0) & (capacity[cols] > 0)
    rows, cols, values = rows[keep], cols[keep], values[keep]
    if not len(rows):
        return Allocation([], [], 0.0)
    # Collapse duplicate pairs to their best score: the model allows each pair once.
    order = np.lexsort((-values, cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, values = rows[first], cols[first], values[first]

    # Only homes and partners that appear need a constraint row.
    used_homes, home_row = np.unique(rows, return_inverse=True)
    used_partners, partner_row = np.unique(cols, return_inverse=True)
    n = len(values)
    arange = np.arange(n)
    a_homes = sparse.csr_matrix((np.ones(n), (home_row, arange)), shape=(len(used_homes), n))
    a_partners = sparse.csr_matrix((np.ones(n), (partner_row, arange)),
                                   shape=(len(used_partners), n))
    a_ub = sparse.vstack([a_homes, a_partners], format="csr")
    b_ub = np.concatenate([slots[used_homes], capacity[used_partners]])

    if strategy == "fair":
        x = _solve_fair(values, home_row, len(used_homes), a_ub, b_ub)
    else:
        x = _solve_lp(values, a_ub, b_ub)
        if x is None or np.any(np.abs(x - np.round(x)) > _INTEGRAL_TOLERANCE):
            x = _solve_integer(values, a_ub, b_ub)
    chosen = np.flatnonzero(np.round(x) >= 1)
    # Best first within each home, so callers can present the list as it is.
    chosen = chosen[np.lexsort((-values[chosen], rows[chosen]))]
    pairs = [(int(rows[k]), int(cols[k])) for k in chosen]
    picked = [float(values[k]) for k in chosen]
    return Allocation(pairs, picked, float(np.sum(picked)) if picked else 0.0)


def unserved_homes(home_index: Sequence[int] | np.ndarray, n_homes: int,
                   allocation: Allocation) -> dict[int, str]:
    """Why each home that got nobody got nobody: ``"no_partner_in_reach"`` (no candidate pair
    at all) or ``"all_taken"`` (candidates, but their capacity went to other homes)."""
    candidates = set(np.asarray(home_index, dtype=np.int64).ravel().tolist())
    served = {home for home, _ in allocation.pairs}
    return {h: ("all_taken" if h in candidates else "no_partner_in_reach")
            for h in range(n_homes) if h not in served}


def _solve_fair(values: np.ndarray, home_row: np.ndarray, n_used_homes: int,
                a_ub, b_ub: np.ndarray) -> np.ndarray:
    """``x`` per pair for the fair strategy: most homes served first, then the best total."""
    n = len(values)
    # One more variable per home, "served" (at most 1, at most the home's number of pairs),
    # worth more than every score together: one more home served always wins.
    served_weight = float(values.sum()) + 1.0
    a_homes = sparse.csr_matrix((np.ones(n), (home_row, np.arange(n))), shape=(n_used_homes, n))
    a_fair = sparse.vstack([
        sparse.hstack([a_ub, sparse.csr_matrix((a_ub.shape[0], n_used_homes))]),
        sparse.hstack([-a_homes, sparse.identity(n_used_homes)]),
    ], format="csr")
    b_fair = np.concatenate([b_ub, np.zeros(n_used_homes)])
    objective = np.concatenate([values, np.full(n_used_homes, served_weight)])
    x = _solve_lp(objective, a_fair, b_fair)
    if x is None or np.any(np.abs(x - np.round(x)) > _INTEGRAL_TOLERANCE):
        x = _solve_integer(objective, a_fair, b_fair)
    return x[:n]


def _solve_lp(values: np.ndarray, a_ub, b_ub: np.ndarray) -> np.ndarray | None:
    # scipy.optimize takes half a second to import: only allocations need it, not every worker.
    from scipy.optimize import linprog

    result = linprog(-values, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    if result.status != 0 or result.x is None:
        return None
    return result.x


def _solve_integer(values: np.ndarray, a_ub, b_ub: np.ndarray) -> np.ndarray:
    from scipy.optimize import Bounds, LinearConstraint, milp

    constraint = LinearConstraint(a_ub, -np.inf, b_ub)
    result = milp(-values, constraints=constraint, integrality=np.ones(len(values)),
                  bounds=Bounds(0, 1))
    if result.x is None:  # pragma: no cover - x = 0 is always feasible
        raise AllocationError(f"the allocation could not be solved: {result.message}")
    return result.x
