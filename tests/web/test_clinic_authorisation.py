"""Every clinic endpoint of the worklist and the patient view, tried by those who must not
reach the patient: another patient, a clinician of a clinic the patient never shared with,
a clinician of the patient's clinic after the patient revoked the share, and an
administrator of another clinic. Each answers 404 (never 403 or data) with nothing of the
patient read and nothing written, on SQLite and on PostgreSQL.

"Nothing read" is observed, not assumed: every SQL statement the app sends during the
request is recorded (SQLAlchemy's engine events), and none may touch a table of the
patient's records, the worklist or the notes; "nothing written" is no INSERT, UPDATE or
DELETE at all, and the rows of those tables counted before and after. The same recorder
sees the linked clinician's requests read those tables, so it can tell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection

from rlsiron.store import add_member, revoke_share
from rlsiron.store import models as orm
from tests.web.conftest import FERRITIN, TSAT, Visitor, problem
from tests.web.test_api_worklist import NOW, Clinic, new_clinic, person_id

# The tables that hold what a patient's record is, or what the clinic keeps about it; a
# standing kept in memory is checked against `people.revision`, so people is one of them.
PATIENT_TABLES: Final = frozenset(
    {
        "people",
        "lab_results",
        "symptom_entries",
        "medicines",
        "conditions",
        "iron_courses",
        "assessments",
        "clinician_notes",
        "worklist",
    }
)
TABLE_NAMED: Final = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)
WRITES: Final = ("INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with {clinic} and {patient}
    body: dict[str, Any] | None = None
    form: dict[str, str] | None = None


NOTE = {"text": "Should never be stored"}
ENDPOINTS: Final = (
    Endpoint("GET", "/api/v1/clinics/{clinic}/worklist"),
    Endpoint("GET", "/api/v1/clinics/{clinic}/patients/{patient}"),
    Endpoint("GET", "/api/v1/clinics/{clinic}/patients/{patient}/notes"),
    Endpoint("POST", "/api/v1/clinics/{clinic}/patients/{patient}/notes", body=NOTE),
    Endpoint("GET", "/clinic/{clinic}"),
    Endpoint("GET", "/clinic/{clinic}/patients/{patient}"),
    Endpoint("POST", "/clinic/{clinic}/patients/{patient}/notes", form=NOTE),
    Endpoint("GET", "/clinic/{clinic}/patients/{patient}/report.pdf"),
)
PATIENT_ENDPOINTS: Final = tuple(e for e in ENDPOINTS if "{patient}" in e.path)


@dataclass
class Scene:
    """A patient with results and a note, shared with `clinic`; others around them."""

    app: FastAPI
    clinic: Clinic
    patient: Visitor
    patient_id: int


@pytest.fixture
def scene(any_app: FastAPI) -> Scene:
    clinic = new_clinic(any_app)
    patient, patient_id = clinic.patient(FERRITIN, TSAT)
    notes = f"/api/v1/clinics/{clinic.id}/patients/{patient_id}/notes"
    assert clinic.clinician.call("POST", notes, json={"text": "Seen"}).status_code == 201
    return Scene(any_app, clinic, patient, patient_id)


@contextmanager
def recorded(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    engine = app.state.rlsiron.db.engine
    statements: list[str] = []

    def record(_conn: Connection, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _patient_tables(statements: list[str]) -> set[str]:
    return {t for s in statements for t in TABLE_NAMED.findall(s)} & PATIENT_TABLES


def _counts(app: FastAPI, patient_id: int) -> dict[str, int]:
    """The rows the clinic keeps about the patient: notes and the worklist's entry."""
    with app.state.rlsiron.db.reading() as session:
        return {
            table.__tablename__: session.scalar(
                select(func.count()).select_from(table).where(table.person_id == patient_id)
            )
            or 0
            for table in (orm.ClinicianNote, orm.WorklistEntry)
        }


def _call(visitor: Visitor, endpoint: Endpoint, clinic: int, patient: int) -> httpx.Response:
    path = endpoint.path.format(clinic=clinic, patient=patient)
    if endpoint.form is not None:
        return visitor.call(endpoint.method, path, data=endpoint.form)
    return visitor.call(endpoint.method, path, json=endpoint.body)


