"""The words of printed lab reports that are not test names: data/report_words.txt.

Report wording is data a reviewer can check line by line, as the core's test names are: the
labels a draw date follows, the flags, the phrases that tell a month-first layout. This module
only reads the file and turns each kind's phrases into one regular expression; what a phrase
means to a report is decided in `lab_report_header` and `lab_report_lines`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Final, Literal, get_args

from rlsiron.pipe_table import DataFileError, Row, parse_table

WORDS_FILE: Final = "report_words.txt"
WORDS_COLUMNS: Final = ("kind", "words", "reads as", "source")

Kind = Literal[
    "collected",
    "birth_date",
    "sex",
    "sex_value",
    "month_first",
    "day_first",
    "flag",
    "range_label",
    "no_range",
    "value_label",
    "ignored",
    "not_result",
    "qualitative",
    "ocr",
]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
_NOTHING = "-"  # the `reads as` of a kind that has nothing to say
# What `reads as` must hold for each kind that uses it; the other kinds hold "-".
_READS_AS: Final[Mapping[Kind, tuple[str, ...] | None]] = {
    "sex_value": ("female", "male"),
    "month_first": None,  # any name of a layout
    "day_first": None,
    "ocr": None,  # the unit as printed
}


@dataclass(frozen=True, slots=True)
class ReportWords:
    """Each kind's phrases as printed, and what the phrases that mean something read as."""

    phrases: Mapping[Kind, tuple[str, ...]]
    reads_as: Mapping[tuple[Kind, str], str]  # (kind, folded phrase) -> its `reads as`

    def pattern(self, kind: Kind) -> str:
        """A regular expression matching any phrase of `kind` as whole words.

        Case is ignored, except for OCR damage (matched exactly) and flags (as printed or in
        capitals: "High", "HIGH"), where a lower-case "l" or "a" is not a flag but a word.
        Longer phrases come first, so "Date Collected" wins over "Collected" at one place.
        """
        listed = self.phrases[kind]
        if kind == "ocr":
            return "|".join(re.escape(p) for p in sorted(listed, key=len, reverse=True))
        if kind == "flag":
            listed = tuple(dict.fromkeys((*listed, *(p.upper() for p in listed))))
        ordered = sorted(listed, key=len, reverse=True)
        body = "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered)
        words = r"(?<!\w)(?:" + body + r")(?!\w)"
        return words if kind == "flag" else f"(?i:{words})"

    def meaning(self, kind: Kind, printed: str) -> str:
        """What a printed phrase of `kind` reads as (the phrase found by `pattern(kind)`)."""
        return self.reads_as[_key(kind, printed)]


def _fold(phrase: str) -> str:
    """The form phrases are compared in: case ignored, runs of spaces as one space."""
    return " ".join(phrase.split()).casefold()


def _key(kind: Kind, phrase: str) -> tuple[Kind, str]:
    """OCR damage is compared exactly ("Pg" is not "pg"); every other phrase folded."""
    return kind, phrase if kind == "ocr" else _fold(phrase)


def read_words(rows: Sequence[Row], file: str = WORDS_FILE) -> ReportWords:
    """The vocabulary of report_words.txt rows; a bad row fails with its file and line."""
    phrases: dict[Kind, list[str]] = {kind: [] for kind in KINDS}
    reads_as: dict[tuple[Kind, str], str] = {}
    seen: dict[tuple[Kind, str], str] = {}
    for row in rows:
        kind = row.choice("kind", KINDS)
        words = row["words"]
        if not words:
            raise row.error("column 'words' is empty")
        key = _key(kind, words)
        if key in seen:
            raise row.error(f"{words!r} is already a {kind} phrase ({seen[key]})")
        seen[key] = row.where
        reads_as[key] = _checked_meaning(row, kind)
        phrases[kind].append(words)
    missing = [kind for kind, listed in phrases.items() if not listed]
    if missing:
        raise DataFileError(file, f"no phrase of kind {', '.join(missing)}")
    return ReportWords({k: tuple(v) for k, v in phrases.items()}, reads_as)


def _checked_meaning(row: Row, kind: Kind) -> str:
    meaning = row["reads as"]
    if kind not in _READS_AS:
        if meaning != _NOTHING:
            raise row.error(f"a {kind} row reads as nothing ('-'), not {meaning!r}")
        return meaning
    allowed = _READS_AS[kind]
    if allowed is not None:
        return row.choice("reads as", allowed)
    if meaning in ("", _NOTHING):
        raise row.error(f"a {kind} row must say what it reads as")
    return meaning


def _load() -> ReportWords:
    text = resources.files("rlsiron.io").joinpath("data", WORDS_FILE).read_text(encoding="utf-8")
    return read_words(parse_table(text, WORDS_FILE, WORDS_COLUMNS))


WORDS: Final = _load()
