"""`rlsiron foods`, `rlsiron meal` and `rlsiron plan-day`: the diet on the command line.

    rlsiron foods --diet vegetarian --top 15     the best iron sources per serving, with
                                                 vitamin C partners and what to keep apart
    rlsiron foods search "lentils" [--limit N] [--diet D] [--portion "150 g"] [--format json]
                                                 iron, vitamin C, calcium per 100 g and per
                                                 serving (JSON: every nutrient)

Every output cites USDA SR28. Diet modules are imported inside the commands: `rlsiron` imports
this module at start, and the cold start of an assessment is a measured target, so the top level
holds only typer and the standard library. Bad input (an unknown food, diet or measure) exits 2
with one message and no traceback, as everywhere in `rlsiron`.
"""

from __future__ import annotations

import json
import textwrap
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rlsiron.diet.foods import Food
    from rlsiron.diet.portions import Portion
    from rlsiron.diet.search import FoodMatch
    from rlsiron.diet.sr28 import Nutrients
    from rlsiron.errors import RlsironError

WIDTH = 80  # the text output fits a narrow terminal
_INDENT = "     "


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


_FORMAT_HELP = "text: a readable list; json: the numbers, every nutrient."
_DIET_HELP = "omnivore, pescatarian, vegetarian or vegan: only foods that suit it."
# Error locations in the library -> the option a person typed.
_OPTIONS = {"diet": "--diet", "limit": "--limit"}

foods_app = typer.Typer(
    help="Iron in foods (USDA SR28): the best sources per serving, and a food search.",
    no_args_is_help=False,
    add_completion=False,
)


def _fail(error: RlsironError, unlocated: str | None = None) -> NoReturn:
    """Bad input: every problem, each at the option it came from, then exit 2."""
    from rlsiron import cli
    from rlsiron.errors import RlsironError as Error

    problems = [
        p.at(_OPTIONS.get(p.location) or p.location or unlocated or "") for p in error.problems
    ]
    cli.fail(Error.collect(problems).describe())


def _write(text: str) -> None:
    from rlsiron import cli

    cli.env.stdout.write(text)


def _wrapped(text: str, indent: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent) + "\n"


def _citation() -> str:
    from rlsiron.diet.sr28 import SOURCE_NOTE

    return _wrapped(SOURCE_NOTE)


def _mg(value: float | None, column: str, exact: bool) -> str:
    """SR28's own value (per 100 g), or rounded as the food table rounds a serving."""
    from rlsiron.diet.sr28 import rounded

    shown = value if exact else rounded(column, value)
    return "not in SR28" if shown is None else f"{shown:g} mg"


def _three(nutrients: Nutrients, *, exact: bool = False) -> str:
    """Iron, vitamin C and calcium, the three numbers iron advice turns on."""
    return (
        f"iron {_mg(nutrients.iron_mg, 'iron_mg', exact)}, "
        f"vitamin C {_mg(nutrients.vitamin_c_mg, 'vitamin_c_mg', exact)}, "
        f"calcium {_mg(nutrients.calcium_mg, 'calcium_mg', exact)}"
    )


def _nutrients_json(nutrients: Nutrients) -> dict[str, float | None]:
    from rlsiron.diet.sr28 import rounded

    return {column: rounded(column, value) for column, value in nutrients.as_dict().items()}


@foods_app.callback(invoke_without_command=True)
def foods(
    ctx: typer.Context,
    diet: Annotated[str | None, typer.Option(help=_DIET_HELP)] = None,
    top: Annotated[int, typer.Option(help="How many foods to list.")] = 10,
    pregnant: Annotated[
        bool, typer.Option(help="Leave out liver (very rich in vitamin A).")
    ] = False,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help=_FORMAT_HELP)
    ] = OutputFormat.text,
) -> None:
    """The best iron sources per serving for a diet, with vitamin C partners (USDA SR28)."""
    if ctx.invoked_subcommand is not None:
        return
    from rlsiron.diet.foods import absorption_inhibitors, load_foods, vitamin_c_foods
    from rlsiron.diet.search import checked_diet
    from rlsiron.errors import RlsironError

    try:
        wanted = checked_diet(diet) or "omnivore"
        if top < 1:
            raise RlsironError("must be 1 or more", field="--top", value=top)
    except RlsironError as exc:
        _fail(exc)
    sources = sorted(
        (f for f in load_foods() if wanted in f.diets and not (pregnant and f.liver)),
        key=lambda f: (-f.iron_mg, f.name),
    )[:top]
    partners = [f for f in vitamin_c_foods() if wanted in f.diets]
    apart = [f for f in absorption_inhibitors() if wanted in f.diets]
    if fmt is OutputFormat.json:
        _write(_list_json(wanted, pregnant, sources, partners, apart))
    else:
        _write(_list_text(wanted, pregnant, sources, partners, apart))


