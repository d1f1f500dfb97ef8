"""Validated input -> Assessment: the decision, every finding with its sources, the plan.

Pure: no I/O, no clock ("today" arrives as `as_of`), no printing. The findings are
computed from the panel and the person's context; their wording lives in findings.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from rlsiron.core.decision import Group, Outcome, Situation, decide
from rlsiron.core.errors import InputValidationError
from rlsiron.core.findings import make_finding
from rlsiron.core.medications import MedicationMatch, match_medications
from rlsiron.core.models import (
    Anemia,
    Assessment,
    AssessmentInput,
    Finding,
    IronTherapy,
    IronTherapyOut,
    NextTest,
    Plan,
    Values,
)
from rlsiron.core.panel import Panel, read_panel
from rlsiron.core.readings import Reading
from rlsiron.core.symptoms import (
    BAND_LABELS,
    CRITERIA_LABELS,
    SYMPTOM_LABELS,
    assess_rls,
    unmet_criteria,
)
from rlsiron.core.thresholds import (
    HB_ADULT_FROM_YEARS,
    HB_CHILD_MONTHS,
    HB_CHILD_YEARS,
    HB_MEN,
    HB_PREGNANCY,
    HB_WOMEN,
    IRLS_MAX,
    NUMBERS,
    PROFILES,
    HbCutoff,
    Threshold,
    number,
    threshold,
)

DISCLAIMER = (
    "This is decision support, not a diagnosis or a prescription. Discuss iron with a "
    "clinician before taking it, and never start, stop or change the dose of a medicine "
    "on your own. Iron overdose is dangerous: keep iron supplements away from children."
)

_SEVERITY_ORDER = {"urgent": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class Context:
    """The person's situation as the rules see it, with the defaults we had to assume."""

    as_of: dt.date
    age_years: int
    group: Group
    female: bool
    postmenopausal: bool
    menopause_assumed: bool
    inflamed: bool | None
    oral_iron: IronTherapy | None
    last_iv: dt.date | None


def assess(inp: AssessmentInput) -> Assessment:
    if inp.as_of is None:
        raise InputValidationError("is required (the day the assessment is for)", field="as_of")
    # Import here: plan pulls in the food table, which only the full assessment needs.
    from rlsiron.core.plan import build_plan

    panel = read_panel(inp.labs, inp.as_of)
    ctx = _context(inp, panel)
    meds = _one_per_medicine(match_medications(inp.medications))
    f, t = panel.usable("ferritin"), panel.tsat
    situation = Situation(
        group=ctx.group,
        profile=PROFILES[inp.profile],
        stale=_stale_days(panel, ctx) is not None,
        after_iv=_days_after_iv(panel, ctx) is not None,
    )
    outcome = decide(f, t, situation)
    anemia = _anemia(inp, panel)
    findings = sorted(
        _findings(inp, panel, ctx, situation, outcome, anemia, meds),
        key=lambda x: _SEVERITY_ORDER[x.severity],
    )
    partial = Assessment(
        profile=inp.profile,
        as_of=ctx.as_of,
        values=_values(panel),
        labs=tuple(lab.as_value() for lab in panel.latest.values()) + panel.derived,
        history=tuple(lab.as_value() for lab in panel.history),
        iron_therapy=IronTherapyOut(
            decision=outcome.decision,
            routes=tuple(sorted(outcome.routes)),
            options=outcome.options,
            rule=outcome.rule,
            why=outcome.why,
            sources=outcome.sources,
        ),
        anemia=anemia,
        rls=assess_rls(inp.rls),
        findings=tuple(findings),
        plan=Plan(sections=()),
        next_tests=_next_tests(panel, ctx, outcome),
        disclaimer=DISCLAIMER,
    )
    return partial.model_copy(update={"plan": build_plan(inp, partial, meds)})


# ------------------------------------------------------------------ context


