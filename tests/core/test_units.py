"""Lab values and units: the conversions users see, the spellings they type, the errors they get."""

from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlsiron.core.labs import units
from rlsiron.core.labs.analytes import ANALYTES, is_plausible
from rlsiron.core.labs.units import (
    TIBC_UMOL_PER_TRANSFERRIN_G,
    accepted_units,
    canonical_factor,
    convert,
    normalise_unit,
    to_canonical,
)
from rlsiron.core.readings import Reading
from rlsiron.errors import UnitError, UnknownTestError
from rlsiron.pipe_table import DataFileError, parse_table

REPO = Path(__file__).resolve().parents[2]
SHIPPED_TABLE = REPO / "src" / "rlsiron" / "core" / "knowledge" / "data" / "unit_factors.json"
BUILD_SCRIPT = REPO / "scripts" / "build_unit_table.py"


# --- conversions, checked against the factors printed in SI conversion tables ---------------


@pytest.mark.parametrize(
    ("analyte", "value", "from_unit", "to_unit", "printed", "digits"),
    [
        ("ferritin", 101, "pmol/L", "ug/L", 44.9, 1),
        ("ferritin", 1, "ug/L", "pmol/L", 2.247, 3),
        ("iron", 100, "ug/dL", "umol/L", 17.9, 1),
        ("tibc", 300, "ug/dL", "umol/L", 53.7, 1),
        ("hemoglobin", 7.8, "mmol/L", "g/dL", 12.57, 2),
        ("hemoglobin", 126, "g/L", "g/dL", 12.6, 1),
        ("crp", 2.2, "mg/dL", "mg/L", 22.0, 1),
        ("magnesium", 1.7, "mg/dL", "mmol/L", 0.70, 2),
        ("magnesium", 2.0, "mEq/L", "mmol/L", 1.0, 2),
        ("vitamin_d", 50, "nmol/L", "ng/mL", 20.0, 1),
        ("b12", 148, "pmol/L", "pg/mL", 200.6, 1),
        ("folate", 10, "nmol/L", "ng/mL", 4.41, 2),
        ("creatinine", 1, "mg/dL", "umol/L", 88.4, 1),
        ("transferrin", 1, "umol/L", "g/L", 0.0796, 4),
        ("mcv", 88, "um3", "fL", 88.0, 1),
        # Spellings real reports print.
        ("hemoglobin", 13.5, "gm/dL", "g/dL", 13.5, 1),
        ("hemoglobin", 13.5, "GM/DL", "g/L", 135.0, 1),
        ("creatinine", 10, "mg/L", "umol/L", 88.4, 1),
        ("creatinine", 0.8, "mg/dL", "mg/L", 8.0, 1),
        ("ferritin", 5, "µg/dL", "ug/L", 50.0, 1),
        ("ferritin", 5, "ug/dL", "ng/mL", 50.0, 1),
        ("ferritin", 5, "mcg/dL", "ug/L", 50.0, 1),
        ("egfr", 72, "ml/min/1,73m²", "mL/min/1.73m2", 72.0, 1),
        ("egfr", 72, "mL/min/1.73", "mL/min/1.73m2", 72.0, 1),
    ],
)
def test_conversion_matches_the_conventional_factor(
    analyte: str, value: float, from_unit: str, to_unit: str, printed: float, digits: int
) -> None:
    assert round(convert(analyte, value, from_unit, to_unit), digits) == printed


def test_transferrin_3_2_g_per_l_corresponds_to_tibc_of_about_80_umol_per_l() -> None:
    assert round(TIBC_UMOL_PER_TRANSFERRIN_G, 1) == 25.1
    assert round(3.2 * TIBC_UMOL_PER_TRANSFERRIN_G) == 80


def test_one_sided_reading_keeps_its_direction_when_converted() -> None:
    reading = to_canonical("ferritin", Reading(11.2, "<"), "pmol/L", field="labs[0].unit")
    assert reading.qualifier == "<"
    assert reading.value == pytest.approx(4.98, abs=0.01)


