"""The action plan is tailored to the person and never prescribes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from rlsiron.core.models import Assessment
from tests.conftest import assess_document

AS_OF = "2026-11-20"
DRAWN = "2026-11-02"


def _doc(person: dict[str, Any], ferritin: float, tsat: float, **extra: Any) -> dict[str, Any]:
    labs = [
        {"test": "ferritin", "value": ferritin, "unit": "ng/mL", "date": DRAWN},
        {"test": "tsat", "value": tsat, "unit": "%", "date": DRAWN},
    ]
    return {"as_of": AS_OF, "person": person, "labs": labs, **extra}


def _plan(doc: dict[str, Any]) -> dict[str, str]:
    a = assess_document(doc)
    return {s.id: " ".join(s.items) for s in a.plan.sections}


def _assess(doc: dict[str, Any]) -> Assessment:
    return assess_document(doc)


WOMAN = {"age_years": 34, "sex": "female"}


@pytest.mark.parametrize("diet", ["vegetarian", "vegan"])
def test_vegetarian_and_vegan_plans_name_no_meat_fish_or_liver(diet: str) -> None:
    diet_text = _plan(_doc(WOMAN, 30, 15, diet=diet))["diet"].lower()
    for word in ("liver", "beef", "chicken", "sardines", "oysters", "tuna", "turkey"):
        assert word not in diet_text
    assert "lentils" in diet_text
    assert "plant iron is absorbed less" in diet_text  # the 1.8 x RDA note


def test_omnivore_plan_names_a_heme_source_and_iron_per_serving() -> None:
    diet_text = _plan(_doc(WOMAN, 30, 15))["diet"]
    assert "heme iron" in diet_text
    assert re.search(r"Beef .*: \d+(\.\d)? mg iron", diet_text)


def test_pregnant_plan_has_no_liver_and_an_obstetric_note() -> None:
    pregnant = {**WOMAN, "pregnancy_weeks": 20}
    plan = _plan(_doc(pregnant, 30, 15))
    foods_line = plan["diet"].split("Iron from meat")[0].lower()
    assert "liver" not in foods_line
    assert "skip liver" in plan["diet"]
    assert "obstetrician" in plan["iron"] or "obstetric" in plan["iron"]
    assert "pregnancy" in plan["diet"].lower()


def test_someone_on_oral_iron_gets_the_timing_advice() -> None:
    therapy = [{"route": "oral", "product": "ferrous sulfate", "started": "2026-10-01"}]
    plan = _plan(_doc(WOMAN, 30, 15, iron_therapy=therapy))
    assert "While you take iron tablets" in plan["iron"]
    assert "alternate days" in plan["iron"]
    assert "Vitamin C" in plan["iron"]


def test_iv_only_band_suggests_asking_about_an_infusion_not_tablets() -> None:
    plan = _plan(_doc(WOMAN, 88, 30))
    assert "infusion" in plan["iron"]
    assert "alternate days" not in plan["iron"]


@pytest.mark.parametrize("tsat", [45, 60])
def test_high_tsat_gets_no_iron_advice_at_all(tsat: float) -> None:
    plan = _plan(_doc(WOMAN, 40, tsat))
    assert "not advised" in plan["iron"]
    for phrase in ("alternate days", "Iron-rich foods that suit you", "whether iron is right"):
        assert phrase not in plan["iron"] + plan["diet"]
    assert "avoid iron supplements" in plan["diet"]


def test_no_plan_tells_anyone_to_start_stop_or_dose_a_medicine_on_their_own() -> None:
    meds = ["sertraline 50 mg", "Benadryl", "pramipexole 0.25 mg", "quetiapine"]
    text = " ".join(_plan(_doc(WOMAN, 30, 15, medications=meds)).values())
    assert "not a diagnosis" in text
    prescribing = re.compile(
        r"(^|[.:;] )(stop|start|take|increase|reduce|double|skip) "
        r"|\btake \d+ ?mg|\b(increase|reduce|double|halve) (the|your) dose",
        re.IGNORECASE,
    )
    assert not prescribing.search(text), prescribing.search(text)


def test_medicines_section_names_each_matched_medicine_with_what_to_discuss() -> None:
    meds = _plan(_doc(WOMAN, 30, 15, medications=["Zoloft 50mg", "Benadryl"]))["medications"]
    assert "Sertraline (you listed 'Zoloft 50mg')" in meds
    assert "Diphenhydramine (you listed 'Benadryl')" in meds
    assert "Never stop or change a prescribed medicine on your own" in meds


def test_monitoring_gives_a_due_date_and_asks_for_crp_when_missing() -> None:
    a = _assess(_doc(WOMAN, 30, 15))
    assert a.next_tests[0].due == dt.date(2026, 11, 20) + dt.timedelta(weeks=12)
    monitoring = " ".join(next(s for s in a.plan.sections if s.id == "monitoring").items)
    assert "CRP" in monitoring
    assert "morning" in monitoring


def test_replete_person_is_told_iron_will_not_help_and_to_retest_yearly() -> None:
    a = _assess(_doc({"age_years": 50, "sex": "male"}, 140, 32))
    iron = " ".join(a.plan.sections[0].items)
    assert "not expected to help" in iron
    assert a.next_tests[0].due == dt.date(2027, 11, 2)


def test_iron_still_low_after_months_of_tablets_raises_the_infusion_question() -> None:
    therapy = [{"route": "oral", "started": "2026-06-01"}]
    a = _assess(_doc(WOMAN, 30, 15, iron_therapy=therapy))
    assert "therapy.low_despite_oral_iron" in {f.code for f in a.findings}
    assert "infusion" in " ".join(a.plan.sections[0].items)


def test_very_high_ferritin_with_normal_tsat_stops_iron_advice_and_says_why() -> None:
    plan = _plan(_doc({"age_years": 60, "sex": "male"}, 1200, 30))
    assert "very high ferritin" in plan["iron"]
    assert "saturation" not in plan["iron"].split(".")[0]
    assert "Iron-rich foods that suit you" not in plan["diet"]


def test_iron_tablets_that_ended_before_the_assessment_get_no_while_you_take_advice() -> None:
    therapy = [{"route": "oral", "started": "2026-01-01", "ended": "2026-05-01"}]
    plan = _plan(_doc(WOMAN, 30, 15, iron_therapy=therapy))
    assert "While you take iron tablets" not in plan["iron"]
    assert "If you and your clinician choose tablets" in plan["iron"]
