"""Food tags and diets, from the reviewed rules in `data/food_tags.txt`.

A tag says what a food is (plant, meat, dairy, ...) or what it does to iron (heme, polyphenol,
high_phytate) or to a kidney patient (high_potassium, high_phosphate for one serving). The rules
live in the data file so a clinician can review them row by row; this module only reads and
applies them. The build script tags every SR28 food with `food_tags` once, so at run time the
tags come from the shipped tables; `serving_tags` is applied to any portion, because the renal
flags depend on how much is eaten, and `diets_for` decides which diets a food suits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from rlsiron.diet.foods import DIETS, Diet
from rlsiron.diet.sr28 import NUTRIENT_COLUMNS
from rlsiron.pipe_table import DataFileError, Row, parse_table

FILE = "food_tags.txt"
COLUMNS = ("name", "kind", "groups", "words", "unless", "source", "reason")
Kind = Literal["food", "implied", "per_serving_above", "diet"]
KINDS: tuple[Kind, ...] = ("food", "implied", "per_serving_above", "diet")
ANY, NONE = "*", "-"
_NOT_A_WORD = re.compile(r"[\W_]+")


def normalised(text: str) -> str:
    """Lower case, every run of non-letters one space: "Lentils, mature seeds" -> "lentils mature
    seeds". Descriptions and phrases are compared in this form, so punctuation never matters."""
    return _NOT_A_WORD.sub(" ", text.lower()).strip()


def _phrases(cell: str, row: Row) -> re.Pattern[str] | None:
    """One pattern for a ";"-separated list of phrases, whole words, plural allowed."""
    if cell == NONE:
        return None
    phrases = [normalised(p) for p in cell.split(";") if p.strip()]
    if not phrases or not all(phrases):
        raise row.error(f"no phrase in {cell!r}")
    alternatives = "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})(?:s|es)?\b")


@dataclass(frozen=True, slots=True)
class FoodRule:
    """Tag `tag` for a food of one of `groups` (None: any) whose description has a phrase of
    `words` (None: any description), unless a phrase of `unless` is there too."""

    tag: str
    groups: frozenset[str] | None
    words: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    where: str

    def matches(self, description: str, group: str) -> bool:
        if self.groups is not None and group not in self.groups:
            return False
        if self.words is not None and not self.words.search(description):
            return False
        return self.unless is None or not self.unless.search(description)


@dataclass(frozen=True, slots=True)
class ImpliedRule:
    """Tag `tag` for a food that has one of `given`, unless its description says otherwise."""

    tag: str
    given: frozenset[str]
    unless: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class ServingCutoff:
    """Tag `tag` for a serving holding more than `above` of `column` (e.g. potassium_mg)."""

    tag: str
    column: str
    above: float


@dataclass(frozen=True, slots=True)
class DietRule:
    """A diet allows a food with one of `needs` (None: any food) and none of `forbids`."""

    diet: Diet
    needs: frozenset[str] | None
    forbids: frozenset[str]

    def allows(self, tags: frozenset[str]) -> bool:
        if tags & self.forbids:
            return False
        return self.needs is None or bool(tags & self.needs)


@dataclass(frozen=True, slots=True)
class TagRules:
    """Every rule of food_tags.txt, checked; apply with the three methods below."""

    food: tuple[FoodRule, ...]
    implied: tuple[ImpliedRule, ...]
    cutoffs: tuple[ServingCutoff, ...]
    diets: tuple[DietRule, ...]

    @property
    def food_tag_names(self) -> frozenset[str]:
        """Tags a food gets from its group and description (not the per-serving flags)."""
        return frozenset(r.tag for r in self.food) | {r.tag for r in self.implied}

    @property
    def serving_tag_names(self) -> frozenset[str]:
        return frozenset(c.tag for c in self.cutoffs)

    def food_tags(self, description: str, group: str) -> frozenset[str]:
        """The tags of an SR28 food, from its Long_Desc and its food group's name."""
        words = normalised(description)
        tags = {rule.tag for rule in self.food if rule.matches(words, group)}
        for rule in self.implied:
            if tags & rule.given and (rule.unless is None or not rule.unless.search(words)):
                tags.add(rule.tag)
        return frozenset(tags)

    def serving_tags(self, per_serving: Mapping[str, float | None]) -> frozenset[str]:
        """The renal flags of one serving; a nutrient SR28 does not give raises no flag."""
        flags = set()
        for cutoff in self.cutoffs:
            value = per_serving.get(cutoff.column)
            if value is not None and value > cutoff.above:
                flags.add(cutoff.tag)
        return frozenset(flags)

    def diets_for(self, tags: Iterable[str]) -> tuple[Diet, ...]:
        """The diets a food with these tags suits, in DIETS order."""
        have = frozenset(tags)
        return tuple(rule.diet for rule in self.diets if rule.allows(have))