# --- spellings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("analyte", "spelling", "table_spelling"),
    [
        ("ferritin", "ug/L", "ug/L"),
        ("ferritin", "mcg/L", "ug/L"),
        ("ferritin", "µg/L", "ug/L"),
        ("ferritin", "μg/l", "ug/L"),
        ("ferritin", "ng/ml", "ng/mL"),
        ("ferritin", "pmol/L", "pmol/L"),
        ("iron", "µg/dL", "ug/dL"),
        ("iron", "μg/dL", "ug/dL"),
        ("iron", "mcg/dL", "ug/dL"),
        ("iron", "UG/DL", "ug/dL"),
        ("iron", "umol/L", "umol/L"),
        ("iron", "µmol/l", "umol/L"),
        ("iron", "mcmol/L", "umol/L"),
        ("iron", "mg/L", "mg/L"),
        ("transferrin", "g/L", "g/L"),
        ("transferrin", "mg/dl", "mg/dL"),
        ("hemoglobin", "g/dL", "g/dL"),
        ("hemoglobin", "g / dL", "g/dL"),
        ("hemoglobin", "mmol/L", "mmol/L"),
        ("crp", "mg/L", "mg/L"),
        ("crp", "ug/mL", "ug/mL"),
        ("folate", "ng/mL", "ng/mL"),
        ("folate", "nmol/L", "nmol/L"),
        ("b12", "pg/mL", "pg/mL"),
        ("b12", "pmol/L", "pmol/L"),
        ("b12", "ng/L", "ng/L"),
        ("magnesium", "mEq/L", "mEq/L"),
        ("magnesium", "meq/l", "mEq/L"),
        ("mcv", "fL", "fL"),
        ("mcv", "fl", "fL"),
        ("mcv", "um3", "um3"),
        ("mcv", "µm³", "um3"),
        ("tsat", "%", "%"),
        ("tsat", " % ", "%"),
        ("egfr", "mL/min/1.73m2", "mL/min/1.73m2"),
        ("egfr", "mL/min/{1.73_m2}", "mL/min/1.73m2"),
        ("egfr", "ml/min/1.73 m²", "mL/min/1.73m2"),
        ("egfr", "mL/min/1.73m^2", "mL/min/1.73m2"),
        # Spellings real reports print.
        ("hemoglobin", "gm/dL", "g/dL"),
        ("hemoglobin", "gm/dl", "g/dL"),
        ("hemoglobin", "gm/L", "g/L"),
        ("egfr", "mL/min/1.73", "mL/min/1.73m2"),  # LabCorp: the m² implied
        ("egfr", "ml/min/1,73m²", "mL/min/1.73m2"),  # decimal comma
        ("egfr", "mL/min/1,73", "mL/min/1.73m2"),
        ("egfr", "mL/min/1.73 m2", "mL/min/1.73m2"),
        ("egfr", "mL/min/{1.73_m2}", "mL/min/1.73m2"),  # UCUM
        ("creatinine", "mg/L", "mg/L"),
        ("creatinine", "mg/l", "mg/L"),
        ("ferritin", "µg/dL", "ug/dL"),
        ("ferritin", "ug/dL", "ug/dL"),
        ("ferritin", "mcg/dL", "ug/dL"),
    ],
)
def test_printed_spellings_resolve_to_the_table_spelling(
    analyte: str, spelling: str, table_spelling: str
) -> None:
    assert normalise_unit(spelling) == table_spelling
    assert canonical_factor(analyte, spelling, field="unit") == canonical_factor(
        analyte, table_spelling, field="unit"
    )


@pytest.mark.parametrize("spelling", ["mg/dL", "mg/dl", "MG/DL", "Mg/dL", " mg / dL "])
def test_case_and_spaces_do_not_change_a_unit(spelling: str) -> None:
    assert canonical_factor("magnesium", spelling, field="unit") == pytest.approx(0.4114, rel=1e-3)


@pytest.mark.parametrize("spelling", ["µg/dL", "μg/dL", "mcg/dL", "ug/dL", "UG/dl"])
def test_every_micro_spelling_is_the_same_unit(spelling: str) -> None:
    assert convert("iron", 100, spelling, "umol/L") == pytest.approx(17.907, rel=1e-4)


