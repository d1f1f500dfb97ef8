"""Lab entry: one result with a unit picker, or a whole panel on one date; the list, where a
stored result is changed or deleted.

The unit picker offers the units the core accepts for the chosen test
(`core.labs.units.accepted_units`, the canonical unit first); choosing another test fetches
its units with htmx (`GET /labs/units?test=...`); without script, `/labs?test=...` opens the
form on that test, and a unit the test does not take is refused with the accepted ones
listed. Rows are stored through `LABS` as the API stores them, so the engine's problems (an
unknown unit, "not a number", an impossible value) come back at the field. A panel is stored
all or nothing (`LABS.add_all`); its problems ("labs[2].unit") are shown at that test's own
field.

While a person types, the one-result form asks the engine about the row as it stands
(`POST /labs/check`; `POST /labs/{id}/check` on the edit page; htmx, debounced) and shows the
answer in a polite live region: the problems the engine would refuse the row with; for a row
it reads but would not use as given, the assessment's own words (findings
`labs.unit_suspect` and `labs.future_date`) with the engine's hint; else what the row reads
as in the canonical unit. A check reads and stores nothing. Without script the same route
answers the whole page ("Check without saving"), and saving says the same: the problems at
their fields, the cautions beside the stored row in the list. Each row of the panel is
checked the same way (`POST /labs/panel/check/{test}`).

A stored result is changed on its own page (`/labs/{id}/edit`: `LABS.update`, the same
reading and messages as adding) and deleted by a button in the list
(`/labs/{id}/delete`), as the other records' pages do (`records.py`); another person's id
is `NotFoundError`, a 404 like a missing one, before anything posted is read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, NamedTuple

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rlsiron.core.assessment.assess import future_date, unit_suspect
from rlsiron.core.labs.analytes import ANALYTES, find_test
from rlsiron.core.labs.panel import ReadLab, read_lab
from rlsiron.core.labs.units import accepted_units
from rlsiron.core.models import LabInput, Quantity
from rlsiron.core.rules.display import show_reading
from rlsiron.errors import Problem, ProblemCollector, RlsironError
from rlsiron.store import LABS, LabEntry, LabRecord
from rlsiron.web.deps import DatabaseDep, SignedIn, Today
from rlsiron.web.pages.forms import LONGEST, FieldErrors, FormText, by_last_name, problems_in
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import CSRF_FIELD, page

router = APIRouter()

# The panel form's rows: the iron studies and the blood count the decision reads.
PANEL: Final = ("ferritin", "iron", "tibc", "transferrin", "tsat", "hemoglobin", "crp")
# The one-result form's fields and their labels; the check's messages name the fields so.
LABELS: Final = {
    "test": "Test",
    "value": "Value",
    "unit": "Unit",
    "date": "Date the blood was drawn",
}
_ONE_FIELDS: Final = by_last_name(LABELS)
_ROW: Final = re.compile(r"labs\[(\d+)\]\.(\w+)")
# Sent (HX-Trigger-After-Settle) once the unit picker of another test is in place: the
# check listens for it, so it reads the row with the new test's unit, never the old one.
UNITS_CHANGED: Final = "labs-units-changed"
_HTMX_REQUEST: Final = "HX-Request"
# What the templates of the one-result and edit forms need besides the row.
_ROW_FORM: Final = {"labels": LABELS, "units_changed": UNITS_CHANGED}
# What the change and delete controls of records_forms.html.j2 (`actions`) need of a kind.
_LISTED: Final = {"path": "/labs", "slug": "lab"}


def _analyte_key(test: str | None) -> str:
    """The catalogue test a form's test names (a key, or a name as a report prints it); the
    panel's first test when it names none, so the unit picker always has units to offer."""
    found = find_test(test) if test else None
    return found.key if found is not None else PANEL[0]


def _options(choices: Iterable[tuple[str, str]], given: str) -> list[tuple[str, str]]:
    """A picker's options, with the value given first when it is not one of them: a stored
    result's name or unit as received ("Ferritin, Serum", "mcg/L"), or a refused one, stays
    as it was rather than being silently replaced by the first option."""
    listed = list(choices)
    if given and given not in {value for value, _ in listed}:
        return [(given, f"{given} (as given)"), *listed]
    return listed


