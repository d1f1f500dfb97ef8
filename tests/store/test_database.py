"""Engines, connections and transactions on both databases."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rlsiron.store import LABS, Database, LabEntry, engine_for
from rlsiron.store import models as orm
from rlsiron.store.database import database_url
from tests.store.helpers import make_person


def test_sqlite_sets_wal_foreign_keys_and_a_busy_timeout_on_every_connection(
    tmp_path: Path,
) -> None:
    engine = engine_for(tmp_path / "deep" / "er" / "store.db")  # directories are made
    try:
        for _ in range(2):  # a new connection each time: the listener, not a one-off
            with engine.connect() as connection:
                pragma = connection.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA foreign_keys").scalar() == 1
                assert pragma("PRAGMA busy_timeout").scalar() > 0
            engine.pool.dispose()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db.example:5432/app", "postgresql+psycopg://u:***@db.example:5432/app"),
        ("postgres://u@db.example/app", "postgresql+psycopg://u@db.example/app"),
        ("postgresql+psycopg://u@h/app", "postgresql+psycopg://u@h/app"),
        ("sqlite:////var/lib/app.db", "sqlite:////var/lib/app.db"),
    ],
)
def test_a_url_as_hosting_services_give_it_gets_the_installed_driver(
    given: str, expected: str
) -> None:
    assert str(database_url(given)) == expected


def test_a_path_is_a_sqlite_file(tmp_path: Path) -> None:
    url = database_url(str(tmp_path / "store.db"))
    assert (url.drivername, url.database) == ("sqlite+pysqlite", str(tmp_path / "store.db"))


def test_a_transaction_that_fails_part_way_stores_nothing(db: Database) -> None:
    person = make_person(db)
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(orm.Condition(person_id=person.id, text="coeliac disease"))
        session.flush()  # written, not committed
        raise RuntimeError("the request failed after the first write")
    with db.reading() as session:
        count = select(func.count()).where(orm.Condition.person_id == person.id)
        assert session.scalar(count) == 0


def test_timestamps_come_back_in_utc(db: Database) -> None:
    created = make_person(db).created_at
    assert created.tzinfo == dt.UTC
    assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=5)


def test_concurrent_writers_queue_instead_of_failing(db: Database) -> None:
    person = make_person(db)

    def write(n: int) -> None:
        day = dt.date(2025, 1, 1) + dt.timedelta(days=n)
        LABS.add(db, person.id, LabEntry(test="ferritin", value=n + 1, unit="ug/L", date=day))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(24)))
    assert [lab.value for lab in LABS.all(db, person.id)] == list(range(1, 25))
