"""The CDS Hooks HTTP API: discovery, the three services, feedback (FastAPI).

`make_router` gives an APIRouter to mount in a larger app; `create_app` one app serving it
alone:

    uvicorn --factory rlsiron.io.cdshooks.router:create_app --port 8010

Everything from outside is injected: `today` (the assessment day, so tests are
deterministic), the feedback store, and `new_client` (the httpx client for FHIR servers).
`create_app(cors_origins=...)` lets browser-based CDS clients (the CDS Hooks sandbox) call the
service from those origins only; the specification leaves CORS to the deployment.

Status codes: 200 with cards (possibly none); 400 for a body that is not JSON or breaks the
specification (cds-r-1 included), with every problem listed; 404 for an unknown service; 412
when prefetch keys are missing and there is no FHIR server to read them from. A FHIR server
that fails is an info card, never a 500.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from rlsiron import __version__
from rlsiron.core.validation import problems_of
from rlsiron.io.cdshooks.feedback import FeedbackRecord, FeedbackStore, InMemoryFeedbackStore
from rlsiron.io.cdshooks.fhir_client import new_http_client
from rlsiron.io.cdshooks.gather import PreconditionFailed
from rlsiron.io.cdshooks.hooks import Dependencies, answer
from rlsiron.io.cdshooks.models import REQUEST_MODELS, Discovery, FeedbackRequest, Service
from rlsiron.io.cdshooks.services import SERVICES

M = TypeVar("M", bound=BaseModel)


def make_router(
    *,
    today: Callable[[], dt.date] = dt.date.today,
    feedback: FeedbackStore | None = None,
    new_client: Callable[[], httpx.AsyncClient] = new_http_client,
) -> APIRouter:
    deps = Dependencies(today=today, new_client=new_client)
    store = feedback if feedback is not None else InMemoryFeedbackStore()
    router = APIRouter(tags=["CDS Hooks"])

    @router.get("/cds-services")
    def discovery() -> JSONResponse:
        return _json(Discovery(services=tuple(SERVICES.values())))

    # An unknown service id answers 404, as CDS Hooks clients expect; declared for the document.
    unknown: dict[int | str, dict[str, Any]] = {
        status.HTTP_404_NOT_FOUND: {"description": "No CDS service with this id."}
    }

    @router.post("/cds-services/{service_id}", responses=unknown)
    async def call(service_id: str, request: Request) -> JSONResponse:
        service = _service(service_id)
        body = await _body(request)
        hook_request = _validated(REQUEST_MODELS[service.hook], body, "CDS Hooks request")
        try:
            response = await answer(service, hook_request, deps)
        except PreconditionFailed as exc:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, str(exc)) from None
        return _json(response)

    @router.post("/cds-services/{service_id}/feedback", responses=unknown)
    async def give_feedback(service_id: str, request: Request) -> Response:
        service = _service(service_id)
        body = await _body(request)
        items = _validated(FeedbackRequest, body, "feedback").feedback
        records = [FeedbackRecord.of(service.id, item) for item in items]
        await anyio.to_thread.run_sync(store.add, records)
        return Response(status_code=status.HTTP_200_OK)

    return router


def create_app(
    *,
    today: Callable[[], dt.date] = dt.date.today,
    feedback: FeedbackStore | None = None,
    new_client: Callable[[], httpx.AsyncClient] = new_http_client,
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    """The CDS Hooks service alone, for uvicorn."""
    app = FastAPI(title="rlsiron CDS Hooks", version=__version__)
    app.include_router(make_router(today=today, feedback=feedback, new_client=new_client))
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app


def _json(model: BaseModel) -> JSONResponse:
    """The specification's JSON: camelCase names, optional fields omitted (never null)."""
    return JSONResponse(model.model_dump(mode="json", by_alias=True, exclude_none=True))


def _service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no CDS service {service_id!r}")
    return service


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the body is not JSON") from None


def _validated(model: type[M], body: Any, what: str) -> M:
    """The body as `model`, or 400 listing every problem (values received are not echoed:
    a request can carry an access token)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = [f"{p.location}: {p.message}" for p in problems_of(exc)]
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, {"message": f"invalid {what}", "problems": problems}
        ) from None
