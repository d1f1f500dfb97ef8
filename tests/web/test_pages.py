"""The pages: signed in and out, forms with their CSRF field, the engine's problems at the
field, the dashboard's decision and charts, the report downloads, and one person's pages
never showing another's data. HTML is read with the standard library's parser: what is
checked is the markup a browser and a screen reader get."""

from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser
from typing import Any, Final

import httpx
import pytest
from fastapi import FastAPI

from rlsiron.core.assessment.assess import assess
from rlsiron.store import DIARY, IRLS, as_input
from rlsiron.web.charts import (
    IrlsScore,
    ferritin_tsat_chart,
    hemoglobin_chart,
    symptom_chart,
    to_vega_lite,
)
from rlsiron.web.pages.templating import NAVIGATION
from tests.web.conftest import FACTS, TODAY, Visitor

PAGES: Final = (
    "/",
    "/labs",
    "/upload",
    "/diary",
    "/medicines",
    "/plan",
    "/decisions",
    "/sharing",
    "/access-log",
    "/resources",
    "/settings",
    "/account",
)
DOWNLOADS: Final = ("/report.pdf", "/report.html", "/next-tests.ics")
ANYONES: Final = ("/resources",)  # general information: read signed out too
PANEL_DATE: Final = "2026-01-10"