def _context(inp: AssessmentInput, panel: Panel) -> Context:
    p = inp.person
    assert inp.as_of is not None
    as_of = inp.as_of
    female = p.sex == "female"
    age = Reading(p.age_years)
    if p.postmenopausal is not None:
        post, assumed = p.postmenopausal, False
    else:
        post, assumed = bool(threshold("age.menopause_default").holds(age)), female
    group: Group
    if p.kidney == "dialysis":
        group = "dialysis"
    elif p.pregnancy_weeks is not None:
        group = "pregnancy"
    elif threshold("age.pediatric").holds(age):
        group = "child"
    else:
        group = "adult"
    return Context(
        as_of=as_of,
        age_years=p.age_years,
        group=group,
        female=female,
        postmenopausal=female and post,
        menopause_assumed=assumed and female,
        inflamed=threshold("crp.inflammation").holds(panel.usable("crp")),
        oral_iron=next(
            (c for c in inp.iron_therapy if c.route == "oral" and _ongoing(c, as_of)), None
        ),
        last_iv=max(
            (c.started for c in inp.iron_therapy if c.route == "iv" and c.started <= as_of),
            default=None,
        ),
    )


def _one_per_medicine(matches: tuple[MedicationMatch, ...]) -> tuple[MedicationMatch, ...]:
    """One finding per medicine, however many entries name it ("sertraline", "Zoloft")."""
    first: dict[str, MedicationMatch] = {}
    for m in matches:
        first.setdefault(m.generic, m)
    return tuple(first.values())


def _ongoing(course: IronTherapy, on: dt.date) -> bool:
    return course.started <= on and (course.ended is None or course.ended >= on)


def _panel_date(panel: Panel) -> dt.date | None:
    """The iron panel is as old as the older of its ferritin and TSAT."""
    dates = [d for d in (panel.date_of("ferritin"), panel.tsat_date) if d is not None]
    return min(dates) if dates else None


def _stale_days(panel: Panel, ctx: Context) -> int | None:
    date = _panel_date(panel)
    if date is None:
        return None
    days = (ctx.as_of - date).days
    return days if threshold("panel.stale_days").holds(Reading(days)) else None


def _days_after_iv(panel: Panel, ctx: Context) -> int | None:
    drawn = panel.date_of("ferritin")
    if drawn is None or ctx.last_iv is None or drawn < ctx.last_iv:
        return None
    days = (drawn - ctx.last_iv).days
    return days if threshold("iv.ferritin_unreliable_days").holds(Reading(days)) else None


# ------------------------------------------------------------------ values


def _values(panel: Panel) -> Values:
    def v(key: str) -> float | None:
        r = panel.usable(key)
        return None if r is None else round(r.value, 2)

    f = panel.usable("ferritin")
    ferritin = panel.latest.get("ferritin")
    beckman = (
        round(roche_to_beckman(f.value), 1)
        if f is not None and ferritin is not None and ferritin.assay == "roche"
        else None
    )
    return Values(
        ferritin_ug_l=v("ferritin"),
        tsat_percent=None if panel.tsat is None else round(panel.tsat.value, 1),
        hemoglobin_g_dl=v("hemoglobin"),
        tsat_source=panel.tsat_source,
        iron_umol_l=v("iron"),
        tibc_umol_l=v("tibc"),
        transferrin_g_l=v("transferrin"),
        crp_mg_l=v("crp"),
        mcv_fl=v("mcv"),
        ferritin_beckman_equivalent_ug_l=beckman,
    )


def roche_to_beckman(roche: float) -> float:
    """Piecewise-linear through (0, 0), (Roche 121, Beckman 75), (Roche 158, Beckman 100)."""
    x1, x2 = number("assay.roche_at_beckman_75").value, number("assay.roche_at_beckman_100").value
    y1 = threshold("ferritin.rls_indicated").value
    y2 = threshold("ferritin.iv_band_upper").value
    if roche <= x1:
        return roche * y1 / x1
    return y1 + (roche - x1) * (y2 - y1) / (x2 - x1)


