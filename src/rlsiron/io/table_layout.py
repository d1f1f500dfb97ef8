"""The header of a lab table, and the layout it gives the rows below it.

The header row is found among the first rows (exports put title lines above it), and it says
what the table is: long, a row per result with a column for each role (date, test, value,
unit...), or wide, a row per date with a column per test and the units in the headings or in a
row of their own. A file without one is a problem naming the headings accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Final

from rlsiron.errors import NOTHING
from rlsiron.io.extract import Extract, catalogue_test
from rlsiron.io.table_cells import is_plain_number
from rlsiron.io.table_headers import Role, accepted_headings, role_of, roles_of
from rlsiron.io.table_rows import Row

_HEADER_SEARCH: Final = 25  # rows searched for the header: exports put title lines above it


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a wide table: a test, and maybe its unit."""

    index: int
    heading: str  # as printed
    name: str  # the test's name, the unit taken off
    test: str | None  # the catalogue's id; None for a test rlsiron does not read
    unit: str | None  # from the heading or the row of units


@dataclass(frozen=True, slots=True)
class Layout:
    header: int  # index of the header row
    data: int  # index of the first row of results (after a row of units)
    roles: Mapping[Role, int]
    columns: tuple[Column, ...] = ()  # a wide table's test columns; none in a long one

    @property
    def wide(self) -> bool:
        return bool(self.columns)


# "Ferritin (ng/mL)", "Ferritin [ug/L]": a test's name and its unit.
_HEADING_UNIT: Final = re.compile(
    r"(?P<name>.+?)\s*(?:\((?P<paren>[^()]*)\)|\[(?P<bracket>[^\[\]]*)\])"
)


def head_and_layout(rows: Iterator[Row]) -> tuple[tuple[Row, ...], Layout | None]:
    """The first rows, and the layout of the first of them that is a header."""
    head = tuple(islice(rows, _HEADER_SEARCH))
    for index in range(len(head)):
        layout = _layout_at(head, index)
        if layout is not None:
            return head, layout
    return head, None


def _layout_at(rows: Sequence[Row], index: int) -> Layout | None:
    """The layout of which rows[index] is the header, or None if it is not a header.

    A long header names a test (or code) column and a value column; a wide one a date column
    and at least one column named after a test the catalogue reads.
    """
    headings = rows[index].cells
    roles = roles_of(headings)
    if ("test" in roles or "code" in roles) and "value" in roles:
        return Layout(index, index + 1, roles)
    if "date" not in roles:
        return None
    used = set(roles.values())
    columns = [
        _column(i, heading) for i, heading in enumerate(headings) if heading and i not in used
    ]
    if not any(column.test for column in columns):
        return None
    following = next((i for i in range(index + 1, len(rows)) if not rows[i].blank), None)
    if following is None or not _is_unit_row(rows[following], roles["date"], columns):
        return Layout(index, index + 1, roles, tuple(columns))
    units = rows[following]
    columns = [replace(c, unit=c.unit or units[c.index] or None) for c in columns]
    return Layout(index, following + 1, roles, tuple(columns))


def _column(index: int, heading: str) -> Column:
    """A wide table's column: its heading is a test's name, or a name and a unit."""
    test = catalogue_test("", heading)
    split = None if test else _HEADING_UNIT.fullmatch(heading)
    if split is None:
        return Column(index, heading, heading, test, None)
    name, unit = split["name"], (split["paren"] or split["bracket"] or "").strip()
    return Column(index, heading, name, catalogue_test("", name), unit or None)


def _is_unit_row(row: Row, date_column: int, columns: Sequence[Column]) -> bool:
    """A row under a wide header that gives units: no date (or the word "Unit") and no number."""
    label = row[date_column]
    if label and role_of(label) != "unit":
        return False
    texts = [row[column.index] for column in columns]
    return any(texts) and not any(is_plain_number(text) for text in texts)


def no_header(extract: Extract, rows: Sequence[Row], empty: str) -> None:
    """The problem of a file without a header. Its widest row (the first of them) is most
    likely the header the user meant, so its cells are named beside the accepted headings."""
    widest = max((row for row in rows if not row.blank), key=_filled, default=None)
    if widest is None:
        extract.problem(rows[0].at if rows else "line 1", empty, NOTHING)
        return
    extract.problem(
        widest.at,
        "no header row rlsiron recognises: a long table needs a test (or LOINC) column and a "
        "value column, a wide one a date column and a column named after a test",
        [cell for cell in widest.cells if cell],
        "accepted headings: " + "; ".join(accepted_headings()),
    )


def _filled(row: Row) -> int:
    return sum(1 for cell in row.cells if cell)


def widest_width(rows: Sequence[Row]) -> int:
    return max(map(_filled, rows), default=0)
