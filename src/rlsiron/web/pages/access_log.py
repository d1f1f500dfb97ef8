"""The audit log as pages: `/access-log`, a patient's "who looked at my record and what
changed", and `/clinic/{organisation_id}/audit`, the clinic's log for its administrators.

Both read the store's log a page at a time, newest first (`store.audit`), and say each
event in words: who (you; a clinician's email and clinic; the patient, by id, in a
clinic's log), what (the action and the record it named), when (UTC) and from where (the
address). The CSV of the whole log is the API's (`GET /api/v1/me/audit?format=csv`,
`GET /api/v1/clinics/{organisation_id}/audit?format=csv`), linked from each page. The
clinic's page is its administrators' only: anyone else finds no such clinic (404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rlsiron.store.audit import AuditPage, AuditRecord, clinic_log, patient_log
from rlsiron.store.clinic import membership
from rlsiron.store.models import ActorRole, AuditAction
from rlsiron.web.audit import Before, ClinicId
from rlsiron.web.deps import DatabaseDep
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()
ACCESS_LOG: Final = "/access-log"

_DOING: Final[Mapping[AuditAction, str]] = {
    "read": "Looked at",
    "create": "Added",
    "update": "Changed",
    "delete": "Deleted",
    "share": "Shared",
    "revoke": "Ended access to",
    "import": "Imported",
    "export": "Downloaded",
}
# A record's first word, as a person says it; anything else is shown as it is.
_RECORDS: Final[Mapping[str, str]] = {
    "labs": "lab results",
    "irls": "IRLS scores",
    "diary": "the symptom diary",
    "medicines": "medicines",
    "conditions": "conditions",
    "iron-courses": "iron courses",
    "assessments": "saved assessments",
    "facts": "facts about you",
    "settings": "settings",
    "account": "the account",
    "uploads": "results from a file",
    "export": "everything stored",
    "report": "the report for the doctor",
    "next-tests": "the calendar of next tests",
    "dashboard": "the record",
    "notes": "clinic notes",
    "shares": "the record",
    "worklist": "the worklist",
}
_ROLES: Final[Mapping[ActorRole, str]] = {
    "patient": "the patient",
    "clinician": "clinician",
    "admin": "administrator",
    "system": "the system",
}


@dataclass(frozen=True)
class Shown:
    """One event as a row of the page."""

    id: int
    at: dt.datetime
    who: str
    clinic: str | None
    patient: int | None
    what: str
    where: str


def what_was_done(action: AuditAction, record: str) -> str:
    """The action and the record in words, with the one it names: an id ("Changed lab
    results #12") or a part, such as a group of facts ("Changed facts about you (kidney)")."""
    kind, _, rest = record.partition("/")
    said = f"{_DOING[action]} {_RECORDS.get(kind, kind)}"
    if rest.isdigit():
        return f"{said} #{rest}"
    if rest and rest != kind:  # "facts/facts" is the facts about you: no need to say it twice
        return f"{said} ({rest.replace('_', ' ').replace('-', ' ')})"
    return said


def who_did_it(found: AuditRecord, viewer: int | None) -> str:
    """You; a member by email and role; the patient (in a clinic's log); the system."""
    if viewer is not None and found.actor_id == viewer:
        return "You"
    if found.actor_role in ("clinician", "admin"):
        email = found.actor_email or "a former member"
        return f"{email} ({_ROLES[found.actor_role]})"
    if found.actor_role == "patient":
        return f"The patient #{found.subject_id}"
    return "The system"


def shown(found: AuditRecord, viewer: int | None) -> Shown:
    return Shown(
        id=found.id,
        at=found.at,
        who=who_did_it(found, viewer),
        clinic=found.organisation,
        patient=found.subject_id,
        what=what_was_done(found.action, found.record),
        where=found.address or "not known",
    )


def _log_context(log: AuditPage, viewer: int | None, before: int | None) -> dict[str, Any]:
    return {
        "events": [shown(found, viewer) for found in log.events],
        "older": log.older,
        "paged": before is not None,
    }


@router.get(ACCESS_LOG, response_class=HTMLResponse)
def access_log(
    request: Request, me: PagePerson, db: DatabaseDep, before: Before = None
) -> HTMLResponse:
    log = patient_log(db, me.person_id, before=before)
    context = {
        "title": "Who looked at your record",
        "here": ACCESS_LOG,
        "csv": "/api/v1/me/audit?format=csv",
        **_log_context(log, me.person_id, before),
    }
    return page(request, "access_log.html.j2", context, csrf=me.csrf_token)


@router.get("/clinic/{organisation_id}/audit", response_class=HTMLResponse)
def clinic_audit_page(
    request: Request,
    organisation_id: ClinicId,
    me: PagePerson,
    db: DatabaseDep,
    before: Before = None,
) -> HTMLResponse:
    clinic = membership(db, organisation_id, me.person_id, roles=("admin",))
    log = clinic_log(db, organisation_id, before=before)
    context = {
        "title": f"Audit log: {clinic.organisation}",
        "here": f"/clinic/{organisation_id}/audit",
        "csv": f"/api/v1/clinics/{organisation_id}/audit?format=csv",
        "worklist": f"/clinic/{organisation_id}",
        **_log_context(log, None, before),
    }
    return page(request, "access_log_clinic.html.j2", context, csrf=me.csrf_token)