# ------------------------------------------------------------------ anaemia


def hb_cutoff(inp: AssessmentInput) -> HbCutoff | None:
    """WHO-HB-2024 cut-off for this person, or None where WHO gives none (under 6 months)."""
    p = inp.person
    if p.pregnancy_weeks is not None:
        return next(c for first, c in reversed(HB_PREGNANCY) if p.pregnancy_weeks >= first)
    if p.age_years >= HB_ADULT_FROM_YEARS:
        return HB_WOMEN if p.sex == "female" else HB_MEN
    for low, high, cutoff in HB_CHILD_YEARS:
        if low <= p.age_years <= high:
            return cutoff
    months = (
        p.age_months
        if p.age_months is not None
        else (p.age_years * 12 if p.age_years >= 2 else None)
    )
    if p.age_years == 1 and months is None:
        months = 12  # 12-23 months: all inside the 6-23 month group
    if months is None:
        return None
    return next((c for low, high, c in HB_CHILD_MONTHS if low <= months <= high), None)


def _anemia(inp: AssessmentInput, panel: Panel) -> Anemia:
    hb = panel.usable("hemoglobin")
    cutoff = hb_cutoff(inp)
    if hb is None or cutoff is None:
        return Anemia(
            present=None,
            threshold_g_dl=cutoff.g_dl if cutoff else None,
            group=cutoff.group if cutoff else None,
        )
    return Anemia(present=hb.lt(cutoff.g_dl), threshold_g_dl=cutoff.g_dl, group=cutoff.group)


# ------------------------------------------------------------------ findings


def _findings(
    inp: AssessmentInput,
    panel: Panel,
    ctx: Context,
    situation: Situation,
    outcome: Outcome,
    anemia: Anemia,
    meds: tuple[MedicationMatch, ...],
) -> Iterator[Finding]:
    f, t = panel.usable("ferritin"), panel.tsat
    yield from _lab_quality(panel, ctx)
    yield from _iron_status(panel, ctx, situation, outcome, f, t)
    yield from _groups(inp, ctx, situation, outcome, f, t)
    yield from _anemia_findings(panel, ctx, anemia, f, t)
    yield from _symptom_findings(inp)
    yield from _medication_findings(meds)
    yield from _nutrients(panel)
    yield from _therapy(panel, ctx, outcome)


def _lab_quality(panel: Panel, ctx: Context) -> Iterator[Finding]:
    from rlsiron.core.analytes import ANALYTES

    for lab in panel.suspect():
        a = ANALYTES[lab.analyte.key]
        yield make_finding(
            "labs.unit_suspect",
            test=a.display,
            original=lab.original,
            low=a.plausible_low,
            high=a.plausible_high,
            unit=a.canonical_unit,
        )
    for lab in panel.future:
        yield make_finding(
            "labs.future_date",
            test=lab.analyte.display,
            date=lab.date.isoformat(),
            as_of=ctx.as_of.isoformat(),
        )
    missing = []
    if panel.usable("ferritin") is None:
        missing.append("ferritin")
    if panel.tsat is None:
        missing.append("TSAT (or serum iron with TIBC, UIBC or transferrin)")
    if missing:
        yield make_finding(
            "labs.missing", missing=", ".join(missing), provisional=_provisional(panel)
        )
    stale = _stale_days(panel, ctx)
    date = _panel_date(panel)
    if stale is not None and date is not None:
        yield make_finding(
            "labs.stale", date=date.isoformat(), days=stale, as_of=ctx.as_of.isoformat()
        )
    after = _days_after_iv(panel, ctx)
    drawn = panel.date_of("ferritin")
    if after is not None and drawn is not None and ctx.last_iv is not None:
        yield make_finding(
            "labs.after_iv_iron",
            date=drawn.isoformat(),
            days=after,
            iv_date=ctx.last_iv.isoformat(),
        )
    if panel.tsat_source == "estimated" and panel.tsat is not None:
        from rlsiron.core.units import TIBC_UMOL_PER_TRANSFERRIN_G

        yield make_finding(
            "iron.tsat_estimated",
            tsat=round(panel.tsat.value, 1),
            factor=round(TIBC_UMOL_PER_TRANSFERRIN_G, 1),
        )
    crp = panel.usable("crp")
    if ctx.inflamed and crp is not None:
        yield make_finding("inflammation.ferritin_unreliable", crp=str(crp))


