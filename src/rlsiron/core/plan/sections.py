"""Assessment -> action plan, written for a lay reader and tailored to the person.

Rules of wording (REFERENCE.md): the plan suggests what to *discuss* with a clinician;
it never tells anyone to start, stop or dose a medicine. With TSAT at the safety stop
it gives no iron advice at all, and diet advice turns to what to avoid.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from rlsiron.core.knowledge.medications import MedicationMatch
from rlsiron.core.knowledge.thresholds import NUMBERS, RDA_MG, RDA_PREGNANCY_MG, threshold
from rlsiron.core.models import (
    AssessmentInput,
    DietKind,
    Finding,
    IronTherapyOut,
    NextTest,
    Plan,
    RlsOut,
    Values,
)
from rlsiron.diet.foods import Food, absorption_inhibitors, iron_rich_foods, vitamin_c_foods

_SAFETY_STOP = frozenset({"iron.tsat_high", "iron.overload_pattern", "iron.ferritin_very_high"})


class PlanFacts(NamedTuple):
    """What the plan is written from: the assessment's parts, before the plan exists."""

    iron_therapy: IronTherapyOut
    findings: tuple[Finding, ...]
    values: Values
    rls: RlsOut
    next_tests: tuple[NextTest, ...]
    disclaimer: str
    taking_oral_iron: bool


def build_plan(inp: AssessmentInput, a: PlanFacts, meds: tuple[MedicationMatch, ...]) -> Plan:
    codes = {f.code for f in a.findings}
    stop = bool(codes & _SAFETY_STOP) or a.iron_therapy.decision == "contraindicated"
    pregnant = inp.person.pregnancy_weeks is not None
    sections = (
        ("iron", "Iron: what to discuss with your clinician", tuple(_iron(a, codes, stop))),
        ("diet", "Food", _diet(inp.diet, pregnant, _rda_mg(inp), _ul_mg(inp), stop)),
        ("lifestyle", "Everyday steps that ease RLS", _LIFESTYLE),
        ("medications", "Medicines that can worsen RLS", tuple(_medications(inp, meds))),
        ("monitoring", "Tests and when to repeat them", tuple(_monitoring(a, stop))),
        ("see_a_doctor", "When to see a doctor", tuple(_see_a_doctor(a, codes))),
    )
    # One validation for the whole plan: far cheaper than a model per section.
    return Plan.model_validate(
        {"sections": [{"id": i, "title": title, "items": items} for i, title, items in sections]}
    )


def _fasting_hours() -> str:
    return f"{NUMBERS['oral.fasting_hours'].value:g}"


