"""The results a lab report prints, read from its lines as pdfplumber or a paste gives them.

One grammar covers the layouts of US, UK and portal reports, because a report's text is a
test name followed by the result's columns, whatever their order:

    NAME  VALUE [FLAG] [PREVIOUS [FLAG] DATE]... [UNIT] [RANGE] [UNIT] [FLAG] [LAB CODE]

    Ferritin 12 Low 20 11/23/2022 ng/mL 30-400 01       LabCorp ("Previous Result and Date")
    FERRITIN 8 L 16-232 ng/mL EN                         Quest (unit after the range, lab code)
    Ferritin 12 ng/mL 13 - 150 ng/mL Low                 Epic MyChart ("Your Value", "Flag")
    Serum ferritin level 12 ug/L (30 - 400)              NHS (UK)
    Hemoglobin: 12.1 g/dL (Ref: 13.5-17.5) L             simple "Name: value" lines

The name is everything before the first whole number on the line, so "Vitamin D, 25-Hydroxy"
and "B12" keep their digits; a flag may be printed against the value ("12L", "15.2*"), and a
unit in brackets after the name ("Haemoglobin (g/L) 128 (130 - 180)") is the result's unit.
A table cell too narrow for its name wraps the name around the line of values, above and below
it, and OCR may split a name from its values: the fragments are joined when the joined name is
a test the catalogue knows ("Iron" / "Bind.Cap. 432 ug/dL 250-450" / "(TIBC)").
Epic MyChart's graph view prints the name, then "Normal range: 74 - 106 mg/dL", the graph's
scale ("74 106") and the value, one per line: that block is read as one result.

Every part of the line after the value must be understood; a part that is not (a second
number with no date, a word before the range) is kept in `unread`, so that a result of a test
rlsiron uses goes to review instead of being half-read.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field

from rlsiron.io.extract import catalogue_test
from rlsiron.io.lab_report_dates import DATE
from rlsiron.io.lab_report_words import WORDS

_NUMBER = r"(?:\d[\d,]*(?:\.\d+)?|\.\d+)"
_COMPARATOR = r"(?:<=|>=|[<>≤≥])"
_VALUE = rf"(?:{_COMPARATOR}\s?)?{_NUMBER}"
_FLAG = WORDS.pattern("flag")
# A flag printed against the value: "15.2*", "12L" (the letter flags in capitals).
_GLUED = "|".join(
    re.escape(flag)
    for flag in sorted(WORDS.phrases["flag"], key=len, reverse=True)
    if flag == "*" or (flag.isalpha() and flag.isupper())
)
_RANGE_BOUNDS = rf"{_NUMBER}\s*(?:-|–|—|to)\s*{_NUMBER}|{_COMPARATOR}\s?{_NUMBER}"
# Units: "x10E3/uL", "10^3/uL" and "x 10^3/uL"; eGFR's "mL/min/1.73 m2"; "%"; any word
# starting with a letter ("ng/mL", "µmol/L", "fL").
_UNIT = (
    r"(?:x\s?)?10\s?[\^*eE]\s?\d+\s?/\s?[A-Za-zµμ]+"
    r"|mL/min/1\.73\s?m(?:2|²)"
    r"|%"
    r"|[A-Za-zµμ][\w/.^*µμ²³%-]*"
)
# The result: the first whole number of the line, possibly one-sided ("<5"), with a flag or
# a unit printed against it ("12L" is a low flag, as reports print it; "12ng/mL" a unit).
_FIRST_VALUE = re.compile(
    rf"(?:^|(?<=\s))(?P<value>{_VALUE})"
    rf"(?:(?P<glued>{_GLUED})|(?P<glued_unit>{_UNIT}))?(?=\s|$|%)"
)
_TOKEN = re.compile(
    rf"(?P<previous>(?P<before>{_VALUE})\*?(?:\s+(?P<before_flag>{_FLAG}))?"
    rf"\s+(?P<on>{DATE}))(?=\s|$)"
    rf"|(?P<range>(?=\S)[(\[]?\s*(?:{WORDS.pattern('range_label')}\s*:?\s*){{0,2}}[(\[]?\s*"
    rf"(?:(?P<bounds>{_RANGE_BOUNDS})|{WORDS.pattern('no_range')})\s*[)\]]?)(?=\s|$)"
    rf"|(?P<flag>{_FLAG})"
    rf"|(?P<ignored>{WORDS.pattern('ignored')})"
    rf"|(?P<unit>{_UNIT})(?=\s|$)"
    r"|(?P<word>\S+)"
)
# A laboratory's code, printed last (LabCorp "01", Quest "EN", "Z4M").
_LAB_CODE = re.compile(r"\d{2}|[A-Z][A-Z0-9]{1,3}")
_RANGE_LINE = re.compile(rf"{WORDS.pattern('range_label')}\s*:")
_VALUE_LINE = re.compile(rf"(?P<value>{_VALUE})(?P<glued>{_GLUED})?(?:\s+(?P<flag>{_FLAG}))?")
_SCALE_LINE = re.compile(rf"{_NUMBER}\s+{_NUMBER}|{WORDS.pattern('value_label')}")
_VALUE_LABEL = re.compile(rf"{WORDS.pattern('value_label')}\s*:?")
_NOT_RESULT = re.compile(WORDS.pattern("not_result"))
_QUALITATIVE = re.compile(rf"(?P<name>[^:]+):\s*(?P<value>{WORDS.pattern('qualitative')})\s*")
_OCR = re.compile(WORDS.pattern("ocr"))
_DATE = re.compile(DATE)
_LETTER = re.compile(r"[A-Za-z]")
# OCR's stray marks at the end of a name ('Hemoglobin"', 'RBC<"'); a colon ends names too.
_OCR_MARKS = "\"'“”‘’<>"
_NAME_END = _OCR_MARKS + ":" + string.whitespace + "\u00a0"


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a report: where it is and its text as printed (outer spaces removed)."""

    number: int  # from 1, within its page
    text: str
    page: int | None = None  # None for pasted text

    @property
    def at(self) -> str:
        return f"page {self.page}, line {self.number}" if self.page else f"line {self.number}"


