"""The synthetic screener input: reproducible, read by the engine, messy where it says, bounded."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from rlsiron import assess, parse_input
from rlsiron.core.labs.analytes import resolve_test
from rlsiron.core.labs.units import accepted_units, canonical_factor, is_known_unit, normalise_unit
from rlsiron.core.labs.values import parse_value
from rlsiron.core.models import EARLIEST_DATE
from rlsiron.errors import LookalikeTestError, RlsironError, UnitError, UnknownTestError
from rlsiron.pipe_table import parse_table
from rlsiron.screen.synthetic import (
    GENERATED_TESTS,
    MESSY_KINDS,
    UNIT_COLUMNS,
    UNITS_FILE,
    GenerationSummary,
    catalogue,
    data_text,
    generate,
    max_rows_per_patient,
)

AS_OF = dt.date(2026, 11, 20)


def make(out: Path, **options: Any) -> GenerationSummary:
    arguments: dict[str, Any] = {"patients": 300, "seed": 11, "as_of": AS_OF} | options
    return generate(out, **arguments)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = make(tmp_path / "a", chunk_patients=100)
    again = make(tmp_path / "b", chunk_patients=100)
    make(tmp_path / "c", chunk_patients=100, seed=12)
    for name in ("labs.parquet", "patients.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
    # The runs wrote to different folders; everything else they report is the same.
    assert replace(again, labs_path=first.labs_path, patients_path=first.patients_path) == first


def split(text: str | None) -> list[str]:
    """A ";"-separated cell as the list the contract takes."""
    return [part.strip() for part in text.split(";")] if text else []


def document(patient: dict[str, Any], labs: list[dict[str, Any]]) -> dict[str, Any]:
    """The contract document for one patient row and their lab rows, as the engine takes it."""
    person: dict[str, Any] = {
        key: patient[key]
        for key in ("sex", "age_years", "birth_date", "pregnancy_weeks", "postmenopausal", "kidney")
        if patient.get(key) is not None
    }
    person["conditions"] = split(patient["conditions"])
    therapy = []
    if patient["iron_route"] is not None:
        therapy.append(
            {
                "route": patient["iron_route"],
                "started": patient["iron_started"],
                "ended": patient["iron_ended"],
            }
        )
    return {
        "person": person,
        "medications": split(patient["medicines"]),
        "iron_therapy": therapy,
        "labs": [
            {key: value for key, value in lab.items() if key != "patient_id" and value is not None}
            for lab in labs
        ],
    }


def test_every_clean_patient_is_assessed_by_the_engine_and_the_rules_edges_are_met(
    tmp_path: Path,
) -> None:
    summary = make(tmp_path, patients=2000, messy_share=0.0, birth_dates=True)
    labs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lab in pq.read_table(summary.labs_path).to_pylist():
        labs[lab["patient_id"]].append(lab)
    decisions: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    for patient in pq.read_table(summary.patients_path).to_pylist():
        inp = parse_input(document(patient, labs[patient["patient_id"]]), as_of=AS_OF)
        result = assess(inp, as_of=AS_OF, plan=False)  # raises on any row the engine refuses
        decisions[result.iron_therapy.decision] += 1
        rules[result.iron_therapy.rule] += 1
    assert set(decisions) == {"indicated", "not_indicated", "contraindicated", "test_first"}
    # The edges the screener must agree with the engine on are reached in 2000 patients:
    # the stops before the groups, and each group's own rules.
    stops = ("labs.missing", "labs.stale", "labs.after_iv_iron", "labs.tsat_discordant")
    for rule in (*stops, "tsat_high", "hemochromatosis", "adult.iv_band", "adult.trial_ceiling"):
        assert rules[rule] > 0, rule
    for group in ("dialysis", "pregnancy", "child", "adult"):
        assert any(rule.startswith(f"{group}.") for rule in rules), group


def engine_defect(lab: dict[str, Any]) -> str | None:
    """Which messy kind the engine finds in a row (None when it reads the row)."""
    try:
        analyte = resolve_test(lab["test"])
    except LookalikeTestError:
        return "lookalike_test"
    except UnknownTestError:
        return "unknown_test"
    try:
        canonical_factor(analyte.key, lab["unit"], field="unit")
    except UnitError:
        return "wrong_unit" if is_known_unit(lab["unit"]) else "unknown_unit"
    try:
        parse_value(lab["value"], field="value")
    except RlsironError:
        return "unparseable_value"
    day = lab["date"]
    try:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    except ValueError:
        return "impossible_date"
    return "impossible_date" if day < EARLIEST_DATE else None


@pytest.mark.parametrize("date_strings", [True, False])
def test_messy_rows_are_refused_by_the_engine_exactly_as_counted(
    tmp_path: Path, date_strings: bool
) -> None:
    summary = make(tmp_path, messy_share=0.05, date_strings=date_strings)
    table = pq.read_table(summary.labs_path)
    assert table.schema.field("date").type == (pa.string() if date_strings else pa.date32())
    found = Counter(engine_defect(lab) for lab in table.to_pylist())
    assert {kind: found[kind] for kind in MESSY_KINDS} == dict(summary.messy)
    assert all(count > 0 for count in summary.messy.values())
    assert found[None] == summary.lab_rows - summary.messy_rows


def test_memory_holds_one_chunk_whatever_the_size(tmp_path: Path) -> None:
    bound = 25 * max_rows_per_patient()
    small = make(tmp_path / "small", patients=100, chunk_patients=25)
    large = make(tmp_path / "large", patients=1000, chunk_patients=25)
    assert (small.chunks, large.chunks) == (4, 40)
    assert large.lab_rows > 8 * small.lab_rows
    for summary in (small, large):
        assert summary.largest_chunk_rows <= bound
        groups = pq.ParquetFile(summary.labs_path).metadata
        assert groups.num_row_groups == summary.chunks  # written as it was made, one chunk each
        assert max(groups.row_group(i).num_rows for i in range(groups.num_row_groups)) <= bound


def test_a_patient_has_about_ten_lab_rows_over_three_years(tmp_path: Path) -> None:
    summary = make(tmp_path, patients=2000, messy_share=0.0)
    assert 9 <= summary.lab_rows / summary.patients <= 11
    labs = pq.read_table(summary.labs_path)
    days = [dt.date.fromisoformat(d) for d in labs.column("date").to_pylist()]
    assert max(days) <= AS_OF
    assert min(days) >= AS_OF - dt.timedelta(days=3 * 366)
    patients = pq.read_table(summary.patients_path)
    with_labs = set(labs.column("patient_id").to_pylist())
    assert 0 < patients.num_rows - len(with_labs) < patients.num_rows // 10  # a few have none


def test_csv_holds_the_same_rows_as_parquet(tmp_path: Path) -> None:
    parquet = make(tmp_path / "p", patients=50)
    csv = make(tmp_path / "c", patients=50, file_format="csv")
    assert csv.labs_path.suffix == ".csv"
    for parquet_path, csv_path in (
        (parquet.labs_path, csv.labs_path),
        (parquet.patients_path, csv.patients_path),
    ):
        expected = pq.read_table(parquet_path)
        options = pcsv.ConvertOptions(
            column_types=expected.schema, strings_can_be_null=True, quoted_strings_can_be_null=False
        )
        read = pcsv.read_csv(csv_path, convert_options=options)
        # CSV cannot tell an empty value from a missing one: compare with nulls for "".
        assert read.to_pylist() == [
            {k: (None if v == "" else v) for k, v in row.items()} for row in expected.to_pylist()
        ]


def test_every_unit_the_engine_accepts_for_a_generated_test_is_listed() -> None:
    catalogue()  # every listed (test, unit) is checked with the engine here
    listed: dict[str, set[str]] = defaultdict(set)
    for row in parse_table(data_text(UNITS_FILE), UNITS_FILE, UNIT_COLUMNS):
        listed[row["test"]].add(normalise_unit(row["unit"]))
    for test in GENERATED_TESTS:
        assert set(accepted_units(test)) == listed[test], test
