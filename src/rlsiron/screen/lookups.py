"""What the core knows, as small tables the screener joins against.

A population has millions of lab rows but only thousands of distinct test names, units and
condition lists. Each distinct text is read once, here, by the core's own readers
(`resolve_test`, the unit table, `read_conditions`, `reconcile_kidney`,
`match_medications`), and the answer goes back to the database as a lookup table. So a name
the engine reads the screener reads, a unit it refuses the screener refuses with the same
reason, and no synonym, factor or condition word is written a second time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, get_args

from rlsiron.core.assessment.context import person_facts as core_person_facts
from rlsiron.core.knowledge.conditions import Kidney, read_conditions, reconcile_kidney
from rlsiron.core.knowledge.medications import match_medications
from rlsiron.core.labs.analytes import ANALYTES, resolve_test
from rlsiron.core.labs.units import canonical_factor
from rlsiron.errors import RlsironError

_KIDNEY: Final = get_args(Kidney)
_LIST_SEPARATOR: Final = ";"


def first_problem(error: RlsironError) -> str:
    """One line for the rejects table: the engine's own message and what it accepts."""
    problem = error.problems[0]
    accepted = f" (accepted: {', '.join(problem.accepted)})" if problem.accepted else ""
    return f"{problem.message}{accepted}"


def test_lookup(names: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """Each distinct test text -> (analyte key, None) or (None, why it is refused)."""
    found: dict[str, tuple[str | None, str | None]] = {}
    for name in names:
        try:
            found[name] = (resolve_test(name).key, None)
        except RlsironError as error:
            found[name] = (None, f"test {name!r}: {first_problem(error)}")
    return found


@dataclass(frozen=True, slots=True)
class UnitAnswer:
    """How one (analyte, unit text) converts, or why it cannot."""

    factor: float | None
    log10_factor: float | None  # computed here so the precision rule rounds as the core does
    problem: str | None


def unit_lookup(
    pairs: Iterable[tuple[str, str | None]],
) -> dict[tuple[str, str | None], UnitAnswer]:
    """Each distinct (analyte, unit) -> its factor to the canonical unit, or the refusal."""
    found: dict[tuple[str, str | None], UnitAnswer] = {}
    for analyte, unit in pairs:
        try:
            factor = canonical_factor(analyte, unit, field="unit")
        except RlsironError as error:
            shown = ANALYTES[analyte].display
            found[(analyte, unit)] = UnitAnswer(
                None, None, f"unit {unit!r} for {shown}: {first_problem(error)}"
            )
            continue
        found[(analyte, unit)] = UnitAnswer(factor, math.log10(factor), None)
    return found


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """The booleans values.txt reads from one (kidney, conditions, medicines) combination."""

    facts: Mapping[str, bool]
    unused: tuple[str, ...]  # condition entries that name nothing the rules read
    problem: str | None  # a contradiction the engine refuses (kidney "normal" + "dialysis")


def split_list(text: str | None) -> tuple[str, ...]:
    """A `;`-separated cell as the entries a person typed (empty entries dropped)."""
    if text is None:
        return ()
    return tuple(part.strip() for part in text.split(_LIST_SEPARATOR) if part.strip())


def person_facts(kidney: str | None, conditions: str | None, medicines: str | None) -> PersonFacts:
    """The engine's reading of a person's kidney status, conditions and medicines."""
    if kidney is not None and kidney not in _KIDNEY:
        problem = f"kidney {kidney!r} is not one of {', '.join(_KIDNEY)}"
        return PersonFacts({}, (), problem)
    reading = read_conditions(split_list(conditions))
    try:
        status = reconcile_kidney(kidney, reading)  # type: ignore[arg-type]
    except RlsironError as error:
        return PersonFacts({}, (), f"kidney and conditions: {first_problem(error)}")
    facts = core_person_facts(reading.codes, status, match_medications(split_list(medicines)))
    return PersonFacts(facts, reading.unused, None)
