"""The clinic's pages: "Your clinics" with joining by an invitation code, an administrator's
staff page (members, a new invitation shown once), and a member adding a patient by the
patient's code. A page of a clinic the account may not act for is 404 and changes nothing;
a bad code is shown at its field (422) with nothing written."""

from __future__ import annotations

from typing import Final

import pytest
from fastapi import FastAPI

from rlsiron.store import clinic_of
from rlsiron.web.settings import Settings
from tests.store.test_clinic import snapshot
from tests.web.conftest import Clock, Visitor
from tests.web.test_api_clinic import (
    Clinic,
    database,
    new_clinic,
    person_id,
    share_code,
)
from tests.web.test_pages import Markup, form_visitor, get, post_form
from tests.web.test_pages_settings import error_at
from tests.web.test_pages_sharing import code_on

INVITATION_LIFETIME = Settings.model_fields["invitation_lifetime"].default
CLINICS: Final = "/clinics"


def by_forms(clinic: Clinic) -> Clinic:
    """The clinic's staff sending forms only, as a browser does (no CSRF header)."""
    clinic.admin.csrf = clinic.clinician.csrf = None
    return clinic


def staff_page(clinic: Clinic) -> str:
    return f"/clinic/{clinic.id}/staff"


def add_patient_page(clinic: Clinic) -> str:
    return f"/clinic/{clinic.id}/add-patient"


@pytest.mark.parametrize("path", [CLINICS, "/clinic/1/staff", "/clinic/1/add-patient"])
def test_the_pages_need_signing_in(app: FastAPI, path: str) -> None:
    assert Visitor(app).call("GET", path).headers["location"].startswith("/sign-in?next=")


# ---------------------------------------------------------------- your clinics, joining


def test_a_colleague_joins_with_the_code_the_staff_page_shows_once(
    app: FastAPI, clock: Clock
) -> None:
    clinic = by_forms(new_clinic(app))
    _, markup = get(clinic.admin, staff_page(clinic))
    assert {a["id"] for a in markup.all("tr") if a.get("id", "").startswith("member-")} == {
        f"member-{person_id(clinic.admin)}",
        f"member-{person_id(clinic.clinician)}",
    }
    invited = post_form(
        clinic.admin, f"{staff_page(clinic)}/invite", {"role": "admin"}, staff_page(clinic)
    )
    assert invited.status_code == 200
    code = code_on(invited.text, "invitation-value")
    assert f'datetime="{(clock.now + INVITATION_LIFETIME).isoformat()}"' in invited.text
    assert code not in clinic.admin.call("GET", staff_page(clinic)).text  # shown once

    colleague = form_visitor(app)
    _, before = get(colleague, CLINICS)
    assert "no-memberships" in {a.get("id") for _, a in before.elements}
    joined = post_form(colleague, f"{CLINICS}/join", {"code": f" {code} "}, CLINICS)
    assert joined.status_code == 303
    assert joined.headers["location"] == f"{CLINICS}?joined={clinic.id}"
    page = colleague.call("GET", joined.headers["location"]).text
    assert f"You are now a member of {clinic.name} (administrator)" in page
    links = {a["href"] for a in Markup(page).all("a")}
    assert {staff_page(clinic), add_patient_page(clinic), f"/clinic/{clinic.id}"} <= links


def test_a_bad_code_is_shown_at_its_field_and_nothing_is_written(app: FastAPI) -> None:
    clinic = by_forms(new_clinic(app))
    colleague = form_visitor(app)
    before = snapshot(database(app))
    refused = post_form(colleague, f"{CLINICS}/join", {"code": "not-a-code"}, CLINICS)
    assert refused.status_code == 422
    assert error_at(refused.text, "code").startswith("no such code")
    assert Markup(refused.text).by_id("code")["value"] == "not-a-code"  # kept to correct
    empty = post_form(colleague, f"{CLINICS}/join", {"code": ""}, CLINICS)
    assert empty.status_code == 422 and error_at(empty.text, "code")
    wrong_role = post_form(
        clinic.admin, f"{staff_page(clinic)}/invite", {"role": "owner"}, staff_page(clinic)
    )
    assert wrong_role.status_code == 422 and error_at(wrong_role.text, "role")
    assert snapshot(database(app)) == before


# ---------------------------------------------------------------- adding a patient


def test_a_clinician_adds_a_patient_by_their_code(app: FastAPI) -> None:
    clinic = new_clinic(app)
    patient = Visitor(app).sign_up()
    code = share_code(patient)
    by_forms(clinic)
    _, markup = get(clinic.clinician, add_patient_page(clinic))
    assert markup.by_id("add-patient-form")["action"] == add_patient_page(clinic)

    added = post_form(
        clinic.clinician, add_patient_page(clinic), {"code": code}, add_patient_page(clinic)
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"{add_patient_page(clinic)}?added={person_id(patient)}"
    page = clinic.clinician.call("GET", added.headers["location"]).text
    assert f"Added: {patient.email} now shares their record with {clinic.name}" in page
    assert clinic_of(database(app), person_id(clinic.clinician), person_id(patient)) == clinic.id

    again = post_form(
        clinic.clinician, add_patient_page(clinic), {"code": code}, add_patient_page(clinic)
    )
    assert again.status_code == 422
    assert error_at(again.text, "code").startswith("this code has been used already")


def test_the_added_message_names_only_a_patient_the_member_may_see(app: FastAPI) -> None:
    clinic = by_forms(new_clinic(app))
    stranger = Visitor(app).sign_up()
    page = clinic.clinician.call(
        "GET", f"{add_patient_page(clinic)}?added={person_id(stranger)}"
    ).text
    assert stranger.email not in page and "added-message" not in page


# ---------------------------------------------------------------- not found, nothing changed


def test_a_clinics_pages_are_not_found_for_anyone_without_the_role(app: FastAPI) -> None:
    clinic, other = by_forms(new_clinic(app)), by_forms(new_clinic(app))
    patient = Visitor(app).sign_up()
    code = share_code(patient)
    patient.csrf = None
    before = snapshot(database(app))
    for outsider in (clinic.clinician, other.admin, patient):
        assert outsider.call("GET", staff_page(clinic)).status_code == 404
        token = Markup(outsider.call("GET", CLINICS).text).csrf()
        invite = outsider.call(
            "POST", f"{staff_page(clinic)}/invite", data={"role": "clinician", "csrf_token": token}
        )
        assert invite.status_code == 404
    for outsider in (other.admin, other.clinician, patient):
        assert outsider.call("GET", add_patient_page(clinic)).status_code == 404
        token = Markup(outsider.call("GET", CLINICS).text).csrf()
        for given in (code, ""):  # a good code or a bad one: the clinic is not theirs
            add = outsider.call(
                "POST", add_patient_page(clinic), data={"code": given, "csrf_token": token}
            )
            assert add.status_code == 404
    for path in ("/clinic/999999999/staff", "/clinic/999999999/add-patient"):
        assert clinic.admin.call("GET", path).status_code == 404
    assert snapshot(database(app)) == before


def test_a_form_without_its_csrf_field_changes_nothing(app: FastAPI) -> None:
    clinic = by_forms(new_clinic(app))
    patient = Visitor(app).sign_up()
    code = share_code(patient)
    before = snapshot(database(app))
    for path, data in (
        (f"{staff_page(clinic)}/invite", {"role": "clinician"}),
        (add_patient_page(clinic), {"code": code}),
        (f"{CLINICS}/join", {"code": code}),
    ):
        assert clinic.admin.call("POST", path, data=data).status_code == 403
    assert snapshot(database(app)) == before
