"""The rule table is the only place a decision is made: a second interpreter agrees with assess.

The second interpreter is SQL. Each condition of rules.toml is translated from its text into
a SQLite expression (NULL logic is the same three-valued logic), the ordered rules into one
CASE (`WHEN cond IS NULL THEN 'undetermined'` before `WHEN cond THEN rule`, because a CASE
falls through on NULL), and one-sided results into CASEs over a value and its qualifier.
This is what the batch screener will do with dataframes; it shares nothing with the engine's
interpreter but the rows themselves.

Three checks: on generated named values the two interpreters pick the same rule; on a grid
around every threshold, for every group, each row of the table is picked somewhere and the
two agree everywhere; on generated documents `assess` decides exactly what the table says
for the values it read.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlsiron.core.assessment.assess import assess, prepare
from rlsiron.core.knowledge.findings import FINDINGS
from rlsiron.core.knowledge.rules import RULES, VALUES
from rlsiron.core.knowledge.thresholds import PROFILES, THRESHOLDS
from rlsiron.core.readings import Reading
from rlsiron.core.rules.decide import decide, group_of, rules_for, with_derived
from rlsiron.core.rules.expressions import Value, evaluate
from rlsiron.core.validation import parse_input
from tests.core.test_engine_properties import Case, cases

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ the SQL interpreter

_COMPARISON = re.compile(r"([a-z_]+)\s*(<=|>=|<|>)\s*([A-Za-z0-9_.-]+)")
_KNOWN = re.compile(r"known\(([a-z_]+)\)")
_NAME = re.compile(r"\b[a-z_]+\b")


def _lt(v: str, q: str, limit: float) -> str:
    """Is the true value < limit? Three-valued, over a value column and its qualifier."""
    return (
        f"(CASE {q} WHEN '=' THEN {v} < {limit} "
        f"WHEN '<' THEN CASE WHEN {v} <= {limit} THEN 1 END "
        f"WHEN '<=' THEN CASE WHEN {v} < {limit} THEN 1 END "
        f"ELSE CASE WHEN {v} >= {limit} THEN 0 END END)"
    )


def _le(v: str, q: str, limit: float) -> str:
    return (
        f"(CASE {q} WHEN '=' THEN {v} <= {limit} "
        f"WHEN '<' THEN CASE WHEN {v} <= {limit} THEN 1 END "
        f"WHEN '<=' THEN CASE WHEN {v} <= {limit} THEN 1 END "
        f"WHEN '>' THEN CASE WHEN {v} >= {limit} THEN 0 END "
        f"ELSE CASE WHEN {v} > {limit} THEN 0 END END)"
    )


def _comparison(match: re.Match[str]) -> str:
    name, op, threshold_id = match[1], match[2], match[3]
    limit = THRESHOLDS[threshold_id].value
    v, q = f'"{name}"', f'"{name}__q"'
    return {
        "<": _lt(v, q, limit),
        "<=": _le(v, q, limit),
        ">": f"(NOT {_le(v, q, limit)})",
        ">=": f"(NOT {_lt(v, q, limit)})",
    }[op]


def to_sql(condition: str) -> str:
    """A rules.toml condition as a SQLite expression over the named-value columns."""
    sql = _COMPARISON.sub(lambda m: "\0" + _comparison(m) + "\0", condition)
    pieces = sql.split("\0")
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:  # an already compiled comparison
            out.append(piece)
            continue
        piece = _KNOWN.sub(lambda m: f"({m[1]} IS NOT NULL)", piece)
        piece = re.sub(r"\btrue\b", "1", re.sub(r"\bfalse\b", "0", piece))
        piece = _NAME.sub(
            lambda m: m[0] if m[0] in ("and", "or", "not") else f'"{m[0]}"',
            piece,
        )
        out.append(piece)
    return "".join(out)


def _ordered_case(rules: list[tuple[str, str]]) -> str:
    whens = " ".join(
        f"WHEN ({to_sql(when)}) IS NULL THEN 'undetermined' WHEN ({to_sql(when)}) THEN '{rule}'"
        for rule, when in rules
    )
    return f"CASE {whens} END"


@cache
def _database() -> sqlite3.Connection:
    return sqlite3.connect(":memory:")


@cache
def decision_sql(profile: str) -> str:
    """One SELECT: derived booleans in order, then the group, then the ordered rules."""
    quantity = [n for n, v in VALUES.items() if v.kind == "quantity"]
    boolean = [n for n, v in VALUES.items() if v.kind == "boolean"]
    columns = [*quantity, *(f"{n}__q" for n in quantity), *boolean]
    source = "SELECT " + ", ".join(f':{c} AS "{c}"' for c in columns)
    for derived in RULES.derived:
        source = f'SELECT *, ({to_sql(derived.when.text)}) AS "{derived.name}" FROM ({source})'
    groups = " ".join(f"WHEN {to_sql(g.when.text)} THEN '{g.id}'" for g in RULES.groups)
    source = f'SELECT *, CASE {groups} END AS "group" FROM ({source})'
    by_group = " ".join(
        f"WHEN '{g.id}' THEN "
        + _ordered_case([(r.id, r.when.text) for r in rules_for(g.id, profile)])
        for g in RULES.groups
    )
    return f'SELECT CASE "group" {by_group} END FROM ({source})'


def sql_rule(values: Mapping[str, Value], profile: str) -> str:
    params: dict[str, Any] = {}
    for name, definition in VALUES.items():
        if name.startswith(("group_", "decision_")):
            continue
        value = values[name]
        if definition.kind == "quantity":
            assert value is None or isinstance(value, Reading)
            params[name] = None if value is None else value.compared
            params[f"{name}__q"] = None if value is None else value.qualifier
        else:
            params[name] = value
    for name in VALUES:
        params.setdefault(name, None)
        params.setdefault(f"{name}__q", None)
    (rule,) = _database().execute(decision_sql(profile), params).fetchone()
    assert isinstance(rule, str)
    return rule


# ------------------------------------------------------------------ generated named values


def readings(low: float, high: float, unit: str) -> st.SearchStrategy[Reading | None]:
    """Unknown, or a value (often exact, sometimes one-sided) near the unit's thresholds."""
    edges = sorted({t.value for t in THRESHOLDS.values() if t.unit == unit})
    near = st.sampled_from(edges or [low]).flatmap(
        lambda edge: st.sampled_from([edge - 0.1, edge, edge + 0.1, edge * 1.1, edge * 0.9])
    )
    number = (st.floats(low, high, allow_nan=False) | near).map(
        lambda x: round(min(max(x, low), high), 1)
    )
    qualifier = st.sampled_from(["=", "=", "=", "=", "<", "<=", ">", ">="])
    return st.none() | st.builds(Reading, number, qualifier)


