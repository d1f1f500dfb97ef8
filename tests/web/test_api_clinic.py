"""The clinic's API: a patient's share codes, shares and revocation; an account's clinics and
joining one; a member adding a patient; an administrator's invitations and member list.

Every refusal is checked in the database as well as in the answer: 404 (never 403 or data)
for anyone without the role, 422 at `code` for a code that cannot be used, and in each
case not one row written or changed. The authorisation tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Final

import pytest
from fastapi import FastAPI

from rlsiron.store import Database, NotFoundError, clinic_of
from rlsiron.store.clinic import create_organisation
from rlsiron.web.settings import Settings
from tests.store.test_clinic import snapshot
from tests.web.conftest import Clock, Visitor, problem

SHARE_CODE_LIFETIME = Settings.model_fields["share_code_lifetime"].default
INVITATION_LIFETIME = Settings.model_fields["invitation_lifetime"].default
API: Final = "/api/v1"


def person_id(visitor: Visitor) -> int:
    found: int = visitor.call("GET", f"{API}/me").json()["id"]
    return found


def database(app: FastAPI) -> Database:
    db: Database = app.state.rlsiron.db
    return db


@dataclass
class Clinic:
    """A clinic with an administrator and a clinician, each signed in through the API."""

    id: int
    name: str
    admin: Visitor
    clinician: Visitor


def new_clinic(app: FastAPI) -> Clinic:
    """A clinic made as `rlsiron admin create-clinic` makes it; its clinician joined with an
    invitation through the API."""
    admin = Visitor(app).sign_up()
    name = f"Sleep clinic {uuid.uuid4().hex[:8]}"
    made = create_organisation(database(app), name, first_admin=person_id(admin))
    invited = admin.call("POST", f"{API}/clinics/{made.id}/invitations")
    assert invited.status_code == 201, invited.text
    clinician = Visitor(app).sign_up()
    joined = clinician.call("POST", f"{API}/me/clinics/join", json={"code": invited.json()["code"]})
    assert joined.status_code == 201, joined.text
    return Clinic(made.id, name, admin, clinician)


def share_code(patient: Visitor) -> str:
    made = patient.call("POST", f"{API}/me/share-codes")
    assert made.status_code == 201, made.text
    code: str = made.json()["code"]
    return code


def shared(patient: Visitor, clinic: Clinic) -> dict[str, Any]:
    """The patient's record shared with the clinic: their code redeemed by its clinician."""
    path = f"{API}/clinics/{clinic.id}/shares"
    redeemed = clinic.clinician.call("POST", path, json={"code": share_code(patient)})
    assert redeemed.status_code == 201, redeemed.text
    body: dict[str, Any] = redeemed.json()
    return body


def code_problem(response: Any) -> str:
    """The one problem of a refused code: at `code`, its message."""
    (error,) = problem(response, 422)["errors"]
    assert error["location"] == "code"
    message: str = error["message"]
    return message


# ---------------------------------------------------------------- the patient's side


def test_a_patient_shares_sees_who_has_access_and_revokes(app: FastAPI, clock: Clock) -> None:
    clinic = new_clinic(app)
    patient = Visitor(app).sign_up()
    assert patient.call("GET", f"{API}/me/shares").json() == []

    made = patient.call("POST", f"{API}/me/share-codes")
    assert made.status_code == 201
    assert dt.datetime.fromisoformat(made.json()["expires_at"]) == clock.now + SHARE_CODE_LIFETIME
    path = f"{API}/clinics/{clinic.id}/shares"
    redeemed = clinic.clinician.call("POST", path, json={"code": f"  {made.json()['code']} "})
    assert redeemed.status_code == 201, redeemed.text
    assert redeemed.json()["patient_id"] == person_id(patient)
    db, patient_id = database(app), person_id(patient)
    assert clinic_of(db, person_id(clinic.clinician), patient_id) == clinic.id

    (share,) = patient.call("GET", f"{API}/me/shares").json()
    assert (share["organisation_id"], share["organisation"]) == (clinic.id, clinic.name)
    assert share["revoked_at"] is None

    clock.advance(dt.timedelta(hours=1))
    assert patient.call("DELETE", f"{API}/me/shares/{clinic.id}").status_code == 204
    with pytest.raises(NotFoundError):  # at once: the clinician's next request is refused
        clinic_of(db, person_id(clinic.clinician), patient_id)
    (ended,) = patient.call("GET", f"{API}/me/shares").json()
    assert dt.datetime.fromisoformat(ended["revoked_at"]) == clock.now
    problem(patient.call("DELETE", f"{API}/me/shares/{clinic.id}"), 404)  # nothing to revoke


