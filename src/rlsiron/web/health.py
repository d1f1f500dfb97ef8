"""Health and readiness for load balancers and orchestrators, outside the API.

`GET /health` says the process answers (liveness: restart it if not); it touches nothing
else, so a slow database never gets a healthy process restarted. `GET /ready` says the
process can serve (readiness: send it traffic): the database answers and its schema is
at the migration head this code expects. A database left behind (a restore of an older
backup not yet migrated) or ahead (an older release started against a newer schema) is
not ready, since every query could fail or mislead.

Neither answer holds personal data, nor the database's address or error text (a failed
connection's message names host and user): only which check failed. They stay out of the
OpenAPI document (they are the deployment's, not the API's) and are logged below the
default level (`web.logs`), so a probe every few seconds does not fill the log.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from rlsiron.store.migrate import MIGRATIONS
from rlsiron.web.deps import StateDep
from rlsiron.web.problems import problem_response

PATHS: Final = frozenset({"/health", "/ready"})
_OK: Final = {"status": "ok"}

router = APIRouter(include_in_schema=False)


@cache
def schema_head() -> str | None:
    """The newest migration of this code (read once: the scripts do not change while it runs)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


@router.get("/health")
async def health() -> JSONResponse:
    return JSONResponse(_OK)


@router.get("/ready")
def ready(state: StateDep) -> Response:
    try:
        with state.db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        detail = f"the database does not answer ({type(exc).__name__})"
        return problem_response(status.HTTP_503_SERVICE_UNAVAILABLE, detail)
    expected = schema_head()
    if current != expected:
        detail = (
            f"the database schema is at migration {current or 'none'}, this release expects "
            f"{expected}: migrate it (the app migrates on start; a restore migrates too)"
        )
        return problem_response(status.HTTP_503_SERVICE_UNAVAILABLE, detail)
    return JSONResponse(_OK)
