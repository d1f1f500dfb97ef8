"""`rlsiron foods` as a user runs it: the best sources for a diet, the search, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from rlsiron import cli

WIDTH = 80
CITATION = (
    "U.S. Department of Agriculture, Agricultural Research Service. USDA National Nutrient "
    "Database for Standard Reference, Release 28 (2016)"
)
runner = CliRunner()


def run(args: Sequence[str]) -> Result:
    return runner.invoke(cli.app, list(args), env={"COLUMNS": str(WIDTH)})


def succeeded(result: Result) -> str:
    assert result.exception is None, result.exception
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def bad_input(result: Result) -> str:
    """Exit 2, one message on stderr, nothing on stdout, no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("rlsiron: "), result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def as_json(result: Result) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(succeeded(result))
    return document


def test_the_best_vegetarian_sources_with_vitamin_c_partners() -> None:
    out = succeeded(run(["foods", "--diet", "vegetarian", "--top", "15"]))
    lines = out.splitlines()
    assert lines[0] == "Iron-rich foods for a vegetarian diet, most iron per serving first:"
    food_lines = [line for line in lines if line[:9].strip().endswith("mg")]
    assert len(food_lines) == 15
    iron = [float(line.split()[0]) for line in food_lines]
    assert iron == sorted(iron, reverse=True)
    text = flat(out)
    assert "Lentils, boiled, 1 cup (198 g)" in text
    for meat in ("beef", "chicken", "liver", "oyster", "salmon", "sardine", "tuna"):
        assert meat not in text.lower()
    assert "Eat plant iron with vitamin C at the same meal: Red bell pepper, raw" in text
    assert "Black tea, brewed" in text  # what to keep apart
    assert CITATION in text
    assert all(len(line) <= WIDTH for line in lines)


def test_omnivores_see_heme_sources_and_pregnancy_leaves_out_liver() -> None:
    text = flat(succeeded(run(["foods", "--top", "8"])))
    assert "Chicken liver, simmered" in text and "heme iron, absorbed best" in text
    pregnant = flat(succeeded(run(["foods", "--top", "8", "--pregnant"])))
    assert "liver" not in pregnant.lower().replace("(no liver: pregnancy)", "")


def test_the_list_as_json() -> None:
    document = as_json(run(["foods", "--diet", "vegan", "--top", "5", "--format", "json"]))
    assert document["source"] == CITATION
    assert document["diet"] == "vegan" and len(document["foods"]) == 5
    for food in document["foods"] + document["vitamin_c_partners"]:
        assert "vegan" in food["diets"]
        assert set(food["per_serving"]) >= {"iron_mg", "vitamin_c_mg", "calcium_mg", "energy_kcal"}
    iron = [food["per_serving"]["iron_mg"] for food in document["foods"]]
    assert iron == sorted(iron, reverse=True)


def test_search_lentils_per_100_g_and_per_serving() -> None:
    out = succeeded(run(["foods", "search", "lentils"]))
    lines = out.splitlines()
    assert lines[2] == "1. Lentils, boiled"
    text = flat(out)
    assert "per 100 g: iron 3.33 mg, vitamin C 1.5 mg, calcium 19 mg" in text
    assert "per 1 cup (198 g): iron 6.6 mg, vitamin C 3 mg, calcium 38 mg" in text
    assert CITATION in text
    assert all(len(line) <= WIDTH for line in lines)


def test_search_as_json_has_nutrients_per_100_g_and_per_serving() -> None:
    document = as_json(run(["foods", "search", "spinach raw", "--format", "json", "--limit", "3"]))
    assert document["source"] == CITATION and len(document["matches"]) == 3
    spinach = document["matches"][0]
    assert (spinach["ndb_no"], spinach["name"]) == ("11457", "Spinach, raw")
    assert spinach["per_100g"]["iron_mg"] == 2.71
    assert spinach["per_100g"]["vitamin_c_mg"] == 28.1
    assert spinach["per_serving"] == {
        "label": "2 cups (60 g)",
        "grams": 60.0,
        "nutrients": {
            "energy_kcal": 14.0,
            "protein_g": 1.7,
            "fibre_g": 1.3,
            "iron_mg": 1.6,
            "vitamin_c_mg": 17.0,
            "calcium_mg": 59.0,
            "potassium_mg": 335.0,
            "phosphorus_mg": 29.0,
        },
    }


def test_search_with_a_portion() -> None:
    document = as_json(
        run(["foods", "search", "lentils", "--portion", "150 g", "--format", "json"])
    )
    first = document["matches"][0]["per_portion"]
    assert first["grams"] == 150 and first["nutrients"]["iron_mg"] == 5.0
    text = flat(succeeded(run(["foods", "search", "cooked lentils", "--portion", "1/2 cup"])))
    assert "per 1/2 cup (99 g, SR28): iron 3.3 mg" in text


def test_an_unknown_food_suggests_real_ones() -> None:
    message = bad_input(run(["foods", "search", "xyzzy"]))
    assert message.startswith("rlsiron: food: no food found with every word of this in its name")
    assert "received 'xyzzy'; did you mean" in message


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["foods", "--diet", "carnivore"], "rlsiron: --diet: unknown diet; received 'carnivore'"),
        (["foods", "search", "lentils", "--diet", "keto"], "--diet: unknown diet"),
        (["foods", "--top", "0"], "--top: must be 1 or more"),
        (["foods", "search", "lentils", "--limit", "0"], "--limit: limit must be 1 or more"),
        (
            ["foods", "search", "lentils", "--portion", "2 slices"],
            "--portion: Lentils, boiled has no measure 'slices' in SR28; received '2 slices'; "
            "accepted: cup, tbsp, g, kg, oz, lb",
        ),
        (["foods", "search", "lentils", "--portion", "5 kg"], "is more than 2 kg"),
        (["foods", "search", "lentils", "--portion", "0 g"], "--portion: the amount must be"),
        (["foods", "search", "lentils", "--portion", "lots"], "--portion: is not an amount"),
        (["foods", "search", "beef", "--diet", "vegan"], "food: no vegan food found"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(args: list[str], fragment: str) -> None:
    assert fragment in bad_input(run(args))


def test_a_real_process_exits_2_without_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rlsiron", "foods", "search", "unicorn steak"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("rlsiron: food: ") and "Traceback" not in done.stderr


def test_the_cli_start_imports_no_diet_module() -> None:
    code = (
        "import sys, rlsiron.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('rlsiron.diet', 'rapidfuzz', "
        "'numpy'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
