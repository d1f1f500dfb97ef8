"""Symptom entries: IRLS scores and weeks of the free diary, two kinds in one table.

Each kind is its own record type (an IRLS id asked for as a diary entry is not found), so
the API and the forms deal with one shape at a time. The rows are the contract's: a diary
week is `DiaryEntry`, an IRLS score the total or the ten items the contract accepts.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Final

from rlsiron.core.models import DiaryEntry
from rlsiron.store import models as orm
from rlsiron.store.owned import RecordType, fields_of, record_from
from rlsiron.store.schemas import DiaryRecord, IrlsEntry, IrlsRecord


def _irls(entry: IrlsEntry) -> dict[str, Any]:
    return {**fields_of(entry), "kind": "irls"}


def _diary(entry: DiaryEntry) -> dict[str, Any]:
    return {**fields_of(entry), "kind": "diary"}


IRLS: Final = RecordType[IrlsEntry, IrlsRecord, orm.SymptomEntry](
    name="IRLS score",
    location="irls",
    table=orm.SymptomEntry,
    columns=_irls,
    record=partial(record_from, IrlsRecord),
    order=(orm.SymptomEntry.date.asc(),),
    where=(orm.SymptomEntry.kind == "irls",),
)

DIARY: Final = RecordType[DiaryEntry, DiaryRecord, orm.SymptomEntry](
    name="diary entry",
    location="diary",
    table=orm.SymptomEntry,
    columns=_diary,
    record=partial(record_from, DiaryRecord),
    order=(orm.SymptomEntry.date.asc(),),
    where=(orm.SymptomEntry.kind == "diary",),
)
