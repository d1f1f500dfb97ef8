"""From named values to the screener's answer: decision, routes, finding codes, care gap.

The decision and the data-driven findings are the rule table's, compiled (`compiler`).
A few findings the engine raises in code depend only on the same inputs, and are computed
here from the same columns: a missing panel, a result implausible in its unit, a result
dated after the day, an overdue recheck on iron, low results despite tablets, conditions
the rules do not read. SCREENED_CODES lists every code the screener can give; the
differential test compares the engine's codes within that set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import ibis
import ibis.expr.types as ir

from rlsiron.core.assessment.monitoring import recheck_interval
from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import FINDINGS
from rlsiron.core.knowledge.rules import DECISIONS
from rlsiron.pipe_table import DataFileError, Row, parse_table, unique
from rlsiron.screen import compiler

C = FindingCode
CODE_RAISED: Final = (
    C.LABS_MISSING,
    C.LABS_UNIT_SUSPECT,
    C.LABS_FUTURE_DATE,
    C.THERAPY_RETEST_DUE,
    C.THERAPY_LOW_DESPITE_ORAL_IRON,
    C.CONTEXT_CONDITION_NOT_USED,
)
SCREENED_CODES: Final = frozenset(
    {code for code, d in FINDINGS.items() if d.variants} | set(CODE_RAISED)
)


def code_findings(t: ir.Table, as_of: dt.date) -> dict[FindingCode, ir.BooleanValue]:
    """The code-raised findings the inputs determine, as `core.assessment` raises them."""
    day = ibis.literal(as_of)
    interval = (t.course_route == "IV").ifelse(
        recheck_interval("IV").days, recheck_interval("oral").days
    )
    due = t.course_start + interval.as_interval("D")
    panel_since = (t.last_panel_draw > t.course_start).fill_null(False)
    return {
        C.LABS_MISSING: t[compiler.compared("ferritin")].isnull()
        | t[compiler.compared("tsat")].isnull(),
        C.LABS_UNIT_SUSPECT: (t.any_implausible == 1).fill_null(False),
        C.LABS_FUTURE_DATE: (t.future_rows > 0).fill_null(False),
        C.THERAPY_RETEST_DUE: (t.course_start.notnull() & (due <= day) & ~panel_since).fill_null(
            False
        ),
        C.THERAPY_LOW_DESPITE_ORAL_IRON: (
            (t.course_route == "oral") & (t.panel_date >= due) & (t.decision == "indicated")
        ).fill_null(False),
        C.CONTEXT_CONDITION_NOT_USED: (t.conditions_unused > 0).fill_null(False),
    }


@dataclass(frozen=True, slots=True)
class CareGap:
    """One row of care_gaps.txt."""

    id: str
    codes: frozenset[str]
    decision: str | None
    untreated: bool
    meaning: str


def _care_gap(row: Row) -> CareGap:
    codes: set[str] = set()
    for word in row.words("findings"):
        if word == "-":
            continue
        if word.startswith("flag:"):
            flag = word.removeprefix("flag:")
            carriers = {code for code, d in FINDINGS.items() if flag in d.flags}
            if not carriers:
                raise row.error(f"no finding carries the flag {flag!r}")
            codes |= carriers
        elif word in FINDINGS:
            codes.add(word)
        else:
            raise row.error(f"unknown finding code {word!r}")
    if not codes <= SCREENED_CODES:
        raise row.error(f"the screener cannot raise {sorted(codes - SCREENED_CODES)}")
    decision = None if row["decision"] == "-" else row.choice("decision", DECISIONS)
    return CareGap(
        row["care_gap"], frozenset(codes), decision, row["course"] == "none", row["meaning"]
    )


@cache
def care_gaps() -> tuple[CareGap, ...]:
    """care_gaps.txt, checked against the findings and decisions that exist."""
    text = resources.files("rlsiron.screen").joinpath("data", "care_gaps.txt").read_text("utf-8")
    rows = parse_table(
        text, "care_gaps.txt", ("care_gap", "findings", "decision", "course", "meaning")
    )
    gaps = tuple(_care_gap(row) for _, row in unique(rows, "care_gap"))
    last = gaps[-1]
    if last.codes or last.decision or last.untreated:
        raise DataFileError("care_gaps.txt", f"the last row ({last.id}) must match everyone")
    return gaps


def with_outcome(t: ir.Table, profile: str, as_of: dt.date) -> ir.Table:
    """Decision, rule, routes, the raised codes (a list) and the care gap, per person."""
    t = compiler.with_decision(compiler.with_group(compiler.with_derived(t)), profile)
    raised = compiler.without_unless(
        {**compiler.finding_columns(t, profile), **code_findings(t, as_of)}
    )
    t = t.mutate(**{_flag(code): holds for code, holds in raised.items()})
    codes = ibis.array(
        [t[_flag(code)].ifelse(ibis.literal(code), ibis.null("string")) for code in raised]
    ).filter(lambda code: code.notnull())
    branches = []
    for gap in care_gaps():
        matches: ir.BooleanValue = ibis.literal(True)
        if gap.codes:
            any_code = ibis.literal(False)
            for code in sorted(gap.codes & raised.keys()):
                any_code = any_code | t[_flag(code)]
            matches = matches & any_code
        if gap.decision is not None:
            matches = matches & (t.decision == gap.decision).fill_null(False)
        if gap.untreated:
            matches = matches & t.course_start.isnull()
        branches.append((matches, ibis.literal(gap.id)))
    return t.mutate(codes=codes, care_gap=ibis.cases(*branches, else_=ibis.null("string")))


def _flag(code: str) -> str:
    """The column holding whether a finding is raised."""
    return "raised__" + code.replace(".", "__")
