"""Validated input -> Assessment: the decision, every finding with its sources, the plan.

Pure: no I/O, no clock ("today" arrives as `as_of`), no printing. The decision comes from
the rule table alone (rules/decide.py); the findings whose conditions are data come from
findings.toml (rules/findings.py); the rest (data quality, medicines, symptoms, nutrients,
what-ifs) are raised here from what the engine computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from itertools import pairwise
from typing import NamedTuple

from rlsiron import __version__
from rlsiron.core.assessment.anemia import anemia_findings, assess_anemia
from rlsiron.core.assessment.context import (
    Context,
    build_context,
    infusion_before_panel,
    named_values,
    panel_date,
    panel_dates,
)
from rlsiron.core.assessment.monitoring import next_tests, therapy_findings
from rlsiron.core.assessment.symptoms import assess_rls, symptom_findings
from rlsiron.core.knowledge.codes import FindingCode as C
from rlsiron.core.knowledge.conditions import (
    CONDITION_CODES,
    ConditionReading,
    read_conditions,
    reconcile_kidney,
)
from rlsiron.core.knowledge.findings import make_finding
from rlsiron.core.knowledge.medications import MedicationMatch, match_medications
from rlsiron.core.knowledge.rules import DECISIONS, RULES
from rlsiron.core.knowledge.thresholds import ASSAY_POINTS, PROFILE_IDS, number, threshold
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.labs.panel import Panel, ReadLab, read_panel
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
from rlsiron.core.rules.decide import Outcome, decide, group_of, with_derived
from rlsiron.core.rules.display import ShownValues
from rlsiron.core.rules.expressions import Value
from rlsiron.core.rules.findings import data_findings, without_unless
from rlsiron.errors import ProblemCollector

DISCLAIMER = (
    "This is decision support, not a diagnosis or a prescription. Discuss iron with a "
    "clinician before taking it, and never start, stop or change the dose of a medicine "
    "on your own. Iron overdose is dangerous: keep iron supplements away from children."
)

_SEVERITY_ORDER = {"urgent": 0, "warning": 1, "info": 2}
_KNOWN_CONDITIONS = ", ".join(code.replace("_", " ") for code in CONDITION_CODES)


class Prepared(NamedTuple):
    """Everything the rules read, before any rule runs."""

    panel: Panel
    ctx: Context
    profile: str
    values: dict[str, Value]


def prepare(inp: AssessmentInput, as_of: dt.date) -> Prepared:
    """Read the input into the named values of values.txt (plus the derived booleans).

    Bad input raises an RlsironError carrying every problem found (all lab rows,
    conditions, kidney facts) at once.
    """
    problems = ProblemCollector()
    panel = problems.attempt(lambda: read_panel(inp.labs, as_of))
    conditions = read_conditions(inp.person.conditions)
    kidney = problems.attempt(lambda: reconcile_kidney(inp.person.kidney, conditions))
    problems.raise_if_any()
    assert panel is not None
    meds = _one_per_medicine(match_medications(inp.medications))
    ctx = build_context(inp, as_of, kidney, conditions, meds)
    values = with_derived(named_values(inp, panel, ctx))
    return Prepared(panel, ctx, PROFILE_IDS[inp.profile], values)


def assess(inp: AssessmentInput, *, as_of: dt.date, plan: bool = True) -> Assessment:
    """Assess one person on `as_of` (the day the assessment is for; never read from a clock).

    `plan=False` skips the action plan, for batch use. The decision is the rule table's
    alone (`decide`); bad input raises an RlsironError listing every problem.
    """
    panel, ctx, profile, values = prepare(inp, as_of)
    group = group_of(values)
    outcome = decide(values, profile, group)
    values.update({f"group_{g.id}": g.id == group for g in RULES.groups})
    values.update({f"decision_{d}": d == outcome.decision for d in DECISIONS})
    shown = ShownValues(values)
    anemia = assess_anemia(inp, panel)
    rls = assess_rls(inp.rls)
    raised = [
        *data_findings(values, profile, shown, _evidence(inp, panel, ctx)),
        *_code_findings(inp, panel, ctx, values, profile, group, outcome, anemia, rls, shown),
    ]
    findings = tuple(sorted(without_unless(raised), key=lambda f: _SEVERITY_ORDER[f.severity]))
    facts = PlanFacts(
        iron_therapy=IronTherapyOut(
            decision=outcome.decision,
            routes=outcome.routes,
            options=outcome.options,
            rule=outcome.rule,
            why=outcome.why,
            sources=outcome.sources,
        ),
        findings=findings,
        values=_values(panel),
        rls=rls,
        next_tests=next_tests(panel, inp, ctx, outcome, findings),
        disclaimer=DISCLAIMER,
        taking_oral_iron=ctx.oral_iron is not None,
    )
    return Assessment(
        profile=profile,
        engine_version=__version__,
        as_of=as_of,
        values=facts.values,
        labs=tuple(lab.as_value() for lab in panel.latest.values()) + panel.derived,
        history=tuple(lab.as_value() for lab in panel.history),
        iron_therapy=facts.iron_therapy,
        anemia=anemia,
        rls=rls,
        conditions=tuple(sorted(ctx.conditions.codes)),
        findings=findings,
        plan=build_plan(inp, facts, ctx.medicines, values) if plan else None,
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
    """Straight lines through (0, 0) and the ASSAY-116 points, the last segment extended."""
    segments = list(pairwise(ASSAY_POINTS))
    (x1, y1), (x2, y2) = next(((a, b) for a, b in segments if roche <= b[0]), segments[-1])
    return y1 + (roche - x1) * (y2 - y1) / (x2 - x1)


# ------------------------------------------------------------------ evidence for data findings


def _evidence(
    inp: AssessmentInput, panel: Panel, ctx: Context
) -> Callable[[C], Mapping[str, float | str]]:
    """Fields that data-driven findings quote beyond the named values (dates, names),
    computed only for the findings that are raised."""

    def fields(code: C) -> Mapping[str, float | str]:
        match code:
            case C.IRON_OVERLOAD_PATTERN:
                return {"menopause_note": _menopause_note(ctx)}
            case C.IRON_TSAT_ESTIMATED:
                return {"factor": round(TIBC_UMOL_PER_TRANSFERRIN_G, 1)}
            case C.IRON_ONGOING_LOSS:
                return {"loss": _losses(ctx.conditions)}
            case C.PREGNANCY_OBSTETRIC_CARE:
                return {"weeks": inp.person.pregnancy_weeks or 0}
            case C.LABS_STALE:
                return _stale(panel, ctx)
            case C.LABS_AFTER_IV_IRON:
                return _after_infusion(inp, panel)
            case C.LABS_TSAT_DISCORDANT:
                return _two_tsats(panel)
            case C.THERAPY_STOP_AND_REVIEW:
                return _on_iron(panel, ctx)
            case _:
                return {}

    return fields


def _stale(panel: Panel, ctx: Context) -> Mapping[str, float | str]:
    oldest = panel_date(panel)
    assert oldest is not None  # the finding needs a panel age
    return {
        "which": _old_results(panel, oldest),
        "date": oldest.isoformat(),
        "days": (ctx.as_of - oldest).days,
        "as_of": ctx.as_of.isoformat(),
    }


def _after_infusion(inp: AssessmentInput, panel: Panel) -> Mapping[str, float | str]:
    infusion = infusion_before_panel(panel, inp)
    drawn = max(panel_dates(panel))
    assert infusion is not None  # the finding needs days after an infusion
    recheck = infusion + dt.timedelta(weeks=number("retest.after_iv_weeks").value)
    return {
        "date": drawn.isoformat(),
        "iv_date": infusion.isoformat(),
        "recheck": recheck.isoformat(),
    }


def _two_tsats(panel: Panel) -> Mapping[str, float | str]:
    assert panel.tsat_pair is not None  # the finding needs a TSAT gap
    shown = ANALYTES["tsat"].display_decimals
    return {
        "reported": round(panel.tsat_pair.reported.value, shown),
        "calculated": round(panel.tsat_pair.calculated.value, shown),
    }


def _on_iron(panel: Panel, ctx: Context) -> Mapping[str, float | str]:
    ferritin_date = panel.date_of("ferritin")
    assert ctx.course is not None and ferritin_date is not None  # ferritin_on_iron is known
    return {
        "date": ferritin_date.isoformat(),
        "route": ctx.course.route,
        "started": ctx.course.started.isoformat(),
    }


def _old_results(panel: Panel, oldest: dt.date) -> str:
    """Which result of the iron panel is the old one: "ferritin", "TSAT", or both."""
    old = [
        name
        for name, date in (("ferritin", panel.date_of("ferritin")), ("TSAT", panel.tsat_date))
        if date == oldest
    ]
    return " and ".join(old)


def _losses(conditions: ConditionReading) -> str:
    words = {"heavy_menstrual_bleeding": "heavy periods", "blood_donor": "regular blood donation"}
    return " and ".join(words[c] for c in sorted(conditions.codes) if c in words)


def _menopause_note(ctx: Context) -> str:
    if not ctx.menopause_assumed:
        return ""
    state = "post" if ctx.postmenopausal else "pre"
    return (
        " Menopause status was not given; we counted a woman of this age as "
        f"{state}menopausal (our default)."
    )


# ------------------------------------------------------------------ findings raised by code


def _code_findings(
    inp: AssessmentInput,
    panel: Panel,
    ctx: Context,
    values: Mapping[str, Value],
    profile: str,
    group: str,
    outcome: Outcome,
    anemia: Anemia,
    rls: RlsOut,
    shown: Mapping[str, str],
) -> Iterator[Finding]:
    yield from _lab_quality(panel, ctx, shown)
    yield from _what_ifs(panel, values, profile, group, outcome, shown)
    yield from anemia_findings(panel, ctx, anemia, values, shown)
    yield from symptom_findings(inp, rls)
    yield from _medication_findings(ctx.medicines)
    yield from _nutrients(panel)
    yield from therapy_findings(panel, ctx, outcome, shown)
    for entry in ctx.conditions.unused:
        yield make_finding(C.CONTEXT_CONDITION_NOT_USED, entry=entry, known=_KNOWN_CONDITIONS)


def unit_suspect(lab: ReadLab) -> Finding:
    """A value outside what is plausible in its unit (the app's lab check says the same)."""
    a = lab.analyte
    return make_finding(
        C.LABS_UNIT_SUSPECT,
        test=a.display,
        original=lab.original,
        low=a.plausible_low,
        high=a.plausible_high,
        unit=a.canonical_unit,
    )


def future_date(lab: ReadLab, as_of: dt.date) -> Finding:
    """A result dated after the day of the assessment (set aside, not used)."""
    return make_finding(
        C.LABS_FUTURE_DATE,
        test=lab.analyte.display,
        date=lab.date.isoformat(),
        as_of=as_of.isoformat(),
    )


def _lab_quality(panel: Panel, ctx: Context, shown: Mapping[str, str]) -> Iterator[Finding]:
    for lab in panel.suspect():
        yield unit_suspect(lab)
    for lab in panel.future:
        yield future_date(lab, ctx.as_of)
    missing = []
    if panel.usable("ferritin") is None:
        missing.append("ferritin")
    if panel.tsat is None:
        missing.append("TSAT (or serum iron with TIBC, UIBC or transferrin)")
    if missing:
        yield make_finding(
            C.LABS_MISSING,
            fields=shown,
            missing=", ".join(missing),
            provisional=_provisional(panel, shown),
        )


def _provisional(panel: Panel, shown: Mapping[str, str]) -> str:
    f, t = panel.usable("ferritin"), panel.tsat
    if f is not None and t is None:
        low = threshold("ferritin.rls_indicated").holds(f)
        word = "at or below" if low else ("above" if low is False else "near")
        return (
            f"Provisionally, ferritin {shown['ferritin']} µg/L is {word} the RLS threshold; "
            "TSAT is still needed before any iron."
        )
    if t is not None and f is None:
        if threshold("tsat.contraindicated").holds(t):
            return f"TSAT {shown['tsat']} % is already high: no iron, whatever ferritin shows."
        return f"Provisionally, TSAT {shown['tsat']} % is known; ferritin is still needed."
    return ""


def _what_ifs(
    panel: Panel,
    values: Mapping[str, Value],
    profile: str,
    group: str,
    outcome: Outcome,
    shown: Mapping[str, str],
) -> Iterator[Finding]:
    """Counterfactuals the rule table answers: another assay, the adult rule for a child."""
    lab = panel.latest.get("ferritin")
    f = values["ferritin"]
    if lab is not None and lab.assay == "roche" and isinstance(f, Reading) and f.value > 0:
        adjusted = f.scaled(roche_to_beckman(f.value) / f.value)
        other = decide(with_derived({**values, "ferritin": adjusted}), profile, group)
        if (other.decision, other.routes) != (outcome.decision, outcome.routes):
            yield make_finding(
                C.IRON_ASSAY_DEPENDENT,
                fields=shown,
                adjusted=round(adjusted.value),
                adjusted_decision=_decision_words(other),
                decision=_decision_words(outcome),
            )
    if group == "child":
        adult = decide(values, profile, "adult")
        if (adult.decision, adult.routes) != (outcome.decision, outcome.routes):
            yield make_finding(
                C.PEDIATRIC_ADULT_RULE_DIFFERS,
                adult_decision=_decision_words(adult),
                decision=_decision_words(outcome),
            )


def _decision_words(o: Outcome) -> str:
    routes = f" ({' or '.join(o.routes)})" if o.routes else ""
    return o.decision.replace("_", " ") + routes


def _medication_findings(meds: tuple[MedicationMatch, ...]) -> Iterator[Finding]:
    for m in meds:
        effect = m.drug_class.effect
        if effect == "reduces_iron_absorption":
            continue  # read by the rules (proton_pump_inhibitor), not an RLS worsener
        code = C.MEDS_AUGMENTATION_RISK if effect == "augmentation" else C.MEDS_MAY_WORSEN_RLS
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
    ("folate", C.NUTRIENTS_FOLATE_LOW, "folate.low"),
    ("b12", C.NUTRIENTS_B12_LOW, "b12.low"),
    ("magnesium", C.NUTRIENTS_MAGNESIUM_LOW, "magnesium.low"),
    ("vitamin_d", C.NUTRIENTS_VITAMIN_D_LOW, "vitamin_d.low"),
)


def _nutrients(panel: Panel) -> Iterator[Finding]:
    for key, code, th_id in _NUTRIENTS:
        lab = panel.latest.get(key)
        if lab is None or not lab.plausible:
            continue
        decimals = lab.analyte.display_decimals
        if lab.reference is not None and lab.reference.low is not None:
            limit, low = lab.reference.low, lab.reference.below(lab.reading)
            basis = "the lab's own range"
        else:
            row = threshold(th_id)
            limit, low = row.value, row.holds(lab.reading)
            basis = "a common adult cut-off"
        if low:
            yield make_finding(
                code,
                value=lab.as_value().shown,
                limit=round(limit, decimals),
                basis=basis,
            )
