"""A person reaches only their own records: any other id answers 404, never 403 or data.

On SQLite and on PostgreSQL: the scoping is in the queries, and both databases run them.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.web.conftest import FACTS, FERRITIN, TSAT, Visitor, problem
from tests.web.test_api import RECORDS


@pytest.fixture
def bob(any_app: FastAPI) -> Visitor:
    visitor = Visitor(any_app).sign_up()
    visitor.call("PUT", "/api/v1/me/facts", json=FACTS)
    return visitor


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_another_persons_record_is_not_found_and_stays_as_it_was(
    any_app: FastAPI, bob: Visitor, kind: str
) -> None:
    entry, replacement, _, _ = RECORDS[kind]
    record = bob.call("POST", f"/api/v1/me/{kind}", json=entry).json()
    path = f"/api/v1/me/{kind}/{record['id']}"
    anna = Visitor(any_app).sign_up()
    for method, body in (("GET", None), ("PUT", replacement), ("DELETE", None)):
        response = anna.call(method, path, json=body)
        assert problem(response, 404)["detail"].endswith(str(record["id"]))
    assert anna.call("GET", f"/api/v1/me/{kind}").json() == []
    assert bob.call("GET", path).json() == record
    assert bob.call("GET", f"/api/v1/me/{kind}").json() == [record]


def test_another_persons_saved_assessment_is_not_found(any_app: FastAPI, bob: Visitor) -> None:
    for row in (FERRITIN, TSAT):
        bob.call("POST", "/api/v1/me/labs", json=row)
    saved = bob.call("POST", "/api/v1/me/assessments", params={"as_of": "2026-02-01"}).json()
    path = f"/api/v1/me/assessments/{saved['id']}"
    anna = Visitor(any_app).sign_up()
    problem(anna.call("GET", path), 404)
    problem(anna.call("DELETE", path), 404)
    assert anna.call("GET", "/api/v1/me/assessments").json() == []
    assert bob.call("GET", path).json() == saved


def test_a_missing_record_and_another_persons_answer_alike(any_app: FastAPI, bob: Visitor) -> None:
    record = bob.call("POST", "/api/v1/me/labs", json=FERRITIN).json()
    anna = Visitor(any_app).sign_up()
    theirs = problem(anna.call("GET", f"/api/v1/me/labs/{record['id']}"), 404)
    missing = problem(anna.call("GET", "/api/v1/me/labs/999999999"), 404)
    assert theirs["detail"].replace(str(record["id"]), "N") == missing["detail"].replace(
        "999999999", "N"
    )
