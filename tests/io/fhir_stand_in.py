"""A FHIR server for the CDS Hooks tests: real HTTP on 127.0.0.1, token checked, pages.

It answers what the service asks: a read (`Patient/x`) and type searches with the parameters
the prefetch templates use (patient, code as a token list, status, _sort=-date), in searchset
Bundles of `page_size` entries with `next` links. Any other parameter is refused with 400,
so a template the service should not send fails here instead of being ignored. A request
without `Authorization: Bearer <token>` gets 401 and an OperationOutcome, as a real server's
authorisation layer would answer.

The data are the real SMART sample patient 8888803 (FHIR STU3, ../shared/data/fhir), brought
to R4 where the two versions differ for the resources read here (Condition's statuses are
codes in STU3 and CodeableConcepts in R4; the observation-category system moved).
`prefetched` gives the same answers as a prefetch a CDS client would send.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.conftest import SHARED

Resource = dict[str, Any]

SMART_DIR = SHARED / "data" / "fhir" / "smart-sample-patients"
SMART_FILES = ("STU3_patient-8888803.fhir-bundle.json", "STU3_patient-8888803.fhir-bundle.01.json")
SMART_PATIENT = "smart-8888803"
_SEARCH_PARAMETERS = frozenset({"patient", "code", "status", "_sort", "_count", "_offset"})
_R4_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_R4_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_R4_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def smart_patient() -> list[Resource]:
    """Patient 8888803 of the SMART samples (Kristyn Walker), as R4 resources."""
    resources: list[Resource] = []
    for name in SMART_FILES:
        bundle = json.loads((SMART_DIR / name).read_text(encoding="utf-8"))
        resources += [to_r4(entry["resource"]) for entry in bundle["entry"]]
    return resources


def to_r4(resource: Resource) -> Resource:
    """The fields that differ between STU3 and R4 in these files, as R4 writes them."""
    out = copy.deepcopy(resource)
    if out["resourceType"] == "Condition":
        for key, system in (
            ("clinicalStatus", _R4_CLINICAL),
            ("verificationStatus", _R4_VERIFICATION),
        ):
            if isinstance(out.get(key), str):
                out[key] = {"coding": [{"system": system, "code": out[key]}]}
    for category in out.get("category", []) if out["resourceType"] == "Observation" else []:
        for coding in category.get("coding", []):
            if coding.get("system") == "http://hl7.org/fhir/observation-category":
                coding["system"] = _R4_CATEGORY
    return out


def _patient_of(resource: Mapping[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        reference = (resource.get(key) or {}).get("reference", "")
        if reference.startswith("Patient/"):
            return str(reference.removeprefix("Patient/"))
    return None


def _date(resource: Mapping[str, Any]) -> str:
    return str(resource.get("effectiveDateTime") or resource.get("authoredOn") or "")


def _matches_code(resource: Mapping[str, Any], tokens: list[str]) -> bool:
    codings = ((resource.get("code") or {}).get("coding")) or []
    for token in tokens:
        system, _, code = token.rpartition("|")
        if any(
            c.get("code") == code and (not system or c.get("system") == system) for c in codings
        ):
            return True
    return False


class FhirStandIn:
    """The server's data and answers; `serving` runs it over HTTP."""

    def __init__(self, resources: Iterable[Resource], *, token: str, page_size: int = 10) -> None:
        self.resources = list(resources)
        self.token = token
        self.page_size = page_size
        self.base_url = ""
        self.requests: list[str] = []  # paths with queries, in the order asked

    def answer(self, relative: str, *, paged: bool = True) -> tuple[HTTPStatus, Resource]:
        """The status and body for a relative URL, as the HTTP server answers it."""
        parts = urlsplit(relative)
        path = parts.path.strip("/").split("/")
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if len(path) == 2:
            kind, ident = path
            found = [
                r for r in self.resources if r["resourceType"] == kind and r.get("id") == ident
            ]
            if not found:
                return HTTPStatus.NOT_FOUND, _outcome("not-found", f"{kind}/{ident} is not known")
            return HTTPStatus.OK, found[0]
        unknown = set(params) - _SEARCH_PARAMETERS
        if len(path) != 1 or unknown:
            return HTTPStatus.BAD_REQUEST, _outcome(
                "not-supported", f"unsupported: {sorted(unknown)}"
            )
        matches = [r for r in self.resources if r["resourceType"] == path[0]]
        if "patient" in params:
            matches = [r for r in matches if _patient_of(r) == params["patient"]]
        if "code" in params:
            matches = [r for r in matches if _matches_code(r, params["code"].split(","))]
        if "status" in params:
            matches = [r for r in matches if r.get("status") in params["status"].split(",")]
        if params.get("_sort") == "-date":
            matches.sort(key=_date, reverse=True)
        offset = int(params.get("_offset", 0))
        size = self.page_size if paged else len(matches)
        page = matches[offset : offset + size]
        bundle: Resource = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in page],
        }
        if offset + size < len(matches):
            following = urlencode({**params, "_offset": offset + size})
            bundle["link"] = [{"relation": "next", "url": f"{self.base_url}/{path[0]}?{following}"}]
        return HTTPStatus.OK, bundle

    def prefetched(self, templates: Mapping[str, str], patient_id: str) -> dict[str, Resource]:
        """What a CDS client that honours every template sends as `prefetch`."""
        return {
            key: self.answer(template.replace("{{context.patientId}}", patient_id), paged=False)[1]
            for key, template in templates.items()
        }

    @contextmanager
    def serving(self) -> Iterator[FhirStandIn]:
        """This server on a free port of 127.0.0.1 for the block's duration."""
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.requests.append(self.path)
                if self.headers.get("Authorization") != f"Bearer {stand_in.token}":
                    self._send(HTTPStatus.UNAUTHORIZED, _outcome("login", "invalid bearer token"))
                    return
                self._send(*stand_in.answer(self.path))

            def _send(self, code: HTTPStatus, body: Resource) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                return  # quiet tests

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        # A short poll: shutdown() waits for the serving loop to look, 0.5 s by default.
        thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def _outcome(code: str, diagnostics: str) -> Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }
