"""The vocabulary of Kith, in one place: every other module reads it from here.

Nations, group kinds, availability slots, care types, facilities, regulators, statuses (with
the introduction lifecycle) and the ranking components with their default weights. Each term
has a stable code (stored in the database and used by the API) and an English label; the
labels are wrapped for translation at the edge (pages, emails, CSV), never here. Adding a
group kind is one entry in ``GROUP_KINDS`` (plus its translations).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "CARE_HOME_STATUSES",
    "CARE_TYPES",
    "CORRESPONDENCE_LANGUAGES",
    "DAYS",
    "DAY_PARTS",
    "Day",
    "DayPart",
    "FACILITIES",
    "GROUP_KINDS",
    "GROUP_EXISTING_STATUSES",
    "GROUP_PURGEABLE_STATUSES",
    "GROUP_STATUSES",
    "INTRODUCTION_CONTACT_STATUSES",
    "INTRODUCTION_CREATE_STATUSES",
    "INTRODUCTION_FUNNEL_STAGES",
    "INTRODUCTION_OPEN_STATUSES",
    "INTRODUCTION_STAFF_STATUSES",
    "INTRODUCTION_STATUSES",
    "INTRODUCTION_TRANSITIONS",
    "NATIONS",
    "NATION_FOR_GSS_LETTER",
    "PRIVATE_KINDS",
    "RANKING_COMPONENTS",
    "DEFAULT_WEIGHTS",
    "REGULATORS",
    "REGULATOR_FOR_NATION",
    "REMOTE_MODES",
    "ROLES",
    "SAFEGUARDING_SCHEMES",
    "SAFEGUARDING_STATUSES",
    "SAFEGUARDING_UNCHECKED_FACTOR",
    "SCHEME_FOR_NATION",
    "SLOTS",
    "Term",
    "VISITING_STATUSES",
    "VISIT_MODES",
    "VISIT_OCCURRENCE_STATUSES",
    "VISIT_REPEATS",
    "VISIT_INTRODUCTION_STATUSES",
    "VISIT_STATES",
    "VisitMode",
    "codes",
    "kind_patterns",
    "labels",
    "tags",
]


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary: its stable ``code`` and English ``label``."""

    code: str
    label: str


@dataclass(frozen=True)
class Nation(Term):
    """A UK nation: its care regulator, the criminal-record check scheme for people who visit,
    and the letter its ONS (GSS) area codes start with."""

    regulator: str = ""
    safeguarding_scheme: str = ""
    gss_letter: str = ""


@dataclass(frozen=True)
class GroupKind(Term):
    """A kind of community partner.

    ``can_be_private_person``: the kind may be one private person (a volunteer, someone with
    a dog), so public outputs show only the postcode district. ``oruk_keywords``: a regular
    expression of words that suggest this kind in an Open Referral service's name or terms.
    """

    can_be_private_person: bool = False
    oruk_keywords: str = ""


@dataclass(frozen=True)
class Status(Term):
    """A status with the GOV.UK tag colour pages show it in; ``summary`` is the phrase a
    dashboard counts it with ("3 waiting to be introduced"), empty when it is not counted."""

    tag: str = "govuk-tag--grey"
    summary: str = ""


@dataclass(frozen=True)
class VisitingStatus(Status):
    """A care home's visiting status: ``choice`` and ``hint`` are how the profile form offers it."""

    choice: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Component(Term):
    """A ranking component in [0, 1] and its default weight in the score."""

    default_weight: float = 0.0
    description: str = ""


def codes(terms) -> tuple[str, ...]:
    """The codes of a vocabulary, in its order."""
    return tuple(t.code for t in terms)


def labels(terms) -> MappingProxyType:
    """``{code: English label}`` of a vocabulary, in its order."""
    return MappingProxyType({t.code: t.label for t in terms})


def tags(statuses) -> MappingProxyType:
    """``{code: GOV.UK tag class}`` of a vocabulary of statuses, in its order."""
    return MappingProxyType({s.code: s.tag for s in statuses})


# --- places and regulators ------------------------------------------------------------------

REGULATORS: tuple[Term, ...] = (
    Term("cqc", "Care Quality Commission"),
    Term("care_inspectorate", "Care Inspectorate"),
    Term("ciw", "Care Inspectorate Wales"),
    Term("rqia", "Regulation and Quality Improvement Authority"),
)

