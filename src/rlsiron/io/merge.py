"""Several files of one person -> one contract input document, without duplicates.

The same test on the same date with the same value (compared in the canonical unit, so
4 ug/L and 4 ng/mL are one) from two sources is one result with two origins. What the
files disagree on is not settled by guessing: two different values of one test on one
date from different files, or two different birth dates, go to `needs_review` and are
left out of the document. A row the core cannot read (a unit it does not know, a value
that is not a number) is a problem named by its file and place; the other rows are kept.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from rlsiron.core.knowledge.thresholds import UNIT_TEXT
from rlsiron.core.labs.panel import read_lab
from rlsiron.core.models import LabInput, Origin, RangeInput, ReviewItem
from rlsiron.core.rules.display import show_reading
from rlsiron.core.validation import problems_of
from rlsiron.errors import Problem, RlsironError
from rlsiron.io.extract import Extract, FactField, FoundFact, FoundLab, ReadableFormat

# Facts a person has many of; the others have one value.
_LISTS: frozenset[FactField] = frozenset({"person.conditions", "medications"})


@dataclass(frozen=True)
class ImportedLab:
    """One merged result: the row of the document, its origins and whether it is plausible."""

    row: dict[str, Any]
    origins: tuple[Origin, ...]
    plausible: bool
    canonical: str  # "38 µg/L": the value as the engine will use it


@dataclass(frozen=True)
class ImportResult:
    """The merged document, and what did not make it in."""

    document: dict[str, Any]
    labs: tuple[ImportedLab, ...]
    problems: tuple[Problem, ...]
    skipped: Counter[str]
    formats: dict[str, ReadableFormat | None]

    @property
    def usable(self) -> bool:
        """Something was read: results, or facts about the person."""
        return bool(
            self.document["labs"] or self.document["person"] or self.document.get("medications")
        )


def merge(extracts: Sequence[Extract]) -> ImportResult:
    problems = [p for e in extracts for p in e.problems]
    review = [r for e in extracts for r in e.review]
    skipped: Counter[str] = sum((e.skipped for e in extracts), Counter())
    labs, lab_review = _merged_labs(extracts, problems)
    facts, provenance, fact_review = _merged_facts(f for e in extracts for f in e.facts)
    review += lab_review + fact_review
    for index, lab in enumerate(labs):
        provenance[f"labs[{index}]"] = lab.origins
    document: dict[str, Any] = {
        "person": facts.pop("person"),
        "labs": [lab.row for lab in labs],
        **facts,
        "provenance": {
            k: [o.model_dump(exclude_none=True) for o in v] for k, v in provenance.items()
        },
        "needs_review": [r.model_dump(mode="json", exclude_none=True) for r in review],
    }
    return ImportResult(
        document=document,
        labs=tuple(labs),
        problems=tuple(problems),
        skipped=skipped,
        formats={e.file: e.format for e in extracts},
    )


class _Read:
    """A found result the core could read, with its canonical reading for comparison."""

    __slots__ = ("found", "key", "lab", "plausible", "shown")

    def __init__(self, found: FoundLab, lab: LabInput) -> None:
        read = read_lab(0, lab)  # raises RlsironError with every problem of the row
        self.found, self.lab, self.plausible = found, lab, read.plausible
        self.key = (round(read.reading.value, 6), read.reading.qualifier)
        unit = read.analyte.canonical_unit
        shown = show_reading(read.reading, read.analyte.display_decimals)
        self.shown = f"{shown} {UNIT_TEXT.get(unit, unit)}"


def _merged_labs(
    extracts: Sequence[Extract], problems: list[Problem]
) -> tuple[list[ImportedLab], list[ReviewItem]]:
    groups: dict[tuple[str, object], list[_Read]] = defaultdict(list)
    for found in (lab for e in extracts for lab in e.labs):
        read = _read(found, problems)
        if read is not None:
            groups[(found.test, found.date)].append(read)
    merged: list[ImportedLab] = []
    review: list[ReviewItem] = []
    for (test, date), reads in groups.items():
        by_value: dict[tuple[float, str], list[_Read]] = defaultdict(list)
        for read in reads:
            by_value[read.key].append(read)
        files = {r.found.origin.file for r in reads}
        if len(by_value) > 1 and len(files) > 1:
            listed = "; ".join(
                f"{r.shown} ({r.found.origin.file}, {r.found.origin.at})" for r in reads
            )
            reason = f"{test} on {date}: the files disagree ({listed}); not used until resolved"
            review += [ReviewItem(origin=r.found.origin, reason=reason) for r in reads]
            continue
        for same in by_value.values():
            first = same[0]
            merged.append(
                ImportedLab(
                    row=first.lab.model_dump(mode="json", exclude_none=True),
                    origins=tuple(_noted(r.found) for r in same),
                    plausible=first.plausible,
                    canonical=first.shown,
                )
            )
    merged.sort(key=lambda lab: (lab.row["date"], lab.row["test"]))
    return merged, review


def _noted(found: FoundLab) -> Origin:
    """The origin with the note the reader kept beside the result, if any."""
    if found.note is None:
        return found.origin
    return found.origin.model_copy(update={"note": found.note})


_RANGE = "labs[0].reference_range"


def _read(found: FoundLab, problems: list[Problem]) -> _Read | None:
    """The result as the core reads it, or None with its problems added.

    A result whose only fault is its reference range is kept without the range (the
    range is the lab's, the value is what matters) and the range is reported.
    """
    where = f"{found.origin.file}: {found.origin.at}"
    try:
        try:
            return _Read(found, _lab_input(found, found.reference_range))
        except RlsironError as exc:
            if found.reference_range is None or any(p.location != _RANGE for p in exc.problems):
                raise
            problems += [p.at(f"{where} (reference_range)") for p in exc.problems]
            return _Read(found, _lab_input(found, None))
    except ValidationError as exc:
        problems += [p.at(f"{where} ({p.location})") for p in problems_of(exc)]
    except RlsironError as exc:
        problems += [p.at(f"{where} ({p.location.removeprefix('labs[0].')})") for p in exc.problems]
    return None


def _lab_input(found: FoundLab, reference_range: str | RangeInput | None) -> LabInput:
    return LabInput(
        test=found.test,
        value=found.value,
        unit=found.unit,
        date=found.date,
        reference_range=reference_range,
        assay=found.assay,
        flag=found.flag,
    )


def _merged_facts(
    facts: Iterable[FoundFact],
) -> tuple[dict[str, Any], dict[str, tuple[Origin, ...]], list[ReviewItem]]:
    """The person, medicines and scores; a fact the files disagree on goes to review.

    Conditions and medicines are lists: the same text from two files (case aside) is one
    item with two origins.
    """
    by_field: dict[FactField, dict[object, tuple[object, list[Origin]]]] = defaultdict(dict)
    for fact in facts:
        same = fact.value.casefold() if isinstance(fact.value, str) else fact.value
        by_field[fact.field].setdefault(same, (fact.value, []))[1].append(fact.origin)
    document: dict[str, Any] = {"person": {}}
    provenance: dict[str, tuple[Origin, ...]] = {}
    review: list[ReviewItem] = []
    for name, values in by_field.items():
        section, _, key = name.rpartition(".")
        target = document.setdefault(section, {}) if section else document
        if name in _LISTS:
            items = target.setdefault(key, [])
            for value, origins in values.values():
                provenance[f"{name}[{len(items)}]"] = tuple(origins)
                items.append(value)
            continue
        if len(values) > 1:
            listed = "; ".join(f"{v} ({o[0].file}, {o[0].at})" for v, o in values.values())
            reason = f"{name}: the files disagree ({listed}); not used until resolved"
            review += [ReviewItem(origin=o, reason=reason) for _, os in values.values() for o in os]
            continue
        ((value, origins),) = values.values()
        target[key] = value.isoformat() if isinstance(value, dt.date) else value
        provenance[name] = tuple(origins)
    return document, provenance, review
