"""Uploads: the preview stores nothing; accepting stores the results, medicines,
conditions and (when asked) facts all together or none of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from tests.web.conftest import FACTS, Visitor, problem

# Synthea R4 (see /work/shared/data/fhir/PROVENANCE.md): female, born 1948-06-14; five
# current conditions and six active medicines.
KIRSTEN: Final = Path(
    "/work/shared/data/fhir/synthea-r4/Kirsten_Witting_a09212a3-af3e-4194-b1d1-3f0a543222f6.json"
)

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
    assert preview["needs_review"] == [] and preview["facts"] == []
    assert anna.call("GET", "/api/v1/me/labs").json() == []


def test_accepting_the_preview_stores_its_results_with_their_origin(anna: Visitor) -> None:
    document = _preview(anna).json()["document"]
    stored = anna.call("POST", "/api/v1/me/uploads/accept", json=document)
    assert stored.status_code == 201, stored.text
    labs = stored.json()["labs"]
    assert [r["canonical"]["test"] for r in labs] == ["ferritin", "tsat"]
    assert all(r["origin"]["file"] == "portal.csv" for r in labs)
    assert anna.call("GET", "/api/v1/me/labs").json() == labs


def test_one_bad_row_and_nothing_isstored_counts(anna: Visitor) -> None:
    document = _preview(anna).json()["document"]
    document["labs"].append(
        {"test": "ferritin", "value": 5, "unit": "furlongs", "date": "2026-01-11"}
    )
    document["labs"].append({"test": "ferritin", "value": "lots", "date": "2026-01-11"})
    errors = problem(anna.call("POST", "/api/v1/me/uploads/accept", json=document), 422)["errors"]
    assert {e["location"] for e in errors} >= {"labs[2].unit", "labs[3].value"}
    assert anna.call("GET", "/api/v1/me/labs").json() == []


def _kirsten(visitor: Visitor) -> Any:
    data = KIRSTEN.read_bytes()
    files = {"file": (KIRSTEN.name, data, "application/fhir+json")}
    response = visitor.call("POST", "/api/v1/me/uploads", files=files)
    assert response.status_code == 200, response.text
    return response.json()


def stored_counts(visitor: Visitor) -> tuple[int, int, int]:
    """How many results, medicines and conditions the person has stored."""
    labs, medicines, conditions = (
        len(visitor.call("GET", f"/api/v1/me/{kind}").json())
        for kind in ("labs", "medicines", "conditions")
    )
    return labs, medicines, conditions


def test_the_preview_shows_each_fact_beside_the_stored_one(anna: Visitor) -> None:
    facts = {f["location"]: f for f in _kirsten(anna)["facts"]}
    assert facts["person.sex"]["status"] == "same"
    birth = facts["person.birth_date"]
    assert (birth["found"], birth["stored"], birth["status"]) == (
        "1948-06-14",
        FACTS["birth_date"],
        "contradicts",
    )


def test_accepting_stores_the_medicines_and_conditions_and_asked_facts(anna: Visitor) -> None:
    newcomer = Visitor(anna.app).sign_up()
    document = _kirsten(newcomer)["document"]
    accepted = newcomer.call(
        "POST", "/api/v1/me/uploads/accept", params={"use_facts": "true"}, json=document
    )
    assert accepted.status_code == 201, accepted.text
    body = accepted.json()
    assert [m["text"] for m in body["medicines"]] == document["medications"]
    assert len(body["conditions"]) == 5 and body["already_stored"] == []
    assert (body["facts"]["sex"], body["facts"]["birth_date"]) == ("female", "1948-06-14")
    assert stored_counts(newcomer) == (len(document["labs"]), 6, 5)
    again = newcomer.call("POST", "/api/v1/me/uploads/accept", json=document).json()
    assert len(again["already_stored"]) == len(document["labs"]) + 11
    assert again["labs"] == [] and again["facts"] is None
    assert stored_counts(newcomer) == (len(document["labs"]), 6, 5)


def test_a_contradicting_fact_stores_nothing(anna: Visitor) -> None:
    document = _kirsten(anna)["document"]
    accept = "/api/v1/me/uploads/accept?use_facts=true"
    (error,) = problem(anna.call("POST", accept, json=document), 422)["errors"]
    assert error["location"] == "person.birth_date" and error["kind"] == "contradiction"
    assert stored_counts(anna) == (0, 0, 0)
    assert anna.call("GET", "/api/v1/me").json()["facts"]["birth_date"] == FACTS["birth_date"]


def test_what_is_not_part_of_an_import_document_is_refused(anna: Visitor) -> None:
    document = {"labs": [], "iron_therapy": [{"route": "iv", "started": "2026-01-01"}]}
    (error,) = problem(anna.call("POST", "/api/v1/me/uploads/accept", json=document), 422)["errors"]
    assert error["location"] == "iron_therapy"


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
