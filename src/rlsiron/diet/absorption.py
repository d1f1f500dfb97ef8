"""An estimate of the iron a meal, or a day of meals, gives the body.

Why a published model and not our own: a person deciding between two breakfasts should see
numbers that a dietitian can trace to the literature. The base is Monsen & Balintfy's (1982)
continuous form of Monsen's 1978 model:

    heme iron          = share x meat/fish/poultry iron, absorbed at its own rate
    non-heme iron      = all other iron
    enhancing units EF = vitamin C (mg) + cooked meat/fish/poultry (g), at most the cap
    non-heme absorbed  = base + slope x ln((EF + scale) / scale)   (in %)

Tea, coffee and cocoa, calcium and phytate then each multiply non-heme absorption by a factor
read from a study that measured it (Hallberg & Hulthen's 2000 equations, which would do this
better, could not be read and are not used). Several of Monsen's constants could not be
re-read either; every estimate says so. All coefficients live in `data/absorption.txt` with
their status and source; docs/absorption.md walks through the equations.

Iron status changes absorption more than any meal does, and vitamin C matters much less over
a whole diet than in single-meal studies: `estimate_day` scales each meal's vitamin C effect
down by an exponent derived from Cook et al. 1991, and every estimate carries both caveats.

The input is a neutral description of a meal (`MealComposition`), so the food table, the
meal checker and the planner can all build one without this module knowing their types.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from importlib.resources import files
from itertools import pairwise
from types import MappingProxyType
from typing import Literal, get_args

from rlsiron.errors import ContradictionError, ImpossibleValueError, Problem, RlsironError
from rlsiron.pipe_table import DataFileError, Row, parse_table, unique

Status = Literal["retrieved", "recalled", "derived"]
Drink = Literal["tea", "coffee", "cocoa"]
TextKind = Literal["caveat", "withheld", "referral", "caution", "tip", "note", "phrase"]

STATUSES: tuple[Status, ...] = get_args(Status)
DRINKS: tuple[Drink, ...] = get_args(Drink)
TEXT_KINDS: tuple[TextKind, ...] = get_args(TextKind)
_UNITS = ("%", "mg", "g", "units", "mg/unit", "g/unit", "exponent")
# Source ids as REFERENCE.md writes them: AUTHOR-YEAR, with an optional letter (1982D).
_SOURCE_ID = re.compile(r"[A-Z][A-Z-]*-[0-9]{4}[A-Z]?")
# Values a text may ask the code to insert ({meal} ...); anything else is a typo in the file.
_TEXT_FIELDS = frozenset({"meal", "meals", "calcium_items", "which", "single_mg", "whole_mg"})
_PERCENT = 100.0
# How closely the derived damping row must match its own arithmetic (its printed precision).
_DERIVED_TOLERANCE = 0.0005


# --- The tables -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coefficient:
    """One row of absorption.txt: a number, how it was obtained, and where from."""

    id: str
    value: float
    unit: str
    status: Status
    sources: tuple[str, ...]
    meaning: str


@dataclass(frozen=True, slots=True)
class Text:
    """One row of advice.txt: a sentence people read, and whether it raises iron taken up."""

    id: str
    kind: TextKind
    boosting: bool
    sources: tuple[str, ...]
    text: str

    def render(self, **values: str) -> str:
        return self.text.format_map(values)


def _read(name: str) -> str:
    return files("rlsiron.diet").joinpath("data", name).read_text(encoding="utf-8")


def _sources(row: Row, column: str, *, allow_none: bool) -> tuple[str, ...]:
    ids = row.words(column)
    if allow_none and ids == ("-",):
        return ()
    bad = [s for s in ids if not _SOURCE_ID.fullmatch(s)]
    if not ids or bad:
        raise row.error(f"column {column!r} needs source ids like MONSEN-1982, got {bad or ids}")
    return ids


def _coefficient(row: Row) -> Coefficient:
    value = row.number("value")
    unit = row.choice("unit", _UNITS)
    if not math.isfinite(value) or value < 0 or (unit == "%" and value > _PERCENT):
        raise row.error(f"value {value!r} is impossible for unit {unit!r}")
    return Coefficient(
        id=row["id"],
        value=value,
        unit=unit,
        status=row.choice("status", STATUSES),
        sources=_sources(row, "source", allow_none=False),
        meaning=row["meaning"],
    )


def _text(row: Row) -> Text:
    text = row["text"]
    asked = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    if not asked <= _TEXT_FIELDS:
        raise row.error(
            f"text asks for {sorted(asked - _TEXT_FIELDS)}; known: {sorted(_TEXT_FIELDS)}"
        )
    return Text(
        id=row["id"],
        kind=row.choice("kind", TEXT_KINDS),
        boosting=row.choice("boosting", ("yes", "no")) == "yes",
        sources=_sources(row, "sources", allow_none=True),
        text=text,
    )


_ABSORPTION_FILE = "absorption.txt"
_ABSORPTION_ROWS = parse_table(
    _read(_ABSORPTION_FILE),
    _ABSORPTION_FILE,
    ("id", "value", "unit", "status", "source", "meaning"),
)
COEFFICIENTS: Mapping[str, Coefficient] = MappingProxyType(
    {key: _coefficient(row) for key, row in unique(_ABSORPTION_ROWS, "id")}
)
# advice.txt is read here rather than in advice.py because every estimate carries its caveats
# from it; advice.py uses this same mapping for its sentences.
TEXTS: Mapping[str, Text] = MappingProxyType(
    {
        key: _text(row)
        for key, row in unique(
            parse_table(
                _read("advice.txt"), "advice.txt", ("id", "kind", "boosting", "sources", "text")
            ),
            "id",
        )
    }
)


def coefficient(id: str) -> Coefficient:
    """The row named `id`; a KeyError here is a programming error, not user input."""
    return COEFFICIENTS[id]


def _value(id: str) -> float:
    return COEFFICIENTS[id].value


def _fraction(id: str) -> float:
    return COEFFICIENTS[id].value / _PERCENT


# Hallberg et al.'s (1989) doses, each with the inhibition it gave, in rising order.
_PHYTATE_POINTS = (
    ("phytate.dose_1_mg", "phytate.inhibition_1"),
    ("phytate.dose_2_mg", "phytate.inhibition_2"),
    ("phytate.dose_3_mg", "phytate.inhibition_3"),
)
_REQUIRED = (
    "heme.share_of_mfp_iron",
    "heme.absorption",
    "nonheme.base",
    "nonheme.slope",
    "nonheme.scale",
    "nonheme.cap",
    "nonheme.unit_vitamin_c",
    "nonheme.unit_mfp",
    *(f"{drink}.inhibition" for drink in DRINKS),
    "calcium.inhibition",
    "calcium.full_effect_mg",
    *(row for point in _PHYTATE_POINTS for row in point),
    "diet.usual_single_meal",
    "diet.enhanced_single_meal",
    "diet.usual_whole_diet",
    "diet.enhanced_whole_diet",
    "diet.vitamin_c_damping",
    "advice.calcium_rich_mg",
)


def _check_tables() -> None:
    """Refuses, at import, a table the model cannot use as documented."""
    missing = [id for id in _REQUIRED if id not in COEFFICIENTS]
    if missing:
        raise DataFileError(_ABSORPTION_FILE, f"rows missing: {missing}")
    doses = [_value(dose) for dose, _ in _PHYTATE_POINTS]
    inhibitions = [_value(inhibition) for _, inhibition in _PHYTATE_POINTS]
    if doses != sorted(set(doses)) or inhibitions != sorted(inhibitions):
        raise DataFileError(_ABSORPTION_FILE, "phytate doses must rise, inhibitions not fall")
    total = [id for id, row in COEFFICIENTS.items() if "inhibition" in id and row.value >= _PERCENT]
    if total:
        raise DataFileError(
            _ABSORPTION_FILE, f"an inhibition of 100 % or more leaves nothing: {total}"
        )
    derived = math.log(_value("diet.enhanced_whole_diet") / _value("diet.usual_whole_diet")) / (
        math.log(_value("diet.enhanced_single_meal") / _value("diet.usual_single_meal"))
    )
    row = next(r for r in _ABSORPTION_ROWS if r["id"] == "diet.vitamin_c_damping")
    if not 0 < derived < 1 or abs(derived - _value("diet.vitamin_c_damping")) > _DERIVED_TOLERANCE:
        raise row.error(f"diet.vitamin_c_damping should be {derived:.4f} from the rows above")


_check_tables()


# --- The meal ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MealComposition:
    """What the model needs to know about one meal (amounts as eaten, for the whole meal).

    iron_mg          all iron in the meal, mg
    mfp_iron_mg      the part of iron_mg that comes from meat, fish and poultry, mg
    mfp_g            cooked meat, fish and poultry eaten, g
    vitamin_c_mg     vitamin C (ascorbic acid), mg
    calcium_mg       calcium from foods and from any calcium supplement taken with the meal, mg
    tea_servings, coffee_servings, cocoa_servings
                     cups drunk with the meal (0 for none)
    phytate_p_mg     phytate as mg phytate phosphorus, or None when not known: then phytate
                     is not counted and the estimate says so (the food table has no phytate)
    """

    iron_mg: float
    mfp_iron_mg: float
    mfp_g: float
    vitamin_c_mg: float
    calcium_mg: float
    tea_servings: float
    coffee_servings: float
    cocoa_servings: float
    phytate_p_mg: float | None

    def __post_init__(self) -> None:
        problems = [
            Problem(f.name, "must be a number of 0 or more", value, kind="impossible_value")
            for f in fields(self)
            if not _amount(value := getattr(self, f.name), optional=f.name == "phytate_p_mg")
        ]
        if not problems and self.mfp_iron_mg > self.iron_mg:
            problems.append(
                Problem(
                    "mfp_iron_mg",
                    "meat, fish and poultry iron cannot exceed the meal's iron",
                    self.mfp_iron_mg,
                    hint=f"iron_mg is {self.iron_mg}",
                    kind="contradiction",
                )
            )
        if len(problems) == 1:
            kind = (
                ContradictionError if problems[0].kind == "contradiction" else ImpossibleValueError
            )
            raise kind(problems=problems)
        if problems:
            raise RlsironError.collect(problems)

    def drinks(self) -> tuple[Drink, ...]:
        """The polyphenol drinks taken with the meal."""
        servings = (self.tea_servings, self.coffee_servings, self.cocoa_servings)
        return tuple(drink for drink, n in zip(DRINKS, servings, strict=True) if n > 0)


def _amount(value: object, *, optional: bool) -> bool:
    if value is None:
        return optional
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value >= 0


@dataclass(frozen=True, slots=True)
class AppliedFactor:
    """One step of the estimate, with the rows of absorption.txt it used.

    `multiplier` acts on non-heme absorption (1.0 = no change); for the enhancing factors it
    is the rise over the meal without them. `unverified` is true when a recalled row is used.
    """

    id: str
    description: str
    multiplier: float
    coefficients: tuple[str, ...]
    sources: tuple[str, ...]
    unverified: bool


@dataclass(frozen=True, slots=True)
class AbsorptionEstimate:
    """The iron one meal gives the body, split into heme and non-heme, with its caveats."""

    iron_mg: float
    heme_iron_mg: float
    nonheme_iron_mg: float
    heme_absorption_pct: float
    nonheme_absorption_pct: float
    heme_absorbed_mg: float
    nonheme_absorbed_mg: float
    absorbed_mg: float
    enhancing_units: float
    factors: tuple[AppliedFactor, ...]
    caveats: tuple[str, ...]

    @property
    def absorbed_pct(self) -> float:
        """Absorbed share of all iron eaten; 0 for a meal without iron."""
        return self.absorbed_mg / self.iron_mg * _PERCENT if self.iron_mg else 0.0


def _factor(id: str, description: str, multiplier: float, rows: Iterable[str]) -> AppliedFactor:
    used = tuple(rows)
    sources = tuple(dict.fromkeys(s for row in used for s in COEFFICIENTS[row].sources))
    unverified = any(COEFFICIENTS[row].status == "recalled" for row in used)
    return AppliedFactor(id, description, multiplier, used, sources, unverified)


def heme_iron_mg(meal: MealComposition) -> float:
    """Heme iron: Monsen's fixed share of the meal's meat, fish and poultry iron."""
    return meal.mfp_iron_mg * _fraction("heme.share_of_mfp_iron")


def nonheme_iron_mg(meal: MealComposition) -> float:
    """All the meal's other iron: plant foods, eggs, dairy and the rest of meat's iron."""
    return meal.iron_mg - heme_iron_mg(meal)


def enhancing_units(meal: MealComposition) -> float:
    """Monsen's enhancing factors (vitamin C mg + cooked meat/fish/poultry g), up to the cap."""
    units = meal.vitamin_c_mg / _value("nonheme.unit_vitamin_c") + meal.mfp_g / _value(
        "nonheme.unit_mfp"
    )
    return min(units, _value("nonheme.cap"))


