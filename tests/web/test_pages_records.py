"""The "Medicines and iron" page and the record forms every list shares: add, change and
delete through plain forms, the engine's reading beside each medicine and condition, the
engine's and the store's problems at their fields (and nothing stored or changed when
there is one), and another person's record answering 404 to every route.

The checks of one kind of record are functions of a `Kind`, so the diary's kinds
(test_pages_diary_edit.py) are held to the very same ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Final, get_args

import httpx
import pytest
from fastapi import FastAPI

from rlsiron.core.knowledge.conditions import read_conditions
from rlsiron.core.knowledge.medications import match_medications
from rlsiron.core.models import Route
from tests.web.conftest import FACTS, Visitor
from tests.web.test_pages import Markup, form_visitor, get, post_form

PAGE: Final = "/medicines"


@dataclass(frozen=True)
class Kind:
    """One kind of record as its forms take it: a good entry, a change of it, a bad one."""

    path: str  # POST here adds; {path}/{id}/edit and {path}/{id}/delete
    page: str  # the list it is shown in (its add form is there)
    api: str  # /api/v1/me/{api}: what is stored, read another way than the pages
    prefix: str  # of the form's field ids
    row: str  # of the list's row ids
    good: dict[str, str]
    changed: dict[str, str]
    bad: dict[str, str]
    bad_field: str  # the field id the bad entry's problem is shown at
    selects: frozenset[str] = field(default_factory=frozenset)  # fields that are <select>s

    def stored(self, visitor: Visitor) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = visitor.call("GET", f"/api/v1/me/{self.api}").json()
        return found

    def add(self, visitor: Visitor, data: dict[str, str] | None = None) -> httpx.Response:
        return post_form(visitor, self.path, data or self.good, self.page)

    def add_one(self, visitor: Visitor) -> dict[str, Any]:
        """The good entry added through the form: its stored record."""
        response = self.add(visitor)
        assert response.status_code == 303, response.text
        (record,) = self.stored(visitor)
        return record


MEDICINE: Final = Kind(
    path="/medicines/medicine",
    page=PAGE,
    api="medicines",
    prefix="medicine-",
    row="medicine-",
    good={"text": "sertraline 50 mg", "started": "2025-06-01", "ended": ""},
    changed={"text": "sertraline 100 mg", "started": "2025-06-01", "ended": "2026-01-31"},
    bad={"text": "sertraline", "started": "2026-02-01", "ended": "2026-01-01"},
    bad_field="medicine-ended",
)
CONDITION: Final = Kind(
    path="/medicines/condition",
    page=PAGE,
    api="conditions",
    prefix="condition-",
    row="condition-",
    good={"text": "coeliac disease"},
    changed={"text": "hereditary haemochromatosis"},
    bad={"text": "   "},
    bad_field="condition-text",
)
IRON_COURSE: Final = Kind(
    path="/medicines/iron-course",
    page=PAGE,
    api="iron-courses",
    prefix="iron-course-",
    row="iron-course-",
    good={"route": "oral", "product": "ferrous sulfate", "started": "2026-01-05", "ended": ""},
    changed={"route": "oral", "product": "", "started": "2026-01-05", "ended": "2026-02-20"},
    bad={"route": "iv", "product": "", "started": "2026-01-05", "ended": "2026-01-06"},
    bad_field="iron-course-ended",
    selects=frozenset({"route"}),
)
KINDS: Final = (MEDICINE, CONDITION, IRON_COURSE)


def csrf_header(visitor: Visitor) -> dict[str, str]:
    """The API's CSRF header for a visitor who uses the forms (the token is the same)."""
    return {"X-CSRF-Token": Markup(visitor.call("GET", PAGE).text).csrf()}


def edit_path(kind: Kind, record_id: int | str) -> str:
    return f"{kind.path}/{record_id}/edit"


def delete_path(kind: Kind, record_id: int | str) -> str:
    return f"{kind.path}/{record_id}/delete"


def shown_values(markup: Markup, kind: Kind) -> dict[str, str]:
    """The form's fields as the page fills them in (a select by its chosen option)."""
    chosen = [a["value"] for a in markup.all("option") if "selected" in a]
    return {
        name: chosen[0] if name in kind.selects else markup.by_id(kind.prefix + name)["value"]
        for name in kind.good
    }


def assert_accessible_form(markup: Markup) -> None:
    """Every field labelled, every description present, every change a POST with CSRF."""
    labelled = {a["for"] for a in markup.all("label")}
    for element in markup.all("input") + markup.all("select"):
        if element.get("type") != "hidden":
            assert element["id"] in labelled, element
    ids = {a.get("id") for _, a in markup.elements}
    for _, element in markup.elements:
        assert set(element.get("aria-describedby", "").split()) <= ids, element
        assert not any(name.startswith("on") or name == "style" for name in element), element
    assert all(a["method"] == "post" for a in markup.all("form"))
    tokens = [a for a in markup.all("input") if a.get("name") == "csrf_token"]
    assert len(tokens) == len(markup.all("form"))


# ---------------------------------------------------------------- checks of every kind


