"""The tables: one person's account, facts and records, as SQLAlchemy 2 typed ORM classes.

Rows keep what was received as it was received (a lab value as printed, with its unit,
range and source), so the engine can read them again, and, for labs, what the core made
of it at write time (the canonical test, value and unit) for charts and queries. Every
record belongs to one person (`person_id`, deleted with them: ON DELETE CASCADE) and is
indexed by person and date, the order the dashboard reads them in. Closed vocabularies
are text with a CHECK constraint and JSON is SQLAlchemy's JSON type, so the same schema
runs on SQLite and PostgreSQL. No relationships are mapped: the repository asks for
exactly the rows it needs, always scoped by person.

`SignInSession` is the web app's server-side session: only a hash of the cookie's token is
kept, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Final, Literal, get_args

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from rlsiron.core.knowledge.conditions import Kidney
from rlsiron.core.models import Comparator, Decision, DietKind, IronSymptom, ProfileId, Route, Sex
from rlsiron.store.column_types import UtcDateTime, one_of, utc_now

Units = Literal["conventional", "si"]
SymptomKind = Literal["irls", "diary"]
ValueForm = Literal["number", "text", "quantity"]
"""How a lab value was given: a number, a text such as "<5", or a number with a comparator."""

Qualifier = Literal["="] | Comparator
Role = Literal["clinician", "admin"]
ActorRole = Literal["patient", "clinician", "admin", "system"]
AuditAction = Literal["read", "create", "update", "delete", "share", "revoke", "import", "export"]

# Deterministic constraint names: migrations can drop and alter them by name.
NAMING: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# SQLite would otherwise reuse the id of a deleted row: a deleted account's id must never
# come back as someone else's (a stale session or link would reach the new owner).
NEVER_REUSE_IDS: Final = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UtcDateTime}


class Person(Base):
    """The account owner: sign-in, display settings and the facts the engine reads."""

    __tablename__ = "people"
    __table_args__ = (
        one_of("units", get_args(Units)),
        one_of("profile", get_args(ProfileId)),
        one_of("sex", get_args(Sex)),
        one_of("kidney", get_args(Kidney)),
        one_of("diet", get_args(DietKind)),
        CheckConstraint(
            "(pregnancy_weeks IS NULL) = (pregnancy_noted IS NULL)", name="pregnancy_dated"
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(Text, unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    # One more with every change to what the engine reads about the person (facts,
    # settings, records; not saved assessments or the password): pages that show the
    # assessment keep it for as long as the revision stands (`store.revision`).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    units: Mapped[Units] = mapped_column(Text)
    profile: Mapped[ProfileId] = mapped_column(Text)
    sex: Mapped[Sex | None] = mapped_column(Text)
    birth_date: Mapped[dt.date | None]
    pregnancy_weeks: Mapped[int | None]
    pregnancy_noted: Mapped[dt.date | None]  # the day pregnancy_weeks was true
    postmenopausal: Mapped[bool | None]
    kidney: Mapped[Kidney | None] = mapped_column(Text)
    diet: Mapped[DietKind | None] = mapped_column(Text)
    iron_symptoms: Mapped[list[IronSymptom]] = mapped_column(JSON)
    rls_urge: Mapped[bool | None]
    rls_rest: Mapped[bool | None]
    rls_movement_relief: Mapped[bool | None]
    rls_evening: Mapped[bool | None]
    rls_not_mimic: Mapped[bool | None]


class Owned(Base):
    """A record of one person, gone with them."""

    __abstract__ = True

    # First in the table, before the subclass's columns.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), sort_order=-1
    )


class LabResult(Owned):
    """One result as received, and the core's reading of it when it was stored."""

    __tablename__ = "lab_results"
    __table_args__ = (
        Index("ix_lab_results_person_date", "person_id", "date"),
        one_of("value_form", get_args(ValueForm)),
        one_of("canonical_qualifier", ("=", *get_args(Comparator))),
        NEVER_REUSE_IDS,
    )

    test: Mapped[str] = mapped_column(Text)  # as printed
    value: Mapped[str] = mapped_column(Text)  # as printed: "38", "38.0", "<5"
    value_form: Mapped[ValueForm] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    date: Mapped[dt.date]
    reference_range: Mapped[str | dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    flag: Mapped[str | None] = mapped_column(Text)
    assay: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(Text)
    source_at: Mapped[str | None] = mapped_column(Text)
    source_text: Mapped[str | None] = mapped_column(Text)
    source_note: Mapped[str | None] = mapped_column(Text)
    canonical_test: Mapped[str] = mapped_column(Text)
    canonical_value: Mapped[float] = mapped_column(Double)
    canonical_qualifier: Mapped[Qualifier] = mapped_column(Text)
    canonical_unit: Mapped[str] = mapped_column(Text)
    plausible: Mapped[bool]


class SymptomEntry(Owned):
    """An IRLS score (the total or the ten items) or one week of the free diary."""

    __tablename__ = "symptom_entries"
    __table_args__ = (
        Index("ix_symptom_entries_person_date", "person_id", "date"),
        one_of("kind", get_args(SymptomKind)),
        NEVER_REUSE_IDS,
    )

    date: Mapped[dt.date]
    kind: Mapped[SymptomKind] = mapped_column(Text)
    irls_total: Mapped[int | None]
    irls_items: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    nights_affected: Mapped[int | None]
    severity: Mapped[int | None]
    sleep_quality: Mapped[int | None]


class Medicine(Owned):
    __tablename__ = "medicines"
    __table_args__ = (Index("ix_medicines_person_started", "person_id", "started"), NEVER_REUSE_IDS)

    text: Mapped[str] = mapped_column(Text)
    started: Mapped[dt.date | None]
    ended: Mapped[dt.date | None]


class Condition(Owned):
    __tablename__ = "conditions"
    __table_args__ = (Index("ix_conditions_person", "person_id"), NEVER_REUSE_IDS)

    text: Mapped[str] = mapped_column(Text)


class IronCourse(Owned):
    """Oral iron from `started` to `ended` (null while it lasts); an infusion is one day."""

    __tablename__ = "iron_courses"
    __table_args__ = (
        Index("ix_iron_courses_person_started", "person_id", "started"),
        one_of("route", get_args(Route)),
        NEVER_REUSE_IDS,
    )

    route: Mapped[Route] = mapped_column(Text)
    product: Mapped[str | None] = mapped_column(Text)
    started: Mapped[dt.date]
    ended: Mapped[dt.date | None]


class SavedAssessment(Owned):
    """An assessment as the engine gave it, with the version of the engine that made it."""

    __tablename__ = "assessments"
    __table_args__ = (
        Index("ix_assessments_person_as_of", "person_id", "as_of"),
        one_of("profile", get_args(ProfileId)),
        one_of("decision", get_args(Decision)),
        NEVER_REUSE_IDS,
    )

    as_of: Mapped[dt.date]
    engine_version: Mapped[str] = mapped_column(Text)
    profile: Mapped[ProfileId] = mapped_column(Text)
    decision: Mapped[Decision] = mapped_column(Text)
    output: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class SignInSession(Owned):
    """A signed-in browser: the SHA-256 of its cookie's token, until it expires or ends.

    Owned like a record, so deleting an account deletes its sessions (signs it out).
    """

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_person", "person_id"),)

    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


# ---------------------------------------------------------------- the clinic (issue 8)


class Organisation(Base):
    """A clinic: its members (clinicians, administrators) see the patients who shared with it."""

    __tablename__ = "organisations"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class Membership(Base):
    """An account's role in a clinic; the account is a `Person` row (who signs in)."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organisation_id", "person_id"),
        Index("ix_memberships_person", "person_id"),
        one_of("role", get_args(Role)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class StaffInvitation(Base):
    """An administrator's single-use, expiring code that makes an account a member (no mail
    server is assumed: the code is shown once and passed on by hand). Only its hash is kept."""

    __tablename__ = "staff_invitations"
    __table_args__ = (one_of("role", get_args(Role)),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(Text)
    code_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class ShareCode(Owned):
    """A patient's single-use, expiring code that a clinic redeems to see their record."""

    __tablename__ = "share_codes"
    __table_args__ = (NEVER_REUSE_IDS,)

    code_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )  # the clinic that redeemed it