def _provisional(panel: Panel) -> str:
    f, t = panel.usable("ferritin"), panel.tsat
    if f is not None and t is None:
        low = threshold("ferritin.rls_indicated").holds(f)
        word = "at or below" if low else ("above" if low is False else "near")
        return (
            f"Provisionally, ferritin {f} µg/L is {word} the RLS threshold; TSAT is "
            "still needed before any iron."
        )
    if t is not None and f is None:
        high = threshold("tsat.contraindicated").holds(t)
        if high:
            return f"TSAT {t} % is already high: no iron, whatever ferritin shows."
        return f"Provisionally, TSAT {t} % is known; ferritin is still needed."
    return ""


def _iron_status(
    panel: Panel,
    ctx: Context,
    situation: Situation,
    outcome: Outcome,
    f: Reading | None,
    t: Reading | None,
) -> Iterator[Finding]:
    if f is None or t is None:
        return
    profile = situation.profile
    fv, tv = str(f), str(t)
    low_f = profile.ferritin_indicated.holds(f)
    low_t = threshold("tsat.rls_indicated").holds(t)
    tsat_high = bool(threshold("tsat.contraindicated").holds(t))
    safety: list[str] = []
    if ctx.group in ("adult", "pregnancy") and (low_f or low_t):
        criterion = (
            f"ferritin {profile.ferritin_indicated.describe()} or TSAT "
            f"{threshold('tsat.rls_indicated').describe()}"
        )
        yield make_finding(
            "iron.low_for_rls",
            sources=profile.ferritin_indicated.sources,
            ferritin=fv,
            tsat=tv,
            profile=profile.label,
            criterion=criterion,
        )
    if ctx.group == "adult" and low_f is False and profile.iv_band_upper.holds(f):
        yield make_finding(
            "iron.iv_only_band",
            ferritin=fv,
            bound=f"≤ {profile.iv_band_upper.value:g} is "
            + ("inclusive" if profile.iv_band_upper.op == "<=" else "exclusive"),
        )
    if tsat_high:
        safety.append("iron.tsat_high")
        yield make_finding("iron.tsat_high", tsat=tv)
        if ctx.oral_iron is not None:
            yield make_finding("iron.high_tsat_on_oral_iron", tsat=tv)
    overload = _overload(ctx, f, t)
    if overload is not None:
        safety.append("iron.overload_pattern")
        yield overload
    if threshold("ferritin.very_high").holds(f):
        safety.append("iron.ferritin_very_high")
        yield make_finding("iron.ferritin_very_high", ferritin=fv)
    if low_t and threshold("ferritin.low_tsat_review").holds(f):
        safety.append("iron.low_tsat_high_ferritin")
        yield make_finding("iron.low_tsat_high_ferritin", ferritin=fv, tsat=tv)
    high_ferritin = threshold("ferritin.high_female" if ctx.female else "ferritin.high_male")
    if ctx.group != "dialysis" and low_t is False and not tsat_high and high_ferritin.holds(f):
        safety.append("iron.ferritin_high_normal_tsat")
        yield make_finding("iron.ferritin_high_normal_tsat", ferritin=fv, limit=high_ferritin.value)
    who = _who_deficiency(ctx, f)
    if who is not None:
        yield who
    assay = _assay_dependent(panel, situation, outcome, f, t)
    if assay is not None:
        safety.append("iron.assay_dependent")
        yield assay
    if (
        outcome.decision == "not_indicated"
        and not safety
        and not ctx.inflamed
        and ctx.group != "dialysis"
    ):
        yield make_finding("iron.adequate_for_rls", ferritin=fv, tsat=tv)


