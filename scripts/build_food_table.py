"""Build the packaged food tables in src/rlsiron/diet/data/ from the raw USDA SR28 files.

Rebuild with `make foods`, or directly:

    python scripts/build_food_table.py [--sr28 DIR] [--selection CSV] [--out-dir DIR]

By default it reads the raw SR28 files in ../shared/data/usda-sr28 (next to the repo), the
curated list in scripts/food_selection.csv and the tag rules in
src/rlsiron/diet/data/food_tags.txt, and overwrites the three packaged tables. The output is
committed; a test rebuilds it into a temporary directory and checks it is byte-identical, so
edit the selection or the tag rules and rerun this script rather than editing a CSV by hand.
The build is deterministic: SR28's own order, exact decimal arithmetic, LF line endings.

SR28 raw format: '^'-separated fields, text fields quoted with '~', latin-1, CRLF lines;
NUT_DATA.txt.gz is gzipped. Values in NUT_DATA are per 100 g edible portion.

Nutrients (NUT_DATA Nutr_No -> column): 208 energy_kcal, 203 protein_g, 291 fibre_g (total
dietary fibre), 303 iron_mg, 401 vitamin_c_mg, 301 calcium_mg, 306 potassium_mg,
305 phosphorus_mg.

sr28_foods.csv, every food of FOOD_DES.txt (8,789), per 100 g:
  ndb_no, description   FOOD_DES NDB_No (5 digits, text) and Long_Desc
  food_group            FD_GROUP FdGrp_Desc of the food's FdGrp_Cd
  common_name           FOOD_DES ComName (other names, often empty), for search
  <nutrients>           NUT_DATA Nutr_Val as SR28 gives it; empty where SR28 has no value
                        (missing is not zero)
  tags                  data/food_tags.txt food rules on group and description, '|'-separated,
                        with the curated selection's adjustments for its foods

sr28_servings.csv, every household measure of WEIGHT.txt (15,438): ndb_no, seq, amount,
measure (Msre_Desc), grams (Gm_Wgt), in WEIGHT.txt's order.

foods.csv, the curated selection (scripts/food_selection.csv), one household serving each:
  ndb_no            selection (5-digit SR28 NDB number, kept as text for its leading zero)
  name              selection: a short friendly name
  sr28_description  FOOD_DES.txt, Long_Desc
  food_group        FD_GROUP.txt, the food's group
  category          selection: food kind (meat, shellfish, legume, dairy, bread, ...)
  heme, liver       whether the food has the tag heme (meat, poultry, fish and shellfish carry
                    heme iron, absorbed far better than plant iron) or liver (very rich in
                    vitamin A: not advised in pregnancy)
  serving           selection amount and measure, with the gram weight: "1 cup (198 g)"
  serving_g         selection amount x WEIGHT.txt Gm_Wgt / Amount of the one row whose Msre_Desc
                    is the selection's measure; or the selection's explicit `grams` for a portion
                    SR28 does not list (3 oz = 85 g), which then needs a `note` saying why
  <nutrients>       NUT_DATA value x serving_g / 100, rounded half up: iron, protein and fibre
                    to 0.1, the others to 1
  tags              as for sr28_foods.csv, plus the per-serving renal flags (high_potassium,
                    high_phosphate) of food_tags.txt applied to the rounded serving values
  diets             food_tags.txt diet rules on the tags: omnivore, pescatarian, vegetarian,
                    vegan ('|'-separated)
  role              selection: iron_source, vitamin_c (a partner that raises non-heme iron
                    absorption), inhibitor (tea, coffee, dairy) or other
  meals             selection: breakfast, lunch, dinner, snack ('|'-separated)

Selection flags (space-separated): "+tag" or "-tag" adjusts a food's tags where its SR28 group
or description misleads (a commercial bread is in the mixed "Baked Products" group); a
"<nutrient>_missing_is_zero" flag (vitamin_c_missing_is_zero, ...) writes 0 for a nutrient SR28
gives no value for and the food has next to none (dark chocolate's vitamin C). Both need a note.

The build fails, naming every problem at once, when the selection names a food, a measure, a
category, a role, a meal, a flag or a tag that does not exist, a curated food is left `mixed`
(its fit for a diet unknown), its tags contradict its category, or it lacks a nutrient.
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

from rlsiron.diet.foods import CSV_COLUMNS, MEALS, ROLES
from rlsiron.diet.sr28 import (
    DECIMALS,
    NUTRIENT_COLUMNS,
    SERVING_COLUMNS,
    SR28_COLUMNS,
    TAG_SEPARATOR,
)
from rlsiron.diet.tags import TagRules, tag_rules

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SR28 = REPO.parent / "shared" / "data" / "usda-sr28"
DEFAULT_SELECTION = REPO / "scripts" / "food_selection.csv"
DEFAULT_OUT_DIR = REPO / "src" / "rlsiron" / "diet" / "data"
FOODS_CSV, SR28_CSV, SERVINGS_CSV = "foods.csv", "sr28_foods.csv", "sr28_servings.csv"

IRON, VITAMIN_C, CALCIUM = "303", "401", "301"
# NUT_DATA nutrient number -> output column, in the output's column order.
NUTRIENTS: Mapping[str, str] = {
    "208": "energy_kcal",
    "203": "protein_g",
    "291": "fibre_g",
    IRON: "iron_mg",
    VITAMIN_C: "vitamin_c_mg",
    CALCIUM: "calcium_mg",
    "306": "potassium_mg",
    "305": "phosphorus_mg",
}
# Per serving, each nutrient to its shown decimals (rlsiron.diet.sr28.DECIMALS): 0.1 or 1.
ROUNDING: Mapping[str, Decimal] = {c: Decimal(1).scaleb(-DECIMALS[c]) for c in NUTRIENTS.values()}
SERVING_GRAMS_STEP = Decimal("0.1")

# Category -> (heme iron?, the tag its foods must carry). Cross-checks the tag rules.
CATEGORIES: Mapping[str, tuple[bool, str | None]] = {
    "organ_meat": (True, None),
    "meat": (True, "meat"),
    "poultry": (True, "poultry"),
    "fish": (True, "fish"),
    "shellfish": (True, "fish"),
    "egg": (False, "egg"),
    "dairy": (False, "dairy"),
    "legume": (False, "plant"),
    "soy": (False, "plant"),
    "nut_seed": (False, "plant"),
    "grain": (False, "plant"),
    "fortified_cereal": (False, "plant"),
    "bread": (False, "plant"),
    "vegetable": (False, "plant"),
    "fruit": (False, "plant"),
    "dried_fruit": (False, "plant"),
    "plant_milk": (False, "plant"),
    "fat_oil": (False, None),
    "snack": (False, None),
    "sweet": (False, None),
    "beverage": (False, None),
}
MIXED = "mixed"
# "vitamin_c_missing_is_zero" -> "vitamin_c_mg": the column named without its unit.
MISSING_IS_ZERO: Mapping[str, str] = {
    f"{column.rsplit('_', 1)[0]}_missing_is_zero": column for column in NUTRIENTS.values()
}
# Columns a curated food may leave empty, with the flag "<nutrient>_missing" and a note, where
# SR28 has no value and the food has some (tempeh's fibre): missing is not zero.
MAY_BE_MISSING: Mapping[str, str] = {"fibre_missing": "fibre_g"}

SELECTION_COLUMNS = (
    "ndb_no",
    "name",
    "category",
    "role",
    "amount",
    "measure",
    "grams",
    "meals",
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


# A serving of more than one reads better plural ("2 cups"); SR28 names its measures singular.
PLURALS = {"cup": "cups", "half": "halves", "fig": "figs", "prune": "prunes", "date": "dates"}


def _serving_label(amount: Decimal, measure: str, grams: Decimal) -> str:
    """ "1/2 cup (90 g)", "2 cups (60 g)", "5 prunes, pitted (47.5 g)"."""
    first, _, rest = measure.partition(" ")
    first, comma = (first[:-1], ",") if first.endswith(",") else (first, "")
    if amount > 1 and first in PLURALS:
        measure = f"{PLURALS[first]}{comma} {rest}".rstrip()
    return f"{_amount_label(amount)} {measure} ({_plain(grams)} g)"


class SelectionError(Exception):
    """The selection does not fit the SR28 data; carries every problem found."""


@dataclass(frozen=True, slots=True)
class Measure:
    """One WEIGHT.txt household measure: `amount` x `description` weighs `grams`."""

    seq: str
    amount: Decimal
    description: str
    grams: Decimal


@dataclass(frozen=True, slots=True)
class Sr28:
    """The slices of SR28 the tables need, keyed by NDB number, in SR28's order."""

    descriptions: Mapping[str, str]
    groups: Mapping[str, str]
    common_names: Mapping[str, str]
    measures: Mapping[str, tuple[Measure, ...]]
    nutrients: Mapping[str, Mapping[str, Decimal]]
    group_names: frozenset[str]


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


