"""A clinic's people: an account's clinics and joining one (`/clinics`), the staff page of
an administrator (`/clinic/{organisation_id}/staff`: members, inviting), and a member
adding a patient by the patient's code (`/clinic/{organisation_id}/add-patient`).

Each act is the API's own function (`api.clinic`) and each permission the store's
(`store.clinic`): a page of a clinic the account may not act for is 404, as for a clinic
that does not exist. A code typed is checked by the API's model, then by the store; any
problem is shown at the field (422) and nothing is written. A new invitation is shown in
the answer to the POST that made it (only its hash is kept, and a URL would keep it in the
browser's history); joining and adding a patient answer with a redirect (303).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Final, TypeVar

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rlsiron.errors import RlsironError
from rlsiron.store import NotFoundError, clinic_of, get_person
from rlsiron.store.clinic import ROLES, clinics_of, members_of, membership
from rlsiron.store.models import Role
from rlsiron.web.api.clinic import (
    CodeGiven,
    InvitationAsked,
    NewInvitation,
    invitation_for,
    join,
    redeem_for_clinic,
)
from rlsiron.web.deps import AppState, SignedIn, StateDep
from rlsiron.web.pages.forms import FieldErrors, by_last_name, problems_in
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()
CLINICS: Final = "/clinics"
ROLE_WORDS: Final[dict[Role, str]] = {"clinician": "Clinician", "admin": "Administrator"}
Given = Annotated[str, Form()]  # lengths are the API model's business: problems at the field
ADD_PATIENT: Final = "/clinic/{organisation_id}/add-patient"
_UNPROCESSABLE: Final = status.HTTP_422_UNPROCESSABLE_CONTENT
Done = TypeVar("Done")


def _attempt(act: Callable[[], Done], field: str) -> Done | FieldErrors:
    """What `act` gave, or the problems of the input at the form's `field` (the API model's
    or the store's); a clinic the account may not act for is not a problem of the input and
    is raised (404)."""
    try:
        return act()
    except (RlsironError, ValidationError) as exc:
        return FieldErrors.of(problems_in(exc), by_last_name([field]))


def _answer(
    request: Request,
    me: SignedIn,
    template: str,
    context: Mapping[str, object],
    errors: FieldErrors | None,
) -> HTMLResponse:
    """The page; 422 with the problems at their fields when what was posted had some."""
    return page(
        request,
        template,
        {**context, "errors": errors or FieldErrors()},
        csrf=me.csrf_token,
        status_code=status.HTTP_200_OK if errors is None else _UNPROCESSABLE,
    )


# ---------------------------------------------------------------- an account's clinics


def _clinics_page(
    request: Request,
    me: SignedIn,
    state: AppState,
    *,
    joined: int | None = None,
    code: str = "",
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    memberships = clinics_of(state.db, me.person_id)
    context = {
        "title": "Your clinics",
        "memberships": memberships,
        "role_words": ROLE_WORDS,
        "joined": next((m for m in memberships if m.organisation_id == joined), None),
        "code": code,
    }
    return _answer(request, me, "clinic_admin_clinics.html.j2", context, errors)


@router.get(CLINICS, response_class=HTMLResponse)
def clinics(
    request: Request, me: PagePerson, state: StateDep, joined: int | None = None
) -> HTMLResponse:
    return _clinics_page(request, me, state, joined=joined)


@router.post(f"{CLINICS}/join", response_class=HTMLResponse)
def join_clinic(request: Request, me: PagePerson, state: StateDep, code: Given = "") -> Response:
    """A member of the clinic whose administrator gave the code; or the form again."""
    joined = _attempt(lambda: join(CodeGiven(code=code), me, state), "code")
    if isinstance(joined, FieldErrors):
        return _clinics_page(request, me, state, code=code, errors=joined)
    return RedirectResponse(
        f"{CLINICS}?joined={joined.organisation_id}", status_code=status.HTTP_303_SEE_OTHER
    )


# ---------------------------------------------------------------- the staff page


def _staff_page(
    request: Request,
    me: SignedIn,
    state: AppState,
    organisation_id: int,
    *,
    invitation: NewInvitation | None = None,
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    clinic = membership(state.db, organisation_id, me.person_id, roles=("admin",))
    context = {
        "title": f"{clinic.organisation}: staff",
        "clinic": clinic,
        "members": members_of(state.db, organisation_id, by=me.person_id),
        "role_words": ROLE_WORDS,
        "roles": [(role, ROLE_WORDS[role]) for role in ROLES],
        "invitation": invitation,
        "lifetime_days": state.settings.invitation_lifetime.days,
    }
    return _answer(request, me, "clinic_admin_staff.html.j2", context, errors)


@router.get("/clinic/{organisation_id}/staff", response_class=HTMLResponse)
def staff(organisation_id: int, request: Request, me: PagePerson, state: StateDep) -> HTMLResponse:
    """The members of the clinic; its administrators only (404 for anyone else)."""
    return _staff_page(request, me, state, organisation_id)


@router.post("/clinic/{organisation_id}/staff/invite", response_class=HTMLResponse)
def invite_member(
    organisation_id: int,
    request: Request,
    me: PagePerson,
    state: StateDep,
    role: Given = "clinician",
) -> HTMLResponse:
    """A new invitation, shown on this answer only; or the form with the problem."""
    made = _attempt(
        lambda: invitation_for(state, me, organisation_id, InvitationAsked(role=role).role), "role"
    )
    if isinstance(made, FieldErrors):
        return _staff_page(request, me, state, organisation_id, errors=made)
    return _staff_page(request, me, state, organisation_id, invitation=made)


# ---------------------------------------------------------------- adding a patient


def _add_patient_page(
    request: Request,
    me: SignedIn,
    state: AppState,
    organisation_id: int,
    *,
    added: int | None = None,
    code: str = "",
    errors: FieldErrors | None = None,
) -> HTMLResponse:
    clinic = membership(state.db, organisation_id, me.person_id)
    context = {
        "title": f"{clinic.organisation}: add a patient",
        "clinic": clinic,
        "added": None if added is None else _linked_email(state, me, added),
        "code": code,
    }
    return _answer(request, me, "clinic_admin_add_patient.html.j2", context, errors)


def _linked_email(state: AppState, me: SignedIn, patient_id: int) -> str | None:
    """The email of a patient the member may see (`clinic_of`), None for anyone else."""
    try:
        clinic_of(state.db, me.person_id, patient_id)
    except NotFoundError:
        return None
    return get_person(state.db, patient_id).email


@router.get(ADD_PATIENT, response_class=HTMLResponse)
def add_patient_form(
    organisation_id: int,
    request: Request,
    me: PagePerson,
    state: StateDep,
    added: int | None = None,
) -> HTMLResponse:
    """The form for a patient's code; members of the clinic only (404 for anyone else)."""
    return _add_patient_page(request, me, state, organisation_id, added=added)


@router.post(ADD_PATIENT, response_class=HTMLResponse)
def add_patient(
    organisation_id: int, request: Request, me: PagePerson, state: StateDep, code: Given = ""
) -> Response:
    """The patient's record shared with the clinic; or the form again with the problem."""
    shared = _attempt(
        lambda: redeem_for_clinic(state, me, organisation_id, CodeGiven(code=code).code, request),
        "code",
    )
    if isinstance(shared, FieldErrors):
        return _add_patient_page(request, me, state, organisation_id, code=code, errors=shared)
    where = ADD_PATIENT.format(organisation_id=organisation_id)
    return RedirectResponse(
        f"{where}?added={shared.patient_id}", status_code=status.HTTP_303_SEE_OTHER
    )
