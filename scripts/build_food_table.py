"""Build the packaged food table, src/rlsiron/diet/data/foods.csv, from USDA SR28.

Rebuild with `make foods`, or directly:

    python scripts/build_food_table.py [--sr28 DIR] [--selection CSV] [--out CSV]

By default it reads the raw SR28 files in ../shared/data/usda-sr28 (next to the repo), the
curated list in scripts/food_selection.csv, and overwrites the packaged CSV. The output is
committed; a test rebuilds it into a temporary directory and checks it is byte-identical, so
edit the selection and rerun this script rather than editing the CSV by hand.

SR28 raw format: '^'-separated fields, text fields quoted with '~', latin-1, CRLF lines;
NUT_DATA.txt.gz is gzipped. Values in NUT_DATA are per 100 g edible portion.

Where each output column comes from:
  ndb_no            selection (5-digit SR28 NDB number, kept as text for its leading zero)
  name              selection: a short friendly name
  sr28_description  FOOD_DES.txt, Long_Desc
  category          selection: food kind (meat, shellfish, legume, dairy, ...)
  heme              derived from category: meat, poultry, fish, shellfish and organ meat carry
                    heme iron, which is absorbed far better than plant (non-heme) iron
  liver             selection flag `liver`: very rich in vitamin A, not advised in pregnancy
  serving           selection amount and measure, with the gram weight: "1 cup (198 g)"
  serving_g         WEIGHT.txt Gm_Wgt of the row whose Amount and Msre_Desc match the
                    selection; or the selection's explicit `grams` for a standard portion that
                    SR28 does not list (3 oz = 85 g), which then needs a `note` saying why
  iron_mg           NUT_DATA nutrient 303 x serving_g / 100, to 0.1 mg
  vitamin_c_mg      NUT_DATA nutrient 401 x serving_g / 100, to 1 mg
  calcium_mg        NUT_DATA nutrient 301 x serving_g / 100, to 1 mg
  diets             derived from category: animal flesh suits omnivores (fish and shellfish also
                    pescatarians), eggs and dairy suit vegetarians, the rest suits vegans unless
                    flagged `not_vegan`; '|'-separated
  role              selection: iron_source, vitamin_c (a partner that raises non-heme iron
                    absorption) or inhibitor (tea, coffee, dairy: keep away from iron-rich meals)

The build fails, naming every problem at once, when the selection names a food, a measure, a
category, a role or a flag that does not exist, or a food lacks one of the three nutrients.
The one exception is flag `vitamin_c_missing_is_zero`, for a food SR28 gives no vitamin C
value for and that has next to none (dark chocolate); the note must say so.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from rlsiron.diet.foods import CSV_COLUMNS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SR28 = REPO.parent / "shared" / "data" / "usda-sr28"
DEFAULT_SELECTION = REPO / "scripts" / "food_selection.csv"
DEFAULT_OUT = REPO / "src" / "rlsiron" / "diet" / "data" / "foods.csv"

IRON, VITAMIN_C, CALCIUM = "303", "401", "301"
NUTRIENTS = (IRON, VITAMIN_C, CALCIUM)
# Iron per serving is often under 1 mg, so it keeps a decimal; the others are whole mg.
ROUNDING = {IRON: Decimal("0.1"), VITAMIN_C: Decimal("1"), CALCIUM: Decimal("1")}

OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN = "omnivore", "pescatarian", "vegetarian", "vegan"
# Category -> (heme iron?, diets it suits). The one place that says what is an animal food.
CATEGORIES: Mapping[str, tuple[bool, tuple[str, ...]]] = {
    "organ_meat": (True, (OMNIVORE,)),
    "meat": (True, (OMNIVORE,)),
    "poultry": (True, (OMNIVORE,)),
    "fish": (True, (OMNIVORE, PESCATARIAN)),
    "shellfish": (True, (OMNIVORE, PESCATARIAN)),
    "egg": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN)),
    "dairy": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN)),
    "legume": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "soy": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "nut_seed": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "grain": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "fortified_cereal": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "vegetable": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "fruit": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "dried_fruit": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "sweet": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
    "beverage": (False, (OMNIVORE, PESCATARIAN, VEGETARIAN, VEGAN)),
}
ROLES = frozenset({"iron_source", "vitamin_c", "inhibitor"})
LIVER, NOT_VEGAN, VITC_MISSING_IS_ZERO = "liver", "not_vegan", "vitamin_c_missing_is_zero"
FLAGS = frozenset({LIVER, NOT_VEGAN, VITC_MISSING_IS_ZERO})

SELECTION_COLUMNS = (
    "ndb_no",
    "name",
    "category",
    "role",
    "amount",
    "measure",
    "grams",
    "flags",
    "note",
)
# Household fractions read better than decimals in a serving label ("1/2 cup").
FRACTIONS = {
    Decimal("0.25"): "1/4",
    Decimal("0.333"): "1/3",
    Decimal("0.5"): "1/2",
    Decimal("0.667"): "2/3",
    Decimal("0.75"): "3/4",
}


class SelectionError(Exception):
    """The selection does not fit the SR28 data; carries every problem found."""


@dataclass(frozen=True, slots=True)
class Measure:
    """One WEIGHT.txt household measure: `amount` x `description` weighs `grams`."""

    amount: Decimal
    description: str
    grams: Decimal


@dataclass(frozen=True, slots=True)
class Sr28:
    """The slices of SR28 the table needs, keyed by NDB number."""

    descriptions: Mapping[str, str]
    measures: Mapping[str, tuple[Measure, ...]]
    nutrients: Mapping[str, Mapping[str, Decimal]]


def sr28_records(path: Path, ndb: frozenset[str] | None = None) -> Iterator[list[str]]:
    """Yield the fields of each record of an SR28 file, '~' quotes removed.

    With `ndb`, only records whose first field is one of those NDB numbers; checking that
    before splitting the whole line keeps NUT_DATA's 679,045 records quick to scan.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    # newline="" keeps the CRLF so it can be stripped exactly; text is latin-1 ('µ' in NUTR_DEF).
    with opener(path, "rt", encoding="latin-1", newline="") as lines:
        for line in lines:
            record = line.rstrip("\r\n")
            if not record:
                continue
            if ndb is not None and _unquote(record.split("^", 1)[0]) not in ndb:
                continue
            yield [_unquote(field) for field in record.split("^")]


