"""A stored lab result changed and deleted through the pages (`/labs/{id}/edit`,
`/labs/{id}/delete`): the form filled in as received, the same problems at the field as
adding, a refused change that changes nothing, and another person's id a 404 on every
route, with their result untouched."""

from __future__ import annotations

import re
from typing import Any, Final

import pytest
from fastapi import FastAPI

from tests.web.conftest import Visitor
from tests.web.test_pages import Markup, form_visitor, get, post_form

DRAWN: Final = "2026-01-10"
# As an import stores it: a LOINC code for the test, the unit as the lab printed it, the
# lab's range and flag, which the form does not show and a change must keep.
RECEIVED: Final = {
    "test": "2276-4",
    "value": 38.0,
    "unit": "ng/ml",
    "date": DRAWN,
    "reference_range": "15-150",
    "flag": "N",
}
CHANGED: Final = {"test": "2276-4", "value": "45", "unit": "ng/ml", "date": DRAWN}


@pytest.fixture
def anna(app: FastAPI) -> Visitor:
    """Signed up, posting only as a browser's forms do (the CSRF token as a field)."""
    return form_visitor(app)


def add_result(visitor: Visitor, row: dict[str, Any] = RECEIVED) -> int:
    """A result stored through the API (the header token the form visitor lacks is read
    from a page, as a script would)."""
    token = Markup(visitor.call("GET", "/labs").text).csrf()
    created = visitor.call("POST", "/api/v1/me/labs", json=row, headers={"X-CSRF-Token": token})
    assert created.status_code == 201, created.text
    lab_id: int = created.json()["id"]
    return lab_id


def record(visitor: Visitor, lab_id: int) -> dict[str, Any]:
    found: dict[str, Any] = visitor.call("GET", f"/api/v1/me/labs/{lab_id}").json()
    return found


def selected(markup: Markup) -> list[str]:
    return [a["value"] for a in markup.all("option") if "selected" in a]


def listed_row(visitor: Visitor, lab_id: int) -> str:
    found = re.search(rf'<tr id="lab-{lab_id}">.*?</tr>', visitor.call("GET", "/labs").text, re.S)
    return "" if found is None else found[0]


# ---------------------------------------------------------------- the list's controls


def test_each_listed_result_has_a_change_link_and_a_delete_button(anna: Visitor) -> None:
    lab_id = add_result(anna)
    _, markup = get(anna, "/labs")
    assert markup.by_id(f"lab-{lab_id}-edit")["href"] == f"/labs/{lab_id}/edit"
    delete = markup.by_id(f"lab-{lab_id}-delete")
    assert delete["method"] == "post" and delete["action"] == f"/labs/{lab_id}/delete"
    row = listed_row(anna, lab_id)
    assert 'Change<span class="visually-hidden"> 2276-4 of 2026-01-10</span>' in row
    assert 'Delete<span class="visually-hidden"> 2276-4 of 2026-01-10</span>' in row


# ---------------------------------------------------------------- changing


def test_the_edit_form_is_the_result_as_received_with_what_it_reads_as(anna: Visitor) -> None:
    lab_id = add_result(anna)
    response, markup = get(anna, f"/labs/{lab_id}/edit")
    assert markup.by_id("edit-form")["action"] == f"/labs/{lab_id}/edit"
    assert markup.by_id("value")["value"] == "38.0"
    assert markup.by_id("date")["value"] == DRAWN
    assert selected(markup) == ["2276-4", "ng/ml"]  # kept as received, not the first option
    assert "2276-4 (as given)" in response.text
    assert markup.by_id("lab-check")["aria-live"] == "polite"
    assert "Reads as 38 ug/L." in response.text
    assert markup.by_id("back")["href"] == "/labs"


def test_a_change_is_saved_and_keeps_what_the_form_does_not_show(anna: Visitor) -> None:
    lab_id = add_result(anna)
    response = post_form(anna, f"/labs/{lab_id}/edit", CHANGED, f"/labs/{lab_id}/edit")
    assert response.status_code == 303
    assert response.headers["location"] == "/labs?saved=true"
    changed = record(anna, lab_id)
    assert changed["value"] == "45" and changed["canonical"]["value"] == 45
    assert changed["reference_range"] == "15-150" and changed["flag"] == "N"
    _, markup = get(anna, "/labs?saved=true")
    assert markup.by_id("saved")["role"] == "status"
    assert "<td>45 ng/ml</td>" in listed_row(anna, lab_id)