@pytest.mark.parametrize(
    ("later", "said"),
    [(SHARE_CODE_LIFETIME, "expired"), (dt.timedelta(0), "used")],
)
def test_a_used_or_expired_code_is_refused_at_the_field_and_nothing_is_written(
    app: FastAPI, clock: Clock, later: dt.timedelta, said: str
) -> None:
    clinic = new_clinic(app)
    patient = Visitor(app).sign_up()
    code = share_code(patient)
    if said == "used":
        shared_before = clinic.clinician.call(
            "POST", f"{API}/clinics/{clinic.id}/shares", json={"code": code}
        )
        assert shared_before.status_code == 201
    clock.advance(later)
    other = new_clinic(app)
    before = snapshot(database(app))
    again = other.clinician.call("POST", f"{API}/clinics/{other.id}/shares", json={"code": code})
    assert said in code_problem(again)
    assert snapshot(database(app)) == before
    with pytest.raises(NotFoundError):
        clinic_of(database(app), person_id(other.clinician), person_id(patient))


@pytest.mark.parametrize("code", ["not-a-code", "", "   ", "x" * 65])
def test_an_unknown_or_malformed_code_is_refused_at_the_field(app: FastAPI, code: str) -> None:
    clinic = new_clinic(app)
    before = snapshot(database(app))
    for path in (f"{API}/clinics/{clinic.id}/shares", f"{API}/me/clinics/join"):
        code_problem(clinic.admin.call("POST", path, json={"code": code}))
    assert snapshot(database(app)) == before


# ---------------------------------------------------------------- members and administrators


def test_an_administrator_invites_and_the_colleague_joins(app: FastAPI, clock: Clock) -> None:
    clinic = new_clinic(app)
    newcomer = Visitor(app).sign_up()
    assert newcomer.call("GET", f"{API}/me/clinics").json() == []  # a patient: no clinics

    path = f"{API}/clinics/{clinic.id}/invitations"
    invited = clinic.admin.call("POST", path, json={"role": "admin"})
    assert invited.status_code == 201
    body = invited.json()
    assert (body["organisation_id"], body["role"]) == (clinic.id, "admin")
    assert dt.datetime.fromisoformat(body["expires_at"]) == clock.now + INVITATION_LIFETIME
    joined = newcomer.call("POST", f"{API}/me/clinics/join", json={"code": body["code"]})
    assert joined.status_code == 201
    assert joined.json()["organisation"] == clinic.name
    (mine,) = newcomer.call("GET", f"{API}/me/clinics").json()
    assert (mine["organisation_id"], mine["role"]) == (clinic.id, "admin")

    members = newcomer.call("GET", f"{API}/clinics/{clinic.id}/members").json()
    by_email = {m["email"]: m["role"] for m in members}
    assert by_email == {
        clinic.admin.email: "admin",
        newcomer.email: "admin",
        clinic.clinician.email: "clinician",
    }
    late = Visitor(app).sign_up()
    assert "used" in code_problem(
        late.call("POST", f"{API}/me/clinics/join", json={"code": body["code"]})
    )
    clock.advance(INVITATION_LIFETIME)
    stale = clinic.admin.call("POST", path).json()["code"]
    clock.advance(INVITATION_LIFETIME)
    assert "expired" in code_problem(
        late.call("POST", f"{API}/me/clinics/join", json={"code": stale})
    )
    assert late.call("GET", f"{API}/me/clinics").json() == []


def test_a_bad_role_is_refused_at_the_field(app: FastAPI) -> None:
    clinic = new_clinic(app)
    before = snapshot(database(app))
    path = f"{API}/clinics/{clinic.id}/invitations"
    (error,) = problem(clinic.admin.call("POST", path, json={"role": "owner"}), 422)["errors"]
    assert error["location"] == "role"
    assert snapshot(database(app)) == before


# ---------------------------------------------------------------- authorisation: 404, nothing


