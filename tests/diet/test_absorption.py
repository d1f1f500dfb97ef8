"""The meal iron-absorption estimate against the published numbers it is built from.

Hard oracles are numbers read in the papers' abstracts (status `retrieved` in
`/work/shared/data/iron-absorption/oracles.json` or in our own table). Monsen & Balintfy's
constants could not be re-read (status `recalled`): the tests on them only check that our
table is consistent with Monsen's published low and high classes, and say so.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlsiron.diet.absorption import (
    COEFFICIENTS,
    TEXTS,
    MealComposition,
    _coefficient,
    coefficient,
    estimate_day,
    estimate_meal,
    nonheme_absorption_pct,
    phytate_inhibition,
    whole_diet_ratio,
)
from rlsiron.errors import ContradictionError, ImpossibleValueError, RlsironError
from rlsiron.pipe_table import DataFileError, parse_table

DOCS = Path(__file__).resolve().parents[2] / "docs" / "absorption.md"
CORE_SOURCES = Path(__file__).resolve().parents[2] / "src/rlsiron/core/knowledge/data/sources.txt"


def meal(**amounts: float | None) -> MealComposition:
    """A meal with nothing in it but what the test names."""
    empty: dict[str, float | None] = {
        "iron_mg": 0.0,
        "mfp_iron_mg": 0.0,
        "mfp_g": 0.0,
        "vitamin_c_mg": 0.0,
        "calcium_mg": 0.0,
        "tea_servings": 0.0,
        "coffee_servings": 0.0,
        "cocoa_servings": 0.0,
        "phytate_p_mg": 0.0,
    }
    return MealComposition(**{**empty, **amounts})  # type: ignore[arg-type]


def lost(with_inhibitor: MealComposition, without: MealComposition) -> float:
    """Percent of non-heme absorption lost to what differs between the two meals."""
    ratio = (
        estimate_meal(with_inhibitor).nonheme_absorption_pct
        / estimate_meal(without).nonheme_absorption_pct
    )
    return (1 - ratio) * 100


BREAD_MEAL = meal(iron_mg=3.0, vitamin_c_mg=10.0)
HAMBURGER_MEAL = meal(iron_mg=4.0, mfp_iron_mg=2.5, mfp_g=90.0, vitamin_c_mg=15.0)


# --- Retrieved oracles ------------------------------------------------------------------


def test_heme_is_forty_percent_of_meat_fish_and_poultry_iron() -> None:
    # Monsen & Balintfy 1982 (abstract): ~60 % of meat/fish/poultry iron is non-heme.
    estimate = estimate_meal(meal(iron_mg=12.0, mfp_iron_mg=10.0, mfp_g=150.0))
    assert estimate.heme_iron_mg == pytest.approx(4.0)
    assert estimate.nonheme_iron_mg == pytest.approx(8.0)


@pytest.mark.parametrize(
    ("drink", "percent_lost"),
    [("tea_servings", 64), ("coffee_servings", 39), ("cocoa_servings", 71)],
)
def test_a_cup_with_the_meal_costs_what_the_studies_measured(
    drink: str, percent_lost: float
) -> None:
    # Morck, Lynch & Cook 1983: coffee 39 %, tea 64 % (hamburger meal);
    # Hurrell, Reddy & Cook 1999: cocoa 71 % (bread meal).
    with_drink = replace(HAMBURGER_MEAL, **{drink: 1.0})
    assert lost(with_drink, HAMBURGER_MEAL) == pytest.approx(percent_lost)


@pytest.mark.parametrize("calcium_mg", [165, 300, 600])
def test_calcium_from_165_mg_halves_non_heme_absorption(calcium_mg: float) -> None:
    # Hallberg et al. 1991: 165 mg as milk, cheese or CaCl2, and 300-600 mg, cut 50-60 %.
    assert 50 <= lost(replace(BREAD_MEAL, calcium_mg=calcium_mg), BREAD_MEAL) <= 60


@pytest.mark.parametrize(("phytate_p_mg", "percent_lost"), [(2, 18), (25, 64), (250, 82)])
def test_phytate_inhibits_as_at_the_doses_hallberg_studied(
    phytate_p_mg: float, percent_lost: float
) -> None:
    # Hallberg, Brune & Rossander 1989: 2 mg phytate P -18 %, 25 mg -64 %, 250 mg -82 %.
    assert phytate_inhibition(phytate_p_mg) * 100 == pytest.approx(percent_lost)
    with_phytate = replace(BREAD_MEAL, phytate_p_mg=float(phytate_p_mg))
    assert lost(with_phytate, BREAD_MEAL) == pytest.approx(percent_lost)


def test_the_whole_diet_keeps_what_cook_1991_measured_of_a_meals_enhancement() -> None:
    # Cook, Dassenko & Lynch 1991: single meals 6.1 -> 13.5 %, whole diet 6.4 -> 8.0 %.
    assert whole_diet_ratio(13.5 / 6.1) == pytest.approx(8.0 / 6.4, abs=1e-3)
    assert whole_diet_ratio(1.0) == 1.0


def test_over_a_day_vitamin_c_adds_far_less_than_single_meals_suggest() -> None:
    # Cook & Reddy 2001: no significant change in whole-diet absorption between 51 and
    # 247 mg vitamin C a day. The same day at both intakes, three plant-based meals:
    def day(vitamin_c_per_meal: float) -> list[MealComposition]:
        return [meal(iron_mg=4.0, vitamin_c_mg=vitamin_c_per_meal, phytate_p_mg=None)] * 3

    low, high = estimate_day(day(51 / 3)), estimate_day(day(247 / 3))
    single_meal_rise = high.absorbed_single_meal_mg / low.absorbed_single_meal_mg
    whole_diet_rise = high.absorbed_whole_diet_mg / low.absorbed_whole_diet_mg
    assert single_meal_rise > 1.5  # the single-meal model nearly doubles absorption
    assert whole_diet_rise - 1 < (single_meal_rise - 1) / 2
    assert high.vitamin_c_gain_whole_diet_mg < high.vitamin_c_gain_single_meal_mg / 2


# --- Recalled constants: consistency of our own table, not a check against the paper ----


def test_our_recalled_constants_reproduce_monsens_low_and_high_classes() -> None:
    """Monsen 1978's non-heme classes are 3 % (low) and 8 % (high, > 75 units); with the
    recalled 1982 constants the continuous form must meet both ends. Both come from the
    same unverified memory of the papers, so this shows consistency only."""
    assert nonheme_absorption_pct(0) == pytest.approx(3.0)
    assert nonheme_absorption_pct(75) == pytest.approx(8.0, abs=0.01)
    assert nonheme_absorption_pct(500) == nonheme_absorption_pct(75)
    recalled = {id for id, row in COEFFICIENTS.items() if row.status == "recalled"}
    assert recalled == {
        "heme.absorption",
        "nonheme.base",
        "nonheme.slope",
        "nonheme.scale",
        "nonheme.cap",
        "nonheme.unit_vitamin_c",
        "nonheme.unit_mfp",
    }


def test_every_estimate_says_its_constants_are_unverified_and_iron_status_matters_more() -> None:
    estimate = estimate_meal(HAMBURGER_MEAL)
    assert any(factor.unverified for factor in estimate.factors)
    assert TEXTS["caveat.unverified"].text in estimate.caveats
    assert any("iron status matters more than any meal" in c for c in estimate.caveats)
    assert any("estimate" in c for c in estimate.caveats)


def test_unknown_phytate_is_said_not_guessed() -> None:
    unknown = estimate_meal(replace(BREAD_MEAL, phytate_p_mg=None))
    known = estimate_meal(BREAD_MEAL)
    assert TEXTS["caveat.phytate_unknown"].text in unknown.caveats
    assert TEXTS["caveat.phytate_unknown"].text not in known.caveats
    assert unknown.absorbed_mg == known.absorbed_mg  # not counted, and no invented dose


def test_each_factor_names_the_rows_and_sources_it_used() -> None:
    estimate = estimate_meal(replace(HAMBURGER_MEAL, tea_servings=1.0, calcium_mg=200.0))
    by_id = {factor.id: factor for factor in estimate.factors}
    assert by_id["tea"].coefficients == ("tea.inhibition",)
    assert by_id["tea"].sources == ("MORCK-1983",)
    assert by_id["calcium"].sources == ("HALLBERG-1991",)
    assert by_id["enhancers"].unverified and not by_id["tea"].unverified


def test_only_the_strongest_drink_counts_when_several_are_drunk() -> None:
    both = replace(HAMBURGER_MEAL, tea_servings=1.0, coffee_servings=1.0)
    tea = replace(HAMBURGER_MEAL, tea_servings=1.0)
    assert estimate_meal(both).absorbed_mg == estimate_meal(tea).absorbed_mg


# --- Properties -------------------------------------------------------------------------

amounts = st.floats(min_value=0, max_value=500, allow_nan=False)
servings = st.sampled_from([0.0, 0.5, 1.0, 2.0])


@st.composite
def meals(draw: st.DrawFn) -> MealComposition:
    iron = draw(st.floats(min_value=0, max_value=40, allow_nan=False))
    return MealComposition(
        iron_mg=iron,
        mfp_iron_mg=draw(st.floats(min_value=0, max_value=1)) * iron,
        mfp_g=draw(amounts),
        vitamin_c_mg=draw(amounts),
        calcium_mg=draw(st.floats(min_value=0, max_value=1500, allow_nan=False)),
        tea_servings=draw(servings),
        coffee_servings=draw(servings),
        cocoa_servings=draw(servings),
        phytate_p_mg=draw(st.none() | amounts),
    )


@settings(max_examples=150)
@given(meals(), amounts)
def test_more_vitamin_c_or_meat_never_lowers_absorption(
    base: MealComposition, extra: float
) -> None:
    before = estimate_meal(base).absorbed_mg
    assert (
        estimate_meal(replace(base, vitamin_c_mg=base.vitamin_c_mg + extra)).absorbed_mg >= before
    )
    assert estimate_meal(replace(base, mfp_g=base.mfp_g + extra)).absorbed_mg >= before
    more_meat_iron = replace(
        base, iron_mg=base.iron_mg + extra / 50, mfp_iron_mg=base.mfp_iron_mg + extra / 50
    )
    assert estimate_meal(more_meat_iron).absorbed_mg >= before


@settings(max_examples=150)
@given(meals(), amounts)
def test_more_tea_coffee_cocoa_calcium_or_phytate_never_raises_absorption(
    base: MealComposition, extra: float
) -> None:
    before = estimate_meal(base).absorbed_mg
    for more in (
        replace(base, tea_servings=base.tea_servings + 1),
        replace(base, coffee_servings=base.coffee_servings + 1),
        replace(base, cocoa_servings=base.cocoa_servings + 1),
        replace(base, calcium_mg=base.calcium_mg + extra),
        replace(base, phytate_p_mg=(base.phytate_p_mg or 0.0) + extra),
    ):
        assert estimate_meal(more).absorbed_mg <= before + 1e-12


@settings(max_examples=150)
@given(meals())
def test_absorbed_iron_is_part_of_the_iron_eaten(base: MealComposition) -> None:
    estimate = estimate_meal(base)
    assert 0 <= estimate.absorbed_mg <= base.iron_mg
    assert estimate.absorbed_mg == pytest.approx(
        estimate.heme_absorbed_mg + estimate.nonheme_absorbed_mg
    )
    assert estimate_meal(replace(base, iron_mg=0.0, mfp_iron_mg=0.0)).absorbed_mg == 0


@settings(max_examples=60)
@given(st.lists(meals(), min_size=1, max_size=5))
def test_the_day_keeps_less_of_vitamin_cs_effect_than_its_meals_claim(
    day: list[MealComposition],
) -> None:
    estimate = estimate_day(day)
    assert estimate.absorbed_single_meal_mg == pytest.approx(
        sum(estimate_meal(m).absorbed_mg for m in day)
    )
    assert 0 <= estimate.vitamin_c_gain_whole_diet_mg <= estimate.vitamin_c_gain_single_meal_mg
    if estimate.vitamin_c_gain_single_meal_mg > 1e-9:
        assert estimate.vitamin_c_gain_whole_diet_mg < estimate.vitamin_c_gain_single_meal_mg
    assert estimate.absorbed_whole_diet_mg <= estimate.absorbed_single_meal_mg + 1e-12
    assert TEXTS["caveat.whole_diet"].text in estimate.caveats


# --- Input ------------------------------------------------------------------------------


def test_impossible_amounts_are_all_reported_with_their_fields() -> None:
    with pytest.raises(RlsironError) as caught:
        meal(iron_mg=-1.0, calcium_mg=math.nan, tea_servings=math.inf)
    assert {p.location for p in caught.value.problems} == {
        "iron_mg",
        "calcium_mg",
        "tea_servings",
    }
    with pytest.raises(ImpossibleValueError):
        meal(phytate_p_mg=-2.0)


def test_meat_iron_beyond_the_meals_iron_is_a_contradiction() -> None:
    with pytest.raises(ContradictionError) as caught:
        meal(iron_mg=2.0, mfp_iron_mg=3.0)
    assert caught.value.field == "mfp_iron_mg"


def test_a_day_without_meals_is_refused() -> None:
    with pytest.raises(RlsironError, match="at least one meal"):
        estimate_day([])


# --- The tables -------------------------------------------------------------------------


def documented_sources() -> set[str]:
    section = DOCS.read_text(encoding="utf-8").split("## Sources", 1)[1]
    return set(re.findall(r"^- \*\*([A-Z][A-Z-]*-[0-9]{4}[A-Z]?)\*\*", section, re.MULTILINE))


def core_sources() -> set[str]:
    rows = CORE_SOURCES.read_text(encoding="utf-8").splitlines()
    return {r.split("|")[0].strip() for r in rows if "|" in r and not r.startswith("#")}


def test_every_cited_source_is_listed_with_its_address() -> None:
    cited = {s for row in COEFFICIENTS.values() for s in row.sources}
    cited |= {s for row in TEXTS.values() for s in row.sources}
    assert cited - documented_sources() - core_sources() == set()
    assert {"MONSEN-1982", "MORCK-1983", "COOK-2001"} <= documented_sources()


def test_a_bad_row_fails_naming_the_file_and_line() -> None:
    text = (
        "id | value | unit | status | source | meaning\nx.y | -3 | % | retrieved | MORCK-1983 | m"
    )
    (row,) = parse_table(text, "absorption.txt", tuple(text.splitlines()[0].split(" | ")))
    with pytest.raises(DataFileError, match=r"absorption\.txt:2"):
        _coefficient(row)


def test_the_derived_damping_row_is_the_arithmetic_of_the_retrieved_rows() -> None:
    def value(id: str) -> float:
        return coefficient(id).value

    expected = math.log(value("diet.enhanced_whole_diet") / value("diet.usual_whole_diet")) / (
        math.log(value("diet.enhanced_single_meal") / value("diet.usual_single_meal"))
    )
    assert coefficient("diet.vitamin_c_damping").status == "derived"
    assert value("diet.vitamin_c_damping") == pytest.approx(expected, abs=5e-4)
