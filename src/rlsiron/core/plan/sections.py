"""Assessment -> action plan, written for a lay reader and tailored to the person.

Rules of wording (REFERENCE.md): the plan suggests what to *discuss* with a clinician; it
never tells anyone to start, stop or dose a medicine. It agrees with the findings
(REFERENCE additions, "Plans that agree with the findings"): with a safety finding it gives
no iron-boosting advice; on dialysis or with CKD it lists no foods; a child gets no alcohol,
nicotine or tablet-timing advice; formulations and amounts stand only in the section for the
clinician, never as an instruction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import NamedTuple

from rlsiron.core.knowledge.codes import FindingCode as C
from rlsiron.core.knowledge.findings import FINDINGS
from rlsiron.core.knowledge.medications import MedicationMatch
from rlsiron.core.knowledge.thresholds import NUMBERS, RDA, threshold
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
from rlsiron.core.readings import Reading
from rlsiron.core.rules.expressions import Value
from rlsiron.diet.foods import Food, absorption_inhibitors, iron_rich_foods, vitamin_c_foods


class PlanFacts(NamedTuple):
    """What the plan is written from: the assessment's parts, before the plan exists."""

    iron_therapy: IronTherapyOut
    findings: tuple[Finding, ...]
    values: Values
    rls: RlsOut
    next_tests: tuple[NextTest, ...]
    disclaimer: str
    taking_oral_iron: bool


class _Person(NamedTuple):
    """The facts about the person that change the wording."""

    child: bool  # under diet.child_portions_age: no alcohol, nicotine or tablet advice
    pregnant: bool
    kidney_diet: bool  # CKD or dialysis: no food lists, the renal dietitian decides
    on_prescribed_iron: bool
    rls_unconfirmed: bool  # criteria given and not all met
    roche_assay: bool
    vegan: bool  # no dairy advice


def build_plan(
    inp: AssessmentInput,
    a: PlanFacts,
    meds: tuple[MedicationMatch, ...],
    values: Mapping[str, Value],
) -> Plan:
    codes = {f.code for f in a.findings}
    stop = a.iron_therapy.decision == "contraindicated" or any(
        "safety_stop" in FINDINGS[c].flags for c in codes
    )
    person = _person(inp, a, values)
    sections = (
        ("iron", "Iron: what to discuss with your clinician", tuple(_iron(a, codes, stop, person))),
        ("diet", "Food", _diet(inp.diet, person, _rda_mg(inp, values), _ul_mg(inp), stop)),
        ("lifestyle", "Everyday steps that ease RLS", _lifestyle(person.child)),
        ("medications", "Medicines that can worsen RLS", tuple(_medications(inp, meds))),
        ("monitoring", "Tests and when to repeat them", tuple(_monitoring(a, stop))),
        ("see_a_doctor", "When to see a doctor", tuple(_see_a_doctor(a, codes, person))),
        (
            "for_the_clinician",
            "For your clinician (options named by the guideline, not instructions)",
            tuple(_for_clinician(a)),
        ),
    )
    # One validation for the whole plan: far cheaper than a model per section.
    return Plan.model_validate(
        {"sections": [{"id": i, "title": title, "items": items} for i, title, items in sections]}
    )


def _person(inp: AssessmentInput, a: PlanFacts, values: Mapping[str, Value]) -> _Person:
    age = Reading(inp.person.age_years)
    child_age = NUMBERS["diet.child_portions_age"].value
    return _Person(
        child=bool(age.lt(child_age)),
        pregnant=values["pregnant"] is True,
        kidney_diet=values["ckd"] is True or values["dialysis"] is True,
        on_prescribed_iron=a.taking_oral_iron,
        rls_unconfirmed=a.rls.criteria_met is False,
        roche_assay=a.values.ferritin_beckman_equivalent_ug_l is not None,
        vegan=inp.diet == "vegan",
    )


def _fasting_hours() -> str:
    return f"{NUMBERS['oral.fasting_hours'].value:g}"


def _iron(a: PlanFacts, codes: set[C], stop: bool, person: _Person) -> Iterator[str]:
    decision = a.iron_therapy.decision
    if stop:
        yield from _iron_stop(codes, person)
        return
    yield a.iron_therapy.why
    if decision == "test_first":
        yield (
            "Ask your clinician for a ferritin and transferrin saturation (TSAT) test "
            "before considering iron."
        )
    elif decision == "not_indicated":
        yield (
            "Extra iron is not expected to help your RLS; taking iron you do not need "
            "can build up and harm. Other RLS treatments are a topic for your clinician."
        )
        if person.pregnant:
            yield (
                "This does not change the iron or vitamins your maternity team advises "
                "for pregnancy."
            )
    else:
        yield from _iron_indicated(a, codes, person)
    if person.roche_assay:
        yield (
            "Your ferritin was measured on a Roche assay, which reads higher than the assay "
            "the RLS thresholds come from (ASSAY-116): ask your clinician to weigh this, "
            "and to lean on TSAT."
        )
    if decision != "test_first":
        yield "Do not take iron on your own without a clinician checking your levels."


