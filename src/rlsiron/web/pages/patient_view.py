"""A clinician's view of one patient, `/clinic/{organisation_id}/patients/{patient_id}`.

The patient's own standing (`web.standing`: the same assessment, charts and other profile
the patient's dashboard shows, kept under their revision), read-only, with what the
clinician needs besides: the clinician section of the report (the guideline's options,
the rule, the evidence), the patient's facts and the full history of results with where
each came from, the clinic's notes with a form to add one, and the report for the doctor
as a PDF of the patient's history (`.../report.pdf`).

Every route here begins with `page_patient`, which asks `api.worklist.clinic_patient`
(`store.clinic_of`): a patient the member may not see through this clinic is 404 before
anything of theirs is read, and a note is written only after it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rlsiron.store import IRON_COURSES, LABS
from rlsiron.store.worklist import NoteEntry, add_note, notes_of
from rlsiron.web.api.worklist import ClinicPatient, OrganisationId, PatientId, clinic_patient
from rlsiron.web.charts import to_svg
from rlsiron.web.deps import AppState, SignedIn, StateDep, Today
from rlsiron.web.pages.forms import FieldErrors, problems_in
from rlsiron.web.pages.labs import lab_row
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page
from rlsiron.web.report import render_report_pdf
from rlsiron.web.standing import report_view, standing

router = APIRouter()
PATIENT: Final = "/clinic/{organisation_id}/patients/{patient_id}"
NOTE_FIELD: Final = "note-text"


def page_patient(
    organisation_id: OrganisationId, patient_id: PatientId, me: PagePerson, state: StateDep
) -> ClinicPatient:
    """The patient of the address, when the signed-in member may see them (else 404)."""
    return clinic_patient(state.db, me.person_id, organisation_id, patient_id)


SeenPatient = Annotated[ClinicPatient, Depends(page_patient)]


def _address(seen: ClinicPatient) -> str:
    return f"/clinic/{seen.organisation_id}/patients/{seen.patient_id}"


def _patient_page(
    request: Request,
    me: SignedIn,
    state: AppState,
    seen: ClinicPatient,
    today: dt.date,
    *,
    note: str = "",
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    s = standing(state.db, state.standings, seen.patient_id, today)
    context: dict[str, Any] = {
        "title": f"Patient: {s.person.email}",
        "person": s.person,
        "address": _address(seen),
        "worklist": f"/clinic/{seen.organisation_id}",
        "problems": s.problems,
        "report": report_view(s, state.now()),
        "charts": s.chart_json,
        "other_profiles": s.other_profiles,
        "labs": [
            {**lab_row(lab, today), "origin": lab.origin}
            for lab in reversed(LABS.all(state.db, seen.patient_id))
        ],
        "courses": list(reversed(IRON_COURSES.all(state.db, seen.patient_id))),
        "notes": notes_of(state.db, seen.organisation_id, seen.patient_id),
        "note": note,
        "note_field": NOTE_FIELD,
        "errors": errors or FieldErrors(),
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return page(request, "patient_view.html.j2", context, csrf=me.csrf_token, status_code=code)


@router.get(PATIENT, response_class=HTMLResponse)
def patient_view(
    request: Request, seen: SeenPatient, me: PagePerson, state: StateDep, today: Today
) -> HTMLResponse:
    return _patient_page(request, me, state, seen, today)


@router.post(f"{PATIENT}/notes", response_class=HTMLResponse)
def add_patient_note(
    request: Request,
    seen: SeenPatient,
    me: PagePerson,
    state: StateDep,
    today: Today,
    text: Annotated[str, Form()] = "",
) -> Response:
    """The note kept, then the view again at the notes (303); a problem at the field, 422."""
    try:
        entry = NoteEntry(text=text)
    except ValidationError as exc:
        errors = FieldErrors.of(problems_in(exc), lambda _location: NOTE_FIELD)
        return _patient_page(request, me, state, seen, today, note=text, errors=errors)
    add_note(state.db, seen.organisation_id, seen.patient_id, me.person_id, entry, now=state.now())
    return RedirectResponse(f"{_address(seen)}#notes", status.HTTP_303_SEE_OTHER)


@router.get(f"{PATIENT}/report.pdf", response_class=Response)
def patient_report(seen: SeenPatient, state: StateDep, today: Today) -> Response:
    """The report for the doctor of the patient's history today, as the patient's own
    report is; without an assessment yet, the view (which says what is missing)."""
    s = standing(state.db, state.standings, seen.patient_id, today)
    if s.inp is None or s.assessment is None:
        return RedirectResponse(_address(seen), status.HTTP_303_SEE_OTHER)
    pdf = render_report_pdf(
        s.inp,
        s.assessment,
        charts_svg=[to_svg(chart) for chart in s.charts.values()],
        generated=state.now(),
        person_name=s.person.email,
    )
    name = f"rlsiron-report-{seen.patient_id}-{today.isoformat()}.pdf"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(pdf, media_type="application/pdf", headers=headers)
