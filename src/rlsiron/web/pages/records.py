"""Medicines and iron (`/medicines`): the medicines, conditions and iron courses the engine
reads, each shown beside what the engine understood from it; and the one way the pages
add, change and delete a person's records (`RecordForm`, `add_form_routes`), which the
diary uses too.

A stored medicine is shown with the core's own reading of its text (the generic name, the
class and the class's sentence on RLS or iron, `knowledge.medications`); a condition with
the code the rules read (`knowledge.conditions`), or as not recognised: it is kept and the
assessment reports it, so nothing typed is lost or silently ignored. The store refuses a
condition that contradicts the kidney status; the refusal is shown at the field.

Every kind of record has the same routes, from `add_form_routes`: `POST {path}` adds,
`GET {path}/{id}/edit` is the form filled in, `POST {path}/{id}/edit` replaces the record,
`POST {path}/{id}/delete` deletes it; each answers with a redirect (303) to the list, or
the form again with the problems at their fields (422). The store reads a record only
among the signed-in person's, so another person's id is `NotFoundError`, a 404 like a
missing one, before anything posted is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Generic, TypeVar, get_args

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from rlsiron.core.knowledge.conditions import read_conditions
from rlsiron.core.knowledge.medications import MedicationMatch, match_medications
from rlsiron.core.models import Route
from rlsiron.core.validation import problems_of
from rlsiron.errors import Problem, RlsironError
from rlsiron.store import (
    CONDITIONS,
    IRON_COURSES,
    MEDICINES,
    ConditionEntry,
    ConditionRecord,
    Database,
    IronCourseEntry,
    IronCourseRecord,
    MedicineEntry,
    MedicineRecord,
    RecordType,
)
from rlsiron.web.deps import DatabaseDep, SignedIn, Today
from rlsiron.web.pages.forms import FieldErrors, by_last_name
from rlsiron.web.pages.session import PagePerson
from rlsiron.web.pages.templating import page

router = APIRouter()
EntryT = TypeVar("EntryT", bound=BaseModel)
RecordT = TypeVar("RecordT", bound=BaseModel)

# Where `problems_of` puts a problem of the whole entry ("ended is before started").
_WHOLE_ENTRY: Final = ("input", "")


def filled(given: Mapping[str, str]) -> dict[str, Any]:
    """The fields the form filled in; an empty optional field is not given."""
    return {name: value.strip() for name, value in given.items() if value.strip()}


def field_values(record: BaseModel, names: Iterable[str]) -> dict[str, str]:
    """A stored record's fields as a form's values (an empty field for none)."""
    values = {name: getattr(record, name) for name in names}
    return {name: "" if value is None else str(value) for name, value in values.items()}


@dataclass(frozen=True)
class RecordForm(Generic[EntryT, RecordT]):
    """One kind of record as the pages' forms show it.

    A field's id is `prefix` + its name (a page holds several forms: "irls-date" beside the
    diary's "date"); its name is the model's. A problem of the whole entry is shown at
    `whole` ("ended is before started" at the end date). Subclasses read fields the model
    names otherwise (`read`, `shown`, `locate`); `refuse` refuses what the model accepts.
    """

    slug: str  # the form's key in the page's `forms`, and its summary's id
    path: str  # POST here adds; {path}/{id}/edit and {path}/{id}/delete change one
    page: str  # the list this kind is shown in
    store: RecordType[EntryT, RecordT, Any]
    model: type[EntryT]
    fields: tuple[str, ...]
    prefix: str = ""
    whole: str | None = None
    dated: str | None = None  # the field a new entry's form fills with today's date
    options: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    # What the page refuses beyond the model, read from the fields as `read` gives them.
    refuse: Callable[[Mapping[str, Any]], list[Problem]] | None = None

    def given(self, form: FormData) -> dict[str, str]:
        """The form's own fields as posted (a missing one as empty)."""
        values = {name: form.get(name, "") for name in self.fields}
        return {name: value if isinstance(value, str) else "" for name, value in values.items()}

    def blank(self, today: dt.date) -> dict[str, str]:
        values = dict.fromkeys(self.fields, "")
        if self.dated is not None:
            values[self.dated] = today.isoformat()
        return values

    def read(self, given: Mapping[str, str]) -> dict[str, Any]:
        """What the model is given: the fields as the form filled them in."""
        return filled(given)

    def shown(self, record: RecordT) -> dict[str, str]:
        """The stored record as the form's values, to edit it."""
        return field_values(record, self.fields)

    def locate(self, location: str) -> str | None:
        """The field's name for a problem's location, None if no field shows it."""
        if location in _WHOLE_ENTRY:
            return self.whole
        return by_last_name(self.fields)(location)

    def entry(self, given: Mapping[str, str]) -> EntryT:
        """The entry the form gives, or every problem of it at once (`RlsironError`)."""
        data = self.read(given)
        problems = [] if self.refuse is None else self.refuse(data)
        try:
            made = self.model.model_validate(data)
        except ValidationError as exc:
            problems = [*problems_of(exc), *problems]
        if problems:
            raise RlsironError.collect(problems)
        return made

    def errors(self, exc: RlsironError) -> FieldErrors:
        def field_id(location: str) -> str | None:
            name = self.locate(location)
            return None if name is None else self.prefix + name

        return FieldErrors.of(exc.problems, field_id)


