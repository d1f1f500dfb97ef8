"""A clinical number lives in one data file with its source, never as a literal in code.

Every number of the clinical tables (thresholds, numbers, haemoglobin cut-offs, RDA, IRLS
bands, assay equivalents) is collected; a numeric literal in the package's Python with one
of those values fails, unless it is listed below with the non-clinical reason it is there
(days in a week, a percentage's ceiling, an input bound). The list is short and reviewable:
a new entry has to say why the number is not clinical.
"""

from __future__ import annotations

import ast
from pathlib import Path

import rlsiron

SRC = Path(rlsiron.__file__).parent
DATA = SRC / "core" / "knowledge" / "data"
CLINICAL_TABLES = (
    "thresholds.txt",
    "numbers.txt",
    "hb_cutoffs.txt",
    "rda.txt",
    "irls_bands.txt",
    "assay_equivalents.txt",
)
# Arithmetic and indexing: these carry no clinical meaning anywhere.
UNIVERSAL = {0, 1, 2, -1}

ALLOWED: dict[tuple[str, float], str] = {
    ("cli.py", 3): "an option, its number and its unit are three words",
    ("core/assessment/anemia.py", 12): "months in a year",
    ("core/assessment/monitoring.py", 12): "months in a year (calendar arithmetic)",
    ("core/assessment/monitoring.py", 7): "days in a week",
    ("core/assessment/symptoms.py", 7): "days in a week",
    ("core/models.py", 7): "nights in a week (input bound)",
    ("core/models.py", 10): "the diary's 0-10 scales (input bound)",
    ("core/models.py", 12): "months in a year",
    ("core/models.py", 45): "the longest pregnancy in weeks (input bound)",
    ("core/models.py", 59): "the last month before 5 years (input bound of age_months)",
    ("core/models.py", 200): "the longest text accepted in a field (input bound)",
    ("core/knowledge/vocabulary.py", 3): "how many close spellings difflib returns",
    ("core/knowledge/vocabulary.py", 6): "shortest word checked for misspellings",
    ("core/labs/analytes.py", 4): "shortest name matched inside a longer one",
    ("core/labs/analytes.py", 10): "a LOINC check digit is modulo 10",
    ("core/labs/analytes.py", 100): "a percentage cannot exceed 100",
    ("core/labs/panel.py", 100): "percent",
    ("core/labs/panel.py", 4): "decimals kept in the JSON",
    ("core/labs/units.py", 100): "percent per fraction",
    ("core/rules/findings.py", 4): "decimals kept in the JSON evidence",
    ("core/validation.py", 12): "months in a year (age from a birth date)",
    ("io/detect.py", 20): "how many lines format detection looks at",
    ("io/preview.py", 10): "how many skipped test names the import preview lists",
    ("io/merge.py", 6): "decimals at which two imported values count as the same",
    ("web/standing.py", 12): "how many panel days the decision replay shows",
    ("io/cdshooks/trust.py", 30): "seconds: clock skew allowed, and the JWKS refetch interval",
    ("io/cdshooks/trust.py", 300): "seconds: a CDS client's token lives at most 5 minutes",
    ("web/logs.py", 24): "the IPv4 prefix length logged for the client (/24)",
    ("diet/absorption.py", 100): "percent per fraction (the table's % rows, and % of iron eaten)",
    ("diet/foods.py", 5): "how many vitamin C foods a list shows",
    ("cli_screen.py", 5): "how many reject reasons the screening summary lists",
    ("screen/explain.py", 200): "people per task sent to a worker process",
    ("screen/labs.py", 3): "a regular-expression group number (the fraction)",
    ("screen/labs.py", 4): "a regular-expression group number (a fraction without integer part)",
    ("screen/labs.py", 5): "a regular-expression group number (the exponent)",
    ("screen/labs.py", 10): "the base of a decimal exponent",
    ("screen/labs.py", 100): "a percentage cannot exceed 100",
    ("screen/labs.py", 9): "the end of the range of printed precisions compared (up to 8 decimals)",
    ("screen/values.py", 100): "percent",
    ("diet/foods.py", 8): "how many iron-rich foods a list shows",
    ("diet/sr28.py", 100): "SR28 gives every nutrient per 100 g of food",
    ("diet/sr28.py", 8): "eighths: the finest fraction a household measure is written in",
    ("diet/portions.py", 1000): "grams in a kilogram, millilitres in a litre",
    ("diet/search.py", 4): "shortest word the food search spell-corrects or folds",
    ("diet/search.py", 5): "how many 'did you mean' foods an unknown food suggests",
    ("diet/tags.py", 3): "a per-serving cut-off cell has three words: column > number",
    ("cli_diet.py", 10): "how many foods `rlsiron foods` lists by default",
    ("report/terminal.py", 100): "the widest terminal report, in columns",
    ("screen/synthetic.py", 100): "percent (serum iron = TSAT % x TIBC / 100)",
    ("screen/synthetic.py", 10): "printed decimals: powers of ten",
}


def clinical_numbers() -> set[float]:
    numbers: set[float] = set()
    for name in CLINICAL_TABLES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("#"):
                continue
            for cell in line.split("|"):
                try:
                    numbers.add(float(cell.strip()))
                except ValueError:
                    continue
    return numbers


def literals() -> list[tuple[str, int, float]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                found.append((str(path.relative_to(SRC)), node.lineno, float(node.value)))
    return found


def test_the_tables_hold_the_numbers_this_test_looks_for() -> None:
    # The check below must be able to fail: the familiar cut-offs are in the set.
    assert {45.0, 75.0, 20.0, 300.0, 15.0, 0.7} <= clinical_numbers()


def test_no_clinical_number_is_written_in_code() -> None:
    clinical = clinical_numbers() - UNIVERSAL
    offending = [
        f"{file}:{line}: {value:g}"
        for file, line, value in literals()
        if value in clinical and (file, value) not in ALLOWED
    ]
    assert not offending, "clinical numbers belong in the data files: " + ", ".join(offending)


def test_every_allowance_is_still_needed() -> None:
    used = {(file, value) for file, _, value in literals()}
    stale = [f"{file}: {value:g}" for file, value in ALLOWED if (file, float(value)) not in used]
    assert not stale, f"allowances no code needs any more: {stale}"
