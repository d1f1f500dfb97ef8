"""The patient's record for one hook call: what the client prefetched, the FHIR server for the rest.

The specification's rules, key by key:

- a key sent with a resource or a Bundle is used as sent; a Bundle with a `next` link was
  paginated by the client and its other pages are read from the FHIR server;
- a key sent as null means the client has no data for it ("the prefetch template key MUST have
  a value of null"): an empty result, not a reason to ask again;
- a key sent as an OperationOutcome (or a Bundle holding an error one) failed at the client,
  which says so "to prevent the CDS Service from incurring an unneeded follow-up query": it is
  reported, not fetched again;
- a key not sent is fetched from `fhirServer` with the bearer token of `fhirAuthorization`;
  without both, the service "SHALL respond with an HTTP 412" (`PreconditionFailed`).

A deployment may name the FHIR servers it reads (`allowed_servers`): a request naming
another is answered from its prefetch alone, and what needed the server is unavailable.
The access token is never sent to a server off the list: whoever can call the service
could otherwise make it send requests wherever they like.

Whatever could not be had is an `Unavailable` naming the key, the query and the reason. So is
a key whose resources belong to another patient than the context's: mixing two people's
results is worse than having none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, NoReturn

import httpx

from rlsiron.io.cdshooks.fhir_client import FetchError, FhirClient, outcome_error, read_page
from rlsiron.io.cdshooks.models import HookRequest
from rlsiron.io.cdshooks.services import query
from rlsiron.io.fhir_fields import Resource


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A prefetch key whose data could not be had, and why."""

    key: str
    query: str
    reason: str


@dataclass(frozen=True, slots=True)
class Record:
    """The resources gathered for the patient, and what could not be gathered."""

    resources: tuple[Resource, ...]
    unavailable: tuple[Unavailable, ...]


class PreconditionFailed(Exception):
    """Prefetch keys are missing and there is no FHIR server to read them from (HTTP 412)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = tuple(keys)
        super().__init__(
            f"prefetch lacks {', '.join(self.keys)} and the request gives no fhirServer with "
            "fhirAuthorization to read them from"
        )


@dataclass(frozen=True, slots=True)
class _NoServer:
    """Stands for the FHIR server when there is none to read: every read fails, saying why."""

    reason: str

    async def search(self, _relative: str) -> NoReturn:
        raise FetchError(self.reason)

    async def rest(self, _next_url: str | None, _relative: str) -> NoReturn:
        raise FetchError(f"the client sent the first page only; {self.reason}")


def server_base(url: str) -> str:
    """A FHIR server's base URL as the allow-list compares it (no trailing slash)."""
    return url.rstrip("/")


async def gather_record(
    request: HookRequest,
    templates: Mapping[str, str],
    new_client: Callable[[], httpx.AsyncClient],
    allowed_servers: Collection[str] | None = None,
) -> Record:
    """Every prefetch key of the service, read concurrently; raises `PreconditionFailed`.

    `allowed_servers` (base URLs as `server_base` gives them), when given, are the only
    FHIR servers read."""
    prefetch = request.prefetch or {}
    server, authorization = request.fhir_server, request.fhir_authorization
    missing = [key for key in templates if key not in prefetch]
    if missing and (server is None or authorization is None):
        raise PreconditionFailed(missing)
    patient_id = request.context.patient_id
    async with AsyncExitStack() as stack:
        fhir: FhirClient | _NoServer
        if server is None or authorization is None:
            fhir = _NoServer("the request names no FHIR server to read it from")
        elif allowed_servers is not None and server_base(server) not in allowed_servers:
            fhir = _NoServer(f"the FHIR server {server} is not one this service is set to read")
        else:
            http = await stack.enter_async_context(new_client())
            fhir = FhirClient(http, server, authorization.access_token)
        found = await asyncio.gather(
            *(
                _one(key, query(template, patient_id), prefetch, fhir, patient_id)
                for key, template in templates.items()
            )
        )
    resources = tuple(r for part in found if not isinstance(part, Unavailable) for r in part)
    return Record(resources, tuple(part for part in found if isinstance(part, Unavailable)))


async def _one(
    key: str,
    relative: str,
    prefetch: Mapping[str, Any],
    fhir: FhirClient | _NoServer,
    patient_id: str,
) -> tuple[Resource, ...] | Unavailable:
    try:
        if key in prefetch:
            resources = await _prefetched(prefetch[key], relative, fhir)
        else:
            resources = await fhir.search(relative)
        _same_patient(resources, patient_id)
    except FetchError as exc:
        return Unavailable(key, relative, str(exc))
    return resources


async def _prefetched(
    value: object, relative: str, fhir: FhirClient | _NoServer
) -> tuple[Resource, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not isinstance(value.get("resourceType"), str):
        raise FetchError("the prefetched value is not a FHIR resource")
    if value["resourceType"] != "Bundle":
        error = outcome_error(value)
        if error is not None:
            raise FetchError(f"the client could not prefetch it: {error}")
        return (value,)
    page = read_page(value)
    if page.next_url is None:
        return page.resources
    return page.resources + await fhir.rest(page.next_url, relative)


def _same_patient(resources: Iterable[Resource], patient_id: str) -> None:
    for resource in resources:
        other = _patient_of(resource)
        if other is not None and other != patient_id:
            raise FetchError(f"it holds data of another patient (Patient/{other}): none of it used")


def _patient_of(resource: Resource) -> str | None:
    """The id of the patient a resource is about, when it names one by a Patient reference."""
    if resource.get("resourceType") == "Patient":
        own = resource.get("id")
        return own if isinstance(own, str) else None
    for field in ("subject", "patient"):
        reference = resource.get(field)
        text = reference.get("reference") if isinstance(reference, Mapping) else None
        if isinstance(text, str):
            parts = text.split("/")
            for index, part in enumerate(parts[:-1]):
                if part == "Patient":
                    return parts[index + 1]
    return None
