"""The edges adapters build on: the public API, structured problems, structured values."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import pytest

import rlsiron
from rlsiron import FindingCode, RlsironError, assess, parse_input

AS_OF = dt.date(2026, 11, 20)


def document(labs: list[dict[str, Any]], **rest: Any) -> dict[str, Any]:
    return {"person": {"age_years": 42, "sex": "female"}, "labs": labs, **rest}


def lab(test: str, value: Any, unit: str | None, **extra: Any) -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "date": "2026-11-02", **extra}


def test_the_public_api_is_small_and_documented() -> None:
    assert set(rlsiron.__all__) == {
        "Assessment",
        "AssessmentInput",
        "FindingCode",
        "Problem",
        "RlsironError",
        "assess",
        "parse_input",
    }
    assert rlsiron.__doc__ is not None and "assess(" in rlsiron.__doc__
    with pytest.raises(AttributeError):
        _ = rlsiron.not_a_name  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_engine_and_no_pydantic() -> None:
    code = "import sys, rlsiron; print(sorted(m for m in sys.modules if m.startswith(('rlsiron.', 'pydantic'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.replace("'", '"')) == []


def test_every_bad_lab_row_is_reported_at_once_with_its_location() -> None:
    bad = document(
        [
            lab("ferritin", 38, "ng/mL"),
            lab("ferritin", 38, "furlongs"),
            lab("Hemoglobin A1c", 6.1, "%"),
            lab("tsat", "abc", "%"),
            lab("iron", -3, "umol/L"),
            lab("ferritin", 40, "ug/L", assay="Acme"),
        ]
    )
    with pytest.raises(RlsironError) as caught:
        assess(parse_input(bad), as_of=AS_OF)
    problems = caught.value.problems
    assert [(p.location, p.kind) for p in problems] == [
        ("labs[1].unit", "unit"),
        ("labs[2].test", "lookalike_test"),
        ("labs[3].value", "value_format"),
        ("labs[4].value", "impossible_value"),
        ("labs[5].assay", "unknown_term"),
    ]
    assert problems[0].received == "furlongs"
    assert "ng/mL" in problems[0].accepted
    assert all(p.as_dict()["location"] == p.location for p in problems)


def test_schema_problems_are_listed_each_with_its_field() -> None:
    bad = {"person": {"age_years": 200, "sex": "x"}, "labs": [{"test": "ferritin"}]}
    with pytest.raises(RlsironError) as caught:
        parse_input(bad)
    locations = {p.location for p in caught.value.problems}
    assert {"person.age_years", "person.sex", "labs[0].value", "labs[0].date"} <= locations
    sex = next(p for p in caught.value.problems if p.location == "person.sex")
    assert sex.accepted == ("female", "male")


def test_a_value_with_a_comparator_and_a_range_with_bounds_are_accepted() -> None:
    structured = document(
        [
            lab("ferritin", {"value": 5, "comparator": "<"}, "ug/L"),
            lab("tsat", 12, "%"),
            lab("folate", 3.5, "ng/mL", reference_range={"low": 3.9, "high": 20}),
        ]
    )
    printed = document(
        [
            lab("ferritin", "<5", "ug/L"),
            lab("tsat", 12, "%"),
            lab("folate", 3.5, "ng/mL", reference_range="3.9-20"),
        ]
    )
    one = assess(parse_input(structured), as_of=AS_OF)
    other = assess(parse_input(printed), as_of=AS_OF)
    assert one.model_dump() == other.model_dump()
    ferritin = next(v for v in one.labs if v.test == "ferritin")
    assert (ferritin.qualifier, ferritin.shown) == ("<", "<5")
    assert FindingCode.NUTRIENTS_FOLATE_LOW in {f.code for f in one.findings}


def test_the_plan_can_be_skipped_for_batch_use_without_changing_the_decision() -> None:
    doc = document([lab("ferritin", 38, "ng/mL"), lab("tsat", 18, "%")])
    full = assess(parse_input(doc), as_of=AS_OF)
    batch = assess(parse_input(doc), as_of=AS_OF, plan=False)
    assert batch.plan is None
    assert batch.iron_therapy == full.iron_therapy
    assert batch.findings == full.findings


def test_the_assessment_day_is_explicit() -> None:
    doc = document([lab("ferritin", 38, "ng/mL"), lab("tsat", 18, "%")])
    with pytest.raises(TypeError):
        assess(parse_input(doc))  # type: ignore[call-arg]
    assert assess(parse_input(doc), as_of=AS_OF).as_of == AS_OF


def test_a_kidney_contradiction_is_listed_with_the_schema_problems() -> None:
    bad = {
        "person": {"age_years": 42, "sex": "x", "kidney": "normal", "conditions": ["dialysis"]},
        "labs": [],
    }
    with pytest.raises(RlsironError) as caught:
        parse_input(bad)
    kinds = {(p.location, p.kind) for p in caught.value.problems}
    assert {("person.sex", "invalid"), ("person.kidney", "contradiction")} <= kinds
