"""Synthetic lab and patient tables for `rlsiron screen`: any size, one seed, bounded memory.

The screener is benchmarked on tens of millions of lab rows, and no real table that large can
be shared; so this module writes one. The population is shaped on NHANES 2017-2018 (sex and
age from DEMO_J, ferritin by sex and age from FERTIN_J, the iron panel and haemoglobin given
ferritin from NHANES women's panels) and on stated assumptions where NHANES says nothing;
every number is in `data/synthetic_shapes.txt` with its basis, the printed units in
`data/synthetic_units.txt`, and what records say in `data/synthetic_phrases.txt`.

Rows are written as the screener's input contract (module `rlsiron.screen`): labs in the
long layout, one row per printed result, and one row per patient. Test names, units and
record phrases are drawn from the engine's own catalogue and checked with the engine's
readers once per process (`catalogue`), so a catalogue change makes the generator fail
rather than write rows the engine would refuse. A share of rows is made messy on purpose
(unknown tests, look-alikes, bad units, unreadable values, impossible dates), each counted.

Edge cases the rules must meet often are put there on purpose: ferritin near the RLS and
overload cut-offs, TSAT near 20 and 45 %, a reported and a calculated TSAT of one draw,
infusions shortly before a panel, pregnancy, children and dialysis. The cut-offs are read from
the core's thresholds, never written here.

Everything is numpy on whole chunks of patients (`chunk_patients`), written chunk by chunk
with pyarrow, so memory is bounded by the chunk size whatever the table size, and the output
is byte-identical for the same seed and arguments: each chunk draws from its own generator
seeded by (seed, chunk number).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, Literal, get_args

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from rlsiron.core.knowledge.assays import resolve_assay
from rlsiron.core.knowledge.conditions import kidney_from_conditions, read_conditions
from rlsiron.core.knowledge.medications import match_medications
from rlsiron.core.knowledge.thresholds import number, threshold
from rlsiron.core.labs.analytes import ANALYTES, lookalikes, resolve_test
from rlsiron.core.labs.units import (
    TIBC_UMOL_PER_TRANSFERRIN_G,
    accepted_units,
    canonical_factor,
    is_known_unit,
    normalise_unit,
)
from rlsiron.core.labs.values import parse_value
from rlsiron.core.models import EARLIEST_DATE
from rlsiron.errors import LookalikeTestError, RlsironError, UnitError, ValueFormatError
from rlsiron.pipe_table import DataFileError, Row, parse_table

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

FileFormat = Literal["parquet", "csv"]
MessyKind = Literal[
    "unknown_test",
    "lookalike_test",
    "unknown_unit",
    "wrong_unit",
    "unparseable_value",
    "impossible_date",
]
MESSY_KINDS: Final[tuple[MessyKind, ...]] = get_args(MessyKind)

# The tests a panel may hold, in the order a report prints them.
GENERATED_TESTS: Final = (
    "ferritin",
    "iron",
    "tibc",
    "uibc",
    "transferrin",
    "tsat",
    "hemoglobin",
    "crp",
    "creatinine",
    "egfr",
)
# Cut-offs the generator aims values at (thresholds.txt ids): the RLS criterion, the IV-only
# band, the trial ceiling and urgent overload for ferritin; the criterion and the stop for TSAT.
FERRITIN_EDGES: Final = (
    "ferritin.rls_indicated",
    "ferritin.iv_band_upper",
    "ferritin.trial_ceiling",
    "ferritin.very_high",
)
TSAT_EDGES: Final = ("tsat.rls_indicated", "tsat.contraindicated")

# Messy content, each checked against the engine at start-up (`catalogue`).
UNKNOWN_TESTS: Final = ("Vitamin Q", "see comment", "Panel comment", "Specimen received")
UNKNOWN_UNITS: Final = ("furlongs", "mg/furlong", "?", "units")
UNPARSEABLE_VALUES: Final = ("haemolysed", "pending", "", "see comment", "1,5", "5-10", "QNS")
IMPOSSIBLE_DATE_TEXTS: Final = ("2024-02-30", "2023-13-01", "2022-00-10", "1899-12-31")
# A date column of date type can only hold real dates: these are before the contract's first.
IMPOSSIBLE_DATES: Final = (EARLIEST_DATE - dt.timedelta(days=1), dt.date.min)

LABS_FILE: Final = "labs"
PATIENTS_FILE: Final = "patients"
DEFAULT_CHUNK_PATIENTS: Final = 10_000

_PACKAGE: Final = "rlsiron.screen"
_PERCENT: Final = 100.0
_TEN: Final = 10.0  # decimals: powers of ten
_EPOCH: Final = dt.date(1970, 1, 1)
_NO_DAY: Final = np.iinfo(np.int64).min  # a missing date in a column of days since _EPOCH
_QUALIFIERS: Final = ("", "<", ">")  # printed before a value: exact, below, above
_EXACT, _BELOW, _ABOVE = range(len(_QUALIFIERS))
_LIST_SEPARATOR: Final = "; "


# --- the data files ---------------------------------------------------------------------------

Basis = Literal["DEMO_J", "FERTIN_J", "WOMEN_PANEL", "assumption", "design"]
FITTED_BASES: Final[tuple[Basis, ...]] = ("DEMO_J", "FERTIN_J", "WOMEN_PANEL")
Sex = Literal["female", "male"]
SHAPES_FILE: Final = "synthetic_shapes.txt"
SHAPE_COLUMNS: Final = ("parameter", "for", "value", "unit", "basis", "note")
UNITS_FILE: Final = "synthetic_units.txt"
UNIT_COLUMNS: Final = ("test", "unit", "share", "decimals", "note")
PHRASES_FILE: Final = "synthetic_phrases.txt"
PHRASE_COLUMNS: Final = ("field", "text", "weight", "sex", "ages", "reads as", "note")
PhraseField = Literal["kidney", "condition", "ppi", "medicine", "assay"]


def data_text(name: str) -> str:
    """A packaged data file of the screener (`screen/data/<name>`)."""
    return resources.files(_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class AgeBand:
    """A `for` cell such as "female 18-29": a sex (None for "all") and ages, ends included."""

    sex: Sex | None
    first: int
    last: int

    @classmethod
    def parse(cls, text: str, where: str) -> AgeBand:
        sex, _, ages = text.partition(" ")
        first, _, last = ages.partition("-")
        if sex not in ("female", "male", "all") or not first.isdigit() or not last.isdigit():
            raise DataFileError(where, f"{text!r} is not '<female|male|all> <from>-<to>'")
        if int(first) > int(last):
            raise DataFileError(where, f"age band {ages} runs backwards")
        return cls(None if sex == "all" else sex, int(first), int(last))  # type: ignore[arg-type]

    def holds(self, female: Bools, age: Ints) -> Bools:
        """Which of the people (sex, age) are in the band."""
        inside: Bools = (age >= self.first) & (age <= self.last)
        if self.sex is not None:
            inside &= female if self.sex == "female" else ~female
        return inside


@dataclass(frozen=True, slots=True)
class Shape:
    """One row of synthetic_shapes.txt."""

    parameter: str
    key: str
    value: float
    unit: str
    basis: Basis
    where: str

    @property
    def band(self) -> AgeBand:
        return AgeBand.parse(self.key, self.where)


def read_shapes(text: str, file: str = SHAPES_FILE) -> dict[tuple[str, str], Shape]:
    """(parameter, for) -> row; a repeated pair or a bad cell raises DataFileError."""
    found: dict[tuple[str, str], Shape] = {}
    for row in parse_table(text, file, SHAPE_COLUMNS):
        key = (row["parameter"], row["for"])
        if key in found:
            raise row.error(f"{key[0]} for {key[1]!r} is already defined at {found[key].where}")
        found[key] = Shape(
            row["parameter"],
            row["for"],
            row.number("value"),
            row["unit"],
            row.choice("basis", get_args(Basis)),
            row.where,
        )
    return found


@cache
def shapes() -> Mapping[tuple[str, str], Shape]:
    return read_shapes(data_text(SHAPES_FILE))


def shape(parameter: str, key: str = "-") -> float:
    """The value of one row; a missing row is a programming error (KeyError)."""
    return shapes()[(parameter, key)].value


def shape_rows(parameter: str) -> tuple[Shape, ...]:
    """Every row of one parameter, in file order."""
    return tuple(s for (p, _), s in shapes().items() if p == parameter)


# --- the catalogue, checked against the engine ------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Choices:
    """Options per test, flattened: test t owns options start[t] .. start[t] + count[t] - 1."""

    text: pa.Array
    start: Ints
    count: Ints
    cumulative: Floats  # [test, option]: cumulative share, padded with 1.0 (for units)

    def draw_even(self, rng: np.random.Generator, tests: Ints) -> Ints:
        index: Ints = self.start[tests] + rng.integers(0, self.count[tests])
        return index

    def draw_weighted(self, rng: np.random.Generator, tests: Ints) -> Ints:
        below = rng.random(len(tests))[:, None] > self.cumulative[tests]
        local: Ints = np.minimum(below.sum(axis=1), self.count[tests] - 1)
        return self.start[tests] + local


@dataclass(frozen=True, slots=True)
class _Phrases:
    """One field's phrases with who they may be written for."""

    text: pa.Array
    weight: Floats
    female_ok: Bools
    male_ok: Bools
    first_age: Ints
    last_age: Ints

    def draw(self, rng: np.random.Generator, female: Bools, age: Ints, wanted: Bools) -> Ints:
        """A phrase index per person where `wanted` (weighted, allowed for them), else -1."""
        allowed = (
            np.where(female[:, None], self.female_ok, self.male_ok)
            & (age[:, None] >= self.first_age)
            & (age[:, None] <= self.last_age)
        )
        cumulative = np.cumsum(allowed * self.weight, axis=1)
        total = cumulative[:, -1]
        target = rng.random(len(age)) * total
        index: Ints = (cumulative <= target[:, None]).sum(axis=1)
        return np.where(wanted & (total > 0), np.minimum(index, len(self.weight) - 1), -1)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Everything the generator prints, each checked with the engine when built."""

    names: _Choices
    units: _Choices
    unit_factor: Floats  # unit option -> factor to the canonical unit
    unit_decimals: Ints
    wrong_units: _Choices  # per test: units the engine knows but not for this test
    lookalike_names: pa.Array
    phrases: Mapping[str, _Phrases]  # by field, "kidney" split into "kidney:ckd" and ":dialysis"


def _test_names(key: str) -> tuple[str, ...]:
    """The display name first, then every other name and LOINC code the catalogue lists."""
    analyte = ANALYTES[key]
    names = tuple(dict.fromkeys((analyte.display, analyte.key, *analyte.synonyms, *analyte.loinc)))
    for name in names:
        if resolve_test(name).key != key:
            raise DataFileError("test_names.txt", f"{name!r} no longer reads as {key}")
    return names


def _flatten(per_test: Sequence[Sequence[str]], shares: Sequence[Sequence[float]]) -> _Choices:
    count = np.array([len(options) for options in per_test], dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
    cumulative = np.ones((len(per_test), int(count.max())))
    for t, weights in enumerate(shares):
        total = sum(weights)
        cumulative[t, : len(weights)] = np.cumsum(weights) / total if total else 1.0
    text = pa.array([option for options in per_test for option in options], pa.string())
    return _Choices(text, start, count, cumulative)


def _unit_rows() -> dict[str, list[Row]]:
    by_test: dict[str, list[Row]] = {key: [] for key in GENERATED_TESTS}
    for row in parse_table(data_text(UNITS_FILE), UNITS_FILE, UNIT_COLUMNS):
        test = row.choice("test", GENERATED_TESTS)
        try:
            canonical_factor(test, row["unit"], field="unit")
        except UnitError as error:
            raise row.error(f"the engine refuses {row['unit']!r} for {test}: {error}") from None
        by_test[test].append(row)
    for test, rows in by_test.items():
        if not rows or not math.isclose(sum(r.number("share") for r in rows), 1.0):
            raise DataFileError(UNITS_FILE, f"the shares of {test} do not add up to 1")
    return by_test


def _wrong_units(test: str) -> tuple[str, ...]:
    """Units the engine knows for other tests but refuses for this one ("%" for ferritin)."""
    own = {normalise_unit(u) for u in accepted_units(test)}
    found = []
    for other in GENERATED_TESTS:
        for unit in accepted_units(other):
            if normalise_unit(unit) not in own and unit not in found:
                try:
                    canonical_factor(test, unit, field="unit")
                except UnitError:
                    found.append(unit)
    return tuple(found)


def _phrase(row: Row, field: PhraseField) -> None:
    """Refuses a phrase the engine does not read as its row says."""
    text, reads_as = row["text"], row["reads as"]
    if field in ("kidney", "condition"):
        codes = read_conditions([text]).codes
        kidney = kidney_from_conditions(codes)
        ok = kidney == reads_as if field == "kidney" else kidney is None
        if field == "condition":
            ok &= (reads_as in codes) if reads_as != "-" else not codes
    elif field in ("ppi", "medicine"):
        classes = {m.drug_class.id for m in match_medications([text])}
        ok = ("proton_pump_inhibitor" in classes) == (field == "ppi")
    else:
        try:
            ok = resolve_assay(text, field="assay") == reads_as
        except RlsironError:
            ok = False
    if not ok:
        raise row.error(f"the engine no longer reads {text!r} as {reads_as}")


def _phrases() -> dict[str, _Phrases]:
    rows: dict[str, list[Row]] = {}
    for row in parse_table(data_text(PHRASES_FILE), PHRASES_FILE, PHRASE_COLUMNS):
        field = row.choice("field", get_args(PhraseField))
        _phrase(row, field)
        group = f"kidney:{row['reads as']}" if field == "kidney" else field
        rows.setdefault(group, []).append(row)
    out = {}
    for group, members in rows.items():
        bands = [AgeBand.parse(f"all {r['ages']}", r.where) for r in members]
        sexes = [r.choice("sex", ("female", "male", "-")) for r in members]
        out[group] = _Phrases(
            pa.array([r["text"] for r in members], pa.string()),
            np.array([r.number("weight") for r in members]),
            np.array([s != "male" for s in sexes]),
            np.array([s != "female" for s in sexes]),
            np.array([b.first for b in bands], dtype=np.int64),
            np.array([b.last for b in bands], dtype=np.int64),
        )
    return out


def _check_messy() -> tuple[str, ...]:
    """The messy contents, each confirmed refused by the engine; returns the look-alike names."""
    for name in UNKNOWN_TESTS:
        try:
            resolve_test(name)
        except LookalikeTestError:
            raise DataFileError("synthetic.py", f"{name!r} is a look-alike now") from None
        except RlsironError:
            continue
        raise DataFileError("synthetic.py", f"the engine now reads {name!r} as a test")
    refused = sorted({name for lookalike in lookalikes().values() for name in lookalike.names})
    for name in refused:
        try:
            resolve_test(name)
        except LookalikeTestError:
            continue
        raise DataFileError("lookalike_tests.txt", f"{name!r} is no longer refused")
    for unit in UNKNOWN_UNITS:
        if is_known_unit(unit):
            raise DataFileError("synthetic.py", f"{unit!r} is a known unit now")
    for value in UNPARSEABLE_VALUES:
        try:
            parse_value(value, field="value")
        except ValueFormatError:
            continue
        raise DataFileError("synthetic.py", f"the engine now reads {value!r} as a value")
    for text in IMPOSSIBLE_DATE_TEXTS:
        if _readable_date(text) is not None:
            raise DataFileError("synthetic.py", f"{text!r} is an acceptable date")
    return tuple(refused)


def _readable_date(text: str) -> dt.date | None:
    """The date the contract accepts for `text`, or None (malformed, or before 1900)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if day >= EARLIEST_DATE else None


