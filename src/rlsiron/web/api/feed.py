"""A clinic's lab feed and its identifiers for patients, under `/api/v1/clinics/{organisation_id}`.

- `POST .../feed` (multipart: one or more `files`): FHIR Bulk Data NDJSON (the Patient and
  Observation files of a `$export`) and HL7 v2 ORU batches, read (`io.bulk`), matched to the
  clinic's linked patients by identifier (`store.feed.match_feed`) and stored patient by
  patient (`store.feed.store_feed_results`). The answer is the report: for each patient,
  what was stored and what was stored already, or the problems that stopped them; the
  results that matched no linked patient (never attached to anyone), with how the feed
  names the patient and where each result is; the problems that belong to no patient.
- `GET|POST .../patients/{patient_id}/identifiers`, `DELETE .../identifiers/{identifier_id}`:
  the clinic's identifiers of a linked patient, by which the feed finds them.

Members of the clinic only: anyone else, and a patient not linked, is 404 before any file
is read or anything written. A patient's identifiers are reached as every other record of a
clinic's patient is (`api.worklist.clinic_patient`, which tells the audit log whose record
the request sees); a feed stores many patients' results in one request, so the store logs
each patient's import itself. `import_feed` is the one way files become stored results; the
page calls it too.

Each patient is one transaction, not the whole feed: a feed is many people's results, and
one person's unreadable row must not keep the others' results from their clinicians. A
patient with any problem in their part of the feed (an unreadable result, a unit the core
does not know, their PID segment) has nothing stored and is reported; the rest are stored.
A failure of the database itself ends the request: the patients stored before it stay
stored, and sending the feed again stores only what is missing (what is stored already is
skipped), so a resent feed is always safe.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, File, HTTPException, Request, UploadFile, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as SentFile

from rlsiron.core.models import ReviewItem
from rlsiron.errors import Problem, RlsironError
from rlsiron.io.bulk import FeedIdentifier, FeedPatient, read_feed
from rlsiron.io.extract import ReadableFormat
from rlsiron.io.merge import merge
from rlsiron.store import Database, NotFoundError
from rlsiron.store.clinic import membership
from rlsiron.store.feed import (
    IdentifierEntry,
    IdentifierRecord,
    Staff,
    Unmatched,
    add_identifier,
    identifiers_of,
    match_feed,
    remove_identifier,
    store_feed_results,
)
from rlsiron.web.api.uploads import FileTooLargeError, read_limited
from rlsiron.web.api.worklist import clinic_patient
from rlsiron.web.audit import client_address
from rlsiron.web.deps import AppState, CurrentPerson, SignedIn, StateDep, Today
from rlsiron.web.openapi import CHANGE_ONE, READ_ONE, problem_responses
from rlsiron.web.problems import ProblemItem, problem_json

router = APIRouter(tags=["clinic"])

FILES: Final = "files"
UNMATCHED_WORDS: Final[dict[Unmatched, str]] = {
    "no_identifier": "the feed gives no identifier for this patient",
    "unknown": "no patient linked to the clinic has this identifier",
    "several_patients": "the identifiers name different patients of the clinic",
}
_ROW: Final = re.compile(r"labs\[(\d+)\]\.?(.*)")


class FeedPatientReport(BaseModel):
    """What the feed did for one linked patient."""

    patient_id: int
    identifiers: list[str] = Field(description="The identifiers the feed matched them by.")
    stored: int = Field(description="Results stored now.")
    already_stored: int = Field(description="Results the patient had stored already: skipped.")
    needs_review: list[ReviewItem] = Field(
        description="Results not stored because the readers would not guess at them "
        "(a preliminary result, files that disagree)."
    )
    problems: list[ProblemItem] = Field(
        description="What could not be read in the patient's part of the feed; when there "
        "are any, nothing of this patient's was stored."
    )


class UnmatchedResult(BaseModel):
    """A result that matched no linked patient: listed, never attached to anyone."""

    patient: str = Field(description="How the feed names the patient (identifiers).")
    reason: str
    file: str
    at: str = Field(
        description='Where in the file: "line 12 (Observation/abc)", "OBX 2 of message 3".'
    )
    test: str | None = Field(
        description="The catalogue's test id; null for an item left to review."
    )
    date: dt.date | None


class FeedReport(BaseModel):
    files: dict[str, ReadableFormat | None] = Field(
        description="Each file and the format it was read as; null: not read (see problems)."
    )
    patients: list[FeedPatientReport]
    unmatched: list[UnmatchedResult]
    problems: list[ProblemItem] = Field(
        description="What belongs to no linked patient: unreadable lines and files, and the "
        "problems in the parts of patients who matched nobody."
    )
    skipped: dict[str, int] = Field(description="Tests the catalogue does not read, counted.")


# ---------------------------------------------------------------- the feed


async def feed_files(files: Sequence[SentFile], *, most: int) -> list[tuple[str, bytes]]:
    """Each file's name and content; `FileTooLargeError` (at `files`) for one over `most`."""
    hint = "split the feed into several files"
    return [await read_limited(file, most, field=FILES, hint=hint) for file in files]


