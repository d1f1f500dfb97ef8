"""The NHANES worked example on the real CDC files, and the generator's fitted shapes."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pytest

from rlsiron import assess, parse_input
from rlsiron.core.labs.panel import read_lab
from rlsiron.core.models import LabInput
from rlsiron.core.readings import Reading
from rlsiron.pipe_table import parse_table
from rlsiron.screen.nhanes import (
    DRAW_DATE,
    WOMEN_PANEL_FILE,
    GroupShares,
    NhanesFerritin,
    band_labels,
    band_shares,
    ferritin_band,
    ferritin_criterion_shares,
    fit_shapes,
    indicated_share,
    read_ferritin,
    screener_tables,
)
from rlsiron.screen.synthetic import FITTED_BASES, SHAPE_COLUMNS, SHAPES_FILE, data_text

from ..conftest import SHARED

NHANES = SHARED / "data" / "nhanes"
RAW = NHANES / "raw_xpt"


@pytest.fixture(scope="module")
def nhanes() -> NhanesFerritin:
    return read_ferritin(RAW)


def group(rows: tuple[GroupShares, ...], sex: str, ages: str) -> GroupShares:
    (found,) = [row for row in rows if (row.sex, row.ages) == (sex, ages)]
    return found


def test_the_files_hold_what_provenance_says(nhanes: NhanesFerritin) -> None:
    assert nhanes.ferritin_rows == 7_332
    assert len(nhanes.participants) == 6_589
    assert {p.sex for p in nhanes.participants} == {"female", "male"}


def test_band_shares_add_up_and_weighting_changes_them(nhanes: NhanesFerritin) -> None:
    rows = band_shares(nhanes.participants)
    assert len(band_labels()) == len(rows[0].counts) == 5
    for row in rows:
        if row.n:
            assert sum(row.counts) == row.n
            assert math.isclose(sum(row.unweighted), 1.0)
            assert math.isclose(sum(row.weighted), 1.0)
    everyone = group(rows, "all", "all")
    assert everyone.n == 6_589
    assert everyone.weighted != everyone.unweighted
    # The sample over-represents some groups: weighting moves the shares by whole points.
    assert (
        max(abs(w - u) for w, u in zip(everyone.weighted, everyone.unweighted, strict=True)) > 0.01
    )


def test_a_spot_value_women_of_childbearing_age(nhanes: NhanesFerritin) -> None:
    women = group(band_shares(nhanes.participants), "female", "18-49")
    assert women.n == 1_303
    assert women.counts == (226, 549, 222, 107, 199)  # < 15, 15-50, 50-75, 75-100, > 100
    assert round(women.unweighted[0], 3) == 0.173
    assert round(women.weighted[0], 3) == 0.145
    assert round(women.population / 1e6, 1) == 63.6  # US women 18-49 the sample stands for


def test_a_band_edge_belongs_to_the_side_its_threshold_holds_on() -> None:
    assert band_labels() == ("< 15", "15 to < 50", "50 to ≤ 75", "> 75 to ≤ 100", "> 100")
    assert ferritin_band(Reading(14.9, "=", 1)) == 0
    assert ferritin_band(Reading(15.0, "=", 0)) == 1
    assert ferritin_band(Reading(75.0, "=", 0)) == 2  # AASM: ferritin ≤ 75 meets the criterion
    assert ferritin_band(Reading(100.0, "=", 0)) == 3
    assert ferritin_band(Reading(100.5, "=", 1)) == 4
    assert ferritin_band(Reading(100.0, "<")) is None  # straddles 15, 50 and 75


def test_the_screener_tables_are_read_by_the_engine(nhanes: NhanesFerritin) -> None:
    tables = screener_tables(nhanes.participants)
    assert tables.labs.num_rows == tables.patients.num_rows == tables.weights.num_rows == 6_589
    pregnant = [p for p in tables.patients.to_pylist() if p["pregnancy_weeks"] is not None]
    assert len(pregnant) == sum(p.pregnancy_code == 1 for p in nhanes.participants) == 47
    for index, lab in enumerate(tables.labs.to_pylist()):
        row = {k: v for k, v in lab.items() if k != "patient_id" and v is not None}
        assert read_lab(index, LabInput.model_validate(row)).analyte.key == "ferritin"
    # Without a TSAT the engine asks for one: every decision is test_first, none indicated.
    patients = tables.patients.to_pylist()[:200]
    decisions = {}
    for patient, lab in zip(patients, tables.labs.to_pylist(), strict=False):
        person = {k: v for k, v in patient.items() if k in ("sex", "age_years", "pregnancy_weeks")}
        row = {k: v for k, v in lab.items() if k != "patient_id" and v is not None}
        document = {"person": person, "labs": [row]}
        result = assess(parse_input(document), as_of=tables.as_of, plan=False)
        decisions[patient["patient_id"]] = result.iron_therapy.decision
    assert set(decisions.values()) == {"test_first"}
    shares = indicated_share(nhanes.participants, decisions)
    assert group(shares, "all", "all").n == 200
    assert group(shares, "all", "all").weighted[0] == 0.0
    assert tables.as_of == DRAW_DATE


def test_indicated_share_weights_the_decisions_it_is_given(nhanes: NhanesFerritin) -> None:
    criterion = ferritin_criterion_shares(nhanes.participants)
    # Decisions that say "indicated" exactly where the ferritin criterion is met ...
    met = {
        p.patient_id: "indicated" if p.ferritin <= 75 else "not_indicated"
        for p in nhanes.participants
        if p.age_years >= 18  # adults and pregnancy share the cut-off
    }
    adults = indicated_share(nhanes.participants, met)
    as_table = indicated_share(
        nhanes.participants,
        pa.table({"patient_id": list(met), "decision": list(met.values())}),
    )
    assert adults == as_table
    # ... give the criterion's shares for adults (children, under 18, are left out here).
    for sex in ("female", "male"):
        for ages in ("18-49", "50-64", "65+"):
            expected, found = group(criterion, sex, ages), group(adults, sex, ages)
            assert (found.n, found.counts) == (expected.n, expected.counts)
            assert math.isclose(found.weighted[0], expected.weighted[0])
    assert group(adults, "all", "1-5").n == 0


def test_the_fitted_shapes_are_the_refit_of_the_nhanes_files() -> None:
    fitted = fit_shapes(RAW, NHANES / WOMEN_PANEL_FILE)
    rows = parse_table(data_text(SHAPES_FILE), SHAPES_FILE, SHAPE_COLUMNS)
    checked = 0
    for row in rows:
        if row["basis"] not in FITTED_BASES:
            continue
        written = row["value"]
        tolerance = 0.5 * 10 ** -len(written.partition(".")[2]) + 1e-9
        refit = fitted[(row["parameter"], row["for"])]
        assert abs(row.number("value") - refit) <= tolerance, (row.where, written, refit)
        checked += 1
    assert checked == len(fitted) > 50


def test_the_example_script_prints_the_tables() -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "scripts" / "nhanes_example.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert "6,589 with ferritin" in out.stdout
    assert "14.5%" in out.stdout  # women 18-49 below 15, weighted
