"""The lab-test catalogue: what each test is called, coded and measured in.

Lab reports name the same test many ways ("Iron, Total", "Iron Bind.Cap.(TIBC)", LOINC 2498-4)
and users copy them as printed. The catalogue is data a clinician can review, in
knowledge/data: analytes.txt (one row per test), test_names.txt (every accepted spelling, with
where it comes from) and lookalike_tests.txt (tests that look like these but are not). This
module reads them and resolves typed names.

A name is matched exactly, after one normalisation (case, accents, punctuation and spaces
ignored), and matching never turns one test into another:

- a test that only looks like a supported one (HbA1c, oxygen saturation, RBC magnesium) is
  refused with the reason, by name and by LOINC code;
- any other unknown name is refused too. Its hint proposes a name only when the input reads,
  word for word, as a misspelling of the names of exactly one supported test and is not also
  close to a look-alike, so "RBC magnesium level" never gets "magnesium". A wrong test
  silently used is worse than a question.

Each analyte also carries a physiologically plausible range in its canonical unit. A value
outside it is not rejected (it may be real) but flagged, because it is the signature of the
classic unit mistakes: serum iron in ug/dL labelled umol/L, Hb in g/L labelled g/dL, TSAT
written as a fraction.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, NamedTuple

from rlsiron.core.knowledge.table import load_table
from rlsiron.core.readings import Reading
from rlsiron.errors import ImpossibleValueError, LookalikeTestError, UnknownTestError
from rlsiron.pipe_table import Row, unique

if TYPE_CHECKING:
    from difflib import SequenceMatcher

ANALYTE_FILE: Final = "analytes.txt"
ANALYTE_COLUMNS: Final = (
    "key",
    "display",
    "canonical unit",
    "plausible low",
    "plausible high",
    "decimals",
    "loinc",
    "note",
)
NAME_FILE: Final = "test_names.txt"
NAME_COLUMNS: Final = ("analyte", "name", "source")
LOOKALIKE_FILE: Final = "lookalike_tests.txt"
LOOKALIKE_COLUMNS: Final = ("lookalike", "resembles", "names", "reason")


@dataclass(frozen=True, slots=True)
class Analyte:
    """One lab test: identity, names, canonical unit and plausible range (canonical unit)."""

    key: str
    display: str
    loinc: tuple[str, ...]
    synonyms: tuple[str, ...]
    canonical_unit: str
    plausible_low: float
    plausible_high: float
    display_decimals: int


@dataclass(frozen=True, slots=True)
class Lookalike:
    """A test mistaken for a supported one by its name: refused with what it measures instead."""

    name: str
    resembles: Analyte
    names: tuple[str, ...]
    reason: str

    def message(self) -> str:
        return f"{self.name} is a different test from {self.resembles.display}: {self.reason}"


class Catalogue(NamedTuple):
    """The analytes by key, and every normalised name, key and LOINC code of each."""

    analytes: Mapping[str, Analyte]
    by_name: Mapping[str, Analyte]


# --- names ------------------------------------------------------------------------------------


def _decomposed(text: str) -> str:
    # "%" is kept as a word ("% saturation" -> "percent saturation") because dropping it would
    # leave the bare, ambiguous "saturation" (oxygen saturation is a different test). NFKD
    # splits "ä" into "a" + a combining mark, which is then dropped.
    return unicodedata.normalize("NFKD", text.replace("%", " percent ")).casefold()


@functools.lru_cache(maxsize=4096)
def normalise_name(text: str) -> str:
    """Case, accents, punctuation and spaces dropped: "FERRITIN (SERUM)" -> "ferritinserum".

    Hyphens in LOINC codes are dropped too; codes stay distinct because the part after the
    hyphen is always one check digit.
    """
    return "".join(ch for ch in _decomposed(text) if ch.isalnum())


def _words(text: str) -> tuple[str, ...]:
    """The words of a name, normalised as `normalise_name` (their concatenation is its key).

    "Did you mean" compares names word by word, so that one extra word ("RBC" magnesium)
    rules a name out. Accent marks do not split a word ("Hämoglobin" is one word); anything
    else that is not a letter or digit does.
    """
    words: list[str] = []
    current: list[str] = []
    for ch in _decomposed(text):
        if ch.isalnum():
            current.append(ch)
        elif not unicodedata.combining(ch) and current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return tuple(words)


_LOINC_CODE: Final = re.compile(r"([0-9]+)-([0-9])")
# Digits and hyphens only: meant as a LOINC code, so it must be a valid one.
_CODE_LIKE: Final = re.compile(r"[0-9-]+")


def _loinc_check_digit(stem: str) -> int:
    """LOINC's mod-10 check digit (the Luhn algorithm), as its users' guide describes it."""
    from_right = stem[::-1]
    doubled = str(int(from_right[0::2]) * 2)
    digits = from_right[1::2] + doubled
    return -sum(int(d) for d in digits) % 10


def _checked_code(code: str, row: Row) -> str:
    match = _LOINC_CODE.fullmatch(code)
    if match is None:
        raise row.error(f"{code!r} is not a LOINC code (digits, a hyphen, one check digit)")
    if _loinc_check_digit(match[1]) != int(match[2]):
        raise row.error(f"LOINC code {code} has a wrong check digit")
    return code


# --- reading the data files -------------------------------------------------------------------

_KEY: Final = re.compile(r"[a-z][a-z0-9_]*")
_WHOLE_NUMBER: Final = re.compile(r"[0-9]+")


def _text(row: Row, column: str) -> str:
    value = row[column]
    if not value or value == "-":
        raise row.error(f"column {column!r} is empty")
    return value


def _analyte(row: Row) -> Analyte:
    key = row["key"]
    if not _KEY.fullmatch(key):
        raise row.error(f"key {key!r} is not lower-case letters, digits and '_'")
    low, high = row.number("plausible low"), row.number("plausible high")
    if not 0 <= low < high:
        raise row.error(f"plausible range {low:g} to {high:g} is not 0 <= low < high")
    decimals = row["decimals"]
    if not _WHOLE_NUMBER.fullmatch(decimals):
        raise row.error(f"column 'decimals' is {decimals!r}, not a whole number of 0 or more")
    _text(row, "note")  # for the reviewer only, but a bound without a reason is not reviewable
    return Analyte(
        key=key,
        display=_text(row, "display"),
        loinc=tuple(_checked_code(code, row) for code in row.words("loinc")),
        synonyms=(),
        canonical_unit=_text(row, "canonical unit"),
        plausible_low=low,
        plausible_high=high,
        display_decimals=int(decimals),
    )


class _Index:
    """Normalised name -> analyte, refusing a name that two tests (or two rows) share."""

    def __init__(self) -> None:
        self.by_name: dict[str, Analyte] = {}
        # normalised -> (analyte key, file:line, whether a names row may repeat it)
        self.where: dict[str, tuple[str, str, bool]] = {}

    def add(self, name: str, analyte: Analyte, row: Row, *, repeatable: bool = False) -> None:
        normalised = normalise_name(name)
        if not normalised:
            raise row.error(f"name {name!r} has no letters or digits")
        seen = self.where.get(normalised)
        if seen is None:
            self.where[normalised] = (analyte.key, row.where, repeatable)
            self.by_name[normalised] = analyte
            return
        other_key, where, other_repeatable = seen
        if other_key != analyte.key:
            raise row.error(f"{name!r} is already a name of {other_key} ({where})")
        if not other_repeatable:
            raise row.error(f"{name!r} repeats a name of {other_key} ({where})")


def read_catalogue(analyte_rows: Sequence[Row], name_rows: Sequence[Row]) -> Catalogue:
    """The analytes of analytes.txt with their names from test_names.txt, and the name index.

    Fails with the file and line of the first bad row: a malformed cell, an unknown analyte,
    a name without a source, or a name that once normalised is already another test's.
    """
    index = _Index()
    base: dict[str, Analyte] = {}
    for key, row in unique(analyte_rows, "key"):
        analyte = _analyte(row)
        base[key] = analyte
        # The key and display are names too. test_names.txt may repeat them (its row then
        # documents where the spelling comes from), but not another of its own rows.
        for name in (analyte.key, analyte.display):
            index.add(name, analyte, row, repeatable=True)
        for code in analyte.loinc:
            index.add(code, analyte, row)

    synonyms: dict[str, list[str]] = {key: [] for key in base}
    for row in name_rows:
        key = row.choice("analyte", tuple(base))
        name = _text(row, "name")
        _text(row, "source")
        index.add(name, base[key], row)
        synonyms[key].append(name)

    analytes = {key: replace(a, synonyms=tuple(synonyms[key])) for key, a in base.items()}
    resolved = {name: analytes[a.key] for name, a in index.by_name.items()}
    return Catalogue(MappingProxyType(analytes), MappingProxyType(resolved))


def read_lookalikes(rows: Sequence[Row], catalogue: Catalogue) -> dict[str, Lookalike]:
    """Normalised look-alike name or code -> look-alike, from lookalike_tests.txt rows.

    Fails with the file and line of a bad row, and of a name that is also a supported test's:
    a name cannot be both accepted and refused.
    """
    out: dict[str, Lookalike] = {}
    where: dict[str, str] = {}
    for _, row in unique(rows, "lookalike"):
        key = row.choice("resembles", tuple(catalogue.analytes))
        names = row.items("names")
        if not names:
            raise row.error("column 'names' is empty")
        lookalike = Lookalike(
            _text(row, "lookalike"), catalogue.analytes[key], names, _text(row, "reason")
        )
        for name in names:
            if _CODE_LIKE.fullmatch(name):
                _checked_code(name, row)
            normalised = normalise_name(name)
            if not normalised:
                raise row.error(f"name {name!r} has no letters or digits")
            supported = catalogue.by_name.get(normalised)
            if supported is not None:
                raise row.error(f"{name!r} is a name of the supported test {supported.key}")
            if normalised in where:
                raise row.error(f"{name!r} is already listed ({where[normalised]})")
            where[normalised] = row.where
            out[normalised] = lookalike
    return out


_CATALOGUE: Final = read_catalogue(
    load_table(ANALYTE_FILE, ANALYTE_COLUMNS), load_table(NAME_FILE, NAME_COLUMNS)
)
ANALYTES: Mapping[str, Analyte] = _CATALOGUE.analytes


@functools.cache
def lookalikes() -> Mapping[str, Lookalike]:
    """Normalised look-alike name or code -> look-alike.

    Read on first use, which is the error path: a supported name never needs it, so the CLI's
    cold start does not pay for it. The test suite loads it, so a malformed row fails there.
    """
    return MappingProxyType(
        read_lookalikes(load_table(LOOKALIKE_FILE, LOOKALIKE_COLUMNS), _CATALOGUE)
    )


# --- resolving --------------------------------------------------------------------------------

_ACCEPTED: Final = (*ANALYTES, "or a LOINC code")


def find_test(text: str) -> Analyte | None:
    """The analyte a name or code refers to, or None; no error, no "did you mean".

    For importers, which meet hundreds of names that are not ours (blood pressure,
    cholesterol) and only count them: building a hint for each would cost milliseconds.
    Look-alikes are None here as everywhere (HbA1c is not haemoglobin).
    """
    return _CATALOGUE.by_name.get(normalise_name(text))


def resolve_test(text: str, *, field: str = "test") -> Analyte:
    """The analyte a lab-report name, synonym or LOINC code refers to.

    Raises LookalikeTestError for a test that only resembles a supported one, and
    UnknownTestError otherwise; never guesses.
    """
    normalised = normalise_name(text)
    analyte = _CATALOGUE.by_name.get(normalised)
    if analyte is not None:
        return analyte
    lookalike = lookalikes().get(normalised)
    if lookalike is not None:
        raise LookalikeTestError(lookalike.message(), field=field, value=text, accepted=_ACCEPTED)
    raise UnknownTestError(
        "unknown lab test" if text.strip() else "empty lab test name",
        field=field,
        value=text,
        accepted=_ACCEPTED,
        hint=_unknown_hint(text) if normalised else None,
    )


# --- "did you mean" ----------------------------------------------------------------------------

# difflib ratio a typed name (its words joined) must reach with a catalogue name to be proposed:
# "Ferritn" (0.93), "Hemoglobn" (0.95), "Transferin saturaton" pass; "Ferr" (0.67) does not.
_NAME_CUTOFF: Final = 0.8
# Share of each word's letters that must be matched in the other name, both ways: a word that
# is not there ("RBC" magnesium, "oxygen" saturation, HbA"1c") rules the name out whatever the
# overall ratio, and so does a short word changed by one letter ("MCvC" is neither MCV nor
# MCHC). Digits must all be matched, so "B1" is not "B12" and "D2" is not "D".
_WORD_CUTOFF: Final = 0.8
# How much closer to a test than to a look-alike a typed name must be for the test to be
# proposed; one letter of a ten-letter name is about 0.05 ("Calcidriol" is between calcidiol
# and calcitriol: nothing is proposed).
_LOOKALIKE_MARGIN: Final = 0.05
# Words that say how or where a result is reported, not which test it is: "Ferritin result" may
# get "Ferritin". A look-alike's own words are never ignored ("Plasma haemoglobin").
_NEUTRAL_WORDS: Final = frozenset({"level", "serum", "plasma", "test", "result"})
# A distinguishing word this long is found inside run-together words too ("25dihydroxyvitamin");
# a shorter one ("A1c", "CK", "A") only as a word of its own.
_SUBSTRING_MIN_LENGTH: Final = 4


class _Candidate(NamedTuple):
    name: str
    words: tuple[str, ...]  # a supported test's without the neutral words
    analyte: Analyte | None
    lookalike: Lookalike | None


class _Matcher(NamedTuple):
    candidates: tuple[_Candidate, ...]
    # Words of look-alike names that no supported name has ("glycated", "dihydroxy", "urine"):
    # a typed name holding one is never given a supported test, however close it is otherwise.
    distinguishing: frozenset[str]


@functools.cache
def _matcher() -> _Matcher:
    """Every name that could be proposed or must block a proposal (codes are never guessed)."""
    candidates = [
        _Candidate(name, _kept(_words(name), _NEUTRAL_WORDS), analyte, None)
        for analyte in ANALYTES.values()
        for name in dict.fromkeys((analyte.display, *analyte.synonyms, analyte.key))
    ]
    supported_words = {w for c in candidates for w in _words(c.name)}
    for lookalike in dict.fromkeys(lookalikes().values()):
        candidates += [
            _Candidate(name, _words(name), None, lookalike)
            for name in lookalike.names
            if _LOINC_CODE.fullmatch(name) is None
        ]
    lookalike_words = {w for c in candidates if c.lookalike is not None for w in c.words}
    return _Matcher(
        tuple(candidates), frozenset(lookalike_words - supported_words - _NEUTRAL_WORDS)
    )


def _kept(words: Sequence[str], ignored: frozenset[str]) -> tuple[str, ...]:
    return tuple(w for w in words if w not in ignored)


def _typed_words(typed: Sequence[str], lookalike: _Candidate | None) -> tuple[str, ...]:
    """The typed words compared with a name: all but the neutral ones the name lacks."""
    if lookalike is None:
        return _kept(typed, _NEUTRAL_WORDS)
    return _kept(typed, _NEUTRAL_WORDS - set(lookalike.words))


def _covered(words: Sequence[str], matched: Sequence[bool]) -> bool:
    """Whether each word is mostly matched, and all its digits are, in the aligned other name."""
    start = 0
    for word in words:
        flags = matched[start : start + len(word)]
        if sum(flags) < _WORD_CUTOFF * len(word):
            return False
        if any(ch.isdigit() and not ok for ch, ok in zip(word, flags, strict=True)):
            return False
        start += len(word)
    return True


def _similarity(matcher: SequenceMatcher[str], typed: Sequence[str], name: Sequence[str]) -> float:
    """The ratio of the joined words when every word of each side is found in the other, else 0.

    Both word orders are tried as given and sorted, so "B12 vitamin" can match "Vitamin B12".
    """
    if not typed or not name:
        return 0.0
    best = 0.0
    for a, b in ((typed, name), (sorted(typed), sorted(name))):
        joined_a, joined_b = "".join(a), "".join(b)
        matcher.set_seqs(joined_a, joined_b)
        if matcher.quick_ratio() < _NAME_CUTOFF:
            return 0.0  # order-independent: the other order cannot do better
        matched_a, matched_b = [False] * len(joined_a), [False] * len(joined_b)
        for i, j, size in matcher.get_matching_blocks():
            matched_a[i : i + size] = [True] * size
            matched_b[j : j + size] = [True] * size
        if _covered(a, matched_a) and _covered(b, matched_b):
            best = max(best, matcher.ratio())
    return best


def _distinguished(typed: Sequence[str], distinguishing: frozenset[str]) -> bool:
    joined = "".join(typed)
    return any(w in distinguishing for w in typed) or any(
        word in joined for word in distinguishing if len(word) >= _SUBSTRING_MIN_LENGTH
    )


def _unknown_hint(text: str) -> str | None:
    """A LOINC check-digit error, a look-alike the text is close to, or one test's name.

    A name is proposed only when the text reads as a misspelling of the names of that one test,
    is clearly closer to it than to any look-alike ("Creatinin" gets creatinine, "Creatin" does
    not), and holds no word that only look-alikes have ("glycated", "urine").
    """
    code = _LOINC_CODE.fullmatch(re.sub(r"\s", "", text))
    if code is not None:
        if _loinc_check_digit(code[1]) != int(code[2]):
            return "not a valid LOINC code: its check digit is wrong (a typing error?)"
        return "a LOINC code of a test that the iron assessment does not use"
    # Imported here: only the error path needs it.
    from difflib import SequenceMatcher

    matcher: SequenceMatcher[str] = SequenceMatcher(autojunk=False)
    typed = tuple(dict.fromkeys(_words(text)))  # a repeated word says nothing more
    scored = [
        (_similarity(matcher, _typed_words(typed, c if c.lookalike else None), c.words), c)
        for c in _matcher().candidates
    ]
    close = sorted(((s, c) for s, c in scored if s >= _NAME_CUTOFF), key=lambda hit: -hit[0])
    lookalike_hits = [(s, c, c.lookalike) for s, c in close if c.lookalike is not None]
    supported_hits = [(s, c) for s, c in close if c.analyte is not None]
    # Against each close look-alike, a test's name is scored on the words the look-alike was
    # (so "plasma", ignored for the test but a word of "Plasma haemoglobin", counts).
    clear = [
        (s, c)
        for s, c in supported_hits
        if all(
            _similarity(matcher, _typed_words(typed, other), c.words) >= s_other + _LOOKALIKE_MARGIN
            for s_other, other, _ in lookalike_hits
        )
    ]
    if lookalike_hits and not clear:
        lookalike = lookalike_hits[0][2]
        return f"it looks like {lookalike.name}, a test the iron assessment does not use"
    if _distinguished(typed, _matcher().distinguishing):
        return None
    if not clear or len({c.analyte for _, c in supported_hits}) != 1:
        return None  # nothing close, or close to two tests: a guess either way
    best = clear[0][1]
    analyte = best.analyte
    shown = f" ({analyte.display})" if analyte and best.name != analyte.display else ""
    return f"did you mean {best.name!r}{shown}?"


# --- values -----------------------------------------------------------------------------------


def check_possible(analyte: Analyte, reading: Reading, *, field: str) -> None:
    """Reject values no body can have: below zero, or a percentage above 100.

    Unlike the plausible range this is an error, not a flag: there is no unit in which the
    value makes sense, so the input itself is wrong.
    """
    if reading.value < 0 or reading.lt(0.0) is True:
        raise ImpossibleValueError(
            f"{analyte.display} cannot be negative",
            field=field,
            value=str(reading),
            accepted=("a value of 0 or more",),
        )
    if analyte.canonical_unit == "%" and reading.gt(100.0) is True:
        raise ImpossibleValueError(
            f"{analyte.display} is a percentage and cannot exceed 100",
            field=field,
            value=str(reading),
            accepted=("0 to 100 %",),
            hint="check the value as printed on the lab report",
        )


def is_plausible(analyte: Analyte, reading: Reading) -> bool:
    """False when the value (canonical unit) is surely outside the plausible range.

    One-sided readings count as plausible unless their whole interval lies outside, so a
    report of "<1" is not flagged merely because the bound is low.
    """
    return (
        reading.lt(analyte.plausible_low) is not True
        and reading.gt(analyte.plausible_high) is not True
    )
