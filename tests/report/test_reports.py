"""Reports for people: Markdown to print, the terminal view; both say what the JSON says."""

from __future__ import annotations

import io
import json
from importlib.resources import files

from rlsiron.core.assessment.assess import assess
from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.models import Assessment
from rlsiron.core.validation import parse_input
from rlsiron.report.markdown import render_markdown
from rlsiron.report.summary import lab_line, number
from rlsiron.report.terminal import render_terminal


def _demo() -> Assessment:
    doc = json.loads(files("rlsiron").joinpath("examples/demo.json").read_text("utf-8"))
    return assess(parse_input(doc))


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
    a = assess(parse_input(doc))
    iron = next(lab for lab in a.labs if lab.test == "iron")
    assert lab_line(iron)[3].endswith("implausible: not used")
    assert "labs.unit_suspect" in {f.code for f in a.findings}


def test_numbers_are_shown_to_three_figures_without_noise() -> None:
    assert [number(v) for v in (12.5693, 1450.4, 0.699, 38.0, 0.0)] == [
        "12.6",
        "1450",
        "0.699",
        "38",
        "0",
    ]


def test_terminal_report_fits_80_columns_and_carries_the_decision_and_disclaimer() -> None:
    out = io.StringIO()
    render_terminal(_demo(), out, width=80)
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "Iron therapy: worth discussing with your clinician" in text
    assert "not a diagnosis" in text
    assert "\x1b[" not in text  # no colour codes when writing to a file
