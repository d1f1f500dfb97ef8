"""The shipped SR28 tables (every food per 100 g, every household measure) checked against the
raw USDA files, and the tag rules that label them."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from rlsiron.diet.foods import load_foods
from rlsiron.diet.sr28 import NUTRIENT_COLUMNS, amount_text, measures, sr28_foods
from rlsiron.diet.tags import FoodRule, parse_rules, tag_rules
from rlsiron.pipe_table import DataFileError
from tests.diet.sr28_build import REPO, SCRIPT, SR28, builder, needs_sr28

DATA = REPO / "src" / "rlsiron" / "diet" / "data"
ANIMAL = {"meat", "poultry", "fish", "dairy", "egg", "honey"}
# Written out here, not taken from the builder, so a wrong mapping there fails these tests.
NUMBERS = {
    "energy_kcal": "208",
    "protein_g": "203",
    "fibre_g": "291",
    "iron_mg": "303",
    "vitamin_c_mg": "401",
    "calcium_mg": "301",
    "potassium_mg": "306",
    "phosphorus_mg": "305",
}


@cache
def _raw() -> object:
    """All of SR28 read from the raw files, once for this module."""
    return builder().read_sr28(SR28)


def test_raw_spinach_per_100_g_is_sr28s_own_numbers() -> None:
    spinach = sr28_foods()["11457"]
    assert spinach.description == "Spinach, raw"
    assert spinach.food_group == "Vegetables and Vegetable Products"
    per_100g = spinach.per_100g
    assert (per_100g.iron_mg, per_100g.vitamin_c_mg, per_100g.calcium_mg) == (2.71, 28.1, 99)
    assert (per_100g.energy_kcal, per_100g.potassium_mg, per_100g.phosphorus_mg) == (23, 558, 49)
    assert spinach.portion(30).iron_mg == pytest.approx(0.813)  # SR28's "1 cup" is 30 g


def test_the_table_has_every_sr28_food_and_measure() -> None:
    foods = sr28_foods()
    assert len(foods) == 8789  # FOOD_DES records, as the SR28 documentation counts them
    assert sum(f.per_100g.iron_mg is not None for f in foods.values()) == 8645
    assert sum(len(measures(ndb)) for ndb in foods) == 15438  # WEIGHT records


def test_a_nutrient_sr28_does_not_give_is_missing_not_zero() -> None:
    chocolate = sr28_foods()["19904"]  # "Chocolate, dark, 70-85% cacao solids"
    assert chocolate.per_100g.vitamin_c_mg is None
    assert chocolate.per_100g.iron_mg == 11.9
    assert sr28_foods()["16114"].per_100g.fibre_g is None  # tempeh


def test_household_measures_keep_sr28_order_and_weights() -> None:
    lentils = measures("16070")
    assert [(m.seq, m.amount, m.description, m.grams) for m in lentils] == [
        (1, 1.0, "cup", 198.0),
        (2, 1.0, "tbsp", 12.3),
    ]
    oatmeal = measures("08121")
    assert oatmeal[2].label == "3/4 cup" and oatmeal[2].grams_for(1.5) == pytest.approx(350)
    assert [amount_text(a) for a in (1, 0.5, 1.5, 0.333, 2.25, 0.15)] == [
        "1",
        "1/2",
        "1 1/2",
        "1/3",
        "2 1/4",
        "0.15",
    ]


@needs_sr28
def test_every_value_is_the_raw_files_value() -> None:
    raw = _raw()
    foods = sr28_foods()
    assert set(foods) == set(raw.descriptions)  # type: ignore[attr-defined]
    for ndb, food in foods.items():
        assert food.description == raw.descriptions[ndb]  # type: ignore[attr-defined]
        assert food.food_group == raw.groups[ndb]  # type: ignore[attr-defined]
        values = raw.nutrients.get(ndb, {})  # type: ignore[attr-defined]
        for column in NUTRIENT_COLUMNS:
            number = NUMBERS[column]
            expected = float(values[number]) if number in values else None
            assert getattr(food.per_100g, column) == expected, (ndb, column)


@needs_sr28
def test_every_measure_is_the_raw_files_measure() -> None:
    raw = _raw()
    for ndb, found in raw.measures.items():  # type: ignore[attr-defined]
        shipped = measures(ndb)
        assert [(str(m.seq), m.description, m.grams) for m in shipped] == [
            (m.seq, m.description, float(m.grams)) for m in found
        ], ndb


@needs_sr28
def test_shipped_sr28_tables_are_exactly_what_the_script_builds(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--sr28", str(SR28), "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in ("sr28_foods.csv", "sr28_servings.csv", "foods.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), (
            f"{name}: rerun `make foods` and commit the tables"
        )


@pytest.mark.parametrize(
    ("ndb", "has", "lacks"),
    [
        ("13285", {"meat", "heme"}, {"plant", "mixed"}),  # beef chuck
        ("16070", {"plant", "high_phytate"}, ANIMAL | {"heme"}),  # lentils
        ("14355", {"plant", "polyphenol"}, ANIMAL),  # black tea
        ("01009", {"dairy"}, {"plant", "heme"}),  # cheddar
        ("15169", {"fish", "heme"}, {"meat"}),  # oysters
        ("05028", {"poultry", "heme", "liver"}, set()),  # chicken liver
        ("11371", {"plant", "dairy"}, {"mixed"}),  # mashed potatoes with milk and margarine
        ("04002", {"meat"}, {"heme", "plant"}),  # lard: not vegetarian, no heme iron
        ("21089", {"mixed"}, set()),  # a fast-food item: recipe unknown
        ("11987", {"plant"}, {"fish"}),  # oyster mushrooms are not oysters
        ("18075", {"plant", "high_phytate"}, {"mixed"}),  # bread: the selection's review applies
    ],
)
def test_tags_of_known_foods(ndb: str, has: set[str], lacks: set[str]) -> None:
    tags = sr28_foods()[ndb].tags
    assert has <= tags, (ndb, tags)
    assert not lacks & tags, (ndb, tags)


def test_diets_follow_what_a_food_is() -> None:
    rules = tag_rules()
    for food in sr28_foods().values():
        diets = rules.diets_for(food.tags)
        assert "omnivore" in diets
        if "vegan" in diets:
            assert "plant" in food.tags and not food.tags & (ANIMAL | {"mixed"}), food.ndb_no
        if "vegetarian" in diets:
            assert not food.tags & {"meat", "poultry", "fish"}, food.ndb_no
        if "pescatarian" in diets:
            assert not food.tags & {"meat", "poultry"}, food.ndb_no
        if "heme" in food.tags:
            assert food.tags & {"meat", "poultry", "fish"}, food.ndb_no


def test_curated_foods_carry_the_same_tags_in_both_tables() -> None:
    serving_flags = tag_rules().serving_tag_names
    for food in load_foods():
        assert food.tags - serving_flags == sr28_foods()[food.ndb_no].tags, food.name


def test_every_food_group_a_rule_names_exists() -> None:
    groups = {food.food_group for food in sr28_foods().values()}
    named = {g for rule in tag_rules().food for g in (rule.groups or ())}
    assert named <= groups


HEADER = "name | kind | groups | words | unless | source | reason\n"


def test_rules_match_whole_words_and_plurals_not_parts_of_words() -> None:
    rules = parse_rules(
        HEADER + "egg | food | * | egg | eggplant | T | t\n"
        "plant | food | * | * | - | T | t\n"
        "omnivore | diet | - | * | - | T | t\n"
        "pescatarian | diet | - | plant | egg | T | t\n"
        "vegetarian | diet | - | plant; egg | - | T | t\n"
        "vegan | diet | - | plant | egg | T | t\n"
    )
    assert isinstance(rules.food[0], FoodRule)
    assert "egg" in rules.food_tags("Eggs, scrambled", "Dairy and Egg Products")
    assert "egg" not in rules.food_tags("Eggplant, raw", "Vegetables and Vegetable Products")
    assert rules.diets_for({"plant", "egg"}) == ("omnivore", "vegetarian")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("x | foodish | * | a | - | T | t", "column 'kind' is 'foodish'"),
        ("x | food | * | a | - |  | t", "every rule needs a source and a reason"),
        ("x | food | * | - | - | T | t", "a food rule needs words"),
        ("x | per_serving_above | - | potassium_mg >= 200 | - | T | t", "a cut-off is"),
        ("x | per_serving_above | - | sodium_mg > 200 | - | T | t", "a cut-off is"),
        ("vegan | diet | - | plant | unicorn | T | t", "tags named but never given"),
    ],
)
def test_a_bad_rule_fails_naming_its_line(row: str, message: str) -> None:
    plant = "plant | food | * | * | - | T | t\n"
    diets = "".join(f"{d} | diet | - | * | - | T | t\n" for d in ("omnivore", "pescatarian"))
    diets += "vegetarian | diet | - | * | - | T | t\n"
    if not row.startswith("vegan"):
        diets += "vegan | diet | - | plant | - | T | t\n"
    with pytest.raises(DataFileError, match=message) as raised:
        parse_rules(HEADER + plant + diets + row + "\n", "rules.txt")
    assert str(raised.value).startswith("rules.txt")
