"""The person's situation, and the named values (values.txt) the rule table reads.

Where a fact is missing and a default is used (menopause by age), the context says so, so
findings can tell the person what we assumed. Everything here is computed once per
assessment; the rules and findings only read the resulting names.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

from rlsiron.core.knowledge.conditions import ConditionReading, Kidney
from rlsiron.core.knowledge.medications import MedicationMatch
from rlsiron.core.knowledge.thresholds import number, threshold
from rlsiron.core.labs.panel import Panel
from rlsiron.core.labs.units import canonical_factor
from rlsiron.core.models import AssessmentInput, IronTherapy
from rlsiron.core.readings import Reading
from rlsiron.core.rules.expressions import Value


class Course(NamedTuple):
    """The iron course a recheck follows: an ongoing oral course, or the last infusion."""

    route: str  # "oral" or "IV", as the findings say it
    started: dt.date


class Context(NamedTuple):
    """The person's situation as the rules see it, with the defaults we had to assume."""

    as_of: dt.date
    age_years: int
    female: bool
    postmenopausal: bool
    menopause_assumed: bool
    kidney: Kidney | None
    conditions: ConditionReading
    medicines: tuple[MedicationMatch, ...]
    oral_iron: IronTherapy | None
    last_iv: dt.date | None
    course: Course | None


def build_context(
    inp: AssessmentInput,
    as_of: dt.date,
    kidney: Kidney | None,
    conditions: ConditionReading,
    medicines: tuple[MedicationMatch, ...],
) -> Context:
    p = inp.person
    female = p.sex == "female"
    if p.postmenopausal is not None:
        post, assumed = p.postmenopausal, False
    else:
        post = bool(threshold("age.menopause_default").holds(Reading(p.age_years)))
        assumed = female
    oral = next((c for c in inp.iron_therapy if c.route == "oral" and ongoing(c, as_of)), None)
    # An infusion is one dated event (REFERENCE additions), so only its start date counts.
    last_iv = max(
        (c.started for c in inp.iron_therapy if c.route == "iv" and c.started <= as_of),
        default=None,
    )
    course = None
    if last_iv is not None and (oral is None or last_iv >= oral.started):
        course = Course("IV", last_iv)
    elif oral is not None:
        course = Course("oral", oral.started)
    return Context(
        as_of=as_of,
        age_years=p.age_years,
        female=female,
        postmenopausal=female and post,
        menopause_assumed=assumed,
        kidney=kidney,
        conditions=conditions,
        medicines=medicines,
        oral_iron=oral,
        last_iv=last_iv,
        course=course,
    )


def ongoing(course: IronTherapy, on: dt.date) -> bool:
    return course.started <= on and (course.ended is None or course.ended >= on)


def panel_dates(panel: Panel) -> tuple[dt.date, ...]:
    """The draw dates of the latest ferritin and TSAT (the iron panel)."""
    return tuple(d for d in (panel.date_of("ferritin"), panel.tsat_date) if d is not None)


def panel_date(panel: Panel) -> dt.date | None:
    """The iron panel is as old as the older of its ferritin and TSAT."""
    return min(panel_dates(panel), default=None)


def infusion_before_panel(panel: Panel, inp: AssessmentInput) -> dt.date | None:
    """The last IV infusion on or before the newest draw of the iron panel."""
    drawn = max(panel_dates(panel), default=None)
    if drawn is None:
        return None
    return max(
        (c.started for c in inp.iron_therapy if c.route == "iv" and c.started <= drawn),
        default=None,
    )


