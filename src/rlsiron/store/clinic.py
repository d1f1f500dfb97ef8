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

What a member does for a clinic (list its members, invite staff, redeem a patient's code)
is checked in the same transaction as the act: the acting account must hold the role, and
an account that does not (a clinician asking for the administrators' list, a member of
another clinic, a patient) finds no such clinic, the same `NotFoundError`. `by=None` is
the server's operator (`rlsiron admin`), who has no account in the clinic.

Sharing and revoking are written to the audit log in the same transaction as the change,
so the log can never miss one that happened nor show one that did not.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rlsiron.errors import Problem, RlsironError
from rlsiron.store import models as orm
from rlsiron.store.audit import AuditEntry, append
from rlsiron.store.database import Database
from rlsiron.store.errors import NotFoundError
from rlsiron.store.models import ActorRole, Role
from rlsiron.store.owned import require_person, storable_id
from rlsiron.store.schemas import MembershipRecord, OrganisationRecord, ShareRecord, storable
from rlsiron.store.sessions import token_hash

_CODE_BYTES: Final = 16  # 128 bits: not guessable, short enough to read out or type
ROLES: Final[tuple[Role, ...]] = ("clinician", "admin")  # lowest first

CodeProblem = Literal["unknown", "used", "expired"]
_CODE_WORDS: Final = {
    "unknown": "no such code: check it was typed as given",
    "used": "this code has been used already: ask for a new one",
    "expired": "this code has expired: ask for a new one",
}
_ALREADY_MEMBER: Final = "you are a member of this clinic already, with this role or a higher one"


CodeRow = TypeVar("CodeRow", orm.ShareCode, orm.StaffInvitation)


class CodeError(RlsironError):
    """A share code or staff invitation that cannot be used (one problem, at `code`)."""

    def __init__(self, why: CodeProblem) -> None:
        super().__init__(problems=[Problem("code", _CODE_WORDS[why])])
        self.why = why


def new_code() -> str:
    return secrets.token_urlsafe(_CODE_BYTES)


class ClinicMembership(BaseModel):
    """A clinic an account belongs to, named, with the account's role in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    organisation_id: int
    organisation: str  # the clinic's name
    role: Role
    since: dt.datetime


class MemberRecord(BaseModel):
    """A member of a clinic as its administrators see them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    person_id: int
    email: str
    role: Role
    since: dt.datetime


# ---------------------------------------------------------------- organisations and members


def create_organisation(
    db: Database, name: str, *, first_admin: int | None = None
) -> OrganisationRecord:
    """A new clinic, with `first_admin` as its administrator in the same transaction (a
    clinic without one could never invite anybody); its name must be new and not empty
    (`RlsironError` at `name` otherwise)."""
    chosen = _clinic_name(name)
    try:
        with db.transaction() as session:
            row = orm.Organisation(name=chosen)
            session.add(row)
            session.flush()
            if first_admin is not None:
                _join(session, row.id, first_admin, "admin")
            return OrganisationRecord.model_validate(row, from_attributes=True)
    except IntegrityError:
        raise _name_taken(name) from None


def free_clinic_name(db: Database, name: str) -> str:
    """The name a new clinic would get (spaces around dropped), or `RlsironError` at `name`
    when it cannot have it: asked before anything else is (`rlsiron admin` asks for a
    password only then). `create_organisation` checks again in its transaction."""
    if organisation_named(db, name) is not None:
        raise _name_taken(name)
    return _clinic_name(name)


def organisation_named(db: Database, name: str) -> OrganisationRecord | None:
    """The clinic of this name (as given when it was made, spaces around ignored)."""
    chosen = name.strip()
    if not storable(chosen):
        return None
    with db.reading() as session:
        row = session.scalars(
            select(orm.Organisation).where(orm.Organisation.name == chosen)
        ).one_or_none()
        return None if row is None else OrganisationRecord.model_validate(row, from_attributes=True)


def add_member(db: Database, organisation_id: int, person_id: int, role: Role) -> MembershipRecord:
    """The account made a member (or its role changed, if it is one already)."""
    with db.transaction() as session:
        return _join(session, organisation_id, person_id, role)


def clinics_of(db: Database, person_id: int) -> list[ClinicMembership]:
    """The clinics an account belongs to, by name, with its role in each."""
    with db.reading() as session:
        rows = session.execute(
            select(orm.Membership, orm.Organisation.name)
            .join(orm.Organisation, orm.Organisation.id == orm.Membership.organisation_id)
            .where(orm.Membership.person_id == person_id)
            .order_by(orm.Organisation.name, orm.Membership.organisation_id)
        )
        return [_clinic_membership(member, name) for member, name in rows]


def membership(
    db: Database, organisation_id: int, person_id: int, *, roles: tuple[Role, ...] = ROLES
) -> ClinicMembership:
    """The account's membership of the clinic when it holds one of `roles`; `NotFoundError`
    otherwise, as for a clinic that does not exist."""
    with db.reading() as session:
        member = require_role(session, organisation_id, person_id, roles)
        return _clinic_membership(member, _organisation(session, organisation_id).name)


def members_of(db: Database, organisation_id: int, *, by: int | None) -> list[MemberRecord]:
    """The clinic's members, administrators first; only its administrators may ask."""
    with db.reading() as session:
        _act_for(session, organisation_id, by, ("admin",))
        rows = session.execute(
            select(orm.Membership, orm.Person.email)
            .join(orm.Person, orm.Person.id == orm.Membership.person_id)
            .where(orm.Membership.organisation_id == organisation_id)
            .order_by(orm.Membership.role, orm.Person.email)  # "admin" sorts first
        )
        return [
            MemberRecord(
                person_id=member.person_id, email=email, role=member.role, since=member.created_at
            )
            for member, email in rows
        ]


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
    """A single-use code that makes whoever redeems it a member with `role` (shown once);
    `created_by` must be an administrator of the clinic (None: the server's operator)."""
    code = new_code()
    with db.transaction() as session:
        _act_for(session, organisation_id, created_by, ("admin",))
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
    """The account made a member by an administrator's invitation, which is then used up.
    A member already holding the role (or a higher one) is refused at `code` and the code
    stays unused: an invitation never lowers a role, so it cannot lock an administrator out."""
    with db.transaction() as session:
        invitation = _find_code(session, orm.StaffInvitation, code)
        _check_code(invitation, now)
        assert invitation is not None
        held = session.scalar(
            select(orm.Membership.role).where(
                orm.Membership.organisation_id == invitation.organisation_id,
                orm.Membership.person_id == person_id,
            )
        )
        if held is not None and ROLES.index(held) >= ROLES.index(invitation.role):
            raise RlsironError(problems=[Problem("code", _ALREADY_MEMBER)])
        invitation.used_at, invitation.used_by = now, person_id
        return _join(session, invitation.organisation_id, person_id, invitation.role, since=now)


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
    db: Database,
    code: str,
    organisation_id: int,
    *,
    now: dt.datetime,
    by: int | None = None,
    address: str | None = None,
) -> ShareRecord:
    """The patient's record shared with the clinic that redeems the code (a revoked share
    with the same clinic is opened again); the code is then used up. `by` is the member
    redeeming it (None: the server's operator), checked before the code is even looked at,
    so that nobody outside the clinic can learn whether a code is good."""
    with db.transaction() as session:
        role = _act_for(session, organisation_id, by, ROLES)
        found = _find_code(session, orm.ShareCode, code)
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
        _log_sharing(session, "share", now, (by, role), organisation_id, found.person_id, address)
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


