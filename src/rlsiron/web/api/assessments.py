"""Assessments: the stateless one of a posted document, and the signed-in person's on a day.

`POST /api/v1/assessments` is the contract as a web service: the input document in, the
assessment out, no account needed. The body is read raw and given to `parse_input`, as the
CLI does, so schema and content problems arrive in one 422 and a birth date becomes the
age on the day (`as_of` from the body, else today). `GET /api/v1/me/assessment?as_of=...`
assesses the stored history as it was known on that day and saves the result, so the
dashboard can replay how the decision changed; a GET that saves is safe to repeat (each
call adds one more saved record, nothing else changes), hence no CSRF token.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from rlsiron.core.assessment.assess import assess
from rlsiron.core.models import Assessment, AssessmentInput
from rlsiron.core.validation import parse_input
from rlsiron.store import ASSESSMENTS, AssessmentRecord, as_input
from rlsiron.web.deps import CurrentPerson, DatabaseDep, Today
from rlsiron.web.openapi import body_of, problem_responses

router = APIRouter(tags=["assessments"])


def _day_named(document: object) -> dt.date | None:
    """The document's own `as_of`, when it is a date (else parse_input reports it)."""
    given = document.get("as_of") if isinstance(document, dict) else None
    if not isinstance(given, str):
        return None
    try:
        return dt.date.fromisoformat(given)
    except ValueError:
        return None


@router.post(
    "/assessments",
    responses=problem_responses(HTTPStatus.UNPROCESSABLE_ENTITY),
    openapi_extra=body_of(AssessmentInput, "The contract's input document."),
)
def assess_document(document: Annotated[Any, Body()], today: Today) -> Assessment:
    """The assessment of the posted document, on its `as_of` or today."""
    day = _day_named(document) or today
    return assess(parse_input(document, as_of=day), as_of=day)


@router.get(
    "/me/assessment",
    responses=problem_responses(HTTPStatus.UNAUTHORIZED, HTTPStatus.UNPROCESSABLE_ENTITY),
)
def my_assessment(
    me: CurrentPerson,
    db: DatabaseDep,
    today: Today,
    as_of: Annotated[dt.date | None, Query(description="The day; today when not given.")] = None,
) -> AssessmentRecord:
    """The assessment of the stored history on `as_of`, saved with the engine's version.

    422 names what the engine still needs (`person.sex`, `person.age_years`) when the
    person's facts are not given yet.
    """
    day = as_of or today
    result = assess(as_input(db, me.person_id, day), as_of=day)
    return ASSESSMENTS.add(db, me.person_id, result)
