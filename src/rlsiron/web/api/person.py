"""The signed-in person: their account, facts and settings, the exports, and deletion.

`GET /me/export` is everything stored (the contract's input on the day, and every record);
`GET /me/export/fhir` the assessment of today's history as a FHIR R4 Bundle. `DELETE /me`
removes the account with every record and every session (ON DELETE CASCADE in the store)
and clears this browser's cookie.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from rlsiron.core.assessment.assess import assess
from rlsiron.io.fhir_export import export_bundle
from rlsiron.store import (
    DisplaySettings,
    Export,
    PersonFacts,
    PersonRecord,
    as_input,
    delete_person,
    export,
    get_person,
    set_facts,
    set_settings,
)
from rlsiron.web.cookies import clear_session_cookie
from rlsiron.web.deps import CurrentPerson, DatabaseDep, StateDep, Today
from rlsiron.web.openapi import problem_responses

FHIR_JSON: Final = "application/fhir+json"

router = APIRouter(tags=["person"])
_READ: Final = problem_responses(HTTPStatus.UNAUTHORIZED)
_WRITE: Final = problem_responses(
    HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY
)


@router.get("/me", responses=_READ)
def read_me(me: CurrentPerson, db: DatabaseDep) -> PersonRecord:
    return get_person(db, me.person_id)


@router.put("/me/facts", responses=_WRITE)
def replace_facts(facts: PersonFacts, me: CurrentPerson, db: DatabaseDep) -> PersonRecord:
    """The facts the engine reads, replaced as a whole (a fact left out becomes unknown)."""
    return set_facts(db, me.person_id, facts)


@router.put("/me/settings", responses=_WRITE)
def replace_settings(settings: DisplaySettings, me: CurrentPerson, db: DatabaseDep) -> PersonRecord:
    """Units for display and the guideline profile."""
    return set_settings(db, me.person_id, settings)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN),
)
def delete_me(me: CurrentPerson, state: StateDep, response: Response) -> None:
    """The account, its records and its sessions, gone; this browser signed out."""
    delete_person(state.db, me.person_id)
    clear_session_cookie(response, state.settings)


@router.get("/me/export", responses=_READ)
def export_me(me: CurrentPerson, db: DatabaseDep, today: Today) -> Export:
    return export(db, me.person_id, today)


@router.get(
    "/me/export/fhir",
    response_class=JSONResponse,
    responses={
        status.HTTP_200_OK: {
            "description": "A FHIR R4 collection Bundle.",
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
        },
        **problem_responses(HTTPStatus.UNAUTHORIZED, HTTPStatus.UNPROCESSABLE_ENTITY),
    },
)
def export_fhir(me: CurrentPerson, state: StateDep, today: Today) -> JSONResponse:
    """Today's assessment of the stored history, with its results, as FHIR R4."""
    inp = as_input(state.db, me.person_id, today)
    bundle: dict[str, Any] = export_bundle(inp, assess(inp, as_of=today), now=state.now())
    return JSONResponse(bundle, media_type=FHIR_JSON)