def revoke_share(
    db: Database,
    patient_id: int,
    organisation_id: int,
    *,
    now: dt.datetime,
    address: str | None = None,
) -> None:
    """The clinic's access ends now (its next request is refused); `NotFoundError` when the
    patient has no open share with it."""
    if not storable_id(organisation_id):
        raise NotFoundError("share", organisation_id)
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
        actor: tuple[int, ActorRole] = (patient_id, "patient")
        _log_sharing(session, "revoke", now, actor, organisation_id, patient_id, address)


def clinic_of(
    db: Database, clinician_id: int, patient_id: int, *, organisation_id: int | None = None
) -> int:
    """The clinic through which a member may see the patient: `organisation_id` when given,
    else the first of the member's clinics with an open share from the patient.
    `NotFoundError` (the API's 404) otherwise."""
    if not storable_id(patient_id) or not storable_id(organisation_id or 0):
        raise NotFoundError("patient", patient_id)
    through = () if organisation_id is None else (orm.Share.organisation_id == organisation_id,)
    with db.reading() as session:
        found = session.scalar(
            select(orm.Share.organisation_id)
            .join(orm.Membership, orm.Membership.organisation_id == orm.Share.organisation_id)
            .where(
                orm.Membership.person_id == clinician_id,
                orm.Share.person_id == patient_id,
                orm.Share.revoked_at.is_(None),
                *through,
            )
            .order_by(orm.Share.organisation_id)
            .limit(1)
        )
    if found is None:
        raise NotFoundError("patient", patient_id)
    return found


