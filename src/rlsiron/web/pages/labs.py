"""Lab entry: one result with a unit picker, or a whole panel on one date; the list.

The unit picker offers the units the core accepts for the chosen test
(`core.labs.units.accepted_units`, the canonical unit first); choosing another test fetches
its units with htmx (`GET /labs/units?test=...`); without script, `/labs?test=...` opens the form
on that test, and a unit the test does not take is refused with the accepted ones listed. Rows are stored through `LABS` as the API stores them, so the engine's
problems (an unknown unit, "not a number", an impossible value) come back at the field.
A panel is stored all or nothing (`LABS.add_all`); its problems ("labs[2].unit") are shown
at that test's own field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.labs.units import accepted_units
from rlsiron.core.models import Quantity
from rlsiron.errors import Problem, RlsironError
from rlsiron.store import LABS, LabEntry, LabRecord
from rlsiron.web.deps import DatabaseDep, Today
from rlsiron.web.pages.forms import LONGEST, FieldErrors, FormText, by_last_name, problems_in
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import CSRF_FIELD, page

router = APIRouter()

# The panel form's rows: the iron studies and the blood count the decision reads.
PANEL: Final = ("ferritin", "iron", "tibc", "transferrin", "tsat", "hemoglobin", "crp")
_ONE_FIELDS: Final = by_last_name(("test", "value", "unit", "date"))
_ROW: Final = re.compile(r"labs\[(\d+)\]\.(\w+)")


def _test(key: str | None) -> str:
    return key if key is not None and key in ANALYTES else PANEL[0]


def _units(key: str) -> list[tuple[str, str]]:
    """The unit picker's options (value, words) for a test."""
    return [(unit, unit) for unit in accepted_units(key)]


def _row(lab: LabRecord) -> dict[str, Any]:
    """A stored result as listed: as received, and as the core read it."""
    value = lab.value
    received = (
        f"{value.comparator or ''}{value.value:g}" if isinstance(value, Quantity) else str(value)
    )
    c = lab.canonical
    bound = "" if c.qualifier == "=" else c.qualifier
    return {
        "id": lab.id,
        "date": lab.date.isoformat(),
        "test": lab.test,
        "received": f"{received} {lab.unit or ''}".strip(),
        "read_as": f"{bound}{c.value:g} {c.unit}",
        "plausible": c.plausible,
    }


def _labs_page(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: dt.date,
    *,
    one: Mapping[str, str] | None = None,
    panel: Mapping[str, str] | None = None,
    errors: FieldErrors | None = None,
    panel_errors: FieldErrors | None = None,
    saved: bool = False,
) -> HTMLResponse:
    chosen = _test((one or {}).get("test"))
    context = {
        "title": "Lab results",
        "tests": [(a.key, a.display) for a in ANALYTES.values()],
        "panel": [(key, ANALYTES[key].display, _units(key)) for key in PANEL],
        "one": {"test": chosen, "value": "", "unit": "", "date": today.isoformat(), **(one or {})},
        "units": _units(chosen),
        "given": {"date": today.isoformat(), **(panel or {})},
        "errors": errors or FieldErrors(),
        "panel_errors": panel_errors or FieldErrors(),
        "labs": [_row(lab) for lab in reversed(LABS.all(db, me.person_id))],
        "saved": saved,
    }
    failed = bool(errors or panel_errors)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return page(request, "labs.html.j2", context, csrf=me.csrf_token, status_code=code)


@router.get("/labs", response_class=HTMLResponse)
def labs(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    test: Annotated[str | None, Query(max_length=LONGEST)] = None,
    saved: bool = False,
) -> HTMLResponse:
    return _labs_page(request, me, db, today, one={"test": _test(test)}, saved=saved)


@router.get("/labs/units", response_class=HTMLResponse)
def unit_picker(
    request: Request, me: PagePerson, test: Annotated[str, Query(max_length=LONGEST)]
) -> HTMLResponse:
    """The unit field for the chosen test (an htmx fragment)."""
    chosen = _test(test)
    context = {"units": _units(chosen), "one": {"unit": ""}, "errors": FieldErrors()}
    return page(request, "lab_unit_field.html.j2", context, csrf=me.csrf_token)


def _saved() -> RedirectResponse:
    return RedirectResponse("/labs?saved=true", status.HTTP_303_SEE_OTHER)


@router.post("/labs", response_class=HTMLResponse)
def add_lab(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    test: FormText,
    value: FormText,
    unit: FormText,
    date: FormText,
) -> Response:
    given = {"test": test, "value": value.strip(), "unit": unit, "date": date}
    try:
        LABS.add(db, me.person_id, LabEntry.model_validate(given))
    except (RlsironError, ValidationError) as exc:
        errors = FieldErrors.of(problems_in(exc), _ONE_FIELDS)
        return _labs_page(request, me, db, today, one=given, errors=errors)
    return _saved()


def _panel_field(keys: Sequence[str]) -> Any:
    """The panel field of a problem at "labs[i].field" (row i is test keys[i]), or the
    shared date field."""

    def field_of(location: str) -> str | None:
        found = _ROW.fullmatch(location)
        if found is None:
            return None
        index, name = int(found[1]), found[2]
        if name == "date":
            return "panel-date"
        return f"{name}-{keys[index]}" if name in ("value", "unit") else None

    return field_of


@router.post("/labs/panel", response_class=HTMLResponse)
async def add_panel(request: Request, me: PagePerson, db: DatabaseDep, today: Today) -> Response:
    """The panel's filled rows, all stored or none; an empty panel is a problem too."""
    form = await request.form()
    given = {name: str(value) for name, value in form.items() if name != CSRF_FIELD}
    date = given.get("date", "")
    keys = [k for k in PANEL if given.get(f"value-{k}", "").strip()]
    rows: list[LabEntry] = []
    problems: list[Problem] = []
    for index, key in enumerate(keys):
        row = {
            "test": key,
            "value": given[f"value-{key}"].strip(),
            "unit": given.get(f"unit-{key}"),
            "date": date,
        }
        try:
            rows.append(LabEntry.model_validate(row))
        except ValidationError as exc:
            problems += [p.at(f"labs[{index}].{p.location}") for p in problems_in(exc)]
    if not keys:
        problems.append(Problem("", "no result was filled in"))
    if not problems:
        try:
            LABS.add_all(db, me.person_id, rows)
        except RlsironError as exc:
            problems = list(exc.problems)
        else:
            return _saved()
    errors = FieldErrors.of(problems, _panel_field(keys))
    return _labs_page(request, me, db, today, panel=given, panel_errors=errors)