def _food_json(food: Food) -> dict[str, Any]:
    return {
        "ndb_no": food.ndb_no,
        "name": food.name,
        "sr28_description": food.sr28_description,
        "serving": food.serving,
        "serving_g": food.serving_g,
        "per_serving": _nutrients_json(food.nutrients),
        "heme": food.heme,
        "tags": sorted(food.tags),
        "diets": sorted(food.diets),
        "role": food.role,
        "meals": sorted(food.meals),
    }


def _list_json(
    diet: str, pregnant: bool, sources: list[Food], partners: list[Food], apart: list[Food]
) -> str:
    from rlsiron.diet.sr28 import CITATION

    document = {
        "diet": diet,
        "pregnant": pregnant,
        "ranked_by": "iron per serving",
        "foods": [_food_json(f) for f in sources],
        "vitamin_c_partners": [_food_json(f) for f in partners],
        "keep_apart": [_food_json(f) for f in apart],
        "source": CITATION,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _list_text(
    diet: str, pregnant: bool, sources: list[Food], partners: list[Food], apart: list[Food]
) -> str:
    without = " (no liver: pregnancy)" if pregnant else ""
    article = "an" if diet[0] in "aeiou" else "a"
    lines = [f"Iron-rich foods for {article} {diet} diet{without}, most iron per serving first:\n"]
    for food in sources:
        heme = "; heme iron, absorbed best" if food.heme else ""
        line = f"{food.iron_mg:5.1f} mg  {food.name}, {food.serving}{heme}"
        hanging = " " * len(f"{food.iron_mg:5.1f} mg  ")
        lines.append(textwrap.fill(line, WIDTH, subsequent_indent=hanging) + "\n")
    if partners:
        pairs = "; ".join(f"{f.name}, {f.serving}: {f.vitamin_c_mg:g} mg" for f in partners)
        lines.append("\n" + _wrapped(f"Eat plant iron with vitamin C at the same meal: {pairs}."))
    if apart:
        names = "; ".join(dict.fromkeys(f.name for f in apart))
        lines.append(
            _wrapped(
                f"Keep these away from iron-rich meals (tea and coffee at least an hour): {names}."
            )
        )
    if any(f.category == "fortified_cereal" for f in sources):
        lines.append(_wrapped("Fortified cereals: the maker adds the iron; check the label."))
    lines.append(_citation())
    return "".join(lines)


@foods_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help='A food, e.g. "lentils" or "spinach raw".')],
    limit: Annotated[int, typer.Option(help="How many foods to show.")] = 10,
    diet: Annotated[str | None, typer.Option(help=_DIET_HELP)] = None,
    portion: Annotated[
        str | None,
        typer.Option(help='Also show a portion, e.g. "150 g", "2 slices", "1/2 cup".'),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help=_FORMAT_HELP)
    ] = OutputFormat.text,
) -> None:
    """Find foods, spelling and word order forgiven: iron, vitamin C, calcium per 100 g and serving."""
    from rlsiron.diet.search import no_match_error, search_foods
    from rlsiron.errors import RlsironError

    try:
        matches = search_foods(query, limit=limit, diet=diet)
        if not matches:
            raise no_match_error(query, diet=diet)
    except RlsironError as exc:
        _fail(exc)
    portions = _portions(matches, portion) if portion is not None else {}
    if fmt is OutputFormat.json:
        _write(_search_json(query, diet, portion, matches, portions))
    else:
        _write(_search_text(query, portion, matches, portions))


