"""The CDS Hooks 2.0.1 service: discovery, the three hooks, feedback, and the spec's shapes.

The service runs in-process (httpx's ASGI transport); the FHIR server it reads is a real HTTP
server on 127.0.0.1 (fhir_stand_in.py) holding the SMART sample patient 8888803, whose last
iron panel (2016-06-09) has ferritin 11 µg/L and TSAT 10 %, and a serum iron printed in
"ug/L" that the engine flags. TODAY is three weeks after that panel. Every 200 answer of a
service is validated against the specification's card models (`_checked`).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import socket
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rlsiron import assess, parse_input
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.io.cdshooks.cards import NO_PANEL, ago, decision_card
from rlsiron.io.cdshooks.feedback import FeedbackRecord, InMemoryFeedbackStore, JsonlFeedbackStore
from rlsiron.io.cdshooks.models import SUMMARY_LIMIT, Card, CdsResponse, Discovery
from rlsiron.io.cdshooks.orders import iron_orders, iron_product
from rlsiron.io.cdshooks.router import create_app
from rlsiron.io.cdshooks.services import ORDER_SELECT, ORDER_SIGN, PATIENT_VIEW, SERVICES
from tests.conftest import SHARED
from tests.io.fhir_stand_in import SMART_PATIENT, FhirStandIn, Resource, smart_patient

TODAY = dt.date(2016, 6, 30)
TOKEN = "stand-in-access-token"
SPEC = SHARED / "data" / "cds-hooks"
IRON_PANEL_CODES = {"2276-4", "2498-4", "2500-7", "2501-5", "2502-3"}
AMOXICILLIN = {"text": "Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML Oral Suspension"}


# --- helpers ----------------------------------------------------------------------------------


def spec_example(name: str) -> Any:
    return json.loads((SPEC / name).read_text(encoding="utf-8"))


def call(
    app: FastAPI,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One HTTP exchange with the app, in-process; every card answered is checked."""

    async def exchange() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://cds.test") as client:
            if isinstance(body, bytes):
                return await client.request(method, path, content=body, headers=headers)
            return await client.request(method, path, json=body, headers=headers)

    response = anyio.run(exchange)
    if method == "POST" and "/feedback" not in path and response.status_code == 200:
        _checked(response.json())
    return response


def _checked(answer: Any) -> None:
    """The specification's response shape, and what rlsiron promises of each card."""
    CdsResponse.model_validate(answer)
    _no_null_or_empty(answer)
    for card in answer["cards"]:
        assert uuid.UUID(card["uuid"]).version == 4
        assert len(card["summary"]) < SUMMARY_LIMIT
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"].startswith("rlsiron")