def _unquote(field: str) -> str:
    if len(field) >= 2 and field[0] == field[-1] == "~":
        return field[1:-1]
    return field


def read_sr28(directory: Path, wanted: frozenset[str]) -> Sr28:
    """Read descriptions, measures and the three nutrients for the `wanted` NDB numbers."""
    # FOOD_DES.txt: NDB_No, FdGrp_Cd, Long_Desc, Shrt_Desc, ...
    descriptions = {r[0]: r[2] for r in sr28_records(directory / "FOOD_DES.txt", wanted)}
    measures: dict[str, list[Measure]] = {}
    # WEIGHT.txt: NDB_No, Seq, Amount, Msre_Desc, Gm_Wgt, Num_Data_Pts, Std_Dev.
    for r in sr28_records(directory / "WEIGHT.txt", wanted):
        measures.setdefault(r[0], []).append(Measure(Decimal(r[2]), r[3], Decimal(r[4])))
    nutrients: dict[str, dict[str, Decimal]] = {}
    # NUT_DATA.txt: NDB_No, Nutr_No, Nutr_Val, ... (per 100 g edible portion).
    for r in sr28_records(directory / "NUT_DATA.txt.gz", wanted):
        if r[1] in NUTRIENTS:
            nutrients.setdefault(r[0], {})[r[1]] = Decimal(r[2])
    return Sr28(
        descriptions=descriptions,
        measures={k: tuple(v) for k, v in measures.items()},
        nutrients=nutrients,
    )


def read_selection(path: Path) -> list[dict[str, str]]:
    """The curated rows, as written; the header must be exactly SELECTION_COLUMNS."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != SELECTION_COLUMNS:
            raise SelectionError(f"{path}: header must be {','.join(SELECTION_COLUMNS)}")
        return list(reader)


def _plain(number: Decimal) -> str:
    """'85', '28.35', '0.5': no exponent, no trailing zeros."""
    return format(number.normalize(), "f")


def _positive(text: str, what: str, where: str, problems: list[str]) -> Decimal | None:
    """Parse a selection number; record a problem instead of stopping at the first one."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal(0)
    if number > 0:
        return number
    problems.append(f"{where}: {what} must be a positive number, got {text!r}")
    return None


def _amount_label(amount: Decimal) -> str:
    return FRACTIONS.get(amount, _plain(amount))


def _per_serving(per_100g: Decimal, grams: Decimal, nutrient: str) -> str:
    value = (per_100g * grams / 100).quantize(ROUNDING[nutrient], rounding=ROUND_HALF_UP)
    return str(value)


