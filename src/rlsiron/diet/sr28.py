"""The whole of USDA SR28 as shipped: every food per 100 g, and every household measure.

`data/sr28_foods.csv` (8,789 foods) and `data/sr28_servings.csv` (WEIGHT.txt's 15,438 household
measures) are built from the raw SR28 files by `scripts/build_food_table.py` and committed; this
module only reads them, once, when first asked (the CLI's cold start must not pay for them).
A nutrient SR28 gives no value for stays None: missing is not zero.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache

CITATION = (
    "U.S. Department of Agriculture, Agricultural Research Service. USDA National Nutrient "
    "Database for Standard Reference, Release 28 (2016)"
)
SOURCE_NOTE = f"Nutrient data: {CITATION}."

# Per-100 g columns of sr28_foods.csv, and per-serving columns of foods.csv, in this order.
NUTRIENT_COLUMNS = (
    "energy_kcal",
    "protein_g",
    "fibre_g",
    "iron_mg",
    "vitamin_c_mg",
    "calcium_mg",
    "potassium_mg",
    "phosphorus_mg",
)
# Decimals a value is shown with (per serving): iron, protein and fibre are often small.
DECIMALS = {
    column: 1 if column in ("iron_mg", "protein_g", "fibre_g") else 0 for column in NUTRIENT_COLUMNS
}
SR28_COLUMNS = ("ndb_no", "description", "food_group", "common_name", *NUTRIENT_COLUMNS, "tags")
SERVING_COLUMNS = ("ndb_no", "seq", "amount", "measure", "grams")
TAG_SEPARATOR = "|"


@dataclass(frozen=True, slots=True)
class Nutrients:
    """Amounts for some weight of food (per 100 g in SR28, per portion once scaled)."""

    energy_kcal: float | None
    protein_g: float | None
    fibre_g: float | None
    iron_mg: float | None
    vitamin_c_mg: float | None
    calcium_mg: float | None
    potassium_mg: float | None
    phosphorus_mg: float | None

    def scaled(self, factor: float) -> Nutrients:
        """Every amount times `factor` (grams eaten / 100 for a per-100 g row); None stays None."""
        return Nutrients(*(None if value is None else value * factor for value in self.as_tuple()))

    def as_tuple(self) -> tuple[float | None, ...]:
        return tuple(getattr(self, name) for name in NUTRIENT_COLUMNS)

    def as_dict(self) -> dict[str, float | None]:
        return dict(zip(NUTRIENT_COLUMNS, self.as_tuple(), strict=True))


# The dataclass and the column list must agree: the CSVs are read by name.
assert tuple(f.name for f in fields(Nutrients)) == NUTRIENT_COLUMNS


@dataclass(frozen=True, slots=True)
class Sr28Food:
    """One SR28 food: its description, food group, per-100 g nutrients and tags."""

    ndb_no: str
    description: str
    food_group: str
    common_name: str
    per_100g: Nutrients
    tags: frozenset[str]

    def portion(self, grams: float) -> Nutrients:
        return self.per_100g.scaled(grams / 100)


@dataclass(frozen=True, slots=True)
class Measure:
    """One WEIGHT.txt household measure: `amount` x `description` weighs `grams`."""

    ndb_no: str
    seq: int
    amount: float
    description: str
    grams: float

    @property
    def label(self) -> str:
        """'1 cup, chopped', '1/2 cup': what a person reads."""
        return f"{amount_text(self.amount)} {self.description}"

    def grams_for(self, amount: float) -> float:
        """The weight of `amount` of this measure (2 slices when SR28 weighs 1 slice)."""
        return amount / self.amount * self.grams


# The finest fraction a household measure is written in: eighths of a cup.
_FINEST_FRACTION = 8


def amount_text(amount: float) -> str:
    """1 -> '1', 0.5 -> '1/2', 1.5 -> '1 1/2', 0.333 -> '1/3': fractions down to eighths as a
    cook writes them; other amounts as decimals (0.15)."""
    whole = int(amount)
    rest = amount - whole
    part = Fraction(rest).limit_denominator(_FINEST_FRACTION)
    if part in (0, 1) or abs(float(part) - rest) > 0.005:
        return f"{amount:g}"
    fraction = f"{part.numerator}/{part.denominator}"
    return fraction if whole == 0 else f"{whole} {fraction}"


def rounded(column: str, value: float | None) -> float | None:
    """A nutrient rounded half up to its shown decimals, as the build rounds the curated table
    (Python's round() would round 0.25 to 0.2)."""
    if value is None:
        return None
    step = Decimal(1).scaleb(-DECIMALS[column])
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def _read(name: str) -> csv.DictReader[str]:
    # Imported here: importlib.resources pulls in tempfile and friends, which the CLI should
    # only pay for when a diet command runs.
    from importlib.resources import files

    text = files("rlsiron.diet").joinpath("data", name).read_text(encoding="utf-8")
    return csv.DictReader(io.StringIO(text, newline=""))


@cache
def sr28_foods() -> Mapping[str, Sr28Food]:
    """Every SR28 food by NDB number, in NDB order."""
    reader = _read("sr28_foods.csv")
    if tuple(reader.fieldnames or ()) != SR28_COLUMNS:
        raise ValueError(f"sr28_foods.csv: header must be {','.join(SR28_COLUMNS)}")
    foods: dict[str, Sr28Food] = {}
    for row in reader:
        per_100g = Nutrients(*(_number(row[column]) for column in NUTRIENT_COLUMNS))
        tags = frozenset(row["tags"].split(TAG_SEPARATOR)) if row["tags"] else frozenset()
        foods[row["ndb_no"]] = Sr28Food(
            row["ndb_no"], row["description"], row["food_group"], row["common_name"], per_100g, tags
        )
    return foods


@cache
def _servings() -> Mapping[str, tuple[Measure, ...]]:
    reader = _read("sr28_servings.csv")
    if tuple(reader.fieldnames or ()) != SERVING_COLUMNS:
        raise ValueError(f"sr28_servings.csv: header must be {','.join(SERVING_COLUMNS)}")
    measures: dict[str, list[Measure]] = {}
    for row in reader:
        measure = Measure(
            row["ndb_no"],
            int(row["seq"]),
            float(row["amount"]),
            row["measure"],
            float(row["grams"]),
        )
        measures.setdefault(measure.ndb_no, []).append(measure)
    return {ndb: tuple(found) for ndb, found in measures.items()}


def measures(ndb_no: str) -> tuple[Measure, ...]:
    """The household measures SR28 weighs for a food, in WEIGHT.txt's order (Seq)."""
    return _servings().get(ndb_no, ())


def all_measures() -> Mapping[str, tuple[Measure, ...]]:
    """Every food's measures (for the quantity parser's vocabulary)."""
    return _servings()
