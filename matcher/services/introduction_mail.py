"""Who is told what when an introduction moves on, as emails queued in the outbox.

* requested -> the coordinators of the home's nation, and the group (with the home's message
  and its private link to accept or decline);
* introduced -> the home's contact and the group's contact, each with the other's name,
  email and phone;
* declined or ended, once the group has been asked -> both sides, in plain words;
* withdrawn by the home after asking -> the group.

A group that withdrew is never written to (its contact details are erased anyway). Each
message is queued with ``notifications.queue_email`` inside the caller's unit of work and an
event key per introduction, status and side, so no step mails anyone twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import catalogue
from ..models import CareHome, CommunityGroup, Introduction, User
from . import notifications

# Once requested, the group knows of the introduction: later endings are news to both sides.
TOLD_STATUSES = ("requested", *catalogue.INTRODUCTION_CONTACT_STATUSES)
ENDINGS = ("declined", "ended")


@dataclass(frozen=True)
class Email:
    """One message to queue: its template, recipient and the words it needs."""

    template: str
    to_email: str
    to_name: str
    recipient_role: str
    side: str
    context: dict[str, Any] = field(default_factory=dict)
    # The recipient's preferred_language: the message is written in it.
    language: str = "en"


def _home_facts(home: CareHome) -> dict[str, Any]:
    return {"id": home.id, "name": home.name, "town": home.town or "",
            "postcode": home.postcode or ""}


def _group_facts(group: CommunityGroup) -> dict[str, Any]:
    # The kind's code: the email names it in the reader's language.
    return {"id": group.id, "name": group.name, "kind": group.kind, "town": group.town or ""}


def _contact(contact: dict[str, Any] | None) -> dict[str, str]:
    contact = contact or {}
    return {key: contact.get(key) or "" for key in ("name", "email", "phone")}


def _can_write_to_group(group: CommunityGroup) -> bool:
    return group.status != "withdrawn" and bool(group.contact_email)


def _home_language(session: Session, home: CareHome, side: dict[str, Any]) -> str:
    """The language of whoever speaks for the home: its contact's, or the staff account's
    whose address stands in for a missing contact."""
    if home.contact_email and side.get("email") == home.contact_email:
        return home.preferred_language
    language = session.scalar(select(User.preferred_language).where(
        User.email == side.get("email")))
    return language or home.preferred_language


def coordinators_of(session: Session, nation: str) -> list[User]:
    """The active coordinators of a nation, who hear of every request there."""
    return list(session.scalars(select(User).where(
        User.role == "coordinator", User.nation == nation, User.active.is_(True))
        .order_by(User.id)))


def plan(session: Session, intro: Introduction, old: str | None) -> list[Email]:
    """The emails an introduction's move from ``old`` to its current status calls for."""
    from .introductions import group_contact, home_contact

    new = intro.status
    home, group = intro.care_home, intro.group
    facts = {"introduction_id": intro.id, "home": _home_facts(home),
             "group": _group_facts(group), "message": intro.message or "",
             "status": new, "previous_status": old or ""}
    to_group = _can_write_to_group(group)
    out: list[Email] = []
    if new == "requested":
        for user in coordinators_of(session, home.nation):
            out.append(Email("introduction_requested_coordinator", user.email, "",
                             "coordinator", "coordinator", facts, user.preferred_language))
        if to_group:
            out.append(Email("introduction_requested_group", group.contact_email,
                             group.contact_name or "", "group", "group", facts,
                             group.preferred_language))
    elif new == "introduced":
        home_side = home_contact(session, home)
        group_side = group_contact(intro)
        if home_side and group_side:
            out.append(Email("introduction_made_home", home_side["email"],
                             home_side["name"] or "", "care_home", "home",
                             {**facts, "partner_contact": _contact(group_side)},
                             _home_language(session, home, home_side)))
        if to_group:
            out.append(Email("introduction_made_group", group.contact_email,
                             group.contact_name or "", "group", "group",
                             {**facts, "partner_contact": _contact(home_side)},
                             group.preferred_language))
    elif new in ENDINGS and old in TOLD_STATUSES:
        home_side = home_contact(session, home)
        if home_side:
            out.append(Email(f"introduction_{new}", home_side["email"], home_side["name"] or "",
                             "care_home", "home", {**facts, "side": "home"},
                             _home_language(session, home, home_side)))
        if to_group:
            out.append(Email(f"introduction_{new}", group.contact_email,
                             group.contact_name or "", "group", "group",
                             {**facts, "side": "group"}, group.preferred_language))
    elif new == "withdrawn" and old in TOLD_STATUSES and to_group:
        out.append(Email("introduction_withdrawn", group.contact_email,
                         group.contact_name or "", "group", "group", facts,
                         group.preferred_language))
    return out


def status_changed(session: Session, intro: Introduction, old: str | None, *,
                   secret: str | None = None) -> None:
    """Queue the emails for an introduction that has just moved from ``old``.

    With the app's ``secret`` the group's request email carries its private link (to
    accept or decline) where it can be derived again; otherwise the email says how to ask
    for the link again.
    """
    group = intro.group
    # Tied to the group while it has personal data to lose: should it withdraw before a
    # message goes out, the message is cancelled and erased. Once it has withdrawn, its
    # name is already erased, and the home still hears how the introduction ended.
    about = ((Introduction.__tablename__, intro.id) if group.status == "withdrawn"
             else (CommunityGroup.__tablename__, group.id))
    for email in plan(session, intro, old):
        context = dict(email.context)
        if email.template == "introduction_requested_group" and secret and (
                group.idempotency_key or not group.edit_token_hash):
            # The link is re-derived (or made, for a group added by a coordinator), never
            # replaced: a random link from before keeps working, and the email says where
            # to ask for it again.
            context["edit_token"] = notifications.edit_token_to_send(group, secret)
        notifications.queue_email(
            session, template=email.template, to_email=email.to_email,
            to_name=email.to_name, recipient_role=email.recipient_role,
            event_key=f"introduction-{intro.status}:{intro.id}:{email.side}",
            context=context, about=about, language=email.language)
