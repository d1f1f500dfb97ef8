"""Backups of the app's database, and restoring one: `rlsiron backup` / `rlsiron restore`.

Each backend's own tool, so a backup is one its operators already know how to handle:

- **SQLite**: the SQLite backup API (`sqlite3.Connection.backup`) copies the database in
  one read transaction, a consistent snapshot while the app goes on writing (WAL: the copy
  does not block writers). The copy is switched out of WAL into one self-contained file
  and checked (`PRAGMA quick_check`) before it takes the backup's name. Restoring copies it
  back the same way, in one write transaction of the target.
- **PostgreSQL**: `pg_dump --format=custom` and `pg_restore` (Debian's postgresql-client, of
  the server's major version or newer), so the file is an ordinary pg_dump archive. The
  password goes to them in the environment (`PGPASSWORD`), never on a command line that
  `ps` shows. Restoring reads the archive's table of contents first (a damaged file is
  refused before anything is dropped), removes the app's own tables (the migrations'
  downgrade: tables of another application in the same database are left alone), then
  restores in one transaction without the dump's owners and grants (the restoring role
  owns what it restores).

A backup file is written beside its final name and renamed into place once complete and
synced, readable by its owner only (it holds health records): a failed backup never
leaves a file that looks like a good one. A restore refuses a database that holds any row
unless forced, refuses a backup of the other backend (a person's records move between
backends with export and import), and leaves the database migrated to this release's head.

Restore with the app stopped: each process keeps people's standings in memory under their
revision (decision 22), and a restored, older revision could match a kept standing of the
newer data.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Final, Literal

from alembic.util import CommandError
from psycopg.conninfo import make_conninfo
from sqlalchemy import inspect, literal, select, table
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from rlsiron.store.database import database_url, engine_for
from rlsiron.store.migrate import downgrade, migrate

Backend = Literal["sqlite", "postgresql"]

_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_PG_DUMP_MAGIC: Final = b"PGDMP"
_VERSION_TABLE: Final = "alembic_version"
_PG_BIN: Final = Path("/usr/lib/postgresql")
_PG_RESTORE: Final = (
    "pg_restore",
    "--no-owner",
    "--no-privileges",
    "--single-transaction",
    "--exit-on-error",
    "--clean",  # with --if-exists: what the downgrade left (alembic_version) goes too
    "--if-exists",
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


def backend_of(target: str | Path) -> Backend:
    """Which backend a database (a URL, or a SQLite file path) is on."""
    name = database_url(target).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {name} databases are not supported")
    return "sqlite" if name == "sqlite" else "postgresql"


def backup(target: str | Path, path: Path) -> Backend:
    """Write a backup of the database `target` to `path` (replaced when it exists)."""
    backend = backend_of(target)
    url = database_url(target)
    with _replacing(path) as partial:
        if backend == "sqlite":
            _backup_sqlite(_sqlite_file(url), partial)
        else:
            _run(["pg_dump", "--format=custom", f"--file={partial}"], url)
    return backend


def restore(target: str | Path, path: Path, *, force: bool = False) -> Backend:
    """Restore the backup at `path` into the database `target`, then migrate it to head.

    A database holding any row is replaced only with `force`."""
    backend = backend_of(target)
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    kind = _kind_of(path)
    if kind != backend:
        raise BackupError(
            f"{path} is a {kind} backup and the app's database is {backend}: restore it into "
            "a database of its kind (a person's records move between kinds by export and import)"
        )
    if not force and holds_data(target):
        raise BackupError(
            "the database holds data: restore into an empty database, or give --force to "
            "replace what it holds"
        )
    url = database_url(target)
    if backend == "sqlite":
        _restore_sqlite(path, _sqlite_file(url))
    else:
        _run(["pg_restore", "--list", str(path)])  # a readable archive, before any drop
        _drop_app_tables(target)
        _run([*_PG_RESTORE, str(path)], url)
    migrate(target)
    return backend


def holds_data(target: str | Path) -> bool:
    """Whether any table of the database (migration bookkeeping aside) has a row."""
    url = database_url(target)
    if url.get_backend_name() == "sqlite" and not _sqlite_file(url).exists():
        return False  # not made yet: connecting would create it
    engine = engine_for(target)
    try:
        with engine.connect() as connection:
            names = [n for n in inspect(connection).get_table_names() if n != _VERSION_TABLE]
            one_row = (select(literal(1)).select_from(table(name)).limit(1) for name in names)
            return any(connection.execute(query).first() is not None for query in one_row)
    except SQLAlchemyError as exc:
        raise BackupError(f"the database cannot be read ({type(exc).__name__})") from None
    finally:
        engine.dispose()


def _sqlite_file(url: URL) -> Path:
    return Path(url.database or "")


def _kind_of(path: Path) -> Backend:
    with path.open("rb") as file:
        start = file.read(len(_SQLITE_MAGIC))
    if start.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if start.startswith(_PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom archive")


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` (owner-only) that replaces it when the block ends
    without error, synced first; removed otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(descriptor)
    partial = Path(name)
    try:
        yield partial
        with partial.open("rb+") as file:
            os.fsync(file.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def _backup_sqlite(database: Path, partial: Path) -> None:
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    try:
        with (
            closing(sqlite3.connect(database)) as source,
            closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            _checked(copy, partial)
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite backup failed: {exc}") from None


def _restore_sqlite(path: Path, database: Path) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(database)) as target,
        ):
            _checked(source, path)
            source.backup(target)
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite restore failed: {exc}") from None


def _checked(connection: sqlite3.Connection, path: Path) -> None:
    (verdict,) = connection.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")


def _drop_app_tables(target: str | Path) -> None:
    """The app's tables gone, as its migrations define them (a newer schema's tables that
    the archive lacks would otherwise stay, and the migration after the restore fail)."""
    try:
        downgrade(target)
    except CommandError as exc:
        raise BackupError(f"the database's schema is not one this release knows: {exc}") from None


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The connection string for libpq's tools (no password) and their environment."""
    parameters = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database,
        **{key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()},
    }
    conninfo = make_conninfo("", **{k: str(v) for k, v in parameters.items() if v is not None})
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return conninfo, environment


def _tool(name: str) -> str:
    """The PostgreSQL client program: on PATH (Debian's wrapper picks the version), else the
    newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found is not None:
        return found
    versions = sorted(
        (int(match.group()), candidate)
        for candidate in _PG_BIN.glob(f"*/bin/{name}")
        if (match := re.fullmatch(r"\d+", candidate.parent.parent.name))
    )
    if not versions:
        raise BackupError(
            f"{name} is not installed: install Debian's postgresql-client (of the server's "
            "major version or newer)"
        )
    return str(versions[-1][1])


def _run(command: Sequence[str], url: URL | None = None) -> None:
    """A PostgreSQL client program, connected to `url` when given."""
    program, *arguments = command
    full = [_tool(program), "--no-password", *arguments]
    environment = None
    if url is not None:
        conninfo, environment = _libpq(url)
        full.append(f"--dbname={conninfo}")
    done = subprocess.run(full, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{program} failed: {done.stderr.strip()}")