def enhancing_room(meal: MealComposition) -> float:
    """Enhancing units the meal could still gain: 0 means more vitamin C would not help."""
    return _value("nonheme.cap") - enhancing_units(meal)


def nonheme_absorption_pct(units: float) -> float:
    """Monsen & Balintfy's continuous form: non-heme absorption (%) for EF enhancing units."""
    scale = _value("nonheme.scale")
    capped = min(units, _value("nonheme.cap"))
    return _value("nonheme.base") + _value("nonheme.slope") * math.log((capped + scale) / scale)


def _drink_factor(meal: MealComposition) -> AppliedFactor | None:
    """The strongest drink with the meal (their combined effect is not published here)."""
    drinks = meal.drinks()
    if not drinks:
        return None
    strongest = max(drinks, key=lambda drink: _value(f"{drink}.inhibition"))
    others = [d for d in drinks if d != strongest]
    note = f"; {', '.join(others)} not added on top" if others else ""
    row = f"{strongest}.inhibition"
    return _factor(strongest, f"{strongest} with the meal{note}", 1 - _fraction(row), (row,))


def _calcium_factor(meal: MealComposition) -> AppliedFactor | None:
    if meal.calcium_mg <= 0:
        return None
    share = min(meal.calcium_mg / _value("calcium.full_effect_mg"), 1.0)
    return _factor(
        "calcium",
        f"{meal.calcium_mg:g} mg calcium",
        1 - share * _fraction("calcium.inhibition"),
        ("calcium.inhibition", "calcium.full_effect_mg"),
    )