def span(lines: Sequence[Line]) -> str:
    """Where a result printed on `lines` is: "line 7", "page 1, lines 7-9"."""
    first, last = lines[0], lines[-1]
    if first is last:
        return first.at
    if first.page != last.page:
        return f"{first.at} to {last.at}"
    prefix = f"page {first.page}, " if first.page else ""
    return f"{prefix}lines {first.number}-{last.number}"


@dataclass(frozen=True, slots=True)
class Previous:
    """An earlier result printed beside the current one (LabCorp's "Previous Result and Date")."""

    value: str
    flag: str | None
    date: str  # as printed


@dataclass(frozen=True, slots=True)
class PrintedResult:
    """One result as printed, before it is dated and handed to the core."""

    name: str  # as printed, OCR's stray marks removed
    test: str | None  # the catalogue's id, None for a test rlsiron does not read
    value: str  # as printed: "14.0", "<5", "Detected"
    unit: str | None  # as printed, OCR damage undone
    reference_range: str | None  # as printed ("30 - 400", ">=90"); None when none is given
    flags: tuple[str, ...]
    previous: tuple[Previous, ...]
    notes: tuple[str, ...]  # what was undone or left aside, for the person to see
    unread: tuple[str, ...]  # parts of the line not understood
    lines: tuple[Line, ...]  # where it is printed, first to last
    first: int  # the positions of those lines in the report
    last: int

    @property
    def text(self) -> str:
        """The lines as printed, so the person sees where each value came from."""
        return "\n".join(line.text for line in self.lines)


@dataclass
class _Columns:
    """What follows the value on a result line."""

    unit: str | None = None
    reference_range: str | None = None
    range_printed: bool = False  # a range, or a printed "no range" ("Not Estab.")
    flags: list[str] = field(default_factory=list)
    previous: list[Previous] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)

    def shaped(self) -> bool:
        """Whether the line reads as a result: a unit or a range, and nothing left unread."""
        return not self.unread and (self.unit is not None or self.range_printed)


def read_results(lines: Sequence[Line]) -> list[PrintedResult]:
    """Every result printed on `lines`, in order; a line is used by one result at most."""
    found: list[PrintedResult] = []
    used: set[int] = set()
    for index in range(len(lines)):
        if index in used:
            continue
        result = _graph_block(lines, index) or _result_line(lines, index, used)
        if result is not None:
            found.append(result)
            used.update(range(result.first, result.last + 1))
    return found


# --- one line ---------------------------------------------------------------------------------


