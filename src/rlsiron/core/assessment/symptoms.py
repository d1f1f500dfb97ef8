"""RLS criteria (IRLSSG-2014), IRLS severity bands (IRLS-2003), the free symptom diary, and
iron-deficiency symptoms.

The IRLS item wording is proprietary (Mapi Research Trust): we take item scores or the
total and never ship the questions. The diary (nights affected per week, 0-10 severity,
sleep quality) is our own, for people without the licensed form; its trend compares the
weekly burden (nights affected / 7 x severity, 0-10) of the earlier and later halves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from statistics import fmean
from types import MappingProxyType
from typing import Literal

from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import make_finding
from rlsiron.core.knowledge.thresholds import IRLS_BANDS, IRLS_MAX, number, threshold
from rlsiron.core.models import (
    AssessmentInput,
    DiaryEntry,
    DiaryOut,
    Finding,
    IrlsBand,
    IronSymptom,
    RlsCriteria,
    RlsInput,
    RlsOut,
)
from rlsiron.core.readings import Reading

CRITERIA_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "urge": "an urge to move the legs, usually with unpleasant sensations",
        "rest": "it begins or worsens at rest",
        "movement_relief": "movement relieves it while the movement lasts",
        "evening": "it is worse, or only present, in the evening or at night",
        "not_mimic": "it is not solely explained by another condition",
    }
)

SYMPTOM_LABELS: Mapping[IronSymptom, str] = MappingProxyType(
    {
        "chronic_fatigue": "chronic fatigue",
        "pale_skin": "pale skin or mucous membranes",
        "weakness": "weakness",
        "cold_extremities": "cold hands and feet",
        "shortness_of_breath": "shortness of breath",
        "frequent_headaches": "frequent headaches",
    }
)

_BANDS: tuple[IrlsBand, ...] = ("none", "mild", "moderate", "severe", "very_severe")
_DAYS_PER_WEEK = 7


def irls_band(total: int) -> IrlsBand:
    """The IRLS-2003 band of a 0-40 total."""
    row = next(b for b in IRLS_BANDS if b.first <= total <= b.last)
    return next(band for band in _BANDS if band == row.band)


def band_label(band: IrlsBand) -> str:
    return next(b.label for b in IRLS_BANDS if b.band == band)


def unmet_criteria(criteria: RlsCriteria) -> tuple[str, ...]:
    return tuple(key for key in CRITERIA_LABELS if getattr(criteria, key) is False)


def criteria_met(criteria: RlsCriteria | None) -> bool | None:
    """All five met: True; any not met: False; otherwise unknown."""
    if criteria is None:
        return None
    answers = [getattr(criteria, key) for key in CRITERIA_LABELS]
    if any(a is False for a in answers):
        return False
    if all(a is True for a in answers):
        return True
    return None


_NOTHING_GIVEN = RlsOut()


def assess_rls(rls: RlsInput | None) -> RlsOut:
    if rls is None:
        return _NOTHING_GIVEN
    total = rls.irls_total if rls.irls_total is not None else _sum_items(rls.irls_items)
    band = irls_band(total) if total is not None else None
    episodes = Reading(rls.episodes_per_week) if rls.episodes_per_week is not None else None
    met = criteria_met(rls.criteria)
    significant = _significant(episodes, band)
    return RlsOut(
        criteria_met=met,
        irls_total=total,
        irls_band=band,
        # Criteria given and not all met: no claim of clinically significant RLS.
        clinically_significant=False if met is False else significant,
        course=_course(episodes),
        diary=summarise_diary(rls.diary),
    )


def _sum_items(items: tuple[int, ...] | None) -> int | None:
    return sum(items) if items is not None else None


def _significant(episodes: Reading | None, band: IrlsBand | None) -> bool | None:
    """AASM-2024: more than twice a week with at least moderate distress."""
    frequent = threshold("rls.episodes_significant").holds(episodes)
    distressing = None
    if band is not None:
        distressing = next(b.significant for b in IRLS_BANDS if b.band == band)
    if frequent is False or distressing is False:
        return False
    if frequent and distressing:
        return True
    return None


def _course(episodes: Reading | None) -> Literal["chronic_persistent", "intermittent"] | None:
    persistent = threshold("rls.chronic_persistent").holds(episodes)
    if persistent is None:
        return None
    return "chronic_persistent" if persistent else "intermittent"


def _burden(entry: DiaryEntry) -> float:
    return entry.nights_affected / _DAYS_PER_WEEK * entry.severity


def summarise_diary(diary: Sequence[DiaryEntry]) -> DiaryOut | None:
    """Span, latest week, and (with two or more entries) the trend between the halves."""
    if not diary:
        return None
    entries = sorted(diary, key=lambda e: e.date)
    trend: Literal["better", "worse", "stable"] | None = None
    if len(entries) >= 2:
        half = len(entries) // 2
        change = fmean(map(_burden, entries[-half:])) - fmean(map(_burden, entries[:half]))
        step = number("diary.trend_points").value
        trend = "worse" if change >= step else "better" if change <= -step else "stable"
    return DiaryOut(
        entries=len(entries),
        first=entries[0].date,
        last=entries[-1].date,
        nights_affected_latest=entries[-1].nights_affected,
        severity_latest=entries[-1].severity,
        trend=trend,
    )


_TREND_WORDS = {
    None: "one entry so far; a trend shows once there are more.",
    "better": "symptoms have eased (fewer nights or milder).",
    "worse": "symptoms have grown (more nights or stronger): worth telling your clinician.",
    "stable": "symptoms are about the same.",
}


def symptom_findings(inp: AssessmentInput, out: RlsOut) -> Iterator[Finding]:
    rls = inp.rls
    if rls is not None and rls.criteria is not None:
        unmet = unmet_criteria(rls.criteria)
        if unmet:
            yield make_finding(
                FindingCode.RLS_CRITERIA_NOT_MET,
                unmet="; ".join(CRITERIA_LABELS[k] for k in unmet),
            )
    if out.irls_total is not None and out.irls_band is not None:
        yield make_finding(
            FindingCode.RLS_SEVERITY,
            total=out.irls_total,
            irls_max=IRLS_MAX,
            band_label=band_label(out.irls_band),
        )
    if out.diary is not None:
        latest = (
            f" Latest week: {out.diary.nights_affected_latest} nights, severity "
            f"{out.diary.severity_latest} of 10."
        )
        yield make_finding(
            FindingCode.RLS_DIARY_TREND,
            entries=out.diary.entries,
            first=out.diary.first.isoformat(),
            last=out.diary.last.isoformat(),
            trend=_TREND_WORDS[out.diary.trend] + latest,
        )
    if inp.symptoms:
        yield make_finding(
            FindingCode.SYMPTOMS_IRON_DEFICIENCY,
            symptoms=", ".join(SYMPTOM_LABELS[s] for s in dict.fromkeys(inp.symptoms)),
        )