@cache
def catalogue() -> Catalogue:
    """The names, units, phrases and messy contents, every one checked with the engine."""
    unit_rows = _unit_rows()
    units = _flatten(
        [[r["unit"] for r in unit_rows[t]] for t in GENERATED_TESTS],
        [[r.number("share") for r in unit_rows[t]] for t in GENERATED_TESTS],
    )
    factor = [
        canonical_factor(t, r["unit"], field="unit") for t in GENERATED_TESTS for r in unit_rows[t]
    ]
    decimals = [int(r.number("decimals")) for t in GENERATED_TESTS for r in unit_rows[t]]
    names = [_test_names(t) for t in GENERATED_TESTS]
    wrong = [_wrong_units(t) for t in GENERATED_TESTS]
    return Catalogue(
        names=_flatten(names, [[1.0] * len(n) for n in names]),
        units=units,
        unit_factor=np.array(factor),
        unit_decimals=np.array(decimals, dtype=np.int64),
        wrong_units=_flatten(wrong, [[1.0] * len(w) for w in wrong]),
        lookalike_names=pa.array(_check_messy(), pa.string()),
        phrases=_phrases(),
    )


# --- the population ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Population:
    """The sex-and-age groups with their shares and ferritin shapes, from the data file."""

    bands: tuple[AgeBand, ...]
    share: Floats
    ln_mean: Floats
    ln_sd: Floats


