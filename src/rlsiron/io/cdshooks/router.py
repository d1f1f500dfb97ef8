"""The CDS Hooks HTTP API: discovery, the three services, feedback (FastAPI).

`make_router` gives an APIRouter to mount in a larger app; `create_app` one app serving it
alone:

    uvicorn --factory rlsiron.io.cdshooks.router:create_app --port 8010

Everything from outside is injected: `today` (the assessment day, so tests are
deterministic), the feedback store, and `new_client` (the httpx client for FHIR servers).
`create_app(cors_origins=...)` lets browser-based CDS clients (the CDS Hooks sandbox) call the
service from those origins only; the specification leaves CORS to the deployment.

Who may call: with `trust` (trust.py: the issuers and their keys), every endpoint, discovery
included, asks for the client's signed JWT, as the specification's security section says
("every single CDS Service call"), before anything else is looked at. Without it (the
laptop default) nothing is verified, and discovery says so in each service's usage
requirements. `fhir_servers` names the FHIR servers the service may read; None reads any
server a request names.

Status codes: 200 with cards (possibly none); 400 for a body that is not JSON or breaks the
specification (cds-r-1 included), with every problem listed; 401 for a call without a JWT
of a trusted client (the reason in the answer); 404 for an unknown service; 412 when
prefetch keys are missing and there is no FHIR server to read them from; 503 when a trusted
issuer's keys cannot be read. A FHIR server that fails, or one not allowed, is an info
card, never a 500.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Sequence
from typing import Any, Final, TypeVar

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
from rlsiron.io.cdshooks.gather import PreconditionFailed, server_base
from rlsiron.io.cdshooks.hooks import Dependencies, answer
from rlsiron.io.cdshooks.models import REQUEST_MODELS, Discovery, FeedbackRequest, Service
from rlsiron.io.cdshooks.services import SERVICES
from rlsiron.io.cdshooks.trust import ClientTrust, KeysUnavailable, Refused

M = TypeVar("M", bound=BaseModel)


_UNVERIFIED: Final = (
    " This deployment does not verify the CDS client's JWT: it answers any caller that reaches it."
)
_VERIFIED: Final = (
    " Every call, discovery included, carries a JWT signed by a CDS client this deployment "
    "trusts (CDS Hooks 2.0 security), for the endpoint called."
)


def make_router(
    *,
    today: Callable[[], dt.date] = dt.date.today,
    feedback: FeedbackStore | None = None,
    new_client: Callable[[], httpx.AsyncClient] = new_http_client,
    trust: ClientTrust | None = None,
    fhir_servers: Collection[str] | None = None,
) -> APIRouter:
    allowed = None if fhir_servers is None else frozenset(map(server_base, fhir_servers))
    deps = Dependencies(today=today, new_client=new_client, allowed_servers=allowed)
    store = feedback if feedback is not None else InMemoryFeedbackStore()
    router = APIRouter(tags=["CDS Hooks"])
    described = _discovery(verified=trust is not None)

    async def verified(request: Request, endpoint: str) -> None:
        """401 unless the call carries a trusted client's JWT for `endpoint` (when trusted
        clients are configured)."""
        if trust is None:
            return
        try:
            await trust.verify(request.headers.get("Authorization"), endpoint)
        except Refused as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                str(exc),
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None
        except KeysUnavailable as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None

    # Declared for the document: an unknown service id answers 404, as CDS Hooks clients
    # expect; a call without a trusted client's JWT 401.
    refusals: dict[int | str, dict[str, Any]] = {
        status.HTTP_404_NOT_FOUND: {"description": "No CDS service with this id."}
    }
    if trust is not None:
        refusals[status.HTTP_401_UNAUTHORIZED] = {"description": "No JWT of a trusted client."}

    @router.get("/cds-services")
    async def discovery(request: Request) -> JSONResponse:
        await verified(request, "")
        return _json(described)

    @router.post("/cds-services/{service_id}", responses=refusals)
    async def call(service_id: str, request: Request) -> JSONResponse:
        await verified(request, f"/{service_id}")
        service = _service(service_id)
        body = await _body(request)
        hook_request = _validated(REQUEST_MODELS[service.hook], body, "CDS Hooks request")
        try:
            response = await answer(service, hook_request, deps)
        except PreconditionFailed as exc:
            raise HTTPException(status.HTTP_412_PRECONDITION_FAILED, str(exc)) from None
        return _json(response)

    @router.post("/cds-services/{service_id}/feedback", responses=refusals)
    async def give_feedback(service_id: str, request: Request) -> Response:
        await verified(request, f"/{service_id}/feedback")
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
    trust: ClientTrust | None = None,
    fhir_servers: Collection[str] | None = None,
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    """The CDS Hooks service alone, for uvicorn."""
    app = FastAPI(title="rlsiron CDS Hooks", version=__version__)
    router = make_router(
        today=today,
        feedback=feedback,
        new_client=new_client,
        trust=trust,
        fhir_servers=fhir_servers,
    )
    app.include_router(router)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    return app


def _discovery(*, verified: bool) -> Discovery:
    """The services as this deployment offers them: whether callers are verified is part of
    each one's usage requirements, so an EHR's integrator reads it where they look."""
    note = _VERIFIED if verified else _UNVERIFIED
    services = tuple(
        service.model_copy(update={"usage_requirements": (service.usage_requirements or "") + note})
        for service in SERVICES.values()
    )
    return Discovery(services=services)


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
