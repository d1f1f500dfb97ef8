"""The clinic's lab feed in the store: its identifiers for patients, matching, storing.

A clinic knows its patients by its own identifiers (a medical record number, a national
number): `PatientIdentifier` rows of (system, value), each naming one patient within a
clinic. Members of the clinic (clinicians and administrators alike: running the lab feed is
often an administrator's job) add, list and remove the identifiers of a patient linked to
the clinic; a patient not linked, a clinic the account is not a member of, and an id no row
can have are all `NotFoundError`, as everywhere else. Each is one request about one
patient, which the app's audit trail logs (`web.audit`).

Matching (`match_feed`) reads the clinic's identifiers once and gives, for each patient of
a feed, the linked patient that the identifiers the clinic knows among the feed's all
name, or why there is none: the feed gives no identifier; no identifier is known, or it is
that of a patient no longer linked (the two read alike, so a feed tells a clinic nothing
about a patient who revoked); or the identifiers name different patients. An identifier
the clinic does not know is no conflict; one that names another patient is.

Storing (`store_feed_results`) is one transaction per patient: the patient's share with the
clinic is locked and checked open, the results go in as an accepted upload's do
(`accept_import`: every row read by the core, what is stored already skipped, the revision
moved on), and the import is written to the audit log, all or nothing. One request of a
feed stores many patients' results, so the store logs each patient's import itself rather
than the app's audit trail. A revocation that lands while a feed is being stored waits for
the patient's transaction; the next patient's finds the share closed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rlsiron.core.models import NonEmpty
from rlsiron.errors import Problem, RlsironError
from rlsiron.store import models as orm
from rlsiron.store.audit import AuditEntry, append

# The clinic's own check, made inside this module's transactions: whether an account holds
# a role in a clinic.
from rlsiron.store.clinic import ROLES, require_role
from rlsiron.store.column_types import utc_now
from rlsiron.store.database import Database
from rlsiron.store.errors import NotFoundError
from rlsiron.store.imports import AcceptedImport, accept_import
from rlsiron.store.models import Role
from rlsiron.store.owned import storable_id
from rlsiron.store.recreate import one_transaction
from rlsiron.store.schemas import storable

IdentifierKey = tuple[str, str]
"""An identifier as (system, value); the system "" when the feed names none."""

Unmatched = Literal["no_identifier", "unknown", "several_patients"]
_FEED_KEYS: Final = frozenset({"labs", "provenance", "needs_review"})
_TAKEN: Final = "is already an identifier of a patient of this clinic"


@dataclass(frozen=True, slots=True)
class Staff:
    """A member acting for a clinic, as the audit log records them: who, for which clinic,
    from where and when. What a request claims, not a permission: every function checks
    the membership again in its own transaction."""

    person_id: int
    organisation_id: int
    address: str | None = None  # an IP address: the audit log keeps nothing else
    at: dt.datetime | None = None  # the request's clock; None: now


class IdentifierEntry(BaseModel):
    """A clinic's identifier for a patient: the system that issued it and the value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: NonEmpty | None = Field(
        default=None,
        description="A URI in FHIR (Identifier.system), the assigning authority in HL7 v2 "
        "(PID-3.4); null for a feed that names none.",
    )
    value: NonEmpty

    @field_validator("system", "value")
    @classmethod
    def _storable(cls, text: str | None) -> str | None:
        if text is not None and not storable(text):
            raise ValueError("must be text without NUL characters or unpaired surrogates")
        return text


class IdentifierRecord(IdentifierEntry):
    id: int
    patient_id: int


@dataclass(frozen=True, slots=True)
class FeedMatch:
    """Whom one patient of a feed is: a linked patient and the identifiers that said so, or
    why nobody."""

    patient_id: int | None
    identifiers: tuple[IdentifierKey, ...] = ()
    unmatched: Unmatched | None = None


# ---------------------------------------------------------------- the clinic's identifiers


def identifiers_of(db: Database, staff: Staff, patient_id: int) -> list[IdentifierRecord]:
    """The clinic's identifiers of a linked patient."""
    with db.reading() as session:
        _role(session, staff)
        _linked(session, staff.organisation_id, patient_id)
        rows = session.scalars(
            select(orm.PatientIdentifier)
            .where(
                orm.PatientIdentifier.organisation_id == staff.organisation_id,
                orm.PatientIdentifier.person_id == patient_id,
            )
            .order_by(orm.PatientIdentifier.system, orm.PatientIdentifier.value)
        )
        return [_identifier(row) for row in rows]


def add_identifier(
    db: Database, staff: Staff, patient_id: int, entry: IdentifierEntry
) -> IdentifierRecord:
    """The identifier given to a linked patient; `RlsironError` at `value` when it is an
    identifier of a patient of the clinic already (this one or another)."""
    try:
        with db.transaction() as session:
            _role(session, staff)
            _linked(session, staff.organisation_id, patient_id, lock=True)
            row = orm.PatientIdentifier(
                person_id=patient_id,
                organisation_id=staff.organisation_id,
                system=entry.system or "",  # the column's "no system", as feeds give it
                value=entry.value,
            )
            session.add(row)
            session.flush()
            return _identifier(row)
    except IntegrityError:  # the clinic's (system, value) pair: the only constraint it can break
        where = f" (system {entry.system})" if entry.system else ""
        raise RlsironError(problems=[Problem("value", _TAKEN + where, entry.value)]) from None