def phytate_inhibition(phytate_p_mg: float) -> float:
    """Share of non-heme absorption lost (0-1) to this much phytate phosphorus (mg).

    Straight lines between the doses Hallberg et al. (1989) studied, from none at 0 mg to the
    highest dose, and flat beyond it: our simplification of their three points.
    """
    points = [(0.0, 0.0)] + [(_value(dose), _fraction(loss)) for dose, loss in _PHYTATE_POINTS]
    for (low_dose, low), (high_dose, high) in pairwise(points):
        if phytate_p_mg <= high_dose:
            return low + (high - low) * (phytate_p_mg - low_dose) / (high_dose - low_dose)
    return points[-1][1]


def _phytate_factor(meal: MealComposition) -> AppliedFactor | None:
    if not meal.phytate_p_mg:
        return None
    rows = [row for point in _PHYTATE_POINTS for row in point]
    return _factor(
        "phytate",
        f"{meal.phytate_p_mg:g} mg phytate phosphorus",
        1 - phytate_inhibition(meal.phytate_p_mg),
        rows,
    )


def estimate_meal(meal: MealComposition) -> AbsorptionEstimate:
    """The iron absorbed from one meal, by the model in this module's docstring."""
    heme_mg = heme_iron_mg(meal)
    nonheme_mg = nonheme_iron_mg(meal)
    units = enhancing_units(meal)
    enhanced_pct = nonheme_absorption_pct(units)
    enhancers = _factor(
        "enhancers",
        f"{units:g} enhancing units (vitamin C mg + meat/fish/poultry g, at most "
        f"{_value('nonheme.cap'):g})",
        enhanced_pct / nonheme_absorption_pct(0.0),
        (
            "nonheme.base",
            "nonheme.slope",
            "nonheme.scale",
            "nonheme.cap",
            "nonheme.unit_vitamin_c",
            "nonheme.unit_mfp",
        ),
    )
    heme = _factor(
        "heme",
        "heme iron: a fixed share of meat/fish/poultry iron, absorbed at its own rate",
        1.0,
        ("heme.share_of_mfp_iron", "heme.absorption"),
    )
    inhibitors = [
        f for f in (_drink_factor(meal), _calcium_factor(meal), _phytate_factor(meal)) if f
    ]
    nonheme_pct = enhanced_pct * math.prod(f.multiplier for f in inhibitors)
    heme_pct = _value("heme.absorption")
    heme_absorbed = heme_mg * heme_pct / _PERCENT
    nonheme_absorbed = nonheme_mg * nonheme_pct / _PERCENT
    caveats = ["caveat.estimate", "caveat.stores", "caveat.unverified"]
    if meal.phytate_p_mg is None:
        caveats.append("caveat.phytate_unknown")
    return AbsorptionEstimate(
        iron_mg=meal.iron_mg,
        heme_iron_mg=heme_mg,
        nonheme_iron_mg=nonheme_mg,
        heme_absorption_pct=heme_pct,
        nonheme_absorption_pct=nonheme_pct,
        heme_absorbed_mg=heme_absorbed,
        nonheme_absorbed_mg=nonheme_absorbed,
        absorbed_mg=heme_absorbed + nonheme_absorbed,
        enhancing_units=units,
        factors=(heme, enhancers, *inhibitors),
        caveats=tuple(TEXTS[id].text for id in caveats),
    )