def _overload(ctx: Context, f: Reading, t: Reading) -> Finding | None:
    premenopausal = ctx.female and not ctx.postmenopausal
    suffix = "_premenopausal" if premenopausal else ""
    t_lim, f_lim = threshold("tsat.overload" + suffix), threshold("ferritin.overload" + suffix)
    if not (t_lim.holds(t) and f_lim.holds(f)):
        return None
    group = (
        "premenopausal women" if premenopausal else "postmenopausal women" if ctx.female else "men"
    )
    note = (
        (
            " Menopause status was not given; we counted a woman of this age as "
            f"{'post' if ctx.postmenopausal else 'pre'}menopausal (our default)."
        )
        if ctx.menopause_assumed
        else ""
    )
    return make_finding(
        "iron.overload_pattern",
        tsat=str(t),
        ferritin=str(f),
        group=group,
        tsat_limit=t_lim.value,
        ferritin_limit=f_lim.value,
        menopause_note=note,
    )


def _who_cutoff(ctx: Context) -> tuple[Threshold, str]:
    """WHO-FER-2020 ferritin cut-off for this age and inflammation state, and its group."""
    young = bool(threshold("age.who_ferritin_young").holds(Reading(ctx.age_years)))
    key = (
        "ferritin.who_deficient"
        + ("_young" if young else "")
        + ("_inflamed" if ctx.inflamed else "")
    )
    group = ("children under 5" if young else "people aged 5 and over") + (
        " with inflammation" if ctx.inflamed else ""
    )
    return threshold(key), group


def _who_deficiency(ctx: Context, f: Reading) -> Finding | None:
    cut, group = _who_cutoff(ctx)
    if not cut.holds(f):
        return None
    return make_finding("iron.who_deficiency", ferritin=str(f), cutoff=cut.value, group=group)


def _assay_dependent(
    panel: Panel, situation: Situation, outcome: Outcome, f: Reading, t: Reading
) -> Finding | None:
    lab = panel.latest.get("ferritin")
    if lab is None or lab.assay != "roche":
        return None
    adjusted = f.scaled(roche_to_beckman(f.value) / f.value) if f.value > 0 else f
    other = decide(adjusted, t, situation)
    if (other.decision, other.routes) == (outcome.decision, outcome.routes):
        return None
    return make_finding(
        "iron.assay_dependent",
        ferritin=str(f),
        adjusted=round(adjusted.value),
        adjusted_decision=_decision_words(other),
        decision=_decision_words(outcome),
    )


def _decision_words(o: Outcome) -> str:
    routes = f" ({' or '.join(o.routes)})" if o.routes else ""
    return o.decision.replace("_", " ") + routes


def _groups(
    inp: AssessmentInput,
    ctx: Context,
    situation: Situation,
    outcome: Outcome,
    f: Reading | None,
    t: Reading | None,
) -> Iterator[Finding]:
    p = inp.person
    if p.pregnancy_weeks is not None:
        yield make_finding("pregnancy.obstetric_care", weeks=p.pregnancy_weeks)
    if ctx.group == "child":
        yield make_finding("pediatric.rule_applied", age=p.age_years)
        adult = decide(
            f, t, Situation("adult", situation.profile, situation.stale, situation.after_iv)
        )
        if (adult.decision, adult.routes) != (outcome.decision, outcome.routes):
            yield make_finding(
                "pediatric.adult_rule_differs",
                adult_decision=_decision_words(adult),
                decision=_decision_words(outcome),
            )
    if ctx.group == "dialysis":
        yield make_finding("kidney.dialysis_rule")
        if outcome.decision != "indicated":
            yield make_finding(
                "kidney.nephrology",
                detail=(
                    "On dialysis, iron and anaemia are managed with your nephrology team; "
                    "the KDIGO anaemia rules are outside this tool."
                ),
            )
    elif p.kidney == "ckd":
        yield make_finding(
            "kidney.nephrology",
            detail=(
                "With chronic kidney disease the adult iron rules apply, and several RLS "
                "medicines need their dose adjusted for kidney function: your clinician will "
                "take this into account."
            ),
        )


