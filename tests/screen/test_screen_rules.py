"""The screener decides as the engine does: property tests near every threshold, and the
care gaps, rejects and errors a clinic sees."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlsiron.core.knowledge.thresholds import THRESHOLDS
from rlsiron.errors import RlsironError
from rlsiron.screen.run import Request
from rlsiron.screen.sources import connect, parse_source
from rlsiron.screen.synthetic import labs_schema, patients_schema
from tests.screen.differential import (
    differences,
    engine_answers,
    request_for,
    screened,
    write_parquet,
)

AS_OF = dt.date(2026, 11, 24)
# The screener's contract, as the generator writes it.
LAB_SCHEMA = labs_schema()
PATIENT_SCHEMA = patients_schema()


def _near(*ids: str) -> st.SearchStrategy[float]:
    """Values at, just below and just above the thresholds named (their own units)."""
    edges = sorted({THRESHOLDS[i].value for i in ids})
    return (
        st.sampled_from(edges)
        .flatmap(lambda edge: st.sampled_from((edge - 1, edge - 0.5, edge, edge + 0.5, edge + 1)))
        .filter(lambda value: value >= 0)
    )


def _value(number: float, decimals: int, qualifier: str) -> str:
    return f"{qualifier}{number:.{decimals}f}"


FERRITIN = _near(
    "ferritin.who_deficient",
    "ferritin.rls_indicated_50",
    "ferritin.rls_indicated",
    "ferritin.iv_band_upper",
    "ferritin.high_female",
    "ferritin.trial_ceiling",
    "ferritin.very_high",
)
TSAT = _near("tsat.rls_indicated", "tsat.contraindicated", "tsat.overload").filter(
    lambda v: v <= 100
)
# (test name as labs print it, unit, value strategy); the engine's catalogue reads each.
TESTS: list[tuple[str, str, st.SearchStrategy[str]]] = [
    (
        "Ferritin",
        "ng/mL",
        st.builds(
            _value, FERRITIN, st.sampled_from((0, 1)), st.sampled_from(("", "", "", "<", ">"))
        ),
    ),
    ("Serum ferritin level", "ug/L", st.builds(_value, FERRITIN, st.just(0), st.just(""))),
    (
        "2276-4",
        "pmol/L",
        st.builds(_value, FERRITIN.map(lambda v: v * 2.247), st.just(0), st.just("")),
    ),
    (
        "% SATURATION, IRON",
        "%",
        st.builds(_value, TSAT, st.sampled_from((0, 1)), st.sampled_from(("", "", "<", ">"))),
    ),
    ("Iron, Total", "ug/dL", st.builds(_value, st.floats(20, 220), st.just(0), st.just(""))),
    (
        "Iron Bind.Cap.(TIBC)",
        "umol/L",
        st.builds(_value, st.floats(30, 90), st.just(1), st.just("")),
    ),
    ("UIBC", "ug/dL", st.builds(_value, st.floats(100, 400), st.just(0), st.just(""))),
    ("Transferrin", "g/L", st.builds(_value, st.floats(1.5, 4), st.just(2), st.just(""))),
    ("Hemoglobin", "g/dL", st.builds(_value, st.floats(8, 17), st.just(1), st.just(""))),
    (
        "CRP",
        "mg/L",
        st.builds(_value, _near("crp.inflammation"), st.just(1), st.sampled_from(("", "<"))),
    ),
    ("Creatinine", "umol/L", st.builds(_value, st.floats(40, 600), st.just(0), st.just(""))),
    (
        "eGFR",
        "mL/min/1.73m2",
        st.builds(_value, _near("egfr.kidney_failure"), st.just(0), st.sampled_from(("", ">"))),
    ),
]
DAYS = st.integers(-800, 20).map(lambda offset: AS_OF + dt.timedelta(days=offset))


@st.composite
def person(draw: st.DrawFn, index: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sex = draw(st.sampled_from(("female", "male")))
    age = draw(st.sampled_from((3, 12, 17, 18, 34, 49, 50, 70)))
    pregnant = sex == "female" and 18 <= age < 50 and draw(st.booleans())
    route = draw(st.sampled_from((None, None, "oral", "iv")))
    started = draw(DAYS) if route else None
    patient = {
        "patient_id": f"p{index:04d}",
        "sex": sex,
        "age_years": age,
        "pregnancy_weeks": draw(st.integers(4, 40)) if pregnant else None,
        "postmenopausal": draw(st.sampled_from((None, True, False))) if sex == "female" else None,
        "kidney": draw(st.sampled_from((None, None, "normal", "ckd", "dialysis"))),
        "conditions": draw(
            st.sampled_from(
                (
                    None,
                    None,
                    "hereditary haemochromatosis",
                    "Crohn's disease",
                    "heavy periods",
                    "breastfeeding",
                    "bad knees",
                )
            )
        ),
        "medicines": draw(st.sampled_from((None, None, "omeprazole 20 mg"))),
        "iron_route": route,
        "iron_started": started,
        "iron_ended": draw(st.sampled_from((None, started))) if route == "oral" else None,
    }
    labs = []
    for day in draw(st.lists(DAYS, max_size=3)):
        for name, unit, values in draw(st.lists(st.sampled_from(TESTS), min_size=1, max_size=6)):
            labs.append(
                {
                    "patient_id": patient["patient_id"],
                    "test": name,
                    "value": draw(values),
                    "unit": unit,
                    "date": day.isoformat(),
                }
            )
    return patient, labs


@st.composite
def population(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    size = draw(st.integers(1, 25))
    people = [draw(person(i)) for i in range(size)]
    return [p for p, _ in people], [lab for _, labs in people for lab in labs]


@settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    deadline=None,
)
@given(tables=population(), profile=st.sampled_from(("aasm-2024", "ferritin-50")))
def test_the_screener_decides_as_the_engine_near_every_threshold(
    tables: tuple[list[dict[str, Any]], list[dict[str, Any]]], profile: str, tmp_path: Path
) -> None:
    patients, labs = tables
    run_dir = Path(tempfile.mkdtemp(dir=tmp_path))
    request = request_for(
        write_parquet(labs, run_dir / "labs.parquet", LAB_SCHEMA),
        write_parquet(patients, run_dir / "patients.parquet", PATIENT_SCHEMA),
        run_dir,
        AS_OF,
        profile,
    )
    connection = connect("duckdb", [request.labs, request.patients])
    batch = screened(connection, request)
    single = engine_answers(connection, request)
    assert differences(batch, single) == []


def _tables(tmp_path: Path, labs: list[dict[str, Any]], patients: list[dict[str, Any]]) -> Request:
    return request_for(
        write_parquet(labs, tmp_path / "labs.parquet", LAB_SCHEMA),
        write_parquet(patients, tmp_path / "patients.parquet", PATIENT_SCHEMA),
        tmp_path,
        AS_OF,
    )


def _patient(patient_id: str, **facts: Any) -> dict[str, Any]:
    return {"patient_id": patient_id, "sex": "female", "age_years": 40} | facts


def _lab(
    patient_id: str, test: str, value: str, unit: str, date: str = "2026-10-01"
) -> dict[str, Any]:
    return {"patient_id": patient_id, "test": test, "value": value, "unit": unit, "date": date}


def test_each_care_gap_is_found_for_the_person_who_has_it(tmp_path: Path) -> None:
    iron_days_ago = (AS_OF - dt.timedelta(weeks=20)).isoformat()
    request = _tables(
        tmp_path,
        [
            _lab("safe", "Ferritin", "1200", "ng/mL"),
            _lab("safe", "TSAT", "30", "%"),
            _lab("low", "Ferritin", "30", "ng/mL"),
            _lab("low", "TSAT", "25", "%"),
            _lab("recheck", "Ferritin", "30", "ng/mL", "2026-01-10"),
            _lab("recheck", "TSAT", "15", "%", "2026-01-10"),
            _lab("fine", "Ferritin", "150", "ng/mL"),
            _lab("fine", "TSAT", "30", "%"),
            _lab("old", "Ferritin", "150", "ng/mL", "2024-01-01"),
            _lab("old", "TSAT", "30", "%", "2024-01-01"),
        ],
        [
            _patient("safe"),
            _patient("low"),
            _patient(
                "recheck", iron_route="oral", iron_started=dt.date.fromisoformat(iron_days_ago)
            ),
            _patient("fine"),
            _patient("old"),
            _patient("none"),
        ],
    )
    result = screened(connect("duckdb", [request.labs, request.patients]), request)
    assert {pid: answer.care_gap for pid, answer in result.items()} == {
        "safe": "safety",
        "low": "below_target_untreated",
        "recheck": "recheck_due",
        "fine": "none",
        "old": "no_recent_panel",
        "none": "no_recent_panel",
    }


def test_unreadable_rows_are_set_aside_with_their_row_and_reason_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    request = _tables(
        tmp_path,
        [
            _lab("a", "Ferritin", "30", "ng/mL"),
            _lab("a", "HbA1c", "6.1", "%"),
            _lab("a", "Ferritin", "haemolysed", "ng/mL"),
            _lab("a", "TSAT", "12", "furlongs"),
            _lab("a", "Vitamin Q", "3", "mg"),
            _lab("a", "TSAT", "130", "%"),
            _lab("ghost", "Ferritin", "30", "ng/mL"),
            _lab("a", "TSAT", "15", "%", "2026-13-45"),
        ],
        [_patient("a"), _patient("b", sex="unknown")],
    )
    connection = connect("duckdb", [request.labs, request.patients])
    result = screened(connection, request)
    rejects = pq.read_table(request.rejects).to_pylist()
    reasons = {(r["source"], r["row"]): r["reason"] for r in rejects}
    assert set(reasons) == {("labs", n) for n in (2, 3, 4, 5, 6, 7, 8)} | {("patients", 2)}
    assert "HbA1c" in reasons[("labs", 2)] and "different test" in reasons[("labs", 2)]
    assert "not a number" in reasons[("labs", 3)]
    assert "furlongs" in reasons[("labs", 4)] and "accepted" in reasons[("labs", 4)]
    assert "unknown lab test" in reasons[("labs", 5)]
    assert "cannot exceed 100" in reasons[("labs", 6)]
    assert "not among the screened patients" in reasons[("labs", 7)]
    assert "not a date" in reasons[("labs", 8)]
    assert "not female or male" in reasons[("patients", 2)]
    # The one readable ferritin is used; with no readable TSAT the panel is incomplete.
    assert result["a"].decision == "indicated" or "labs.missing" in result["a"].codes
    assert set(result) == {"a"}


def test_a_missing_column_is_an_error_before_any_work(tmp_path: Path) -> None:
    labs = tmp_path / "labs.parquet"
    pq.write_table(
        pa.table(
            {
                "patient_id": ["a"],
                "test": ["Ferritin"],
                "result": ["30"],
                "unit": ["ng/mL"],
                "date": ["2026-01-01"],
            }
        ),
        labs,
    )
    patients = write_parquet([_patient("a")], tmp_path / "patients.parquet", PATIENT_SCHEMA)
    request = request_for(labs, patients, tmp_path, AS_OF)
    with pytest.raises(RlsironError, match="missing column: value"):
        screened(connect("duckdb", [request.labs, request.patients]), request)
    assert not (tmp_path / "gaps.parquet").exists()
    mapped = dataclasses.replace(request, lab_columns={"value": "result"})
    assert screened(connect("duckdb", [mapped.labs, mapped.patients]), mapped)["a"].decision


def test_sources_that_cannot_be_read_say_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(RlsironError, match="no such file"):
        parse_source(str(tmp_path / "absent.parquet"), option="--labs")
    with pytest.raises(RlsironError, match="unknown kind of table"):
        parse_source("labs.xlsx", option="--labs")
    with pytest.raises(RlsironError, match="names its table"):
        parse_source("postgresql://localhost/clinic", option="--labs")
    with pytest.raises(RlsironError, match="cannot reach the database"):
        connect(
            "postgres",
            [parse_source("postgresql://nobody@127.0.0.1:1/clinic?table=labs", option="--labs")],
        )
