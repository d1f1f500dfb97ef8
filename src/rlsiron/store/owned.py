"""One kind of record, written and read only within one person's rows.

Every query names the person: a record id alone never reaches a row, so another person's
record is "not found" exactly as a missing one is (`NotFoundError`, the API's 404). Each
write is one transaction; an entry is checked before the transaction opens (the core's
reading of a lab row, for example), and a check of the person's whole state (a kidney
status against the conditions) runs inside it, so a refused write leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from rlsiron.errors import Problem, ProblemCollector, RlsironError
from rlsiron.store import models as orm
from rlsiron.store.database import Database
from rlsiron.store.errors import NotFoundError

EntryT = TypeVar("EntryT", bound=BaseModel)
RecordT = TypeVar("RecordT", bound=BaseModel)
RowT = TypeVar("RowT", bound=orm.Owned)

# Ids are Integer columns: 32 bits on PostgreSQL, which refuses to bind a larger number
# (SQLite's are wider, but its ids come one by one from 1). A larger id names no row and
# must not reach the driver: it is "not found" (a 404), never a 500.
LARGEST_ID: Final = 0x7FFF_FFFF  # the largest 32-bit signed integer


def storable_id(row_id: int) -> bool:
    return -LARGEST_ID - 1 <= row_id <= LARGEST_ID


def require_person(session: Session, person_id: int, *, lock: bool = False) -> orm.Person:
    """The person's row; `lock` (every write) holds it until the transaction ends, so the
    writes of one person follow one another (PostgreSQL; SQLite has one writer anyway) and
    a check of the person's whole state sees no half-done write of another request."""
    person = session.get(orm.Person, person_id, with_for_update=lock)
    if person is None:
        raise NotFoundError("person", person_id)
    return person


def changing(session: Session, person_id: int, *, history: bool = True) -> orm.Person:
    """The person's row, locked for a write; `history` (a change to what the engine reads)
    moves their revision on, so that no page keeps showing an assessment of the old one."""
    person = require_person(session, person_id, lock=True)
    if history:
        person.revision += 1
    return person


def indexed(problem: Problem, location: str, index: int) -> Problem:
    """A problem of one entry ("unit") as a problem of the index-th of many ("labs[2].unit")."""
    where = f"{location}[{index}]"
    return problem.at(f"{where}.{problem.location}" if problem.location else where)


def fields_of(entry: BaseModel) -> dict[str, Any]:
    """An entry's fields as columns, for record types whose columns are named as its fields."""
    return dict(entry)


def record_from(record_type: type[RecordT], row: orm.Owned) -> RecordT:
    """The record whose fields are the row's columns of the same names (id included)."""
    return record_type.model_validate(
        {name: getattr(row, name) for name in record_type.model_fields}
    )


@dataclass(frozen=True)
class RecordType(Generic[EntryT, RecordT, RowT]):
    """Add, list, read, update and delete one kind of record of one person."""

    name: str  # as NotFoundError says it: "lab result"
    location: str  # the contract's name for a list of them, for problems: "labs"
    table: type[RowT]
    columns: Callable[[EntryT], dict[str, Any]]  # may raise RlsironError, located in the entry
    record: Callable[[RowT], RecordT]
    order: tuple[ColumnElement[Any], ...]  # listing order; the id breaks ties
    where: tuple[ColumnElement[bool], ...] = ()  # the rows of this kind in a shared table
    check: Callable[[Session, int], None] | None = None  # the person's state, after a write
    history: bool = True  # the engine reads these records (saved assessments it does not)

    def add(self, db: Database, person_id: int, entry: EntryT) -> RecordT:
        values = self.columns(entry)
        with db.transaction() as session:
            (record,) = self._insert(session, person_id, [values])
            return record

    def add_all(self, db: Database, person_id: int, entries: Sequence[EntryT]) -> list[RecordT]:
        """All or nothing: every bad entry is reported ("labs[3].unit") and none is stored."""
        problems = ProblemCollector()
        values = self.columns_of(entries, problems)
        problems.raise_if_any()
        with db.transaction() as session:
            return self._insert(session, person_id, values)

    def columns_of(
        self, entries: Sequence[EntryT], problems: ProblemCollector
    ) -> list[dict[str, Any]]:
        """The columns of each good entry; each bad one's problems added to `problems`,
        located as the contract locates them ("labs[3].unit")."""
        values: list[dict[str, Any]] = []
        for index, entry in enumerate(entries):
            try:
                values.append(self.columns(entry))
            except RlsironError as exc:
                problems.problems += [indexed(p, self.location, index) for p in exc.problems]
        return values

    def insert(
        self, session: Session, person_id: int, values: Sequence[dict[str, Any]]
    ) -> list[RecordT]:
        """Rows in the caller's transaction, which has locked the person (`changing`) and
        checks their whole state after all its writes."""
        rows = [self.table(person_id=person_id, **row) for row in values]
        session.add_all(rows)
        session.flush()
        return [self.record(row) for row in rows]

    def get(self, db: Database, person_id: int, record_id: int) -> RecordT:
        with db.reading() as session:
            return self.record(self._owned(session, person_id, record_id))

    def all(self, db: Database, person_id: int) -> list[RecordT]:
        """The person's records in date order (an unknown person has none)."""
        with db.reading() as session:
            return self.listed(session, person_id)

    def listed(self, session: Session, person_id: int) -> list[RecordT]:
        """`all`, inside a session the caller holds (several tables from one snapshot)."""
        rows = session.scalars(
            select(self.table)
            .where(self.table.person_id == person_id, *self.where)
            .order_by(*self.order, self.table.id)
        )
        return [self.record(row) for row in rows]

    def update(self, db: Database, person_id: int, record_id: int, entry: EntryT) -> RecordT:
        """The record replaced by `entry` (every field: a field left out becomes empty)."""
        values = self.columns(entry)
        with db.transaction() as session:
            changing(session, person_id, history=self.history)
            row = self._owned(session, person_id, record_id)
            for column, value in values.items():
                setattr(row, column, value)
            session.flush()
            self._check(session, person_id)
            return self.record(row)

    def delete(self, db: Database, person_id: int, record_id: int) -> None:
        with db.transaction() as session:
            changing(session, person_id, history=self.history)
            session.delete(self._owned(session, person_id, record_id))

    def _insert(
        self, session: Session, person_id: int, values: Sequence[dict[str, Any]]
    ) -> list[RecordT]:
        changing(session, person_id, history=self.history)
        records = self.insert(session, person_id, values)
        self._check(session, person_id)
        return records

    def _check(self, session: Session, person_id: int) -> None:
        if self.check is not None:
            self.check(session, person_id)

    def _owned(self, session: Session, person_id: int, record_id: int) -> RowT:
        if not storable_id(record_id):
            raise NotFoundError(self.name, record_id)  # no such row; the database cannot bind it
        query = select(self.table).where(
            self.table.id == record_id, self.table.person_id == person_id, *self.where
        )
        row = session.scalars(query).one_or_none()
        if row is None:
            raise NotFoundError(self.name, record_id)
        return row
