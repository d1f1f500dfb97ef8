"""The clinic's lab feed through the API: real HL7 v2 batches and NDJSON exports (see
tests/io/test_bulk.py for where each file comes from) sent by a member, each result stored
in the record of the linked patient whose identifier it carries, the rest listed and
attached to nobody; one patient's unreadable row stops that patient alone; the clinic's
identifiers of a patient; and everyone who is not a member of the clinic answered 404 with
nothing written, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from rlsiron.store import models as orm
from rlsiron.store import revoke_share
from tests.io.test_bulk import ONE_PATIENT_TWO_DRAWS, SMART, TWO_PATIENTS, bulk_export
from tests.web.conftest import Clock, Visitor, make_app, problem
from tests.web.test_api_worklist import NOW, Clinic, new_clinic

pytestmark = pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")

API: Final = "/api/v1"
ROSA: Final = {"system": "CITYLAB", "value": "CL-410022"}
PAUL: Final = {"system": "CITYLAB", "value": "CL-410987"}
MARGARET: Final = {"system": "RLH", "value": "M3009871"}
SMART_MRN: Final = {"system": "http://hospital.smarthealthit.org", "value": "smart-8888803"}


def feed_path(clinic: int) -> str:
    return f"{API}/clinics/{clinic}/feed"


def identifiers_path(clinic: int, patient: int) -> str:
    return f"{API}/clinics/{clinic}/patients/{patient}/identifiers"


def send(visitor: Visitor, clinic: int, *files: tuple[str, bytes]) -> httpx.Response:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return visitor.call("POST", feed_path(clinic), files=parts)


def identified(clinic: Clinic, *identifiers: dict[str, str]) -> tuple[Visitor, int]:
    """A new patient linked to the clinic, with the clinic's identifiers for them."""
    visitor, patient = clinic.patient()
    for identifier in identifiers:
        added = clinic.clinician.call("POST", identifiers_path(clinic.id, patient), json=identifier)
        assert added.status_code == 201, added.text
    return visitor, patient


def rosa_and_paul(app: FastAPI) -> tuple[Clinic, tuple[Visitor, int], tuple[Visitor, int]]:
    """A clinic with the two patients of the batch linked, each known by their number."""
    clinic = new_clinic(app)
    return clinic, identified(clinic, ROSA), identified(clinic, PAUL)


def labs_of(patient: Visitor) -> list[tuple[str, Any, str, str]]:
    """The patient's stored results: (test, value, date, where they came from)."""
    found = patient.call("GET", f"{API}/me/labs").json()
    return [
        (
            r["canonical"]["test"],
            r["value"],
            r["date"],
            f"{r['origin']['file']}: {r['origin']['at']}",
        )
        for r in found
    ]


