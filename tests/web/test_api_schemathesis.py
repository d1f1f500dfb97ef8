"""schemathesis against the app's own OpenAPI document: no 5xx, no answer that breaks it.

The document is loaded from `/api/v1/openapi.json` through schemathesis' ASGI transport
(in-process, no server), and every operation in it (the API and the CDS Hooks service) is
called with generated requests, valid and invalid, each answer checked: not a server error,
a status code the operation declares, a declared content type, and headers and a body that
fit the declared schema. (schemathesis' negative-data checks, "is every invalid request
refused?", ask another question and are not run.)

Each generated request is sent by a new person, signed up through the API by schemathesis'
auth provider (`SignedUp`: the session cookie, and the CSRF token in `X-CSRF-Token`), with
the facts an assessment needs. For a route with a `{record_id}`, the person has one record
of that kind, and an even generated id is replaced by its id, so reads, replacements and
deletions reach a real record as well as the 404. A new person per request keeps requests
apart: one that deletes the account or signs out cannot spoil the next.

Deterministic for CI: a fixed seed, derandomized generation, no example database, a bounded
number of examples per operation (about 30 s in all).

The app is built when the module is imported, on its own SQLite file: schemathesis' pytest
integration makes one test per operation from a schema it has at collection time (its
fixture-based loader, `schemathesis.pytest.from_fixture`, fails on pytest 9.2: it reads
`Node._nodeid`, which pytest 9.2 no longer has).

Each bug it found has a test of its own below (a record id beyond 64 bits, the CDS routes'
404, a JSON body that is not text); they were fixed in the app.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import anyio
import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import checks as st_checks
from schemathesis.python import asgi

from tests.web.conftest import FACTS, FERRITIN, PASSWORD, Clock, Visitor, make_app

Case = schemathesis.Case[Any]  # of an OpenAPI operation
API: Final = "/api/v1"
SEED: Final = 20260301
MAX_EXAMPLES: Final = 20
CHECKS: Final[list[Any]] = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_headers_conformance,
    st_checks.response_schema_conformance,
]
# One valid entry of each kind, made for a person whose request names a record.
RECORDS: Final[dict[str, dict[str, Any]]] = {
    "labs": FERRITIN,
    "irls": {"date": "2026-01-05", "irls_total": 22},
    "diary": {"date": "2026-01-05", "nights_affected": 4, "severity": 6},
    "medicines": {"text": "sertraline", "started": "2025-06-01"},
    "conditions": {"text": "coeliac disease"},
    "iron-courses": {"route": "oral", "product": "ferrous sulfate", "started": "2025-10-01"},
}
_RECORD_PATH: Final = re.compile(rf"^{API}/me/(?P<kind>[a-z-]+)/\{{record_id\}}$")
_CDS_SERVICE_PATH: Final = re.compile(r"^/cds-services/\{service_id\}(/feedback)?$")


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # valid requests and invalid ones
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            # The coverage phase sends every boundary value of every parameter: hundreds of
            # requests an operation, minutes in all. The stateful phase is the CLI's only.
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        }
    )


# ---------------------------------------------------------------- the signed-in person


@dataclass(frozen=True)
class Person:
    """A signed-in person: the session cookie, the CSRF token, the record a path may name."""

    cookies: dict[str, Any]
    csrf: str
    record: int | None


def _record_kind(path: str) -> str | None:
    found = _RECORD_PATH.match(path)
    return found["kind"] if found else None


def sign_up(app: Any, number: int, kind: str | None) -> Person:
    """A new person through the API, as a browser signs up; with a record of `kind`."""
    with asgi.get_client(app) as client:
        signed = client.post(
            f"{API}/accounts",
            json={"email": f"schemathesis-{number}@example.org", "password": PASSWORD},
        )
        assert signed.status_code == 201, signed.text
        csrf: str = signed.json()["csrf_token"]
        headers = {"X-CSRF-Token": csrf}
        facts = client.put(f"{API}/me/facts", json=FACTS, headers=headers)
        assert facts.status_code == 200, facts.text
        made = None
        if kind == "assessments":
            made = client.post(f"{API}/me/assessments", headers=headers)
        elif kind is not None:
            made = client.post(f"{API}/me/{kind}", json=RECORDS[kind], headers=headers)
        assert made is None or made.status_code in {200, 201}, made.text
        record: int | None = None if made is None else made.json()["id"]
        return Person(cookies=client.cookies.get_dict(), csrf=csrf, record=record)


class SignedUp:
    """schemathesis' auth provider (`schema.auth`): a new person for every request."""

    def __init__(self) -> None:
        self.made = 0

    def get(self, case: Case, context: schemathesis.AuthContext) -> Person:
        self.made += 1
        return sign_up(context.app, self.made, _record_kind(case.path))

    def set(self, case: Case, data: Person, _context: schemathesis.AuthContext) -> None:
        case.cookies.update(data.cookies)
        case.headers["X-CSRF-Token"] = data.csrf
        given = (case.path_parameters or {}).get("record_id")
        if data.record is not None and isinstance(given, int) and given % 2 == 0:
            case.path_parameters = {**(case.path_parameters or {}), "record_id": data.record}


