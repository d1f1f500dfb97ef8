"""Settings: every fact the engine reads about the person, and the display settings (units
for display, the guideline profile).

The facts come in groups, each its own form posted to `/settings/<group>`: about you (sex,
date of birth), pregnancy and menopause, kidneys, diet, symptoms of iron deficiency, and
the IRLSSG diagnostic criteria. The store replaces the facts as a whole (`set_facts`), so a
group's form is laid over the stored facts and every other fact stays as it was; the one
table `_GROUPS` says which fields a group sends, how they become facts, and at which field
each of the store's problems is shown.

Unknown is a real state: a yes/no fact has three answers (yes, no, not given), and the
page always checks the stored one, so a fact nobody gave stays unknown rather than "no".
Nothing given is ignored: a pregnancy's day without its weeks is refused at the field, and
a pregnancy for anyone but a woman is refused by the store and shown at the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, get_args

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, StringConstraints, ValidationError

from rlsiron.core.assessment.symptoms import CRITERIA_LABELS
from rlsiron.core.knowledge.conditions import Kidney
from rlsiron.core.knowledge.thresholds import PROFILES
from rlsiron.core.models import DietKind, IronSymptom, ProfileId, RlsCriteria, Sex
from rlsiron.errors import RlsironError
from rlsiron.store import DisplaySettings, PersonFacts, get_person, set_facts, set_settings
from rlsiron.store.history import pregnancy_weeks
from rlsiron.store.schemas import MOST_PREGNANCY_WEEKS
from rlsiron.web.charts_layers import DISPLAY_UNITS, Units
from rlsiron.web.deps import DatabaseDep, Today
from rlsiron.web.pages.forms import LONGEST, FieldErrors, FormText, by_last_name, problems_in
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

# A yes/no fact as the form sends it; pydantic reads "yes" and "no" as booleans, and the
# empty answer is "not given".
_NOT_GIVEN: Final = ""
_ANSWERS: Final = (("yes", "Yes"), ("no", "No"), (_NOT_GIVEN, "Not given"))

# The closed vocabularies in plain words. Built from the contract's own values, so a value
# added there without words here fails at import, not on a page.
_KIDNEY_WORDS: Final[Mapping[Kidney, str]] = {
    "normal": "Healthy kidneys: no kidney disease that I know of",
    "ckd": "Chronic kidney disease, not on dialysis",
    "dialysis": "On dialysis (haemodialysis or peritoneal dialysis)",
}
_DIET_WORDS: Final[Mapping[DietKind, str]] = {
    "omnivore": "I eat meat, fish and other foods",
    "pescatarian": "I eat fish but no meat",
    "vegetarian": "I eat no meat or fish",
    "vegan": "I eat no food from animals (no meat, fish, eggs or dairy)",
}
_SYMPTOM_WORDS: Final[Mapping[IronSymptom, str]] = {
    "chronic_fatigue": "Tired most of the time (chronic fatigue)",
    "pale_skin": "Pale skin, or pale inside the lower eyelids or the mouth",
    "weakness": "Weakness",
    "cold_extremities": "Cold hands and feet",
    "shortness_of_breath": "Short of breath, for example on stairs",
    "frequent_headaches": "Frequent headaches",
}
KIDNEY_CHOICES: Final = (
    *((kidney, _KIDNEY_WORDS[kidney]) for kidney in get_args(Kidney)),
    (_NOT_GIVEN, "Not given"),
)
DIET_CHOICES: Final = (
    *((diet, _DIET_WORDS[diet]) for diet in get_args(DietKind)),
    (_NOT_GIVEN, "Not given"),
)

SYMPTOM_CHOICES: Final = tuple(
    (symptom, _SYMPTOM_WORDS[symptom]) for symptom in get_args(IronSymptom)
)


def _sentence(words: str) -> str:
    """The engine's words (said inside a sentence) as a label: the first letter upper."""
    return words[:1].upper() + words[1:]


