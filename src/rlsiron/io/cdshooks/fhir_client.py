"""Reading the CDS client's FHIR server with the bearer token it gave (httpx).

Used for the prefetch keys a client did not send, and for the further pages of a paginated
Bundle. Every failure becomes a `FetchError` whose message says what went wrong in words a
clinician's IT team can act on (status, timeout, not JSON); the caller turns it into an info
card, never a 500.

The token goes only to the client's own server: redirects are not followed and a Bundle's
`next` link is followed only when it lies under the same base URL. The token itself is never
put into a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx
from pydantic import SecretStr

from rlsiron.io.fhir_fields import Resource

# The specification asks services to answer in about half a second; a FHIR server that has not
# answered within this many seconds is reported as unavailable.
TIMEOUT_SECONDS: Final = 2.5
# A search whose results need more pages than this is reported, not read in part.
MAX_PAGES: Final = 25


class FetchError(Exception):
    """A query that could not be answered; the message is shown on a card."""


def new_http_client() -> httpx.AsyncClient:
    """The default client: a short timeout, no redirects (they could carry the token away)."""
    return httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)


@dataclass(frozen=True, slots=True)
class Page:
    """The resources of one Bundle page, and the URL of the next page if there is one."""

    resources: tuple[Resource, ...]
    next_url: str | None


def outcome_error(resource: Resource) -> str | None:
    """What an OperationOutcome reports as an error or fatal issue, else None.

    The specification asks clients to send OperationOutcomes for prefetch queries that failed,
    and services to look for them.
    """
    if resource.get("resourceType") != "OperationOutcome":
        return None
    texts = [
        str(
            issue.get("diagnostics")
            or (issue.get("details") or {}).get("text")
            or issue.get("code", "error")
        )
        for issue in resource.get("issue", ())
        if isinstance(issue, Mapping) and issue.get("severity") in ("error", "fatal")
    ]
    return "; ".join(texts) if texts else None


def read_page(bundle: Resource) -> Page:
    """The matched resources of a searchset page; an error OperationOutcome raises FetchError.

    Informational OperationOutcomes (search mode "outcome", severity warning) are dropped.
    """
    resources: list[Resource] = []
    for entry in bundle.get("entry", ()):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            continue
        error = outcome_error(resource)
        if error is not None:
            raise FetchError(f"OperationOutcome: {error}")
        if resource.get("resourceType") != "OperationOutcome":
            resources.append(resource)
    next_url = next(
        (
            str(link["url"])
            for link in bundle.get("link", ())
            if isinstance(link, Mapping) and link.get("relation") == "next" and link.get("url")
        ),
        None,
    )
    return Page(tuple(resources), next_url)


class FhirClient:
    """One CDS request's access to the client's FHIR server."""

    def __init__(self, http: httpx.AsyncClient, server: str, token: SecretStr) -> None:
        self._http = http
        self._base = server.rstrip("/") + "/"
        self._token = token

    async def search(self, relative: str) -> tuple[Resource, ...]:
        """The resources a read (`Patient/1`) or a search (`Observation?...`) answers."""
        answer = await self._get(self._base + relative, relative)
        if answer.get("resourceType") != "Bundle":
            error = outcome_error(answer)
            if error is not None:
                raise FetchError(f"OperationOutcome: {error}")
            return (answer,)
        page = read_page(answer)
        return page.resources + await self.rest(page.next_url, relative)

    async def rest(self, next_url: str | None, relative: str) -> tuple[Resource, ...]:
        """The resources of the pages after the first, following `next` links."""
        found: list[Resource] = []
        pages = 1
        while next_url is not None:
            if not next_url.startswith(self._base):
                raise FetchError("the next page of the results is on another server: not read")
            pages += 1
            if pages > MAX_PAGES:
                raise FetchError(f"the results take more than {MAX_PAGES} pages: not read")
            page = read_page(await self._get(next_url, relative))
            found += page.resources
            next_url = page.next_url
        return tuple(found)

    async def _get(self, url: str, relative: str) -> Mapping[str, Any]:
        headers = {
            "Accept": "application/fhir+json",
            "Authorization": f"Bearer {self._token.get_secret_value()}",
        }
        try:
            response = await self._http.get(url, headers=headers)
        except httpx.TimeoutException:
            raise FetchError("the FHIR server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise FetchError(
                f"the FHIR server could not be reached ({type(exc).__name__})"
            ) from None
        if response.status_code != httpx.codes.OK:
            phrase = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            if response.status_code == httpx.codes.UNAUTHORIZED:
                phrase += " (the access token was refused)"
            raise FetchError(f"the FHIR server answered {phrase}")
        try:
            answer = response.json()
        except ValueError:
            raise FetchError("the FHIR server's answer is not JSON") from None
        if not isinstance(answer, Mapping) or not isinstance(answer.get("resourceType"), str):
            raise FetchError(f"the FHIR server's answer to {relative} is not a FHIR resource")
        return answer
