"""Test names as real lab reports print them, look-alike tests, and what "did you mean" may say.

Run as a script to measure how many of the real printed names below a catalogue reads:

    .venv/bin/python -m tests.core.test_lab_names [path/to/an/analytes.py]

(without a path, the installed catalogue; with one, e.g. an older analytes.py, that file).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.knowledge.table import load_table
from rlsiron.core.labs.analytes import (
    ANALYTE_COLUMNS,
    ANALYTES,
    LOOKALIKE_COLUMNS,
    LOOKALIKE_FILE,
    NAME_COLUMNS,
    NAME_FILE,
    Catalogue,
    lookalikes,
    read_catalogue,
    read_lookalikes,
    resolve_test,
)
from rlsiron.errors import LookalikeTestError, RlsironError, UnknownTestError
from rlsiron.pipe_table import DataFileError, Row, parse_table

SHARED_LOINC = Path(__file__).resolve().parents[3] / "shared" / "data" / "loinc"

# --- real printed names ------------------------------------------------------------------------

# The review's examples, each with the test it must be read as.
REVIEW_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Iron, Total", "iron"),  # Quest
    ("Iron Bind.Cap.(TIBC)", "tibc"),  # LabCorp
    ("% SATURATION, IRON", "tsat"),  # Epic MyChart
    ("Serum ferritin level", "ferritin"),  # NHS (UK)
    ("IRON BINDING CAPACITY (TIBC)", "tibc"),
    ("IRON, TOTAL", "iron"),
    ("% SATURATION", "tsat"),
    ("FERRITIN", "ferritin"),
    ("Iron Saturation", "tsat"),
    ("Transferrin Saturation", "tsat"),
    ("UIBC", "uibc"),
    ("HGB", "hemoglobin"),
    ("Hemoglobin", "hemoglobin"),
    ("Haemoglobin", "hemoglobin"),
    ("Creatinine Level", "creatinine"),  # Epic, MediKeep sample
    ("eGFR", "egfr"),
    ("EGFR NON-AFR. AMERICAN", "egfr"),
    ("eGFR If NonAfricn Am", "egfr"),
    ("Vitamin B12", "b12"),
    ("Folate, Serum", "folate"),
    ("Vitamin D, 25-Hydroxy", "vitamin_d"),
    ("C-Reactive Protein, Quant", "crp"),
    ("Magnesium, Serum", "magnesium"),
    ("Sat%", "tsat"),
    ("Ferritin (S)", "ferritin"),  # German-English report
    ("Transferrin-Saettigung", "tsat"),
    ("Transferrinsättigung", "tsat"),
)

# Names printed by real reports (the review's, the shared MediKeep samples', and the usual
# wording of Quest, LabCorp, Epic, NHS, Canadian, Australian and German-English reports).
PRINTED_NAMES: tuple[tuple[str, str], ...] = (
    *REVIEW_EXAMPLES,
    # Quest
    ("IRON BINDING CAPACITY", "tibc"),
    ("HEMOGLOBIN", "hemoglobin"),
    ("MCV", "mcv"),
    ("VITAMIN B12", "b12"),
    ("FOLATE, SERUM", "folate"),
    ("MAGNESIUM", "magnesium"),
    ("CREATININE", "creatinine"),
    ("VITAMIN D,25-OH,TOTAL,IA", "vitamin_d"),
    ("HS CRP", "crp"),
    ("C-REACTIVE PROTEIN", "crp"),
    ("TRANSFERRIN", "transferrin"),
    # LabCorp (and the MediKeep LabCorp samples)
    ("Iron", "iron"),
    ("Ferritin", "ferritin"),
    ("Folate (Folic Acid), Serum", "folate"),
    ("Creatinine", "creatinine"),
    ("C-Reactive Protein, Cardiac", "crp"),
    ("Transferrin", "transferrin"),
    # Epic MyChart (MediKeep Epic sample)
    ("EGFR", "egfr"),
    # NHS (UK)
    ("Serum ferritin", "ferritin"),
    ("Serum iron", "iron"),
    ("Transferrin saturation", "tsat"),
    ("Serum folate", "folate"),
    ("Serum vitamin B12", "b12"),
    ("Total iron binding capacity", "tibc"),
    ("Serum magnesium", "magnesium"),
    ("Serum creatinine", "creatinine"),
    ("Mean cell volume", "mcv"),
    ("GFR calculated abbreviated MDRD", "egfr"),
    ("Haemoglobin concentration", "hemoglobin"),
    ("Plasma C reactive protein", "crp"),
    # Canada, Australia (RCPA)
    ("Vitamin D (25-OH)", "vitamin_d"),
    ("Hb", "hemoglobin"),
    ("TSAT", "tsat"),
    # German-English
    ("Hämoglobin", "hemoglobin"),
)

# Names the sample reports and reviews print for tests that are not these.
PRINTED_LOOKALIKES: tuple[str, ...] = (
    "Hemoglobin A1c",  # MediKeep LabCorp sample
    "MCH",  # MediKeep LabCorp sample
    "MCHC",  # MediKeep LabCorp sample
    "HbA1c",
    "Hgb A1c",
    "A1C",
    "Glycated haemoglobin",
    "HbA1c IFCC",
    "HbA",
    "MPV",
    "Oxygen saturation",
    "SpO2",
    "SaO2",
    "O2 sat",
    "Saturation",
    "sTfR",
    "Soluble transferrin receptor",
    "RBC folate",
    "Red cell folate",
    "Folate, RBC",
    "Magnesium, RBC",
    "RBC magnesium",
    "Holotranscobalamin",
    "Active B12",
    "holoTC",
    "25-OH vitamin D2",
    "Ergocalciferol",
    "1,25-dihydroxyvitamin D",
    "Calcitriol",
    "Urine iron",
    "Urine creatinine",
    "Urine magnesium",
    "Creatinine clearance",
    "Iron Studies",
)


def coverage(resolve: Callable[[str], object]) -> tuple[int, int]:
    """(names read as the right test, names) over PRINTED_NAMES for a `resolve_test`."""
    right = 0
    for name, key in PRINTED_NAMES:
        try:
            analyte = resolve(name)
        except RlsironError:
            continue
        right += getattr(analyte, "key", None) == key
    return right, len(PRINTED_NAMES)


def test_printed_names_are_distinct() -> None:
    names = [name for name, _ in PRINTED_NAMES]
    assert len(names) == len(set(names))
    assert len(names) >= 60


@pytest.mark.parametrize(("printed", "key"), REVIEW_EXAMPLES)
def test_the_reviews_examples_are_read_as_the_right_test(printed: str, key: str) -> None:
    assert resolve_test(printed).key == key


@pytest.mark.parametrize(("printed", "key"), PRINTED_NAMES)
def test_names_real_reports_print_are_read_as_the_right_test(printed: str, key: str) -> None:
    assert resolve_test(printed).key == key


def test_every_real_printed_name_is_read() -> None:
    assert coverage(resolve_test) == (len(PRINTED_NAMES), len(PRINTED_NAMES))


@pytest.mark.parametrize("printed", PRINTED_LOOKALIKES)
def test_look_alikes_real_reports_print_are_refused_by_name(printed: str) -> None:
    with pytest.raises(LookalikeTestError) as caught:
        resolve_test(printed, field="labs[4].test")
    error = caught.value
    assert error.field == "labs[4].test"
    assert error.value == printed
    assert "is a different test from" in str(error)
    assert error.problems[0].kind == "lookalike_test"


def test_hba1c_is_refused_as_a_different_test_from_haemoglobin() -> None:
    with pytest.raises(LookalikeTestError) as caught:
        resolve_test("HbA1c", field="labs[0].test")
    message = caught.value.problems[0].message
    assert message.startswith("HbA1c (glycated haemoglobin) is a different test from Hemoglobin:")
    assert message.endswith("not used for the iron assessment")


@pytest.mark.parametrize(
    ("code", "resembles"),
    [
        ("4548-4", "hemoglobin"),  # Hgb A1c MFr Bld
        ("17855-8", "hemoglobin"),  # Hgb A1c MFr Bld Calc
        ("17856-6", "hemoglobin"),  # Hgb A1c MFr Bld HPLC
        ("785-6", "hemoglobin"),  # MCH
        ("786-4", "hemoglobin"),  # MCHC
        ("2283-0", "folate"),  # Folate RBC-mCnc
        ("14731-4", "folate"),  # Folate RBC-sCnc
        ("2597-3", "magnesium"),  # Magnesium RBC-sCnc
        ("26746-8", "magnesium"),  # Magnesium RBC-mCnc
        ("2600-5", "magnesium"),  # Magnesium Free SerPl-sCnc
        ("30248-9", "transferrin"),  # sTfR SerPl-mCnc
        ("33210-6", "transferrin"),  # sTfR SerPl-sCnc
        ("2504-9", "iron"),  # Iron Ur-mCnc
        ("2598-1", "magnesium"),  # Magnesium Ur-sCnc
        ("50190-8", "iron"),  # Iron+TIBC Pnl SerPl: a panel
    ],
)
def test_look_alike_loinc_codes_are_refused(code: str, resembles: str) -> None:
    with pytest.raises(LookalikeTestError):
        resolve_test(code)
    assert lookalikes()[code.replace("-", "")].resembles.key == resembles


# --- every catalogue name reads as its own test -----------------------------------------------

_NAME_ROWS = load_table(NAME_FILE, NAME_COLUMNS)
_LOOKALIKE_NAMES = sorted({name for look in lookalikes().values() for name in look.names})


@pytest.mark.parametrize("row", _NAME_ROWS, ids=lambda row: row.where)
def test_every_name_in_test_names_reads_as_its_own_test(row: Row) -> None:
    assert resolve_test(row["name"]).key == row["analyte"]


def test_every_key_display_name_and_code_reads_as_its_own_test() -> None:
    for key, analyte in ANALYTES.items():
        for name in (key, analyte.display, *analyte.synonyms, *analyte.loinc):
            assert resolve_test(name).key == key, f"{name!r} does not resolve to {key}"


_SEPARATORS = st.sampled_from([" ", "  ", "-", ".", ",", "(", ")", "/", "_", ":", "\t"])


@st.composite
def _reprinted(draw: st.DrawFn, name: str) -> str:
    """The name as another report might print it: any case, other spaces and punctuation."""
    out: list[str] = []
    for ch in name:
        if ch.isalnum():
            out.append(ch.upper() if draw(st.booleans()) else ch.lower())
        elif ch != "%" and draw(st.booleans()):
            out.append(draw(_SEPARATORS))  # a separator, or none, in place of this one
        else:
            out.append(ch)
        if ch.isalnum() and draw(st.integers(0, 9)) == 0:
            out.append(draw(_SEPARATORS))  # a stray separator inside a word
    return draw(_SEPARATORS | st.just("")) + "".join(out) + draw(_SEPARATORS | st.just(""))


_CATALOGUE_NAMES = sorted(
    {(name, key) for key, a in ANALYTES.items() for name in (key, a.display, *a.synonyms)}
)


@given(st.data())
def test_any_reprinting_of_a_catalogue_name_reads_as_its_own_test(data: st.DataObject) -> None:
    name, key = data.draw(st.sampled_from(_CATALOGUE_NAMES))
    assert resolve_test(data.draw(_reprinted(name))).key == key


@given(st.data())
def test_no_reprinting_of_a_look_alike_name_reads_as_a_supported_test(
    data: st.DataObject,
) -> None:
    printed = data.draw(_reprinted(data.draw(st.sampled_from(_LOOKALIKE_NAMES))))
    with pytest.raises(LookalikeTestError) as caught:
        resolve_test(printed)
    assert "did you mean" not in str(caught.value)


_NEUTRAL = st.sampled_from(["level", "serum", "plasma", "test", "result", "S", "P"])


@given(st.data())
def test_a_look_alike_name_with_report_words_added_is_never_proposed_as_a_supported_test(
    data: st.DataObject,
) -> None:
    name = data.draw(st.sampled_from(_LOOKALIKE_NAMES))
    words = [data.draw(_NEUTRAL) for _ in range(data.draw(st.integers(1, 2)))]
    printed = " ".join(
        [*words[:1], name, *words[1:]] if data.draw(st.booleans()) else [name, *words]
    )
    try:
        analyte = resolve_test(printed)
    except RlsironError as error:
        assert "did you mean" not in str(error)
    else:
        pytest.fail(f"{printed!r} was read as {analyte.key}")


# --- "did you mean" ---------------------------------------------------------------------------


def _hint(text: str) -> str | None:
    with pytest.raises(UnknownTestError) as caught:
        resolve_test(text, field="labs[0].test")
    return caught.value.hint


@pytest.mark.parametrize(
    ("typed", "proposed"),
    [
        ("Ferritn", "'Ferritin'"),
        ("ferriten", "'Ferritin'"),
        ("Hemoglobn", "'Hemoglobin'"),
        ("Haemoglobn", "'Haemoglobin' (Hemoglobin)"),
        ("Transferin saturaton", "'Transferrin saturation'"),
        ("Creatinin", "'Creatinine'"),  # closer to creatinine than to creatine
        ("Magnesum", "'Magnesium'"),
        ("B12 vitamin", "'Vitamin B12'"),  # words in another order
        ("Ferritin result", "'Ferritin'"),  # a word that says nothing about the test
    ],
)
def test_a_misspelt_name_gets_the_one_test_it_spells(typed: str, proposed: str) -> None:
    assert _hint(typed) == f"did you mean {proposed}?"


@pytest.mark.parametrize(
    "typed",
    [
        "RBC magnesium level",  # a distinguishing word of another test
        "Magnesium RBC serum",
        "Oxygen saturation %",
        "Oxigen saturation",
        "Saturaton",
        "Hb A1c level",
        "Hemoglobin A1c blood",
        "Haemoglobin A1",
        "Plasma haemoglobn",
        "Myoglobn",
        "Ferritin, urine",
        "Urine iron 24h",
        "Folate red cell level",
        "Vitamin D2 level",
        "Vit B1",  # thiamine, not B12
        "Vitamin B6",
        "vitamin d3",  # the D3 fraction
        "Creatin",  # closer to creatine
        "Calcidriol",  # between calcidiol (25-OH D) and calcitriol (1,25-(OH)2 D)
        ",25-dihydroxyvitamin D",  # "dihydroxy" is a word only the look-alike has
        "Hemoglobin, plasma plasma",
        "MCvC",  # neither MCV nor MCHC
        "Hb12",
        "IBC",  # as close to TIBC as to UIBC
        "Zinc",
        "Ferr",
    ],
)
def test_no_test_is_proposed_for_another_test_or_an_ambiguous_name(typed: str) -> None:
    hint = _hint(typed)
    assert hint is None or "did you mean" not in hint


@pytest.mark.parametrize(
    ("typed", "lookalike"), [("Hb A1c level", "HbA1c"), ("Saturaton", "Oxygen")]
)
def test_a_name_close_to_a_look_alike_is_told_so(typed: str, lookalike: str) -> None:
    hint = _hint(typed)
    assert hint is not None
    assert hint.startswith(f"it looks like {lookalike}")


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("2276-5", "not a valid LOINC code: its check digit is wrong (a typing error?)"),
        (" 2345-7 ", "a LOINC code of a test that the iron assessment does not use"),  # glucose
    ],
)
def test_an_unknown_loinc_code_gets_no_proposal(code: str, hint: str) -> None:
    assert _hint(code) == hint


# --- the names file against the shared LOINC table --------------------------------------------


def _shared_short_names() -> dict[str, str]:
    table = SHARED_LOINC / "loinc_iron_related_subset.tsv"
    if not table.exists():
        pytest.skip(f"shared LOINC subset not found at {table}")
    with table.open(encoding="utf-8", newline="") as f:
        return {row["LOINC_NUM"]: row["SHORTNAME"] for row in csv.DictReader(f, delimiter="\t")}


_SOURCE_CODE = re.compile(r"LOINC (short name|long common name) of ([0-9]+-[0-9])")


def _names_by_code(kind: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in _NAME_ROWS:
        match = _SOURCE_CODE.match(row["source"])
        if match and match[1] == kind:
            code = match[2]
            assert code in ANALYTES[row["analyte"]].loinc, f"{row.where}: {code} is not its code"
            out.setdefault(code, []).append(row["name"])
    return out


def test_every_catalogue_code_has_its_loinc_short_name_from_the_shared_table() -> None:
    shared = _shared_short_names()
    listed = _names_by_code("short name")
    for analyte in ANALYTES.values():
        for code in analyte.loinc:
            if code in shared:
                assert listed.get(code) == [shared[code]], f"{analyte.key}: {code}"
    assert set(listed) <= set(shared)


def test_every_catalogue_code_has_a_loinc_long_common_name() -> None:
    listed = _names_by_code("long common name")
    assert {code for a in ANALYTES.values() for code in a.loinc} <= set(listed)


def test_long_names_not_marked_otherwise_are_the_ones_provenance_lists() -> None:
    provenance = (SHARED_LOINC / "PROVENANCE.md").read_text(encoding="utf-8")
    for row in _NAME_ROWS:
        match = _SOURCE_CODE.fullmatch(row["source"])  # no "(...)" qualifier after the code
        if match and match[1] == "long common name":
            assert f"{match[2]}" in provenance and row["name"] in provenance, row.where


def test_look_alike_short_names_are_the_shared_tables() -> None:
    shared = set(_shared_short_names().values())
    for name in ("MCH RBC Qn Auto", "Folate RBC-mCnc", "Magnesium RBC-sCnc", "sTfR SerPl-mCnc"):
        assert name in shared
        assert name in _LOOKALIKE_NAMES


# --- the loaders refuse malformed rows, naming file and line ----------------------------------

_ANALYTE_HEADER = " | ".join(ANALYTE_COLUMNS)
_GOOD_ANALYTE = "iron | Iron | umol/L | 0.9 | 80 | 1 | 2498-4 | why"


def _catalogue(analytes: str, names: str = "") -> Catalogue:
    """A catalogue read from table texts; `analytes` starts on line 2 of its file."""
    analyte_rows = parse_table(f"{_ANALYTE_HEADER}\n{analytes}\n", "a.txt", ANALYTE_COLUMNS)
    name_rows = parse_table(f"analyte | name | source\n{names}\n", "n.txt", NAME_COLUMNS)
    return read_catalogue(analyte_rows, name_rows)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("iron | Iron | umol/L | low | 80 | 1 | 2498-4 | why", "a.txt:3: column 'plausible low'"),
        ("iron | Iron | umol/L | 80 | 0.9 | 1 | 2498-4 | why", "a.txt:3: plausible range"),
        ("iron | Iron | umol/L | 0.9 | 80 | one | 2498-4 | why", "a.txt:3: column 'decimals'"),
        ("iron | Iron | umol/L | 0.9 | 80 | 1 | 2498-5 | why", "a.txt:3: LOINC code 2498-5 has"),
        ("iron | Iron | umol/L | 0.9 | 80 | 1 | iron | why", "a.txt:3: 'iron' is not a LOINC"),
        ("Iron | Iron | umol/L | 0.9 | 80 | 1 | 2498-4 | why", "a.txt:3: key 'Iron'"),
        ("iron | Iron | umol/L | 0.9 | 80 | 1 | 2498-4 | -", "a.txt:3: column 'note' is empty"),
        ("iron | Iron | umol/L | 0.9 | 80 | 1 | 2498-4", "a.txt:3: 7 cells"),
        (f"{_GOOD_ANALYTE}\nfe | Iron | umol/L | 1 | 2 | 1 | 14798-3 | why", "a.txt:4: 'Iron' is"),
        (f"{_GOOD_ANALYTE}\n{_GOOD_ANALYTE}", "a.txt:4: key 'iron' already defined at line 3"),
    ],
)
def test_analyte_loader_refuses_a_malformed_row(row: str, message: str) -> None:
    with pytest.raises(DataFileError, match=re.escape(message)):
        _catalogue("\n" + row)  # after a blank line: the row is line 3


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("zinc | Zn | lab", "n.txt:2: column 'analyte' is 'zinc'"),
        ("iron | Serum iron | ", "n.txt:2: column 'source' is empty"),
        ("iron | Serum iron | NHS\niron | SERUM-IRON | NHS", "n.txt:3: 'SERUM-IRON' repeats"),
        ("iron | 2498-4 | LOINC", "n.txt:2: '2498-4' repeats a name of iron (a.txt:3)"),
        ("iron | ... | typo", "n.txt:2: name '...' has no letters or digits"),
    ],
)
def test_names_loader_refuses_a_malformed_row(rows: str, message: str) -> None:
    with pytest.raises(DataFileError, match=re.escape(message)):
        _catalogue("\n" + _GOOD_ANALYTE, rows)


def test_a_name_of_two_tests_is_refused() -> None:
    hb = "hemoglobin | Hemoglobin | g/dL | 2 | 25 | 1 | 718-7 | why"
    with pytest.raises(DataFileError, match=re.escape("n.txt:3: 'FE' is already a name of iron")):
        _catalogue(f"\n{_GOOD_ANALYTE}\n{hb}", "iron | Fe | symbol\nhemoglobin | FE | typo")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Urine iron | iron | Urine iron; 2504-8 | why", "l.txt:2: LOINC code 2504-8 has"),
        ("HbA1c | haemoglobin | HbA1c | why", "l.txt:2: column 'resembles' is 'haemoglobin'"),
        ("Urine iron | iron | Urine iron; Serum iron | why", "l.txt:2: 'Serum iron' is a name"),
        ("Urine iron | iron | 2498-4 | why", "l.txt:2: '2498-4' is a name of the supported"),
        ("Urine iron | iron | ; | why", "l.txt:2: column 'names' is empty"),
        ("Urine iron | iron | Urine iron; URINE-IRON | why", "l.txt:2: 'URINE-IRON' is already"),
        ("Urine iron | iron | Urine iron | -", "l.txt:2: column 'reason' is empty"),
    ],
)
def test_lookalike_loader_refuses_a_malformed_row(row: str, message: str) -> None:
    catalogue = _catalogue("\n" + _GOOD_ANALYTE, "iron | Serum iron | NHS")
    rows = parse_table(f"{' | '.join(LOOKALIKE_COLUMNS)}\n{row}\n", "l.txt", LOOKALIKE_COLUMNS)
    with pytest.raises(DataFileError, match=re.escape(message)):
        read_lookalikes(rows, catalogue)


def test_the_shipped_look_alike_file_loads() -> None:
    rows = load_table(LOOKALIKE_FILE, LOOKALIKE_COLUMNS)
    assert len({look.name for look in lookalikes().values()}) == len(rows)


# --- measuring ----------------------------------------------------------------------------------


def _resolver_from(path: str) -> Callable[[str], object]:
    spec = importlib.util.spec_from_file_location("measured_analytes", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    resolve: Callable[[str], object] = module.resolve_test
    return resolve


if __name__ == "__main__":
    resolve = _resolver_from(sys.argv[1]) if len(sys.argv) > 1 else resolve_test
    right, total = coverage(resolve)
    print(f"{right}/{total} real printed names read as the right test ({right / total:.0%})")
