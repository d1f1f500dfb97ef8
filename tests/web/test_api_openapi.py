"""The OpenAPI document is complete: every route, its models, and its error responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.web.conftest import Visitor

PROBLEM = "application/problem+json"
REF = "#/components/schemas/"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_every_route_is_documented_with_its_error_responses(app: FastAPI) -> None:
    document = Visitor(app).call("GET", "/api/v1/openapi.json").json()
    operations = _operations(document)
    routes = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1")
        for method in route.methods
    }
    assert routes <= set(operations)
    for (method, path), operation in operations.items():
        if not path.startswith("/api/v1"):
            continue  # the CDS Hooks service answers as its specification says
        responses = operation["responses"]
        codes = {int(code) for code in responses}
        where = f"{method} {path}"
        assert any(200 <= code < 300 for code in codes), where
        errors = {code for code in codes if code >= 400}
        assert errors, where
        for code in errors:
            content = responses[str(code)]["content"]
            assert list(content) == [PROBLEM], where
            assert content[PROBLEM]["schema"] == {"$ref": REF + "ProblemDetails"}, where
        if path.startswith("/api/v1/me"):
            assert 401 in errors, where
            if method in {"POST", "PUT", "DELETE"}:
                assert 403 in errors, where
        if "{record_id}" in path:
            assert 404 in errors, where
        if "requestBody" in operation or operation.get("parameters"):
            assert 422 in errors, where


def test_the_expected_statuses_are_declared_where_they_happen(app: FastAPI) -> None:
    operations = _operations(Visitor(app).call("GET", "/api/v1/openapi.json").json())

    def codes(method: str, path: str) -> set[int]:
        return {int(code) for code in operations[(method, "/api/v1" + path)]["responses"]}

    assert {401, 422, 429} <= codes("POST", "/session")
    assert {409, 422} <= codes("POST", "/accounts")
    assert {413, 422} <= codes("POST", "/me/uploads")
    assert {401, 403, 404, 422} <= codes("PUT", "/me/labs/{record_id}")


def test_every_model_is_in_the_document_and_every_reference_resolves(app: FastAPI) -> None:
    document = Visitor(app).call("GET", "/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith(REF) and ref.removeprefix(REF) in schemas, ref
    operations = _operations(document)
    assessment = operations[("POST", "/api/v1/assessments")]
    body = assessment["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"] == REF + "AssessmentInput"
    answer = assessment["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": REF + "Assessment"}
    labs = operations[("POST", "/api/v1/me/labs")]
    assert labs["requestBody"]["content"]["application/json"]["schema"]["$ref"] == REF + "LabEntry"
