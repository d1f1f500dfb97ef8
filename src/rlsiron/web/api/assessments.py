"""Assessments: the stateless one of a posted document, and the signed-in person's on a day.

`POST /api/v1/assessments` is the contract as a web service: the input document in, the
assessment out, no account needed. The body is read raw and given to `parse_input`, as the
CLI does, so schema and content problems arrive in one 422 and a birth date becomes the
age on the day (`as_of` from the body, else today).

`GET /api/v1/me/assessment?as_of=...` is the assessment of the stored history as it was
known on that day (a client replays how the decision changed by asking for several days);
today's is the standing the pages keep (`web.standing`), so reading it repeatedly costs a
query, not an assessment. A read never writes: `POST /api/v1/me/assessments?as_of=...`
saves one, with the engine version that made it, to keep what was decided.
"""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status

from rlsiron.core.assessment.assess import assess
from rlsiron.core.models import Assessment, AssessmentInput
from rlsiron.core.validation import parse_input
from rlsiron.errors import RlsironError
from rlsiron.store import ASSESSMENTS, AssessmentRecord, as_input
from rlsiron.web.deps import AppState, CurrentPerson, StateDep, Today
from rlsiron.web.openapi import body_of, problem_responses
from rlsiron.web.standing import standing

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


Day = Annotated[dt.date | None, Query(description="The day; today when not given.")]


def _assessed(state: AppState, person_id: int, day: dt.date, today: dt.date) -> Assessment:
    """The stored history's assessment on `day`: today's is the kept standing."""
    if day != today:
        return assess(as_input(state.db, person_id, day), as_of=day)
    s = standing(state.db, state.standings, person_id, today)
    if s.assessment is None:
        raise RlsironError(problems=s.problems)
    return s.assessment


@router.get(
    "/me/assessment",
    responses=problem_responses(HTTPStatus.UNAUTHORIZED, HTTPStatus.UNPROCESSABLE_ENTITY),
)
def my_assessment(
    me: CurrentPerson, state: StateDep, today: Today, as_of: Day = None
) -> Assessment:
    """The assessment of the stored history on `as_of`; nothing is saved.

    422 names what the engine still needs (`person.sex`, `person.age_years`) when the
    person's facts are not given yet.
    """
    return _assessed(state, me.person_id, as_of or today, today)


@router.post(
    "/me/assessments",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY
    ),
)
def save_my_assessment(
    me: CurrentPerson, state: StateDep, today: Today, as_of: Day = None
) -> AssessmentRecord:
    """The assessment of the stored history on `as_of`, saved with the engine's version."""
    day = as_of or today
    return ASSESSMENTS.add(state.db, me.person_id, _assessed(state, me.person_id, day, today))