@pytest.mark.parametrize("key", list(ANALYTES))
def test_units_stay_distinct_when_case_is_ignored(key: str) -> None:
    # If two accepted spellings differed only in case, one would be folded onto the other.
    for spelling in accepted_units(key):
        assert normalise_unit(spelling.upper()) == spelling
        assert normalise_unit(spelling.lower()) == spelling


def test_every_analyte_has_a_unit_table_that_starts_with_its_canonical_unit() -> None:
    for key, analyte in ANALYTES.items():
        assert accepted_units(key)[0] == analyte.canonical_unit
        assert canonical_factor(key, analyte.canonical_unit, field="unit") == 1.0


@pytest.mark.parametrize(
    ("analyte", "unit"),
    [
        ("ferritin", "furlongs"),
        ("ferritin", "mg"),
        ("ferritin", "%"),
        ("ferritin", "mmol/L"),
        ("tsat", "ratio"),
        ("iron", "mEq/L"),
        ("crp", "nmol/L"),
    ],
)
def test_unknown_or_wrong_unit_names_it_and_lists_the_accepted_ones(
    analyte: str, unit: str
) -> None:
    with pytest.raises(UnitError) as caught:
        canonical_factor(analyte, unit, field="labs[2].unit")
    message = str(caught.value)
    assert caught.value.field == "labs[2].unit"
    assert repr(unit) in message
    for accepted in accepted_units(analyte):
        assert accepted in message


@pytest.mark.parametrize("unit", [None, "", "   "])
def test_missing_unit_is_an_error_listing_the_accepted_units(unit: str | None) -> None:
    with pytest.raises(UnitError, match="missing unit") as caught:
        to_canonical("ferritin", Reading(28), unit, field="labs[0].unit")
    assert caught.value.accepted == ("ug/L", "ng/mL", "pmol/L", "ug/dL")
    assert caught.value.hint == "give the unit printed next to the value on the lab report"


@pytest.mark.parametrize(
    ("reading", "percent"), [(Reading(0.18), "18"), (Reading(0.075), "7.5"), (Reading(1), "100")]
)
@pytest.mark.parametrize("unit", [None, "", "  "])
def test_tsat_written_as_a_fraction_without_a_unit_gets_the_percentage_as_a_hint(
    reading: Reading, percent: str, unit: str | None
) -> None:
    with pytest.raises(UnitError, match="missing unit") as caught:
        to_canonical("tsat", reading, unit, field="labs[3].unit")
    assert caught.value.field == "labs[3].unit"
    hint = caught.value.hint
    assert hint is not None
    assert f"it is {percent} % (write {percent} with unit %)" in hint


@pytest.mark.parametrize(
    ("key", "reading"), [("tsat", Reading(18)), ("tsat", Reading(0)), ("ferritin", Reading(0.5))]
)
def test_only_a_fraction_of_a_percentage_test_gets_the_fraction_hint(
    key: str, reading: Reading
) -> None:
    with pytest.raises(UnitError) as caught:
        to_canonical(key, reading, None, field="u")
    assert "fraction" not in (caught.value.hint or "")


def test_tsat_written_as_a_fraction_with_a_percent_sign_stays_flagged_implausible() -> None:
    reading = to_canonical("tsat", Reading(0.18), "%", field="u")
    assert reading == Reading(0.18)
    assert not is_plausible(ANALYTES["tsat"], reading)


def test_unit_of_an_unknown_test_is_an_error() -> None:
    with pytest.raises(UnknownTestError):
        canonical_factor("ferritine", "ug/L", field="unit")


def test_every_printed_spelling_stays_distinct_after_folding() -> None:
    # _folded_spellings refuses two spellings that fold alike; here: none was lost.
    spellings = {s for key in ANALYTES for s in accepted_units(key)}
    also_printed = set(units._table().also_printed)
    assert also_printed == {"mL/min/1.73"}
    assert len(units._folded_spellings()) == len(spellings | also_printed)


