"""The curated food table: everyday foods at a household serving, for advice and day plans.

The table (`data/foods.csv`, about 150 foods) is built from USDA SR28 by
`scripts/build_food_table.py` and committed; this module only reads it. Values are per serving,
so advice can say "1 cup of lentils, 6.6 mg" rather than a per-100 g figure nobody eats. Each
food has a role for iron advice (iron source, vitamin C partner, inhibitor, or other), its tags
(`data/food_tags.txt`), the diets it suits and the meals it belongs to, so a planner can
assemble realistic days. Kept to the standard library (csv, importlib.resources) because the
CLI's cold start is a measured target.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Literal

from rlsiron.diet.sr28 import NUTRIENT_COLUMNS, TAG_SEPARATOR, Nutrients
from rlsiron.errors import RlsironError

Diet = Literal["omnivore", "pescatarian", "vegetarian", "vegan"]
DIETS: tuple[Diet, ...] = ("omnivore", "pescatarian", "vegetarian", "vegan")
# iron_source: recommended for its iron; vitamin_c: a partner that raises non-heme iron
# absorption; inhibitor: the tea, coffee and dairy to keep away from iron-rich meals;
# other: the rest of a day's eating (bread, rice, fruit, oil), for the planner.
ROLES = frozenset({"iron_source", "vitamin_c", "inhibitor", "other"})
Meal = Literal["breakfast", "lunch", "dinner", "snack"]
MEALS: tuple[Meal, ...] = ("breakfast", "lunch", "dinner", "snack")

# A list of eight clams is not advice: cap each food kind so the list shows choices.
_MAX_PER_CATEGORY = 2
# The shipped table's header; scripts/build_food_table.py writes exactly these.
CSV_COLUMNS = (
    "ndb_no",
    "name",
    "sr28_description",
    "food_group",
    "category",
    "heme",
    "liver",
    "serving",
    "serving_g",
    *NUTRIENT_COLUMNS,
    "tags",
    "diets",
    "role",
    "meals",
)
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True, slots=True)
class Food:
    """One food at one household serving; every amount is for that serving (SR28).

    `tags` come from data/food_tags.txt (plant, dairy, heme, polyphenol, high_phytate, and the
    renal flags high_potassium and high_phosphate for this serving); `meals` says where the
    food sensibly belongs in a day (breakfast, lunch, dinner, snack).
    """

    ndb_no: str
    name: str
    sr28_description: str
    food_group: str
    category: str
    heme: bool
    liver: bool
    serving: str
    serving_g: float
    energy_kcal: float
    protein_g: float
    fibre_g: float | None  # None where SR28 gives no value (tempeh): missing is not zero
    iron_mg: float
    vitamin_c_mg: float
    calcium_mg: float
    potassium_mg: float
    phosphorus_mg: float
    tags: frozenset[str]
    diets: frozenset[str]
    role: str
    meals: frozenset[str]

    @property
    def nutrients(self) -> Nutrients:
        """The serving's amounts as the neutral type the meal tools add up."""
        return Nutrients(*(getattr(self, column) for column in NUTRIENT_COLUMNS))


def _food(row: dict[str, str]) -> Food:
    """One CSV row to a Food, refusing values the builder never writes."""
    diets = _set(row, "diets")
    meals = _set(row, "meals")
    if not diets <= set(DIETS) or row["role"] not in ROLES or not meals <= set(MEALS):
        raise ValueError(f"foods.csv: bad diets, role or meals in row {row['ndb_no']}")
    return Food(
        ndb_no=row["ndb_no"],
        name=row["name"],
        sr28_description=row["sr28_description"],
        food_group=row["food_group"],
        category=row["category"],
        heme=_boolean(row, "heme"),
        liver=_boolean(row, "liver"),
        serving=row["serving"],
        serving_g=float(row["serving_g"]),
        energy_kcal=float(row["energy_kcal"]),
        protein_g=float(row["protein_g"]),
        fibre_g=float(row["fibre_g"]) if row["fibre_g"] else None,
        iron_mg=float(row["iron_mg"]),
        vitamin_c_mg=float(row["vitamin_c_mg"]),
        calcium_mg=float(row["calcium_mg"]),
        potassium_mg=float(row["potassium_mg"]),
        phosphorus_mg=float(row["phosphorus_mg"]),
        tags=_set(row, "tags"),
        diets=diets,
        role=row["role"],
        meals=meals,
    )


