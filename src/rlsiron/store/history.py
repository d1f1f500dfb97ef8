"""A person's stored history as the contract's input document, on any day; the export.

`as_input(db, person_id, as_of)` is what the engine would have been given on `as_of`: the
results, symptom entries and iron courses dated on or before it, the medicines taken on
it, the conditions and the person's facts, and the age on that day (from the birth date,
by `parse_input(document, as_of=...)`). Assessing it for several days replays how the
decision changed. Where the records say more than a day's document can:

- an iron course that ended after `as_of` was still going on that day (no end date);
- a pregnancy is stored as weeks on a given day and counted on from there, so an earlier
  day gets fewer weeks and a day before the pregnancy (or after its longest term) none;
- the IRLS score is the latest on or before `as_of` (the contract has one);
- conditions are undated and apply on every day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rlsiron.core.models import AssessmentInput
from rlsiron.core.validation import parse_input
from rlsiron.store import models as orm
from rlsiron.store.assessments import ASSESSMENTS
from rlsiron.store.database import Database
from rlsiron.store.labs import LABS, contract_row, origin_of
from rlsiron.store.owned import require_person
from rlsiron.store.people import person_facts, person_record
from rlsiron.store.schemas import (
    MOST_PREGNANCY_WEEKS,
    Export,
    PersonFacts,
    Pregnancy,
    Records,
)
from rlsiron.store.symptoms import DIARY, IRLS
from rlsiron.store.treatments import CONDITIONS, IRON_COURSES, MEDICINES

_WEEK = dt.timedelta(weeks=1)


def as_input(db: Database, person_id: int, as_of: dt.date) -> AssessmentInput:
    """The person's history on `as_of` as the engine reads it.

    Raises `RlsironError` with the engine's problems when the facts are not enough for an
    assessment (no sex or birth date yet: `person.sex`, `person.age_years` are required).
    """
    return parse_input(history_document(db, person_id, as_of), as_of=as_of)


def history_document(db: Database, person_id: int, as_of: dt.date) -> dict[str, Any]:
    """`as_input`'s document before the engine has read it (JSON-ready)."""
    with db.reading() as session:
        return _document(session, require_person(session, person_id), as_of)


def export(db: Database, person_id: int, as_of: dt.date) -> Export:
    """Everything stored about the person, read from one snapshot."""
    with db.reading() as session:
        person = require_person(session, person_id)
        return Export(
            as_of=as_of,
            person=person_record(person),
            input=_document(session, person, as_of),
            records=Records(
                labs=tuple(LABS.listed(session, person_id)),
                irls=tuple(IRLS.listed(session, person_id)),
                diary=tuple(DIARY.listed(session, person_id)),
                medicines=tuple(MEDICINES.listed(session, person_id)),
                conditions=tuple(CONDITIONS.listed(session, person_id)),
                iron_courses=tuple(IRON_COURSES.listed(session, person_id)),
                assessments=tuple(ASSESSMENTS.listed(session, person_id)),
            ),
        )


def pregnancy_weeks(pregnancy: Pregnancy | None, day: dt.date) -> int | None:
    """Completed weeks of pregnancy on `day`, counted from the weeks given on another day."""
    if pregnancy is None:
        return None
    weeks = pregnancy.weeks + (day - pregnancy.on) // _WEEK
    return weeks if 0 <= weeks <= MOST_PREGNANCY_WEEKS else None


def _document(session: Session, person: orm.Person, as_of: dt.date) -> dict[str, Any]:
    facts = person_facts(person)
    labs = session.scalars(
        select(orm.LabResult)
        .where(orm.LabResult.person_id == person.id, orm.LabResult.date <= as_of)
        .order_by(orm.LabResult.date, orm.LabResult.id)
    ).all()
    # The person stays even when nothing is known yet: the engine then names each missing
    # fact (person.sex, person.age_years), which the app can ask for.
    return {
        "as_of": as_of.isoformat(),
        "profile": person.profile,
        "person": _person(facts, _conditions(session, person.id), as_of),
        **_given(
            {
                "labs": [contract_row(row) for row in labs],
                "rls": _rls(session, person.id, facts, as_of),
                "symptoms": list(facts.symptoms),
                "medications": _medications(session, person.id, as_of),
                "iron_therapy": _iron_therapy(session, person.id, as_of),
                "diet": facts.diet,
                "provenance": {
                    f"labs[{index}]": [origin.model_dump(exclude_none=True)]
                    for index, row in enumerate(labs)
                    if (origin := origin_of(row)) is not None
                },
            }
        ),
    }


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """Only what is known: the contract's defaults stand for the rest."""
    return {key: value for key, value in values.items() if value not in (None, [], {})}


def _person(facts: PersonFacts, conditions: Sequence[str], as_of: dt.date) -> dict[str, Any]:
    return _given(
        {
            "sex": facts.sex,
            "birth_date": facts.birth_date.isoformat() if facts.birth_date else None,
            "pregnancy_weeks": pregnancy_weeks(facts.pregnancy, as_of),
            "postmenopausal": facts.postmenopausal,
            "kidney": facts.kidney,
            "conditions": list(conditions),
        }
    )


def _conditions(session: Session, person_id: int) -> Sequence[str]:
    return session.scalars(
        select(orm.Condition.text)
        .where(orm.Condition.person_id == person_id)
        .order_by(orm.Condition.id)
    ).all()


def _rls(
    session: Session, person_id: int, facts: PersonFacts, as_of: dt.date
) -> dict[str, Any] | None:
    entries = session.scalars(
        select(orm.SymptomEntry)
        .where(orm.SymptomEntry.person_id == person_id, orm.SymptomEntry.date <= as_of)
        .order_by(orm.SymptomEntry.date, orm.SymptomEntry.id)
    ).all()
    scores = [entry for entry in entries if entry.kind == "irls"]
    latest = scores[-1] if scores else None
    return _given(
        {
            "criteria": facts.rls_criteria.model_dump(exclude_none=True),
            "irls_total": latest.irls_total if latest else None,
            "irls_items": latest.irls_items if latest else None,
            "diary": [
                _given(
                    {
                        "date": entry.date.isoformat(),
                        "nights_affected": entry.nights_affected,
                        "severity": entry.severity,
                        "sleep_quality": entry.sleep_quality,
                    }
                )
                for entry in entries
                if entry.kind == "diary"
            ],
        }
    )


def _medications(session: Session, person_id: int, as_of: dt.date) -> list[str]:
    """The medicines taken on `as_of`: started by then (or start unknown) and not ended."""
    texts = session.scalars(
        select(orm.Medicine.text)
        .where(
            orm.Medicine.person_id == person_id,
            or_(orm.Medicine.started.is_(None), orm.Medicine.started <= as_of),
            or_(orm.Medicine.ended.is_(None), orm.Medicine.ended >= as_of),
        )
        .order_by(orm.Medicine.started.asc().nulls_first(), orm.Medicine.id)
    )
    return list(texts)


def _iron_therapy(session: Session, person_id: int, as_of: dt.date) -> list[dict[str, Any]]:
    courses = session.scalars(
        select(orm.IronCourse)
        .where(orm.IronCourse.person_id == person_id, orm.IronCourse.started <= as_of)
        .order_by(orm.IronCourse.started, orm.IronCourse.id)
    )
    return [
        _given(
            {
                "route": course.route,
                "product": course.product,
                "started": course.started.isoformat(),
                # Ended after as_of: on that day it was still going on.
                "ended": course.ended.isoformat()
                if course.ended is not None and course.ended <= as_of
                else None,
            }
        )
        for course in courses
    ]
