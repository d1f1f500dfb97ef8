"""Alembic's environment. The connection comes from `rlsiron.store.migrate`, never from an ini
file, so an installed wheel migrates the database it is given, in one transaction."""

from __future__ import annotations

from typing import Final

from alembic import context
from sqlalchemy.engine import Connection

from rlsiron.store.models import Base

# Any fixed number: the advisory lock's id, shared by every process of the app.
_MIGRATION_LOCK: Final = 7_210_471


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if connection.dialect.name == "postgresql":
        # Several app processes starting at once: one migrates, the others wait, then find
        # the database at head. (SQLite's BEGIN IMMEDIATE already serialises them.)
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    # SQLite cannot alter most of a table in place; batch mode rebuilds it.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        # Foreign keys are off while migrating (a rebuilt table would cascade its drop);
        # nothing may be left pointing nowhere when they come back on.
        orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if orphans:
            raise RuntimeError(f"the migration left rows without their parent: {orphans}")


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "run migrations through rlsiron.store.migrate (migrate, downgrade), which "
            "supplies the connection; offline SQL scripts are not supported"
        )
    _run(connection)


_main()
