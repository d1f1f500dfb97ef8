"""Error pages: what a person's browser shows for a page that is not there (404), a request
refused (403), a method a page does not take (405) and a failure (500), in the layout,
with the error's own status code.

Problem details (`web.problems`) stay the answer for everything else: the JSON API
(`/api/...`), the CDS Hooks service (`/cds-services...`), and any request that does not
ask for HTML before JSON. Browsers navigating to a page send `Accept: text/html,...`;
`fetch()`, curl and httpx send `*/*`, which asks for nothing in particular and keeps the
problem JSON, so a script never has to parse a page. A signed-in reader keeps the
navigation (and a link to the dashboard); others get a link to sign in. The 500 page
reads nothing from the database, which may be what failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

from fastapi import FastAPI, Request, status
from fastapi.responses import Response

from rlsiron.web.deps import app_state
from rlsiron.web.pages.templating import page, reader_csrf
from rlsiron.web.problems import MEDIA_TYPE, serve_error_pages

TEMPLATE: Final = "error.html.j2"
HTML: Final = "text/html"
_NOT_PAGES: Final = ("/api/", "/cds-services")
_API: Final = "/api"
_JSON: Final = ("application/json", MEDIA_TYPE)


@dataclass(frozen=True, slots=True)
class Wording:
    title: str
    explanation: str


WORDING: Final[Mapping[int, Wording]] = {
    status.HTTP_403_FORBIDDEN: Wording(
        "Not allowed",
        "The app refused this request. To protect your account, a form is accepted only "
        "from this site's own page and within your session: go back, reload the page and "
        "try again.",
    ),
    status.HTTP_404_NOT_FOUND: Wording(
        "Page not found",
        "There is no page at this address, or it is not one you can see. Check the "
        "address, or start again from one of the links below.",
    ),
    status.HTTP_405_METHOD_NOT_ALLOWED: Wording(
        "This page cannot do that",
        "The page exists, but not for this kind of request. Open it from a link or "
        "its address instead.",
    ),
    status.HTTP_500_INTERNAL_SERVER_ERROR: Wording(
        "Something went wrong",
        "The app could not answer this request: the fault is on the app's side, and it has "
        "been logged. Please try again in a moment.",
    ),
}


def _qualities(accept: str) -> dict[str, float]:
    """Each media range of an Accept header with its weight (RFC 9110 section 12.5.1)."""
    found: dict[str, float] = {}
    for item in accept.split(","):
        media, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        found[media.lower()] = max(weight, found.get(media.lower(), 0.0))
    return found


def wants_page(request: Request) -> bool:
    """A page request: not the API's or the CDS service's, asking for HTML by name, at
    least as much as for JSON."""
    path = request.url.path
    if path == _API or path.startswith(_NOT_PAGES):
        return False
    weights = _qualities(request.headers.get("accept", ""))
    html = weights.get(HTML, 0.0)
    return html > 0 and html >= max(weights.get(kind, 0.0) for kind in _JSON)


def error_page(
    request: Request, code: int, detail: str | None, headers: Mapping[str, str] | None
) -> Response | None:
    """The page for `code`, or None (problem details) for another status or a request that
    is not a page request. The detail is shown when it says more than the status does."""
    wording = WORDING.get(code)
    if wording is None or not wants_page(request):
        return None
    failed = code == status.HTTP_500_INTERNAL_SERVER_ERROR
    context = {
        "title": wording.title,
        "explanation": wording.explanation,
        "detail": None if failed or detail == HTTPStatus(code).phrase else detail,
        "status": code,
    }
    csrf = None if failed else reader_csrf(request, app_state(request))
    response = page(request, TEMPLATE, context, csrf=csrf, status_code=code)
    response.headers.update(headers or {})
    return response


def install(app: FastAPI) -> None:
    """Browsers get these pages for errors; everything else keeps problem details."""
    serve_error_pages(app, error_page)
