"""The numbers of a lab table's cells: values, decimal marks, comparators, units and ranges.

A cell alone does not say whether "1,5" is one and a half or "1,200" twelve hundred; the file's
decimal mark is decided here once from all its values (the rule is in the docstring of
rlsiron.io.table), and each cell is then read with it: its comparator ("<5", "≤ 0.41"), its
number written with a decimal point, and its unit, from the cell or from its column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final, NamedTuple

from rlsiron.io.table_headers import Role
from rlsiron.io.table_rows import Context, DecimalMark, Row, Trouble, short

_TSAT: Final = "tsat"
_FRACTION_UNITS: Final = frozenset({"", "fraction"})

# A result as printed: an optional comparator, a number (its marks read later, once the file's
# decimal mark is known), then maybe a unit ("28 ng/mL", "18%", "<5", "≤ 0.41").
_VALUE: Final = re.compile(
    r"(?P<comparator><=|>=|≤|≥|<|>)?\s*"
    r"(?P<number>[+-]?(?:[0-9]+(?:[.,][0-9]+)*|[.,][0-9]+))"
    r"(?P<space>\s*)(?P<unit>.*)"
)
# What cannot start a unit after a number: the rest of a range, a date or a ratio ("5-10").
_NOT_A_UNIT_START: Final = tuple("-–+.,/:")
_VALUE_EXAMPLES: Final = "18, 18.5, 1,5 in a European file, <5, >60, 28 ng/mL"


class Value(NamedTuple):
    """A value cell: its text, and whether XLSX typed it as a number (written with a point)."""

    text: str
    typed: bool


def _value_match(text: str) -> re.Match[str] | None:
    match = _VALUE.fullmatch(text)
    if match is None:
        return None
    unit = match["unit"]
    if unit.startswith(_NOT_A_UNIT_START) or (unit[:1].isdigit() and not match["space"]):
        return None
    return match


def _number_part(text: str) -> str | None:
    match = _value_match(text)
    return None if match is None else match["number"]


def is_plain_number(text: str) -> bool:
    match = _value_match(text)
    return match is not None and not match["unit"]


# --- the file's decimal mark ---------------------------------------------------------------

# A comma that may separate thousands: 1 to 3 digits, not a lone 0, then 3 digits.
_THOUSANDS: Final = re.compile(r"[+-]?[1-9][0-9]{0,2},[0-9]{3}")
_NOT_A_MARK: Final = re.compile(r"[^.,]")


def decimal_mark(values: Iterable[str], semicolons: bool) -> DecimalMark | None:
    """The file's decimal mark, from every value it holds (see rlsiron.io.table's docstring)."""
    commas = points = 0
    comma_settles = False
    for text in values:
        number = _number_part(text)
        if number is None:
            continue
        marks = _marks(number)
        if marks == ",":
            commas += 1
            comma_settles = comma_settles or not _THOUSANDS.fullmatch(number)
        elif marks == ".":
            points += 1
    if points and not (commas and semicolons):
        return "."
    if commas and not (semicolons or comma_settles):
        return None
    return "," if commas or semicolons else "."


def _marks(number: str) -> str:
    """The decimal marks and thousands separators of a number, in order ("1.234,5" -> ".,")."""
    return _NOT_A_MARK.sub("", number)


# --- values --------------------------------------------------------------------------------


def value_and_unit(
    test: str,
    cell: Value,
    column_unit: str | None,
    context: Context,
    missing_unit: str,
    column: str | None = None,
) -> tuple[int | str, str] | Trouble:
    """The value (int when printed without decimals, else the text with a decimal point, so
    "1.70" keeps its precision) and its unit, as the file prints them."""
    if not cell.text:
        return Trouble("no value")
    match = _value_match(cell.text)
    if match is None:
        return Trouble("not a number", cell.text, f"accepted: {_VALUE_EXAMPLES}")
    number = _decimal_point(match["number"], "." if cell.typed else context.decimal)
    if isinstance(number, Trouble):
        return number
    unit = _unit(match["unit"].strip(), column_unit, column)
    if isinstance(unit, Trouble):
        return unit
    if test == _TSAT and unit.casefold() in _FRACTION_UNITS and float(number) <= 1:
        percent = format(Decimal(number).scaleb(2).normalize(), "f")
        reason = f"looks like a fraction: {short(number)} may be {short(percent)} %"
        return Trouble(reason, cell.text, review=True)
    if not unit:
        return Trouble(missing_unit, cell.text, "give the unit as the lab printed it")
    comparator = match["comparator"] or ""
    if comparator or "." in number:
        return f"{comparator}{number}", unit
    try:
        return int(number), unit
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return Trouble("not a number", short(cell.text), "too many digits")


def _decimal_point(number: str, decimal: DecimalMark | None) -> str | Trouble:
    """The number written with a decimal point, or why its mark is ambiguous in this file."""
    marks = _marks(number)
    if not marks:
        return number
    if marks == decimal:
        return number.replace(",", ".")
    shown = short(number)
    if len(marks) > 1:
        reason = f"{shown} has a thousands separator or two decimal marks"
    elif decimal is None:
        reason = f"the comma in {shown} may separate thousands or decimals"
    else:
        name = "comma" if decimal == "," else "point"
        reason = f"{shown} is ambiguous: this file writes decimals with a {name}"
    return Trouble(reason, number, review=True)


def _unit(in_cell: str, in_column: str | None, column: str | None) -> str | Trouble:
    """The cell's own unit, or the column's; a cell that contradicts its column is a problem."""
    if in_cell and in_column and _unit_key(in_cell) != _unit_key(in_column):
        where = "the unit column" if column is None else "the heading"
        return Trouble(f"the cell says {in_cell} where {where} says {in_column}", in_cell)
    return in_cell or in_column or ""


def _unit_key(unit: str) -> str:
    return unit.casefold().replace(" ", "").replace("µ", "u").replace("μ", "u")


def reference_range(
    row: Row, roles: Mapping[Role, int], decimal: DecimalMark | None
) -> str | Trouble | None:
    """The reference range as printed, or as a lab prints its low and high columns ("4.6-18.7",
    ">59", "<5"), for the core to read. Decimal commas become points."""
    printed = row[roles.get("range")]
    if printed:
        return _DECIMAL_COMMA.sub(".", printed) if decimal == "," else printed
    low = _limit(row[roles.get("low")], "low", decimal)
    high = _limit(row[roles.get("high")], "high", decimal)
    if isinstance(low, Trouble):
        return low
    if isinstance(high, Trouble):
        return high
    if low and high:
        return f"{low}-{high}"
    if low or high:
        return f">{low}" if low else f"<{high}"
    return None


_DECIMAL_COMMA: Final = re.compile(r"(?<=[0-9]),(?=[0-9])")


def _limit(text: str, side: str, decimal: DecimalMark | None) -> str | Trouble:
    if not text:
        return ""
    match = _value_match(text)
    if match is None or match["comparator"] or match["unit"]:
        return Trouble(f"the reference range's {side} limit is not a number", text)
    return _decimal_point(match["number"], decimal)
