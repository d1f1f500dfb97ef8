"""The dates of a lab table's rows, and the rule for a slash date the file has not settled.

"03/04/2025" is 3 April or March 4; which one is decided once from all the dates of the file,
and a date no rule settles goes to review (the rule is in the docstring of rlsiron.io.table).
The forms that say which part is which (ISO, dotted, a month in words) need no rule.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from typing import Final

from rlsiron.io.month_names import month_number
from rlsiron.io.table_rows import Context, Row, Trouble, short

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
_DATE_EXAMPLES: Final = (
    "accepted: 2025-03-04, 2025/03/04, 04.03.2025, Mar 4, 2025, 4 Mar 2025; "
    "03/04/2025 when the file or --date-format settles the order"
)


def day_first_of(dates: Iterable[str]) -> bool | None:
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


def row_date(row: Row, column: int | None, context: Context) -> dt.date | Trouble:
    typed = row.date(column)
    return typed if typed is not None else _date_of_text(row[column], context)


@functools.lru_cache(maxsize=4096)
def _date_of_text(text: str, context: Context) -> dt.date | Trouble:
    """A date as printed (remembered: a table repeats a few dates on many rows)."""
    if not text:
        return Trouble("no date")
    if context.date_format:
        try:
            return dt.datetime.strptime(text, context.date_format).date()
        except ValueError:
            pass  # an ISO date beside the user's format is still read
    parts = _date_parts(text, context)
    if isinstance(parts, Trouble):
        return parts
    if parts is not None and _valid(*parts):
        return dt.date(*parts)
    return Trouble("not a date", text, _DATE_EXAMPLES)


def _date_parts(text: str, context: Context) -> tuple[int, int, int] | Trouble | None:
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
        return Trouble(_either_way(text, context.date_format), text, review=True)
    return readings.pop() if readings else None


def _either_way(text: str, date_format: str | None) -> str:
    reason = f"{short(text)}: the day and the month could be either way round"
    if date_format:
        return f"{reason}, and it does not match --date-format {short(date_format)}"
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
    number = month_number(month)
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
