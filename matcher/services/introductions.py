"""Introductions between a care home and a partner, through their lifecycle.

``suggested -> requested -> introduced -> active -> ended``, ``declined`` from any step
before ``active``, and ``withdrawn`` (by the home) before ``introduced``. A requested
introduction is answered by the group on its private page (accept: introduced; or decline)
or by a coordinator; from ``introduced`` on, each side may see the other's contact details.
Every step is kept as an :class:`IntroductionEvent` (who, when, from what,
to what, why) and in the audit log. Active introductions use up the partner's monthly
capacity, so entering or leaving ``active`` marks the partners' data as changed and every
worker's ranker refreshes.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..domain import catalogue
from ..models import CareHome, CommunityGroup, Introduction, IntroductionEvent, User
from . import audit, scope, versions
from .errors import Conflict, Forbidden, InvalidInput
from .records import fetch_in_scope, get_home, link_actor, not_found

# The lifecycle lives in the catalogue: where each status may go next, which are open.
TRANSITIONS = catalogue.INTRODUCTION_TRANSITIONS
OPEN_STATUSES = catalogue.INTRODUCTION_OPEN_STATUSES
CREATE_STATUSES = catalogue.INTRODUCTION_CREATE_STATUSES
CONTACT_STATUSES = catalogue.INTRODUCTION_CONTACT_STATUSES
STATUS_LABELS = catalogue.labels(catalogue.INTRODUCTION_STATUSES)


def allowed_next(status: str) -> tuple[str, ...]:
    """The statuses an introduction in ``status`` may move to."""
    return TRANSITIONS.get(status, ())


def _describe(statuses: tuple[str, ...]) -> str:
    return ", ".join(statuses) if statuses else "none (it is final)"


def open_introduction(session: Session, home_id: int, group_id: int) -> Introduction | None:
    """The pair's introduction that is still under way, if there is one."""
    return session.scalar(
        select(Introduction).where(
            Introduction.care_home_id == home_id,
            Introduction.group_id == group_id,
            Introduction.status.in_(OPEN_STATUSES),
        ).limit(1)
    )


def duplicate_conflict(existing: Introduction) -> Conflict:
    return Conflict(
        f"An introduction between this care home and this group is already open "
        f"(id {existing.id}, {existing.status}).",
        {"group_id": [f"Already introduced: introduction {existing.id} is {existing.status}."]},
    )


def check_can_introduce(user: User | None, home: CareHome, group: CommunityGroup) -> None:
    """Raise unless ``user`` may introduce ``group`` to ``home`` (404 outside scope, as for a
    record that does not exist)."""
    if not scope.can_access_home(user, home):
        raise not_found("care home", home.id)
    if home.status != "active":
        raise Conflict("This care home is no longer on its regulator's register "
                       "(deregistered): it cannot be introduced.",
                       {"care_home_id": ["The care home is deregistered."]})
    if group.status != "approved":
        if not scope.can_manage_group(user, group):
            raise not_found("community group", group.id)
        raise Conflict(
            f"This group is {group.status}: only approved groups can be introduced.",
            {"group_id": [f"The group is {group.status}; approve it first."]},
        )


def create_introduction(session: Session, home: CareHome, group: CommunityGroup,
                        actor: audit.Actor, *, status: str = "suggested",
                        score: float | None = None,
                        components: dict[str, float] | None = None,
                        note: str | None = None, position: int | None = None,
                        message: str | None = None, secret: str | None = None
                        ) -> Introduction:
    """Start an introduction (``suggested`` or ``requested``); 409 if one is already open.

    ``message`` is the home's words to the group, shown to the group with the request;
    ``secret`` (the app's) lets the group's email carry its private link."""
    if status not in CREATE_STATUSES:
        raise InvalidInput({"status": [
            f"A new introduction starts as {' or '.join(CREATE_STATUSES)}, not {status}."]})
    existing = open_introduction(session, home.id, group.id)
    if existing is not None:
        raise duplicate_conflict(existing)
    intro = Introduction(care_home_id=home.id, group_id=group.id, status=status, score=score,
                         components=components, position=position, notes=note or "",
                         message=message or None,
                         created_by_id=actor.user_id, updated_by_id=actor.user_id)
    intro.events.append(IntroductionEvent(from_status=None, to_status=status, note=note,
                                          user_id=actor.user_id))
    # A savepoint: where the database enforces one open introduction per pair, losing a race
    # to an identical request becomes a clean 409 and leaves the transaction usable.
    try:
        with session.begin_nested():
            session.add(intro)
            session.flush()
    except IntegrityError:
        existing = open_introduction(session, home.id, group.id)
        if existing is None:
            raise
        raise duplicate_conflict(existing) from None
    audit.record(session, actor, "create", intro, {
        "care_home_id": home.id, "group_id": group.id, "status": status, "score": score,
        **({"message": message} if message else {})})
    _status_changed(session, intro, None, secret)
    return intro