class RecordFormChecks:
    """What every record form does, for each `kind` a subclass is parametrized with (the
    diary's test module reuses it for its own kinds)."""

    def test_a_record_is_added_changed_and_deleted_through_the_forms(
        self, app: FastAPI, kind: Kind
    ) -> None:
        visitor = form_visitor(app)
        response = kind.add(visitor)
        assert response.headers["location"] == kind.page
        (record,) = kind.stored(visitor)
        _, listed = get(visitor, kind.page)
        assert listed.by_id(f"{kind.row}{record['id']}")

        _, form = get(visitor, edit_path(kind, record["id"]))
        assert shown_values(form, kind) == kind.good
        assert form.by_id("edit-form")["action"] == edit_path(kind, record["id"])
        assert_accessible_form(form)

        response = post_form(visitor, edit_path(kind, record["id"]), kind.changed, kind.page)
        assert response.status_code == 303 and response.headers["location"] == kind.page
        (after,) = kind.stored(visitor)
        assert after["id"] == record["id"] and after != record
        _, again = get(visitor, edit_path(kind, record["id"]))
        assert shown_values(again, kind) == kind.changed

        response = post_form(visitor, delete_path(kind, record["id"]), {}, kind.page)
        assert response.status_code == 303 and response.headers["location"] == kind.page
        assert kind.stored(visitor) == []
        assert visitor.call("GET", edit_path(kind, record["id"])).status_code == 404

    def test_a_bad_entry_is_shown_at_its_field_and_not_stored(
        self, app: FastAPI, kind: Kind
    ) -> None:
        visitor = form_visitor(app)
        response = kind.add(visitor, kind.bad)
        assert response.status_code == 422
        markup = Markup(response.text)
        invalid = markup.by_id(kind.bad_field)
        assert invalid["aria-invalid"] == "true"
        assert f"{kind.bad_field}-error" in invalid["aria-describedby"].split()
        assert markup.by_id(f"{kind.bad_field}-error")
        for name, value in kind.bad.items():  # what was typed stays there, to correct it
            if name not in kind.selects:
                assert markup.by_id(kind.prefix + name)["value"] == value
        assert kind.stored(visitor) == []

    def test_a_failed_edit_changes_nothing(self, app: FastAPI, kind: Kind) -> None:
        visitor = form_visitor(app)
        record = kind.add_one(visitor)
        response = post_form(visitor, edit_path(kind, record["id"]), kind.bad, kind.page)
        assert response.status_code == 422
        markup = Markup(response.text)
        assert markup.by_id(kind.bad_field)["aria-invalid"] == "true"
        assert markup.by_id("edit-form")["action"] == edit_path(kind, record["id"])
        assert kind.stored(visitor) == [record]

    def test_another_persons_record_is_not_found(self, any_app: FastAPI, kind: Kind) -> None:
        anna = form_visitor(any_app)
        record = kind.add_one(anna)
        record_id = record["id"]
        bob = form_visitor(any_app)
        token = Markup(bob.call("GET", kind.page).text).csrf()
        assert bob.call("GET", edit_path(kind, record_id)).status_code == 404
        for data in (kind.changed, kind.bad):
            sent = {**data, "csrf_token": token}
            assert bob.call("POST", edit_path(kind, record_id), data=sent).status_code == 404
        sent = {"csrf_token": token}
        assert bob.call("POST", delete_path(kind, record_id), data=sent).status_code == 404
        for missing in (2**70, "abc"):
            assert bob.call("GET", edit_path(kind, missing)).status_code == 404
            assert bob.call("POST", delete_path(kind, missing), data=sent).status_code == 404
        assert kind.stored(anna) == [record]
        assert kind.stored(bob) == []

    def test_a_change_without_the_csrf_field_is_refused(self, app: FastAPI, kind: Kind) -> None:
        visitor = form_visitor(app)
        record = kind.add_one(visitor)
        assert visitor.call("POST", delete_path(kind, record["id"])).status_code == 403
        refused = visitor.call("POST", edit_path(kind, record["id"]), data=kind.changed)
        assert refused.status_code == 403
        assert kind.stored(visitor) == [record]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.api)
class TestMedicinesAndIronForms(RecordFormChecks):
    """Medicines, conditions and iron courses."""


# ---------------------------------------------------------------- the page


def test_the_page_has_a_form_for_each_kind_and_is_accessible(app: FastAPI) -> None:
    visitor = form_visitor(app)
    signed_out = Visitor(app).call("GET", PAGE)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in")
    for kind in KINDS:
        kind.add_one(visitor)
    response, markup = get(visitor, PAGE)
    assert response.headers["cache-control"] == "no-store"
    assert [a["action"] for a in markup.all("form") if a.get("id", "").endswith("-form")] == [
        MEDICINE.path,
        CONDITION.path,
        IRON_COURSE.path,
    ]
    assert [a["href"] for a in markup.all("a") if a.get("aria-current") == "page"] == [PAGE]
    assert_accessible_form(markup)
    # the route is chosen among the contract's values, in the contract's order
    assert [a["value"] for a in markup.all("option")] == list(get_args(Route))


