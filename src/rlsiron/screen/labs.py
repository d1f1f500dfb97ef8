"""Lab rows read as the engine reads them: test, value, unit, date; or a reject with why.

Each row is numbered (`row`, from 1, in the order the source gives), its test and unit
looked up in the tables `lookups` builds from the core's catalogue, its value parsed by a
regular expression with the grammar of `core.labs.values.parse_value`, and converted to the
canonical unit at the precision it was reported with (`Reading.scaled`). A row that cannot
be read goes to the rejects table with its row number and reason; it never stops the run
and never vanishes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import ibis
import ibis.expr.types as ir

from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.models import EARLIEST_DATE
from rlsiron.screen.lookups import test_lookup, unit_lookup
from rlsiron.screen.sources import memtable

# parse_value's grammar: an optional qualifier, a decimal number, an optional exponent.
_VALUE: Final = r"^\s*(<=|>=|≤|≥|<|>|=)?\s*([+-]?(?:[0-9]+(?:\.([0-9]*))?|\.([0-9]+)))(?:[eE]([+-]?[0-9]+))?\s*$"
_QUALIFIER_SPELLINGS: Final = {"≤": "<=", "≥": ">="}
REJECT_COLUMNS: Final = ("row", "patient_id", "test", "value", "unit", "date", "reason")

Fetch = Callable[[ir.Table], list[tuple[object, ...]]]


def _nonempty(text: ir.StringValue) -> ir.StringValue:
    """A regex group or cell, NULL when empty (backends differ on a missed group)."""
    return text.nullif("")


def parsed(labs: ir.Table) -> ir.Table:
    """Value text -> qualifier, number and reported decimals (or NULLs when unreadable)."""
    text = labs.value_text.replace("−", "-")
    matched = text.re_search(_VALUE)
    symbol = _nonempty(text.re_extract(_VALUE, 1))
    for spelled, meaning in _QUALIFIER_SPELLINGS.items():
        symbol = (symbol == spelled).ifelse(meaning, symbol)
    fraction = _nonempty(text.re_extract(_VALUE, 3)).fill_null(
        _nonempty(text.re_extract(_VALUE, 4)).fill_null("")
    )
    exponent = _nonempty(text.re_extract(_VALUE, 5)).cast("int64").fill_null(0)
    mantissa = _nonempty(text.re_extract(_VALUE, 2)).cast("float64")
    number = mantissa * (ibis.literal(10.0) ** exponent.cast("float64"))
    return labs.mutate(
        raw_qualifier=matched.ifelse(symbol.fill_null("="), ibis.null("string")),
        raw_number=matched.ifelse(number, ibis.null("float64")),
        raw_decimals=matched.ifelse(fraction.length() - exponent, ibis.null("int64")),
    )


def lookup_tables(labs: ir.Table, fetch: Fetch) -> tuple[ir.Table, ir.Table]:
    """(tests, units): the lookup tables for the distinct names and units in `labs`."""
    names = [row[0] for row in fetch(labs.select("test").distinct()) if row[0] is not None]
    tests = test_lookup(str(name) for name in names)
    test_rows = {
        "test": list(tests),
        "analyte": [key for key, _ in tests.values()],
        "test_problem": [problem for _, problem in tests.values()],
    }
    known = [name for name, (key, _) in tests.items() if key is not None]
    by_test = memtable(
        {"test": known, "analyte": [tests[name][0] for name in known]},
        {"test": "string", "analyte": "string"},
    )
    pairs_table = labs.select("test", "unit").distinct().join(by_test, "test")
    pairs = {
        (str(row[2]), None if row[1] is None else str(row[1]))
        for row in fetch(pairs_table.select("test", "unit", "analyte"))
    }
    units = unit_lookup(sorted(pairs, key=lambda pair: (pair[0], pair[1] or "")))
    unit_rows = {
        "u_analyte": [analyte for analyte, _ in units],
        "u_unit": [unit for _, unit in units],
        "factor": [answer.factor for answer in units.values()],
        "log10_factor": [answer.log10_factor for answer in units.values()],
        "unit_problem": [answer.problem for answer in units.values()],
    }
    return (
        ibis.memtable(
            test_rows, schema={"test": "string", "analyte": "string", "test_problem": "string"}
        ),
        ibis.memtable(
            unit_rows,
            schema={
                "u_analyte": "string",
                "u_unit": "string",
                "factor": "float64",
                "log10_factor": "float64",
                "unit_problem": "string",
            },
        ),
    )


def _analyte_table() -> ir.Table:
    """Each analyte's plausible range and whether it is a percentage (check_possible)."""
    return memtable(
        {
            "a_key": list(ANALYTES),
            "plausible_low": [a.plausible_low for a in ANALYTES.values()],
            "plausible_high": [a.plausible_high for a in ANALYTES.values()],
            "percent": [a.canonical_unit == "%" for a in ANALYTES.values()],
        },
        {
            "a_key": "string",
            "plausible_low": "float64",
            "plausible_high": "float64",
            "percent": "boolean",
        },
    )