def transition(session: Session, intro: Introduction, new_status: str | None,
               actor: audit.Actor, *, note: str | None = None,
               feedback_rating: int | None = None,
               feedback_text: str | None = None, secret: str | None = None) -> Introduction:
    """Move ``intro`` to ``new_status`` and/or record a note or feedback, and tell the
    people concerned by email (``services.introduction_mail``).

    With a note or feedback, a ``new_status`` equal to the current one (or None) changes
    only those. Any move the lifecycle does not allow (staying put with nothing else to
    record included) raises :class:`Conflict` naming the allowed ones.
    """
    old = intro.status
    target = new_status or old
    nothing_else = note is None and feedback_rating is None and feedback_text is None
    # Asking for the status it already has, and nothing more, is a move the lifecycle lacks.
    if (target != old or (new_status and nothing_else)) and target not in allowed_next(old):
        allowed = allowed_next(old)
        message = f"Cannot move from {old} to {target}; allowed: {_describe(allowed)}."
        raise Conflict(message, {"status": [message]})
    if feedback_rating is not None and not 1 <= int(feedback_rating) <= 5:
        raise InvalidInput({"feedback": ["The rating must be a whole number from 1 to 5."]})
    if target == old and nothing_else:
        raise InvalidInput({"status": ["Nothing to change: give a new status, a note or "
                                       "feedback."]})
    changes: dict[str, Any] = {}
    if target != old:
        changes["status"] = [old, target]
        intro.status = target
    if feedback_rating is not None or feedback_text is not None:
        new_rating = int(feedback_rating) if feedback_rating is not None else \
            intro.feedback_rating
        new_text = feedback_text if feedback_text is not None else intro.feedback_text
        changes.update(audit.diff(intro, {"feedback_rating": new_rating,
                                          "feedback_text": new_text}))
        intro.feedback_rating = new_rating
        intro.feedback_text = new_text
    if note:
        intro.notes = f"{intro.notes}\n{note}".strip() if intro.notes else note
        changes["note"] = note
    intro.updated_by_id = actor.user_id
    intro.events.append(IntroductionEvent(from_status=old, to_status=target, note=note,
                                          user_id=actor.user_id))
    session.flush()
    audit.record(session, actor, "status" if target != old else "update", intro, changes)
    if (old == "active") != (target == "active"):
        versions.bump(session, versions.PARTNERS)
    if target != old:
        _status_changed(session, intro, old, secret)
    return intro


def _status_changed(session: Session, intro: Introduction, old: str | None,
                    secret: str | None) -> None:
    from . import introduction_mail

    introduction_mail.status_changed(session, intro, old, secret=secret)


# --- the use cases -----------------------------------------------------------------------------

def request_introduction(session: Session, cache: Any, user: User, home_id: int,
                         group_id: int, *, status: str = "suggested",
                         note: str | None = None, message: str | None = None,
                         secret: str | None = None) -> Introduction:
    """``user`` asks for ``group_id`` to be introduced to ``home_id``.

    404 for a missing home or group, 403 outside the user's scope, 409 when the group is not
    approved or the pair already has an open introduction. The pair's score and components
    are captured as they are now.
    """
    home = get_home(session, home_id, user)
    group = session.get(CommunityGroup, group_id)
    if group is None:
        raise not_found("community group", group_id)
    check_can_introduce(user, home, group)
    existing = open_introduction(session, home.id, group.id)
    if existing is not None:
        raise duplicate_conflict(existing)
    score, components, position = score_pair(session, cache, home, group)
    return create_introduction(session, home, group, audit.Actor.for_user(user),
                               status=status, score=score, components=components, note=note,
                               position=position, message=message, secret=secret)


