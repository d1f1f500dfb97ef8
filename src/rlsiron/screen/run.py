"""One screening run: read, decide with the compiled rules, write, summarise.

The query is built once as an Ibis expression and run by the engine; the result streams
to the output file in Arrow batches (DuckDB spills to disk past its memory limit), so
memory stays bounded however many rows come in. The summary is read back from the file
written, not by running the query twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import ibis
import ibis.expr.types as ir

from rlsiron.errors import RlsironError
from rlsiron.screen import compiler
from rlsiron.screen.labs import lookup_tables, read_rows
from rlsiron.screen.outcome import care_gaps, with_outcome
from rlsiron.screen.people import facts_table, read_patients
from rlsiron.screen.sources import (
    LAB_COLUMNS,
    PATIENT_COLUMNS,
    Connection,
    Source,
    column_problems,
    trimmed,
)
from rlsiron.screen.values import latest_results, named_values

OUTPUT_KINDS: Final = (".parquet", ".csv")
# The columns of the output, after patient_id: the latest values used, then the answer.
_RESULT_COLUMNS: Final = ("patient_id", "decision", "rule", "routes", "codes", "care_gap")
_SHOWN_VALUES: Final = ("ferritin", "tsat", "tsat_max", "hemoglobin", "crp", "egfr")
_BATCH_ROWS: Final = 100_000  # rows per Arrow batch written


@dataclass(frozen=True, slots=True)
class Request:
    """What to screen, how, and where the answers go."""

    labs: Source
    patients: Source
    out: Path
    rejects: Path
    as_of: dt.date
    profile: str = "aasm-2024"
    lab_columns: Mapping[str, str] = field(default_factory=dict)
    patient_columns: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts a person reads at the end: people by care gap and decision, rejects."""

    patients: int
    screened: int
    lab_rows: int
    by_care_gap: Mapping[str, int]
    by_decision: Mapping[str, int]
    rejects: int
    rejects_by_reason: Sequence[tuple[str, int]]


def _text(column: ir.Value) -> ir.StringValue:
    """A column as text: as printed for strings, the shortest round-trip form for numbers."""
    return column if column.type().is_string() else column.cast("string")


def _date(column: ir.Value) -> ir.DateValue:
    """A typed date, a timestamp's day, or an ISO date in text (NULL when it is not one)."""
    kind = column.type()
    if kind.is_date():
        return column
    if kind.is_timestamp():
        return column.date()
    return trimmed(_text(column)).try_cast("date")


def standard_labs(raw: ir.Table, mapping: Mapping[str, str]) -> ir.Table:
    """The lab table under our column names and types (text as printed, dates as dates)."""

    def col(name: str) -> ir.Value:
        return raw[mapping.get(name, name)]

    assay = col("assay") if mapping.get("assay", "assay") in raw.columns else ibis.null("string")
    return raw.select(
        row=raw.row_number_,
        patient_id=_text(col("patient_id")),
        test=trimmed(_text(col("test"))).nullif(""),
        value_text=_text(col("value")),
        unit=trimmed(_text(col("unit"))).nullif(""),
        date_text=_text(col("date")),
        drawn=_date(col("date")),
        assay=_text(assay),
    )


def standard_patients(raw: ir.Table, mapping: Mapping[str, str]) -> ir.Table:
    """The patients table under our names and types; absent optional columns are NULL."""

    def col(name: str, kind: str) -> ir.Value:
        theirs = mapping.get(name, name)
        if theirs not in raw.columns:
            return ibis.null(kind)
        column = raw[theirs]
        if kind == "date":
            return _date(column)
        if kind == "string":
            return trimmed(_text(column)).nullif("")
        if kind == "boolean" and column.type().is_string():
            lowered = trimmed(column).lower()
            return ibis.cases(
                (lowered.isin(("true", "yes", "1")), True),
                (lowered.isin(("false", "no", "0")), False),
                else_=ibis.null("boolean"),
            )
        return (
            column.cast(kind)
            if not column.type().is_string()
            else trimmed(column).nullif("").try_cast(kind)
        )

    return raw.select(
        prow=raw.row_number_,
        patient_id=col("patient_id", "string"),
        sex=col("sex", "string"),
        age_years=col("age_years", "int64"),
        birth_date=col("birth_date", "date"),
        pregnancy_weeks=col("pregnancy_weeks", "int64"),
        postmenopausal=col("postmenopausal", "boolean"),
        kidney=col("kidney", "string"),
        conditions=col("conditions", "string"),
        medicines=col("medicines", "string"),
        iron_route=col("iron_route", "string"),
        iron_started=col("iron_started", "date"),
        iron_ended=col("iron_ended", "date"),
    )


