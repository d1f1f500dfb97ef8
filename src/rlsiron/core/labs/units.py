"""Reading lab values and converting them to each analyte's canonical unit.

The conversion factors come from pint, but not at run time: importing pint costs ~200 ms and a
registry ~500 ms, more than the CLI's whole cold-start budget. scripts/build_unit_table.py
(`make units`) computes every factor with pint from data/clinical_units.txt and writes
data/unit_factors.json; this module only reads that file, and a test rebuilds it with pint to
prove the two agree. Do not import pint here.

Units are matched after folding the harmless differences in how reports print them (µ, μ or mc
for micro; case; spaces; superscripts; UCUM braces), and every spelling accepted for any test is
checked to stay distinct after folding. A unit that is missing, unknown, or wrong for the test
is an error that lists the accepted units: guessing a unit is how iron in µg/dL becomes
a number in µmol/L.
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Final

from rlsiron.core.readings import Qualifier, Reading
from rlsiron.errors import UnitError, UnknownTestError, ValueFormatError


@dataclass(frozen=True, slots=True)
class _Table:
    """unit_factors.json: per analyte, display spelling -> factor to canonical (canonical first)."""

    factors: dict[str, dict[str, float]]
    tibc_umol_per_transferrin_g: float


@functools.cache
def _table() -> _Table:
    text = (
        resources.files("rlsiron.core.knowledge")
        .joinpath("data", "unit_factors.json")
        .read_text("utf-8")
    )
    raw = json.loads(text)
    factors = {
        str(key): {str(u["unit"]): float(u["factor"]) for u in entry["units"]}
        for key, entry in raw["analytes"].items()
    }
    return _Table(factors, float(raw["tibc_umol_per_transferrin_g"]))


@functools.cache
def _folded_spellings() -> dict[str, str]:
    """Folded form -> display spelling, over every unit of every analyte."""
    return {_fold(spelling): spelling for units in _table().factors.values() for spelling in units}


# µmol/L of iron-binding capacity per g/L of transferrin (2 Fe per molecule of ~79.57 kDa).
TIBC_UMOL_PER_TRANSFERRIN_G: Final[float] = _table().tibc_umol_per_transferrin_g

# "mc" for micro (mcg, mcmol) only at the start of a unit, so "mmol" or "mEq" are untouched.
_MC_MICRO = re.compile(r"(?<![a-z])mc(?=[a-z])")
# Characters that never change a unit's meaning in the forms labs print.
_DROPPED = str.maketrans("", "", " \t{}_^")


def _fold(text: str) -> str:
    # NFKC turns µ (micro sign) into μ, ² into 2 and full-width forms into ASCII.
    folded = unicodedata.normalize("NFKC", text).casefold().replace("μ", "u")
    return _MC_MICRO.sub("u", folded.translate(_DROPPED))


@functools.lru_cache(maxsize=4096)
def normalise_unit(text: str) -> str:
    """The table's spelling of a unit ("MCG/DL" -> "ug/dL"), or the cleaned text if unknown."""
    folded = _fold(text.strip())
    return _folded_spellings().get(folded, folded)


def _units_for(analyte_key: str) -> dict[str, float]:
    units = _table().factors.get(analyte_key)
    if units is None:
        raise UnknownTestError(
            "no unit table for this test",
            field="test",
            value=analyte_key,
            accepted=tuple(_table().factors),
        )
    return units


def accepted_units(analyte_key: str) -> tuple[str, ...]:
    """Display spellings accepted for the analyte, canonical unit first."""
    return tuple(_units_for(analyte_key))


def canonical_factor(analyte_key: str, unit: str | None, *, field: str) -> float:
    """Multiplier from `unit` to the analyte's canonical unit.

    Raises UnitError when the unit is missing, unknown, or belongs to another kind of test
    (e.g. "%" for ferritin), listing the units accepted for this one.
    """
    units = _units_for(analyte_key)
    if unit is None or not unit.strip():
        raise UnitError(
            "missing unit",
            field=field,
            accepted=tuple(units),
            hint="give the unit printed next to the value on the lab report",
        )
    spelling = normalise_unit(unit)
    factor = units.get(spelling)
    if factor is None:
        known = spelling in _folded_spellings().values()
        raise UnitError(
            f"unit not valid for {analyte_key}" if known else "unknown unit",
            field=field,
            value=unit,
            accepted=tuple(units),
        )
    return factor


def to_canonical(analyte_key: str, reading: Reading, unit: str | None, *, field: str) -> Reading:
    """The reading in the analyte's canonical unit; a one-sided bound keeps its direction."""
    return reading.scaled(canonical_factor(analyte_key, unit, field=field))


def convert(analyte_key: str, value: float, from_unit: str, to_unit: str) -> float:
    """`value` in `from_unit` expressed in `to_unit`, both accepted for the analyte."""
    return (
        value
        * canonical_factor(analyte_key, from_unit, field="unit")
        / canonical_factor(analyte_key, to_unit, field="unit")
    )


# --- values -------------------------------------------------------------------------------

_QUALIFIERS: tuple[tuple[str, Qualifier], ...] = (
    # Two-character forms first so "<=" is not read as "<" followed by "=5".
    ("<=", "<="),
    (">=", ">="),
    ("≤", "<="),
    ("≥", ">="),
    ("<", "<"),
    (">", ">"),
    ("=", "="),
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RANGE = re.compile(r"[0-9.]+\s*[-–]\s*[0-9.]+")
_VALUE_EXAMPLES = ("18", "18.5", "<5", ">60", "<=0.5")


def parse_value(raw: float | int | str, *, field: str) -> Reading:
    """A number, or a one-sided bound as labs print it ("<5", "≥ 3"), as a Reading.

    The reading is in whatever unit accompanied the value; see to_canonical. Anything that is
    not clearly one number is refused with ValueFormatError rather than half-read: a decimal
    comma ("1,5") may be a thousands separator, and a range ("5-10") is not a result.
    """
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueFormatError(
            "expected a number", field=field, value=raw, accepted=_VALUE_EXAMPLES
        )
    if isinstance(raw, str):
        return _parse_text(raw, field=field)
    try:
        value = float(raw)
    except OverflowError:  # an int too large for a float
        value = math.inf
    if not math.isfinite(value):
        raise ValueFormatError("not a finite number", field=field, value=raw)
    return Reading(value)


def _parse_text(raw: str, *, field: str) -> Reading:
    text = raw.strip().replace("−", "-")  # U+2212 minus sign, as some PDFs print it
    if not text:
        raise ValueFormatError("empty value", field=field, value=raw, accepted=_VALUE_EXAMPLES)
    qualifier: Qualifier = "="
    for symbol, meaning in _QUALIFIERS:
        if text.startswith(symbol):
            qualifier, text = meaning, text[len(symbol) :].strip()
            break
    if _NUMBER.fullmatch(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueFormatError("number too large", field=field, value=raw)
        return Reading(value, qualifier)
    if "," in text:
        raise ValueFormatError(
            "a comma in a number is ambiguous (decimal or thousands separator)",
            field=field,
            value=raw,
            hint="write decimals with a point, e.g. 1.5, and no thousands separator",
        )
    if _RANGE.fullmatch(text):
        raise ValueFormatError(
            "a range is not a single result",
            field=field,
            value=raw,
            hint="enter the measured value; a reference range goes in reference_range",
        )
    raise ValueFormatError("not a number", field=field, value=raw, accepted=_VALUE_EXAMPLES)