# Spark's ROUND takes only a constant scale, so each precision a lab prints is its own
# branch; a value printed more finely than this is compared as converted.
_PRECISIONS: Final = range(-4, 9)


def _rounded(value: ir.FloatingValue, decimals: ir.IntegerValue) -> ir.FloatingValue:
    """The value at its reported precision (`Reading.compared`), on every backend."""
    return ibis.cases(
        *((decimals == places, value.round(places)) for places in _PRECISIONS), else_=value
    )


def read_rows(labs: ir.Table, tests: ir.Table, units: ir.Table, as_of_date: object) -> ir.Table:
    """Every lab row with its analyte, canonical value, precision and date, or its reason.

    `reason` is NULL for a row the engine would read; rows dated after `as_of` are read
    (the engine reports them) but not used.
    """
    rows = parsed(labs).left_join(tests, "test").drop("test_right")
    unit_match = (rows.analyte == units.u_analyte) & (
        (rows.unit == units.u_unit) | (rows.unit.isnull() & units.u_unit.isnull())
    )
    rows = rows.left_join(units, unit_match).drop("u_analyte", "u_unit")
    analytes = _analyte_table()
    rows = rows.left_join(analytes, rows.analyte == analytes.a_key).drop("a_key")
    q, number = rows.raw_qualifier, rows.raw_number
    # check_possible: below zero, or a percentage surely above 100 (on the value as given).
    negative = (number < 0) | ((number <= 0) & (q == "<"))
    over_percent = rows.percent & (
        ((q == "=") & (number > 100))
        | ((q == ">") & (number >= 100))
        | ((q == ">=") & (number > 100))
    )
    shown = rows.analyte.fill_null("test")
    reason = ibis.cases(
        (rows.test_problem.notnull(), rows.test_problem),
        (rows.test.isnull(), ibis.literal("no test name")),
        (
            rows.raw_number.isnull(),
            "value "
            + rows.value_text.fill_null("(empty)")
            + ": not a number (accepted: 18, 18.5, <5, >60, <=0.5)",
        ),
        (negative, shown + " cannot be negative"),
        (over_percent, shown + " is a percentage and cannot exceed 100"),
        (rows.unit_problem.notnull(), rows.unit_problem),
        (
            rows.drawn.isnull(),
            "date " + rows.date_text.fill_null("(empty)") + ": not a date (accepted: YYYY-MM-DD)",
        ),
        (
            rows.drawn < EARLIEST_DATE,
            "date "
            + rows.date_text
            + f": before {EARLIEST_DATE.isoformat()}, the earliest accepted",
        ),
        else_=ibis.null("string"),
    )
    exact_factor = rows.factor == 1.0
    decimals = exact_factor.ifelse(
        rows.raw_decimals,
        (rows.raw_decimals.cast("float64") - rows.log10_factor).ceil().cast("int64"),
    )
    value = number * rows.factor
    rows = rows.mutate(
        reason=reason,
        value=value,
        decimals=decimals,
        compared=_rounded(value, decimals),
        qualifier=q,
        future=rows.drawn > as_of_date,
    )
    c, low, high = rows.compared, rows.plausible_low, rows.plausible_high
    # is_plausible: not surely below the low bound and not surely above the high one.
    surely_low = ((q == "=") & (c < low)) | ((q == "<") & (c <= low)) | ((q == "<=") & (c < low))
    surely_high = (
        ((q == "=") & (c > high)) | ((q == ">") & (c >= high)) | ((q == ">=") & (c > high))
    )
    return rows.mutate(plausible=~(surely_low | surely_high))
