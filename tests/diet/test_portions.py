"""Portions as people write them, weighed with SR28's own household measures."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsiron.diet.foods import load_foods
from rlsiron.diet.portions import (
    MAX_GRAMS,
    Quantity,
    parse_item,
    parse_meal,
    parse_quantity,
    split_meal,
)
from rlsiron.errors import RlsironError


@pytest.fixture(autouse=True, scope="module")
def warm_search_index() -> None:
    """The search index is built once per process (~0.3 s); build it before the timed
    property tests so Hypothesis's deadline measures the parser, not the first load."""
    parse_item("1 cup lentils")


@pytest.mark.parametrize(
    ("text", "amount", "measure", "rest"),
    [
        ("1 cup cooked lentils", 1, "cup", "cooked lentils"),
        ("150 g salmon", 150, "g", "salmon"),
        ("150g salmon", 150, "g", "salmon"),
        ("2 slices whole-wheat bread", 2, "slice", "whole-wheat bread"),
        ("1/2 cup rice", 0.5, "cup", "rice"),
        ("1½ cups rice", 1.5, "cup", "rice"),
        ("1 1/2 cups rice", 1.5, "cup", "rice"),
        ("½ cup rice", 0.5, "cup", "rice"),
        ("1,5 cups milk", 1.5, "cup", "milk"),
        ("3 oz beef", 3, "oz", "beef"),
        ("3 oz. beef", 3, "oz", "beef"),
        ("1 medium apple", 1, "medium", "apple"),
        ("a cup of tea", 1, "cup", "tea"),
        ("an orange", 1, None, "orange"),
        ("half a cup of oatmeal", 0.5, "cup", "oatmeal"),
        ("two eggs", 2, None, "eggs"),
        ("2 tablespoons peanut butter", 2, "tbsp", "peanut butter"),
        ("2 fl oz espresso", 2, "fl oz", "espresso"),
        ("1 fluid ounce espresso", 1, "fl oz", "espresso"),
        ("2 extra large eggs", 2, "extra large", "eggs"),
        ("cup of coffee", 1, "cup", "coffee"),
        ("1 kg potatoes", 1, "kg", "potatoes"),
        ("0.25 lb ham", 0.25, "lb", "ham"),
    ],
)
def test_quantities_are_read_as_written(
    text: str, amount: float, measure: str | None, rest: str
) -> None:
    quantity, food = parse_quantity(text)
    assert quantity is not None
    assert (quantity.amount, quantity.measure, food) == (pytest.approx(amount), measure, rest)


def test_no_quantity_leaves_the_text_whole() -> None:
    assert parse_quantity("cooked lentils") == (None, "cooked lentils")


# --- Property tests of the quantity parser ------------------------------------------------

AMOUNTS = st.builds(
    lambda whole, part: Fraction(whole) + part,
    st.integers(min_value=0, max_value=40),
    st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1, 4), Fraction(3, 4), Fraction(1, 3)]),
).filter(lambda amount: amount > 0)
UNICODE = {Fraction(1, 2): "½", Fraction(1, 4): "¼", Fraction(3, 4): "¾", Fraction(1, 3): "⅓"}
UNITS = {
    "g": "g",
    "grams": "g",
    "oz": "oz",
    "ounces": "oz",
    "cup": "cup",
    "cups": "cup",
    "tbsp": "tbsp",
    "tablespoons": "tbsp",
    "slices": "slice",
    "ml": "ml",
}


def _written(amount: Fraction, style: str) -> str:
    whole, part = divmod(amount, 1)
    if style == "fraction" and part:
        return f"{whole} {part}" if whole else str(part)
    if style == "unicode" and part:
        return f"{whole or ''}{UNICODE[part]}"
    if part and part.denominator == 3:
        return f"{whole} {part}" if whole else str(part)  # a third has no exact decimal
    return f"{float(amount):g}"


@settings(max_examples=60)
@given(
    AMOUNTS,
    st.sampled_from(["decimal", "fraction", "unicode"]),
    st.sampled_from(sorted(UNITS)),
    st.sampled_from(["lentils", "brown rice", "whole-wheat bread"]),
    st.sampled_from(["", " ", "  "]),
    st.booleans(),
)
def test_any_written_amount_and_unit_is_read_back(
    amount: Fraction, style: str, unit: str, food: str, gap: str, upper: bool
) -> None:
    text = f"{_written(amount, style)}{gap or ' '}{unit} {food}"
    quantity, rest = parse_quantity(text.upper() if upper else text)
    assert quantity is not None
    assert quantity.amount == pytest.approx(float(amount))
    assert quantity.measure == UNITS[unit]
    assert rest.lower() == food


@settings(max_examples=40)
@given(
    st.floats(min_value=0.1, max_value=MAX_GRAMS, allow_nan=False), st.sampled_from(load_foods())
)
def test_grams_always_work_for_every_food(grams: float, food: object) -> None:
    item = parse_item(f"{grams} g {food.name}")  # type: ignore[attr-defined]
    assert item.grams == pytest.approx(grams, rel=1e-9)
    assert item.food.food.ndb_no == food.ndb_no  # type: ignore[attr-defined]


