"""The clinic's worklist and its view of one patient, under `/api/v1/clinics/{organisation_id}`.

- `GET .../worklist?flag=&page=&per_page=`: the linked patients, most urgent first, with the
  counts per flag (`store.worklist`: recomputed only for patients whose records changed);
- `GET .../patients/{patient_id}`: the assessment of the patient's stored history today
  (the standing the patient's own dashboard keeps, `web.standing`);
- `GET|POST .../patients/{patient_id}/notes`: the clinic's notes on the patient.

Members only. Every route passes one of two functions, the single places where access is
decided and where a read of a patient's record begins (the audit log learns there whose
record a request sees): `clinic_member` (the worklist: the account is a member of the
clinic) and `clinic_patient` (a patient: `store.clinic_of`, an open share with the
member's clinic); the pages call the same two. Anything else, a clinic the account is not a member of, a patient who did not share with
it or revoked their share, answers 404 before anything of the patient is read or written,
exactly as a record that does not exist: a clinician cannot learn that a patient exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, status

from rlsiron.core.models import Assessment
from rlsiron.errors import RlsironError
from rlsiron.store import Database, clinic_of
from rlsiron.store.clinic import ClinicMembership, membership
from rlsiron.store.owned import LARGEST_ID
from rlsiron.store.worklist import (
    PER_PAGE,
    Flag,
    NoteEntry,
    NoteRecord,
    Worklist,
    add_note,
    notes_of,
    worklist,
)
from rlsiron.web.audit import seeing
from rlsiron.web.deps import CurrentPerson, DatabaseDep, StateDep, Today
from rlsiron.web.openapi import CHANGE_ONE, READ_ONE
from rlsiron.web.standing import standing

router = APIRouter(tags=["clinic"])

MOST_PER_PAGE: Final = 250  # rows a page of the worklist holds at most
MOST_PAGES: Final = 1_000_000  # far beyond any clinic, small enough for the query's offset

OrganisationId = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The clinic's id.")]
PatientId = Annotated[int, Path(ge=1, le=LARGEST_ID, description="The patient's account id.")]


# ---------------------------------------------------------------- who may see what


@dataclass(frozen=True, slots=True)
class ClinicPatient:
    """A patient a member may see through a clinic, for the length of one request."""

    organisation_id: int
    patient_id: int
    member_id: int


def clinic_member(db: Database, member_id: int, organisation_id: int) -> ClinicMembership:
    """The account's membership of the clinic (any role), `NotFoundError` else: every read
    of the clinic's worklist starts here."""
    return membership(db, organisation_id, member_id)


def clinic_patient(
    db: Database, member_id: int, organisation_id: int, patient_id: int
) -> ClinicPatient:
    """The patient, when the member may see them through this clinic (`store.clinic_of`);
    `NotFoundError` else. Every read or change of a patient's record starts here, so the
    audit log learns here whose record the request sees (`web.audit.seeing`)."""
    clinic_of(db, member_id, patient_id, organisation_id=organisation_id)
    seeing(organisation_id, patient_id)
    return ClinicPatient(organisation_id, patient_id, member_id)


# ---------------------------------------------------------------- the worklist


FlagFilter = Annotated[Flag | None, Query(description="Only the patients with this flag.")]
PageNumber = Annotated[int, Query(ge=1, le=MOST_PAGES, description="From 1.")]
PerPage = Annotated[int, Query(ge=1, le=MOST_PER_PAGE)]


@router.get("/clinics/{organisation_id}/worklist", responses=READ_ONE)
def read_worklist(
    organisation_id: OrganisationId,
    me: CurrentPerson,
    db: DatabaseDep,
    today: Today,
    flag: FlagFilter = None,
    page: PageNumber = 1,
    per_page: PerPage = PER_PAGE,
) -> Worklist:
    """The clinic's linked patients, most urgent first; counts are of the whole list;
    `refreshed` says how many standings this view recomputed (their records changed)."""
    clinic_member(db, me.person_id, organisation_id)
    return worklist(db, organisation_id, today, flag=flag, page=page, per_page=per_page)


# ---------------------------------------------------------------- one patient

_PATIENT: Final = "/clinics/{organisation_id}/patients/{patient_id}"


@router.get(_PATIENT, responses=READ_ONE)
def read_patient_assessment(
    organisation_id: OrganisationId,
    patient_id: PatientId,
    me: CurrentPerson,
    state: StateDep,
    today: Today,
) -> Assessment:
    """The assessment of the patient's stored history today; nothing is saved. 422 names
    what the engine still needs when the patient has not given their sex or birth date."""
    seen = clinic_patient(state.db, me.person_id, organisation_id, patient_id)
    s = standing(state.db, state.standings, seen.patient_id, today)
    if s.assessment is None:
        raise RlsironError(problems=s.problems)
    return s.assessment


@router.get(f"{_PATIENT}/notes", responses=READ_ONE)
def read_notes(
    organisation_id: OrganisationId, patient_id: PatientId, me: CurrentPerson, db: DatabaseDep
) -> list[NoteRecord]:
    """The clinic's notes on the patient, newest first."""
    seen = clinic_patient(db, me.person_id, organisation_id, patient_id)
    return notes_of(db, seen.organisation_id, seen.patient_id)


@router.post(f"{_PATIENT}/notes", status_code=status.HTTP_201_CREATED, responses=CHANGE_ONE)
def create_note(
    organisation_id: OrganisationId,
    patient_id: PatientId,
    note: NoteEntry,
    me: CurrentPerson,
    state: StateDep,
) -> NoteRecord:
    """A note by the signed-in member, kept for the clinic (text, author, time)."""
    seen = clinic_patient(state.db, me.person_id, organisation_id, patient_id)
    return add_note(
        state.db, seen.organisation_id, seen.patient_id, seen.member_id, note, now=state.now()
    )