def _no_null_or_empty(value: Any, where: str = "response") -> None:
    """ "JSON elements SHALL NOT be null or empty" (the cards array aside)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert (item is not None and item not in ("", [], {})) or key == "cards", (
                f"{where}.{key}"
            )
            _no_null_or_empty(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _no_null_or_empty(item, f"{where}[{index}]")


def app_for(today: dt.date = TODAY, **kwargs: Any) -> FastAPI:
    return create_app(today=lambda: today, **kwargs)


def hook_request(
    hook: str,
    *,
    server: str | None = None,
    token: str = TOKEN,
    prefetch: dict[str, Any] | None = None,
    patient: str = SMART_PATIENT,
    **context: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": patient, **context},
    }
    if server is not None:
        body["fhirServer"] = server
        body["fhirAuthorization"] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Patient.read user/Observation.read user/Condition.read",
            "subject": "rlsiron-cds",
        }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def medication_order(ident: str, concept: dict[str, Any], status: str = "draft") -> Resource:
    return {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"Patient/{SMART_PATIENT}"},
    }


def draft_orders(*orders: Resource) -> Resource:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": o} for o in orders],
    }


FERROUS_SULFATE = medication_order(
    "iron-1",
    {
        "coding": [
            {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "310325",
                "display": "ferrous sulfate 325 MG Oral Tablet",
            }
        ]
    },
)


def _loinc(resource: Resource) -> set[str]:
    return {c.get("code") for c in resource.get("code", {}).get("coding", [])}


def with_latest_tsat(resources: list[Resource], value: float) -> list[Resource]:
    """Patient 8888803 with the TSAT of her last panel (2016-06-09) changed to `value`."""
    changed = copy.deepcopy(resources)
    for r in changed:
        if "2502-3" in _loinc(r) and r.get("effectiveDateTime") == "2016-06-09":
            r["valueQuantity"]["value"] = value
    return changed


def without(resources: list[Resource], codes: set[str]) -> list[Resource]:
    return [r for r in resources if not (_loinc(r) & codes)]


def serving(resources: list[Resource], token: str = TOKEN) -> AbstractContextManager[FhirStandIn]:
    """The stand-in FHIR server holding `resources`, on 127.0.0.1 for a `with` block."""
    return FhirStandIn(resources, token=token, page_size=10).serving()


@pytest.fixture
def smart() -> list[Resource]:
    return smart_patient()


@pytest.fixture
def fhir(smart: list[Resource]) -> Iterator[FhirStandIn]:
    with serving(smart) as stand_in:
        yield stand_in


def _prefetch(stand_in: FhirStandIn, service: str) -> dict[str, Resource]:
    return stand_in.prefetched(SERVICES[service].prefetch or {}, SMART_PATIENT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- discovery --------------------------------------------------------------------------------


def test_discovery_lists_the_three_services_with_catalogue_prefetch() -> None:
    response = call(app_for(), "GET", "/cds-services")
    assert response.status_code == 200
    discovery = Discovery.model_validate(response.json())
    by_id = {s.id: s for s in discovery.services}
    assert {(s.id, s.hook) for s in discovery.services} == {
        (PATIENT_VIEW, "patient-view"),
        (ORDER_SELECT, "order-select"),
        (ORDER_SIGN, "order-sign"),
    }
    for service in discovery.services:
        assert service.title and service.description
        prefetch = service.prefetch or {}
        assert prefetch["patient"] == "Patient/{{context.patientId}}"
        observations = prefetch["observations"]
        assert observations.startswith("Observation?patient={{context.patientId}}&code=")
        assert observations.endswith("&_sort=-date")
        codes = {code for a in ANALYTES.values() for code in a.loinc}
        assert {f"http://loinc.org|{c}" for c in codes} == set(
            observations.split("code=")[1].split("&")[0].split(",")
        )
        assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"
    medicines = by_id[PATIENT_VIEW].prefetch or {}
    assert medicines["medicationRequests"].endswith("&status=active")
    assert medicines["medicationStatements"].endswith("&status=active")


@pytest.mark.parametrize("name", ["spec-01-discovery-example.json", "spec-27-extensions.json"])
def test_the_specifications_discovery_examples_fit_the_model(name: str) -> None:
    example = spec_example(f"spec-2.0.1-examples/{name}")
    discovery = Discovery.model_validate(example)
    assert [s.id for s in discovery.services] == [s["id"] for s in example["services"]]


# --- patient-view -----------------------------------------------------------------------------


def test_low_ferritin_gets_the_indicated_card_naming_the_value_and_its_age(
    fhir: FhirStandIn,
) -> None:
    body = hook_request("patient-view", prefetch=_prefetch(fhir, PATIENT_VIEW))
    cards = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    decision = cards[0]
    assert decision["summary"] == (
        "Ferritin 11 µg/L, Transferrin saturation 10 % (3 weeks ago): "
        "iron therapy indicated, oral or IV (AASM-2024)"
    )
    assert decision["source"]["label"] == "rlsiron (AASM 2024 guideline)"
    assert decision["source"]["url"] == "https://doi.org/10.5664/jcsm.11390"
    assert decision["source"]["topic"]["code"] == "iron-therapy"
    detail = decision["detail"]
    assert "Ferritin 11 µg/L is ≤ 75 µg/L and TSAT 10 % is < 20 %" in detail  # the engine's why
    assert "| Ferritin | 11 µg/L | 2016-06-09 (3 weeks ago) |" in detail
    assert "AASM-2024: Winkelman JW et al." in detail
    # The serum iron printed in "ug/L" is urgent: its own critical card, and the decision's.
    assert decision["indicator"] == "critical"
    assert [(c["indicator"], c["summary"]) for c in cards[1:]] == [
        ("critical", "A result looks wrong for its unit")
    ]
    assert fhir.requests == []  # everything was prefetched


def test_without_prefetch_the_record_is_read_from_the_fhir_server_with_the_token(
    fhir: FhirStandIn,
) -> None:
    prefetched = hook_request("patient-view", prefetch=_prefetch(fhir, PATIENT_VIEW))
    fetched = hook_request("patient-view", server=fhir.base_url)
    app = app_for()
    with_prefetch = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", prefetched).json()
    with_server = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", fetched).json()
    # The same record gives the same cards (the specification asks prefetch to be equivalent).
    assert [(c["summary"], c["indicator"], c["detail"]) for c in with_server["cards"]] == [
        (c["summary"], c["indicator"], c["detail"]) for c in with_prefetch["cards"]
    ]
    assert f"/Patient/{SMART_PATIENT}" in fhir.requests
    assert any("_offset=" in path for path in fhir.requests)  # the next pages were followed


def test_prefetch_keys_not_sent_are_fetched_and_the_others_not(fhir: FhirStandIn) -> None:
    prefetch = {"patient": _prefetch(fhir, PATIENT_VIEW)["patient"]}
    body = hook_request("patient-view", server=fhir.base_url, prefetch=prefetch)
    cards = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert "iron therapy indicated" in cards[0]["summary"]
    assert not any(path.startswith("/Patient") for path in fhir.requests)
    assert any(path.startswith("/Condition?") for path in fhir.requests)


def test_a_refused_token_is_an_info_card_not_a_500(smart: list[Resource]) -> None:
    with serving(smart, token="the-right-token") as stand_in:
        body = hook_request("patient-view", server=stand_in.base_url, token="a-wrong-token")
        response = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body)
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    assert card["indicator"] == "info"
    assert card["summary"].startswith("Iron status not assessed")
    assert "HTTP 401 Unauthorized (the access token was refused)" in card["detail"]
    assert "a-wrong-token" not in response.text


def test_an_unreachable_fhir_server_is_an_info_card() -> None:
    body = hook_request("patient-view", server=f"http://127.0.0.1:{_free_port()}")
    (card,) = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert card["indicator"] == "info"
    assert "could not be reached" in card["detail"]


@pytest.mark.parametrize(
    ("service", "body"),
    [
        (PATIENT_VIEW, hook_request("patient-view")),
        # A fhirServer without fhirAuthorization: the specification lets the service use the
        # server when both are given.
        (PATIENT_VIEW, {**hook_request("patient-view"), "fhirServer": "https://ehr.example/fhir"}),
        (ORDER_SIGN, hook_request("order-sign", draftOrders=draft_orders(FERROUS_SULFATE))),
    ],
)
def test_no_prefetch_and_no_fhir_server_is_412(service: str, body: dict[str, Any]) -> None:
    response = call(app_for(), "POST", f"/cds-services/{service}", body)
    assert response.status_code == 412
    assert "prefetch lacks patient, observations, conditions" in response.json()["detail"]


def test_a_paginated_prefetch_is_read_to_its_last_page(fhir: FhirStandIn) -> None:
    full = _prefetch(fhir, PATIENT_VIEW)
    template = (SERVICES[PATIENT_VIEW].prefetch or {})["observations"]
    first_page = {
        **full,
        "observations": fhir.answer(template.replace("{{context.patientId}}", SMART_PATIENT))[1],
    }
    assert first_page["observations"]["link"][0]["relation"] == "next"
    app = app_for()
    expected = call(
        app, "POST", f"/cds-services/{PATIENT_VIEW}", hook_request("patient-view", prefetch=full)
    ).json()["cards"]
    body = hook_request("patient-view", server=fhir.base_url, prefetch=first_page)
    paged = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert [c["detail"] for c in paged] == [c["detail"] for c in expected]
    assert fhir.requests and all("_offset=" in path for path in fhir.requests)


def test_a_next_page_on_another_server_is_not_read_with_the_token(fhir: FhirStandIn) -> None:
    prefetch = _prefetch(fhir, PATIENT_VIEW)
    prefetch["observations"]["link"] = [
        {"relation": "next", "url": "https://elsewhere.example/Observation?page=2"}
    ]
    body = hook_request("patient-view", server=fhir.base_url, prefetch=prefetch)
    (card,) = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert "the next page of the results is on another server: not read" in card["detail"]
    assert fhir.requests == []


def test_a_null_prefetch_key_means_no_data_and_is_not_fetched_again(fhir: FhirStandIn) -> None:
    prefetch: dict[str, Any] = dict.fromkeys(SERVICES[PATIENT_VIEW].prefetch or {})
    prefetch["patient"] = _prefetch(fhir, PATIENT_VIEW)["patient"]
    body = hook_request("patient-view", server=fhir.base_url, prefetch=prefetch)
    (card,) = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert card["summary"] == NO_PANEL
    assert card["indicator"] == "info"  # nothing else is known to be wrong
    assert "Missing: ferritin, TSAT" in card["detail"]  # the engine's labs.missing
    assert fhir.requests == []


def test_no_iron_panel_gets_the_no_panel_card_and_other_findings_still_count(
    smart: list[Resource],
) -> None:
    with serving(without(smart, IRON_PANEL_CODES)) as stand_in:
        body = hook_request("patient-view", prefetch=_prefetch(stand_in, PATIENT_VIEW))
        cards = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert cards[0]["summary"] == NO_PANEL
    assert cards[0]["indicator"] == "warning"  # haemoglobin 11.8 g/dL: the engine's anaemia
    assert "**Anaemia** (warning)" in cards[0]["detail"]


def test_a_prefetched_operation_outcome_is_reported_not_fetched_again(fhir: FhirStandIn) -> None:
    prefetch = _prefetch(fhir, PATIENT_VIEW)
    prefetch["conditions"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout", "diagnostics": "query timed out"}],
    }
    body = hook_request("patient-view", server=fhir.base_url, prefetch=prefetch)
    (card,) = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert card["indicator"] == "info"
    assert "conditions (Condition): the client could not prefetch it: query timed out" in card[
        "detail"
    ].replace("\\", "")
    assert fhir.requests == []


def test_prefetched_data_of_another_patient_is_not_used(fhir: FhirStandIn) -> None:
    prefetch = _prefetch(fhir, PATIENT_VIEW)
    stranger = copy.deepcopy(prefetch["observations"]["entry"][0])
    stranger["resource"]["subject"] = {"reference": "Patient/someone-else"}
    prefetch["observations"]["entry"].append(stranger)
    body = hook_request("patient-view", prefetch=prefetch)
    (card,) = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert card["indicator"] == "info"
    assert "another patient" in card["detail"]


def test_a_patient_without_a_usable_sex_is_not_assessed(fhir: FhirStandIn) -> None:
    prefetch = _prefetch(fhir, PATIENT_VIEW)
    prefetch["patient"] = {**prefetch["patient"], "gender": "unknown"}
    body = hook_request("patient-view", prefetch=prefetch)
    (card,) = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body).json()["cards"]
    assert card["indicator"] == "info"
    assert card["summary"].startswith("Iron status not assessed")
    assert "person.sex: is required" in card["detail"].replace("\\", "")


def test_the_specifications_patient_view_request_is_accepted() -> None:
    """spec-02 as published: its prefetch key is not one of ours, so the service reads its
    FHIR server with the token it was given (here a transport that answers 503)."""
    seen: list[httpx.Request] = []

    def unavailable(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503)

    app = app_for(new_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(unavailable)))
    body = spec_example("spec-2.0.1-examples/spec-02-request-patient-view-with-prefetch.json")
    response = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", body)
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    assert "HTTP 503 Service Unavailable" in card["detail"]
    assert {r.headers["Authorization"] for r in seen} == {"Bearer some-opaque-fhir-access-token"}
    assert str(seen[0].url).startswith("http://hooks.smarthealthit.org:9080/")


def _problems(response: httpx.Response) -> str:
    assert response.status_code == 400
    return " ".join(response.json()["detail"]["problems"])


def test_fhir_authorization_without_fhir_server_is_refused_cds_r_1() -> None:
    body = spec_example("spec-2.0.1-examples/spec-02-request-patient-view-with-prefetch.json")
    del body["fhirServer"]
    response = call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body)
    assert "fhirAuthorization is given without fhirServer (cds-r-1)" in _problems(response)
    assert "some-opaque-fhir-access-token" not in response.text


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"hookInstance": "not-a-uuid"}, "hookInstance"),
        ({"hook": "order-sign"}, "hook"),
        ({"context": {"userId": "Practitioner/1", "patientId": "1/../Group"}}, "context.patientId"),
        ({"context": {"patientId": "1"}}, "context.userId: is required"),
        ({"fhirServer": "ftp://example.org/fhir"}, "fhirServer"),
    ],
)
def test_requests_that_break_the_specification_are_400(
    change: dict[str, Any], problem: str
) -> None:
    body = {**hook_request("patient-view"), **change}
    assert problem in _problems(call(app_for(), "POST", f"/cds-services/{PATIENT_VIEW}", body))


def test_browser_clients_are_let_in_from_the_configured_origins_only() -> None:
    app = app_for(cors_origins=["https://sandbox.cds-hooks.org"])
    allowed = call(app, "GET", "/cds-services", headers={"Origin": "https://sandbox.cds-hooks.org"})
    other = call(app, "GET", "/cds-services", headers={"Origin": "https://elsewhere.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in call(app_for(), "GET", "/cds-services").headers


def test_a_body_that_is_not_json_is_400_and_an_unknown_service_404() -> None:
    app = app_for()
    assert call(app, "POST", f"/cds-services/{PATIENT_VIEW}", b"{not json").status_code == 400
    assert (
        call(app, "POST", "/cds-services/no-such-service", hook_request("patient-view")).status_code
        == 404
    )


# --- order-select and order-sign --------------------------------------------------------------


LIBRARY_ORDER_EXAMPLES = [
    ("order-select-01-example-r4.json", ORDER_SELECT),
    ("order-sign-01-example-r4.json", ORDER_SIGN),
    ("order-select-02-example-stu3.json", ORDER_SELECT),
    ("order-sign-02-example-stu3.json", ORDER_SIGN),
    ("order-select-03-example-dstu2.json", ORDER_SELECT),
    ("order-sign-03-example-dstu2.json", ORDER_SIGN),
]


@pytest.mark.parametrize(("example", "service"), LIBRARY_ORDER_EXAMPLES)
def test_the_hooks_librarys_order_examples_are_accepted_and_get_no_card(
    example: str, service: str
) -> None:
    """The R4 ones fail strict validation (NutritionOrder without intent, STU3-style dosage);
    read leniently, each holds a diet and amoxicillin: no iron, so no card, and no record is
    needed (no prefetch, no FHIR server, yet no 412)."""
    context = spec_example(f"hooks-library-examples/{example}")["context"]
    body = {"hook": SERVICES[service].hook, "hookInstance": str(uuid.uuid4()), "context": context}
    response = call(app_for(), "POST", f"/cds-services/{service}", body)
    assert response.status_code == 200
    assert response.json() == {"cards": []}


@pytest.mark.parametrize("example", [example for example, _ in LIBRARY_ORDER_EXAMPLES])
def test_the_medication_order_of_each_fhir_version_is_found(example: str) -> None:
    """The same examples with iron in place of amoxicillin: the MedicationRequest (R4, STU3)
    or MedicationOrder (DSTU2) is the one iron order, selected in order-select's."""
    context = spec_example(f"hooks-library-examples/{example}")["context"]
    (medication,) = [
        e["resource"]
        for e in context["draftOrders"]["entry"]
        if e["resource"]["resourceType"] != "NutritionOrder"
    ]
    medication["medicationCodeableConcept"] = {"text": "Ferrous gluconate 325 mg"}
    selections = context.get("selections")
    (order,) = iron_orders(context["draftOrders"], selections)
    assert order.product == "ferrous gluconate"
    assert order.reference == f"{medication['resourceType']}/{medication['id']}"
    assert selections is None or order.reference in selections


