"""Turn raw JSON-like data into a validated AssessmentInput, or one error listing every problem.

pydantic's ValidationError is precise but written for developers; this rewrites each of its
errors as a `Problem` naming the field path (`labs[2].unit`), what was received and what is
accepted, so the CLI can print them all and the API can answer 422 with the same list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from pydantic import ValidationError

from rlsiron.core.knowledge.conditions import Kidney, read_conditions, reconcile_kidney
from rlsiron.core.labs.panel import read_lab
from rlsiron.core.models import AssessmentInput, LabInput, Person
from rlsiron.errors import NOTHING, InputValidationError, Problem, RlsironError

# Person.age_months holds completed months for children under 5 (its field's upper bound).
_MAX_AGE_MONTHS = Person.model_fields["age_months"].metadata[-1].le


def parse_input(data: object, *, as_of: dt.date | None = None) -> AssessmentInput:
    """The validated input, or one error listing every problem.

    When the document fails its schema, the lab rows that did pass it are still read
    (names, units, values, assays), so their problems are reported in the same list
    instead of one fix-and-retry round later. With `as_of`, a person given by birth date
    (as records give it) gets the age of that day; an age that contradicts it is an error.
    """
    problems: list[Problem] = []
    if as_of is not None:
        data, problems = _aged(data, as_of)
    try:
        inp = AssessmentInput.model_validate(data)
    except ValidationError as exc:
        problems += problems_of(exc)
    else:
        if not problems:
            return inp
    reported = {p.location for p in problems}
    problems += _lab_problems(data, reported) + _kidney_problems(data, reported)
    raise InputValidationError(problems=problems)


def _aged(data: object, as_of: dt.date) -> tuple[object, list[Problem]]:
    """The document with `person.age_years` (and months under 5) from `person.birth_date`."""
    person = data.get("person") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(person, dict) or not person.get("birth_date"):
        return data, []
    raw = person["birth_date"]
    try:
        born = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
    except ValueError:
        return data, []  # the schema reports a malformed date
    if born > as_of:
        message = f"is after the assessment date {as_of.isoformat()}"
        return data, [Problem("person.birth_date", message, raw, kind="contradiction")]
    months = (as_of.year - born.year) * 12 + as_of.month - born.month - (as_of.day < born.day)
    years, given = months // 12, person.get("age_years")
    if given is None:
        aged = {**person, "age_years": years}
        if months <= _MAX_AGE_MONTHS and person.get("age_months") is None:
            aged["age_months"] = months
        return {**data, "person": aged}, []
    if given != years:
        message = f"contradicts birth_date {born.isoformat()} (age {years} on {as_of.isoformat()})"
        return data, [Problem("person.age_years", message, given, kind="contradiction")]
    return data, []


def _kidney_problems(data: object, reported: set[str]) -> list[Problem]:
    """A kidney status that contradicts the conditions, when both had a valid shape."""
    person = data.get("person") if isinstance(data, dict) else None
    if not isinstance(person, dict) or reported & {"person.kidney", "person.conditions"}:
        return []
    kidney, conditions = person.get("kidney"), person.get("conditions", [])
    if (kidney is not None and kidney not in get_args(Kidney)) or not isinstance(conditions, list):
        return []
    try:
        reconcile_kidney(kidney, read_conditions([str(c) for c in conditions]))
    except RlsironError as exc:
        return list(exc.problems)
    return []


def _lab_problems(data: object, reported: set[str]) -> list[Problem]:
    """Problems in the content of lab rows whose shape was valid."""
    labs = data.get("labs") if isinstance(data, dict) else None
    if not isinstance(labs, list):
        return []
    found: list[Problem] = []
    for index, row in enumerate(labs):
        if any(location.startswith(f"labs[{index}]") for location in reported):
            continue
        try:
            read_lab(index, LabInput.model_validate(row))
        except RlsironError as exc:
            found += exc.problems
    return found


def problems_of(exc: ValidationError) -> tuple[Problem, ...]:
    """One problem per pydantic error, union alternatives of one field merged."""
    found: dict[str, Problem] = {}
    for err in exc.errors(include_url=False):
        location = _path(err["loc"])
        if location in found:  # the same field failed each arm of a union: say it once
            continue
        found[location] = _problem(location, err)
    return tuple(found.values())


def _problem(location: str, err: Any) -> Problem:
    if err["type"] == "missing":
        return Problem(location, "is required")
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return Problem(location, "is not a field of the input", err["input"])
    accepted: tuple[str, ...] = ()
    expected = (err.get("ctx") or {}).get("expected")
    if isinstance(expected, str):
        accepted = tuple(part.strip(" '") for part in expected.replace(" or ", ", ").split(","))
        message = "is not one of the accepted values"
    return Problem(location, message, err.get("input", NOTHING), accepted)


def _path(loc: tuple[object, ...]) -> str:
    """("labs", 2, "unit") -> "labs[2].unit"."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _is_union_tag(part):
            text += f".{part}" if text else str(part)
    return text or "input"


def _is_union_tag(part: object) -> bool:
    # pydantic names the union member it tried ("float", "str"); users never wrote those.
    return isinstance(part, str) and (
        part in {"float", "str", "int", "bool", "Quantity", "RangeInput"}
        or part.startswith(("function-", "literal["))
    )
