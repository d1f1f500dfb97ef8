"""The gathered FHIR resources -> the engine's assessment, through the import layer.

The same path as `rlsiron import` of a FHIR file: `read_fhir_resources` then `merge`, then
the contract's `parse_input` (the birth date gives the age on `today`) and `assess`. Nothing
here reads a resource or decides anything clinical. What the import left out (rows it could not
read, facts it would not guess at) is kept as text for the card, because a clinician must see
what the decision was made without.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from rlsiron import Assessment, RlsironError, assess, parse_input
from rlsiron.io.fhir import read_fhir_resources
from rlsiron.io.fhir_fields import Resource
from rlsiron.io.merge import merge


@dataclass(frozen=True, slots=True)
class Outcome:
    """The assessment, or why there is none; and what the record held that was not used."""

    assessment: Assessment | None
    not_assessed: tuple[str, ...]
    not_used: tuple[str, ...]


def assess_record(resources: Iterable[Resource], *, today: dt.date, name: str) -> Outcome:
    """The assessment of one patient's resources on `today`; `name` labels their origin."""
    imported = merge([read_fhir_resources(resources, name)])
    not_used = tuple(p.describe() for p in imported.problems) + tuple(
        f"{item['origin'].get('text') or item['origin']['at']}: {item['reason']}"
        for item in imported.document["needs_review"]
    )
    try:
        inp = parse_input(imported.document, as_of=today)
    except RlsironError as exc:
        return Outcome(None, tuple(p.describe() for p in exc.problems), not_used)
    return Outcome(assess(inp, as_of=today, plan=False), (), not_used)
