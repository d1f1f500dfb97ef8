"""Validated input -> Assessment: the decision, every finding with its sources, the plan.

Pure: no I/O, no clock ("today" arrives as `as_of`), no printing. The findings are
computed from the panel and the person's context; their wording lives in findings.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from rlsiron.core.assessment.anemia import anemia_findings, assess_anemia
from rlsiron.core.assessment.context import (
    Context,
    build_context,
    days_after_iv,
    panel_date,
    stale_days,
    who_ferritin_cutoff,
)
from rlsiron.core.assessment.decision import Outcome, Situation, decide
from rlsiron.core.assessment.monitoring import next_tests, therapy_findings
from rlsiron.core.assessment.symptoms import (
    BAND_LABELS,
    CRITERIA_LABELS,
    SYMPTOM_LABELS,
    assess_rls,
    unmet_criteria,
)
from rlsiron.core.knowledge.findings import KIDNEY_NOTES, make_finding
from rlsiron.core.knowledge.medications import MedicationMatch, match_medications
from rlsiron.core.knowledge.thresholds import (
    IRLS_MAX,
    PROFILES,
    number,
    threshold,
)
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.labs.panel import Panel, read_panel
from rlsiron.core.labs.units import TIBC_UMOL_PER_TRANSFERRIN_G
from rlsiron.core.models import (
    Anemia,
    Assessment,
    AssessmentInput,
    Finding,
    IronTherapyOut,
    RlsOut,
    Values,
)
from rlsiron.core.plan.sections import PlanFacts, build_plan
from rlsiron.core.readings import Reading
from rlsiron.errors import InputValidationError

DISCLAIMER = (
    "This is decision support, not a diagnosis or a prescription. Discuss iron with a "
    "clinician before taking it, and never start, stop or change the dose of a medicine "
    "on your own. Iron overdose is dangerous: keep iron supplements away from children."
)

_SEVERITY_ORDER = {"urgent": 0, "warning": 1, "info": 2}


def assess(inp: AssessmentInput) -> Assessment:
    if inp.as_of is None:
        raise InputValidationError("is required (the day the assessment is for)", field="as_of")
    panel = read_panel(inp.labs, inp.as_of)
    ctx = build_context(inp, panel)
    meds = _one_per_medicine(match_medications(inp.medications))
    f, t = panel.usable("ferritin"), panel.tsat
    situation = Situation(
        group=ctx.group,
        profile=PROFILES[inp.profile],
        stale=stale_days(panel, ctx) is not None,
        after_iv=days_after_iv(panel, ctx) is not None,
    )
    outcome = decide(f, t, situation)
    anemia = assess_anemia(inp, panel)
    rls = assess_rls(inp.rls)
    findings = sorted(
        _findings(inp, panel, ctx, situation, outcome, anemia, rls, meds),
        key=lambda x: _SEVERITY_ORDER[x.severity],
    )
    facts = PlanFacts(
        iron_therapy=IronTherapyOut(
            decision=outcome.decision,
            routes=tuple(sorted(outcome.routes)),
            options=outcome.options,
            rule=outcome.rule,
            why=outcome.why,
            sources=outcome.sources,
        ),
        findings=tuple(findings),
        values=_values(panel),
        rls=rls,
        next_tests=next_tests(panel, ctx, outcome),
        disclaimer=DISCLAIMER,
        taking_oral_iron=ctx.oral_iron is not None,
    )
    return Assessment(
        profile=inp.profile,
        as_of=ctx.as_of,
        values=facts.values,
        labs=tuple(lab.as_value() for lab in panel.latest.values()) + panel.derived,
        history=tuple(lab.as_value() for lab in panel.history),
        iron_therapy=facts.iron_therapy,
        anemia=anemia,
        rls=facts.rls,
        findings=facts.findings,
        plan=build_plan(inp, facts, meds),
        next_tests=facts.next_tests,
        disclaimer=DISCLAIMER,
    )


def _one_per_medicine(matches: tuple[MedicationMatch, ...]) -> tuple[MedicationMatch, ...]:
    """One finding per medicine, however many entries name it ("sertraline", "Zoloft")."""
    first: dict[str, MedicationMatch] = {}
    for m in matches:
        first.setdefault(m.generic, m)
    return tuple(first.values())


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


# ------------------------------------------------------------------ findings


def _findings(
    inp: AssessmentInput,
    panel: Panel,
    ctx: Context,
    situation: Situation,
    outcome: Outcome,
    anemia: Anemia,
    rls: RlsOut,
    meds: tuple[MedicationMatch, ...],
) -> Iterator[Finding]:
    f, t = panel.usable("ferritin"), panel.tsat
    yield from _lab_quality(panel, ctx)
    yield from _iron_status(panel, ctx, situation, outcome, f, t)
    yield from _groups(inp, ctx, situation, outcome, f, t)
    yield from anemia_findings(panel, ctx, anemia, f, t)
    yield from _symptom_findings(inp, rls)
    yield from _medication_findings(meds)
    yield from _nutrients(panel)
    yield from therapy_findings(panel, ctx, outcome)


def _lab_quality(panel: Panel, ctx: Context) -> Iterator[Finding]:
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
    stale = stale_days(panel, ctx)
    date = panel_date(panel)
    if stale is not None and date is not None:
        yield make_finding(
            "labs.stale", date=date.isoformat(), days=stale, as_of=ctx.as_of.isoformat()
        )
    after = days_after_iv(panel, ctx)
    drawn = panel.date_of("ferritin")
    if after is not None and drawn is not None and ctx.last_iv is not None:
        yield make_finding(
            "labs.after_iv_iron",
            date=drawn.isoformat(),
            days=after,
            iv_date=ctx.last_iv.isoformat(),
        )
    if panel.tsat_source == "estimated" and panel.tsat is not None:
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


# Findings that make "iron stores are adequate" unsafe to say.
_NOT_ADEQUATE = frozenset(
    {
        "iron.tsat_high",
        "iron.overload_pattern",
        "iron.ferritin_very_high",
        "iron.low_tsat_high_ferritin",
        "iron.ferritin_high_normal_tsat",
        "iron.assay_dependent",
    }
)


def _iron_status(
    panel: Panel,
    ctx: Context,
    situation: Situation,
    outcome: Outcome,
    f: Reading | None,
    t: Reading | None,
) -> Iterator[Finding]:
    """Each value speaks for itself (a high TSAT is a safety stop even with no ferritin)."""
    found = [*_tsat_findings(ctx, t), *_ferritin_findings(ctx, f)]
    if f is not None and t is not None:
        found += _pair_findings(panel, ctx, situation, outcome, f, t)
    yield from found
    if (
        f is not None
        and t is not None
        and outcome.decision == "not_indicated"
        and not {x.code for x in found} & _NOT_ADEQUATE
        and not ctx.inflamed
        and ctx.group != "dialysis"
    ):
        yield make_finding("iron.adequate_for_rls", ferritin=str(f), tsat=str(t))


def _tsat_findings(ctx: Context, t: Reading | None) -> Iterator[Finding]:
    if t is None or not threshold("tsat.contraindicated").holds(t):
        return
    yield make_finding("iron.tsat_high", tsat=str(t))
    if ctx.oral_iron is not None:
        yield make_finding("iron.high_tsat_on_oral_iron", tsat=str(t))


def _ferritin_findings(ctx: Context, f: Reading | None) -> Iterator[Finding]:
    if f is None:
        return
    if threshold("ferritin.very_high").holds(f):
        yield make_finding("iron.ferritin_very_high", ferritin=str(f))
    who = _who_deficiency(ctx, f)
    if who is not None:
        yield who


def _pair_findings(
    panel: Panel,
    ctx: Context,
    situation: Situation,
    outcome: Outcome,
    f: Reading,
    t: Reading,
) -> list[Finding]:
    profile = situation.profile
    fv, tv = str(f), str(t)
    low_f = profile.ferritin_indicated.holds(f)
    low_t = threshold("tsat.rls_indicated").holds(t)
    out: list[Finding] = []
    if ctx.group in ("adult", "pregnancy") and (low_f or low_t):
        criterion = (
            f"ferritin {profile.ferritin_indicated.describe()} or TSAT "
            f"{threshold('tsat.rls_indicated').describe()}"
        )
        out.append(
            make_finding(
                "iron.low_for_rls",
                sources=profile.ferritin_indicated.sources,
                ferritin=fv,
                tsat=tv,
                profile=profile.label,
                criterion=criterion,
            )
        )
    lower = threshold("ferritin.iv_band_lower")
    if ctx.group == "adult" and lower.holds(f) and profile.iv_band_upper.holds(f):
        band = f"{lower.describe()} and {profile.iv_band_upper.describe()}"
        out.append(make_finding("iron.iv_only_band", ferritin=fv, band=band))
    overload = _overload(ctx, f, t)
    if overload is not None:
        out.append(overload)
    if low_t and threshold("ferritin.low_tsat_review").holds(f):
        out.append(make_finding("iron.low_tsat_high_ferritin", ferritin=fv, tsat=tv))
    tsat_high = threshold("tsat.contraindicated").holds(t)
    high_ferritin = threshold("ferritin.high_female" if ctx.female else "ferritin.high_male")
    if ctx.group != "dialysis" and low_t is False and not tsat_high and high_ferritin.holds(f):
        out.append(
            make_finding("iron.ferritin_high_normal_tsat", ferritin=fv, limit=high_ferritin.value)
        )
    assay = _assay_dependent(panel, situation, outcome, f, t)
    if assay is not None:
        out.append(assay)
    return out


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


def _who_deficiency(ctx: Context, f: Reading) -> Finding | None:
    cut, group = who_ferritin_cutoff(ctx)
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
            yield make_finding("kidney.nephrology", detail=KIDNEY_NOTES["dialysis"])
    elif p.kidney == "ckd":
        yield make_finding("kidney.nephrology", detail=KIDNEY_NOTES["ckd"])


def _symptom_findings(inp: AssessmentInput, out: RlsOut) -> Iterator[Finding]:
    if inp.rls is not None and inp.rls.criteria is not None:
        unmet = unmet_criteria(inp.rls.criteria)
        if unmet:
            yield make_finding(
                "rls.criteria_not_met", unmet="; ".join(CRITERIA_LABELS[k] for k in unmet)
            )
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
