"""The audit log: who read or changed a patient's record, when and from where.

Events are appended and never changed: the migration's triggers refuse UPDATE and DELETE
on both databases, whatever code runs. An event holds ids and the client's address and
nothing else personal: the actor (an account id and the role it acted in: the patient, a
clinician or administrator of a clinic, or the system), the clinic it acted for, the
patient whose record it is, the action (the model's closed vocabulary), and the record
named as a path of lowercase words and ids ("labs/12", "dashboard", "report", "notes"),
never by what it holds. `AuditEntry` refuses any other record name and any address that
is not an IP address, so neither can carry a value, a name or an email into the log. Who
an id is (a clinic's name, an account's email) is looked up when the log is read: a
deleted account keeps its id in the log, and its email leaves with it.

Writing. `append(session, entry, at=)` adds the event to the caller's transaction, so a
change and its event are committed together or not at all; `record(db, entry, at=)`
commits an event in a transaction of its own, for reads (which write nothing else).
`before_commits(db, callback)` calls back before each transaction of the database
commits: the web app adds a request's event to the transaction of its change that way,
without any route calling the log (`web.audit`), and `created(session)` gives the ids of
the records the transaction added, so that a creation names the record it made.

Reading. `patient_log` and `clinic_log` give a page of events, newest first (by time,
then id); the next page is the events before the last one shown (keyset paging: a page
does not shift as new events arrive, and the indexes on (subject, time) and (clinic,
time) serve it). `whole_log` walks every page, and `csv_lines` writes events as RFC 4180
CSV: a header row, CRLF line ends, times in UTC ISO 8601.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Final, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlalchemy import ColumnElement, and_, event, or_, select
from sqlalchemy.orm import Session

from rlsiron.store import models as orm
from rlsiron.store.database import Database
from rlsiron.store.errors import NotFoundError
from rlsiron.store.models import ActorRole, AuditAction

PAGE: Final = 25  # events a page shows unless asked for another number
_CREATED: Final = "rlsiron.audit.created"  # session.info: the ids of the added records
_RECORD_NAME: Final = re.compile(r"[a-z][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*")
_EVERY_ROLE: Final[tuple[ActorRole, ...]] = get_args(ActorRole)
_STAFF: Final[tuple[ActorRole, ...]] = ("clinician", "admin")
CSV_COLUMNS: Final = (
    "id",
    "at",
    "actor_id",
    "actor_role",
    "actor_email",
    "organisation_id",
    "organisation",
    "subject_id",
    "action",
    "record",
    "address",
)


def _record_name(name: str) -> str:
    if not _RECORD_NAME.fullmatch(name):
        raise ValueError(f"not a record name (lowercase words and ids, '/' between): {name!r}")
    return name


def _ip_address(address: str | None) -> str | None:
    if address is not None:
        ipaddress.ip_address(address)  # ValueError for anything else
    return address


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    actor_id: int | None  # None: the system (a feed, the operator's command)
    actor_role: ActorRole
    organisation_id: int | None = None  # the clinic the actor acted for, if any
    subject_id: int | None  # the patient whose record it is; None: the clinic's own
    action: AuditAction
    record: str
    address: str | None = None


class AuditEntry(_Event):
    """One event as it is written: ids, the action, the record's name and the address."""

    record: Annotated[str, AfterValidator(_record_name)]
    address: Annotated[str | None, AfterValidator(_ip_address)] = None


class AuditRecord(_Event):
    """An event as it is read: when, and who its ids are now (None once deleted, and for a
    patient's email in a clinic's log: the clinic sees its staff by email, patients by id)."""

    id: int
    at: dt.datetime
    actor_email: str | None
    organisation: str | None  # the clinic's name


_STORED: Final = (*_Event.model_fields, "id", "at")


class AuditPage(BaseModel):
    """Events newest first; `older` is the `before` of the next page (None: no more)."""

    events: list[AuditRecord]
    older: int | None


# ---------------------------------------------------------------- writing


def append(session: Session, entry: AuditEntry, *, at: dt.datetime) -> None:
    """The event, in the caller's transaction: it commits, or rolls back, with the change."""
    session.add(orm.AuditEvent(at=at, **entry.model_dump()))