def import_feed(
    db: Database, staff: Staff, files: Sequence[tuple[str, bytes]], *, today: dt.date
) -> FeedReport:
    """The files read, matched and stored patient by patient; the report of what happened.

    Raises `NotFoundError` when `staff` is not a member of the clinic, and `RlsironError`
    (every file's problem) when no file is one a feed reads.
    """
    feed = read_feed(files)
    if not any(feed.formats.values()):
        raise RlsironError(problems=feed.problems)
    matches = match_feed(db, staff, [_keys(patient.identifiers) for patient in feed.patients])
    problems = list(feed.problems)
    unmatched: list[UnmatchedResult] = []
    parts: dict[int, list[FeedPatient]] = {}
    matched_by: dict[int, dict[str, None]] = {}
    for patient, match in zip(feed.patients, matches, strict=True):
        if match.patient_id is None:
            assert match.unmatched is not None
            unmatched += _unmatched(patient, match.unmatched)
            problems += patient.problems
            continue
        parts.setdefault(match.patient_id, []).append(patient)
        shown = (str(FeedIdentifier(system, value)) for system, value in match.identifiers)
        matched_by.setdefault(match.patient_id, {}).update(dict.fromkeys(shown))
    reports: list[FeedPatientReport] = []
    for patient_id, theirs in parts.items():
        try:
            reports.append(
                _store_patient(db, staff, patient_id, theirs, list(matched_by[patient_id]), today)
            )
        except NotFoundError:  # their share (or the membership) ended during the feed
            unmatched += [row for part in theirs for row in _unmatched(part, "unknown")]
    skipped = Counter[str]()
    for patient in feed.patients:
        for extract in patient.extracts:
            skipped.update(extract.skipped)
    return FeedReport(
        files=dict(feed.formats),
        patients=reports,
        unmatched=unmatched,
        problems=_items(problems),
        skipped=dict(skipped),
    )


def _keys(identifiers: Iterable[FeedIdentifier]) -> list[tuple[str, str]]:
    return [(i.system, i.value) for i in identifiers]


def _store_patient(
    db: Database,
    staff: Staff,
    patient_id: int,
    parts: Sequence[FeedPatient],
    identifiers: list[str],
    today: dt.date,
) -> FeedPatientReport:
    """One patient's results from every file merged (the same result twice is one, files
    that disagree go to review) and, when all of them read, stored in one transaction."""
    merged = merge([extract for part in parts for extract in part.extracts])
    document = {"labs": merged.document["labs"], "provenance": merged.document["provenance"]}
    review = [ReviewItem.model_validate(item) for item in merged.document["needs_review"]]
    report = FeedPatientReport(
        patient_id=patient_id,
        identifiers=identifiers,
        stored=0,
        already_stored=0,
        needs_review=review,
        problems=_items(merged.problems),
    )
    if merged.problems or not document["labs"]:
        return report
    try:
        accepted = store_feed_results(db, staff, patient_id, document, today=today)
    except RlsironError as exc:
        located = [_located(p, document["provenance"]) for p in exc.problems]
        return report.model_copy(update={"problems": _items(located)})
    update = {"stored": len(accepted.labs), "already_stored": len(accepted.already_stored)}
    return report.model_copy(update=update)