NATIONS: tuple[Nation, ...] = (
    Nation("england", "England", regulator="cqc", safeguarding_scheme="DBS", gss_letter="E"),
    Nation("scotland", "Scotland", regulator="care_inspectorate", safeguarding_scheme="PVG",
           gss_letter="S"),
    Nation("wales", "Wales", regulator="ciw", safeguarding_scheme="DBS", gss_letter="W"),
    Nation("northern-ireland", "Northern Ireland", regulator="rqia",
           safeguarding_scheme="AccessNI", gss_letter="N"),
)
REGULATOR_FOR_NATION = MappingProxyType({n.code: n.regulator for n in NATIONS})
NATION_FOR_GSS_LETTER = MappingProxyType({n.gss_letter: n.code for n in NATIONS})

ROLES: tuple[Term, ...] = (
    Term("admin", "Administrator"),
    Term("coordinator", "Network coordinator"),
    Term("care_home", "Care-home staff"),
)

# --- community groups -----------------------------------------------------------------------

GROUP_KINDS: tuple[GroupKind, ...] = (
    GroupKind("school", "School", oruk_keywords=(
        r"\b(schools?|academy|primary|secondary|college|sixth form|pupils?)\b")),
    GroupKind("nursery", "Nursery", oruk_keywords=(
        r"\b(nurser(y|ies)|pre-?schools?|playgroups?|early years|toddlers?)\b")),
    GroupKind("choir", "Choir", oruk_keywords=(
        r"\b(choirs?|choral|singing|singers?|chorus|glee)\b")),
    GroupKind("knitting_club", "Knitting club", oruk_keywords=(
        r"\b(knit\w*|crochet\w*|sewing|quilt\w*|yarn|stitch\w*)\b")),
    GroupKind("pet_walkers", "Pet visits / dog walkers", can_be_private_person=True,
              oruk_keywords=r"\b(pets?|dogs?|paws|animals?|pat ?dogs?|canine)\b"),
    GroupKind("volunteer", "Volunteer", can_be_private_person=True, oruk_keywords=(
        r"\b(volunteer\w*|befriend\w*|visiting service)\b")),
    GroupKind("faith_group", "Faith group", oruk_keywords=(
        r"\b(church\w*|chapels?|mosques?|synagogues?|temples?|gurdwaras?|"
        r"faith|parish|diocese|christian|muslim|jewish|sikh|hindu|buddhist)\b")),
    GroupKind("arts_group", "Arts group", oruk_keywords=(
        r"\b(arts?|crafts?|painting|theatre|drama|music|dance|poetry|museums?|"
        r"galler(y|ies))\b")),
    GroupKind("youth_group", "Youth group", oruk_keywords=(
        r"\b(youth|scouts?|guides?|brownies|cubs|beavers|cadets?|girlguiding|young people)\b")),
    GroupKind("sports_group", "Sports group", oruk_keywords=(
        r"\b(sports?|football|cricket|rugby|bowls|tai chi|yoga|exercise|fitness|swimming|"
        r"walking group)\b")),
    GroupKind("other", "Other", can_be_private_person=True),
)
PRIVATE_KINDS = frozenset(k.code for k in GROUP_KINDS if k.can_be_private_person)

# The order in which Open Referral keywords are tried: the more specific kinds first
# ("nursery school" is a nursery; "church choir" is a choir).
ORUK_KIND_ORDER = ("nursery", "school", "choir", "knitting_club", "pet_walkers", "faith_group",
                   "youth_group", "sports_group", "arts_group", "volunteer")