@cache
def _population() -> _Population:
    rows = shape_rows("population.share")
    bands = tuple(r.band for r in rows)
    return _Population(
        bands,
        np.array([r.value for r in rows]) / sum(r.value for r in rows),
        np.array([shape("ferritin.ln_mean", r.key) for r in rows]),
        np.array([shape("ferritin.ln_sd", r.key) for r in rows]),
    )


def _in_band_share(parameter: str, female: Bools, age: Ints) -> Floats:
    """Per person, the share a banded parameter gives their band (0 outside every band)."""
    share = np.zeros(len(age))
    for row in shape_rows(parameter):
        share = np.where(row.band.holds(female, age), row.value, share)
    return share


def _chance(rng: np.random.Generator, share: float | Floats, size: int) -> Bools:
    drawn: Bools = rng.random(size) < share
    return drawn


def _days(day: dt.date) -> int:
    return (day - _EPOCH).days


@dataclass(frozen=True, slots=True)
class _People:
    """One chunk's patients as columns (numpy), in patient order."""

    number: Ints  # global, from 1
    female: Bools
    age: Ints
    pregnancy_weeks: Ints  # -1: not pregnant
    kidney: Ints  # a position in _KIDNEY
    ln_ferritin: Floats  # the person's usual ferritin


_KIDNEY: Final = ("normal", "ckd", "dialysis")  # person.kidney, coded by position
_CKD, _DIALYSIS = _KIDNEY.index("ckd"), _KIDNEY.index("dialysis")