def test_a_patients_sharing_is_theirs_alone(any_app: FastAPI) -> None:
    clinic = new_clinic(any_app)
    patient, other = Visitor(any_app).sign_up(), Visitor(any_app).sign_up()
    shared(patient, clinic)
    before = snapshot(database(any_app))
    problem(other.call("DELETE", f"{API}/me/shares/{clinic.id}"), 404)
    assert other.call("GET", f"{API}/me/shares").json() == []
    assert snapshot(database(any_app)) == before
    (share,) = patient.call("GET", f"{API}/me/shares").json()
    assert share["revoked_at"] is None
    assert clinic_of(database(any_app), person_id(clinic.clinician), person_id(patient))


def test_the_administrators_routes_are_not_found_for_anyone_else(any_app: FastAPI) -> None:
    clinic, other = new_clinic(any_app), new_clinic(any_app)
    patient = Visitor(any_app).sign_up()
    before = snapshot(database(any_app))
    for outsider in (clinic.clinician, other.admin, patient):
        problem(outsider.call("POST", f"{API}/clinics/{clinic.id}/invitations"), 404)
        problem(outsider.call("GET", f"{API}/clinics/{clinic.id}/members"), 404)
    assert snapshot(database(any_app)) == before


def test_only_a_member_adds_a_patient_to_the_clinic(any_app: FastAPI) -> None:
    clinic, other = new_clinic(any_app), new_clinic(any_app)
    patient, stranger = Visitor(any_app).sign_up(), Visitor(any_app).sign_up()
    code = share_code(patient)
    before = snapshot(database(any_app))
    path = f"{API}/clinics/{clinic.id}/shares"
    for outsider in (other.admin, other.clinician, stranger):
        problem(outsider.call("POST", path, json={"code": code}), 404)
    assert snapshot(database(any_app)) == before  # the code is not used up either
    assert clinic.admin.call("POST", path, json={"code": code}).status_code == 201


@pytest.mark.parametrize("organisation_id", [0, 999_999_999, 2**31, 2**63, 2**64])
def test_a_clinic_that_does_not_exist_is_not_found(app: FastAPI, organisation_id: int) -> None:
    clinic = new_clinic(app)
    for method, route in (
        ("POST", "invitations"),
        ("GET", "members"),
        ("POST", "shares"),
    ):
        body = {"code": "not-a-code"} if route == "shares" else None
        path = f"{API}/clinics/{organisation_id}/{route}"
        problem(clinic.admin.call(method, path, json=body), 404)
    problem(clinic.admin.call("DELETE", f"{API}/me/shares/{organisation_id}"), 404)


def test_signed_out_is_401_and_a_write_without_the_csrf_header_403(app: FastAPI) -> None:
    clinic = new_clinic(app)
    before = snapshot(database(app))
    nobody = Visitor(app)
    for method, path in (
        ("POST", "/me/share-codes"),
        ("GET", "/me/shares"),
        ("GET", "/me/clinics"),
        ("GET", f"/clinics/{clinic.id}/members"),
    ):
        problem(nobody.call(method, API + path), 401)
    forged = Visitor(app, cookies=clinic.admin.cookies)  # the cookie, but no CSRF token
    for method, path in (
        ("POST", "/me/share-codes"),
        ("POST", f"/clinics/{clinic.id}/invitations"),
        ("DELETE", f"/me/shares/{clinic.id}"),
    ):
        problem(forged.call(method, API + path), 403)
    assert snapshot(database(app)) == before


def test_the_document_declares_every_error_of_the_clinic_routes(app: FastAPI) -> None:
    paths = Visitor(app).call("GET", f"{API}/openapi.json").json()["paths"]

    def codes(method: str, path: str) -> set[int]:
        return {int(code) for code in paths[API + path][method]["responses"]}

    assert {401, 403} <= codes("post", "/me/share-codes")
    assert {401, 403, 404, 422} <= codes("delete", "/me/shares/{organisation_id}")
    assert {401, 403, 422} <= codes("post", "/me/clinics/join")
    for path in ("/shares", "/invitations"):
        assert {401, 403, 404, 422} <= codes("post", "/clinics/{organisation_id}" + path)
    assert {401, 404, 422} <= codes("get", "/clinics/{organisation_id}/members")
