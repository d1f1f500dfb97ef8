"""Food search: forgiving of spelling and word order, everyday foods first, honest when nothing
matches (suggestions of real foods, never a guess)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsiron.diet.foods import load_foods
from rlsiron.diet.search import find_food, fold, search_foods, suggestions, words
from rlsiron.diet.sr28 import sr28_foods
from rlsiron.diet.tags import tag_rules
from rlsiron.errors import RlsironError

CURATED = {food.name: food for food in load_foods()}
REAL_NAMES = set(CURATED) | {food.description for food in sr28_foods().values()}


def _first(query: str, **options: str) -> str:
    return search_foods(query, limit=1, **options)[0].name  # type: ignore[arg-type]


def test_lentils_finds_boiled_lentils_before_obscure_entries() -> None:
    found = [m.name for m in search_foods("lentils", limit=10)]
    assert found[0] == "Lentils, boiled"
    assert found.index("Lentils, boiled") < found.index("Lentils, sprouted, raw")
    stir_fried = "Lentils, sprouted, cooked, stir-fried, with salt"
    assert stir_fried not in found[:3]
    assert search_foods("lentils", limit=1)[0].food.ndb_no == "16070"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lentls cooked", "Lentils, boiled"),
        ("cooked lentils", "Lentils, boiled"),
        ("spinach raw", "Spinach, raw"),
        ("raw spinach", "Spinach, raw"),
        ("spinich raw", "Spinach, raw"),
        ("brocoli raw", "Broccoli, raw"),
        ("yoghurt plain", "Yogurt, plain, low-fat"),
        ("garbanzo", "Chickpeas, boiled"),
        ("sweet potatos", "Sweet potato, baked"),
        ("strawberies", "Strawberries, raw"),
        ("tea black", "Black tea, brewed"),
        ("orange", "Orange, raw"),
        ("rice", "Brown rice, cooked"),
        ("whole wheat bread", "Whole-wheat bread"),
    ],
)
def test_spelling_and_word_order_are_forgiven(query: str, expected: str) -> None:
    assert _first(query) == expected


def test_common_names_are_searched_too() -> None:
    assert search_foods("hot dog", limit=1)[0].food.description.startswith("Frankfurter")
    assert "cilantro" in search_foods("cilantro", limit=1)[0].matched.lower()


def test_every_result_holds_every_word_of_the_query() -> None:
    for match in search_foods("chicken breast roasted", limit=20):
        name = set(words(match.matched))
        assert {"chicken", "breast", "roasted"} <= name, match.matched


@settings(max_examples=40)
@given(st.sampled_from(sorted(CURATED)), st.randoms(use_true_random=False))
def test_a_curated_name_in_any_word_order_finds_that_food(name: str, rng: object) -> None:
    shuffled = name.replace(",", " ").split()
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    found = search_foods(" ".join(shuffled), limit=3)
    assert CURATED[name].ndb_no in {m.food.ndb_no for m in found}, (name, found)


@pytest.mark.parametrize("name", sorted(CURATED))
def test_a_curated_name_finds_itself_first(name: str) -> None:
    assert search_foods(name, limit=1)[0].food.ndb_no == CURATED[name].ndb_no


def test_a_diet_keeps_only_foods_that_suit_it() -> None:
    rules = tag_rules()
    milks = search_foods("milk", limit=10, diet="vegan")
    assert milks and all("vegan" in rules.diets_for(m.food.tags) for m in milks)
    assert {"Soy milk, calcium-fortified", "Almond milk, unsweetened"} <= {m.name for m in milks}
    assert not any(m.name.startswith("Milk,") for m in milks)
    assert search_foods("beef", limit=5, diet="vegetarian") == ()
    with pytest.raises(RlsironError, match="no vegetarian food found"):
        find_food("beef mince", diet="vegetarian")


@pytest.mark.parametrize("query", ["xyzzy", "unicorn steak", "oat milk", "porridge"])
def test_nothing_matching_is_an_error_suggesting_real_foods(query: str) -> None:
    assert search_foods(query, limit=10) == ()
    with pytest.raises(RlsironError) as raised:
        find_food(query)
    problem = raised.value.problems[0]
    assert (problem.location, problem.received) == ("food", query)
    assert problem.hint is not None and problem.hint.startswith("did you mean")
    offered = suggestions(query)
    assert offered and set(offered) <= REAL_NAMES
    assert all(f'"{name}"' in problem.hint for name in offered)


def test_oat_milk_suggests_oats_and_milks() -> None:
    offered = suggestions("oat milk")
    assert "Oats" in offered and any("milk" in name.lower() for name in offered)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: search_foods("  ", limit=10), "food"),
        (lambda: search_foods("lentils", limit=0), "limit"),
        (lambda: search_foods("lentils", limit=10, diet="carnivore"), "diet"),
    ],
)
def test_bad_arguments_are_input_errors(call: object, field: str) -> None:
    with pytest.raises(RlsironError) as raised:
        call()  # type: ignore[operator]
    assert raised.value.field == field


def test_limit_is_respected_and_foods_are_distinct() -> None:
    found = search_foods("beans", limit=7)
    assert len(found) == 7
    assert len({m.food.ndb_no for m in found}) == 7


@given(st.sampled_from(["lentils", "berries", "tomatoes", "cookies", "peaches", "fish"]))
def test_singular_and_plural_fold_to_one_form(plural: str) -> None:
    singular = {"berries": "berry", "tomatoes": "tomato", "cookies": "cookie", "peaches": "peach"}
    one = singular.get(plural, plural.removesuffix("s"))
    assert fold(one) == fold(plural)
