"""The request log: one JSON line per request, and nothing personal in any line.

A real server (uvicorn in a subprocess, configured with `LOG_CONFIG` and without uvicorn's
access log, as `rlsiron serve` runs it) is sent a sequence of requests that carry personal
data everywhere a request can: an email and a password, a birth date, a result's value, a
query string, a path that matches no route, a cookie, a CSRF token, a request id of the
client's choosing, a FHIR access token and a patient id for a FHIR server (which the
service then tries to read). Its stderr is read afterwards: every line is JSON, every
request has its line with the route's template, and none of those values is anywhere.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rlsiron.io.cdshooks.services import PATIENT_VIEW
from rlsiron.web.logs import LOG_CONFIG, REQUEST_ID_HEADER, JsonFormatter, client_network
from tests.conftest import REPO
from tests.servers import free_port, wait_until_serving
from tests.web.conftest import FACTS, PASSWORD

SERVER = """
import sys
import uvicorn
from rlsiron.web.app import create_app
from rlsiron.web.logs import LOG_CONFIG

app = create_app()  # installs RequestLog itself
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=LOG_CONFIG,
            log_level="warning", access_log=False)
"""


@pytest.fixture
def logged_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app on SQLite in `tmp_path`, its stderr going to a file."""
    port = free_port()
    log = tmp_path / "stderr.log"
    env = {**os.environ, "RLSIRON_DATA_DIR": str(tmp_path / "data")}
    env.pop("DATABASE_URL", None)
    with log.open("wb") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
        try:
            yield wait_until_serving(server, port, "/health"), log
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_request_lines_carry_the_route_and_nothing_personal(
    logged_server: tuple[str, Path],
) -> None:
    base, log = logged_server
    email = f"anna.smith.{uuid.uuid4().hex[:6]}@example.org"
    secrets = {
        "email": email,
        "local part": email.split("@")[0],
        "password": PASSWORD,
        "birth date": FACTS["birth_date"],
        "value": "38.25",
        "query": "Anna-Secret-Note",
        "unmatched path": "smith-family-records",
        "client request id": "anna-smith-request",
        "bad unit": "Anna-Unit",
        "fhir token": "fhir-secret-token-4711",
        "patient id": "anna-smith-1980",
        "full address": "127.0.0.1",
    }
    answered: list[httpx.Response] = []
    with httpx.Client(base_url=base, headers={"X-Request-ID": secrets["client request id"]}) as web:

        def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = web.request(method, path, **kwargs)
            answered.append(response)
            return response

        signed_up = send("POST", "/api/v1/accounts", json={"email": email, "password": PASSWORD})
        assert signed_up.status_code == 201
        csrf = signed_up.json()["csrf_token"]
        secrets["csrf token"] = csrf
        secrets["session cookie"] = next(iter(web.cookies.values()))
        web.headers["X-CSRF-Token"] = csrf
        assert send("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
        lab = {"test": "ferritin", "value": 38.25, "unit": "ug/L", "date": "2026-01-10"}
        created = send("POST", "/api/v1/me/labs", json=lab)
        assert created.status_code == 201
        record = created.json()["id"]
        query = {"note": secrets["query"]}
        assert send("GET", f"/api/v1/me/labs/{record}", params=query).status_code == 200
        bad = send("POST", "/api/v1/me/labs", json={**lab, "unit": secrets["bad unit"]})
        assert bad.status_code == 422
        assert send("GET", f"/{secrets['unmatched path']}/{email}").status_code == 404
        wrong = send("POST", "/api/v1/session", json={"email": email, "password": "wrong " * 4})
        assert wrong.status_code == 401
        hook = {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "fhirServer": f"http://127.0.0.1:{free_port()}/fhir",
            "fhirAuthorization": {
                "access_token": secrets["fhir token"],
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "user/Patient.read",
                "subject": "rlsiron",
            },
            "context": {"userId": "Practitioner/1", "patientId": secrets["patient id"]},
        }
        assert send("POST", f"/cds-services/{PATIENT_VIEW}", json=hook).status_code == 200
        assert web.get("/health").status_code == 200  # a probe: below the log's level

    lines = _lines_when_written(log, len(answered))
    requests = [line for line in lines if line["logger"] == "rlsiron.request"]
    assert [line["request_id"] for line in requests] == [
        response.headers[REQUEST_ID_HEADER] for response in answered
    ]
    assert [(line["method"], line["route"], line["status"]) for line in requests] == [
        ("POST", "/api/v1/accounts", 201),
        ("PUT", "/api/v1/me/facts", 200),
        ("POST", "/api/v1/me/labs", 201),
        ("GET", "/api/v1/me/labs/{record_id}", 200),
        ("POST", "/api/v1/me/labs", 422),
        ("GET", None, 404),
        ("POST", "/api/v1/session", 401),
        ("POST", "/cds-services/{service_id}", 200),
    ]
    for line in requests:
        assert line["client"] == "127.0.0.0/24"
        assert line["level"] == "INFO" and line["duration_ms"] >= 0
    text = log.read_text(encoding="utf-8")
    leaked = {name: value for name, value in secrets.items() if value in text}
    assert leaked == {}


def _lines_when_written(log: Path, expected: int) -> list[dict[str, Any]]:
    """The log's lines as JSON (every one must be), once the requests' lines are there:
    a line is written after its answer is sent."""
    for _ in range(100):
        lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        if sum(line["logger"] == "rlsiron.request" for line in lines) >= expected:
            return lines
        time.sleep(0.05)
    pytest.fail(f"fewer than {expected} request lines in {log}")


def test_an_exception_is_logged_by_type_and_stack_without_its_message() -> None:
    record = logging.LogRecord("rlsiron.test", logging.ERROR, __file__, 1, "failed", (), None)
    try:
        int("Anna Smith")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = json.loads(JsonFormatter().format(record))
    assert line["exception"]["type"] == "ValueError"
    assert line["exception"]["stack"][0].endswith(
        "in test_an_exception_is_logged_by_type_and_stack_without_its_message"
    )
    assert "Anna" not in json.dumps(line)


@pytest.mark.parametrize(
    ("client", "network"),
    [
        (("203.0.113.77", 5000), "203.0.113.0/24"),
        (("2001:db8:1234:5678::1", 5000), "2001:db8:1234::/48"),
        (("testclient", 50000), None),
        (None, None),
    ],
)
def test_the_client_is_logged_as_its_network_only(client: Any, network: str | None) -> None:
    assert client_network({"type": "http", "client": client}) == network


def test_the_deployment_pages_logging_json_is_log_config() -> None:
    page = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", page, flags=re.DOTALL)
    configs = [json.loads(block) for block in blocks if '"version": 1' in block]
    assert configs == [LOG_CONFIG]
