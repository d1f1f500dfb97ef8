"""Loader of the rule table (`data/rules.toml`) and the named values it reads (`values.txt`).

Every condition is parsed and checked when the package is imported: an unknown name, a
threshold compared on the wrong side or in the wrong unit, an unknown key or a template
placeholder that nothing fills fails here, naming the rule, instead of at a patient.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from types import MappingProxyType
from typing import Any, get_args

from rlsiron.core.knowledge.sources import check_sources
from rlsiron.core.knowledge.table import data_text, load_table
from rlsiron.core.knowledge.thresholds import NUMBERS, PROFILES, THRESHOLDS
from rlsiron.core.models import Decision, Route
from rlsiron.core.rules.expressions import (
    Condition,
    ExpressionError,
    Kind,
    Vocabulary,
    condition_of,
)
from rlsiron.pipe_table import DataFileError, Row, choose, unique

DECISIONS: tuple[Decision, ...] = get_args(Decision)
ROUTES: tuple[Route, ...] = get_args(Route)


@dataclass(frozen=True, slots=True)
class ValueDef:
    """One named value (values.txt)."""

    name: str
    kind: Kind
    unit: str
    analyte: str | None
    label: str
    meaning: str


def _value(row: Row) -> ValueDef:
    kind = row.choice("kind", ("quantity", "boolean"))
    return ValueDef(
        name=row["name"],
        kind="quantity" if kind == "quantity" else "boolean",
        unit=row["unit"],
        analyte=None if row["analyte"] == "-" else row["analyte"],
        label=row["label"],
        meaning=row["meaning"],
    )


VALUES: Mapping[str, ValueDef] = MappingProxyType(
    {
        key: _value(row)
        for key, row in unique(
            load_table("values.txt", ("name", "kind", "unit", "analyte", "label", "meaning")),
            "name",
        )
    }
)


@dataclass(frozen=True, slots=True)
class Derived:
    name: str
    when: Condition
    meaning: str


@dataclass(frozen=True, slots=True)
class GroupDef:
    id: str
    when: Condition


@dataclass(frozen=True, slots=True)
class OptionDef:
    id: str
    route: Route
    text: str


@dataclass(frozen=True, slots=True)
class RuleDef:
    """One ordered rule: where it applies, its condition, and the outcome it gives."""

    id: str
    groups: frozenset[str] | None
    profiles: frozenset[str] | None
    when: Condition
    decision: Decision
    routes: tuple[Route, ...]
    options: tuple[OptionDef, ...]
    why: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleBook:
    derived: tuple[Derived, ...]
    groups: tuple[GroupDef, ...]
    rules: tuple[RuleDef, ...]
    undetermined_why: str
    unknown_fact_why: str


_TH_FIELD = re.compile(r"{th\[([A-Za-z0-9_.-]+)\]}")
_NUM_FIELD = re.compile(r"{num\[([A-Za-z0-9_.-]+)\]}")


def fill_constants(template: str, where: str) -> str:
    """Quote thresholds ("{th[id]}" -> "≤ 75 µg/L") and numbers ("{num[id]}" -> "325") once."""

    def threshold(match: re.Match[str]) -> str:
        row = THRESHOLDS.get(match[1])
        if row is None:
            raise DataFileError(where, f"unknown threshold {match[1]!r} in {template!r}")
        return row.describe()

    def number(match: re.Match[str]) -> str:
        row = NUMBERS.get(match[1])
        if row is None:
            raise DataFileError(where, f"unknown number {match[1]!r} in {template!r}")
        return f"{row.value:g}"

    return _NUM_FIELD.sub(number, _TH_FIELD.sub(threshold, template))


def placeholders(template: str) -> set[str]:
    """The {names} a filled template still needs."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def check_placeholders(template: str, allowed: set[str], where: str) -> None:
    unknown = placeholders(template) - allowed
    if unknown:
        raise DataFileError(where, f"template names {sorted(unknown)} that nothing fills")


def check_keys(
    entry: Mapping[str, Any], required: set[str], optional: set[str], where: str
) -> None:
    missing, extra = required - set(entry), set(entry) - required - optional
    if missing or extra:
        raise DataFileError(where, f"missing keys {sorted(missing)}, unknown keys {sorted(extra)}")


