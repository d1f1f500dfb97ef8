"""/health says the process answers; /ready that its database answers at the schema's head.

Run on SQLite and on a real PostgreSQL. The faults are real: a database taken one migration
back, and a PostgreSQL database dropped under the running app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url

from rlsiron.store import downgrade, migrate
from rlsiron.web.health import schema_head
from tests.store.conftest import new_database
from tests.web.conftest import Clock, Visitor, make_app, problem


def test_health_and_ready_answer_ok_outside_the_api_document(any_url: str, tmp_path: Path) -> None:
    app = make_app(any_url, tmp_path, Clock())
    visitor = Visitor(app)
    for path in ("/health", "/ready"):
        response = visitor.call("GET", path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
    document = visitor.call("GET", "/api/v1/openapi.json").json()
    assert not {"/health", "/ready"} & set(document["paths"])
    app.state.rlsiron.db.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_behind_the_code_is_not_ready_until_migrated(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with new_database(backend, tmp_path, request) as url:
        app = make_app(url, tmp_path, Clock())  # migrates to head
        head = schema_head()
        assert head is not None
        downgrade(url, "0003")
        body = problem(Visitor(app).call("GET", "/ready"), 503)
        assert body["detail"].startswith(
            f"the database schema is at migration 0003, this release expects {head}"
        )
        assert Visitor(app).call("GET", "/health").status_code == 200  # alive all the same
        migrate(url)
        assert Visitor(app).call("GET", "/ready").status_code == 200
        app.state.rlsiron.db.close()


def test_a_database_that_is_gone_is_not_ready_and_the_answer_names_no_server(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with new_database("postgresql", tmp_path, request) as url:
        app = make_app(url, tmp_path, Clock())
        assert Visitor(app).call("GET", "/ready").status_code == 200
        target = make_url(url)
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{target.database}" WITH (FORCE)')
            response = Visitor(app).call("GET", "/ready")
            body = problem(response, 503)
            assert body["detail"] == "the database does not answer (OperationalError)"
            for secret in (target.host, target.username, target.database, target.password):
                assert str(secret) not in response.text
            connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')  # to be dropped
        admin.dispose()
        app.state.rlsiron.db.close()
