"""Advice for absorbing iron from a meal or a day, tailored as the engine's plan is.

The rules are few and fixed, so they are code; every sentence is data (`data/advice.txt`),
so a clinician can review the wording row by row. Tailoring, in the order it is applied:

- liver in pregnancy is a safety point: always said, whatever else applies;
- iron must not be increased (the engine's safety findings): no tip that would raise the
  iron absorbed, only a neutral reason, and a word for people on prescribed iron;
- kidney disease: no foods and no tips, the renal dietitian decides (KDOQI-2020);
- otherwise: a vitamin C partner, tea and coffee away from iron meals, calcium away from the
  iron-richest meal and from a prescribed iron tablet (not for children under 12, whose
  tablet timing belongs to the paediatric team). Vegans never see dairy named.

No advice starts, stops or doses a medicine. The caller (the core's plan, the CLI) builds
`DietContext` from the engine's assessment; this module never reads the engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rlsiron.diet.absorption import (
    TEXTS,
    MealComposition,
    TextKind,
    coefficient,
    enhancing_room,
    estimate_day,
    nonheme_iron_mg,
)
from rlsiron.errors import ImpossibleValueError, Problem, RlsironError


@dataclass(frozen=True, slots=True, kw_only=True)
class DietContext:
    """What the engine's assessment says about the person, as the diet advice needs it.

    iron_boosting_allowed  False when a safety finding says iron must not be increased
                           (contraindicated, stop and review, overload, very high ferritin)
    renal                  chronic kidney disease or dialysis
    pregnant, vegan        as given by the person
    prescribed_iron        the person takes iron a clinician prescribed
    under_12               a child under 12: no advice on tablet timing
    """

    iron_boosting_allowed: bool
    renal: bool
    pregnant: bool
    vegan: bool
    prescribed_iron: bool
    under_12: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MealItem:
    """One food or supplement of a meal, as far as the wording of advice needs it."""

    name: str
    iron_mg: float
    calcium_mg: float
    liver: bool
    dairy: bool
    calcium_supplement: bool

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise RlsironError("an item needs a name", field="name", value=self.name)
        problems = [
            Problem(field, "must be a number of 0 or more", value, kind="impossible_value")
            for field, value in (("iron_mg", self.iron_mg), ("calcium_mg", self.calcium_mg))
            if isinstance(value, bool) or not math.isfinite(value) or value < 0
        ]
        if problems:
            raise ImpossibleValueError(problems=problems)


@dataclass(frozen=True, slots=True, kw_only=True)
class MealDescription:
    """A named meal: the model's composition, and its items for naming them in advice."""

    name: str
    composition: MealComposition
    items: tuple[MealItem, ...]

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise RlsironError("a meal needs a name", field="name", value=self.name)


@dataclass(frozen=True, slots=True)
class Advice:
    """One piece of advice: its advice.txt row, the sentence as shown, and its sources."""

    id: str
    kind: TextKind
    text: str
    sources: tuple[str, ...]
    boosting: bool


def _advice(id: str, **values: str) -> Advice:
    row = TEXTS[id]
    return Advice(id, row.kind, row.render(**values), row.sources, row.boosting)


def _names(names: Sequence[str]) -> str:
    """Names joined as people write them: a; a and b; a, b and c."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def advise_meal(meal: MealDescription, context: DietContext) -> tuple[Advice, ...]:
    """Advice for one meal checked on its own (the calcium tip is worded for the case that
    it is the day's iron-richest meal, which a single meal cannot know)."""
    return _advise((meal,), meal, "phrase.iron_richest_meal", context, day_note=None)


def advise_day(meals: Sequence[MealDescription], context: DietContext) -> tuple[Advice, ...]:
    """Advice for a day: tips aimed at its iron-richest meal, tea and coffee at any meal with
    iron, and how much smaller vitamin C's gain is over a whole diet than per meal."""
    if not meals:
        raise RlsironError("a day needs at least one meal", field="meals", value=[])
    # max() keeps the first of equals: the earlier meal is the one named.
    iron_meal = max(meals, key=lambda meal: meal.composition.iron_mg)
    day = estimate_day([meal.composition for meal in meals])
    single_mg = f"{day.vitamin_c_gain_single_meal_mg:.2f}"
    # Shown in hundredths of a mg; a gain too small to show is not worth a note.
    note = (
        _advice(
            "note.vitamin_c_whole_diet",
            single_mg=single_mg,
            whole_mg=f"{day.vitamin_c_gain_whole_diet_mg:.2f}",
        )
        if float(single_mg) > 0
        else None
    )
    return _advise(tuple(meals), iron_meal, "phrase.iron_richest_day", context, day_note=note)


def _advise(
    meals: tuple[MealDescription, ...],
    iron_meal: MealDescription,
    which: str,
    context: DietContext,
    *,
    day_note: Advice | None,
) -> tuple[Advice, ...]:
    advice = [
        _advice("caution.liver_pregnancy", meal=meal.name)
        for meal in meals
        if context.pregnant and any(item.liver for item in meal.items)
    ]
    if not context.iron_boosting_allowed:
        advice.append(_advice("withheld.iron_not_advised"))
        if context.prescribed_iron:
            advice.append(_advice("note.prescribed_iron"))
        if context.renal:
            advice.append(_advice("referral.renal"))
        return tuple(advice)
    if context.renal:
        return (*advice, _advice("referral.renal"))
    advice.extend(_tips(meals, iron_meal, which, context))
    if day_note is not None:
        advice.append(day_note)
    return tuple(advice)


def _tips(
    meals: tuple[MealDescription, ...],
    iron_meal: MealDescription,
    which: str,
    context: DietContext,
) -> list[Advice]:
    tips: list[Advice] = []
    iron = iron_meal.composition
    if nonheme_iron_mg(iron) > 0 and enhancing_room(iron) > 0:
        tips.append(_advice("tip.vitamin_c", meal=iron_meal.name))
    with_drinks = [
        m.name for m in meals if m.composition.drinks() and nonheme_iron_mg(m.composition)
    ]
    if with_drinks:
        tips.append(_advice("tip.tea_coffee", meals=_names(with_drinks)))
    calcium = _calcium_tip(iron_meal, which, context)
    if calcium is not None:
        tips.append(calcium)
    if context.prescribed_iron and not context.under_12:
        tips.append(_advice("tip.iron_tablet_calcium"))
    return tips


def _calcium_tip(meal: MealDescription, which: str, context: DietContext) -> Advice | None:
    """Calcium away from the iron-richest meal, naming the calcium items (never dairy ones
    for a vegan)."""
    threshold = coefficient("advice.calcium_rich_mg").value
    supplement = any(item.calcium_supplement for item in meal.items)
    if meal.composition.iron_mg <= 0 or (
        meal.composition.calcium_mg < threshold and not supplement
    ):
        return None
    named = [
        item.name
        for item in meal.items
        if (item.calcium_supplement or item.calcium_mg >= threshold)
        and not (context.vegan and item.dairy)
    ]
    items = _names(named) if named else TEXTS["phrase.calcium_generic"].text
    return _advice("tip.calcium", calcium_items=items, meal=meal.name, which=TEXTS[which].text)
