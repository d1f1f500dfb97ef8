"""The data of an exported assessment as FHIR R4 resources: the patient and the lab results.

Plain JSON-ready dicts; `fhir_export` puts them in a Bundle and validates the whole with the
fhir.resources R4B models. Every code and unit comes from the core: the catalogue's LOINC
code and canonical unit, spelled as UCUM and checked against the unit table, so that the
export can never name a test or a unit the core would read differently.

A result the engine derived (TSAT from iron and TIBC, TIBC from iron and UIBC or from
transferrin) is an Observation with `derivedFrom`: the mark by which an importer knows it
was not measured, so that re-importing an export never turns a calculated TSAT into a
reported one.
"""

from __future__ import annotations

import re
import sys
import uuid
from dataclasses import dataclass
from typing import Any, Final

from rlsiron.core.labs.analytes import ANALYTES, Analyte
from rlsiron.core.labs.panel import ReadLab, read_lab
from rlsiron.core.labs.units import normalise_unit
from rlsiron.core.models import Assessment, AssessmentInput, LabValue, TsatSource
from rlsiron.io.fhir_fields import LOINC, UCUM

Resource = dict[str, Any]

# rlsiron's own code systems (rules, findings, plan sections, sources): one base, a suffix each.
SYSTEM: Final = "urn:rlsiron"
_ROOT: Final = uuid.uuid5(uuid.NAMESPACE_URL, SYSTEM)

_CATEGORY: Final = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory",
            "display": "Laboratory",
        }
    ]
}
_INTERPRETATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
# The abnormal flags labs print that are codes of the v3 interpretation system as they stand;
# any other flag is kept as text only.
_V3_FLAGS: Final = frozenset({"H", "HH", "L", "LL", "A", "AA", "N"})

# The age on the assessment day, for a person whose birth date is not known. Not a lab test,
# so not in the catalogue: LOINC 30525-0 "Age" in UCUM years, as EHRs record a stated age.
_AGE_LOINC: Final = "30525-0"
_AGE_UCUM: Final = "a"

# What each derived result is computed from (core/labs/panel.py, `_binding_capacity` and
# `_computed_tsat`), to reference those Observations in `derivedFrom`.
_DERIVED_FROM: Final[dict[tuple[str, TsatSource], tuple[str, ...]]] = {
    ("tibc", "calculated"): ("iron", "uibc"),
    ("tibc", "estimated"): ("transferrin",),
    ("tsat", "calculated"): ("iron", "tibc"),
    ("tsat", "estimated"): ("iron", "tibc"),
}

# A decimal factor such as the "1.73" of "mL/min/1.73m2": UCUM allows only whole-number
# factors, so the body-surface part is written as an annotation, "{1.73_m2}", as LOINC does.
_DECIMAL_FACTOR: Final = re.compile(r"([0-9]+\.[0-9]+)([A-Za-z][A-Za-z0-9]*)")


class Ids:
    """urn:uuid fullUrls derived with uuid5 from the exported content.

    The namespace is the content of the input and the assessment, and each resource's key is
    its place in them, so one assessment always exports the same ids, and no two people (or
    two assessments of one person) share one.
    """

    def __init__(self, *content: str) -> None:
        self.namespace = uuid.uuid5(_ROOT, "\n".join(content))

    def uuid(self, key: str) -> str:
        return str(uuid.uuid5(self.namespace, key))

    def ref(self, key: str) -> Resource:
        """A reference to the resource of this key, by its fullUrl."""
        return ref(f"urn:uuid:{self.uuid(key)}")


def ref(url: str) -> Resource:
    return {"reference": url}


def urn(resource: Resource) -> str:
    """The fullUrl of a resource made here (its id is the uuid)."""
    return f"urn:uuid:{resource['id']}"


def ucum(analyte: Analyte) -> str:
    """The analyte's canonical unit in UCUM; the unit table must read it as that same unit."""
    code = _DECIMAL_FACTOR.sub(r"{\1_\2}", analyte.canonical_unit)
    if normalise_unit(code) != analyte.canonical_unit:
        raise ValueError(f"{code!r} is not read as {analyte.canonical_unit!r} by the unit table")
    return code


def quantity(analyte: Analyte, value: float, comparator: str | None = None) -> Resource:
    """A value in the analyte's canonical unit, with UCUM's system and code."""
    found: Resource = {"value": value}
    if comparator is not None:
        found["comparator"] = comparator
    return found | {"unit": analyte.canonical_unit, "system": UCUM, "code": ucum(analyte)}


def loinc_concept(analyte: Analyte) -> Resource:
    """The catalogue's (first) LOINC code; the text is the catalogue's display name."""
    return {"coding": [{"system": LOINC, "code": analyte.loinc[0]}], "text": analyte.display}


def patient(inp: AssessmentInput, ids: Ids) -> Resource:
    """Gender and, when the input has it, the birth date; no name or identifier is exported."""
    found: Resource = {"resourceType": "Patient", "id": ids.uuid("Patient")}
    found["gender"] = inp.person.sex
    if inp.person.birth_date is not None:
        found["birthDate"] = inp.person.birth_date.isoformat()
    return found


def age_observation(inp: AssessmentInput, assessment: Assessment, ids: Ids) -> Resource | None:
    """The age on the assessment day when there is no birth date to compute it from.

    The age decides the rule group (a child's rule below 18) and the menopause default, so it
    is not dropped; with a birth date it is left out, as the birth date already says it.
    """
    if inp.person.birth_date is not None:
        return None
    return {
        "resourceType": "Observation",
        "id": ids.uuid("Observation/age"),
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": _AGE_LOINC}], "text": "Age"},
        "subject": ids.ref("Patient"),
        "effectiveDateTime": assessment.as_of.isoformat(),
        "valueQuantity": {
            "value": inp.person.age_years,
            "unit": "years",
            "system": UCUM,
            "code": _AGE_UCUM,
        },
    }


