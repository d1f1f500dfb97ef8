"""Each record type: add, list, read, update, delete; and never across people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from pydantic import BaseModel

from rlsiron import assess, parse_input
from rlsiron.core.models import DiaryEntry
from rlsiron.errors import RlsironError
from rlsiron.store import (
    ASSESSMENTS,
    CONDITIONS,
    DIARY,
    IRLS,
    IRON_COURSES,
    LABS,
    MEDICINES,
    AssessmentRecord,
    ConditionEntry,
    Database,
    IrlsEntry,
    IronCourseEntry,
    LabEntry,
    MedicineEntry,
    NotFoundError,
    RecordType,
    revision,
)
from tests.store.helpers import make_person

D = dt.date


def _assessed(ferritin: float, day: dt.date) -> Any:
    document = {
        "person": {"age_years": 44, "sex": "female"},
        "labs": [
            {"test": "ferritin", "value": ferritin, "unit": "ug/L", "date": day.isoformat()},
            {"test": "tsat", "value": 25, "unit": "%", "date": day.isoformat()},
        ],
    }
    return assess(parse_input(document), as_of=day)


def _same_fields(entry_type: type[BaseModel]) -> Callable[[BaseModel], BaseModel]:
    def back(record: BaseModel) -> BaseModel:
        return entry_type.model_validate(record.model_dump(include=set(entry_type.model_fields)))

    return back


def _output(record: BaseModel) -> BaseModel:
    assert isinstance(record, AssessmentRecord)
    return record.output


class Case(NamedTuple):
    kind: RecordType[Any, Any, Any]
    first: BaseModel
    second: BaseModel
    back: Callable[[BaseModel], BaseModel]  # the record as the entry it was made from


CASES = [
    pytest.param(
        Case(
            LABS,
            LabEntry(test="Ferritin", value=38, unit="ug/L", date=D(2025, 3, 1)),
            LabEntry(
                test="ferritin",
                value="<5",
                unit="ng/mL",
                date=D(2025, 3, 2),
                reference_range="13-150",
                flag="L",
                origin={"file": "report.pdf", "at": "line 14", "text": "Ferritin <5 ng/mL L"},
            ),
            _same_fields(LabEntry),
        ),
        id="labs",
    ),
    pytest.param(
        Case(
            IRLS,
            IrlsEntry(date=D(2025, 3, 1), irls_total=22),
            IrlsEntry(date=D(2025, 3, 8), irls_items=(2, 3, 2, 1, 2, 3, 2, 1, 2, 2)),
            _same_fields(IrlsEntry),
        ),
        id="irls",
    ),
    pytest.param(
        Case(
            DIARY,
            DiaryEntry(date=D(2025, 3, 7), nights_affected=3, severity=5),
            DiaryEntry(date=D(2025, 3, 14), nights_affected=1, severity=2, sleep_quality=8),
            _same_fields(DiaryEntry),
        ),
        id="diary",
    ),
    pytest.param(
        Case(
            MEDICINES,
            MedicineEntry(text="omeprazole 20 mg", started=D(2024, 6, 1)),
            MedicineEntry(text="omeprazole 40 mg", started=D(2024, 6, 1), ended=D(2025, 1, 31)),
            _same_fields(MedicineEntry),
        ),
        id="medicines",
    ),
    pytest.param(
        Case(
            CONDITIONS,
            ConditionEntry(text="coeliac disease"),
            ConditionEntry(text="heavy menstrual bleeding"),
            _same_fields(ConditionEntry),
        ),
        id="conditions",
    ),
    pytest.param(
        Case(
            IRON_COURSES,
            IronCourseEntry(route="oral", product="ferrous sulfate", started=D(2024, 9, 1)),
            IronCourseEntry(route="iv", product="ferric carboxymaltose", started=D(2025, 2, 3)),
            _same_fields(IronCourseEntry),
        ),
        id="iron_courses",
    ),
    pytest.param(
        Case(ASSESSMENTS, _assessed(30, D(2025, 3, 1)), _assessed(150, D(2025, 9, 1)), _output),
        id="assessments",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_add_list_read_update_delete(db: Database, case: Case) -> None:
    kind, person = case.kind, make_person(db)
    added = kind.add(db, person.id, case.first)
    assert case.back(added) == case.first
    assert kind.get(db, person.id, added.id) == added
    assert kind.all(db, person.id) == [added]

    updated = kind.update(db, person.id, added.id, case.second)
    assert (updated.id, case.back(updated)) == (added.id, case.second)
    assert kind.get(db, person.id, added.id) == updated
    assert kind.all(db, person.id) == [updated]

    kind.delete(db, person.id, added.id)
    assert kind.all(db, person.id) == []
    with pytest.raises(NotFoundError):
        kind.get(db, person.id, added.id)


@pytest.mark.parametrize("case", CASES)
def test_another_persons_record_is_never_returned_or_changed(db: Database, case: Case) -> None:
    kind, owner, other = case.kind, make_person(db), make_person(db)
    record = kind.add(db, owner.id, case.first)
    missing = record.id + 1_000_000

    assert kind.all(db, other.id) == []
    for record_id in (record.id, missing):  # someone else's and no one's: the same answer
        with pytest.raises(NotFoundError) as caught:
            kind.get(db, other.id, record_id)
        assert caught.value.kind == kind.name
        with pytest.raises(NotFoundError):
            kind.update(db, other.id, record_id, case.second)
        with pytest.raises(NotFoundError):
            kind.delete(db, other.id, record_id)
    assert kind.all(db, owner.id) == [record]


@pytest.mark.parametrize("case", CASES)
def test_a_record_for_no_one_is_refused(db: Database, case: Case) -> None:
    with pytest.raises(NotFoundError) as caught:
        case.kind.add(db, 1_000_000_000, case.first)
    assert (caught.value.kind, caught.value.record_id) == ("person", 1_000_000_000)


def test_symptom_kinds_share_a_table_but_not_their_ids(db: Database) -> None:
    person = make_person(db)
    score = IRLS.add(db, person.id, IrlsEntry(date=D(2025, 3, 1), irls_total=12))
    with pytest.raises(NotFoundError):
        DIARY.get(db, person.id, score.id)
    assert DIARY.all(db, person.id) == []


def test_records_are_listed_by_date_whatever_order_they_were_written_in(db: Database) -> None:
    person = make_person(db)
    for day in (D(2025, 5, 1), D(2024, 1, 1), D(2025, 1, 1)):
        LABS.add(db, person.id, LabEntry(test="ferritin", value=40, unit="ug/L", date=day))
    MEDICINES.add(db, person.id, MedicineEntry(text="levothyroxine", started=D(2020, 1, 1)))
    MEDICINES.add(db, person.id, MedicineEntry(text="omeprazole"))  # start unknown: first
    assert [lab.date for lab in LABS.all(db, person.id)] == [
        D(2024, 1, 1),
        D(2025, 1, 1),
        D(2025, 5, 1),
    ]
    assert [m.text for m in MEDICINES.all(db, person.id)] == ["omeprazole", "levothyroxine"]


@pytest.mark.parametrize("case", CASES)
def test_every_change_the_engine_would_see_moves_the_revision_on(db: Database, case: Case) -> None:
    """Pages keep a person's assessment while their revision stands: each add, update and
    delete of a record the engine reads must move it on (a saved assessment must not)."""
    kind, person = case.kind, make_person(db)
    step = 1 if kind.history else 0
    before = revision(db, person.id)
    added = kind.add(db, person.id, case.first)
    assert revision(db, person.id) == before + step
    kind.add_all(db, person.id, [case.second])
    assert revision(db, person.id) == before + 2 * step
    kind.update(db, person.id, added.id, case.second)
    assert revision(db, person.id) == before + 3 * step
    kind.delete(db, person.id, added.id)
    assert revision(db, person.id) == before + 4 * step
    assert kind.history == (kind is not ASSESSMENTS)


def test_a_refused_write_leaves_the_revision_where_it_was(db: Database) -> None:
    person = make_person(db, kidney="normal")
    before = revision(db, person.id)
    with pytest.raises(RlsironError):
        CONDITIONS.add(db, person.id, ConditionEntry(text="on haemodialysis"))
    assert revision(db, person.id) == before