# ---------------------------------------------------------------- the operator's commands


def reset_password(db: Database, person_id: int, password_hash: str) -> None:
    """The account's password replaced and every session of it ended, in one transaction:
    whoever was signed in with the old password is signed out at their next request
    (`rlsiron admin reset-password`; no mail server is assumed)."""
    with db.transaction() as session:
        require_person(session, person_id, lock=True).password_hash = password_hash
        session.execute(delete(orm.SignInSession).where(orm.SignInSession.person_id == person_id))


# ---------------------------------------------------------------- helpers


def _clinic_name(name: str) -> str:
    chosen = name.strip()
    if not chosen:
        raise RlsironError(problems=[Problem("name", "a clinic needs a name", name)])
    if not storable(chosen):
        raise RlsironError(problems=[Problem("name", "must be text without NUL characters")])
    return chosen


def _name_taken(name: str) -> RlsironError:
    return RlsironError(problems=[Problem("name", "a clinic of this name exists already", name)])


def _organisation(session: Session, organisation_id: int) -> orm.Organisation:
    row = session.get(orm.Organisation, organisation_id) if storable_id(organisation_id) else None
    if row is None:
        raise NotFoundError("clinic", organisation_id)
    return row


def require_role(
    session: Session, organisation_id: int, person_id: int, roles: tuple[Role, ...]
) -> orm.Membership:
    """The account's membership when it holds one of `roles`; else the clinic is not found."""
    found = None
    if storable_id(organisation_id):
        found = session.scalars(
            select(orm.Membership).where(
                orm.Membership.organisation_id == organisation_id,
                orm.Membership.person_id == person_id,
                orm.Membership.role.in_(roles),
            )
        ).one_or_none()
    if found is None:
        raise NotFoundError("clinic", organisation_id)
    return found


def _act_for(
    session: Session, organisation_id: int, by: int | None, roles: tuple[Role, ...]
) -> ActorRole:
    """Who acts for the clinic: a member holding one of `roles`, or (None) the operator."""
    if by is None:
        _organisation(session, organisation_id)
        return "system"
    return require_role(session, organisation_id, by, roles).role


def _clinic_membership(member: orm.Membership, name: str) -> ClinicMembership:
    return ClinicMembership(
        organisation_id=member.organisation_id,
        organisation=name,
        role=member.role,
        since=member.created_at,
    )


def _find_code(session: Session, table: type[CodeRow], code: str) -> CodeRow | None:
    """The code's row, locked until the transaction ends (two redeemers cannot both use
    it); None for text that could not be a code (nothing is asked of the database)."""
    if not code.isascii():
        return None
    return session.scalars(
        select(table).where(table.code_hash == token_hash(code)).with_for_update()
    ).one_or_none()


def _log_sharing(
    session: Session,
    action: Literal["share", "revoke"],
    at: dt.datetime,
    actor: tuple[int | None, ActorRole],
    organisation_id: int,
    patient_id: int,
    address: str | None,
) -> None:
    """A change of who may see the patient's record, in the audit log (record "shares")."""
    actor_id, actor_role = actor
    entry = AuditEntry(
        actor_id=actor_id,
        actor_role=actor_role,
        organisation_id=organisation_id,
        subject_id=patient_id,
        action=action,
        record="shares",
        address=address,
    )
    append(session, entry, at=at)


def _join(
    session: Session,
    organisation_id: int,
    person_id: int,
    role: Role,
    *,
    since: dt.datetime | None = None,
) -> MembershipRecord:
    """The account a member with `role` (a new member since `since`, the caller's clock when
    it has one)."""
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
        if since is not None:
            row.created_at = since
        session.add(row)
    row.role = role
    session.flush()
    return MembershipRecord.model_validate(row, from_attributes=True)


def _check_code(found: CodeRow | None, now: dt.datetime) -> None:
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