def strings(entry: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFileError(where, f"{key} must be a list of strings")
    return tuple(value)


def condition(text: object, vocabulary: Vocabulary, where: str) -> Condition:
    if not isinstance(text, str):
        raise DataFileError(where, "when must be a string")
    try:
        return condition_of(text, vocabulary)
    except ExpressionError as exc:
        raise DataFileError(where, str(exc)) from None


def _load() -> tuple[RuleBook, Vocabulary]:
    name = "rules.toml"
    document = tomllib.loads(data_text(name))
    values: dict[str, tuple[Kind, str]] = {v.name: (v.kind, v.unit) for v in VALUES.values()}
    derived: list[Derived] = []
    for i, entry in enumerate(document.get("derive", [])):
        where = f"{name} derive[{i}]"
        check_keys(entry, {"name", "when", "meaning"}, set(), where)
        if entry["name"] in values:
            raise DataFileError(where, f"{entry['name']!r} is already a value")
        vocabulary = Vocabulary(MappingProxyType(values), THRESHOLDS)
        derived.append(
            Derived(entry["name"], condition(entry["when"], vocabulary, where), entry["meaning"])
        )
        values[entry["name"]] = ("boolean", "-")
    vocabulary = Vocabulary(MappingProxyType(values), THRESHOLDS)
    group_list: list[GroupDef] = []
    for i, entry in enumerate(document.get("group", [])):
        where = f"{name} group[{i}]"
        check_keys(entry, {"id", "when"}, set(), where)
        group_list.append(GroupDef(entry["id"], condition(entry["when"], vocabulary, where)))
    groups = tuple(group_list)
    if not groups or groups[-1].when.text != "true":
        raise DataFileError(name, "the last group must apply to everyone (when = 'true')")
    options: dict[str, OptionDef] = {}
    for i, entry in enumerate(document.get("option", [])):
        where = f"{name} option[{i}]"
        check_keys(entry, {"id", "route", "text"}, set(), where)
        options[entry["id"]] = OptionDef(
            entry["id"],
            choose(entry["route"], ROUTES, "route", where),
            fill_constants(entry["text"], where),
        )
    group_ids = {g.id for g in groups}
    rules = tuple(
        _rule(entry, f"{name} rule[{i}] {entry.get('id')!r}", vocabulary, group_ids, options)
        for i, entry in enumerate(document.get("rule", []))
    )
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise DataFileError(name, f"rule id {rule.id!r} appears twice")
        seen.add(rule.id)
    for group in groups:
        last = [r for r in rules if r.groups is not None and group.id in r.groups][-1:]
        if not last or last[0].when.text != "true":
            raise DataFileError(name, f"group {group.id!r} does not end with a rule for everyone")
    undetermined = document.get("undetermined", {})
    check_keys(undetermined, {"why", "unknown_fact"}, set(), f"{name} [undetermined]")
    check_placeholders(undetermined["why"], {"name", "value", "threshold"}, name)
    check_placeholders(undetermined["unknown_fact"], {"condition"}, name)
    book = RuleBook(
        tuple(derived), groups, rules, undetermined["why"], undetermined["unknown_fact"]
    )
    return book, vocabulary


def _rule(
    entry: Mapping[str, Any],
    where: str,
    vocabulary: Vocabulary,
    group_ids: set[str],
    options: Mapping[str, OptionDef],
) -> RuleDef:
    check_keys(
        entry,
        {"id", "when", "decision", "why", "sources"},
        {"groups", "profiles", "routes", "options"},
        where,
    )
    decision = choose(entry["decision"], DECISIONS, "decision", where)
    groups = tuple(
        choose(g, sorted(group_ids), "group", where) for g in strings(entry, "groups", where)
    )
    profiles = tuple(
        choose(p, sorted(PROFILES), "profile", where) for p in strings(entry, "profiles", where)
    )
    routes = tuple(choose(r, ROUTES, "route", where) for r in strings(entry, "routes", where))
    chosen = tuple(
        options[choose(o, sorted(options), "option", where)]
        for o in strings(entry, "options", where)
    )
    if (decision == "indicated") != bool(routes):
        raise DataFileError(where, "routes are given exactly when the decision is indicated")
    if any(o.route not in routes for o in chosen):
        raise DataFileError(where, "an option's route is not among the rule's routes")
    sources = check_sources(strings(entry, "sources", where), where)
    why = fill_constants(entry["why"], where)
    check_placeholders(why, {*vocabulary.values, "met", "profile"}, where)
    return RuleDef(
        id=entry["id"],
        groups=frozenset(groups) if groups else None,
        profiles=frozenset(profiles) if profiles else None,
        when=condition(entry["when"], vocabulary, where),
        decision=decision,
        routes=tuple(sorted(routes)),
        options=chosen,
        why=why,
        sources=sources,
    )


RULES, VOCABULARY = _load()
