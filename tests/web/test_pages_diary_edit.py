"""Changing and deleting diary weeks and IRLS scores from the diary page: the same checks
as every record form (test_pages_records.py), and an IRLS score stored as its ten items,
whose items the edit form shows and keeps."""

from __future__ import annotations

from typing import Any, Final

import pytest
from fastapi import FastAPI

from rlsiron.core.knowledge.thresholds import IRLS_ITEMS
from tests.web.conftest import Visitor
from tests.web.test_pages import Markup, form_visitor, get, post_form
from tests.web.test_pages_records import Kind, RecordFormChecks, csrf_header, edit_path

PAGE: Final = "/diary"
WEEK: Final = Kind(
    path=PAGE,
    page=PAGE,
    api="diary",
    prefix="",
    row="diary-",
    good={"date": "2026-02-22", "nights_affected": "3", "severity": "4", "sleep_quality": ""},
    changed={"date": "2026-02-22", "nights_affected": "5", "severity": "4", "sleep_quality": "6"},
    bad={"date": "2026-02-22", "nights_affected": "3", "severity": "11", "sleep_quality": ""},
    bad_field="severity",
)
SCORE: Final = Kind(
    path=f"{PAGE}/irls",
    page=PAGE,
    api="irls",
    prefix="irls-",
    row="irls-",
    good={"date": "2026-02-22", "irls_total": "20"},
    changed={"date": "2026-02-15", "irls_total": "14"},
    bad={"date": "2026-02-22", "irls_total": "many"},
    bad_field="irls-irls_total",
)
KINDS: Final = (WEEK, SCORE)
ITEMS: Final = [2] * IRLS_ITEMS


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.api)
class TestDiaryForms(RecordFormChecks):
    """Diary weeks and IRLS scores."""


def test_a_score_id_is_not_a_diary_week(app: FastAPI) -> None:
    visitor = form_visitor(app)
    score = SCORE.add_one(visitor)
    assert visitor.call("GET", edit_path(WEEK, score["id"])).status_code == 404
    assert SCORE.stored(visitor) == [score]


def test_an_empty_score_is_a_problem_at_the_total(app: FastAPI) -> None:
    visitor = form_visitor(app)
    response = SCORE.add(visitor, {"date": "2026-02-22", "irls_total": ""})
    assert response.status_code == 422
    assert Markup(response.text).by_id("irls-irls_total")["aria-invalid"] == "true"
    assert "give irls_total or irls_items" in response.text


def _items_score(visitor: Visitor) -> dict[str, Any]:
    """A score stored as its ten items, as the API takes it (the forms give a total)."""
    body = {"date": "2026-02-22", "irls_items": ITEMS}
    response = visitor.call("POST", "/api/v1/me/irls", json=body, headers=csrf_header(visitor))
    assert response.status_code == 201, response.text
    score: dict[str, Any] = response.json()
    return score


def test_a_score_of_ten_items_keeps_its_items_when_its_date_changes(app: FastAPI) -> None:
    visitor = form_visitor(app)
    score = _items_score(visitor)
    _, form = get(visitor, edit_path(SCORE, score["id"]))
    assert form.by_id("irls-irls_total")["value"] == ""
    items = [form.by_id(f"irls-irls_item-{n}")["value"] for n in range(1, IRLS_ITEMS + 1)]
    assert items == [str(item) for item in ITEMS]
    sent = {"date": "2026-02-15", "irls_total": ""}
    sent |= {f"irls_item-{n}": str(item) for n, item in enumerate(ITEMS, start=1)}
    response = post_form(visitor, edit_path(SCORE, score["id"]), sent, PAGE)
    assert response.status_code == 303, response.text
    (after,) = SCORE.stored(visitor)
    assert after == {**score, "date": "2026-02-15"}
    listed = visitor.call("GET", PAGE).text
    assert f"{sum(ITEMS)} (from the ten questions)" in listed


def test_an_item_left_empty_is_a_problem_at_its_field(app: FastAPI) -> None:
    visitor = form_visitor(app)
    score = _items_score(visitor)
    sent = {"date": "2026-02-22", "irls_total": ""}
    sent |= {f"irls_item-{n}": str(item) for n, item in enumerate(ITEMS, start=1)}
    sent["irls_item-3"] = ""
    response = post_form(visitor, edit_path(SCORE, score["id"]), sent, PAGE)
    assert response.status_code == 422
    markup = Markup(response.text)
    assert markup.by_id("irls-irls_item-3")["aria-invalid"] == "true"
    assert "aria-invalid" not in markup.by_id("irls-irls_item-2")
    assert SCORE.stored(visitor) == [score]
