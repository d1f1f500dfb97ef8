"""Portions as people write them: "1 cup cooked lentils, 1 orange, 150 g salmon" to grams.

A quantity is an amount ("1", "1.5", "1,5", "1/2", "1 1/2", "1½", "a", "two", "half a") and an
optional measure ("cup", "slices", "g", "3 oz", "medium"). The grams come from the food itself:

- weights always work (g, kg, oz, lb);
- a household measure is looked up in the food's SR28 measures (WEIGHT.txt): "2 slices" of
  bread is twice SR28's slice, "1 medium" apple is SR28's medium apple;
- a volume (ml, l, fl oz, cup, tbsp, tsp, pint, quart) the food has no measure for is converted
  through one it has ("250 ml" of orange juice through SR28's cup of orange juice);
- a bare count ("1 orange", "2 bagels") is one of the food's countable measures: one named in
  the food's words (bagel), else "medium", else the curated serving's measure, else SR28's first;
- no quantity at all ("cooked lentils") is one standard serving (the curated serving, else
  SR28's first measure), and the item says so (`assumed`).

A measure the food does not have, an amount of zero or less, or more than 2 kg of one item is an
input error naming the item, the measure and what the food accepts; every bad item of a meal is
reported at once. Nutrients for an item scale SR28's per-100 g values by its grams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from rlsiron.diet.search import FoodMatch, find_food, fold, search_foods
from rlsiron.diet.sr28 import Measure, Nutrients, amount_text, measures
from rlsiron.diet.tags import normalised
from rlsiron.errors import Problem, ProblemCollector, RlsironError

# Exact unit definitions (not clinical): grams per unit, millilitres per US unit.
_GRAMS = {"g": 1.0, "kg": 1000.0, "oz": 28.349523125, "lb": 453.59237}
_MILLILITRES = {
    "ml": 1.0,
    "l": 1000.0,
    "tsp": 4.92892159375,
    "tbsp": 14.78676478125,
    "fl oz": 29.5735295625,
    "cup": 236.5882365,
    "pint": 473.176473,
    "quart": 946.352946,
}
# No single item of a meal weighs more than this: more is a typo (kg for g) or not a portion.
MAX_GRAMS = 2000.0
_SPELLINGS = {
    "gram": "g",
    "gr": "g",
    "kilogram": "kg",
    "kilo": "kg",
    "ounce": "oz",
    "pound": "lb",
    "lbs": "lb",
    "millilitre": "ml",
    "milliliter": "ml",
    "litre": "l",
    "liter": "l",
    "tablespoon": "tbsp",
    "tbs": "tbsp",
    "tbl": "tbsp",
    "teaspoon": "tsp",
    "fluid ounce": "fl oz",
    "fl": "fl oz",
}
# Household measure words a quantity may name before the food (SR28's own measure words).
_HOUSEHOLD = frozenset(
    [
        "slice",
        "piece",
        "can",
        "container",
        "package",
        "packet",
        "serving",
        "bar",
        "scoop",
        "bottle",
        "jar",
        "carton",
        "pouch",
        "box",
        "bag",
        "stick",
        "pat",
        "medium",
        "large",
        "small",
        "jumbo",
        "mini",
        "fillet",
        "patty",
        "link",
        "strip",
        "wedge",
        "stalk",
        "spear",
        "leaf",
        "sprig",
        "bunch",
        "head",
        "ear",
        "clove",
        "cube",
        "ring",
        "floweret",
        "each",
        "item",
        "unit",
        "portion",
        "half",
    ]
) | {"extra large"}
_MEASURE_WORDS = frozenset(_GRAMS) | frozenset(_MILLILITRES) | _HOUSEHOLD
# Words that describe how a measure is filled, not the food ("1 cup chopped kale"): they pick
# among the food's measures and are dropped from the food's name when it is not found with them.
_QUALIFIERS = frozenset(
    [
        "chopped",
        "sliced",
        "diced",
        "shredded",
        "grated",
        "mashed",
        "cubed",
        "crushed",
        "pureed",
        "halved",
        "pieces",
        "halves",
        "packed",
        "loosely",
        "heaping",
        "level",
    ]
)
_COUNTS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
_NUMBER_WORDS: dict[str, Fraction] = {word: Fraction(n) for n, word in enumerate(_COUNTS)}
_NUMBER_WORDS |= {"a": Fraction(1), "an": Fraction(1), "half": Fraction("1/2")}
_NUMBER_WORDS["quarter"] = Fraction("1/4")
_VULGAR = {"½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅛": "1/8", "⅜": "3/8"}
_VULGAR |= {"⅝": "5/8", "⅞": "7/8", "⅕": "1/5"}
_AMOUNT = re.compile(
    r"""^\s*(?P<sign>[-+−])?\s*(?:
        (?P<whole>\d+)\s+(?P<num>\d+)\s*/\s*(?P<den>\d+)     # 1 1/2
      | (?P<fnum>\d+)\s*/\s*(?P<fden>\d+)                  # 1/2
      | (?P<decimal>\d+(?:[.,]\d+)?|[.,]\d+)                # 150, 1.5, 1,5, .5
    )""",
    re.VERBOSE,
)
_WORD_AMOUNT = re.compile(r"^\s*(?P<word>[a-z]+)\b(?:\s+(?:a|an)\b)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Quantity:
    """An amount and its measure as read: "1½ cups" is 1.5 of "cup"; "2 eggs" is 2 of None."""

    amount: float
    measure: str | None  # canonical ("g", "cup", "slice", "fl oz"); None for a plain count
    written: str  # the quantity as read ("1 1/2 cups"; unicode fractions made plain)
    measure_written: str | None = None  # the measure as read ("cups")


@dataclass(frozen=True, slots=True)
class Portion:
    """A weight and where it comes from, for the person to check."""

    grams: float
    basis: str  # "1 cup (198 g, SR28)", "150 g", "250 ml via 1 cup = 249 g (SR28)"


@dataclass(frozen=True, slots=True)
class MealItem:
    """One item of a meal: the text, the food found, and its weight."""

    text: str
    food: FoodMatch
    grams: float
    amount: float | None  # as read; None when the item gave no quantity
    measure: str | None  # as read ("cups", "g"); None for a count or no quantity
    basis: str  # where the grams come from
    assumed: bool  # no quantity given: one standard serving was used (and said)

    @property
    def nutrients(self) -> Nutrients:
        return self.food.food.portion(self.grams)


def _vulgar(text: str) -> str:
    """ "1½" -> "1 1/2", "½" -> "1/2": unicode fractions to plain ones."""
    for symbol, plain in _VULGAR.items():
        text = re.sub(rf"(\d)\s*{symbol}", rf"\1 {plain}", text).replace(symbol, plain)
    return text


def _amount(text: str) -> tuple[Fraction | None, str]:
    """The leading amount and the rest of the text; (None, text) when there is none."""
    match = _AMOUNT.match(text)
    if match:
        if match["whole"]:
            value = int(match["whole"]) + _fraction(match["num"], match["den"], match[0])
        elif match["fnum"]:
            value = _fraction(match["fnum"], match["fden"], match[0])
        else:
            value = Fraction(match["decimal"].replace(",", "."))
        if match["sign"] in ("-", "−"):
            value = -value
        return value, text[match.end() :]
    word = _WORD_AMOUNT.match(text)
    if word and word["word"].lower() in _NUMBER_WORDS:
        return _NUMBER_WORDS[word["word"].lower()], text[word.end() :]
    return None, text


def _fraction(numerator: str, denominator: str, written: str) -> Fraction:
    if int(denominator) == 0:
        raise RlsironError("a fraction cannot have 0 below the line", value=written.strip())
    return Fraction(int(numerator), int(denominator))


def _canonical(word: str) -> str:
    folded = fold(word)
    return _SPELLINGS.get(word, _SPELLINGS.get(folded, folded))


def _measure(text: str) -> tuple[str | None, str, str]:
    """The leading measure word (canonical), as written, and the rest of the text."""
    found = re.match(r"^\s*([a-zA-Z]+)(?:\.|\b)(?:\s+([a-zA-Z]+)\b)?", text)
    if not found:
        return None, "", text
    first, second = found[1].lower(), (found[2] or "").lower()
    if second:
        pair = _SPELLINGS.get(f"{first} {fold(second)}", f"{first} {fold(second)}")
        if pair in _MEASURE_WORDS:
            return pair, found[0].strip(), text[found.end() :]
    single = _canonical(first)
    if single in _MEASURE_WORDS:
        end = found.start(2) if found[2] else found.end()
        return single, text[found.start(1) : end].strip(), text[end:]
    return None, "", text


def parse_quantity(text: str) -> tuple[Quantity | None, str]:
    """Split "1½ cups of cooked lentils" into (1.5 cup, "cooked lentils").

    A measure with no amount ("cup of tea") is one of it. Returns (None, text) when the text
    starts with neither. The amount may be zero or negative here; `portion` refuses it.
    """
    plain = _vulgar(text)
    amount, rest = _amount(plain)
    measure, measure_written, after = _measure(rest)
    if amount is None and measure is None:
        return None, text.strip()
    if measure is not None:
        rest = after
    rest = re.sub(r"^\s*of\b", "", rest).strip()
    written = plain[: len(plain) - len(rest)].strip() if rest else plain.strip()
    written = re.sub(r"\s+of$", "", written)
    quantity = Quantity(
        float(amount if amount is not None else 1), measure, written, measure_written or None
    )
    return quantity, rest


def _head(measure: Measure) -> str:
    """A measure's first word, canonical: "cup, chopped" -> "cup", "fl oz" -> "fl oz"."""
    parts = normalised(measure.description).split()
    if not parts:
        return ""
    if len(parts) > 1 and f"{parts[0]} {parts[1]}" in ("fl oz", "extra large"):
        return f"{parts[0]} {parts[1]}"
    return _canonical(parts[0])


