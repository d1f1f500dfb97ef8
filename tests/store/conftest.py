"""Every storage test runs on SQLite (a file) and on a real PostgreSQL.

The PostgreSQL server is the project's own (`scripts/postgres.sh`: Debian's package, an
unprivileged user, loopback), started once per session only when a PostgreSQL test runs.
Each session works in databases of its own, dropped at the end, so two test runs on one
machine do not meet. Tests share one migrated database per backend and keep apart by
person: every test makes its own people (`helpers.make_person`), as the app's users are apart.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, make_url

from rlsiron.store import Database, migrate
from tests.store.helpers import REPO

POSTGRES_SCRIPT = REPO / "scripts" / "postgres.sh"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server() -> URL:
    done = subprocess.run(
        ["bash", str(POSTGRES_SCRIPT)], capture_output=True, text=True, check=False, timeout=900
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/postgres.sh failed ({done.returncode}):\n{done.stderr}")
    return make_url(done.stdout.strip().splitlines()[-1])


@contextmanager
def new_database(backend: str, directory: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty database of `backend`, removed afterwards."""
    if backend == "sqlite":
        yield str(directory / f"{uuid.uuid4().hex}.db")
        return
    server: URL = request.getfixturevalue("postgres_server")
    name = f"rlsiron_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def db(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Database]:
    """A migrated database of the backend, shared by the session's tests."""
    with new_database(backend, tmp_path_factory.mktemp("store"), request) as url:
        migrate(url)
        database = Database.open(url)
        yield database
        database.close()


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of the backend with nothing in it, for the migration tests."""
    with new_database(backend, tmp_path, request) as url:
        yield url