def _unmatched(patient: FeedPatient, why: Unmatched) -> list[UnmatchedResult]:
    """The patient's results and items for review, each with where it is in its file."""
    reason = UNMATCHED_WORDS[why]
    rows = [
        UnmatchedResult(
            patient=patient.who,
            reason=reason,
            file=lab.origin.file,
            at=lab.origin.at,
            test=lab.test,
            date=lab.date,
        )
        for lab in patient.labs
    ]
    return rows + [
        UnmatchedResult(
            patient=patient.who,
            reason=f"{reason}; {item.reason}",
            file=item.origin.file,
            at=item.origin.at,
            test=None,
            date=None,
        )
        for extract in patient.extracts
        for item in extract.review
    ]


def _located(problem: Problem, provenance: Mapping[str, Sequence[Mapping[str, Any]]]) -> Problem:
    """A problem of the stored document's row ("labs[3].unit") named by the row's file and
    place ("batch.hl7: OBX 2 of message 3 (unit)"), as the readers name theirs."""
    found = _ROW.fullmatch(problem.location)
    origins = provenance.get(f"labs[{found.group(1)}]") if found else None
    if found is None or not origins:
        return problem
    where = f"{origins[0]['file']}: {origins[0]['at']}"
    return problem.at(f"{where} ({found.group(2)})" if found.group(2) else where)


def _items(problems: Iterable[Problem]) -> list[ProblemItem]:
    return [ProblemItem.model_validate(problem_json(p)) for p in problems]


def staff_of(me: SignedIn, organisation_id: int, state: AppState, request: Request) -> Staff:
    """The signed-in account acting for the clinic, with the request's address and time."""
    return Staff(me.person_id, organisation_id, client_address(request), state.now())


@router.post(
    "/clinics/{organisation_id}/feed",
    responses=problem_responses(
        HTTPStatus.UNAUTHORIZED,
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNPROCESSABLE_ENTITY,
    ),
)
async def feed(
    organisation_id: int,
    files: Annotated[
        list[UploadFile],
        File(description="FHIR Bulk Data NDJSON (Patient and Observation) and HL7 v2 ORU files."),
    ],
    me: CurrentPerson,
    state: StateDep,
    today: Today,
    request: Request,
) -> FeedReport:
    """The lab's results for many patients, each stored in the record of the linked patient
    whose identifier it carries; the rest listed, never attached to anyone."""
    membership(state.db, organisation_id, me.person_id)  # 404 before any file is read
    try:
        given = await feed_files(files, most=state.settings.max_upload_bytes)
    except FileTooLargeError as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, exc.problems[0].message) from None
    staff = staff_of(me, organisation_id, state, request)
    # Thousands of patients take seconds: in a worker thread, not on the event loop.
    return await run_in_threadpool(import_feed, state.db, staff, given, today=today)


# ---------------------------------------------------------------- identifiers

_IDENTIFIERS: Final = "/clinics/{organisation_id}/patients/{patient_id}/identifiers"


@router.get(_IDENTIFIERS, responses=READ_ONE)
def identifiers(
    organisation_id: int, patient_id: int, me: CurrentPerson, state: StateDep, request: Request
) -> list[IdentifierRecord]:
    """The clinic's identifiers of a linked patient (by system, then value)."""
    clinic_patient(state.db, me.person_id, organisation_id, patient_id)
    return identifiers_of(state.db, staff_of(me, organisation_id, state, request), patient_id)


@router.post(_IDENTIFIERS, status_code=status.HTTP_201_CREATED, responses=CHANGE_ONE)
def new_identifier(
    organisation_id: int,
    patient_id: int,
    entry: IdentifierEntry,
    me: CurrentPerson,
    state: StateDep,
    request: Request,
) -> IdentifierRecord:
    """An identifier for a linked patient, by which the feed finds them; 422 at `value`
    when it is an identifier of a patient of the clinic already."""
    clinic_patient(state.db, me.person_id, organisation_id, patient_id)
    staff = staff_of(me, organisation_id, state, request)
    return add_identifier(state.db, staff, patient_id, entry)


@router.delete(
    _IDENTIFIERS + "/{identifier_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE_ONE
)
def deleted_identifier(
    organisation_id: int,
    patient_id: int,
    identifier_id: int,
    me: CurrentPerson,
    state: StateDep,
    request: Request,
) -> None:
    """The identifier removed: the feed no longer finds the patient by it."""
    clinic_patient(state.db, me.person_id, organisation_id, patient_id)
    staff = staff_of(me, organisation_id, state, request)
    remove_identifier(state.db, staff, patient_id, identifier_id)
