"""The batch screener and the single-patient engine, run on the same people and compared.

`screen_and_assess` writes the tables, screens them on a backend, then sends every
readable person through `rlsiron.assess` with exactly the facts the screener read, and
returns both answers per patient: decision, routes, and the finding codes the screener
can give (`SCREENED_CODES`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rlsiron import assess, parse_input
from rlsiron.screen.explain import documents
from rlsiron.screen.outcome import SCREENED_CODES
from rlsiron.screen.run import Request, build, run
from rlsiron.screen.sources import Connection, parse_source


@dataclass(frozen=True)
class Answer:
    decision: str
    routes: tuple[str, ...]
    codes: frozenset[str]
    care_gap: str | None = None


def write_parquet(rows: Sequence[Mapping[str, Any]], path: Path, schema: pa.Schema) -> Path:
    pq.write_table(pa.Table.from_pylist(list(rows), schema=schema), path)
    return path


def screened(connection: Connection, request: Request) -> dict[str, Answer]:
    """The screener's answer per patient, read back from the file it wrote."""
    run(connection, request)
    table = pq.read_table(request.out).to_pylist()
    return {
        row["patient_id"]: Answer(
            row["decision"], tuple(sorted(row["routes"])), frozenset(row["codes"]), row["care_gap"]
        )
        for row in table
    }


def engine_answers(connection: Connection, request: Request) -> dict[str, Answer]:
    """The engine's answer for every readable patient, from the screener's own documents."""
    plan = build(connection, request)
    answers = {}
    for patient_id, document in documents(connection, plan.patients, plan.rows, request.profile):
        result = assess(parse_input(document, as_of=request.as_of), as_of=request.as_of, plan=False)
        answers[patient_id] = Answer(
            result.iron_therapy.decision,
            tuple(sorted(result.iron_therapy.routes)),
            frozenset(str(f.code) for f in result.findings) & SCREENED_CODES,
        )
    return answers


def request_for(
    labs: Path, patients: Path, out_dir: Path, as_of: dt.date, profile: str = "aasm-2024"
) -> Request:
    return Request(
        labs=parse_source(str(labs), option="--labs"),
        patients=parse_source(str(patients), option="--patients"),
        out=out_dir / "gaps.parquet",
        rejects=out_dir / "gaps.rejects.parquet",
        as_of=as_of,
        profile=profile,
    )


def differences(batch: Mapping[str, Answer], single: Mapping[str, Answer]) -> list[str]:
    """Each patient on whom the two disagree, said in one line (empty when they agree)."""
    found = []
    for patient_id in sorted(set(batch) | set(single)):
        mine, theirs = batch.get(patient_id), single.get(patient_id)
        if mine is None or theirs is None:
            found.append(f"{patient_id}: only in {'engine' if mine is None else 'screener'}")
            continue
        if (mine.decision, mine.routes, mine.codes) != (
            theirs.decision,
            theirs.routes,
            theirs.codes,
        ):
            found.append(
                f"{patient_id}: screener {mine.decision} {mine.routes} "
                f"+{sorted(mine.codes - theirs.codes)} -{sorted(theirs.codes - mine.codes)}; "
                f"engine {theirs.decision} {theirs.routes}"
            )
    return found