class Markup(HTMLParser):
    """The elements of a page: (tag, attributes) in order, and each <script>'s text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attributes, text = self.scripts[-1]
            self.scripts[-1] = (attributes, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attributes for name, attributes in self.elements if name == tag]

    def by_id(self, id_: str) -> dict[str, str]:
        (found,) = [a for _, a in self.elements if a.get("id") == id_]
        return found

    def csrf(self) -> str:
        return next(a["value"] for a in self.all("input") if a.get("name") == "csrf_token")


def form_visitor(app: FastAPI) -> Visitor:
    """A signed-up person with facts, whose requests carry no CSRF header: forms only."""
    visitor = Visitor(app).sign_up()
    assert visitor.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    visitor.csrf = None
    return visitor


def get(visitor: Visitor, path: str) -> tuple[httpx.Response, Markup]:
    response = visitor.call("GET", path)
    assert response.status_code == 200, response.text
    return response, Markup(response.text)


def post_form(visitor: Visitor, path: str, data: dict[str, str], page: str) -> httpx.Response:
    """The form posted as a browser does, with the CSRF field the page carries."""
    token = Markup(visitor.call("GET", page).text).csrf()
    return visitor.call("POST", path, data={**data, "csrf_token": token})


def enter_panel(visitor: Visitor) -> None:
    data = {
        "date": PANEL_DATE,
        "value-ferritin": "30",
        "unit-ferritin": "ug/L",
        "value-tsat": "15",
        "unit-tsat": "%",
        "value-hemoglobin": "13.1",
        "unit-hemoglobin": "g/dL",
    }
    response = post_form(visitor, "/labs/panel", data, "/labs")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/labs?saved=true"


# ---------------------------------------------------------------- signed in and out


@pytest.mark.parametrize("path", [p for p in PAGES + DOWNLOADS if p not in ANYONES])
def test_signed_out_every_page_redirects_to_sign_in(app: FastAPI, path: str) -> None:
    response = Visitor(app).call("GET", path)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=" + path.replace("/", "%2F")


def test_every_page_renders_for_a_signed_in_person(app: FastAPI) -> None:
    visitor = form_visitor(app)
    enter_panel(visitor)
    for path in PAGES:
        response, markup = get(visitor, path)
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
        assert markup.all("html")[0]["lang"] == "en"
        assert markup.by_id("main")["tabindex"] == "-1"
        assert markup.all("a")[0] == {"class": "skip-link", "href": "#main"}
        current = [a["href"] for a in markup.all("a") if a.get("aria-current") == "page"]
        # A page reached from another (the decisions from the dashboard, the account from
        # the settings) marks no navigation item.
        assert current == ([path] if path in dict(NAVIGATION) else [])


def test_pages_have_no_inline_code_or_style_and_every_input_a_label(app: FastAPI) -> None:
    visitor = form_visitor(app)
    enter_panel(visitor)
    signed_out = Visitor(app)
    pages = [signed_out.call("GET", p).text for p in ("/sign-in", "/sign-up")]
    pages += [visitor.call("GET", p).text for p in PAGES]
    pages.append(
        post_form(
            visitor,
            "/labs",
            {"test": "ferritin", "value": "x", "unit": "furlongs", "date": "2026"},
            "/labs",
        ).text
    )
    for html in pages:
        markup = Markup(html)
        assert "style=" not in html and "<style" not in html
        for attributes, text in markup.scripts:
            assert attributes.get("src") or attributes.get("type") == "application/json", text
            assert not text.strip() or attributes.get("type") == "application/json"
        assert not [a for _, a in markup.elements if any(k.startswith("on") for k in a)]
        labelled = {a["for"] for a in markup.all("label")}
        for field in markup.all("input") + markup.all("select"):
            if field.get("type") != "hidden":
                assert field["id"] in labelled, field
        described = [a for _, a in markup.elements if "aria-describedby" in a]
        ids = {a.get("id") for _, a in markup.elements}
        for element in described:
            assert set(element["aria-describedby"].split()) <= ids


def test_static_files_are_served(app: FastAPI) -> None:
    visitor = Visitor(app)
    for path in (
        "/static/app.css",
        "/static/charts.js",
        "/static/vendor/htmx.min.js",
        "/static/vendor/vega-embed.min.js",
        "/static/vendor/VERSIONS.txt",
    ):
        assert visitor.call("GET", path).status_code == 200, path
    assert "htmx.org 2." in visitor.call("GET", "/static/vendor/VERSIONS.txt").text


# ---------------------------------------------------------------- accounts


def test_sign_up_sign_out_and_sign_in_through_the_forms(app: FastAPI) -> None:
    visitor = Visitor(app)
    email = f"{uuid.uuid4().hex}@example.org"
    password = "a long enough passphrase here"
    response = visitor.call("POST", "/sign-up", data={"email": email, "password": password})
    assert response.status_code == 303 and response.headers["location"] == "/settings"
    _, markup = get(visitor, "/settings")
    response = visitor.call("POST", "/sign-out", data={"csrf_token": markup.csrf()})
    assert response.status_code == 303
    assert visitor.call("GET", "/").status_code == 303
    wrong = visitor.call("POST", "/sign-in", data={"email": email, "password": "not it at all!!"})
    assert wrong.status_code == 401 and "the email or password is wrong" in wrong.text
    assert f'value="{email}"' in wrong.text and "not it at all" not in wrong.text
    right = visitor.call(
        "POST", "/sign-in", data={"email": email, "password": password, "next": "/labs"}
    )
    assert right.status_code == 303 and right.headers["location"] == "/labs"
    assert visitor.call("GET", "/labs").status_code == 200


def test_sign_up_shows_the_problem_at_the_field(app: FastAPI) -> None:
    response = Visitor(app).call(
        "POST", "/sign-up", data={"email": "x@example.org", "password": "short"}
    )
    assert response.status_code == 422
    markup = Markup(response.text)
    field = markup.by_id("password")
    assert field["aria-invalid"] == "true"
    assert "password-error" in field["aria-describedby"].split()
    assert "is shorter than" in response.text


def test_a_sign_in_from_another_site_is_refused(app: FastAPI) -> None:
    response = Visitor(app).call(
        "POST",
        "/sign-in",
        data={"email": "x@example.org", "password": "whatever it is"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_after_signing_in_only_a_local_path_is_followed(app: FastAPI) -> None:
    visitor = form_visitor(app)
    visitor.call("POST", "/sign-out", data={"csrf_token": get(visitor, "/")[1].csrf()})
    response = visitor.call(
        "POST",
        "/sign-in",
        data={
            "email": visitor.email,
            "password": "correct horse battery staple",
            "next": "//evil.example",
        },
    )
    assert response.headers["location"] == "/"


# ---------------------------------------------------------------- CSRF


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/labs", {"test": "ferritin", "value": "30", "unit": "ug/L", "date": PANEL_DATE}),
        ("/labs/panel", {"date": PANEL_DATE, "value-ferritin": "30", "unit-ferritin": "ug/L"}),
        ("/diary", {"date": PANEL_DATE, "nights_affected": "3", "severity": "4"}),
        ("/diary/irls", {"date": PANEL_DATE, "irls_total": "20"}),
        ("/settings/display", {"units": "si", "profile": "aasm-2024"}),
        ("/settings/facts", {"sex": "male"}),
        ("/sign-out", {}),
    ],
)
def test_a_form_post_without_the_csrf_field_is_refused(
    app: FastAPI, path: str, data: dict[str, str]
) -> None:
    visitor = form_visitor(app)
    assert visitor.call("POST", path, data=data).status_code == 403
    assert visitor.call("POST", path, data={**data, "csrf_token": "0" * 64}).status_code == 403
    export = visitor.call("GET", "/api/v1/me/export").json()
    assert not any(export["records"][kind] for kind in ("labs", "irls", "diary"))
    assert export["person"]["settings"]["units"] == "conventional"
    assert export["person"]["facts"]["sex"] == FACTS["sex"]
    assert visitor.call("GET", "/").status_code == 200  # still signed in


def test_the_csrf_header_of_htmx_is_accepted(app: FastAPI) -> None:
    visitor = form_visitor(app)
    _, markup = get(visitor, "/labs")
    headers = json.loads(markup.all("body")[0]["hx-headers"])
    data = {"date": PANEL_DATE, "nights_affected": "3", "severity": "4"}
    assert visitor.call("POST", "/diary", data=data, headers=headers).status_code == 303


# ---------------------------------------------------------------- labs and the dashboard


def test_a_lab_entered_through_the_form_appears_on_the_dashboard(app: FastAPI) -> None:
    visitor = form_visitor(app)
    _, before = get(visitor, "/")
    assert "test_first" in before.by_id("decision")["class"]
    for test, value, unit in (("ferritin", "30", "ug/L"), ("tsat", "15", "%")):
        data = {"test": test, "value": value, "unit": unit, "date": PANEL_DATE}
        response = post_form(visitor, "/labs", data, "/labs")
        assert response.status_code == 303, response.text
    response, markup = get(visitor, "/")
    assert "decision-test_first" not in markup.by_id("decision")["class"]
    inp = as_input(app.state.rlsiron.db, _person_id(visitor), TODAY)
    decision = assess(inp, as_of=TODAY).iron_therapy.decision
    assert f"decision-{decision}" in markup.by_id("decision")["class"]
    assert re.search(r"Ferritin</th><td>30(\.0)? ", response.text)


def test_the_dashboard_chart_specs_are_the_assessments_charts(app: FastAPI) -> None:
    visitor = form_visitor(app)
    enter_panel(visitor)
    post_form(
        visitor, "/diary", {"date": PANEL_DATE, "nights_affected": "3", "severity": "4"}, "/diary"
    )
    post_form(visitor, "/diary/irls", {"date": PANEL_DATE, "irls_total": "22"}, "/diary")
    _, markup = get(visitor, "/")
    specs = {
        attributes["data-chart-for"]: json.loads(text)
        for attributes, text in markup.scripts
        if attributes.get("type") == "application/json"
    }
    db = app.state.rlsiron.db
    person_id = _person_id(visitor)
    inp = as_input(db, person_id, TODAY)
    assessment = assess(inp, as_of=TODAY)
    irls = [IrlsScore(r.date, r.irls_total or 0) for r in IRLS.all(db, person_id)]
    assert specs == {
        "chart-iron": to_vega_lite(
            ferritin_tsat_chart(assessment, units="conventional", iron_therapy=inp.iron_therapy)
        ),
        "chart-hemoglobin": to_vega_lite(hemoglobin_chart(assessment, units="conventional")),
        "chart-symptoms": to_vega_lite(symptom_chart(irls=irls, diary=DIARY.all(db, person_id))),
    }
    for chart_id in specs:
        assert markup.by_id(chart_id)["role"] == "img"


def test_the_units_setting_changes_the_charts(app: FastAPI) -> None:
    visitor = form_visitor(app)
    enter_panel(visitor)
    data = {"units": "si", "profile": "aasm-2024"}
    assert post_form(visitor, "/settings/display", data, "/settings").status_code == 303
    _, markup = get(visitor, "/")
    (iron,) = [text for a, text in markup.scripts if a.get("data-chart-for") == "chart-iron"]
    shown = json.dumps(json.loads(iron), ensure_ascii=False)
    assert "µg/L" in shown and "ng/mL" not in shown


def test_a_bad_value_shows_the_engines_message_at_the_field(app: FastAPI) -> None:
    visitor = form_visitor(app)
    data = {"test": "ferritin", "value": "30", "unit": "furlongs", "date": PANEL_DATE}
    response = post_form(visitor, "/labs", data, "/labs")
    assert response.status_code == 422
    markup = Markup(response.text)
    unit = markup.by_id("unit")
    assert unit["aria-invalid"] == "true" and unit["aria-describedby"] == "unit-hint unit-error"
    assert "unknown unit; accepted: ug/L, ng/mL" in response.text
    assert markup.by_id("unit-error")
    # the value is kept in the form for correcting
    assert markup.by_id("value")["value"] == "30"
    negative = post_form(visitor, "/labs", {**data, "value": "-3", "unit": "ug/L"}, "/labs")
    assert "Ferritin cannot be negative" in negative.text
    assert Markup(negative.text).by_id("value")["aria-invalid"] == "true"


def test_a_panel_problem_is_shown_at_its_tests_field(app: FastAPI) -> None:
    visitor = form_visitor(app)
    data = {
        "date": PANEL_DATE,
        "value-ferritin": "30",
        "unit-ferritin": "ug/L",
        "value-tsat": "lots",
        "unit-tsat": "%",
    }
    response = post_form(visitor, "/labs/panel", data, "/labs")
    assert response.status_code == 422
    markup = Markup(response.text)
    assert markup.by_id("value-tsat")["aria-invalid"] == "true"
    assert "aria-invalid" not in markup.by_id("value-ferritin")
    assert "not a number" in response.text
    assert not re.search(r'id="lab-[0-9]', visitor.call("GET", "/labs").text)  # all or nothing


def test_the_unit_picker_offers_the_tests_units(app: FastAPI) -> None:
    visitor = form_visitor(app)
    _, markup = get(visitor, "/labs/units?test=iron")
    assert markup.by_id("lab-unit-field")
    options = [a["value"] for a in markup.all("option")]
    assert options == ["umol/L", "ug/dL", "ug/L", "mg/L"]
    _, page = get(visitor, "/labs")  # the test picker asks for this fragment
    assert page.by_id("test")["hx-get"] == "/labs/units"
    assert page.by_id("test")["hx-target"] == "#lab-unit-field"
    _, reloaded = get(visitor, "/labs?test=hemoglobin")  # the same without script
    assert [a["value"] for a in reloaded.all("option") if "selected" in a] == ["hemoglobin"]


def test_the_diary_shows_the_contracts_bound_at_the_field(app: FastAPI) -> None:
    visitor = form_visitor(app)
    data = {"date": PANEL_DATE, "nights_affected": "9", "severity": "4"}
    response = post_form(visitor, "/diary", data, "/diary")
    assert response.status_code == 422
    assert Markup(response.text).by_id("nights_affected")["aria-invalid"] == "true"
    ok = post_form(visitor, "/diary", {**data, "nights_affected": "3"}, "/diary")
    assert ok.status_code == 303
    assert 'id="diary-' in visitor.call("GET", "/diary").text


def test_without_facts_the_dashboard_says_what_is_missing(app: FastAPI) -> None:
    visitor = Visitor(app).sign_up()
    _, markup = get(visitor, "/")
    assert markup.by_id("needs-facts")
    assert visitor.call("GET", "/report.pdf").headers["location"] == "/"
    data = {"sex": "female", "birth_date": "1980-05-01"}
    assert post_form(visitor, "/settings/facts", data, "/settings").status_code == 303
    _, after = get(visitor, "/")
    assert after.by_id("decision")


# ---------------------------------------------------------------- the report


def test_the_report_downloads(app: FastAPI) -> None:
    visitor = form_visitor(app)
    enter_panel(visitor)
    pdf = visitor.call("GET", "/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]
    html = visitor.call("GET", "/report.html")
    assert html.status_code == 200 and 'href="/report.css"' in html.text
    assert "data:image/svg+xml;base64," in html.text
    assert visitor.call("GET", "/report.css").headers["content-type"].startswith("text/css")
    ics = visitor.call("GET", "/next-tests.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.startswith("BEGIN:VCALENDAR")


# ---------------------------------------------------------------- another person


def test_another_persons_pages_never_show_this_persons_data(app: FastAPI) -> None:
    anna = form_visitor(app)
    marker = "98765"
    data = {"test": "ferritin", "value": marker, "unit": "ug/L", "date": PANEL_DATE}
    assert post_form(anna, "/labs", data, "/labs").status_code == 303
    post_form(
        anna, "/diary", {"date": "2026-02-22", "nights_affected": "6", "severity": "9"}, "/diary"
    )
    assert marker in anna.call("GET", "/labs").text
    bob = form_visitor(app)
    for path in (*PAGES, "/report.html"):
        text = bob.call("GET", path).text
        assert marker not in text and anna.email not in text and "2026-02-22" not in text, path


def _person_id(visitor: Visitor) -> int:
    person_id: Any = visitor.call("GET", "/api/v1/me").json()["id"]
    assert isinstance(person_id, int)
    return person_id
