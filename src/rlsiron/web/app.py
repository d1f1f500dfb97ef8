"""The personal app: `create_app(settings)` builds it, ready for uvicorn.

    uvicorn --factory rlsiron.web.app:create_app       # settings from the environment

It migrates the database (`store.migrate`) as it is built, so a new data directory or an
older database is at head before the first request; serves the JSON API at `/api/v1` (its
OpenAPI document at `/api/v1/openapi.json`), the CDS Hooks service at `/cds-services` and
the pages (`web.pages`: HTML, with their static files at `/static`);
answers every error as problem details; logs who read or changed a patient's record
(`web.audit`); and puts the security headers on every response.
FastAPI's interactive docs are off: they load scripts from a CDN and run inline script,
which the Content-Security-Policy forbids. The clock (`today`, `now`) and the password
hasher are injected, so tests are deterministic and fast; nothing else is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Final

from argon2 import PasswordHasher
from fastapi import FastAPI

from rlsiron import __version__
from rlsiron.core.models import AssessmentInput
from rlsiron.io.cdshooks.router import make_router
from rlsiron.io.cdshooks.trust import ClientTrust
from rlsiron.store import Database, migrate
from rlsiron.store.column_types import utc_now
from rlsiron.store.token_ids import DatabaseReplayGuard
from rlsiron.web import audit, health
from rlsiron.web.api import api_router
from rlsiron.web.deps import AppState
from rlsiron.web.headers import SecurityHeaders
from rlsiron.web.kept import Kept
from rlsiron.web.logs import RequestLog
from rlsiron.web.openapi import install_openapi
from rlsiron.web.pages import install_pages
from rlsiron.web.passwords import Passwords
from rlsiron.web.problems import install_problem_handlers
from rlsiron.web.ratelimit import FailureLimiter
from rlsiron.web.settings import Settings

API: Final = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    today: Callable[[], dt.date] = dt.date.today,
    now: Callable[[], dt.datetime] = utc_now,
    hasher: PasswordHasher | None = None,
) -> FastAPI:
    chosen = settings or Settings()
    migrate(chosen.database())
    state = AppState(
        settings=chosen,
        db=Database.open(chosen.database()),
        key=chosen.signing_key(),
        today=today,
        now=now,
        passwords=Passwords(hasher),
        failures_by_email=FailureLimiter(chosen.login_failures_per_email, chosen.login_window),
        failures_by_address=FailureLimiter(chosen.login_failures_per_address, chosen.login_window),
        standings=Kept(chosen.people_kept),
        replays=Kept(chosen.people_kept),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.db.close()

    app = FastAPI(
        title="rlsiron",
        version=__version__,
        description="Decision support for iron in restless legs syndrome: the personal app.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.rlsiron = state
    app.include_router(api_router(), prefix=API)
    app.include_router(
        make_router(
            today=today,
            trust=ClientTrust.configured(
                chosen.cds_issuers,
                chosen.cds_public_url,
                replay=DatabaseReplayGuard(state.db),  # shared by every worker process
            ),
            fhir_servers=chosen.cds_fhir_servers,
        )
    )
    app.include_router(health.router)
    install_pages(app)
    install_problem_handlers(app)
    install_openapi(app, (AssessmentInput,))
    audit.install(app, state.db)
    app.add_middleware(SecurityHeaders, tls=chosen.tls)
    app.add_middleware(RequestLog)  # outermost: it times every answer
    return app