def _anemia_findings(
    panel: Panel, ctx: Context, anemia: Anemia, f: Reading | None, t: Reading | None
) -> Iterator[Finding]:
    hb = panel.usable("hemoglobin")
    if not anemia.present or hb is None or anemia.threshold_g_dl is None:
        return
    yield make_finding(
        "anemia.present", hb=str(hb), cutoff=anemia.threshold_g_dl, group=anemia.group or ""
    )
    iron_deficient = bool(
        (f is not None and _who_cutoff(ctx)[0].holds(f))
        or (t is not None and threshold("tsat.rls_indicated").holds(t))
    )
    adult = not threshold("age.pediatric").holds(Reading(ctx.age_years))
    if iron_deficient and adult and (not ctx.female or ctx.postmenopausal):
        who = "a postmenopausal woman" if ctx.female else "a man"
        note = (
            (
                " Menopause status was not given; at this age we counted you as "
                "postmenopausal (our default)."
            )
            if ctx.menopause_assumed
            else ""
        )
        yield make_finding("anemia.investigate_cause", who=who, menopause_note=note)


def _symptom_findings(inp: AssessmentInput) -> Iterator[Finding]:
    rls = inp.rls
    if rls is not None and rls.criteria is not None:
        unmet = unmet_criteria(rls.criteria)
        if unmet:
            yield make_finding(
                "rls.criteria_not_met", unmet="; ".join(CRITERIA_LABELS[k] for k in unmet)
            )
    out = assess_rls(rls)
    if out.irls_total is not None and out.irls_band is not None:
        yield make_finding(
            "rls.severity",
            total=out.irls_total,
            irls_max=IRLS_MAX,
            band_label=BAND_LABELS[out.irls_band],
        )
    if inp.symptoms:
        yield make_finding(
            "symptoms.iron_deficiency",
            symptoms=", ".join(SYMPTOM_LABELS[s] for s in dict.fromkeys(inp.symptoms)),
        )


def _medication_findings(meds: tuple[MedicationMatch, ...]) -> Iterator[Finding]:
    for m in meds:
        code = (
            "meds.augmentation_risk"
            if m.drug_class.effect == "augmentation"
            else "meds.may_worsen_rls"
        )
        yield make_finding(
            code,
            sources=m.drug_class.sources,
            generic=m.generic,
            entry=m.entry,
            label=m.drug_class.label,
            why=m.drug_class.why,
            discuss=m.drug_class.discuss,
        )


_NUTRIENTS = (
    ("folate", "nutrients.folate_low", "folate.low"),
    ("b12", "nutrients.b12_low", "b12.low"),
    ("magnesium", "nutrients.magnesium_low", "magnesium.low"),
    ("vitamin_d", "nutrients.vitamin_d_low", "vitamin_d.low"),
)


def _nutrients(panel: Panel) -> Iterator[Finding]:
    for key, code, th_id in _NUTRIENTS:
        lab = panel.latest.get(key)
        if lab is None or not lab.plausible:
            continue
        if lab.reference is not None and lab.reference.low is not None:
            limit, basis, low = (
                lab.reference.low,
                "the lab's own range",
                lab.reference.below(lab.reading),
            )
        else:
            th = threshold(th_id)
            limit, basis, low = (
                th.value,
                "a common adult cut-off, expert consensus",
                th.holds(lab.reading),
            )
        if low:
            yield make_finding(code, value=str(lab.reading), limit=round(limit, 2), basis=basis)


