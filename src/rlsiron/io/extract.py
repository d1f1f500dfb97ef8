"""What a reader found in one file, before the files of one person are merged.

Readers know their format; they do not decide what a test is: a result is kept when the
core's catalogue resolves its code or name (`catalogue_test`), and counted as skipped when
it does not, so that "nothing a person gives is silently ignored" holds for imports too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from rlsiron.core.labs.analytes import find_test, lookalikes, normalise_name
from rlsiron.core.models import Origin, Quantity, RangeInput, ReviewItem
from rlsiron.errors import Problem

ReadableFormat = Literal["fhir", "hl7v2", "table", "pdf", "text"]
# What detection can tell: a readable format, or a contract input document (for assess).
Format = Literal[ReadableFormat, "contract"]

# The facts about a person, medicines and symptom scores that readers may report, by the
# location they take in the contract input document.
FactField = Literal[
    "person.sex",
    "person.birth_date",
    "person.age_years",
    "person.pregnancy_weeks",
    "person.kidney",
    "person.conditions",
    "medications",
    "rls.irls_total",
]


@dataclass(frozen=True, slots=True)
class FoundLab:
    """One result as the file gives it; `test` is the catalogue's id (e.g. "ferritin")."""

    test: str
    value: float | int | str | Quantity
    unit: str | None
    date: dt.date
    origin: Origin
    reference_range: str | RangeInput | None = None
    flag: str | None = None
    assay: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FoundFact:
    """A fact about the person, a medicine or a score; `value` as the contract spells it."""

    field: FactField
    value: str | int | dt.date
    origin: Origin


@dataclass
class Extract:
    """Everything read from one file."""

    file: str
    format: ReadableFormat | None  # None: the file could not be read at all
    labs: list[FoundLab] = field(default_factory=list)
    facts: list[FoundFact] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # names the catalogue does not read

    def origin(self, at: str, text: str | None = None) -> Origin:
        return Origin(file=self.file, at=at, text=text)

    def needs_review(self, at: str, text: str | None, reason: str) -> None:
        self.review.append(ReviewItem(origin=self.origin(at, text), reason=reason))

    def problem(
        self,
        at: str,
        message: str,
        received: object,
        hint: str | None = None,
        accepted: tuple[str, ...] = (),
    ) -> None:
        """Something in the file that could not be read: named by file and place."""
        self.problems.append(
            Problem(f"{self.file}: {at}", message, received, accepted=accepted, hint=hint)
        )

    @property
    def usable(self) -> bool:
        return bool(self.labs or self.facts)


def catalogue_test(*names: str | None) -> str | None:
    """The catalogue id of the first name or code the core reads, else None.

    Codes first (a LOINC code is exact), then printed names. A name or code of another
    test that looks like one of ours (HbA1c, oxygen saturation) ends the search: the
    result is skipped, never read as haemoglobin or TSAT through a looser name after it.
    """
    for name in names:
        if not name or not name.strip():
            continue
        if normalise_name(name) in lookalikes():
            return None  # a look-alike's code ends the search: its display may say "Hb"
        analyte = find_test(name)
        if analyte is not None:
            return analyte.key
    return None
