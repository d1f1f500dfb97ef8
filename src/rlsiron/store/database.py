"""Engines and transactions: SQLite in a file by default, PostgreSQL by URL.

Every write is one transaction (`Database.transaction()`): it commits when the block ends
and rolls back entirely when anything in it raises, so a failure part-way stores nothing.

SQLite needs three settings on every connection, which an event listener applies: WAL (a
reader does not block the writer, nor the writer readers), foreign keys ON (off by default
in SQLite, and the account deletion relies on ON DELETE CASCADE) and a busy timeout (a
writer waits for another instead of failing at once). Python's sqlite3 module would open
transactions itself, late and only for writes (the SQLAlchemy documentation's "legacy
transaction mode"); here SQLAlchemy emits BEGIN, and a write transaction takes the write
lock up front (BEGIN IMMEDIATE), so that two writers queue on the busy timeout rather than
one failing when it upgrades a read lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL, Connection
from sqlalchemy.orm import Session, sessionmaker

_BUSY_TIMEOUT_MS: Final = 15_000
_WRITE: Final = "rlsiron_write"  # execution option: this connection's transaction writes
# DATABASE_URL as a hosting service gives it names no driver; psycopg 3 is the one installed.
_POSTGRES_SCHEMES: Final = frozenset({"postgres", "postgresql"})
_POSTGRES_DRIVER: Final = "postgresql+psycopg"


def database_url(target: str | Path) -> URL:
    """The URL of a database given as a URL or, for SQLite, as a file path."""
    if isinstance(target, Path) or "://" not in target:
        return URL.create("sqlite+pysqlite", database=str(Path(target).resolve()))
    url = make_url(target)
    if url.drivername in _POSTGRES_SCHEMES:
        return url.set(drivername=_POSTGRES_DRIVER)
    return url


def engine_for(target: str | Path, *, foreign_keys: bool = True) -> Engine:
    """An engine for a SQLite file (its directory is created) or a database URL.

    `foreign_keys=False` is for migrations only: rebuilding a SQLite table (Alembic's batch
    mode) drops it, and with foreign keys on, the drop would cascade to every child row.
    """
    url = database_url(target)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    _configure_sqlite(engine, foreign_keys=foreign_keys)
    return engine


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A connection in one write transaction, below the ORM (migrations use it)."""
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        with connection.begin():
            yield connection


@dataclass(frozen=True)
class Database:
    """An engine and its session factory: what the app opens once and keeps."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, target: str | Path) -> Database:
        engine = engine_for(target)
        # Records are returned as plain models built inside the session, so nothing needs
        # reloading after the commit.
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write: committed at the end of the block, rolled back entirely on error."""
        with self.sessions.begin() as session:
            session.connection(execution_options={_WRITE: True})
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read of several tables from one snapshot; closing the session rolls it back.

        SQLite's transactions are snapshots already; PostgreSQL's default (read committed)
        takes a new snapshot per statement, so reads ask for repeatable read.
        """
        with self.sessions() as session:
            if self.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    def close(self) -> None:
        self.engine.dispose()
