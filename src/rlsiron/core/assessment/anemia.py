"""Anaemia by the WHO 2024 haemoglobin cut-offs, and when its cause must be looked for."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache

from rlsiron.core.assessment.context import Context
from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import make_finding
from rlsiron.core.knowledge.thresholds import HB_CUTOFFS, HbCutoff, threshold
from rlsiron.core.labs.panel import Panel
from rlsiron.core.models import Anemia, AssessmentInput, Finding
from rlsiron.core.readings import Reading
from rlsiron.core.rules.expressions import Value

_MONTHS_PER_YEAR = 12


def hb_cutoff(inp: AssessmentInput) -> HbCutoff | None:
    """WHO-HB-2024 cut-off for this person (first matching row), or None (under 6 months)."""
    p = inp.person
    return _cutoff(p.sex, p.age_years, p.age_months, p.pregnancy_weeks)


@lru_cache(maxsize=1024)
def _cutoff(
    sex: str, age_years: int, age_months: int | None, pregnancy_weeks: int | None
) -> HbCutoff | None:
    """Cached: the answer depends on these four facts only, and people share them."""
    for row in HB_CUTOFFS:
        measure = _measure(row, age_years, age_months, pregnancy_weeks)
        if (
            (row.sex is None or row.sex == sex)
            and measure is not None
            and row.first <= measure <= row.last
        ):
            return row
    return None


def _measure(
    row: HbCutoff, age_years: int, age_months: int | None, pregnancy_weeks: int | None
) -> int | None:
    """What the row counts for this person: pregnancy weeks, completed months or years."""
    if row.basis == "pregnancy_weeks":
        return pregnancy_weeks
    if row.basis == "years":
        return age_years
    if age_months is not None:
        return age_months
    # Completed years give the first month of that year, which lies in the same WHO group:
    # the groups split at whole years from 2, and 12-23 months lie inside 6-23.
    return age_years * _MONTHS_PER_YEAR if age_years >= 1 else None


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
    panel: Panel,
    ctx: Context,
    anemia: Anemia,
    values: Mapping[str, Value],
    shown: Mapping[str, str],
) -> Iterator[Finding]:
    if not anemia.present or anemia.threshold_g_dl is None or panel.usable("hemoglobin") is None:
        return
    yield make_finding(
        FindingCode.ANEMIA_PRESENT,
        fields=shown,
        cutoff=anemia.threshold_g_dl,
        group=anemia.group or "",
    )
    t = values["tsat"]
    iron_deficient = values["who_deficient"] is True or (
        isinstance(t, Reading) and threshold("tsat.rls_indicated").holds(t) is True
    )
    adult = not threshold("age.pediatric").holds(Reading(ctx.age_years))
    if iron_deficient and adult and (not ctx.female or ctx.postmenopausal):
        who = "a postmenopausal woman" if ctx.female else "a man"
        note = (
            " Menopause status was not given; at this age we counted you as "
            "postmenopausal (our default)."
            if ctx.menopause_assumed
            else ""
        )
        yield make_finding(FindingCode.ANEMIA_INVESTIGATE_CAUSE, who=who, menopause_note=note)
