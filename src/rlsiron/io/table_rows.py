"""The rows of a lab table as read, and what every part of the table reader shares about them.

A CSV, a TSV and an XLSX sheet all become the same rows; the layout, the cells and the dates
of those rows are read in their own modules, with the conventions the whole file settles once
(its `Context`) and one way to say why a cell was not read (a `Trouble`). They live here, apart
from the modules that use them, so that none of those has to import another for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from rlsiron.errors import NOTHING

DecimalMark = Literal[",", "."]

_SHOWN_LENGTH: Final = 32  # characters of a cell quoted in a reason (ReviewItem caps reasons)


@dataclass(frozen=True, slots=True)
class Row:
    """One row: its cells as printed, and where it is.

    An XLSX row keeps its typed cells too: a date cell is a date, and a number cell is written
    with a decimal point whatever the file's convention.
    """

    at: str  # "line 14" (where the row starts), or "sheet Labs, row 14"
    text: str  # the row as printed, for its origin
    cells: tuple[str, ...]
    dates: Mapping[int, dt.date] | None = None  # typed date cells, by column
    numbers: frozenset[int] = frozenset()  # columns of typed number cells
    error: str | None = None  # why the csv module could not split the row

    def __getitem__(self, column: int | None) -> str:
        """The cell's text; "" for a column the file does not have or the row does not reach."""
        return self.cells[column] if column is not None and column < len(self.cells) else ""

    def date(self, column: int | None) -> dt.date | None:
        return None if column is None or self.dates is None else self.dates.get(column)

    @property
    def blank(self) -> bool:
        return self.error is None and not any(self.cells)


@dataclass(frozen=True, slots=True)
class Sheet:
    rows: tuple[Row, ...]
    semicolons: bool = False  # a semicolon-separated text: the European convention
    note: str | None = None  # how the text was decoded, when it was not UTF-8


@dataclass(frozen=True, slots=True)
class Context:
    """What every row of one file is read with."""

    decimal: DecimalMark | None  # None: commas that may be thousands separators, and no point
    day_first: bool | None  # of slash dates; None: not settled by the file
    date_format: str | None  # --date-format
    note: str | None  # carried by every result (how the file was decoded)


@dataclass(frozen=True, slots=True)
class Trouble:
    """Why a cell was not read: a problem (unreadable), or for review (ambiguous)."""

    message: str
    received: object = NOTHING
    hint: str | None = None
    review: bool = False


def short(text: str) -> str:
    """A cell quoted in a message, cut to a readable length."""
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"
