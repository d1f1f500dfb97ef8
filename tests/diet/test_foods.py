"""The curated food table checked against USDA SR28 itself, and the diet filters on top of it."""

from __future__ import annotations

import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from rlsiron.diet.foods import (
    DIETS,
    MEALS,
    Food,
    absorption_inhibitors,
    iron_rich_foods,
    load_foods,
    vitamin_c_foods,
)
from rlsiron.diet.sr28 import NUTRIENT_COLUMNS
from rlsiron.errors import RlsironError
from tests.diet.sr28_build import REPO, SCRIPT, SR28, builder, needs_sr28

SHIPPED = REPO / "src" / "rlsiron" / "diet" / "data" / "foods.csv"
ANIMAL_CATEGORIES = {"meat", "poultry", "organ_meat", "fish", "shellfish", "egg", "dairy"}


def _by_ndb(ndb_no: str) -> Food:
    return next(food for food in load_foods() if food.ndb_no == ndb_no)


def _round(value: Decimal, step: str) -> float:
    return float(value.quantize(Decimal(step), rounding=ROUND_HALF_UP))


@needs_sr28
def test_sr28_spinach_raw_has_2_71_mg_iron_per_100_g() -> None:
    raw = builder().read_sr28(SR28, frozenset({"11457"}))
    assert raw.descriptions["11457"] == "Spinach, raw"
    assert raw.groups["11457"] == "Vegetables and Vegetable Products"
    spinach = raw.nutrients["11457"]
    assert (spinach["303"], spinach["401"], spinach["301"]) == (
        Decimal("2.71"),
        Decimal("28.1"),
        Decimal("99"),
    )
    assert (spinach["208"], spinach["306"], spinach["305"]) == (
        Decimal("23"),
        Decimal("558"),
        Decimal("49"),
    )


# SR28 nutrient number of each per-serving column, written out here (not taken from the
# builder) so a wrong mapping in the builder fails this test.
NUTRIENT_NUMBERS = {
    "energy_kcal": ("208", "1"),
    "protein_g": ("203", "0.1"),
    "fibre_g": ("291", "0.1"),
    "iron_mg": ("303", "0.1"),
    "vitamin_c_mg": ("401", "1"),
    "calcium_mg": ("301", "1"),
    "potassium_mg": ("306", "1"),
    "phosphorus_mg": ("305", "1"),
}


@needs_sr28
def test_every_serving_scales_from_sr28_per_100_g_values() -> None:
    foods = load_foods()
    raw = builder().read_sr28(SR28, frozenset(food.ndb_no for food in foods))
    assert set(NUTRIENT_NUMBERS) == set(NUTRIENT_COLUMNS)
    for food in foods:
        per_100g = raw.nutrients[food.ndb_no]
        grams = Decimal(str(food.serving_g))
        for column, (number, step) in NUTRIENT_NUMBERS.items():
            if number in per_100g:
                expected = _round(per_100g[number] * grams / 100, step)
                assert getattr(food, column) == expected, (food.name, column)


def test_cooked_spinach_cup_is_180_g_at_3_57_mg_per_100_g() -> None:
    spinach = _by_ndb("11458")
    assert (spinach.serving_g, spinach.iron_mg) == (180, 6.4)
    assert spinach.serving == "1 cup (180 g)"


@needs_sr28
def test_every_food_is_in_food_des_with_the_same_description() -> None:
    records = builder().sr28_records(SR28 / "FOOD_DES.txt")
    descriptions = {record[0]: record[2] for record in records}
    for food in load_foods():
        assert descriptions.get(food.ndb_no) == food.sr28_description, food.ndb_no