def _iron_stop(codes: set[C], person: _Person) -> Iterator[str]:
    reasons = [
        FINDINGS[c].title.lower() for c in sorted(codes) if "safety_stop" in FINDINGS[c].flags
    ]
    what = "; ".join(reasons) if reasons else "a result that rules out iron for now"
    yield (
        f"Your results show {what}. Iron supplements are not advised now: please review "
        "this with a clinician soon."
    )
    if person.on_prescribed_iron:
        yield (
            "You listed iron tablets: ask the clinician who prescribed them before your next "
            "dose, so they can decide what to do. Do not change a prescribed medicine on your "
            "own."
        )
    if C.IRON_HEMOCHROMATOSIS not in codes:
        yield (
            "Ask about a repeat morning blood test taken with no iron tablets or iron-rich "
            f"food for {_fasting_hours()} hours, and about testing for haemochromatosis (HFE)."
        )


def _iron_indicated(a: PlanFacts, codes: set[C], person: _Person) -> Iterator[str]:
    routes = a.iron_therapy.routes
    if person.rls_unconfirmed:
        yield (
            "Not all RLS criteria were met: this iron advice applies if RLS is confirmed, or "
            "to low iron in its own right."
        )
    if C.PREGNANCY_OBSTETRIC_CARE in codes:
        yield (
            "Talk to your midwife or obstetrician about iron: in pregnancy, tablets are the "
            "usual first step, chosen with your obstetric team."
        )
    elif C.PEDIATRIC_RULE_APPLIED in codes:
        yield (
            "Talk to your child's doctor about iron: the right product and amount for a child "
            "are for paediatric care to decide."
        )
    elif routes == ("iv",):
        yield (
            "Ask your clinician whether an iron infusion (IV iron) is right for you: at your "
            "iron level tablets are poorly absorbed."
        )
    elif not person.on_prescribed_iron:
        yield (
            "Ask your clinician whether iron is right for you, and which kind: tablets (oral "
            "iron) or an infusion (IV iron)."
        )
    if C.THERAPY_LOW_DESPITE_ORAL_IRON in codes or C.IRON_ORAL_POORLY_ABSORBED in codes:
        yield (
            "Tablets may not be absorbed well enough for you: ask your clinician whether an "
            "infusion (IV iron) would work better."
        )
    if ("oral" in routes or person.on_prescribed_iron) and not person.child:
        reducers = "tea, coffee, calcium" if person.vegan else "tea, coffee, milk, calcium"
        lead = (
            "While you take iron tablets"
            if person.on_prescribed_iron
            else "If you and your clinician choose tablets"
        )
        yield (
            f"{lead}: studies show tablets are absorbed better as one morning dose on "
            "alternate days than daily or split doses (ask your clinician whether that "
            "schedule suits you). Vitamin C, such as orange juice, helps absorption; "
            f"{reducers} and antacids at the same time reduce it."
        )


def _for_clinician(a: PlanFacts) -> Iterator[str]:
    """Formulations and amounts, named for the clinician to weigh; never an instruction."""
    if a.iron_therapy.decision != "indicated":
        yield "No iron formulation is suggested by these results."
        return
    yield from a.iron_therapy.options
    yield f"Decided by rule {a.iron_therapy.rule} ({', '.join(a.iron_therapy.sources)})."


@lru_cache(maxsize=256)
def _diet(
    diet: DietKind | None, person: _Person, rda: float | None, ul: float, stop: bool
) -> tuple[str, ...]:
    """Cached: the section depends only on these few facts, and assessments repeat them."""
    return tuple(_diet_items(diet, person, rda, ul, stop))


