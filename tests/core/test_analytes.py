"""The test catalogue: names as reports print them, LOINC codes, impossible and implausible values."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from rlsiron.core.knowledge.thresholds import THRESHOLDS
from rlsiron.core.labs.analytes import ANALYTES, check_possible, is_plausible, resolve_test
from rlsiron.core.labs.units import to_canonical
from rlsiron.core.labs.values import parse_value
from rlsiron.core.readings import Reading
from rlsiron.errors import ImpossibleValueError, LookalikeTestError, UnknownTestError

# Outside the repo, next to it, like the other raw sources in ../shared/data.
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
LOINC_SUBSET = SHARED_DATA / "loinc" / "loinc_iron_related_subset.tsv"


def test_catalogue_has_the_keys_and_canonical_units_the_engine_relies_on() -> None:
    assert {key: a.canonical_unit for key, a in ANALYTES.items()} == {
        "ferritin": "ug/L",
        "iron": "umol/L",
        "tibc": "umol/L",
        "uibc": "umol/L",
        "transferrin": "g/L",
        "tsat": "%",
        "hemoglobin": "g/dL",
        "mcv": "fL",
        "crp": "mg/L",
        "folate": "ng/mL",
        "b12": "pg/mL",
        "magnesium": "mmol/L",
        "vitamin_d": "ng/mL",
        "creatinine": "umol/L",
        "egfr": "mL/min/1.73m2",
    }
    assert all(key == a.key for key, a in ANALYTES.items())


@pytest.mark.parametrize(
    "row",
    [t for t in THRESHOLDS.values() if t.unit in {a.canonical_unit for a in ANALYTES.values()}],
)
def test_a_value_just_inside_a_cut_off_is_never_shown_as_the_cut_off(row: Any) -> None:
    # "TSAT 20 % is < 20 %" would contradict itself: display precision must resolve 0.1
    # around every cut-off of the results the rules compare.
    from rlsiron.core.rules.display import show_reading

    for analyte in (a for a in ANALYTES.values() if a.canonical_unit == row.unit):
        shown = show_reading(Reading(row.value - 0.1, "=", 1), analyte.display_decimals)
        assert shown != f"{row.value:g}", (analyte.key, row.id)


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "key"),
    [
        ("Ferritin", "ferritin"),
        ("FERRITIN (SERUM)", "ferritin"),
        ("Ferritin, serum", "ferritin"),
        ("S-Ferritin", "ferritin"),
        ("  ferritin  ", "ferritin"),
        ("Fe", "iron"),
        ("Serum iron", "iron"),
        ("IRON, SERUM", "iron"),
        ("TSAT", "tsat"),
        ("Transferrin saturation", "tsat"),
        ("% saturation", "tsat"),
        ("Iron saturation", "tsat"),
        ("Sat%", "tsat"),
        ("TIBC", "tibc"),
        ("Total iron binding capacity", "tibc"),
        ("Total iron-binding capacity", "tibc"),
        ("UIBC", "uibc"),
        ("Transferrin", "transferrin"),
        ("Hb", "hemoglobin"),
        ("Hgb", "hemoglobin"),
        ("Haemoglobin", "hemoglobin"),
        ("Hemoglobin", "hemoglobin"),
        ("HÉMOGLOBINE", "hemoglobin"),
        ("Hämoglobin", "hemoglobin"),
        ("MCV", "mcv"),
        ("CRP", "crp"),
        ("hs-CRP", "crp"),
        ("hsCRP", "crp"),
        ("C-reactive protein", "crp"),
        ("C reactive protein", "crp"),
        ("Folate", "folate"),
        ("Folic acid", "folate"),
        ("Serum folate", "folate"),
        ("B12", "b12"),
        ("Vitamin B12", "b12"),
        ("Vitamin B-12", "b12"),
        ("Cobalamin", "b12"),
        ("Mg", "magnesium"),
        ("Magnesium", "magnesium"),
        ("25-OH vitamin D", "vitamin_d"),
        ("25(OH)D", "vitamin_d"),
        ("Vitamin D, 25-hydroxy", "vitamin_d"),
        ("vitamin_d", "vitamin_d"),
        ("Creatinine", "creatinine"),
        ("eGFR", "egfr"),
    ],
)
def test_names_as_reports_print_them_resolve(printed: str, key: str) -> None:
    assert resolve_test(printed).key == key


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("2276-4", "ferritin"),
        ("14723-1", "ferritin"),
        ("2498-4", "iron"),
        ("14798-3", "iron"),
        # Some public code tables swap these two; the LOINC table itself does not.
        ("2500-7", "tibc"),
        ("2502-3", "tsat"),
        ("2501-5", "uibc"),
        ("3034-6", "transferrin"),
        ("718-7", "hemoglobin"),
        ("59260-0", "hemoglobin"),
        ("787-2", "mcv"),
        ("1988-5", "crp"),
        ("30522-7", "crp"),
        ("2284-8", "folate"),
        ("2132-9", "b12"),
        ("19123-9", "magnesium"),
        ("62292-8", "vitamin_d"),
        ("2160-0", "creatinine"),
        ("98979-8", "egfr"),
        (" 2502-3 ", "tsat"),
    ],
)
def test_loinc_codes_resolve(code: str, key: str) -> None:
    assert resolve_test(code).key == key


def test_every_name_and_code_resolves_to_its_own_analyte() -> None:
    # Fails if two analytes share a name once case, accents and punctuation are ignored.
    for key, analyte in ANALYTES.items():
        for name in (key, analyte.display, *analyte.synonyms, *analyte.loinc):
            assert resolve_test(name).key == key, f"{name!r} does not resolve to {key}"


def test_misspelt_name_fails_with_a_suggestion() -> None:
    with pytest.raises(UnknownTestError) as caught:
        resolve_test("ferriten", field="labs[0].test")
    error = caught.value
    assert error.field == "labs[0].test"
    assert error.value == "ferriten"
    assert error.hint == "did you mean 'Ferritin'?"
    assert "ferriten" in str(error)


@pytest.mark.parametrize("name", ["", "   ", "2276-5", "Zinc"])  # 2276-5: wrong check digit
def test_unknown_names_are_not_taken_for_a_catalogue_test(name: str) -> None:
    with pytest.raises(UnknownTestError):
        resolve_test(name)


@pytest.mark.parametrize(
    ("name", "resembles"),
    [
        ("1,25-dihydroxyvitamin D", "25-OH vitamin D"),  # the active hormone, not the store
        ("RBC folate", "Folate"),  # red-cell folate has other units and ranges
        ("HbA1c", "Hemoglobin"),
        ("Oxygen saturation", "Transferrin saturation"),
        ("Saturation", "Transferrin saturation"),
    ],
)
def test_look_alike_tests_are_refused_naming_the_test_they_resemble(
    name: str, resembles: str
) -> None:
    with pytest.raises(LookalikeTestError) as caught:
        resolve_test(name, field="labs[2].test")
    assert caught.value.field == "labs[2].test"
    assert caught.value.value == name
    assert f"is a different test from {resembles}:" in caught.value.problems[0].message


# --- LOINC codes are real codes for the right quantity --------------------------------------


def _loinc_check_digit(stem: str) -> int:
    """LOINC's mod-10 check digit, as its users' guide describes it."""
    from_right = stem[::-1]
    doubled = str(int(from_right[0::2]) * 2)
    digits = from_right[1::2] + doubled
    return -sum(int(d) for d in digits) % 10


def _loinc_subset() -> dict[str, tuple[str, str]]:
    if not LOINC_SUBSET.exists():
        pytest.skip(f"shared LOINC subset not found at {LOINC_SUBSET}")
    with LOINC_SUBSET.open(encoding="utf-8", newline="") as f:
        return {
            row["LOINC_NUM"]: (row["SYSTEM"], row["SHORTNAME"])
            for row in csv.DictReader(f, delimiter="\t")
        }


def test_loinc_check_digit_rule_matches_every_code_in_the_shared_table() -> None:
    for code in _loinc_subset():
        stem, check = code.split("-")
        assert _loinc_check_digit(stem) == int(check), code


def test_every_catalogue_code_has_a_valid_check_digit() -> None:
    for analyte in ANALYTES.values():
        for code in analyte.loinc:
            stem, check = code.split("-")
            assert _loinc_check_digit(stem) == int(check), f"{analyte.key}: {code}"


# Words the LOINC short name of each analyte's codes must contain.
_SHORT_NAME = {
    "ferritin": ("Ferritin ",),
    "iron": ("Iron SerPl",),
    "tibc": ("TIBC ",),
    "uibc": ("UIBC ",),
    "transferrin": ("Transferrin ",),
    "tsat": ("Iron Satn", "Iron/TIBC"),
    "hemoglobin": ("Hgb Bld",),
    "mcv": ("MCV RBC",),
    "crp": ("CRP SerPl",),
    "folate": ("Folate SerPl",),
    "b12": ("Vit B12 Ser",),
    "magnesium": ("Magnesium SerPl",),
    "creatinine": ("Creat SerPl",),
}
_ACCEPTED_SYSTEMS = {"Ser/Plas", "Ser", "Bld", "BldV", "BldC", "RBC"}


def test_catalogue_codes_found_in_the_shared_table_name_the_same_quantity() -> None:
    subset = _loinc_subset()
    for key, analyte in ANALYTES.items():
        for code in analyte.loinc:
            if code not in subset:
                continue
            system, short_name = subset[code]
            assert system in _ACCEPTED_SYSTEMS, f"{key}: {code} is measured in {system}"
            assert short_name.startswith(_SHORT_NAME[key]), f"{key}: {code} is {short_name!r}"


def test_only_vitamin_d_and_egfr_codes_come_from_outside_the_shared_table() -> None:
    subset = _loinc_subset()
    outside = {a.key for a in ANALYTES.values() for code in a.loinc if code not in subset}
    assert outside == {"vitamin_d", "egfr"}


# --- impossible and implausible values ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "reading"),
    [
        ("ferritin", Reading(-1)),
        ("ferritin", Reading(0, "<")),
        ("iron", Reading(-0.1, "<=")),
        ("tsat", Reading(101)),
        ("tsat", Reading(100, ">")),
    ],
)
def test_impossible_values_are_rejected(key: str, reading: Reading) -> None:
    with pytest.raises(ImpossibleValueError) as caught:
        check_possible(ANALYTES[key], reading, field="labs[1].value")
    assert caught.value.field == "labs[1].value"


@pytest.mark.parametrize(
    ("key", "reading"),
    [
        ("tsat", Reading(100)),
        ("tsat", Reading(0)),
        ("tsat", Reading(100, "<=")),
        ("tsat", Reading(95, ">")),
        ("ferritin", Reading(0)),
        ("ferritin", Reading(0, "<=")),
        ("ferritin", Reading(5, "<")),
        ("ferritin", Reading(250_000)),  # implausible but not impossible
    ],
)
def test_possible_values_pass(key: str, reading: Reading) -> None:
    check_possible(ANALYTES[key], reading, field="labs[1].value")


def _canonical(key: str, raw: str, unit: str) -> Reading:
    return to_canonical(key, parse_value(raw, field="v"), unit, field="u")


@pytest.mark.parametrize(
    ("key", "raw", "unit"),
    [
        ("iron", "20", "ug/L"),  # 0.36 umol/L: ug/dL meant
        ("iron", "95", "umol/L"),  # a ug/dL value labelled umol/L
        ("tibc", "320", "umol/L"),  # a ug/dL value labelled umol/L
        ("tsat", "0.18", "%"),  # a fraction for 18 %
        ("hemoglobin", "126", "g/dL"),  # g/L labelled g/dL
        ("hemoglobin", "12.6", "g/L"),  # g/dL labelled g/L
        ("transferrin", "260", "g/L"),  # mg/dL labelled g/L
        ("creatinine", "0.9", "umol/L"),  # mg/dL labelled umol/L
        ("magnesium", "21", "mmol/L"),  # mg/L labelled mmol/L
        ("b12", "0.4", "pg/mL"),  # ng/mL labelled pg/mL
        ("folate", "450", "ng/mL"),  # red-cell folate entered as serum folate
    ],
)
def test_values_typical_of_a_unit_mistake_are_implausible(key: str, raw: str, unit: str) -> None:
    assert not is_plausible(ANALYTES[key], _canonical(key, raw, unit))


@pytest.mark.parametrize(
    ("key", "raw", "unit"),
    [
        ("iron", "100", "ug/dL"),
        ("iron", "2", "umol/L"),  # severe deficiency
        ("tsat", "18", "%"),
        ("tsat", "3", "%"),
        ("hemoglobin", "126", "g/L"),
        ("hemoglobin", "4.1", "g/dL"),  # severe anaemia
        ("hemoglobin", "7.8", "mmol/L"),
        ("ferritin", "3", "ug/L"),
        ("ferritin", "<1", "ug/L"),  # a bound below the range is not itself a mistake
        ("ferritin", "4500", "ug/L"),  # haemochromatosis
        ("transferrin", "260", "mg/dL"),
        ("crp", "<0.2", "mg/L"),
        ("vitamin_d", "50", "nmol/L"),
        ("egfr", ">90", "mL/min/1.73m2"),
    ],
)
def test_real_values_including_severe_disease_are_plausible(key: str, raw: str, unit: str) -> None:
    assert is_plausible(ANALYTES[key], _canonical(key, raw, unit))


def test_plausible_ranges_are_ordered_and_non_negative() -> None:
    for analyte in ANALYTES.values():
        assert 0 <= analyte.plausible_low < analyte.plausible_high, analyte.key
