"""The clinic: organisations and their members, and patients sharing their record with one.

Who may see a patient is decided here and nowhere else (`clinic_of`): a member of a clinic
with which the patient has an unrevoked share. Everything else (another clinic, a revoked
share, a patient who never shared) is `NotFoundError`, as a record of another person is, so
a clinician cannot even learn that a patient exists. Revocation takes effect on the next
request because nothing about access is remembered between requests.

Codes (a patient's share code for a clinic, an administrator's staff invitation) are shown
once and kept only as their SHA-256, like session tokens: 128 random bits that nobody
chose, so a hash cannot be reversed by guessing. Each is single-use and expires; a code
that is unknown, used or expired is refused with what is wrong (`CodeError`), and nothing
is written. Times come from the caller's clock.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rlsiron.errors import Problem, RlsironError
from rlsiron.store import models as orm
from rlsiron.store.database import Database
from rlsiron.store.errors import NotFoundError
from rlsiron.store.models import Role
from rlsiron.store.owned import require_person
from rlsiron.store.schemas import MembershipRecord, OrganisationRecord, ShareRecord
from rlsiron.store.sessions import token_hash

_CODE_BYTES: Final = 16  # 128 bits: not guessable, short enough to read out or type

CodeProblem = Literal["unknown", "used", "expired"]
_CODE_WORDS: Final = {
    "unknown": "no such code: check it was typed as given",
    "used": "this code has been used already: ask for a new one",
    "expired": "this code has expired: ask for a new one",
}


class CodeError(RlsironError):
    """A share code or staff invitation that cannot be used (one problem, at `code`)."""

    def __init__(self, why: CodeProblem) -> None:
        super().__init__(problems=[Problem("code", _CODE_WORDS[why])])
        self.why = why


def new_code() -> str:
    return secrets.token_urlsafe(_CODE_BYTES)


# ---------------------------------------------------------------- organisations and members


def create_organisation(db: Database, name: str) -> OrganisationRecord:
    """A new clinic; its name must be new (`RlsironError` at `name` otherwise)."""
    try:
        with db.transaction() as session:
            row = orm.Organisation(name=name.strip())
            session.add(row)
            session.flush()
            return OrganisationRecord.model_validate(row, from_attributes=True)
    except IntegrityError:
        raise RlsironError(
            problems=[Problem("name", "a clinic of this name exists already", name)]
        ) from None


def add_member(db: Database, organisation_id: int, person_id: int, role: Role) -> MembershipRecord:
    """The account made a member (or its role changed, if it is one already)."""
    with db.transaction() as session:
        return _join(session, organisation_id, person_id, role)


def memberships_of(db: Database, person_id: int) -> list[MembershipRecord]:
    """The clinics an account belongs to, with its role in each (none: a patient only)."""
    with db.reading() as session:
        rows = session.scalars(
            select(orm.Membership)
            .where(orm.Membership.person_id == person_id)
            .order_by(orm.Membership.organisation_id)
        )
        return [MembershipRecord.model_validate(row, from_attributes=True) for row in rows]


def role_in(db: Database, person_id: int, organisation_id: int) -> Role | None:
    with db.reading() as session:
        return session.scalar(
            select(orm.Membership.role).where(
                orm.Membership.person_id == person_id,
                orm.Membership.organisation_id == organisation_id,
            )
        )


def invite_staff(
    db: Database,
    organisation_id: int,
    role: Role,
    *,
    created_by: int | None,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> str:
    """A single-use code that makes whoever redeems it a member with `role` (shown once)."""
    code = new_code()
    with db.transaction() as session:
        _organisation(session, organisation_id)
        session.add(
            orm.StaffInvitation(
                organisation_id=organisation_id,
                role=role,
                code_hash=token_hash(code),
                created_by=created_by,
                created_at=now,
                expires_at=now + lifetime,
            )
        )
    return code


def join_with_code(
    db: Database, code: str, person_id: int, *, now: dt.datetime
) -> MembershipRecord:
    """The account made a member by an administrator's invitation, which is then used up."""
    with db.transaction() as session:
        invitation = session.scalars(
            select(orm.StaffInvitation)
            .where(orm.StaffInvitation.code_hash == token_hash(code))
            .with_for_update()
        ).one_or_none()
        _check_code(invitation, now)
        assert invitation is not None
        invitation.used_at, invitation.used_by = now, person_id
        return _join(session, invitation.organisation_id, person_id, invitation.role)


# ---------------------------------------------------------------- sharing


def create_share_code(
    db: Database, patient_id: int, *, now: dt.datetime, lifetime: dt.timedelta
) -> str:
    """A single-use code the patient gives a clinic (shown once; only its hash is kept)."""
    code = new_code()
    with db.transaction() as session:
        require_person(session, patient_id, lock=True)
        session.add(
            orm.ShareCode(
                person_id=patient_id,
                code_hash=token_hash(code),
                created_at=now,
                expires_at=now + lifetime,
            )
        )
    return code