def read_sr28(directory: Path, wanted: frozenset[str] | None = None) -> Sr28:
    """Read descriptions, groups, measures and the eight nutrients (all foods by default)."""
    # FD_GROUP.txt: FdGrp_Cd, FdGrp_Desc.
    group_names = {r[0]: r[1] for r in sr28_records(directory / "FD_GROUP.txt")}
    descriptions: dict[str, str] = {}
    groups: dict[str, str] = {}
    common_names: dict[str, str] = {}
    # FOOD_DES.txt: NDB_No, FdGrp_Cd, Long_Desc, Shrt_Desc, ComName, ...
    for r in sr28_records(directory / "FOOD_DES.txt", wanted):
        descriptions[r[0]], groups[r[0]], common_names[r[0]] = r[2], group_names[r[1]], r[4]
    measures: dict[str, list[Measure]] = {}
    # WEIGHT.txt: NDB_No, Seq, Amount, Msre_Desc, Gm_Wgt, Num_Data_Pts, Std_Dev.
    for r in sr28_records(directory / "WEIGHT.txt", wanted):
        measures.setdefault(r[0], []).append(Measure(r[1], Decimal(r[2]), r[3], Decimal(r[4])))
    nutrients: dict[str, dict[str, Decimal]] = {}
    # NUT_DATA.txt: NDB_No, Nutr_No, Nutr_Val, ... (per 100 g edible portion).
    for r in sr28_records(directory / "NUT_DATA.txt.gz", wanted):
        if r[1] in NUTRIENTS:
            nutrients.setdefault(r[0], {})[r[1]] = Decimal(r[2])
    return Sr28(
        descriptions=descriptions,
        groups=groups,
        common_names=common_names,
        measures={k: tuple(v) for k, v in measures.items()},
        nutrients=nutrients,
        group_names=frozenset(group_names.values()),
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


def _serving_grams(row: Mapping[str, str], sr28: Sr28, problems: list[str]) -> Decimal | None:
    """The serving weight: explicit grams, or the amount of the one WEIGHT row of that measure."""
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
    matches = [m for m in available if m.description == row["measure"]]
    if len(matches) > 1:  # "1 cup" and "0.75 cup" of oatmeal: the amount decides
        matches = [m for m in matches if m.amount == amount] or matches
    if len(matches) == 1:
        weight = amount / matches[0].amount * matches[0].grams
        return weight.quantize(SERVING_GRAMS_STEP, rounding=ROUND_HALF_UP)
    listed = "; ".join(f"{_plain(m.amount)} {m.description!r}" for m in available) or "none"
    problem = "is not" if not matches else "matches several rows"
    problems.append(
        f"{where}: measure {row['amount']} {row['measure']!r} {problem} in WEIGHT.txt "
        f"(available: {listed})"
    )
    return None


def _per_serving(per_100g: Decimal, grams: Decimal, column: str) -> Decimal:
    return (per_100g * grams / 100).quantize(ROUNDING[column], rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """The selection's tag changes for one food: tags to add and to remove."""

    add: frozenset[str]
    remove: frozenset[str]

    def apply(self, tags: frozenset[str]) -> frozenset[str]:
        return (tags - self.remove) | self.add


def _flags(
    row: Mapping[str, str], rules: TagRules, where: str, problems: list[str]
) -> tuple[Adjustment, frozenset[str], frozenset[str]]:
    """Split the flags: a tag adjustment, the missing-is-zero and the may-be-missing columns."""
    add: set[str] = set()
    remove: set[str] = set()
    zero: set[str] = set()
    empty: set[str] = set()
    for flag in row["flags"].split():
        if flag[:1] in "+-" and flag[1:] in rules.food_tag_names:
            (add if flag[0] == "+" else remove).add(flag[1:])
        elif flag in MISSING_IS_ZERO:
            zero.add(MISSING_IS_ZERO[flag])
        elif flag in MAY_BE_MISSING:
            empty.add(MAY_BE_MISSING[flag])
        else:
            problems.append(f"{where}: unknown flag {flag!r}")
    if row["flags"] and not row["note"]:
        problems.append(f"{where}: flags {row['flags']!r} need a note saying why")
    return Adjustment(frozenset(add), frozenset(remove)), frozenset(zero), frozenset(empty)


def _meals(row: Mapping[str, str], where: str, problems: list[str]) -> tuple[str, ...]:
    given = row["meals"].split()
    unknown = [meal for meal in given if meal not in MEALS]
    if unknown or not given:
        problems.append(f"{where}: meals must be some of {', '.join(MEALS)}, got {row['meals']!r}")
    return tuple(meal for meal in MEALS if meal in given)


def build_rows(
    selection: Sequence[Mapping[str, str]], sr28: Sr28, rules: TagRules
) -> tuple[list[dict[str, str]], dict[str, Adjustment]]:
    """The curated rows and their tag adjustments; raise SelectionError listing every problem."""
    problems: list[str] = []
    rows: list[dict[str, str]] = []
    adjustments: dict[str, Adjustment] = {}
    seen: set[str] = set()
    for row in selection:
        ndb, where = row["ndb_no"], f"{row['ndb_no']} {row['name']!r}"
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
        meals = _meals(row, where, problems)
        adjustment, zero, empty = _flags(row, rules, where, problems)
        adjustments[ndb] = adjustment
        grams = _serving_grams(row, sr28, problems)
        values = dict(sr28.nutrients.get(ndb, {}))
        for column in sorted(zero):
            number = next(n for n, c in NUTRIENTS.items() if c == column)
            if number in values:
                problems.append(f"{where}: {column} missing_is_zero but SR28 has a value")
            values[number] = Decimal(0)
        for column in sorted(empty):
            if any(c == column and n in values for n, c in NUTRIENTS.items()):
                problems.append(f"{where}: {column} flagged missing but SR28 has a value")
        missing = [n for n, c in NUTRIENTS.items() if n not in values and c not in empty]
        if missing:
            problems.append(f"{where}: no value in NUT_DATA for nutrients {missing}")
        tags = _curated_tags(row, sr28, rules, adjustment, where, problems)
        if grams is None or missing:
            continue
        amounts = {
            c: _per_serving(values[n], grams, c) if n in values else None
            for n, c in NUTRIENTS.items()
        }
        tags |= rules.serving_tags({c: None if v is None else float(v) for c, v in amounts.items()})
        rows.append(
            {
                "ndb_no": ndb,
                "name": row["name"],
                "sr28_description": sr28.descriptions[ndb],
                "food_group": sr28.groups[ndb],
                "category": row["category"],
                "heme": str("heme" in tags).lower(),
                "liver": str("liver" in tags).lower(),
                "serving": _serving_label(Decimal(row["amount"]), row["measure"], grams),
                "serving_g": _plain(grams),
                **{c: "" if v is None else str(v) for c, v in amounts.items()},
                "tags": TAG_SEPARATOR.join(sorted(tags)),
                "diets": TAG_SEPARATOR.join(rules.diets_for(tags)),
                "role": row["role"],
                "meals": TAG_SEPARATOR.join(meals),
            }
        )
    if problems:
        raise SelectionError("\n".join(problems))
    return rows, adjustments


def _curated_tags(
    row: Mapping[str, str],
    sr28: Sr28,
    rules: TagRules,
    adjustment: Adjustment,
    where: str,
    problems: list[str],
) -> frozenset[str]:
    """The food's tags after the selection's adjustment, checked against its category."""
    ndb = row["ndb_no"]
    derived = rules.food_tags(sr28.descriptions[ndb], sr28.groups[ndb])
    stale = sorted((adjustment.add & derived) | (adjustment.remove - derived))
    if stale:
        problems.append(f"{where}: flags change nothing for tags {stale}: drop them")
    tags = adjustment.apply(derived)
    heme, required = CATEGORIES[row["category"]]
    if required is not None and required not in tags:
        problems.append(
            f"{where}: category {row['category']} but no tag {required!r}: {sorted(tags)}"
        )
    if ("heme" in tags) != heme:
        problems.append(
            f"{where}: category {row['category']} and tags {sorted(tags)} disagree on heme"
        )
    if MIXED in tags:
        problems.append(
            f"{where}: tagged {MIXED!r} (recipe unknown): review it and adjust its tags with a note"
        )
    return tags


def sr28_rows(
    sr28: Sr28, rules: TagRules, adjustments: Mapping[str, Adjustment]
) -> list[dict[str, str]]:
    """Every SR28 food per 100 g, tagged; a curated food carries the selection's adjustment."""
    rows = []
    for ndb, description in sr28.descriptions.items():
        values = sr28.nutrients.get(ndb, {})
        tags = rules.food_tags(description, sr28.groups[ndb])
        if ndb in adjustments:
            tags = adjustments[ndb].apply(tags)
        rows.append(
            {
                "ndb_no": ndb,
                "description": description,
                "food_group": sr28.groups[ndb],
                "common_name": sr28.common_names[ndb],
                **{c: _plain(values[n]) if n in values else "" for n, c in NUTRIENTS.items()},
                "tags": TAG_SEPARATOR.join(sorted(tags)),
            }
        )
    return rows


def serving_rows(sr28: Sr28) -> list[dict[str, str]]:
    """WEIGHT.txt as it is: one row per household measure."""
    return [
        {
            "ndb_no": ndb,
            "seq": m.seq,
            "amount": _plain(m.amount),
            "measure": m.description,
            "grams": _plain(m.grams),
        }
        for ndb, found in sr28.measures.items()
        for m in found
    ]


def check_rules(rules: TagRules, sr28: Sr28) -> None:
    """A tag rule naming a food group SR28 does not have would silently match nothing."""
    unknown = sorted(
        {group for rule in rules.food for group in rule.groups or ()} - sr28.group_names
    )
    if unknown:
        raise SelectionError(f"food_tags.txt names food groups not in FD_GROUP.txt: {unknown}")


def write_table(rows: Sequence[Mapping[str, str]], columns: Sequence[str], out: Path) -> None:
    """Write UTF-8 CSV with LF endings so the committed file diffs cleanly."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build(sr28_dir: Path, selection_path: Path, out_dir: Path) -> tuple[int, int, int]:
    """Run the whole build; return how many curated foods, SR28 foods and measures it wrote.

    Nothing is written unless every table builds.
    """
    if not sr28_dir.is_dir():
        raise SelectionError(f"SR28 directory not found: {sr28_dir}")
    if tuple(NUTRIENTS.values()) != NUTRIENT_COLUMNS:
        raise SelectionError("NUTRIENTS must map SR28 numbers to rlsiron's nutrient columns")
    rules = tag_rules()
    selection = read_selection(selection_path)
    sr28 = read_sr28(sr28_dir)
    check_rules(rules, sr28)
    curated, adjustments = build_rows(selection, sr28, rules)
    everything = sr28_rows(sr28, rules, adjustments)
    servings = serving_rows(sr28)
    write_table(curated, CSV_COLUMNS, out_dir / FOODS_CSV)
    write_table(everything, SR28_COLUMNS, out_dir / SR28_CSV)
    write_table(servings, SERVING_COLUMNS, out_dir / SERVINGS_CSV)
    return len(curated), len(everything), len(servings)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry: exit status 1 with every problem listed when the build fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sr28", type=Path, default=DEFAULT_SR28, help="raw SR28 directory")
    parser.add_argument("--selection", type=Path, default=DEFAULT_SELECTION)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    try:
        curated, foods, measures = build(args.sr28, args.selection, args.out_dir)
    except SelectionError as error:
        print(f"food tables not built:\n{error}", file=sys.stderr)
        return 1
    print(
        f"wrote {curated} curated foods, {foods} SR28 foods and {measures} household measures "
        f"to {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