def _countable(measure: Measure) -> bool:
    return _head(measure) not in _GRAMS and _head(measure) not in _MILLILITRES


def _preferred(candidates: Sequence[Measure], said: Iterable[str]) -> Measure:
    """Among a food's measures that fit, the one whose other words the person used
    ("1 cup chopped kale" -> "cup, chopped"), else the plainest, else SR28's first."""
    said_words = {fold(word) for word in said}

    def fit(measure: Measure) -> tuple[int, int, int]:
        own = [fold(word) for word in normalised(measure.description).split()]
        return (-len(said_words & set(own[1:])), len(own), measure.seq)

    return min(candidates, key=fit)


def _label(measure: Measure, amount: float) -> str:
    """ "1 cup (198 g, SR28)", "2 × slice (64 g, SR28)": SR28 names its measures singular."""
    times = "" if amount == 1 or amount < 1 else " ×"
    grams = measure.grams_for(amount)
    return f"{amount_text(amount)}{times} {measure.description} ({grams:.4g} g, SR28)"


def _food_measures_text(food: FoodMatch) -> tuple[str, ...]:
    """What a person may write for this food: its SR28 measures and the weights."""
    own = [m.description for m in measures(food.food.ndb_no)]
    return (*dict.fromkeys(own), "g", "kg", "oz", "lb")


