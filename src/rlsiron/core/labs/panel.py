"""From typed-in lab rows to the values the engine reasons about, with provenance.

Each row is resolved to a catalogue test, parsed, checked for impossibility, converted
to the canonical unit, and checked for plausibility. The latest value of each test on
or before `as_of` is used; older ones form the history. TSAT comes from the newest
source available: reported, calculated (iron / TIBC, or iron / (iron + UIBC)), or
estimated from transferrin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from rlsiron.core.labs.analytes import ANALYTES, Analyte, check_possible, is_plausible, resolve_test
from rlsiron.core.labs.ranges import ReferenceRange, parse_reference_range
from rlsiron.core.labs.units import TIBC_UMOL_PER_TRANSFERRIN_G, to_canonical
from rlsiron.core.labs.values import parse_value
from rlsiron.core.models import LabInput, LabValue, TsatSource
from rlsiron.core.readings import Reading

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
    assay: str | None

    def as_value(self, source: TsatSource = "reported") -> LabValue:
        return LabValue(
            test=self.analyte.key,
            display=self.analyte.display,
            value=round(self.reading.value, 4),
            qualifier=self.reading.qualifier,
            unit=self.analyte.canonical_unit,
            date=self.date,
            source=source,
            original=self.original,
            plausible=self.plausible,
        )


class Panel(NamedTuple):
    latest: Mapping[str, ReadLab]
    history: tuple[ReadLab, ...]
    future: tuple[ReadLab, ...]
    tsat: Reading | None
    tsat_date: dt.date | None
    tsat_source: TsatSource | None
    derived: tuple[LabValue, ...] = ()

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
    where = f"labs[{index}]"
    analyte = resolve_test(lab.test, field=f"{where}.test")
    raw = parse_value(lab.value, field=f"{where}.value")
    check_possible(analyte, raw, field=f"{where}.value")
    reading = to_canonical(analyte.key, raw, lab.unit, field=f"{where}.unit")
    reference = (
        parse_reference_range(
            lab.reference_range, analyte.key, lab.unit, field=f"{where}.reference_range"
        )
        if lab.reference_range
        else None
    )
    return ReadLab(
        row=index,
        analyte=analyte,
        reading=reading,
        date=lab.date,
        original=f"{raw} {lab.unit}",
        plausible=is_plausible(analyte, reading),
        reference=reference,
        assay=lab.assay.lower() if lab.assay else None,
    )


def read_panel(labs: Sequence[LabInput], as_of: dt.date) -> Panel:
    """Read every row (the first error stops everything: nothing is half-read)."""
    rows = [read_lab(i, lab) for i, lab in enumerate(labs)]
    future = tuple(r for r in rows if r.date > as_of)
    current = sorted((r for r in rows if r.date <= as_of), key=lambda r: (r.date, r.row))
    latest: dict[str, ReadLab] = {}
    for r in current:
        latest[r.analyte.key] = r  # later rows on the same date win: the newest report
    used = {id(r) for r in latest.values()}
    history = tuple(
        sorted((r for r in current if id(r) not in used), key=lambda r: r.date, reverse=True)
    )
    tsat, date, source, derived = _tsat(latest)
    return Panel(latest, history, future, tsat, date, source, derived)


def _tsat(
    latest: Mapping[str, ReadLab],
) -> tuple[Reading | None, dt.date | None, TsatSource | None, tuple[LabValue, ...]]:
    """Pick the newest TSAT: reported beats calculated beats estimated on the same day."""
    candidates: list[tuple[dt.date, int, Reading, TsatSource, tuple[LabValue, ...]]] = []
    reported = latest.get("tsat")
    if reported is not None and reported.plausible:
        candidates.append((reported.date, 2, reported.reading, "reported", ()))
    iron = latest.get("iron")
    if iron is not None and iron.plausible and iron.reading.exact:
        binding = _binding_capacity(iron, latest)
        if binding is not None:
            tibc, source, derived = binding
            if tibc > 0:
                value = Reading(min(iron.reading.value / tibc * _PERCENT, _PERCENT))
                rank = 1 if source == "calculated" else 0
                tsat_value = _derived("tsat", value.value, iron.date, source)
                candidates.append((iron.date, rank, value, source, (*derived, tsat_value)))
    if not candidates:
        return None, None, None, ()
    date, _, reading, source, derived = max(candidates, key=lambda c: (c[0], c[1]))
    return reading, date, source, derived


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
        return total, "calculated", (_derived("tibc", total, iron.date, "calculated"),)
    transferrin = same_draw("transferrin")
    if transferrin is not None:
        total = transferrin.value * TIBC_UMOL_PER_TRANSFERRIN_G
        return total, "estimated", (_derived("tibc", total, iron.date, "estimated"),)
    return None


def _derived(key: str, value: float, date: dt.date, source: TsatSource) -> LabValue:
    analyte = ANALYTES[key]
    return LabValue(
        test=key,
        display=analyte.display,
        value=round(value, 2),
        unit=analyte.canonical_unit,
        date=date,
        source=source,
    )
