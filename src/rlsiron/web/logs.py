"""Structured logs without personal data: one JSON line per request, and JSON for the rest.

The app holds health records, so its log must be safe to ship to a log service and keep
for months. What a request line says is chosen, not filtered: the time, the method, the
route's *template* (`/api/v1/me/labs/{record_id}`: ids are kept, they name no one outside
the database), the status, the duration, a request id, and the client's network. Never
the raw path (a path that matched no route is not logged at all: it is whatever a client
typed), the query string, a body, a header, a cookie, a token, an email or a name.

- **Request id**: made here for every request (a random UUID) and returned as
  `X-Request-ID`, so a person's report of a failure can be matched to its line. An id sent
  by the client is not reused: it could carry anything. A proxy that wants the id logs
  the response header.
- **Client address**: only its network (IPv4 /24, IPv6 /48). Enough to see that a flood or
  a run of failed sign-ins comes from one place, not enough to name a household. The full
  address is kept where it is needed and access-controlled: the audit log of record access
  (the issue asks "from where") and the reverse proxy's own log, whose retention the
  deployment decides.
- **Exceptions** are logged as their type and stack (file, line, function), never their
  message: messages carry values (`invalid literal for int(): 'Anna'`).
- Health probes (`/health`, `/ready`) are logged at DEBUG, below the default level.

stdlib logging with a small formatter is enough for this (no python-json-logger or
structlog): the fields are few and fixed, and the formatter decides what an exception
shows, which those libraries would print whole. `LOG_CONFIG` is the `logging.config`
dictionary for uvicorn (`uvicorn.run(..., log_config=LOG_CONFIG, access_log=False)`;
uvicorn's own access log prints raw paths with their query strings and full addresses, so
it stays off). httpx logs every URL it fetches (FHIR queries name patients) at INFO, so
it is kept to warnings.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import time
import traceback
import uuid
from contextvars import ContextVar
from typing import Any, Final

from starlette.datastructures import MutableHeaders
from starlette.routing import Mount, replace_params
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rlsiron.web.health import PATHS as PROBES

REQUEST_LOGGER: Final = "rlsiron.request"
REQUEST_ID_HEADER: Final = "X-Request-ID"
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_IPV4_PREFIX: Final = 24
_IPV6_PREFIX: Final = 48
_MILLISECOND: Final = dt.timedelta(milliseconds=1)
_FIELDS: Final = "fields"  # the `extra` key a record's structured fields travel under

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_log = logging.getLogger(REQUEST_LOGGER)


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (UTC), level, logger, message, the record's
    structured fields, the request id it happened in, and an exception's type and stack."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, _FIELDS, {}))
        current = request_id.get()
        if current is not None:
            line.setdefault("request_id", current)
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            line["exception"] = {
                "type": kind.__qualname__,
                "stack": [
                    f"{frame.filename}:{frame.lineno} in {frame.name}"
                    for frame in traceback.extract_tb(trace)
                ],
            }
        return json.dumps(line, ensure_ascii=False)


LOG_CONFIG: Final[dict[str, Any]] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "rlsiron.web.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "rlsiron": {"level": "INFO"},
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "httpx": {"level": "WARNING"},
    },
}


def client_network(scope: Scope) -> str | None:
    """The client's network (a /24 or /48), or None when the address is not an IP."""
    client = scope.get("client")
    if not client:
        return None
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return None
    prefix = _IPV4_PREFIX if isinstance(address, ipaddress.IPv4Address) else _IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def route_template(scope: Scope) -> str | None:
    """The template of the route that answered (`/api/v1/me/labs/{record_id}`), or None.

    FastAPI (0.16x) gives an included router's route as its router holds it, without the
    prefix it was included under; the prefix is then what the request's path has before
    the route's own part (a literal: prefixes here take no parameters)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str) or isinstance(route, Mount):
        return template
    values = dict(scope.get("path_params", {}))
    rendered, _ = replace_params(template, getattr(route, "param_convertors", {}), values)
    path = str(scope["path"])
    if not path.endswith(rendered):
        return template
    return path[: len(path) - len(rendered)] + template


class RequestLog:
    """Logs one line per HTTP request (a plain ASGI middleware: nothing is buffered) and
    returns its request id. Installed outermost, so it times and sees every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        ident = uuid.uuid4().hex
        token = request_id.set(ident)
        status = 500  # unless an answer starts: an exception ends as a 500 outside

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, ident)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _log_request(scope, status, time.perf_counter() - started)
            request_id.reset(token)


def _log_request(scope: Scope, status: int, seconds: float) -> None:
    route = route_template(scope)
    if route in PROBES:
        level = logging.DEBUG
    elif status >= 500:
        level = logging.ERROR
    else:
        level = logging.INFO
    method = scope["method"] if scope["method"] in _METHODS else "OTHER"
    fields = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(dt.timedelta(seconds=seconds) / _MILLISECOND, 1),
        "client": client_network(scope),
    }
    _log.log(level, "request", extra={_FIELDS: fields})
