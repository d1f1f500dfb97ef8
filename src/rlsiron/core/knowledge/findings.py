"""Finding definitions: code, severity, wording and sources, in one reviewable table.

The engine decides *whether* a finding holds and with which evidence; the words a
person reads live here, as templates filled from that evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from rlsiron.core.knowledge.thresholds import THRESHOLDS
from rlsiron.core.models import Finding, Severity


@dataclass(frozen=True, slots=True)
class FindingDef:
    code: str
    severity: Severity
    title: str
    detail: str  # str.format template over the evidence
    sources: tuple[str, ...]


def _d(code: str, severity: Severity, title: str, detail: str, sources: str) -> FindingDef:
    return FindingDef(code, severity, title, detail, tuple(sources.split()))


_DEFS: tuple[FindingDef, ...] = (
    _d(
        "iron.low_for_rls",
        "warning",
        "Iron is low for restless legs",
        "Ferritin {ferritin} µg/L and TSAT {tsat} % meet the {profile} criterion for iron "
        "therapy in RLS ({criterion}). A lab report may call these values normal: RLS "
        "guidelines aim higher, because low brain iron worsens RLS.",
        "AASM-2024",
    ),
    _d(
        "iron.iv_only_band",
        "warning",
        "Ferritin is in the band where only IV iron helps",
        "Ferritin {ferritin} µg/L is in the band {band}. Iron tablets are poorly absorbed at "
        "these stores, so the guideline names IV iron for this band.",
        "AASM-2024",
    ),
    _d(
        "iron.adequate_for_rls",
        "info",
        "Iron stores meet the RLS target",
        "Ferritin {ferritin} µg/L and TSAT {tsat} % are above the levels at which iron is "
        "suggested for RLS. Iron is not the lever here; other RLS treatments are for your "
        "clinician.",
        "AASM-2024",
    ),
    _d(
        "iron.tsat_high",
        "urgent",
        "Transferrin saturation is high: no iron",
        "TSAT {tsat} % is at or above {th[tsat.contraindicated]} %. Iron should not be started or continued; a "
        "clinician should review, repeat a correctly timed morning draw, and consider HFE "
        "(haemochromatosis) testing.",
        "AASM-2024 AASLD-2011",
    ),
    _d(
        "iron.overload_pattern",
        "urgent",
        "Pattern of possible iron overload",
        "TSAT {tsat} % with ferritin {ferritin} µg/L fits the EASL pattern for possible "
        "iron overload in {group} (TSAT > {tsat_limit} % and ferritin > {ferritin_limit} µg/L)."
        "{menopause_note}",
        "EASL-2022",
    ),
    _d(
        "iron.ferritin_very_high",
        "urgent",
        "Very high ferritin",
        "Ferritin {ferritin} µg/L needs prompt specialist review, including liver assessment.",
        "AASLD-2011",
    ),
    _d(
        "iron.low_tsat_high_ferritin",
        "warning",
        "Low TSAT although ferritin is not low",
        "TSAT {tsat} % is low while ferritin is {ferritin} µg/L. This is uncommon without "
        "inflammation and calls for clinician review (inflammation, functional iron "
        "deficiency).",
        "AASM-2024",
    ),
    _d(
        "iron.who_deficiency",
        "warning",
        "Iron deficiency by the WHO ferritin cut-off",
        "Ferritin {ferritin} µg/L is below the WHO cut-off of {cutoff} µg/L for {group}.",
        "WHO-FER-2020",
    ),
    _d(
        "iron.tsat_estimated",
        "info",
        "TSAT estimated from transferrin",
        "No TSAT or TIBC was given, so TSAT {tsat} % was estimated from serum iron and "
        "transferrin (TIBC ≈ transferrin × {factor}). A measured TSAT is better.",
        "AASM-2024",
    ),
    _d(
        "iron.assay_dependent",
        "warning",
        "The ferritin assay could change this decision",
        "This ferritin ({ferritin} µg/L) was measured on a Roche assay, which reads higher "
        "than the assay the thresholds come from; the equivalent is about {adjusted} µg/L, "
        "which would give '{adjusted_decision}' instead of '{decision}'. The decision shown "
        "is unchanged; discuss the assay with your clinician.",
        "ASSAY-NOTE",
    ),
    _d(
        "iron.high_tsat_on_oral_iron",
        "warning",
        "High TSAT while taking iron tablets",
        "TSAT {tsat} % may be raised by an iron tablet taken shortly before the blood draw. "
        "Ask for a repeat morning draw with no iron for at least 24 hours.",
        "AASM-2024",
    ),
    _d(
        "iron.ferritin_high_normal_tsat",
        "warning",
        "High ferritin with normal TSAT",
        "Ferritin {ferritin} µg/L is above {limit} µg/L while TSAT is normal: this is often "
        "inflammation, liver disease or a metabolic cause, and never a reason for iron.",
        "EASL-2022",
    ),
    _d(
        "labs.missing",
        "warning",
        "Results needed for the iron decision are missing",
        "Missing: {missing}. RLS guidelines ask for both ferritin and TSAT (TSAT is also the "
        "safety check against too much iron). {provisional}",
        "AASM-2024",
    ),
    _d(
        "labs.stale",
        "warning",
        "The iron panel is more than a year old",
        "The latest iron results are from {date} ({days} days before {as_of}). Iron status "
        "changes; retest before acting on them.",
        "AASM-2024",
    ),
    _d(
        "labs.after_iv_iron",
        "warning",
        "Blood drawn too soon after an iron infusion",
        "The panel of {date} was drawn {days} days after IV iron on {iv_date}. Ferritin is "
        "falsely high for about "
        "{th[iv.ferritin_unreliable_days]} days after an infusion, so it is not used to call stores "
        "adequate.",
        "AASM-2024",
    ),
    _d(
        "labs.unit_suspect",
        "urgent",
        "A result looks wrong for its unit",
        "{test} {original} is outside what the body can plausibly have in that unit "
        "({low}-{high} {unit}); was another unit meant? The value is not used until checked.",
        "SEED",
    ),
    _d(
        "labs.future_date",
        "info",
        "A result dated after the assessment date was ignored",
        "{test} dated {date} is after {as_of} and was not used.",
        "SEED",
    ),
    _d(
        "inflammation.ferritin_unreliable",
        "warning",
        "Inflammation makes ferritin look higher",
        "CRP {crp} mg/L is above {th[crp.inflammation]} mg/L. Ferritin rises by about half with inflammation and "
        "may look reassuring when stores are low; TSAT is the better guide now. Repeat "
        "ferritin when the illness has settled.",
        "THURNHAM-2010",
    ),
    _d(
        "anemia.present",
        "warning",
        "Anaemia",
        "Haemoglobin {hb} g/dL is below the WHO cut-off of {cutoff} g/dL for {group}.",
        "WHO-HB-2024",
    ),
    _d(
        "anemia.investigate_cause",
        "urgent",
        "Iron-deficiency anaemia needs its cause found",
        "In {who}, iron-deficiency anaemia calls for a search for blood loss (for example "
        "from the gut). See a doctor soon; this is not routine advice.{menopause_note}",
        "BSG-2021",
    ),
    _d(
        "pregnancy.obstetric_care",
        "info",
        "Pregnancy: decide with your obstetric team",
        "At {weeks} weeks of pregnancy the pregnancy rule applies (oral iron when ferritin is "
        "{th[ferritin.pregnancy_indicated]} µg/L or less or TSAT below "
        "{th[tsat.pregnancy_indicated]} %). Iron and any RLS treatment should be managed "
        "with your obstetric team; this tool does not suggest IV timing.",
        "PREG-2015",
    ),
    _d(
        "pediatric.rule_applied",
        "info",
        "Children's rule applied",
        "At {age} years the paediatric rule applies (oral iron when ferritin is below "
        "{th[ferritin.pediatric_indicated]} µg/L). Dosing belongs to the child's paediatric care.",
        "IRLSSG-2018",
    ),
    _d(
        "pediatric.adult_rule_differs",
        "info",
        "The adult rule would decide differently",
        "The adult rule would give '{adult_decision}' where the children's rule gives "
        "'{decision}'. Sources differ for adolescents; discuss with the paediatric team.",
        "IRLSSG-2018 AASM-2024",
    ),
    _d(
        "kidney.dialysis_rule",
        "info",
        "Dialysis rule applied",
        "On dialysis, IV iron sucrose is the option when ferritin is below "
        "{th[ferritin.dialysis_indicated]} µg/L and TSAT below {th[tsat.dialysis_indicated]} %.",
        "AASM-2024",
    ),
    _d("kidney.nephrology", "info", "Kidney care shapes the choices", "{detail}", "AASM-2024"),
    _d(
        "rls.criteria_not_met",
        "warning",
        "Not all five RLS criteria are met",
        "Not met: {unmet}. Other conditions can mimic RLS (cramps, positional discomfort, "
        "arthritis, venous problems, neuropathy); discuss the diagnosis with a clinician.",
        "IRLSSG-2014",
    ),
    _d(
        "rls.severity",
        "info",
        "RLS severity",
        "IRLS total {total} of {irls_max}: {band_label}.",
        "IRLS-2003",
    ),
    _d(
        "meds.may_worsen_rls",
        "warning",
        "A medicine that may worsen RLS",
        "{generic} (you listed '{entry}'): {label}. {why} {discuss}",
        "AASM-2024 MAYO-2021",
    ),
    _d(
        "meds.augmentation_risk",
        "warning",
        "Risk of augmentation",
        "{generic} (you listed '{entry}'): {label}. {why} {discuss}",
        "AASM-2024",
    ),
    _d(
        "symptoms.iron_deficiency",
        "info",
        "Symptoms that can go with low iron",
        "You reported: {symptoms}. These can have many causes; they are context, not a diagnosis.",
        "SEED",
    ),
    _d(
        "nutrients.folate_low",
        "info",
        "Folate is low",
        "Folate {value} ng/mL is below {limit} ng/mL ({basis}).",
        "SEED",
    ),
    _d(
        "nutrients.b12_low",
        "info",
        "Vitamin B12 is low",
        "Vitamin B12 {value} pg/mL is below {limit} pg/mL ({basis}).",
        "SEED",
    ),
    _d(
        "nutrients.magnesium_low",
        "info",
        "Magnesium is low",
        "Magnesium {value} mmol/L is below {limit} mmol/L ({basis}). Evidence that magnesium "
        "helps RLS is weak.",
        "SEED MAYO-2021",
    ),
    _d(
        "nutrients.vitamin_d_low",
        "info",
        "Vitamin D is low",
        "25-OH vitamin D {value} ng/mL is below {limit} ng/mL ({basis}).",
        "SEED",
    ),
    _d(
        "therapy.low_despite_oral_iron",
        "warning",
        "Iron is still low despite iron tablets",
        "Ferritin {ferritin} µg/L and TSAT {tsat} % on {date}, {weeks} weeks after starting "
        "oral iron on {started}, still meet the criterion for iron in RLS. Tablets may not be "
        "absorbed well enough; IV iron is the guideline's other route.",
        "AASM-2024",
    ),
    _d(
        "therapy.stop_and_review",
        "urgent",
        "Ferritin above 300 while taking iron",
        "Ferritin {ferritin} µg/L on {date} is above {th[therapy.on_iron_ferritin_stop]} µg/L "
        "while you take iron ({route}, since {started}). Guidelines say this is the point to "
        "stop and review: contact the clinician who advised the iron.",
        "AASM-2024",
    ),
    _d(
        "therapy.retest_due",
        "warning",
        "A recheck of iron is due",
        "You started {route} iron on {started}; ferritin and TSAT were due for a recheck by "
        "{due} and no panel since then was given.",
        "AASM-2024",
    ),
)

# kidney.nephrology says one of these, by kidney status.
KIDNEY_NOTES: Mapping[str, str] = MappingProxyType(
    {
        "dialysis": "On dialysis, iron and anaemia are managed with your nephrology team; the "
        "KDIGO anaemia rules are outside this tool.",
        "ckd": "With chronic kidney disease the adult iron rules apply, and several RLS "
        "medicines need their dose adjusted for kidney function: your clinician will take "
        "this into account.",
    }
)

# Templates quote thresholds as {th[id]}, so a number is written once, in thresholds.py;
# they are filled in once, here, leaving only the evidence fields for each finding.
_TH_FIELD = re.compile(r"{th\[([a-z_.]+)\]}")


def _with_thresholds(d: FindingDef) -> FindingDef:
    detail = _TH_FIELD.sub(lambda m: f"{THRESHOLDS[m[1]].value:g}", d.detail)
    return FindingDef(d.code, d.severity, d.title, detail, d.sources)


FINDINGS: Mapping[str, FindingDef] = MappingProxyType({d.code: _with_thresholds(d) for d in _DEFS})


def _show(value: float | str) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return str(value)


def make_finding(code: str, *, sources: tuple[str, ...] = (), **evidence: float | str) -> Finding:
    """Fill the definition's template; extra `sources` are added to the definition's own."""
    d = FINDINGS[code]
    return Finding(
        code=code,
        severity=d.severity,
        title=d.title,
        detail=d.detail.format_map({k: _show(v) for k, v in evidence.items()}),
        sources=tuple(dict.fromkeys(d.sources + sources)) if sources else d.sources,
        evidence={k: v for k, v in evidence.items() if not k.endswith("_note")},
    )