def portion(food: FoodMatch, quantity: Quantity | None, food_words: Sequence[str] = ()) -> Portion:
    """The grams of `quantity` of `food`; an RlsironError when the food has no such measure
    or the amount is impossible. `food_words` are the words the person used for the food."""
    if quantity is None:
        return _standard_serving(food)
    if quantity.amount <= 0:
        raise RlsironError(
            "the amount must be more than 0", value=quantity.written, hint="e.g. '1 cup' or '150 g'"
        )
    found = _grams(food, quantity, food_words)
    if found.grams > MAX_GRAMS:
        raise RlsironError(
            f"{found.grams:,.0f} g of {food.name} is more than {MAX_GRAMS / 1000:g} kg: not a "
            "portion of one food",
            value=quantity.written,
            hint="check the amount and the unit (g, not kg?)",
        )
    return found


def _grams(food: FoodMatch, quantity: Quantity, food_words: Sequence[str]) -> Portion:
    amount, unit = quantity.amount, quantity.measure
    own = measures(food.food.ndb_no)
    if unit in _GRAMS:
        grams = amount * _GRAMS[unit]
        grams_text = "" if unit == "g" else f" ({grams:.4g} g)"
        return Portion(grams, f"{amount_text(amount)} {unit}{grams_text}")
    if unit is None:
        counted = _counted(food, own, food_words)
        if counted is not None:
            return Portion(counted.grams_for(amount), _label(counted, amount))
    else:
        named = [m for m in own if _head(m) == unit] or [
            m for m in own if unit in {_canonical(w) for w in normalised(m.description).split()}
        ]
        if named:
            chosen = _preferred(named, food_words)
            return Portion(chosen.grams_for(amount), _label(chosen, amount))
        if unit in _MILLILITRES:
            converted = _by_volume(own, amount, unit)
            if converted is not None:
                return converted
    what = f"measure {quantity.measure_written or unit!r}" if unit else "countable measure"
    raise RlsironError(
        f"{food.name} has no {what} in SR28",
        value=quantity.written,
        accepted=_food_measures_text(food),
        hint="give one of its measures or a weight, e.g. '150 g'",
    )


def _counted(food: FoodMatch, own: Sequence[Measure], food_words: Sequence[str]) -> Measure | None:
    """The measure a bare count means: one named in the food's words ("2 bagels"), "medium",
    the curated serving's measure, or SR28's first countable measure."""
    countable = [m for m in own if _countable(m)]
    if not countable:
        return None
    said = {fold(word) for word in food_words}
    named = [m for m in countable if _head(m) in said]
    if named:
        return _preferred(named, food_words)
    medium = [m for m in countable if "medium" in normalised(m.description).split()]
    if medium:
        return _preferred(medium, food_words)
    if food.curated is not None:
        serving = [
            m for m in countable if food.curated.serving.rsplit(" (", 1)[0].endswith(m.description)
        ]
        if serving:
            return serving[0]
    return countable[0]