def record(db: Database, entry: AuditEntry, *, at: dt.datetime) -> None:
    """The event in a transaction of its own (a read, which changes nothing else)."""
    with db.transaction() as session:
        append(session, entry, at=at)


def before_commits(db: Database, callback: Callable[[Session], None]) -> None:
    """`callback(session)` before each transaction of `db` commits (a read never commits):
    what it adds to the session commits with the transaction, and what it raises rolls the
    whole transaction back. `created(session)` tells it which records were added."""
    for name, listener in (("after_flush", _note_created), ("before_commit", callback)):
        if not event.contains(db.sessions, name, listener):
            event.listen(db.sessions, name, listener)


def created(session: Session) -> list[int]:
    """The ids of the records (a person's rows) the session's transaction has added, once
    flushed: a creation's event can name the one record it made ("labs/13")."""
    return list(session.info.get(_CREATED, ()))


def _note_created(session: Session, _flush: object) -> None:
    # After a flush the rows have their ids, and `session.new` still lists the added ones.
    added = [row.id for row in session.new if isinstance(row, orm.Owned)]
    session.info.setdefault(_CREATED, []).extend(added)


# ---------------------------------------------------------------- reading


def patient_log(
    db: Database, patient_id: int, *, before: int | None = None, limit: int = PAGE
) -> AuditPage:
    """Everything done with the patient's record, by anyone, newest first."""
    return _page(db, orm.AuditEvent.subject_id == patient_id, _EVERY_ROLE, before, limit)


def clinic_log(
    db: Database, organisation_id: int, *, before: int | None = None, limit: int = PAGE
) -> AuditPage:
    """Everything done for the clinic or with it (its members' reads and changes, shares
    with it and their revocation), newest first."""
    return _page(db, orm.AuditEvent.organisation_id == organisation_id, _STAFF, before, limit)


def whole_log(page_of: Callable[[int | None], AuditPage]) -> Iterator[AuditRecord]:
    """Every event of a log, newest first, one page (`page_of(before)`) at a time: no
    session stays open between pages, however long the log."""
    before: int | None = None
    while True:
        page = page_of(before)
        yield from page.events
        if page.older is None:
            return
        before = page.older


def csv_lines(events: Iterable[AuditRecord]) -> Iterator[str]:
    """RFC 4180 CSV, a line at a time: the header (`CSV_COLUMNS`), then one line per event;
    times in UTC, ISO 8601 with a "Z"; a missing value is an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # the "excel" dialect: CRLF, quotes only where needed

    def line(cells: Iterable[object]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(CSV_COLUMNS)
    for found in events:
        cells = found.model_dump()
        cells["at"] = _utc_iso(found.at)
        yield line(cells[column] for column in CSV_COLUMNS)


def _utc_iso(at: dt.datetime) -> str:
    """ISO 8601 in UTC with a "Z": "2026-03-01T09:00:00Z" (microseconds when there are)."""
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _page(
    db: Database,
    whose: ColumnElement[bool],
    emails_of: tuple[ActorRole, ...],
    before: int | None,
    limit: int,
) -> AuditPage:
    audit_event = orm.AuditEvent
    query = (
        select(audit_event, orm.Person.email, orm.Organisation.name)
        .outerjoin(
            orm.Person,
            and_(orm.Person.id == audit_event.actor_id, audit_event.actor_role.in_(emails_of)),
        )
        .outerjoin(orm.Organisation, orm.Organisation.id == audit_event.organisation_id)
        .where(whose)
        .order_by(audit_event.at.desc(), audit_event.id.desc())
        .limit(limit + 1)
    )
    with db.reading() as session:
        if before is not None:
            cursor = session.execute(
                select(audit_event.at, audit_event.id).where(audit_event.id == before, whose)
            ).one_or_none()
            if cursor is None:
                raise NotFoundError("audit event", before)
            at, event_id = cursor
            query = query.where(
                or_(audit_event.at < at, and_(audit_event.at == at, audit_event.id < event_id))
            )
        rows = session.execute(query).all()
    events = [
        AuditRecord(
            **{field: getattr(row, field) for field in _STORED},
            actor_email=email,
            organisation=clinic,
        )
        for row, email, clinic in rows[:limit]
    ]
    return AuditPage(events=events, older=events[-1].id if len(rows) > limit else None)
