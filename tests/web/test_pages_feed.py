"""The clinic's lab feed page: the form, a real HL7 v2 batch sent through it and the report
(stored per patient, the unmatched results with their place, the problems), problems with
the files at the file field, and everyone but the clinic's members refused with nothing
written."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.io.test_bulk import TWO_PATIENTS
from tests.web.conftest import Visitor
from tests.web.test_api_feed import ROSA, identified, labs_of
from tests.web.test_api_worklist import Clinic, new_clinic
from tests.web.test_pages import Markup
from tests.web.test_pages_upload import field_error, text_of

pytestmark = pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")


def page_of(clinic: int) -> str:
    return f"/clinic/{clinic}/feed"


def form(visitor: Visitor) -> Visitor:
    """The same browser sending forms: the CSRF token as a field, never as a header."""
    return Visitor(visitor.app, cookies=visitor.cookies)


def sent(clinic: Clinic, *files: tuple[str, bytes], csrf: bool = True) -> httpx.Response:
    """The files sent through the page's form, with the CSRF field the page carries."""
    browser = form(clinic.clinician)
    token = Markup(browser.call("GET", page_of(clinic.id)).text).csrf()
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return browser.call(
        "POST", page_of(clinic.id), data={"csrf_token": token} if csrf else {}, files=parts
    )


@pytest.fixture
def clinic(app: FastAPI) -> Clinic:
    return new_clinic(app)


def test_the_form_takes_several_files_with_its_label_hint_and_csrf_field(clinic: Clinic) -> None:
    response = clinic.clinician.call("GET", page_of(clinic.id))
    assert response.status_code == 200, response.text
    markup = Markup(response.text)
    form = markup.by_id("feed-form")
    assert (form["method"], form["action"], form["enctype"]) == (
        "post",
        page_of(clinic.id),
        "multipart/form-data",
    )
    files = markup.by_id("files")
    assert files["type"] == "file" and "multiple" in files and files["name"] == "files"
    assert {".ndjson", ".hl7"} <= set(files["accept"].split(","))
    assert "files" in {a["for"] for a in markup.all("label")}
    assert markup.csrf()
    words = text_of(response)
    assert "Lab feed: Sleep clinic" in words and "each up to 16 MiB" in words


def test_a_batch_sent_through_the_page_is_stored_and_reported(clinic: Clinic) -> None:
    rosa, rosa_id = identified(clinic, ROSA)
    response = sent(clinic, ("batch.hl7", TWO_PATIENTS.read_bytes()))
    assert response.status_code == 200, response.text
    words = text_of(response)
    assert (
        "2 results stored for 1 patient; 0 patients with nothing stored because of a problem; "
        "2 results not matched to any patient." in words
    )
    assert "batch.hl7: HL7 version 2 messages" in words
    assert Markup(response.text).by_id(f"report-patient-{rosa_id}")
    assert f"Patient {rosa_id} CL-410022 (CITYLAB) 2 0 Stored" in words
    assert (
        "CL-410987 (CITYLAB) Ferritin 2025-07-31 batch.hl7: OBX 1 of message 2 "
        "no patient linked to the clinic has this identifier" in words
    )
    assert len(labs_of(rosa)) == 2


def test_a_patient_with_a_bad_row_is_reported_with_its_place(clinic: Clinic) -> None:
    rosa, _ = identified(clinic, ROSA)
    bad = TWO_PATIENTS.read_bytes().replace(b"|33|ug/L|", b"|33|furlongs|")
    words = text_of(sent(clinic, ("batch.hl7", bad)))
    assert "0 results stored for 0 patients; 1 patient with nothing stored" in words
    assert (
        "Nothing stored for this patient: batch.hl7: OBX 1 of message 1 (unit): unknown unit"
        in words
    )
    assert labs_of(rosa) == []


def test_problems_with_the_files_are_shown_at_the_file_field(clinic: Clinic) -> None:
    none_chosen = sent(clinic, ("", b""))
    assert none_chosen.status_code == 422
    assert "choose one or more files" in field_error(none_chosen, "files")
    csv = sent(clinic, ("portal.csv", b"test,value,unit,date\nferritin,30,ug/L,2026-01-10\n"))
    assert csv.status_code == 422
    assert "portal.csv is not a feed" in field_error(csv, "files")


def test_without_the_csrf_field_nothing_is_read_or_stored(clinic: Clinic) -> None:
    rosa, _ = identified(clinic, ROSA)
    refused = sent(clinic, ("batch.hl7", TWO_PATIENTS.read_bytes()), csrf=False)
    assert refused.status_code == 403
    assert labs_of(rosa) == []


def test_the_page_of_a_clinic_one_is_not_a_member_of_is_404(app: FastAPI, clinic: Clinic) -> None:
    rosa, _ = identified(clinic, ROSA)
    other = new_clinic(app)
    for path in (page_of(clinic.id), page_of(2**40)):
        response = other.clinician.call("GET", path, headers={"Accept": "text/html"})
        assert response.status_code == 404 and "<h1>" in response.text
    browser = form(other.clinician)
    token = Markup(browser.call("GET", page_of(other.id)).text).csrf()
    parts = [("files", ("batch.hl7", TWO_PATIENTS.read_bytes(), "text/plain"))]
    posted = browser.call("POST", page_of(clinic.id), data={"csrf_token": token}, files=parts)
    assert posted.status_code == 404
    assert labs_of(rosa) == []


def test_signed_out_the_page_asks_to_sign_in(app: FastAPI, clinic: Clinic) -> None:
    response = Visitor(app).call("GET", page_of(clinic.id))
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