def redeem_share_code(
    db: Database, code: str, organisation_id: int, *, now: dt.datetime
) -> ShareRecord:
    """The patient's record shared with the clinic that redeems the code (a revoked share
    with the same clinic is opened again); the code is then used up."""
    with db.transaction() as session:
        _organisation(session, organisation_id)
        found = session.scalars(
            select(orm.ShareCode)
            .where(orm.ShareCode.code_hash == token_hash(code))
            .with_for_update()
        ).one_or_none()
        _check_code(found, now)
        assert found is not None
        found.used_at, found.organisation_id = now, organisation_id
        share = session.scalars(
            select(orm.Share).where(
                orm.Share.person_id == found.person_id,
                orm.Share.organisation_id == organisation_id,
            )
        ).one_or_none()
        if share is None:
            share = orm.Share(person_id=found.person_id, organisation_id=organisation_id)
            session.add(share)
        share.created_at, share.revoked_at = now, None
        session.flush()
        return _share_record(session, share)


def shares_of(db: Database, patient_id: int) -> list[ShareRecord]:
    """Who has (or had) access to the patient's record, newest first; revoked ones say when."""
    with db.reading() as session:
        rows = session.scalars(
            select(orm.Share)
            .where(orm.Share.person_id == patient_id)
            .order_by(orm.Share.created_at.desc(), orm.Share.id)
        )
        return [_share_record(session, row) for row in rows]


def revoke_share(db: Database, patient_id: int, organisation_id: int, *, now: dt.datetime) -> None:
    """The clinic's access ends now (its next request is refused); `NotFoundError` when the
    patient has no open share with it."""
    with db.transaction() as session:
        share = session.scalars(
            select(orm.Share).where(
                orm.Share.person_id == patient_id,
                orm.Share.organisation_id == organisation_id,
                orm.Share.revoked_at.is_(None),
            )
        ).one_or_none()
        if share is None:
            raise NotFoundError("share", organisation_id)
        share.revoked_at = now


def clinic_of(db: Database, clinician_id: int, patient_id: int) -> int:
    """The clinic through which a member may see the patient: one of the member's clinics
    with an open share from the patient. `NotFoundError` (the API's 404) otherwise."""
    with db.reading() as session:
        found = session.scalar(
            select(orm.Share.organisation_id)
            .join(orm.Membership, orm.Membership.organisation_id == orm.Share.organisation_id)
            .where(
                orm.Membership.person_id == clinician_id,
                orm.Share.person_id == patient_id,
                orm.Share.revoked_at.is_(None),
            )
            .order_by(orm.Share.organisation_id)
            .limit(1)
        )
    if found is None:
        raise NotFoundError("patient", patient_id)
    return found


def linked_patients(db: Database, organisation_id: int) -> list[int]:
    """The ids of the patients with an open share with the clinic."""
    with db.reading() as session:
        return list(
            session.scalars(
                select(orm.Share.person_id)
                .where(orm.Share.organisation_id == organisation_id, orm.Share.revoked_at.is_(None))
                .order_by(orm.Share.person_id)
            )
        )


# ---------------------------------------------------------------- helpers


def _organisation(session: Session, organisation_id: int) -> orm.Organisation:
    row = session.get(orm.Organisation, organisation_id)
    if row is None:
        raise NotFoundError("clinic", organisation_id)
    return row


def _join(session: Session, organisation_id: int, person_id: int, role: Role) -> MembershipRecord:
    _organisation(session, organisation_id)
    require_person(session, person_id, lock=True)
    row = session.scalars(
        select(orm.Membership).where(
            orm.Membership.organisation_id == organisation_id,
            orm.Membership.person_id == person_id,
        )
    ).one_or_none()
    if row is None:
        row = orm.Membership(organisation_id=organisation_id, person_id=person_id, role=role)
        session.add(row)
    row.role = role
    session.flush()
    return MembershipRecord.model_validate(row, from_attributes=True)


def _check_code(found: orm.ShareCode | orm.StaffInvitation | None, now: dt.datetime) -> None:
    if found is None:
        raise CodeError("unknown")
    if found.used_at is not None:
        raise CodeError("used")
    if found.expires_at <= now:
        raise CodeError("expired")


def _share_record(session: Session, share: orm.Share) -> ShareRecord:
    clinic = _organisation(session, share.organisation_id)
    return ShareRecord(
        patient_id=share.person_id,
        organisation_id=share.organisation_id,
        organisation=clinic.name,
        created_at=share.created_at,
        revoked_at=share.revoked_at,
    )