# ---------------------------------------------------------------- known bugs, exactly


# ---------------------------------------------------------------- the generated run

_DIRECTORY: Final = tempfile.TemporaryDirectory(prefix="rlsiron-schemathesis-")
_APP: Final = make_app(str(Path(_DIRECTORY.name) / "rlsiron.db"), Path(_DIRECTORY.name), Clock())
schema = schemathesis.openapi.from_asgi(f"{API}/openapi.json", _APP, config=_config())
schema.auth(refresh_interval=None)(SignedUp)


@pytest.fixture(scope="module", autouse=True)
def _close_the_app() -> Iterator[None]:
    yield
    asgi.shutdown_lifespans()  # the app's lifespan closes its database
    _DIRECTORY.cleanup()


@schema.parametrize()
def test_every_operation_answers_as_its_document_says(case: Case) -> None:
    response = case.call()  # the in-process transport re-raises what would be a 500
    case.validate_response(response, checks=CHECKS)


def test_the_run_covers_every_operation_of_the_app() -> None:
    """Every operation of the document (the pages are not in it) is one generated test."""
    labels = {result.ok().label for result in schema.get_all_operations()}  # type: ignore[union-attr]
    paths = _APP.openapi()["paths"]
    assert labels == {f"{method.upper()} {path}" for path in paths for method in paths[path]}
    assert {f"GET {API}/me/assessment", f"POST {API}/assessments", "GET /cds-services"} <= labels


# ---------------------------------------------------------------- the bugs it found, fixed


def test_a_json_body_that_is_not_text_is_a_declared_problem(anna: Visitor) -> None:
    for method, path in (
        ("POST", f"{API}/assessments"),
        ("POST", f"{API}/accounts"),
        ("PUT", f"{API}/me/facts"),
        ("POST", f"{API}/me/labs"),
    ):
        response = anna.call(
            method, path, content=b'{"email": "\xff"}', headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (method, path, response.status_code, response.text)


def test_a_record_id_beyond_64_bits_is_not_found(anna: Visitor) -> None:
    async def exchange() -> list[int]:
        transport = httpx.ASGITransport(app=anna.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://rlsiron.test", cookies=anna.cookies
        ) as client:
            codes = []
            for kind in (*RECORDS, "assessments"):
                for method in ("GET", "DELETE"):
                    response = await client.request(
                        method,
                        f"{API}/me/{kind}/{2**63}",
                        headers={"X-CSRF-Token": anna.csrf or ""},
                    )
                    codes.append(response.status_code)
            return codes

    assert set(anyio.run(exchange)) == {404}


def test_an_unknown_cds_service_is_a_declared_answer(app: FastAPI) -> None:
    document = Visitor(app).call("GET", f"{API}/openapi.json").json()
    for path in ("/cds-services/{service_id}", "/cds-services/{service_id}/feedback"):
        response = Visitor(app).call("POST", path.replace("{service_id}", "nowhere"), json={})
        assert str(response.status_code) in document["paths"][path]["post"]["responses"], path
