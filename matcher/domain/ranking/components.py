"""The scoring model, shared by both directions (home -> partners and partner -> homes).

Each component is a named function giving values in [0, 1]; the score is their weighted sum
divided by the sum of the weights (`score`; 0 when every weight is 0, `weight_sum`), the
weights being a vector keyed by component name (`weight_vector`, in `COMPONENTS` order).
`resolve_weights` is the one place that decides which weights a query uses: the configured
ones, overlaid by those of the request.

The sum is computed in a fixed order, distance-free terms first (`partial_score`) and then
distance and availability (`finish_score`), so that the candidate search can bound scores
before it knows distances and both directions give the same floating-point result.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .types import AVAILABILITY_UNKNOWN, COMPONENTS, Weights

__all__ = ["COMPONENTS", "FUNCTIONS", "LANGUAGE_FACTOR_CAP", "finish_score", "language_factor",
           "partial_score", "resolve_weights", "score", "weight_vector"]

UNKNOWN = np.uint32(AVAILABILITY_UNKNOWN)
SLOT_BITS = np.uint32(int(AVAILABILITY_UNKNOWN) - 1)

# Positions of the components in a weight vector.
DISTANCE = COMPONENTS.index("distance")
INTERESTS = COMPONENTS.index("interests")
LANGUAGE = COMPONENTS.index("language")
AVAILABILITY = COMPONENTS.index("availability")
CAPACITY = COMPONENTS.index("capacity")


def resolve_weights(configured: Mapping | Weights | None,
                    requested: Mapping | Weights | None = None) -> Weights:
    """The weights a query uses: ``requested`` (a partial mapping) over ``configured``
    (a partial mapping over `DEFAULT_WEIGHTS`). Nothing else decides weights."""
    base = Weights.from_mapping(configured)
    return base if requested is None else Weights.from_mapping(requested, base)


# Language by need: the language weight is multiplied by (1 + SHARE_GAIN * share), and by
# DEMENTIA_GAIN more in dementia care, at most LANGUAGE_FACTOR_CAP times in all.
SHARE_GAIN = 2.0
DEMENTIA_GAIN = 1.5
LANGUAGE_FACTOR_CAP = 3.0


def language_factor(share, dementia=False):
    """How much the language weight grows with need: ``min(3, (1 + 2 * share) * (1.5 if
    dementia care else 1))``, ``share`` being the share of residents whose language is not
    English. With two thirds of residents speaking Welsh the weight is 2.3 times the
    configured one; in a dementia home, where a mother tongue may be the only way to reach
    someone, 3 times. Arrays give one factor per home."""
    factor = 1.0 + SHARE_GAIN * np.clip(share, 0.0, 1.0)
    factor = factor * np.where(dementia, DEMENTIA_GAIN, 1.0)
    factor = np.minimum(factor, LANGUAGE_FACTOR_CAP)
    return float(factor) if np.ndim(factor) == 0 else factor


def weight_vector(weights: Weights, english_only=False, language_factor=1.0) -> np.ndarray:
    """Weights in `COMPONENTS` order, the language weight multiplied by ``language_factor``
    (see `language_factor`). For homes whose residents all speak English (or have no
    languages recorded) the language weight is dropped, i.e. spread proportionally over the
    others; ``english_only`` and ``language_factor`` may be arrays (one row per home)."""
    w = np.array(weights.as_tuple(), dtype=np.float64)
    if np.ndim(english_only) == 0 and np.ndim(language_factor) == 0:
        w[LANGUAGE] = 0.0 if english_only else w[LANGUAGE] * float(language_factor)
        return w
    n = len(english_only) if np.ndim(english_only) else len(language_factor)
    rows = np.tile(w, (n, 1))
    rows[:, LANGUAGE] *= np.broadcast_to(np.asarray(language_factor, dtype=np.float64), (n,))
    rows[np.broadcast_to(np.asarray(english_only, dtype=bool), (n,)), LANGUAGE] = 0.0
    return rows


def weight_sum(w: np.ndarray):
    """Sum of a weight vector (or of each row), 1 where it is 0 so that scores stay 0."""
    total = w.sum(axis=-1)
    if np.ndim(total) == 0:
        total = float(total)
        return total if total > 0 else 1.0
    return np.where(total > 0, total, 1.0)


# ----------------------------------------------------------------------------- components
def distance(km: np.ndarray, reach_km: np.ndarray) -> np.ndarray:
    """``1 - d / r``: 1 next door, 0 at the reach (the smaller of both radii)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(reach_km > 0, 1.0 - km / reach_km, 1.0)
    np.clip(value, 0.0, 1.0, out=value)
    return value