@dataclass
class Plan:
    """The built query: the result per person and the rejects, not yet run."""

    result: ir.Table
    rejects: ir.Table
    lab_rows: ir.Table  # as given, under our column names
    rows: ir.Table  # as read: analyte, canonical value, and `reason` when set aside
    patients: ir.Table  # the readable patients


def build(connection: Connection, request: Request) -> Plan:
    """Every expression of the run; only the lookups' distinct values are read here."""
    raw_labs = connection.read(request.labs, "rlsiron_labs")
    raw_patients = connection.read(request.patients, "rlsiron_patients")
    column_problems(raw_labs, LAB_COLUMNS, request.lab_columns, option="--labs")
    column_problems(raw_patients, PATIENT_COLUMNS, request.patient_columns, option="--patients")
    labs = standard_labs(raw_labs, request.lab_columns)
    patients = standard_patients(raw_patients, request.patient_columns)
    tests, units = lookup_tables(labs, connection.fetch)
    rows = read_rows(labs, tests, units, ibis.literal(request.as_of))
    people = read_patients(patients, facts_table(patients, connection.fetch), request.as_of)
    readable = people.filter(people.reason.isnull())
    known_ids = readable.select(patient_id=readable.patient_id, known_patient=ibis.literal(True))
    rows = rows.left_join(known_ids, "patient_id").drop("patient_id_right")
    rows = rows.mutate(
        reason=rows.reason.fill_null(
            rows.known_patient.isnull().ifelse(
                ibis.literal("patient_id not among the screened patients"), ibis.null("string")
            )
        )
    ).drop("known_patient")
    latest = latest_results(rows)
    joined = readable.left_join(latest, "patient_id").drop("patient_id_right")
    decided = with_outcome(named_values(joined, request.as_of), request.profile, request.as_of)
    shown = {f"{name}": decided[compiler.compared(name)] for name in _SHOWN_VALUES} | {
        f"{name}_qualifier": decided[compiler.qualifier(name)] for name in _SHOWN_VALUES
    }
    result = decided.select(
        *_RESULT_COLUMNS,
        **shown,
        ferritin_date=decided.ferritin_d,
        tsat_date=decided.tsat_date,
        age=decided.age_years,
        sex=decided.sex,
    )
    lab_rejects = rows.filter(rows.reason.notnull()).select(
        source=ibis.literal("labs"),
        row="row",
        patient_id="patient_id",
        test="test",
        value="value_text",
        unit="unit",
        date="date_text",
        reason="reason",
    )
    patient_rejects = people.filter(people.reason.notnull()).select(
        source=ibis.literal("patients"),
        row="prow",
        patient_id="patient_id",
        test=ibis.null("string"),
        value=ibis.null("string"),
        unit=ibis.null("string"),
        date=ibis.null("string"),
        reason="reason",
    )
    return Plan(result, lab_rejects.union(patient_rejects), labs, rows, readable)


def _check_output(path: Path, option: str) -> None:
    if path.suffix.lower() not in OUTPUT_KINDS:
        raise RlsironError(
            "the output's kind comes from its extension",
            field=option,
            value=str(path),
            accepted=tuple(f"a {kind} file" for kind in OUTPUT_KINDS),
        )
    if not path.parent.is_dir():
        raise RlsironError("no such directory", field=option, value=str(path.parent))