@needs_sr28
def test_shipped_csv_is_exactly_what_the_script_builds(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--sr28", str(SR28), "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    built = (tmp_path / "foods.csv").read_bytes()
    assert built == SHIPPED.read_bytes(), "rerun `make foods` and commit the CSV"


@needs_sr28
def test_build_fails_loudly_on_an_unknown_food_serving_meal_or_tag(tmp_path: Path) -> None:
    selection = tmp_path / "selection.csv"
    selection.write_text(
        "ndb_no,name,category,role,amount,measure,grams,meals,flags,note\n"
        "99999,Nothing,meat,iron_source,1,cup,,dinner,,\n"
        "16070,Lentils,legume,iron_source,1,bowl,,supper,,\n"
        "18075,Bread,bread,other,1,slice,,breakfast,,\n"
        "16426,Tofu,soy,other,0.5,cup,,dinner,+meaty,no such tag\n",
        encoding="utf-8",
    )
    command = [sys.executable, str(SCRIPT), "--selection", str(selection), "--sr28", str(SR28)]
    result = subprocess.run(
        [*command, "--out-dir", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "99999 'Nothing': not in FOOD_DES.txt" in result.stderr
    assert "measure 1 'bowl' is not in WEIGHT.txt (available: 1 'cup'; 1 'tbsp')" in result.stderr
    assert "16070 'Lentils': meals must be some of breakfast" in result.stderr
    # Whole-wheat bread is in SR28's mixed "Baked Products": a curated food must be reviewed.
    assert "18075 'Bread': tagged 'mixed' (recipe unknown)" in result.stderr
    assert "16426 'Tofu': unknown flag '+meaty'" in result.stderr
    assert not (tmp_path / "out").exists(), "nothing is written when the build fails"


def test_table_covers_a_reviewable_number_of_foods_in_every_role() -> None:
    foods = load_foods()
    assert 120 <= len(foods) <= 160
    assert {food.role for food in foods} == {"iron_source", "vitamin_c", "inhibitor", "other"}
    assert len({food.ndb_no for food in foods}) == len(foods)


def test_beef_liver_has_more_iron_per_serving_than_beef_mince() -> None:
    liver, mince = _by_ndb("13327"), _by_ndb("23568")
    assert liver.liver and not mince.liver
    assert liver.iron_mg > mince.iron_mg


def test_heme_means_meat_fish_or_poultry() -> None:
    for food in load_foods():
        assert food.heme == (food.category in ANIMAL_CATEGORIES - {"egg", "dairy"}), food.name


def test_vegan_list_has_no_animal_food_and_no_liver() -> None:
    foods = iron_rich_foods("vegan", pregnant=False)
    assert len(foods) == 8
    for food in foods:
        assert food.category not in ANIMAL_CATEGORIES, food.name
        assert not food.heme and not food.liver
        assert "vegan" in food.diets


def test_vegetarian_list_has_no_meat_or_fish() -> None:
    for food in iron_rich_foods("vegetarian", pregnant=False, limit=50):
        assert not food.heme, food.name
        assert food.category not in {"meat", "poultry", "organ_meat", "fish", "shellfish"}


def test_pescatarian_list_has_seafood_but_no_meat() -> None:
    foods = iron_rich_foods("pescatarian", pregnant=False, limit=50)
    assert any(food.category == "shellfish" for food in foods)
    assert not any(food.category in {"meat", "poultry", "organ_meat"} for food in foods)


def test_pregnant_omnivore_list_has_no_liver() -> None:
    assert any(food.liver for food in iron_rich_foods(None, pregnant=False))
    for food in iron_rich_foods(None, pregnant=True, limit=50):
        assert not food.liver, food.name


def test_no_diet_means_omnivore() -> None:
    assert iron_rich_foods(None, pregnant=False) == iron_rich_foods("omnivore", pregnant=False)


def test_iron_list_is_ordered_and_mixed() -> None:
    for diet in DIETS:
        foods = iron_rich_foods(diet, pregnant=False, limit=50)
        iron = [food.iron_mg for food in foods]
        assert iron == sorted(iron, reverse=True), diet
        categories = [food.category for food in foods]
        assert max(categories.count(c) for c in categories) <= 2, diet
        assert all(food.role == "iron_source" for food in foods)


def test_iron_list_respects_limit() -> None:
    assert len(iron_rich_foods("omnivore", pregnant=False, limit=3)) == 3
    assert iron_rich_foods("omnivore", pregnant=False, limit=0) == ()


def test_omnivore_list_keeps_half_for_heme_sources_one_of_each_kind() -> None:
    foods = iron_rich_foods("omnivore", pregnant=False, limit=8)
    heme = [f for f in foods if f.heme]
    assert len(heme) == 4
    assert len({f.category for f in heme}) == 4
    assert any(f.category == "meat" for f in heme), "red meat is the classic heme source"


def test_unknown_diet_is_an_input_error() -> None:
    with pytest.raises(RlsironError, match="diet: unknown diet"):
        iron_rich_foods("carnivore", pregnant=False)  # type: ignore[arg-type]


def test_vitamin_c_list_is_ordered_by_vitamin_c_per_serving() -> None:
    foods = vitamin_c_foods()
    assert len(foods) == 5
    vitamin_c = [food.vitamin_c_mg for food in foods]
    assert vitamin_c == sorted(vitamin_c, reverse=True)
    assert all(food.role == "vitamin_c" for food in foods)
    assert foods[0].name == "Red bell pepper, raw"


def test_inhibitors_are_tea_coffee_and_dairy() -> None:
    inhibitors = absorption_inhibitors()
    names = {food.name for food in inhibitors}
    assert {"Black tea, brewed", "Coffee, brewed"} <= names
    assert {food.category for food in inhibitors} == {"beverage", "dairy"}
    assert all(food.calcium_mg > 200 for food in inhibitors if food.category == "dairy")


# --- The table a day planner builds on ---------------------------------------------------------

ANIMAL_TAGS = {"meat", "poultry", "fish", "dairy", "egg", "honey"}


def test_every_food_says_which_meals_it_belongs_to() -> None:
    for food in load_foods():
        assert food.meals, food.name
        assert food.meals <= set(MEALS), food.name


@pytest.mark.parametrize("diet", DIETS)
def test_every_diet_can_fill_every_meal_light_or_hearty(diet: str) -> None:
    """A planner must reach 1,200 to 3,000 kcal for any diet: each meal needs light and
    energy-dense choices, and lunch and dinner a protein food."""
    for meal in MEALS:
        choices = [f for f in load_foods() if diet in f.diets and meal in f.meals]
        assert len(choices) >= 8, (diet, meal, len(choices))
        energies = [f.energy_kcal for f in choices]
        assert min(energies) <= 50, (diet, meal)
        assert max(energies) >= 150, (diet, meal)
        if meal in ("lunch", "dinner"):
            assert any(f.protein_g >= 15 for f in choices), (diet, meal)


@pytest.mark.parametrize("diet", DIETS)
def test_every_diet_has_breads_grains_fruit_vegetables_and_drinks(diet: str) -> None:
    kinds = {f.category for f in load_foods() if diet in f.diets}
    assert {"bread", "grain", "fruit", "vegetable", "beverage", "legume"} <= kinds, diet


def test_diets_follow_the_tags_and_vegan_foods_carry_no_animal_tag() -> None:
    from rlsiron.diet.tags import tag_rules

    rules = tag_rules()
    for food in load_foods():
        assert food.diets == set(rules.diets_for(food.tags)), food.name
        assert "mixed" not in food.tags, f"{food.name}: every curated recipe is reviewed"
        if "vegan" in food.diets:
            assert not food.tags & ANIMAL_TAGS, food.name
        assert food.heme == ("heme" in food.tags)
        assert food.liver == ("liver" in food.tags)


def test_renal_flags_follow_the_stated_cut_offs() -> None:
    from rlsiron.diet.tags import tag_rules

    cutoffs = {c.tag: c for c in tag_rules().cutoffs}
    assert set(cutoffs) == {"high_potassium", "high_phosphate"}
    for food in load_foods():
        for tag, cutoff in cutoffs.items():
            value = getattr(food, cutoff.column)
            assert (tag in food.tags) == (value > cutoff.above), (food.name, tag, value)


def test_a_serving_of_lentils_is_high_in_potassium_and_phytate_but_tea_is_not() -> None:
    lentils, tea = _by_ndb("16070"), _by_ndb("14355")
    assert {"plant", "high_phytate", "high_potassium", "high_phosphate"} <= lentils.tags
    assert lentils.energy_kcal == 230 and lentils.protein_g == 17.9
    assert "polyphenol" in tea.tags and "high_potassium" not in tea.tags


def test_missing_fibre_stays_missing() -> None:
    tempeh = _by_ndb("16114")
    assert tempeh.fibre_g is None, "SR28 gives no fibre for tempeh: not zero"
    assert tempeh.nutrients.fibre_g is None and tempeh.nutrients.iron_mg == tempeh.iron_mg
