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

import codecs
import csv
import datetime as dt
import functools
import io
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from rlsiron.errors import NOTHING
from rlsiron.io.extract import Extract, FoundLab, catalogue_test
from rlsiron.io.table_headers import Role, accepted_headings, role_of, roles_of

if TYPE_CHECKING:
    from rlsiron.io.importer import ReadOptions

DecimalMark = Literal[",", "."]

_HEADER_SEARCH: Final = 25  # rows searched for the header: exports put title lines above it
_DELIMITERS: Final = ("\t", ";", ",")
_IDS_SHOWN: Final = 2  # patient ids a problem names before "..."
_SHOWN_LENGTH: Final = 32  # characters of a cell quoted in a reason (ReviewItem caps reasons)
_ZIP: Final = b"PK\x03\x04"  # an XLSX workbook is a zip archive
_TSAT: Final = "tsat"
_FRACTION_UNITS: Final = frozenset({"", "fraction"})
_CP1252_NOTE: Final = "decoded as Windows-1252: the file is not UTF-8"
_WRITTEN_COLUMNS: Final = ("date", "test", "value", "unit", "reference_range", "flag", "assay")


# --- rows ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
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
class _Sheet:
    rows: tuple[_Row, ...]
    semicolons: bool = False  # a semicolon-separated text: the European convention
    note: str | None = None  # how the text was decoded, when it was not UTF-8


@dataclass(frozen=True, slots=True)
class _Trouble:
    """Why a cell was not read: a problem (unreadable), or for review (ambiguous)."""

    message: str
    received: object = NOTHING
    hint: str | None = None
    review: bool = False


def _short(text: str) -> str:
    """A cell quoted in a message, cut to a readable length."""
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


# --- reading -------------------------------------------------------------------------------


def read_table(data: bytes, name: str, options: ReadOptions) -> Extract:
    """The results of one CSV, TSV or XLSX file; never raises for what the file holds."""
    extract = Extract(file=name, format="table")
    found = _workbook_table(data, extract) if data.startswith(_ZIP) else _text_table(data, extract)
    if found is not None:
        _read_rows(*found, options, extract)
    return extract


def _read_rows(sheet: _Sheet, layout: _Layout, options: ReadOptions, extract: Extract) -> None:
    """Every row under the header: the file's conventions first, from all of them, then the
    rows of the person to read, one by one."""
    header = sheet.rows[layout.header]
    rows: list[_Row] = []
    for row in sheet.rows[layout.data :]:
        if row.error is not None:
            extract.problem(row.at, "cannot be split into cells", _short(row.text), row.error)
        elif not row.blank:
            rows.append(row)
    context = _context(rows, layout, sheet, options)
    read_row = _read_wide_row if layout.wide else _read_long_row
    for row in _rows_of_one_patient(rows, layout, header, options, extract):
        read_row(row, layout, context, extract)


# --- text files ----------------------------------------------------------------------------


def _text_table(data: bytes, extract: Extract) -> tuple[_Sheet, _Layout] | None:
    """The rows of a delimited text and their layout, split by the first delimiter (tab,
    semicolon, comma) that yields a header rlsiron recognises. The header decides, not
    csv.Sniffer, which guesses from the first lines, and so from an export's title lines."""
    decoded = _decoded(data, extract)
    if decoded is None:
        return None
    text, note = decoded
    lines = io.StringIO(text, newline="").readlines()
    heads: list[tuple[_Row, ...]] = []
    for delimiter in _DELIMITERS:
        rows = _csv_rows(lines, delimiter)
        head, layout = _head_and_layout(rows)
        if layout is not None:
            return _Sheet(head + tuple(rows), delimiter == ";", note), layout
        heads.append(head)
    _no_header(extract, max(heads, key=_widest_width), "the file is empty")
    return None