def _refused(scene: Scene, visitor: Visitor, endpoint: Endpoint, clinic: int) -> None:
    """404 with nothing of the patient in it, no patient table touched, nothing written."""
    before = _counts(scene.app, scene.patient_id)
    with recorded(scene.app) as statements:
        response = _call(visitor, endpoint, clinic, scene.patient_id)
    where = f"{endpoint.method} {endpoint.path} (clinic {clinic})"
    problem(response, 404)
    assert scene.patient.email not in response.text, where
    assert _patient_tables(statements) == set(), where
    assert not [s for s in statements if s.lstrip().upper().startswith(WRITES)], where
    assert _counts(scene.app, scene.patient_id) == before, where


def _refused_everywhere(scene: Scene, visitor: Visitor, own_clinic: int | None) -> None:
    """Every endpoint through the patient's clinic; the patient ones through the visitor's
    own clinic too (a member asking their clinic for a patient who never shared with it)."""
    for endpoint in ENDPOINTS:
        _refused(scene, visitor, endpoint, scene.clinic.id)
    if own_clinic is not None:
        for endpoint in PATIENT_ENDPOINTS:
            _refused(scene, visitor, endpoint, own_clinic)


def test_the_linked_clinician_reaches_every_endpoint_and_the_recorder_sees_it(
    scene: Scene,
) -> None:
    for endpoint in ENDPOINTS:
        with recorded(scene.app) as statements:
            response = _call(scene.clinic.clinician, endpoint, scene.clinic.id, scene.patient_id)
        assert response.status_code in {200, 201, 303}, (endpoint, response.text)
        assert _patient_tables(statements), endpoint


def test_another_patient_reaches_nothing(scene: Scene) -> None:
    other = Visitor(scene.app).sign_up()
    _refused_everywhere(scene, other, own_clinic=None)


def test_a_clinician_of_another_clinic_reaches_nothing(scene: Scene) -> None:
    elsewhere = new_clinic(scene.app)
    _refused_everywhere(scene, elsewhere.clinician, own_clinic=elsewhere.id)


def test_an_administrator_of_another_clinic_reaches_nothing(scene: Scene) -> None:
    elsewhere = new_clinic(scene.app, role="admin")
    _refused_everywhere(scene, elsewhere.clinician, own_clinic=elsewhere.id)


def test_after_revocation_the_clinician_reaches_nothing_of_the_patient(scene: Scene) -> None:
    db = scene.app.state.rlsiron.db
    worklist = f"/api/v1/clinics/{scene.clinic.id}/worklist"
    assert scene.clinic.clinician.call("GET", worklist).json()["patients"] == 1
    revoke_share(db, scene.patient_id, scene.clinic.id, now=NOW + dt.timedelta(hours=1))
    for endpoint in PATIENT_ENDPOINTS:
        _refused(scene, scene.clinic.clinician, endpoint, scene.clinic.id)
    # The clinic's worklist itself stays the clinician's, without the patient.
    listed = scene.clinic.clinician.call("GET", worklist)
    assert listed.json()["rows"] == [] and listed.json()["patients"] == 0
    page = scene.clinic.clinician.call("GET", f"/clinic/{scene.clinic.id}")
    assert page.status_code == 200 and scene.patient.email not in page.text


def test_a_member_of_two_clinics_reaches_the_patient_through_the_one_shared_with(
    scene: Scene,
) -> None:
    second = new_clinic(scene.app)
    add_member(scene.app.state.rlsiron.db, second.id, person_id(scene.clinic.clinician), "admin")
    path = f"/api/v1/clinics/{{clinic}}/patients/{scene.patient_id}"
    assert scene.clinic.clinician.call("GET", path.format(clinic=scene.clinic.id)).is_success
    problem(scene.clinic.clinician.call("GET", path.format(clinic=second.id)), 404)


def test_a_patient_shared_with_both_clinics_of_a_member_is_seen_through_either(
    scene: Scene,
) -> None:
    second = new_clinic(scene.app)
    add_member(scene.app.state.rlsiron.db, second.id, person_id(scene.clinic.clinician), "admin")
    second.link(scene.patient_id)
    path = f"/api/v1/clinics/{{clinic}}/patients/{scene.patient_id}"
    for clinic in (scene.clinic.id, second.id):
        assert scene.clinic.clinician.call("GET", path.format(clinic=clinic)).is_success
