"""The lab row's check while it is typed (`POST /labs/check`, a panel row's
`POST /labs/panel/check/{test}`): the engine's own words for each kind of problem or caution,
or what the row reads as; what htmx swaps in, and the whole page without script; nothing is
stored and nothing written. A stored row shows the same cautions in the list, so saving
without script says what the check said."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.web.conftest import Visitor
from tests.web.test_pages import Markup, form_visitor, get, post_form

DRAWN: Final = "2026-01-10"  # before the test app's TODAY (2026-03-01)
HTMX: Final = {"HX-Request": "true"}
FERRITIN: Final = {"test": "ferritin", "value": "38", "unit": "ng/mL", "date": DRAWN}
_WRITES: Final = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture
def person(app: FastAPI) -> Visitor:
    """Signed up; every request carries the CSRF header, as htmx sends it from <body>."""
    return Visitor(app).sign_up()


def words(markup: str) -> str:
    """The text a person reads: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def stored(visitor: Visitor) -> list[dict[str, Any]]:
    labs: list[dict[str, Any]] = visitor.call("GET", "/api/v1/me/labs").json()
    return labs


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    engine = app.state.rlsiron.db.engine
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])  # (connection, cursor, statement, parameters, context, many)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def check(visitor: Visitor, **row: str) -> httpx.Response:
    """The one-result form's row as htmx posts it (a fragment is the answer)."""
    response = visitor.call("POST", "/labs/check", data={**FERRITIN, **row}, headers=HTMX)
    assert response.status_code == 200, response.text
    return response


# ---------------------------------------------------------------- each kind of message


@pytest.mark.parametrize(
    ("row", "said"),
    [
        pytest.param(
            {"test": "hemoglobin", "value": "126", "unit": "g/dL"},
            [
                "Hemoglobin 126 g/dL is outside what the body can plausibly have in that unit",
                "was another unit meant? The value is not used until checked.",
                "did you mean g/L?",
            ],
            id="implausible in its unit",
        ),
        pytest.param(
            {"value": "38000", "unit": "ug/dL"},
            ["Ferritin 38000 ug/dL is outside", "did you mean ug/L, ng/mL or pmol/L?"],
            id="implausible ferritin",
        ),
        pytest.param(
            {"unit": "%"},
            ["Unit: unit not valid for ferritin; accepted: ug/L, ng/mL, pmol/L, ug/dL"],
            id="a unit the test does not take",
        ),
        pytest.param(
            {"test": "tsat", "value": "0.18", "unit": "%"},
            [
                "Transferrin saturation 0.18 % is outside what the body can plausibly have",
                "0.18 looks like a fraction: if it is, it is 18 % (write 18 with unit %)",
            ],
            id="TSAT as a fraction",
        ),
        pytest.param(
            {"test": "HbA1c", "value": "5.5", "unit": "%"},
            ["Test: HbA1c (glycated haemoglobin) is a different test from Hemoglobin"],
            id="a look-alike test",
        ),
        pytest.param(
            {"date": "2026-04-01"},
            ["Ferritin dated 2026-04-01 is after 2026-03-01 and was not used."],
            id="a date after today",
        ),
        pytest.param(
            {"value": "lots"},
            ["Value: not a number"],
            id="not a number",
        ),
        pytest.param(
            {"value": "-3"},
            ["Value: Ferritin cannot be negative; accepted: a value of 0 or more"],
            id="an impossible value",
        ),
        pytest.param({}, ["Reads as 38 ug/L."], id="reads fine"),
        pytest.param({"unit": "pmol/L"}, ["Reads as 16.9 ug/L."], id="reads fine, converted"),
        pytest.param({"value": " <5 ", "unit": "ug/L"}, ["Reads as <5 ug/L."], id="one-sided"),
    ],
)
def test_the_check_says_the_engines_words_and_stores_nothing(
    app: FastAPI, person: Visitor, row: dict[str, str], said: list[str]
) -> None:
    with statements(app) as run:
        response = check(person, **row)
    shown = words(response.text)
    for expected in said:
        assert expected in shown, shown
    assert "<html" not in response.text and "<form" not in response.text  # the region only
    assert response.headers["cache-control"] == "no-store"
    assert not [s for s in run if _WRITES.match(s)], run
    assert stored(person) == []


def test_a_row_that_reads_fine_gets_no_caution_and_a_caution_no_reads_as(
    person: Visitor,
) -> None:
    fine = words(check(person).text)
    assert fine == "Reads as 38 ug/L."
    implausible = words(check(person, test="hemoglobin", value="126", unit="g/dL").text)
    assert "Reads as" not in implausible


def test_an_empty_value_gets_no_message(person: Visitor) -> None:
    assert words(check(person, value="  ").text) == ""


# ---------------------------------------------------------------- without script