def _tests(given: str) -> list[tuple[str, str]]:
    return _options(((a.key, a.display) for a in ANALYTES.values()), given)


def _units(test: str, unit: str = "") -> list[tuple[str, str]]:
    """The unit picker's options (value, words) for a test."""
    return _options(((u, u) for u in accepted_units(_analyte_key(test))), unit)


def _as_typed(value: float | str | Quantity) -> str:
    """A stored value as the form shows it to be changed: as received ("38.0", "<5")."""
    if isinstance(value, Quantity):
        return f"{value.comparator or ''}{value.value}"
    return str(value)


class Caution(NamedTuple):
    """The engine's words for a row it reads but would not use as given, and its hint."""

    said: str
    hint: str = ""


@dataclass(frozen=True)
class RowCheck:
    """What the engine makes of one row as it stands: the problems it would refuse the row
    with (by field), or its cautions, or, when the row reads fine, the value it reads as."""

    errors: FieldErrors = field(default_factory=FieldErrors)
    cautions: tuple[Caution, ...] = ()
    reads_as: str = ""


def _unitless_hints(entry: LabInput) -> list[str]:
    """The engine's hint for the value given with no unit: a percentage test given as a
    fraction is explained there ("0.18 looks like a fraction ..."); the picker always sends
    a unit, so the check asks for it."""
    unitless = entry.model_copy(update={"unit": None})
    problems = ProblemCollector()
    problems.attempt(lambda: read_lab(0, unitless))
    return [p.hint for p in problems.problems if p.kind == "unit" and p.hint]


def _plausible_in(entry: LabInput, unit: str) -> bool:
    try:
        return read_lab(0, entry.model_copy(update={"unit": unit})).plausible
    except RlsironError:
        return False


def _unit_caution(entry: LabInput, read: ReadLab) -> Caution:
    """The assessment's words for a value outside what is plausible in its unit, with the
    engine's hint and the test's units in which the same number would be plausible."""
    analyte = read.analyte
    said = unit_suspect(read).detail
    hints = _unitless_hints(entry)
    plausible = [unit for unit in accepted_units(analyte.key) if _plausible_in(entry, unit)]
    if plausible:
        *others, last = plausible
        hints.append(f"did you mean {', '.join(others)}{' or ' if others else ''}{last}?")
    return Caution(said, "; ".join(hints))


def _cautions(entry: LabInput, read: ReadLab, today: dt.date) -> tuple[Caution, ...]:
    """What the assessment would say of the row today: not used as given."""
    found: list[Caution] = [] if read.plausible else [_unit_caution(entry, read)]
    if read.date > today:
        found.append(Caution(future_date(read, today).detail))
    return tuple(found)


def _entry(given: Mapping[str, str], stored: LabRecord | None = None) -> LabEntry:
    """The form's row as an entry. A stored result keeps what the form does not show (its
    reference range, flag, assay and origin): an update replaces every field."""
    kept = {} if stored is None else stored.model_dump(exclude={"id", "canonical", *LABELS})
    return LabEntry.model_validate({**kept, **given})


def check_row(
    given: Mapping[str, str], today: dt.date, stored: LabRecord | None = None
) -> RowCheck:
    """The engine's reading of a form's row, nothing stored. A row with no value yet gets no
    message: a person who has not typed is not told off."""
    if not given["value"]:
        return RowCheck()
    try:
        entry = _entry(given, stored)
        read = read_lab(0, entry)
    except (RlsironError, ValidationError) as exc:
        return RowCheck(errors=FieldErrors.of(problems_in(exc), _ONE_FIELDS))
    shown = show_reading(read.reading, read.analyte.display_decimals)
    return RowCheck(
        cautions=_cautions(entry, read, today), reads_as=f"{shown} {read.analyte.canonical_unit}"
    )


def _posted_row(test: FormText, value: FormText, unit: FormText, date: FormText) -> dict[str, str]:
    """The row of the one-result form or the edit form, as posted."""
    return {"test": test, "value": value.strip(), "unit": unit, "date": date}