@dataclass(frozen=True)
class FormState:
    """A form as a page shows it: its kind, the values in its fields, their problems."""

    kind: RecordForm[Any, Any]
    values: Mapping[str, str]
    errors: FieldErrors = field(default_factory=FieldErrors)


# A list page: drawn with its forms empty, or with one form sent back with its problems.
ListPage = Callable[[Request, SignedIn, Database, dt.date, FormState | None], HTMLResponse]


def list_page(
    request: Request,
    me: SignedIn,
    template: str,
    context: Mapping[str, Any],
    kinds: Iterable[RecordForm[Any, Any]],
    today: dt.date,
    failed: FormState | None,
) -> HTMLResponse:
    """A page of lists, each with its add form (`forms[slug]`); 422 when one failed."""
    forms = {
        kind.slug: failed
        if failed is not None and failed.kind is kind
        else FormState(kind, kind.blank(today))
        for kind in kinds
    }
    code = status.HTTP_200_OK if failed is None else status.HTTP_422_UNPROCESSABLE_CONTENT
    return page(
        request, template, {**context, "forms": forms}, csrf=me.csrf_token, status_code=code
    )


def _edit_page(request: Request, me: SignedIn, form: FormState, record_id: int) -> HTMLResponse:
    context = {
        "title": f"Change the {form.kind.store.name}",
        "form": form,
        "action": f"{form.kind.path}/{record_id}/edit",
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if form.errors else status.HTTP_200_OK
    return page(request, "records_edit.html.j2", context, csrf=me.csrf_token, status_code=code)


async def _posted(request: Request) -> FormData:
    return await request.form()  # Starlette keeps it: `PagePerson` has read it already


Posted = Annotated[FormData, Depends(_posted)]


def add_form_routes(
    router: APIRouter, kind: RecordForm[EntryT, RecordT], list_of: ListPage
) -> None:
    """Add, edit (form and update) and delete for one kind; `list_of` draws its list page."""
    item = f"{kind.path}/{{record_id:int}}"

    def back() -> RedirectResponse:
        return RedirectResponse(kind.page, status.HTTP_303_SEE_OTHER)

    def added(
        request: Request, me: PagePerson, db: DatabaseDep, today: Today, form: Posted
    ) -> Response:
        given = kind.given(form)
        try:
            kind.store.add(db, me.person_id, kind.entry(given))
        except RlsironError as exc:
            return list_of(request, me, db, today, FormState(kind, given, kind.errors(exc)))
        return back()

    def edit_form(
        record_id: int, request: Request, me: PagePerson, db: DatabaseDep
    ) -> HTMLResponse:
        record = kind.store.get(db, me.person_id, record_id)
        return _edit_page(request, me, FormState(kind, kind.shown(record)), record_id)

    def edited(
        record_id: int, request: Request, me: PagePerson, db: DatabaseDep, form: Posted
    ) -> Response:
        kind.store.get(db, me.person_id, record_id)  # another person's: 404, whatever was sent
        given = kind.given(form)
        try:
            kind.store.update(db, me.person_id, record_id, kind.entry(given))
        except RlsironError as exc:
            return _edit_page(request, me, FormState(kind, given, kind.errors(exc)), record_id)
        return back()

    def deleted(record_id: int, me: PagePerson, db: DatabaseDep) -> RedirectResponse:
        kind.store.delete(db, me.person_id, record_id)
        return back()

    for path, endpoint, method in (
        (kind.path, added, "POST"),
        (f"{item}/edit", edit_form, "GET"),
        (f"{item}/edit", edited, "POST"),
        (f"{item}/delete", deleted, "POST"),
    ):
        router.add_api_route(path, endpoint, methods=[method], response_class=HTMLResponse)


# ---------------------------------------------------------------- medicines and iron

PAGE: Final = "/medicines"
# The contract's routes in words; a test keeps the keys equal to `Route`.
ROUTES: Final[Mapping[Route, str]] = {"oral": "Tablets or liquid (oral)", "iv": "Infusion (IV)"}


def _infusion_has_no_end(data: Mapping[str, Any]) -> list[Problem]:
    """An infusion is one dated event: the engine reads only its date, so an end date typed
    for one would be silently ignored; it is refused at its field instead."""
    if data.get("route") != "iv" or "ended" not in data:
        return []
    return [
        Problem(
            "ended",
            "an infusion is one dated event and has no end date",
            data["ended"],
            hint="leave the end date empty, or choose tablets or liquid for a course",
        )
    ]


MEDICINE_FORM: Final = RecordForm[MedicineEntry, MedicineRecord](
    slug="medicine",
    path=f"{PAGE}/medicine",
    page=PAGE,
    store=MEDICINES,
    model=MedicineEntry,
    fields=("text", "started", "ended"),
    prefix="medicine-",
    whole="ended",
)
CONDITION_FORM: Final = RecordForm[ConditionEntry, ConditionRecord](
    slug="condition",
    path=f"{PAGE}/condition",
    page=PAGE,
    store=CONDITIONS,
    model=ConditionEntry,
    fields=("text",),
    prefix="condition-",
    whole="text",
)
IRON_COURSE_FORM: Final = RecordForm[IronCourseEntry, IronCourseRecord](
    slug="iron-course",
    path=f"{PAGE}/iron-course",
    page=PAGE,
    store=IRON_COURSES,
    model=IronCourseEntry,
    fields=("route", "product", "started", "ended"),
    prefix="iron-course-",
    whole="ended",
    options={"route": [(route, ROUTES[route]) for route in get_args(Route)]},
    refuse=_infusion_has_no_end,
)
_FORMS: Final[tuple[RecordForm[Any, Any], ...]] = (MEDICINE_FORM, CONDITION_FORM, IRON_COURSE_FORM)


@dataclass(frozen=True)
class _Medicine:
    record: MedicineRecord
    matches: tuple[MedicationMatch, ...]  # none: not recognised


@dataclass(frozen=True)
class _Condition:
    record: ConditionRecord
    codes: tuple[str, ...]  # the codes the rules read, in words; none: not recognised


def _condition(record: ConditionRecord) -> _Condition:
    reading = read_conditions((record.text,))
    return _Condition(record, tuple(m.code.replace("_", " ") for m in reading.matches))


def _medicines_page(
    request: Request, me: SignedIn, db: Database, today: dt.date, failed: FormState | None
) -> HTMLResponse:
    context = {
        "title": "Medicines and iron",
        "medicines": [
            _Medicine(r, match_medications((r.text,))) for r in MEDICINES.all(db, me.person_id)
        ],
        "conditions": [_condition(r) for r in CONDITIONS.all(db, me.person_id)],
        "courses": IRON_COURSES.all(db, me.person_id),
        "routes": ROUTES,
    }
    return list_page(request, me, "records.html.j2", context, _FORMS, today, failed)


@router.get(PAGE, response_class=HTMLResponse)
def medicines(request: Request, me: PagePerson, db: DatabaseDep, today: Today) -> HTMLResponse:
    return _medicines_page(request, me, db, today, None)


for _form in _FORMS:
    add_form_routes(router, _form, _medicines_page)