def _therapy(panel: Panel, ctx: Context, outcome: Outcome) -> Iterator[Finding]:
    due = _retest_due(ctx)
    if due is None:
        return
    route, started, when = due
    drawn = _panel_date(panel)
    if when <= ctx.as_of and (drawn is None or drawn < when):
        yield make_finding(
            "therapy.retest_due", route=route, started=started.isoformat(), due=when.isoformat()
        )
    f, t = panel.usable("ferritin"), panel.tsat
    if (
        route == "oral"
        and drawn is not None
        and drawn >= when
        and outcome.decision == "indicated"
        and f is not None
        and t is not None
    ):
        yield make_finding(
            "therapy.low_despite_oral_iron",
            ferritin=str(f),
            tsat=str(t),
            date=drawn.isoformat(),
            weeks=(drawn - started).days // 7,
            started=started.isoformat(),
        )


def _retest_due(ctx: Context) -> tuple[str, dt.date, dt.date] | None:
    """(route, started, recheck date) for the most recent course of iron, if any."""
    if ctx.last_iv is not None and (ctx.oral_iron is None or ctx.last_iv >= ctx.oral_iron.started):
        return "IV", ctx.last_iv, ctx.last_iv + _weeks("retest.after_iv_weeks")
    if ctx.oral_iron is not None:
        started = ctx.oral_iron.started
        return "oral", started, started + _weeks("retest.after_oral_weeks")
    return None


# ------------------------------------------------------------------ next tests


def _weeks(id: str) -> dt.timedelta:
    return dt.timedelta(weeks=NUMBERS[id].value)


def _next_tests(panel: Panel, ctx: Context, outcome: Outcome) -> tuple[NextTest, ...]:
    iron = ("ferritin", "tsat")
    fasting = f"{NUMBERS['oral.fasting_hours'].value:g}"
    if outcome.decision == "test_first":
        return (NextTest(tests=iron, due=ctx.as_of, why=outcome.why),)
    if outcome.decision == "contraindicated":
        why = (
            f"Repeat a morning draw with no iron for {fasting} hours, reviewed by a "
            "clinician (and HFE testing if TSAT stays high)."
        )
        return (NextTest(tests=iron, due=ctx.as_of, why=why),)
    drawn = _panel_date(panel)
    course = _retest_due(ctx)
    if course is not None:
        route, _, when = course
        if drawn is None or drawn < when:
            why = f"The recheck after starting {route} iron."
            return (NextTest(tests=iron, due=max(when, ctx.as_of), why=why),)
        if ctx.oral_iron is not None and drawn is not None:
            why = "Keep checking while you take iron tablets, to see they work and stay safe."
            due = max(drawn + _weeks("retest.after_oral_weeks"), ctx.as_of)
            return (NextTest(tests=iron, due=due, why=why),)
    if outcome.decision == "indicated":
        why = (
            "If you and your clinician start iron: recheck about "
            f"{NUMBERS['retest.after_oral_weeks'].value:g} weeks after starting tablets, or "
            f"{NUMBERS['retest.after_iv_weeks'].value:g} or more weeks after an infusion."
        )
        return (NextTest(tests=iron, due=ctx.as_of + _weeks("retest.after_oral_weeks"), why=why),)
    yearly = _add_months(drawn or ctx.as_of, int(NUMBERS["retest.routine_months"].value))
    why = "At least yearly, and sooner if RLS symptoms return or worsen."
    return (NextTest(tests=iron, due=max(yearly, ctx.as_of), why=why),)


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    target = dt.date(day.year + year, month + 1, 1)
    last = (_add_months_first(target) - dt.timedelta(days=1)).day
    return target.replace(day=min(day.day, last))


def _add_months_first(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