def test_without_script_the_check_answers_the_page_with_the_message(app: FastAPI) -> None:
    visitor = form_visitor(app)  # no CSRF header: the form's field, as a browser sends it
    response = post_form(visitor, "/labs/check", FERRITIN, "/labs")
    assert response.status_code == 200
    markup = Markup(response.text)
    assert markup.by_id("value")["value"] == "38"
    assert [a["value"] for a in markup.all("option") if "selected" in a] == ["ferritin", "ng/mL"]
    region = re.search(r'<div id="lab-check"[^>]*>(.*?)</div>', response.text, re.S)
    assert region is not None and words(region[1]) == "Reads as 38 ug/L."
    assert stored(visitor) == []


def test_without_script_a_problem_is_at_its_field_with_422(app: FastAPI) -> None:
    visitor = form_visitor(app)
    response = post_form(visitor, "/labs/check", {**FERRITIN, "unit": "%"}, "/labs")
    assert response.status_code == 422
    markup = Markup(response.text)
    assert markup.by_id("unit")["aria-invalid"] == "true"
    assert markup.by_id("unit")["aria-describedby"] == "unit-hint unit-error"
    assert "unit not valid for ferritin" in words(response.text)
    assert markup.by_id("one-result-errors")
    region = re.search(r'<div id="lab-check"[^>]*>(.*?)</div>', response.text, re.S)
    assert region is not None and words(region[1]) == ""  # said once, at the field
    assert not re.search(r'id="lab-[0-9]', response.text)


def test_without_script_a_caution_is_in_the_region_and_the_value_kept(app: FastAPI) -> None:
    visitor = form_visitor(app)
    row = {**FERRITIN, "test": "hemoglobin", "value": "126", "unit": "g/dL"}
    response = post_form(visitor, "/labs/check", row, "/labs")
    assert response.status_code == 200
    assert "did you mean g/L?" in words(response.text)
    assert Markup(response.text).by_id("value")["value"] == "126"


def test_the_check_needs_the_csrf_token_and_a_signed_in_person(app: FastAPI) -> None:
    visitor = form_visitor(app)
    assert visitor.call("POST", "/labs/check", data=FERRITIN, headers=HTMX).status_code == 403
    signed_out = Visitor(app).call("POST", "/labs/check", data=FERRITIN, headers=HTMX)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/sign-in")


# ---------------------------------------------------------------- the wiring on the page


def test_the_form_asks_for_the_check_while_typing_and_after_the_units_change(
    person: Visitor,
) -> None:
    _, page = get(person, "/labs")
    (checked,) = [a for _, a in page.elements if a.get("hx-target") == "#lab-check"]
    assert checked["hx-post"] == "/labs/check"
    assert "input changed delay:" in checked["hx-trigger"]
    assert checked["hx-include"] == "closest form"
    region = page.by_id("lab-check")
    assert region["role"] == "status" and region["aria-live"] == "polite"
    (check_button,) = [b for b in page.all("button") if b.get("formaction") == "/labs/check"]
    assert check_button["type"] == "submit"
    units = person.call("GET", "/labs/units?test=hemoglobin")
    event_name = units.headers["hx-trigger-after-settle"]
    assert f"{event_name} from:body" in checked["hx-trigger"]


def test_each_panel_row_is_checked_into_its_own_region(app: FastAPI, person: Visitor) -> None:
    _, page = get(person, "/labs")
    rows = [a for _, a in page.elements if a.get("hx-post", "").startswith("/labs/panel/check/")]
    for row in rows:
        key = row["hx-post"].rsplit("/", 1)[-1]
        assert row["hx-target"] == f"#check-{key}"
        assert page.by_id(f"check-{key}")["role"] == "status"
        assert page.by_id(f"value-{key}")
    data = {"date": DRAWN, "value-hemoglobin": "126", "unit-hemoglobin": "g/dL"}
    with statements(app) as run:
        response = person.call("POST", "/labs/panel/check/hemoglobin", data=data, headers=HTMX)
    assert response.status_code == 200
    assert "did you mean g/L?" in words(response.text)
    fine = person.call(
        "POST",
        "/labs/panel/check/ferritin",
        data={"date": DRAWN, "value-ferritin": "30", "unit-ferritin": "ug/L"},
        headers=HTMX,
    )
    assert words(fine.text) == "Reads as 30 ug/L."
    assert person.call("POST", "/labs/panel/check/mcv", data=data).status_code == 404
    assert not [s for s in run if _WRITES.match(s)]
    assert stored(person) == []


# ---------------------------------------------------------------- saving says the same


def test_a_saved_row_the_check_cautioned_about_shows_the_same_words_in_the_list(
    person: Visitor,
) -> None:
    rows = (
        {**FERRITIN, "test": "hemoglobin", "value": "126", "unit": "g/dL"},
        {**FERRITIN, "date": "2026-04-01"},
    )
    for row in rows:
        said = words(check(person, **row).text)
        assert person.call("POST", "/labs", data=row).status_code == 303
        page = person.call("GET", "/labs").text
        (listed,) = re.findall(r'<tr id="lab-[0-9]+">.*?</tr>', page, re.S)
        assert said in words(listed)
        person.call("POST", f"/labs/{stored(person)[0]['id']}/delete")
