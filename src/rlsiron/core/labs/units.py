"""Reading lab values and converting them to each analyte's canonical unit.

The conversion factors come from pint, but not at run time: importing pint costs ~200 ms and a
registry ~500 ms, more than the CLI's whole cold-start budget. scripts/build_unit_table.py
(`make units`) computes every factor with pint from data/clinical_units.txt and writes
data/unit_factors.json; this module only reads that file, and a test rebuilds it with pint to
prove the two agree. Do not import pint here.

Units are matched after folding the harmless differences in how reports print them (µ, μ or mc
for micro; "gm" for gram; case; spaces; superscripts; UCUM braces; a decimal comma, as in
"ml/min/1,73m²"), plus the few spellings data/units.txt lists as also printed ("mL/min/1.73").
Every spelling accepted for any test is checked to stay distinct after folding when the table is
first used. A unit that is missing, unknown, or wrong for the test is an error that lists the
accepted units: guessing a unit is how iron in µg/dL becomes a number in µmol/L.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Final

from rlsiron.core.readings import Reading
from rlsiron.errors import UnitError, UnknownTestError
from rlsiron.pipe_table import DataFileError

_TABLE_FILE: Final = "unit_factors.json"


@dataclass(frozen=True, slots=True)
class _Table:
    """unit_factors.json: per analyte, display spelling -> factor to canonical (canonical first)."""

    factors: dict[str, dict[str, float]]
    also_printed: dict[str, str]  # another printed spelling -> the display spelling it stands for
    tibc_umol_per_transferrin_g: float


@functools.cache
def _table() -> _Table:
    text = (
        resources.files("rlsiron.core.knowledge").joinpath("data", _TABLE_FILE).read_text("utf-8")
    )
    raw = json.loads(text)
    factors = {
        str(key): {str(u["unit"]): float(u["factor"]) for u in entry["units"]}
        for key, entry in raw["analytes"].items()
    }
    also_printed = {
        str(other): str(u["unit"])
        for entry in raw["analytes"].values()
        for u in entry["units"]
        for other in u.get("also", ())
    }
    return _Table(factors, also_printed, float(raw["tibc_umol_per_transferrin_g"]))


@functools.cache
def _folded_spellings() -> dict[str, str]:
    """Folded form -> display spelling, over every unit (and other printed form) of every analyte.

    Refuses two spellings that fold alike: one would silently be read as the other.
    """
    spellings = [(s, s) for units in _table().factors.values() for s in units]
    spellings += list(_table().also_printed.items())
    folded: dict[str, str] = {}
    for printed, spelling in spellings:
        other = folded.setdefault(_fold(printed), spelling)
        if other != spelling:
            what = repr(printed) if printed == spelling else f"{printed!r} (for {spelling!r})"
            raise DataFileError(_TABLE_FILE, f"{what} and {other!r} fold to the same spelling")
    return folded


# µmol/L of iron-binding capacity per g/L of transferrin (2 Fe per molecule of ~79.57 kDa).
TIBC_UMOL_PER_TRANSFERRIN_G: Final[float] = _table().tibc_umol_per_transferrin_g

# "mc" for micro (mcg, mcmol) only at the start of a unit, so "mmol" or "mEq" are untouched.
_MC_MICRO = re.compile(r"(?<![a-z])mc(?=[a-z])")
# "gm" for gram ("gm/dL"), as a whole unit word only.
_GM_GRAM = re.compile(r"(?<![a-z])gm(?![a-z])")
# A comma between digits is a decimal comma ("1,73"); units hold no thousands separators.
_DECIMAL_COMMA = re.compile(r"(?<=[0-9]),(?=[0-9])")
# Characters that never change a unit's meaning in the forms labs print.
_DROPPED = str.maketrans("", "", " \t{}_^")


def _fold(text: str) -> str:
    # NFKC turns µ (micro sign) into μ, ² into 2 and full-width forms into ASCII.
    folded = unicodedata.normalize("NFKC", text).casefold().replace("μ", "u").translate(_DROPPED)
    folded = _GM_GRAM.sub("g", _MC_MICRO.sub("u", folded))
    return _DECIMAL_COMMA.sub(".", folded)


@functools.lru_cache(maxsize=4096)
def normalise_unit(text: str) -> str:
    """The table's spelling of a unit ("MCG/DL" -> "ug/dL"), or the cleaned text if unknown."""
    folded = _fold(text.strip())
    return _folded_spellings().get(folded, folded)


def is_known_unit(text: str) -> bool:
    """Whether `text` spells a unit accepted for some test (any spelling that folds to one)."""
    return normalise_unit(text) in _folded_spellings().values()


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


def canonical_factor(
    analyte_key: str, unit: str | None, *, field: str, reading: Reading | None = None
) -> float:
    """Multiplier from `unit` to the analyte's canonical unit.

    Raises UnitError when the unit is missing, unknown, or belongs to another kind of test
    (e.g. "%" for ferritin), listing the units accepted for this one. `reading`, when given,
    only shapes the hint for a missing unit.
    """
    units = _units_for(analyte_key)
    if unit is None or not unit.strip():
        raise UnitError(
            "missing unit",
            field=field,
            accepted=tuple(units),
            hint=_missing_unit_hint(units, reading),
        )
    spelling = normalise_unit(unit)
    factor = units.get(spelling)
    if factor is None:
        raise UnitError(
            f"unit not valid for {analyte_key}" if is_known_unit(unit) else "unknown unit",
            field=field,
            value=unit,
            accepted=tuple(units),
        )
    return factor


_PERCENT: Final = "%"
_PERCENT_PER_FRACTION: Final = 100


def _missing_unit_hint(units: dict[str, float], reading: Reading | None) -> str:
    """Where to find the unit, and for a percentage test given as a fraction, the percentage.

    TSAT printed or copied as 0.18 means 18 %: the value is not converted (a guess), but the
    person is told what to write instead.
    """
    hint = "give the unit printed next to the value on the lab report"
    canonical = next(iter(units))
    if canonical == _PERCENT and reading is not None and 0 < reading.value <= 1:
        percent = f"{reading.value * _PERCENT_PER_FRACTION:g}"
        hint += (
            f"; {reading.value:g} looks like a fraction: if it is, it is {percent} % "
            f"(write {percent} with unit %)"
        )
    return hint


def to_canonical(analyte_key: str, reading: Reading, unit: str | None, *, field: str) -> Reading:
    """The reading in the analyte's canonical unit; a one-sided bound keeps its direction."""
    return reading.scaled(canonical_factor(analyte_key, unit, field=field, reading=reading))


def convert(analyte_key: str, value: float, from_unit: str, to_unit: str) -> float:
    """`value` in `from_unit` expressed in `to_unit`, both accepted for the analyte."""
    return (
        value
        * canonical_factor(analyte_key, from_unit, field="unit")
        / canonical_factor(analyte_key, to_unit, field="unit")
    )
