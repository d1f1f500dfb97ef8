"""Settings: units for display (conventional or SI) and the guideline profile; and the
facts the engine needs before it can assess anything (sex, date of birth).

Facts are replaced as a whole by the store (`set_facts`), so the form changes only its own
two and keeps every other fact as it was.
"""

from __future__ import annotations

from typing import Any, Final, get_args

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rlsiron.core.knowledge.thresholds import PROFILES
from rlsiron.core.models import ProfileId, Sex
from rlsiron.errors import RlsironError
from rlsiron.store import DisplaySettings, PersonFacts, get_person, set_facts, set_settings
from rlsiron.web.charts_layers import DISPLAY_UNITS, Units
from rlsiron.web.deps import DatabaseDep
from rlsiron.web.pages.forms import FieldErrors, FormText, by_last_name, problems_in
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()
# Each system with the units the charts show in it (ferritin, haemoglobin), as examples.
_SYSTEMS: Final[tuple[tuple[Units, str], ...]] = (("conventional", "Conventional"), ("si", "SI"))
UNITS: Final = {
    system: f"{words} ({DISPLAY_UNITS['ferritin'][system]}, {DISPLAY_UNITS['hemoglobin'][system]})"
    for system, words in _SYSTEMS
}
_DISPLAY_FIELDS: Final = by_last_name(("units", "profile"))
_FACT_FIELDS: Final = by_last_name(("sex", "birth_date"))


def _settings_page(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    *,
    facts: dict[str, str] | None = None,
    display_errors: FieldErrors | None = None,
    fact_errors: FieldErrors | None = None,
) -> HTMLResponse:
    person = get_person(db, me.person_id)
    known = person.facts
    context: dict[str, Any] = {
        "title": "Settings",
        "person": person,
        "units": UNITS,
        "profiles": {p: PROFILES[p].label for p in get_args(ProfileId)},
        "sexes": [("", "not given"), *((sex, sex) for sex in get_args(Sex))],
        "facts": facts
        or {
            "sex": known.sex or "",
            "birth_date": known.birth_date.isoformat() if known.birth_date else "",
        },
        "display_errors": display_errors or FieldErrors(),
        "fact_errors": fact_errors or FieldErrors(),
    }
    failed = bool(display_errors or fact_errors)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return page(request, "settings.html.j2", context, csrf=me.csrf_token, status_code=code)


def _done() -> RedirectResponse:
    return RedirectResponse("/settings", status.HTTP_303_SEE_OTHER)


@router.get("/settings", response_class=HTMLResponse)
def settings(request: Request, me: PagePerson, db: DatabaseDep) -> HTMLResponse:
    return _settings_page(request, me, db)


@router.post("/settings/display", response_class=HTMLResponse)
def change_display(
    request: Request, me: PagePerson, db: DatabaseDep, units: FormText, profile: FormText
) -> Response:
    try:
        set_settings(
            db, me.person_id, DisplaySettings.model_validate({"units": units, "profile": profile})
        )
    except ValidationError as exc:
        errors = FieldErrors.of(problems_in(exc), _DISPLAY_FIELDS)
        return _settings_page(request, me, db, display_errors=errors)
    return _done()


@router.post("/settings/facts", response_class=HTMLResponse)
def change_facts(
    request: Request, me: PagePerson, db: DatabaseDep, sex: FormText = "", birth_date: FormText = ""
) -> Response:
    given = {"sex": sex, "birth_date": birth_date}
    kept = get_person(db, me.person_id).facts.model_dump(mode="json")
    changed = {key: value or None for key, value in given.items()}
    try:
        set_facts(db, me.person_id, PersonFacts.model_validate({**kept, **changed}))
    except (RlsironError, ValidationError) as exc:
        errors = FieldErrors.of(problems_in(exc), _FACT_FIELDS)
        return _settings_page(request, me, db, facts=given, fact_errors=errors)
    return _done()