def _iron(a: PlanFacts, codes: set[str], stop: bool) -> Iterator[str]:
    decision = a.iron_therapy.decision
    taking_oral = a.taking_oral_iron
    if stop:
        what = (
            "a high iron saturation"
            if "iron.tsat_high" in codes or decision == "contraindicated"
            else "a very high ferritin"
        )
        yield (
            f"Your results show {what}. Iron supplements are not advised now: please "
            "review this with a clinician soon."
        )
        if taking_oral:
            yield (
                "You listed iron tablets: tell the clinician who advised them about this "
                "result before your next dose, so they can decide what to do."
            )
        yield (
            "Ask about a repeat morning blood test taken with no iron tablets or "
            f"iron-rich food for {_fasting_hours()} hours, and about testing for "
            "haemochromatosis (HFE)."
        )
        return
    if decision == "test_first":
        yield (
            a.iron_therapy.why + " Ask your clinician for a ferritin and transferrin "
            "saturation (TSAT) test before considering iron."
        )
        return
    if decision == "not_indicated":
        yield a.iron_therapy.why
        yield (
            "Extra iron is not expected to help your RLS; taking iron you do not need "
            "can build up and harm. Other RLS treatments are a topic for your clinician."
        )
        return
    yield a.iron_therapy.why
    if "pregnancy.obstetric_care" in codes:
        yield (
            "Talk to your midwife or obstetrician about iron: in pregnancy, tablets "
            "are the usual first step, chosen with your obstetric team."
        )
    elif "pediatric.rule_applied" in codes:
        yield (
            "Talk to your child's doctor about iron: the right product and amount for "
            "a child are for paediatric care to decide."
        )
    elif a.iron_therapy.routes == ("iv",):
        yield (
            "Ask your clinician whether an iron infusion (IV iron) is right for you: "
            "at your iron level tablets are poorly absorbed."
        )
    elif not taking_oral:
        yield (
            "Ask your clinician whether iron is right for you, and which kind: tablets "
            "(oral iron) or an infusion (IV iron)."
        )
    if "therapy.low_despite_oral_iron" in codes:
        yield (
            "Your iron is still low after months of tablets: ask your clinician whether "
            "an infusion (IV iron) would work better for you."
        )
    if a.iron_therapy.options:
        yield "Options your clinician may weigh: " + "; ".join(a.iron_therapy.options) + "."
    if "oral" in a.iron_therapy.routes or taking_oral:
        lead = (
            "While you take iron tablets"
            if taking_oral
            else "If you and your clinician choose tablets"
        )
        yield (
            f"{lead}: studies show tablets are absorbed better as one morning dose on "
            "alternate days than daily or split doses (ask your clinician whether that "
            "schedule suits you). Vitamin C, such as orange juice, helps absorption; tea, "
            "coffee, milk, calcium and antacids at the same time reduce it."
        )
    yield "Do not take iron on your own without a clinician checking your levels."


@lru_cache(maxsize=256)
def _diet(
    diet: DietKind | None, pregnant: bool, rda: float | None, ul: float, stop: bool
) -> tuple[str, ...]:
    """Cached: the section depends only on these few facts, and assessments repeat them."""
    return tuple(_diet_items(diet, pregnant, rda, ul, stop))


def _diet_items(
    diet: DietKind | None, pregnant: bool, rda: float | None, ul: float, stop: bool
) -> Iterator[str]:
    if stop:
        yield (
            "Until a clinician has reviewed your iron: avoid iron supplements, "
            "multivitamins with iron and iron-fortified products, and vitamin C "
            "supplements with meals (they raise iron absorption)."
        )
        yield "Avoid raw shellfish and keep alcohol low: both matter more when iron is high."
        return
    foods = iron_rich_foods(diet, pregnant=pregnant)
    if foods:
        yield "Iron-rich foods that suit you: " + "; ".join(_food(f) for f in foods) + "."
    heme = any(f.heme for f in foods)
    if heme:
        yield (
            "Iron from meat, fish and poultry (heme iron) is absorbed far better than "
            "iron from plants; a little meat or fish also helps you absorb plant iron."
        )
    pairs = vitamin_c_foods()
    if pairs:
        yield (
            "Pair plant iron with vitamin C at the same meal: "
            + "; ".join(f"{f.name}, {f.serving}: {f.vitamin_c_mg:g} mg vitamin C" for f in pairs)
            + "."
        )
    inhibitors = absorption_inhibitors()
    if inhibitors:
        names = "; ".join(dict.fromkeys(f.name.lower() for f in inhibitors))
        yield (
            f"Keep these away from iron-rich meals (not at the same meal): {names}. "
            "Whole grains, legumes and soy also lower absorption a little; over a whole "
            "diet the effect is smaller than single-meal studies suggest."
        )
    if rda is not None:
        line = f"A day's recommended iron for you is about {rda:g} mg"
        if diet in ("vegetarian", "vegan"):
            factor = NUMBERS["diet.vegetarian_factor"].value
            line += f"; on a {diet} diet aim for about {rda * factor:.0f} mg, because plant iron is absorbed less"
        yield line + " (DRI-2001)."
    yield (
        f"Do not go above {ul:g} mg of iron a day from food and supplements "
        "together unless a clinician prescribes iron."
    )
    if pregnant:
        yield "In pregnancy, skip liver and liver products: they are very high in vitamin A."


