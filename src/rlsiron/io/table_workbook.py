"""A lab table saved as an XLSX workbook, read with openpyxl into rows as Excel shows them.

A workbook's cells are typed: a date is a date and a number a number, shown with the decimals
its format gives it. They become the same rows a text file gives, keeping the types the rest of
the reader trusts over any text. openpyxl is imported only when a workbook is read.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import suppress
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from rlsiron.io.extract import Extract
from rlsiron.io.table_layout import Layout, head_and_layout, no_header, widest_width
from rlsiron.io.table_rows import Row, Sheet

# What openpyxl raises for a damaged or foreign archive: not a zip, a part missing, XML that
# does not parse (ElementTree's ParseError is a SyntaxError), a value of the wrong type.
_WORKBOOK_ERRORS: Final = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    OSError,
    EOFError,
    SyntaxError,
    NotImplementedError,
)
# A number format that shows a fixed number of decimals ("0", "0.00", "#,##0.0"), maybe as a
# percentage ("0%", "0.0%").
_FIXED_FORMAT: Final = re.compile(r"[#,]*0(?:\.(?P<decimals>0+))?(?P<percent>%?)")


def workbook_table(data: bytes, extract: Extract) -> tuple[Sheet, Layout] | None:
    """The rows of the first sheet with a header rlsiron recognises, and their layout."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    heads: list[tuple[Row, ...]] = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (data validation, conditional formats):
            # nothing a lab table's values depend on.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for worksheet in workbook.worksheets:
                    rows = _workbook_rows(worksheet)
                    head, layout = head_and_layout(rows)
                    if layout is not None:
                        return Sheet(head + tuple(rows)), layout
                    heads.append(head)
            finally:
                workbook.close()
    except (*_WORKBOOK_ERRORS, InvalidFileException) as error:
        extract.format = None
        extract.problem("workbook", "is not an XLSX workbook rlsiron can read", str(error))
        return None
    no_header(extract, max(heads, key=widest_width, default=()), "no sheet has rows")
    return None


def _workbook_rows(worksheet: Any) -> Iterator[Row]:
    """Each row's cells as Excel shows them: dates stay dates, numbers keep the decimals
    their format shows ("1.70" for 1.7 formatted 0.00), and a percentage format shows the
    number as a percentage ("18%" for 0.18 formatted 0%), as the person who typed it saw it."""
    for number, cells in enumerate(worksheet.iter_rows(), start=worksheet.min_row):
        texts: list[str] = []
        dates: dict[int, dt.date] = {}
        numbers: set[int] = set()
        for column, cell in enumerate(cells):
            value = cell.value
            if isinstance(value, dt.datetime | dt.date):
                dates[column] = value.date() if isinstance(value, dt.datetime) else value
                texts.append(dates[column].isoformat())
            elif isinstance(value, int | float) and not isinstance(value, bool):
                numbers.add(column)
                texts.append(_shown_number(value, getattr(cell, "number_format", "")))
            else:
                texts.append("" if value is None else str(value).strip())
        shown = list(texts)
        while shown and not shown[-1]:
            shown.pop()
        at = f"sheet {worksheet.title}, row {number}"
        yield Row(at, " | ".join(shown), tuple(texts), dates, frozenset(numbers))


def _shown_number(value: float, number_format: str) -> str:
    if not math.isfinite(value):
        return str(value)
    number = Decimal(repr(value))
    fixed = _FIXED_FORMAT.fullmatch(number_format or "")
    if fixed is None:
        return format(number, "f")
    if fixed["percent"]:
        number = number.scaleb(2)  # a percentage format shows the number times a hundred
    with suppress(InvalidOperation):  # more digits than a Decimal holds: shown unrounded
        number = number.quantize(Decimal(1).scaleb(-len(fixed["decimals"] or "")))
    return format(number, "f") + fixed["percent"]
