"""The person's situation as the rules see it: group, menopause, inflammation, iron taken.

Where a fact is missing and a default is used (menopause by age), the context says so, so
findings can tell the person what we assumed.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from rlsiron.core.assessment.decision import Group
from rlsiron.core.knowledge.thresholds import Threshold, threshold
from rlsiron.core.labs.panel import Panel
from rlsiron.core.models import AssessmentInput, IronTherapy
from rlsiron.core.readings import Reading


class Context(NamedTuple):
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


def build_context(inp: AssessmentInput, panel: Panel) -> Context:
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
            (c for c in inp.iron_therapy if c.route == "oral" and ongoing(c, as_of)), None
        ),
        last_iv=max(
            (c.started for c in inp.iron_therapy if c.route == "iv" and c.started <= as_of),
            default=None,
        ),
    )


def ongoing(course: IronTherapy, on: dt.date) -> bool:
    return course.started <= on and (course.ended is None or course.ended >= on)


def panel_date(panel: Panel) -> dt.date | None:
    """The iron panel is as old as the older of its ferritin and TSAT."""
    dates = [d for d in (panel.date_of("ferritin"), panel.tsat_date) if d is not None]
    return min(dates) if dates else None


def stale_days(panel: Panel, ctx: Context) -> int | None:
    date = panel_date(panel)
    if date is None:
        return None
    days = (ctx.as_of - date).days
    return days if threshold("panel.stale_days").holds(Reading(days)) else None


def days_after_iv(panel: Panel, ctx: Context) -> int | None:
    drawn = panel.date_of("ferritin")
    if drawn is None or ctx.last_iv is None or drawn < ctx.last_iv:
        return None
    days = (drawn - ctx.last_iv).days
    return days if threshold("iv.ferritin_unreliable_days").holds(Reading(days)) else None


def who_ferritin_cutoff(ctx: Context) -> tuple[Threshold, str]:
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
