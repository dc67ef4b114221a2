"""Registrations that look like a group Kith already has; rejecting one as a duplicate, or
merging it into that group.

The rule is :mod:`matcher.domain.duplicates`; this finds the few rows worth comparing (same
email, same phone, or within :data:`~matcher.domain.duplicates.NEARBY_KM` of the
registration) among the groups the coordinator may manage, so the check never reads the
whole table into Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ..domain import catalogue, duplicates, merging
from ..domain.geo import bounding_box
from ..domain.geocoding import PostcodeIndex
from ..models import CommunityGroup, User
from ..presentation import translation
from ..presentation.translation import gettext as _
from . import audit, notifications, records, scope
from .errors import Conflict, InvalidInput

# Registrations are compared with every group that still exists as itself.
COMPARED_STATUSES = catalogue.GROUP_EXISTING_STATUSES
MAX_SHOWN = 5
NOT_PENDING = ("Only a registration waiting for approval can be rejected as a duplicate or "
               "merged.")
CHOICE_REFUSED = ("Not a choice for this part: it is the same in both groups, or its values "
                  "cannot be combined.")
_PHONE_SEPARATORS = (" ", "-", "(", ")", ".", "+", "\u00a0")


def _phone_digits(column):
    # Roughly the domain's normalisation in SQL (separators out); the domain decides.
    for char in _PHONE_SEPARATORS:
        column = func.replace(column, char, "")
    return column


def _phone_spellings(phone: str) -> list[str]:
    """How a normalised UK number (``07700900123``) may be stored once separators are gone."""
    rest = phone[1:] if phone.startswith("0") else phone
    return [phone, "44" + rest, "440" + rest, "0044" + rest, "00440" + rest]


def _candidate(group: CommunityGroup) -> duplicates.Candidate:
    return duplicates.Candidate(group.id, group.name, group.lat, group.lon,
                                group.contact_email, group.contact_phone)


def possible_duplicates(session: Session, group: CommunityGroup, user: User | None
                        ) -> list[duplicates.Duplicate]:
    """The groups ``user`` manages that this pending registration may duplicate, strongest
    first (at most :data:`MAX_SHOWN`); empty for a group that is not pending or that the
    user does not manage, as only a coordinator reviewing it needs to know."""
    if group.status != "pending" or not scope.can_manage_group(user, group):
        return []
    near = []
    if group.lat is not None and group.lon is not None:
        box = bounding_box(group.lat, group.lon, duplicates.NEARBY_KM)
        near.append(and_(CommunityGroup.lat.between(box.min_lat, box.max_lat),
                         CommunityGroup.lon.between(box.min_lon, box.max_lon)))
    email = duplicates.normalise_email(group.contact_email)
    if email:
        near.append(func.lower(CommunityGroup.contact_email) == email)
    phone = duplicates.normalise_phone(group.contact_phone)
    if phone:
        near.append(_phone_digits(CommunityGroup.contact_phone).in_(_phone_spellings(phone)))
    if not near:
        return []
    query = scope.groups_in_scope(user, select(CommunityGroup)).where(
        CommunityGroup.id != group.id, CommunityGroup.status.in_(COMPARED_STATUSES),
        or_(*near))
    others = [_candidate(row) for row in session.scalars(query)]
    return duplicates.find_duplicates(_candidate(group), others)[:MAX_SHOWN]


def duplicate_reason(original: CommunityGroup, language: str = "en") -> str:
    """What the declined group is told (in the email and behind its link), in the language
    Kith writes to it in."""
    with translation.speaking(language):
        return _("This registration looks like a second one for %(name)s, which is already "
                 "registered with Kith, so we have not approved it. If they are different "
                 "groups, reply to your coordinator and we will look again.",
                 name=original.name)


def groups_named(session: Session, user: User, group: CommunityGroup, text: str, *,
                 limit: int = 10) -> list[CommunityGroup]:
    """The groups ``user`` manages, other than ``group``, that ``text`` names: its number,
    or part of its name, town or postcode (groups that still exist as themselves, by name;
    at most ``limit``). For merging a registration the duplicate check did not flag, so
    409 once ``group`` is no longer waiting for approval."""
    if group.status != "pending":
        raise Conflict(NOT_PENDING)
    text = " ".join((text or "").split())[:200]
    if not text:
        return []
    query = scope.groups_in_scope(user, select(CommunityGroup)).where(
        CommunityGroup.id != group.id, CommunityGroup.status.in_(COMPARED_STATUSES))
    if text.isdigit() and len(text) <= 9:
        return list(session.scalars(query.where(CommunityGroup.id == int(text))))
    return list(session.scalars(
        query.where(records.text_search(CommunityGroup, text, town=True))
        .order_by(func.lower(CommunityGroup.name), CommunityGroup.id).limit(limit)))


def _pending_and_original(session: Session, user: User, group_id: int,
                          original_id: int | None) -> tuple[CommunityGroup, CommunityGroup]:
    """The pending registration ``group_id`` and the group ``original_id`` it duplicates,
    both managed by ``user`` (409 once the registration is decided; 422 for an original
    that is the registration itself, missing, out of the user's reach or no longer there)."""
    group = records.get_group(session, group_id, user, manage=True)
    if group.status != "pending":
        raise Conflict(NOT_PENDING)
    if original_id is None or original_id == group.id:
        raise InvalidInput({"duplicate_of": ["Choose the group this registration duplicates."]})
    original = session.get(CommunityGroup, original_id)
    if original is None or not scope.can_manage_group(user, original) \
            or original.status not in COMPARED_STATUSES:
        raise InvalidInput({"duplicate_of": ["Choose the group this registration duplicates."]})
    return group, original


def reject_as_duplicate(session: Session, index: PostcodeIndex, user: User, group_id: int,
                        original_id: int | None) -> tuple[CommunityGroup, CommunityGroup]:
    """Decline a pending registration as a duplicate of ``original_id`` (a group the user
    manages): the group is emailed the standard decline naming the original, and the
    audit records which group it duplicated. Returns ``(declined, original)``."""
    group, original = _pending_and_original(session, user, group_id, original_id)
    actor = audit.Actor.for_user(user)
    records.update_group(session, index, group,
                         {"status": "rejected",
                          "status_reason": duplicate_reason(original, group.preferred_language)},
                         actor)
    audit.record(session, actor, "duplicate", group,
                 {"duplicate_of": [None, original.id]})
    return group, original


def _merge_values(group: CommunityGroup) -> dict[str, Any]:
    return {field: getattr(group, field) for field in merging.FIELDS}


def merge_preview(session: Session, user: User, group_id: int, original_id: int | None
                  ) -> tuple[CommunityGroup, CommunityGroup, list[merging.Difference]]:
    """What merging registration ``group_id`` into ``original_id`` would decide: the two
    groups and the parts where the registration differs (see :mod:`matcher.domain.merging`)."""
    group, original = _pending_and_original(session, user, group_id, original_id)
    return group, original, merging.differences(_merge_values(original), _merge_values(group))


def merged_reason(original: CommunityGroup, language: str = "en") -> str:
    """What the merged registration says of itself (behind its link), in its language."""
    with translation.speaking(language):
        return _("This registration was a second one for %(name)s, which was already "
                 "registered with Kith, so a coordinator added its details to that group "
                 "instead of listing it twice.", name=original.name)


def merge_into(session: Session, index: PostcodeIndex, user: User, group_id: int,
               original_id: int | None, choices: Mapping[str, str]
               ) -> tuple[CommunityGroup, CommunityGroup, list[str]]:
    """Merge a pending registration into the group it duplicates: the group takes the
    registration's values where ``choices`` say so (``{part: keep|take|combine}``, the
    defaults of :func:`matcher.domain.merging.default_choices` for the rest) and keeps its
    introductions, visits and private link; the registration is declined, pointing to the
    group, and its contact emailed which group holds their details now. Returns
    ``(registration, group, the keys of the parts it took or combined)``; 422 on a choice
    that cannot be made."""
    group, original, found = merge_preview(session, user, group_id, original_id)
    wrong = merging.check_choices(found, choices)
    if wrong:
        raise InvalidInput({key: [CHOICE_REFUSED] for key in wrong})
    values = merging.merged_values(found, choices)
    actor = audit.Actor.for_user(user)
    records.update_group(session, index, original, values, actor)
    scope.require_own_nation(user, original)
    records.update_group(session, index, group,
                         {"status": "rejected",
                          "status_reason": merged_reason(original, group.preferred_language)},
                         actor, notify=False)
    taken = merging.changed_parts(found, choices)
    audit.record(session, actor, "merge", group, {"merged_into": [None, original.id],
                                                  "fields": [None, sorted(values)]})
    notifications.registration_merged(session, group, original,
                                      contact_taken="contact" in taken)
    return group, original, taken