def _people(rng: np.random.Generator, first: int, size: int) -> _People:
    population = _population()
    group = rng.choice(len(population.bands), size=size, p=population.share)
    first_age = np.array([b.first for b in population.bands])[group]
    last_age = np.array([b.last for b in population.bands])[group]
    female = np.array([b.sex == "female" for b in population.bands])[group]
    age = first_age + (rng.random(size) * (last_age - first_age + 1)).astype(np.int64)
    top = max(b.last for b in population.bands)
    spread = int(shape("age.top_coded_spread"))
    age = np.where(age == top, age + rng.integers(0, spread, size), age)

    (pregnancy,) = shape_rows("pregnancy.share")
    pregnant = pregnancy.band.holds(female, age) & _chance(rng, pregnancy.value, size)
    weeks = rng.integers(
        int(shape("pregnancy.weeks_first")), int(shape("pregnancy.weeks_last")) + 1, size
    )
    ckd = _chance(rng, _in_band_share("kidney.ckd_share", female, age), size)
    dialysis = _chance(rng, _in_band_share("kidney.dialysis_share", female, age), size)
    kidney = np.where(dialysis, _DIALYSIS, np.where(ckd, _CKD, 0))
    ln_ferritin = rng.normal(population.ln_mean[group], population.ln_sd[group])
    return _People(
        number=np.arange(first + 1, first + size + 1, dtype=np.int64),
        female=female,
        age=age,
        pregnancy_weeks=np.where(pregnant, weeks, -1),
        kidney=kidney,
        ln_ferritin=ln_ferritin,
    )


# --- panels -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Panels:
    """One chunk's panels (draws), grouped by patient and in date order within each."""

    owner: Ints  # index into the chunk's people
    day: Ints  # days since 1970-01-01
    count: Ints  # per person


def _panels(rng: np.random.Generator, people: _People, as_of: int) -> _Panels:
    size = len(people.age)
    rows = shape_rows("panels.count_share")
    counts = np.array([int(r.key) for r in rows])
    shares = np.array([r.value for r in rows])
    count = counts[rng.choice(len(rows), size=size, p=shares / shares.sum())]
    owner = np.repeat(np.arange(size, dtype=np.int64), count)
    history = int(shape("panels.history_days"))
    stale_after = int(threshold("panel.stale_days").value)
    stale = _chance(rng, shape("panels.stale_share"), size)[owner]
    # The others have their first-drawn panel within the stale limit: a screened population
    # is mostly followed up, and the share without a recent panel is then the data file's.
    first_drawn = np.zeros(len(owner), dtype=bool)
    first_drawn[np.cumsum(count)[count > 0] - count[count > 0]] = True
    back = np.where(
        stale,
        rng.integers(stale_after + 1, history + 1, len(owner)),
        np.where(
            first_drawn,
            rng.integers(0, stale_after + 1, len(owner)),
            rng.integers(0, history + 1, len(owner)),
        ),
    )
    day = as_of - back
    dates = day.astype("datetime64[D]")
    moved = ~np.is_busday(dates) & _chance(rng, shape("panels.weekend_moved_share"), len(day))
    day = np.where(moved, np.busday_offset(dates, 0, roll="backward").astype(np.int64), day)
    order = np.lexsort((day, owner))
    return _Panels(owner[order], day[order], count)


@dataclass(frozen=True, slots=True)
class _Courses:
    """The latest iron course per person: route a position in _ROUTES; days or _NO_DAY."""

    route: Ints
    started: Ints
    ended: Ints


_ROUTES: Final = (None, "oral", "iv")  # iron_route, coded by position
_ORAL, _IV = _ROUTES.index("oral"), _ROUTES.index("iv")


def _courses(rng: np.random.Generator, panels: _Panels, as_of: int) -> _Courses:
    """Courses timed from each person's latest panel, so infusions often fall just before it."""
    size = len(panels.count)
    last = np.full(size, -1, dtype=np.int64)
    has_panel = panels.count > 0
    last[has_panel] = panels.day[np.cumsum(panels.count)[has_panel] - 1]
    history = int(shape("panels.history_days"))
    anchor = np.where(has_panel, last, as_of - rng.integers(0, history + 1, size))
    course = _chance(rng, shape("iron.course_share"), size)
    iv = course & _chance(rng, shape("iron.iv_share"), size)
    oral = course & ~iv
    week = dt.timedelta(weeks=1).days
    iv_start = anchor - rng.integers(0, int(shape("iron.iv_days_before_last_panel")) + 1, size)
    second = _chance(rng, shape("iron.iv_second_dose_share"), size)
    iv_end = np.where(second & (iv_start + week <= as_of), iv_start + week, iv_start)
    oral_start = anchor - rng.integers(1, int(shape("iron.oral_days_before_last_panel")) + 1, size)
    lasted = rng.integers(
        int(shape("iron.oral_days_shortest")), int(shape("iron.oral_days_longest")) + 1, size
    )
    ongoing = _chance(rng, shape("iron.oral_ongoing_share"), size) | (oral_start + lasted > as_of)
    oral_end = np.where(ongoing, _NO_DAY, oral_start + lasted)
    return _Courses(
        route=np.where(iv, _IV, np.where(oral, _ORAL, 0)),
        started=np.where(iv, iv_start, np.where(oral, oral_start, _NO_DAY)),
        ended=np.where(iv, iv_end, np.where(oral, oral_end, _NO_DAY)),
    )


# --- values -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Draw:
    """Every value a panel could hold, in the canonical unit, and which it does hold."""

    value: dict[str, Floats]
    qualifier: dict[str, Ints]
    present: dict[str, Bools]


def _near_edges(
    rng: np.random.Generator, values: Floats, edges: Sequence[str], share: float
) -> Floats:
    """Some values moved onto or just around a cut-off, so the rules' edges are exercised."""
    size = len(values)
    cutoffs = np.array([threshold(edge).value for edge in edges])
    chosen = cutoffs[rng.integers(0, len(cutoffs), size)]
    spread = shape("edge.spread")
    near = chosen * (1 + rng.uniform(-spread, spread, size))
    near = np.where(_chance(rng, shape("edge.exact_share"), size), chosen, near)
    moved: Floats = np.where(_chance(rng, share, size), near, values)
    return moved


def _censored(
    rng: np.random.Generator, values: Floats, limit: float, share: float, *, below: bool
) -> tuple[Floats, Ints]:
    """Results past a reporting limit printed as "<limit" (or ">limit") for a share of labs."""
    past = (values < limit) if below else (values > limit)
    censored = past & _chance(rng, share, len(values))
    qualifier = np.where(censored, _BELOW if below else _ABOVE, _EXACT)
    return np.where(censored, limit, values), qualifier