def _set(row: dict[str, str], column: str) -> frozenset[str]:
    return frozenset(row[column].split(TAG_SEPARATOR)) if row[column] else frozenset()


def _boolean(row: dict[str, str], column: str) -> bool:
    value = _BOOLEANS.get(row[column])
    if value is None:
        raise ValueError(f"foods.csv: {column} must be true or false in row {row['ndb_no']}")
    return value


@cache
def load_foods() -> tuple[Food, ...]:
    """Every food in the packaged table, in the table's curated order."""
    # Imported here: importlib.resources pulls in tempfile and friends (~20 ms), which the
    # CLI should only pay for when it actually builds a diet plan.
    from importlib.resources import files

    text = files("rlsiron.diet").joinpath("data", "foods.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        raise ValueError(f"foods.csv: header must be {','.join(CSV_COLUMNS)}")
    return tuple(_food(row) for row in reader)


@cache
def iron_rich_foods(diet: Diet | None, *, pregnant: bool, limit: int = 8) -> tuple[Food, ...]:
    """Iron sources for a diet, most iron per serving first, at most two of each kind.

    `diet` None means omnivore. Liver is left out in pregnancy (very high in vitamin A).
    Where the diet allows meat or fish, half the list is kept for heme sources, one of each
    kind: heme iron is absorbed far better than plant iron, so ranking by milligrams alone
    would bury it.
    Cached: the answer depends only on the arguments and the shipped table.
    """
    wanted = _checked_diet(diet)
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    candidates = sorted(
        (
            food
            for food in load_foods()
            if food.role == "iron_source" and wanted in food.diets and not (pregnant and food.liver)
        ),
        key=lambda food: (-food.iron_mg, food.name),
    )
    heme_slots = limit // 2 if any(food.heme for food in candidates) else 0
    heme = _varied([f for f in candidates if f.heme], heme_slots, per_category=1)
    plant = _varied([f for f in candidates if not f.heme], limit - len(heme), _MAX_PER_CATEGORY)
    return tuple(sorted(heme + plant, key=lambda food: (-food.iron_mg, food.name)))


def _varied(foods: list[Food], limit: int, per_category: int) -> list[Food]:
    """The first `limit` foods, at most `per_category` of any one category."""
    picked: list[Food] = []
    seen: Counter[str] = Counter()
    for food in foods:
        if len(picked) == limit:
            break
        if seen[food.category] < per_category:
            seen[food.category] += 1
            picked.append(food)
    return picked


@cache
def vitamin_c_foods(limit: int = 5) -> tuple[Food, ...]:
    """Vitamin C partners for iron-rich meals, most vitamin C per serving first."""
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    partners = [food for food in load_foods() if food.role == "vitamin_c"]
    return tuple(sorted(partners, key=lambda food: (-food.vitamin_c_mg, food.name))[:limit])


@cache
def absorption_inhibitors() -> tuple[Food, ...]:
    """Tea, coffee and dairy: what to keep away from iron-rich meals, in table order."""
    return tuple(food for food in load_foods() if food.role == "inhibitor")


def _checked_diet(diet: str | None) -> Diet:
    """The diet to filter on; an unknown one is an input error, not an empty list."""
    if diet is None:
        return "omnivore"
    for known in DIETS:
        if diet == known:
            return known
    raise RlsironError("unknown diet", field="diet", value=diet, accepted=DIETS)
