"""Diet advice tailored as the engine's plan is: each rule, and the promises that hold for
every meal and every person (no liver in pregnancy, no dairy for vegans, nothing to absorb
more iron when iron must not be increased, no foods for kidney disease)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsiron.diet.absorption import TEXTS, MealComposition
from rlsiron.diet.advice import (
    Advice,
    DietContext,
    MealDescription,
    MealItem,
    advise_day,
    advise_meal,
)
from rlsiron.errors import RlsironError

DAIRY_WORDS = re.compile(r"\b(milk|cheese|yog(h)?urt|dairy|cream|butter|kefir)\b", re.IGNORECASE)
FOOD_WORDS = re.compile(
    r"\b(orange|kiwi|strawberr|pepper|broccoli|tomato|liver|lentil|beef|spinach|cereal)",
    re.IGNORECASE,
)

ALLOWED = DietContext(
    iron_boosting_allowed=True,
    renal=False,
    pregnant=False,
    vegan=False,
    prescribed_iron=False,
    under_12=False,
)


def composition(**amounts: float | None) -> MealComposition:
    empty: dict[str, float | None] = {
        "iron_mg": 0.0,
        "mfp_iron_mg": 0.0,
        "mfp_g": 0.0,
        "vitamin_c_mg": 0.0,
        "calcium_mg": 0.0,
        "tea_servings": 0.0,
        "coffee_servings": 0.0,
        "cocoa_servings": 0.0,
        "phytate_p_mg": None,
    }
    return MealComposition(**{**empty, **amounts})  # type: ignore[arg-type]


def item(name: str, *, iron_mg: float = 0.0, calcium_mg: float = 0.0, **flags: bool) -> MealItem:
    return MealItem(
        name=name,
        iron_mg=iron_mg,
        calcium_mg=calcium_mg,
        liver=flags.get("liver", False),
        dairy=flags.get("dairy", False),
        calcium_supplement=flags.get("calcium_supplement", False),
    )


# A lentil lunch with milk and tea: every iron-boosting tip applies to it.
LUNCH = MealDescription(
    name="lunch",
    composition=composition(iron_mg=6.6, vitamin_c_mg=5.0, calcium_mg=300.0, tea_servings=1.0),
    items=(
        item("lentils", iron_mg=6.6),
        item("milk", calcium_mg=300.0, dairy=True),
        item("tea"),
    ),
)
# Fried liver and onions: heme iron, and liver.
LIVER_DINNER = MealDescription(
    name="dinner",
    composition=composition(iron_mg=7.0, mfp_iron_mg=6.5, mfp_g=85.0),
    items=(item("beef liver", iron_mg=6.5, liver=True), item("onions", iron_mg=0.5)),
)
BREAKFAST = MealDescription(
    name="breakfast",
    composition=composition(iron_mg=1.0, coffee_servings=1.0, calcium_mg=250.0),
    items=(item("toast", iron_mg=1.0), item("yoghurt", calcium_mg=250.0, dairy=True)),
)


def ids(advice: tuple[Advice, ...]) -> list[str]:
    return [a.id for a in advice]


def texts(advice: tuple[Advice, ...]) -> str:
    return "\n".join(a.text for a in advice)


# --- Each rule --------------------------------------------------------------------------


def test_an_iron_meal_gets_a_vitamin_c_partner_tea_moved_and_calcium_moved() -> None:
    advice = advise_meal(LUNCH, ALLOWED)
    assert ids(advice) == ["tip.vitamin_c", "tip.tea_coffee", "tip.calcium"]
    assert "milk at another time than lunch" in advice[2].text
    assert "an hour" in advice[1].text


def test_no_vitamin_c_tip_when_the_meal_already_has_all_the_enhancers_counted() -> None:
    steak = MealDescription(
        name="dinner",
        composition=composition(iron_mg=3.0, mfp_iron_mg=2.5, mfp_g=150.0),
        items=(item("steak", iron_mg=2.5),),
    )
    assert "tip.vitamin_c" not in ids(advise_meal(steak, ALLOWED))


def test_no_tips_for_a_meal_without_iron() -> None:
    water = MealDescription(
        name="snack", composition=composition(tea_servings=1.0, calcium_mg=400.0), items=()
    )
    assert advise_meal(water, ALLOWED) == ()


def test_the_day_aims_calcium_at_its_iron_richest_meal_only() -> None:
    advice = advise_day([BREAKFAST, LUNCH], ALLOWED)
    calcium = [a for a in advice if a.id == "tip.calcium"]
    assert len(calcium) == 1
    assert "than lunch, the meal that brings most of your iron today" in calcium[0].text
    assert "yoghurt" not in calcium[0].text  # breakfast's calcium is not near the iron meal
    tea = next(a for a in advice if a.id == "tip.tea_coffee")
    assert "with breakfast and lunch" in tea.text


def test_a_calcium_supplement_is_named_whatever_its_dose() -> None:
    with_supplement = replace(
        LUNCH,
        composition=replace(LUNCH.composition, calcium_mg=0.0),
        items=(item("lentils", iron_mg=6.6), item("calcium tablet", calcium_supplement=True)),
    )
    calcium = next(a for a in advise_meal(with_supplement, ALLOWED) if a.id == "tip.calcium")
    assert "calcium tablet" in calcium.text


def test_a_little_calcium_is_not_worth_moving() -> None:
    light = replace(LUNCH, composition=replace(LUNCH.composition, calcium_mg=60.0))
    assert "tip.calcium" not in ids(advise_meal(light, ALLOWED))


def test_prescribed_iron_gets_calcium_timing_but_not_for_young_children() -> None:
    on_iron = replace(ALLOWED, prescribed_iron=True)
    assert "tip.iron_tablet_calcium" in ids(advise_meal(LUNCH, on_iron))
    assert "tip.iron_tablet_calcium" not in ids(advise_meal(LUNCH, replace(on_iron, under_12=True)))
    assert "tip.iron_tablet_calcium" not in ids(advise_meal(LUNCH, ALLOWED))


def test_the_day_shows_vitamin_cs_whole_diet_gain_smaller_than_the_meals() -> None:
    with_pepper = replace(LUNCH, composition=replace(LUNCH.composition, vitamin_c_mg=60.0))
    advice = advise_day([with_pepper, BREAKFAST], ALLOWED)
    note = next(a for a in advice if a.id == "note.vitamin_c_whole_diet")
    single, whole = _numbers(note.text)
    assert 0 < whole < single


def _numbers(text: str) -> tuple[float, float]:
    single = re.search(r"about ([0-9.e-]+) mg", text)
    whole = re.search(r"closer to ([0-9.e-]+) mg", text)
    assert single and whole
    return float(single.group(1)), float(whole.group(1))


# --- Tailoring --------------------------------------------------------------------------


def test_when_iron_must_not_be_increased_no_tip_only_a_neutral_reason() -> None:
    context = replace(ALLOWED, iron_boosting_allowed=False)
    advice = advise_day([LUNCH, BREAKFAST], context)
    assert ids(advice) == ["withheld.iron_not_advised"]
    assert not any(a.boosting for a in advice)
    on_iron = advise_meal(LUNCH, replace(context, prescribed_iron=True))
    assert ids(on_iron) == ["withheld.iron_not_advised", "note.prescribed_iron"]
    assert "ask the prescriber about it before your next dose" in on_iron[1].text


def test_kidney_disease_defers_to_the_renal_dietitian_and_names_no_food() -> None:
    renal = replace(ALLOWED, renal=True, prescribed_iron=True)
    advice = advise_day([LUNCH, BREAKFAST], renal)
    assert ids(advice) == ["referral.renal"]
    assert "renal dietitian" in advice[0].text
    assert "KDOQI-2020" in advice[0].sources
    assert not FOOD_WORDS.search(texts(advice))
    both = advise_meal(LUNCH, replace(renal, iron_boosting_allowed=False))
    assert ids(both) == ["withheld.iron_not_advised", "note.prescribed_iron", "referral.renal"]


def test_pregnancy_warns_about_liver_and_never_suggests_it() -> None:
    pregnant = replace(ALLOWED, pregnant=True)
    advice = advise_day([LIVER_DINNER, LUNCH], pregnant)
    assert ids(advice)[0] == "caution.liver_pregnancy"
    assert advice[0].text.startswith("dinner includes liver")
    assert not any("liver" in a.text.lower() for a in advice if a.kind != "caution")
    assert "caution.liver_pregnancy" not in ids(advise_day([LIVER_DINNER, LUNCH], ALLOWED))


def test_the_liver_caution_stands_even_when_nothing_else_is_said() -> None:
    context = replace(ALLOWED, pregnant=True, iron_boosting_allowed=False, renal=True)
    assert ids(advise_meal(LIVER_DINNER, context))[0] == "caution.liver_pregnancy"


def test_vegans_never_read_a_dairy_word() -> None:
    vegan = replace(ALLOWED, vegan=True)
    for advice in (advise_meal(LUNCH, vegan), advise_day([BREAKFAST, LUNCH], vegan)):
        assert "tip.calcium" in ids(advice)
        assert not DAIRY_WORDS.search(texts(advice))
    assert DAIRY_WORDS.search(texts(advise_meal(LUNCH, ALLOWED)))  # others do


def test_no_text_starts_stops_or_doses_a_medicine() -> None:
    # Negations ("not to increase your iron", "do not stop") are what the rules require.
    instruction = re.compile(
        r"(?<!not )(?<!not to )\b(start|begin|increase|double|take)\b (taking |your |an? |more )?"
        r"(iron|tablet|supplement|medicine|dose)",
        re.IGNORECASE,
    )
    for row in TEXTS.values():
        assert not instruction.search(row.text), row.id
        assert not re.search(r"\d\s*mg", row.text), row.id
        assert not re.search(r"(?<!not )\bstop\b", row.text, re.IGNORECASE), row.id


def test_an_unnamed_meal_or_an_empty_day_is_refused() -> None:
    with pytest.raises(RlsironError):
        MealDescription(name=" ", composition=composition(), items=())
    with pytest.raises(RlsironError):
        advise_day([], ALLOWED)
    with pytest.raises(RlsironError):
        item("lentils", iron_mg=-1.0)


# --- For every meal and every person ----------------------------------------------------

contexts = st.builds(
    DietContext,
    iron_boosting_allowed=st.booleans(),
    renal=st.booleans(),
    pregnant=st.booleans(),
    vegan=st.booleans(),
    prescribed_iron=st.booleans(),
    under_12=st.booleans(),
)
descriptions = st.sampled_from([LUNCH, LIVER_DINNER, BREAKFAST])


@settings(max_examples=120)
@given(st.lists(descriptions, min_size=1, max_size=4), contexts)
def test_the_tailoring_promises_hold_for_any_day_and_person(
    day: list[MealDescription], context: DietContext
) -> None:
    named = [replace(m, name=f"meal {n}") for n, m in enumerate(day)]
    advice = advise_day(named, context)
    if not context.iron_boosting_allowed:
        assert not any(a.boosting for a in advice)
        assert "withheld.iron_not_advised" in ids(advice)
    if context.renal:
        assert not any(a.kind == "tip" for a in advice)
        assert "referral.renal" in ids(advice)
    if context.vegan:
        assert not DAIRY_WORDS.search(texts(advice))
    if context.pregnant:
        assert not any("liver" in a.text.lower() for a in advice if a.kind != "caution")
    if context.under_12:
        assert "tip.iron_tablet_calcium" not in ids(advice)