@settings(max_examples=30)
@given(AMOUNTS.filter(lambda a: a <= 8), st.sampled_from(["cup", "tbsp"]))
def test_a_household_measure_scales_with_the_amount(amount: Fraction, unit: str) -> None:
    one = parse_item(f"1 {unit} lentils").grams
    assert parse_item(f"{float(amount)} {unit} lentils").grams == pytest.approx(float(amount) * one)


@settings(max_examples=30)
@given(st.floats(min_value=-1000, max_value=0, allow_nan=False))
def test_zero_or_negative_amounts_are_refused(amount: float) -> None:
    with pytest.raises(RlsironError, match="more than 0"):
        parse_item(f"{amount:f} cup lentils")


# --- Meals ------------------------------------------------------------------------------------


def test_the_issue_example_meal() -> None:
    lentils, orange, tea = parse_meal("1 cup cooked lentils, 1 orange, 1 cup black tea")
    assert (lentils.food.name, lentils.grams, lentils.amount, lentils.measure) == (
        "Lentils, boiled",
        198,
        1,
        "cup",
    )
    assert lentils.text == "1 cup cooked lentils" and not lentils.assumed
    assert lentils.nutrients.iron_mg == pytest.approx(3.33 * 1.98)
    assert (orange.food.name, orange.grams, orange.measure) == ("Orange, raw", 131, None)
    assert (tea.food.name, tea.grams) == ("Black tea, brewed", 237)


@pytest.mark.parametrize(
    ("text", "food", "grams"),
    [
        ("2 slices whole-wheat bread", "Whole-wheat bread", 64),
        ("1 medium apple", "Apple, raw", 182),
        ("3 oz salmon", "Salmon, pink, canned", 3 * 28.349523125),
        ("2 bagels", "Bagel, plain, enriched", 198),
        ("2 large eggs hard-boiled", "Egg, hard-boiled", 100),
        ("1 can sardines", "Sardines, canned in oil, with bones", 92),
        ("1 tbsp olive oil", "Olive oil", 13.5),  # SR28 says "tablespoon"
        ("1 cup sliced strawberries", "Strawberries, raw", 166),  # the "cup, sliced" measure
        ("1 banana", "Banana, raw", 118),  # a count is the medium one
        ("10 almonds", "Almonds", 12),
    ],
)
def test_household_measures_come_from_sr28(text: str, food: str, grams: float) -> None:
    item = parse_item(text)
    assert (item.food.name, item.grams) == (food, pytest.approx(grams))
    assert "SR28" in item.basis or item.measure in ("g", "oz")


def test_a_volume_the_food_has_no_measure_for_goes_through_one_it_has() -> None:
    item = parse_item("250 ml orange juice")
    assert item.grams == pytest.approx(250 * 249 / 236.5882365)
    assert "via 1 cup = 249 g" in item.basis


def test_no_quantity_is_one_standard_serving_and_says_so() -> None:
    (item,) = parse_meal("cooked lentils")
    assert item.assumed and item.amount is None and item.grams == 198
    assert item.basis == "one standard serving: 1 cup (198 g)"


def test_an_unknown_measure_names_the_food_and_its_measures() -> None:
    with pytest.raises(RlsironError) as raised:
        parse_meal("2 slices lentils")
    (problem,) = raised.value.problems
    assert problem.location == "meal[0]"
    assert problem.message == "'2 slices lentils': Lentils, boiled has no measure 'slices' in SR28"
    assert problem.accepted == ("cup", "tbsp", "g", "kg", "oz", "lb")


def test_more_than_two_kilograms_of_one_item_is_refused() -> None:
    with pytest.raises(RlsironError, match=r"3,000 g of Lentils, boiled is more than 2 kg"):
        parse_meal("3 kg lentils")


def test_every_bad_item_of_a_meal_is_reported_at_once() -> None:
    with pytest.raises(RlsironError) as raised:
        parse_meal("1 cup xyzzy; 1 orange; 0 cups rice; 2 slices lentils")
    locations = [p.location for p in raised.value.problems]
    assert locations == ["meal[0]", "meal[2]", "meal[3]"]
    assert "did you mean" in (raised.value.problems[0].hint or "")


@pytest.mark.parametrize("text", ["", " ; ", "1 cup", "1/0 cup rice"])
def test_empty_or_foodless_items_are_errors(text: str) -> None:
    with pytest.raises(RlsironError):
        parse_meal(text)


def test_items_split_on_commas_but_not_decimal_commas() -> None:
    assert split_meal("1,5 cups milk, 1 orange") == ("1,5 cups milk", "1 orange")
    assert split_meal("1 cup lentils; 2 slices bread, toasted") == (
        "1 cup lentils",
        "2 slices bread, toasted",
    )


def test_a_quantity_keeps_what_was_written() -> None:
    quantity, _ = parse_quantity("1½ cups of rice")
    assert quantity == Quantity(1.5, "cup", "1 1/2 cups", "cups")