def test_two_spellings_that_fold_alike_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    clash = units._Table({"x": {"ug/dL": 1.0, "mcg/dL": 1.0}}, {}, 1.0)
    units._folded_spellings.cache_clear()
    monkeypatch.setattr(units, "_table", lambda: clash)
    try:
        with pytest.raises(
            DataFileError, match=re.escape("unit_factors.json: 'mcg/dL' and 'ug/dL' fold")
        ):
            units._folded_spellings()
    finally:
        units._folded_spellings.cache_clear()


@pytest.mark.parametrize("spelling", ["mg/dL", "mmol/L", "mEq/L", "pg/mL", "ng/mL"])
def test_folding_gram_and_decimal_comma_leaves_other_units_alone(spelling: str) -> None:
    assert normalise_unit(spelling) == spelling


# --- properties ---------------------------------------------------------------------------

_MICRO_FORMS = ("u", "µ", "μ", "mc")


@st.composite
def _analyte_and_unit(draw: st.DrawFn) -> tuple[str, str]:
    key = draw(st.sampled_from(list(ANALYTES)))
    return key, draw(st.sampled_from(accepted_units(key)))


@st.composite
def _respelled(draw: st.DrawFn, spelling: str) -> str:
    """The spelling as a report might print it: any case, any micro sign, stray spaces."""
    micro = draw(st.sampled_from(_MICRO_FORMS))
    respelled = micro + spelling[1:] if spelling.startswith("u") else spelling
    cased = "".join(ch.upper() if draw(st.booleans()) and ch.isascii() else ch for ch in respelled)
    return draw(st.sampled_from(("", " "))) + cased + draw(st.sampled_from(("", " ", "\t")))


@given(st.data(), st.floats(0, 1e7, allow_nan=False))
def test_converting_there_and_back_returns_the_value(data: st.DataObject, value: float) -> None:
    key = data.draw(st.sampled_from(list(ANALYTES)))
    u1 = data.draw(st.sampled_from(accepted_units(key)))
    u2 = data.draw(st.sampled_from(accepted_units(key)))
    back = convert(key, convert(key, value, u1, u2), u2, u1)
    assert back == pytest.approx(value, rel=1e-12, abs=1e-300)


@given(st.data())
def test_any_printed_form_of_an_accepted_unit_has_the_same_positive_factor(
    data: st.DataObject,
) -> None:
    key, spelling = data.draw(_analyte_and_unit())
    printed = data.draw(_respelled(spelling))
    factor = canonical_factor(key, printed, field="unit")
    assert factor > 0
    assert math.isfinite(factor)
    assert factor == canonical_factor(key, spelling, field="unit")


# --- values -------------------------------------------------------------------------------


# --- the shipped table is exactly what pint computes --------------------------------------


def _load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_unit_table", BUILD_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("zinc | ug/L | - | -", "u.txt:3: column 'analyte' is 'zinc'"),
        ("ferritin | ng/mL | - | -", "u.txt:3: the first unit of ferritin must be"),
        (
            "ferritin | ug/L | - | -\nferritin | ug/L | - | -",
            "u.txt:4: ferritin lists 'ug/L' twice",
        ),
        ("ferritin | ug/L | -", "u.txt:3: 3 cells"),
    ],
)
def test_unit_file_reader_refuses_a_malformed_row(rows: str, message: str) -> None:
    build = _load_build_script()
    with pytest.raises((DataFileError, build.BuildError), match=re.escape(message)):
        parsed = parse_table(
            f"analyte | unit | also printed | pint\n\n{rows}\n", "u.txt", build.UNIT_COLUMNS
        )
        build._unit_rows(parsed)


def test_shipped_unit_table_is_what_pint_computes_from_the_definitions() -> None:
    # Imports pint (through the build script): the one place tests need it.
    build = _load_build_script()
    rebuilt = build.render(build.build_table())
    assert SHIPPED_TABLE.read_text(encoding="utf-8") == rebuilt, (
        "unit_factors.json is stale: run `make units` and commit the result"
    )