def test_tsat_50_with_an_iron_order_gets_a_critical_card(smart: list[Resource]) -> None:
    with serving(with_latest_tsat(smart, 50)) as stand_in:
        body = hook_request(
            "order-sign", server=stand_in.base_url, draftOrders=draft_orders(FERROUS_SULFATE)
        )
        (card,) = call(app_for(), "POST", f"/cds-services/{ORDER_SIGN}", body).json()["cards"]
    assert card["indicator"] == "critical"
    assert card["summary"] == "Ferrous sulfate order: Transferrin saturation is high: no iron"
    assert "TSAT 50 % is ≥ 45 %" in card["detail"]  # the engine's finding, quoted
    assert (
        "**Order:** MedicationRequest/iron-1: ferrous sulfate 325 MG Oral Tablet" in card["detail"]
    )


def test_no_iron_order_gets_no_card_and_reads_nothing(smart: list[Resource]) -> None:
    amoxicillin = medication_order("amox-1", AMOXICILLIN)
    with serving(with_latest_tsat(smart, 50)) as stand_in:
        body = hook_request(
            "order-sign", server=stand_in.base_url, draftOrders=draft_orders(amoxicillin)
        )
        response = call(app_for(), "POST", f"/cds-services/{ORDER_SIGN}", body)
        assert stand_in.requests == []
    assert response.json() == {"cards": []}


