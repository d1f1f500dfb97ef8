"""Dates as lab reports print them, and the one rule for a date that could be read two ways.

"03/04/2025" is 3 April in London and March 4 in New York. Such a date is read:
1. with the user's date format (`ReadOptions.date_format`) when one is given;
2. else month first when the report shows a layout whose laboratory prints MM/DD/YYYY by
   convention (LabCorp, Quest, Epic MyChart in the US: the `month_first` phrases of
   data/report_words.txt), unless it also shows a UK phrase (`day_first`: Epic MyChart is
   used by NHS trusts too);
3. else not at all: the result goes to review, naming the line of the date.
A date that only one reading makes real (05/19/2023, 23/04/2025), a year-first date
(2025-04-10) and a date with the month in words (Apr 10, 2025; 10-Apr-2025) need no rule.
Years are read only when printed with four digits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from rlsiron.io.lab_report_words import WORDS
from rlsiron.io.month_names import MONTH_STEMS

# Months printed whole or cut ("Sept.").
_MONTHS = "|".join(MONTH_STEMS)
_MONTH_WORD = rf"(?:{_MONTHS})[a-z]*\.?"
_DAY_MONTH_YEAR = rf"\d{{1,2}}[ -]{_MONTH_WORD}[ ,-]\s*\d{{4}}"
_MONTH_DAY_YEAR = rf"{_MONTH_WORD} \d{{1,2}},? \d{{4}}"

# A printed date in any form read here, for other patterns to embed (no groups of its own).
DATE: Final = (
    r"(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}"
    rf"|(?i:{_DAY_MONTH_YEAR})"
    rf"|(?i:{_MONTH_DAY_YEAR}))(?!\d)"
)
_YEAR_FIRST = re.compile(r"(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})")
_NUMERIC = re.compile(r"(?P<first>\d{1,2})[/.-](?P<second>\d{1,2})[/.-](?P<year>\d{4})")
_STEM = rf"(?P<stem>{_MONTHS})[a-z]*\.?"
_WORDED = (
    re.compile(rf"(?i:(?P<day>\d{{1,2}})[ -]{_STEM}[ ,-]\s*(?P<year>\d{{4}}))"),
    re.compile(rf"(?i:{_STEM} (?P<day>\d{{1,2}}),? (?P<year>\d{{4}}))"),
)
_MONTH_FIRST = re.compile(WORDS.pattern("month_first"))
_DAY_FIRST = re.compile(WORDS.pattern("day_first"))
_HINT = "give the date format, e.g. --date-format %d/%m/%Y (or %m/%d/%Y)"


@dataclass(frozen=True, slots=True)
class DateDoubt:
    """A printed date that is not read, and why (the end of a sentence naming the date)."""

    printed: str
    reason: str


@dataclass(frozen=True, slots=True)
class DateRules:
    """How one report's dates are read: the user's format, else its layout's convention."""

    date_format: str | None = None
    month_first_layout: str | None = None  # e.g. "LabCorp": ambiguous dates read month first

    def read(self, printed: str) -> dt.date | DateDoubt:
        """The date `printed` (a match of DATE), or why it is not read."""
        text = " ".join(printed.split())
        if m := _YEAR_FIRST.fullmatch(text):
            return _calendar_date(text, int(m["year"]), int(m["month"]), int(m["day"]))
        for worded in _WORDED:
            if m := worded.fullmatch(text):
                month = MONTH_STEMS.index(m["stem"].casefold()) + 1
                return _calendar_date(text, int(m["year"]), month, int(m["day"]))
        if m := _NUMERIC.fullmatch(text):
            return self._numeric(text, int(m["first"]), int(m["second"]), int(m["year"]))
        return DateDoubt(text, "is not a date rlsiron reads (the year needs four digits)")

    def _numeric(self, text: str, first: int, second: int, year: int) -> dt.date | DateDoubt:
        if self.date_format is not None:
            try:
                return dt.datetime.strptime(text, self.date_format).date()
            except ValueError:
                return DateDoubt(text, f"does not match the date format given ({self.date_format})")
        month_first = _real_date(year, first, second)
        day_first = _real_date(year, second, first)
        if month_first is None or day_first is None or month_first == day_first:
            return month_first or day_first or DateDoubt(text, "is not a real calendar date")
        if self.month_first_layout is not None:
            return month_first
        return DateDoubt(
            text,
            f"could be {_spoken(day_first)} (day first, as in the UK) or {_spoken(month_first)} "
            f"(month first, as in the US); {_HINT}",
        )


def date_rules(text: str, date_format: str | None) -> DateRules:
    """The rules for one report's dates, from the user's format or the phrases it prints."""
    if date_format is not None:
        return DateRules(date_format=date_format)
    if _DAY_FIRST.search(text):
        return DateRules()
    layout = _MONTH_FIRST.search(text)
    return DateRules(month_first_layout=WORDS.meaning("month_first", layout[0]) if layout else None)


def _real_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _calendar_date(text: str, year: int, month: int, day: int) -> dt.date | DateDoubt:
    return _real_date(year, month, day) or DateDoubt(text, "is not a real calendar date")


def _spoken(day: dt.date) -> str:
    """4 Mar 2025: a date no reader can take two ways."""
    return f"{day.day} {MONTH_STEMS[day.month - 1].title()} {day.year}"