def _decoded(data: bytes, extract: Extract) -> tuple[str, str | None] | None:
    """The text, and a note when it was not UTF-8.

    UTF-8 (with or without a byte-order mark) first, UTF-16 when a byte-order mark says so
    (Excel's "Unicode text"), else Windows-1252, the code page of the European exports that
    are not UTF-8 (where "µg/L" is the byte B5).
    """
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    encodings = (("utf-16", None),) if utf16 else (("utf-8-sig", None), ("cp1252", _CP1252_NOTE))
    for encoding, note in encodings:
        try:
            return data.decode(encoding), note
        except UnicodeDecodeError as error:
            failure = error
    line = data[: failure.start].count(b"\n") + 1
    extract.format = None
    extract.problem(
        f"line {line}",
        "is not text in UTF-8, UTF-16 or Windows-1252",
        data[failure.start : failure.end],
        "save the file as UTF-8 (CSV UTF-8 in Excel)",
    )
    return None


def _csv_rows(lines: Sequence[str], delimiter: str) -> Iterator[_Row]:
    """The rows of a delimited text, each named by the line it starts on (a quoted cell may
    span lines) and kept as printed."""
    reader = csv.reader(lines, delimiter=delimiter, skipinitialspace=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield _Row(
                f"line {start}", _printed(lines, start, reader.line_num), (), error=str(error)
            )
        else:
            printed = _printed(lines, start, reader.line_num)
            yield _Row(f"line {start}", printed, tuple(map(str.strip, cells)))
        start = reader.line_num + 1


def _printed(lines: Sequence[str], first: int, last: int) -> str:
    text = lines[first - 1] if first == last else "".join(lines[first - 1 : last])
    return text.rstrip("\r\n")


def _filled(row: _Row) -> int:
    return sum(1 for cell in row.cells if cell)


def _widest_width(rows: Sequence[_Row]) -> int:
    return max(map(_filled, rows), default=0)


# --- XLSX ----------------------------------------------------------------------------------

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


def _workbook_table(data: bytes, extract: Extract) -> tuple[_Sheet, _Layout] | None:
    """The rows of the first sheet with a header rlsiron recognises, and their layout."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    heads: list[tuple[_Row, ...]] = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (data validation, conditional formats):
            # nothing a lab table's values depend on.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for worksheet in workbook.worksheets:
                    rows = _workbook_rows(worksheet)
                    head, layout = _head_and_layout(rows)
                    if layout is not None:
                        return _Sheet(head + tuple(rows)), layout
                    heads.append(head)
            finally:
                workbook.close()
    except (*_WORKBOOK_ERRORS, InvalidFileException) as error:
        extract.format = None
        extract.problem("workbook", "is not an XLSX workbook rlsiron can read", str(error))
        return None
    _no_header(extract, max(heads, key=_widest_width, default=()), "no sheet has rows")
    return None


def _workbook_rows(worksheet: Any) -> Iterator[_Row]:
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
        yield _Row(at, " | ".join(shown), tuple(texts), dates, frozenset(numbers))


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


# --- the header ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Column:
    """A column of a wide table: a test, and maybe its unit."""

    index: int
    heading: str  # as printed
    name: str  # the test's name, the unit taken off
    test: str | None  # the catalogue's id; None for a test rlsiron does not read
    unit: str | None  # from the heading or the row of units


@dataclass(frozen=True, slots=True)
class _Layout:
    header: int  # index of the header row
    data: int  # index of the first row of results (after a row of units)
    roles: Mapping[Role, int]
    columns: tuple[_Column, ...] = ()  # a wide table's test columns; none in a long one

    @property
    def wide(self) -> bool:
        return bool(self.columns)


# "Ferritin (ng/mL)", "Ferritin [ug/L]": a test's name and its unit.
_HEADING_UNIT: Final = re.compile(
    r"(?P<name>.+?)\s*(?:\((?P<paren>[^()]*)\)|\[(?P<bracket>[^\[\]]*)\])"
)


def _head_and_layout(rows: Iterator[_Row]) -> tuple[tuple[_Row, ...], _Layout | None]:
    """The first rows, and the layout of the first of them that is a header."""
    head = tuple(islice(rows, _HEADER_SEARCH))
    for index in range(len(head)):
        layout = _layout_at(head, index)
        if layout is not None:
            return head, layout
    return head, None


def _layout_at(rows: Sequence[_Row], index: int) -> _Layout | None:
    """The layout of which rows[index] is the header, or None if it is not a header.

    A long header names a test (or code) column and a value column; a wide one a date column
    and at least one column named after a test the catalogue reads.
    """
    headings = rows[index].cells
    roles = roles_of(headings)
    if ("test" in roles or "code" in roles) and "value" in roles:
        return _Layout(index, index + 1, roles)
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
        return _Layout(index, index + 1, roles, tuple(columns))
    units = rows[following]
    columns = [replace(c, unit=c.unit or units[c.index] or None) for c in columns]
    return _Layout(index, following + 1, roles, tuple(columns))


def _column(index: int, heading: str) -> _Column:
    """A wide table's column: its heading is a test's name, or a name and a unit."""
    test = catalogue_test("", heading)
    split = None if test else _HEADING_UNIT.fullmatch(heading)
    if split is None:
        return _Column(index, heading, heading, test, None)
    name, unit = split["name"], (split["paren"] or split["bracket"] or "").strip()
    return _Column(index, heading, name, catalogue_test("", name), unit or None)


def _is_unit_row(row: _Row, date_column: int, columns: Sequence[_Column]) -> bool:
    """A row under a wide header that gives units: no date (or the word "Unit") and no number."""
    label = row[date_column]
    if label and role_of(label) != "unit":
        return False
    texts = [row[column.index] for column in columns]
    return any(texts) and not any(_is_plain_number(text) for text in texts)


def _no_header(extract: Extract, rows: Sequence[_Row], empty: str) -> None:
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


# --- what holds for the whole file ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """What every row of one file is read with."""

    decimal: DecimalMark | None  # None: commas that may be thousands separators, and no point
    day_first: bool | None  # of slash dates; None: not settled by the file
    date_format: str | None  # --date-format
    note: str | None  # carried by every result (how the file was decoded)


def _context(
    rows: Sequence[_Row], layout: _Layout, sheet: _Sheet, options: ReadOptions
) -> _Context:
    """The file's conventions, from the rows of every patient it holds (one export, one
    convention); typed XLSX cells say nothing about how text is written."""
    if layout.wide:
        value_columns: list[int | None] = [column.index for column in layout.columns]
    else:
        value_columns = [layout.roles.get("value")]
    date_column = layout.roles.get("date")
    values = (row[c] for row in rows for c in value_columns if c not in row.numbers)
    dates = (row[date_column] for row in rows if row.date(date_column) is None)
    return _Context(
        decimal=_decimal_mark(values, sheet.semicolons),
        day_first=_day_first(dates),
        date_format=options.date_format,
        note=sheet.note,
    )


# A comma that may separate thousands: 1 to 3 digits, not a lone 0, then 3 digits.
_THOUSANDS: Final = re.compile(r"[+-]?[1-9][0-9]{0,2},[0-9]{3}")
_NOT_A_MARK: Final = re.compile(r"[^.,]")


def _decimal_mark(values: Iterable[str], semicolons: bool) -> DecimalMark | None:
    """The file's decimal mark, from every value it holds (see the module's docstring)."""
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


def _day_first(dates: Iterable[str]) -> bool | None:
    """Whether the file's slash dates put the day first: settled by a date that can only be
    read one way ("13/04/2025"); None when none can, or when two dates settle it both ways."""
    day_first = month_first = False
    for text in dates:
        parts = _slash_parts(text)
        if parts is not None:
            first, second, year = parts
            as_month_first, as_day_first = _valid(year, first, second), _valid(year, second, first)
            day_first = day_first or (as_day_first and not as_month_first)
            month_first = month_first or (as_month_first and not as_day_first)
    return day_first if day_first != month_first else None


# --- patients ------------------------------------------------------------------------------


def _rows_of_one_patient(
    rows: Sequence[_Row], layout: _Layout, header: _Row, options: ReadOptions, extract: Extract
) -> Sequence[_Row]:
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
    shown = ", ".join(_short(i) for i in ids[:_IDS_SHOWN])
    more = ", ..." if len(ids) > _IDS_SHOWN else ""
    return f"{len(ids)} patient ids ({shown}{more})"


# --- results -------------------------------------------------------------------------------


def _read_long_row(row: _Row, layout: _Layout, context: _Context, extract: Extract) -> None:
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
            extract.problem(row.at, "no test name", _short(row.text))
        return
    date = _date(row, roles.get("date"), context)
    value_column = roles.get("value")
    cell = _Value(row[value_column], value_column in row.numbers)
    measured = _measured(test, cell, row[roles.get("unit")], context, "no unit")
    reference = _reference(row, roles, context.decimal)
    if (
        isinstance(date, _Trouble)
        or isinstance(measured, _Trouble)
        or isinstance(reference, _Trouble)
    ):
        _report(extract, row, [t for t in (date, measured, reference) if isinstance(t, _Trouble)])
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


def _read_wide_row(row: _Row, layout: _Layout, context: _Context, extract: Extract) -> None:
    """The results of one date; a bad date leaves the row out, a bad cell only itself."""
    filled = [column for column in layout.columns if row[column.index]]
    extract.skipped.update(column.name for column in filled if column.test is None)
    if not any(column.test for column in filled):
        return
    date = _date(row, layout.roles["date"], context)
    if isinstance(date, _Trouble):
        _report(extract, row, [date])
        return
    for column in filled:
        if column.test is not None:
            _read_wide_cell(row, column, column.test, date, context, extract)


def _read_wide_cell(
    row: _Row, column: _Column, test: str, date: dt.date, context: _Context, extract: Extract
) -> None:
    cell = _Value(row[column.index], column.index in row.numbers)
    missing = "no unit in the heading, a row of units or the cell"
    measured = _measured(test, cell, column.unit, context, missing, column.heading)
    if isinstance(measured, _Trouble):
        _report(extract, row, [measured], column.heading)
        return
    value, unit = measured
    origin = extract.origin(row.at, row.text)
    extract.labs.append(FoundLab(test, value, unit, date, origin, note=context.note))


def _report(
    extract: Extract, row: _Row, troubles: Iterable[_Trouble], column: str | None = None
) -> None:
    for trouble in troubles:
        message = trouble.message
        if column is not None:
            message = f"column {_short(column)!r}: {message}"
        if trouble.review:
            extract.needs_review(row.at, row.text, message)
        else:
            extract.problem(row.at, message, trouble.received, trouble.hint)


# --- values --------------------------------------------------------------------------------

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


class _Value(NamedTuple):
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


def _is_plain_number(text: str) -> bool:
    match = _value_match(text)
    return match is not None and not match["unit"]


def _measured(
    test: str,
    cell: _Value,
    column_unit: str | None,
    context: _Context,
    missing_unit: str,
    column: str | None = None,
) -> tuple[int | str, str] | _Trouble:
    """The value (int when printed without decimals, else the text with a decimal point, so
    "1.70" keeps its precision) and its unit, as the file prints them."""
    if not cell.text:
        return _Trouble("no value")
    match = _value_match(cell.text)
    if match is None:
        return _Trouble("not a number", cell.text, f"accepted: {_VALUE_EXAMPLES}")
    number = _decimal_point(match["number"], "." if cell.typed else context.decimal)
    if isinstance(number, _Trouble):
        return number
    unit = _unit(match["unit"].strip(), column_unit, column)
    if isinstance(unit, _Trouble):
        return unit
    if test == _TSAT and unit.casefold() in _FRACTION_UNITS and float(number) <= 1:
        percent = format(Decimal(number).scaleb(2).normalize(), "f")
        reason = f"looks like a fraction: {_short(number)} may be {_short(percent)} %"
        return _Trouble(reason, cell.text, review=True)
    if not unit:
        return _Trouble(missing_unit, cell.text, "give the unit as the lab printed it")
    comparator = match["comparator"] or ""
    if comparator or "." in number:
        return f"{comparator}{number}", unit
    try:
        return int(number), unit
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return _Trouble("not a number", _short(cell.text), "too many digits")


def _decimal_point(number: str, decimal: DecimalMark | None) -> str | _Trouble:
    """The number written with a decimal point, or why its mark is ambiguous in this file."""
    marks = _marks(number)
    if not marks:
        return number
    if marks == decimal:
        return number.replace(",", ".")
    shown = _short(number)
    if len(marks) > 1:
        reason = f"{shown} has a thousands separator or two decimal marks"
    elif decimal is None:
        reason = f"the comma in {shown} may separate thousands or decimals"
    else:
        name = "comma" if decimal == "," else "point"
        reason = f"{shown} is ambiguous: this file writes decimals with a {name}"
    return _Trouble(reason, number, review=True)


def _unit(in_cell: str, in_column: str | None, column: str | None) -> str | _Trouble:
    """The cell's own unit, or the column's; a cell that contradicts its column is a problem."""
    if in_cell and in_column and _unit_key(in_cell) != _unit_key(in_column):
        where = "the unit column" if column is None else "the heading"
        return _Trouble(f"the cell says {in_cell} where {where} says {in_column}", in_cell)
    return in_cell or in_column or ""


def _unit_key(unit: str) -> str:
    return unit.casefold().replace(" ", "").replace("µ", "u").replace("μ", "u")


def _reference(
    row: _Row, roles: Mapping[Role, int], decimal: DecimalMark | None
) -> str | _Trouble | None:
    """The reference range as printed, or as a lab prints its low and high columns ("4.6-18.7",
    ">59", "<5"), for the core to read. Decimal commas become points."""
    printed = row[roles.get("range")]
    if printed:
        return _DECIMAL_COMMA.sub(".", printed) if decimal == "," else printed
    low = _limit(row[roles.get("low")], "low", decimal)
    high = _limit(row[roles.get("high")], "high", decimal)
    if isinstance(low, _Trouble):
        return low
    if isinstance(high, _Trouble):
        return high
    if low and high:
        return f"{low}-{high}"
    if low or high:
        return f">{low}" if low else f"<{high}"
    return None


_DECIMAL_COMMA: Final = re.compile(r"(?<=[0-9]),(?=[0-9])")


def _limit(text: str, side: str, decimal: DecimalMark | None) -> str | _Trouble:
    if not text:
        return ""
    match = _value_match(text)
    if match is None or match["comparator"] or match["unit"]:
        return _Trouble(f"the reference range's {side} limit is not a number", text)
    return _decimal_point(match["number"], decimal)


# --- dates ---------------------------------------------------------------------------------

_YEAR: Final = r"(?P<year>[0-9]{4}|[0-9]{2})"
_FULL_YEAR: Final = r"(?P<year>[0-9]{4})"  # first, a year has four digits: 25-03-04 is not ISO
_MONTH: Final = r"(?P<month>[0-9]{1,2})"
_DAY: Final = r"(?P<day>[0-9]{1,2})"
_MONTH_NAME: Final = r"(?P<month>[A-Za-z]{3,9})\.?"
# The forms that say which part is which; a slash date ("03/04/2025") is read apart.
_UNAMBIGUOUS_DATES: Final = tuple(
    re.compile(form)
    for form in (
        rf"{_FULL_YEAR}-{_MONTH}-{_DAY}",  # ISO 8601
        rf"{_FULL_YEAR}/{_MONTH}/{_DAY}",
        rf"{_DAY}\.{_MONTH}\.{_YEAR}",  # German: day first
        rf"{_MONTH_NAME}\s+{_DAY},?\s+{_YEAR}",  # Mar 4, 2025
        rf"{_DAY}[\s-]+{_MONTH_NAME}[\s-]+{_YEAR}",  # 4 Mar 2025, 04-Mar-2025
    )
)
_SLASHED: Final = re.compile(r"(?P<first>[0-9]{1,2})[/-](?P<second>[0-9]{1,2})[/-]" + _YEAR)
# A date-time keeps its date: "2025-03-04T10:20:00Z", "04.03.2025 10:20", "Mar 4, 2025 9:05 AM".
_TIME_OF_DAY: Final = re.compile(r"(?:[T\s]\s*[0-9]{1,2}:[0-9]{2}.*)?")
_MONTHS: Final = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_DATE_EXAMPLES: Final = (
    "accepted: 2025-03-04, 2025/03/04, 04.03.2025, Mar 4, 2025, 4 Mar 2025; "
    "03/04/2025 when the file or --date-format settles the order"
)


def _date(row: _Row, column: int | None, context: _Context) -> dt.date | _Trouble:
    typed = row.date(column)
    return typed if typed is not None else _date_of_text(row[column], context)


@functools.lru_cache(maxsize=4096)
def _date_of_text(text: str, context: _Context) -> dt.date | _Trouble:
    """A date as printed (remembered: a table repeats a few dates on many rows)."""
    if not text:
        return _Trouble("no date")
    if context.date_format:
        try:
            return dt.datetime.strptime(text, context.date_format).date()
        except ValueError:
            pass  # an ISO date beside the user's format is still read
    parts = _date_parts(text, context)
    if isinstance(parts, _Trouble):
        return parts
    if parts is not None and _valid(*parts):
        return dt.date(*parts)
    return _Trouble("not a date", text, _DATE_EXAMPLES)


def _date_parts(text: str, context: _Context) -> tuple[int, int, int] | _Trouble | None:
    """(year, month, day) of a date as printed; None when it is not a date."""
    for form in _UNAMBIGUOUS_DATES:
        if match := _whole(form, text):
            return _parts(match["year"], match["month"], match["day"])
    parts = _slash_parts(text)
    if parts is None:
        return None
    first, second, year = parts
    month_first, day_first = (year, first, second), (year, second, first)
    if context.day_first is not None:
        return day_first if context.day_first else month_first
    readings = {reading for reading in (month_first, day_first) if _valid(*reading)}
    if len(readings) > 1:
        return _Trouble(_either_way(text, context.date_format), text, review=True)
    return readings.pop() if readings else None


def _either_way(text: str, date_format: str | None) -> str:
    reason = f"{_short(text)}: the day and the month could be either way round"
    if date_format:
        return f"{reason}, and it does not match --date-format {_short(date_format)}"
    return f"{reason}; give --date-format (e.g. %d/%m/%Y)"


def _whole(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """A match of the date at the start of text, followed by nothing or a time of day."""
    match = pattern.match(text)
    if match is None or _TIME_OF_DAY.fullmatch(text, match.end()) is None:
        return None
    return match


def _slash_parts(text: str) -> tuple[int, int, int] | None:
    """(first, second, year) of "03/04/2025" or "3-4-25", whose order the file settles."""
    match = _whole(_SLASHED, text)
    return (
        None if match is None else (int(match["first"]), int(match["second"]), _year(match["year"]))
    )


def _parts(year: str, month: str, day: str) -> tuple[int, int, int] | None:
    """The numbers of a date; a month may be named ("Mar", "March", "Sept")."""
    if month.isdigit():
        return _year(year), int(month), int(day)
    word = month.casefold()
    number = next((n for n, name in enumerate(_MONTHS, start=1) if word.startswith(name)), None)
    return None if number is None else (_year(year), number, int(day))


def _year(text: str) -> int:
    """A two-digit year as strptime reads it (69-99 are 1900s, 00-68 2000s)."""
    return int(text) if len(text) > 2 else dt.datetime.strptime(text, "%y").year


def _valid(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


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