@dataclass(frozen=True)
class Results:
    """The lab Observations, and the fullUrl of each result the decision used."""

    observations: tuple[Resource, ...]
    used: tuple[tuple[LabValue, str], ...]  # assessment.labs, in order, with their fullUrls

    def urls(self, tests: frozenset[str] | None = None) -> list[str]:
        """The fullUrls of the results used, of the given tests only when they are named."""
        return [url for lab, url in self.used if tests is None or lab.test in tests]


def lab_observations(inp: AssessmentInput, assessment: Assessment, ids: Ids) -> Results:
    """An Observation for every result used (`labs`) and every older one (`history`)."""
    subject = ids.ref("Patient")
    observations: list[Resource] = []
    rows = [read_lab(index, lab) for index, lab in enumerate(inp.labs)]
    used: list[tuple[LabValue, str]] = []
    latest: dict[str, str] = {}  # test -> fullUrl; a derived TIBC replaces a measured one
    for value in assessment.labs:
        if value.source == "reported":
            found = _reported(_matching(value, rows), inp, ids, subject)
        else:
            found = _derived(value, latest, ids, subject)
        latest[value.test] = urn(found)
        used.append((value, urn(found)))
        observations.append(found)
    history = [_reported(_matching(value, rows), inp, ids, subject) for value in assessment.history]
    return Results((*observations, *history), tuple(used))


def _matching(value: LabValue, rows: list[ReadLab]) -> ReadLab:
    """The input row the assessment read this result from (taken, so a twin row is not reused)."""
    for index, row in enumerate(rows):
        if row.as_value() == value:
            return rows.pop(index)
    raise ValueError(
        f"{value.display} of {value.date} is not among the input's results: "
        "the assessment is not of this input"
    )


def _reported(row: ReadLab, inp: AssessmentInput, ids: Ids, subject: Resource) -> Resource:
    """A measured result in the canonical unit, at the precision it was reported with.

    The value is the one the engine compares (the reported resolution carried into the
    canonical unit: magnesium 1.7 mg/dL is 0.70 mmol/L, not 0.6994), so that an assessment of
    the re-imported export compares the same numbers; the note keeps the value as printed.
    """
    given = inp.labs[row.row]
    analyte, reading = row.analyte, row.reading
    found: Resource = {
        "resourceType": "Observation",
        "id": ids.uuid(f"Observation/labs[{row.row}]"),
        "status": "final",
        "category": [_CATEGORY],
        "code": loinc_concept(analyte),
        "subject": subject,
        "effectiveDateTime": row.date.isoformat(),
        "valueQuantity": quantity(
            analyte, reading.compared, None if reading.exact else reading.qualifier
        ),
    }
    notes = _notes(row, given.unit)
    if notes:
        found["note"] = [{"text": text} for text in notes]
    if given.assay is not None:
        found["method"] = {"text": given.assay}
    if row.reference is not None:
        found["referenceRange"] = [_reference_range(row)]
    if given.flag is not None:
        found["interpretation"] = [_interpretation(given.flag)]
    return found


def _notes(row: ReadLab, unit: str | None) -> list[str]:
    """The value as printed when it was converted, and whether rlsiron left it out."""
    notes = []
    if unit is None or normalise_unit(unit) != row.analyte.canonical_unit:
        notes.append(f"As reported: {row.original}.")
    if not row.plausible:
        notes.append(
            "Implausible in its stated unit (a unit mix-up?): rlsiron did not use this value."
        )
    return notes


def _reference_range(row: ReadLab) -> Resource:
    """The lab's own range, converted to the canonical unit like the value.

    A converted bound keeps the digits a float holds exactly, so that 300 pmol/L of ferritin
    is 133.5 ug/L and not the 133.49999999999997 of binary arithmetic.
    """
    assert row.reference is not None
    bounds = {"low": row.reference.low, "high": row.reference.high}
    return {
        side: quantity(row.analyte, float(f"{bound:.{sys.float_info.dig}g}"))
        for side, bound in bounds.items()
        if bound is not None
    }


def _interpretation(flag: str) -> Resource:
    """The lab's flag as printed, coded when it is a v3 interpretation code as it stands."""
    concept: Resource = {"text": flag}
    if flag in _V3_FLAGS:
        concept["coding"] = [{"system": _INTERPRETATION, "code": flag}]
    return concept


def _derived(value: LabValue, latest: dict[str, str], ids: Ids, subject: Resource) -> Resource:
    """A result rlsiron computed: `derivedFrom` its inputs, and a note saying how."""
    analyte = ANALYTES[value.test]
    inputs = _DERIVED_FROM[(value.test, value.source)]
    if not all(key in latest for key in inputs):
        # Without derivedFrom, an importer would read the value as measured.
        raise ValueError(f"the results {value.display} was {value.source} from are missing")
    names = " and ".join(ANALYTES[key].display for key in inputs)
    return {
        "resourceType": "Observation",
        "id": ids.uuid(f"Observation/{value.source}/{value.test}/{value.date}"),
        "status": "final",
        "category": [_CATEGORY],
        "code": loinc_concept(analyte),
        "subject": subject,
        "effectiveDateTime": value.date.isoformat(),
        "valueQuantity": quantity(analyte, value.value),
        "derivedFrom": [ref(latest[key]) for key in inputs],
        "note": [
            {
                "text": f"{value.source.capitalize()} by rlsiron from {names}, "
                "not measured by the laboratory."
            }
        ],
    }