def _result_line(lines: Sequence[Line], index: int, used: set[int]) -> PrintedResult | None:
    line = lines[index]
    value = _FIRST_VALUE.search(line.text)
    if value is None:
        return _qualitative(lines, index)
    named = _Name.of(lines, index, line.text[: value.start()], used)
    if named is None or not named.name or _NOT_RESULT.match(named.name):
        return None
    columns = _columns(line.text[value.end() :])
    if value["glued"]:
        columns.flags.insert(0, value["glued"])
    if value["glued_unit"]:
        if columns.unit not in (None, value["glued_unit"]):
            columns.unread.append(columns.unit)  # two units for one value
        columns.unit = value["glued_unit"]
    if named.unit is not None and columns.unit not in (None, named.unit):
        columns.unread.append(f"({named.unit})")  # two units for one value
    columns.unit = columns.unit or named.unit
    if named.test is None and not columns.shaped():
        return None
    return _result(named, value["value"], columns, lines)


@dataclass(frozen=True, slots=True)
class _Name:
    """A result's name, the test it is, and the lines it takes (a wrapped cell takes three)."""

    name: str
    test: str | None
    note: str | None  # OCR's stray marks removed from the name
    first: int
    last: int
    unit: str | None = None  # printed after the name: "Haemoglobin (g/L)"

    @classmethod
    def of(cls, lines: Sequence[Line], index: int, printed: str, used: set[int]) -> _Name | None:
        """The name printed before the value, joined to the fragments above and below it.

        A table cell too narrow for its name wraps it around the value's line ("Iron" /
        "Bind.Cap. 432 ug/dL" / "(TIBC)"), and OCR may put the whole name on the line above.
        The longest joined name the catalogue reads is taken, so "Iron" / "8 %" /
        "Saturation" is never read as iron. Otherwise the name is the value line's own (the
        line above when it has none): a heading above or below a result ("CBC With
        Differential") joins to no test and is left alone.
        """
        own = "" if _is_value_label(printed) else printed.strip()
        above = index - 1 if index > 0 and index - 1 not in used else None
        if above is not None and not _is_name_only(lines[above].text):
            above = None
        below = index + 1 if _wraps_below(lines, index) else None
        for first, last in ((above, below), (above, None), (None, below), (None, None)):
            if own or first is not None:
                found = cls._joined(lines, own, index, first, last)
                if found.test is not None:
                    return found
        if own or above is not None:
            return cls._joined(lines, own, index, above if not own else None, None)
        return None

    @classmethod
    def _joined(
        cls, lines: Sequence[Line], own: str, index: int, above: int | None, below: int | None
    ) -> _Name:
        parts = (lines[above].text if above is not None else "", own)
        raw = " ".join(p for p in (*parts, lines[below].text if below is not None else "") if p)
        return cls.read(raw, index if above is None else above, index if below is None else below)

    @classmethod
    def read(cls, raw: str, first: int, last: int) -> _Name:
        """The name printed as `raw` on lines `first` to `last`, and the test it is."""
        name, note = _clean_name(raw)
        test = catalogue_test(name) if name else None
        with_unit = _unit_in_name(name) if test is None else None
        if with_unit is not None and (bare := catalogue_test(with_unit[0])) is not None:
            return cls(with_unit[0], bare, note, first, last, with_unit[1])
        return cls(name, test, note, first, last)


def _columns(rest: str) -> _Columns:
    """The unit, range, flags and previous results after the value, and what is not read."""
    columns = _Columns()
    tokens = list(_TOKEN.finditer(rest))
    for position, token in enumerate(tokens):
        _take(columns, token, last=position == len(tokens) - 1)
    return columns


def _take(columns: _Columns, token: re.Match[str], *, last: bool) -> None:
    """One part of the line after the value, put where it belongs."""
    kind, text = token.lastgroup, token[0]
    unit, unit_note = _unocr(text) if kind == "unit" else (None, None)
    if kind == "previous":
        columns.previous.append(Previous(token["before"], token["before_flag"], token["on"]))
    elif kind == "range" and not columns.range_printed:
        columns.range_printed, columns.reference_range = True, token["bounds"]
    elif kind == "flag":
        columns.flags.append(text)
    elif kind == "ignored":
        return
    elif unit is not None and columns.unit in (None, unit):  # MyChart repeats it after the range
        columns.notes += [unit_note] if unit_note and columns.unit is None else []
        columns.unit = unit
    elif last and (columns.unit or columns.range_printed) and _LAB_CODE.fullmatch(text):
        return  # the laboratory's code
    elif columns.range_printed and text.isalpha():
        columns.notes.append(f"also printed: {text}")
    else:
        columns.unread.append(text)


def _unocr(unit: str) -> tuple[str, str | None]:
    """The unit with OCR damage undone, and a note saying so when there was any."""
    if _OCR.fullmatch(unit):
        fixed = WORDS.meaning("ocr", unit)
        return fixed, f"unit printed {unit!r} (OCR damage), read as {fixed!r}"
    return unit, None