def _ckd_epi(creatinine_umol: Floats, age: Ints, female: Bools) -> Floats:
    """CKD-EPI 2021 from the core's coefficients (numbers.txt), as the engine computes it."""
    mg_dl = creatinine_umol / canonical_factor("creatinine", "mg/dL", field="creatinine")
    kappa = np.where(
        female, number("egfr.ckd_epi.kappa_female").value, number("egfr.ckd_epi.kappa_male").value
    )
    alpha = np.where(
        female, number("egfr.ckd_epi.alpha_female").value, number("egfr.ckd_epi.alpha_male").value
    )
    ratio = mg_dl / kappa
    egfr: Floats = (
        number("egfr.ckd_epi.constant").value
        * np.minimum(ratio, 1.0) ** alpha
        * np.maximum(ratio, 1.0) ** number("egfr.ckd_epi.high_exponent").value
        * number("egfr.ckd_epi.age_base").value ** age
        * np.where(female, number("egfr.ckd_epi.female_factor").value, 1.0)
    )
    return egfr


def _ln_ferritin(
    rng: np.random.Generator,
    people: _People,
    panels: _Panels,
    courses: _Courses,
    as_of: int,
    ln_crp_excess: Floats,
) -> Floats:
    """Each panel's ln ferritin: the person's usual value, moved by CRP, pregnancy and iron."""
    owner = panels.owner
    ln = people.ln_ferritin[owner] + rng.normal(
        0, shape("ferritin.within_person_ln_sd"), len(owner)
    )
    ln += shape("ferritin.crp_ln_slope") * ln_crp_excess
    weeks = people.pregnancy_weeks[owner]
    during = (weeks >= 0) & (as_of - panels.day <= weeks * dt.timedelta(weeks=1).days)
    (shift,) = shape_rows("pregnancy.ferritin_ln_shift")
    ln += np.where(during, shift.value, 0.0)
    since = panels.day - courses.started[owner]
    route = courses.route[owner]
    effect_days = shape("iron.iv_effect_days")
    after_iv = (route == _IV) & (since >= 0) & (since < effect_days)
    ln += np.where(after_iv, shape("iron.iv_ferritin_ln_rise") * (1 - since / effect_days), 0.0)
    on_oral = (route == _ORAL) & (since > 0)
    ln += np.where(on_oral, shape("iron.oral_ferritin_ln_rise"), 0.0)
    return ln


def _iron_panel(rng: np.random.Generator, ln_f: Floats) -> tuple[Floats, Floats, Floats]:
    """(TSAT %, TIBC umol/L, reported TSAT %) given ln ferritin; iron and UIBC follow."""
    n = len(ln_f)
    knee = math.log(shape("tsat.ferritin_knee"))
    tsat = np.exp(
        shape("tsat.ln_intercept")
        + shape("tsat.ln_slope") * np.minimum(ln_f, knee)
        + shape("tsat.ln_slope_above_knee") * np.maximum(ln_f - knee, 0.0)
        + rng.normal(0, shape("tsat.ln_residual_sd"), n)
    )
    tsat = _near_edges(rng, tsat, TSAT_EDGES, shape("edge.tsat_share"))
    tsat = np.clip(tsat, shape("tsat.lowest"), shape("tsat.highest"))
    tibc = np.exp(
        shape("tibc.ln_intercept")
        + shape("tibc.ln_slope") * ln_f
        + rng.normal(0, shape("tibc.ln_residual_sd"), n)
    )
    tibc = np.clip(tibc, shape("tibc.lowest"), shape("tibc.highest"))
    # A lab's own TSAT is iron / TIBC of the same draw, except for a few measured otherwise.
    discordant = _chance(rng, shape("tsat.reported_discordant_share"), n)
    reported = np.where(
        discordant, tsat + rng.normal(0, shape("tsat.reported_discordant_sd"), n), tsat
    )
    reported = np.clip(reported, shape("tsat.lowest"), shape("tsat.highest"))
    return tsat, tibc, reported


def _hemoglobin(
    rng: np.random.Generator, ln_f: Floats, female: Bools, age: Ints, pregnant: Bools
) -> Floats:
    knee = math.log(shape("hemoglobin.ferritin_knee"))
    hemoglobin = (
        shape("hemoglobin.intercept")
        + shape("hemoglobin.slope") * np.minimum(ln_f, knee)
        + rng.normal(0, shape("hemoglobin.residual_sd"), len(ln_f))
        + np.where(female, 0.0, shape("hemoglobin.male_shift"))
        + _in_band_share("hemoglobin.child_shift", female, age)
        + np.where(pregnant, shape("pregnancy.hemoglobin_shift"), 0.0)
    )
    clipped: Floats = np.clip(hemoglobin, shape("hemoglobin.lowest"), shape("hemoglobin.highest"))
    return clipped


def _creatinine_egfr(
    rng: np.random.Generator, kidney: Ints, female: Bools, age: Ints
) -> tuple[Floats, Floats]:
    """Creatinine by sex, childhood and kidney status; eGFR from it by CKD-EPI 2021."""
    child_factor = _in_band_share("creatinine.child_factor", female, age)
    creatinine = (
        _in_band_share("creatinine.median", female, age)
        * np.exp(rng.normal(0, shape("creatinine.ln_sd"), len(age)))
        * np.where(child_factor > 0, child_factor, 1.0)
        * np.select(
            [kidney == _CKD, kidney == _DIALYSIS],
            [shape("creatinine.ckd_factor"), shape("creatinine.dialysis_factor")],
            1.0,
        )
    )
    egfr = np.clip(_ckd_epi(creatinine, age, female), shape("egfr.lowest"), shape("egfr.highest"))
    return creatinine, egfr


def _present(rng: np.random.Generator, n: int, adult: Bools) -> dict[str, Bools]:
    """Which tests each panel holds: always ferritin, the rest by the data file's shares."""
    has_iron = _chance(rng, shape("panel.iron_share"), n)
    binding = rng.random(n)  # which binding measure: TIBC, UIBC, transferrin or none
    tibc_cut = shape("panel.tibc_share")
    uibc_cut = tibc_cut + shape("panel.uibc_share")
    transferrin_cut = uibc_cut + shape("panel.transferrin_share")
    has_creatinine = _chance(rng, shape("panel.creatinine_share"), n)
    return {
        "ferritin": np.ones(n, dtype=bool),
        "iron": has_iron,
        "tibc": has_iron & (binding < tibc_cut),
        "uibc": has_iron & (binding >= tibc_cut) & (binding < uibc_cut),
        "transferrin": has_iron & (binding >= uibc_cut) & (binding < transferrin_cut),
        "tsat": has_iron & _chance(rng, shape("panel.tsat_reported_share"), n),
        "hemoglobin": _chance(rng, shape("panel.hemoglobin_share"), n),
        "crp": _chance(rng, shape("panel.crp_share"), n),
        "creatinine": has_creatinine,
        "egfr": has_creatinine & adult & _chance(rng, shape("panel.egfr_share"), n),
    }


