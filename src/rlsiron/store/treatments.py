"""Medicines, conditions and iron courses: records whose columns are their fields.

A condition can contradict the kidney status (a dialysis condition with kidney "normal"),
which the engine refuses; the store refuses it when the condition is written, so what is
stored can always be assessed.
"""

from __future__ import annotations

from functools import partial
from typing import Final

from sqlalchemy.orm import Session

from rlsiron.store import models as orm
from rlsiron.store.owned import RecordType, fields_of, record_from
from rlsiron.store.people import check_kidney
from rlsiron.store.schemas import (
    ConditionEntry,
    ConditionRecord,
    IronCourseEntry,
    IronCourseRecord,
    MedicineEntry,
    MedicineRecord,
)


def _kidney_agrees(session: Session, person_id: int) -> None:
    check_kidney(session, person_id, field="text")


MEDICINES: Final = RecordType[MedicineEntry, MedicineRecord, orm.Medicine](
    name="medicine",
    location="medicines",
    table=orm.Medicine,
    columns=fields_of,
    record=partial(record_from, MedicineRecord),
    # An unknown start first, on SQLite and PostgreSQL alike (their default orders differ).
    order=(orm.Medicine.started.asc().nulls_first(),),
)

CONDITIONS: Final = RecordType[ConditionEntry, ConditionRecord, orm.Condition](
    name="condition",
    location="conditions",
    table=orm.Condition,
    columns=fields_of,
    record=partial(record_from, ConditionRecord),
    order=(),  # in the order they were written
    check=_kidney_agrees,
)

IRON_COURSES: Final = RecordType[IronCourseEntry, IronCourseRecord, orm.IronCourse](
    name="iron course",
    location="iron_therapy",
    table=orm.IronCourse,
    columns=fields_of,
    record=partial(record_from, IronCourseRecord),
    order=(orm.IronCourse.started.asc(),),
)
