"""Every worked case in shared/clinical/vignettes.json, through the public engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import assess_document, load_vignettes

CASES = load_vignettes()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_vignette(case: dict[str, Any]) -> None:
    result = assess_document(case["input"])
    expect = case["expect"]
    codes = {f.code for f in result.findings}
    assert result.iron_therapy.decision == expect["decision"], result.iron_therapy.why
    if expect["decision"] == "indicated":
        assert list(result.iron_therapy.routes) == expect["routes"]
    else:
        assert result.iron_therapy.routes == ()
    if "anemia" in expect:
        assert result.anemia.present == expect["anemia"]
    assert set(expect["codes"]) <= codes, sorted(codes)
    assert not set(expect["absent_codes"]) & codes, sorted(codes)


def test_every_case_carries_the_disclaimer_and_all_plan_sections() -> None:
    wanted = {"iron", "diet", "lifestyle", "medications", "monitoring", "see_a_doctor"}
    for case in CASES:
        result = assess_document(case["input"])
        assert "not a diagnosis" in result.disclaimer
        assert result.plan is not None
        assert wanted <= {s.id for s in result.plan.sections}
