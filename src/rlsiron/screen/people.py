"""The patients table read as the engine reads `person`: sex, age, pregnancy, kidney,
conditions, medicines and the latest iron course; or a reject with why.

Age is given in completed years or computed from the birth date on the day, as
`core.validation` does. Conditions, kidney status and medicines are read by the core once
per distinct combination (`lookups.person_facts`) and joined back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final

import ibis
import ibis.expr.types as ir

from rlsiron.core.models import LONGEST_PREGNANCY_WEEKS, OLDEST_AGE
from rlsiron.screen.lookups import person_facts
from rlsiron.screen.sources import memtable, trimmed

_SEXES: Final = {"female": "female", "f": "female", "male": "male", "m": "male"}
_ROUTES: Final = ("oral", "iv")
_FACT_KEYS: Final = ("kidney", "conditions", "medicines")
_FACT_COLUMNS: Final = (
    "lactating",
    "dialysis",
    "ckd",
    "kidney_known",
    "hemochromatosis",
    "inflammatory_disease",
    "malabsorption",
    "proton_pump_inhibitor",
    "ongoing_loss",
)

# Stands for "not given" in join keys; printable, since Spark mangles a NUL in SQL text.
_NULL_KEY: Final = "\u2400rlsiron-not-given\u2400"

Fetch = Callable[[ir.Table], list[tuple[object, ...]]]


def _key(column: ir.StringValue) -> ir.StringValue:
    """A join key that matches NULL with NULL (SQL's = does not)."""
    return column.fill_null(_NULL_KEY)


def facts_table(patients: ir.Table, fetch: Fetch) -> ir.Table:
    """The core's reading of every distinct (kidney, conditions, medicines) combination."""
    combos = fetch(patients.select(*_FACT_KEYS).distinct())
    data: dict[str, list[object]] = {name: [] for name in (*_FACT_KEYS, *_FACT_COLUMNS)}
    data |= {"conditions_unused": [], "person_problem": []}
    for kidney, conditions, medicines in combos:
        answer = person_facts(
            None if kidney is None else str(kidney),
            None if conditions is None else str(conditions),
            None if medicines is None else str(medicines),
        )
        for name, value in zip(_FACT_KEYS, (kidney, conditions, medicines), strict=True):
            data[name].append(value)
        for name in _FACT_COLUMNS:
            data[name].append(answer.facts.get(name))
        data["conditions_unused"].append(len(answer.unused))
        data["person_problem"].append(answer.problem)
    schema = dict.fromkeys(_FACT_KEYS, "string") | dict.fromkeys(_FACT_COLUMNS, "boolean")
    schema |= {"conditions_unused": "int64", "person_problem": "string"}
    return memtable(data, schema)


def read_patients(patients: ir.Table, facts: ir.Table, as_of: dt.date) -> ir.Table:
    """Every patient with the engine's person facts and `reason` (NULL when readable)."""
    day = ibis.literal(as_of)
    sex_text = trimmed(patients.sex).lower()
    sex = ibis.cases(
        *((sex_text == spelled, ibis.literal(meaning)) for spelled, meaning in _SEXES.items()),
        else_=ibis.null("string"),
    )
    born = patients.birth_date
    before_birthday = (day.month() < born.month()) | (
        (day.month() == born.month()) & (day.day() < born.day())
    )
    from_birth = day.year() - born.year() - before_birthday.cast("int64")
    age = patients.age_years.fill_null(from_birth)
    joined = patients.mutate(
        sex=sex,
        sex_given=patients.sex,
        age_years=age,
        age_given=patients.age_years,
        age_from_birth=from_birth,
        _k=_key(patients.kidney),
        _c=_key(patients.conditions),
        _m=_key(patients.medicines),
    )
    lookup = facts.mutate(
        _k=_key(facts.kidney), _c=_key(facts.conditions), _m=_key(facts.medicines)
    )
    lookup = lookup.drop(*_FACT_KEYS)
    joined = joined.left_join(lookup, ["_k", "_c", "_m"]).drop(
        "_k", "_c", "_m", "_k_right", "_c_right", "_m_right"
    )
    duplicate = ibis._.count().over(group_by="patient_id") > 1
    joined = joined.mutate(duplicate=duplicate)
    reason = ibis.cases(
        (joined.patient_id.isnull(), ibis.literal("no patient_id")),
        (joined.duplicate, "patient_id " + joined.patient_id + " appears more than once"),
        (
            joined.sex.isnull(),
            "sex " + joined.sex_given.fill_null("(empty)") + ": not female or male",
        ),
        (joined.age_years.isnull(), ibis.literal("no age_years or birth_date")),
        (
            joined.birth_date > day,
            ibis.literal(f"birth_date is after the assessment date {as_of.isoformat()}"),
        ),
        (
            joined.age_given.notnull() & (joined.age_given != joined.age_from_birth),
            ibis.literal("age_years contradicts birth_date"),
        ),
        (
            (joined.age_years < 0) | (joined.age_years > OLDEST_AGE),
            ibis.literal(f"age_years outside 0-{OLDEST_AGE}"),
        ),
        (
            (joined.pregnancy_weeks < 0) | (joined.pregnancy_weeks > LONGEST_PREGNANCY_WEEKS),
            ibis.literal(f"pregnancy_weeks outside 0-{LONGEST_PREGNANCY_WEEKS}"),
        ),
        (joined.person_problem.notnull(), joined.person_problem),
        (
            joined.iron_route.notnull() & ~joined.iron_route.isin(_ROUTES),
            "iron_route " + joined.iron_route + ": not oral or iv",
        ),
        (
            joined.iron_route.notnull() & joined.iron_started.isnull(),
            ibis.literal("iron_route without iron_started"),
        ),
        (
            (joined.iron_ended < joined.iron_started).fill_null(False),
            ibis.literal("iron_ended is before iron_started"),
        ),
        else_=ibis.null("string"),
    )
    return joined.mutate(reason=reason).drop("duplicate")