def test_an_iron_order_the_panel_supports_gets_no_card(smart: list[Resource]) -> None:
    with serving(without(smart, {"2498-4"})) as stand_in:  # the serum iron in a wrong unit
        prefetch = _prefetch(stand_in, ORDER_SIGN)
    body = hook_request("order-sign", prefetch=prefetch, draftOrders=draft_orders(FERROUS_SULFATE))
    assert call(app_for(), "POST", f"/cds-services/{ORDER_SIGN}", body).json() == {"cards": []}


def test_a_stale_panel_with_an_iron_order_warns(smart: list[Resource]) -> None:
    with serving(without(smart, {"2498-4"})) as stand_in:
        prefetch = _prefetch(stand_in, ORDER_SIGN)
    body = hook_request("order-sign", prefetch=prefetch, draftOrders=draft_orders(FERROUS_SULFATE))
    app = app_for(today=dt.date(2018, 1, 15))
    (card,) = call(app, "POST", f"/cds-services/{ORDER_SIGN}", body).json()["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"] == "Ferrous sulfate order: An iron result is more than a year old"


def test_a_missing_panel_with_an_iron_order_warns(smart: list[Resource]) -> None:
    with serving(without(smart, IRON_PANEL_CODES)) as stand_in:
        prefetch = _prefetch(stand_in, ORDER_SIGN)
    venofer = medication_order("iv-1", {"text": "Venofer 200 mg/10 mL IV"})
    body = hook_request("order-sign", prefetch=prefetch, draftOrders=draft_orders(venofer))
    (card,) = call(app_for(), "POST", f"/cds-services/{ORDER_SIGN}", body).json()["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Iron sucrose order: Results needed for the iron decision are missing"
    )