def change_introduction(session: Session, user: User, intro_id: int, new_status: str | None,
                        *, note: str | None = None, feedback_rating: int | None = None,
                        feedback_text: str | None = None, secret: str | None = None
                        ) -> Introduction:
    """Move an introduction the user may see on, and/or record a note or feedback.

    Care-home staff make only their side's moves (request, withdraw, start and end visits):
    introducing or declining is the group's or the coordinator's (403 otherwise)."""
    intro = get_introduction(session, intro_id, user)
    if new_status and new_status != intro.status and \
            not scope.may_move_introduction_to(user, new_status):
        raise Forbidden(f"Only the group or your network coordinator can mark an introduction "
                        f"{STATUS_LABELS.get(new_status, new_status).lower()}.",
                        {"status": ["Ask your network coordinator to make this change."]})
    return transition(session, intro, new_status, audit.Actor.for_user(user), note=note,
                      feedback_rating=feedback_rating, feedback_text=feedback_text,
                      secret=secret)


def withdraw_request(session: Session, user: User, home_id: int, intro_id: int
                     ) -> Introduction:
    """The home takes back its request before it is introduced (409 once introduced)."""
    intro = get_introduction(session, intro_id, user)
    if intro.care_home_id != home_id:
        raise not_found("introduction", intro_id)
    if "withdrawn" not in allowed_next(intro.status):
        label = STATUS_LABELS.get(intro.status, intro.status).lower()
        message = (f"This introduction is {label}, so it can no longer be withdrawn. "
                   "Ask your network coordinator if you want to end it.")
        raise Conflict(message, {"status": [message]})
    return transition(session, intro, "withdrawn", audit.Actor.for_user(user))


# The group's answers on its private page, as the status they lead to.
GROUP_ANSWERS = MappingProxyType({"accept": "introduced", "decline": "declined"})


def for_group_link(session: Session, group: CommunityGroup) -> list[Introduction]:
    """What the group sees on its private page: every request made to it (not a
    coordinator's private suggestions), most recently changed first."""
    return list(session.scalars(
        select(Introduction).where(Introduction.group_id == group.id,
                                   Introduction.status != "suggested")
        .options(selectinload(Introduction.care_home))
        .order_by(Introduction.updated_at.desc(), Introduction.id.desc())))


def answer_as_group(session: Session, group: CommunityGroup, intro_id: int, answer: str
                    ) -> Introduction:
    """The group accepts (introduced: contacts exchanged) or declines a home's request
    through its private link; 404 for another group's introduction, 409 when it is no
    longer waiting for an answer."""
    if answer not in GROUP_ANSWERS:
        raise InvalidInput({"answer": ["Choose to accept or decline the introduction."]})
    intro = session.get(Introduction, intro_id)
    if intro is None or intro.group_id != group.id or intro.status == "suggested":
        raise not_found("introduction", intro_id)
    if intro.status != "requested":
        label = STATUS_LABELS.get(intro.status, intro.status).lower()
        raise Conflict(f"This introduction is already {label}: there is nothing to answer.",
                       {"answer": [f"This introduction is already {label}."]})
    return transition(session, intro, GROUP_ANSWERS[answer], link_actor(group))


# --- contact details, once introduced ------------------------------------------------------

def contacts_shared(intro: Introduction) -> bool:
    """Whether the home and the group may see each other's contact details."""
    return intro.status in CONTACT_STATUSES


def group_contact(intro: Introduction) -> dict[str, str | None] | None:
    """The group's contact details for the home, only once introduced (and never for a
    group that withdrew: its details are erased)."""
    group = intro.group
    if not contacts_shared(intro) or group.status == "withdrawn" or not group.contact_email:
        return None
    return {"name": group.contact_name, "email": group.contact_email,
            "phone": group.contact_phone}


def home_contact(session: Session, home: CareHome) -> dict[str, str | None] | None:
    """Who speaks for a home: its contact details, or else its first staff account."""
    if home.contact_email:
        return {"name": home.contact_name, "email": home.contact_email,
                "phone": home.contact_phone}
    email = session.scalar(select(User.email).where(
        User.care_home_id == home.id, User.role == "care_home", User.active.is_(True))
        .order_by(User.id).limit(1))
    if email is None:
        return None
    return {"name": home.contact_name, "email": email, "phone": home.contact_phone}


def partner_contacts(intros) -> dict[int, dict[str, str | None]]:
    """``{group_id: contact}`` of the partners a home has been introduced to."""
    out = {}
    for intro in intros:
        contact = group_contact(intro)
        if contact is not None:
            out[intro.group_id] = contact
    return out