def remove_identifier(db: Database, staff: Staff, patient_id: int, identifier_id: int) -> None:
    """The identifier removed from a linked patient: the feed no longer finds them by it."""
    with db.transaction() as session:
        _role(session, staff)
        _linked(session, staff.organisation_id, patient_id, lock=True)
        if not storable_id(identifier_id):
            raise NotFoundError("identifier", identifier_id)
        row = session.scalars(
            select(orm.PatientIdentifier).where(
                orm.PatientIdentifier.id == identifier_id,
                orm.PatientIdentifier.person_id == patient_id,
                orm.PatientIdentifier.organisation_id == staff.organisation_id,
            )
        ).one_or_none()
        if row is None:
            raise NotFoundError("identifier", identifier_id)
        session.delete(row)


# ---------------------------------------------------------------- the feed


def match_feed(
    db: Database, staff: Staff, patients: Sequence[Collection[IdentifierKey]]
) -> list[FeedMatch]:
    """Whom each patient of a feed is, given the identifiers the feed names them by.

    One reading of the clinic's identifiers and shares (a few rows a patient), so a feed of
    thousands of patients costs two queries.
    """
    with db.reading() as session:
        _role(session, staff)
        clinic = staff.organisation_id
        holders: dict[IdentifierKey, int] = {
            (system, value): person
            for system, value, person in session.execute(
                select(
                    orm.PatientIdentifier.system,
                    orm.PatientIdentifier.value,
                    orm.PatientIdentifier.person_id,
                ).where(orm.PatientIdentifier.organisation_id == clinic)
            )
        }
        linked = set(
            session.scalars(
                select(orm.Share.person_id).where(
                    orm.Share.organisation_id == clinic, orm.Share.revoked_at.is_(None)
                )
            )
        )
    return [_matched(identifiers, holders, linked) for identifiers in patients]


def store_feed_results(
    db: Database, staff: Staff, patient_id: int, document: Mapping[str, Any], *, today: dt.date
) -> AcceptedImport:
    """One patient's results from a feed, in one transaction, as an accepted upload stores
    them (`accept_import`: the rows read by the core again, what is stored already skipped);
    the document holds lab rows only (`labs`, with their `provenance`).

    `NotFoundError` when `staff` is not a member or the patient not linked (any more);
    `RlsironError` with every problem of the rows. Either way nothing is stored.
    """
    others = sorted(set(document) - _FEED_KEYS)
    if others:
        raise RlsironError(
            problems=[
                Problem(key, "is not part of a lab feed: a feed stores results only")
                for key in others
            ]
        )
    with one_transaction(db) as joined:
        with joined.transaction() as session:
            role = _role(session, staff)
            # Locked until the results are stored: a revocation waits, then takes effect.
            _linked(session, staff.organisation_id, patient_id, lock=True)
            # Logged first, in the same outer transaction: it rolls back with the results.
            _imported(session, staff, role, patient_id)
        return accept_import(joined, patient_id, document, use_facts=False, today=today)


# ---------------------------------------------------------------- helpers


def _matched(
    identifiers: Collection[IdentifierKey], holders: Mapping[IdentifierKey, int], linked: set[int]
) -> FeedMatch:
    if not identifiers:
        return FeedMatch(None, unmatched="no_identifier")
    known = {key: holders[key] for key in identifiers if key in holders}
    people = set(known.values())
    if len(people) > 1:
        return FeedMatch(None, unmatched="several_patients")
    if not people or not people <= linked:
        return FeedMatch(None, unmatched="unknown")
    (person,) = people
    return FeedMatch(person, tuple(sorted(known)))


def _role(session: Session, staff: Staff) -> Role:
    """The account's role in the clinic; `NotFoundError` for a clinic it is not a member of."""
    return require_role(session, staff.organisation_id, staff.person_id, ROLES).role


def _linked(session: Session, organisation_id: int, patient_id: int, *, lock: bool = False) -> None:
    """The patient has an open share with the clinic; `lock` holds the share until the transaction ends, so a revocation waits."""
    if not storable_id(patient_id):
        raise NotFoundError("patient", patient_id)
    query = select(orm.Share.id).where(
        orm.Share.person_id == patient_id,
        orm.Share.organisation_id == organisation_id,
        orm.Share.revoked_at.is_(None),
    )
    if session.scalar(query.with_for_update() if lock else query) is None:
        raise NotFoundError("patient", patient_id)


def _identifier(row: orm.PatientIdentifier) -> IdentifierRecord:
    return IdentifierRecord(
        id=row.id, patient_id=row.person_id, system=row.system or None, value=row.value
    )


def _imported(session: Session, staff: Staff, role: Role, patient_id: int) -> None:
    """The import in the audit log, in the transaction of the results it stored."""
    entry = AuditEntry(
        actor_id=staff.person_id,
        actor_role=role,
        organisation_id=staff.organisation_id,
        subject_id=patient_id,
        action="import",
        record="labs",
        address=staff.address,
    )
    append(session, entry, at=staff.at or utc_now())