def test_haemochromatosis_on_record_with_an_iron_order_is_critical(smart: list[Resource]) -> None:
    condition = {
        "resourceType": "Condition",
        "id": "hh",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": "Hereditary haemochromatosis"},
        "subject": {"reference": f"Patient/{SMART_PATIENT}"},
    }
    with serving([*without(smart, {"2498-4"}), condition]) as stand_in:
        prefetch = _prefetch(stand_in, ORDER_SIGN)
    body = hook_request("order-sign", prefetch=prefetch, draftOrders=draft_orders(FERROUS_SULFATE))
    (card,) = call(app_for(), "POST", f"/cds-services/{ORDER_SIGN}", body).json()["cards"]
    assert card["indicator"] == "critical"
    assert card["summary"] == "Ferrous sulfate order: Haemochromatosis: no iron"


def test_order_select_checks_the_selected_order_and_names_it(smart: list[Resource]) -> None:
    amoxicillin = medication_order("amox-1", AMOXICILLIN)
    orders = draft_orders(amoxicillin, FERROUS_SULFATE)
    app = app_for()
    with serving(with_latest_tsat(smart, 50)) as stand_in:
        prefetch = _prefetch(stand_in, ORDER_SELECT)
    not_iron = hook_request(
        "order-select",
        prefetch=prefetch,
        draftOrders=orders,
        selections=["MedicationRequest/amox-1"],
    )
    assert call(app, "POST", f"/cds-services/{ORDER_SELECT}", not_iron).json() == {"cards": []}
    iron = {
        **not_iron,
        "context": {**not_iron["context"], "selections": ["MedicationRequest/iron-1"]},
    }
    (card,) = call(app, "POST", f"/cds-services/{ORDER_SELECT}", iron).json()["cards"]
    assert card["indicator"] == "critical"
    assert "MedicationRequest/iron-1" in card["detail"]


