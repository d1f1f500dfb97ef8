"""Reports for people: Markdown to print, the terminal view; both say what the JSON says."""

from __future__ import annotations

import io
import json
from importlib.resources import files

import pytest

from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.models import Assessment
from rlsiron.report.markdown import render_markdown
from rlsiron.report.summary import lab_line
from rlsiron.report.terminal import render_terminal
from tests.conftest import assess_document


def _demo() -> Assessment:
    doc = json.loads(files("rlsiron").joinpath("examples/demo.json").read_text("utf-8"))
    return assess_document(doc)


def test_markdown_has_disclaimer_decision_results_findings_plan_and_full_sources() -> None:
    a = _demo()
    md = render_markdown(a)
    assert md.startswith("# RLS iron assessment (2026-11-20)")
    assert "> This is decision support, not a diagnosis" in md
    assert "## Iron therapy: worth discussing with your clinician" in md
    assert "| Haemoglobin" in md or "| Hemoglobin" in md
    for section in a.plan.sections:
        assert f"## {section.title}" in md
    for finding in a.findings:
        assert f"`{finding.code}`" in md
    cited = {s for f in a.findings for s in f.sources}
    for source in cited:
        assert SOURCES[source] in md


def test_results_table_shows_conversion_provenance() -> None:
    a = _demo()
    hb = next(lab for lab in a.labs if lab.test == "hemoglobin")
    assert lab_line(hb) == ("Hemoglobin", "12.6 g/dL", "2026-11-02", "from 7.8 mmol/L")


def test_implausible_value_is_marked_not_used() -> None:
    doc = {
        "as_of": "2026-11-20",
        "person": {"age_years": 40, "sex": "male"},
        "labs": [{"test": "iron", "value": 20, "unit": "ug/L", "date": "2026-11-02"}],
    }
    a = assess_document(doc)
    iron = next(lab for lab in a.labs if lab.test == "iron")
    assert lab_line(iron)[3].endswith("implausible: not used")
    assert "labs.unit_suspect" in {f.code for f in a.findings}


@pytest.mark.parametrize(
    ("test", "value", "unit", "shown"),
    [
        pytest.param("hemoglobin", 112.802, "g/L", "11.3 g/dL", id="hb-rounded-to-0.1"),
        pytest.param(
            "ferritin", 101, "pmol/L", "44.9 µg/L", id="ferritin-from-pmol-at-its-precision"
        ),
        pytest.param("magnesium", 1.7, "mg/dL", "0.7 mmol/L", id="mg-at-its-precision"),
        pytest.param("ferritin", "<5", "ug/L", "<5 µg/L", id="one-sided-keeps-its-side"),
    ],
)
def test_values_are_shown_at_the_analytes_display_precision_while_json_keeps_them_exact(
    test: str, value: float | str, unit: str, shown: str
) -> None:
    doc = {
        "as_of": "2026-11-20",
        "person": {"age_years": 40, "sex": "male"},
        "labs": [{"test": test, "value": value, "unit": unit, "date": "2026-11-02"}],
    }
    lab = next(lab for lab in assess_document(doc).labs if lab.test == test)
    assert lab_line(lab)[1] == shown
    if test == "hemoglobin":
        assert lab.value == pytest.approx(11.2802)  # REFERENCE: the JSON keeps the exact value


def test_terminal_report_fits_80_columns_and_carries_the_decision_and_disclaimer() -> None:
    out = io.StringIO()
    render_terminal(_demo(), out, width=80)
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Iron therapy: worth discussing with your clinician" in text
    assert "not a diagnosis" in text
    assert "\x1b[" not in text  # no colour codes when writing to a file