@st.composite
def named_values(draw: st.DrawFn) -> dict[str, Value]:
    ferritin = draw(readings(0, 1500, "ug/L"))
    tsat = draw(readings(1, 100, "%"))
    tsat_other = draw(st.none() | readings(1, 100, "%"))
    values: dict[str, Value] = {
        "ferritin": ferritin,
        "tsat": tsat,
        "tsat_max": tsat,
        "tsat_min": tsat,
        "tsat_gap": None,
        "hemoglobin": draw(readings(5, 18, "g/dL")),
        "crp": draw(readings(0, 50, "mg/L")),
        "egfr": draw(readings(2, 120, "mL/min/1.73m2")),
        "ferritin_on_iron": draw(st.none() | st.just(ferritin)),
        "age": Reading(draw(st.integers(0, 100))),
        "panel_age": draw(st.none() | st.integers(0, 800).map(Reading)),
        "days_after_iv": draw(st.none() | st.integers(0, 120).map(Reading)),
    }
    if isinstance(tsat, Reading) and isinstance(tsat_other, Reading):
        high, low = sorted((tsat, tsat_other), key=lambda r: r.compared, reverse=True)
        values.update(tsat_max=high, tsat_min=low)
        if tsat.exact and tsat_other.exact:
            values["tsat_gap"] = Reading(abs(tsat.compared - tsat_other.compared))
    for name, definition in VALUES.items():
        if definition.kind == "boolean" and not name.startswith(("group_", "decision_")):
            values[name] = draw(st.sampled_from([False, False, False, True]))
    return values


