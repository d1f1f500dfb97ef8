"""The audit log through the app: each kind of change and every clinician's read is logged
with the right actor, patient and record, in the transaction of the change; a refused or
failed request is not; the patient and a clinic's administrators read their own log, as
JSON, CSV and pages; and every route that knows who is asking is described by the log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from string import Formatter

import anyio
import httpx
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from rlsiron.store import (
    clinic_of,
)
from rlsiron.store.audit import PAGE, AuditRecord, clinic_log, patient_log, whole_log
from rlsiron.store.worklist import NoteEntry, add_note, notes_of
from rlsiron.web.audit import PATIENT_ROUTE, RULES, Logged, rule_for
from rlsiron.web.deps import CurrentPerson, DatabaseDep, current_person
from rlsiron.web.pages.session import page_person
from tests.web.conftest import FACTS, FERRITIN, TSAT, Clock, Visitor, problem
from tests.web.test_api import RECORDS
from tests.web.test_api_clinic import Clinic, database, new_clinic, person_id, shared

SIGNED_UP_AT = Clock().now
SIGNED_IN = frozenset({current_person, page_person})


def _log(app: FastAPI, person_id: int) -> list[AuditRecord]:
    return list(whole_log(lambda before: patient_log(database(app), person_id, before=before)))


def _said(events: list[AuditRecord]) -> list[tuple[str, str, int | None, int | None]]:
    """Each event as (action, record, actor, patient), oldest first."""
    return [(e.action, e.record, e.actor_id, e.subject_id) for e in reversed(events)]


def _clinic(app: FastAPI, *patients: Visitor) -> Clinic:
    """A clinic with an administrator and a clinician, the patients sharing with it."""
    clinic = new_clinic(app)
    for patient in patients:
        shared(patient, clinic)
    return clinic


def _patient_path(clinic: Clinic, patient_id: int, rest: str = "") -> str:
    return f"/api/v1/clinics/{clinic.id}/patients/{patient_id}{rest}"


# ---------------------------------------------------------------- what is logged


def test_each_change_and_export_of_the_patient_is_logged_with_its_record(
    any_app: FastAPI, clock: Clock
) -> None:
    anna = Visitor(any_app).sign_up()
    me = person_id(anna)
    anna.call("PUT", "/api/v1/me/facts", json=FACTS)
    expected = [("update", "facts", me, me)]
    for kind, (entry, replacement, _, _) in RECORDS.items():
        made = anna.call("POST", f"/api/v1/me/{kind}", json=entry).json()["id"]
        clock.advance(dt.timedelta(minutes=1))
        assert anna.call("PUT", f"/api/v1/me/{kind}/{made}", json=replacement).is_success
        assert anna.call("DELETE", f"/api/v1/me/{kind}/{made}").is_success
        expected += [
            (action, f"{kind}/{made}", me, me) for action in ("create", "update", "delete")
        ]
    anna.call("PUT", "/api/v1/me/settings", json={"units": "si", "profile": "aasm-2024"})
    assert anna.call("POST", "/api/v1/me/uploads/accept", json={"labs": [TSAT]}).status_code == 201
    saved = anna.call("POST", "/api/v1/me/assessments", params={"as_of": "2026-02-01"}).json()
    assert anna.call("GET", "/api/v1/me/export").is_success
    assert anna.call("GET", "/api/v1/me/export/fhir").is_success
    anna.call("GET", "/api/v1/me/labs")  # their own reading: not logged
    anna.call("GET", "/api/v1/me/assessment")

    assert _said(_log(any_app, me)) == [
        *expected,
        ("update", "settings", me, me),
        ("import", "uploads", me, me),
        ("create", f"assessments/{saved['id']}", me, me),
        ("export", "export", me, me),
        ("export", "export/fhir", me, me),
    ]
    events = _log(any_app, me)
    assert {(e.actor_role, e.organisation_id, e.address) for e in events} == {
        ("patient", None, "127.0.0.1")
    }
    assert events[-1].at == SIGNED_UP_AT and events[0].at == clock.now  # the app's clock


def test_the_pages_log_changes_and_downloads_too(app: FastAPI) -> None:
    anna = Visitor(app).sign_up()
    me = person_id(anna)
    form = {"test": "ferritin", "value": "30", "unit": "ug/L", "date": "2026-01-10"}
    assert anna.call("POST", "/labs", data=form).status_code == 303
    (lab,) = anna.call("GET", "/api/v1/me/labs").json()
    anna.call("POST", f"/labs/{lab['id']}/edit", data={**form, "value": "32"})
    anna.call("POST", f"/labs/{lab['id']}/delete")
    assert anna.call("POST", "/settings/kidney", data={"kidney": "ckd"}).status_code == 303
    assert anna.call("GET", "/account/export.json").is_success
    anna.call("GET", "/labs")

    assert _said(_log(app, me)) == [
        ("create", f"labs/{lab['id']}", me, me),
        ("update", f"labs/{lab['id']}", me, me),
        ("delete", f"labs/{lab['id']}", me, me),
        ("update", "facts/kidney", me, me),
        ("export", "export", me, me),
    ]


def test_a_refused_or_failed_request_is_not_logged(app: FastAPI) -> None:
    anna, bob = Visitor(app).sign_up(), Visitor(app).sign_up()
    bobs_lab = bob.call("POST", "/api/v1/me/labs", json=FERRITIN).json()["id"]
    before = _log(app, person_id(bob))

    problem(anna.call("GET", f"/api/v1/me/labs/{bobs_lab}"), 404)
    problem(anna.call("PUT", f"/api/v1/me/labs/{bobs_lab}", json=FERRITIN), 404)
    problem(anna.call("DELETE", f"/api/v1/me/labs/{bobs_lab}"), 404)
    problem(anna.call("POST", "/api/v1/me/labs", json={**FERRITIN, "unit": "furlongs"}), 422)
    problem(anna.call("PUT", "/api/v1/me/facts", json={"sex": "sometimes"}), 422)
    problem(Visitor(app).call("GET", "/api/v1/me/export"), 401)
    problem(anna.call("POST", "/api/v1/me/labs", json=FERRITIN, headers={"X-CSRF-Token": "x"}), 403)
    preview = anna.call("POST", "/api/v1/me/uploads", files={"file": ("a.csv", b"test,value\n")})
    assert preview.status_code in (200, 422)

    assert _log(app, person_id(anna)) == []
    assert _log(app, person_id(bob)) == before


# ---------------------------------------------------------------- a clinic's reads


def test_a_clinicians_read_and_note_are_in_the_patients_log_and_no_one_elses(
    any_app: FastAPI,
) -> None:
    anna, ben = Visitor(any_app).sign_up(), Visitor(any_app).sign_up()
    anna.call("PUT", "/api/v1/me/facts", json=FACTS)
    clinic = _clinic(any_app, anna, ben)
    doctor, patient = person_id(clinic.clinician), person_id(anna)

    read = clinic.clinician.call("GET", _patient_path(clinic, patient))
    assert read.status_code == 200, read.text
    note = clinic.clinician.call(
        "POST", _patient_path(clinic, patient, "/notes"), json={"text": "Seen."}
    )
    assert note.status_code == 201, note.text

    logged = [e for e in _log(any_app, patient) if e.actor_id == doctor]
    assert _said(logged) == [
        ("share", "shares", doctor, patient),  # the clinician redeemed the patient's code
        ("read", "dashboard", doctor, patient),
        ("create", f"notes/{note.json()['id']}", doctor, patient),
    ]
    assert {(e.actor_role, e.organisation_id, e.organisation) for e in logged} == {
        ("clinician", clinic.id, clinic.name)
    }
    assert [e.action for e in _log(any_app, person_id(ben)) if e.actor_id == doctor] == ["share"]

    shown = anna.call("GET", "/api/v1/me/audit").json()["events"]
    reads = [e for e in shown if e["action"] == "read"]
    assert [(e["actor_email"], e["organisation"]) for e in reads] == [
        (clinic.clinician.email, clinic.name)
    ]
    assert {e["subject_id"] for e in shown} == {patient}


def test_no_read_is_logged_for_a_clinic_that_may_not_see_the_patient(any_app: FastAPI) -> None:
    anna, carl = Visitor(any_app).sign_up(), Visitor(any_app).sign_up()
    anna.call("PUT", "/api/v1/me/facts", json=FACTS)
    ours, theirs = _clinic(any_app, anna), _clinic(any_app, carl)
    patient = person_id(anna)
    before = _log(any_app, patient)

    problem(theirs.clinician.call("GET", _patient_path(theirs, patient)), 404)
    problem(theirs.admin.call("GET", _patient_path(ours, patient)), 404)
    problem(
        theirs.clinician.call("POST", _patient_path(theirs, patient, "/notes"), json={"text": "x"}),
        404,
    )
    assert anna.call("DELETE", f"/api/v1/me/shares/{ours.id}").status_code == 204
    problem(ours.clinician.call("GET", _patient_path(ours, patient)), 404)

    new = [e for e in _log(any_app, patient) if e not in before]
    assert [e.action for e in new] == ["revoke"]


def test_a_patient_route_that_names_no_patient_is_refused_and_changes_nothing(
    app: FastAPI,
) -> None:
    """A clinic's patient route must pass the one check that calls `seeing`: one that does
    not is answered 500, and its change is rolled back with the event it could not log."""
    probe = APIRouter()

    @probe.get("/clinics/{organisation_id}/patients/{patient_id}/probe")
    def peek(organisation_id: int, patient_id: int, me: CurrentPerson, db: DatabaseDep) -> bool:
        return clinic_of(db, me.person_id, patient_id) == organisation_id

    @probe.post("/clinics/{organisation_id}/patients/{patient_id}/probe")
    def scribble(organisation_id: int, patient_id: int, me: CurrentPerson, db: DatabaseDep) -> None:
        clinic_of(db, me.person_id, patient_id)
        entry = NoteEntry(text="never kept")
        add_note(db, organisation_id, patient_id, me.person_id, entry, now=SIGNED_UP_AT)

    app.include_router(probe, prefix="/api/v1")
    anna = Visitor(app).sign_up()
    clinic = _clinic(app, anna)
    patient = person_id(anna)
    before = _log(app, patient)

    for method in ("GET", "POST"):
        answer = _without_raising(
            clinic.clinician, method, _patient_path(clinic, patient, "/probe")
        )
        assert answer.status_code == 500
        assert "true" not in answer.text
    assert notes_of(database(app), clinic.id, patient) == []
    assert _log(app, patient) == before


def _without_raising(visitor: Visitor, method: str, path: str) -> httpx.Response:
    """The answer a client gets when the app raises (the test transport would re-raise)."""

    async def exchange() -> httpx.Response:
        transport = httpx.ASGITransport(app=visitor.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://rlsiron.test", cookies=visitor.cookies
        ) as client:
            headers = {"X-CSRF-Token": visitor.csrf or ""}
            return await client.request(method, path, headers=headers)

    return anyio.run(exchange)


# ---------------------------------------------------------------- reading the log


def test_the_patients_log_comes_a_page_at_a_time_and_whole_as_csv(
    app: FastAPI, clock: Clock
) -> None:
    anna = Visitor(app).sign_up()
    for day in range(PAGE + 2):
        clock.advance(dt.timedelta(minutes=1))
        anna.call("POST", "/api/v1/me/labs", json={**FERRITIN, "date": f"2026-01-{day + 1:02d}"})
    first = anna.call("GET", "/api/v1/me/audit").json()
    assert len(first["events"]) == PAGE and first["older"] is not None
    rest = anna.call("GET", "/api/v1/me/audit", params={"before": first["older"]}).json()
    assert len(rest["events"]) == 2 and rest["older"] is None
    paged = first["events"] + rest["events"]
    assert [e["at"] for e in paged] == sorted((e["at"] for e in paged), reverse=True)

    download = anna.call("GET", "/api/v1/me/audit", params={"format": "csv"})
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    assert download.text.count("\r\n") == len(paged) + 1
    rows = list(csv.DictReader(io.StringIO(download.text, newline="")))
    read_back = [AuditRecord.model_validate({k: v or None for k, v in row.items()}) for row in rows]
    assert read_back == [AuditRecord.model_validate(e) for e in paged]


def test_a_page_of_another_patients_log_is_not_found(app: FastAPI) -> None:
    anna, bob = Visitor(app).sign_up(), Visitor(app).sign_up()
    bob.call("POST", "/api/v1/me/labs", json=FERRITIN)
    bobs_event = bob.call("GET", "/api/v1/me/audit").json()["events"][0]["id"]
    problem(anna.call("GET", "/api/v1/me/audit", params={"before": bobs_event}), 404)


def test_the_clinics_log_is_for_its_administrators_only(any_app: FastAPI) -> None:
    anna = Visitor(any_app).sign_up()
    anna.call("PUT", "/api/v1/me/facts", json=FACTS)
    ours, other = _clinic(any_app, anna), _clinic(any_app)
    ours.clinician.call("GET", _patient_path(ours, person_id(anna)))
    path = f"/api/v1/clinics/{ours.id}/audit"

    for outsider in (other.admin, ours.clinician, anna):
        problem(outsider.call("GET", path), 404)
        problem(outsider.call("GET", path, params={"format": "csv"}), 404)
        assert outsider.call("GET", f"/clinic/{ours.id}/audit").status_code == 404

    events = ours.admin.call("GET", path).json()["events"]
    first = events[0]
    assert (first["action"], first["actor_email"], first["subject_id"]) == (
        "read",
        ours.clinician.email,
        person_id(anna),
    )
    assert {e["organisation_id"] for e in events} == {ours.id}
    rows = list(
        csv.DictReader(io.StringIO(ours.admin.call("GET", path, params={"format": "csv"}).text))
    )
    assert [int(row["id"]) for row in rows] == [e["id"] for e in events]
    assert all(e.organisation_id == ours.id for e in clinic_log(database(any_app), ours.id).events)


def test_the_access_log_page_says_who_looked_from_which_clinic(app: FastAPI) -> None:
    anna = Visitor(app).sign_up()
    anna.call("PUT", "/api/v1/me/facts", json=FACTS)
    clinic = _clinic(app, anna)
    clinic.clinician.call("GET", _patient_path(clinic, person_id(anna)))

    page = anna.call("GET", "/access-log", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert clinic.clinician.email in page.text and clinic.name in page.text
    assert "Looked at the record" in page.text and "Changed facts about you" in page.text
    assert "/api/v1/me/audit?format=csv" in page.text

    admin_page = clinic.admin.call("GET", f"/clinic/{clinic.id}/audit")
    assert admin_page.status_code == 200
    assert f"#{person_id(anna)}" in admin_page.text and clinic.clinician.email in admin_page.text
    assert anna.email not in admin_page.text  # the clinic's log names patients by id


# ---------------------------------------------------------------- every route described


def _knows_who_asks(dependant: Dependant) -> bool:
    return dependant.call in SIGNED_IN or any(_knows_who_asks(d) for d in dependant.dependencies)


def _routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format is not None:
            for method in sorted(context.methods or ()):
                yield method, context.path_format, route


def test_every_route_that_knows_who_is_asking_is_described_by_the_log(app: FastAPI) -> None:
    routes = list(_routes(app))
    undescribed = [
        f"{method} {path}"
        for method, path, route in routes
        if _knows_who_asks(route.dependant) and rule_for(method, path) is None
    ]
    assert undescribed == [], "add each to web.audit.RULES (Logged or NotLogged, with why)"
    served = {(method, path) for method, path, _ in routes}
    assert sorted(set(RULES) - served) == [], "RULES names routes the app does not have"

    for method, path, _ in routes:
        rule = rule_for(method, path)
        if not isinstance(rule, Logged):
            continue
        params = {name for _, name, _, _ in Formatter().parse(path) if name}
        named = {name for _, name, _, _ in Formatter().parse(rule.record) if name}
        assert named <= params, f"{method} {path}: {rule.record} names what the path has not"
        if rule.whose == "clinic":
            assert "organisation_id" in params, f"{method} {path}"
        assert (rule.whose == "patient") == bool(PATIENT_ROUTE.fullmatch(path)), f"{method} {path}"


def test_a_clinics_patient_route_is_logged_by_the_convention() -> None:
    base = "/clinic/{organisation_id}/patients/{patient_id}"
    assert rule_for("GET", base) == Logged("read", "dashboard", "patient")
    assert rule_for("POST", f"{base}/notes") == Logged("create", "notes", "patient")
    assert rule_for("POST", f"{base}/notes/{{note_id}}/edit") == Logged(
        "update", "notes/{note_id}", "patient"
    )
    assert rule_for("DELETE", "/api/v1/clinics/{o}/patients/{p}/notes/{n}") == Logged(
        "delete", "notes/{n}", "patient"
    )
    assert rule_for("GET", f"{base}/labs.csv") == Logged("read", "labs", "patient")
    assert rule_for("GET", "/resources") is None
