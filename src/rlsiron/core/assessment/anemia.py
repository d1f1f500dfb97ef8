"""Anaemia by the WHO 2024 haemoglobin cut-offs, and when its cause must be looked for."""

from __future__ import annotations

from collections.abc import Iterator

from rlsiron.core.assessment.context import Context, who_ferritin_cutoff
from rlsiron.core.knowledge.findings import make_finding
from rlsiron.core.knowledge.thresholds import (
    HB_ADULT_FROM_YEARS,
    HB_CHILD_MONTHS,
    HB_CHILD_YEARS,
    HB_MEN,
    HB_PREGNANCY,
    HB_WOMEN,
    HbCutoff,
    threshold,
)
from rlsiron.core.labs.panel import Panel
from rlsiron.core.models import Anemia, AssessmentInput, Finding
from rlsiron.core.readings import Reading


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


def assess_anemia(inp: AssessmentInput, panel: Panel) -> Anemia:
    hb = panel.usable("hemoglobin")
    cutoff = hb_cutoff(inp)
    if hb is None or cutoff is None:
        return Anemia(
            present=None,
            threshold_g_dl=cutoff.g_dl if cutoff else None,
            group=cutoff.group if cutoff else None,
        )
    return Anemia(present=hb.lt(cutoff.g_dl), threshold_g_dl=cutoff.g_dl, group=cutoff.group)


def anemia_findings(
    panel: Panel, ctx: Context, anemia: Anemia, f: Reading | None, t: Reading | None
) -> Iterator[Finding]:
    hb = panel.usable("hemoglobin")
    if not anemia.present or hb is None or anemia.threshold_g_dl is None:
        return
    yield make_finding(
        "anemia.present", hb=str(hb), cutoff=anemia.threshold_g_dl, group=anemia.group or ""
    )
    iron_deficient = bool(
        (f is not None and who_ferritin_cutoff(ctx)[0].holds(f))
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
