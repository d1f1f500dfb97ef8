"""The clinic's API: the worklist (sorted, filtered, paged, counted), a linked patient's
assessment as the patient sees it, and the clinic's notes; on SQLite and PostgreSQL.

Clinics and shares are set up with the store's functions (the sharing pages are another
module's); patients and clinicians sign up and act through the API.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from rlsiron.core.knowledge.thresholds import THRESHOLDS
from rlsiron.store import add_member, create_organisation, create_share_code, redeem_share_code
from rlsiron.web.api.worklist import MOST_PER_PAGE
from tests.web.conftest import FACTS, FERRITIN, TODAY, TSAT, Clock, Visitor, problem

NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
WORKLIST = "/api/v1/clinics/{clinic}/worklist"
PATIENT = "/api/v1/clinics/{clinic}/patients/{patient}"


def person_id(visitor: Visitor) -> int:
    found: int = visitor.call("GET", "/api/v1/me").json()["id"]
    return found


@dataclass
class Clinic:
    """A clinic with one clinician, signed in."""

    app: FastAPI
    id: int
    clinician: Visitor

    def link(self, patient_id: int) -> int:
        """The patient shares their record with the clinic (their code, redeemed)."""
        db = self.app.state.rlsiron.db
        code = create_share_code(db, patient_id, now=NOW, lifetime=dt.timedelta(days=1))
        redeem_share_code(db, code, self.id, now=NOW)
        return patient_id

    def patient(self, *labs: dict[str, object], facts: bool = True) -> tuple[Visitor, int]:
        """A new patient with `labs`, linked to the clinic."""
        visitor = Visitor(self.app).sign_up()
        if facts:
            assert visitor.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
        for lab in labs:
            assert visitor.call("POST", "/api/v1/me/labs", json=lab).status_code == 201
        return visitor, self.link(person_id(visitor))


def new_clinic(app: FastAPI, role: str = "clinician") -> Clinic:
    clinician = Visitor(app).sign_up()
    db = app.state.rlsiron.db
    clinic = create_organisation(db, f"Sleep clinic {clinician.email}")
    add_member(db, clinic.id, person_id(clinician), role)  # type: ignore[arg-type]
    return Clinic(app, clinic.id, clinician)


@pytest.fixture
def clinic(any_app: FastAPI) -> Clinic:
    return new_clinic(any_app)


def _lab(test: str, value: float, unit: str) -> dict[str, object]:
    return {"test": test, "value": value, "unit": unit, "date": "2026-01-10"}


def test_the_worklist_lists_linked_patients_most_urgent_first(clinic: Clinic) -> None:
    limit = THRESHOLDS["tsat.contraindicated"].value
    _, low = clinic.patient(FERRITIN, TSAT)
    _, unsafe = clinic.patient(_lab("ferritin", 150, "ug/L"), _lab("tsat", limit, "%"))
    untold, no_facts = clinic.patient(facts=False)
    path = WORKLIST.format(clinic=clinic.id)

    listed = clinic.clinician.call("GET", path).json()
    assert [item["patient_id"] for item in listed["rows"]] == [unsafe, low, no_facts]
    first = listed["rows"][0]
    assert first["flags"] == ["safety"]
    assert (first["decision"], first["ferritin_ug_l"], first["tsat_percent"]) == (
        "contraindicated",
        150,
        limit,
    )
    assert (first["latest_panel"], first["computed_on"]) == ("2026-01-10", TODAY.isoformat())
    assert listed["rows"][2]["email"] == untold.email
    assert listed["rows"][2]["decision"] is None
    assert listed["counts"] == {
        "safety": 1,
        "below_target_untreated": 1,
        "worsening": 0,
        "retest_overdue": 0,
        "awaiting_recheck": 0,
        "facts_missing": 1,
    }
    assert (listed["patients"], listed["matching"], listed["pages"]) == (3, 3, 1)
    assert listed["refreshed"] == 3  # each patient assessed once, at this first view

    second = clinic.clinician.call("GET", path, params={"per_page": 1, "page": 2}).json()
    assert [item["patient_id"] for item in second["rows"]] == [low]
    assert (second["page"], second["per_page"], second["pages"]) == (2, 1, 3)
    assert second["refreshed"] == 0  # nothing changed: nothing assessed again

    only = clinic.clinician.call("GET", path, params={"flag": "facts_missing"}).json()
    assert [item["patient_id"] for item in only["rows"]] == [no_facts]
    assert only["matching"] == 1 and only["patients"] == 3


def test_a_change_to_a_patients_records_shows_at_the_next_view(clinic: Clinic) -> None:
    patient, patient_id = clinic.patient(FERRITIN, TSAT)
    path = WORKLIST.format(clinic=clinic.id)
    assert clinic.clinician.call("GET", path).json()["rows"][0]["flags"] == [
        "below_target_untreated"
    ]
    course = {"route": "oral", "started": "2026-02-01"}
    assert patient.call("POST", "/api/v1/me/iron-courses", json=course).status_code == 201
    (item,) = clinic.clinician.call("GET", path).json()["rows"]
    assert (item["patient_id"], item["decision"], item["flags"]) == (patient_id, "indicated", [])


@pytest.mark.parametrize(
    "query",
    [{"flag": "unknown"}, {"page": 0}, {"per_page": 0}, {"per_page": MOST_PER_PAGE + 1}],
)
def test_a_bad_query_is_a_problem_at_its_parameter(
    clinic: Clinic, query: dict[str, object]
) -> None:
    response = clinic.clinician.call("GET", WORKLIST.format(clinic=clinic.id), params=query)
    (name,) = query
    assert problem(response, 422)["errors"][0]["location"].endswith(name)


def test_the_clinician_reads_the_assessment_the_patient_sees(clinic: Clinic) -> None:
    patient, patient_id = clinic.patient(FERRITIN, TSAT)
    seen = clinic.clinician.call("GET", PATIENT.format(clinic=clinic.id, patient=patient_id))
    assert seen.status_code == 200
    assert seen.json() == patient.call("GET", "/api/v1/me/assessment").json()
    assert seen.json()["iron_therapy"]["decision"] == "indicated"


def test_without_the_patients_facts_the_assessment_names_what_is_missing(clinic: Clinic) -> None:
    _, patient_id = clinic.patient(facts=False)
    response = clinic.clinician.call("GET", PATIENT.format(clinic=clinic.id, patient=patient_id))
    locations = {error["location"] for error in problem(response, 422)["errors"]}
    assert locations == {"person.sex", "person.age_years"}


def test_notes_are_kept_with_their_author_and_time(clinic: Clinic, clock: Clock) -> None:
    _, patient_id = clinic.patient(FERRITIN, TSAT)
    notes = PATIENT.format(clinic=clinic.id, patient=patient_id) + "/notes"
    assert clinic.clinician.call("GET", notes).json() == []
    first = clinic.clinician.call("POST", notes, json={"text": "Discussed IV iron options."})
    assert first.status_code == 201
    clock.advance(dt.timedelta(hours=1))
    colleague = Visitor(clinic.app).sign_up()
    add_member(clinic.app.state.rlsiron.db, clinic.id, person_id(colleague), "clinician")
    second = colleague.call("POST", notes, json={"text": "  Recheck in March.  "}).json()
    assert (second["text"], second["author"], second["author_id"]) == (
        "Recheck in March.",
        colleague.email,
        person_id(colleague),
    )
    listed = clinic.clinician.call("GET", notes).json()
    assert [(n["text"], n["author"], n["created_at"]) for n in listed] == [
        ("Recheck in March.", colleague.email, "2026-03-01T10:00:00Z"),
        ("Discussed IV iron options.", clinic.clinician.email, "2026-03-01T09:00:00Z"),
    ]


def test_a_note_is_refused_at_its_text_or_without_the_csrf_token(clinic: Clinic) -> None:
    _, patient_id = clinic.patient(FERRITIN, TSAT)
    notes = PATIENT.format(clinic=clinic.id, patient=patient_id) + "/notes"
    empty = clinic.clinician.call("POST", notes, json={"text": "   "})
    assert problem(empty, 422)["errors"][0]["location"] == "text"
    forged = clinic.clinician.call(
        "POST", notes, json={"text": "from another site"}, headers={"X-CSRF-Token": "wrong"}
    )
    problem(forged, 403)
    assert clinic.clinician.call("GET", notes).json() == []


def test_an_id_beyond_64_bits_is_refused_not_an_error(clinic: Clinic) -> None:
    huge = 2**64
    for path in (WORKLIST.format(clinic=huge), PATIENT.format(clinic=clinic.id, patient=huge)):
        problem(clinic.clinician.call("GET", path), 422)
