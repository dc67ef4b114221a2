"""The header row of a CSV export, in the language it is asked for.

English exports keep the documented column names (docs/csv-formats.md), which scripts rely
on; a Welsh export (``lang=cy``) names each column in Welsh words for the people who open it
in a spreadsheet. The rows keep their codes and numbers either way; the reasons are sentences
in the export's language.
"""

from __future__ import annotations

from collections.abc import Sequence

from .translation import gettext, language


def N_(message: str) -> str:  # noqa: N802 - the name extraction looks for
    return message


# Column name -> its words (translated when the export is not English).
LABELS = {
    "nation": N_("Nation"),
    "local_authority_code": N_("Local authority code"),
    "local_authority_name": N_("Local authority"),
    "care_home_id": N_("Care home id"),
    "care_home_name": N_("Care home"),
    "care_home_postcode": N_("Care home postcode"),
    "visiting_status": N_("Visiting status"),
    "rank": N_("Rank"),
    "group_id": N_("Group id"),
    "group_name": N_("Group"),
    "group_kind": N_("Kind of group"),
    "group_postcode": N_("Group postcode"),
    "score": N_("Score"),
    "distance_km": N_("Distance (km)"),
    "component_distance": N_("Score for distance"),
    "component_interests": N_("Score for interests"),
    "component_language": N_("Score for language"),
    "component_availability": N_("Score for availability"),
    "component_capacity": N_("Score for capacity"),
    "in_person_paused": N_("In-person visits paused"),
    "reasons": N_("Reasons"),
    "safeguarding_scheme": N_("Safeguarding scheme"),
    "safeguarding_status": N_("Safeguarding status"),
    "safeguarding_expires_on": N_("Safeguarding check expires on"),
    "safeguarding_valid": N_("Safeguarding check valid"),
    "introduction_status": N_("Introduction status"),
    "allocation_id": N_("Allocation id"),
}


def header_row(columns: Sequence[str]) -> list[str]:
    """``columns`` as the export's header: the names themselves in English, words in Welsh."""
    if language() == "en":
        return list(columns)
    return [gettext(LABELS[column]) if column in LABELS else column for column in columns]