def parse_rules(text: str, file: str = FILE) -> TagRules:
    """Read and check the rules; a bad row is a DataFileError naming its file and line."""
    rows = parse_table(text, file, COLUMNS)
    food: list[FoodRule] = []
    implied: list[ImpliedRule] = []
    cutoffs: list[ServingCutoff] = []
    diets: dict[Diet, DietRule] = {}
    for row in rows:
        if not row["source"] or not row["reason"]:
            raise row.error("every rule needs a source and a reason")
        match row.choice("kind", KINDS):
            case "food":
                food.append(_food_rule(row))
            case "implied":
                given = frozenset(row.items("words"))
                implied.append(ImpliedRule(row["name"], given, _phrases(row["unless"], row)))
            case "per_serving_above":
                cutoffs.append(_cutoff(row))
            case "diet":
                diet = row.choice("name", DIETS)
                if diet in diets:
                    raise row.error(f"diet {diet!r} defined twice")
                diets[diet] = _diet_rule(row, diet)
    rules = TagRules(
        tuple(food),
        tuple(implied),
        tuple(cutoffs),
        tuple(diets[d] for d in DIETS if d in diets),
    )
    _check_names(rules, file)
    return rules


def _food_rule(row: Row) -> FoodRule:
    groups = None if row["groups"] == ANY else frozenset(row.items("groups"))
    if groups is not None and not groups:
        raise row.error("a food rule needs groups (or '*')")
    if row["words"] == NONE:
        raise row.error("a food rule needs words (or '*')")
    words = None if row["words"] == ANY else _phrases(row["words"], row)
    return FoodRule(row["name"], groups, words, _phrases(row["unless"], row), row.where)


def _cutoff(row: Row) -> ServingCutoff:
    parts = row["words"].split()
    if len(parts) != 3 or parts[1] != ">" or parts[0] not in NUTRIENT_COLUMNS:
        raise row.error(f"a cut-off is '<column> > <number>', got {row['words']!r}")
    try:
        above = float(parts[2])
    except ValueError:
        raise row.error(f"cut-off {parts[2]!r} is not a number") from None
    return ServingCutoff(row["name"], parts[0], above)


def _diet_rule(row: Row, diet: Diet) -> DietRule:
    needs = None if row["words"] == ANY else frozenset(row.items("words"))
    forbids = frozenset() if row["unless"] == NONE else frozenset(row.items("unless"))
    return DietRule(diet, needs, forbids)


def _check_names(rules: TagRules, file: str) -> None:
    """Every tag a diet or an implied rule names must be a tag some food rule gives."""
    if {rule.diet for rule in rules.diets} != set(DIETS):
        raise DataFileError(file, f"diets must be exactly {', '.join(DIETS)}")
    known = rules.food_tag_names
    named: set[str] = set()
    for implied in rules.implied:
        named |= implied.given
    for diet in rules.diets:
        named |= (diet.needs or frozenset()) | diet.forbids
    unknown = sorted(named - known)
    if unknown:
        raise DataFileError(file, f"tags named but never given by a rule: {', '.join(unknown)}")


@cache
def tag_rules() -> TagRules:
    """The shipped rules, read once."""
    from importlib.resources import files

    text = files("rlsiron.diet").joinpath("data", FILE).read_text(encoding="utf-8")
    return parse_rules(text)
