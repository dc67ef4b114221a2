"""SQLAlchemy 2 typed models: care homes, community groups, introductions, users, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .domain import catalogue
from .extensions import db

# The vocabulary lives in the catalogue; these are its codes, for columns and queries.
NATIONS = catalogue.codes(catalogue.NATIONS)
ROLES = catalogue.codes(catalogue.ROLES)
GROUP_KINDS = catalogue.codes(catalogue.GROUP_KINDS)
GROUP_STATUSES = catalogue.codes(catalogue.GROUP_STATUSES)
VISITING_STATUSES = catalogue.codes(catalogue.VISITING_STATUSES)
CARE_HOME_STATUSES = catalogue.codes(catalogue.CARE_HOME_STATUSES)
INTRODUCTION_STATUSES = catalogue.codes(catalogue.INTRODUCTION_STATUSES)
SAFEGUARDING_SCHEMES = catalogue.codes(catalogue.SAFEGUARDING_SCHEMES)
SAFEGUARDING_STATUSES = catalogue.codes(catalogue.SAFEGUARDING_STATUSES)
OPEN_INTRODUCTION_STATUSES = catalogue.INTRODUCTION_OPEN_STATUSES
# The partial index's condition, as SQL both databases accept (codes are plain identifiers).
_OPEN_INTRODUCTION = "status IN ({})".format(
    ", ".join(f"'{status}'" for status in OPEN_INTRODUCTION_STATUSES))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class GeocodedMixin:
    """Where a record is, as the geocoder placed it from its postcode."""

    postcode: Mapped[str] = mapped_column(String(8))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    geocode_precision: Mapped[str] = mapped_column(String(10))
    nation: Mapped[str] = mapped_column(String(20), index=True)
    local_authority_code: Mapped[str | None] = mapped_column(String(9), index=True)
    local_authority_name: Mapped[str | None] = mapped_column(String(100))


class CareHome(TimestampMixin, GeocodedMixin, db.Model):
    __tablename__ = "care_homes"
    __table_args__ = (UniqueConstraint("regulator", "regulator_id", name="uq_home_regulator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    regulator: Mapped[str | None] = mapped_column(String(20))
    regulator_id: Mapped[str | None] = mapped_column(String(40))
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    residents: Mapped[int | None] = mapped_column(Integer)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests_text: Mapped[str] = mapped_column(Text, default="")
    # [{"tag": "pl", "name": "Polish", "native_name": "polski", "residents": 6}] - counts only,
    # never anything about an individual resident.
    languages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    care_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    facilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    availability: Mapped[list[str] | None] = mapped_column(JSON)
    visiting_status: Mapped[str] = mapped_column(String(12), default="open")
    visiting_review_date: Mapped[dt.date | None] = mapped_column(Date)
    search_radius_km: Mapped[float] = mapped_column(Float, default=10.0)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # The language Kith writes to the home's contact in: ``cy`` or ``en``.
    preferred_language: Mapped[str] = mapped_column(String(2), default="en",
                                                    server_default="en")
    # Part of the private calendar address; a new one revokes the old address.
    calendar_nonce: Mapped[str | None] = mapped_column(String(32))
    # ``active`` | ``deregistered`` (left its regulator's register; kept for its history).
    status: Mapped[str] = mapped_column(String(15), default="active", server_default="active",
                                        index=True)

    # The database deletes them with the home (ON DELETE CASCADE); without this the ORM would
    # first try to set their NOT NULL care_home_id to NULL, and fail.
    introductions: Mapped[list[Introduction]] = relationship(
        back_populates="care_home", cascade="all", passive_deletes=True)


class CommunityGroup(TimestampMixin, GeocodedMixin, db.Model):
    __tablename__ = "community_groups"
    # The charts count registrations a month by range, nationally and by nation.
    __table_args__ = (Index("ix_groups_status_nation", "status", "nation"),
                      Index("ix_groups_created_at", "created_at"),
                      Index("ix_groups_nation_created_at", "nation", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    town: Mapped[str | None] = mapped_column(String(100))
    travel_radius_km: Mapped[float] = mapped_column(Float, default=10.0)
    availability: Mapped[list[str] | None] = mapped_column(JSON)
    capacity_per_month: Mapped[int | None] = mapped_column(Integer)
    offers_remote: Mapped[bool] = mapped_column(Boolean, default=False)
    remote_modes: Mapped[list[str]] = mapped_column(JSON, default=list)
    works_with_children: Mapped[bool] = mapped_column(Boolean, default=False)
    safeguarding_scheme: Mapped[str | None] = mapped_column(String(10))
    safeguarding_status: Mapped[str | None] = mapped_column(String(10))
    safeguarding_expires_on: Mapped[dt.date | None] = mapped_column(Date)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # The language Kith writes to the group in: ``cy`` or ``en``.
    preferred_language: Mapped[str] = mapped_column(String(2), default="en",
                                                    server_default="en")
    consent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10), default="api")
    # sha256 of the private edit-link token; the token itself is only ever shown once.
    edit_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Changes an approved group made through its link to what is published, waiting for a
    # coordinator: ``{field: proposed value}``; the published values stay until approved.
    pending_changes: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # Part of the private calendar address; a new one revokes the old address.
    calendar_nonce: Mapped[str | None] = mapped_column(String(32))

    introductions: Mapped[list[Introduction]] = relationship(
        back_populates="group", cascade="all", passive_deletes=True)


class Introduction(TimestampMixin, db.Model):
    __tablename__ = "introductions"
    # At most one open introduction per pair, enforced by the database so two simultaneous
    # requests cannot both succeed (services.introductions turns the clash into a 409).
    __table_args__ = (
        Index("uq_introduction_open_pair", "care_home_id", "group_id", unique=True,
              sqlite_where=text(_OPEN_INTRODUCTION), postgresql_where=text(_OPEN_INTRODUCTION)),
        Index("ix_introductions_created_at", "created_at"),  # the charts' monthly counts
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    care_home_id: Mapped[int] = mapped_column(
        ForeignKey("care_homes.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("community_groups.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default="suggested", index=True)
    score: Mapped[float | None] = mapped_column(Float)
    components: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # The group's place (1 = first) in the home's suggestions when it was requested.
    position: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    # The home's words to the group when it asks; the group sees them (notes stay internal).
    message: Mapped[str | None] = mapped_column(Text)
    feedback_rating: Mapped[int | None] = mapped_column(Integer)
    feedback_text: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    care_home: Mapped[CareHome] = relationship(back_populates="introductions")
    group: Mapped[CommunityGroup] = relationship(back_populates="introductions")
    events: Mapped[list[IntroductionEvent]] = relationship(
        back_populates="introduction", order_by="IntroductionEvent.id", cascade="all, delete-orphan"
    )
    visits: Mapped[list[Visit]] = relationship(
        back_populates="introduction", order_by="Visit.starts_at", cascade="all",
        passive_deletes=True)
    outcome: Mapped[PairOutcome | None] = relationship(viewonly=True)


class IntroductionEvent(db.Model):
    """One step of an introduction's lifecycle: who moved it, when, and why."""

    __tablename__ = "introduction_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("introductions.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    introduction: Mapped[Introduction] = relationship(back_populates="events")


