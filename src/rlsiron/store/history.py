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
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select
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
    return history_documents(db, person_id, (as_of,))[0]


def history_documents(
    db: Database, person_id: int, days: Sequence[dt.date]
) -> list[dict[str, Any]]:
    """The documents of several days from one reading of the records (a replay of how
    the decision changed reads the history once, not once a day)."""
    with db.reading() as session:
        history = _History.read(session, require_person(session, person_id))
    return [history.document(day) for day in days]


def export(db: Database, person_id: int, as_of: dt.date) -> Export:
    """Everything stored about the person, read from one snapshot."""
    with db.reading() as session:
        person = require_person(session, person_id)
        return Export(
            as_of=as_of,
            person=person_record(person),
            input=_History.read(session, person).document(as_of),
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


class _Lab(NamedTuple):
    date: dt.date
    row: dict[str, Any]  # the contract's lab row
    origin: dict[str, Any] | None


class _Course(NamedTuple):
    route: str
    product: str | None
    started: dt.date
    ended: dt.date | None


class _Medicine(NamedTuple):
    text: str
    started: dt.date | None
    ended: dt.date | None


@dataclass(frozen=True)
class _History:
    """Every record the documents read, as plain values; each day's document is then a
    filter of them (the rows of a day are those dated on or before it)."""

    facts: PersonFacts
    profile: str
    labs: tuple[_Lab, ...]  # by date, then as stored
    entries: tuple[orm.SymptomEntry, ...]  # by date, then as stored (detached, loaded)
    medicines: tuple[_Medicine, ...]  # unknown start first, then by start
    courses: tuple[_Course, ...]  # by start
    conditions: tuple[str, ...]  # as written

    @classmethod
    def read(cls, session: Session, person: orm.Person) -> _History:
        def owned(table: type[orm.Owned], *order: Any) -> Sequence[Any]:
            return session.scalars(
                select(table).where(table.person_id == person.id).order_by(*order, table.id)
            ).all()

        labs = owned(orm.LabResult, orm.LabResult.date)
        medicines = owned(orm.Medicine, orm.Medicine.started.asc().nulls_first())
        courses = owned(orm.IronCourse, orm.IronCourse.started)
        return cls(
            facts=person_facts(person),
            profile=person.profile,
            labs=tuple(
                _Lab(
                    row.date,
                    contract_row(row),
                    None if (o := origin_of(row)) is None else o.model_dump(exclude_none=True),
                )
                for row in labs
            ),
            entries=tuple(owned(orm.SymptomEntry, orm.SymptomEntry.date)),
            medicines=tuple(_Medicine(m.text, m.started, m.ended) for m in medicines),
            courses=tuple(_Course(c.route, c.product, c.started, c.ended) for c in courses),
            conditions=tuple(c.text for c in owned(orm.Condition)),
        )

    def document(self, as_of: dt.date) -> dict[str, Any]:
        labs = [lab for lab in self.labs if lab.date <= as_of]
        # The person stays even when nothing is known yet: the engine then names each
        # missing fact (person.sex, person.age_years), which the app can ask for.
        return {
            "as_of": as_of.isoformat(),
            "profile": self.profile,
            "person": _person(self.facts, self.conditions, as_of),
            **_given(
                {
                    "labs": [lab.row for lab in labs],
                    "rls": self._rls(as_of),
                    "symptoms": list(self.facts.symptoms),
                    "medications": [
                        m.text
                        for m in self.medicines
                        if (m.started is None or m.started <= as_of)
                        and (m.ended is None or m.ended >= as_of)
                    ],
                    "iron_therapy": [
                        _given(
                            {
                                "route": c.route,
                                "product": c.product,
                                "started": c.started.isoformat(),
                                # Ended after as_of: on that day it was still going on.
                                "ended": c.ended.isoformat()
                                if c.ended is not None and c.ended <= as_of
                                else None,
                            }
                        )
                        for c in self.courses
                        if c.started <= as_of
                    ],
                    "diet": self.facts.diet,
                    "provenance": {
                        f"labs[{index}]": [lab.origin]
                        for index, lab in enumerate(labs)
                        if lab.origin is not None
                    },
                }
            ),
        }

    def _rls(self, as_of: dt.date) -> dict[str, Any] | None:
        entries = [entry for entry in self.entries if entry.date <= as_of]
        scores = [entry for entry in entries if entry.kind == "irls"]
        latest = scores[-1] if scores else None
        return _given(
            {
                "criteria": self.facts.rls_criteria.model_dump(exclude_none=True),
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
