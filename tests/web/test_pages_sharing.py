"""The sharing page: a patient makes a code and sees it once with its expiry, sees which
clinic has access, and revokes it with a button; the clinician loses access at once.
Every form carries the CSRF field; without it nothing changes."""

from __future__ import annotations

from typing import Final

import pytest
from fastapi import FastAPI

from rlsiron.store import NotFoundError, clinic_of
from rlsiron.web.pages.templating import long_date
from rlsiron.web.settings import Settings
from tests.store.test_clinic import snapshot
from tests.web.conftest import Clock, Visitor
from tests.web.test_api_clinic import (
    API,
    Clinic,
    database,
    new_clinic,
    person_id,
    shared,
)
from tests.web.test_pages import Markup, form_visitor, get, post_form

SHARE_CODE_LIFETIME = Settings.model_fields["share_code_lifetime"].default
SHARING: Final = "/sharing"


def code_on(html: str, id_: str) -> str:
    """The new code a page shows in its `<code id=...>` (sharing_code.html.j2)."""
    assert Markup(html).by_id(id_)
    start = html.index(f'id="{id_}">') + len(f'id="{id_}">')
    return html[start : html.index("<", start)]


def sharing_patient(app: FastAPI, clinic: Clinic) -> Visitor:
    """A patient whose record the clinic sees, whose requests carry no CSRF header: forms
    only, as a browser's do."""
    patient = Visitor(app).sign_up()
    shared(patient, clinic)
    patient.csrf = None
    return patient


def test_the_page_needs_signing_in(app: FastAPI) -> None:
    response = Visitor(app).call("GET", SHARING)
    assert response.headers["location"] == "/sign-in?next=%2Fsharing"


def test_a_new_code_is_shown_once_with_its_expiry_and_works(app: FastAPI, clock: Clock) -> None:
    patient = form_visitor(app)
    _, markup = get(patient, SHARING)
    assert markup.by_id("share-code-form")["action"] == "/sharing/codes"
    assert "no-shares" in {a.get("id") for _, a in markup.elements}

    made = post_form(patient, "/sharing/codes", {}, SHARING)
    assert made.status_code == 200
    expires = clock.now + SHARE_CODE_LIFETIME
    assert f'datetime="{expires.isoformat()}"' in made.text
    assert long_date(expires.date()) in made.text
    code = code_on(made.text, "share-code-value")

    clinic = new_clinic(app)
    redeemed = clinic.clinician.call(
        "POST", f"{API}/clinics/{clinic.id}/shares", json={"code": code}
    )
    assert redeemed.status_code == 201, redeemed.text
    again = patient.call("GET", SHARING).text
    assert code not in again  # shown once: only its hash is kept
    assert clinic.name in again


def test_the_patient_revokes_with_the_button_and_the_clinic_loses_access(
    app: FastAPI, clock: Clock
) -> None:
    clinic = new_clinic(app)
    patient = sharing_patient(app, clinic)
    _, markup = get(patient, SHARING)
    assert markup.by_id(f"revoke-{clinic.id}")["action"] == f"/sharing/{clinic.id}/revoke"

    revoked = post_form(patient, f"/sharing/{clinic.id}/revoke", {}, SHARING)
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"/sharing?revoked={clinic.id}"
    with_message = patient.call("GET", revoked.headers["location"]).text
    assert f"{clinic.name} no longer has access" in with_message
    assert f'Revoked on <time datetime="{clock.now.isoformat()}"' in with_message
    assert 'id="revoke-' not in with_message  # nothing left to revoke
    with pytest.raises(NotFoundError):
        clinic_of(database(app), person_id(clinic.clinician), person_id(patient))


def test_revoking_without_the_csrf_field_or_what_is_not_shared_changes_nothing(
    app: FastAPI,
) -> None:
    clinic = new_clinic(app)
    patient, other = sharing_patient(app, clinic), form_visitor(app)
    before = snapshot(database(app))
    assert patient.call("POST", f"/sharing/{clinic.id}/revoke").status_code == 403
    assert post_form(other, f"/sharing/{clinic.id}/revoke", {}, SHARING).status_code == 404
    assert post_form(patient, "/sharing/999999999/revoke", {}, SHARING).status_code == 404
    assert patient.call("POST", "/sharing/codes").status_code == 403
    assert snapshot(database(app)) == before
    assert clinic_of(database(app), person_id(clinic.clinician), person_id(patient)) == clinic.id


def test_another_patients_page_shows_nothing_of_theirs(app: FastAPI) -> None:
    clinic = new_clinic(app)
    patient, other = sharing_patient(app, clinic), form_visitor(app)
    assert clinic.name in patient.call("GET", SHARING).text
    page = other.call("GET", f"{SHARING}?revoked={clinic.id}").text
    assert clinic.name not in page
