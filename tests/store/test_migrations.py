"""Alembic migrations: up and down on both databases, and in step with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from rlsiron.store import (
    Database,
    DisplaySettings,
    downgrade,
    engine_for,
    find_account,
    get_person,
    migrate,
    revision,
    set_settings,
)
from rlsiron.store.database import writing
from rlsiron.store.migrate import MIGRATIONS, alembic_config
from rlsiron.store.models import Base

STORE_TABLES = set(Base.metadata.tables)
HEAD = "0005"


def _state(url: str) -> tuple[set[str], str | None]:
    """The tables and the revision the database is at."""
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
            return set(inspect(connection).get_table_names()), revision
    finally:
        engine.dispose()


def test_migrations_go_up_and_down_and_up_again(empty_url: str) -> None:
    migrate(empty_url)
    assert _state(empty_url) == (STORE_TABLES | {"alembic_version"}, HEAD)
    migrate(empty_url)  # at head already: nothing to do
    downgrade(empty_url)
    assert _state(empty_url) == ({"alembic_version"}, None)
    migrate(empty_url)
    assert _state(empty_url)[1] == HEAD


def test_people_of_an_older_database_keep_their_rows_and_start_at_revision_0(
    empty_url: str,
) -> None:
    migrate(empty_url, "0002")
    engine = engine_for(empty_url)
    try:
        with writing(engine) as connection:
            connection.execute(
                text(
                    "INSERT INTO people (email, password_hash, created_at, units, profile, "
                    "iron_symptoms) VALUES ('old@example.org', 'x', '2026-01-01 00:00:00', "
                    "'si', 'aasm-2024', '[]')"
                )
            )
    finally:
        engine.dispose()
    migrate(empty_url)
    db = Database.open(empty_url)
    try:
        person = find_account(db, "old@example.org")
        assert person is not None
        assert revision(db, person.id) == 0
        set_settings(db, person.id, DisplaySettings(units="conventional"))
        assert revision(db, person.id) == 1
        assert get_person(db, person.id).settings.units == "conventional"
    finally:
        db.close()
    downgrade(empty_url, "0002")
    assert _state(empty_url)[1] == "0002"


def test_the_migrations_build_exactly_the_models_tables(empty_url: str) -> None:
    migrate(empty_url)
    engine = engine_for(empty_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_the_scripts_are_one_line_of_revisions_inside_the_package(empty_url: str) -> None:
    assert (MIGRATIONS / "script.py.mako").is_file()  # needed to write the next revision
    engine = engine_for(empty_url)
    try:
        with writing(engine) as connection:
            scripts = ScriptDirectory.from_config(alembic_config(connection))
    finally:
        engine.dispose()
    assert scripts.get_heads() == [HEAD]
    assert [s.revision for s in scripts.walk_revisions()] == [HEAD, "0004", "0003", "0002", "0001"]