# The criteria in the engine's own wording (what the findings say), with a hint where an
# example makes one plain.
CRITERIA: Final = tuple(RlsCriteria.model_fields)
_CRITERION_HINTS: Final = {
    "rest": "For example when sitting or lying down.",
    "movement_relief": "Walking or stretching eases it, at least for as long as you move.",
    "not_mimic": (
        "Not only leg cramps, discomfort from sitting or lying in one position, arthritis, "
        "swollen legs or vein problems, or nerve damage in the legs."
    ),
}
CRITERION_WORDS: Final = {
    name: (_sentence(CRITERIA_LABELS[name]), _CRITERION_HINTS.get(name)) for name in CRITERIA
}

_Text = Annotated[str, StringConstraints(max_length=LONGEST)]


class FactsForm(BaseModel):
    """Every field a facts form can send; each group reads its own and no other. A field
    left out is empty: "not given" for a choice, no symptom ticked for the checkboxes."""

    sex: _Text = ""
    birth_date: _Text = ""
    pregnancy_weeks: _Text = ""
    pregnancy_on: _Text = ""
    postmenopausal: _Text = ""
    kidney: _Text = ""
    diet: _Text = ""
    symptoms: list[_Text] = []
    urge: _Text = ""
    rest: _Text = ""
    movement_relief: _Text = ""
    evening: _Text = ""
    not_mimic: _Text = ""


Reader = Callable[[FactsForm, dt.date], dict[str, object]]


def _named(*names: str) -> Reader:
    """Each field is the fact of its own name; an empty one is not given."""

    def read(form: FactsForm, _today: dt.date) -> dict[str, object]:
        return {name: getattr(form, name) or None for name in names}

    return read


def _pregnancy(form: FactsForm, today: dt.date) -> dict[str, object]:
    """Weeks on a day (today when the day is left empty); no weeks is no pregnancy, and a
    day without weeks says something that cannot be stored, so it is refused."""
    weeks, on = form.pregnancy_weeks.strip(), form.pregnancy_on.strip()
    if on and not weeks:
        raise RlsironError(
            "is empty, but a day is given",
            field="pregnancy.weeks",
            hint="give the completed weeks of pregnancy on that day, or clear the day",
        )
    pregnancy = {"weeks": weeks, "on": on or today.isoformat()} if weeks else None
    return {"pregnancy": pregnancy, "postmenopausal": form.postmenopausal or None}


def _symptoms(form: FactsForm, _today: dt.date) -> dict[str, object]:
    return {"symptoms": form.symptoms}


_answers_to_criteria: Final = _named(*CRITERIA)


def _criteria(form: FactsForm, today: dt.date) -> dict[str, object]:
    return {"rls_criteria": _answers_to_criteria(form, today)}


@dataclass(frozen=True)
class _Group:
    """One form of facts: the fields it sends, how they become facts, and the field that
    shows a problem at each location the store names (`places`; a location that is one of
    the fields shows there, a list's item at the list)."""

    fields: tuple[str, ...]
    read: Reader
    places: Mapping[str, str] = field(default_factory=dict)

    def field_of(self, location: str) -> str | None:
        name = location.split("[", 1)[0]
        return self.places.get(name, name if name in self.fields else None)


# "input" is where pydantic puts a problem of the whole: a pregnancy for someone not female.
_WHOLE: Final = "input"
_GROUPS: Final[Mapping[str, _Group]] = {
    "facts": _Group(("sex", "birth_date"), _named("sex", "birth_date"), {_WHOLE: "sex"}),
    "pregnancy": _Group(
        ("pregnancy_weeks", "pregnancy_on", "postmenopausal"),
        _pregnancy,
        {
            "pregnancy": "pregnancy_weeks",
            "pregnancy.weeks": "pregnancy_weeks",
            "pregnancy.on": "pregnancy_on",
            _WHOLE: "pregnancy_weeks",
        },
    ),
    "kidney": _Group(("kidney",), _named("kidney")),
    "diet": _Group(("diet",), _named("diet")),
    "symptoms": _Group(("symptoms",), _symptoms),
    "rls-criteria": _Group(
        CRITERIA, _criteria, {f"rls_criteria.{name}": f"rls-{name}" for name in CRITERIA}
    ),
}


