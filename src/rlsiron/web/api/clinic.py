"""The clinic: a patient's sharing, an account's clinics, and what a clinic's members do.

Patient side: `POST /me/share-codes` makes a single-use code (shown in this answer only,
with its expiry) that the patient gives a clinic; `GET /me/shares` says who has access and
who had it (revoked, with when); `DELETE /me/shares/{organisation_id}` ends a clinic's
access, from its next request on. Member side: `GET /me/clinics` lists the account's
clinics and roles; `POST /me/clinics/join` redeems an administrator's invitation code;
`POST /clinics/{organisation_id}/shares` redeems a patient's code for the clinic. Admin
side: `POST /clinics/{organisation_id}/invitations` and `GET /clinics/{organisation_id}/
members`.

Who may act for a clinic is the store's decision, made in the transaction of the act
(`store.clinic`): anyone without the role there (a clinician at the administrators'
routes, a member of another clinic, a patient) gets 404, as for a clinic that does not
exist. A code that is unknown, used or expired is 422 with the store's message at `code`,
and nothing is written. Codes live for the settings' `share_code_lifetime` and `invitation_lifetime`.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Annotated, Final

from fastapi import APIRouter, Body, Request, status
from pydantic import BaseModel, Field, StringConstraints

from rlsiron.store import ShareRecord, create_share_code, join_with_code, shares_of
from rlsiron.store.clinic import (
    ClinicMembership,
    MemberRecord,
    clinics_of,
    invite_staff,
    members_of,
    membership,
    redeem_share_code,
    revoke_share,
)
from rlsiron.store.models import Role
from rlsiron.web.audit import client_address
from rlsiron.web.deps import AppState, CurrentPerson, DatabaseDep, SignedIn, StateDep
from rlsiron.web.openapi import CHANGE_ONE, READ_ONE, problem_responses

router = APIRouter(tags=["clinic"])

# How long a code can be redeemed: long enough to reach the clinic or the colleague by
# hand, short enough that a code lost on paper soon stops working.
_LONGEST_CODE: Final = 64  # codes are 22 characters: room for spaces pasted around one

_READ: Final = problem_responses(HTTPStatus.UNAUTHORIZED)
_CREATE: Final = problem_responses(HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)
_REDEEM: Final = problem_responses(
    HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY
)

CodeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=_LONGEST_CODE)
]


class CodeGiven(BaseModel):
    """A code as someone typed it (spaces around it are ignored)."""

    code: CodeText = Field(examples=["kC3v8m2Qx0bN7wLr5TzYhA"])


class NewCode(BaseModel):
    """A single-use code, shown in this answer only: the server keeps only its hash."""

    code: str
    expires_at: dt.datetime


class InvitationAsked(BaseModel):
    role: Role = Field(default="clinician", description="The role the code gives.")


class NewInvitation(NewCode):
    organisation_id: int
    role: Role


# ---------------------------------------------------------------- the patient's side


@router.post("/me/share-codes", status_code=status.HTTP_201_CREATED, responses=_CREATE)
def new_share_code(me: CurrentPerson, state: StateDep) -> NewCode:
    """A code the patient gives a clinic: whoever redeems it for their clinic sees the
    patient's record until the patient revokes it. Single use; it expires."""
    now = state.now()
    lifetime = state.settings.share_code_lifetime
    code = create_share_code(state.db, me.person_id, now=now, lifetime=lifetime)
    return NewCode(code=code, expires_at=now + lifetime)


@router.get("/me/shares", responses=_READ)
def my_shares(me: CurrentPerson, db: DatabaseDep) -> list[ShareRecord]:
    """The clinics that have access, and those that had it (`revoked_at` says when)."""
    return shares_of(db, me.person_id)


@router.delete(
    "/me/shares/{organisation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=CHANGE_ONE,
)
def revoke(organisation_id: int, me: CurrentPerson, state: StateDep, request: Request) -> None:
    """The clinic's access ends: its next request is refused. 404 when the clinic has no
    access to revoke."""
    revoke_share(
        state.db, me.person_id, organisation_id, now=state.now(), address=client_address(request)
    )


# ---------------------------------------------------------------- a member's side


@router.get("/me/clinics", responses=_READ)
def my_clinics(me: CurrentPerson, db: DatabaseDep) -> list[ClinicMembership]:
    """The clinics the account belongs to and its role in each (none for a patient)."""
    return clinics_of(db, me.person_id)


@router.post("/me/clinics/join", status_code=status.HTTP_201_CREATED, responses=_REDEEM)
def join(given: CodeGiven, me: CurrentPerson, state: StateDep) -> ClinicMembership:
    """The account becomes a member of the clinic whose administrator gave the code."""
    joined = join_with_code(state.db, given.code, me.person_id, now=state.now())
    return membership(state.db, joined.organisation_id, me.person_id)


@router.post(
    "/clinics/{organisation_id}/shares",
    status_code=status.HTTP_201_CREATED,
    responses=CHANGE_ONE,
)
def add_patient(
    organisation_id: int, given: CodeGiven, me: CurrentPerson, state: StateDep, request: Request
) -> ShareRecord:
    """A patient's code redeemed for the clinic by one of its members: the patient's record
    is shared with the clinic from now on."""
    return redeem_for_clinic(state, me, organisation_id, given.code, request)


def redeem_for_clinic(
    state: AppState, me: SignedIn, organisation_id: int, code: str, request: Request
) -> ShareRecord:
    """The one way a member redeems a patient's code (the API and the page)."""
    return redeem_share_code(
        state.db,
        code,
        organisation_id,
        now=state.now(),
        by=me.person_id,
        address=client_address(request),
    )


# ---------------------------------------------------------------- an administrator's side


@router.post(
    "/clinics/{organisation_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    responses=CHANGE_ONE,
)
def invite(
    organisation_id: int,
    me: CurrentPerson,
    state: StateDep,
    asked: Annotated[InvitationAsked | None, Body()] = None,
) -> NewInvitation:
    """A single-use code that makes whoever redeems it a member (a clinician unless asked
    otherwise); administrators of the clinic only."""
    return invitation_for(state, me, organisation_id, (asked or InvitationAsked()).role)


def invitation_for(
    state: AppState, me: SignedIn, organisation_id: int, role: Role
) -> NewInvitation:
    """The one way an administrator invites (the API and the page)."""
    now = state.now()
    code = invite_staff(
        state.db,
        organisation_id,
        role,
        created_by=me.person_id,
        now=now,
        lifetime=state.settings.invitation_lifetime,
    )
    return NewInvitation(
        code=code,
        expires_at=now + state.settings.invitation_lifetime,
        organisation_id=organisation_id,
        role=role,
    )


@router.get("/clinics/{organisation_id}/members", responses=READ_ONE)
def members(organisation_id: int, me: CurrentPerson, db: DatabaseDep) -> list[MemberRecord]:
    """The clinic's members and their roles; administrators of the clinic only."""
    return members_of(db, organisation_id, by=me.person_id)