def for_home(session: Session, home_id: int, *, limit: int = 20
             ) -> tuple[dict[int, Introduction], list[Introduction]]:
    """A home's open introductions by group id, and its latest ``limit`` introductions."""
    rows = session.scalars(select(Introduction).where(
        Introduction.care_home_id == home_id, Introduction.status.in_(OPEN_STATUSES)))
    history = session.scalars(
        select(Introduction).where(Introduction.care_home_id == home_id)
        .order_by(Introduction.updated_at.desc()).limit(limit)).all()
    return {intro.group_id: intro for intro in rows}, list(history)


def for_group(session: Session, group_id: int, *, newest_first: bool = True
              ) -> list[Introduction]:
    """A group's introductions (most recently changed first)."""
    query = select(Introduction).where(Introduction.group_id == group_id)
    if newest_first:
        query = query.order_by(Introduction.updated_at.desc())
    return list(session.scalars(query))


# --- reading ---------------------------------------------------------------------------------

def get_introduction(session: Session, intro_id: int, user: User | None) -> Introduction:
    """The introduction with this id if ``user`` may see it (404 when missing or outside)."""
    return fetch_in_scope(session, Introduction, intro_id,
                          lambda intro: scope.can_access_introduction(user, intro),
                          "introduction")


def list_introductions(user: User, filters: dict[str, Any]) -> Select:
    """Introductions in ``user``'s scope, newest first, filtered by status, nation, home,
    group or local authority."""
    query = scope.introductions_in_scope(user, select(Introduction))
    needs_home = filters.get("nation") or filters.get("local_authority")
    if needs_home and user.role != "coordinator":  # a coordinator's scope already joins homes
        query = query.join(CareHome, Introduction.care_home_id == CareHome.id)
    if filters.get("nation"):
        query = query.where(CareHome.nation == filters["nation"])
    if filters.get("local_authority"):
        query = query.where(CareHome.local_authority_code == filters["local_authority"])
    if filters.get("status"):
        query = query.where(Introduction.status == filters["status"])
    if filters.get("care_home_id"):
        query = query.where(Introduction.care_home_id == filters["care_home_id"])
    if filters.get("group_id"):
        query = query.where(Introduction.group_id == filters["group_id"])
    return query.options(selectinload(Introduction.care_home),
                         selectinload(Introduction.group)).order_by(Introduction.id.desc())


def active_counts(session: Session, group_ids: list[int] | None = None) -> dict[int, int]:
    """``{group_id: number of active introductions}`` (all groups when ``group_ids`` is None)."""
    query = select(Introduction.group_id, func.count()).where(
        Introduction.status == "active").group_by(Introduction.group_id)
    if group_ids is not None:
        if not group_ids:
            return {}
        out: dict[int, int] = {}
        for start in range(0, len(group_ids), 500):
            chunk = group_ids[start:start + 500]
            out.update(dict(session.execute(query.where(Introduction.group_id.in_(chunk))).all()))
        return out
    return dict(session.execute(query).all())


def open_pairs(session: Session, home_ids: list[int]) -> set[tuple[int, int]]:
    """``{(home_id, group_id)}`` of the pairs among ``home_ids`` with an open introduction."""
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(home_ids), 500):
        chunk = home_ids[start:start + 500]
        rows = session.execute(select(Introduction.care_home_id, Introduction.group_id).where(
            Introduction.care_home_id.in_(chunk), Introduction.status.in_(OPEN_STATUSES)))
        pairs.update((int(h), int(g)) for h, g in rows)
    return pairs


# --- scoring a pair at the time of the introduction ------------------------------------------

def score_pair(session: Session, cache: Any, home: CareHome, group: CommunityGroup
               ) -> tuple[float | None, dict[str, float] | None, int | None]:
    """The pair's score, components and place (1 = first) in the home's suggestions of every
    kind, or ``(None, None, None)`` when the group is not among the home's matches (e.g.
    beyond either radius, or not approved)."""
    from . import matching
    from .match_lists import any_partners

    if group.status != "approved" or not any_partners(session):
        return None, None, None
    found = matching.home_matches(session, cache, home, limit=_SCORE_LIMIT, cooldown=False)
    for place, match in enumerate(found, start=1):
        if match["group"]["id"] == group.id:
            return float(match["score"]), dict(match.get("components") or {}), place
    # Beyond the first thousand of every kind: its place is unknown, its score is not.
    for match in matching.home_matches(session, cache, home, limit=_SCORE_LIMIT,
                                       kinds=[group.kind], cooldown=False):
        if match["group"]["id"] == group.id:
            return float(match["score"]), dict(match.get("components") or {}), None
    return None, None, None


_SCORE_LIMIT = 1000