def _diet_items(
    diet: DietKind | None, person: _Person, rda: float | None, ul: float, stop: bool
) -> Iterator[str]:
    if stop:
        yield (
            "Until a clinician has reviewed your iron: avoid iron supplements, multivitamins "
            "with iron and iron-fortified products, and vitamin C supplements with meals "
            "(they raise iron absorption)."
        )
        yield "Avoid raw shellfish and keep alcohol low: both matter more when iron is high."
        return
    if person.kidney_diet:
        yield (
            "With kidney disease, many iron-rich foods (meat, beans, lentils, nuts, leafy "
            "greens) are also high in potassium or phosphate, which your kidneys may not "
            "clear. Your renal dietitian sets what you eat; ask them about iron (KDOQI-2020)."
        )
        return
    foods = iron_rich_foods(diet, pregnant=person.pregnant)
    if foods:
        portions = " (a child's portion is smaller)" if person.child else ""
        yield f"Iron-rich foods that suit you{portions}: " + "; ".join(map(_food, foods)) + "."
    if any(f.heme for f in foods):
        yield (
            "Iron from meat, fish and poultry (heme iron) is absorbed far better than iron "
            "from plants; a little meat or fish also helps you absorb plant iron."
        )
    pairs = vitamin_c_foods()
    if pairs:
        yield (
            "Pair plant iron with vitamin C at the same meal: "
            + "; ".join(f"{f.name}, {f.serving}: {f.vitamin_c_mg:g} mg vitamin C" for f in pairs)
            + "."
        )
    inhibitors = [f for f in absorption_inhibitors() if (diet or "omnivore") in f.diets]
    if inhibitors:
        names = "; ".join(dict.fromkeys(f.name.lower() for f in inhibitors))
        yield (
            f"Keep these away from iron-rich meals (not at the same meal): {names}. Whole "
            "grains, legumes and soy also lower absorption a little; over a whole diet the "
            "effect is smaller than single-meal studies suggest."
        )
    if rda is not None:
        line = f"A day's recommended iron for you is about {rda:g} mg"
        if diet in ("vegetarian", "vegan"):
            factor = NUMBERS["diet.vegetarian_factor"].value
            line += (
                f"; on a {diet} diet aim for about {rda * factor:.0f} mg, because plant iron "
                "is absorbed less"
            )
        yield line + " (DRI-2001)."
    yield (
        f"Do not go above {ul:g} mg of iron a day from food and supplements together unless "
        "a clinician prescribes iron."
    )
    if person.pregnant:
        yield "In pregnancy, skip liver and liver products: they are very high in vitamin A."


def _food(f: Food) -> str:
    return f"{f.name}, {f.serving}: {f.iron_mg:g} mg iron"


def _rda_mg(inp: AssessmentInput, values: Mapping[str, Value]) -> float | None:
    """The first RDA row for this person: pregnancy and lactation rows come first."""
    p = inp.person
    state = (
        "pregnancy"
        if values["pregnant"] is True
        else "lactation"
        if values["lactating"] is True
        else None
    )
    for row in RDA:
        if row.state is not None and row.state != state:
            continue
        if (row.sex is None or row.sex == p.sex) and row.first <= p.age_years <= row.last:
            return row.mg
    return None


def _ul_mg(inp: AssessmentInput) -> float:
    adult = inp.person.age_years >= NUMBERS["diet.ul_age"].value
    return NUMBERS["diet.ul_adult_mg" if adult else "diet.ul_child_mg"].value


_LIFESTYLE_ADULT = (
    "Cut down on alcohol, caffeine (coffee, tea, cola, energy drinks) and nicotine, "
    "especially in the evening: each can worsen RLS.",
)
_LIFESTYLE_CHILD = (
    "Caffeine (cola, energy drinks, tea, chocolate drinks) in the evening can worsen RLS; "
    "water or milk is a better evening drink.",
)
_LIFESTYLE = (
    "Regular moderate exercise helps; very hard exercise late in the day can make it worse.",
    "Keep regular sleep hours; a warm bath, leg massage or stretching before bed, "
    "and activities that keep the mind busy during long sits can ease symptoms.",
    "Snoring or pauses in breathing during sleep are worth asking about (sleep apnoea): "
    "untreated, it can worsen RLS.",
)


def _lifestyle(child: bool) -> tuple[str, ...]:
    return (_LIFESTYLE_CHILD if child else _LIFESTYLE_ADULT) + _LIFESTYLE


def _medications(inp: AssessmentInput, meds: tuple[MedicationMatch, ...]) -> Iterator[str]:
    worsening = [m for m in meds if m.drug_class.effect != "reduces_iron_absorption"]
    for m in worsening:
        yield f"{m.generic.capitalize()} (you listed '{m.entry}'): {m.drug_class.why} {m.drug_class.discuss}"
    if worsening:
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
        "For an iron test: a morning blood draw, with no iron tablets or iron-rich food for "
        f"{_fasting_hours()} hours before."
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


def _see_a_doctor(a: PlanFacts, codes: set[C], person: _Person) -> Iterator[str]:
    for f in a.findings:
        if f.severity == "urgent":
            yield f"Soon: {f.title}. {f.detail}"
    if C.ANEMIA_PRESENT in codes and C.ANEMIA_INVESTIGATE_CAUSE not in codes:
        yield (
            "Your haemoglobin shows anaemia: see your doctor to find out why and whether it "
            "needs treatment."
        )
    if C.RLS_CRITERIA_NOT_MET in codes:
        yield "Discuss the diagnosis: not all five RLS criteria were met."
    if a.rls.clinically_significant:
        yield (
            "Your symptoms are frequent and distressing enough to count as clinically "
            "significant RLS: a sleep clinician can discuss all treatment options."
        )
    if person.child:
        yield "If symptoms disturb your child's sleep or school, tell the paediatric team."
    yield (
        "Any time symptoms change suddenly, spread to the arms, or come with weakness or numbness."
    )
    yield a.disclaimer