class Visit(TimestampMixin, db.Model):
    """A planned visit of an introduction: one-off or a repeating series (its occurrences
    are expanded by ``matcher.domain.visits``; only their exceptions are stored)."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_window", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("introductions.id", ondelete="CASCADE"), index=True)
    # The first start as an instant (for queries) and as the UK time with its offset that
    # was planned (e.g. 2027-06-10T10:00:00+01:00).
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    start_local: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(40), default="Europe/London")
    # The end of the last occurrence, so a window query need not expand every series.
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(12))
    repeat: Mapped[str] = mapped_column(String(12), default="none")
    repeat_until: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="confirmed", index=True)
    proposed_by: Mapped[str] = mapped_column(String(12), default="coordinator")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Optimistic concurrency: a change made from a stale copy fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    introduction: Mapped[Introduction] = relationship(back_populates="visits")
    occurrences: Mapped[list[VisitOccurrence]] = relationship(
        back_populates="visit", order_by="VisitOccurrence.starts_at",
        cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}


class VisitOccurrence(db.Model):
    """One occurrence of a visit whose status is not simply ``planned`` (done, cancelled,
    missed), named by its planned start in UTC."""

    __tablename__ = "visit_occurrences"
    __table_args__ = (UniqueConstraint("visit_id", "key", name="uq_visit_occurrence"),
                      Index("ix_visit_occurrences_status_starts_at", "status", "starts_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(25))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="occurrences")


class VisitFeedback(db.Model):
    """One side's answer to "how did the visit go?": asked by a single-use link."""

    __tablename__ = "visit_feedback"
    __table_args__ = (UniqueConstraint("visit_id", "occurrence_key", "respondent",
                                       name="uq_visit_feedback_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"),
                                          index=True)
    occurrence_key: Mapped[str] = mapped_column(String(25))
    respondent: Mapped[str] = mapped_column(String(12))  # care_home | group
    # sha256 of the link's token; the token itself is only in the email.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    visit: Mapped[Visit] = relationship()


