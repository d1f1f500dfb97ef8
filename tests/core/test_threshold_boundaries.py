"""Every threshold of REFERENCE.md, just below, at and just above its boundary, through the engine.

Each test drives the public engine (`assess_document(doc)`) and asserts what a person or a
clinician sees: the decision and its routes, the finding codes present or absent, anaemia.
The documents are built by small helpers so each case reads like the clinical statement it
checks. A meta-test at the end keeps the threshold table honest: every row cites known sources
and is read somewhere in the package.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

import rlsiron
from rlsiron.core.knowledge.sources import SOURCES
from rlsiron.core.knowledge.thresholds import NUMBERS, THRESHOLDS
from rlsiron.core.models import Assessment
from tests.conftest import assess_document

AS_OF = dt.date(2026, 11, 20)
DRAWN = dt.date(2026, 11, 2)

# ----------------------------------------------------------------------------- helpers


def woman(age: int = 42, **extra: Any) -> dict[str, Any]:
    return {"age_years": age, "sex": "female", **extra}


def man(age: int = 42, **extra: Any) -> dict[str, Any]:
    return {"age_years": age, "sex": "male", **extra}


def child(age: int, sex: str = "female", **extra: Any) -> dict[str, Any]:
    return {"age_years": age, "sex": sex, **extra}


def pregnant(weeks: int, age: int = 30) -> dict[str, Any]:
    return woman(age, pregnancy_weeks=weeks)


def on_dialysis(age: int = 60) -> dict[str, Any]:
    return man(age, kidney="dialysis")


def lab(
    test: str, value: float | str, unit: str, date: dt.date = DRAWN, **extra: Any
) -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "date": date.isoformat(), **extra}


def iron_panel(ferritin: float, tsat: float, date: dt.date = DRAWN) -> list[dict[str, Any]]:
    """Ferritin (µg/L) and TSAT (%) drawn together."""
    return [lab("ferritin", ferritin, "ug/L", date), lab("tsat", tsat, "%", date)]


def crp(value: float, date: dt.date = DRAWN) -> dict[str, Any]:
    return lab("crp", value, "mg/L", date)


def hb(value: float, date: dt.date = DRAWN) -> dict[str, Any]:
    return lab("hemoglobin", value, "g/dL", date)


def assess_doc(
    person: dict[str, Any],
    labs: list[dict[str, Any]],
    *,
    as_of: dt.date = AS_OF,
    **rest: Any,
) -> Assessment:
    doc = {"as_of": as_of.isoformat(), "person": person, "labs": labs, **rest}
    return assess_document(doc)


def codes(a: Assessment) -> set[str]:
    return {f.code for f in a.findings}


def assert_decision(a: Assessment, decision: str, routes: tuple[str, ...] = ()) -> None:
    got = (a.iron_therapy.decision, a.iron_therapy.routes)
    assert got == (decision, routes), a.iron_therapy.why


def assert_code(a: Assessment, code: str, present: bool) -> None:
    if present:
        assert code in codes(a), sorted(codes(a))
    else:
        assert code not in codes(a), sorted(codes(a))


ORAL_OR_IV = ("iv", "oral")
IV_ONLY = ("iv",)
ORAL_ONLY = ("oral",)


# ------------------------------------------------------------- adult decision (aasm-2024)


@pytest.mark.parametrize(
    ("tsat", "decision", "routes", "tsat_high"),
    [
        pytest.param(44.9, "indicated", ORAL_OR_IV, False, id="tsat-44.9-iron-allowed"),
        pytest.param(45, "contraindicated", (), True, id="tsat-45-contraindicated"),
        pytest.param(45.1, "contraindicated", (), True, id="tsat-45.1-contraindicated"),
    ],
)
def test_tsat_at_45_contraindicates_iron(
    tsat: float, decision: str, routes: tuple[str, ...], tsat_high: bool
) -> None:
    a = assess_doc(woman(), iron_panel(50, tsat))
    assert_decision(a, decision, routes)
    assert_code(a, "iron.tsat_high", tsat_high)


def test_tsat_at_45_contraindicates_iron_even_with_very_low_ferritin() -> None:
    a = assess_doc(woman(), iron_panel(10, 45))
    assert_decision(a, "contraindicated")
    assert_code(a, "iron.tsat_high", True)


IRON_ADVICE = ("alternate days", "iron-rich foods that suit you")


@pytest.mark.parametrize(
    ("tsat", "high"),
    [
        pytest.param(44.9, False, id="tsat-44.9-no-ferritin"),
        pytest.param(45, True, id="tsat-45-no-ferritin"),
        pytest.param(45.1, True, id="tsat-45.1-no-ferritin"),
    ],
)
def test_tsat_at_45_without_ferritin_gives_no_iron_advice(tsat: float, high: bool) -> None:
    # REFERENCE step 1: ferritin unknown -> test_first, saying what the known value suggests;
    # step 2: TSAT >= 45 -> no iron. The plan must not suggest iron while TSAT is that high.
    a = assess_doc(woman(), [lab("tsat", tsat, "%")])
    assert_decision(a, "test_first")
    (missing,) = (f for f in a.findings if f.code == "labs.missing")
    assert ("already high" in missing.detail) is high, missing.detail
    if high:
        advice = [
            item
            for section in a.plan.sections
            if section.id in ("iron", "diet")
            for item in section.items
            if any(words in item.lower() for words in IRON_ADVICE)
        ]
        assert not advice, advice


@pytest.mark.parametrize(
    ("labs", "code", "fires"),
    [
        pytest.param([lab("tsat", 44.9, "%")], "iron.tsat_high", False, id="tsat-44.9-alone"),
        pytest.param([lab("tsat", 45, "%")], "iron.tsat_high", True, id="tsat-45-alone"),
        pytest.param(
            [lab("ferritin", 1000, "ug/L")],
            "iron.ferritin_very_high",
            False,
            id="ferritin-1000-alone",
        ),
        pytest.param(
            [lab("ferritin", 1000.1, "ug/L")],
            "iron.ferritin_very_high",
            True,
            id="ferritin-1000.1-alone",
        ),
        pytest.param(
            [lab("ferritin", 14.9, "ug/L")], "iron.who_deficiency", True, id="ferritin-14.9-alone"
        ),
        pytest.param(
            [lab("ferritin", 15, "ug/L")], "iron.who_deficiency", False, id="ferritin-15-alone"
        ),
    ],
)
def test_single_value_findings_fire_when_the_other_iron_value_is_missing(
    labs: list[dict[str, Any]], code: str, fires: bool
) -> None:
    # Contract: each finding "fires when its condition holds"; these conditions need one
    # value only (TSAT >= 45; ferritin > 1000; WHO ferritin cut-off), so a missing partner
    # must not hide them. The decision still waits for both (test_first).
    a = assess_doc(woman(), labs)
    assert_decision(a, "test_first")
    assert_code(a, "labs.missing", True)
    assert_code(a, code, fires)


@pytest.mark.parametrize(
    ("tsat", "flagged"),
    [
        pytest.param(44.9, False, id="tsat-44.9-no-artefact-note"),
        pytest.param(45, True, id="tsat-45-artefact-note"),
    ],
)
def test_high_tsat_on_oral_iron_is_flagged_as_a_possible_timing_artefact(
    tsat: float, flagged: bool
) -> None:
    therapy = [{"route": "oral", "started": "2026-10-01"}]
    a = assess_doc(woman(), iron_panel(50, tsat), iron_therapy=therapy)
    assert_code(a, "iron.high_tsat_on_oral_iron", flagged)


@pytest.mark.parametrize(
    ("ferritin", "rule"),
    [
        pytest.param(299.9, "adult.replete", id="ferritin-299.9-replete-rule"),
        pytest.param(300, "adult.trial_ceiling", id="ferritin-300-trial-ceiling"),
        pytest.param(300.1, "adult.trial_ceiling", id="ferritin-300.1-trial-ceiling"),
    ],
)
def test_ferritin_at_300_hits_the_trial_ceiling_with_normal_tsat(
    ferritin: float, rule: str
) -> None:
    a = assess_doc(woman(), iron_panel(ferritin, 30))
    assert_decision(a, "not_indicated")
    assert a.iron_therapy.rule == rule
    assert ("IRLSSG-2018" in a.iron_therapy.sources) == (rule == "adult.trial_ceiling")


@pytest.mark.parametrize(
    ("ferritin", "decision", "routes"),
    [
        pytest.param(299.9, "indicated", ORAL_OR_IV, id="ferritin-299.9-indicated"),
        pytest.param(300, "not_indicated", (), id="ferritin-300-not-indicated"),
        pytest.param(300.1, "not_indicated", (), id="ferritin-300.1-not-indicated"),
    ],
)
def test_ferritin_at_300_with_low_tsat_is_not_indicated_but_flagged_for_review(
    ferritin: float, decision: str, routes: tuple[str, ...]
) -> None:
    a = assess_doc(woman(), iron_panel(ferritin, 15))
    assert_decision(a, decision, routes)
    assert_code(a, "iron.low_tsat_high_ferritin", True)


@pytest.mark.parametrize(
    ("ferritin", "routes", "low_for_rls", "iv_band"),
    [
        pytest.param(74.9, ORAL_OR_IV, True, False, id="ferritin-74.9-oral-or-iv"),
        pytest.param(75, ORAL_OR_IV, True, False, id="ferritin-75-oral-or-iv"),
        pytest.param(75.1, IV_ONLY, False, True, id="ferritin-75.1-iv-only"),
    ],
)
def test_ferritin_at_75_is_the_last_value_where_oral_iron_is_an_option(
    ferritin: float, routes: tuple[str, ...], low_for_rls: bool, iv_band: bool
) -> None:
    a = assess_doc(woman(), iron_panel(ferritin, 30))
    assert_decision(a, "indicated", routes)
    assert_code(a, "iron.low_for_rls", low_for_rls)
    assert_code(a, "iron.iv_only_band", iv_band)


@pytest.mark.parametrize(
    ("ferritin", "decision", "routes", "iv_band"),
    [
        pytest.param(99.9, "indicated", IV_ONLY, True, id="ferritin-99.9-iv-only"),
        pytest.param(100, "indicated", IV_ONLY, True, id="ferritin-100-iv-only-inclusive"),
        pytest.param(100.1, "not_indicated", (), False, id="ferritin-100.1-not-indicated"),
    ],
)
def test_ferritin_at_100_closes_the_iv_only_band(
    ferritin: float, decision: str, routes: tuple[str, ...], iv_band: bool
) -> None:
    a = assess_doc(woman(), iron_panel(ferritin, 30))
    assert_decision(a, decision, routes)
    assert_code(a, "iron.iv_only_band", iv_band)
    assert_code(a, "iron.adequate_for_rls", decision == "not_indicated")


@pytest.mark.parametrize(
    ("tsat", "decision", "routes"),
    [
        pytest.param(19.9, "indicated", ORAL_OR_IV, id="tsat-19.9-indicated"),
        pytest.param(20, "not_indicated", (), id="tsat-20-not-indicated"),
        pytest.param(20.1, "not_indicated", (), id="tsat-20.1-not-indicated"),
    ],
)
def test_tsat_below_20_indicates_iron_whatever_the_ferritin_below_300(
    tsat: float, decision: str, routes: tuple[str, ...]
) -> None:
    a = assess_doc(woman(), iron_panel(150, tsat))
    assert_decision(a, decision, routes)
    assert_code(a, "iron.low_for_rls", decision == "indicated")
    # Low TSAT with ferritin above 100 is uncommon without inflammation: review.
    assert_code(a, "iron.low_tsat_high_ferritin", decision == "indicated")


@pytest.mark.parametrize(
    ("ferritin", "flagged"),
    [
        pytest.param(100, False, id="ferritin-100-no-review"),
        pytest.param(100.1, True, id="ferritin-100.1-review"),
    ],
)
def test_low_tsat_with_ferritin_above_100_needs_review(ferritin: float, flagged: bool) -> None:
    a = assess_doc(woman(), iron_panel(ferritin, 15))
    assert_decision(a, "indicated", ORAL_OR_IV)
    assert_code(a, "iron.low_tsat_high_ferritin", flagged)


# ----------------------------------------------------------------------- seed profile


@pytest.mark.parametrize(
    ("ferritin", "decision", "routes"),
    [
        pytest.param(49.9, "indicated", ORAL_OR_IV, id="seed-ferritin-49.9-indicated"),
        pytest.param(50, "not_indicated", (), id="seed-ferritin-50-not-indicated"),
        pytest.param(50.1, "not_indicated", (), id="seed-ferritin-50.1-not-indicated"),
        pytest.param(75, "not_indicated", (), id="seed-ferritin-75-not-indicated"),
        pytest.param(75.1, "indicated", IV_ONLY, id="seed-ferritin-75.1-iv-only"),
        pytest.param(100, "indicated", IV_ONLY, id="seed-ferritin-100-iv-only"),
        pytest.param(100.1, "not_indicated", (), id="seed-ferritin-100.1-not-indicated"),
    ],
)
def test_seed_profile_indicates_iron_below_ferritin_50(
    ferritin: float, decision: str, routes: tuple[str, ...]
) -> None:
    # REFERENCE: seed uses F < 50 in step 4; every other step as aasm-2024, so
    # 50 <= F <= 75 with TSAT >= 20 is not_indicated, 75 < F <= 100 stays IV only.
    a = assess_doc(woman(), iron_panel(ferritin, 30), profile="seed")
    assert_decision(a, decision, routes)
    assert_code(a, "iron.low_for_rls", ferritin < 50)
    assert_code(a, "iron.iv_only_band", 75 < ferritin <= 100)


def test_seed_profile_keeps_the_tsat_criterion() -> None:
    a = assess_doc(woman(), iron_panel(60, 19.9), profile="seed")
    assert_decision(a, "indicated", ORAL_OR_IV)


# ----------------------------------------------------------------------- children


@pytest.mark.parametrize(
    ("age", "decision", "routes", "pediatric"),
    [
        pytest.param(17, "not_indicated", (), True, id="age-17-childrens-rule"),
        pytest.param(18, "indicated", ORAL_OR_IV, False, id="age-18-adult-rule"),
    ],
)
def test_childrens_rule_applies_below_18(
    age: int, decision: str, routes: tuple[str, ...], pediatric: bool
) -> None:
    a = assess_doc(child(age), iron_panel(58, 30))
    assert_decision(a, decision, routes)
    assert_code(a, "pediatric.rule_applied", pediatric)
    # Ferritin 58 meets the adult criterion (<= 75): the child's "not indicated" differs.
    assert_code(a, "pediatric.adult_rule_differs", pediatric)


@pytest.mark.parametrize(
    ("ferritin", "decision", "routes"),
    [
        pytest.param(49.9, "indicated", ORAL_ONLY, id="child-ferritin-49.9-oral"),
        pytest.param(50, "not_indicated", (), id="child-ferritin-50-not-indicated"),
        pytest.param(50.1, "not_indicated", (), id="child-ferritin-50.1-not-indicated"),
    ],
)
def test_child_gets_oral_iron_below_ferritin_50(
    ferritin: float, decision: str, routes: tuple[str, ...]
) -> None:
    a = assess_doc(child(10), iron_panel(ferritin, 30))
    assert_decision(a, decision, routes)
    assert_code(a, "pediatric.rule_applied", True)


def test_child_with_tsat_45_is_contraindicated_as_in_adults() -> None:
    a = assess_doc(child(10), iron_panel(20, 45))
    assert_decision(a, "contraindicated")
    assert_code(a, "iron.tsat_high", True)


# ----------------------------------------------------------------------- pregnancy


@pytest.mark.parametrize(
    ("ferritin", "decision", "routes"),
    [
        pytest.param(74.9, "indicated", ORAL_ONLY, id="pregnancy-ferritin-74.9-oral"),
        pytest.param(75, "indicated", ORAL_ONLY, id="pregnancy-ferritin-75-oral"),
        pytest.param(75.1, "not_indicated", (), id="pregnancy-ferritin-75.1-not-indicated"),
    ],
)
def test_pregnancy_gets_oral_iron_at_ferritin_75_or_below(
    ferritin: float, decision: str, routes: tuple[str, ...]
) -> None:
    a = assess_doc(pregnant(20), iron_panel(ferritin, 30))
    assert_decision(a, decision, routes)
    assert_code(a, "pregnancy.obstetric_care", True)
    assert_code(a, "iron.iv_only_band", False)


@pytest.mark.parametrize(
    ("tsat", "decision", "routes"),
    [
        pytest.param(19.9, "indicated", ORAL_ONLY, id="pregnancy-tsat-19.9-oral"),
        pytest.param(20, "not_indicated", (), id="pregnancy-tsat-20-not-indicated"),
        pytest.param(20.1, "not_indicated", (), id="pregnancy-tsat-20.1-not-indicated"),
    ],
)
def test_pregnancy_gets_oral_iron_with_tsat_below_20(
    tsat: float, decision: str, routes: tuple[str, ...]
) -> None:
    a = assess_doc(pregnant(20), iron_panel(150, tsat))
    assert_decision(a, decision, routes)
    assert_code(a, "pregnancy.obstetric_care", True)


# ----------------------------------------------------------------------- dialysis


@pytest.mark.parametrize(
    ("ferritin", "tsat", "decision", "routes"),
    [
        pytest.param(199.9, 15, "indicated", IV_ONLY, id="dialysis-ferritin-199.9-iv"),
        pytest.param(200, 15, "not_indicated", (), id="dialysis-ferritin-200-not-indicated"),
        pytest.param(150, 19.9, "indicated", IV_ONLY, id="dialysis-tsat-19.9-iv"),
        pytest.param(150, 20, "not_indicated", (), id="dialysis-tsat-20-not-indicated"),
        pytest.param(50, 30, "not_indicated", (), id="dialysis-low-ferritin-alone-not-enough"),
        pytest.param(250, 10, "not_indicated", (), id="dialysis-low-tsat-alone-not-enough"),
    ],
)
def test_dialysis_needs_ferritin_below_200_and_tsat_below_20(
    ferritin: float, tsat: float, decision: str, routes: tuple[str, ...]
) -> None:
    a = assess_doc(on_dialysis(), iron_panel(ferritin, tsat))
    assert_decision(a, decision, routes)
    assert_code(a, "kidney.dialysis_rule", True)
    assert_code(a, "kidney.nephrology", decision != "indicated")


# ------------------------------------------------------------- WHO iron deficiency


@pytest.mark.parametrize(
    ("person", "ferritin", "crp_value", "deficient"),
    [
        pytest.param(woman(), 14.9, 1, True, id="age-5-plus-14.9-deficient"),
        pytest.param(woman(), 15, 1, False, id="age-5-plus-15-not"),
        pytest.param(woman(), 15.1, 1, False, id="age-5-plus-15.1-not"),
        pytest.param(child(4), 11.9, 1, True, id="under-5-11.9-deficient"),
        pytest.param(child(4), 12, 1, False, id="under-5-12-not"),
        pytest.param(child(4), 12.1, 1, False, id="under-5-12.1-not"),
        pytest.param(child(4), 13, 1, False, id="age-4-ferritin-13-not"),
        pytest.param(child(5), 13, 1, True, id="age-5-ferritin-13-deficient"),
        pytest.param(woman(), 69.9, 10, True, id="inflamed-69.9-deficient"),
        pytest.param(woman(), 70, 10, False, id="inflamed-70-not"),
        pytest.param(woman(), 70.1, 10, False, id="inflamed-70.1-not"),
        pytest.param(child(4), 29.9, 10, True, id="inflamed-under-5-29.9-deficient"),
        pytest.param(child(4), 30, 10, False, id="inflamed-under-5-30-not"),
        pytest.param(child(4), 30.1, 10, False, id="inflamed-under-5-30.1-not"),
    ],
)
def test_who_ferritin_cutoffs_by_age_and_inflammation(
    person: dict[str, Any], ferritin: float, crp_value: float, deficient: bool
) -> None:
    a = assess_doc(person, [*iron_panel(ferritin, 30), crp(crp_value)])
    assert_code(a, "iron.who_deficiency", deficient)


# -------------------------------------------------------------------- inflammation


@pytest.mark.parametrize(
    ("crp_value", "inflamed"),
    [
        pytest.param(4.9, False, id="crp-4.9"),
        pytest.param(5, False, id="crp-5"),
        pytest.param(5.1, True, id="crp-5.1"),
    ],
)
def test_crp_above_5_makes_ferritin_unreliable(crp_value: float, inflamed: bool) -> None:
    # Ferritin 50 is WHO-deficient only under the inflamed cut-off (< 70).
    a = assess_doc(woman(), [*iron_panel(50, 30), crp(crp_value)])
    assert_code(a, "inflammation.ferritin_unreliable", inflamed)
    assert_code(a, "iron.who_deficiency", inflamed)


# ------------------------------------------------------------------------- overload


@pytest.mark.parametrize(
    ("person", "ferritin", "tsat", "overload"),
    [
        # premenopausal women: TSAT > 45 and ferritin > 200
        pytest.param(woman(), 250, 44.9, False, id="premenopausal-tsat-44.9"),
        pytest.param(woman(), 250, 45, False, id="premenopausal-tsat-45"),
        pytest.param(woman(), 250, 45.1, True, id="premenopausal-tsat-45.1"),
        pytest.param(woman(), 199.9, 50, False, id="premenopausal-ferritin-199.9"),
        pytest.param(woman(), 200, 50, False, id="premenopausal-ferritin-200"),
        pytest.param(woman(), 200.1, 50, True, id="premenopausal-ferritin-200.1"),
        # men: TSAT > 50 and ferritin > 300
        pytest.param(man(), 350, 49.9, False, id="man-tsat-49.9"),
        pytest.param(man(), 350, 50, False, id="man-tsat-50"),
        pytest.param(man(), 350, 50.1, True, id="man-tsat-50.1"),
        pytest.param(man(), 299.9, 55, False, id="man-ferritin-299.9"),
        pytest.param(man(), 300, 55, False, id="man-ferritin-300"),
        pytest.param(man(), 300.1, 55, True, id="man-ferritin-300.1"),
        # menopause not given: under 50 premenopausal, 50 and over postmenopausal
        pytest.param(woman(49), 250, 48, True, id="woman-49-default-premenopausal"),
        pytest.param(woman(50), 250, 48, False, id="woman-50-default-postmenopausal"),
        pytest.param(woman(50), 350, 55, True, id="woman-50-postmenopausal-pattern"),
        # menopause given explicitly overrides the age default
        pytest.param(
            woman(45, postmenopausal=True), 250, 48, False, id="woman-45-postmenopausal-given"
        ),
        pytest.param(
            woman(55, postmenopausal=False), 250, 48, True, id="woman-55-premenopausal-given"
        ),
    ],
)
def test_overload_pattern_by_sex_and_menopause(
    person: dict[str, Any], ferritin: float, tsat: float, overload: bool
) -> None:
    a = assess_doc(person, iron_panel(ferritin, tsat))
    assert_code(a, "iron.overload_pattern", overload)
    if overload:
        assert a.iron_therapy.decision != "indicated"
        assert a.iron_therapy.routes == ()


def test_overload_pattern_says_when_menopause_was_assumed() -> None:
    a = assess_doc(woman(50), iron_panel(350, 55))
    (finding,) = (f for f in a.findings if f.code == "iron.overload_pattern")
    assert "our default" in finding.detail
    explicit = assess_doc(woman(50, postmenopausal=True), iron_panel(350, 55))
    (finding,) = (f for f in explicit.findings if f.code == "iron.overload_pattern")
    assert "our default" not in finding.detail


@pytest.mark.parametrize(
    ("ferritin", "very_high"),
    [
        pytest.param(999.9, False, id="ferritin-999.9"),
        pytest.param(1000, False, id="ferritin-1000"),
        pytest.param(1000.1, True, id="ferritin-1000.1"),
    ],
)
def test_ferritin_above_1000_needs_urgent_specialist_review(
    ferritin: float, very_high: bool
) -> None:
    a = assess_doc(man(), iron_panel(ferritin, 30))
    assert_code(a, "iron.ferritin_very_high", very_high)
    if very_high:
        (finding,) = (f for f in a.findings if f.code == "iron.ferritin_very_high")
        assert finding.severity == "urgent"


@pytest.mark.parametrize(
    ("person", "ferritin", "tsat", "flagged"),
    [
        pytest.param(woman(), 200, 30, False, id="woman-ferritin-200"),
        pytest.param(woman(), 200.1, 30, True, id="woman-ferritin-200.1"),
        pytest.param(man(), 300, 30, False, id="man-ferritin-300"),
        pytest.param(man(), 300.1, 30, True, id="man-ferritin-300.1"),
        # "normal TSAT" is 20 <= TSAT < 45
        pytest.param(woman(), 250, 19.9, False, id="woman-tsat-19.9-not-normal"),
        pytest.param(woman(), 250, 20, True, id="woman-tsat-20-normal"),
        pytest.param(woman(), 250, 44.9, True, id="woman-tsat-44.9-normal"),
        pytest.param(woman(), 250, 45, False, id="woman-tsat-45-high"),
    ],
)
def test_high_ferritin_with_normal_tsat_is_never_a_reason_for_iron(
    person: dict[str, Any], ferritin: float, tsat: float, flagged: bool
) -> None:
    a = assess_doc(person, iron_panel(ferritin, tsat))
    assert_code(a, "iron.ferritin_high_normal_tsat", flagged)
    if flagged:
        assert_decision(a, "not_indicated")


# ------------------------------------------------------------------------- anaemia

HB_GROUPS = [
    ("6-23 months", child(1, age_months=18), 10.5),
    ("24-59 months", child(3), 11.0),
    ("5-11 years", child(8), 11.5),
    ("12-14 years", child(13), 12.0),
    ("women", woman(), 12.0),
    ("men", man(), 13.0),
    ("pregnancy week 13", pregnant(13), 11.0),
    ("pregnancy week 14", pregnant(14), 10.5),
    ("pregnancy week 27", pregnant(27), 10.5),
    ("pregnancy week 28", pregnant(28), 11.0),
]


@pytest.mark.parametrize(
    ("person", "hb_value", "anaemic"),
    [
        pytest.param(
            person, round(cutoff + delta, 1), delta < 0, id=f"{group}-{cutoff + delta:.1f}"
        )
        for group, person, cutoff in HB_GROUPS
        for delta in (-0.1, 0.0, 0.1)
    ],
)
def test_anaemia_below_the_who_2024_cutoff_for_each_group(
    person: dict[str, Any], hb_value: float, anaemic: bool
) -> None:
    a = assess_doc(person, [*iron_panel(80, 30), hb(hb_value)])
    assert a.anemia.present is anaemic
    assert_code(a, "anemia.present", anaemic)


@pytest.mark.parametrize(
    ("person", "cutoff"),
    [
        pytest.param(child(0, age_months=6), 10.5, id="6-months"),
        pytest.param(child(1, age_months=23), 10.5, id="23-months"),
        pytest.param(child(2, age_months=24), 11.0, id="24-months"),
        pytest.param(child(4, age_months=59), 11.0, id="59-months"),
        pytest.param(child(5), 11.5, id="5-years"),
        pytest.param(child(11), 11.5, id="11-years"),
        pytest.param(child(12), 12.0, id="12-years"),
        pytest.param(child(14, "male"), 12.0, id="boy-14-years"),
        pytest.param(child(15, "male"), 13.0, id="man-15-years"),
        pytest.param(child(15, "female"), 12.0, id="woman-15-years"),
    ],
)
def test_who_hb_group_edges_by_completed_age(person: dict[str, Any], cutoff: float) -> None:
    a = assess_doc(person, [*iron_panel(80, 30), hb(14)])
    assert a.anemia.threshold_g_dl == cutoff
    assert a.anemia.present is False


def test_no_who_hb_cutoff_under_6_months() -> None:
    a = assess_doc(child(0, age_months=5), [*iron_panel(80, 30), hb(9)])
    assert a.anemia.present is None
    assert_code(a, "anemia.present", False)


@pytest.mark.parametrize(
    ("person", "investigate"),
    [
        pytest.param(man(), True, id="man"),
        pytest.param(woman(49), False, id="woman-49-premenopausal-by-default"),
        pytest.param(woman(50), True, id="woman-50-postmenopausal-by-default"),
        pytest.param(woman(45, postmenopausal=True), True, id="woman-45-postmenopausal-given"),
    ],
)
def test_iron_deficiency_anaemia_in_a_man_or_postmenopausal_woman_needs_its_cause_found(
    person: dict[str, Any], investigate: bool
) -> None:
    a = assess_doc(person, [*iron_panel(10, 10), hb(9)])
    assert a.anemia.present is True
    assert_code(a, "anemia.investigate_cause", investigate)


# ------------------------------------------------------------------------ nutrients

NUTRIENTS = [
    # (test, unit, common cut-off, lab range used in the "with range" cases, its low bound)
    ("folate", "nutrients.folate_low", "ng/mL", 4.0, "5.0-20.0", 5.0),
    ("b12", "nutrients.b12_low", "pg/mL", 200.0, "250-900", 250.0),
    ("magnesium", "nutrients.magnesium_low", "mmol/L", 0.70, "0.75-1.05", 0.75),
    ("vitamin_d", "nutrients.vitamin_d_low", "ng/mL", 20.0, "30-100", 30.0),
]


def _step(cutoff: float) -> float:
    return 0.01 if cutoff < 1 else 0.1


@pytest.mark.parametrize(
    ("test", "code", "unit", "value", "low"),
    [
        pytest.param(
            test, code, unit, round(cutoff + k * _step(cutoff), 2), k < 0, id=f"{test}-{k:+d}"
        )
        for test, code, unit, cutoff, _, _ in NUTRIENTS
        for k in (-1, 0, 1)
    ],
)
def test_nutrient_low_below_the_common_cutoff_without_a_lab_range(
    test: str, code: str, unit: str, value: float, low: bool
) -> None:
    a = assess_doc(woman(), [*iron_panel(80, 30), lab(test, value, unit)])
    assert_code(a, code, low)


@pytest.mark.parametrize(
    ("test", "code", "unit", "value", "ref", "low"),
    [
        pytest.param(
            test,
            code,
            unit,
            round(lab_low + k * _step(lab_low), 2),
            ref,
            k < 0,
            id=f"{test}-lab-low{k:+d}",
        )
        for test, code, unit, _, ref, lab_low in NUTRIENTS
        for k in (-1, 0, 1)
    ]
    + [
        # Below the common cut-off but inside the lab's own range: the lab wins.
        pytest.param(
            test,
            code,
            unit,
            round(cutoff - _step(cutoff), 2),
            f"{round(cutoff - 2 * _step(cutoff), 2)}-{cutoff * 5:g}",
            False,
            id=f"{test}-inside-lab-range",
        )
        for test, code, unit, cutoff, _, _ in NUTRIENTS
    ],
)
def test_nutrient_low_uses_the_labs_own_range_when_given(
    test: str, code: str, unit: str, value: float, ref: str, low: bool
) -> None:
    a = assess_doc(woman(), [*iron_panel(80, 30), lab(test, value, unit, reference_range=ref)])
    assert_code(a, code, low)


# ------------------------------------------------------------------------ RLS symptoms


@pytest.mark.parametrize(
    ("total", "band"),
    [
        pytest.param(0, "none", id="irls-0"),
        pytest.param(1, "mild", id="irls-1"),
        pytest.param(10, "mild", id="irls-10"),
        pytest.param(11, "moderate", id="irls-11"),
        pytest.param(20, "moderate", id="irls-20"),
        pytest.param(21, "severe", id="irls-21"),
        pytest.param(30, "severe", id="irls-30"),
        pytest.param(31, "very_severe", id="irls-31"),
        pytest.param(40, "very_severe", id="irls-40"),
    ],
)
def test_irls_total_falls_in_its_band(total: int, band: str) -> None:
    a = assess_doc(woman(), iron_panel(80, 30), rls={"irls_total": total})
    assert a.rls.irls_band == band
    assert_code(a, "rls.severity", True)


@pytest.mark.parametrize(
    ("total", "episodes", "significant"),
    [
        pytest.param(15, 2, False, id="moderate-2-a-week"),
        pytest.param(15, 2.5, True, id="moderate-2.5-a-week"),
        pytest.param(10, 5, False, id="mild-5-a-week"),
        pytest.param(11, 5, True, id="moderate-edge-5-a-week"),
        pytest.param(35, 2, False, id="very-severe-2-a-week"),
    ],
)
def test_clinically_significant_needs_more_than_twice_a_week_and_moderate_distress(
    total: int, episodes: float, significant: bool
) -> None:
    rls = {"irls_total": total, "episodes_per_week": episodes}
    a = assess_doc(woman(), iron_panel(80, 30), rls=rls)
    assert a.rls.clinically_significant is significant


@pytest.mark.parametrize(
    ("episodes", "course"),
    [
        pytest.param(1.9, "intermittent", id="1.9-a-week"),
        pytest.param(2, "chronic_persistent", id="2-a-week"),
        pytest.param(2.1, "chronic_persistent", id="2.1-a-week"),
    ],
)
def test_course_is_chronic_persistent_at_2_or_more_a_week(episodes: float, course: str) -> None:
    a = assess_doc(woman(), iron_panel(80, 30), rls={"episodes_per_week": episodes})
    assert a.rls.course == course


# ------------------------------------------------------------------------ monitoring


@pytest.mark.parametrize(
    ("days_old", "stale"),
    [
        pytest.param(364, False, id="364-days"),
        pytest.param(365, False, id="365-days"),
        pytest.param(366, True, id="366-days"),
    ],
)
def test_iron_panel_older_than_365_days_is_stale_and_must_be_repeated(
    days_old: int, stale: bool
) -> None:
    drawn = AS_OF - dt.timedelta(days=days_old)
    a = assess_doc(woman(), iron_panel(50, 30, drawn))
    assert_code(a, "labs.stale", stale)
    if stale:
        assert_decision(a, "test_first")
    else:
        assert_decision(a, "indicated", ORAL_OR_IV)


def test_stale_panel_age_counts_from_the_older_of_ferritin_and_tsat() -> None:
    old = AS_OF - dt.timedelta(days=366)
    labs = [lab("ferritin", 50, "ug/L", DRAWN), lab("tsat", 30, "%", old)]
    a = assess_doc(woman(), labs)
    assert_code(a, "labs.stale", True)
    assert_decision(a, "test_first")


@pytest.mark.parametrize(
    ("days_after", "too_soon"),
    [
        pytest.param(0, True, id="same-day"),
        pytest.param(27, True, id="27-days"),
        pytest.param(28, False, id="28-days"),
        pytest.param(29, False, id="29-days"),
    ],
)
def test_ferritin_within_28_days_of_iv_iron_cannot_show_adequate_stores(
    days_after: int, too_soon: bool
) -> None:
    infusion = DRAWN - dt.timedelta(days=days_after)
    therapy = [{"route": "iv", "started": infusion.isoformat(), "ended": infusion.isoformat()}]
    a = assess_doc(woman(), iron_panel(150, 30), iron_therapy=therapy)
    assert_code(a, "labs.after_iv_iron", too_soon)
    assert_code(a, "iron.adequate_for_rls", not too_soon)
    assert_decision(a, "test_first" if too_soon else "not_indicated")


@pytest.mark.parametrize(
    ("days_on_iron", "due"),
    [
        pytest.param(83, False, id="11-weeks-6-days"),
        pytest.param(84, True, id="12-weeks"),
        pytest.param(85, True, id="12-weeks-1-day"),
    ],
)
def test_recheck_is_due_12_weeks_after_starting_oral_iron(days_on_iron: int, due: bool) -> None:
    started = AS_OF - dt.timedelta(days=days_on_iron)
    drawn = started - dt.timedelta(days=10)
    therapy = [{"route": "oral", "product": "ferrous sulfate", "started": started.isoformat()}]
    a = assess_doc(woman(), iron_panel(40, 15, drawn), iron_therapy=therapy)
    assert_code(a, "therapy.retest_due", due)


def test_no_recheck_due_when_a_panel_was_drawn_after_the_12_weeks() -> None:
    started = AS_OF - dt.timedelta(days=100)
    drawn = started + dt.timedelta(weeks=12)
    therapy = [{"route": "oral", "started": started.isoformat()}]
    a = assess_doc(woman(), iron_panel(120, 30, drawn), iron_therapy=therapy)
    assert_code(a, "therapy.retest_due", False)


@pytest.mark.parametrize(
    ("ferritin", "review"),
    [
        pytest.param(299.9, False, id="ferritin-299.9-on-iron"),
        pytest.param(300, False, id="ferritin-300-on-iron"),
        pytest.param(300.1, True, id="ferritin-300.1-on-iron"),
    ],
)
def test_ferritin_rising_above_300_while_on_oral_iron_calls_for_stop_and_review(
    ferritin: float, review: bool
) -> None:
    # REFERENCE, Monitoring: "ferritin rising above 300 while on iron: stop and review".
    # A person taking iron gets a finding that the same values without iron do not produce.
    started = DRAWN - dt.timedelta(weeks=13)
    before = lab("ferritin", 150, "ug/L", started - dt.timedelta(days=7))
    labs = [before, *iron_panel(ferritin, 30)]
    therapy = [{"route": "oral", "product": "ferrous sulfate", "started": started.isoformat()}]
    on_iron = assess_doc(woman(), labs, iron_therapy=therapy)
    off_iron = assess_doc(woman(), labs)
    assert_decision(on_iron, "not_indicated")
    on_iron_only = codes(on_iron) - codes(off_iron)
    assert bool(on_iron_only) is review, sorted(on_iron_only)
    assert_code(on_iron, "therapy.stop_and_review", review)


# ------------------------------------------------------------------- the table itself

SRC = Path(rlsiron.__file__).parent
KNOWLEDGE = SRC / "core" / "knowledge" / "data"


def _readers() -> list[tuple[str, str]]:
    """(file, text) for every place a threshold can be read: code and the rule tables."""
    files = [*sorted(SRC.rglob("*.py")), KNOWLEDGE / "rules.toml", KNOWLEDGE / "findings.toml"]
    return [(str(path.relative_to(SRC)), path.read_text(encoding="utf-8")) for path in files]


READERS = _readers()


@pytest.mark.parametrize("row_id", sorted(THRESHOLDS))
def test_every_threshold_row_is_read_somewhere_in_the_package(row_id: str) -> None:
    # Read = named by a rule or finding condition, a "{th[id]}" template, or the code. A row
    # nobody reads is dead: the number a clinician reviews would do nothing.
    named = re.compile(rf"(?<![\w.]){re.escape(row_id)}(?![\w.])")
    readers = [name for name, text in READERS if named.search(text)]
    assert readers, f"threshold {row_id!r} is defined but never read"


@pytest.mark.parametrize(
    "row",
    [pytest.param(row, id=f"threshold:{row.id}") for row in THRESHOLDS.values()]
    + [pytest.param(row, id=f"number:{row.id}") for row in NUMBERS.values()],
)
def test_every_row_cites_known_sources(row: Any) -> None:
    assert row.sources, row.id
    unknown = [s for s in row.sources if s not in SOURCES]
    assert not unknown, f"{row.id} cites unknown sources {unknown}"