class Share(Owned):
    """A patient's record shared with a clinic, until revoked (one row per patient and clinic:
    sharing again after a revocation reopens it; the audit log keeps the history)."""

    __tablename__ = "shares"
    __table_args__ = (
        UniqueConstraint("person_id", "organisation_id"),
        Index("ix_shares_organisation", "organisation_id", "revoked_at"),
        NEVER_REUSE_IDS,
    )

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[dt.datetime | None]


class PatientIdentifier(Owned):
    """A clinic's identifier for a patient who shared with it (an MRN): how its lab feed's
    results find the right person. Unique within the clinic and identifier system."""

    __tablename__ = "patient_identifiers"
    __table_args__ = (
        UniqueConstraint("organisation_id", "system", "value"),
        Index("ix_patient_identifiers_person", "person_id"),
        NEVER_REUSE_IDS,
    )

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)


class ClinicianNote(Owned):
    """A note a clinician adds to a patient's record (person_id is the patient's)."""

    __tablename__ = "clinician_notes"
    __table_args__ = (
        Index("ix_clinician_notes_person", "person_id", "created_at"),
        NEVER_REUSE_IDS,
    )

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class WorklistEntry(Owned):
    """A patient's standing for the clinic's worklist, computed when their records change
    (at `revision`) rather than on every view; date-dependent flags are compared with the
    day of the view in the query (`next_test_due`)."""

    __tablename__ = "worklist"
    __table_args__ = (
        UniqueConstraint("person_id"),
        Index("ix_worklist_urgency", "urgency"),
        NEVER_REUSE_IDS,
    )

    revision: Mapped[int]
    computed_on: Mapped[dt.date]
    decision: Mapped[Decision | None] = mapped_column(Text)  # null: facts still missing
    urgency: Mapped[int]
    flags: Mapped[list[str]] = mapped_column(JSON)
    ferritin: Mapped[float | None] = mapped_column(Double)
    tsat: Mapped[float | None] = mapped_column(Double)
    latest_panel: Mapped[dt.date | None]
    next_test_due: Mapped[dt.date | None]