def _result(named: _Name, value: str, columns: _Columns, lines: Sequence[Line]) -> PrintedResult:
    return PrintedResult(
        name=named.name,
        test=named.test,
        value=value,
        unit=columns.unit,
        reference_range=columns.reference_range,
        flags=tuple(columns.flags),
        previous=tuple(columns.previous),
        notes=(*([named.note] if named.note else []), *columns.notes),
        unread=tuple(columns.unread),
        lines=tuple(lines[named.first : named.last + 1]),
        first=named.first,
        last=named.last,
    )


def _qualitative(lines: Sequence[Line], index: int) -> PrintedResult | None:
    """A result printed as a word ("COVID-19 PCR: Detected"): a test to count as skipped."""
    match = _QUALITATIVE.fullmatch(lines[index].text)
    if match is None:
        return None
    named = _Name.read(match["name"], index, index)
    if _LETTER.search(named.name) is None or _NOT_RESULT.match(named.name):
        return None
    return _result(named, match["value"], _Columns(), lines)


# --- names ------------------------------------------------------------------------------------


def _clean_name(printed: str) -> tuple[str, str | None]:
    """The name without OCR's stray marks at its end, and a note when there were any."""
    printed = printed.strip()
    name = printed.rstrip(_NAME_END)
    if any(mark in printed[len(name) :] for mark in _OCR_MARKS):
        return name, f"name printed {printed!r} (OCR damage), read as {name!r}"
    return name, None


def _unit_in_name(name: str) -> tuple[str, str] | None:
    """The name and the unit printed after it in brackets, as UK and European tables do:
    "Haemoglobin (g/L)" is ("Haemoglobin", "g/L"); "(TIBC)", with no "/" or "%", is a name's."""
    opening = name.rfind("(")
    inner = name[opening + 1 : -1]
    if opening < 0 or not name.endswith(")") or not any(mark in inner for mark in "/%"):
        return None
    return name[:opening].rstrip(), inner


def _is_value_label(printed_name: str) -> bool:
    """Nothing before the value but, at most, a label such as "Result:"."""
    return not printed_name.strip() or bool(_VALUE_LABEL.fullmatch(printed_name.strip()))


def _is_name_only(text: str) -> bool:
    """A line that can only be a test's name: words, no value, no date, not a range or label."""
    return (
        _LETTER.search(text) is not None
        and _FIRST_VALUE.search(text) is None
        and _DATE.search(text) is None
        and _RANGE_LINE.match(text) is None
        and not text.rstrip().endswith(":")
    )


def _starts_with_value(text: str) -> bool:
    """A line of values whose name is elsewhere: "0 0 11/23/2022 %", "Result: 6.5%"."""
    value = _FIRST_VALUE.search(text)
    return value is not None and _is_value_label(text[: value.start()])


def _wraps_below(lines: Sequence[Line], index: int) -> bool:
    """Whether the next line may be the rest of a wrapped name (not a name of its own)."""
    if index + 1 >= len(lines) or not _is_name_only(lines[index + 1].text):
        return False
    after = lines[index + 2].text if index + 2 < len(lines) else ""
    return not _starts_with_value(after) and _RANGE_LINE.match(after) is None


# --- Epic MyChart's graph view ----------------------------------------------------------------


def _graph_block(lines: Sequence[Line], index: int) -> PrintedResult | None:
    """Name / "Normal range: 0.50 - 0.90 mg/dL" / scale "0.50 0.90" / value "0.72"."""
    if index + 2 >= len(lines) or not _is_name_only(lines[index].text):
        return None
    if _RANGE_LINE.match(lines[index + 1].text) is None:
        return None
    value_at = _value_after_scale(lines, index + 2)
    value = _VALUE_LINE.fullmatch(lines[value_at].text) if value_at is not None else None
    if value_at is None or value is None:
        return None
    columns = _columns(lines[index + 1].text)
    columns.flags = [f for f in (value["glued"], value["flag"]) if f]
    return _result(_Name.read(lines[index].text, index, value_at), value["value"], columns, lines)


def _value_after_scale(lines: Sequence[Line], start: int) -> int | None:
    """The value line's index: the line after the range, or after the graph's scale."""
    if _VALUE_LINE.fullmatch(lines[start].text):
        return start
    if _SCALE_LINE.fullmatch(lines[start].text) and start + 1 < len(lines):
        return start + 1
    return None
