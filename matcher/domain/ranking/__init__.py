"""Ranking of community partners for care homes (and of homes for partners).

Pure Python + numpy/scipy/scikit-learn; see `ranker` for how scores and order are decided.
"""

from .components import resolve_weights
from .explain import Reason
from .ranker import Ranker
from .types import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    SLOTS,
    Filters,
    Home,
    HomeMatch,
    Match,
    Partner,
    PartnerTable,
    Weights,
    describe_slots,
    encode_availability,
)

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "SLOTS",
    "Filters",
    "Home",
    "HomeMatch",
    "Match",
    "Partner",
    "PartnerTable",
    "Ranker",
    "Reason",
    "Weights",
    "describe_slots",
    "encode_availability",
    "resolve_weights",
]
