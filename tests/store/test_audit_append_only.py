"""The audit log is append-only in the database itself, on SQLite and PostgreSQL: whatever
code runs against it, a row once written cannot be changed or removed."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from rlsiron.store import Database
from rlsiron.store import models as orm


def _write_one(db: Database) -> int:
    with db.transaction() as session:
        event = orm.AuditEvent(
            actor_id=1, actor_role="clinician", subject_id=2, action="read", record="labs"
        )
        session.add(event)
        session.flush()
        return event.id


def test_an_audit_event_cannot_be_changed_or_deleted(db: Database) -> None:
    event_id = _write_one(db)
    for statement in (
        update(orm.AuditEvent).where(orm.AuditEvent.id == event_id).values(record="nothing"),
        delete(orm.AuditEvent).where(orm.AuditEvent.id == event_id),
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
            session.execute(statement)
    with db.reading() as session:
        kept = session.scalars(select(orm.AuditEvent).where(orm.AuditEvent.id == event_id)).one()
        assert kept.record == "labs"
        assert session.scalar(select(func.count()).select_from(orm.AuditEvent)) >= 1