def named_values(inp: AssessmentInput, panel: Panel, ctx: Context) -> dict[str, Value]:
    """Every value of values.txt that does not depend on the decision."""
    tsat_max, tsat_min, tsat_gap = _two_tsats(panel)
    dates = panel_dates(panel)
    drawn, oldest = max(dates, default=None), min(dates, default=None)
    infusion = infusion_before_panel(panel, inp) if ctx.last_iv is not None else None
    ferritin = panel.usable("ferritin")
    ferritin_date = panel.date_of("ferritin")
    values: dict[str, Value] = {
        "ferritin": ferritin,
        "tsat": panel.tsat,
        "tsat_max": tsat_max,
        "tsat_min": tsat_min,
        "tsat_gap": tsat_gap,
        "hemoglobin": panel.usable("hemoglobin"),
        "crp": panel.usable("crp"),
        "egfr": panel.usable("egfr") or _egfr_from_creatinine(panel, ctx),
        "ferritin_on_iron": (
            ferritin
            if ctx.course is not None
            and ferritin_date is not None
            and ferritin_date >= ctx.course.started
            else None
        ),
        "age": Reading(ctx.age_years),
        "panel_age": None if oldest is None else Reading((ctx.as_of - oldest).days),
        "days_after_iv": (
            None if infusion is None or drawn is None else Reading((drawn - infusion).days)
        ),
        "female": ctx.female,
        "pregnant": inp.person.pregnancy_weeks is not None,
        "postmenopausal": ctx.postmenopausal,
        **person_facts(ctx.conditions.codes, ctx.kidney, ctx.medicines),
        "on_oral_iron": ctx.oral_iron is not None,
        "tsat_estimated": panel.tsat_source == "estimated",
    }
    return values


def person_facts(
    codes: frozenset[str], kidney: Kidney | None, medicines: tuple[MedicationMatch, ...]
) -> dict[str, bool]:
    """The named values read from conditions, kidney status and medicines.

    One function for the engine and the batch screener, which asks it once per distinct
    combination instead of once per person.
    """
    return {
        "lactating": "lactation" in codes,
        "dialysis": kidney == "dialysis",
        "ckd": kidney == "ckd",
        "kidney_known": kidney is not None,
        "hemochromatosis": "hemochromatosis" in codes,
        "inflammatory_disease": "inflammatory_disease" in codes,
        "malabsorption": "malabsorption" in codes,
        "proton_pump_inhibitor": any(
            m.drug_class.effect == "reduces_iron_absorption" for m in medicines
        ),
        "ongoing_loss": bool({"heavy_menstrual_bleeding", "blood_donor"} & codes),
    }


def _two_tsats(panel: Panel) -> tuple[Reading | None, Reading | None, Reading | None]:
    """(higher, lower, difference in points) of the two TSATs of one draw, if there are two."""
    if panel.tsat_pair is None:
        return panel.tsat, panel.tsat, None
    reported, calculated = panel.tsat_pair
    # The higher is safer for the stop; one-sided readings order by their compared bound.
    high, low = sorted((reported, calculated), key=lambda r: r.compared, reverse=True)
    gap = None
    if reported.exact and calculated.exact:
        gap = Reading(abs(reported.compared - calculated.compared))
    return high, low, gap


def _egfr_from_creatinine(panel: Panel, ctx: Context) -> Reading | None:
    """CKD-EPI 2021 (race-free) from an exact, plausible creatinine, adults only."""
    creatinine = panel.usable("creatinine")
    if (
        creatinine is None
        or not creatinine.exact
        or threshold("age.pediatric").holds(Reading(ctx.age_years))
    ):
        return None
    sex = "female" if ctx.female else "male"
    mg_dl = creatinine.value / canonical_factor("creatinine", "mg/dL", field="creatinine")
    ratio = mg_dl / number(f"egfr.ckd_epi.kappa_{sex}").value
    egfr = (
        number("egfr.ckd_epi.constant").value
        * min(ratio, 1.0) ** number(f"egfr.ckd_epi.alpha_{sex}").value
        * max(ratio, 1.0) ** number("egfr.ckd_epi.high_exponent").value
        * number("egfr.ckd_epi.age_base").value ** ctx.age_years
        * (number("egfr.ckd_epi.female_factor").value if ctx.female else 1.0)
    )
    return Reading(egfr) if math.isfinite(egfr) else None
