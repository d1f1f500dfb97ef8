"""The symptom diary: a week's entry (nights with symptoms, severity, sleep) and an IRLS
score, each listed newest first. Stored through `DIARY` and `IRLS` as the API stores them;
the contract's bounds (0-7 nights, 0-10 scales, the IRLS total) come back at the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, TypeVar

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from rlsiron.core.models import DiaryEntry
from rlsiron.errors import RlsironError
from rlsiron.store import DIARY, IRLS, IrlsEntry
from rlsiron.web.deps import DatabaseDep, Today
from rlsiron.web.pages.forms import FieldErrors, FormText, by_last_name, problems_in
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()
M = TypeVar("M", bound=BaseModel)
_DIARY_FIELDS: Final = by_last_name(("date", "nights_affected", "severity", "sleep_quality"))
_IRLS_FIELDS: Final = by_last_name(("irls_total",))


def _diary_page(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: dt.date,
    *,
    week: Mapping[str, str] | None = None,
    irls: Mapping[str, str] | None = None,
    errors: FieldErrors | None = None,
    irls_errors: FieldErrors | None = None,
) -> HTMLResponse:
    blank = {"date": today.isoformat()}
    context = {
        "title": "Symptom diary",
        "week": {
            **blank,
            "nights_affected": "",
            "severity": "",
            "sleep_quality": "",
            **(week or {}),
        },
        "irls": {**blank, "irls_total": "", **(irls or {})},
        "errors": errors or FieldErrors(),
        "irls_errors": irls_errors or FieldErrors(),
        "entries": list(reversed(DIARY.all(db, me.person_id))),
        "scores": list(reversed(IRLS.all(db, me.person_id))),
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if (errors or irls_errors) else status.HTTP_200_OK
    return page(request, "diary.html.j2", context, csrf=me.csrf_token, status_code=code)


def _entry(model: type[M], given: Mapping[str, str]) -> M:
    """The model from the form; an empty optional field is not given."""
    return model.model_validate({k: v.strip() for k, v in given.items() if v.strip()})


@router.get("/diary", response_class=HTMLResponse)
def diary(request: Request, me: PagePerson, db: DatabaseDep, today: Today) -> HTMLResponse:
    return _diary_page(request, me, db, today)


@router.post("/diary", response_class=HTMLResponse)
def add_week(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    date: FormText,
    nights_affected: FormText,
    severity: FormText,
    sleep_quality: FormText = "",
) -> Response:
    given = {"date": date, "nights_affected": nights_affected, "severity": severity}
    given["sleep_quality"] = sleep_quality
    try:
        DIARY.add(db, me.person_id, _entry(DiaryEntry, given))
    except (RlsironError, ValidationError) as exc:
        errors = FieldErrors.of(problems_in(exc), _DIARY_FIELDS)
        return _diary_page(request, me, db, today, week=given, errors=errors)
    return RedirectResponse("/diary", status.HTTP_303_SEE_OTHER)


@router.post("/diary/irls", response_class=HTMLResponse)
def add_irls(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    date: FormText,
    irls_total: FormText,
) -> Response:
    given = {"date": date, "irls_total": irls_total}
    try:
        IRLS.add(db, me.person_id, _entry(IrlsEntry, given))
    except (RlsironError, ValidationError) as exc:
        # "give irls_total or irls_items" (nothing given) belongs at the total's field
        located = [p if p.location else p.at("irls_total") for p in problems_in(exc)]
        errors = FieldErrors.of(located, _IRLS_FIELDS)
        return _diary_page(request, me, db, today, irls=given, irls_errors=errors)
    return RedirectResponse("/diary", status.HTTP_303_SEE_OTHER)
