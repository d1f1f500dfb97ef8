"""When to retest: after starting iron, after an infusion, yearly; and overdue rechecks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from rlsiron.core.assessment.context import Context, panel_date
from rlsiron.core.assessment.decision import Outcome
from rlsiron.core.knowledge.findings import make_finding
from rlsiron.core.knowledge.thresholds import NUMBERS, threshold
from rlsiron.core.labs.panel import Panel
from rlsiron.core.models import Finding, NextTest


def therapy_findings(panel: Panel, ctx: Context, outcome: Outcome) -> Iterator[Finding]:
    due = retest_due(ctx)
    if due is None:
        return
    route, started, when = due
    drawn = panel_date(panel)
    if when <= ctx.as_of and (drawn is None or drawn < when):
        yield make_finding(
            "therapy.retest_due", route=route, started=started.isoformat(), due=when.isoformat()
        )
    f, t = panel.usable("ferritin"), panel.tsat
    f_date = panel.date_of("ferritin")
    if (
        f_date is not None
        and f_date >= started
        and threshold("therapy.on_iron_ferritin_stop").holds(f)
    ):
        yield make_finding(
            "therapy.stop_and_review",
            ferritin=str(f),
            date=f_date.isoformat(),
            route=route,
            started=started.isoformat(),
        )
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


def retest_due(ctx: Context) -> tuple[str, dt.date, dt.date] | None:
    """(route, started, recheck date) for the most recent course of iron, if any."""
    if ctx.last_iv is not None and (ctx.oral_iron is None or ctx.last_iv >= ctx.oral_iron.started):
        return "IV", ctx.last_iv, ctx.last_iv + _weeks("retest.after_iv_weeks")
    if ctx.oral_iron is not None:
        started = ctx.oral_iron.started
        return "oral", started, started + _weeks("retest.after_oral_weeks")
    return None


def _weeks(id: str) -> dt.timedelta:
    return dt.timedelta(weeks=NUMBERS[id].value)


def next_tests(panel: Panel, ctx: Context, outcome: Outcome) -> tuple[NextTest, ...]:
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
    drawn = panel_date(panel)
    course = retest_due(ctx)
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
