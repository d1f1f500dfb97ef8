"""What a report's header says about every result on it: the draw date, the patient's sex and
date of birth.

A result is dated by the day the blood was taken ("Date Collected", "Sample taken"), never by
the day the report was printed or received: a report printed a month later would otherwise
move the panel a month forward. A report may hold several draws (an NHS record lists each
sample under its own "Sample taken"), so each result takes the nearest collection date above
it, and results printed above the first one (a header laid out after the table) take the
first. Nothing else is read from the header: names, addresses and ids stay where they are.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from rlsiron.io.extract import Extract, FactField, FoundFact
from rlsiron.io.lab_report_dates import DATE, DateDoubt, DateRules
from rlsiron.io.lab_report_lines import Line
from rlsiron.io.lab_report_words import WORDS

_COLLECTED = re.compile(rf"{WORDS.pattern('collected')}\s*:?\s*(?P<date>{DATE})")
_BORN = re.compile(rf"{WORDS.pattern('birth_date')}\s*:?\s*(?P<date>{DATE})")
_SEX = re.compile(rf"{WORDS.pattern('sex')}\s*:\s*(?P<sex>{WORDS.pattern('sex_value')})")


@dataclass(frozen=True, slots=True)
class Draw:
    """A collection date printed on the report, read or in doubt, and where."""

    index: int  # the line's position in the report
    line: Line
    date: dt.date | DateDoubt


def draws(lines: Sequence[Line], rules: DateRules) -> list[Draw]:
    """Every collection date the report prints, in order."""
    return [
        Draw(index, line, rules.read(found["date"]))
        for index, line in enumerate(lines)
        if (found := _COLLECTED.search(line.text)) is not None
    ]


def draw_of(draws: Sequence[Draw], index: int) -> Draw | None:
    """The draw of the result printed at line `index`: the nearest above it, else the first."""
    if not draws:
        return None
    above = bisect_right([d.index for d in draws], index)
    return draws[above - 1] if above else draws[0]


def patient_facts(lines: Sequence[Line], rules: DateRules, extract: Extract) -> None:
    """The sex and date of birth the header prints, each distinct value once, with its line."""
    seen: set[tuple[str, object]] = set()
    for line in lines:
        if (born := _BORN.search(line.text)) is not None:
            _birth_date(line, rules.read(born["date"]), seen, extract)
        if (sex := _SEX.search(line.text)) is not None:
            value = WORDS.meaning("sex_value", sex["sex"])
            if ("sex", value) not in seen:
                seen.add(("sex", value))
                extract.facts.append(_fact(extract, "person.sex", value, line))


def _birth_date(
    line: Line, date: dt.date | DateDoubt, seen: set[tuple[str, object]], extract: Extract
) -> None:
    if ("birth_date", date) in seen:
        return
    seen.add(("birth_date", date))
    if isinstance(date, DateDoubt):
        extract.needs_review(line.at, line.text, f"the date of birth {date.printed} {date.reason}")
    else:
        extract.facts.append(_fact(extract, "person.birth_date", date, line))


def _fact(extract: Extract, field: FactField, value: str | dt.date, line: Line) -> FoundFact:
    return FoundFact(field, value, extract.origin(line.at, line.text))
