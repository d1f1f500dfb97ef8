"""One screened person as the single-patient engine's input document (the contract).

`--explain` sends flagged people through `rlsiron.assess` with these documents, and the
differential test sends everyone, so the batch and the engine can be compared on exactly
the same facts. Lab rows the screener rejected are left out: the engine would refuse the
whole document for one of them, where the screener reads the rest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from rlsiron.screen.lookups import split_list


def _day(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def person_document(
    patient: Mapping[str, Any], labs: Iterable[Mapping[str, Any]], profile: str
) -> dict[str, Any]:
    """The contract's input for one patient row and their readable lab rows."""
    person: dict[str, Any] = {"sex": patient["sex"], "age_years": int(patient["age_years"])}
    if patient.get("pregnancy_weeks") is not None:
        person["pregnancy_weeks"] = int(patient["pregnancy_weeks"])
    if patient.get("postmenopausal") is not None:
        person["postmenopausal"] = bool(patient["postmenopausal"])
    if patient.get("kidney") is not None:
        person["kidney"] = patient["kidney"]
    conditions = split_list(patient.get("conditions"))
    if conditions:
        person["conditions"] = list(conditions)
    document: dict[str, Any] = {"profile": profile, "person": person}
    document["labs"] = [
        {
            "test": lab["test"],
            "value": lab["value_text"],
            "unit": lab["unit"],
            "date": _day(lab["drawn"]),
        }
        for lab in labs
    ]
    medicines = split_list(patient.get("medicines"))
    if medicines:
        document["medications"] = list(medicines)
    if patient.get("iron_route") is not None:
        course = {"route": patient["iron_route"], "started": _day(patient["iron_started"])}
        if patient.get("iron_ended") is not None:
            course["ended"] = _day(patient["iron_ended"])
        document["iron_therapy"] = [course]
    return document