PostedRow = Annotated[dict[str, str], Depends(_posted_row)]


def _form_of(lab: LabRecord) -> dict[str, str]:
    """A stored result as the form's values, to change it."""
    value, unit, date = _as_typed(lab.value), lab.unit or "", lab.date.isoformat()
    return {"test": lab.test, "value": value, "unit": unit, "date": date}


def lab_row(lab: LabRecord, today: dt.date) -> dict[str, Any]:
    """A stored result as listed: as received, as the core read it, and what the assessment
    would say of it (the words the check gave while it was typed)."""
    c = lab.canonical
    bound = "" if c.qualifier == "=" else c.qualifier
    unused = not c.plausible or lab.date > today
    return {
        "id": lab.id,
        "date": lab.date.isoformat(),
        "test": lab.test,
        "received": f"{_as_typed(lab.value)} {lab.unit or ''}".strip(),
        "read_as": f"{bound}{c.value:g} {c.unit}",
        "cautions": _cautions(lab, read_lab(0, lab), today) if unused else (),
    }


def _labs_page(
    request: Request,
    me: SignedIn,
    db: DatabaseDep,
    today: dt.date,
    *,
    one: Mapping[str, str] | None = None,
    panel: Mapping[str, str] | None = None,
    errors: FieldErrors | None = None,
    panel_errors: FieldErrors | None = None,
    check: RowCheck | None = None,
    saved: bool = False,
    deleted: bool = False,
) -> HTMLResponse:
    shown = {"test": PANEL[0], "value": "", "unit": "", "date": today.isoformat(), **(one or {})}
    context = {
        "title": "Lab results",
        **_ROW_FORM,
        "tests": _tests(shown["test"]),
        "panel": [(key, ANALYTES[key].display, _units(key)) for key in PANEL],
        "one": shown,
        "units": _units(shown["test"], shown["unit"]),
        "check": check,
        "check_url": "/labs/check",
        "given": {"date": today.isoformat(), **(panel or {})},
        "errors": errors or FieldErrors(),
        "panel_errors": panel_errors or FieldErrors(),
        "labs": [lab_row(lab, today) for lab in reversed(LABS.all(db, me.person_id))],
        "lab_kind": _LISTED,
        "saved": saved,
        "deleted": deleted,
    }
    failed = bool(errors or panel_errors)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return page(request, "labs.html.j2", context, csrf=me.csrf_token, status_code=code)