def by_patient(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {row["patient_id"]: row for row in report["patients"]}


def batch() -> tuple[str, bytes]:
    return ("batch.hl7", TWO_PATIENTS.read_bytes())


# ---------------------------------------------------------------- the feed


def test_each_result_goes_to_the_patient_its_identifier_names(any_app: FastAPI) -> None:
    clinic, (rosa, rosa_id), (paul, paul_id) = rosa_and_paul(any_app)
    response = send(clinic.clinician, clinic.id, batch())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["files"] == {"batch.hl7": "hl7v2"}
    assert report["unmatched"] == [] and report["problems"] == []
    rows = by_patient(report)
    assert (rows[rosa_id]["stored"], rows[rosa_id]["already_stored"]) == (2, 0)
    assert rows[rosa_id]["identifiers"] == ["CL-410022 (CITYLAB)"]
    assert rows[paul_id]["stored"] == 2 and rows[paul_id]["problems"] == []
    assert labs_of(rosa) == [
        ("ferritin", 33, "2025-07-31", "batch.hl7: OBX 1 of message 1"),
        ("tsat", 16, "2025-07-31", "batch.hl7: OBX 2 of message 1"),
    ]
    assert labs_of(paul) == [
        ("ferritin", 180, "2025-07-31", "batch.hl7: OBX 1 of message 2"),
        ("tsat", 31, "2025-07-31", "batch.hl7: OBX 2 of message 2"),
    ]
    # Sent again (a retry, a reload): nothing is stored twice.
    again = by_patient(send(clinic.clinician, clinic.id, batch()).json())
    assert [(again[p]["stored"], again[p]["already_stored"]) for p in (rosa_id, paul_id)] == [
        (0, 2),
        (0, 2),
    ]
    assert len(labs_of(rosa)) == 2 and len(labs_of(paul)) == 2


def test_an_ndjson_export_is_stored_for_the_patient_its_patient_file_names(app: FastAPI) -> None:
    clinic = new_clinic(app)
    kristyn, _ = identified(clinic, SMART_MRN)
    report = send(clinic.clinician, clinic.id, *bulk_export(SMART).items()).json()
    (row,) = report["patients"]
    ferritin = [(value, day) for test, value, day, _ in labs_of(kristyn) if test == "ferritin"]
    assert ferritin == [(4, "2015-04-29"), (9, "2015-10-31"), (11, "2016-06-09")]
    assert row["stored"] == len(labs_of(kristyn)) and report["unmatched"] == []
    assert all(where.startswith("Observation.ndjson: line ") for *_, where in labs_of(kristyn))


def test_the_name_in_the_file_is_never_used_only_the_identifier(app: FastAPI) -> None:
    """The batch with its patients' names swapped: each result still follows its PID-3."""
    clinic, (rosa, _), (paul, _) = rosa_and_paul(app)
    swapped = (
        TWO_PATIENTS.read_bytes()
        .replace(b"FIRST^ROSA", b"PLACEHOLDER")
        .replace(b"SECOND^PAUL", b"FIRST^ROSA")
        .replace(b"PLACEHOLDER", b"SECOND^PAUL")
    )
    send(clinic.clinician, clinic.id, ("swapped.hl7", swapped))
    assert [(t, v) for t, v, *_ in labs_of(rosa)] == [("ferritin", 33), ("tsat", 16)]
    assert [(t, v) for t, v, *_ in labs_of(paul)] == [("ferritin", 180), ("tsat", 31)]


def test_a_patient_file_of_another_export_attaches_nothing_to_anyone(app: FastAPI) -> None:
    """The Patient file swapped for another export's: the Observations' subjects name no
    patient of it, so their results have no identifier and go to nobody, although a
    patient with that export's identifier is linked."""
    clinic = new_clinic(app)
    kristyn, _ = identified(clinic, SMART_MRN)
    other_export = bulk_export([SMART[0]])["Patient.ndjson"].replace(
        b'"id": "smart-8888803"', b'"id": "other-1"'
    )
    observations = bulk_export(SMART)["Observation.ndjson"]
    report = send(
        clinic.clinician,
        clinic.id,
        ("Patient.ndjson", other_export),
        ("Observation.ndjson", observations),
    ).json()
    assert report["patients"] == [] and labs_of(kristyn) == []
    reasons = {(row["patient"], row["reason"]) for row in report["unmatched"]}
    assert reasons == {
        (
            "Patient/smart-8888803, not named in any Patient file of the feed "
            "(Observation.ndjson: line 1)",
            "the feed gives no identifier for this patient",
        )
    }
    assert len(report["unmatched"]) > 10


def test_unmatched_results_are_listed_with_their_place_and_attached_to_nobody(
    any_app: FastAPI,
) -> None:
    clinic, (rosa, _), (paul, paul_id) = rosa_and_paul(any_app)
    revoke_share(any_app.state.rlsiron.db, paul_id, clinic.id, now=NOW)
    nameless = TWO_PATIENTS.read_bytes().replace(b"CL-410022^^^CITYLAB^MR", b"")
    report = send(
        clinic.clinician,
        clinic.id,
        ("nameless.hl7", nameless),
        ("nightly.hl7", ONE_PATIENT_TWO_DRAWS.read_bytes()),
    ).json()
    assert report["patients"] == [] and report["problems"] == []
    unmatched = {
        (r["patient"], r["reason"], r["file"], r["at"], r["test"]) for r in report["unmatched"]
    }
    unknown = "no patient linked to the clinic has this identifier"
    assert unmatched == {
        *(
            (
                "a patient without identifiers (nameless.hl7: PID 1 of message 1)",
                "the feed gives no identifier for this patient",
                "nameless.hl7",
                f"OBX {n} of message 1",
                test,
            )
            for n, test in ((1, "ferritin"), (2, "tsat"))
        ),
        # Paul revoked his share: his identifier reads as any unknown one.
        *(
            ("CL-410987 (CITYLAB)", unknown, "nameless.hl7", f"OBX {n} of message 2", test)
            for n, test in ((1, "ferritin"), (2, "tsat"))
        ),
        *(
            (
                "M3009871 (RLH), 9876543210 (NHS)",
                unknown,
                "nightly.hl7",
                f"OBX {n} of message {m}",
                t,
            )
            for m in (1, 2)
            for n, t in ((1, "ferritin"), (2, "tsat"))
        ),
    }
    assert labs_of(rosa) == [] and labs_of(paul) == []


def test_one_patients_bad_row_stores_nothing_of_theirs_and_the_others_are_stored(
    any_app: FastAPI,
) -> None:
    clinic, (rosa, rosa_id), (paul, paul_id) = rosa_and_paul(any_app)
    bad = TWO_PATIENTS.read_bytes().replace(b"|16|%|20-50|", b"|16|furlongs|20-50|")
    rows = by_patient(send(clinic.clinician, clinic.id, ("batch.hl7", bad)).json())
    refused = rows[rosa_id]["problems"]
    assert [(p["location"], p["received"]) for p in refused] == [
        ("batch.hl7: OBX 2 of message 1 (unit)", "furlongs"),
        ("batch.hl7: OBX 2 of message 1 (reference_range)", "furlongs"),
    ]
    assert rows[rosa_id]["stored"] == 0 and labs_of(rosa) == []
    assert rows[paul_id]["stored"] == 2 and len(labs_of(paul)) == 2


def test_a_patient_in_several_files_is_one_patient_and_disagreements_go_to_review(
    app: FastAPI,
) -> None:
    clinic = new_clinic(app)
    rosa, rosa_id = identified(clinic, ROSA)
    corrected = TWO_PATIENTS.read_bytes().replace(b"||33|ug/L|", b"||38|ug/L|")
    report = send(clinic.clinician, clinic.id, batch(), ("later.hl7", corrected)).json()
    (row,) = report["patients"]
    assert row["patient_id"] == rosa_id and row["stored"] == 1  # TSAT, the same in both
    (first, second) = row["needs_review"]
    assert "the files disagree" in first["reason"] and first["origin"]["file"] == "batch.hl7"
    assert second["origin"]["file"] == "later.hl7"
    assert [t for t, *_ in labs_of(rosa)] == ["tsat"]


def test_files_no_feed_reads_are_refused_at_the_files(app: FastAPI) -> None:
    clinic = new_clinic(app)
    body = problem(send(clinic.clinician, clinic.id, ("portal.csv", b"a,b,c\n1,2,3\n")), 422)
    assert [e["location"] for e in body["errors"]] == ["portal.csv"]


@pytest.fixture
def small_app(sqlite_url: str, tmp_path: Path, clock: Clock) -> Iterator[FastAPI]:
    built = make_app(sqlite_url, tmp_path, clock, max_upload_bytes=512)
    yield built
    built.state.rlsiron.db.close()


def test_a_file_over_the_limit_is_413_and_nothing_is_stored(small_app: FastAPI) -> None:
    clinic = new_clinic(small_app)
    rosa, _ = identified(clinic, ROSA)
    problem(send(clinic.clinician, clinic.id, batch()), 413)
    assert labs_of(rosa) == []


# ---------------------------------------------------------------- identifiers


def test_a_member_keeps_the_clinics_identifiers_of_a_patient(app: FastAPI) -> None:
    clinic = new_clinic(app)
    _, patient = identified(clinic, ROSA)
    path = identifiers_path(clinic.id, patient)
    added = clinic.clinician.call("POST", path, json={"system": " RLH ", "value": "M-1"})
    assert added.status_code == 201, added.text
    assert [(i["system"], i["value"]) for i in clinic.clinician.call("GET", path).json()] == [
        ("CITYLAB", "CL-410022"),
        ("RLH", "M-1"),
    ]
    _, other = identified(clinic)
    (taken,) = problem(
        clinic.clinician.call("POST", identifiers_path(clinic.id, other), json=ROSA), 422
    )["errors"]
    assert taken["location"] == "value" and taken["received"] == "CL-410022"
    deleted = clinic.clinician.call("DELETE", f"{path}/{added.json()['id']}")
    assert deleted.status_code == 204
    assert problem(clinic.clinician.call("DELETE", f"{path}/{added.json()['id']}"), 404)
    assert len(clinic.clinician.call("GET", path).json()) == 1


# ---------------------------------------------------------------- everyone else: 404


def _written(app: FastAPI, patient_id: int) -> tuple[int, int, int]:
    """What the feed or the identifiers could write about the patient: results,
    identifiers, and events of the audit log (sharing and revoking aside)."""
    counted = (
        select(func.count())
        .select_from(orm.LabResult)
        .where(orm.LabResult.person_id == patient_id),
        select(func.count())
        .select_from(orm.PatientIdentifier)
        .where(orm.PatientIdentifier.person_id == patient_id),
        select(func.count())
        .select_from(orm.AuditEvent)
        .where(orm.AuditEvent.subject_id == patient_id, orm.AuditEvent.record != "shares"),
    )
    with app.state.rlsiron.db.reading() as session:
        labs, identifiers, events = (session.scalar(query) or 0 for query in counted)
        return labs, identifiers, events


def test_nobody_but_the_clinics_members_reaches_the_feed_or_a_patients_identifiers(
    any_app: FastAPI,
) -> None:
    clinic = new_clinic(any_app)
    patient, patient_id = identified(clinic, ROSA)
    known = clinic.clinician.call("GET", identifiers_path(clinic.id, patient_id)).json()[0]["id"]
    another_patient = Visitor(any_app).sign_up()
    other_clinic = new_clinic(any_app, "admin")  # an administrator of another clinic
    unlinked_clinician = new_clinic(any_app)
    _, unlinked_patient = unlinked_clinician.patient()
    outsiders = {
        "the patient": patient,
        "another patient": another_patient,
        "another clinic's administrator": other_clinic.clinician,
    }
    before = _written(any_app, patient_id)

    def refused(who: Visitor, clinic_id: int, whom: int, *, feed: bool = True) -> None:
        paths = identifiers_path(clinic_id, whom)
        answers = [
            who.call("GET", paths),
            who.call("POST", paths, json=PAUL),
            who.call("DELETE", f"{paths}/{known}"),
        ]
        if feed:
            answers.append(send(who, clinic_id, batch()))
        for answer in answers:
            problem(answer, 404)

    for who in outsiders.values():
        refused(who, clinic.id, patient_id)
    refused(clinic.clinician, 2**40, patient_id)  # no such clinic
    # A member, about a patient linked to another clinic only: the feed is theirs to send.
    refused(clinic.clinician, clinic.id, unlinked_patient, feed=False)
    revoke_share(any_app.state.rlsiron.db, patient_id, clinic.id, now=NOW)
    for answer in (
        clinic.clinician.call("GET", identifiers_path(clinic.id, patient_id)),
        clinic.clinician.call("POST", identifiers_path(clinic.id, patient_id), json=PAUL),
    ):
        problem(answer, 404)
    # The feed itself is the clinic's; the revoked patient's results go to nobody.
    report = send(clinic.clinician, clinic.id, batch()).json()
    assert report["patients"] == [] and len(report["unmatched"]) == 4
    assert _written(any_app, patient_id) == before
    signed_out = Visitor(any_app)
    problem(send(signed_out, clinic.id, batch()), 401)
    no_csrf = Visitor(any_app, cookies=clinic.clinician.cookies)
    problem(send(no_csrf, clinic.id, batch()), 403)
    assert labs_of(patient) == [] and _written(any_app, patient_id) == before