class AuditEvent(Base):
    """Who read or changed which record, when and from where. Append-only (the migration
    adds triggers that refuse UPDATE and DELETE); ids without foreign keys, so the log
    outlives the accounts it names and holds no personal data but ids and addresses."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject", "subject_id", "at"),
        Index("ix_audit_events_organisation", "organisation_id", "at"),
        one_of("actor_role", get_args(ActorRole)),
        one_of("action", get_args(AuditAction)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    actor_id: Mapped[int | None]
    actor_role: Mapped[ActorRole] = mapped_column(Text)
    organisation_id: Mapped[int | None]
    subject_id: Mapped[int | None]  # the patient whose record it is
    action: Mapped[AuditAction] = mapped_column(Text)
    record: Mapped[str] = mapped_column(Text)  # "labs", "labs/12", "dashboard", "report"
    address: Mapped[str | None] = mapped_column(Text)


class UsedTokenId(Base):
    """A CDS client's token id (`jti`) seen until the token expires: shared by every worker
    process, so a token replayed to another worker is refused too (CDS Hooks security)."""

    __tablename__ = "cds_token_ids"
    __table_args__ = (
        PrimaryKeyConstraint("issuer", "jti"),
        Index("ix_cds_token_ids_expires_at", "expires_at"),
    )

    issuer: Mapped[str] = mapped_column(Text)
    jti: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime]
