"""Register rows a coordinator must confirm: the same home renamed, or a new home?

A care-home import stores an :class:`~matcher.models.ImportReview` when a row without a
regulator id is only fairly like a home the register no longer names (the rule is in
:mod:`matcher.domain.registers`). Until it is settled neither record changes, and a later
import of the same row keeps it waiting rather than creating a duplicate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import CareHome, ImportReview, User, utcnow
from . import audit, records, scope, versions
from .errors import Conflict, NotFound


def pending_reviews(session: Session) -> list[str]:
    """One line per waiting review, oldest first."""
    query = (select(ImportReview).where(ImportReview.status == "pending")
             .order_by(ImportReview.id))
    lines = []
    for review in session.scalars(query):
        home = review.care_home
        fields = review.incoming["fields"]
        lines.append(
            f"Review {review.id}: {review.name!r}, {fields.get('address_line1') or '-'}, "
            f"{review.postcode} may be home {home.id} {home.name!r}, "
            f"{home.address_line1 or '-'}, {home.postcode} (similarity {review.score:.2f})")
    return lines


def _update_fields(home: CareHome, fields: dict[str, Any], geo: dict[str, Any]
                   ) -> dict[str, Any]:
    wanted = {k: v for k, v in fields.items()
              if k not in ("regulator", "regulator_id", "contact_phone", "care_types")}
    if home.regulator_id is None and fields.get("regulator_id"):
        wanted.update(regulator=fields["regulator"], regulator_id=fields["regulator_id"])
    if fields.get("contact_phone") and not home.contact_phone:
        wanted["contact_phone"] = fields["contact_phone"]
    # The release's own flags (nursing, dementia...) join what the home already had.
    wanted["care_types"] = list(dict.fromkeys([*(home.care_types or ()),
                                               *(fields.get("care_types") or ())]))
    if geo["postcode"] != home.postcode or home.lat is None:
        wanted.update(geo)
    wanted["status"] = "active"
    return wanted


def confirm(session: Session, review_id: int, same: bool, actor: audit.Actor) -> str:
    """Settle a review: ``same`` updates the existing home from the row (it keeps its id and
    history); otherwise the row becomes a new home, and the existing one is deregistered
    when the import was of a full register. Returns what was done, in a sentence."""
    review = session.get(ImportReview, review_id)
    if review is None:
        raise NotFound(f"There is no import review with id {review_id}.")
    if review.status != "pending":
        raise Conflict(f"Review {review_id} was already answered: {review.status}.")
    home = review.care_home
    fields, geo = review.incoming["fields"], review.incoming["geo"]
    key = fields.get("external_key")
    holder = session.scalar(select(CareHome.id).where(CareHome.external_key == key)) \
        if key else None
    if holder is not None and holder != home.id:
        raise Conflict(f"Care home {holder} already holds this row ({key}); the review is "
                       "out of date.")
    review.decided_by, review.decided_at = actor.label, utcnow()
    if same:
        changes = records.change_record(home, _update_fields(home, fields, geo))
        records.store(session, actor, versions.HOMES, changed=[(home, changes)])
        review.status = "same"
        return (f"Home {home.id} is now {home.name!r} ({home.postcode}); it keeps its id and "
                "history.")
    clashes = records.regulator_id_clashes(session, [records.new_home(fields, geo)])
    if clashes:
        raise Conflict(clashes[0])
    created = records.new_home(fields, geo)
    changed = []
    if review.deregister_if_different and home.status == "active":
        changed.append((home, records.change_record(home, {"status": "deregistered"})))
    records.store(session, actor, versions.HOMES, new=[created], changed=changed,
                  describe=lambda h: {"source": "import", "external_key": h.external_key,
                                      "name": h.name, "postcode": h.postcode})
    review.status = "different"
    gone = f"; home {home.id} {home.name!r} is deregistered" if changed else ""
    return f"Added home {created.id} {created.name!r} ({created.postcode}){gone}."


# --- for a signed-in coordinator (the page) ---------------------------------------------------

def reviews_for(session: Session, user: User) -> list[ImportReview]:
    """The waiting reviews of the homes ``user`` may see (a coordinator's nation; an admin's
    every nation), oldest first."""
    query = select(ImportReview).join(CareHome, ImportReview.care_home_id == CareHome.id) \
        .where(ImportReview.status == "pending").order_by(ImportReview.id)
    return list(session.scalars(scope.homes_in_scope(user, query)))


def confirm_for(session: Session, user: User, review_id: int, same: bool) -> ImportReview:
    """:func:`confirm` for a coordinator of the home's nation or an admin (404 otherwise, as
    for a review that does not exist)."""
    scope.require_create(user, "care homes")
    review = session.get(ImportReview, review_id)
    if review is None or not scope.can_access_home(user, review.care_home):
        raise NotFound(f"There is no import review with id {review_id}.")
    confirm(session, review_id, same, audit.Actor.for_user(user))
    return review
