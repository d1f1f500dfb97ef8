"""Uploads: the preview stores nothing; accepting stores all the results or none."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Visitor, problem

CSV = (
    b"test,value,unit,date,reference range\n"
    b"ferritin,30,ug/L,2026-01-10,15-150\n"
    b"transferrin saturation,15,%,2026-01-10,20-45\n"
    b"ferritin,12,furlongs,2026-01-11,\n"
)


def _preview(visitor: Visitor, data: bytes = CSV, name: str = "portal.csv") -> Any:
    return visitor.call("POST", "/api/v1/me/uploads", files={"file": (name, data, "text/csv")})


def test_the_preview_shows_the_document_and_problems_and_stores_nothing(anna: Visitor) -> None:
    response = _preview(anna)
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["file"] == "portal.csv" and preview["format"] == "table"
    assert [row["test"] for row in preview["document"]["labs"]] == ["ferritin", "tsat"]
    (bad,) = preview["problems"]
    assert bad["location"].startswith("portal.csv") and bad["received"] == "furlongs"
    assert preview["needs_review"] == []
    assert anna.call("GET", "/api/v1/me/labs").json() == []


def test_accepting_the_preview_stores_its_results_with_their_origin(anna: Visitor) -> None:
    document = _preview(anna).json()["document"]
    stored = anna.call("POST", "/api/v1/me/uploads/accept", json=document)
    assert stored.status_code == 201, stored.text
    assert [r["canonical"]["test"] for r in stored.json()] == ["ferritin", "tsat"]
    assert all(r["origin"]["file"] == "portal.csv" for r in stored.json())
    assert anna.call("GET", "/api/v1/me/labs").json() == stored.json()


def test_one_bad_row_and_nothing_is_stored(anna: Visitor) -> None:
    document = _preview(anna).json()["document"]
    document["labs"].append(
        {"test": "ferritin", "value": 5, "unit": "furlongs", "date": "2026-01-11"}
    )
    document["labs"].append({"test": "ferritin", "value": "lots", "date": "2026-01-11"})
    errors = problem(anna.call("POST", "/api/v1/me/uploads/accept", json=document), 422)["errors"]
    assert {e["location"] for e in errors} >= {"labs[2].unit", "labs[3].value"}
    assert anna.call("GET", "/api/v1/me/labs").json() == []


def test_a_file_the_app_cannot_read_is_a_problem_at_the_file(anna: Visitor) -> None:
    (error,) = problem(_preview(anna, b"", "empty.csv"), 422)["errors"]
    assert error["location"] == "file" and "table" in error["accepted"]
    contract = b'{"person": {"sex": "female", "age_years": 40}, "labs": []}'
    (error,) = problem(_preview(anna, contract, "mine.json"), 422)["errors"]
    assert "contract input document" in error["message"]
    problem(anna.call("POST", "/api/v1/me/uploads"), 422)  # no file at all


def test_a_file_too_large_is_refused(anna: Visitor) -> None:
    limit = anna.app.state.rlsiron.settings.max_upload_bytes
    problem(_preview(anna, b"x" * (limit + 1)), 413)


def test_uploads_need_a_session_and_the_csrf_token(anna: Visitor) -> None:
    problem(_preview(Visitor(anna.app)), 401)
    anna.csrf = None
    problem(_preview(anna), 403)
    problem(anna.call("POST", "/api/v1/me/uploads/accept", json={"labs": []}), 403)