def _answer(value: bool | None) -> str:
    return _NOT_GIVEN if value is None else ("yes" if value else "no")


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def form_values(facts: PersonFacts) -> dict[str, Any]:
    """The stored facts as the forms show them (the inverse of the groups' readers)."""
    pregnancy, criteria = facts.pregnancy, facts.rls_criteria
    return {
        "sex": facts.sex or _NOT_GIVEN,
        "birth_date": _day(facts.birth_date),
        "pregnancy_weeks": str(pregnancy.weeks) if pregnancy else "",
        "pregnancy_on": _day(pregnancy.on if pregnancy else None),
        "postmenopausal": _answer(facts.postmenopausal),
        "kidney": facts.kidney or _NOT_GIVEN,
        "diet": facts.diet or _NOT_GIVEN,
        "symptoms": list(facts.symptoms),
        **{name: _answer(getattr(criteria, name)) for name in CRITERIA},
    }


def _settings_page(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: dt.date,
    *,
    group: str | None = None,
    given: Mapping[str, str | Sequence[str]] | None = None,
    errors: FieldErrors | None = None,
    display_errors: FieldErrors | None = None,
) -> HTMLResponse:
    """The page; after a failed form, that form shows what was given, with its problems."""
    person = get_person(db, me.person_id)
    fact_errors = {name: FieldErrors() for name in _GROUPS}
    if group is not None and errors is not None:
        fact_errors[group] = errors
    context: dict[str, Any] = {
        "title": "Settings",
        "person": person,
        "units": UNITS,
        "profiles": {p: PROFILES[p].label for p in get_args(ProfileId)},
        "sexes": [(_NOT_GIVEN, "not given"), *((sex, sex) for sex in get_args(Sex))],
        "answers": _ANSWERS,
        "kidneys": KIDNEY_CHOICES,
        "diets": DIET_CHOICES,
        "symptoms": SYMPTOM_CHOICES,
        "criteria": CRITERION_WORDS,
        "most_weeks": MOST_PREGNANCY_WEEKS,
        "weeks_today": pregnancy_weeks(person.facts.pregnancy, today),
        "facts": {**form_values(person.facts), **(given or {})},
        "errors": fact_errors,
        "display_errors": display_errors or FieldErrors(),
    }
    failed = bool(errors or display_errors)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if failed else status.HTTP_200_OK
    return page(request, "settings.html.j2", context, csrf=me.csrf_token, status_code=code)


@router.get("/settings", response_class=HTMLResponse)
def settings(request: Request, me: PagePerson, db: DatabaseDep, today: Today) -> HTMLResponse:
    return _settings_page(request, me, db, today)


# Declared before `/settings/{group}`, which would otherwise take "display" as a group.
@router.post("/settings/display", response_class=HTMLResponse)
def change_display(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    units: FormText,
    profile: FormText,
) -> Response:
    try:
        set_settings(
            db, me.person_id, DisplaySettings.model_validate({"units": units, "profile": profile})
        )
    except ValidationError as exc:
        errors = FieldErrors.of(problems_in(exc), _DISPLAY_FIELDS)
        return _settings_page(request, me, db, today, display_errors=errors)
    return RedirectResponse("/settings#display-section", status.HTTP_303_SEE_OTHER)


@router.post("/settings/{group}", response_class=HTMLResponse)
def change_facts(
    request: Request,
    me: PagePerson,
    db: DatabaseDep,
    today: Today,
    group: str,
    form: Annotated[FactsForm, Form()],
) -> Response:
    """One group of facts laid over the stored ones; the others are kept as they were."""
    chosen = _GROUPS.get(group)
    if chosen is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no settings group {group!r}")
    given = {name: getattr(form, name) for name in chosen.fields}
    try:
        kept = get_person(db, me.person_id).facts.model_dump(mode="json")
        changed = chosen.read(form, today)
        set_facts(db, me.person_id, PersonFacts.model_validate({**kept, **changed}))
    except (RlsironError, ValidationError) as exc:
        errors = FieldErrors.of(problems_in(exc), chosen.field_of)
        return _settings_page(request, me, db, today, group=group, given=given, errors=errors)
    return RedirectResponse(f"/settings#{group}-section", status.HTTP_303_SEE_OTHER)