def _food(f: Food) -> str:
    return f"{f.name}, {f.serving}: {f.iron_mg:g} mg iron"


def _rda_mg(inp: AssessmentInput) -> float | None:
    p = inp.person
    if p.pregnancy_weeks is not None:
        return RDA_PREGNANCY_MG
    for sex, low, high, mg in RDA_MG:
        if (sex is None or sex == p.sex) and low <= p.age_years <= high:
            return mg
    return None


def _ul_mg(inp: AssessmentInput) -> float:
    adult = inp.person.age_years >= NUMBERS["diet.ul_age"].value
    return NUMBERS["diet.ul_adult_mg" if adult else "diet.ul_child_mg"].value


_LIFESTYLE = (
    "Cut down on alcohol, caffeine (coffee, tea, cola, energy drinks) and nicotine, "
    "especially in the evening: each can worsen RLS.",
    "Regular moderate exercise helps; very hard exercise late in the day can make it worse.",
    "Keep regular sleep hours; a warm bath, leg massage or stretching before bed, "
    "and activities that keep your mind busy during long sits can ease symptoms.",
    "If you snore or stop breathing in your sleep, ask about sleep apnoea: untreated, "
    "it can worsen RLS.",
)


def _medications(inp: AssessmentInput, meds: tuple[MedicationMatch, ...]) -> Iterator[str]:
    for m in meds:
        yield f"{m.generic.capitalize()} (you listed '{m.entry}'): {m.drug_class.why} {m.drug_class.discuss}"
    if meds:
        yield "Never stop or change a prescribed medicine on your own: ask the prescriber."
    elif inp.medications:
        yield (
            "None of the medicines you listed was recognised as one that can worsen RLS "
            "(no list is complete: ask your pharmacist). Over-the-counter sleep aids and "
            "allergy pills often contain sedating antihistamines, which can."
        )
    else:
        yield (
            "No medicines were listed. Sedating antihistamines (in many sleep aids and "
            "allergy pills), several antidepressants, anti-sickness medicines and "
            "antipsychotics can worsen RLS: tell your clinician everything you take."
        )


def _monitoring(a: PlanFacts, stop: bool) -> Iterator[str]:
    for nt in a.next_tests:
        yield f"{', '.join(_TEST_NAMES.get(t, t) for t in nt.tests)}: by {nt.due.isoformat()}. {nt.why}"
    yield (
        f"For an iron test: a morning blood draw, with no iron tablets or iron-rich "
        f"food for {_fasting_hours()} hours before."
    )
    if a.values.ferritin_ug_l is not None and a.values.crp_mg_l is None:
        yield (
            "Ask for CRP with the next ferritin: inflammation raises ferritin, and CRP shows "
            "whether the ferritin can be trusted."
        )
    if not stop:
        stop_f = threshold("therapy.on_iron_ferritin_stop")
        stop_t = threshold("tsat.contraindicated")
        yield (
            f"While on iron, TSAT {stop_t.describe()} or ferritin rising "
            f"{stop_f.describe()} is a reason for your clinician to stop and review it."
        )


_TEST_NAMES = {"ferritin": "Ferritin", "tsat": "transferrin saturation (TSAT)"}


def _see_a_doctor(a: PlanFacts, codes: set[str]) -> Iterator[str]:
    for f in a.findings:
        if f.severity == "urgent":
            yield f"Soon: {f.title}. {f.detail}"
    if "rls.criteria_not_met" in codes:
        yield "Discuss the diagnosis: not all five RLS criteria were met."
    if a.rls.clinically_significant:
        yield (
            "Your symptoms are frequent and distressing enough to count as clinically "
            "significant RLS: a sleep clinician can discuss all treatment options."
        )
    yield "Any time symptoms change suddenly, spread to the arms, or come with weakness or numbness."
    yield a.disclaimer
