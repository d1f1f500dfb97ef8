"""REFERENCE.md "Additions of 2026-11-24", each through the public engine, boundaries included."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rlsiron import RlsironError
from rlsiron.core.models import Assessment
from tests.conftest import assess_document

AS_OF = dt.date(2026, 11, 20)
DRAWN = dt.date(2026, 11, 2)


def lab(test: str, value: Any, unit: str, date: dt.date = DRAWN, **extra: Any) -> dict[str, Any]:
    return {"test": test, "value": value, "unit": unit, "date": date.isoformat(), **extra}


def panel(ferritin: float, tsat: float, date: dt.date = DRAWN) -> list[dict[str, Any]]:
    return [lab("ferritin", ferritin, "ug/L", date), lab("tsat", tsat, "%", date)]


def run(person: dict[str, Any], labs: list[dict[str, Any]], **rest: Any) -> Assessment:
    result: Assessment = assess_document(
        {"as_of": AS_OF.isoformat(), "person": person, "labs": labs, **rest}
    )
    return result


def codes(a: Assessment) -> set[str]:
    return {f.code for f in a.findings}


def finding(a: Assessment, code: str) -> Any:
    return next(f for f in a.findings if f.code == code)


def section(a: Assessment, id: str) -> str:
    assert a.plan is not None
    return " ".join(next(s for s in a.plan.sections if s.id == id).items)


WOMAN = {"age_years": 40, "sex": "female"}
MAN = {"age_years": 50, "sex": "male"}


# ------------------------------------------------------------------ two TSATs for one draw


def two_tsats(reported: float, iron: float, tibc: float, ferritin: float = 150) -> list[Any]:
    """A reported TSAT and iron + TIBC of the same draw (µmol/L): calculated = iron / TIBC."""
    return [
        lab("ferritin", ferritin, "ug/L"),
        lab("tsat", reported, "%"),
        lab("iron", iron, "umol/L"),
        lab("tibc", tibc, "umol/L"),
    ]


@pytest.mark.parametrize(
    ("reported", "iron", "discordant"),
    [
        pytest.param(30, 12.5, False, id="gap-5-points-concordant"),  # calculated 25 %
        pytest.param(30.1, 12.5, True, id="gap-5.1-points-discordant"),
        pytest.param(24.9, 12.5, False, id="gap-0.1-points"),
    ],
)
def test_a_gap_of_more_than_5_points_between_the_two_tsats_is_flagged(
    reported: float, iron: float, discordant: bool
) -> None:
    a = run(WOMAN, two_tsats(reported, iron, 50))
    assert ("labs.tsat_discordant" in codes(a)) is discordant
    if discordant:
        detail = finding(a, "labs.tsat_discordant").detail
        assert "30.1 %" in detail and "25 %" in detail


def test_two_tsats_on_both_sides_of_20_give_test_first() -> None:
    # Reported 22 % (not indicated with ferritin 150), calculated 16 % (indicated): fail closed.
    a = run(WOMAN, two_tsats(22, 8, 50))
    assert a.iron_therapy.decision == "test_first"
    assert a.iron_therapy.rule == "labs.tsat_discordant"
    assert "labs.tsat_discordant" in codes(a)


def test_the_safety_stop_uses_the_higher_of_two_tsats() -> None:
    # Reported 40 % alone would allow iron (ferritin 30); calculated 46 % stops it.
    a = run(WOMAN, two_tsats(40, 23, 50, ferritin=30))
    assert a.iron_therapy.decision == "contraindicated"
    assert "iron.tsat_high" in codes(a)


def test_concordant_tsats_decide_on_the_reported_value() -> None:
    a = run(WOMAN, two_tsats(18, 8, 50))  # reported 18, calculated 16: both below 20
    assert a.iron_therapy.decision == "indicated"
    assert a.values.tsat_percent == 18
    assert a.values.tsat_source == "reported"


# ------------------------------------------------------------------ conditions


@pytest.mark.parametrize(
    "entry", ["hereditary haemochromatosis", "HFE C282Y homozygous", "on venesection"]
)
def test_haemochromatosis_contraindicates_iron_and_the_plan_boosts_no_iron(entry: str) -> None:
    a = run({**WOMAN, "conditions": [entry]}, panel(20, 15))  # otherwise clearly indicated
    assert a.iron_therapy.decision == "contraindicated"
    assert a.iron_therapy.routes == ()
    assert "iron.hemochromatosis" in codes(a)
    assert finding(a, "iron.hemochromatosis").severity == "urgent"
    assert "Iron-rich foods" not in section(a, "diet")
    assert "alternate days" not in section(a, "iron")


def test_haemochromatosis_leaves_retesting_to_the_specialist_team() -> None:
    a = run({**MAN, "conditions": ["haemochromatosis"]}, panel(420, 52))
    assert "haematology or liver team" in a.next_tests[0].why
    assert "HFE testing" not in a.next_tests[0].why


def test_haemochromatosis_without_any_result_is_still_no_iron() -> None:
    a = run({**MAN, "conditions": ["haemochromatosis"]}, [])
    assert a.iron_therapy.decision == "contraindicated"


def test_an_inflammatory_disease_counts_as_inflammation_without_a_crp() -> None:
    # Ferritin 60: above the WHO cut-off of 15, below the inflammation cut-off of 70.
    plain = run(WOMAN, panel(60, 25))
    inflamed = run({**WOMAN, "conditions": ["rheumatoid arthritis"]}, panel(60, 25))
    assert "iron.who_deficiency" not in codes(plain)
    assert {"iron.who_deficiency", "inflammation.ferritin_unreliable"} <= codes(inflamed)
    assert "iron.adequate_for_rls" not in codes(inflamed)


@pytest.mark.parametrize(
    ("person", "medicines"),
    [
        pytest.param({**WOMAN, "conditions": ["coeliac disease"]}, [], id="coeliac"),
        pytest.param({**WOMAN, "conditions": ["gastric bypass"]}, [], id="bariatric"),
        pytest.param(WOMAN, ["omeprazole 20 mg"], id="long-term-ppi"),
    ],
)
def test_malabsorption_or_a_ppi_says_tablets_may_not_work_when_iron_is_indicated(
    person: dict[str, Any], medicines: list[str]
) -> None:
    indicated = run(person, panel(30, 15), medications=medicines)
    assert "iron.oral_poorly_absorbed" in codes(indicated)
    assert "infusion" in section(indicated, "iron")
    replete = run(person, panel(150, 30), medications=medicines)
    assert "iron.oral_poorly_absorbed" not in codes(replete)


def test_a_ppi_is_not_reported_as_a_medicine_that_worsens_rls() -> None:
    a = run(WOMAN, panel(30, 15), medications=["Nexium"])
    assert "meds.may_worsen_rls" not in codes(a)


@pytest.mark.parametrize("entry", ["heavy periods", "menorrhagia", "regular blood donor"])
def test_an_ongoing_loss_is_named(entry: str) -> None:
    a = run({**WOMAN, "conditions": [entry]}, panel(30, 15))
    assert "iron.ongoing_loss" in codes(a)


def test_a_condition_the_rules_do_not_read_is_reported_not_dropped() -> None:
    a = run({**WOMAN, "conditions": ["migraine", "coeliac disease"]}, panel(30, 15))
    unused = [f for f in a.findings if f.code == "context.condition_not_used"]
    assert [f.evidence["entry"] for f in unused] == ["migraine"]
    assert a.conditions == ("malabsorption",)


@pytest.mark.parametrize(
    ("age", "rda"),
    [pytest.param(17, 10, id="lactating-17"), pytest.param(30, 9, id="lactating-30")],
)
def test_lactation_uses_its_own_rda(age: int, rda: int) -> None:
    a = run({"age_years": age, "sex": "female", "conditions": ["breastfeeding"]}, panel(30, 15))
    assert f"about {rda} mg" in section(a, "diet")


@pytest.mark.parametrize(
    ("entry", "rule"),
    [("haemodialysis", "dialysis.low_iron"), ("CKD stage 3b", "adult.low_iron")],
)
def test_kidney_conditions_are_synonyms_of_the_kidney_status(entry: str, rule: str) -> None:
    a = run({**MAN, "conditions": [entry]}, panel(30, 15))
    assert a.iron_therapy.rule == rule
    assert "kidney.nephrology" in codes(a) or "kidney.dialysis_rule" in codes(a)


def test_a_kidney_status_contradicting_a_condition_is_an_input_error() -> None:
    with pytest.raises(RlsironError) as caught:
        run({**MAN, "kidney": "normal", "conditions": ["on haemodialysis"]}, panel(30, 15))
    (problem,) = caught.value.problems
    assert problem.location == "person.kidney"
    assert problem.received == "normal"


# ------------------------------------------------------------------ after an IV infusion


def infusion(days_before_draw: int) -> list[dict[str, Any]]:
    day = (DRAWN - dt.timedelta(days=days_before_draw)).isoformat()
    return [{"route": "iv", "product": "ferric carboxymaltose", "started": day, "ended": day}]


@pytest.mark.parametrize(
    ("days", "window"),
    [pytest.param(27, True, id="27-days"), pytest.param(28, False, id="28-days")],
)
def test_a_panel_within_4_weeks_of_an_infusion_is_not_judged(days: int, window: bool) -> None:
    a = run(WOMAN, panel(30, 15), iron_therapy=infusion(days))  # low: indicated otherwise
    assert (a.iron_therapy.decision == "test_first") is window
    assert ("labs.after_iv_iron" in codes(a)) is window
    if window:
        recheck = DRAWN - dt.timedelta(days=days) + dt.timedelta(weeks=8)
        assert a.next_tests[0].due == max(recheck, AS_OF)
        assert recheck.isoformat() in finding(a, "labs.after_iv_iron").detail


def test_a_high_tsat_right_after_an_infusion_still_contraindicates() -> None:
    a = run(WOMAN, panel(900, 50), iron_therapy=infusion(10))
    assert a.iron_therapy.decision == "contraindicated"


def test_the_infusion_explains_a_high_ferritin_in_the_window() -> None:
    a = run(WOMAN, panel(600, 30), iron_therapy=infusion(10))
    assert not codes(a) & {
        "therapy.stop_and_review",
        "iron.ferritin_high_normal_tsat",
        "iron.overload_pattern",
    }
    later = run(WOMAN, panel(600, 30), iron_therapy=infusion(40))
    assert "therapy.stop_and_review" in codes(later)


# ------------------------------------------------------------------ plans that agree


def test_any_anaemia_puts_an_item_in_see_a_doctor() -> None:
    a = run({**WOMAN, "age_years": 30}, [*panel(30, 15), lab("hemoglobin", 11.5, "g/dL")])
    assert "anemia.present" in codes(a)
    assert "anemia.investigate_cause" not in codes(a)  # premenopausal woman
    assert "anaemia" in section(a, "see_a_doctor")


def test_a_safety_finding_means_no_iron_boosting_diet_and_ask_the_prescriber() -> None:
    oral = [{"route": "oral", "product": "ferrous sulfate", "started": "2026-06-01"}]
    a = run(WOMAN, panel(1200, 40), iron_therapy=oral)
    assert "iron.ferritin_very_high" in codes(a)
    diet = section(a, "diet")
    assert "Iron-rich foods" not in diet and "Pair plant iron" not in diet
    iron = section(a, "iron")
    assert "before your next dose" in iron
    assert "stop" not in iron.replace("Do not change", "").lower().split("before")[0]


def test_an_urgent_finding_sets_the_next_test_now_not_in_a_year() -> None:
    a = run(MAN, panel(1200, 30))  # ferritin > 1000: urgent specialist review
    assert a.iron_therapy.decision == "not_indicated"
    assert a.next_tests[0].due == AS_OF


@pytest.mark.parametrize("kidney", ["ckd", "dialysis"])
def test_kidney_disease_gets_no_food_list_but_the_renal_dietitian(kidney: str) -> None:
    a = run({**MAN, "kidney": kidney}, panel(30, 15))
    diet = section(a, "diet")
    assert "renal dietitian" in diet and "KDOQI-2020" in diet
    assert "lentils" not in diet.split("(meat, beans, lentils")[0]
    assert "Iron-rich foods that suit you" not in diet


def test_pregnancy_without_iron_keeps_the_maternity_teams_advice() -> None:
    a = run({**WOMAN, "pregnancy_weeks": 20}, panel(150, 30))
    assert a.iron_therapy.decision == "not_indicated"
    assert "maternity team" in section(a, "iron")


@pytest.mark.parametrize(
    ("age", "child"),
    [pytest.param(11, True, id="age-11"), pytest.param(12, False, id="age-12")],
)
def test_children_under_12_get_no_alcohol_nicotine_or_tablet_timing_advice(
    age: int, child: bool
) -> None:
    a = run({"age_years": age, "sex": "male"}, panel(30, 15))
    lifestyle = section(a, "lifestyle").lower()
    assert ("alcohol" in lifestyle) is not child
    assert ("nicotine" in lifestyle) is not child
    assert ("alternate days" in section(a, "iron")) is not child
    assert ("child's portion" in section(a, "diet")) is child


def test_vegans_get_no_dairy_advice() -> None:
    a = run({**WOMAN, "conditions": []}, panel(30, 15), diet="vegan")
    text = (section(a, "diet") + section(a, "iron")).lower()
    for dairy in ("milk", "yogurt", "cheese"):
        assert dairy not in text


def test_criteria_not_all_met_never_claim_clinically_significant_rls() -> None:
    rls = {
        "criteria": {"urge": True, "rest": True, "movement_relief": False, "evening": True},
        "irls_total": 25,
        "episodes_per_week": 5,
    }
    a = run(WOMAN, panel(30, 15), rls=rls)
    assert a.rls.clinically_significant is False
    assert "if RLS is confirmed" in section(a, "iron")


def test_the_ferritin_50_profile_cites_its_articles_and_says_where_the_guideline_differs() -> None:
    a = run(WOMAN, panel(40, 25), profile="seed")
    assert a.profile == "ferritin-50"
    low = finding(a, "iron.low_for_rls")
    assert "SEED" in low.sources
    assert "AASM 2024" in low.detail
    assert low.evidence_level == "expert_consensus"
    assert "patient-education articles" in low.detail


@pytest.mark.parametrize(
    ("ferritin", "tsat", "indicated"),
    [
        pytest.param(30, 25, True, id="ferritin-criterion"),
        pytest.param(30, 50, False, id="tsat-stop"),
    ],
)
def test_low_for_rls_states_the_criterion_and_claims_therapy_only_when_indicated(
    ferritin: float, tsat: float, indicated: bool
) -> None:
    a = run(WOMAN, panel(ferritin, tsat))
    detail = finding(a, "iron.low_for_rls").detail
    assert "Ferritin 30 µg/L is ≤ 75 µg/L" in detail
    assert "TSAT" not in detail.split(":")[0]  # only the criterion that holds
    assert ("meets the criterion" in detail) is indicated


def test_formulations_stand_only_in_the_section_for_the_clinician() -> None:
    a = run(WOMAN, panel(30, 15))
    assert a.plan is not None
    for s in a.plan.sections:
        text = " ".join(s.items)
        assert ("ferric carboxymaltose" in text) is (s.id == "for_the_clinician"), s.id
        assert ("325 mg" in text) is (s.id == "for_the_clinician"), s.id


# ------------------------------------------------------------------ numbers as reported


@pytest.mark.parametrize(
    ("value", "low"),
    [
        pytest.param(1.6, True, id="mg-1.6-mg/dL-low"),
        pytest.param(1.7, False, id="mg-1.7-mg/dL-is-0.70-not-low"),
        pytest.param(1.8, False, id="mg-1.8-mg/dL"),
    ],
)
def test_magnesium_is_compared_at_its_reported_precision(value: float, low: bool) -> None:
    a = run(WOMAN, [*panel(30, 15), lab("magnesium", value, "mg/dL")])
    assert ("nutrients.magnesium_low" in codes(a)) is low


def test_text_shows_rounded_values_and_json_keeps_them_exact() -> None:
    a = run(MAN, [*panel(30, 15), lab("hemoglobin", 112.802, "g/L")])
    assert "11.3 g/dL" in finding(a, "anemia.present").detail
    assert "11.2802" not in a.model_dump_json().replace('"value":11.2802', "")
    assert a.values.hemoglobin_g_dl == pytest.approx(11.28)


# ------------------------------------------------------------------ assays


@pytest.mark.parametrize("assay", ["roche", "Roche Elecsys", "cobas e 801"])
def test_a_roche_ferritin_carries_the_caveat_into_findings_and_plan(assay: str) -> None:
    a = run(WOMAN, [lab("ferritin", 110, "ug/L", assay=assay), lab("tsat", 25, "%")])
    assert "iron.assay_dependent" in codes(a)  # Beckman equivalent ~68: would be indicated
    assert finding(a, "iron.assay_dependent").sources == ("ASSAY-116",)
    assert "Roche assay" in section(a, "iron")


@pytest.mark.parametrize(("roche", "beckman"), [(83, 50), (121, 75), (158, 100), (457, 300)])
def test_roche_ferritin_maps_to_the_published_beckman_equivalents(
    roche: float, beckman: float
) -> None:
    a = run(WOMAN, [lab("ferritin", roche, "ug/L", assay="roche"), lab("tsat", 30, "%")])
    assert a.values.ferritin_beckman_equivalent_ug_l == pytest.approx(beckman)


def test_an_unknown_assay_is_an_error_naming_the_accepted_ones() -> None:
    with pytest.raises(RlsironError) as caught:
        run(WOMAN, [lab("ferritin", 40, "ug/L", assay="Acme 3000"), lab("tsat", 25, "%")])
    (problem,) = caught.value.problems
    assert problem.location == "labs[0].assay"
    assert problem.received == "Acme 3000"
    assert any("roche" in accepted for accepted in problem.accepted)


# ------------------------------------------------------------------ kidney status and eGFR


@pytest.mark.parametrize(
    ("egfr", "asks"),
    [pytest.param(14.9, True, id="egfr-14.9"), pytest.param(15, False, id="egfr-15")],
)
def test_egfr_below_15_with_kidney_unset_asks_about_kidney_status(egfr: float, asks: bool) -> None:
    a = run(MAN, [*panel(30, 15), lab("egfr", egfr, "mL/min/1.73m2")])
    assert ("kidney.ask_status" in codes(a)) is asks
    told = run({**MAN, "kidney": "ckd"}, [*panel(30, 15), lab("egfr", egfr, "mL/min/1.73m2")])
    assert "kidney.ask_status" not in codes(told)


@pytest.mark.parametrize(
    ("creatinine", "asks"),
    # CKD-EPI 2021, man of 50: creatinine 4.6 mg/dL gives eGFR ~14, 4.3 mg/dL ~15.5.
    [pytest.param(4.6, True, id="creatinine-4.6"), pytest.param(4.3, False, id="creatinine-4.3")],
)
def test_a_creatinine_implying_kidney_failure_asks_too(creatinine: float, asks: bool) -> None:
    a = run(MAN, [*panel(30, 15), lab("creatinine", creatinine, "mg/dL")])
    assert ("kidney.ask_status" in codes(a)) is asks


# ------------------------------------------------------------------ stale panel, rechecks


def test_the_stale_panel_finding_names_which_result_is_old() -> None:
    old = DRAWN - dt.timedelta(days=400)
    a = run(WOMAN, [lab("ferritin", 30, "ug/L"), lab("tsat", 15, "%", old)])
    detail = finding(a, "labs.stale").detail
    assert "The TSAT result is from" in detail
    assert old.isoformat() in detail


def test_retest_due_counts_any_later_panel() -> None:
    started = AS_OF - dt.timedelta(weeks=20)
    oral = [{"route": "oral", "started": started.isoformat()}]
    before = [*panel(30, 15, started - dt.timedelta(days=3))]
    after = lab("ferritin", 45, "ug/L", started + dt.timedelta(weeks=13))
    assert "therapy.retest_due" in codes(run(WOMAN, before, iron_therapy=oral))
    assert "therapy.retest_due" not in codes(run(WOMAN, [*before, after], iron_therapy=oral))


# ------------------------------------------------------------------ evidence levels


def test_every_finding_has_an_evidence_level_and_consensus_is_labelled_in_text() -> None:
    from rlsiron.report.markdown import render_markdown

    a = run({**WOMAN, "pregnancy_weeks": 20}, panel(30, 15))
    assert {f.evidence_level for f in a.findings} <= {"guideline", "expert_consensus"}
    obstetric = finding(a, "pregnancy.obstetric_care")
    assert obstetric.evidence_level == "expert_consensus"  # PREG-2015 [U]
    markdown = render_markdown(a)
    assert "**Pregnancy: decide with your obstetric team** (info, expert consensus," in markdown


# ------------------------------------------------------------------ the free symptom diary


def diary_entry(days_before: int, nights: int, severity: int) -> dict[str, Any]:
    day = (AS_OF - dt.timedelta(days=days_before)).isoformat()
    return {"date": day, "nights_affected": nights, "severity": severity, "sleep_quality": 5}


@pytest.mark.parametrize(
    ("weeks", "trend"),
    [
        # Weekly burden = nights / 7 x severity (0-10); halves compared, a change of 1 counts.
        pytest.param([(7, 7), (7, 7), (3, 6), (3, 6)], "better", id="7-to-2.6-better"),
        pytest.param([(2, 7), (2, 7), (6, 7), (6, 7)], "worse", id="2-to-6-worse"),
        pytest.param([(7, 7), (7, 6)], "better", id="change-exactly-1-counts"),
        pytest.param([(7, 7), (6, 8)], "stable", id="change-under-1-stable"),
        pytest.param([(4, 5)], None, id="one-entry-no-trend"),
    ],
)
def test_the_symptom_diary_shows_its_trend(weeks: list[tuple[int, int]], trend: str | None) -> None:
    entries = [
        diary_entry(7 * (len(weeks) - i), nights, severity)
        for i, (nights, severity) in enumerate(weeks)
    ]
    a = run(WOMAN, panel(30, 15), rls={"diary": entries})
    assert a.rls.diary is not None
    assert (a.rls.diary.entries, a.rls.diary.trend) == (len(weeks), trend)
    assert a.rls.diary.nights_affected_latest == weeks[-1][0]
    assert "rls.diary_trend" in codes(a)


def test_a_diary_entry_out_of_its_scales_is_an_input_error() -> None:
    with pytest.raises(RlsironError) as caught:
        run(WOMAN, panel(30, 15), rls={"diary": [diary_entry(7, 8, 11)]})
    locations = {p.location for p in caught.value.problems}
    assert {"rls.diary[0].nights_affected", "rls.diary[0].severity"} <= locations
