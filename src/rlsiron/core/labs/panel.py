"""From typed-in lab rows to the values the engine reasons about, with provenance.

Each row is resolved to a catalogue test, parsed, checked for impossibility, converted to
the canonical unit, and checked for plausibility. Every bad row is reported at once (an
importer must show all of them), and nothing is used until all rows read. The latest value
of each test on or before `as_of` is used; older ones form the history.

TSAT comes from the newest source: reported, calculated (iron / TIBC, or iron / (iron +
UIBC)), or estimated from transferrin. When a reported and a calculated TSAT of the same
draw both exist, both are kept (REFERENCE additions, "Two TSATs for one draw"): the rules
use the higher for the safety stop and stop at `test_first` when they straddle 20 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from rlsiron.core.knowledge.assays import Assay, resolve_assay
from rlsiron.core.labs.analytes import ANALYTES, Analyte, check_possible, is_plausible, resolve_test
from rlsiron.core.labs.ranges import ReferenceRange, parse_reference_range, range_from_bounds
from rlsiron.core.labs.units import TIBC_UMOL_PER_TRANSFERRIN_G, to_canonical
from rlsiron.core.labs.values import parse_value
from rlsiron.core.models import LabInput, LabValue, Quantity, TsatSource
from rlsiron.core.readings import Reading
from rlsiron.core.rules.display import show_reading
from rlsiron.errors import ProblemCollector, RlsironError

_PERCENT = 100.0


class ReadLab(NamedTuple):
    """One input row after reading: where it came from and what it means.

    A NamedTuple rather than a frozen dataclass: it is built for every lab row of every
    assessment, and tuples are several times cheaper to make.
    """

    row: int  # position in the input, so later rows of the same day win
    analyte: Analyte
    reading: Reading
    date: dt.date
    original: str
    plausible: bool
    reference: ReferenceRange | None
    assay: Assay | None

    def as_value(self, source: TsatSource = "reported") -> LabValue:
        return LabValue(
            test=self.analyte.key,
            display=self.analyte.display,
            value=round(self.reading.value, 4),
            shown=show_reading(self.reading, self.analyte.display_decimals),
            qualifier=self.reading.qualifier,
            unit=self.analyte.canonical_unit,
            date=self.date,
            source=source,
            original=self.original,
            plausible=self.plausible,
        )


class _Candidate(NamedTuple):
    """A TSAT the panel could use: its draw date, rank on that date, value and source."""

    date: dt.date
    rank: int  # reported 2, calculated 1, estimated 0: the better source wins a tie
    reading: Reading
    source: TsatSource
    derived: tuple[LabValue, ...]


class TsatPair(NamedTuple):
    """A reported and a calculated TSAT of the same draw."""

    reported: Reading
    calculated: Reading


class Panel(NamedTuple):
    latest: Mapping[str, ReadLab]
    history: tuple[ReadLab, ...]
    future: tuple[ReadLab, ...]
    tsat: Reading | None
    tsat_date: dt.date | None
    tsat_source: TsatSource | None
    derived: tuple[LabValue, ...] = ()
    tsat_pair: TsatPair | None = None

    def usable(self, key: str) -> Reading | None:
        """The latest value, unless it is implausible in its unit (then it is unknown)."""
        lab = self.latest.get(key)
        return lab.reading if lab is not None and lab.plausible else None

    def date_of(self, key: str) -> dt.date | None:
        lab = self.latest.get(key)
        return lab.date if lab is not None else None

    def suspect(self) -> tuple[ReadLab, ...]:
        return tuple(lab for lab in self.latest.values() if not lab.plausible)


def read_lab(index: int, lab: LabInput) -> ReadLab:
    """One row, or an error carrying every problem found in it."""
    where = f"labs[{index}]"
    try:
        analyte = resolve_test(lab.test, field=f"{where}.test")
        raw = _raw_value(lab.value, f"{where}.value")
        reading = _canonical(analyte, raw, lab.unit, where)
        assay = None if lab.assay is None else resolve_assay(lab.assay, field=f"{where}.assay")
        reference = (
            None
            if lab.reference_range is None
            else _reference(lab, analyte, f"{where}.reference_range")
        )
    except RlsironError:
        # The first problem stopped the straight path; look at every part for the report.
        _every_problem(lab, where).raise_if_any()
        raise
    return ReadLab(
        row=index,
        analyte=analyte,
        reading=reading,
        date=lab.date,
        original=f"{_as_printed(raw)} {lab.unit}",
        plausible=is_plausible(analyte, reading),
        reference=reference,
        assay=assay,
    )


def _every_problem(lab: LabInput, where: str) -> ProblemCollector:
    """Each part of a bad row checked on its own, so that all its problems are reported."""
    problems = ProblemCollector()
    analyte = problems.attempt(lambda: resolve_test(lab.test, field=f"{where}.test"))
    named = lab.assay
    if named is not None:
        problems.attempt(lambda: resolve_assay(named, field=f"{where}.assay"))
    raw = problems.attempt(lambda: _raw_value(lab.value, f"{where}.value"))
    if analyte is not None and raw is not None:
        problems.attempt(lambda: _canonical(analyte, raw, lab.unit, where))
    if analyte is not None and lab.reference_range is not None:
        problems.attempt(lambda: _reference(lab, analyte, f"{where}.reference_range"))
    return problems


def _canonical(analyte: Analyte, raw: Reading, unit: str | None, where: str) -> Reading:
    check_possible(analyte, raw, field=f"{where}.value")
    return to_canonical(analyte.key, raw, unit, field=f"{where}.unit")


def _raw_value(value: float | str | Quantity, field: str) -> Reading:
    if isinstance(value, Quantity):
        reading = parse_value(value.value, field=field)
        return Reading(reading.value, value.comparator or "=", reading.decimals)
    return parse_value(value, field=field)


def _as_printed(raw: Reading) -> str:
    """The value as it was given, in its own unit ("<5", "1.70")."""
    number = (
        f"{raw.value:.{raw.decimals}f}" if raw.decimals and raw.decimals > 0 else f"{raw.value:g}"
    )
    return number if raw.exact else f"{raw.qualifier}{number}"


def _reference(lab: LabInput, analyte: Analyte, field: str) -> ReferenceRange:
    given = lab.reference_range
    if isinstance(given, str):
        return parse_reference_range(given, analyte.key, lab.unit, field=field)
    assert given is not None
    return range_from_bounds(given.low, given.high, analyte.key, lab.unit, field=field)


def read_panel(labs: Sequence[LabInput], as_of: dt.date) -> Panel:
    """Read every row; all bad rows are reported together and nothing is half-read."""
    problems = ProblemCollector()
    rows: list[ReadLab] = []
    for i, lab in enumerate(labs):
        try:
            rows.append(read_lab(i, lab))
        except RlsironError as exc:
            problems.add(exc)
    problems.raise_if_any()
    future = tuple(r for r in rows if r.date > as_of)
    current = sorted((r for r in rows if r.date <= as_of), key=lambda r: (r.date, r.row))
    latest: dict[str, ReadLab] = {}
    for r in current:
        latest[r.analyte.key] = r  # later rows on the same date win: the newest report
    used = {id(r) for r in latest.values()}
    history = tuple(
        sorted((r for r in current if id(r) not in used), key=lambda r: r.date, reverse=True)
    )
    return Panel(latest, history, future, *_tsat(latest))


def _tsat(
    latest: Mapping[str, ReadLab],
) -> tuple[
    Reading | None, dt.date | None, TsatSource | None, tuple[LabValue, ...], TsatPair | None
]:
    """Pick the newest TSAT: reported beats calculated beats estimated on the same day."""
    candidates: list[_Candidate] = []
    reported = latest.get("tsat")
    if reported is not None and reported.plausible:
        candidates.append(_Candidate(reported.date, 2, reported.reading, "reported", ()))
    computed = _computed_tsat(latest)
    if computed is not None:
        candidates.append(computed)
    if not candidates:
        return None, None, None, (), None
    best = max(candidates, key=lambda c: (c.date, c.rank))
    derived, pair = best.derived, None
    if (
        reported is not None
        and reported.plausible
        and computed is not None
        and computed.source == "calculated"
        and computed.date == reported.date
    ):
        pair = TsatPair(reported.reading, computed.reading)
        derived = computed.derived  # show the calculated TSAT beside the reported one
    return best.reading, best.date, best.source, derived, pair


def _computed_tsat(latest: Mapping[str, ReadLab]) -> _Candidate | None:
    iron = latest.get("iron")
    if iron is None or not iron.plausible or not iron.reading.exact:
        return None
    binding = _binding_capacity(iron, latest)
    if binding is None:
        return None
    tibc, source, derived = binding
    if tibc <= 0:
        return None
    value = Reading(min(iron.reading.value / tibc * _PERCENT, _PERCENT))
    rank = 1 if source == "calculated" else 0
    tsat_value = _derived("tsat", value, iron.date, source)
    return _Candidate(iron.date, rank, value, source, (*derived, tsat_value))


def _binding_capacity(
    iron: ReadLab, latest: Mapping[str, ReadLab]
) -> tuple[float, TsatSource, tuple[LabValue, ...]] | None:
    """TIBC on the iron's draw date: measured, iron + UIBC, or from transferrin (estimated)."""

    def same_draw(key: str) -> Reading | None:
        lab = latest.get(key)
        if lab is None or not lab.plausible or lab.date != iron.date or not lab.reading.exact:
            return None
        return lab.reading

    tibc = same_draw("tibc")
    if tibc is not None:
        return tibc.value, "calculated", ()
    uibc = same_draw("uibc")
    if uibc is not None:
        total = iron.reading.value + uibc.value
        return total, "calculated", (_derived("tibc", Reading(total), iron.date, "calculated"),)
    transferrin = same_draw("transferrin")
    if transferrin is not None:
        total = transferrin.value * TIBC_UMOL_PER_TRANSFERRIN_G
        return total, "estimated", (_derived("tibc", Reading(total), iron.date, "estimated"),)
    return None


def _derived(key: str, value: Reading, date: dt.date, source: TsatSource) -> LabValue:
    analyte = ANALYTES[key]
    return LabValue(
        test=key,
        display=analyte.display,
        value=round(value.value, 2),
        shown=show_reading(value, analyte.display_decimals),
        unit=analyte.canonical_unit,
        date=date,
        source=source,
    )
