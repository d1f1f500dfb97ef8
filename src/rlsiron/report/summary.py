"""Shared wording for every renderer, so the terminal and Markdown reports say the same."""

from __future__ import annotations

from rlsiron.core.knowledge.thresholds import PROFILES, UNIT_TEXT
from rlsiron.core.models import Assessment, Finding, LabValue

DECISION_HEADLINE = {
    "indicated": "Iron therapy: worth discussing with your clinician",
    "not_indicated": "Iron therapy: not suggested",
    "contraindicated": "Iron therapy: do not take iron (clinician review needed)",
    "test_first": "Iron therapy: test first",
}

ROUTE_WORDS = {"oral": "tablets (oral)", "iv": "infusion (IV)"}


def headline(a: Assessment) -> str:
    text = DECISION_HEADLINE[a.iron_therapy.decision]
    if a.iron_therapy.routes:
        text += " — " + " or ".join(ROUTE_WORDS[r] for r in a.iron_therapy.routes)
    return text


def lab_line(lab: LabValue) -> tuple[str, str, str, str]:
    """(test, value with unit, date, provenance) for a results table."""
    value = f"{lab.shown} {UNIT_TEXT.get(lab.unit, lab.unit)}"
    provenance: str
    if lab.source != "reported":
        provenance = lab.source
    elif lab.original and lab.original.split(" ", 1)[-1] != lab.unit:
        provenance = f"from {lab.original}"
    else:
        provenance = ""
    if not lab.plausible:
        provenance = (provenance + "; " if provenance else "") + "implausible: not used"
    return lab.display, value, lab.date.isoformat(), provenance


def anemia_line(a: Assessment) -> str:
    an = a.anemia
    if an.present is None:
        if an.threshold_g_dl is None:
            return "Anaemia: not assessed (WHO gives no haemoglobin cut-off at this age)"
        return "Anaemia: not assessed (no haemoglobin result)"
    state = "present" if an.present else "not present"
    return f"Anaemia: {state} (WHO cut-off {an.threshold_g_dl:g} g/dL for {an.group})"


def rls_line(a: Assessment) -> str | None:
    r = a.rls
    parts = []
    if r.criteria_met is not None:
        parts.append("all five criteria met" if r.criteria_met else "criteria not all met")
    if r.irls_total is not None and r.irls_band is not None:
        parts.append(f"IRLS {r.irls_total}/40 ({r.irls_band.replace('_', ' ')})")
    if r.clinically_significant is not None:
        parts.append(
            "clinically significant" if r.clinically_significant else "not clinically significant"
        )
    return "RLS: " + ", ".join(parts) if parts else None


def evidence_note(finding: Finding, *, in_brackets: bool = False) -> str:
    """ "expert consensus" beside findings that rest on no guideline (REFERENCE additions):
    " (expert consensus)" after a title, ", expert consensus" inside a bracket."""
    if finding.evidence_level != "expert_consensus":
        return ""
    return ", expert consensus" if in_brackets else " (expert consensus)"


def profile_line(a: Assessment) -> str:
    """The profile by id and by the words a reader understands."""
    return f"{a.profile} ({PROFILES[a.profile].label})"
