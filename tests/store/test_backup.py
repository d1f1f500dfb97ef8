"""Backup and restore on SQLite (the backup API) and PostgreSQL (pg_dump / pg_restore).

Each test has databases of its own. The story the issue asks for: data written, a backup,
more written, the backup restored: the data are as at the backup, every table's rows and
the person's whole export. Around it: a backup taken while another thread writes is
consistent; a database holding data is replaced only when forced; a backup of the other
backend or a damaged one is refused before anything is touched; an older schema's backup
comes back migrated to head.
"""

from __future__ import annotations

import datetime as dt
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, table, text

from rlsiron.store import (
    LABS,
    Database,
    LabEntry,
    create_organisation,
    create_share_code,
    export,
    migrate,
    redeem_share_code,
    revision,
)
from rlsiron.store.backup import BackupError, backup, holds_data, restore
from rlsiron.store.database import engine_for
from rlsiron.web.health import schema_head
from tests.store.conftest import new_database
from tests.store.helpers import make_person

DAY = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def ferritin(value: float, day: int = 1) -> LabEntry:
    return LabEntry(test="ferritin", value=value, unit="ug/L", date=dt.date(2026, 1, day))


def row_counts(url: str) -> dict[str, int]:
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {
                name: connection.scalar(select(func.count()).select_from(table(name))) or 0
                for name in names
            }
    finally:
        engine.dispose()


def schema_revision(url: str) -> str | None:
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()


def test_a_restore_brings_back_the_data_as_at_the_backup(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with new_database(backend, tmp_path, request) as url:
        migrate(url)
        db = Database.open(url)
        anna = make_person(db)
        LABS.add(db, anna.id, ferritin(38))
        LABS.add(db, anna.id, ferritin(22, day=2))
        clinic = create_organisation(db, "Sleep clinic", first_admin=make_person(db).id)
        code = create_share_code(db, anna.id, now=NOW, lifetime=dt.timedelta(days=1))
        redeem_share_code(db, code, clinic.id, now=NOW, address="203.0.113.7")
        at_backup = export(db, anna.id, DAY)
        revision_at_backup = revision(db, anna.id)
        counts = row_counts(url)
        assert counts["audit_events"] >= 1 and counts["lab_results"] == 2

        archive = tmp_path / "rlsiron.backup"
        assert backup(url, archive) == backend
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # health records: owner only

        LABS.add(db, anna.id, ferritin(55, day=3))
        make_person(db)
        db.close()
        with pytest.raises(BackupError, match="holds data"):
            restore(url, archive)
        restore(url, archive, force=True)

        assert row_counts(url) == counts
        db = Database.open(url)
        assert export(db, anna.id, DAY) == at_backup
        assert revision(db, anna.id) == revision_at_backup
        db.close()


def test_a_backup_restores_into_a_new_empty_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    archive = tmp_path / "rlsiron.backup"
    with new_database(backend, tmp_path, request) as url:
        migrate(url)
        db = Database.open(url)
        anna = make_person(db)
        LABS.add(db, anna.id, ferritin(38))
        at_backup = export(db, anna.id, DAY)
        db.close()
        backup(url, archive)
        counts = row_counts(url)
    with new_database(backend, tmp_path, request) as fresh:
        if backend == "sqlite":
            assert not Path(fresh).exists()  # a database not made yet counts as empty
        assert not holds_data(fresh)
        restore(fresh, archive)
        assert row_counts(fresh) == counts
        db = Database.open(fresh)
        assert export(db, anna.id, DAY) == at_backup
        db.close()


def test_a_backup_taken_while_writes_go_on_is_consistent(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every write moves the person's revision on with its row, in one transaction: in a
    consistent copy the revision equals the number of results (facts were set once)."""
    with new_database(backend, tmp_path, request) as url:
        migrate(url)
        db = Database.open(url)
        anna = make_person(db)
        stop, started = threading.Event(), threading.Event()

        def write() -> None:
            value = 10
            while not stop.is_set():
                LABS.add(db, anna.id, ferritin(value))
                value += 1
                if value == 15:
                    started.set()

        writer = threading.Thread(target=write)
        writer.start()
        try:
            assert started.wait(30)
            archives = [tmp_path / f"during-{n}.backup" for n in range(3)]
            for archive in archives:
                backup(url, archive)
        finally:
            stop.set()
            writer.join()
        written = len(LABS.all(db, anna.id))
        db.close()
        seen = set()
        for number, archive in enumerate(archives):
            with new_database(backend, tmp_path / str(number), request) as copy:
                restore(copy, archive)
                copied = Database.open(copy)
                results = len(LABS.all(copied, anna.id))
                assert revision(copied, anna.id) == results + 1
                copied.close()
                seen.add(results)
        assert min(seen) >= 5 and max(seen) <= written


def test_the_wrong_kind_of_backup_or_a_damaged_one_is_refused_untouched(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with new_database("sqlite", tmp_path, request) as sqlite_url:
        migrate(sqlite_url)
        sqlite_backup = tmp_path / "sqlite.backup"
        backup(sqlite_url, sqlite_backup)
        with new_database("postgresql", tmp_path, request) as pg_url:
            migrate(pg_url)
            db = Database.open(pg_url)
            make_person(db)
            db.close()
            before = row_counts(pg_url)
            with pytest.raises(BackupError, match="is a sqlite backup and the app's database"):
                restore(pg_url, sqlite_backup, force=True)
            pg_backup = tmp_path / "pg.backup"
            backup(pg_url, pg_backup)
            with pytest.raises(BackupError, match="is a postgresql backup"):
                restore(sqlite_url, pg_backup)
            damaged = tmp_path / "damaged.backup"
            damaged.write_bytes(pg_backup.read_bytes()[: pg_backup.stat().st_size // 2])
            with pytest.raises(BackupError, match="pg_restore failed"):
                restore(pg_url, damaged, force=True)
            assert row_counts(pg_url) == before  # nothing was dropped
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello", encoding="utf-8")
    with pytest.raises(BackupError, match="neither a SQLite database nor a pg_dump"):
        restore(str(tmp_path / "x.db"), not_a_backup)
    with pytest.raises(BackupError, match="no database at"):
        backup(str(tmp_path / "missing.db"), tmp_path / "out.backup")
    assert not (tmp_path / "out.backup").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_an_older_schemas_backup_is_migrated_to_head_on_restore(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    archive = tmp_path / "old.backup"
    with new_database(backend, tmp_path, request) as url:
        migrate(url, "0003")
        backup(url, archive)
    with new_database(backend, tmp_path, request) as fresh:
        migrate(fresh)  # the app started once on it: tables, no rows
        assert not holds_data(fresh)
        restore(fresh, archive)
        assert schema_revision(fresh) == schema_head()


def test_a_backup_is_replaced_whole_and_never_left_half_written(tmp_path: Path) -> None:
    url = str(tmp_path / "app.db")
    migrate(url)
    archive = tmp_path / "nightly.backup"
    archive.write_text("yesterday's", encoding="utf-8")
    archive.chmod(0o644)
    backup(url, archive)
    assert archive.read_bytes().startswith(b"SQLite format 3\x00")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert not (tmp_path / "nightly.backup-wal").exists()
