"""The audit log's store: an event commits with its change or not at all; names that could
carry personal data are refused; a patient's and a clinic's logs hold only their events,
newest first, a page at a time; the CSV reads back to the same events."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from rlsiron.store import LABS, Database, LabEntry, NotFoundError, add_member, create_organisation
from rlsiron.store import models as orm
from rlsiron.store.audit import (
    CSV_COLUMNS,
    AuditEntry,
    AuditRecord,
    append,
    before_commits,
    clinic_log,
    created,
    csv_lines,
    patient_log,
    record,
    whole_log,
)
from tests.store.helpers import make_person

NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
FERRITIN = LabEntry(test="ferritin", value=30, unit="ug/L", date=dt.date(2026, 1, 10))


def _clinic(db: Database) -> int:
    return create_organisation(db, f"Sleep clinic {uuid.uuid4().hex[:8]}").id


def _read(by: int, patient: int, clinic: int, what: str = "dashboard") -> AuditEntry:
    return AuditEntry(
        actor_id=by,
        actor_role="clinician",
        organisation_id=clinic,
        subject_id=patient,
        action="read",
        record=what,
        address="192.0.2.7",
    )


def _own(patient: int, action: str, what: str) -> AuditEntry:
    return AuditEntry.model_validate(
        {
            "actor_id": patient,
            "actor_role": "patient",
            "subject_id": patient,
            "action": action,
            "record": what,
            "address": "2001:db8::1",
        }
    )


def _events_of(db: Database, patient: int) -> int:
    with db.reading() as session:
        count = session.scalar(select(func.count()).where(orm.AuditEvent.subject_id == patient))
    return count or 0


def test_an_event_commits_with_its_change_or_not_at_all(db: Database) -> None:
    patient = make_person(db).id
    with db.transaction() as session:
        row = orm.LabResult(person_id=patient, **LABS.columns(FERRITIN))
        session.add(row)
        session.flush()
        append(session, _own(patient, "create", f"labs/{row.id}"), at=NOW)
    assert _events_of(db, patient) == 1

    with pytest.raises(RuntimeError, match="failed after"), db.transaction() as session:
        session.add(orm.LabResult(person_id=patient, **LABS.columns(FERRITIN)))
        append(session, _own(patient, "create", "labs"), at=NOW)
        raise RuntimeError("the change failed after its event was added")
    assert _events_of(db, patient) == 1
    assert len(LABS.all(db, patient)) == 1


def test_a_callback_before_commits_writes_in_the_same_transaction(db: Database) -> None:
    patient = make_person(db).id
    refuse = False
    made: list[list[int]] = []

    def log_the_change(session: Session) -> None:
        if refuse:
            raise RuntimeError("cannot log")
        made.append(created(session))
        append(session, _own(patient, "create", "labs"), at=NOW)

    before_commits(db, log_the_change)
    before_commits(db, log_the_change)  # once only, however often it is asked
    try:
        lab = LABS.add(db, patient, FERRITIN)
        assert _events_of(db, patient) == 1
        assert made == [[lab.id]]  # the one record the transaction added
        refuse = True
        with pytest.raises(RuntimeError, match="cannot log"):
            LABS.add(db, patient, FERRITIN)
        assert _events_of(db, patient) == 1
        assert LABS.all(db, patient) == [lab]  # the change rolled back with its event
    finally:
        event.remove(db.sessions, "before_commit", log_the_change)


@pytest.mark.parametrize(
    "record_name",
    [
        "labs/Anna Smith",
        "anna@example.org",
        "Labs",
        "labs/",
        "/labs",
        "labs//12",
        "labs/12?x=1",
        "",
    ],
)
def test_a_record_name_that_could_carry_personal_data_is_refused(record_name: str) -> None:
    with pytest.raises(ValidationError, match="not a record name"):
        _own(1, "read", record_name)


@pytest.mark.parametrize("address", ["anna's laptop", "testclient", "192.0.2.300", ""])
def test_an_address_is_an_ip_address_or_nothing(address: str) -> None:
    with pytest.raises(ValidationError):
        AuditEntry.model_validate({**_read(1, 2, 3).model_dump(), "address": address})


def test_names_in_the_closed_vocabulary_are_kept(db: Database) -> None:
    patient = make_person(db).id
    for name in ("labs/12", "iron-courses/3", "facts/rls_criteria", "dashboard", "report"):
        record(db, _own(patient, "update", name), at=NOW)
    kept = [e.record for e in patient_log(db, patient).events]
    assert sorted(kept) == sorted(
        ["labs/12", "iron-courses/3", "facts/rls_criteria", "dashboard", "report"]
    )


def test_the_patients_log_is_theirs_newest_first_with_who_and_where(db: Database) -> None:
    anna, ben, doctor = make_person(db), make_person(db), make_person(db)
    clinic = _clinic(db)
    add_member(db, clinic, doctor.id, "clinician")
    record(db, _own(anna.id, "create", "labs/1"), at=NOW)
    record(db, _read(doctor.id, anna.id, clinic), at=NOW + MINUTE)
    record(db, _read(doctor.id, ben.id, clinic), at=NOW + 2 * MINUTE)

    page = patient_log(db, anna.id)
    assert [(e.action, e.actor_id, e.at) for e in page.events] == [
        ("read", doctor.id, NOW + MINUTE),
        ("create", anna.id, NOW),
    ]
    assert page.older is None
    clinician_read = page.events[0]
    assert clinician_read.actor_email == doctor.email
    assert clinician_read.organisation is not None
    assert clinician_read.organisation.startswith("Sleep clinic")
    assert clinician_read.address == "192.0.2.7"
    assert page.events[1].actor_email == anna.email  # the patient sees their own email


def test_the_clinics_log_names_staff_by_email_and_patients_by_id_only(db: Database) -> None:
    patient, doctor, other_doctor = make_person(db), make_person(db), make_person(db)
    clinic, other = _clinic(db), _clinic(db)
    record(db, _read(doctor.id, patient.id, clinic), at=NOW)
    record(db, _read(other_doctor.id, patient.id, other), at=NOW)
    revoked = AuditEntry(
        actor_id=patient.id,
        actor_role="patient",
        organisation_id=clinic,
        subject_id=patient.id,
        action="revoke",
        record="shares",
    )
    record(db, revoked, at=NOW + MINUTE)

    events = clinic_log(db, clinic).events
    assert [(e.action, e.actor_email, e.subject_id) for e in events] == [
        ("revoke", None, patient.id),
        ("read", doctor.email, patient.id),
    ]


def test_pages_follow_one_another_without_gaps_or_repeats(db: Database) -> None:
    patient = make_person(db).id
    # Three events share one time: the id orders them.
    times = [NOW, NOW, NOW, NOW + MINUTE, NOW + 2 * MINUTE, NOW + 3 * MINUTE, NOW + 4 * MINUTE]
    for index, at in enumerate(times):
        record(db, _own(patient, "update", f"labs/{index}"), at=at)

    seen: list[AuditRecord] = []
    before = None
    while True:
        page = patient_log(db, patient, before=before, limit=3)
        assert len(page.events) <= 3
        seen += page.events
        if page.older is None:
            break
        before = page.older
    assert [e.record for e in seen] == [f"labs/{index}" for index in reversed(range(len(times)))]
    assert seen == list(whole_log(lambda b: patient_log(db, patient, before=b, limit=2)))


def test_a_page_after_another_patients_event_is_not_found(db: Database) -> None:
    anna, ben = make_person(db).id, make_person(db).id
    record(db, _own(ben, "update", "labs/1"), at=NOW)
    bens_event = patient_log(db, ben).events[0].id
    with pytest.raises(NotFoundError):
        patient_log(db, anna, before=bens_event)


def test_the_csv_reads_back_to_the_same_events(db: Database) -> None:
    patient, doctor = make_person(db), make_person(db)
    clinic = _clinic(db)
    add_member(db, clinic, doctor.id, "admin")
    record(db, _own(patient.id, "export", "export"), at=NOW.replace(microsecond=250))
    record(db, _read(doctor.id, patient.id, clinic, "notes"), at=NOW + MINUTE)
    events = patient_log(db, patient.id).events

    text = "".join(csv_lines(events))
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    assert text.count("\r\n") == len(events) + 1
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows[1]["at"] == "2026-03-01T09:00:00.000250Z"
    read_back = [
        AuditRecord.model_validate({k: (v if v != "" else None) for k, v in row.items()})
        for row in rows
    ]
    assert read_back == events
    assert read_back[0].actor_email == doctor.email