# --- The day ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayEstimate:
    """A day of meals: the single-meal sum, and the whole-diet view of vitamin C beside it.

    `absorbed_single_meal_mg` adds the meal estimates as they are. `absorbed_whole_diet_mg`
    keeps everything but scales each meal's vitamin C effect down (see `whole_diet_ratio`),
    because over whole diets vitamin C changes absorption far less than in single meals.
    The two vitamin C gains show that difference in milligrams; `damping_exponent` is the
    power applied to each meal's vitamin C effect.
    """

    meals: tuple[AbsorptionEstimate, ...]
    iron_mg: float
    absorbed_single_meal_mg: float
    absorbed_whole_diet_mg: float
    vitamin_c_gain_single_meal_mg: float
    vitamin_c_gain_whole_diet_mg: float
    damping_exponent: float
    damping_sources: tuple[str, ...]
    caveats: tuple[str, ...]


def whole_diet_ratio(single_meal_ratio: float) -> float:
    """A meal's vitamin C effect (absorption with / without it) as the whole diet keeps it.

    The exponent is ln(8.0/6.4) / ln(13.5/6.1) from Cook, Dassenko & Lynch (1991): a diet
    that doubled single-meal absorption raised whole-diet absorption by only a quarter.
    """
    if single_meal_ratio <= 0 or not math.isfinite(single_meal_ratio):
        raise ValueError(f"a ratio of absorptions must be positive, got {single_meal_ratio}")
    return float(single_meal_ratio ** _value("diet.vitamin_c_damping"))


