"""The rule table compiled to Ibis: the engine's conditions as dataframe expressions.

The engine interprets each condition of rules.toml and findings.toml for one person
(`core.rules.expressions`); this module turns the same parsed trees into column
expressions for a whole table, so one definition runs on DuckDB, PostgreSQL and Spark. A
rule added to the table appears here without a line of code.

Three-valued logic is SQL's own: a NULL boolean is "unknown", and SQL's AND, OR and NOT
are Kleene's, as the engine's are. A quantity is two columns, `<name>__c` (the value at
its reported precision, as `Reading.compared`) and `<name>__q` (its qualifier, "=" when
exact); a comparison is true or false only where the engine's `Reading` comparison is, and
NULL where a one-sided result straddles the threshold. `ibis.cases` falls through to
`else_` on a NULL condition (DESIGN.md), so unknown branches are always written out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import ibis
import ibis.expr.types as ir

from rlsiron.core.knowledge.codes import FindingCode
from rlsiron.core.knowledge.findings import FINDINGS
from rlsiron.core.knowledge.rules import DECISIONS, RULES, VALUES
from rlsiron.core.rules.decide import rules_for
from rlsiron.core.rules.expressions import (
    And,
    Comparison,
    Constant,
    Expr,
    Fact,
    Known,
    Not,
    Or,
)

UNKNOWN: Final = ibis.null("boolean")
UNDETERMINED_RULE: Final = "undetermined"  # the engine's rule id for a fail-closed stop
_LOWER: Final = ("<", "<=")
_UPPER: Final = (">", ">=")


def compared(name: str) -> str:
    """The column holding a quantity's value as compared."""
    return f"{name}__c"


def qualifier(name: str) -> str:
    """The column holding a quantity's qualifier ("=", "<", "<=", ">", ">=")."""
    return f"{name}__q"


def _three_valued(surely_true: ir.BooleanValue, surely_false: ir.BooleanValue) -> ir.BooleanValue:
    return ibis.cases((surely_true, True), (surely_false, False), else_=UNKNOWN)


def _below(
    c: ir.FloatingValue, q: ir.StringValue, limit: float, *, inclusive: bool
) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    """(surely true, surely false) that the true value is < limit (or <= limit), as
    `Reading.lt` / `Reading.le`; a straddling one-sided result is neither."""
    if inclusive:
        surely_true = q.isin(("=", *_LOWER)) & (c <= limit)
        surely_false = (
            ((q == "=") & (c > limit)) | ((q == ">") & (c >= limit)) | ((q == ">=") & (c > limit))
        )
    else:
        surely_true = (
            ((q == "=") & (c < limit)) | ((q == "<") & (c <= limit)) | ((q == "<=") & (c < limit))
        )
        surely_false = q.isin(("=", *_UPPER)) & (c >= limit)
    return surely_true, surely_false


def negated(truth: ir.BooleanValue) -> ir.BooleanValue:
    """Kleene's NOT, written `x = FALSE`: NULL stays NULL.

    Not `~x`: ibis 12 prints it as `NOT (x)`, and `NOT (x) IS NULL` parses in SQL as
    `NOT ((x) IS NULL)`, which turned an unknown comparison into a known one.
    """
    return truth == ibis.literal(False)


def compile_expr(expr: Expr, table: ir.Table) -> ir.BooleanValue:
    """`expr` over the named-value columns of `table`, NULL where the engine says unknown."""
    match expr:
        case Comparison(name=name, op=op, threshold=row):
            c, q = table[compared(name)], table[qualifier(name)]
            below, not_below = _below(c, q, row.value, inclusive=op in ("<=", ">"))
            # x > L is not (x <= L); x >= L is not (x < L): as Reading.gt and Reading.ge.
            if op in _LOWER:
                return _three_valued(below, not_below)
            return _three_valued(not_below, below)
        case Fact(name=name):
            column: ir.BooleanValue = table[name]
            return column
        case Known(name=name):
            kind = VALUES[name].kind
            return (table[compared(name)] if kind == "quantity" else table[name]).notnull()
        case Constant(value=value):
            return ibis.literal(value)
        case Not(operand=operand):
            return negated(compile_expr(operand, table))
        case And(operands=operands):
            return _fold(operands, table, both=True)
        case Or(operands=operands):
            return _fold(operands, table, both=False)


