"""What the parsers hand back: records, rejections, the parse result and the errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

# Whatever is rejected, keep only this many reasons: past it a report is unreadable anyway.
MAX_REPORTED_REJECTIONS = 1000


class DirectoryFormatError(ValueError):
    """The file as a whole cannot be read: wrong layout, too big, corrupt or not a table."""


class RowError(Exception):
    """A row-level problem; becomes a :class:`Rejection`."""


@dataclass(frozen=True, slots=True)
class DirectoryRecord:
    """One care home from a directory file, with text as given (stripped)."""

    regulator: str | None
    external_id: str | None
    natural_key: str
    name: str
    address_line1: str | None
    address_line2: str | None
    town: str | None
    postcode: str
    local_authority: str | None
    places: int | None
    nursing: bool | None
    dementia: bool | None
    older_people: bool | None
    phone: str | None
    row_number: int


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """One community group from the groups CSV, values raw (validated later)."""

    external_id: str | None
    name: str
    kind: str | None
    description: str | None
    interests: tuple[str, ...]
    languages: tuple[str, ...]
    postcode: str
    travel_radius_km: float | None
    availability: tuple[str, ...]
    capacity_per_month: int | None
    offers_remote: bool | None
    works_with_children: bool | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    row_number: int
    preferred_language: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A valid row that is not wanted (not an adult care home, dormant...), and why."""

    reason: str


NOT_A_CARE_HOME = Skip("not care homes")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that could not be used, with its 1-based line or row number in the source."""

    row_number: int
    reason: str


@dataclass
class ParseResult(Generic[T]):
    """What a parse found.

    ``records`` stays empty when an ``on_record`` callback consumed them; ``record_count``
    counts them either way. ``rejected`` keeps the first :data:`MAX_REPORTED_REJECTIONS`;
    ``rejected_count`` counts all. ``skipped`` counts rows that are valid but not wanted,
    ``skipped_reasons`` the same rows by reason (``{"children's services": 3}``).
    ``regulator`` is the layout's regulator (None for our own CSV, whose rows may come
    from any of them).
    """

    layout: str
    container: str
    sheet: str | None
    header_row: int
    records: list[T] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    record_count: int = 0
    rejected_count: int = 0
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    regulator: str | None = None


# ---------------------------------------------------------------------------------------------
# Layouts