def _draw(
    rng: np.random.Generator, people: _People, panels: _Panels, courses: _Courses, as_of: int
) -> _Draw:
    """Every test's value for every panel (canonical units), censored as labs print them."""
    n = len(panels.owner)
    owner = panels.owner
    female, age = people.female[owner], people.age[owner]

    crp_median = shape("crp.median")
    ln_crp = rng.normal(math.log(crp_median), shape("crp.ln_sd"), n)
    crp = np.minimum(np.exp(ln_crp), shape("crp.highest"))
    ln_f = _ln_ferritin(rng, people, panels, courses, as_of, ln_crp - math.log(crp_median))
    ferritin = np.maximum(np.exp(ln_f), shape("ferritin.floor"))
    ferritin = _near_edges(rng, ferritin, FERRITIN_EDGES, shape("edge.ferritin_share"))
    tsat, tibc, reported = _iron_panel(rng, np.log(ferritin))
    iron = tsat * tibc / _PERCENT
    pregnant = people.pregnancy_weeks[owner] >= 0
    hemoglobin = _hemoglobin(rng, np.log(ferritin), female, age, pregnant)
    creatinine, egfr = _creatinine_egfr(rng, people.kidney[owner], female, age)
    present = _present(rng, n, age >= threshold("age.pediatric").value)

    ferritin, ferritin_q = _censored(
        rng,
        ferritin,
        shape("ferritin.reporting_limit"),
        shape("ferritin.censored_share"),
        below=True,
    )
    crp, crp_q = _censored(
        rng, crp, shape("crp.reporting_limit"), shape("crp.censored_share"), below=True
    )
    egfr, egfr_q = _censored(
        rng, egfr, shape("egfr.reported_ceiling"), shape("egfr.censored_share"), below=False
    )
    values = {
        "ferritin": ferritin,
        "iron": iron,
        "tibc": tibc,
        "uibc": tibc - iron,
        "transferrin": tibc / TIBC_UMOL_PER_TRANSFERRIN_G,
        "tsat": reported,
        "hemoglobin": hemoglobin,
        "crp": crp,
        "creatinine": creatinine,
        "egfr": egfr,
    }
    exact = np.full(n, _EXACT, dtype=np.int64)
    qualifiers = dict.fromkeys(GENERATED_TESTS, exact) | {
        "ferritin": ferritin_q,
        "crp": crp_q,
        "egfr": egfr_q,
    }
    return _Draw(values, qualifiers, present)


# --- printing -----------------------------------------------------------------------------------