@SETTINGS
@given(named_values(), st.sampled_from(sorted(PROFILES)))
def test_sql_and_the_engine_pick_the_same_rule(values: dict[str, Value], profile: str) -> None:
    full = with_derived(values)
    engine = decide(full, profile, group_of(full)).rule
    assert sql_rule(values, profile) == engine


def _grid() -> list[dict[str, Value]]:
    """Values on and around every decision threshold, for every group and the flags."""
    base = {name: False for name, v in VALUES.items() if v.kind == "boolean"}
    base.update(dict.fromkeys((n for n, v in VALUES.items() if v.kind == "quantity"), None))
    people = [
        {"age": Reading(40)},
        {"age": Reading(10)},
        {"age": Reading(30), "pregnant": True, "female": True},
        {"age": Reading(60), "dialysis": True, "kidney_known": True},
    ]
    grid = []
    for person in people:
        for ferritin in (None, 10, 49.9, 60, 75, 80, 100, 150, 250, 300, 1200):
            for tsat, other in ((None, None), (15, None), (25, None), (50, None), (25, 15)):
                for flags in ({}, {"hemochromatosis": True}):
                    for panel_age, after in ((30, None), (400, None), (30, 10)):
                        values: dict[str, Value] = {**base, **person, **flags}
                        values.update(
                            ferritin=None if ferritin is None else Reading(ferritin),
                            tsat=None if tsat is None else Reading(tsat),
                            tsat_max=None if tsat is None else Reading(tsat),
                            tsat_min=None if tsat is None else Reading(other or tsat),
                            panel_age=Reading(panel_age),
                            days_after_iv=None if after is None else Reading(after),
                        )
                        grid.append(values)
    return grid


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_row_of_the_table_decides_somewhere_and_sql_agrees_there(profile: str) -> None:
    picked = set()
    for values in _grid():
        full = with_derived(values)
        rule = decide(full, profile, group_of(full)).rule
        assert sql_rule(values, profile) == rule, values
        picked.add(rule)
    table = {r.id for r in RULES.rules if r.profiles is None or profile in r.profiles}
    assert table <= picked, f"rows never reached: {sorted(table - picked)}"


@SETTINGS
@given(cases())
def test_assess_decides_exactly_what_the_table_says(case: Case) -> None:
    inp = parse_input(case.doc())
    as_of: dt.date = case.as_of
    result = assess(inp, as_of=as_of, plan=False)
    prepared = prepare(inp, as_of)
    assert result.iron_therapy.rule == sql_rule(prepared.values, prepared.profile)
    assert result.plan is None


ALL_CONDITIONS = [
    *(d.when for d in RULES.derived),
    *(g.when for g in RULES.groups),
    *(r.when for r in RULES.rules),
    *(v.when for f in FINDINGS.values() for v in f.variants),
]


@SETTINGS
@given(named_values())
def test_generated_code_and_the_reference_interpreter_agree_on_every_condition(
    values: dict[str, Value],
) -> None:
    # The engine runs conditions as generated Python (speed); `evaluate` walks the tree.
    full = with_derived(values)
    full.update(dict.fromkeys((n for n in VALUES if n.startswith(("group_", "decision_"))), False))
    for condition in ALL_CONDITIONS:
        truth = evaluate(condition.expr, full)
        assert condition.test(full) is truth, condition.text
        assert condition.holds(full) is (truth is True), condition.text