def check_request(request: Request) -> None:
    """Output paths usable before any work starts."""
    _check_output(request.out, "--out")
    _check_output(request.rejects, "--rejects")


def write(
    connection: Connection, table: ir.Table, path: Path, progress: Callable[[int], None]
) -> int:
    """Stream `table` to a Parquet or CSV file (lists joined with ";" in CSV); rows written.

    Written to a temporary name and moved into place, so a failed run leaves no half file.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    partial = path.with_name(f".{path.name}.partial")
    written = 0
    batches = connection.batches(table, _BATCH_ROWS)
    schema = batches.schema
    csv = path.suffix.lower() == ".csv"
    if csv:
        schema = pa.schema(
            [pa.field(f.name, pa.string()) if pa.types.is_list(f.type) else f for f in schema]
        )
    writer: pq.ParquetWriter | pacsv.CSVWriter = (
        pacsv.CSVWriter(partial, schema) if csv else pq.ParquetWriter(partial, schema)
    )
    try:
        for batch in batches:
            if csv:
                batch = _lists_as_text(batch, schema)
            writer.write_batch(batch)
            written += batch.num_rows
            progress(batch.num_rows)
    finally:
        writer.close()
    partial.replace(path)
    return written


def _lists_as_text(batch: object, schema: object) -> object:
    import pyarrow as pa
    import pyarrow.compute as pc

    assert isinstance(batch, pa.RecordBatch) and isinstance(schema, pa.Schema)
    columns = []
    for column in batch.columns:
        if pa.types.is_list(column.type):
            column = pc.binary_join(column, ";")
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _scan(path: Path) -> str:
    """DuckDB's reader of a file this run wrote (Parquet or CSV, by extension)."""
    kind = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv_auto"
    return f"{kind}('{path}')"


def summarise(out: Path, rejects: Path, patients: int, lab_rows: int) -> Summary:
    """Counts by care gap, decision and reject reason, read back from the files written."""
    import duckdb

    with duckdb.connect() as con:
        gaps = dict(con.sql(f"select care_gap, count(*) from {_scan(out)} group by 1").fetchall())
        decisions = dict(
            con.sql(f"select decision, count(*) from {_scan(out)} group by 1").fetchall()
        )
        reasons = con.sql(
            f"select reason, count(*) from {_scan(rejects)} group by 1 order by 2 desc, 1"
        ).fetchall()
    ordered_gaps = {gap.id: int(gaps.get(gap.id, 0)) for gap in care_gaps()}
    return Summary(
        patients=patients,
        screened=sum(ordered_gaps.values()),
        lab_rows=lab_rows,
        by_care_gap=ordered_gaps,
        by_decision={str(k): int(v) for k, v in sorted(decisions.items())},
        rejects=sum(int(count) for _, count in reasons),
        rejects_by_reason=[(str(reason), int(count)) for reason, count in reasons],
    )


def count(connection: Connection, table: ir.Table) -> int:
    """How many rows (through Arrow: `execute` would build pandas objects)."""
    return int(connection.backend.to_pyarrow(table.count()).as_py())


def run(
    connection: Connection,
    request: Request,
    progress: Callable[[int], None] = lambda _rows: None,
    started: Callable[[int], None] = lambda _total: None,
) -> Summary:
    """Screen, write the result and the rejects, and summarise."""
    check_request(request)
    plan = build(connection, request)
    patients = count(connection, plan.patients)
    lab_rows = count(connection, plan.lab_rows)
    started(patients)
    write(connection, plan.result, request.out, progress)
    write(connection, plan.rejects, request.rejects, lambda _rows: None)
    return summarise(request.out, request.rejects, patients, lab_rows)


def flagged_ids(out: Path) -> Iterator[str]:
    """The people with a care gap, from the written result."""
    import duckdb

    with duckdb.connect() as con:
        for (patient_id,) in con.sql(
            f"select patient_id from {_scan(out)} where care_gap <> 'none' order by patient_id"
        ).fetchall():
            yield str(patient_id)