def test_a_change_to_another_test_and_unit_is_read_as_a_new_result_is(anna: Visitor) -> None:
    lab_id = add_result(anna)
    row = {"test": "hemoglobin", "value": "126", "unit": "g/L", "date": DRAWN}
    assert post_form(anna, f"/labs/{lab_id}/edit", row, "/labs").status_code == 303
    canonical = record(anna, lab_id)["canonical"]
    assert canonical["test"] == "hemoglobin" and canonical["value"] == pytest.approx(12.6)


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("value", "lots", "not a number"),
        ("value", "-3", "Ferritin cannot be negative"),
        ("unit", "%", "unit not valid for ferritin; accepted: ug/L, ng/mL, pmol/L, ug/dL"),
        ("date", "2026-13-01", "date"),
    ],
)
def test_a_refused_change_is_shown_at_its_field_and_changes_nothing(
    anna: Visitor, field: str, value: str, said: str
) -> None:
    lab_id = add_result(anna)
    before = record(anna, lab_id)
    posted = {**CHANGED, field: value}
    response = post_form(anna, f"/labs/{lab_id}/edit", posted, "/labs")
    assert response.status_code == 422
    markup = Markup(response.text)
    assert markup.by_id(field)["aria-invalid"] == "true"
    assert f"{field}-error" in markup.by_id(field)["aria-describedby"]
    assert said in response.text
    assert markup.by_id("edit-result-errors")["role"] == "alert"
    assert markup.by_id("edit-form")["action"] == f"/labs/{lab_id}/edit"  # still this result
    if field != "unit":
        assert markup.by_id(field)["value"] == value  # what was typed, to correct it
    assert record(anna, lab_id) == before


def test_without_script_the_edit_page_checks_without_saving(anna: Visitor) -> None:
    lab_id = add_result(anna)
    row = {**CHANGED, "test": "hemoglobin", "value": "126", "unit": "g/dL"}
    response = post_form(anna, f"/labs/{lab_id}/check", row, "/labs")
    assert response.status_code == 200
    assert "did you mean g/L?" in response.text
    assert Markup(response.text).by_id("value")["value"] == "126"
    assert record(anna, lab_id)["value"] == 38.0


# ---------------------------------------------------------------- deleting


def test_a_result_is_deleted_from_the_list(anna: Visitor) -> None:
    kept = add_result(anna, {**RECEIVED, "date": "2026-01-03"})
    lab_id = add_result(anna)
    response = post_form(anna, f"/labs/{lab_id}/delete", {}, "/labs")
    assert response.status_code == 303
    assert response.headers["location"] == "/labs?deleted=true"
    _, markup = get(anna, "/labs?deleted=true")
    assert markup.by_id("deleted")["role"] == "status"
    assert listed_row(anna, lab_id) == "" and listed_row(anna, kept)
    assert anna.call("GET", f"/api/v1/me/labs/{lab_id}").status_code == 404


def test_a_delete_or_change_without_the_csrf_token_is_refused(anna: Visitor) -> None:
    lab_id = add_result(anna)
    before = record(anna, lab_id)
    assert anna.call("POST", f"/labs/{lab_id}/delete").status_code == 403
    assert anna.call("POST", f"/labs/{lab_id}/edit", data=CHANGED).status_code == 403
    assert record(anna, lab_id) == before


# ---------------------------------------------------------------- another person's id


@pytest.mark.parametrize(
    ("method", "route"),
    [("GET", "edit"), ("POST", "edit"), ("POST", "check"), ("POST", "delete")],
)
def test_another_persons_result_is_not_found_on_every_route(
    app: FastAPI, anna: Visitor, method: str, route: str
) -> None:
    lab_id = add_result(anna)
    before = record(anna, lab_id)
    bob = Visitor(app).sign_up()  # the CSRF header on every request: only the id is wrong
    for unknown in (lab_id, 2**63, 2**80):
        data = None if method == "GET" else CHANGED
        answer = bob.call(method, f"/labs/{unknown}/{route}", data=data)
        assert answer.status_code == 404, (unknown, answer.text)
        assert "2276-4" not in answer.text  # nothing of the result is shown
    assert record(anna, lab_id) == before


def test_a_result_id_that_is_not_a_number_names_no_page(anna: Visitor) -> None:
    assert anna.call("GET", "/labs/ferritin/edit").status_code == 404


# ---------------------------------------------------------------- both databases


def test_change_and_delete_on_each_database(any_app: FastAPI) -> None:
    visitor = form_visitor(any_app)
    lab_id = add_result(visitor)
    assert post_form(visitor, f"/labs/{lab_id}/edit", CHANGED, "/labs").status_code == 303
    assert record(visitor, lab_id)["value"] == "45"
    refused = post_form(visitor, f"/labs/{lab_id}/edit", {**CHANGED, "value": "x"}, "/labs")
    assert refused.status_code == 422 and record(visitor, lab_id)["value"] == "45"
    assert post_form(visitor, f"/labs/{lab_id}/delete", {}, "/labs").status_code == 303
    assert visitor.call("GET", "/api/v1/me/labs").json() == []
