"""Plain-English reasons for matches; built only for the few matches that are shown."""

from __future__ import annotations

from collections.abc import Sequence

from .types import describe_slots

MAX_LISTED = 5


def distance_reason(km: float) -> str:
    """"2.3 km away"; "under 100 m away" when very close."""
    if km < 0.1:
        return "under 100 m away"
    return f"{km:.1f} km away"


def listing(items: Sequence[str], limit: int = MAX_LISTED) -> str:
    """"a, b and c"; long lists end "and N more"."""
    items = list(items)
    if len(items) > limit:
        extra = len(items) - limit
        items = items[:limit] + [f"{extra} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def interests_reason(shared: Sequence[str]) -> str:
    """"shares interests: singing, gardening"."""
    return "shares interests: " + ", ".join(list(shared)[:MAX_LISTED]) + (
        f" and {len(shared) - MAX_LISTED} more" if len(shared) > MAX_LISTED else ""
    )


def residents(count: int) -> str:
    """"1 resident" / "6 residents"."""
    return f"{count} resident{'' if count == 1 else 's'}"


def language_reason(name: str, count: int) -> str:
    """"speaks Polish, like 6 residents"."""
    return f"speaks {name}, like {residents(count)}"


def home_language_reason(name: str, count: int) -> str:
    """Reverse matching: "6 residents speak Polish"."""
    verb = "speaks" if count == 1 else "speak"
    return f"{residents(count)} {verb} {name}"


def availability_reason(slots: Sequence[str]) -> str:
    """"can visit on Saturday afternoons"."""
    return f"can visit on {describe_slots(slots)}"


def capacity_reason(remaining: int) -> str:
    """"has capacity for 2 more visits a month"."""
    return f"has capacity for {remaining} more visit{'' if remaining == 1 else 's'} a month"


REMOTE_WHILE_RESTRICTED = "offers video calls or letters while visits are restricted"
PAUSED_WHILE_RESTRICTED = "in-person visits paused while visits are restricted"
REMOTE_WHILE_CLOSED = "offers video calls or letters while the home is closed to visitors"
HOME_RESTRICTED_REMOTE = "visits are restricted: video calls or letters are welcome"
HOME_CLOSED_REMOTE = "closed to visitors: video calls or letters only"
