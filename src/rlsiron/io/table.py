"""Lab tables (CSV, TSV, XLSX) for `rlsiron import`, and the long CSV written back.

Two layouts, told apart by the header row, which is found even below the title lines that
exports put first:

- long: one row per result, the columns named as data/table_headers.txt lists them (date,
  test or LOINC code, value, unit, reference range or its low and high, flag, assay, patient);
- wide: one row per date and a column per test, the unit in the heading ("Ferritin (ng/mL)",
  "Ferritin [ug/L]"), in a row of units under the header, or in the cell ("28 ng/mL").

What one cell cannot settle is decided once per file from all its cells, never cell by cell:

- the decimal mark is a comma when the file is semicolon-separated, or when its numbers write
  decimals only with a comma and at least one comma cannot be a thousands separator ("1,5";
  "1,200" alone settles nothing and is sent for review). A cell written the other way in the
  same file is ambiguous and goes to review;
- slash dates ("03/04/2025", "3/4/25") are read day first or month first when one date of the
  file has a part above 12 ("13/04/2025"); until then a date whose day and month could be
  either way round goes to review, unless the user gives --date-format. Dotted dates
  ("04.03.2025") are day first by their own (German) convention; ISO, "2025/03/04",
  "Mar 4, 2025" and "4 Mar 2025" say which part is which.

Nothing is converted or guessed: a unit goes on as printed (the merge asks the core), a TSAT
that looks like a fraction goes to review, a test the catalogue does not read is counted as
skipped. A bad row is a problem naming its line; the rest of the file is still read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from rlsiron.io.extract import Extract, FoundLab, catalogue_test
from rlsiron.io.table_cells import Value, decimal_mark, reference_range, value_and_unit
from rlsiron.io.table_dates import day_first_of, row_date
from rlsiron.io.table_layout import Column, Layout
from rlsiron.io.table_rows import Context, Row, Sheet, Trouble, short
from rlsiron.io.table_text import text_table
from rlsiron.io.table_workbook import workbook_table

if TYPE_CHECKING:
    from rlsiron.io.importer import ReadOptions

_IDS_SHOWN: Final = 2  # patient ids a problem names before "..."
_ZIP: Final = b"PK\x03\x04"  # an XLSX workbook is a zip archive
_WRITTEN_COLUMNS: Final = ("date", "test", "value", "unit", "reference_range", "flag", "assay")


# --- reading -------------------------------------------------------------------------------


def read_table(data: bytes, name: str, options: ReadOptions) -> Extract:
    """The results of one CSV, TSV or XLSX file; never raises for what the file holds."""
    extract = Extract(file=name, format="table")
    found = workbook_table(data, extract) if data.startswith(_ZIP) else text_table(data, extract)
    if found is not None:
        _read_rows(*found, options, extract)
    return extract


def _read_rows(sheet: Sheet, layout: Layout, options: ReadOptions, extract: Extract) -> None:
    """Every row under the header: the file's conventions first, from all of them, then the
    rows of the person to read, one by one."""
    header = sheet.rows[layout.header]
    rows: list[Row] = []
    for row in sheet.rows[layout.data :]:
        if row.error is not None:
            extract.problem(row.at, "cannot be split into cells", short(row.text), row.error)
        elif not row.blank:
            rows.append(row)
    context = _context(rows, layout, sheet, options)
    read_row = _read_wide_row if layout.wide else _read_long_row
    for row in _rows_of_one_patient(rows, layout, header, options, extract):
        read_row(row, layout, context, extract)


# --- what holds for the whole file ---------------------------------------------------------


def _context(rows: Sequence[Row], layout: Layout, sheet: Sheet, options: ReadOptions) -> Context:
    """The file's conventions, from the rows of every patient it holds (one export, one
    convention); typed XLSX cells say nothing about how text is written."""
    if layout.wide:
        value_columns: list[int | None] = [column.index for column in layout.columns]
    else:
        value_columns = [layout.roles.get("value")]
    date_column = layout.roles.get("date")
    values = (row[c] for row in rows for c in value_columns if c not in row.numbers)
    dates = (row[date_column] for row in rows if row.date(date_column) is None)
    return Context(
        decimal=decimal_mark(values, sheet.semicolons),
        day_first=day_first_of(dates),
        date_format=options.date_format,
        note=sheet.note,
    )


# --- patients ------------------------------------------------------------------------------


def _rows_of_one_patient(
    rows: Sequence[Row], layout: Layout, header: Row, options: ReadOptions, extract: Extract
) -> Sequence[Row]:
    """The rows of the person to read.

    A file with one patient id (or none) is read whole. Of a file with several, only the rows
    of --patient are read; without it none, and a problem lists the ids: results attached to
    the wrong person are worse than none.
    """
    column = layout.roles.get("patient")
    if column is None:
        return rows
    ids = list(dict.fromkeys(row[column] for row in rows if row[column]))
    heading = header[column]
    if options.patient is not None:
        chosen = [row for row in rows if row[column] == options.patient]
        if not chosen:
            extract.problem(
                header.at,
                f"patient {options.patient!r} is not in column {heading!r}",
                options.patient,
                f"the file holds {_ids(ids)}",
            )
        return chosen
    if len(ids) > 1:
        extract.problem(
            header.at,
            f"holds {_ids(ids)} in column {heading!r}; no result was attached to anyone",
            len(ids),
            "give --patient with the id of the person to read",
        )
        return []
    return rows


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(short(i) for i in ids[:_IDS_SHOWN])
    more = ", ..." if len(ids) > _IDS_SHOWN else ""
    return f"{len(ids)} patient ids ({shown}{more})"


# --- results -------------------------------------------------------------------------------


def _read_long_row(row: Row, layout: Layout, context: Context, extract: Extract) -> None:
    """One result. A test the catalogue does not read is counted as skipped and not checked
    further: its value and unit are not rlsiron's to judge. Every fault of a row is reported,
    not only the first."""
    roles = layout.roles
    code, name = row[roles.get("code")], row[roles.get("test")]
    test = catalogue_test(code, name)
    if test is None:
        if name or code:
            extract.skipped[name or code] += 1
        else:
            extract.problem(row.at, "no test name", short(row.text))
        return
    date = row_date(row, roles.get("date"), context)
    value_column = roles.get("value")
    cell = Value(row[value_column], value_column in row.numbers)
    measured = value_and_unit(test, cell, row[roles.get("unit")], context, "no unit")
    reference = reference_range(row, roles, context.decimal)
    if isinstance(date, Trouble) or isinstance(measured, Trouble) or isinstance(reference, Trouble):
        _report(extract, row, [t for t in (date, measured, reference) if isinstance(t, Trouble)])
        return
    value, unit = measured
    extract.labs.append(
        FoundLab(
            test=test,
            value=value,
            unit=unit,
            date=date,
            origin=extract.origin(row.at, row.text),
            reference_range=reference,
            flag=row[roles.get("flag")] or None,
            assay=row[roles.get("assay")] or None,
            note=context.note,
        )
    )


def _read_wide_row(row: Row, layout: Layout, context: Context, extract: Extract) -> None:
    """The results of one date; a bad date leaves the row out, a bad cell only itself."""
    filled = [column for column in layout.columns if row[column.index]]
    extract.skipped.update(column.name for column in filled if column.test is None)
    if not any(column.test for column in filled):
        return
    date = row_date(row, layout.roles["date"], context)
    if isinstance(date, Trouble):
        _report(extract, row, [date])
        return
    for column in filled:
        if column.test is not None:
            _read_wide_cell(row, column, column.test, date, context, extract)


def _read_wide_cell(
    row: Row, column: Column, test: str, date: dt.date, context: Context, extract: Extract
) -> None:
    cell = Value(row[column.index], column.index in row.numbers)
    missing = "no unit in the heading, a row of units or the cell"
    measured = value_and_unit(test, cell, column.unit, context, missing, column.heading)
    if isinstance(measured, Trouble):
        _report(extract, row, [measured], column.heading)
        return
    value, unit = measured
    origin = extract.origin(row.at, row.text)
    extract.labs.append(FoundLab(test, value, unit, date, origin, note=context.note))


def _report(
    extract: Extract, row: Row, troubles: Iterable[Trouble], column: str | None = None
) -> None:
    for trouble in troubles:
        message = trouble.message
        if column is not None:
            message = f"column {short(column)!r}: {message}"
        if trouble.review:
            extract.needs_review(row.at, row.text, message)
        else:
            extract.problem(row.at, message, trouble.received, trouble.hint)


# --- writing -------------------------------------------------------------------------------


def write_table(document: Mapping[str, Any]) -> str:
    """The labs of a contract input document as a long CSV that `read_table` reads back to
    the same labs.

    Columns: date, test, value, unit, reference_range, flag, assay. Values keep their decimals
    and comparators ({"value": 5, "comparator": "<"} is written "<5"), numbers are written in
    full ("0.00001", never "1e-05"), and a structured range is written as a lab prints it
    ({"low": 4.6, "high": 18.7} as "4.6-18.7"), which the core reads to the same limits.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_WRITTEN_COLUMNS)
    for lab in document.get("labs", ()):
        writer.writerow(
            (
                _written_date(lab["date"]),
                lab["test"],
                _written_value(lab["value"]),
                lab.get("unit") or "",
                _written_range(lab.get("reference_range")),
                lab.get("flag") or "",
                lab.get("assay") or "",
            )
        )
    return out.getvalue()


def _written_date(date: object) -> str:
    return date.isoformat() if isinstance(date, dt.date) else str(date)


def _written_value(value: object) -> str:
    if isinstance(value, Mapping):
        return f"{value.get('comparator') or ''}{_written_number(value['value'])}"
    if isinstance(value, int | float):
        return _written_number(value)
    return str(value)


def _written_number(number: float) -> str:
    return str(number) if isinstance(number, int) else format(Decimal(repr(number)), "f")


def _written_range(given: object) -> str:
    if not isinstance(given, Mapping):
        return "" if given is None else str(given)
    low, high = (given.get(side) for side in ("low", "high"))
    low_text = "" if low is None else _written_number(low)
    high_text = "" if high is None else _written_number(high)
    if low_text and high_text:
        return f"{low_text}-{high_text}"
    if low_text:
        return f">{low_text}"
    return f"<{high_text}" if high_text else ""
