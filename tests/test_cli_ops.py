"""`rlsiron backup` and `rlsiron restore` pick the database as `rlsiron serve` does.

SQLite through `--data-dir`, PostgreSQL through `DATABASE_URL` (which wins, as for serve).
The mechanics are tested in tests/store/test_backup.py; here the options, the messages and
the exit statuses.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from rlsiron import cli
from rlsiron.store import LABS, Database, LabEntry, migrate
from rlsiron.web.settings import Settings
from tests.store.conftest import new_database, postgres_server
from tests.store.helpers import make_person

__all__ = ["postgres_server"]

runner = CliRunner()


def run(*args: str, database_url: str | None = None) -> Result:
    return runner.invoke(cli.app, list(args), env={"DATABASE_URL": database_url})


def person_with_a_result(target: str) -> int:
    migrate(target)
    db = Database.open(target)
    person = make_person(db)
    LABS.add(
        db, person.id, LabEntry(test="ferritin", value=38, unit="ug/L", date=dt.date(2026, 1, 10))
    )
    db.close()
    return person.id


def results_of(target: str, person_id: int) -> list[object]:
    db = Database.open(target)
    try:
        return [lab.value for lab in LABS.all(db, person_id)]
    finally:
        db.close()


def test_backup_and_restore_of_the_data_directorys_sqlite(tmp_path: Path) -> None:
    served, spare = tmp_path / "served", tmp_path / "spare"
    person = person_with_a_result(Settings(data_dir=served).database())
    archive = tmp_path / "backups" / "rlsiron.sqlite"

    done = run("backup", str(archive), "--data-dir", str(served))
    assert done.exit_code == 0, done.output
    assert f"SQLite database backed up to {archive}" in done.output

    done = run("restore", str(archive), "--data-dir", str(spare))
    assert done.exit_code == 0, done.output
    assert f"{archive} restored into the SQLite database" in done.output
    assert results_of(Settings(data_dir=spare).database(), person) == [38]

    again = run("restore", str(archive), "--data-dir", str(spare))
    assert again.exit_code == 2
    assert "rlsiron: the database holds data" in again.output
    forced = run("restore", str(archive), "--data-dir", str(spare), "--force")
    assert forced.exit_code == 0, forced.output


def test_database_url_chooses_postgresql_as_serve_does(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    archive = tmp_path / "rlsiron.dump"
    with new_database("postgresql", tmp_path, request) as url:
        person = person_with_a_result(url)
        done = run("backup", str(archive), "--data-dir", str(tmp_path), database_url=url)
        assert done.exit_code == 0, done.output
        assert "PostgreSQL database backed up" in done.output
        assert archive.read_bytes().startswith(b"PGDMP")
        assert not (tmp_path / "rlsiron.db").exists()  # the data directory was not used
    with new_database("postgresql", tmp_path, request) as fresh:
        done = run("restore", str(archive), database_url=fresh)
        assert done.exit_code == 0, done.output
        assert results_of(fresh, person) == [38]


def test_a_missing_backup_is_a_clear_error(tmp_path: Path) -> None:
    done = run("restore", str(tmp_path / "nothing.dump"), "--data-dir", str(tmp_path))
    assert done.exit_code == 2
    assert f"rlsiron: no backup at {tmp_path / 'nothing.dump'}" in done.output
