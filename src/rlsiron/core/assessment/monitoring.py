"""When to retest: after starting iron, after an infusion, yearly; and overdue rechecks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence

from rlsiron.core.assessment.context import Context, infusion_before_panel, panel_date
from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import make_finding
from rlsiron.core.knowledge.thresholds import NUMBERS
from rlsiron.core.labs.panel import Panel
from rlsiron.core.models import AssessmentInput, Finding, NextTest
from rlsiron.core.rules.decide import Outcome

_IRON = ("ferritin", "tsat")
PANEL_TESTS = frozenset({"ferritin", "tsat", "iron"})


def therapy_findings(
    panel: Panel,
    ctx: Context,
    outcome: Outcome,
    shown: Mapping[str, str],
) -> Iterator[Finding]:
    if ctx.course is None:
        return
    route, started = ctx.course
    due = recheck_date(ctx)
    assert due is not None
    if due <= ctx.as_of and not _panel_since(panel, started):
        yield make_finding(
            FindingCode.THERAPY_RETEST_DUE,
            route=route,
            started=started.isoformat(),
            due=due.isoformat(),
        )
    drawn = panel_date(panel)
    if route == "oral" and drawn is not None and drawn >= due and outcome.decision == "indicated":
        yield make_finding(
            FindingCode.THERAPY_LOW_DESPITE_ORAL_IRON,
            fields=shown,
            date=drawn.isoformat(),
            weeks=(drawn - started).days // 7,
            started=started.isoformat(),
        )


def _panel_since(panel: Panel, started: dt.date) -> bool:
    """Any iron result drawn after the course started, the latest or an older one."""
    rows = [*panel.latest.values(), *panel.history]
    return any(r.analyte.key in PANEL_TESTS and r.date > started for r in rows)


def recheck_date(ctx: Context) -> dt.date | None:
    """When the current course's recheck is due: 12 weeks after tablets, 8 after an infusion."""
    if ctx.course is None:
        return None
    return ctx.course.started + recheck_interval(ctx.course.route)


def recheck_interval(route: str) -> dt.timedelta:
    """From the start of a course to its recheck: 8 weeks after an infusion ("IV"), 12
    after tablets (the batch screener reads the same)."""
    return _weeks("retest.after_iv_weeks" if route == "IV" else "retest.after_oral_weeks")


def _weeks(id: str) -> dt.timedelta:
    return dt.timedelta(weeks=NUMBERS[id].value)


def next_tests(
    panel: Panel,
    inp: AssessmentInput,
    ctx: Context,
    outcome: Outcome,
    findings: Sequence[Finding],
) -> tuple[NextTest, ...]:
    fasting = f"{NUMBERS['oral.fasting_hours'].value:g}"
    urgent = next((f for f in findings if f.severity == "urgent"), None)
    codes = {f.code for f in findings}
    if outcome.decision == "test_first" and FindingCode.LABS_AFTER_IV_IRON in codes:
        infusion = infusion_before_panel(panel, inp)
        assert infusion is not None
        due = max(infusion + _weeks("retest.after_iv_weeks"), ctx.as_of)
        return (NextTest(tests=_IRON, due=due, why=outcome.why),)
    if FindingCode.IRON_HEMOCHROMATOSIS in codes:
        why = "As your haematology or liver team schedules them (for example with venesection)."
        return (NextTest(tests=_IRON, due=ctx.as_of, why=why),)
    if outcome.decision == "contraindicated":
        why = (
            f"Repeat a morning draw with no iron for {fasting} hours, reviewed by a "
            "clinician (and HFE testing if TSAT stays high)."
        )
        return (NextTest(tests=_IRON, due=ctx.as_of, why=why),)
    if urgent is not None:
        # An urgent finding sets the next step by the review it asks for, never "in a year".
        why = (
            f"{urgent.title}: the review this asks for comes first; retest as that "
            "clinician advises."
        )
        return (NextTest(tests=_IRON, due=ctx.as_of, why=why),)
    if outcome.decision == "test_first":
        return (NextTest(tests=_IRON, due=ctx.as_of, why=outcome.why),)
    drawn = panel_date(panel)
    recheck = recheck_date(ctx)
    if ctx.course is not None and recheck is not None:
        if not _panel_since(panel, ctx.course.started) or drawn is None or drawn < recheck:
            why = f"The recheck after starting {ctx.course.route} iron."
            return (NextTest(tests=_IRON, due=max(recheck, ctx.as_of), why=why),)
        if ctx.oral_iron is not None:
            why = "Keep checking while you take iron tablets, to see they work and stay safe."
            next_due = max(drawn + _weeks("retest.after_oral_weeks"), ctx.as_of)
            return (NextTest(tests=_IRON, due=next_due, why=why),)
    if outcome.decision == "indicated":
        why = (
            "If you and your clinician start iron: recheck about "
            f"{NUMBERS['retest.after_oral_weeks'].value:g} weeks after starting tablets, or "
            f"{NUMBERS['retest.after_iv_weeks'].value:g} or more weeks after an infusion."
        )
        return (NextTest(tests=_IRON, due=ctx.as_of + _weeks("retest.after_oral_weeks"), why=why),)
    yearly = _add_months(drawn or ctx.as_of, int(NUMBERS["retest.routine_months"].value))
    why = "At least yearly, and sooner if RLS symptoms return or worsen."
    return (NextTest(tests=_IRON, due=max(yearly, ctx.as_of), why=why),)


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    target = dt.date(day.year + year, month + 1, 1)
    last = (_next_month(target) - dt.timedelta(days=1)).day
    return target.replace(day=min(day.day, last))


def _next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
