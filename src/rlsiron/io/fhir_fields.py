"""FHIR fields read from plain JSON, in whichever shape a file gives them.

One extraction reads every FHIR version rlsiron meets, so these accessors take what a field
means rather than what one schema promises: a CodeableConcept where R4 has a list of them and
STU3 one (Observation.interpretation), a status that is a code in STU3 and a CodeableConcept
in R4 (Condition.clinicalStatus), a dateTime whose time zone is missing. A shape an accessor
does not know reads as absent, never as an exception; the reader decides whether absence is
a problem, and names the entry when it is.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from collections.abc import Mapping
from typing import Any, Final, NamedTuple

Resource = Mapping[str, Any]

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
SNOMED: Final = "http://snomed.info/sct"

# A FHIR id is at most 64 characters; longer text from a file is cut to this in labels and
# reasons, so that an origin or a review item stays within the contract's lengths.
SHORT: Final = 64

# FHIR date, dateTime and instant: a year, a month or a day, then an optional time.
_DATE: Final = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T\S*)?")


def mapping(value: object) -> Resource | None:
    return value if isinstance(value, Mapping) else None


def mappings(value: object) -> list[Resource]:
    """The objects of a list field; a lone object is a list of one (STU3's 0..1 fields)."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def text(value: object) -> str | None:
    """A string with something in it, stripped; anything else is absent."""
    if isinstance(value, str):
        return value.strip() or None
    return None


def clip(value: str) -> str:
    return value if len(value) <= SHORT else value[: SHORT - 1] + "…"


def number(value: object) -> int | float | None:
    """A finite JSON number, an int kept as an int (JSON's true and false are not numbers).

    Python's json module accepts NaN and Infinity, which JSON does not: they are absent here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= sys.float_info.max else None
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def codings(concept: object) -> list[Resource]:
    found = mapping(concept)
    return mappings(found.get("coding")) if found is not None else []


def codes(concept: object, system: str | None = None) -> list[str]:
    """The codes of a CodeableConcept (of one system when given), in order."""
    return [
        code
        for coding in codings(concept)
        if system is None or coding.get("system") == system
        if (code := text(coding.get("code"))) is not None
    ]


def displays(concept: object, *, except_system: str | None = None) -> list[str]:
    return [
        shown
        for coding in codings(concept)
        if except_system is None or coding.get("system") != except_system
        if (shown := text(coding.get("display"))) is not None
    ]


def concept_text(concept: object) -> str | None:
    """What a CodeableConcept says in words: its text, else the first display."""
    found = mapping(concept)
    if found is None:
        return None
    return text(found.get("text")) or next(iter(displays(found)), None)


def concept_name(concept: object) -> str | None:
    """A CodeableConcept's words, else its first code: how a skipped item is counted."""
    return concept_text(concept) or next(iter(codes(concept)), None)


def status_codes(value: object) -> set[str]:
    """The codes of a status that STU3 gives as a code and R4 as a CodeableConcept.

    The concept's text counts too (lower-cased), for exports that write only "Active".
    """
    plain = text(value)
    if plain is not None:
        return {plain.lower()}
    concept = mapping(value)
    if concept is None:
        return set()
    found = {code.lower() for code in codes(concept)}
    shown = text(concept.get("text"))
    return found | {shown.lower()} if shown is not None else found


class FhirDate(NamedTuple):
    """A FHIR date as recorded: its day, or None when it names only a year or a month."""

    text: str
    day: dt.date | None


def fhir_date(value: object) -> FhirDate | None:
    """The date part of a FHIR date, dateTime or instant; None when absent or not a date.

    The day is the one written in the record, in the record's own time zone: the local
    day the blood was drawn, as the lab printed it. Converting to UTC first would move an
    evening draw in New York (23:30-05:00) to the next day and an early one in Berlin
    (00:30+01:00) to the day before. A dateTime without its (required) time zone is read
    the same way.
    """
    written = text(value)
    if written is None:
        return None
    match = _DATE.fullmatch(written)
    if match is None:
        return None
    year, month, day = match.groups()
    if day is None:
        return FhirDate(written, None)
    try:
        return FhirDate(written, dt.date(int(year), int(month), int(day)))
    except ValueError:  # 2015-02-30
        return None


def reference(value: object) -> str | None:
    found = mapping(value)
    return text(found.get("reference")) if found is not None else None


def reference_key(ref: str) -> str:
    """A reference as "Type/id" when it has that shape (a server address and a version cut
    off: "https://x/fhir/Observation/1/_history/2" -> "Observation/1"), else as written.
    """
    parts = ref.split("/")
    if len(parts) >= 2 and "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return f"{parts[-2]}/{parts[-1]}"
    return ref
