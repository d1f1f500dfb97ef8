"""The report for the doctor (PDF and HTML) and the next tests as an .ics calendar.

The PDFs are read back with pdfplumber: what a doctor sees is checked, not the markup.
Each vignette's PDF is rendered once per session (about 0.2 s each).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import pdfplumber
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron import parse_input
from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.models import Assessment, AssessmentInput, NextTest
from rlsiron.report.summary import headline
from rlsiron.web.report import next_tests_ics, render_report_html, render_report_pdf, report_css
from rlsiron.web.report.calendar import LINE_OCTETS, escape_text, fold
from tests.conftest import assess_document, load_vignettes

GENERATED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
ARTEFACTS = Path(__file__).parent / "artefacts"
RFC_LINE_OCTETS = 75  # RFC 5545 3.1, the most a physical line may hold
EVIDENCE_WORDS = {"guideline": "guideline", "expert_consensus": "expert consensus"}
VIGNETTES = {case["id"]: case["input"] for case in load_vignettes()}

CHART = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80" viewBox="0 0 300 80">'
    '<script>alert("chart")</script>'
    '<rect x="0" y="0" width="300" height="80" fill="#eef"/>'
    '<text x="10" y="40" font-size="14">Ferritin over time</text></svg>'
)
HOSTILE_CONDITION = "<script>alert(1)</script>"
HOSTILE_FILE = "/home/ann/<img src=x onerror=alert(1)>.pdf"
HOSTILE_LINE = "<script>alert(2)</script> Ferritin 20"
HOSTILE_NAME = "Ann <b>Bold</b> <script>alert(3)</script>"


class Rendered(NamedTuple):
    inp: AssessmentInput
    assessment: Assessment
    pdf: bytes
    pages: tuple[str, ...]


def squeezed(text: str) -> str:
    """Text without whitespace: a PDF wraps lines wherever the width ends."""
    return "".join(text.split())


def pages_of(pdf: bytes) -> tuple[str, ...]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return tuple(page.extract_text() or "" for page in document.pages)


def render(document: dict[str, Any], **options: Any) -> Rendered:
    inp = parse_input(document)
    assessment = assess_document(document)
    pdf = render_report_pdf(inp, assessment, generated=GENERATED, **options)
    return Rendered(inp, assessment, pdf, pages_of(pdf))


@cache
def vignette(case: str) -> Rendered:
    return render(VIGNETTES[case])


@cache
def hostile() -> Rendered:
    return render(hostile_document(), charts_svg=[CHART], person_name=HOSTILE_NAME)


def hostile_document() -> dict[str, Any]:
    return {
        "as_of": "2026-11-20",
        "person": {"age_years": 40, "sex": "female", "conditions": [HOSTILE_CONDITION]},
        "medications": ["<b>sertraline</b>"],
        "labs": [{"test": "ferritin", "value": 20, "unit": "ug/L", "date": "2026-11-01"}],
        "provenance": {"labs[0]": [{"file": HOSTILE_FILE, "at": "line 3", "text": HOSTILE_LINE}]},
    }


# ------------------------------------------------------------------------------ the PDF


@pytest.mark.parametrize("case", sorted(VIGNETTES))
def test_every_vignette_renders_with_its_decision_findings_and_sources(case: str) -> None:
    r = vignette(case)
    assert r.pdf.startswith(b"%PDF-")
    text = squeezed("\n".join(r.pages))
    a = r.assessment
    assert squeezed(headline(a)) in text
    for finding in a.findings:
        assert squeezed(finding.title) in text
        assert squeezed(EVIDENCE_WORDS[finding.evidence_level]) in text
    cited = {s for f in a.findings for s in f.sources} | set(a.iron_therapy.sources)
    for source in cited:
        assert squeezed(SOURCES[source]) in text, source
    for lab in a.labs:
        assert squeezed(lab.display) in text


@pytest.mark.parametrize("case", sorted(VIGNETTES))
def test_the_disclaimer_and_the_page_number_are_on_every_page(case: str) -> None:
    r = vignette(case)
    for number, page in enumerate(r.pages, start=1):
        assert squeezed(r.assessment.disclaimer) in squeezed(page), f"page {number}"
        assert f"Page {number} of {len(r.pages)}" in page


@pytest.mark.parametrize("case", ["V01", "V10", "V16"])
def test_the_clinician_section_names_the_options_the_rule_and_its_sources(case: str) -> None:
    r = vignette(case)
    text = squeezed("\n".join(r.pages))
    assert r.assessment.plan is not None
    (clinician,) = [s for s in r.assessment.plan.sections if s.id == "for_the_clinician"]
    assert squeezed(clinician.title) in text
    for item in clinician.items:
        assert squeezed(item) in text
    for option in r.assessment.iron_therapy.options:
        assert squeezed(option) in text
    assert squeezed(r.assessment.iron_therapy.rule) in text


def test_the_panel_shows_value_used_as_printed_date_and_the_file_it_came_from() -> None:
    r = hostile()
    text = "\n".join(r.pages)
    assert "20 µg/L" in text
    assert "20 ug/L" in text
    assert "2026-11-01" in text
    # The file's name and the place in it, not the folders it sat in.
    assert squeezed("<img src=x onerror=alert(1)>.pdf, line 3") in squeezed(text)
    assert "/home/ann" not in text


def test_text_from_the_person_or_a_file_is_shown_as_text_in_the_pdf() -> None:
    text = squeezed("\n".join(hostile().pages))
    for hostile_text in (HOSTILE_CONDITION, HOSTILE_LINE, HOSTILE_NAME, "<b>sertraline</b>"):
        assert squeezed(hostile_text) in text


def test_a_chart_is_drawn_in_the_pdf_from_its_svg() -> None:
    assert "Ferritin over time" in "\n".join(hostile().pages)


def test_a_chart_cannot_make_the_renderer_read_a_file(caplog: pytest.LogCaptureFixture) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10" height="10"><image xlink:href="file:///etc/hostname" width="10" '
        'height="10"/></svg>'
    )
    document = VIGNETTES["V01"]
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        render(document, charts_svg=[svg])
    assert "disallowed protocol" in caplog.text


def test_the_first_page_renders_to_png() -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (Debian package poppler-utils) is not installed")
    ARTEFACTS.mkdir(exist_ok=True)
    source = ARTEFACTS / "report-V01.pdf"
    source.write_bytes(vignette("V01").pdf)
    target = ARTEFACTS / "report-first-page"
    subprocess.run(
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", source, target],
        check=True,
        timeout=60,
    )
    png = target.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


# ------------------------------------------------------------------------------ the HTML


def test_the_html_escapes_every_text_and_has_no_script_or_inline_style() -> None:
    r = hostile()
    html = render_report_html(
        r.inp,
        r.assessment,
        charts_svg=[CHART],
        generated=GENERATED,
        person_name=HOSTILE_NAME,
        stylesheet_href="/static/report.css",
    )
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in html
    assert "<style" not in html
    assert "style=" not in html
    assert '<link rel="stylesheet" href="/static/report.css">' in html


def test_charts_are_images_with_data_uris_never_inline_svg() -> None:
    r = hostile()
    html = render_report_html(r.inp, r.assessment, charts_svg=[CHART], generated=GENERATED)
    (uri,) = re.findall(r'<img src="(data:image/svg\+xml;base64,[^"]+)"', html)
    assert base64.b64decode(uri.split(",", 1)[1]).decode() == CHART
    assert "<svg" not in html
    assert 'alt="Chart 1 of 1' in html


def test_the_stylesheet_ships_with_the_package_and_sets_up_a4_pages() -> None:
    css = report_css()
    assert "size: A4" in css
    assert "counter(pages)" in css
    assert "element(disclaimer)" in css


def test_each_result_names_the_file_and_place_of_its_own_row() -> None:
    origin = {"at": "line 2"}
    document = {
        "as_of": "2026-11-20",
        "person": {"age_years": 40, "sex": "female"},
        "labs": [
            {"test": "Ferritin", "value": 20, "unit": "ug/L", "date": "2026-11-01"},
            {"test": "TSAT", "value": 15, "unit": "%", "date": "2026-11-01"},
        ],
        "provenance": {
            "labs[0]": [{"file": "C:\\lab\\ferritin.pdf", **origin}],
            "labs[1]": [{"file": "tsat.csv", **origin}, {"file": "tsat.hl7", "at": "OBX 3"}],
        },
    }
    inp = parse_input(document)
    html = render_report_html(inp, assess_document(document), generated=GENERATED)
    rows = {m[1]: m[2] for m in re.finditer(r'<th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S)}
    assert "ferritin.pdf, line 2" in rows["Ferritin"]
    assert "tsat.csv, line 2" in rows["Transferrin saturation"]
    assert "tsat.hl7, OBX 3" in rows["Transferrin saturation"]
    assert "tsat" not in rows["Ferritin"]


def test_without_a_plan_the_clinician_section_lists_the_guideline_options() -> None:
    r = vignette("V01")
    a = assess_document(VIGNETTES["V01"], plan=False)
    html = render_report_html(r.inp, a, generated=GENERATED, stylesheet_href=None)
    assert "<link" not in html
    assert "The plan" not in html
    for option in a.iron_therapy.options:
        assert f"<li>{option}</li>" in html


# ------------------------------------------------------------------------------ the calendar


class Event(NamedTuple):
    properties: dict[str, tuple[dict[str, str], str]]


def unfold(ics: str) -> list[str]:
    """RFC 5545 3.1: CRLF followed by one space or tab is removed; lines end in CRLF."""
    assert ics.endswith("\r\n")
    assert "\n" not in ics.replace("\r\n", "")
    return re.sub(r"\r\n[ \t]", "", ics).split("\r\n")[:-1]


def unescape(text: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], text)


def parse_ics(ics: str) -> tuple[dict[str, str], list[Event]]:
    """A tiny reader: the calendar's own properties and each VEVENT's, by name."""
    calendar: dict[str, str] = {}
    events: list[Event] = []
    stack: list[str] = []
    for line in unfold(ics):
        head, value = line.split(":", 1)
        name, *params = head.split(";")
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append(Event({}))
        elif name == "END":
            assert stack.pop() == value
        elif stack == ["VCALENDAR", "VEVENT"]:
            events[-1].properties[name] = (dict(p.split("=", 1) for p in params), value)
        else:
            calendar[name] = value
    assert not stack
    return calendar, events


@pytest.mark.parametrize("case", sorted(VIGNETTES))
def test_the_calendar_has_one_all_day_event_per_next_test(case: str) -> None:
    a = vignette(case).assessment
    ics = next_tests_ics(a, generated=GENERATED)
    calendar, events = parse_ics(ics)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    assert len(events) == len(a.next_tests)
    for event, test in zip(events, a.next_tests, strict=True):
        params, start = event.properties["DTSTART"]
        assert params == {"VALUE": "DATE"}
        assert dt.datetime.strptime(start, "%Y%m%d").date() == test.due
        assert event.properties["DTSTAMP"][1] == "20261120T093000Z"
        assert unescape(event.properties["DESCRIPTION"][1]) == test.why
        assert "Ferritin" in unescape(event.properties["SUMMARY"][1])
        assert event.properties["UID"][1].endswith("@rlsiron")


def test_the_calendar_is_the_same_for_the_same_assessment() -> None:
    a = vignette("V01").assessment
    assert next_tests_ics(a, generated=GENERATED) == next_tests_ics(a, generated=GENERATED)
    later = next_tests_ics(a, generated=GENERATED + dt.timedelta(days=3))
    uids = [e.properties["UID"] for e in parse_ics(later)[1]]
    assert uids == [
        e.properties["UID"] for e in parse_ics(next_tests_ics(a, generated=GENERATED))[1]
    ]


def test_long_text_is_escaped_and_folded_without_splitting_a_character() -> None:
    why = "Ferritin ≥ 300 µg/L; TSAT, CRP and a note\nover two lines \\ " * 4
    tests = (
        NextTest(tests=("ferritin", "tsat"), due=dt.date(2027, 2, 12), why=why),
        NextTest(tests=("ferritin",), due=dt.date(2027, 11, 2), why="Yearly."),
    )
    a = vignette("V01").assessment.model_copy(update={"next_tests": tests})
    ics = next_tests_ics(a, generated=GENERATED)
    for line in ics.encode().split(b"\r\n"):
        assert len(line) <= RFC_LINE_OCTETS
        line.decode()  # each physical line is whole UTF-8
    _, events = parse_ics(ics)
    assert [unescape(e.properties["DESCRIPTION"][1]) for e in events] == [why, "Yearly."]
    assert [e.properties["DTSTART"][1] for e in events] == ["20270212", "20271102"]
    assert len({e.properties["UID"][1] for e in events}) == len(events)


@given(st.text(max_size=400))
def test_folding_keeps_every_line_short_and_unfolds_to_the_same_text(text: str) -> None:
    line = "DESCRIPTION:" + escape_text(text)
    folded = fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode()) <= LINE_OCTETS for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert re.sub(r"\r\n ", "", folded) == line


@given(st.text(alphabet=st.characters(exclude_characters="\r"), max_size=200))
def test_escaping_is_undone_by_a_reader(text: str) -> None:
    escaped = escape_text(text)
    assert "\n" not in escaped
    assert unescape(escaped) == text