def test_an_iron_order_whose_record_cannot_be_read_gets_an_info_card(smart: list[Resource]) -> None:
    with serving(smart, token="the-right-token") as stand_in:
        body = hook_request(
            "order-sign",
            server=stand_in.base_url,
            token="a-wrong-token",
            draftOrders=draft_orders(FERROUS_SULFATE),
        )
        (card,) = call(app_for(), "POST", f"/cds-services/{ORDER_SIGN}", body).json()["cards"]
    assert card["indicator"] == "info"
    assert card["summary"].startswith("Iron order (ferrous sulfate) not checked")


@pytest.mark.parametrize(
    ("name", "product"),
    [
        ("ferrous sulfate 325 MG Oral Tablet", "ferrous sulfate"),
        ("Ferrous sulphate 200mg tablets", "ferrous sulfate"),
        ("Ferrous gluconate 325mg", "ferrous gluconate"),
        ("Injectafer 750 mg/15 mL injection", "ferric carboxymaltose"),
        ("Ferinject", "ferric carboxymaltose"),
        ("Venofer", "iron sucrose"),
        ("iron sucrose 20 mg/mL", "iron sucrose"),
        ("Feraheme (ferumoxytol) 510 mg", "ferumoxytol"),
        ("ferumoxitol", "ferumoxytol"),  # a misspelt generic of 6+ letters
        ("Monofer 100 mg/mL", "ferric derisomaltose"),
        ("INFeD", "iron dextran"),
        ("Multivitamin with iron", "iron"),
    ],
)
def test_iron_products_are_recognised(name: str, product: str) -> None:
    assert iron_product(name) == product


@pytest.mark.parametrize(
    "name",
    [
        AMOXICILLIN["text"],
        "Deferasirox 500 mg (iron chelator)",
        "Ascorbic acid 500 mg",
        "Ferritin test",
    ],
)
def test_other_medicines_are_not_iron(name: str) -> None:
    assert iron_product(name) is None
    assert iron_orders(draft_orders(medication_order("x", {"text": name})), None) == ()