def _serving_grams(row: Mapping[str, str], sr28: Sr28, problems: list[str]) -> Decimal | None:
    """The serving weight: explicit grams, or the one WEIGHT row matching amount and measure."""
    where = f"{row['ndb_no']} {row['name']!r}"
    amount = _positive(row["amount"], "amount", where, problems)
    if row["grams"]:
        if not row["note"]:
            problems.append(f"{where}: an explicit gram weight needs a note saying why")
        grams = _positive(row["grams"], "grams", where, problems)
        return grams if amount is not None else None
    if amount is None:
        return None
    available = sr28.measures.get(row["ndb_no"], ())
    matches = [m for m in available if m.description == row["measure"] and m.amount == amount]
    if len(matches) == 1:
        return matches[0].grams
    listed = "; ".join(f"{_plain(m.amount)} {m.description!r}" for m in available) or "none"
    problem = "is not" if not matches else "matches several rows"
    problems.append(
        f"{where}: measure {row['amount']} {row['measure']!r} {problem} in WEIGHT.txt "
        f"(available: {listed})"
    )
    return None


def build_rows(selection: Sequence[Mapping[str, str]], sr28: Sr28) -> list[dict[str, str]]:
    """Join the selection with SR28; raise SelectionError listing every problem."""
    problems: list[str] = []
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for row in selection:
        ndb, where = row["ndb_no"], f"{row['ndb_no']} {row['name']!r}"
        flags = frozenset(row["flags"].split())
        if ndb in seen:
            problems.append(f"{where}: listed twice")
        seen.add(ndb)
        if ndb not in sr28.descriptions:
            problems.append(f"{where}: not in FOOD_DES.txt")
            continue
        if row["category"] not in CATEGORIES:
            problems.append(f"{where}: unknown category {row['category']!r}")
            continue
        if row["role"] not in ROLES:
            problems.append(f"{where}: unknown role {row['role']!r}")
        if flags - FLAGS:
            problems.append(f"{where}: unknown flags {sorted(flags - FLAGS)}")
        grams = _serving_grams(row, sr28, problems)
        values = dict(sr28.nutrients.get(ndb, {}))
        if VITC_MISSING_IS_ZERO in flags:
            if VITAMIN_C in values:
                problems.append(f"{where}: flag {VITC_MISSING_IS_ZERO} but SR28 has a value")
            values[VITAMIN_C] = Decimal(0)
        missing = [n for n in NUTRIENTS if n not in values]
        if missing:
            problems.append(f"{where}: no value in NUT_DATA for nutrients {missing}")
        if grams is None or missing:
            continue
        heme, diets = CATEGORIES[row["category"]]
        if NOT_VEGAN in flags:
            diets = tuple(d for d in diets if d != VEGAN)
        rows.append(
            {
                "ndb_no": ndb,
                "name": row["name"],
                "sr28_description": sr28.descriptions[ndb],
                "category": row["category"],
                "heme": str(heme).lower(),
                "liver": str(LIVER in flags).lower(),
                "serving": f"{_amount_label(Decimal(row['amount']))} {row['measure']} "
                f"({_plain(grams)} g)",
                "serving_g": _plain(grams),
                "iron_mg": _per_serving(values[IRON], grams, IRON),
                "vitamin_c_mg": _per_serving(values[VITAMIN_C], grams, VITAMIN_C),
                "calcium_mg": _per_serving(values[CALCIUM], grams, CALCIUM),
                "diets": "|".join(diets),
                "role": row["role"],
            }
        )
    if problems:
        raise SelectionError("\n".join(problems))
    return rows


def write_table(rows: Sequence[Mapping[str, str]], out: Path) -> None:
    """Write UTF-8 CSV with LF endings so the committed file diffs cleanly."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build(sr28_dir: Path, selection_path: Path, out: Path) -> int:
    """Run the whole build; return the number of foods written."""
    if not sr28_dir.is_dir():
        raise SelectionError(f"SR28 directory not found: {sr28_dir}")
    selection = read_selection(selection_path)
    sr28 = read_sr28(sr28_dir, frozenset(row["ndb_no"] for row in selection))
    rows = build_rows(selection, sr28)
    write_table(rows, out)
    return len(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry: exit status 1 with every problem listed when the build fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sr28", type=Path, default=DEFAULT_SR28, help="raw SR28 directory")
    parser.add_argument("--selection", type=Path, default=DEFAULT_SELECTION)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        count = build(args.sr28, args.selection, args.out)
    except SelectionError as error:
        print(f"food table not built:\n{error}", file=sys.stderr)
        return 1
    print(f"wrote {count} foods to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
