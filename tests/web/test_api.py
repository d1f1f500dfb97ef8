"""The API: the stateless assessment, the person, each record type, the replay, the exports,
problem details and the security headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI

from rlsiron.web.headers import CONTENT_SECURITY_POLICY
from tests.conftest import REPO
from tests.web.conftest import FERRITIN, TODAY, TSAT, Visitor, problem

DEMO = json.loads((REPO / "src" / "rlsiron" / "examples" / "demo.json").read_text("utf-8"))

# kind -> (a valid entry, a replacement, an entry refused, and where: "body" is the whole)
RECORDS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]] = {
    "labs": (FERRITIN, {**FERRITIN, "value": "<5"}, {**FERRITIN, "unit": "furlongs"}, "unit"),
    "irls": (
        {"date": "2026-01-05", "irls_total": 22},
        {"date": "2026-01-05", "irls_items": [2] * 10},
        {"date": "2026-01-05"},
        "body",
    ),
    "diary": (
        {"date": "2026-01-05", "nights_affected": 4, "severity": 6},
        {"date": "2026-01-05", "nights_affected": 2, "severity": 3},
        {"date": "2026-01-05", "nights_affected": 9},
        "nights_affected",
    ),
    "medicines": (
        {"text": "sertraline", "started": "2025-06-01"},
        {"text": "sertraline", "started": "2025-06-01", "ended": "2026-02-01"},
        {"text": "sertraline", "started": "2025-06-01", "ended": "2025-01-01"},
        "body",
    ),
    "conditions": ({"text": "coeliac disease"}, {"text": "asthma"}, {"text": ""}, "text"),
    "iron-courses": (
        {"route": "oral", "product": "ferrous sulfate", "started": "2025-10-01"},
        {"route": "iv", "product": "ferric carboxymaltose", "started": "2025-12-01"},
        {"route": "nasal", "started": "2025-10-01"},
        "route",
    ),
}


def test_every_response_carries_the_security_headers(app: FastAPI) -> None:
    for response in (
        Visitor(app).call("GET", "/api/v1/openapi.json"),
        Visitor(app).call("GET", "/api/v1/me"),
        Visitor(app).call("GET", "/cds-services"),
        Visitor(app).call("GET", "/nowhere"),
    ):
        headers = response.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
    assert Visitor(app).call("GET", "/api/v1/me").headers["cache-control"] == "no-store"


def test_an_unknown_route_is_a_problem_too(app: FastAPI) -> None:
    assert problem(Visitor(app).call("GET", "/nowhere"), 404)["detail"] == "Not Found"
    problem(Visitor(app).call("PATCH", "/api/v1/assessments"), 405)


def test_the_cds_hooks_service_is_mounted(app: FastAPI) -> None:
    services = Visitor(app).call("GET", "/cds-services").json()["services"]
    assert services


# ---------------------------------------------------------------- stateless assessment


def test_the_stateless_assessment_needs_no_account(app: FastAPI) -> None:
    response = Visitor(app).call("POST", "/api/v1/assessments", json=DEMO)
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == DEMO["as_of"]
    assert body["iron_therapy"]["decision"] in {"indicated", "not_indicated", "test_first"}


def test_the_stateless_assessment_is_for_today_without_as_of_and_ages_a_birth_date(
    app: FastAPI,
) -> None:
    document = {"person": FACTS_DOCUMENT, "labs": [FERRITIN, TSAT]}
    body = Visitor(app).call("POST", "/api/v1/assessments", json=document).json()
    assert body["as_of"] == TODAY.isoformat()
    assert body["iron_therapy"]["decision"] == "indicated"


FACTS_DOCUMENT = {"sex": "female", "birth_date": "1980-05-01"}


def test_the_stateless_assessment_lists_every_problem_with_its_location(app: FastAPI) -> None:
    document = {
        "as_of": "2026-03-01",
        "person": {"sex": "x", "age_years": 40},
        "labs": [{**FERRITIN, "unit": "furlongs"}, {**TSAT, "test": "hba1c"}],
    }
    response = Visitor(app).call("POST", "/api/v1/assessments", json=document)
    errors = {e["location"]: e for e in problem(response, 422)["errors"]}
    assert set(errors) == {"person.sex", "labs[0].unit", "labs[1].test"}
    assert errors["labs[0].unit"]["received"] == "furlongs"
    assert errors["labs[0].unit"]["kind"] == "unit"
    assert "ug/L" in errors["labs[0].unit"]["accepted"]


def test_a_body_that_is_not_json_is_a_problem(app: FastAPI) -> None:
    response = Visitor(app).call(
        "POST",
        "/api/v1/assessments",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert problem(response, 422)["errors"][0]["message"].startswith("Invalid JSON")


# ---------------------------------------------------------------- the person


def test_facts_and_settings_are_replaced_and_read_back(anna: Visitor) -> None:
    facts = {**FACTS_DOCUMENT, "kidney": "normal", "diet": "vegetarian"}
    assert anna.call("PUT", "/api/v1/me/facts", json=facts).json()["facts"]["diet"] == "vegetarian"
    settings = {"units": "si", "profile": "ferritin-50"}
    assert anna.call("PUT", "/api/v1/me/settings", json=settings).json()["settings"] == settings
    me = anna.call("GET", "/api/v1/me").json()
    assert me["facts"]["kidney"] == "normal" and me["settings"] == settings
    assert "password" not in json.dumps(me)


def test_facts_that_contradict_are_refused_at_the_field(anna: Visitor) -> None:
    response = anna.call(
        "PUT",
        "/api/v1/me/facts",
        json={"sex": "male", "pregnancy": {"weeks": 3, "on": "2026-01-01"}},
    )
    problem(response, 422)
    response = anna.call("PUT", "/api/v1/me/settings", json={"units": "imperial"})
    assert problem(response, 422)["errors"][0]["location"] == "units"


# ---------------------------------------------------------------- records


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_each_record_type_is_created_listed_read_replaced_and_deleted(
    anna: Visitor, kind: str
) -> None:
    entry, replacement, _, _ = RECORDS[kind]
    created = anna.call("POST", f"/api/v1/me/{kind}", json=entry)
    assert created.status_code == 201, created.text
    record = created.json()
    path = f"/api/v1/me/{kind}/{record['id']}"
    assert anna.call("GET", f"/api/v1/me/{kind}").json() == [record]
    assert anna.call("GET", path).json() == record
    replaced = anna.call("PUT", path, json=replacement)
    assert replaced.status_code == 200
    assert replaced.json()["id"] == record["id"] and replaced.json() != record
    assert anna.call("DELETE", path).status_code == 204
    problem(anna.call("GET", path), 404)
    problem(anna.call("PUT", path, json=replacement), 404)
    problem(anna.call("DELETE", path), 404)
    assert anna.call("GET", f"/api/v1/me/{kind}").json() == []


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_a_bad_record_is_refused_with_its_problems(anna: Visitor, kind: str) -> None:
    _, _, bad, location = RECORDS[kind]
    errors = problem(anna.call("POST", f"/api/v1/me/{kind}", json=bad), 422)["errors"]
    assert location in {e["location"] for e in errors}
    assert anna.call("GET", f"/api/v1/me/{kind}").json() == []
    problem(anna.call("GET", f"/api/v1/me/{kind}/not-a-number"), 422)


def test_a_lab_row_keeps_what_was_received_and_the_core_reading(anna: Visitor) -> None:
    row = {**FERRITIN, "value": 38.0, "unit": "ng/mL", "reference_range": "15-150"}
    record = anna.call("POST", "/api/v1/me/labs", json=row).json()
    assert record["value"] == 38.0 and record["unit"] == "ng/mL"
    assert record["canonical"] == {
        "test": "ferritin",
        "value": 38.0,
        "qualifier": "=",
        "unit": "ug/L",
        "plausible": True,
    }


# ---------------------------------------------------------------- assessments on the history


def test_the_assessment_at_two_dates_replays_two_decisions(anna: Visitor) -> None:
    for row in (FERRITIN, TSAT):
        anna.call("POST", "/api/v1/me/labs", json=row)
    before = anna.call("GET", "/api/v1/me/assessment", params={"as_of": "2026-01-01"}).json()
    after = anna.call("GET", "/api/v1/me/assessment", params={"as_of": "2026-02-01"}).json()
    decided = (before["iron_therapy"]["decision"], after["iron_therapy"]["decision"])
    assert decided == ("test_first", "indicated")
    assert before["as_of"] == "2026-01-01" and after["as_of"] == "2026-02-01"
    assert anna.call("GET", "/api/v1/me/assessments").json() == []  # a read saves nothing
    for day in ("2026-01-01", "2026-02-01"):
        made = anna.call("POST", "/api/v1/me/assessments", params={"as_of": day})
        assert made.status_code == 201, made.text
    saved = anna.call("GET", "/api/v1/me/assessments").json()
    assert [s["decision"] for s in saved] == ["test_first", "indicated"]
    assert saved[1]["output"] == after
    one = anna.call("GET", f"/api/v1/me/assessments/{saved[0]['id']}").json()
    assert one == saved[0] and one["engine_version"]
    assert anna.call("DELETE", f"/api/v1/me/assessments/{saved[0]['id']}").status_code == 204
    today = anna.call("GET", "/api/v1/me/assessment").json()
    assert today["as_of"] == TODAY.isoformat()


def test_the_assessment_names_the_facts_it_still_needs(app: FastAPI) -> None:
    newcomer = Visitor(app).sign_up()
    errors = problem(newcomer.call("GET", "/api/v1/me/assessment"), 422)["errors"]
    assert {"person.sex", "person.age_years"} <= {e["location"] for e in errors}
    problem(newcomer.call("GET", "/api/v1/me/assessment", params={"as_of": "2026-13-01"}), 422)


# ---------------------------------------------------------------- export and deletion


def test_the_export_holds_every_record_and_the_contract_input(anna: Visitor) -> None:
    anna.call("POST", "/api/v1/me/labs", json=FERRITIN)
    anna.call("POST", "/api/v1/me/conditions", json={"text": "coeliac disease"})
    export = anna.call("GET", "/api/v1/me/export").json()
    assert export["format"] == "rlsiron-export" and export["as_of"] == TODAY.isoformat()
    assert export["input"]["labs"] == [FERRITIN]
    assert export["input"]["person"]["conditions"] == ["coeliac disease"]
    assert [c["text"] for c in export["records"]["conditions"]] == ["coeliac disease"]


def test_the_fhir_export_is_a_bundle(anna: Visitor) -> None:
    for row in (FERRITIN, TSAT):
        anna.call("POST", "/api/v1/me/labs", json=row)
    response = anna.call("GET", "/api/v1/me/export/fhir")
    assert response.headers["content-type"] == "application/fhir+json"
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert {"Observation", "Patient"} <= {e["resource"]["resourceType"] for e in bundle["entry"]}


def test_the_fhir_export_needs_the_facts(app: FastAPI) -> None:
    problem(Visitor(app).sign_up().call("GET", "/api/v1/me/export/fhir"), 422)


def test_deleting_the_account_deletes_every_record(anna: Visitor) -> None:
    anna.call("POST", "/api/v1/me/labs", json=FERRITIN)
    email = anna.email
    assert anna.call("DELETE", "/api/v1/me").status_code == 204
    problem(anna.call("GET", "/api/v1/me/labs"), 401)
    again = Visitor(anna.app).sign_up(email)  # the address is free again, with nothing in it
    assert again.call("GET", "/api/v1/me/labs").json() == []