def test_cancelled_orders_and_a_contained_medication_are_read_as_written() -> None:
    cancelled = {**FERROUS_SULFATE, "id": "old", "status": "cancelled"}
    contained = {
        "resourceType": "MedicationRequest",
        "id": "iv-2",
        "status": "draft",
        "contained": [{"resourceType": "Medication", "id": "m", "code": {"text": "Monoferric"}}],
        "medicationReference": {"reference": "#m"},
    }
    found = iron_orders(draft_orders(cancelled, contained), None)
    assert [(o.reference, o.product) for o in found] == [
        ("MedicationRequest/iv-2", "ferric derisomaltose")
    ]


# --- cards and their models -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["spec-10-response-cards.json", "spec-17-response-card-example-a.json"]
)
def test_the_specifications_example_responses_fit_the_card_models(name: str) -> None:
    example = spec_example(f"spec-2.0.1-examples/{name}")
    parsed = CdsResponse.model_validate(example)
    assert parsed.model_dump(mode="json", exclude_none=True) == example  # nothing lost


def test_the_autolaunchable_example_lacks_only_the_required_indicator() -> None:
    """spec-18 (the autolaunchable example) has no `indicator`, which the Card table REQUIRES:
    the model refuses it for that alone, and takes it once an indicator is given."""
    example = spec_example("spec-2.0.1-examples/spec-18-response-card-example-b.json")
    with pytest.raises(ValidationError) as refused:
        CdsResponse.model_validate(example)
    assert [e["loc"] for e in refused.value.errors()] == [("cards", 0, "indicator")]
    example["cards"][0]["indicator"] = "info"
    assert CdsResponse.model_validate(example).cards[0].links[0].autolaunchable is True  # type: ignore[index]


def test_the_system_action_example_lacks_only_the_required_description() -> None:
    """spec-16's action has no `description`, which the 2.0.1 Action table REQUIRES."""
    example = spec_example("spec-2.0.1-examples/spec-16-system-action.json")
    with pytest.raises(ValidationError) as refused:
        CdsResponse.model_validate(example)
    missing = [e["loc"] for e in refused.value.errors() if e["type"] == "missing"]
    assert missing == [("systemActions", 0, "description")]


_CARD = {"summary": "A card", "indicator": "info", "source": {"label": "rlsiron"}}
_ACTION = {"type": "create", "description": "Order it", "resource": {"resourceType": "X"}}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"summary": "x" * SUMMARY_LIMIT}, "at most 139 characters"),
        ({"indicator": "hard-stop"}, "indicator"),
        ({"uuid": "not-a-uuid"}, "uuid"),
        ({"links": []}, "at least 1 item"),
        ({"suggestions": [{"label": "Do it"}]}, "cds-resp-6"),
        (
            {
                "selectionBehavior": "at-most-one",
                "suggestions": [
                    {"label": "A", "isRecommended": True},
                    {"label": "B", "isRecommended": True},
                ],
            },
            "cds-resp-1",
        ),
        (
            {
                "links": [
                    {"label": "L", "url": "https://x.org", "type": "absolute", "appContext": "c"}
                ]
            },
            "cds-resp-3",
        ),
        ({"overrideReasons": [{"code": "c", "system": "s"}]}, "cds-resp-4"),
        (
            {
                "selectionBehavior": "any",
                "suggestions": [
                    {"label": "A", "actions": [{"type": "delete", "description": "Remove it"}]}
                ],
            },
            "cds-resp-2",
        ),
        ({"source": {"label": "rlsiron", "url": "example.org"}}, "absolute"),
        ({"detail": ""}, "at least 1 character"),
        ({"extra": 1}, "Extra inputs"),
    ],
)
def test_cards_that_break_the_specification_are_refused(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Card.model_validate({**_CARD, **change})


def test_a_card_that_keeps_the_invariants_is_taken() -> None:
    card = {
        **_CARD,
        "suggestions": [{"label": "A", "actions": [_ACTION]}],
        "selectionBehavior": "any",
    }
    assert Card.model_validate(card).model_dump(mode="json", exclude_none=True) == card


def _document(ferritin: float, tsat: float, drawn: dt.date) -> dict[str, Any]:
    return {
        "person": {"age_years": 40, "sex": "female"},
        "labs": [
            {"test": "ferritin", "value": ferritin, "unit": "ug/L", "date": drawn.isoformat()},
            {"test": "tsat", "value": tsat, "unit": "%", "date": drawn.isoformat()},
        ],
    }


@settings(max_examples=60, deadline=None)
@given(
    ferritin=st.floats(min_value=0.5, max_value=5000, allow_nan=False),
    tsat=st.floats(min_value=1, max_value=100, allow_nan=False),
    days=st.integers(min_value=0, max_value=5000),
)
def test_every_decision_card_fits_the_specification(
    ferritin: float, tsat: float, days: int
) -> None:
    """From a contract document written here (no FHIR): any values, any age of the panel."""
    drawn = TODAY - dt.timedelta(days=days)
    assessment = assess(parse_input(_document(ferritin, tsat, drawn)), as_of=TODAY, plan=False)
    card = decision_card(assessment, ())
    assert len(card.summary) < SUMMARY_LIMIT
    assert card.summary.startswith("Ferritin ")
    assert ago(drawn, TODAY) in card.summary


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (0, "today"),
        (1, "1 day ago"),
        (6, "6 days ago"),
        (7, "1 week ago"),
        (21, "3 weeks ago"),
        (365, "52 weeks ago"),
        (366, "1 year ago"),
        (800, "2 years ago"),
    ],
)
def test_the_age_of_a_result_in_words(days: int, said: str) -> None:
    # TODAY is 2016-06-30: 2015-06-30 is 366 days before it (2016 is a leap year).
    assert ago(TODAY - dt.timedelta(days=days), TODAY) == said


