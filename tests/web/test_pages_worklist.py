"""The clinic's pages: the worklist (flags in words, filters with counts, pages), the
clinician's view of a patient (decision, clinician section, every result with where it
came from, notes with their form), the patient's report as a PDF, and the navigation that
shows a member their clinics' worklists and a patient none.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from fastapi import FastAPI

from rlsiron.core.knowledge.thresholds import THRESHOLDS
from rlsiron.core.models import Origin
from rlsiron.store import LABS, LabEntry
from rlsiron.store.worklist import PER_PAGE
from rlsiron.web.pages.worklist import FLAG_WORDS
from tests.store.helpers import make_person
from tests.web.conftest import FERRITIN, TSAT
from tests.web.test_api_worklist import Clinic, new_clinic
from tests.web.test_pages import Markup, get, post_form
from tests.web.test_pages_records import Rows
from tests.web.test_pages_upload import field_error, text_of

DRAWN: Final = dt.date(2026, 1, 10)


def _clinic_for_forms(app: FastAPI) -> Clinic:
    """A clinic whose clinician sends forms only (no CSRF header, as a browser)."""
    clinic = new_clinic(app)
    clinic.clinician.csrf = None
    return clinic


def test_the_worklist_shows_each_patient_with_flags_in_words(app: FastAPI) -> None:
    clinic = _clinic_for_forms(app)
    patient, patient_id = clinic.patient(FERRITIN, TSAT)
    response, markup = get(clinic.clinician, f"/clinic/{clinic.id}")
    row = Rows(response.text).text[f"patient-{patient_id}"]
    assert patient.email in row
    assert "Iron therapy: worth discussing with your clinician" in row
    assert FLAG_WORDS["below_target_untreated"] in row
    assert "30 µg/L" in row and "15 %" in row and "2026-01-10" in row
    due = Markup(response.text).all("time")[0]["datetime"]
    assert due in row
    link = f"/clinic/{clinic.id}/patients/{patient_id}"
    assert {"href": link} in markup.all("a")
    assert markup.by_id("filter-all")["aria-current"] == "true"
    words = text_of(response)
    assert f"{FLAG_WORDS['below_target_untreated']} (1)" in words
    assert f"{FLAG_WORDS['safety']} (0)" in words


def test_the_worklist_filters_and_pages_by_links(app: FastAPI) -> None:
    clinic = _clinic_for_forms(app)
    db = app.state.rlsiron.db
    for _ in range(PER_PAGE):  # a page's worth with nothing to flag
        clinic.link(make_person(db).id)
    _, flagged = clinic.patient(FERRITIN, TSAT)
    first, markup = get(clinic.clinician, f"/clinic/{clinic.id}")
    rows = Rows(first.text).text
    assert next(iter(rows)) == f"patient-{flagged}"
    assert f"Patients 1 to {PER_PAGE} of {PER_PAGE + 1}." in text_of(first)
    assert markup.by_id("page-next")["href"] == f"/clinic/{clinic.id}?page=2"
    second, markup = get(clinic.clinician, f"/clinic/{clinic.id}?page=2")
    assert f"Patients {PER_PAGE + 1} to {PER_PAGE + 1} of {PER_PAGE + 1}." in text_of(second)
    assert markup.by_id("page-previous")["href"] == f"/clinic/{clinic.id}"

    filter_link = Markup(first.text).by_id("filter-below_target_untreated")["href"]
    only, markup = get(clinic.clinician, filter_link)
    assert [row for row in Rows(only.text).text if row.startswith("patient-")] == [
        f"patient-{flagged}"
    ]
    assert markup.by_id("filter-below_target_untreated")["aria-current"] == "true"


def test_a_member_finds_the_worklist_in_the_navigation_and_a_patient_does_not(
    app: FastAPI,
) -> None:
    clinic = _clinic_for_forms(app)
    patient, _ = clinic.patient(FERRITIN, TSAT)
    _, markup = get(clinic.clinician, "/")
    links = [a for a in markup.all("a") if a.get("class") == "clinic-link"]
    assert [a["href"] for a in links] == [f"/clinic/{clinic.id}"]
    patient.csrf = None
    _, markup = get(patient, "/")
    assert [a for a in markup.all("a") if a.get("class") == "clinic-link"] == []


def test_the_patient_view_shows_the_standing_the_history_and_its_sources(app: FastAPI) -> None:
    clinic = _clinic_for_forms(app)
    patient, patient_id = clinic.patient(TSAT)
    origin = Origin(file="portal-export.pdf", at="line 14", text="Ferritin 30 ng/mL")
    LABS.add(
        app.state.rlsiron.db,
        patient_id,
        LabEntry(test="ferritin", value=30, unit="ng/mL", date=DRAWN, origin=origin),
    )
    response, markup = get(clinic.clinician, f"/clinic/{clinic.id}/patients/{patient_id}")
    words = text_of(response)
    assert f"Patient: {patient.email}" in words
    assert "Decision: Iron therapy: worth discussing with your clinician" in words
    assert "Rule adult.low_iron" in words  # the clinician section names the rule
    assert "Oral ferrous sulfate" in words  # and the guideline's options
    rows = Rows(response.text).text
    ferritin = next(
        text for row, text in rows.items() if row.startswith("lab-") and "ferritin" in text
    )
    assert "30 ng/mL" in ferritin and "portal-export.pdf, line 14: “Ferritin 30 ng/mL”" in ferritin
    tsat = next(text for row, text in rows.items() if row.startswith("lab-") and "tsat" in text)
    assert "typed in by the patient" in tsat
    assert (
        markup.by_id("report-pdf")["href"]
        == f"/clinic/{clinic.id}/patients/{patient_id}/report.pdf"
    )
    assert [s["src"] for s in markup.all("script") if "src" in s][-1] == "/static/charts.js"
    assert len([s for s in markup.scripts if s[0].get("data-chart-for")]) == 3
    assert not [f for f in markup.all("form") if f.get("action", "").startswith("/labs")]


def test_a_note_is_added_through_the_form_and_an_empty_one_refused_at_its_field(
    app: FastAPI,
) -> None:
    clinic = _clinic_for_forms(app)
    _, patient_id = clinic.patient(FERRITIN, TSAT)
    view = f"/clinic/{clinic.id}/patients/{patient_id}"
    empty = post_form(clinic.clinician, f"{view}/notes", {"text": "  "}, view)
    assert empty.status_code == 422
    assert "at least 1 character" in field_error(empty, "note-text")
    added = post_form(clinic.clinician, f"{view}/notes", {"text": "Discussed IV iron."}, view)
    assert added.status_code == 303
    assert added.headers["location"] == f"{view}#notes"
    words = text_of(get(clinic.clinician, view)[0])
    assert f"{clinic.clinician.email}, 2026-03-01 09:00 UTC Discussed IV iron." in words


def test_the_report_for_the_doctor_is_the_patients_pdf(app: FastAPI) -> None:
    clinic = _clinic_for_forms(app)
    _, patient_id = clinic.patient(FERRITIN, TSAT)
    response = clinic.clinician.call("GET", f"/clinic/{clinic.id}/patients/{patient_id}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"rlsiron-report-{patient_id}-" in response.headers["content-disposition"]


def test_without_the_patients_facts_the_view_says_what_is_missing(app: FastAPI) -> None:
    clinic = _clinic_for_forms(app)
    _, patient_id = clinic.patient(FERRITIN, facts=False)
    view = f"/clinic/{clinic.id}/patients/{patient_id}"
    words = text_of(get(clinic.clinician, view)[0])
    assert "No assessment yet" in words and "person.sex" in words
    assert "30 ug/L" in words  # the history is still there
    report = clinic.clinician.call("GET", f"{view}/report.pdf")
    assert (report.status_code, report.headers["location"]) == (303, view)


def test_a_safety_flag_leads_the_worklist(app: FastAPI) -> None:
    clinic = _clinic_for_forms(app)
    clinic.patient(FERRITIN, TSAT)
    limit = THRESHOLDS["tsat.contraindicated"].value
    tsat = {**TSAT, "value": limit}
    _, unsafe = clinic.patient({**FERRITIN, "value": 150}, tsat)
    response, _ = get(clinic.clinician, f"/clinic/{clinic.id}")
    rows = [text for row, text in Rows(response.text).text.items() if row.startswith("patient-")]
    assert FLAG_WORDS["safety"] in rows[0]
    assert f"{limit:g} %" in Rows(response.text).text[f"patient-{unsafe}"]


def test_a_patient_who_did_not_share_is_the_html_not_found_page(app: FastAPI) -> None:
    clinic = _clinic_for_forms(app)
    stranger = make_person(app.state.rlsiron.db)
    response = clinic.clinician.call(
        "GET", f"/clinic/{clinic.id}/patients/{stranger.id}", headers={"Accept": "text/html"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert stranger.email not in response.text