def kind_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Compiled Open Referral keyword patterns, in the order they are tried."""
    by_code = {k.code: k for k in GROUP_KINDS}
    return [(code, re.compile(by_code[code].oruk_keywords, re.IGNORECASE))
            for code in ORUK_KIND_ORDER if by_code[code].oruk_keywords]


GROUP_STATUSES: tuple[Status, ...] = (
    Status("pending", "Waiting for approval", "govuk-tag--yellow"),
    Status("approved", "Approved", "govuk-tag--green"),
    Status("paused", "Paused", "govuk-tag--grey"),
    Status("withdrawn", "Withdrawn", "govuk-tag--grey"),
    Status("rejected", "Not approved", "govuk-tag--red"),
)
# Registrations in these states were never approved: purged after the configured time.
GROUP_PURGEABLE_STATUSES = ("pending", "rejected")
# Groups that still exist as themselves, so a new registration may duplicate one: withdrawn
# groups are erased, and a declined registration is not a group.
GROUP_EXISTING_STATUSES = ("pending", "approved", "paused")

REMOTE_MODES: tuple[Term, ...] = (
    Term("video", "Video calls"),
    Term("phone", "Phone calls"),
    Term("letters", "Letters or cards"),
)

SAFEGUARDING_SCHEMES: tuple[Term, ...] = (
    Term("DBS", "DBS"),
    Term("PVG", "PVG"),
    Term("AccessNI", "AccessNI"),
)
SAFEGUARDING_STATUSES: tuple[Term, ...] = (
    Term("none", "We do not have a check yet"),
    Term("pending", "We have applied and are waiting"),
    Term("valid", "We have a valid check"),
    Term("expired", "Our check has expired"),
)
SCHEME_FOR_NATION = MappingProxyType({n.code: n.safeguarding_scheme for n in NATIONS})
# When a visit needs a check (``matcher/domain/safeguarding.py``): whenever the partner would
# come in person, i.e. unless the contact is remote only (the home is closed to visitors, or
# restricted and the partner keeps in touch remotely). The people who visit, volunteers or
# the adults who bring children, need a valid check of the home's nation's scheme: DBS in
# England and Wales, PVG in Scotland, AccessNI in Northern Ireland. A partner without one
# (missing, applied for, or expired by today's date) is flagged, never hidden, and its score
# is multiplied by this factor in the ordering (the score shown stays the weighted sum), so
# that it ranks below an otherwise equal partner with a check.
SAFEGUARDING_UNCHECKED_FACTOR = 0.9

# --- availability ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Day(Term):
    """A day of the week; ``ical`` is its iCalendar ``BYDAY`` code (Open Referral schedules)."""

    ical: str = ""


DAYS: tuple[Day, ...] = (
    Day("mon", "Monday", "MO"), Day("tue", "Tuesday", "TU"), Day("wed", "Wednesday", "WE"),
    Day("thu", "Thursday", "TH"), Day("fri", "Friday", "FR"), Day("sat", "Saturday", "SA"),
    Day("sun", "Sunday", "SU"),
)


@dataclass(frozen=True)
class DayPart(Term):
    """A part of the day: ``plural`` for sentences ("Saturday afternoons"), ``aliases`` that
    spell it in slot codes, and the usual hours (for calendars and the open data feed)."""

    plural: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)
    opens: str = ""
    closes: str = ""


DAY_PARTS: tuple[DayPart, ...] = (
    DayPart("am", "Morning", "mornings", ("morning", "mornings"), "09:00", "12:00"),
    DayPart("pm", "Afternoon", "afternoons", ("afternoon", "afternoons"), "13:00", "17:00"),
    DayPart("eve", "Evening", "evenings", ("evening", "evenings"), "18:00", "21:00"),
)
# A slot is a day and a part of it, e.g. "sat_pm", in week order.
SLOTS: tuple[str, ...] = tuple(f"{d.code}_{p.code}" for d in DAYS for p in DAY_PARTS)

# --- care homes -----------------------------------------------------------------------------

VISITING_STATUSES: tuple[VisitingStatus, ...] = (
    VisitingStatus("open", "Open to visitors", "govuk-tag--green", choice="Open",
                   hint="Visitors are welcome as usual."),
    VisitingStatus("restricted", "Restricted (outbreak measures)", "govuk-tag--orange",
                   choice="Restricted",
                   hint="For example, during an outbreak. Partners who can keep in touch "
                        "remotely come first in your suggestions."),
    VisitingStatus("closed", "Closed to visitors", "govuk-tag--red", choice="Closed",
                   hint="No visits for now."),
)

# Whether a home is still on its regulator's register. A full-register import marks the homes
# that left it ``deregistered``: out of matching, match lists, allocations and lists by default,
# their history kept.
CARE_HOME_STATUSES: tuple[Status, ...] = (
    Status("active", "Active", "govuk-tag--green"),
    Status("deregistered", "Deregistered", "govuk-tag--grey"),
)

CARE_TYPES: tuple[Term, ...] = (
    Term("older_people", "Older people"),
    Term("dementia", "Dementia"),
    Term("nursing", "Nursing care"),
    Term("residential", "Residential care"),
    Term("learning_disability", "Learning disabilities"),
    Term("physical_disability", "Physical disabilities"),
    Term("mental_health", "Mental health"),
    Term("sensory_impairment", "Sensory impairments"),
)

FACILITIES: tuple[Term, ...] = (
    Term("garden", "Garden"),
    Term("hall", "Hall or large lounge"),
    Term("step_free", "Step-free access"),
    Term("minibus", "Minibus"),
    Term("wifi", "Wi-Fi for visitors"),
    Term("hearing_loop", "Hearing loop"),
    Term("kitchen", "Kitchen residents can use"),
    Term("chapel", "Chapel or quiet room"),
    Term("parking", "Parking"),
)

# --- introductions --------------------------------------------------------------------------

INTRODUCTION_STATUSES: tuple[Status, ...] = (
    Status("suggested", "Suggested", "govuk-tag--grey"),
    Status("requested", "Introduction requested", "govuk-tag--blue",
           summary="waiting to be introduced"),
    Status("introduced", "Introduced", "govuk-tag--turquoise",
           summary="introduced, not yet visiting"),
    Status("active", "Visiting", "govuk-tag--green", summary="visiting regularly"),
    Status("ended", "Ended", "govuk-tag--grey"),
    Status("declined", "Declined", "govuk-tag--red"),
    Status("withdrawn", "Withdrawn by the home", "govuk-tag--grey"),
)
# Where each status may go next; ``declined``, ``ended`` and ``withdrawn`` are final. The
# home may withdraw its request until it is introduced (contacts exchanged), not after.
INTRODUCTION_TRANSITIONS = MappingProxyType({
    "suggested": ("requested", "declined", "withdrawn"),
    "requested": ("introduced", "declined", "withdrawn"),
    "introduced": ("active", "declined"),
    "active": ("ended",),
    "ended": (),
    "declined": (),
    "withdrawn": (),
})
INTRODUCTION_OPEN_STATUSES = ("suggested", "requested", "introduced", "active")
INTRODUCTION_CREATE_STATUSES = ("suggested", "requested")
# From these on, each side may see the other's contact details (pages, API, emails).
INTRODUCTION_CONTACT_STATUSES = ("introduced", "active")
# Moves care-home staff make themselves; introducing and declining are the group's or the
# coordinator's (so a home cannot reach a group's contact details on its own).
INTRODUCTION_STAFF_STATUSES = ("requested", "withdrawn", "active", "ended")

# --- visits ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class VisitMode(Term):
    """How a visit happens; ``in_person`` modes need the home open to visitors."""

    in_person: bool = False
    # whether the day after a visit of this mode both sides are asked how it went
    asks_feedback: bool = False


VISIT_MODES: tuple[VisitMode, ...] = (
    VisitMode("in_person", "In person", in_person=True, asks_feedback=True),
    VisitMode("video_call", "Video call", asks_feedback=True),
    VisitMode("phone", "Phone call"),
    VisitMode("letters", "Letters or cards"),
)
# The languages Kith writes to people in (their ``preferred_language``); English by default.
CORRESPONDENCE_LANGUAGES: tuple[str, ...] = ("en", "cy")
# How a visit repeats: "none" is a one-off; ``interval``/``freq`` are its iCalendar RRULE.
VISIT_REPEATS: tuple[Term, ...] = (
    Term("none", "Once"),
    Term("weekly", "Every week"),
    Term("fortnightly", "Every two weeks"),
    Term("monthly", "Every month"),
)
# A series of visits: proposed by one side until the other confirms it, or cancelled.
VISIT_STATES: tuple[Status, ...] = (
    Status("proposed", "Proposed", "govuk-tag--blue"),
    Status("confirmed", "Confirmed", "govuk-tag--green"),
    Status("cancelled", "Cancelled", "govuk-tag--red"),
)
# One occurrence of a visit.
VISIT_OCCURRENCE_STATUSES: tuple[Status, ...] = (
    Status("planned", "Planned", "govuk-tag--blue"),
    Status("done", "Done", "govuk-tag--green"),
    Status("cancelled", "Cancelled", "govuk-tag--red"),
    Status("missed", "Missed", "govuk-tag--orange"),
)
# Introductions a visit may be planned on; planning the first makes an ``introduced`` one active.
VISIT_INTRODUCTION_STATUSES = ("introduced", "active")
# The stages an introduction passes in order (declined, withdrawn and ended are ways out).
INTRODUCTION_FUNNEL_STAGES = ("suggested", "requested", "introduced", "active")

# --- ranking --------------------------------------------------------------------------------

RANKING_COMPONENTS: tuple[Component, ...] = (
    Component("distance", "Distance", 0.35, "closer is better, 0 at the radius"),
    Component("interests", "Shared interests", 0.35,
              "what of the residents' interests the partner offers"),
    Component("language", "Languages", 0.2, "share of residents who speak a partner's language"),
    Component("availability", "Availability", 0.05, "overlap of the times both can meet"),
    Component("capacity", "Capacity", 0.05, "visits a month the partner still has free"),
)
DEFAULT_WEIGHTS = MappingProxyType({c.code: c.default_weight for c in RANKING_COMPONENTS})