# --- feedback ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "spec-19-example-suggestion-accepted.json",
        "spec-20-example-overridden-guidance-without-over.json",
        "spec-21-example-overridden-guidance-with-overrid.json",
    ],
)
def test_the_specifications_feedback_is_recorded(name: str) -> None:
    store = InMemoryFeedbackStore()
    body = spec_example(f"spec-2.0.1-examples/{name}")
    response = call(app_for(feedback=store), "POST", f"/cds-services/{PATIENT_VIEW}/feedback", body)
    assert response.status_code == 200
    (record,) = store.records()
    (item,) = body["feedback"]
    assert (record.service, record.card, record.outcome) == (
        PATIENT_VIEW,
        item["card"],
        item["outcome"],
    )
    assert record.outcome_time.tzinfo == dt.UTC
    if name.startswith("spec-21"):
        assert (record.reason_code, record.user_comment) == (
            "d7ecf885",
            "A comment entered by the clinician.",
        )


_ACCEPTED = {
    "card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    "outcomeTimestamp": "2021-12-11T10:05:31Z",
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"outcome": "ignored"}, "feedback[0].outcome"),
        ({"acceptedSuggestions": None}, "cds-fb-2"),
        ({"outcome": "overridden"}, "acceptedSuggestions belong to an accepted outcome only"),
        (
            {"overrideReason": {"userComment": "no"}},
            "overrideReason belongs to an overridden outcome",
        ),
        ({"outcome": "overridden", "acceptedSuggestions": None, "overrideReason": {}}, "cds-fb-3"),
        ({"outcomeTimestamp": "2021-12-11T10:05:31"}, "timezone"),
    ],
)
def test_feedback_that_breaks_the_specification_is_400(
    change: dict[str, Any], problem: str
) -> None:
    item = {k: v for k, v in {**_ACCEPTED, **change}.items() if v is not None}
    store = InMemoryFeedbackStore()
    response = call(
        app_for(feedback=store),
        "POST",
        f"/cds-services/{PATIENT_VIEW}/feedback",
        {"feedback": [item]},
    )
    assert problem in _problems(response)
    assert store.records() == ()


def test_feedback_for_an_unknown_service_is_404() -> None:
    body = {"feedback": [_ACCEPTED]}
    assert call(app_for(), "POST", "/cds-services/nope/feedback", body).status_code == 404


def test_the_jsonl_store_appends_and_reads_back(tmp_path: Path) -> None:
    store = JsonlFeedbackStore(tmp_path / "feedback.jsonl")
    app = app_for(feedback=store)
    for name in (
        "spec-19-example-suggestion-accepted.json",
        "spec-21-example-overridden-guidance-with-overrid.json",
    ):
        call(
            app,
            "POST",
            f"/cds-services/{ORDER_SIGN}/feedback",
            spec_example(f"spec-2.0.1-examples/{name}"),
        )
    records = store.records()
    assert [r.outcome for r in records] == ["accepted", "overridden"]
    assert records[0].accepted_suggestions == ("e56e1945-20b3-4393-8503-a1a20fd73152",)
    assert records[0] == FeedbackRecord.from_json(json.loads(json.dumps(records[0].as_json())))
    assert len((tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()) == 2
