"""The OpenAPI document, complete: problem responses declared per route, raw bodies typed.

Errors are `application/problem+json` (not FastAPI's default `HTTPValidationError`), so each
route declares its error statuses with `problem_responses(...)`. A route that reads a body
itself (the assessment document, which `parse_input` must see raw to report every problem
at once and to turn a birth date into an age) documents the model the body must fit with
`body_of(Model)`. Both refer to schemas by name; `install_openapi` adds those schemas to
the document's components, as pydantic writes them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from rlsiron.web.problems import MEDIA_TYPE, ProblemDetails

_REF: Final = "#/components/schemas/{model}"
_WHY: Final = {
    HTTPStatus.UNAUTHORIZED: "Not signed in, or the session has ended.",
    HTTPStatus.FORBIDDEN: "The CSRF token is missing or wrong.",
    HTTPStatus.NOT_FOUND: "No such record among those the signed-in account may see (another "
    "person's record, or a clinic or patient it may not act for, is not found either).",
    HTTPStatus.CONFLICT: "The email address has an account already.",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The file is larger than the app accepts.",
    HTTPStatus.UNPROCESSABLE_ENTITY: "The input has problems: each in `errors`.",
    HTTPStatus.TOO_MANY_REQUESTS: "Too many failed sign-ins; see Retry-After.",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def problem_responses(*codes: HTTPStatus) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for these error statuses, as problem details."""
    return {
        code.value: {
            "description": _WHY[code],
            "content": {MEDIA_TYPE: {"schema": _ref(ProblemDetails)}},
        }
        for code in codes
    }


# One record, or one clinic's: 404 when it is not the account's to see, 422 for an id that
# is not a number (and, on a change, 403 without the CSRF token).
READ_ONE: Final = problem_responses(
    HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY
)
CHANGE_ONE: Final = problem_responses(
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.NOT_FOUND,
    HTTPStatus.UNPROCESSABLE_ENTITY,
)


def body_of(model: type[BaseModel], description: str) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body must fit `model`."""
    content = {"application/json": {"schema": _ref(model)}}
    return {"requestBody": {"required": True, "description": description, "content": content}}


def install_openapi(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Generate the document once, with `models` (and ProblemDetails) among its schemas."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            chosen = [(model, "validation") for model in (ProblemDetails, *models)]
            _, definitions = models_json_schema(chosen, ref_template=_REF)  # type: ignore[arg-type]
            for name, schema in definitions.get("$defs", {}).items():
                schemas.setdefault(name, schema)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