def _fold(operands: Sequence[Expr], table: ir.Table, *, both: bool) -> ir.BooleanValue:
    result = compile_expr(operands[0], table)
    for operand in operands[1:]:
        following = compile_expr(operand, table)
        result = (result & following) if both else (result | following)
    return result


def with_derived(table: ir.Table) -> ir.Table:
    """The booleans rules.toml derives, in file order (a later one may read an earlier)."""
    for derived in RULES.derived:
        table = table.mutate(**{derived.name: compile_expr(derived.when.expr, table)})
    return table


def with_group(table: ir.Table) -> ir.Table:
    """The person's rule set: the first group whose condition holds (never unknown)."""
    branches = [(compile_expr(g.when.expr, table), g.id) for g in RULES.groups]
    table = table.mutate(group=ibis.cases(*branches, else_=ibis.null("string")))
    return table.mutate(**{f"group_{g.id}": table.group == g.id for g in RULES.groups})


def with_decision(table: ir.Table, profile: str) -> ir.Table:
    """decision, rule and routes: the first rule of the person's group that holds.

    A rule whose condition is unknown stops the list at test_first, as the engine's
    `decide` does; so each rule contributes an "is unknown" branch before its "is true"
    branch, and SQL's CASE takes the first that matches.
    """
    decision: list[tuple[ir.BooleanValue, ir.Value]] = []
    rule: list[tuple[ir.BooleanValue, ir.Value]] = []
    routes: list[tuple[ir.BooleanValue, ir.Value]] = []
    none: ir.ArrayValue = ibis.literal([], type="array<string>")
    for group in RULES.groups:
        in_group = table.group == group.id
        for definition in rules_for(group.id, profile):
            truth = compile_expr(definition.when.expr, table)
            stop = in_group & truth.isnull()
            holds = in_group & truth
            decision += [
                (stop, ibis.literal("test_first")),
                (holds, ibis.literal(definition.decision)),
            ]
            rule += [(stop, ibis.literal(UNDETERMINED_RULE)), (holds, ibis.literal(definition.id))]
            chosen = ibis.literal(list(definition.routes), type="array<string>")
            routes += [(stop, none), (holds, chosen)]
    table = table.mutate(
        decision=ibis.cases(*decision, else_=ibis.null("string")),
        rule=ibis.cases(*rule, else_=ibis.null("string")),
        routes=ibis.cases(*routes, else_=none),
    )
    return table.mutate(**{f"decision_{d}": table.decision == d for d in DECISIONS})


def finding_columns(table: ir.Table, profile: str) -> dict[FindingCode, ir.BooleanValue]:
    """Each data-driven finding: raised (true) when one of its variants surely holds.

    Then, as `without_unless`: a finding whose `unless` flag another raised finding carries
    is dropped. Never NULL: a finding either is raised or it is not.
    """
    raised: dict[FindingCode, ir.BooleanValue] = {}
    for definition in FINDINGS.values():
        variants = [v for v in definition.variants if v.profiles is None or profile in v.profiles]
        if not variants:
            continue
        holds = [compile_expr(v.when.expr, table).fill_null(False) for v in variants]
        any_variant = holds[0]
        for more in holds[1:]:
            any_variant = any_variant | more
        raised[definition.code] = any_variant
    return raised


def without_unless(
    raised: Mapping[FindingCode, ir.BooleanValue],
) -> dict[FindingCode, ir.BooleanValue]:
    """Drop the findings whose `unless` flag a raised finding carries (findings.toml)."""
    kept = dict(raised)
    for code in raised:
        unless = FINDINGS[code].unless
        if unless is None:
            continue
        carriers = [raised[c] for c in raised if unless in FINDINGS[c].flags]
        for carrier in carriers:
            kept[code] = kept[code] & negated(carrier)
    return kept
