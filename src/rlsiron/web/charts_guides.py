"""The bands and lines a chart draws behind a person's results, read from the rule table.

No number is written here: each band and line is a row of `thresholds.txt`, found through
the rules of `rules.toml` that compare a value with it, so a chart shows exactly the cut-offs
that decided. The rules say which threshold a profile uses (`adult.low_iron` for aasm-2024,
`adult.low_iron_50` for ferritin-50), so a profile's ferritin line is the one its own rule
compares with, never a second table kept beside the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from rlsiron.core.knowledge.rules import RULES, RuleDef
from rlsiron.core.knowledge.thresholds import Threshold
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.models import Assessment, ProfileId
from rlsiron.core.rules.expressions import comparisons

BandKind = Literal["indicated", "target", "stop"]
LineKind = Literal["decision", "ceiling", "safety"]

_BELOW = ("<", "<=")
_ABOVE = (">", ">=")
_ROUTE_WORDS = {("iv", "oral"): "oral or IV iron", ("iv",): "IV iron", ("oral",): "oral iron"}


@dataclass(frozen=True, slots=True)
class Band:
    """A stretch of the value axis, in the analyte's canonical unit."""

    low: float
    high: float
    kind: BandKind
    label: str


@dataclass(frozen=True, slots=True)
class Line:
    """A threshold drawn across the chart; `threshold.id` names its row in thresholds.txt.

    `label` holds the words only: the chart writes the number in the unit it shows.
    """

    threshold: Threshold
    kind: LineKind
    label: str


@dataclass(frozen=True, slots=True)
class Guides:
    bands: tuple[Band, ...]
    lines: tuple[Line, ...]


def group_of(assessment: Assessment) -> str:
    """The rule group whose thresholds apply: the deciding rule's, else the group for everyone.

    Rules that apply before the groups (missing labs, a stale panel) say nothing about the
    group; the last group (`when = "true"`, the adults) is then the one a chart shows.
    """
    rule = next((r for r in RULES.rules if r.id == assessment.iron_therapy.rule), None)
    if rule is not None and rule.groups is not None and len(rule.groups) == 1:
        return next(iter(rule.groups))
    return RULES.groups[-1].id


def _applicable(group: str, profile: ProfileId) -> Iterator[RuleDef]:
    for rule in RULES.rules:
        in_group = rule.groups is None or group in rule.groups
        if in_group and (rule.profiles is None or profile in rule.profiles):
            yield rule


def _compared(rule: RuleDef, names: Iterable[str], ops: Iterable[str]) -> list[Threshold]:
    """The thresholds `rule` compares any of `names` with, on the side `ops` give."""
    wanted, sides = set(names), set(ops)
    return [c.threshold for c in comparisons(rule.when.expr) if c.name in wanted and c.op in sides]


def _indicated_bands(rules: list[RuleDef], name: str) -> list[tuple[Band, Threshold]]:
    """One band per rule that indicates iron when `name` is low enough, with its upper line."""
    found = []
    for rule in rules:
        if rule.decision != "indicated":
            continue
        uppers = _compared(rule, [name], _BELOW)
        if not uppers:
            continue
        upper = min(uppers, key=lambda t: t.value)
        lower = max((t.value for t in _compared(rule, [name], _ABOVE)), default=0.0)
        words = _ROUTE_WORDS.get(rule.routes, "iron")
        found.append((Band(lower, upper.value, "indicated", f"{words} indicated"), upper))
    return found


def _unique(lines: Iterable[Line]) -> tuple[Line, ...]:
    return tuple({line.threshold.id: line for line in lines}.values())


def ferritin_guides(profile: ProfileId, group: str) -> Guides:
    """The profile's iron-indicated bands, the target above them and the trials' ceiling."""
    rules = list(_applicable(group, profile))
    indicated = _indicated_bands(rules, "ferritin")
    ceilings = [
        t
        for r in rules
        if r.decision == "not_indicated"
        for t in _compared(r, ["ferritin"], _ABOVE)
    ]
    lines = [Line(t, "decision", band.label) for band, t in indicated]
    lines += [Line(t, "ceiling", "no one this high was in the iron trials") for t in ceilings]
    bands = [band for band, _ in indicated]
    top = max((t.value for _, t in indicated), default=None)
    if top is not None and ceilings:
        ceiling = min(t.value for t in ceilings)
        bands.append(Band(top, ceiling, "target", "target"))
    return Guides(tuple(bands), _unique(lines))


def tsat_guides(profile: ProfileId, group: str) -> Guides:
    """The low-TSAT band, the target above it and the safety stop (iron must not be taken)."""
    rules = list(_applicable(group, profile))
    indicated = _indicated_bands(rules, "tsat")
    stops = [
        t
        for r in rules
        if r.decision == "contraindicated"
        for t in _compared(r, ["tsat", "tsat_max"], _ABOVE)
    ]
    lines = [Line(t, "decision", "low TSAT: iron indicated") for _, t in indicated]
    lines += [Line(t, "safety", "iron must not be taken") for t in stops]
    bands = [band for band, _ in indicated]
    if stops:
        stop = min(t.value for t in stops)
        ceiling = ANALYTES["tsat"].plausible_high
        bands.append(Band(stop, ceiling, "stop", "iron must not be taken"))
        low = max((t.value for _, t in indicated), default=None)
        if low is not None:
            bands.append(Band(low, stop, "target", "target"))
    return Guides(tuple(bands), _unique(lines))


def trend_target(profile: ProfileId, group: str) -> float | None:
    """The ferritin a trend heads for: the top of the bands where iron is indicated."""
    bands = ferritin_guides(profile, group).bands
    return max((band.high for band in bands if band.kind == "indicated"), default=None)