# Share of one interest a partner earns by sharing only its broad category (never a claim);
# however many interests it meets that way, it earns this at most once.
PARTIAL_CREDIT = 0.2
# Interests one partner can serve in full: a group's visits bring one or a few activities, so
# serving three of a home's ten interests is a full match, and a home listing two is fully
# served by a partner serving both.
FULL_COVERAGE_AT = 3


def interests(served: np.ndarray, partial: np.ndarray | None = None,
              partial_credit: float = PARTIAL_CREDIT) -> np.ndarray:
    """Coverage: how much of what the residents enjoy the partner serves. ``served`` and
    ``partial`` are boolean ``(candidates, interests)`` matrices (`coverage.served_matrix`).
    Each interest served counts fully, out of the home's interests but at most
    `FULL_COVERAGE_AT`; sharing only broad categories adds ``partial_credit`` once. So a shared
    category alone never comes near 100%, and serving several of the residents' interests
    beats serving one."""
    served = np.asarray(served, dtype=bool)
    n_served = served.sum(axis=-1, dtype=np.float64)
    n_partial = 0.0 if partial is None else np.asarray(partial, dtype=bool).sum(axis=-1)
    return coverage_share(n_served, n_partial, served.shape[-1], partial_credit)


def coverage_share(n_served, n_partial, n_items, partial_credit: float = PARTIAL_CREDIT):
    """`interests` from counts: ``(served + partial_credit * [any partial]) / min(interests,
    FULL_COVERAGE_AT)``, at most 1; 0 for a home without interests (arrays broadcast; reverse
    matching counts per home)."""
    n_items = np.asarray(n_items, dtype=np.float64)
    value = (np.asarray(n_served, dtype=np.float64)
             + partial_credit * (np.asarray(n_partial) > 0))
    full = np.minimum(n_items, FULL_COVERAGE_AT)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n_items > 0, value / np.maximum(full, 1.0), 0.0)
    return np.minimum(share, 1.0)


def language(share: np.ndarray) -> np.ndarray:
    """Share of the residents (those not speaking English) whose language the partner
    speaks."""
    return np.minimum(share, 1.0)


def availability(masks: np.ndarray, mask: int, counts: np.ndarray | None = None) -> np.ndarray:
    """Shared slots over the smaller of the two schedules; 0.5 where either is unknown.

    ``masks`` are the schedules of the candidates (with their slot ``counts`` if known),
    ``mask`` the schedule of the one home or partner they are compared with.
    """
    mask = int(mask)
    if mask & int(UNKNOWN):
        return np.full(len(masks), 0.5)
    if counts is None:
        counts = np.bitwise_count(masks & SLOT_BITS)
    both = np.minimum(counts, (mask & int(SLOT_BITS)).bit_count())
    overlap = np.bitwise_count(masks & np.uint32(mask))
    value = np.where(both > 0, overlap / np.maximum(both, 1), 0.0)
    value[(masks & UNKNOWN) > 0] = 0.5
    return value


def capacity(capacity_per_month: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Remaining share of the monthly capacity; 0.5 when the capacity is unknown (< 0)."""
    capacity_per_month = np.asarray(capacity_per_month)
    remaining = capacity_per_month - np.asarray(active)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip(remaining / np.maximum(capacity_per_month, 1), 0.0, 1.0)
    return np.where(capacity_per_month < 0, 0.5, share)


# Every component of the catalogue has its function here (importing fails otherwise).
FUNCTIONS = {name: globals()[name] for name in COMPONENTS}


# --------------------------------------------------------------------------------- scorer
def partial_score(w: np.ndarray, interests_: np.ndarray, language_: np.ndarray,
                  capacity_: np.ndarray) -> np.ndarray:
    """The weighted terms that do not depend on distance or availability (not divided)."""
    partial = w[..., INTERESTS] * interests_
    partial += w[..., LANGUAGE] * language_
    partial += w[..., CAPACITY] * capacity_
    return partial


def finish_score(w: np.ndarray, partial: np.ndarray, distance_: np.ndarray,
                 availability_: np.ndarray, total=None) -> np.ndarray:
    """`partial_score` plus distance and availability, divided by the sum of the weights."""
    out = w[..., DISTANCE] * distance_
    out += partial
    wa = w[..., AVAILABILITY]
    if np.ndim(wa) or wa:  # adding 0 * availability changes nothing
        out += wa * availability_
    out /= weight_sum(w) if total is None else total
    return out


def score(w: np.ndarray, components: Mapping[str, np.ndarray]) -> np.ndarray:
    """``sum(w * component) / sum(w)`` for components keyed by name."""
    partial = partial_score(w, components["interests"], components["language"],
                            components["capacity"])
    return finish_score(w, partial, components["distance"], components["availability"])