def _portions(matches: tuple[FoodMatch, ...], text: str) -> dict[str, Portion]:
    """The portion for each match that has its measure; the best match must have it."""
    from rlsiron.diet.portions import parse_quantity, portion
    from rlsiron.errors import RlsironError

    try:
        quantity, rest = parse_quantity(text)
        if quantity is None or rest:
            raise RlsironError(
                "is not an amount with a measure", value=text, hint='e.g. "150 g" or "2 slices"'
            )
        found = {matches[0].food.ndb_no: portion(matches[0], quantity)}
    except RlsironError as exc:
        _fail(exc, "--portion")
    for match in matches[1:]:
        try:
            found[match.food.ndb_no] = portion(match, quantity)
        except RlsironError:
            continue  # this food has no such measure: its portion is left out, not guessed
    return found


def _serving(match: FoodMatch) -> tuple[str, float] | None:
    """The serving shown: the curated one, else SR28's first household measure."""
    from rlsiron.diet.sr28 import amount_text, measures

    if match.curated is not None:
        return match.curated.serving, match.curated.serving_g
    own = measures(match.food.ndb_no)
    if not own:
        return None
    first = own[0]
    return f"{amount_text(first.amount)} {first.description} ({first.grams:g} g)", first.grams


def _search_text(
    query: str, portion: str | None, matches: tuple[FoodMatch, ...], portions: dict[str, Portion]
) -> str:
    lines = [_wrapped(f'Foods matching "{query}", best first:'), "\n"]
    for i, match in enumerate(matches, start=1):
        food = match.food
        lines.append(_wrapped(f"{i}. {match.name}", ""))
        if match.curated is not None or match.name != food.description:
            lines.append(_wrapped(f"SR28 {food.ndb_no}: {food.description}", _INDENT))
        else:
            lines.append(_wrapped(f"SR28 {food.ndb_no}, {food.food_group}", _INDENT))
        lines.append(_wrapped(f"per 100 g: {_three(food.per_100g, exact=True)}", _INDENT))
        serving = _serving(match)
        if serving is None:
            lines.append(_wrapped("per serving: SR28 lists no household measure", _INDENT))
        else:
            label, grams = serving
            lines.append(_wrapped(f"per {label}: {_three(food.portion(grams))}", _INDENT))
        if portion is not None:
            found = portions.get(food.ndb_no)
            text = (
                f"per {found.basis}: {_three(food.portion(found.grams))}"
                if found is not None
                else f"per {portion}: not a measure SR28 has for this food"
            )
            lines.append(_wrapped(text, _INDENT))
    lines.append("\n" + _citation())
    return "".join(lines)


def _search_json(
    query: str,
    diet: str | None,
    portion: str | None,
    matches: tuple[FoodMatch, ...],
    portions: dict[str, Portion],
) -> str:
    from rlsiron.diet.sr28 import CITATION

    def serving(match: FoodMatch) -> dict[str, Any] | None:
        found = _serving(match)
        if found is None:
            return None
        label, grams = found
        return {
            "label": label,
            "grams": grams,
            "nutrients": _nutrients_json(match.food.portion(grams)),
        }

    def portion_json(match: FoodMatch) -> dict[str, Any] | None:
        found = portions.get(match.food.ndb_no)
        if found is None:
            return None
        nutrients = _nutrients_json(match.food.portion(found.grams))
        return {"label": found.basis, "grams": round(found.grams, 1), "nutrients": nutrients}

    document = {
        "query": query,
        "diet": diet,
        "portion": portion,
        "matches": [
            {
                "ndb_no": m.food.ndb_no,
                "name": m.name,
                "sr28_description": m.food.description,
                "food_group": m.food.food_group,
                "curated": m.curated is not None,
                "matched": m.matched,
                "similarity": round(m.similarity, 1),
                "tags": sorted(m.food.tags),
                "per_100g": m.food.per_100g.as_dict(),
                "per_serving": serving(m),
                **({"per_portion": portion_json(m)} if portion is not None else {}),
            }
            for m in matches
        ],
        "source": CITATION,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def register(app: typer.Typer) -> None:
    """Adds the diet's commands to the `rlsiron` command."""
    app.add_typer(foods_app, name="foods")
    # ---------------------------------------------------------------------------------------
    # Issue 10, still to come from other authors: `rlsiron meal "1 cup lentils, 1 orange"`
    # (rlsiron.diet.portions.parse_meal + the absorption estimate) and `rlsiron plan-day`
    # (the day planner on data/foods.csv). Register them here, beside `foods`.
    # ---------------------------------------------------------------------------------------
