"""A person recreated from their export: export -> delete -> import gives the same records.

`recreate_person(db, exported, email=..., password_hash=...)` takes what `store.export` (and
`GET /api/v1/me/export`) gives and makes a new account with every record of it: the facts
and settings, the lab results with their origins (the core reads each again, so the stored
reading is the engine's of today), IRLS scores, diary weeks, medicines with their dates,
conditions, iron courses and saved assessments (each with the time it was made). The
export's `input` document is not read: it is derived from the records, and exporting the
new account gives it again. New ids are given; the account's email and password hash are
the caller's (an administrator restoring an account chooses them), and its creation time
is now.

All of it is one transaction (`one_transaction`): every record is checked before anything
is written, each problem located in the export (`records.labs[3].unit`), and any failure
(an email that has an account, facts the conditions contradict) leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import sessionmaker

from rlsiron.core.models import DiaryEntry
from rlsiron.errors import ProblemCollector
from rlsiron.store.assessments import ASSESSMENTS
from rlsiron.store.database import Database, writing
from rlsiron.store.labs import LABS
from rlsiron.store.owned import RecordType
from rlsiron.store.people import create_person, set_facts
from rlsiron.store.schemas import (
    ConditionEntry,
    Export,
    IrlsEntry,
    IronCourseEntry,
    LabEntry,
    MedicineEntry,
    PersonRecord,
)
from rlsiron.store.symptoms import DIARY, IRLS
from rlsiron.store.treatments import CONDITIONS, IRON_COURSES, MEDICINES

EntryT = TypeVar("EntryT", bound=BaseModel)
_RECORDS = "records"
_AnyRecordType = RecordType[Any, Any, Any]


@contextmanager
def one_transaction(db: Database) -> Iterator[Database]:
    """A `Database` whose every transaction is a savepoint of one outer transaction.

    The store's public writes (`create_person`, `set_facts`, `accept_import`, ...) are each
    one transaction of their own; called on the database this yields, they become parts
    of one that commits when the block ends and rolls back entirely when anything in it
    raises. They keep every check they make, and nothing is written twice in two ways.
    (SQLAlchemy's "joining a session into an external transaction"; SQLite's write lock and
    PostgreSQL's row locks are held until the outer transaction ends.)
    """
    with writing(db.engine) as connection:
        yield Database(
            db.engine,
            sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            ),
        )


def recreate_person(
    db: Database, exported: Export, *, email: str, password_hash: str
) -> PersonRecord:
    """A new account holding every record of `exported`, in one transaction.

    Raises `RlsironError` with every problem of the records (nothing written),
    `EmailTakenError` when `email` has an account.
    """
    records = exported.records
    kinds: tuple[tuple[_AnyRecordType, str, type[BaseModel], Sequence[BaseModel]], ...] = (
        (LABS, "labs", LabEntry, records.labs),
        (IRLS, "irls", IrlsEntry, records.irls),
        (DIARY, "diary", DiaryEntry, records.diary),
        (MEDICINES, "medicines", MedicineEntry, records.medicines),
        (CONDITIONS, "conditions", ConditionEntry, records.conditions),
        (IRON_COURSES, "iron_courses", IronCourseEntry, records.iron_courses),
    )
    problems = ProblemCollector()
    rows: list[tuple[_AnyRecordType, list[dict[str, Any]]]] = [
        (record_type, _columns(record_type, name, _entries(entry, given), problems))
        for record_type, name, entry, given in kinds
    ]
    # A saved assessment keeps the time it was made: it is part of the history.
    saved = [
        {**ASSESSMENTS.columns(assessment.output), "created_at": assessment.created_at}
        for assessment in records.assessments
    ]
    rows.append((ASSESSMENTS, saved))
    problems.raise_if_any()
    with one_transaction(db) as joined:
        person = create_person(joined, email, password_hash, exported.person.settings)
        with joined.transaction() as session:
            for record_type, values in rows:
                record_type.insert(session, person.id, values)
        # After the conditions: the kidney status is checked against them.
        return set_facts(joined, person.id, exported.person.facts)


def _entries(entry_type: type[EntryT], records: Sequence[BaseModel]) -> list[EntryT]:
    """Each record as the entry it was made from (its id and the core's reading left out)."""
    fields = set(entry_type.model_fields)
    return [entry_type.model_validate(record.model_dump(include=fields)) for record in records]


def _columns(
    record_type: _AnyRecordType,
    name: str,
    entries: Sequence[BaseModel],
    problems: ProblemCollector,
) -> list[dict[str, Any]]:
    """The entries' columns; each problem located in the export ("records.labs[3].unit")."""
    found = ProblemCollector()
    values = record_type.columns_of(entries, found)
    problems.problems += [
        p.at(f"{_RECORDS}.{name}{p.location.removeprefix(record_type.location)}")
        for p in found.problems
    ]
    return values