def _by_volume(own: Sequence[Measure], amount: float, unit: str) -> Portion | None:
    """A volume through the food's first volume measure (its density as SR28 weighs it)."""
    for measure in own:
        head = _head(measure)
        if head in _MILLILITRES:
            grams_per_ml = measure.grams / (measure.amount * _MILLILITRES[head])
            grams = amount * _MILLILITRES[unit] * grams_per_ml
            basis = (
                f"{amount_text(amount)} {unit} ({grams:.4g} g, via {amount_text(measure.amount)} "
                f"{measure.description} = {measure.grams:g} g in SR28)"
            )
            return Portion(grams, basis)
    return None


def _standard_serving(food: FoodMatch) -> Portion:
    """No quantity: one standard serving, said in the basis."""
    if food.curated is not None:
        return Portion(food.curated.serving_g, f"one standard serving: {food.curated.serving}")
    own = measures(food.food.ndb_no)
    if own:
        return Portion(own[0].grams, f"one standard serving: {_label(own[0], own[0].amount)}")
    raise RlsironError(
        f"give an amount for {food.name}: SR28 lists no household measure for it",
        hint="e.g. '150 g'",
    )


def parse_item(text: str, *, diet: str | None = None) -> MealItem:
    """One item: "1 cup cooked lentils" -> lentils, 198 g. An error names the item."""
    try:
        return _item(text, diet)
    except RlsironError as exc:
        raise RlsironError.collect([_named(p, text) for p in exc.problems]) from None


def _item(text: str, diet: str | None) -> MealItem:
    quantity, food_text = parse_quantity(text)
    if not food_text:
        raise RlsironError("name a food after the amount", field="item", value=text.strip())
    food_words = normalised(food_text).split()
    food = _food(food_text, food_words, diet)
    found = portion(food, quantity, food_words)
    return MealItem(
        text=text.strip(),
        food=food,
        grams=found.grams,
        amount=None if quantity is None else quantity.amount,
        measure=None if quantity is None else quantity.measure_written,
        basis=found.basis,
        assumed=quantity is None,
    )


def _named(problem: Problem, item: str) -> Problem:
    """A problem of one item, saying which item it was."""
    message = f"{item.strip()!r}: {problem.message}"
    location = problem.location or "item"
    return Problem(
        location, message, problem.received, problem.accepted, problem.hint, problem.kind
    )


def _food(food_text: str, food_words: Sequence[str], diet: str | None) -> FoodMatch:
    """The food named. Measure words are tried without first ("1 cup sliced strawberries" is
    the everyday raw strawberries, sliced, not SR28's "Strawberries, frozen, sliced"), then with."""
    plain = [word for word in food_words if word not in _QUALIFIERS]
    if plain and len(plain) < len(food_words):
        without = search_foods(" ".join(plain), limit=1, diet=diet)
        if without and without[0].curated is not None:
            return without[0]
        found = search_foods(food_text, limit=1, diet=diet) or without
        if found:
            return found[0]
    return find_food(food_text, diet=diet)


def split_meal(text: str) -> tuple[str, ...]:
    """The items of a meal: separated by ";" or new lines when there are any, else by commas
    (not a decimal comma: "1,5 cups" stays whole)."""
    if re.search(r"[;\n]", text):
        parts = re.split(r"[;\n]", text)
    else:
        parts = re.split(r"(?<!\d),|,(?!\d)", text)
    return tuple(part.strip() for part in parts if part.strip())


def parse_meal(text: str, *, diet: str | None = None) -> tuple[MealItem, ...]:
    """Every item of a meal; all bad items are reported together, each at `meal[i]`."""
    items = split_meal(text)
    if not items:
        raise RlsironError(
            "the meal is empty", field="meal", value=text, hint="e.g. '1 cup lentils, 1 orange'"
        )
    collector = ProblemCollector()
    parsed: list[MealItem] = []
    for i, item in enumerate(items):
        try:
            parsed.append(parse_item(item, diet=diet))
        except RlsironError as exc:
            collector.problems.extend(_located(problem, i) for problem in exc.problems)
    collector.raise_if_any()
    return tuple(parsed)


def _located(problem: Problem, i: int) -> Problem:
    """A problem of one item (already naming it), at `meal[i]`."""
    return problem.at(f"meal[{i}]")