def format_numbers(values: Floats, decimals: Ints) -> pa.Array:
    """Each value printed with its row's decimals ("12.50", "38"), as a lab prints it."""
    pieces: list[pa.Array] = []
    order: list[Ints] = []
    for places in np.unique(decimals):
        index = np.flatnonzero(decimals == places)
        scale = int(_TEN**places)
        scaled = np.rint(values[index] * scale).astype(np.int64)
        whole = pa.array(scaled // scale).cast(pa.string())
        if places > 0:
            fraction = pc.utf8_lpad(pa.array(scaled % scale).cast(pa.string()), int(places), "0")
            whole = pc.binary_join_element_wise(whole, fraction, ".")
        pieces.append(whole)
        order.append(index)
    if not pieces:
        return pa.array([], pa.string())
    position = np.concatenate(order)
    inverse = np.empty_like(position)
    inverse[position] = np.arange(len(position))
    return pa.concat_arrays(pieces).take(pa.array(inverse))


def _replace(column: pa.Array, mask: Bools, replacements: pa.Array) -> pa.Array:
    if not mask.any():
        return column
    return pc.replace_with_mask(column, pa.array(mask), replacements.cast(column.type))


def _date_array(days: Ints) -> pa.Array:
    missing = days == _NO_DAY
    return pa.array(np.where(missing, 0, days).astype(np.int32), pa.date32(), mask=missing)


# --- a chunk ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Options:
    as_of: int
    messy_share: float
    birth_dates: bool
    date_strings: bool
    id_width: int


def _patient_ids(numbers: Ints, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise("P", digits, "")


def _lab_rows(draw: _Draw) -> tuple[Ints, Ints, Floats, Ints]:
    """(panel, test, canonical value, qualifier) per row, by panel then in printing order."""
    panel, test, value, qualifier = [], [], [], []
    for t, key in enumerate(GENERATED_TESTS):
        chosen = np.flatnonzero(draw.present[key])
        panel.append(chosen)
        test.append(np.full(len(chosen), t, dtype=np.int64))
        value.append(draw.value[key][chosen])
        qualifier.append(draw.qualifier[key][chosen])
    all_panels = np.concatenate(panel)
    order = np.argsort(all_panels, kind="stable")
    return (
        all_panels[order],
        np.concatenate(test)[order],
        np.concatenate(value)[order],
        np.concatenate(qualifier)[order],
    )


def _messy(
    rng: np.random.Generator,
    columns: dict[str, pa.Array],
    test: Ints,
    share: float,
    date_strings: bool,
) -> dict[str, int]:
    """Spoils a share of rows, one defect each, in place; returns the count per kind."""
    size = len(test)
    spoiled = _chance(rng, share, size)
    kind = rng.integers(0, len(MESSY_KINDS), size)
    found = catalogue()
    counts: dict[str, int] = {}

    def pick(options: pa.Array, mask: Bools) -> pa.Array:
        return options.take(pa.array(rng.integers(0, len(options), int(mask.sum()))))

    for k, name in enumerate(MESSY_KINDS):
        mask = spoiled & (kind == k)
        counts[name] = int(mask.sum())
        if name == "unknown_test":
            columns["test"] = _replace(columns["test"], mask, pick(pa.array(UNKNOWN_TESTS), mask))
        elif name == "lookalike_test":
            columns["test"] = _replace(columns["test"], mask, pick(found.lookalike_names, mask))
        elif name == "unknown_unit":
            columns["unit"] = _replace(columns["unit"], mask, pick(pa.array(UNKNOWN_UNITS), mask))
        elif name == "wrong_unit":
            options = found.wrong_units.draw_even(rng, test[mask])
            columns["unit"] = _replace(
                columns["unit"], mask, found.wrong_units.text.take(pa.array(options))
            )
        elif name == "unparseable_value":
            columns["value"] = _replace(
                columns["value"], mask, pick(pa.array(UNPARSEABLE_VALUES), mask)
            )
        else:
            bad = (
                pa.array(IMPOSSIBLE_DATE_TEXTS)
                if date_strings
                else pa.array(IMPOSSIBLE_DATES, pa.date32())
            )
            columns["date"] = _replace(columns["date"], mask, pick(bad, mask))
    return counts


def _labs_table(
    rng: np.random.Generator,
    people: _People,
    panels: _Panels,
    draw: _Draw,
    ids: pa.Array,
    options: _Options,
) -> tuple[pa.Table, dict[str, int]]:
    found = catalogue()
    row_panel, test, value, qualifier = _lab_rows(draw)
    size = len(test)
    names = np.where(
        _chance(rng, shape("names.display_share"), size),
        found.names.start[test],
        found.names.draw_even(rng, test),
    )
    unit = found.units.draw_weighted(rng, test)
    printed = format_numbers(value / found.unit_factor[unit], found.unit_decimals[unit])
    value_text = pc.binary_join_element_wise(
        pa.array(_QUALIFIERS).take(pa.array(qualifier)), printed, ""
    )
    dates = _date_array(panels.day[row_panel])
    # The assay is named on a few ferritin rows (the column is empty otherwise).
    named = np.full(size, -1, dtype=np.int64)
    chosen = np.flatnonzero(
        (test == GENERATED_TESTS.index("ferritin"))
        & _chance(rng, shape("ferritin.assay_share"), size)
    )
    owners = panels.owner[row_panel[chosen]]
    assay = found.phrases["assay"]
    named[chosen] = assay.draw(
        rng, people.female[owners], people.age[owners], np.ones(len(chosen), dtype=bool)
    )
    columns = {
        "patient_id": ids.take(pa.array(panels.owner[row_panel])),
        "test": found.names.text.take(pa.array(names)),
        "value": value_text,
        "unit": found.units.text.take(pa.array(unit)),
        "date": dates.cast(pa.string()) if options.date_strings else dates,
        "assay": _phrase_column(assay, named),
    }
    counts = _messy(rng, columns, test, options.messy_share, options.date_strings)
    return pa.table(columns, schema=labs_schema(date_strings=options.date_strings)), counts


def _joined(parts: Sequence[pa.Array]) -> pa.Array:
    """Phrases joined with "; ", null parts skipped, and null when none is left.

    Folded pairwise with coalesce: pyarrow 26's null_handling="skip" drops all-null rows.
    """
    joined = parts[0]
    for part in parts[1:]:
        both = pc.binary_join_element_wise(joined, part, _LIST_SEPARATOR)
        joined = pc.coalesce(both, joined, part)
    return joined


def _phrase_column(phrases: _Phrases, index: Ints) -> pa.Array:
    return phrases.text.take(pa.array(np.where(index >= 0, index, 0), mask=index < 0))


def _conditions(rng: np.random.Generator, people: _People) -> pa.Array:
    """A kidney phrase agreeing with the kidney status, for some, and up to two others."""
    phrases = catalogue().phrases
    female, age, kidney = people.female, people.age, people.kidney
    size = len(age)
    written = (kidney > 0) & _chance(rng, shape("kidney.condition_share"), size)
    kidney_phrases = []
    for code, status in enumerate(_KIDNEY[1:], start=1):
        named = phrases[f"kidney:{status}"]
        kidney_phrases.append(
            _phrase_column(named, named.draw(rng, female, age, written & (kidney == code)))
        )
    others = phrases["condition"]
    first = others.draw(rng, female, age, _chance(rng, shape("conditions.first_share"), size))
    second = others.draw(
        rng, female, age, (first >= 0) & _chance(rng, shape("conditions.second_share"), size)
    )
    second = np.where(second == first, -1, second)
    return _joined(
        [
            pc.coalesce(*kidney_phrases),
            _phrase_column(others, first),
            _phrase_column(others, second),
        ]
    )


def _medicines(rng: np.random.Generator, people: _People) -> pa.Array:
    """A proton-pump inhibitor for some adults, another medicine for some."""
    phrases = catalogue().phrases
    female, age = people.female, people.age
    columns = []
    for field, parameter in (("ppi", "medicines.ppi_share"), ("medicine", "medicines.other_share")):
        wanted = _chance(rng, _in_band_share(parameter, female, age), len(age))
        columns.append(
            _phrase_column(phrases[field], phrases[field].draw(rng, female, age, wanted))
        )
    return _joined(columns)


def _postmenopausal(rng: np.random.Generator, people: _People) -> pa.Array:
    """Stated for some adult women, from an age at menopause drawn per woman; else null."""
    size = len(people.age)
    adult_woman = people.female & (people.age >= threshold("age.pediatric").value)
    menopause_age = rng.normal(
        shape("postmenopausal.age_mean"), shape("postmenopausal.age_sd"), size
    )
    stated = adult_woman & _chance(rng, shape("postmenopausal.stated_share"), size)
    after = (people.age >= menopause_age) & (people.pregnancy_weeks < 0)
    return pa.array(after, mask=~stated)


def _patients_table(
    rng: np.random.Generator,
    people: _People,
    courses: _Courses,
    ids: pa.Array,
    options: _Options,
) -> pa.Table:
    size = len(people.age)
    stated = _chance(rng, shape("kidney.stated_share"), size)
    by_birth = (
        _chance(rng, shape("birth_date.share"), size)
        if options.birth_dates
        else np.zeros(size, dtype=bool)
    )
    columns: dict[str, pa.Array] = {
        "patient_id": ids,
        "sex": pa.array(np.where(people.female, "female", "male")),
        "age_years": pa.array(people.age.astype(np.int32), mask=by_birth),
    }
    if options.birth_dates:
        columns["birth_date"] = _date_array(
            np.where(by_birth, _birth_days(rng, people.age, options.as_of), _NO_DAY)
        )
    pregnant = people.pregnancy_weeks >= 0
    columns |= {
        "pregnancy_weeks": pa.array(people.pregnancy_weeks.astype(np.int32), mask=~pregnant),
        "postmenopausal": _postmenopausal(rng, people),
        "kidney": pa.array(_KIDNEY).take(pa.array(people.kidney, mask=~stated)),
        "conditions": _conditions(rng, people),
        "medicines": _medicines(rng, people),
        "iron_route": pa.array(_ROUTES).take(pa.array(courses.route)),
        "iron_started": _date_array(courses.started),
        "iron_ended": _date_array(courses.ended),
    }
    return pa.table(columns, schema=patients_schema(birth_dates=options.birth_dates))


@cache
def _birthday_anchors(as_of: int, oldest: int) -> Ints:
    """Per age a: the day exactly a years before as_of (28 February for a 29th)."""
    day = _EPOCH + dt.timedelta(days=as_of)
    anchors = []
    for years in range(oldest + 2):
        try:
            anchors.append(_days(day.replace(year=day.year - years)))
        except ValueError:  # 29 February in a common year
            anchors.append(_days(day.replace(year=day.year - years, day=day.day - 1)))
    return np.array(anchors, dtype=np.int64)


def _birth_days(rng: np.random.Generator, age: Ints, as_of: int) -> Ints:
    """A birth day that makes each person exactly `age` on as_of."""
    anchors = _birthday_anchors(as_of, int(age.max(initial=0)))
    gap = anchors[age] - anchors[age + 1]  # 365 or 366 days
    back: Ints = (rng.random(len(age)) * gap).astype(np.int64)
    return anchors[age] - back


# --- schemas and writing ------------------------------------------------------------------------


def labs_schema(*, date_strings: bool = True) -> pa.Schema:
    """The labs table of the screener's contract."""
    return pa.schema(
        [
            ("patient_id", pa.string()),
            ("test", pa.string()),
            ("value", pa.string()),
            ("unit", pa.string()),
            ("date", pa.string() if date_strings else pa.date32()),
            ("assay", pa.string()),
        ]
    )


def patients_schema(*, birth_dates: bool = False) -> pa.Schema:
    """The patients table of the screener's contract."""
    fields = [("patient_id", pa.string()), ("sex", pa.string()), ("age_years", pa.int32())]
    if birth_dates:
        fields.append(("birth_date", pa.date32()))
    fields += [
        ("pregnancy_weeks", pa.int32()),
        ("postmenopausal", pa.bool_()),
        ("kidney", pa.string()),
        ("conditions", pa.string()),
        ("medicines", pa.string()),
        ("iron_route", pa.string()),
        ("iron_started", pa.date32()),
        ("iron_ended", pa.date32()),
    ]
    return pa.schema(fields)


class _Writer:
    """Parquet or CSV, opened on the first chunk and appended to chunk by chunk."""

    def __init__(self, path: Path, schema: pa.Schema, file_format: FileFormat) -> None:
        self.writer: Any
        if file_format == "parquet":
            import pyarrow.parquet as pq

            self.writer = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            import pyarrow.csv as pcsv

            self.writer = pcsv.CSVWriter(str(path), schema)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()


@dataclass(frozen=True, slots=True)
class GenerationSummary:
    """What was written: sizes, the messy rows by kind, and how large a chunk grew."""

    labs_path: Path
    patients_path: Path
    patients: int
    lab_rows: int
    messy: Mapping[str, int]
    chunks: int
    largest_chunk_rows: int  # the most lab rows held in memory at once
    seed: int
    as_of: dt.date

    @property
    def messy_rows(self) -> int:
        return sum(self.messy.values())


def max_rows_per_patient() -> int:
    """The most lab rows one patient can get: every test in each of the most panels."""
    return max(int(r.key) for r in shape_rows("panels.count_share")) * len(GENERATED_TESTS)


def generate(
    out_dir: Path,
    *,
    patients: int,
    seed: int,
    as_of: dt.date,
    messy_share: float = 0.01,
    birth_dates: bool = False,
    date_strings: bool = True,
    chunk_patients: int = DEFAULT_CHUNK_PATIENTS,
    file_format: FileFormat = "parquet",
) -> GenerationSummary:
    """Writes `labs.<format>` and `patients.<format>` into `out_dir`, chunk by chunk.

    The same arguments give the same bytes. Memory holds one chunk of `chunk_patients`
    patients and their lab rows (at most `max_rows_per_patient()` each, about 10 on average).
    `birth_dates` gives a share of patients a birth date instead of an age; `date_strings`
    writes lab dates as ISO text rather than as a date type.
    """
    if patients < 0 or chunk_patients < 1 or not 0 <= messy_share <= 1:
        raise ValueError("patients >= 0, chunk_patients >= 1 and 0 <= messy_share <= 1")
    catalogue()  # every name, unit and phrase checked with the engine before a row is written
    out_dir.mkdir(parents=True, exist_ok=True)
    labs_path = out_dir / f"{LABS_FILE}.{file_format}"
    patients_path = out_dir / f"{PATIENTS_FILE}.{file_format}"
    options = _Options(_days(as_of), messy_share, birth_dates, date_strings, len(str(patients)))
    labs = _Writer(labs_path, labs_schema(date_strings=date_strings), file_format)
    people_out = _Writer(patients_path, patients_schema(birth_dates=birth_dates), file_format)
    messy: dict[str, int] = dict.fromkeys(MESSY_KINDS, 0)
    rows = largest = chunks = 0
    try:
        for chunks, first in enumerate(range(0, patients, chunk_patients), start=1):
            rng = np.random.default_rng(np.random.SeedSequence([seed, chunks]))
            size = min(chunk_patients, patients - first)
            lab_table, patient_table, counts = _chunk(rng, first, size, options)
            labs.write(lab_table)
            people_out.write(patient_table)
            rows += lab_table.num_rows
            largest = max(largest, lab_table.num_rows)
            for kind, count in counts.items():
                messy[kind] += count
    finally:
        labs.close()
        people_out.close()
    return GenerationSummary(
        labs_path, patients_path, patients, rows, messy, chunks, largest, seed, as_of
    )


def _chunk(
    rng: np.random.Generator, first: int, size: int, options: _Options
) -> tuple[pa.Table, pa.Table, dict[str, int]]:
    people = _people(rng, first, size)
    panels = _panels(rng, people, options.as_of)
    courses = _courses(rng, panels, options.as_of)
    draw = _draw(rng, people, panels, courses, options.as_of)
    ids = _patient_ids(people.number, options.id_width)
    labs, counts = _labs_table(rng, people, panels, draw, ids, options)
    return labs, _patients_table(rng, people, courses, ids, options), counts
