"""The engine's interpreter of the rule table: one person's named values -> the decision.

It does only what rules.toml says: derive the booleans, pick the group, walk the rules in
order. The first rule whose condition is true decides; one whose condition is unknown stops
at `test_first` and names the result that could not be placed (fail closed). The batch
screener compiles the same rows; a differential test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import NamedTuple

from rlsiron.core.knowledge.rules import RULES, VALUES, RuleDef
from rlsiron.core.knowledge.thresholds import PROFILES, UNIT_TEXT
from rlsiron.core.models import Decision, Route
from rlsiron.core.rules.display import ShownValues, show_value
from rlsiron.core.rules.expressions import Condition, Value


class Outcome(NamedTuple):
    decision: Decision
    rule: str
    why: str
    sources: tuple[str, ...]
    routes: tuple[Route, ...] = ()
    options: tuple[str, ...] = ()


def with_derived(values: Mapping[str, Value]) -> dict[str, Value]:
    """The named values plus the booleans rules.toml derives from them, in file order."""
    full = dict(values)
    for derived in RULES.derived:
        full[derived.name] = derived.when.test(full)
    return full


def group_of(values: Mapping[str, Value]) -> str:
    """The person's rule set: the first group whose condition holds.

    The groups read facts that are always known (kidney status, pregnancy, age); an
    unknown answer here would be a defect in values.txt, so it is not skipped silently.
    """
    for group in RULES.groups:
        truth = group.when.test(values)
        if truth is None:
            raise ValueError(f"group {group.id!r}: its condition is unknown")
        if truth:
            return group.id
    raise ValueError("no group applies")  # unreachable: rules.toml ends with `true`


@cache
def rules_for(group: str, profile: str) -> tuple[RuleDef, ...]:
    """The ordered rules that apply to one group under one profile."""
    return tuple(
        rule
        for rule in RULES.rules
        if (rule.groups is None or group in rule.groups)
        and (rule.profiles is None or profile in rule.profiles)
    )


def decide(values: Mapping[str, Value], profile: str, group: str) -> Outcome:
    """The first rule that holds; `values` must already hold the derived booleans."""
    for rule in rules_for(group, profile):
        truth = rule.when.test(values)
        if truth is None:
            return _undetermined(rule, values)
        if truth:
            return Outcome(
                rule.decision,
                rule.id,
                _why(rule, values, profile),
                rule.sources,
                rule.routes,
                tuple(o.text for o in rule.options),
            )
    raise ValueError(f"no rule decided for group {group!r}")  # unreachable: lists end in `true`


def _why(rule: RuleDef, values: Mapping[str, Value], profile: str) -> str:
    return rule.why.format_map(ConditionFields(rule.when, values, profile, ShownValues(values)))


def met_text(condition: Condition, values: Mapping[str, Value]) -> str:
    """The comparisons of a condition that hold, in words: "Ferritin 38 µg/L is ≤ 75 µg/L"."""
    held = [
        f"{VALUES[c.name].label} {show_value(c.name, values[c.name])} {_unit(c.name)}"
        f"is {c.threshold.describe()}"
        for c, test in condition.checks
        if test(values) is True
    ]
    text = " and ".join(dict.fromkeys(held))
    return text[:1].upper() + text[1:]


def _undetermined(rule: RuleDef, values: Mapping[str, Value]) -> Outcome:
    """test_first, naming the first one-sided result the rule could not place."""
    unsettled = next((c for c, test in rule.when.checks if test(values) is None), None)
    if unsettled is None:  # a derived fact is unknown: name the rule's condition
        why = RULES.unknown_fact_why.format(condition=rule.when.text)
        return Outcome("test_first", "undetermined", why, rule.sources)
    why = RULES.undetermined_why.format(
        name=VALUES[unsettled.name].label,
        value=show_value(unsettled.name, values[unsettled.name]),
        threshold=unsettled.threshold.describe(),
    )
    return Outcome("test_first", "undetermined", why, unsettled.threshold.sources)


class ConditionFields(dict[str, str]):
    """The template fields of a rule or finding variant: its own params, then {met} (the
    comparisons of its condition that hold), {profile} and the shown values, each made
    only if the template asks for it."""

    def __init__(
        self,
        condition: Condition,
        values: Mapping[str, Value],
        profile: str,
        shown: Mapping[str, str],
        params: Mapping[str, str] = MappingProxyType({}),
    ) -> None:
        super().__init__(params)
        self._condition, self._values, self._profile, self._shown = (
            condition,
            values,
            profile,
            shown,
        )

    def __missing__(self, key: str) -> str:
        if key == "met":
            return met_text(self._condition, self._values)
        if key == "profile":
            return PROFILES[self._profile].label
        return self._shown[key]


def _unit(name: str) -> str:
    """The unit shown after a value ("µg/L "), or nothing for counts such as age."""
    unit = VALUES[name].unit
    if VALUES[name].analyte is None:
        return ""
    return f"{UNIT_TEXT.get(unit, unit)} "
