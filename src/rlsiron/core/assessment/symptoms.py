"""RLS criteria (IRLSSG-2014), IRLS severity bands (IRLS-2003) and iron-deficiency symptoms.

The IRLS item wording is proprietary (Mapi Research Trust): we take item scores or the
total and never ship the questions.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rlsiron.core.knowledge.thresholds import IRLS_BANDS, IRLS_SIGNIFICANT_BAND, threshold
from rlsiron.core.models import IrlsBand, IronSymptom, RlsCriteria, RlsInput, RlsOut
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

BAND_LABELS: Mapping[IrlsBand, str] = MappingProxyType(
    {
        "none": "no symptoms",
        "mild": "mild",
        "moderate": "moderate",
        "severe": "severe",
        "very_severe": "very severe",
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

_BAND_ORDER: tuple[IrlsBand, ...] = ("none", "mild", "moderate", "severe", "very_severe")


def irls_band(total: int) -> IrlsBand:
    """The IRLS-2003 band of a 0-40 total."""
    band: IrlsBand = "none"
    for lowest, name in IRLS_BANDS:
        if total >= lowest:
            band = _as_band(name)
    return band


def _as_band(name: str) -> IrlsBand:
    for band in _BAND_ORDER:
        if band == name:
            return band
    raise ValueError(f"unknown IRLS band {name!r} in thresholds")


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


def assess_rls(rls: RlsInput | None) -> RlsOut:
    if rls is None:
        return RlsOut()
    total = rls.irls_total if rls.irls_total is not None else _sum_items(rls.irls_items)
    band = irls_band(total) if total is not None else None
    episodes = Reading(rls.episodes_per_week) if rls.episodes_per_week is not None else None
    return RlsOut(
        criteria_met=criteria_met(rls.criteria),
        irls_total=total,
        irls_band=band,
        clinically_significant=_significant(episodes, band),
        course=_course(episodes),
    )


def _sum_items(items: tuple[int, ...] | None) -> int | None:
    return sum(items) if items is not None else None


def _significant(episodes: Reading | None, band: IrlsBand | None) -> bool | None:
    """AASM-2024: more than twice a week with at least moderate distress."""
    frequent = threshold("rls.episodes_significant").holds(episodes)
    distressing = (
        None
        if band is None
        else _BAND_ORDER.index(band) >= _BAND_ORDER.index(_as_band(IRLS_SIGNIFICANT_BAND))
    )
    if frequent is False or distressing is False:
        return False
    if frequent and distressing:
        return True
    return None


def _course(episodes: Reading | None) -> str | None:
    persistent = threshold("rls.chronic_persistent").holds(episodes)
    if persistent is None:
        return None
    return "chronic_persistent" if persistent else "intermittent"