def estimate_day(meals: Sequence[MealComposition]) -> DayEstimate:
    """The day's meals estimated one by one, summed, with the whole-diet vitamin C view."""
    if not meals:
        raise RlsironError("a day needs at least one meal", field="meals", value=[])
    estimates = tuple(estimate_meal(meal) for meal in meals)
    single_gain = whole_gain = 0.0
    for meal, estimate in zip(meals, estimates, strict=True):
        without = estimate_meal(replace(meal, vitamin_c_mg=0.0))
        ratio = estimate.nonheme_absorption_pct / without.nonheme_absorption_pct
        whole_pct = without.nonheme_absorption_pct * whole_diet_ratio(ratio)
        single_gain += estimate.nonheme_absorbed_mg - without.nonheme_absorbed_mg
        whole_gain += estimate.nonheme_iron_mg * whole_pct / _PERCENT - without.nonheme_absorbed_mg
    single_total = sum(e.absorbed_mg for e in estimates)
    damping = coefficient("diet.vitamin_c_damping")
    caveats = dict.fromkeys(c for e in estimates for c in e.caveats)
    caveats[TEXTS["caveat.whole_diet"].text] = None
    return DayEstimate(
        meals=estimates,
        iron_mg=sum(meal.iron_mg for meal in meals),
        absorbed_single_meal_mg=single_total,
        absorbed_whole_diet_mg=single_total - single_gain + whole_gain,
        vitamin_c_gain_single_meal_mg=single_gain,
        vitamin_c_gain_whole_diet_mg=whole_gain,
        damping_exponent=damping.value,
        damping_sources=damping.sources,
        caveats=tuple(caveats),
    )
