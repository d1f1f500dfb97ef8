"""Every error as RFC 9457 problem details (`application/problem+json`).

An engine error (`RlsironError`) is 422 with `errors`: each problem as `Problem.as_dict()`,
the shape the CLI prints (location, kind, message, received, accepted, hint). FastAPI's own
request parsing fails in the same shape: its pydantic errors become the engine's problems
(`problems_of`), located as the contract locates them (`labs[0].unit` for the body,
`query.as_of` for a query parameter). A value received for a password is never echoed.
`type` is always "about:blank" (RFC 9457 section 4.2.1): the status says what kind of
problem it is, and `title` is the status's phrase.

A person's browser should not be shown JSON: the pages hand in an `ErrorPage`
(`serve_error_pages`, called by `web.pages.errors`), which answers an HTTP error, a
record not found or a failure with an HTML page when the request is a page request, and
declines otherwise, so the API and the CDS Hooks service keep problem details. The
pages decide which requests are theirs; this module only asks them first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final, Protocol

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException

from rlsiron.core.validation import problems_of
from rlsiron.errors import Problem, RlsironError
from rlsiron.store import EmailTakenError, NotFoundError

MEDIA_TYPE: Final = "application/problem+json"
_SECRET_FIELDS: Final = frozenset({"password"})
_BODY: Final = "body."
_ERROR_PAGE: Final = "error_page"  # the attribute of app.state that holds it


class ErrorPage(Protocol):
    """An HTML page for an error, or None when the request is not a page request."""

    def __call__(
        self, request: Request, code: int, detail: str | None, headers: Mapping[str, str] | None
    ) -> Response | None: ...


class ProblemItem(BaseModel):
    """One problem of the input, as the engine reports it (`Problem.as_dict()`)."""

    location: str = Field(description='Where: "labs[0].unit", "person.sex", "query.as_of".')
    kind: str = Field(description="invalid, unknown_test, unit, value_format, ...")
    message: str
    received: Any = Field(default=None, description="The value received, when there was one.")
    accepted: list[str] | None = None
    hint: str | None = None


class ProblemDetails(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemItem] | None = Field(
        default=None, description="For 422 (and 409): every problem of the input."
    )


def problem_response(
    code: int,
    detail: str | None = None,
    *,
    problems: Sequence[Problem] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(code).phrase, "status": code}
    if detail:
        body["detail"] = detail
    if problems:
        body["errors"] = [problem_json(problem) for problem in problems]
    return JSONResponse(body, status_code=code, headers=headers, media_type=MEDIA_TYPE)


def problem_json(problem: Problem) -> dict[str, Any]:
    """The problem as JSON; bytes received (a body that is not JSON) shown as text."""
    shown = problem.as_dict()
    if problem.location.rsplit(".", 1)[-1] in _SECRET_FIELDS:
        shown.pop("received", None)
    encoded: dict[str, Any] = jsonable_encoder(
        shown, custom_encoder={bytes: lambda data: data.decode("utf-8", "replace")}
    )
    return encoded


def request_problems(exc: RequestValidationError) -> list[Problem]:
    """FastAPI's parsing errors as the engine's problems, located as the contract does."""
    errors = [
        {key: error[key] for key in ("type", "loc", "input", "ctx") if key in error}
        for error in exc.errors()
    ]
    found = problems_of(ValidationError.from_exception_data("request", errors))  # type: ignore[arg-type]
    return [p.at(p.location.removeprefix(_BODY)) for p in found]


def serve_error_pages(app: FastAPI, error_page: ErrorPage) -> None:
    """Ask `error_page` first for the errors a browser may meet (any order of installing:
    the handlers look it up when an error happens)."""
    setattr(app.state, _ERROR_PAGE, error_page)


def _answer(
    request: Request,
    code: int,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error page, when the app serves them and the request wants one; else problem
    details."""
    error_page: ErrorPage | None = getattr(request.app.state, _ERROR_PAGE, None)
    shown = None if error_page is None else error_page(request, code, detail, headers)
    return problem_response(code, detail, headers=headers) if shown is None else shown


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == status.HTTP_400_BAD_REQUEST and isinstance(
        exc.__cause__, UnicodeDecodeError
    ):
        # FastAPI's own answer to a JSON body that is not text: a 422 like any other
        # unreadable body, so clients meet one shape and the document declares it.
        unreadable = Problem("body", "is not JSON text (UTF-8)", kind="value_format")
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        return problem_response(code, "the request is not valid", problems=(unreadable,))
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers) if exc.headers else None
    return _answer(request, exc.status_code, detail, headers=headers)


async def _request_invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    code = status.HTTP_422_UNPROCESSABLE_CONTENT
    return problem_response(code, "the request is not valid", problems=request_problems(exc))


async def _engine_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RlsironError)
    if isinstance(exc, EmailTakenError):
        code, detail = status.HTTP_409_CONFLICT, "an account with this email exists"
    else:
        code, detail = status.HTTP_422_UNPROCESSABLE_CONTENT, "the input has problems"
    return problem_response(code, detail, problems=exc.problems)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _answer(request, status.HTTP_404_NOT_FOUND, str(exc))


async def _server_error(request: Request, _exc: Exception) -> Response:
    """Nothing of the failure is shown; the server logs it."""
    return _answer(request, status.HTTP_500_INTERNAL_SERVER_ERROR)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(RlsironError, _engine_error)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(Exception, _server_error)
