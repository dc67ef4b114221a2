"""Time the allocation solver at a nation's size: the fair strategy against the total one.

    python scripts/bench_allocation.py --homes 11000 --partners 600000 --candidates 25

England has about 11,000 care homes for older people (CQC) and the largest synthetic network
a million partners; each home brings its best ``--candidates`` partners (as the service does).
Scores, capacities and which partners each home reaches are drawn so that neighbouring homes
compete for the same partners. Prints the solve time, homes served and total score of both
strategies, measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matcher.domain.allocation import allocate  # noqa: E402


def network(homes: int, partners: int, candidates: int, seed: int):
    """Candidate pairs where homes near each other (in id order) share partners."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(homes), candidates)
    centre = (np.arange(homes) * (partners / homes)).astype(np.int64)
    spread = np.maximum(1, int(candidates * 2))
    cols = (np.repeat(centre, candidates) + rng.integers(-spread, spread, homes * candidates))
    cols = np.clip(cols, 0, partners - 1)
    scores = rng.beta(2, 3, homes * candidates)
    # A tenth of the homes are rural: few partners reach them.
    rural = rng.random(homes) < 0.1
    keep = ~np.repeat(rural, candidates) | (rng.random(homes * candidates) < 0.1)
    capacity = rng.integers(0, 3, partners)
    return rows[keep], cols[keep], scores[keep], capacity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=11000)
    parser.add_argument("--partners", type=int, default=600000)
    parser.add_argument("--candidates", type=int, default=25)
    parser.add_argument("--per-home", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows, cols, scores, capacity = network(args.homes, args.partners, args.candidates,
                                           args.seed)
    print(f"{args.homes:,} homes, {args.partners:,} partners, {len(rows):,} candidate pairs, "
          f"{args.per_home} per home")
    for strategy in ("total", "fair"):
        started = time.perf_counter()
        result = allocate(rows, cols, scores, n_homes=args.homes, n_partners=args.partners,
                          home_slots=args.per_home, partner_capacity=capacity,
                          strategy=strategy)
        elapsed = time.perf_counter() - started
        served = len(result.by_home())
        print(f"{strategy:<6} {elapsed:6.2f} s  homes served {served:,} "
              f"({args.homes - served:,} with nobody)  links {len(result.pairs):,}  "
              f"total score {result.total:,.1f}")


if __name__ == "__main__":
    main()