class PairOutcome(db.Model):
    """How an introduction turned out, kept for ranking to learn from: the suggestion's score
    and place when it was requested, and the visits and ratings that followed."""

    __tablename__ = "pair_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("introductions.id", ondelete="CASCADE"), unique=True)
    care_home_id: Mapped[int] = mapped_column(
        ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("community_groups.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    position: Mapped[int | None] = mapped_column(Integer)
    components: Mapped[dict[str, float] | None] = mapped_column(JSON)
    visits_done: Mapped[int] = mapped_column(Integer, default=0)
    visits_missed: Mapped[int] = mapped_column(Integer, default=0)
    visits_cancelled: Mapped[int] = mapped_column(Integer, default=0)
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    ratings_high: Mapped[int] = mapped_column(Integer, default=0)  # rated 4 or 5
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class User(TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(12))
    nation: Mapped[str | None] = mapped_column(String(20))
    care_home_id: Mapped[int | None] = mapped_column(
        ForeignKey("care_homes.id", ondelete="SET NULL")
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language Kith writes to the user in: ``cy`` or ``en``.
    preferred_language: Mapped[str] = mapped_column(String(2), default="en",
                                                    server_default="en")
    # Part of every sign-in session's id: raising it (sign-out, new password) ends them all,
    # even copies of the cookie.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    care_home: Mapped[CareHome | None] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login's protocol, written out so the model does not import Flask.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version or 0}"


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")


class SignInFailure(db.Model):
    """Failed sign-ins for one account name from one client address, and its lock-out.

    Keyed by both, so failures from one address never lock the owner out elsewhere; kept for
    names that are not accounts too, so a lock-out says nothing about which accounts exist.
    """

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the normalised email typed: the table never holds the address in clear.
    account_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                    onupdate=utcnow, index=True)

    __table_args__ = (UniqueConstraint("account_key", "address", name="uq_sign_in_failure"),)


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)


class Allocation(db.Model):
    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    nation: Mapped[str | None] = mapped_column(String(20))
    per_home: Mapped[int] = mapped_column(Integer)
    kinds: Mapped[list[str] | None] = mapped_column(JSON)
    total_score: Mapped[float] = mapped_column(Float)
    # Allocations stored before strategies existed maximised the total score.
    strategy: Mapped[str] = mapped_column(String(10), default="fair", server_default="total")
    max_homes_per_partner: Mapped[int | None] = mapped_column(Integer)
    # The homes that got nobody, each with why: [{"id", "reason"}] (see domain.allocation).
    unserved: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    assignments: Mapped[list[AllocationAssignment]] = relationship(
        back_populates="allocation", cascade="all, delete-orphan"
    )


class AllocationAssignment(db.Model):
    __tablename__ = "allocation_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(
        ForeignKey("allocations.id", ondelete="CASCADE"), index=True
    )
    care_home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("community_groups.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)

    allocation: Mapped[Allocation] = relationship(back_populates="assignments")
    care_home: Mapped[CareHome] = relationship()
    group: Mapped[CommunityGroup] = relationship()


class DataVersion(db.Model):
    """Changes on every write that affects matching, so each worker can tell whether its
    in-memory index is stale with one cheap query."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    # A random token rather than a counter: a rolled-back transaction can restore an old
    # counter value and make a stale cache look current, but never reuse a random token.
    version: Mapped[str] = mapped_column(String(32))


class OutboxMessage(db.Model):
    """One email to send: recorded inside the unit of work that caused it, sent by a task.

    ``(event_key, to_email)`` is unique, so one event never mails one person twice. The body
    is not stored: ``template`` and ``context`` render it when it is sent (and when an admin
    opens it), so erasing a group's data (``services.notifications.forget_groups``) leaves no
    copy behind.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("event_key", "to_email", name="uq_outbox_event_recipient"),
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_about", "about_type", "about_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(String(60))
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    recipient_role: Mapped[str] = mapped_column(String(20))
    # The recipient's language when it was queued: the message is rendered in it.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    about_type: Mapped[str | None] = mapped_column(String(30))
    about_id: Mapped[int | None] = mapped_column(Integer)
    # queued -> sending -> sent; back to queued (with a later next_attempt_at) when delivery
    # fails; failed after the last attempt; cancelled when its recipient left (withdrawal).
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                    index=True)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ImportReview(TimestampMixin, db.Model):
    """A register row that may continue an existing home, waiting for a coordinator.

    A new release's home whose name or first address line is only fairly like an existing
    home's at the same postcode (see :mod:`matcher.domain.registers`) is never merged
    silently: the import stores the row's fields here and leaves both as they were until
    a coordinator says ``same`` (the existing home takes the row's fields and keeps its id)
    or ``different`` (a new home is created from them).
    """

    __tablename__ = "import_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    care_home_id: Mapped[int] = mapped_column(
        ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    regulator: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)
    # The row's wanted fields, its location fields and its external key, as the import
    # would have written them.
    incoming: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A full-register import deregisters the existing home when the row turns out new.
    deregister_if_different: Mapped[bool] = mapped_column(Boolean, default=False)
    # pending -> same | different
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    care_home: Mapped[CareHome] = relationship()