def _edit_page(
    request: Request,
    me: SignedIn,
    lab: LabRecord,
    one: Mapping[str, str],
    *,
    errors: FieldErrors | None = None,
    check: RowCheck | None = None,
) -> HTMLResponse:
    context = {
        "title": "Change the lab result",
        "lab_id": lab.id,
        "what": f"{lab.test} of {lab.date.isoformat()}",
        **_ROW_FORM,
        "tests": _tests(one["test"]),
        "one": one,
        "units": _units(one["test"], one["unit"]),
        "check": check,
        "check_url": f"/labs/{lab.id}/check",
        "errors": errors or FieldErrors(),
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if errors else status.HTTP_200_OK
    return page(request, "labs_edit.html.j2", context, csrf=me.csrf_token, status_code=code)


def _from_htmx(request: Request) -> bool:
    return request.headers.get(_HTMX_REQUEST) == "true"


def _check_fragment(request: Request, me: SignedIn, check: RowCheck) -> HTMLResponse:
    """The live region's content, always 200: htmx swaps no error answer, and the problems
    are the answer here, not a failed request."""
    context = {"check": check, "labels": LABELS}
    return page(request, "labs_check.html.j2", context, csrf=me.csrf_token)


@router.get("/labs", response_class=HTMLResponse)
def labs(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    test: Annotated[str | None, Query(max_length=LONGEST)] = None,
    saved: bool = False,
    deleted: bool = False,
) -> HTMLResponse:
    one = {"test": _analyte_key(test)}
    return _labs_page(request, me, db, today, one=one, saved=saved, deleted=deleted)


@router.get("/labs/units", response_class=HTMLResponse)
def unit_picker(
    request: Request, me: PagePerson, test: Annotated[str, Query(max_length=LONGEST)]
) -> HTMLResponse:
    """The unit field for the chosen test (an htmx fragment); once it is in place, the row
    is checked again (`UNITS_CHANGED`)."""
    context = {"units": _units(test), "one": {"unit": ""}, "errors": FieldErrors()}
    answer = page(
        request, "lab_unit_field.html.j2", {**context, "labels": LABELS}, csrf=me.csrf_token
    )
    answer.headers["HX-Trigger-After-Settle"] = UNITS_CHANGED
    return answer


def _saved() -> RedirectResponse:
    return RedirectResponse("/labs?saved=true", status.HTTP_303_SEE_OTHER)


@router.post("/labs", response_class=HTMLResponse)
def add_lab(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    given: PostedRow,
) -> Response:
    try:
        LABS.add(db, me.person_id, _entry(given))
    except (RlsironError, ValidationError) as exc:
        errors = FieldErrors.of(problems_in(exc), _ONE_FIELDS)
        return _labs_page(request, me, db, today, one=given, errors=errors)
    return _saved()


@router.post("/labs/check", response_class=HTMLResponse)
def check_lab(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    given: PostedRow,
) -> HTMLResponse:
    """The engine's reading of the one-result form's row; nothing is stored."""
    check = check_row(given, today)
    if _from_htmx(request):
        return _check_fragment(request, me, check)
    return _labs_page(request, me, db, today, one=given, errors=check.errors, check=check)


@router.get("/labs/{lab_id:int}/edit", response_class=HTMLResponse)
def edit_lab(
    lab_id: int, request: Request, me: PagePerson, db: DatabaseDep, today: Today
) -> HTMLResponse:
    """The result's form filled in as received, with what the engine makes of it now."""
    lab = LABS.get(db, me.person_id, lab_id)
    one = _form_of(lab)
    return _edit_page(request, me, lab, one, check=check_row(one, today, lab))


@router.post("/labs/{lab_id:int}/edit", response_class=HTMLResponse)
def update_lab(
    lab_id: int,
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    given: PostedRow,
) -> Response:
    """The result replaced, read as a new one is; refused, it stays as it was."""
    lab = LABS.get(db, me.person_id, lab_id)  # another person's: 404, whatever was sent
    try:
        LABS.update(db, me.person_id, lab_id, _entry(given, lab))
    except (RlsironError, ValidationError) as exc:
        errors = FieldErrors.of(problems_in(exc), _ONE_FIELDS)
        return _edit_page(request, me, lab, given, errors=errors)
    return _saved()


@router.post("/labs/{lab_id:int}/check", response_class=HTMLResponse)
def check_stored_lab(
    lab_id: int,
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    given: PostedRow,
) -> HTMLResponse:
    """The edit form's row as the engine would read it, with the fields the form keeps."""
    lab = LABS.get(db, me.person_id, lab_id)
    check = check_row(given, today, lab)
    if _from_htmx(request):
        return _check_fragment(request, me, check)
    return _edit_page(request, me, lab, given, errors=check.errors, check=check)


@router.post("/labs/{lab_id:int}/delete", response_class=HTMLResponse)
def delete_lab(lab_id: int, me: PagePerson, db: DatabaseDep) -> RedirectResponse:
    LABS.delete(db, me.person_id, lab_id)
    return RedirectResponse("/labs?deleted=true", status.HTTP_303_SEE_OTHER)


@router.post("/labs/panel/check/{test}", response_class=HTMLResponse)
async def check_panel_row(
    test: str, request: Request, me: PagePerson, today: Today
) -> HTMLResponse:
    """One row of the panel (its value and unit, the panel's date) as the engine would read
    it, for htmx only: without script the panel is checked by saving it, which says the
    same at the fields and in the list."""
    if test not in PANEL:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"the panel has no row {test}")
    form = await request.form()
    fields = {"value": f"value-{test}", "unit": f"unit-{test}", "date": "date"}
    row = {name: str(form.get(posted, "")).strip() for name, posted in fields.items()}
    return _check_fragment(request, me, check_row({"test": test, **row}, today))


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
