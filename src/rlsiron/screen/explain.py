"""`--explain`: the single-patient engine's full output for the people who need action.

The batch gives each person a decision and codes; a clinician acting on a flag needs the
explanation, the sources and the plan. Only flagged people go through `rlsiron.assess`,
with exactly the facts the screener read (`documents.person_document`), in parallel
processes, written as JSON Lines in patient order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import groupby
from pathlib import Path
from typing import Any, Final

import ibis.expr.types as ir

from rlsiron.screen.documents import person_document
from rlsiron.screen.sources import Connection, memtable

_CHUNK: Final = 200  # people per task sent to a worker process
_LAB_FIELDS: Final = ("test", "value_text", "unit", "drawn", "row")


def documents(
    connection: Connection,
    patients: ir.Table,
    rows: ir.Table,
    profile: str,
    ids: Sequence[str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(patient id, engine input) for each readable patient (or those in `ids`), in id
    order, with their readable lab rows in the order given.

    One stream (patients left-joined with their rows, sorted by the engine, which spills
    when it must): DuckDB serves one open result per connection, and memory stays bounded.
    """
    if ids is not None:
        wanted = memtable({"patient_id": list(ids)}, {"patient_id": "string"})
        patients = patients.semi_join(wanted, "patient_id")
    readable = rows.filter(rows.reason.isnull())
    labs = readable.select(
        patient_id=readable.patient_id,
        **{f"lab_{name}": readable[name] for name in _LAB_FIELDS},
    )
    joined = patients.left_join(labs, "patient_id").drop("patient_id_right")
    stream = connection.batches(joined.order_by("patient_id", "lab_row"), 100_000)
    for patient_id, records in groupby(_records(stream), key=lambda record: record["patient_id"]):
        group = list(records)
        labs_of = [
            {name: record[f"lab_{name}"] for name in _LAB_FIELDS}
            for record in group
            if record["lab_row"] is not None
        ]
        yield str(patient_id), person_document(group[0], labs_of, profile)


def _records(reader: Any) -> Iterator[dict[str, Any]]:
    for batch in reader:
        yield from batch.to_pylist()


def _assess_chunk(chunk: list[tuple[str, dict[str, Any], str]]) -> list[str]:
    """One worker's share: each document assessed, as one JSON line each."""
    from rlsiron import assess, parse_input

    lines = []
    for patient_id, document, as_of in chunk:
        day = dt.date.fromisoformat(as_of)
        result = assess(parse_input(document, as_of=day), as_of=day)
        lines.append(
            json.dumps(
                {"patient_id": patient_id, "assessment": json.loads(result.model_dump_json())}
            )
        )
    return lines


def _chunks(
    items: Iterable[tuple[str, dict[str, Any]]], as_of: dt.date
) -> Iterator[list[tuple[str, dict[str, Any], str]]]:
    chunk: list[tuple[str, dict[str, Any], str]] = []
    for patient_id, document in items:
        chunk.append((patient_id, document, as_of.isoformat()))
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def explain(
    items: Iterable[tuple[str, dict[str, Any]]], as_of: dt.date, path: Path, workers: int | None
) -> int:
    """Assess each (id, document) in worker processes; JSON Lines to `path`; how many."""
    partial = path.with_name(f".{path.name}.partial")
    written = 0
    with partial.open("w", encoding="utf-8") as out, ProcessPoolExecutor(workers) as pool:
        for lines in pool.map(_assess_chunk, _chunks(items, as_of)):
            for line in lines:
                out.write(line + "\n")
            written += len(lines)
    partial.replace(path)
    return written