def test_each_medicine_is_shown_with_what_the_engine_read(app: FastAPI) -> None:
    visitor = form_visitor(app)
    for text in ("sertraline 50 mg", "Zoloft", "vitamin D drops"):
        response = MEDICINE.add(visitor, {"text": text, "started": "", "ended": ""})
        assert response.status_code == 303, response.text
    ids = {record["text"]: record["id"] for record in MEDICINE.stored(visitor)}
    rows = Rows(visitor.call("GET", PAGE).text).text
    (ssri,) = match_medications(("sertraline 50 mg",))
    assert ssri.drug_class.effect == "may_worsen"  # the case the page must say so for
    for text in ("sertraline 50 mg", "Zoloft"):
        row = rows[f"medicine-{ids[text]}"]
        assert ssri.drug_class.label in row and ssri.drug_class.why in row  # the core's words
    assert "sertraline: " in rows[f"medicine-{ids['sertraline 50 mg']}"]
    assert "sertraline (Zoloft): " in rows[f"medicine-{ids['Zoloft']}"]
    unknown = rows[f"medicine-{ids['vitamin D drops']}"]
    assert unknown.startswith("vitamin D drops") and "Not recognised" in unknown
    assert "dates not given" in unknown


def test_each_condition_is_shown_with_the_code_the_rules_read(app: FastAPI) -> None:
    visitor = form_visitor(app)
    for text in ("hereditary haemochromatosis", "migraine"):
        assert CONDITION.add(visitor, {"text": text}).status_code == 303
    ids = {record["text"]: record["id"] for record in CONDITION.stored(visitor)}
    rows = Rows(visitor.call("GET", PAGE).text).text
    (match,) = read_conditions(("hereditary haemochromatosis",)).matches
    assert match.code in rows[f"condition-{ids['hereditary haemochromatosis']}"]
    assert read_conditions(("migraine",)).unused == ("migraine",)
    migraine = rows[f"condition-{ids['migraine']}"]
    assert "Not recognised" in migraine and "reported" in migraine


def test_a_condition_against_the_kidney_status_is_refused_at_the_field(any_app: FastAPI) -> None:
    visitor = form_visitor(any_app)
    facts = {**FACTS, "kidney": "normal"}
    headers = csrf_header(visitor)
    assert visitor.call("PUT", "/api/v1/me/facts", json=facts, headers=headers).status_code == 200
    response = CONDITION.add(visitor, {"text": "on haemodialysis"})
    assert response.status_code == 422
    markup = Markup(response.text)
    assert markup.by_id("condition-text")["aria-invalid"] == "true"
    assert markup.by_id("condition-text")["value"] == "on haemodialysis"
    assert "contradicts the condition" in response.text
    assert CONDITION.stored(visitor) == []
    # an edit that would contradict it is refused the same way, and changes nothing
    record = CONDITION.add_one(visitor)
    changed = post_form(
        visitor, edit_path(CONDITION, record["id"]), {"text": "on haemodialysis"}, PAGE
    )
    assert changed.status_code == 422
    assert Markup(changed.text).by_id("condition-text")["aria-invalid"] == "true"
    assert CONDITION.stored(visitor) == [record]


def test_an_infusion_is_one_day_and_an_oral_course_may_be_ongoing(app: FastAPI) -> None:
    visitor = form_visitor(app)
    infusion = {"route": "iv", "product": "", "started": "2026-02-02", "ended": ""}
    assert IRON_COURSE.add(visitor, infusion).status_code == 303
    assert IRON_COURSE.add(visitor).status_code == 303
    stored = {record["route"]: record for record in IRON_COURSE.stored(visitor)}
    assert stored["iv"]["ended"] is None and stored["oral"]["ended"] is None
    rows = Rows(visitor.call("GET", PAGE).text).text
    assert "one infusion" in rows[f"iron-course-{stored['iv']['id']}"]
    oral = rows[f"iron-course-{stored['oral']['id']}"]
    assert "ongoing" in oral and "ferrous sulfate" in oral


def test_every_problem_of_an_iron_course_is_shown_at_once(app: FastAPI) -> None:
    visitor = form_visitor(app)
    data = {"route": "iv", "product": "", "started": "", "ended": "2026-01-06"}
    response = IRON_COURSE.add(visitor, data)
    assert response.status_code == 422
    markup = Markup(response.text)
    assert markup.by_id("iron-course-started")["aria-invalid"] == "true"
    assert markup.by_id("iron-course-ended")["aria-invalid"] == "true"
    assert "is required" in response.text and "no end date" in response.text
    other = IRON_COURSE.add(visitor, {**IRON_COURSE.good, "route": "intramuscular"})
    assert other.status_code == 422
    route = Markup(other.text).by_id("iron-course-route")
    assert route["aria-invalid"] == "true"
    assert "accepted: oral, iv" in other.text
    assert IRON_COURSE.stored(visitor) == []


class Rows(HTMLParser):
    """The text of each table row that has an id, entities read, whitespace collapsed."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self._row: str | None = None
        self.feed(html)
        self.text = {row: " ".join(text.split()) for row, text in self.text.items()}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = dict(attrs).get("id")
            if self._row is not None:
                self.text[self._row] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self.text[self._row] += data
