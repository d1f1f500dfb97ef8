"""The demo person of `rlsiron serve --demo`: two years of history, so a newcomer sees a
living dashboard at once.

The history is example data (`examples/demo_history.json`), dated in days before the day it
is seeded, so the latest panel is always three weeks old whatever the date. Seeding happens
once: a database that already has the demo account is left as it is.
"""

from __future__ import annotations

import datetime as dt
from importlib.resources import files

from pydantic import BaseModel, ConfigDict

from rlsiron.core.models import DiaryEntry, DietKind, RlsCriteria, Route, Sex
from rlsiron.store import (
    DIARY,
    IRLS,
    IRON_COURSES,
    MEDICINES,
    Database,
    IrlsEntry,
    IronCourseEntry,
    LabEntry,
    MedicineEntry,
    PersonFacts,
    PersonRecord,
    add_labs,
    create_person,
    find_account,
    set_facts,
)

_DAYS_PER_YEAR = 365.25


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Lab(_Strict):
    days_ago: int
    test: str
    value: float | int
    unit: str


class _Irls(_Strict):
    days_ago: int
    irls_total: int


class _Diary(_Strict):
    days_ago: int
    nights_affected: int
    severity: int
    sleep_quality: int


class _Course(_Strict):
    route: Route
    product: str
    started_days_ago: int
    ended_days_ago: int | None = None


class _Medicine(_Strict):
    text: str
    started_days_ago: int


class _Facts(_Strict):
    sex: Sex
    birth_years_ago: int
    days_since_birthday: int  # so the age is the same on every day of a demo session
    postmenopausal: bool
    diet: DietKind
    rls_criteria: RlsCriteria


class DemoHistory(_Strict):
    """examples/demo_history.json, checked when read."""

    about: str
    email: str
    password: str
    facts: _Facts
    labs: tuple[_Lab, ...]
    irls: tuple[_Irls, ...]
    diary: tuple[_Diary, ...]
    iron_courses: tuple[_Course, ...]
    medicines: tuple[_Medicine, ...]


def demo_history() -> DemoHistory:
    text = files("rlsiron").joinpath("examples/demo_history.json").read_text("utf-8")
    return DemoHistory.model_validate_json(text)


def seed_demo(db: Database, today: dt.date, password_hash: str) -> PersonRecord | None:
    """The demo person with every record, or None when the database already has them.

    `password_hash` is the app's hash of `demo_history().password`, which the terminal shows.
    """
    demo = demo_history()
    if find_account(db, demo.email) is not None:
        return None

    def day(days_ago: int) -> dt.date:
        return today - dt.timedelta(days=days_ago)

    person = create_person(db, demo.email, password_hash)
    facts = demo.facts
    years = round(facts.birth_years_ago * _DAYS_PER_YEAR)
    born = today - dt.timedelta(days=years + facts.days_since_birthday)
    set_facts(
        db,
        person.id,
        PersonFacts(
            sex=facts.sex,
            birth_date=born,
            postmenopausal=facts.postmenopausal,
            diet=facts.diet,
            rls_criteria=facts.rls_criteria,
        ),
    )
    add_labs(
        db,
        person.id,
        [
            LabEntry(test=lab.test, value=lab.value, unit=lab.unit, date=day(lab.days_ago))
            for lab in demo.labs
        ],
    )
    IRLS.add_all(
        db, person.id, [IrlsEntry(date=day(s.days_ago), irls_total=s.irls_total) for s in demo.irls]
    )
    DIARY.add_all(
        db,
        person.id,
        [
            DiaryEntry(
                date=day(d.days_ago),
                nights_affected=d.nights_affected,
                severity=d.severity,
                sleep_quality=d.sleep_quality,
            )
            for d in demo.diary
        ],
    )
    IRON_COURSES.add_all(
        db,
        person.id,
        [
            IronCourseEntry(
                route=c.route,
                product=c.product,
                started=day(c.started_days_ago),
                ended=None if c.ended_days_ago is None else day(c.ended_days_ago),
            )
            for c in demo.iron_courses
        ],
    )
    MEDICINES.add_all(
        db,
        person.id,
        [MedicineEntry(text=m.text, started=day(m.started_days_ago)) for m in demo.medicines],
    )
    return person
